//! The privacy check through HTTP: personal data in an upload is found over every row, shown
//! masked to the organization's members and to nobody else.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json as body, problem};

pub(crate) const PERSONEN: &str = "Name;Vorname;Geburtsdatum;E-Mail;Telefon;IBAN;Anschrift;Anzahl\r\n\
    Mustermann;Max;01.02.1980;max.mustermann@example.org;07361 12345;DE89 3704 0044 0532 0130 00;Marktplatz 3;1\r\n\
    Schmidt;Anna;15.07.1992;anna.schmidt@example.org;+49 7321 98765;DE89370400440532013000;Bahnhofstr. 12a;2\r\n\
    Yilmaz;Mehmet;30.11.1975;m.yilmaz@example.org;0151 2345678;GB82WEST12345698765432;Am Stadtgraben 3/1;3\r\n";

/// Waits until the newest version of a resource is read, as someone who may see its check.
pub(crate) async fn wait_checked(
    s: &TestServer,
    rid: &str,
    token: &str,
    version: i64,
) -> serde_json::Value {
    for _ in 0..300 {
        let p = body(
            s.get_as(&format!("/api/v1/resources/{rid}/privacy"), token)
                .await,
        )
        .await;
        if p["version"] == version && p["checked"] == true {
            return p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("version {version} of {rid} was not checked");
}

fn high_findings(p: &serde_json::Value) -> Vec<(String, String)> {
    p["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "high")
        .map(|f| {
            (
                f["column"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A new file with personal data on a public dataset is found over every row, shown masked to
/// the organization's members only, and held back from every read interface until an admin
/// acknowledges each high finding with a reason (which lands in the audit log).
async fn personal_data_is_held_until_acknowledged(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let admin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let root = s.user("root", true, None).await;
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
    let p = wait_checked(&s, &rid, &ed, 1).await;

    assert_eq!(p["clean"], false, "{p}");
    assert_eq!(p["held"], true, "{p}");
    assert_eq!(p["serving"], false, "{p}");
    assert_eq!(p["rows"], 3);
    let findings = p["findings"].as_array().unwrap();
    let high = high_findings(&p);
    for (column, rule) in [
        ("Name", "person_name"),
        ("Vorname", "person_name"),
        ("Geburtsdatum", "birth_date"),
        ("E-Mail", "email"),
        ("Telefon", "phone"),
        ("IBAN", "iban"),
        ("Anschrift", "street_address"),
    ] {
        assert!(
            high.contains(&(column.to_string(), rule.to_string())),
            "{column}/{rule} in {high:?}"
        );
    }
    assert!(!high.iter().any(|(c, _)| c == "Anzahl"), "{high:?}");
    assert_eq!(p["blocking"].as_array().unwrap().len(), high.len(), "{p}");
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

    // Held: nothing of the file on any read interface, for anyone but the organization.
    let r = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(r["status"], "held", "{r}");
    assert_eq!(r["withheld"], true, "{r}");
    for path in [
        format!("/api/v1/resources/{rid}/download"),
        format!("/api/v1/resources/{rid}/records"),
        format!("/api/v1/resources/{rid}/export/csv"),
        format!("/api/v1/resources/{rid}/versions/1/source"),
        format!("/api/v1/resources/{rid}/records?version=1"),
    ] {
        let res = s.get(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The organization reads it (to check it), nobody else.
    let mine = s
        .get_as(&format!("/api/v1/resources/{rid}/download"), &ed)
        .await;
    assert_eq!(mine.status(), StatusCode::OK);
    assert_eq!(
        s.get_as(&format!("/api/v1/resources/{rid}/download"), &other)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let sql = s
        .post_json(
            "/api/v1/sql",
            &other,
            &json!({"sql": "SELECT * FROM antraege"}),
        )
        .await;
    assert!(!sql.status().is_success(), "SQL reads a held table");
    let ckan = s
        .get(&format!("/api/3/action/datastore_search?resource_id={rid}"))
        .await;
    assert_eq!(ckan.status(), StatusCode::NOT_FOUND);
    for path in ["/catalog.ttl", "/dataset/antraege/datapackage.json"] {
        let text = s.get(path).await.text().await.unwrap();
        assert!(!text.contains(&format!("{rid}/download")), "{path}: {text}");
    }

    // The resource page: findings for members, masked; the acknowledgement form for admins.
    let page_path = format!("/dataset/antraege/resource/{rid}");
    let page = s.get_as(&page_path, &ed).await.text().await.unwrap();
    assert!(page.contains("id=\"privacy-h\""), "{page}");
    assert!(page.contains("<td>M•••••••••"), "{page}");
    assert!(page.contains("zurückgehalten"), "{page}");
    assert!(
        !page.contains("name=\"reason\""),
        "an editor cannot acknowledge"
    );
    let page = s.get_as(&page_path, &admin).await.text().await.unwrap();
    assert!(page.contains("name=\"reason\""), "{page}");
    // The dashboard lists it among the files that need the publisher.
    let dashboard = s.get_as("/dashboard", &ed).await.text().await.unwrap();
    assert!(
        dashboard.contains("von der Datenschutz-Prüfung zurückgehalten"),
        "{dashboard}"
    );
    let public = s.get(&page_path).await.text().await.unwrap();
    assert!(
        !public.contains("privacy-h") && !public.contains("M•••"),
        "{public}"
    );
    problem(
        s.get(&format!("/api/v1/resources/{rid}/privacy")).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        s.get_as(&format!("/api/v1/resources/{rid}/privacy"), &other)
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;

    // Acknowledging: admins only, with a reason, for a finding that exists.
    let ack_path = format!("/api/v1/resources/{rid}/privacy/acknowledgements");
    let first = &high[0];
    let ack = |reason: &str| json!({"column": first.0, "rule": first.1, "reason": reason});
    problem(
        s.post_json(&ack_path, &ed, &ack("weil")).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let p = problem(
        s.post_json(&ack_path, &admin, &ack("  ")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(p["errors"]["reason"].is_array(), "{p}");
    let p = problem(
        s.post_json(
            &ack_path,
            &admin,
            &json!({"column": "Anzahl", "rule": "iban", "reason": "weil"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(p["errors"]["column"].is_array(), "{p}");
    let long = "x".repeat(2001);
    problem(
        s.post_json(&ack_path, &admin, &ack(&long)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // One by one: still held until the last high finding is acknowledged (the last one
    // through the web form).
    let (last, rest) = high.split_last().unwrap();
    for (column, rule) in rest {
        let res = s
            .post_json(
                &ack_path,
                &admin,
                &json!({"column": column, "rule": rule, "reason": "Testdaten, fiktive Personen"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let p = body(res).await;
        assert_eq!(p["held"], true, "{p}");
    }
    assert_eq!(
        s.get(&format!("/api/v1/resources/{rid}/download"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let form_path = format!("/dataset/antraege/resource/{rid}/acknowledge");
    let acknowledge = |reason: &'static str| {
        form_post(
            &s,
            &admin,
            &form_path,
            vec![
                ("column", last.0.clone()),
                ("rule", last.1.clone()),
                ("reason", reason.into()),
            ],
        )
    };
    let res = acknowledge("").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Pflichtangabe fehlt"));
    let res = acknowledge("Testdaten, fiktive Personen").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Released: served everywhere, the findings marked acknowledged.
    let p = body(
        s.get_as(&format!("/api/v1/resources/{rid}/privacy"), &ed)
            .await,
    )
    .await;
    assert_eq!(
        (p["held"].clone(), p["serving"].clone()),
        (json!(false), json!(true)),
        "{p}"
    );
    assert!(p["blocking"].as_array().unwrap().is_empty(), "{p}");
    assert!(
        p["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "high")
            .all(|f| f["acknowledged"]["reason"] == "Testdaten, fiktive Personen"),
        "{p}"
    );
    assert_eq!(s.download(&rid).await, PERSONEN.as_bytes());
    let r = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(
        (r["withheld"].clone(), r["status"].clone()),
        (json!(false), json!("done")),
        "{r}"
    );
    let records = body(s.get(&format!("/api/v1/resources/{rid}/records")).await).await;
    assert_eq!(records["total"], 3, "{records}");

    // The audit log: every acknowledgement and the release, for sysadmins only.
    problem(
        s.get_as("/api/v1/audit", &admin).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let log = body(
        s.get_as(&format!("/api/v1/audit?subject={rid}"), &root)
            .await,
    )
    .await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions[0], "resource.release", "{log}");
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "privacy.acknowledge")
            .count(),
        high.len(),
        "{log}"
    );
    assert_eq!(log[1]["actor_name"], "chefin", "{log}");
    assert_eq!(log[1]["detail"]["reason"], "Testdaten, fiktive Personen");

    // A replacement with new personal data is held again; the released file stays served.
    let part = reqwest::multipart::Part::bytes(
        "Name;Vorname;IBAN\r\nMeier;Jonas;DE02120300000000202051\r\nKrause;Lena;DE02500105170137075030\r\n"
            .as_bytes()
            .to_vec(),
    )
    .file_name("antraege-neu.csv");
    let res = s
        .client
        .put(s.url(&format!("/api/v1/resources/{rid}/file")))
        .bearer_auth(&ed)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let p = wait_checked(&s, &rid, &ed, 2).await;
    assert_eq!(p["held"], true, "{p}");
    assert!(
        !p.to_string().contains("fiktive Personen"),
        "acknowledgements hold for one file: {p}"
    );
    assert_eq!(s.download(&rid).await, PERSONEN.as_bytes());
    for path in [
        format!("/api/v1/resources/{rid}/versions/2/source"),
        format!("/api/v1/resources/{rid}/records?version=2"),
        format!("/api/v1/resources/{rid}/export/csv?version=2"),
    ] {
        assert_eq!(s.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // The organization still reads the held version.
    assert_eq!(
        s.get_as(&format!("/api/v1/resources/{rid}/versions/2/source"), &ed)
            .await
            .status(),
        StatusCode::OK
    );
}

/// The first publication needs the release checklist, through every door; it is recorded with
/// who and when, and asked only once.
async fn release_checklist_at_first_publication(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let root = s.user("root", true, None).await;
    let fields = |slug: &str, visibility: &str| {
        json!({"slug": slug, "title": format!("Titel {slug}"), "description": "Beschreibung",
            "organization": "stadt-aalen", "license": "dl-by-de/2.0", "visibility": visibility,
            "keywords": ["Test"], "themes": ["ENVI"]})
    };
    // Without it: every unconfirmed item named.
    let p = problem(
        s.post_json("/api/v1/datasets", &ed, &fields("ohne", "public"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(
        p["errors"]["release_checklist"].as_array().unwrap().len(),
        4,
        "{p}"
    );
    let mut partial = fields("halb", "public");
    partial["release_checklist"] = json!({"no_personal_data": true, "no_secrets": true});
    let p = problem(
        s.post_json("/api/v1/datasets", &ed, &partial).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let missing = p["errors"]["release_checklist"].to_string();
    assert!(
        missing.contains("Rechte Dritter") && missing.contains("Lizenz"),
        "{p}"
    );
    assert!(!missing.contains("Geschäftsgeheimnisse"), "{p}");

    // A draft needs none; its first publication does, and records it.
    let res = s
        .post_json("/api/v1/datasets", &ed, &fields("entwurf", "draft"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let publish = json!({"visibility": "public"});
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/entwurf",
            Some(&ed),
            &publish,
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/datasets/entwurf",
            Some(&ed),
            &json!({"visibility": "public", "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ds = body(res).await;
    assert!(ds["released_at"].is_string(), "{ds}");
    let log = body(
        s.get_as(
            &format!("/api/v1/audit?subject={}", ds["id"].as_str().unwrap()),
            &root,
        )
        .await,
    )
    .await;
    assert_eq!(log[0]["action"], "dataset.publish", "{log}");
    assert_eq!(log[0]["actor_name"], "ed", "{log}");
    assert_eq!(log[0]["detail"]["first"], true, "{log}");
    assert_eq!(
        log[0]["detail"]["release_checklist"],
        crate::harness::release(),
        "{log}"
    );
    // Withdrawn and published again: asked only once.
    for visibility in ["private", "public"] {
        let res = s
            .send_json(
                Method::PATCH,
                "/api/v1/datasets/entwurf",
                Some(&ed),
                &json!({"visibility": visibility}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{visibility}");
    }

    // The web: the checkboxes beside the visibility of an unreleased dataset.
    let res = s
        .post_json("/api/v1/datasets", &ed, &fields("formular", "private"))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = s
        .get_as("/dataset/formular", &ed)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"release_no_secrets\""), "{page}");
    let released = s
        .get_as("/dataset/entwurf", &ed)
        .await
        .text()
        .await
        .unwrap();
    assert!(!released.contains("name=\"release_no_secrets\""));
    let post = |items: &[&'static str]| {
        let mut form = vec![("visibility", "public".to_string())];
        form.extend(items.iter().map(|k| (*k, "1".to_string())));
        form_post(&s, &ed, "/dataset/formular/visibility", form)
    };
    let res = post(&["release_no_personal_data"]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Betriebs- oder Geschäftsgeheimnisse"),
        "{page}"
    );
    let res = post(&[
        "release_no_personal_data",
        "release_no_secrets",
        "release_rights_cleared",
        "release_licence_applicable",
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        body(s.get("/api/v1/datasets/formular").await).await["visibility"],
        "public"
    );

    // CKAN: a public package_create needs it too (CKAN's ValidationError otherwise).
    let ckan = |body: serde_json::Value| {
        s.client
            .post(s.url("/api/3/action/package_create"))
            .header("Authorization", &ed)
            .json(&body)
            .send()
    };
    let base = json!({"name": "ckan-paket", "title": "Über CKAN", "owner_org": "stadt-aalen",
        "license_id": "dl-by-de/2.0", "notes": "Beschreibung"});
    let res = ckan(base.clone()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let c: serde_json::Value = res.json().await.unwrap();
    assert!(c["error"]["release_checklist"].is_array(), "{c}");
    let mut with = base.clone();
    with["release_checklist"] = crate::harness::release();
    let res = ckan(with).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A form post as a signed-in publisher's browser sends it: with a matching CSRF pair.
pub(crate) async fn form_post(
    s: &TestServer,
    token: &str,
    path: &str,
    fields: Vec<(&'static str, String)>,
) -> reqwest::Response {
    let csrf = csrf_token(s).await;
    let mut form = vec![("csrf", csrf.clone())];
    form.extend(fields);
    s.client
        .post(s.url(path))
        .bearer_auth(token)
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// A form a visitor without an account sends: this browser's CSRF token and the fields.
pub(crate) async fn visitor_post(
    s: &TestServer,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = csrf_token(s).await;
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    s.client
        .post(s.url(path))
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn csrf_token(s: &TestServer) -> String {
    let login = s.get("/login").await;
    login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("allmende_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string()
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
    // The release checklist is confirmed: what blocks is the privacy check.
    let publish = json!({"visibility": "public", "release_checklist": crate::harness::release()});

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
        "keywords": ["Test"], "themes": ["ENVI"], "release_checklist": crate::harness::release()});
    problem(
        s.send_json(Method::PUT, "/api/v1/datasets/antraege", Some(&ed), &full)
            .await,
        StatusCode::CONFLICT,
    )
    .await;

    // The web form: back to the form, the findings beside the visibility.
    let csrf = csrf_token(&s).await;
    let res = s
        .client
        .post(s.url("/dataset/antraege/visibility"))
        .bearer_auth(&ed)
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("visibility", "public"),
            ("release_no_personal_data", "1"),
            ("release_no_secrets", "1"),
            ("release_rights_cleared", "1"),
            ("release_licence_applicable", "1"),
        ])
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
        .json(&json!({"id": "antraege", "private": false, "release_checklist": crate::harness::release()}))
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

    // Acknowledged by an admin, the findings no longer block; the publication is audited.
    let admin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let rid = p["findings"][0]["resource"].as_str().unwrap().to_string();
    let checked = body(
        s.get_as(&format!("/api/v1/resources/{rid}/privacy"), &ed)
            .await,
    )
    .await;
    for (column, rule) in high_findings(&checked) {
        let res = s
            .post_json(
                &format!("/api/v1/resources/{rid}/privacy/acknowledgements"),
                &admin,
                &json!({"column": column, "rule": rule, "reason": "Veröffentlichung nach § 41 KomWG"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
    }
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/datasets/antraege",
            Some(&ed),
            &publish,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let root = s.user("root", true, None).await;
    let log = body(s.get_as("/api/v1/audit", &root).await).await;
    let publications: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dataset.publish")
        .map(|e| e["detail"]["slug"].as_str().unwrap())
        .collect();
    assert_eq!(publications, ["antraege", "parkhaeuser"], "{log}");
}

crate::both_backends!(
    personal_data_is_held_until_acknowledged,
    publication_is_gated_through_every_door,
    release_checklist_at_first_publication,
);
