//! A dataset's metadata history: revisions with field-level changes, restoring one.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::form_post;

async fn history_shows_changes_and_restores(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "haltestellen", "draft").await;
    let patch = |body: serde_json::Value| {
        let (s, ed) = (&s, &ed);
        async move {
            let res = s
                .send_json(
                    Method::PATCH,
                    "/api/v1/datasets/haltestellen",
                    Some(ed),
                    &body,
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK);
        }
    };
    let original = body(s.get_as("/api/v1/datasets/haltestellen", &ed).await).await;
    patch(json!({"title": "Haltestellen im Ostalbkreis"})).await;
    patch(json!({
        "keywords": ["ÖPNV", "Bus"],
        "contact": {"name": "Verkehrsplanung", "email": "verkehr@aalen.de"},
    }))
    .await;
    patch(json!({"visibility": "public", "release_checklist": crate::harness::release()})).await;

    let h = body(s.get_as("/api/v1/datasets/haltestellen/history", &ed).await).await;
    let entries = h.as_array().unwrap();
    assert_eq!(entries.len(), 4, "{h}");
    let fields = |i: usize| -> Vec<String> {
        entries[i]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["field"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(entries[0]["revision"], 4);
    let visibility = entries[0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["field"] == "visibility")
        .expect("the publication is a change of the visibility");
    assert_eq!(visibility["before"], "draft");
    assert_eq!(visibility["after"], "public");
    let mut f1 = fields(1);
    f1.sort();
    assert_eq!(f1, ["contact.email", "contact.name", "keywords"], "{h}");
    assert_eq!(fields(2), ["title"]);
    assert_eq!(entries[2]["changes"][0]["before"], original["title"]);
    assert_eq!(
        entries[2]["changes"][0]["after"],
        "Haltestellen im Ostalbkreis"
    );
    assert_eq!(entries[2]["actor"], "ed");
    assert_eq!(entries[3]["first"], true);

    // Nobody outside the organization reads it, not even when the dataset is public.
    assert_eq!(
        s.get("/api/v1/datasets/haltestellen/history")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Restoring the first revision: its metadata back as revision 5, still public.
    let res = s
        .client
        .post(s.url("/api/v1/datasets/haltestellen/history/1/restore"))
        .bearer_auth(&ed)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ds = body(res).await;
    assert_eq!(ds["title"], original["title"]);
    assert_eq!(ds["keywords"], original["keywords"]);
    assert_eq!(ds["visibility"], "public", "restoring does not unpublish");
    let h = body(s.get_as("/api/v1/datasets/haltestellen/history", &ed).await).await;
    assert_eq!(h[0]["revision"], 5);
    assert!(
        !h[0]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["field"] == "visibility"),
        "{h}"
    );
    for missing in ["99", "0", "x"] {
        let res = s
            .client
            .post(s.url(&format!(
                "/api/v1/datasets/haltestellen/history/{missing}/restore"
            )))
            .bearer_auth(&ed)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{missing}");
    }

    // The page and its form.
    let res = s.get_as("/dataset/haltestellen/history", &ed).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("Fassung 5") && html.contains("Haltestellen im Ostalbkreis"));
    assert!(
        html.contains("Ansprechpartner (E-Mail)"),
        "field labels from the form"
    );
    let res = form_post(&s, &ed, "/dataset/haltestellen/history/2/restore", vec![]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/dataset/haltestellen/history?done=restored"
    );
    let ds = body(s.get("/api/v1/datasets/haltestellen").await).await;
    assert_eq!(ds["title"], "Haltestellen im Ostalbkreis");
}

crate::both_backends!(history_shows_changes_and_restores);
