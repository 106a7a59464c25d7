//! The privacy check through HTTP: personal data in an upload is found over every row, shown
//! masked to the organization's members and to nobody else.

use allmende_core::Role;
use reqwest::StatusCode;

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

crate::both_backends!(personal_data_is_found_and_shown_to_members_only,);
