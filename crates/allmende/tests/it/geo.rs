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
    // The catalog says where the data lies (the metadata gives no bounding box).
    let ttl = s.get("/dataset/ladepunkte.ttl").await.text().await.unwrap();
    assert!(ttl.contains("POLYGON((10.0"), "{ttl}");
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

/// The `Nr` property of each feature of a FeatureCollection.
fn numbers(fc: &Value) -> Vec<i64> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["Nr"].as_i64().unwrap())
        .collect()
}

/// OGC API – Features: public spatial tables are collections, drafts never; items page with
/// `next`/`prev` links, filter by `bbox`, and one feature by its number.
async fn ogc_api_features(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    s.dataset(&ed, "stadt-aalen", "entwurf", "draft").await;
    let trees: Vec<Value> = (0..25)
        .map(|i| feature(10.0 + f64::from(i) * 0.01, 48.8, json!({"Nr": i + 1})))
        .collect();
    let upload = |slug: &'static str, features: Vec<Value>| {
        let s = &s;
        let ed = ed.clone();
        async move {
            let res = s
                .upload(
                    &ed,
                    slug,
                    "baeume.geojson",
                    collection("EPSG:4326", features),
                )
                .await;
            let id = body(res).await["id"].as_str().unwrap().to_string();
            // (A draft's table is the editor's to see.)
            for _ in 0..200 {
                let t = body(
                    s.get_as(&format!("/api/v1/resources/{id}/table"), &ed)
                        .await,
                )
                .await;
                if t["status"] == "done" {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            id
        }
    };
    let public = upload("baeume", trees.clone()).await;
    let draft = upload("entwurf", trees).await;

    let landing = body(s.get("/ogc").await).await;
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(
        rels,
        ["self", "alternate", "service-desc", "conformance", "data"]
    );
    let conf = body(s.get("/ogc/conformance").await).await;
    assert!(
        conf["conformsTo"]
            .to_string()
            .contains("ogcapi-features-1/1.0/conf/core")
    );
    let api = s.get("/ogc/api").await;
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("openapi")
    );
    assert_eq!(body(api).await["openapi"], "3.0.3");

    let list = body(s.get("/ogc/collections").await).await;
    let ids: Vec<&str> = list["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [public.as_str()], "drafts are never collections");
    for path in [
        format!("/ogc/collections/{draft}"),
        format!("/ogc/collections/{draft}/items"),
    ] {
        assert_eq!(s.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let c = body(s.get(&format!("/ogc/collections/{public}")).await).await;
    let b = &c["extent"]["spatial"]["bbox"][0];
    assert!(
        (b[2].as_f64().unwrap() - 10.24).abs() < 1e-9 && b[1] == 48.8,
        "{c}"
    );

    let items = s
        .get(&format!(
            "/ogc/collections/{public}/items?limit=10&offset=10"
        ))
        .await;
    assert_eq!(items.headers()["content-type"], "application/geo+json");
    let items = body(items).await;
    assert_eq!(items["numberMatched"], 25);
    assert_eq!(items["numberReturned"], 10);
    assert_eq!(items["features"][0]["id"], 11);
    assert_eq!(items["features"][0]["properties"]["Nr"], 11);
    let rels = items["links"].to_string();
    assert!(
        rels.contains("\"next\"") && rels.contains("\"prev\""),
        "{rels}"
    );
    let last = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?limit=10&offset=20"
        ))
        .await,
    )
    .await;
    assert_eq!(last["numberReturned"], 5);
    assert!(!last["links"].to_string().contains("\"next\""));
    let boxed = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?bbox=10.045,48.7,10.075,48.9"
        ))
        .await,
    )
    .await;
    assert_eq!(numbers(&boxed), [6, 7, 8]);
    assert_eq!(boxed["numberMatched"], 3);
    // Feature ids are the rows' numbers, whatever the filter.
    assert_eq!(boxed["features"][0]["id"], 6, "{boxed}");
    let paged = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?bbox=10.045,48.7,10.075,48.9&limit=2&offset=2"
        ))
        .await,
    )
    .await;
    assert_eq!(numbers(&paged), [8]);
    assert_eq!(paged["features"][0]["id"], 8);
    // Queryables: the attributes as a JSON Schema; each one a filter, all of them sortable.
    let q = body(
        s.get(&format!("/ogc/collections/{public}/queryables"))
            .await,
    )
    .await;
    assert_eq!(q["properties"]["Nr"]["type"], "integer", "{q}");
    assert_eq!(q["properties"]["geometry"]["format"], "geometry-any");
    let seven = body(
        s.get(&format!("/ogc/collections/{public}/items?Nr=7"))
            .await,
    )
    .await;
    assert_eq!(numbers(&seven), [7]);
    assert_eq!(seven["numberMatched"], 1);
    let sorted = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?sortby=-Nr&limit=3&bbox=10.045,48.7,10.2,48.9"
        ))
        .await,
    )
    .await;
    assert_eq!(numbers(&sorted), [21, 20, 19], "{sorted}");
    assert!(
        sorted["links"].to_string().contains("sortby=%2DNr"),
        "{sorted}"
    );
    // No date column: no feature lies in any time.
    let timed = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?datetime=2024-01-01/.."
        ))
        .await,
    )
    .await;
    assert_eq!(timed["numberMatched"], 0, "{timed}");
    // Every resource is also a page (Part 1, HTML): by `f=html` or a browser's Accept header.
    let page = |path: String, accept: Option<&'static str>| {
        let s = &s;
        async move {
            let mut req = s.client.get(s.url(&path));
            if let Some(a) = accept {
                req = req.header("accept", a);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let ct = res.headers()["content-type"].to_str().unwrap().to_string();
            (status, ct, res.text().await.unwrap())
        }
    };
    let browser = Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    let (status, ct, html) = page("/ogc".into(), browser).await;
    assert!(status.is_success() && ct.starts_with("text/html"), "{ct}");
    assert!(html.contains("/ogc/collections?f=html"), "{html}");
    let (_, ct, html) = page("/ogc/collections?f=html".into(), None).await;
    assert!(ct.starts_with("text/html"));
    assert!(
        html.contains(&format!("/ogc/collections/{public}/items?f=html")),
        "{html}"
    );
    assert!(!html.contains(&draft));
    let (_, _, html) = page(
        format!("/ogc/collections/{public}/items?limit=5&f=html"),
        None,
    )
    .await;
    assert!(html.contains("<th scope=\"col\">Nr</th>"), "{html}");
    assert!(html.contains("rel=\"next\""), "{html}");
    assert!(
        html.contains("offset=5") && html.contains("f=html"),
        "{html}"
    );
    let (_, _, html) = page(format!("/ogc/collections/{public}/items/7?f=html"), None).await;
    assert!(html.contains("Point") && html.contains(">7<"), "{html}");
    let (_, ct, _) = page("/ogc/conformance".into(), Some("application/json")).await;
    assert_eq!(ct, "application/json");
    // Clients that asked for JSON get their problems as JSON, browsers a page.
    let (status, ct, _) = page(format!("/ogc/collections/{public}/items?limit=0"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    let (status, ct, _) = page(format!("/ogc/collections/{draft}?f=html"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert_eq!(
        page("/ogc?f=xml".into(), None).await.0,
        StatusCode::BAD_REQUEST
    );
    // The overview image: every feature on a PNG, in two sizes; the dataset page shows it and
    // names it as the link preview; a draft's is nobody else's.
    let png = s
        .get(&format!("/api/v1/resources/{public}/overview.png"))
        .await;
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let dims = |b: &[u8]| {
        (
            u32::from_be_bytes(b[16..20].try_into().unwrap()),
            u32::from_be_bytes(b[20..24].try_into().unwrap()),
        )
    };
    assert_eq!(dims(&png), (640, 400));
    let large = s
        .get(&format!(
            "/api/v1/resources/{public}/overview.png?size=large"
        ))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(dims(&large), (1200, 630));
    assert_ne!(png, large);
    for (path, status) in [
        (
            format!("/api/v1/resources/{public}/overview.png?size=huge"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/v1/resources/{draft}/overview.png"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        assert_eq!(s.get(&path).await.status(), status, "{path}");
    }
    let (_, _, dataset_page) = page("/dataset/baeume".into(), browser).await;
    assert!(
        dataset_page.contains(&format!(
            "/api/v1/resources/{public}/overview.png?size=large\""
        )),
        "og:image"
    );
    assert!(dataset_page.contains("id=\"map-overview\""));
    // CQL2 (Part 3), in text and JSON, its geometries in another CRS when told.
    let filtered = |query: String| {
        let s = &s;
        let public = public.clone();
        async move {
            let res = s
                .get(&format!("/ogc/collections/{public}/items?{query}"))
                .await;
            let status = res.status();
            (status, body(res).await)
        }
    };
    let enc = |q: &str| {
        percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let conf = conf.to_string();
    for class in [
        "features-3/1.0/conf/filter",
        "cql2/1.0/conf/cql2-json",
        "conf/spatial-functions",
    ] {
        assert!(conf.contains(class), "{class}");
    }
    let (_, above) = filtered(format!("filter={}&limit=2", enc("Nr > 20"))).await;
    assert_eq!(numbers(&above), [21, 22]);
    assert_eq!(above["numberMatched"], 5);
    assert!(
        above["links"].to_string().contains("filter=Nr%20%3E%2020"),
        "{above}"
    );
    let (_, boxed) = filtered(format!(
        "filter={}",
        enc("S_INTERSECTS(geometry, BBOX(10.045, 48.7, 10.075, 48.9)) AND Nr <> 7")
    ))
    .await;
    assert_eq!(numbers(&boxed), [6, 8], "{boxed}");
    let within = json!({"op": "s_within", "args": [{"property": "geometry"}, {"type": "Polygon",
        "coordinates": [[[10.105, 48.7], [10.125, 48.7], [10.125, 48.9], [10.105, 48.9], [10.105, 48.7]]]}]});
    let (_, json_filtered) = filtered(format!(
        "filter-lang=cql2-json&filter={}",
        enc(&within.to_string())
    ))
    .await;
    assert_eq!(numbers(&json_filtered), [12, 13], "{json_filtered}");
    // EPSG:4326 is latitude first.
    let (_, lat_first) = filtered(format!(
        "filter={}&filter-crs={}",
        enc("S_INTERSECTS(geometry, BBOX(48.7, 10.045, 48.9, 10.075))"),
        enc("http://www.opengis.net/def/crs/EPSG/0/4326")
    ))
    .await;
    assert_eq!(numbers(&lat_first), [6, 7, 8], "{lat_first}");
    for bad in [
        format!("filter={}", enc("Nr >")),
        format!("filter={}", enc("Baumart = 'Linde'")),
        format!("filter={}", enc("S_WITHIN(Nr, POINT(10 48))")),
        format!("filter={}&filter-lang=ecql", enc("Nr = 1")),
        format!("filter={}&filter-crs=EPSG%3A4326", enc("Nr = 1")),
        "filter-lang=ecql".to_string(),
    ] {
        let (status, problem) = filtered(bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
    }
    for bad in [
        "Nr=sieben",
        "Baumart=Linde",
        "sortby=geometry",
        "datetime=gestern",
    ] {
        let res = s
            .get(&format!("/ogc/collections/{public}/items?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let res = s
        .get(&format!("/ogc/collections/{public}/items/7?Nr=7"))
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The same box in the records API, and in its exports.
    let records = body(
        s.get(&format!(
            "/api/v1/resources/{public}/records?bbox=10.045,48.7,10.075,48.9"
        ))
        .await,
    )
    .await;
    assert_eq!(records["total"], 3, "{records}");
    assert_eq!(records["records"][0]["Nr"], 6);
    let csv = s
        .get(&format!(
            "/api/v1/resources/{public}/records?bbox=10.045,48.7,10.075,48.9&format=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // SQL with PostGIS functions (geodatafusion): its intersection agrees with `bbox=`, and
    // computed geometries come out as GeoJSON like the tables' own.
    let alias = body(s.get(&format!("/api/v1/resources/{public}/table")).await).await["table_name"]
        .as_str()
        .unwrap()
        .to_string();
    let sql = |q: String| {
        let s = &s;
        async move {
            let url = format!(
                "/api/v1/sql?sql={}",
                percent_encoding::utf8_percent_encode(&q, percent_encoding::NON_ALPHANUMERIC)
            );
            s.get(&url).await
        }
    };
    let n = body(
        sql(format!(
            "select count(*) as n from {alias} where st_intersects(geometry, \
             st_geomfromtext('POLYGON((10.045 48.7, 10.075 48.7, 10.075 48.9, 10.045 48.9, 10.045 48.7))'))"
        ))
        .await,
    )
    .await;
    assert_eq!(n["records"][0]["n"], 3, "{n}");
    let xy = body(
        sql(format!(
            "select st_x(geometry) as x, st_y(geometry) as y, st_centroid(geometry) as c, \
             st_geometrytype(geometry) as t from {alias} where \"Nr\" = 7"
        ))
        .await,
    )
    .await;
    let r = &xy["records"][0];
    assert!((r["x"].as_f64().unwrap() - 10.06).abs() < 1e-9, "{xy}");
    assert!((r["y"].as_f64().unwrap() - 48.8).abs() < 1e-9, "{xy}");
    assert_eq!(r["c"]["type"], "Point", "{xy}");
    assert_eq!(r["t"], "ST_Point");
    // Metres on the sphere between neighbouring trees (0.01° of longitude at 48.8° N).
    let d = body(
        sql(format!(
            "select st_distancesphere(a.geometry, b.geometry) as m from {alias} a, {alias} b \
             where a.\"Nr\" = 7 and b.\"Nr\" = 8"
        ))
        .await,
    )
    .await;
    let m = d["records"][0]["m"].as_f64().unwrap();
    assert!((m - 732.43).abs() < 0.1, "{d}");
    // Not every function is for the public: a concave hull's cost grows faster than its input.
    let res = sql(format!("select st_concavehull(geometry, 0.5) from {alias}")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    for bad in [
        "bbox=1,2,3",
        "bbox=10,48,9,49",
        "bbox=10,95,11,96",
        "bbox=a,b,c,d",
    ] {
        let res = s
            .get(&format!("/api/v1/resources/{public}/records?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let one = body(s.get(&format!("/ogc/collections/{public}/items/7")).await).await;
    assert_eq!(one["properties"]["Nr"], 7);
    assert_eq!(one["geometry"]["type"], "Point");
    for bad in [
        "limit=0",
        "limit=x",
        "offset=-1",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=0,50,1,40",
        "ooga=booga",
    ] {
        let res = s
            .get(&format!("/ogc/collections/{public}/items?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // Part 2: features in UTM 32N or in EPSG:4326's latitude-first order; a bbox in UTM.
    let utm = "http://www.opengis.net/def/crs/EPSG/0/25832";
    let res = s
        .get(&format!("/ogc/collections/{public}/items/7?crs={utm}"))
        .await;
    assert_eq!(res.headers()["content-crs"], format!("<{utm}>"));
    let x = body(res).await["geometry"]["coordinates"][0]
        .as_f64()
        .unwrap();
    assert!((400_000.0..700_000.0).contains(&x), "{x}");
    let lat_first = body(
        s.get(&format!(
            "/ogc/collections/{public}/items/7?crs=http://www.opengis.net/def/crs/EPSG/0/4326"
        ))
        .await,
    )
    .await;
    assert_eq!(lat_first["geometry"]["coordinates"][0], 48.8);
    // 10.045–10.075 °E at 48.8 °N, as a UTM box: features 6, 7, 8 again.
    let boxed = body(
        s.get(&format!(
            "/ogc/collections/{public}/items?bbox=576700,5400000,578900,5410000&bbox-crs={utm}"
        ))
        .await,
    )
    .await;
    assert_eq!(numbers(&boxed), [6, 7, 8], "{boxed}");
    for bad in [
        "crs=EPSG:25832",
        "crs=http://www.opengis.net/def/crs/EPSG/0/2056",
    ] {
        let res = s
            .get(&format!("/ogc/collections/{public}/items?{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    for missing in ["0", "26", "x"] {
        let res = s
            .get(&format!("/ogc/collections/{public}/items/{missing}"))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

/// The Münster Shapefile set (Gauß-Krüger zone 3) zipped as a publisher uploads it.
fn muenster_zip() -> Vec<u8> {
    use std::io::Write;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../allmende-table/tests/fixtures/real/muenster_kommunalwahlbezirke_gk3_shp");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        let name = format!("33 KommunalwahlbezirkeGK3.{ext}");
        z.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&std::fs::read(dir.join(&name)).unwrap())
            .unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

/// Reads an export back with the data plane's own reader: rows, column names, first point.
fn read_back(bytes: &[u8], name: &str) -> (u64, Vec<String>, Option<[f64; 2]>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join(name);
    std::fs::write(&input, bytes).unwrap();
    let report = allmende_table::ingest(
        &input,
        Some(name),
        &Default::default(),
        allmende_table::Limits::default(),
        &dir.path().join("t.parquet"),
        &|_, _| {},
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let names = report
        .columns
        .iter()
        .filter(|c| c.kind != allmende_table::ColumnType::Geometry)
        .map(|c| c.name.clone())
        .collect();
    let bbox = report.dialect["bbox"]
        .as_array()
        .map(|b| [b[0].as_f64().unwrap(), b[1].as_f64().unwrap()]);
    (report.rows, names, bbox, report.dialect.clone())
}

/// A Shapefile ZIP goes in through the upload; every GIS export comes out and reads back
/// with the same features, extent and (where the format keeps them) attribute names.
async fn gis_files_in_and_out(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-muenster", "Stadt Münster").await;
    let ed = s
        .user("ed", false, Some(("stadt-muenster", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-muenster", "wahlbezirke", "public")
        .await;
    let res = s
        .upload(&ed, "wahlbezirke", "wahlbezirke.zip", muenster_zip())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = body(res).await;
    assert_eq!(created["format"], "SHP", "{created}");
    let rid = created["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &rid, 1).await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["rows"], 33);
    assert_eq!(t["format"], "shapefile");
    assert_eq!(t["dialect"]["crs"], "EPSG:31467", "{t}");
    let names: Vec<String> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] != "geometry")
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let bbox = [
        t["dialect"]["bbox"][0].as_f64().unwrap(),
        t["dialect"]["bbox"][1].as_f64().unwrap(),
    ];
    let offered: Vec<&str> = t["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["format"].as_str().unwrap())
        .collect();
    for f in ["geojson", "gpkg", "fgb", "shp", "kml", "gpx"] {
        assert!(offered.contains(&f), "{f} not in {offered:?}");
    }
    let near = |b: Option<[f64; 2]>, tolerance: f64| {
        b.is_some_and(|b| (b[0] - bbox[0]).abs() < tolerance && (b[1] - bbox[1]).abs() < tolerance)
    };
    for (format, file, same_names, tolerance) in [
        ("gpkg", "x.gpkg", true, 1e-9),
        ("shp", "x.zip", false, 1e-9),
        ("kml", "x.kml", false, 1e-9),
        ("gpx", "x.gpx", false, 1e-9),
        // Back through Gauß-Krüger (millimetres) and the datum shift twice.
        ("geojson?crs=EPSG:31467", "x.geojson", true, 1e-6),
    ] {
        let res = s
            .get(&format!("/api/v1/resources/{rid}/export/{format}"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{format}");
        let bytes = res.bytes().await.unwrap();
        let (rows, got, b, dialect) = read_back(&bytes, file);
        assert_eq!(rows, 33, "{format}");
        assert!(near(b, tolerance), "{format}: {b:?} vs {bbox:?}");
        if same_names {
            assert_eq!(got, names, "{format}");
        }
        if format.starts_with("geojson") {
            assert_eq!(dialect["crs"], "EPSG:31467", "{format}");
        }
    }
    // FlatGeobuf (GDAL reads it in CI): the magic bytes, then a size-prefixed header.
    let fgb = s
        .get(&format!("/api/v1/resources/{rid}/export/fgb"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&fgb[..8], b"fgb\x03fgb\x00");
    assert!(fgb.len() > 1000);
    // KML keeps every attribute, the Shapefile as many (names cut to ten characters).
    let kml = s
        .get(&format!("/api/v1/resources/{rid}/export/kml"))
        .await
        .bytes()
        .await
        .unwrap();
    let (_, kml_names, _, _) = read_back(&kml, "x.kml");
    assert!(names.iter().all(|n| kml_names.contains(n)), "{kml_names:?}");
    // In the catalogs: CKAN's `spatial` extra from the data's extent, and in DCAT the OGC API
    // as a data service behind the table's collection.
    let pkg = body(s.get("/api/3/action/package_show?id=wahlbezirke").await).await;
    let spatial = pkg["result"]["extras"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "spatial")
        .map(|e| e["value"].as_str().unwrap().to_string())
        .expect("spatial extra");
    let polygon: Value = serde_json::from_str(&spatial).unwrap();
    let west = polygon["coordinates"][0][0][0].as_f64().unwrap();
    assert!((west - bbox[0]).abs() < 1e-9, "{spatial}");
    let ttl = s.get("/catalog.ttl").await.bytes().await.unwrap().to_vec();
    let triples: Vec<String> = oxrdfio::RdfParser::from_format(oxrdfio::RdfFormat::Turtle)
        .for_reader(&ttl[..])
        .map(|q| q.expect("valid RDF").to_string())
        .collect();
    let ogc = format!("<{}>", s.url("/ogc"));
    let collection = format!("<{}>", s.url(&format!("/ogc/collections/{rid}")));
    let has = |needle: &[&str]| triples.iter().any(|t| needle.iter().all(|n| t.contains(n)));
    assert!(
        has(&[&ogc, "rdf-syntax-ns#type", "dcat#DataService"]),
        "no OGC service"
    );
    assert!(
        has(&["dcat#accessURL", &collection]),
        "no collection distribution"
    );
    assert!(
        has(&["dcat#accessService", &ogc]),
        "the collection's service"
    );
    assert!(has(&[&ogc, "dcat#servesDataset"]));
    // A CRS that is not supported, or `crs` on another format, is a 400.
    for bad in ["geojson?crs=EPSG:2056", "csv?crs=EPSG:25832"] {
        let res = s
            .get(&format!("/api/v1/resources/{rid}/export/{bad}"))
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// A large layer is drawn view by view: the features themselves in a small view, their counts
/// in a grid in a large one, and every feature counted exactly once.
async fn map_views_of_large_layers(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "laternen", "public").await;
    // 1,500 street lights on a 50 × 30 raster around Aalen.
    let lights: Vec<Value> = (0..1500)
        .map(|i| {
            let (col, row) = (f64::from(i % 50), f64::from(i / 50));
            feature(
                10.05 + col * 0.002,
                48.82 + row * 0.001,
                json!({"Nr": i + 1}),
            )
        })
        .collect();
    let res = s
        .upload(
            &ed,
            "laternen",
            "laternen.geojson",
            collection("EPSG:4326", lights),
        )
        .await;
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_table(&s, &rid, 1).await["status"], "done");
    let view = |bbox: &str| {
        let s = &s;
        let url = format!("/api/v1/resources/{rid}/map?bbox={bbox}");
        async move { body(s.get(&url).await).await }
    };
    let all = view("10.0,48.8,10.2,48.9").await;
    assert_eq!(all["clustered"], true, "{all}");
    assert_eq!(all["matched"], 1500);
    let counted: u64 = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, 1500, "every feature in exactly one cell");
    assert!(all["features"].as_array().unwrap().len() <= 16 * 10);
    // The map says its size in cells; at most 64 × 64.
    let coarse = view("10.0,48.8,10.2,48.9&columns=4&rows=2").await;
    assert!(
        coarse["features"].as_array().unwrap().len() <= 8,
        "{coarse}"
    );
    let fine = view("10.0,48.8,10.2,48.9&columns=100000&rows=1").await;
    assert!(fine["features"].as_array().unwrap().len() <= 64, "{fine}");
    // A small view: the features themselves, with their attributes (10 × 5 lights).
    let few = view("10.0499,48.8199,10.0681,48.8241").await;
    assert_eq!(few["clustered"], false, "{few}");
    assert_eq!(few["matched"], 50, "{few}");
    assert_eq!(few["features"][0]["geometry"]["type"], "Point");
    assert!(few["features"][0]["properties"]["Nr"].is_number());
    for bad in ["", "?bbox=1,2,3", "?bbox=10,48,9,49", "?zoom=3"] {
        let res = s.get(&format!("/api/v1/resources/{rid}/map{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // 1,500 features still go to the browser whole; the page draws by views above 5,000.
    let page = s
        .get(&format!("/dataset/laternen/resource/{rid}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-geojson=") && !page.contains("data-view="));
}

/// With `map_style_url` the map pages load MapLibre (shipped, module and worker from this
/// origin) and the CSP lets the style's origin be fetched; without it nothing of that.
async fn vector_basemap_is_configured(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.map_style_url =
            "https://sgx.geodatenzentrum.de/gdz_basemapde_vektor/styles/bm_web_col.json".into();
    })
    .await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "ladepunkte", "public").await;
    let bytes = collection(
        "urn:ogc:def:crs:EPSG::25832",
        vec![feature(
            580225.4211,
            5410001.3090,
            json!({"Name": "Marktplatz"}),
        )],
    );
    let res = s
        .upload(&ed, "ladepunkte", "ladepunkte.geojson", bytes)
        .await;
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    wait_table(&s, &rid, 1).await;
    let page = s.get(&format!("/dataset/ladepunkte/resource/{rid}")).await;
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("connect-src 'self' https://sgx.geodatenzentrum.de"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("data-style=\"https://sgx.geodatenzentrum.de/"),
        "{html}"
    );
    assert!(html.contains("<script type=\"module\" src=\"/static/basemap.mjs\">"));
    for (path, kind) in [
        ("/static/basemap.mjs", "text/javascript"),
        ("/static/vendor/maplibre/maplibre-gl.mjs", "text/javascript"),
        (
            "/static/vendor/maplibre/maplibre-gl-worker.mjs",
            "text/javascript",
        ),
        (
            "/static/vendor/maplibre/leaflet-maplibre-gl.js",
            "text/javascript",
        ),
        ("/static/vendor/maplibre/maplibre-gl.css", "text/css"),
    ] {
        let res = s.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}: modules need a JavaScript type"
        );
    }
    // The default portal: raster tiles, no MapLibre, no extra origin to fetch from.
    let plain = TestServer::start(backend).await;
    let csp = plain.get("/").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("connect-src 'self';"), "{csp}");
}

crate::both_backends!(
    vector_basemap_is_configured,
    map_views_of_large_layers,
    gis_files_in_and_out,
    geojson_becomes_a_spatial_table,
    geodata_about_persons_is_gated,
    ogc_api_features
);
