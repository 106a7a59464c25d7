//! The privacy check through HTTP: personal data in an upload is found over every row, shown
//! masked to the organization's members and to nobody else.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::data::wait_table;
use crate::harness::{Backend, TestServer, json as body, problem};

const PERSONEN: &str = "Name;Vorname;Geburtsdatum;E-Mail;Telefon;IBAN;Anschrift;Anzahl\r\n\
    Mustermann;Max;01.02.1980;max.mustermann@example.org;07361 12345;DE89 3704 0044 0532 0130 00;Marktplatz 3;1\r\n\
    Schmidt;Anna;15.07.1992;anna.schmidt@example.org;+49 7321 98765;DE89370400440532013000;Bahnhofstr. 12a;2\r\n\
    Yilmaz;Mehmet;30.11.1975;m.yilmaz@example.org;0151 2345678;GB82WEST12345698765432;Am Stadtgraben 3/1;3\r\n";

async fn personal_data_is_found_and_shown_to_members_only(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let other = s
        .user("hd", false, Some(("stadt-heidenheim", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "antraege", "public").await;
    let res = s
        .upload(
            &ed,
            "antraege",
            "antraege.csv",
            PERSONEN.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    wait_table(&s, &rid, 1).await;

    let path = format!("/api/v1/resources/{rid}/privacy");
    let p = body(s.get_as(&path, &ed).await).await;
    assert_eq!(p["checked"], true, "{p}");
    assert_eq!(p["clean"], false, "{p}");
    assert_eq!(p["rows"], 3);
    let findings = p["findings"].as_array().unwrap();
    let high: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f["severity"] == "high")
        .map(|f| (f["column"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    for expected in [
        ("Name", "person_name"),
        ("Vorname", "person_name"),
        ("Geburtsdatum", "birth_date"),
        ("E-Mail", "email"),
        ("Telefon", "phone"),
        ("IBAN", "iban"),
        ("Anschrift", "street_address"),
    ] {
        assert!(high.contains(&expected), "{expected:?} in {high:?}");
    }
    assert!(!high.iter().any(|(c, _)| *c == "Anzahl"), "{high:?}");
    // Masked examples only: no full value of the file anywhere in the answer.
    let text = p.to_string();
    for value in [
        "Mustermann",
        "max.mustermann@example.org",
        "07361 12345",
        "DE89370400440532013000",
        "Marktplatz 3",
    ] {
        assert!(!text.contains(value), "{value} in {text}");
    }
    let email = findings.iter().find(|f| f["rule"] == "email").unwrap();
    assert_eq!(email["share"], 1.0);
    assert_eq!(email["label"], "E-Mail-Adresse");

    // The resource page shows them to members, masked, and to nobody else.
    let page_path = format!("/dataset/antraege/resource/{rid}");
    let page = s.get_as(&page_path, &ed).await.text().await.unwrap();
    assert!(page.contains("id=\"privacy-h\""), "{page}");
    // (The table preview above it still shows the data: this dataset is public, and holding
    // such a file back is the publication gate's work.)
    assert!(page.contains("<td>M•••••••••"), "{page}");
    let public = s.get(&page_path).await.text().await.unwrap();
    assert!(!public.contains("privacy-h"), "{public}");

    // Nobody outside the organization sees the findings.
    problem(s.get(&path).await, StatusCode::UNAUTHORIZED).await;
    problem(s.get_as(&path, &other).await, StatusCode::FORBIDDEN).await;
}

/// A dataset whose file holds personal data cannot become public: not through the API, the
/// web form or CKAN; a clean file does not stand in the way, and the gate keeps its hands off
/// what is public already.
async fn publication_is_gated_through_every_door(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "antraege", "private").await;
    s.dataset(&ed, "stadt-aalen", "parkhaeuser", "private")
        .await;
    for (dataset, name, content) in [
        ("antraege", "antraege.csv", PERSONEN),
        (
            "parkhaeuser",
            "parkhaeuser.csv",
            "Name;Adresse;Stellplätze
Parkhaus Stadtmitte;Marktplatz 3;420
Tiefgarage Rathaus;Marktplatz 30;210
",
        ),
    ] {
        let res = s
            .upload(&ed, dataset, name, content.as_bytes().to_vec())
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let rid = body(res).await["id"].as_str().unwrap().to_string();
        // Private: the editor waits for the table (the public does not see it).
        let mut done = false;
        for _ in 0..200 {
            let t = body(
                s.get_as(&format!("/api/v1/resources/{rid}/table"), &ed)
                    .await,
            )
            .await;
            if t["versions"][0]["status"] == "done" {
                done = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(done, "{dataset} was not read");
    }
    let publish = json!({"visibility": "public"});

    // The JSON API: 409 with what blocks it, in the caller's language.
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/datasets/antraege",
            Some(&ed),
            &publish,
        )
        .await;
    let p = problem(res, StatusCode::CONFLICT).await;
    assert_eq!(p["type"], "/problems/privacy-findings", "{p}");
    let rules: Vec<(&str, &str)> = p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["column"].as_str().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    assert!(
        rules.contains(&("IBAN", "iban")) && rules.contains(&("Name", "person_name")),
        "{p}"
    );
    let full = json!({"slug": "antraege", "title": "Titel antraege", "description": "Beschreibung",
        "organization": "stadt-aalen", "license": "dl-by-de/2.0", "visibility": "public",
        "keywords": ["Test"], "themes": ["ENVI"]});
    problem(
        s.send_json(Method::PUT, "/api/v1/datasets/antraege", Some(&ed), &full)
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    // The web form: back to the form, the findings beside the visibility.
    let login = s.get("/login").await;
    let csrf = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("allmende_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let res = s
        .client
        .post(s.url("/dataset/antraege/visibility"))
        .bearer_auth(&ed)
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&[("csrf", csrf.as_str()), ("visibility", "public")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(page.contains("Spalte „IBAN“"), "{page}");

    // CKAN: its ValidationError on `private`.
    let res = s
        .client
        .post(s.url("/api/3/action/package_patch"))
        .header("Authorization", &ed)
        .json(&json!({"id": "antraege", "private": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let c: serde_json::Value = res.json().await.unwrap();
    assert_eq!(c["success"], false, "{c}");
    assert!(
        c["error"]["private"].to_string().contains("Spalte „IBAN“"),
        "{c}"
    );

    // Still private after every attempt.
    problem(
        s.get("/api/v1/datasets/antraege").await,
        StatusCode::NOT_FOUND,
    )
    .await;

    // A file without personal data does not block.
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/datasets/parkhaeuser",
            Some(&ed),
            &publish,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        body(s.get("/api/v1/datasets/parkhaeuser").await).await["visibility"],
        "public"
    );
}

crate::both_backends!(
    personal_data_is_found_and_shown_to_members_only,
    publication_is_gated_through_every_door,
);
