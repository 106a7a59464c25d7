//! How the preview and the chart show a table's cells: one readable text per value in the
//! page's language, and the rows of a records page as arrays.

use allmende_table::ColumnType;
use allmende_table::query::json;

pub(super) fn cell_text(v: &serde_json::Value, kind: ColumnType, lang: &str) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) if kind == ColumnType::Date && lang == "de" => {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(|d| d.format("%d.%m.%Y").to_string())
                .unwrap_or_else(|_| s.clone())
        }
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => match (lang, b) {
            ("de", true) => "ja".into(),
            ("de", false) => "nein".into(),
            (_, true) => "yes".into(),
            (_, false) => "no".into(),
        },
        serde_json::Value::Number(n) if lang == "de" => n.to_string().replace('.', ","),
        geometry @ serde_json::Value::Object(_) if kind == ColumnType::Geometry => {
            place_text(geometry, lang)
        }
        other => other.to_string(),
    }
}

/// A geometry in a table cell: a point's coordinates, else its kind and size (the map shows
/// the shape).
fn place_text(g: &serde_json::Value, lang: &str) -> String {
    let kind = g["type"].as_str().unwrap_or("");
    if let (Some(x), Some(y)) = (g["coordinates"][0].as_f64(), g["coordinates"][1].as_f64())
        && kind == "Point"
    {
        let (lat, lon) = (format!("{y:.5}"), format!("{x:.5}"));
        return if lang == "de" {
            format!("{}° N, {}° O", lat.replace('.', ","), lon.replace('.', ","))
        } else {
            format!("{lat}° N, {lon}° E")
        };
    }
    let mut points = 0usize;
    fn count(v: &serde_json::Value, n: &mut usize) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(serde_json::Value::is_number) => *n += 1,
            Some(a) => a.iter().for_each(|x| count(x, n)),
            None => {}
        }
    }
    count(&g["coordinates"], &mut points);
    let key = format!("geometry.{kind}");
    let label = crate::i18n::t(lang, &key);
    format!(
        "{label} ({points} {})",
        crate::i18n::t(lang, "geometry.points")
    )
}

pub(super) fn page_rows(page: &allmende_table::query::RecordsPage) -> Vec<serde_json::Value> {
    let keys = json::keys(&page.schema);
    let mut out = vec![b'['];
    let mut first = true;
    for b in &page.batches {
        json::write_rows(&mut out, b, &keys, true, b",", &mut first);
    }
    out.push(b']');
    serde_json::from_slice(&out).unwrap_or_default()
}
