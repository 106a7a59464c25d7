//! The operator's privacy rules (`privacy_rules_file`) through a server: they act on what is
//! read, and a change of them checks again what was read under the old ones.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::wait_checked;

const FAHRZEUGE: &str = "Fahrzeugführer;Kennzeichen;Kilometer\r\n\
    Jolanda Kocherthaler;AA-XY 123;1\r\n\
    Wendelin Brenzhauser;HDH-AB 42;2\r\n\
    Jolanda Brenzhauser;AA-Q 7;3\r\n\
    Wendelin Ostalbinger;AA-B 99;4\r\n";

fn found(p: &serde_json::Value) -> Vec<(String, String, String)> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            (s("column"), s("rule"), s("severity"))
        })
        .collect()
}

async fn configured_rules_apply_and_recheck(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "fahrzeuge", "private").await;
    let res = s
        .upload(
            &ed,
            "fahrzeuge",
            "fahrzeuge.csv",
            FAHRZEUGE.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = body(res).await["id"].as_str().unwrap().to_string();

    // Built-in rules: plates are high; the drivers' given names are not in the lists and
    // "Fahrzeugführer" is no name column of its own.
    let p = wait_checked(&s, &rid, &ed, 1).await;
    assert!(p.get("rules").is_none_or(|r| r.is_null()), "{p}");
    let f = found(&p);
    assert!(
        f.contains(&("Kennzeichen".into(), "licence_plate".into(), "high".into())),
        "{f:?}"
    );
    assert!(!f.iter().any(|(c, _, _)| c == "Fahrzeugführer"), "{f:?}");

    // The operator names the column, adds the given names and weighs plates as medium.
    let (dir, mut config) = s.stop().await;
    std::fs::write(dir.path().join("vornamen.txt"), "Jolanda\nWendelin\n").unwrap();
    let rules = dir.path().join("datenschutz.toml");
    std::fs::write(
        &rules,
        "first_names_file = \"vornamen.txt\"\n[severity]\nlicence_plate = \"medium\"\n\
         [headers]\nperson_name = [\"Fahrzeugführer\"]\n",
    )
    .unwrap();
    config.privacy_rules_file = rules.to_string_lossy().into_owned();
    let s = TestServer::start_in(dir, config.clone()).await;

    // At start the table is read again under the new rules (version 2).
    let p = wait_checked(&s, &rid, &ed, 2).await;
    let fingerprint = p["rules"].as_str().unwrap_or_default().to_string();
    assert_eq!(fingerprint.len(), 16, "{p}");
    let f = found(&p);
    assert!(
        f.contains(&("Fahrzeugführer".into(), "person_name".into(), "high".into())),
        "{f:?}"
    );
    assert!(
        f.contains(&(
            "Kennzeichen".into(),
            "licence_plate".into(),
            "medium".into()
        )),
        "{f:?}"
    );

    // The same rules again: nothing to re-read (neither at start nor when asked).
    let (dir, config) = s.stop().await;
    let s = TestServer::start_in(dir, config.clone()).await;
    assert_eq!(s.app().rescan_outdated().await.unwrap(), 0);
    let id = uuid::Uuid::parse_str(&rid).unwrap();
    let versions = s.catalog.table_versions_of(id).await.unwrap();
    assert_eq!(versions.len(), 2, "{versions:?}");

    // A broken rules file stops the start with its name, rather than checking with other rules.
    let (dir, config) = s.stop().await;
    std::fs::write(&rules, "[severity]\nlicence_plate = \"manchmal\"\n").unwrap();
    let catalog = allmende::open_catalog(&config, dir.path()).await.unwrap();
    let e = allmende::start(&config, dir.path(), catalog, None)
        .await
        .err()
        .expect("a broken rules file is refused");
    assert!(format!("{e:#}").contains("datenschutz.toml"), "{e:#}");
}

crate::both_backends!(configured_rules_apply_and_recheck);
