//! The audit log's account entries (memberships, sign-ins) and its page for sysadmins.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::csrf_token;

async fn login(s: &TestServer, name: &str, password: &str) -> StatusCode {
    let csrf = csrf_token(s).await;
    s.client
        .post(s.url("/login"))
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", name),
            ("password", password),
            ("next", "/dashboard"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

async fn accounts_are_audited(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let root = s.user("root", true, None).await;
    let chefin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    s.user("ed", false, None).await;

    // An organization admin adds and removes a member.
    let res = s
        .send_json(
            Method::PUT,
            "/api/v1/organizations/stadt-aalen/members/ed",
            Some(&chefin),
            &json!({"role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = s
        .client
        .delete(s.url("/api/v1/organizations/stadt-aalen/members/ed"))
        .bearer_auth(&chefin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // Signing in is recorded; a failed attempt is not (a stranger must not fill the log).
    assert_eq!(
        login(&s, "ed", "falsch-falsch-falsch").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&s, "ed", "ein-langes-passwort").await,
        StatusCode::SEE_OTHER
    );

    let log = body(s.get_as("/api/v1/audit", &root).await).await;
    let entries = log.as_array().unwrap();
    let find = |action: &str| {
        entries
            .iter()
            .filter(|e| e["action"] == action)
            .collect::<Vec<_>>()
    };
    let set = find("membership.set");
    assert_eq!(set.len(), 1, "{log}");
    assert_eq!(set[0]["actor_name"], "chefin");
    assert_eq!(set[0]["detail"]["role"], "editor");
    assert_eq!(set[0]["detail"]["organization"], "stadt-aalen");
    assert_eq!(find("membership.remove").len(), 1, "{log}");
    let logins = find("user.login");
    assert_eq!(logins.len(), 1, "{log}");
    assert_eq!(logins[0]["actor_name"], "ed");

    // The page: sysadmins only, newest first, bounded pages.
    let res = s.get_as("/audit", &root).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let (login_at, set_at) = (
        html.find("Anmeldung").expect("sign-in shown"),
        html.find("Mitgliedschaft gesetzt")
            .expect("membership shown"),
    );
    assert!(login_at < set_at, "newest first");
    assert!(html.contains("role: editor"));
    assert_eq!(
        s.get_as("/audit", &chefin).await.status(),
        StatusCode::FORBIDDEN
    );
    let anonymous = s.get("/audit").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    for q in ["page=0", "page=501", "page=x", "subject=nicht-eine-id"] {
        let res = s.get_as(&format!("/audit?{q}"), &root).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{q}");
    }
    // One account's entries.
    let ed = s.catalog.user("ed").await.unwrap().unwrap();
    let html = s
        .get_as(&format!("/audit?subject={}", ed.id), &root)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Mitgliedschaft entfernt") && html.contains("Anmeldung"));
}

crate::both_backends!(accounts_are_audited);
