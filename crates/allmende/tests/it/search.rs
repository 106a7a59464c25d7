//! Search through the HTTP API: German query behaviour, facets, visibility, consistency with
//! the catalog, recovery, and bad input.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer, json, problem};

#[allow(clippy::too_many_arguments)]
async fn add(
    s: &TestServer,
    token: &str,
    org: &str,
    slug: &str,
    title: &str,
    description: &str,
    themes: &[&str],
    keywords: &[&str],
    visibility: &str,
) {
    let res = s
        .post_json(
            "/api/v1/datasets",
            token,
            &json!({"slug": slug, "title": title, "description": description, "organization": org,
                "license": "dl-by-de/2.0", "visibility": visibility, "themes": themes, "keywords": keywords, "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{slug}");
}

async fn setup(backend: Backend) -> (TestServer, String, String) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim an der Brenz")
        .await;
    let a = s
        .user("aalen", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let h = s
        .user("hdh", false, Some(("stadt-heidenheim", Role::Editor)))
        .await;
    add(
        &s,
        &a,
        "stadt-aalen",
        "parkplaetze",
        "Parkplätze in der Innenstadt",
        "Öffentliche Stellflächen mit Gebühren.",
        &["TRAN"],
        &["Parken"],
        "public",
    )
    .await;
    add(
        &s,
        &a,
        "stadt-aalen",
        "strassenbaeume",
        "Straßenbäume Aalen",
        "Alle Bäume an Straßen und Plätzen.",
        &["ENVI"],
        &["Umwelt"],
        "public",
    )
    .await;
    add(
        &s,
        &h,
        "stadt-heidenheim",
        "kitas",
        "Kindertagesstätten Heidenheim",
        "Plätze und Träger der Einrichtungen.",
        &["EDUC", "SOCI"],
        &["Kinder"],
        "public",
    )
    .await;
    add(
        &s,
        &a,
        "stadt-aalen",
        "ladestationen",
        "Ladestationen für Elektroautos",
        "Öffentliche Ladepunkte.",
        &["ENER", "TRAN"],
        &["Mobilität"],
        "public",
    )
    .await;
    add(
        &s,
        &a,
        "stadt-aalen",
        "haushalt",
        "Haushaltsplan 2025",
        "Erträge und Aufwendungen der Stadt.",
        &["GOVE"],
        &["Finanzen"],
        "public",
    )
    .await;
    add(
        &s,
        &h,
        "stadt-heidenheim",
        "radwege",
        "Fahrradwege im Stadtgebiet",
        "Das Netz der Radwege entlang der Brenz.",
        &["TRAN"],
        &["Radverkehr"],
        "public",
    )
    .await;
    add(
        &s,
        &h,
        "stadt-heidenheim",
        "intern",
        "Geheimwort Planung",
        "Interne Vorplanung.",
        &["TRAN"],
        &["Geheimwort"],
        "private",
    )
    .await;
    (s, a, h)
}

fn slugs(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["slug"].as_str().unwrap().to_string())
        .collect()
}

async fn find(s: &TestServer, query: &str) -> Value {
    let res = s.get(&format!("/api/v1/datasets?{query}")).await;
    assert_eq!(res.status(), StatusCode::OK, "{query}");
    json(res).await
}

async fn german_queries(backend: Backend) {
    let (s, _, _) = setup(backend).await;
    let q = |text: &str| format!("q={}", url_encode(text));
    // (query, a slug that must be found, a slug that must not)
    let table: &[(&str, &str, Option<&str>)] = &[
        ("Parkplatz", "parkplaetze", None), // stemming: Parkplätze → Parkplatz
        ("parkplaetze ", "parkplaetze", None), // ae spelling
        ("Baum", "strassenbaeume", Some("parkplaetze")), // Bäume in the description
        ("Strasse ", "strassenbaeume", None), // ß = ss
        ("Kita ", "kitas", None),           // synonym Kita = Kindertagesstätte
        ("Ladesäule ", "ladestationen", None), // synonym Ladesäule = Ladestation
        ("Radweg ", "radwege", None),       // stemming + synonym
        ("Haushaltplan ", "haushalt", None), // one typo
        ("Haush", "haushalt", None),        // prefix while typing
        ("\"Netz der Radwege\"", "radwege", None), // phrase
        ("Heidenheim ", "kitas", None),     // organization name
        ("Verkehr ", "radwege", None),      // theme label (TRAN = Verkehr)
    ];
    for (text, hit, miss) in table {
        let r = find(&s, &q(text)).await;
        let found = slugs(&r);
        assert!(
            found.contains(&hit.to_string()),
            "{text:?} should find {hit}, found {found:?}"
        );
        if let Some(m) = miss {
            assert!(
                !found.contains(&m.to_string()),
                "{text:?} must not find {m}"
            );
        }
    }
    // Exact matches rank above typo matches.
    let r = find(&s, &q("Parkplätze Innenstadt ")).await;
    assert_eq!(slugs(&r)[0], "parkplaetze");
    // Exclusion and phrases that do not occur.
    assert_eq!(find(&s, &q("Parkplätze -Innenstadt")).await["total"], 0);
    assert_eq!(find(&s, &q("\"Radwege Netz\"")).await["total"], 0);
    // Did you mean: two typos are too many for matching, but a suggestion is offered.
    let r = find(&s, &q("Haushaltsplxx ")).await;
    assert_eq!(r["total"], 0);
    assert_eq!(r["suggestion"], "haushaltsplan");
    assert!(find(&s, &q("Haushaltsplan ")).await["suggestion"].is_null());
    // Search page renders the same, with highlighted snippet and suggestion link.
    let html = s.get("/datasets?q=Netz").await.text().await.unwrap();
    assert!(html.contains("<b>Netz</b>"), "highlighted snippet");
    let html = s
        .get("/datasets?q=Haushaltsplxx")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Meinten Sie") && html.contains("haushaltsplan"));
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn facet(v: &Value, name: &str, value: &str) -> Option<u64> {
    v["facets"][name]
        .as_array()?
        .iter()
        .find(|e| e["value"] == value)?["count"]
        .as_u64()
}

async fn facets_multi_select_and_sorting(backend: Backend) {
    let (s, _, _) = setup(backend).await;
    let all = find(&s, "").await;
    assert_eq!(all["total"], 6);
    assert_eq!(facet(&all, "theme", "TRAN"), Some(3));
    assert_eq!(facet(&all, "organization", "stadt-aalen"), Some(4));
    assert_eq!(
        all["facets"]["theme"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["value"] == "TRAN")
            .unwrap()["label"],
        "Verkehr"
    );

    // OR within a facet.
    let r = find(&s, "theme=TRAN&theme=ENVI").await;
    assert_eq!(r["total"], 4);
    // A facet's own counts ignore its own selection (shop-style), other facets apply it.
    assert_eq!(facet(&r, "theme", "GOVE"), Some(1));
    assert_eq!(facet(&r, "organization", "stadt-aalen"), Some(3));
    let selected: Vec<&Value> = r["facets"]["theme"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["selected"] == true)
        .collect();
    assert_eq!(selected.len(), 2);
    // AND across facets.
    let r = find(&s, "theme=TRAN&organization=stadt-heidenheim").await;
    assert_eq!(slugs(&r), vec!["radwege"]);
    assert_eq!(
        facet(&r, "organization", "stadt-aalen"),
        Some(2),
        "organization counts apply the theme filter"
    );
    assert_eq!(
        facet(&r, "theme", "EDUC"),
        Some(1),
        "theme counts apply the organization filter"
    );
    // Keyword, format, licence facets and unknown values.
    assert_eq!(find(&s, "keyword=Finanzen").await["total"], 1);
    assert_eq!(find(&s, "license=dl-by-de%2F2.0").await["total"], 6);
    assert_eq!(find(&s, "theme=NOPE").await["total"], 0);
    // Sorting and paging.
    let r = find(&s, "sort=title&per_page=2").await;
    assert_eq!(slugs(&r), vec!["radwege", "haushalt"]);
    let r = find(&s, "sort=title&per_page=2&page=3").await;
    assert_eq!(slugs(&r), vec!["parkplaetze", "strassenbaeume"]);
    let r = find(&s, "sort=modified").await;
    assert_eq!(slugs(&r)[0], "radwege", "last modified first");
    // The search page reflects the full state in links (works without JavaScript).
    let html = s
        .get("/datasets?theme=TRAN&q=Rad")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"?q=Rad\""),
        "a chip removes its filter and keeps the query"
    );
    assert!(
        html.contains("href=\"?q=Rad&amp;theme=TRAN&amp;organization=stadt-heidenheim\""),
        "facet links add a value"
    );
}

async fn visibility_in_results_and_counts(backend: Backend) {
    let (s, _, h) = setup(backend).await;
    let anon = find(&s, "q=Geheimwort").await;
    assert_eq!(anon["total"], 0);
    let all = find(&s, "").await;
    assert_eq!(facet(&all, "organization", "stadt-heidenheim"), Some(2));
    assert_eq!(
        facet(&all, "keyword", "Geheimwort"),
        None,
        "anonymous facet counts exclude private data"
    );
    let html = s.get("/datasets?q=Geheimwort").await.text().await.unwrap();
    assert!(!html.contains("Geheimwort Planung"));

    let member = json(s.get_as("/api/v1/datasets?q=Geheimwort", &h).await).await;
    assert_eq!(slugs(&member), vec!["intern"]);
    let counts = json(s.get_as("/api/v1/datasets", &h).await).await;
    assert_eq!(facet(&counts, "organization", "stadt-heidenheim"), Some(3));
    let admin = s.user("root", true, None).await;
    assert_eq!(
        json(s.get_as("/api/v1/datasets?q=Geheimwort", &admin).await).await["total"],
        1
    );
    let outsider = s
        .user("fremd", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    assert_eq!(
        json(s.get_as("/api/v1/datasets?q=Geheimwort", &outsider).await).await["total"],
        0
    );
}

async fn writes_are_searchable_at_once(backend: Backend) {
    let (s, a, _) = setup(backend).await;
    // Rename, change visibility, delete, restore, add a resource: each visible in the next search.
    s.send_json(
        Method::PATCH,
        "/api/v1/datasets/haushalt",
        Some(&a),
        &json!({"title": "Doppelhaushalt 2026"}),
    )
    .await;
    assert_eq!(slugs(&find(&s, "q=Doppelhaushalt").await), vec!["haushalt"]);
    s.send_json(
        Method::PATCH,
        "/api/v1/datasets/haushalt",
        Some(&a),
        &json!({"visibility": "draft"}),
    )
    .await;
    assert_eq!(find(&s, "q=Doppelhaushalt").await["total"], 0);
    s.send_json(
        Method::PATCH,
        "/api/v1/datasets/haushalt",
        Some(&a),
        &json!({"visibility": "public"}),
    )
    .await;
    s.send_json(
        Method::DELETE,
        "/api/v1/datasets/haushalt",
        Some(&a),
        &json!({}),
    )
    .await;
    assert_eq!(find(&s, "q=Doppelhaushalt").await["total"], 0);
    s.post_json("/api/v1/datasets/haushalt/restore", &a, &json!({}))
        .await;
    assert_eq!(find(&s, "q=Doppelhaushalt").await["total"], 1);
    let r = s
        .upload(
            &a,
            "haushalt",
            "ergebnishaushalt.csv",
            b"a;b\n1;2\n3;4\n".to_vec(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let found = find(&s, "format=CSV").await;
    assert_eq!(slugs(&found), vec!["haushalt"]);
    assert_eq!(
        found["items"][0]["resources"].as_array().unwrap().len(),
        1,
        "results carry their resources"
    );
    // Renaming the organization updates its datasets' documents.
    let admin = s.user("root", true, None).await;
    s.send_json(
        Method::PATCH,
        "/api/v1/organizations/stadt-aalen",
        Some(&admin),
        &json!({"name": "Große Kreisstadt Aalen"}),
    )
    .await;
    let r = s.wait_for_search("/api/v1/datasets?q=Kreisstadt", 4).await;
    assert_eq!(r["total"], 4);
}

async fn index_heals_and_rebuilds(backend: Backend) {
    let (s, _, _) = setup(backend).await;
    let (dir, config) = s.stop().await;
    // Written while no server ran (as if the process died between catalog and index commit).
    let catalog = allmende::open_catalog(&config, dir.path()).await.unwrap();
    let org = catalog
        .organization("stadt-aalen", &allmende_core::authz::ReadScope::All)
        .await
        .unwrap()
        .unwrap();
    let f = allmende_core::validate::DatasetInput {
        slug: Some("nachgetragen".into()),
        title: Some("Nachgetragene Friedhofsdaten".into()),
        description: Some("x".into()),
        license: Some("cc-zero".into()),
        organization: Some("stadt-aalen".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    catalog.create_dataset(&f, org.id).await.unwrap();
    catalog.db.close().await;
    let s = TestServer::start_in(dir, config).await;
    assert_eq!(
        slugs(&find(&s, "q=Friedhofsdaten").await),
        vec!["nachgetragen"]
    );
    let (dir, config) = s.stop().await;

    // A corrupt index is rebuilt at start.
    let search = dir.path().join("search");
    let current = std::fs::read_to_string(search.join("CURRENT")).unwrap();
    std::fs::write(search.join(current.trim()).join("meta.json"), b"{kaputt").unwrap();
    let s = TestServer::start_in(dir, config).await;
    assert_eq!(find(&s, "").await["total"], 7);
    let (dir, config) = s.stop().await;
    // So is one written by an older schema version …
    let search = dir.path().join("search");
    let current = std::fs::read_to_string(search.join("CURRENT")).unwrap();
    std::fs::write(search.join(current.trim()).join("schema-version"), b"0").unwrap();
    let s = TestServer::start_in(dir, config).await;
    assert_eq!(find(&s, "q=Friedhofsdaten").await["total"], 1);
    let rebuilt = std::fs::read_to_string(s.data_dir().join("search/CURRENT")).unwrap();
    assert_ne!(
        rebuilt, current,
        "a new generation replaced the old-schema one"
    );
    let (dir, config) = s.stop().await;
    // … and a missing one.
    std::fs::remove_dir_all(dir.path().join("search")).unwrap();
    let s = TestServer::start_in(dir, config).await;
    assert_eq!(find(&s, "q=Friedhofsdaten").await["total"], 1);

    // `allmende reindex` while the server runs: searches keep working and the server moves
    // to the new generation.
    let before = std::fs::read_to_string(s.data_dir().join("search/CURRENT")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_allmende"))
        .args(["reindex", "--data-dir"])
        .arg(s.data_dir())
        .env("ALLMENDE_DATABASE_URL", &s.config.database_url)
        .env("ALLMENDE_LOG_LEVEL", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("8 datasets"));
    let after = std::fs::read_to_string(s.data_dir().join("search/CURRENT")).unwrap();
    assert_ne!(before, after);
    assert_eq!(find(&s, "q=Friedhofsdaten").await["total"], 1);
    let admin = s.user("root", true, None).await;
    add(
        &s,
        &admin,
        "stadt-aalen",
        "nach-reindex",
        "Nach dem Neuaufbau",
        "x",
        &[],
        &[],
        "public",
    )
    .await;
    let r = s.wait_for_search("/api/v1/datasets?q=Neuaufbau", 1).await;
    assert_eq!(
        r["total"], 1,
        "writes after the switch land in the new generation"
    );
}

async fn bad_search_input(backend: Backend) {
    let (s, _, _) = setup(backend).await;
    let long = "Parkplatz ".repeat(1000);
    for q in [
        "",
        "   ",
        "\"unbalanced",
        "a:b AND (c OR",
        "*",
        "~~~",
        "-",
        "\"\"",
        "title:x^2",
        "ä ö ü ß",
        &long,
    ] {
        let res = s
            .get(&format!("/api/v1/datasets?q={}", url_encode(q)))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{q:?}");
        let html = s.get(&format!("/datasets?q={}", url_encode(q))).await;
        assert_eq!(html.status(), StatusCode::OK, "page {q:?}");
    }
    let r = find(&s, "page=999").await;
    assert_eq!(r["total"], 6);
    assert!(r["items"].as_array().unwrap().is_empty());
    problem(
        s.get("/api/v1/datasets?per_page=1000").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?page=-1").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?sort=zufall").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?facette=x").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        find(&s, "organization=gibt-es-nicht&theme=").await["total"],
        0
    );
}

/// A dataset page lists datasets like it (shared keywords, themes, publisher) that the
/// visitor may see, never itself.
async fn related_datasets(backend: Backend) {
    let (s, aalen, _) = setup(backend).await;
    let page = || async {
        let html = s.get("/dataset/radwege").await.text().await.unwrap();
        html.split("id=\"related-h\"")
            .nth(1)
            .and_then(|r| r.split("</section>").next())
            .expect("a related section")
            .to_string()
    };
    let related = page().await;
    let at = |title: &str| related.find(title);
    assert!(at("Parkplätze in der Innenstadt").is_some(), "{related}");
    assert!(at("Ladestationen für Elektroautos").is_some(), "{related}");
    assert!(
        at("Kindertagesstätten Heidenheim") > at("Parkplätze in der Innenstadt"),
        "a shared theme weighs more than the same publisher: {related}"
    );
    assert!(at("Geheimwort Planung").is_none(), "private stays out");
    assert!(at("Fahrradwege im Stadtgebiet").is_none(), "not itself");
    assert!(at("Haushaltsplan 2025").is_none(), "nothing in common");
    // The page's related datasets are cached; a change to the catalog is seen at once.
    assert_eq!(page().await, related, "the same answer again");
    let res = s
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/datasets/parkplaetze",
            Some(&aalen),
            &serde_json::json!({"visibility": "private"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let after = page().await;
    assert!(!after.contains("Parkplätze in der Innenstadt"), "{after}");
}

crate::both_backends!(
    related_datasets,
    german_queries,
    facets_multi_select_and_sorting,
    visibility_in_results_and_counts,
    writes_are_searchable_at_once,
    index_heals_and_rebuilds,
    bad_search_input
);
