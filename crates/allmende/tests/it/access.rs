//! Visibility and roles: private/draft/deleted data is invisible (404) to everyone not
//! allowed to see it, on every endpoint; editors cannot touch other organizations.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json, problem};

async fn anonymous_sees_public_data_only(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let editor = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let member = s
        .user("mitglied", false, Some(("stadt-aalen", Role::Member)))
        .await;
    s.org("stadtwerke-aalen", "Stadtwerke Aalen").await;
    let outsider = s
        .user("fremd", false, Some(("stadtwerke-aalen", Role::Admin)))
        .await;

    s.dataset(&editor, "stadt-aalen", "oeffentlich", "public")
        .await;
    let mut hidden = Vec::new();
    for (slug, visibility) in [("intern", "private"), ("entwurf", "draft")] {
        let ds = s.dataset(&editor, "stadt-aalen", slug, visibility).await;
        let res = s
            .upload(&editor, slug, "geheim.csv", b"a;b\n1;2\n3;4\n".to_vec())
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let r = json(res).await;
        hidden.push((
            slug.to_string(),
            ds["id"].as_str().unwrap().to_string(),
            r["id"].as_str().unwrap().to_string(),
        ));
    }
    // A deleted public dataset is hidden too.
    let gone = s
        .dataset(&editor, "stadt-aalen", "geloescht", "public")
        .await;
    let r = json(
        s.upload(&editor, "geloescht", "alt.csv", b"x;y\n1;2\n".to_vec())
            .await,
    )
    .await;
    s.send_json(
        Method::DELETE,
        "/api/v1/datasets/geloescht",
        Some(&editor),
        &json!({}),
    )
    .await;
    hidden.push((
        "geloescht".into(),
        gone["id"].as_str().unwrap().into(),
        r["id"].as_str().unwrap().into(),
    ));

    for token in [None, Some(outsider.as_str())] {
        let get = |path: String| {
            let s = &s;
            async move {
                match token {
                    Some(t) => s.get_as(&path, t).await,
                    None => s.get(&path).await,
                }
            }
        };
        for (slug, id, rid) in &hidden {
            for path in [
                format!("/api/v1/datasets/{slug}"),
                format!("/api/v1/datasets/{id}"),
                format!("/api/v1/datasets/{slug}/resources"),
                format!("/api/v1/resources/{rid}"),
                format!("/api/v1/resources/{rid}/download"),
            ] {
                problem(get(path).await, StatusCode::NOT_FOUND).await;
            }
            for path in [
                format!("/dataset/{slug}"),
                format!("/dataset/{slug}/resource/{rid}"),
            ] {
                let res = get(path.clone()).await;
                assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
                let body = res.text().await.unwrap();
                assert!(
                    !body.contains(&format!("Titel {slug}")),
                    "{path} leaks the title"
                );
            }
        }
        let list = json(get("/api/v1/datasets?per_page=100".into()).await).await;
        assert_eq!(list["total"], 1, "only the public dataset is listed");
        let orgs = json(get("/api/v1/organizations".into()).await).await;
        let aalen = orgs["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["slug"] == "stadt-aalen")
            .unwrap()
            .clone();
        assert_eq!(aalen["dataset_count"], 1);
        for page in ["/", "/datasets", "/organization/stadt-aalen"] {
            let html = get(page.into()).await.text().await.unwrap();
            assert!(
                !html.contains("Titel intern")
                    && !html.contains("Titel entwurf")
                    && !html.contains("Titel geloescht"),
                "{page}"
            );
        }
        // Writes on hidden datasets are 404 too, not 403: nothing reveals they exist.
        let mut req = s
            .client
            .patch(s.url("/api/v1/datasets/intern"))
            .json(&json!({"title": "x"}));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        problem(req.send().await.unwrap(), StatusCode::NOT_FOUND).await;
    }

    // Members see private and draft data of their organization, and can download it.
    let list = json(s.get_as("/api/v1/datasets?per_page=100", &member).await).await;
    assert_eq!(list["total"], 3);
    let (_, _, rid) = &hidden[0];
    let res = s
        .get_as(&format!("/api/v1/resources/{rid}/download"), &member)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    // … but members cannot edit, and deleted datasets stay hidden from them.
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/intern",
            Some(&member),
            &json!({"title": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.get_as("/api/v1/datasets/geloescht", &member).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

async fn editors_cannot_touch_other_organizations(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim an der Brenz")
        .await;
    let aalen = s
        .user("aalen-ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let hdh = s
        .user("hdh-ed", false, Some(("stadt-heidenheim", Role::Editor)))
        .await;
    let ds = s
        .dataset(&hdh, "stadt-heidenheim", "brenz-pegel", "public")
        .await;
    let r = json(
        s.upload(
            &hdh,
            "brenz-pegel",
            "pegel.csv",
            b"t;cm\n1;50\n2;51\n".to_vec(),
        )
        .await,
    )
    .await;
    let rid = r["id"].as_str().unwrap();

    problem(
        s.post_json("/api/v1/datasets", &aalen, &json!({"title": "Fremd", "description": "x", "organization": "stadt-heidenheim", "license": "cc-zero", "release_checklist": crate::harness::release()})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/brenz-pegel",
            Some(&aalen),
            &json!({"title": "gekapert"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(Method::PUT, "/api/v1/datasets/brenz-pegel", Some(&aalen),
            &json!({"title": "x", "description": "x", "organization": "stadt-aalen", "license": "cc-zero", "release_checklist": crate::harness::release()})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(
            Method::DELETE,
            "/api/v1/datasets/brenz-pegel",
            Some(&aalen),
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.upload(&aalen, "brenz-pegel", "x.csv", b"a\n".to_vec())
            .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(
            Method::PATCH,
            &format!("/api/v1/resources/{rid}"),
            Some(&aalen),
            &json!({"title": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(
            Method::DELETE,
            &format!("/api/v1/resources/{rid}"),
            Some(&aalen),
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Moving one's own dataset into another organization is refused as well.
    s.dataset(&aalen, "stadt-aalen", "eigenes", "public").await;
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/eigenes",
            Some(&aalen),
            &json!({"organization": "stadt-heidenheim"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    // Without a token, writes ask for authentication; a bad token is refused outright.
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/brenz-pegel",
            None,
            &json!({"title": "x"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        s.post_json("/api/v1/datasets", "alm_falsch", &json!({}))
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        s.get_as("/api/v1/datasets", "alm_falsch").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    let unchanged = json(s.get("/api/v1/datasets/brenz-pegel").await).await;
    assert_eq!(unchanged["title"], ds["title"]);
    assert_eq!(unchanged["resources"].as_array().unwrap().len(), 1);
}

async fn revoked_and_expired_tokens_stop_working(backend: Backend) {
    let s = TestServer::start(backend).await;
    let user = s
        .catalog
        .create_user("tok", "", None, "ein-langes-passwort", false)
        .await
        .unwrap();
    let (_, token) = s.catalog.create_token(user.id, "ci", None).await.unwrap();
    assert_eq!(
        s.get_as("/api/v1/me", &token).await.status(),
        StatusCode::OK
    );
    assert_eq!(s.catalog.revoke_token(user.id, "ci").await.unwrap(), 1);
    problem(
        s.get_as("/api/v1/me", &token).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let past = allmende_core::time::now() - chrono_days(1);
    let (_, expired) = s
        .catalog
        .create_token(user.id, "alt", Some(past))
        .await
        .unwrap();
    problem(
        s.get_as("/api/v1/me", &expired).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
}

fn chrono_days(d: i64) -> chrono::Duration {
    chrono::Duration::days(d)
}

crate::both_backends!(
    anonymous_sees_public_data_only,
    editors_cannot_touch_other_organizations,
    revoked_and_expired_tokens_stop_working
);
