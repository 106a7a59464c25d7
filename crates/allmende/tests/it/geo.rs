//! Geodata through the server: a GeoJSON upload becomes a spatial table (records with GeoJSON
//! geometries in WGS 84, a GeoJSON export, WKT in CSV), the CRS can be set when reading again,
//! and the privacy check and its gate cover the attributes and the places.

use allmende_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::data::wait_table;
use crate::harness::{Backend, TestServer, json as body};

fn feature(x: f64, y: f64, props: Value) -> Value {
    json!({"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [x, y]}})
}

fn collection(crs: &str, features: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": crs}}, "features": features}))
    .unwrap()
}

async fn geojson_becomes_a_spatial_table(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "ladepunkte", "public").await;
    // Aalen's market square and the station, in ETRS89 / UTM 32N (values from PROJ's cs2cs).
    let bytes = collection(
        "urn:ogc:def:crs:EPSG::25832",
        vec![
            feature(
                580225.4211,
                5410001.3090,
                json!({"Name des Standorts": "Marktplatz", "kW": 22}),
            ),
            feature(
                579_500.0,
                5_409_500.0,
                json!({"Name des Standorts": "Bahnhof", "kW": 50}),
            ),
        ],
    );
    let res = s
        .upload(&ed, "ladepunkte", "ladepunkte.geojson", bytes)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &rid, 1).await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["dialect"]["crs"], "EPSG:25832", "{t}");
    let kinds: Vec<(&str, &str)> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Name des Standorts", "text"),
            ("kW", "integer"),
            ("geometry", "geometry")
        ]
    );
    assert!(t["exports"].to_string().contains("/export/geojson"));

    let records = body(s.get(&format!("/api/v1/resources/{rid}/records")).await).await;
    let g = &records["records"][0]["geometry"];
    assert_eq!(g["type"], "Point", "{records}");
    let (lon, lat) = (
        g["coordinates"][0].as_f64().unwrap(),
        g["coordinates"][1].as_f64().unwrap(),
    );
    assert!(
        (lon - 10.0933).abs() < 1e-7 && (lat - 48.8378).abs() < 1e-7,
        "{g}"
    );
    let field = records["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "geometry")
        .cloned();
    assert_eq!(field.unwrap()["type"], "geojson");

    let res = s
        .get(&format!("/api/v1/resources/{rid}/export/geojson"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/geo+json")
    );
    let fc: Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    assert_eq!(fc["features"].as_array().unwrap().len(), 2);
    assert_eq!(
        fc["features"][1]["properties"]["Name des Standorts"],
        "Bahnhof"
    );
    let csv = s
        .get(&format!("/api/v1/resources/{rid}/export/csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines().nth(1).unwrap().contains("POINT (10.093"),
        "{csv}"
    );

    // The publisher says the file's CRS is wrong: read again as Gauß-Krüger, or refused.
    let again = |crs: &'static str| {
        let s = &s;
        let ed = ed.clone();
        let path = format!("/api/v1/resources/{rid}/ingest");
        async move { s.post_json(&path, &ed, &json!({ "crs": crs })).await }
    };
    assert_eq!(again("EPSG:9999").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(again("EPSG:31467").await.status(), StatusCode::ACCEPTED);
    let t = wait_table(&s, &rid, 2).await;
    // UTM values are no Gauß-Krüger coordinates: said, and those geometries left empty.
    assert_eq!(t["dialect"]["crs_source"], "given", "{t}");
    assert!(
        t["warnings"]
            .to_string()
            .contains("außerhalb des Bereichs von EPSG:31467"),
        "{t}"
    );

    // Bad geodata fails the version with a message and leaves the served one alone.
    let res = s
        .upload(&ed, "ladepunkte", "kaputt.geojson", br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Circle","coordinates":[1,2]}}]}"#.to_vec())
        .await;
    let bad = body(res).await["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &bad, 1).await;
    assert_eq!(t["versions"][0]["status"], "failed");
    assert!(
        t["versions"][0]["message"]
            .as_str()
            .unwrap()
            .contains("keine gültige Geometrie"),
        "{t}"
    );
}

/// A GeoJSON of persons: its attribute columns and its places are findings, and the dataset
/// cannot become public.
async fn geodata_about_persons_is_gated(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "hausbesuche", "draft").await;
    let bytes = collection(
        "EPSG:4326",
        vec![
            feature(
                10.0931,
                48.8371,
                json!({"Name": "Mustermann", "Vorname": "Max", "Telefon": "07361 52-1234"}),
            ),
            feature(
                10.0942,
                48.8382,
                json!({"Name": "Schmidt", "Vorname": "Anna", "Telefon": "0151 2345678"}),
            ),
            feature(
                10.0953,
                48.8393,
                json!({"Name": "Yilmaz", "Vorname": "Mehmet", "Telefon": "+49 7321 98765"}),
            ),
        ],
    );
    let rid = body(s.upload(&ed, "hausbesuche", "besuche.geojson", bytes).await).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let report = crate::privacy::wait_checked(&s, &rid, &ed, 1).await;
    let flagged = report.to_string();
    assert!(
        flagged.contains("\"Vorname\"") && flagged.contains("coordinates"),
        "{report}"
    );
    let res = s
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/datasets/hausbesuche",
            Some(&ed),
            &json!({"visibility": "public", "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

crate::both_backends!(
    geojson_becomes_a_spatial_table,
    geodata_about_persons_is_gated
);
