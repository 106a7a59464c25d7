//! Showcases: anyone proposes without an account; robots, floods and unknown or private
//! datasets are refused; only a sysadmin or an admin of a publishing organization approves;
//! approved ones show on the list, the dataset page and the API — without the e-mail address.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer};
use crate::privacy::{csrf_token, form_post};

async fn propose(s: &TestServer, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_token(s).await;
    let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    s.client
        .post(s.url("/showcases/new"))
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

const GOOD: &[(&str, &str)] = &[
    ("title", "Baumkarte Aalen"),
    ("url", "https://example.org/baumkarte"),
    (
        "description",
        "Eine Karte aller Straßenbäume mit Baumart und Pflanzjahr, für Schulklassen.",
    ),
    ("submitter_name", "Code for Ostalb"),
    ("submitter_email", "kontakt@example.org"),
    ("datasets", "baeume"),
];

async fn proposals_and_moderation(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let admin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let editor = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let other = s
        .user("fremd", false, Some(("stadt-heidenheim", Role::Admin)))
        .await;
    s.dataset(&editor, "stadt-aalen", "baeume", "public").await;
    s.dataset(&editor, "stadt-aalen", "intern", "private").await;

    // Refused: missing fields, a bad address, a private or unknown dataset.
    let res = propose(
        &s,
        &[
            ("title", "X"),
            ("url", "javascript:alert(1)"),
            ("description", "kurz"),
            ("datasets", "intern"),
            ("datasets", "gibt-es-nicht"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for expected in [
        "Zu kurz",
        "Keine gültige http(s)-Adresse",
        "Kein öffentlicher Datensatz „intern“",
        "Kein öffentlicher Datensatz „gibt-es-nicht“",
        "aria-invalid=\"true\"",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    // Without this browser's CSRF token: refused.
    let res = s
        .client
        .post(s.url("/showcases/new"))
        .form(GOOD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A robot fills the hidden field: thanked, nothing kept.
    let mut robot = GOOD.to_vec();
    robot.push(("website", "https://spam.example"));
    let res = propose(&s, &robot).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A person: waits for approval, not public yet.
    let res = propose(&s, GOOD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/showcases?done=showcase_proposed"
    );
    let listed: serde_json::Value = s.get("/api/v1/showcases").await.json().await.unwrap();
    assert_eq!(listed, serde_json::json!([]), "pending is not public");

    // Moderation: the organization's admin sees it (with the address), others do not.
    let page = |token: String| {
        let s = &s;
        async move {
            s.client
                .get(s.url("/showcases/review"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let review = page(admin.clone()).await;
    assert!(review.contains("Baumkarte Aalen") && review.contains("kontakt@example.org"));
    assert_eq!(
        review
            .matches("href=\"https://example.org/baumkarte\"")
            .count(),
        1,
        "the robot's copy is not there"
    );
    assert!(!page(other.clone()).await.contains("Baumkarte Aalen"));
    assert!(!page(editor.clone()).await.contains("Baumkarte Aalen"));
    let id = review
        .split("/showcases/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let path = format!("/showcases/{id}/review");
    let res = s
        .client
        .post(s.url(&path))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "anonymous: to the login"
    );
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    for token in [&other, &editor] {
        let res = form_post(&s, token, &path, vec![("decision", "approve".into())]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let res = form_post(&s, &admin, &path, vec![("decision", "approve".into())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Approved: on the list, the dataset page and in the API, never with the address.
    let listed: serde_json::Value = s.get("/api/v1/showcases").await.json().await.unwrap();
    assert_eq!(listed[0]["title"], "Baumkarte Aalen");
    assert_eq!(listed[0]["datasets"][0]["slug"], "baeume");
    assert!(!listed.to_string().contains("kontakt@example.org"));
    let by_dataset: serde_json::Value = s
        .get("/api/v1/showcases?dataset=baeume")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_dataset.as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.get("/api/v1/showcases?dataset=intern").await.status(),
        StatusCode::NOT_FOUND,
        "a private dataset is not there"
    );
    for path in ["/showcases", "/dataset/baeume"] {
        let html = s.get(path).await.text().await.unwrap();
        assert!(html.contains("https://example.org/baumkarte"), "{path}");
        assert!(!html.contains("kontakt@example.org"), "{path}");
    }

    // A flood from one client is cut off after a few proposals an hour.
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = propose(&s, GOOD).await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

crate::both_backends!(proposals_and_moderation);
