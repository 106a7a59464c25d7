//! The table preview and chart on a resource page, rendered on the server so they work
//! without JavaScript: pages of rows, sorting and per-column filters through links and a GET
//! form, column statistics, and an SVG bar or line chart of one aggregate.

use std::collections::HashMap;

use allmende_core::Resource;
use allmende_core::i18n::Msg;
use allmende_table::ColumnType;
use allmende_table::query::{RecordsQuery, TableRef, json};
use minijinja::context;
use minijinja::value::Value;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const PAGE_ROWS: usize = 25;
const CHART_GROUPS: usize = 60;

/// Quotes a value for the records expression language (`'` doubled): the preview builds its
/// conditions from form input, and the parser is what keeps them safe.
fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Turns the filter form into a condition: text contains (case-insensitive), other types equal.
fn condition(t: &TableRef, filters: &HashMap<String, String>) -> Result<Option<String>, Msg> {
    let mut parts = Vec::new();
    for c in &t.columns {
        let Some(v) = filters
            .get(&c.machine_name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let col = quote_ident(&c.name);
        parts.push(match c.kind {
            // Places are filtered on the map, not by typing into a field.
            ColumnType::Geometry => continue,
            ColumnType::Text => format!(
                "lower({col}) like {}",
                quote_str(&format!("%{}%", v.to_lowercase()))
            ),
            ColumnType::Integer | ColumnType::Decimal => {
                let n = v.replace('.', "").replace(',', ".");
                if n.parse::<f64>().is_err() {
                    return Err(Msg::new("filter.not_a_number")
                        .arg("value", v)
                        .arg("column", &c.name));
                }
                format!("{col} = {n}")
            }
            ColumnType::Boolean => match v.to_lowercase().as_str() {
                "ja" | "true" | "wahr" | "yes" => format!("{col} = true"),
                "nein" | "false" | "falsch" | "no" => format!("{col} = false"),
                _ => {
                    return Err(Msg::new("filter.not_a_boolean")
                        .arg("value", v)
                        .arg("column", &c.name));
                }
            },
            ColumnType::Date | ColumnType::Timestamp => {
                let Some(d) = allmende_table::values::parse_date(v) else {
                    return Err(Msg::new("filter.not_a_date")
                        .arg("value", v)
                        .arg("column", &c.name));
                };
                if c.kind == ColumnType::Date {
                    format!("{col} = '{d}'")
                } else {
                    format!("date_trunc('day', {col}) = '{d}'")
                }
            }
        });
    }
    Ok((!parts.is_empty()).then(|| parts.join(" and ")))
}

fn cell_text(v: &serde_json::Value, kind: ColumnType, lang: &str) -> String {
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

fn page_rows(page: &allmende_table::query::RecordsPage) -> Vec<serde_json::Value> {
    let keys = json::keys(&page.schema);
    let mut out = vec![b'['];
    let mut first = true;
    for b in &page.batches {
        json::write_rows(&mut out, b, &keys, true, b",", &mut first);
    }
    out.push(b']');
    serde_json::from_slice(&out).unwrap_or_default()
}

/// The most features the resource page's map draws (in one canvas, from the GeoJSON export).
/// Larger layers are drawn view by view from `/map` (features, or their counts in a grid)
/// instead of loading the whole GeoJSON export into the browser.
const MAP_WHOLE_FEATURES: u64 = 5_000;

/// A spatial table's map (template `map` macro); `None` for other tables.
pub(super) fn map_of(
    state: &AppState,
    res: &Resource,
    t: &TableRef,
    bbox: Option<&serde_json::Value>,
) -> Option<Value> {
    t.columns
        .iter()
        .any(|c| c.kind == ColumnType::Geometry)
        .then(|| {
            let large = t.rows > MAP_WHOLE_FEATURES;
            context! {
                geojson => format!("/api/v1/resources/{}/export/geojson", res.id),
                view => large.then(|| format!("/api/v1/resources/{}/map", res.id)),
                bbox => bbox.map(|b| b.to_string()).unwrap_or_default(),
                overview => bbox.is_some().then(|| format!("/api/v1/resources/{}/overview.png", res.id)),
                tiles => state.settings.map_tile_url.clone(),
                attribution => state.settings.map_attribution.clone(),
            }
        })
}

/// Everything the resource page shows about its table.
pub async fn view(
    state: &AppState,
    client: &crate::heavy::Client,
    res: &Resource,
    params: &HashMap<String, String>,
    lang: &str,
) -> ApiResult<Option<Value>> {
    let Ok((t, v)) = state.served(res).await else {
        return Ok(None);
    };
    let sort = params
        .get("sort")
        .and_then(|s| t.columns.iter().find(|c| &c.machine_name == s));
    let desc = params.get("dir").is_some_and(|d| d == "desc");
    let page_no = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let filters: HashMap<String, String> = params
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let (filter, filter_error) = match condition(&t, &filters) {
        Ok(f) => (f, None),
        Err(e) => (None, Some(e)),
    };
    let q = RecordsQuery {
        filter: filter.clone(),
        order_by: sort.map(|c| {
            format!(
                "{}{}",
                quote_ident(&c.name),
                if desc { " desc" } else { "" }
            )
        }),
        limit: Some(PAGE_ROWS),
        offset: (page_no - 1) * PAGE_ROWS,
        total: true,
        ..Default::default()
    };
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, client).await?;
    let page = state
        .tables
        .records(permit, &t, &q)
        .await
        .map_err(ApiError::from)?;
    let kinds: Vec<ColumnType> = t.columns.iter().map(|c| c.kind).collect();
    let rows: Vec<Vec<String>> = page_rows(&page)
        .into_iter()
        .map(|r| {
            r.as_array()
                .map(|cells| {
                    cells
                        .iter()
                        .zip(&kinds)
                        .map(|(v, k)| cell_text(v, *k, lang))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let total = page.total.unwrap_or(0) as usize;
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    // Query string of the current state without `page`/`sort`, for building links.
    let mut keep: Vec<(String, String)> = filters
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (format!("f.{k}"), v.clone()))
        .collect();
    keep.sort();
    for k in ["chart_x", "chart_agg", "chart_y"] {
        if let Some(v) = params.get(k) {
            keep.push((k.to_string(), v.clone()));
        }
    }
    let qs = |extra: &[(&str, String)]| -> String {
        let all: Vec<String> = keep
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .chain(extra.iter().cloned())
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                    percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        format!("?{}", all.join("&"))
    };
    let sort_state: Vec<(&str, String)> = match sort {
        Some(c) => vec![
            ("sort", c.machine_name.clone()),
            ("dir", if desc { "desc".into() } else { "asc".into() }),
        ],
        None => vec![],
    };
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            let active = sort.is_some_and(|s| s.machine_name == c.machine_name);
            let next_dir = if active && !desc { "desc" } else { "asc" };
            context! {
                name => c.name,
                machine_name => c.machine_name,
                kind => c.kind,
                numeric => matches!(c.kind, ColumnType::Integer | ColumnType::Decimal),
                reason => c.reason,
                stats => c.stats,
                filter => filters.get(&c.machine_name).cloned().unwrap_or_default(),
                sort_href => qs(&[("sort", c.machine_name.clone()), ("dir", next_dir.to_string())]),
                aria_sort => if active { if desc { "descending" } else { "ascending" } } else { "none" },
            }
        })
        .collect();
    let link = |p: usize| -> String {
        let mut extra = sort_state.clone();
        extra.push(("page", p.to_string()));
        qs(&extra)
    };
    let dialect = v
        .report
        .as_ref()
        .and_then(|r| r.get("dialect"))
        .cloned()
        .unwrap_or_default();
    let mut exports: Vec<Value> = allmende_table::export::ExportFormat::offered(
        &t.columns, &dialect,
    )
    .iter()
    .map(|f| {
        context! {
            id => f.id(),
            label => allmende_core::i18n::t(lang, &format!("export.format.{}", f.id())).to_string(),
            url => format!("/api/v1/resources/{}/export/{}", res.id, f.id()),
            size => (f.id() == "parquet").then_some(v.parquet_size).flatten(),
        }
    })
    .collect();
    // A spatial table read from another CRS is offered in that CRS too (as GeoJSON).
    if let Some(code) = dialect["crs"]
        .as_str()
        .and_then(|c| c.strip_prefix("EPSG:"))
        .filter(|c| *c != "4326")
        && !exports.is_empty()
        && t.columns.iter().any(|c| c.kind == ColumnType::Geometry)
    {
        exports.insert(
            1,
            context! {
                id => "geojson-source",
                label => allmende_core::i18n::Msg::new("export.format.geojson_crs").arg("crs", format!("EPSG:{code}")).render(lang),
                url => format!("/api/v1/resources/{}/export/geojson?crs=EPSG:{code}", res.id),
            },
        );
    }
    let chart = chart(state, client, &t, params, filter.clone())
        .await
        .unwrap_or(None);
    let map = map_of(state, res, &t, dialect.get("bbox"));
    Ok(Some(context! {
        map,
        table_name => t.alias,
        rows_total => t.rows,
        version => v.version,
        columns,
        rows,
        total,
        page => page_no,
        pages,
        prev_href => (page_no > 1).then(|| link(page_no - 1)),
        next_href => (page_no < pages).then(|| link(page_no + 1)),
        filtered => filter.is_some(),
        filter_error,
        exports,
        chart,
        warnings => v.report.as_ref().and_then(|r| r.get("warnings")).cloned().map(Value::from_serialize),
        first_row => (page_no - 1) * PAGE_ROWS + 1,
    }))
}

/// The chart form's choice: group by `chart_x`, aggregate `chart_agg` (count, sum, avg, min,
/// max) of `chart_y`. Dates become a line over time, everything else bars.
pub async fn chart(
    state: &AppState,
    client: &crate::heavy::Client,
    t: &TableRef,
    params: &HashMap<String, String>,
    filter: Option<String>,
) -> ApiResult<Option<Value>> {
    let Some(x) = params
        .get("chart_x")
        .and_then(|x| t.columns.iter().find(|c| &c.machine_name == x))
    else {
        return Ok(None);
    };
    let agg = params
        .get("chart_agg")
        .map(String::as_str)
        .unwrap_or("count");
    let y = params.get("chart_y").and_then(|y| {
        t.columns.iter().find(|c| {
            &c.machine_name == y && matches!(c.kind, ColumnType::Integer | ColumnType::Decimal)
        })
    });
    let measure = match (agg, y) {
        ("sum" | "avg" | "min" | "max", Some(y)) => format!("{agg}({})", quote_ident(&y.name)),
        _ => "count(*)".to_string(),
    };
    let label = match (agg, y) {
        ("sum" | "avg" | "min" | "max", Some(y)) => format!("{agg}({})", y.name),
        _ => "Anzahl".to_string(),
    };
    let q = RecordsQuery {
        select: Some(format!("{} as x, {measure} as y", quote_ident(&x.name))),
        group_by: Some(quote_ident(&x.name)),
        filter,
        order_by: Some(
            if matches!(x.kind, ColumnType::Text | ColumnType::Boolean) {
                "y desc".into()
            } else {
                "x".into()
            },
        ),
        limit: Some(CHART_GROUPS),
        ..Default::default()
    };
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, client).await?;
    let page = state
        .tables
        .records(permit, t, &q)
        .await
        .map_err(ApiError::from)?;
    let points: Vec<(String, f64)> = page_rows(&page)
        .into_iter()
        .filter_map(|r| {
            let a = r.as_array()?;
            let y = a.get(1)?.as_f64()?;
            Some((cell_text(a.first()?, x.kind, "de"), y))
        })
        .collect();
    let line = matches!(x.kind, ColumnType::Date | ColumnType::Timestamp);
    let svg = svg_chart(&points, line, &x.name, &label);
    Ok(Some(
        context! { svg, x => x.name, label, line, points => points.len() },
    ))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn short_number(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1} Mio.", v / 1e6).replace('.', ",")
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}").replace('.', ",")
    }
}

/// A self-contained SVG (no scripts, no external references) with a title and description for
/// screen readers, axes and value labels.
pub fn svg_chart(points: &[(String, f64)], line: bool, x_label: &str, y_label: &str) -> String {
    let (w, h) = (720.0_f64, 360.0_f64);
    let (left, right, top, bottom) = (70.0, 20.0, 30.0, 90.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max);
    let min = points.iter().map(|p| p.1).fold(0.0_f64, f64::min);
    let span = if max - min > 0.0 { max - min } else { 1.0 };
    let y_of = |v: f64| top + plot_h - (v - min) / span * plot_h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"chart-title chart-desc\" font-family=\"sans-serif\" font-size=\"12\">\
         <title id=\"chart-title\">{} nach {}</title><desc id=\"chart-desc\">{} Werte; größter Wert {}</desc>\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>",
        esc(y_label),
        esc(x_label),
        points.len(),
        short_number(max)
    );
    for i in 0..=4 {
        let v = min + span * i as f64 / 4.0;
        let y = y_of(v);
        s.push_str(&format!(
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#d0d5dd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#333\">{}</text>",
            w - right,
            left - 6.0,
            y + 4.0,
            short_number(v)
        ));
    }
    let n = points.len().max(1) as f64;
    let step = plot_w / n;
    let label_every = (points.len() / 20).max(1);
    if line {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (_, v))| format!("{:.1},{:.1}", left + step * (i as f64 + 0.5), y_of(*v)))
            .collect();
        s.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"#0b5394\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        ));
    }
    for (i, (label, v)) in points.iter().enumerate() {
        let cx = left + step * (i as f64 + 0.5);
        if !line {
            let y = y_of(v.max(0.0).max(min));
            let base = y_of(0.0_f64.max(min));
            let (y0, hgt) = if y < base {
                (y, base - y)
            } else {
                (base, y - base)
            };
            s.push_str(&format!(
                "<rect x=\"{:.1}\" y=\"{y0:.1}\" width=\"{:.1}\" height=\"{hgt:.1}\" fill=\"#0b5394\"><title>{}: {}</title></rect>",
                cx - step * 0.4,
                step * 0.8,
                esc(label),
                short_number(*v)
            ));
        } else {
            s.push_str(&format!("<circle cx=\"{cx:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#0b5394\"><title>{}: {}</title></circle>", y_of(*v), esc(label), short_number(*v)));
        }
        if i % label_every == 0 {
            let short: String = label.chars().take(16).collect();
            s.push_str(&format!(
                "<text transform=\"translate({cx:.1},{}) rotate(-45)\" text-anchor=\"end\" fill=\"#333\">{}</text>",
                top + plot_h + 14.0,
                esc(&short)
            ));
        }
    }
    s.push_str(&format!(
        "<line x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\"/><text x=\"{left}\" y=\"18\" fill=\"#333\" font-weight=\"bold\">{}</text></svg>",
        w - right,
        top + plot_h,
        top + plot_h,
        esc(y_label)
    ));
    s
}
