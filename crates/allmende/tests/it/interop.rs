//! Interoperability through HTTP: the DCAT-AP.de catalog (three serializations of one graph,
//! hydra paging, modified_since, content negotiation), the CKAN Action API (envelope, reads,
//! writes, DataStore, CKAN-shaped errors), and Frictionless Data Packages. Private, draft and
//! deleted data never appears in any of them. The real clients (pySHACL, ckanapi,
//! frictionless) run against the demo in scripts/test.

use std::collections::BTreeSet;

use allmende_core::Role;
use allmende_core::validate::DatasetInput;
use oxrdfio::{RdfFormat, RdfParser};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer, json as body};

type Triples = BTreeSet<String>;

fn parse(bytes: &[u8], format: RdfFormat) -> Triples {
    RdfParser::from_format(format)
        .for_reader(bytes)
        .map(|q| q.expect("valid RDF").to_string())
        .collect()
}

struct Got {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
}

impl Got {
    fn status(&self) -> StatusCode {
        self.status
    }
    fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

async fn rdf(s: &TestServer, path: &str, accept: Option<&str>) -> (Got, Vec<u8>) {
    let mut req = s.client.get(s.url(path));
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    let res = req.send().await.expect("GET");
    let head = Got {
        status: res.status(),
        headers: res.headers().clone(),
    };
    let bytes = res.bytes().await.expect("body").to_vec();
    (head, bytes)
}

const EDGE_DESCRIPTION: &str = "# Überschrift\n\nText mit **Markdown**, <script>alert(1)</script>, \"Anführungen\", \\Backslash und Emoji 🌳 sowie einem Zeilen\numbruch; Ünïcödé ß.";

async fn setup(s: &TestServer) -> (String, String) {
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let res = s
        .post_json(
            "/api/v1/datasets",
            &ed,
            &json!({"slug": "baeume-aalen", "title": "Bäume in Aalen – „Stadtgrün“", "description": EDGE_DESCRIPTION,
                "organization": "stadt-aalen", "license": "dl-by-de/2.0", "keywords": ["Bäume", "Umwelt & Natur"],
                "themes": ["ENVI", "REGI"], "contact": {"name": "Grünflächenamt", "email": "gruen@aalen.de"},
                "issued": "2024-01-15", "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
                "spatial": {"name": "Aalen", "ags": "08136088", "bbox": [10.0, 48.7, 10.2, 48.9]},
                "frequency": "ANNUAL", "version": "2.1", "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Only the required fields.
    let res = s
        .post_json(
            "/api/v1/datasets",
            &ed,
            &json!({"slug": "minimal", "title": "Minimal", "description": "Nur Pflichtfelder.",
                "organization": "stadt-aalen", "license": "cc-zero", "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{:?}", res.text().await);
    s.dataset(&ed, "stadt-aalen", "geheim-privat", "private")
        .await;
    s.dataset(&ed, "stadt-aalen", "entwurf-draft", "draft")
        .await;
    s.dataset(&ed, "stadt-aalen", "geloescht-weg", "public")
        .await;
    let del = s
        .send_json(
            reqwest::Method::DELETE,
            "/api/v1/datasets/geloescht-weg",
            Some(&ed),
            &json!({}),
        )
        .await;
    assert!(del.status().is_success());
    let up = s
        .upload(
            &ed,
            "baeume-aalen",
            "baeume.csv",
            "Art;Anzahl;Gepflanzt\nLinde;12;01.03.2020\nEiche;7;15.10.2021\n".into(),
        )
        .await;
    let rid = body(up).await["id"].as_str().expect("id").to_string();
    for _ in 0..200 {
        let r = s.get(&format!("/api/v1/resources/{rid}")).await;
        if body(r).await["table_version"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    (ed, rid)
}

fn hidden(text: &str) {
    for secret in ["geheim-privat", "entwurf-draft", "geloescht-weg"] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
}

async fn dcat_catalog(backend: Backend) {
    let s = TestServer::start_with(backend, |c| c.contributor_id = "datenBW".into()).await;
    let (ed, rid) = setup(&s).await;
    let (head, ttl) = rdf(&s, "/catalog.ttl", None).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let text = String::from_utf8(ttl.clone()).expect("utf8");
    hidden(&text);
    let graph = parse(&ttl, RdfFormat::Turtle);
    // The same graph in every serialization (but for the paging links, which name the file).
    let without_paging = |g: &Triples| -> Triples {
        g.iter()
            .filter(|t| !t.starts_with(&format!("<{}/catalog.", s.base)))
            .cloned()
            .collect()
    };
    let (_, xml) = rdf(&s, "/catalog.rdf", None).await;
    let xml = parse(&xml, RdfFormat::RdfXml);
    assert_eq!(without_paging(&xml), without_paging(&graph));
    assert!(
        xml.iter()
            .any(|t| t.contains("catalog.rdf?page=1> <http://www.w3.org/ns/hydra/core#first>"))
    );
    let (_, jsonld) = rdf(&s, "/catalog.jsonld", None).await;
    let jsonld_format = RdfFormat::JsonLd {
        profile: oxrdfio::JsonLdProfileSet::empty(),
    };
    assert_eq!(
        without_paging(&parse(&jsonld, jsonld_format)),
        without_paging(&graph)
    );
    let has = |needle: &str| graph.iter().any(|t| t.contains(needle));
    for expected in [
        "<http://www.w3.org/ns/dcat#Catalog>",
        "\"Bäume in Aalen – „Stadtgrün“\"@de",
        "<http://dcat-ap.de/def/licenses/dl-by-de/2.0>",
        "<http://publications.europa.eu/resource/authority/data-theme/ENVI>",
        "<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/08136088>",
        "<http://dcat-ap.de/def/contributors/datenBW>",
        "<mailto:gruen@aalen.de>",
        "<http://www.w3.org/ns/dcat#DataService>",
        "http://www.w3.org/ns/hydra/core#PagedCollection",
        "\"2024-12-31\"^^<http://www.w3.org/2001/XMLSchema#date>",
        "<http://publications.europa.eu/resource/authority/frequency/ANNUAL>",
    ] {
        assert!(has(expected), "missing {expected}");
    }
    // Markdown, quotes, control-free Unicode survive as one literal.
    assert!(
        graph
            .iter()
            .any(|t| t.contains("Emoji 🌳") && t.contains("<script>"))
    );
    // The table's exports and records API are distributions.
    for f in ["csv", "json", "xlsx", "parquet"] {
        assert!(
            has(&format!("/api/v1/resources/{rid}/export/{f}>")),
            "{f} export"
        );
    }
    assert!(has(&format!("/api/v1/resources/{rid}/records>")));
    // A dataset alone, by ending and by Accept.
    let (head, one) = rdf(&s, "/dataset/baeume-aalen.ttl", None).await;
    assert_eq!(head.status(), StatusCode::OK);
    let one = parse(&one, RdfFormat::Turtle);
    assert!(one.iter().any(|t| t.contains("Grünflächenamt")));
    assert!(one.is_subset(&graph) || one.len() > 10);
    let (head, by_accept) = rdf(&s, "/dataset/baeume-aalen", Some("application/ld+json")).await;
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["vary"], "Accept");
    assert_eq!(parse(&by_accept, jsonld_format), one);
    let (head, page) = rdf(
        &s,
        "/dataset/baeume-aalen",
        Some("text/html,application/xhtml+xml"),
    )
    .await;
    assert_eq!(head.status(), StatusCode::OK);
    let page = String::from_utf8_lossy(&page);
    assert!(page.contains("<html"));
    // The page names its RDF representations (public datasets only).
    assert!(page.contains("href=\"/dataset/baeume-aalen.ttl\""));
    assert!(page.contains("type=\"application/ld+json\" title=\"DCAT-AP.de (JSON-LD)\""));
    let (head, _) = rdf(&s, "/catalog", Some("text/turtle")).await;
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    let (head, _) = rdf(&s, "/catalog", Some("text/html")).await;
    assert!(head.status().is_redirection());
    // Private, draft and deleted datasets have no RDF, whoever asks.
    let member = s
        .user("mia", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    for slug in ["geheim-privat", "entwurf-draft", "geloescht-weg"] {
        let res = s.get_as(&format!("/dataset/{slug}.ttl"), &member).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{slug}");
        let res = s.get_as("/catalog.ttl", &member).await;
        hidden(&res.text().await.unwrap());
    }
    // Pages come from a cache, but never a stale one: a change shows at once.
    let patched = s
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/datasets/minimal",
            Some(&ed),
            &json!({"title": "Minimal, geändert"}),
        )
        .await;
    assert!(patched.status().is_success());
    let (_, again) = rdf(&s, "/catalog.ttl", None).await;
    let again = String::from_utf8(again).expect("utf8");
    assert!(again.contains("Minimal, geändert"));
    // modified_since: later than everything → no datasets; bad values → 400.
    let (_, later) = rdf(&s, "/catalog.ttl?modified_since=2999-01-01", None).await;
    let later = parse(&later, RdfFormat::Turtle);
    assert!(!later.iter().any(|t| t.contains("#Dataset>")));
    assert!(
        later
            .iter()
            .any(|t| t.contains("totalItems") && t.contains("\"0\""))
    );
    let (_, earlier) = rdf(&s, "/catalog.ttl?modified_since=2000-01-01T00:00:00Z", None).await;
    assert!(
        parse(&earlier, RdfFormat::Turtle)
            .iter()
            .any(|t| t.contains("#Dataset>"))
    );
    for bad in ["modified_since=gestern", "page=0", "page=x"] {
        let res = s.get(&format!("/catalog.ttl?{bad}")).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// 260 public datasets straight into the catalog (fast), then waits for search.
async fn many(s: &TestServer, n: usize) {
    let org = s
        .catalog
        .organization("stadt-aalen", &allmende_core::authz::ReadScope::All)
        .await
        .expect("org")
        .expect("exists");
    for i in 0..n {
        let f = DatasetInput {
            slug: Some(format!("massen-{i:04}")),
            title: Some(format!("Massendatensatz {i}")),
            description: Some("Für Paging-Tests.".into()),
            license: Some("dl-zero-de/2.0".into()),
            organization: Some("stadt-aalen".into()),
            keywords: Some(vec![format!("k{}", i % 7)]),
            ..Default::default()
        }
        .validate()
        .expect("valid");
        s.catalog.create_dataset(&f, org.id).await.expect("create");
    }
}

async fn ckan(
    s: &TestServer,
    action: &str,
    token: Option<&str>,
    params: &Value,
) -> (StatusCode, Value) {
    let mut req = s
        .client
        .post(s.url(&format!("/api/3/action/{action}")))
        .json(params);
    if let Some(t) = token {
        req = req.header("Authorization", t);
    }
    let res = req.send().await.expect("POST");
    let status = res.status();
    (status, res.json().await.expect("json"))
}

async fn ckan_get(s: &TestServer, query: &str) -> (StatusCode, Value) {
    let res = s.get(&format!("/api/3/action/{query}")).await;
    let status = res.status();
    (status, res.json().await.expect("json"))
}

async fn paging_and_catalog_pages(backend: Backend) {
    let s = TestServer::start(backend).await;
    let (_ed, _) = setup(&s).await;
    many(&s, 260).await;
    s.wait_for_search("/api/v1/datasets?per_page=1", 262).await;
    // A harvester's loop: rows=100, sort=id asc, until a page is empty.
    let mut seen = Vec::new();
    let mut start = 0;
    loop {
        let (status, r) = ckan_get(
            &s,
            &format!("package_search?rows=100&start={start}&sort=id%20asc&q=*:*"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(r["result"]["count"], 262);
        let results = r["result"]["results"].as_array().expect("results").clone();
        if results.is_empty() {
            break;
        }
        for p in &results {
            // Full dicts, with resources.
            assert!(p["resources"].is_array() && p["organization"]["name"] == "stadt-aalen");
            seen.push(p["id"].as_str().expect("id").to_string());
        }
        start += 100;
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 262);
    assert_eq!(unique.len(), 262, "every dataset exactly once");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "in id order");
    hidden(&seen.join(" "));
    // package_list: every public name, sorted.
    let (_, list) = ckan_get(&s, "package_list").await;
    let names: Vec<&str> = list["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(names.len(), 262);
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    // The DCAT catalog in pages of 100 with hydra links.
    let mut all = BTreeSet::new();
    let mut next = Some("/catalog.ttl".to_string());
    let mut pages = 0;
    while let Some(path) = next.take() {
        let (_, ttl) = rdf(&s, &path, None).await;
        let g = parse(&ttl, RdfFormat::Turtle);
        pages += 1;
        for t in &g {
            if t.contains("<http://www.w3.org/ns/dcat#dataset>") {
                all.insert(t.clone());
            }
            if t.contains("hydra/core#next>") && !t.contains("nextPage") {
                let iri = t
                    .rsplit('<')
                    .next()
                    .unwrap()
                    .trim_end_matches(['>', ' ', '.']);
                next = Some(iri.trim_start_matches(&s.base).to_string());
            }
            if t.contains("totalItems") {
                assert!(t.contains("\"262\""), "{t}");
            }
        }
        assert!(pages <= 3);
    }
    assert_eq!(pages, 3);
    assert_eq!(all.len(), 262);
}

async fn ckan_actions(backend: Backend) {
    let s = TestServer::start(backend).await;
    let (ed, rid) = setup(&s).await;
    let (_, st) = ckan_get(&s, "status_show").await;
    assert_eq!(st["success"], true);
    assert!(st["help"].as_str().unwrap().contains("help_show"));
    assert_eq!(st["result"]["ckan_version"], "2.11.0");
    let v: Value = s.get("/api/3").await.json().await.unwrap();
    assert_eq!(v["version"], 3);
    // package_show: by name and id; private only for members.
    let (status, p) = ckan_get(&s, "package_show?id=baeume-aalen").await;
    assert_eq!(status, StatusCode::OK);
    let p = &p["result"];
    assert_eq!(p["title"], "Bäume in Aalen – „Stadtgrün“");
    assert_eq!(p["license_id"], "dl-by-de/2.0");
    assert_eq!(p["groups"][0]["name"], "envi");
    assert!(
        p["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Bäume")
    );
    assert_eq!(p["resources"][0]["datastore_active"], true);
    assert_eq!(p["organization"]["name"], "stadt-aalen");
    let (status, e) = ckan_get(&s, "package_show?id=geheim-privat").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(e["success"], false);
    assert_eq!(e["error"]["__type"], "Not Found Error");
    let res = s
        .client
        .get(s.url("/api/3/action/package_show?id=geheim-privat"))
        .header("Authorization", &ed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Search: filters, facets, private only on request.
    let (_, r) = ckan_get(
        &s,
        "package_search?q=B%C3%A4ume&fq=organization:stadt-aalen&facet.field=%5B%22groups%22,%22tags%22%5D",
    )
    .await;
    assert_eq!(r["result"]["count"], 1);
    assert_eq!(
        r["result"]["search_facets"]["groups"]["items"][0]["count"],
        1
    );
    let (_, r) = ckan_get(&s, "package_search?rows=1000").await;
    hidden(&r.to_string());
    let res = s
        .client
        .get(s.url("/api/3/action/package_search?include_private=true&rows=100"))
        .header("Authorization", &ed)
        .send()
        .await
        .unwrap();
    let r: Value = res.json().await.unwrap();
    let text = r.to_string();
    assert!(text.contains("geheim-privat"));
    assert!(!text.contains("entwurf-draft") && !text.contains("geloescht-weg"));
    // Organizations, groups, tags, licences, resources.
    let (_, orgs) = ckan_get(&s, "organization_list?all_fields=true").await;
    assert_eq!(orgs["result"][0]["name"], "stadt-aalen");
    let (_, g) = ckan_get(&s, "group_show?id=envi").await;
    assert_eq!(g["result"]["package_count"], 1);
    let (_, tags) = ckan_get(&s, "tag_list").await;
    assert!(
        tags["result"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "Bäume")
    );
    assert!(
        !tags.to_string().contains("Test"),
        "tags of private datasets leaked"
    );
    let (_, l) = ckan_get(&s, "license_list").await;
    assert!(
        l["result"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == "cc-by/4.0")
    );
    let (_, r) = ckan_get(&s, &format!("resource_show?id={rid}")).await;
    assert_eq!(r["result"]["format"], "CSV");

    // DataStore.
    let (status, d) = ckan(
        &s,
        "datastore_search",
        None,
        &json!({"resource_id": rid, "filters": {"Art": "Linde"}, "limit": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    let d = &d["result"];
    assert_eq!(d["total"], 1);
    assert_eq!(d["records"][0]["Anzahl"], 12);
    assert_eq!(d["records"][0]["Gepflanzt"], "2020-03-01");
    assert!(
        d["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "Anzahl" && f["type"] == "int")
    );
    let (_, d) = ckan_get(
        &s,
        &format!("datastore_search?resource_id={rid}&sort=Anzahl%20desc&records_format=lists&fields=Art,Anzahl"),
    )
    .await;
    assert_eq!(d["result"]["records"], json!([["Linde", 12], ["Eiche", 7]]));
    let (_, d) = ckan_get(
        &s,
        &format!("datastore_search?resource_id={rid}&records_format=csv&sort=Art"),
    )
    .await;
    assert_eq!(
        d["result"]["records"],
        "Eiche,7,2021-10-15\r\nLinde,12,2020-03-01\r\n"
    );
    let (status, d) = ckan(
        &s,
        "datastore_search_sql",
        None,
        &json!({"sql": format!("SELECT sum(\"Anzahl\") AS n FROM \"{rid}\"")}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{d}");
    assert_eq!(d["result"]["records"][0]["n"], 19);

    // Writes with the token, raw in Authorization as ckanapi sends it.
    let (status, created) = ckan(
        &s,
        "package_create",
        Some(&ed),
        &json!({"name": "neu-per-ckan", "title": "Neu per CKAN", "notes": "Angelegt über die Action API.",
            "owner_org": "stadt-aalen", "license_id": "cc-by/4.0", "tags": [{"name": "Neu"}], "groups": [{"name": "tran"}],
            "extras": [{"key": "issued", "value": "2024-05-01"}, {"key": "Quelle", "value": "Test"}],
            "release_checklist": crate::harness::release()}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["result"]["name"], "neu-per-ckan");
    assert_eq!(created["result"]["groups"][0]["name"], "tran");
    let (status, patched) = ckan(
        &s,
        "package_patch",
        Some(&ed),
        &json!({"id": "neu-per-ckan", "title": "Neu (geändert)"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["result"]["title"], "Neu (geändert)");
    assert_eq!(patched["result"]["license_id"], "cc-by/4.0");
    // Upload a table through resource_create (multipart, field `upload`).
    let form = reqwest::multipart::Form::new()
        .text("package_id", "neu-per-ckan")
        .text("name", "Zählung")
        .part(
            "upload",
            reqwest::multipart::Part::bytes(b"Ort,Zahl\nA,1\nB,2\n".to_vec())
                .file_name("zaehlung.csv"),
        );
    let res = s
        .client
        .post(s.url("/api/action/resource_create"))
        .header("Authorization", &ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let r: Value = res.json().await.unwrap();
    assert_eq!(r["result"]["name"], "Zählung");
    assert_eq!(r["result"]["url_type"], "upload");
    let (_, shown) = ckan_get(&s, "package_show?id=neu-per-ckan").await;
    assert_eq!(shown["result"]["num_resources"], 1);
    let (status, link) = ckan(
        &s,
        "resource_create",
        Some(&ed),
        &json!({"package_id": "neu-per-ckan", "name": "Link", "url": "https://example.org/daten.json", "format": "json"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{link}");
    assert_eq!(link["result"]["format"], "JSON");
    let lid = link["result"]["id"].as_str().unwrap().to_string();
    let (status, _) = ckan(
        &s,
        "resource_patch",
        Some(&ed),
        &json!({"id": lid, "name": "Link 2"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ckan(&s, "resource_delete", Some(&ed), &json!({"id": lid})).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ckan(
        &s,
        "package_delete",
        Some(&ed),
        &json!({"id": "neu-per-ckan"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ckan_get(&s, "package_show?id=neu-per-ckan").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bad input: CKAN-shaped errors, never a 500.
    let (status, e) = ckan(
        &s,
        "package_create",
        None,
        &json!({"name": "x", "owner_org": "stadt-aalen"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(e["error"]["__type"], "Authorization Error");
    let (status, e) = ckan(
        &s,
        "package_create",
        Some(&ed),
        &json!({"name": "Ungültig Name!", "owner_org": "stadt-aalen"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["__type"], "Validation Error");
    assert!(
        e["error"]["name"].is_array() || e["error"]["title"].is_array(),
        "{e}"
    );
    let (status, e) = ckan(
        &s,
        "package_create",
        Some(&ed),
        &json!({"name": "baeume-aalen", "title": "Doppelt", "notes": "x",
        "owner_org": "stadt-aalen", "license_id": "cc-zero", "release_checklist": crate::harness::release()}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(e["error"]["name"].is_array(), "{e}");
    let (status, e) = ckan_get(&s, "no_such_action").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.is_string(), "{e}");
    let res = s
        .client
        .post(s.url("/api/3/action/package_show"))
        .header("Content-Type", "application/json")
        .body("{nicht json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (status, e) = ckan_get(&s, "package_create?name=x").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(e.as_str().unwrap().contains("POST"));
    let (status, e) = ckan_get(&s, "package_show").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["error"]["__type"], "Validation Error");
    assert!(e["error"]["id"].is_array());
    for q in [
        "package_search?rows=100000",
        "package_search?fq=unbekannt:wert",
        "package_search?fq=tags:%22offen",
        "package_search?sort=quatsch%20asc",
        "package_search?foo=bar",
        "package_search?facet.field=%5B%22nope%22%5D",
    ] {
        let (status, e) = ckan_get(&s, q).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {e}");
        assert_eq!(e["error"]["__type"], "Search Query Error", "{q}");
    }
    for (action, params) in [
        (
            "datastore_search",
            json!({"resource_id": rid, "limit": 40000}),
        ),
        (
            "datastore_search",
            json!({"resource_id": rid, "filters": {"Nope": 1}}),
        ),
        (
            "datastore_search",
            json!({"resource_id": rid, "filters": "kein objekt"}),
        ),
        ("datastore_search_sql", json!({"sql": "DROP TABLE x"})),
        (
            "datastore_search_sql",
            json!({"sql": "SELECT * FROM '/etc/passwd'"}),
        ),
    ] {
        let (status, e) = ckan(&s, action, None, &params).await;
        assert!(status.is_client_error(), "{action} {params}: {status} {e}");
        assert_eq!(e["success"], false);
    }
    let (status, _) = ckan(
        &s,
        "datastore_search",
        None,
        &json!({"resource_id": uuid::Uuid::new_v4().to_string()}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn datapackages(backend: Backend) {
    let s = TestServer::start(backend).await;
    let (_ed, rid) = setup(&s).await;
    let res = s.get("/dataset/baeume-aalen/datapackage.json").await;
    assert_eq!(res.status(), StatusCode::OK);
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["name"], "baeume-aalen");
    let r = &d["resources"][0];
    assert_eq!(r["profile"], "tabular-data-resource");
    assert!(
        r["path"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/resources/{rid}/export/csv"))
    );
    let fields: Vec<(String, String)> = r["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().into(),
                f["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        vec![
            ("Art".into(), "string".into()),
            ("Anzahl".into(), "integer".into()),
            ("Gepflanzt".into(), "date".into())
        ]
    );
    let zip = s.get("/dataset/baeume-aalen/datapackage.zip").await;
    assert_eq!(zip.status(), StatusCode::OK);
    let bytes = zip.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("zip");
    let mut csv = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name(&format!("data/{}.csv", r["name"].as_str().unwrap()))
            .expect("data file"),
        &mut csv,
    )
    .unwrap();
    assert_eq!(
        csv,
        "Art,Anzahl,Gepflanzt\r\nLinde,12,2020-03-01\r\nEiche,7,2021-10-15\r\n"
    );
    for slug in ["geheim-privat", "entwurf-draft", "geloescht-weg"] {
        assert_eq!(
            s.get(&format!("/dataset/{slug}/datapackage.json"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
    }
}

/// The CKAN layer's own OpenAPI document: every path is an action the portal answers (read
/// actions for anyone, writes refused without a key), every operation has its responses.
/// Schemathesis checks the answers against it in CI.
async fn ckan_openapi(backend: Backend) {
    let s = TestServer::start(backend).await;
    setup(&s).await;
    let doc: Value = s.get("/api/3/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], s.base);
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 27, "{}", paths.len());
    for (path, item) in paths {
        let action = path.strip_prefix("/api/3/action/").expect("an action path");
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"]["200"].is_object() && op["responses"]["default"].is_object(),
                "{path} {method}"
            );
        }
        let (status, body) = ckan(&s, action, None, &json!({})).await;
        assert_ne!(
            body,
            json!(format!("Bad request - Action name not known: {action}")),
            "{action}"
        );
        if item.get("get").is_none() {
            assert!(
                matches!(status.as_u16(), 403 | 409),
                "{action} without a key: {status} {body}"
            );
        } else {
            assert!(
                matches!(status.as_u16(), 200 | 409),
                "{action}: {status} {body}"
            );
            assert_eq!(body["success"], status == StatusCode::OK, "{action}");
        }
    }
    // Deep pages (found by schemathesis): the search collector once reserved room for
    // offset + rows documents, so one request with a huge offset aborted the process.
    for query in [
        "current_package_list_with_resources?offset=888010782",
        "current_package_list_with_resources?page=44778&limit=1000",
        "package_search?start=2000000000&rows=1000",
    ] {
        let (status, body) = ckan_get(&s, query).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
    }
    let (_, body) = ckan_get(&s, "package_search?start=2000000000&rows=1000").await;
    assert!(
        body["result"]["count"].as_u64().is_some_and(|n| n > 0),
        "{body}"
    );
    assert_eq!(body["result"]["results"], json!([]));
    let res = s.get("/api/v1/datasets?page=99999999&per_page=100").await;
    assert!(
        res.status().is_success() || res.status().is_client_error(),
        "{}",
        res.status()
    );
    let (status, body) = ckan_get(&s, "package_show?id=baeume-aalen").await;
    assert_eq!(status, StatusCode::OK);
    for field in doc["components"]["schemas"]["Package"]["required"]
        .as_array()
        .unwrap()
    {
        assert!(
            body["result"].get(field.as_str().unwrap()).is_some(),
            "{field}"
        );
    }
}

crate::both_backends!(
    dcat_catalog,
    paging_and_catalog_pages,
    ckan_actions,
    datapackages,
    ckan_openapi,
);
