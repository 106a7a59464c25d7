//! Publication at a date: planned in the dataset's visibility form, published when due through
//! the same gate as any publication, refused (and logged) when the gate says no.

use allmende_core::{ReleaseChecklist, Role};
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::{PERSONEN, form_post, wait_checked};

fn checklist() -> ReleaseChecklist {
    let mut c = ReleaseChecklist::default();
    for item in ReleaseChecklist::ITEMS {
        c.set(item, true);
    }
    c
}

fn ticked() -> Vec<(&'static str, String)> {
    ReleaseChecklist::ITEMS
        .iter()
        .map(|i| match *i {
            "no_personal_data" => ("release_no_personal_data", "1".to_string()),
            "no_secrets" => ("release_no_secrets", "1".to_string()),
            "rights_cleared" => ("release_rights_cleared", "1".to_string()),
            _ => ("release_licence_applicable", "1".to_string()),
        })
        .collect()
}

async fn publication_at_a_date(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let root = s.user("root", true, None).await;
    s.dataset(&ed, "stadt-aalen", "baustellen", "draft").await;
    let visibility = |at: String, with_checklist: bool| {
        let mut f = vec![("visibility", "public".to_string()), ("publish_at", at)];
        if with_checklist {
            f.extend(ticked());
        }
        form_post(&s, &ed, "/dataset/baustellen/visibility", f)
    };
    let tomorrow = (allmende_core::time::to_german_local(&allmende_core::time::now())
        + chrono::Duration::days(1))
    .format("%Y-%m-%dT%H:%M")
    .to_string();

    // Refused: in the past, not a time, without the checklist of a first publication.
    for (at, with) in [
        ("2020-01-01T09:00".to_string(), true),
        ("morgen früh".to_string(), true),
        (tomorrow.clone(), false),
    ] {
        let res = visibility(at.clone(), with).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{at} {with}"
        );
    }
    // Planned for tomorrow: still a draft, the plan shown to its publisher.
    let res = visibility(tomorrow.clone(), true).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/dataset/baustellen?done=scheduled"
    );
    let ds = body(s.get_as("/api/v1/datasets/baustellen", &ed).await).await;
    assert_eq!(ds["visibility"], "draft");
    let html = s
        .get_as("/dataset/baustellen", &ed)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Veröffentlichung geplant für"), "plan shown");
    let ds_id = uuid::Uuid::parse_str(ds["id"].as_str().unwrap()).unwrap();
    let plan = s
        .catalog
        .scheduled_publication(ds_id)
        .await
        .unwrap()
        .unwrap();
    assert!(plan.checklist.complete());
    // Not due yet: nothing happens.
    assert_eq!(s.app().publish_due().await.unwrap(), 0);

    // Due: published in the planner's name, the checklist recorded.
    let actor = s
        .catalog
        .actor_for_user(&s.catalog.user("ed").await.unwrap().unwrap())
        .await
        .unwrap();
    let current = s.catalog.dataset("baustellen").await.unwrap().unwrap();
    let soon = allmende_core::time::now() + chrono::Duration::milliseconds(300);
    s.app()
        .schedule_publication(&actor, &current, soon, checklist())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // (The server's own minute-by-minute run may have been first; the outcome is what counts.)
    s.app().publish_due().await.unwrap();
    let ds = body(s.get("/api/v1/datasets/baustellen").await).await;
    assert_eq!(ds["visibility"], "public");
    assert!(ds["released_at"].is_string(), "{ds}");
    assert!(
        s.catalog
            .scheduled_publication(ds_id)
            .await
            .unwrap()
            .is_none()
    );

    // A dataset whose file holds personal data: the plan is refused when due, and logged.
    s.dataset(&ed, "stadt-aalen", "antraege", "draft").await;
    let res = s
        .upload(
            &ed,
            "antraege",
            "antraege.csv",
            PERSONEN.as_bytes().to_vec(),
        )
        .await;
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    wait_checked(&s, &rid, &ed, 1).await;
    let antraege = s.catalog.dataset("antraege").await.unwrap().unwrap();
    let soon = allmende_core::time::now() + chrono::Duration::milliseconds(300);
    s.app()
        .schedule_publication(&actor, &antraege, soon, checklist())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    s.app().publish_due().await.unwrap();
    let ds = body(s.get_as("/api/v1/datasets/antraege", &ed).await).await;
    assert_eq!(ds["visibility"], "draft");
    let log = body(s.get_as("/api/v1/audit", &root).await).await;
    let refused = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "dataset.publish_refused")
        .expect("the refusal is logged");
    assert_eq!(refused["detail"]["reason"], "privacy_findings");
    assert!(
        s.catalog
            .scheduled_publication(antraege.id)
            .await
            .unwrap()
            .is_none()
    );

    // A plan can be cancelled from the page.
    let res = visibility(tomorrow.clone(), true).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "baustellen is public now"
    );
    s.app()
        .schedule_publication(
            &actor,
            &antraege,
            allmende_core::time::now() + chrono::Duration::days(2),
            checklist(),
        )
        .await
        .unwrap();
    let res = form_post(&s, &ed, "/dataset/antraege/schedule/cancel", vec![]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        s.catalog
            .scheduled_publication(antraege.id)
            .await
            .unwrap()
            .is_none()
    );
}

/// The same plan through the JSON API: `PUT`, `GET`, `DELETE /datasets/{id}/publication`,
/// with the form's rules, and only for those who may edit the dataset.
async fn publication_at_a_date_through_the_api(backend: Backend) {
    use reqwest::Method;
    use serde_json::json;
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let member = s
        .user("mia", false, Some(("stadt-aalen", Role::Member)))
        .await;
    s.dataset(&ed, "stadt-aalen", "haushalt", "draft").await;
    let path = "/api/v1/datasets/haushalt/publication";
    let at = |days: i64| (allmende_core::time::now() + chrono::Duration::days(days)).to_rfc3339();
    let put = |token: String, body: serde_json::Value| {
        let s = &s;
        async move { s.send_json(Method::PUT, path, Some(&token), &body).await }
    };
    let none = body(s.get_as(path, &ed).await).await;
    assert!(none["publish_at"].is_null(), "{none}");
    for (body, why) in [
        (json!({"publish_at": at(1)}), "no checklist"),
        (
            json!({"publish_at": at(-1), "release_checklist": checklist()}),
            "past",
        ),
        (
            json!({"publish_at": at(400), "release_checklist": checklist()}),
            "too far",
        ),
        (
            json!({"publish_at": "morgen", "release_checklist": checklist()}),
            "no time",
        ),
        (
            json!({"publish_at": at(1), "release_checklist": checklist(), "x": 1}),
            "unknown",
        ),
    ] {
        let res = put(ed.clone(), body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{why}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{why}"
        );
    }
    let plan_in_3_days = json!({"publish_at": at(3), "release_checklist": checklist()});
    assert_eq!(
        put(member.clone(), plan_in_3_days.clone()).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.send_json(Method::PUT, path, None, &plan_in_3_days)
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "a draft is invisible to strangers"
    );
    let res = put(ed.clone(), plan_in_3_days).await;
    assert_eq!(res.status(), StatusCode::OK);
    let plan = body(res).await;
    let shown = body(s.get_as(path, &ed).await).await;
    assert_eq!(plan, shown);
    let due = chrono::DateTime::parse_from_rfc3339(shown["publish_at"].as_str().unwrap()).unwrap();
    assert!(
        (due.to_utc() - allmende_core::time::now() - chrono::Duration::days(3))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(
        body(s.get_as("/api/v1/datasets/haushalt", &ed).await).await["visibility"],
        "draft"
    );
    let delete = |token: String| {
        let s = &s;
        async move {
            s.send_json(Method::DELETE, path, Some(&token), &json!(null))
                .await
                .status()
        }
    };
    assert_eq!(delete(member.clone()).await, StatusCode::FORBIDDEN);
    assert_eq!(delete(ed.clone()).await, StatusCode::NO_CONTENT);
    assert!(body(s.get_as(path, &ed).await).await["publish_at"].is_null());
    assert_eq!(
        delete(ed.clone()).await,
        StatusCode::NO_CONTENT,
        "idempotent"
    );
}

crate::both_backends!(publication_at_a_date, publication_at_a_date_through_the_api);
