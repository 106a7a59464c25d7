//! A publisher's resource page in the browser: metadata, a new file, a new read with options
//! and column types; every form keeps what was typed and says what went wrong beside it.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::data::wait_table;
use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::{csrf_token, form_post};

const PARKPLAETZE: &str = "Ort;Plätze;Auslastung\r\nMarktplatz;120;0,75\r\nBahnhof;80;0,5\r\n";

fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

async fn page(s: &TestServer, token: &str, path: &str) -> (StatusCode, String) {
    let res = s.get_as(path, token).await;
    (res.status(), res.text().await.unwrap())
}

async fn resource_is_edited_in_the_browser(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "parkplaetze", "public").await;
    let res = s
        .upload(
            &ed,
            "parkplaetze",
            "parkplaetze.csv",
            PARKPLAETZE.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &rid, 1).await;
    assert_eq!(t["columns"][1]["type"], "integer", "{t}");
    let base = format!("/dataset/parkplaetze/resource/{rid}");

    // The resource page links to the form; the form offers every column's type.
    let (status, html) = page(&s, &ed, &base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("{base}/edit")), "edit link");
    let (status, html) = page(&s, &ed, &format!("{base}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"type:Plätze\""), "{html}");
    assert!(html.contains("Spaltentypen"));

    // Metadata: saved, with a message after the redirect.
    let res = form_post(
        &s,
        &ed,
        &format!("{base}/edit"),
        vec![
            ("title", "Parkplätze Innenstadt".into()),
            ("description", "Stellplätze der Stadt Aalen".into()),
            ("format", "CSV".into()),
            ("license", String::new()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{base}?done=saved"));
    let (_, html) = page(&s, &ed, &location(&res)).await;
    assert!(html.contains("Die Änderungen sind gespeichert."), "notice");
    assert!(html.contains("Parkplätze Innenstadt"));
    let r = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(r["title"], "Parkplätze Innenstadt");
    assert_eq!(r["description"], "Stellplätze der Stadt Aalen");
    assert!(html.contains("class=\"notice success\""));
    // A notice outside the list says nothing (the address itself is only echoed escaped).
    let (_, html) = page(&s, &ed, &format!("{base}?done=<b>hallo</b>")).await;
    assert!(!html.contains("class=\"notice success\""));
    assert!(!html.contains("<b>hallo"));

    // An empty title: 422, the message beside the field, the typed description kept.
    let res = form_post(
        &s,
        &ed,
        &format!("{base}/edit"),
        vec![
            ("title", "  ".into()),
            ("description", "Neue Beschreibung".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\""), "{html}");
    assert!(html.contains("Neue Beschreibung"));
    let r = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(r["title"], "Parkplätze Innenstadt");

    // Read again with options: "Plätze" as text, German decimals; the form shows them after.
    let res = form_post(
        &s,
        &ed,
        &format!("{base}/reread"),
        vec![
            ("delimiter", ";".into()),
            ("encoding", String::new()),
            ("header_row", String::new()),
            ("decimal", "german".into()),
            ("sheet", String::new()),
            ("type:Plätze", "text".into()),
            ("type:Ort", String::new()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{base}?done=reread"));
    let t = wait_table(&s, &rid, 2).await;
    let types: Vec<&str> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text", "text", "decimal"], "{t}");
    let (_, html) = page(&s, &ed, &format!("{base}/edit")).await;
    assert!(
        html.contains("<option value=\"text\" selected>"),
        "chosen type shown"
    );
    assert!(
        html.contains("<option value=\"german\" selected>"),
        "decimal shown"
    );

    // Options that make no sense are refused beside the form, and nothing is queued.
    for (field, value) in [
        ("header_row", "zwei"),
        ("decimal", "roman"),
        ("type:Ort", "shoe"),
        ("delimiter", "#"),
        ("encoding", "ebcdic"),
    ] {
        let res = form_post(
            &s,
            &ed,
            &format!("{base}/reread"),
            vec![(field, value.into())],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
    }
    let t = body(s.get(&format!("/api/v1/resources/{rid}/table")).await).await;
    assert_eq!(t["versions"][0]["version"], 2, "{t}");

    // A new file: queued, read, served; the first file stays downloadable for its members
    // and, since it was served, for everyone.
    let csrf = csrf_token(&s).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                format!("{PARKPLAETZE}Kocherhalle;40;0,25\r\n").into_bytes(),
            )
            .file_name("parkplaetze-2026.csv"),
        );
    let res = s
        .client
        .post(s.url(&format!("{base}/file")))
        .bearer_auth(&ed)
        .header("cookie", format!("allmende_csrf={csrf}"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("{base}?done=file_queued"));
    let t = wait_table(&s, &rid, 3).await;
    assert_eq!(t["rows"], 3, "{t}");
    let first = s
        .get(&format!("/api/v1/resources/{rid}/versions/1/source"))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.text().await.unwrap(), PARKPLAETZE);

    // Without a file the form says so.
    let csrf = csrf_token(&s).await;
    let res = s
        .client
        .post(s.url(&format!("{base}/file")))
        .bearer_auth(&ed)
        .header("cookie", format!("allmende_csrf={csrf}"))
        .multipart(reqwest::multipart::Form::new().text("csrf", csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Bitte eine Datei auswählen.")
    );

    // Someone of another organization cannot open the form of a public resource.
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let hd = s
        .user("hd", false, Some(("stadt-heidenheim", Role::Editor)))
        .await;
    let (status, _) = page(&s, &hd, &format!("{base}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

crate::both_backends!(resource_is_edited_in_the_browser);
