//! Feedback: anyone reports an error or asks for data without an account; robots and private
//! datasets are refused; it lands with the organization it concerns, whose editors answer;
//! a public answer shows on the dataset page without who sent it.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer};
use crate::privacy::{form_post, visitor_post};

async fn send(s: &TestServer, fields: &[(&str, &str)]) -> reqwest::Response {
    visitor_post(s, "/feedback", fields).await
}

async fn inbox(s: &TestServer, token: &str) -> String {
    s.client
        .get(s.url("/feedback/inbox"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn errors_and_wishes_reach_their_organization(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let editor = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let member = s
        .user("mitglied", false, Some(("stadt-aalen", Role::Member)))
        .await;
    let other = s
        .user("fremd", false, Some(("stadt-heidenheim", Role::Admin)))
        .await;
    let root = s.user("root", true, None).await;
    s.dataset(&editor, "stadt-aalen", "baeume", "public").await;
    s.dataset(&editor, "stadt-aalen", "intern", "private").await;

    // Refused: a private dataset, a too short message, an error without a dataset.
    let res = send(
        &s,
        &[
            ("kind", "error"),
            ("dataset", "intern"),
            ("message", "kurz"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Kein öffentlicher Datensatz „intern“") && html.contains("Zu kurz"));
    let res = send(
        &s,
        &[("kind", "error"), ("message", "Irgendwas stimmt nicht.")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A robot: thanked, nothing kept.
    let res = send(
        &s,
        &[
            ("kind", "error"),
            ("dataset", "baeume"),
            ("message", "Kaufen Sie billige Uhren!"),
            ("website", "https://spam.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A person reports an error in a dataset, another asks the portal for data.
    let res = send(
        &s,
        &[
            ("kind", "error"),
            ("dataset", "baeume"),
            (
                "message",
                "Baum A-00017 steht nicht mehr, er wurde 2025 gefällt.",
            ),
            ("name", "Erika Muster"),
            ("email", "erika@example.org"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/dataset/baeume?done=feedback_sent"
    );
    let res = send(
        &s,
        &[
            ("kind", "request"),
            (
                "message",
                "Bitte die Öffnungszeiten aller Bürgerämter veröffentlichen.",
            ),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The error lands with Aalen's editors (with who sent it), not with others; the wish for
    // no body with the sysadmins only.
    let mine = inbox(&s, &editor).await;
    assert!(
        mine.contains("gefällt") && mine.contains("erika@example.org"),
        "{mine}"
    );
    assert!(!mine.contains("Uhren") && !mine.contains("Bürgerämter"));
    assert!(
        !inbox(&s, &member).await.contains("gefällt"),
        "members do not answer"
    );
    assert!(!inbox(&s, &other).await.contains("gefällt"));
    let all = inbox(&s, &root).await;
    assert!(all.contains("gefällt") && all.contains("Bürgerämter"));

    let id = mine
        .split("action=\"/feedback/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    let path = format!("/feedback/{id}");
    let answer = vec![
        ("status", "done".to_string()),
        (
            "public_answer",
            "Danke, der Baum ist aus dem Kataster entfernt.".to_string(),
        ),
    ];
    for token in [&other, &member] {
        let res = form_post(&s, token, &path, answer.clone()).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "not theirs");
    }
    let res = form_post(&s, &editor, &path, answer).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The public answer shows on the dataset page with the message, never who sent it.
    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    assert!(page.contains("aus dem Kataster entfernt") && page.contains("gefällt"));
    assert!(!page.contains("Erika") && !page.contains("erika@example.org"));
    assert!(page.contains("/feedback?dataset=baeume&amp;kind=error"));
}

crate::both_backends!(errors_and_wishes_reach_their_organization);
