//! The audit log's account entries (memberships, sign-ins) and its page for sysadmins.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::{csrf_token, form_post};

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

/// Organization admins manage members in the browser; every account makes and revokes its own
/// API tokens there (the secret shown once, never cached), within a bound.
async fn members_and_tokens_in_the_browser(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let root = s.user("root", true, None).await;
    let chefin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let ed = s.user("ed", false, None).await;
    let members = "/organization/stadt-aalen/members";

    let res = s.get_as(members, &chefin).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("chefin"));
    let add = |user: &'static str, role: &'static str| {
        form_post(
            &s,
            &chefin,
            members,
            vec![("user", user.into()), ("role", role.into())],
        )
    };
    let res = add("ed", "editor").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], format!("{members}?done=saved"));
    let list = body(
        s.get_as("/api/v1/organizations/stadt-aalen/members", &chefin)
            .await,
    )
    .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|m| m["user"] == "ed" && m["role"] == "editor"),
        "{list}"
    );
    assert_eq!(add("ed", "member").await.status(), StatusCode::SEE_OTHER);
    let res = add("niemand", "editor").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Unbekannter Benutzer"));
    assert_eq!(
        add("ed", "kaiser").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // A member reads the list, cannot change it.
    assert_eq!(s.get_as(members, &ed).await.status(), StatusCode::OK);
    let res = form_post(
        &s,
        &ed,
        members,
        vec![("user", "ed".into()), ("role", "admin".into())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = form_post(&s, &chefin, &format!("{members}/ed/remove"), vec![]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = body(
        s.get_as("/api/v1/organizations/stadt-aalen/members", &chefin)
            .await,
    )
    .await;
    assert!(!list.to_string().contains("\"ed\""), "{list}");

    // A token of one's own: shown once, usable, revocable.
    let res = form_post(
        &s,
        &ed,
        "/account/tokens",
        vec![
            ("name", "Import Zählstellen".into()),
            ("expires_days", "30".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    let secret = html
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("the secret is shown")
        .to_string();
    assert!(secret.starts_with("alm_"));
    let me = s.get_as("/api/v1/me", &secret).await;
    assert_eq!(me.status(), StatusCode::OK);
    let (page, _) = (s.get_as("/account", &ed).await.text().await.unwrap(), ());
    assert!(
        page.contains("Import Zählstellen") && !page.contains(&secret),
        "shown only once"
    );
    let user = s.catalog.user("ed").await.unwrap().unwrap();
    let token = s
        .catalog
        .tokens(user.id)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Import Zählstellen")
        .unwrap();
    let revoke = format!("/account/tokens/{}/revoke", token.id);
    let res = form_post(&s, &ed, &revoke, vec![]).await;
    assert_eq!(res.headers()["location"], "/account?done=token_revoked");
    assert_eq!(
        s.get_as("/api/v1/me", &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Revoking again, or someone else's token, changes nothing.
    let res = form_post(&s, &chefin, &revoke, vec![]).await;
    assert_eq!(res.headers()["location"], "/account");
    for (name, days) in [("", "30"), ("x", "0"), ("x", "99999")] {
        let res = form_post(
            &s,
            &ed,
            "/account/tokens",
            vec![("name", name.into()), ("expires_days", days.into())],
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?} {days}"
        );
    }
    // At most 50 active tokens (ed has the harness's one).
    for i in 0..49 {
        let res = form_post(&s, &ed, "/account/tokens", vec![("name", format!("t{i}"))]).await;
        assert_eq!(res.status(), StatusCode::OK, "token {i}");
    }
    let res = form_post(&s, &ed, "/account/tokens", vec![("name", "zu viel".into())]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let log = body(s.get_as("/api/v1/audit", &root).await).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor_name"] == "ed")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"token.create") && actions.contains(&"token.revoke"),
        "{actions:?}"
    );
}

crate::both_backends!(accounts_are_audited, members_and_tokens_in_the_browser);
