//! CQL2 filters run on a spatial table: text and JSON give the same features, spatial,
//! temporal, case- and accent-insensitive predicates select what they say, bad filters are
//! refused.

use allmende_table::query::cql2::Filter;
use allmende_table::query::{Engine, QueryError, QueryLimits, RecordsQuery};
use serde_json::json;

use super::{Table, rows, table_of};

fn feature(
    name: &str,
    kw: Option<i64>,
    seit: Option<&str>,
    betreiber: &str,
    geometry: serde_json::Value,
) -> serde_json::Value {
    json!({"type": "Feature", "properties": {"name": name, "kw": kw, "seit": seit, "betreiber": betreiber}, "geometry": geometry})
}

fn ladepunkte() -> Table {
    let point = |x: f64, y: f64| json!({"type": "Point", "coordinates": [x, y]});
    let fc = json!({"type": "FeatureCollection", "features": [
        feature("Ladesäule Marktplatz", Some(22), Some("2023-05-01"), "Stadtwerke Aalen", point(10.0933, 48.8378)),
        feature("Ladesäule Bahnhof", Some(50), Some("2024-02-15"), "EnBW", point(10.0990, 48.8408)),
        feature("Ladesäule Rathaus Heidenheim", Some(11), Some("2022-11-30"), "Stadtwerke Heidenheim", point(10.1511, 48.6767)),
        feature("Ladesäule Café Müller", Some(22), Some("2024-06-01"), "privat", point(10.0700, 48.8300)),
        feature("Parkzone Innenstadt", None, None, "Stadt Aalen", json!({"type": "Polygon", "coordinates": [[
            [10.090, 48.835], [10.096, 48.835], [10.096, 48.840], [10.090, 48.840], [10.090, 48.835]]]})),
    ]});
    table_of(
        fc.to_string().as_bytes(),
        "ladepunkte.geojson",
        "ladepunkte",
    )
}

async fn names(engine: &Engine, t: &Table, filter: Filter) -> Result<Vec<String>, QueryError> {
    let page = engine
        .records(
            &t.t,
            &RecordsQuery {
                cql2: Some(filter),
                limit: Some(100),
                total: true,
                ..Default::default()
            },
        )
        .await?;
    let mut out: Vec<String> = rows(&page)
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(page.total, Some(out.len() as u64));
    out.sort();
    Ok(out)
}

async fn text(engine: &Engine, t: &Table, filter: &str) -> Vec<String> {
    let f = Filter::parse_text(filter).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
    names(engine, t, f)
        .await
        .unwrap_or_else(|e| panic!("{filter}: {e:?}"))
}

const MARKT: &str = "Ladesäule Marktplatz";
const BAHNHOF: &str = "Ladesäule Bahnhof";
const RATHAUS: &str = "Ladesäule Rathaus Heidenheim";
const CAFE: &str = "Ladesäule Café Müller";
const ZONE: &str = "Parkzone Innenstadt";

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn cql2_selects_what_it_says() {
    let t = ladepunkte();
    let engine = Engine::new(QueryLimits::default());
    let around =
        "POLYGON((10.085 48.832, 10.105 48.832, 10.105 48.845, 10.085 48.845, 10.085 48.832))";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            "kw > 20 AND betreiber LIKE 'Stadtwerke%'".into(),
            vec![MARKT],
        ),
        ("CASEI(betreiber) = casei('ENBW')".into(), vec![BAHNHOF]),
        (
            "ACCENTI(name) LIKE ACCENTI('%Cafe Muller')".into(),
            vec![CAFE],
        ),
        (
            "CASEI(ACCENTI(name)) LIKE '%cafe muller'".into(),
            vec![CAFE],
        ),
        ("name LIKE '%Cafe Muller'".into(), vec![]),
        ("kw BETWEEN 20 AND 30".into(), vec![MARKT, CAFE]),
        ("kw NOT BETWEEN 20 AND 30".into(), vec![BAHNHOF, RATHAUS]),
        ("kw IN (11, 50)".into(), vec![BAHNHOF, RATHAUS]),
        ("kw IS NULL".into(), vec![ZONE]),
        ("seit IS NOT NULL and kw = 22".into(), vec![MARKT, CAFE]),
        ("NOT (kw > 20)".into(), vec![RATHAUS]),
        (
            "\"name\" = 'Ladesäule Bahnhof' OR betreiber = 'privat'".into(),
            vec![BAHNHOF, CAFE],
        ),
        ("kw * 2 + 1 > 60".into(), vec![BAHNHOF]),
        ("kw div 10 = 2".into(), vec![MARKT, CAFE]),
        ("seit >= DATE('2024-02-15')".into(), vec![BAHNHOF, CAFE]),
        (
            "T_AFTER(seit, DATE('2024-01-01'))".into(),
            vec![BAHNHOF, CAFE],
        ),
        (
            "T_DURING(seit, INTERVAL('2023-01-01', '2024-03-01'))".into(),
            vec![MARKT, BAHNHOF],
        ),
        (
            "T_BEFORE(seit, INTERVAL('2023-01-01', '..'))".into(),
            vec![RATHAUS],
        ),
        (
            "T_INTERSECTS(seit, INTERVAL('..', '2023-05-01'))".into(),
            vec![MARKT, RATHAUS],
        ),
        (
            "S_INTERSECTS(geometry, BBOX(10.05, 48.80, 10.12, 48.85))".into(),
            vec![MARKT, BAHNHOF, CAFE, ZONE],
        ),
        (
            format!("S_WITHIN(geometry, {around})"),
            vec![MARKT, BAHNHOF, ZONE],
        ),
        (
            format!("S_CONTAINS({around}, geometry)"),
            vec![MARKT, BAHNHOF, ZONE],
        ),
        (
            "S_DISJOINT(geometry, POINT(10.1511 48.6767))".into(),
            vec![MARKT, BAHNHOF, CAFE, ZONE],
        ),
        (
            "S_CONTAINS(geometry, POINT(10.093 48.837))".into(),
            vec![ZONE],
        ),
        (
            "S_TOUCHES(geometry, LINESTRING(10.096 48.835, 10.1 48.835))".into(),
            vec![ZONE],
        ),
        (
            "S_CROSSES(geometry, LINESTRING(10.093 48.830, 10.093 48.850))".into(),
            vec![ZONE],
        ),
        ("S_EQUALS(geometry, POINT(10.07 48.83))".into(), vec![CAFE]),
        (
            "s_intersects(geometry, MULTIPOINT((10.0933 48.8378), (10.07 48.83))) and kw > 20"
                .into(),
            vec![MARKT, CAFE],
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(
            text(&engine, &t, &filter).await,
            sorted(&expected),
            "{filter}"
        );
    }
}

#[tokio::test]
async fn cql2_json_means_the_same_as_text() {
    let t = ladepunkte();
    let engine = Engine::new(QueryLimits::default());
    let pairs = [
        (
            "kw > 20 AND betreiber LIKE 'Stadtwerke%'",
            json!({"op": "and", "args": [
                {"op": ">", "args": [{"property": "kw"}, 20]},
                {"op": "like", "args": [{"property": "betreiber"}, "Stadtwerke%"]}]}),
        ),
        (
            "CASEI(betreiber) = casei('ENBW')",
            json!({"op": "=", "args": [{"op": "casei", "args": [{"property": "betreiber"}]}, {"op": "casei", "args": ["ENBW"]}]}),
        ),
        (
            "kw IN (11, 50)",
            json!({"op": "in", "args": [{"property": "kw"}, [11, 50]]}),
        ),
        (
            "kw BETWEEN 20 AND 30",
            json!({"op": "between", "args": [{"property": "kw"}, 20, 30]}),
        ),
        (
            "kw IS NULL",
            json!({"op": "isNull", "args": [{"property": "kw"}]}),
        ),
        (
            "T_DURING(seit, INTERVAL('2023-01-01', '2024-03-01'))",
            json!({"op": "t_during", "args": [{"property": "seit"}, {"interval": ["2023-01-01", "2024-03-01"]}]}),
        ),
        (
            "S_INTERSECTS(geometry, BBOX(10.05, 48.80, 10.12, 48.85))",
            json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [10.05, 48.80, 10.12, 48.85]}]}),
        ),
        (
            "S_CONTAINS(geometry, POINT(10.093 48.837))",
            json!({"op": "s_contains", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [10.093, 48.837]}]}),
        ),
    ];
    for (text_form, json_form) in pairs {
        let a = Filter::parse_text(text_form).unwrap();
        let b = Filter::parse_json(&json_form.to_string()).unwrap();
        assert_eq!(a, b, "{text_form}");
        assert!(
            !text(&engine, &t, text_form).await.is_empty(),
            "{text_form}"
        );
    }
}

#[tokio::test]
async fn bad_cql2_is_refused() {
    let t = ladepunkte();
    let engine = Engine::new(QueryLimits::default());
    for bad in [
        "kw >",
        "kw = 'a",
        "FOO(kw) = 1",
        "S_WITHIN(geometry, POLYGON((0 0, 1 1, 0 0)))",
        "S_DWITHIN(geometry, POINT(1 2), 10)",
        "seit > DATE('31.12.2024')",
        "BBOX(1, 2, 3)",
        "kw = 1 kw",
    ] {
        assert!(Filter::parse_text(bad).is_err(), "{bad}");
    }
    let deep = format!("{}kw = 1{}", "(".repeat(200), ")".repeat(200));
    assert!(Filter::parse_text(&deep).is_err());
    let long = format!("kw IN ({})", vec!["1"; 40_000].join(","));
    assert!(Filter::parse_text(&long).is_err());
    for bad in [
        r#"{"op": "=", "args": [1]}"#,
        r#"[1, 2]"#,
        r#"{"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": ["x"]}]}"#,
        r#"{"op": "and""#,
    ] {
        assert!(Filter::parse_json(bad).is_err(), "{bad}");
    }
    // Parsed, but not a query on this table.
    for bad in [
        "nope = 1",
        "S_WITHIN(kw, POINT(1 2))",
        "geometry = 'x'",
        "kw",
        "T_AFTER(name, DATE('2024-01-01'))",
        "S_INTERSECTS(geometry, geometry)",
    ] {
        let f = Filter::parse_text(bad).unwrap_or_else(|e| panic!("{bad}: {e:?}"));
        assert!(
            matches!(names(&engine, &t, f).await, Err(QueryError::Invalid(_))),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn features_keep_the_column_order() {
    let t = ladepunkte();
    let engine = Engine::new(QueryLimits::default());
    let page = engine
        .records(
            &t.t,
            &RecordsQuery {
                limit: Some(1),
                with_row_id: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let f =
        &allmende_table::query::json::features(&page.schema, &page.batches, Some("geometry"))[0];
    let keys: Vec<&String> = f["properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["name", "kw", "seit", "betreiber"]);
    assert_eq!(f["id"], 1);
}
