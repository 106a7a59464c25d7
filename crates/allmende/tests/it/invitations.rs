//! Inviting a person without an account: the organization admin gets a one-time link, the
//! person chooses a password through it and is signed in; the link works once, expires with a
//! newer one, and only admins make them.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer, json as body};
use crate::privacy::{csrf_token, form_post};

fn link_secret(html: &str) -> String {
    html.split("/invite/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the page shows the link")
        .to_string()
}

/// `allmende_session=…` from a response that signs in.
fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("allmende_session="))
        .and_then(|c| c.split(';').next())
        .expect("signed in")
        .to_string()
}

async fn post_anonymous(s: &TestServer, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = csrf_token(s).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    post_with_cookie(s, path, &format!("allmende_csrf={csrf}"), &form).await
}

async fn post_with_cookie(
    s: &TestServer,
    path: &str,
    cookie: &str,
    form: &impl serde::Serialize,
) -> reqwest::Response {
    s.client
        .post(s.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn an_invitation_makes_an_account(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let root = s.user("root", true, None).await;
    let chefin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let invite = |token: String, name: &'static str| {
        let s = &s;
        async move {
            form_post(
                s,
                &token,
                "/organization/stadt-aalen/invite",
                vec![
                    ("name", name.into()),
                    ("display_name", "Neue Kollegin".into()),
                    ("email", "neu@aalen.de".into()),
                    ("role", "editor".into()),
                ],
            )
            .await
        }
    };

    // Only the organization's admins invite.
    assert_eq!(
        invite(ed.clone(), "neu").await.status(),
        StatusCode::FORBIDDEN
    );
    let res = invite(chefin.clone(), "neu").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let secret = link_secret(&res.text().await.unwrap());
    assert_eq!(secret.len(), 64, "{secret}");
    // The account exists, is a member, and cannot sign in yet, not even with an empty password.
    let list = body(
        s.get_as("/api/v1/organizations/stadt-aalen/members", &chefin)
            .await,
    )
    .await;
    assert!(list.to_string().contains("\"neu\""), "{list}");
    assert!(s.catalog.verify_login("neu", "").await.unwrap().is_none());
    let page = s.get_as("/organization/stadt-aalen/members", &chefin).await;
    let page = page.text().await.unwrap();
    assert!(page.contains("Offene Einladungen"), "{page}");
    assert!(!page.contains(&secret));
    // The name is taken now; bad input is a form message.
    let res = invite(chefin.clone(), "neu").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("gibt es schon"));
    let res = invite(chefin.clone(), "n e u").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The link's page, then its form: two different passwords, a short one, then a good one.
    let path = format!("/invite/{secret}");
    let res = s.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.text().await.unwrap().contains("Willkommen, neu."));
    let res = post_anonymous(
        &s,
        &path,
        &[
            ("password", "lang-genug-1"),
            ("password_again", "lang-genug-2"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("stimmen nicht"), "{html}");
    let res = post_anonymous(
        &s,
        &path,
        &[("password", "kurz"), ("password_again", "kurz")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = s
        .client
        .post(s.url(&path))
        .form(&[
            ("password", "lang-genug-1"),
            ("password_again", "lang-genug-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let pw = "Ein Satz aus Wörtern";
    let res = post_anonymous(&s, &path, &[("password", pw), ("password_again", pw)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/account?done=welcome");
    let session = session_cookie(&res);
    let account = s
        .client
        .get(s.url("/account?done=welcome"))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), StatusCode::OK);
    let account = account.text().await.unwrap();
    assert!(account.contains("Willkommen") && account.contains("stadt-aalen"));
    assert!(s.catalog.verify_login("neu", pw).await.unwrap().is_some());
    // Once only.
    let res = post_anonymous(&s, &path, &[("password", pw), ("password_again", pw)]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.unwrap().contains("ungültig"));
    assert_eq!(s.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.get("/invite/nichts").await.status(),
        StatusCode::NOT_FOUND
    );

    // A new link replaces an unused one; an account with a password gets none.
    let first = link_secret(&invite(chefin.clone(), "zwei").await.text().await.unwrap());
    let res = form_post(
        &s,
        &chefin,
        "/organization/stadt-aalen/members/zwei/invite",
        vec![],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = link_secret(&res.text().await.unwrap());
    assert_ne!(first, second);
    assert_eq!(
        s.get(&format!("/invite/{first}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get(&format!("/invite/{second}")).await.status(),
        StatusCode::OK
    );
    for (user, status) in [
        ("neu", StatusCode::UNPROCESSABLE_ENTITY),
        ("ed", StatusCode::UNPROCESSABLE_ENTITY),
        ("root", StatusCode::NOT_FOUND),
    ] {
        let res = form_post(
            &s,
            &chefin,
            &format!("/organization/stadt-aalen/members/{user}/invite"),
            vec![],
        )
        .await;
        assert_eq!(res.status(), status, "{user}");
    }

    let log = body(s.get_as("/api/v1/audit", &root).await).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "user.invite").count(),
        3,
        "{actions:?}"
    );
    assert!(actions.contains(&"user.activate"), "{actions:?}");
    assert!(!log.to_string().contains(&secret));
}

/// A dataset form sent after the session expired: the login form keeps what was typed, and
/// after signing in one click saves it. A post without this browser's CSRF token keeps nothing.
async fn typed_input_survives_an_expired_session(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let csrf = csrf_token(&s).await;
    let cookie = format!("allmende_csrf={csrf}");
    let description =
        "Zählstellen des Radverkehrs.\nStündliche Werte, \"geprüft\" & <vollständig>.";
    let fields = [
        ("csrf", csrf.as_str()),
        ("title", "Radverkehr Zählstellen"),
        ("description", description),
        ("organization", "stadt-aalen"),
        ("license", "dl-by-de/2.0"),
        ("themes", "TRAN"),
        ("themes", "ENVI"),
        ("visibility", "draft"),
    ];
    let res = post_with_cookie(&s, "/datasets/new", &cookie, &fields).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let login_page = res.text().await.unwrap();
    assert!(login_page.contains("Eingaben sind nicht verloren"));
    assert!(login_page.contains("name=\"kept.title\" value=\"Radverkehr Zählstellen\""));
    assert!(login_page.contains("&lt;vollständig&gt;"), "escaped");
    // Signing in with the kept fields leads to a page that sends them on.
    let mut login: Vec<(String, String)> = vec![
        ("csrf".into(), csrf.clone()),
        ("username".into(), "ed".into()),
        ("password".into(), "ein-langes-passwort".into()),
        ("next".into(), "/dashboard".into()),
        ("resume".into(), "/datasets/new".into()),
    ];
    login.extend(
        fields[1..]
            .iter()
            .map(|(k, v)| (format!("kept.{k}"), v.to_string())),
    );
    let res = post_with_cookie(&s, "/login", &cookie, &login).await;
    assert_eq!(res.status(), StatusCode::OK);
    let session = session_cookie(&res);
    let page = res.text().await.unwrap();
    assert!(page.contains("action=\"/datasets/new\""), "{page}");
    assert_eq!(page.matches("name=\"themes\"").count(), 2);
    // What the page sends is what was typed.
    let res = s
        .client
        .post(s.url("/datasets/new"))
        .header("cookie", format!("{cookie}; {session}"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let slug = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/dataset/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let token = session_token(&s).await;
    let ds = body(s.get_as(&format!("/api/v1/datasets/{slug}"), &token).await).await;
    assert_eq!(ds["description"], description, "{ds}");
    assert_eq!(ds["themes"].as_array().unwrap().len(), 2, "{ds}");

    // Without the CSRF token nothing is kept: the usual way to the login form.
    let res = s
        .client
        .post(s.url("/datasets/new"))
        .form(&fields[1..])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    // A resume target elsewhere is kept to local paths.
    let mut login = login.clone();
    login[4].1 = "//evil.example/x".into();
    let res = post_with_cookie(&s, "/login", &cookie, &login).await;
    let page = res.text().await.unwrap();
    assert!(!page.contains("evil.example"), "{page}");
}

async fn session_token(s: &TestServer) -> String {
    let ed = s.catalog.user("ed").await.unwrap().unwrap();
    s.catalog
        .create_token(ed.id, "lesen", None)
        .await
        .unwrap()
        .1
}

crate::both_backends!(
    an_invitation_makes_an_account,
    typed_input_survives_an_expired_session
);
