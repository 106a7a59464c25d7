//! The server-rendered UI: pages, language, CSRF-protected forms, login, security headers.

use allmende_core::Role;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, SET_COOKIE};

use crate::harness::{Backend, TestServer, json};

/// Cookies set by a response, as `name=value` pairs.
fn cookies(h: &HeaderMap) -> Vec<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .collect()
}

/// A browser-like session: keeps cookies by hand (reqwest without the cookie feature).
struct Browser<'a> {
    s: &'a TestServer,
    jar: Vec<String>,
}

impl<'a> Browser<'a> {
    fn new(s: &'a TestServer) -> Self {
        Self { s, jar: Vec::new() }
    }

    fn remember(&mut self, h: &HeaderMap) {
        for c in cookies(h) {
            let name = c.split('=').next().unwrap_or("").to_string();
            self.jar.retain(|x| !x.starts_with(&format!("{name}=")));
            if !c.ends_with('=') {
                self.jar.push(c);
            }
        }
    }

    fn cookie(&self, name: &str) -> Option<String> {
        self.jar
            .iter()
            .find_map(|c| c.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let res = self
            .s
            .client
            .get(self.s.url(path))
            .header("cookie", self.jar.join("; "))
            .send()
            .await
            .unwrap();
        self.remember(res.headers());
        (res.status(), res.text().await.unwrap())
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let res = self
            .s
            .client
            .post(self.s.url(path))
            .header("cookie", self.jar.join("; "))
            .form(form)
            .send()
            .await
            .unwrap();
        self.remember(res.headers());
        res
    }
}

async fn public_pages_render_in_german_and_english(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let ds = s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    let r = json(
        s.upload(
            &ed,
            "baeume",
            "baeume.csv",
            b"Art;Anzahl\nLinde;3\nEiche;4\n".to_vec(),
        )
        .await,
    )
    .await;
    let rid = r["id"].as_str().unwrap();
    // A table's new file on a public dataset is served once its privacy check is through.
    crate::data::wait_table(&s, rid, 1).await;

    for path in [
        "/",
        "/datasets",
        "/datasets?theme=ENVI&q=titel",
        "/dataset/baeume",
        &format!("/dataset/baeume/resource/{rid}"),
        "/organizations",
        "/organization/stadt-aalen",
        "/login",
        "/api",
        "/about",
        "/impressum",
        "/datenschutz",
    ] {
        let res = s.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers().clone();
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h.contains_key("referrer-policy"));
        assert!(h.contains_key("x-request-id"));
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"de\">"), "{path}");
        assert!(html.contains("href=\"#inhalt\""), "{path}: skip link");
    }
    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    assert!(page.contains(ds["title"].as_str().unwrap()));
    assert!(page.contains("Datenlizenz Deutschland – Namensnennung – Version 2.0"));
    assert!(page.contains("Quellenangabe"));
    assert!(page.contains(&format!("/api/v1/resources/{rid}/download")));
    assert!(page.contains(">CSV<"));
    let home = s.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Umwelt") && home.contains("Verkehr"),
        "the 13 themes are listed"
    );

    // English by Accept-Language, by ?lang= and by the language switch.
    let res = s
        .client
        .get(s.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "en");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("Datasets"));
    assert!(
        s.get("/datasets?lang=en")
            .await
            .text()
            .await
            .unwrap()
            .contains("datasets found")
    );
    let res = s.get("/sprache/en?next=/datasets").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/datasets");
    assert!(cookies(res.headers()).contains(&"allmende_lang=en".to_string()));
    let res = s.get("/sprache/en?next=//evil.example").await;
    assert_eq!(res.headers()["location"], "/");

    // Error pages are HTML for pages and problem JSON for the API.
    let res = s.get("/gibt-es-nicht").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(res.text().await.unwrap().contains("Seite nicht gefunden"));

    // Descriptions are Markdown rendered safely.
    s.client
        .patch(s.url("/api/v1/datasets/baeume"))
        .bearer_auth(&ed)
        .json(&serde_json::json!({"description": "**fett** <script>alert(1)</script> [x](javascript:alert(2))"}))
        .send()
        .await
        .unwrap();
    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    assert!(page.contains("<strong>fett</strong>"));
    assert!(!page.contains("<script>alert(1)") && !page.contains("href=\"javascript:"));
}

async fn forms_need_login_and_csrf(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.catalog
        .create_user("redakteurin", "", None, "sehr-geheimes-passwort", false)
        .await
        .unwrap();
    let user = s.catalog.user("redakteurin").await.unwrap().unwrap();
    let org = s
        .catalog
        .organization("stadt-aalen", &allmende_core::authz::ReadScope::All)
        .await
        .unwrap()
        .unwrap();
    s.catalog
        .set_membership(user.id, org.id, Role::Editor)
        .await
        .unwrap();

    let mut b = Browser::new(&s);
    // Publisher pages send anonymous visitors to the login form.
    let res = s.get("/datasets/new").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login?next=")
    );

    let (status, html) = b.get("/login").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = b.cookie("allmende_csrf").expect("csrf cookie");
    assert!(html.contains(&csrf), "the form carries the token");

    // Without or with a wrong CSRF token, login is refused.
    let res = b
        .post(
            "/login",
            &[
                ("username", "redakteurin"),
                ("password", "sehr-geheimes-passwort"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = b
        .post(
            "/login",
            &[
                ("csrf", "0".repeat(64).as_str()),
                ("username", "redakteurin"),
                ("password", "sehr-geheimes-passwort"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(b.cookie("allmende_session").is_none());
    // Wrong password.
    let res = b
        .post(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", "redakteurin"),
                ("password", "falsch-falsch"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Right.
    let res = b
        .post(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", "redakteurin"),
                ("password", "sehr-geheimes-passwort"),
                ("next", "/dashboard"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/dashboard");
    let set = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(b.cookie("allmende_session").is_some());

    // Create a dataset through the form: invalid first (messages next to fields), then valid.
    let (status, _) = b.get("/datasets/new").await;
    assert_eq!(status, StatusCode::OK);
    let res = b
        .post(
            "/datasets/new",
            &[
                ("csrf", csrf.as_str()),
                ("title", ""),
                ("description", "x"),
                ("organization", "stadt-aalen"),
                ("license", "dl-by-de/2.0"),
                ("contact_email", "kaputt"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("id=\"title-error\"") && html.contains("id=\"contact_email-error\""),
        "field messages"
    );
    assert!(html.contains("aria-invalid=\"true\""));
    let form = [
        ("csrf", csrf.as_str()),
        ("title", "Spielplätze"),
        ("description", "Alle Spielplätze"),
        ("organization", "stadt-aalen"),
        ("license", "cc-by/4.0"),
        ("themes", "SOCI"),
        ("themes", "EDUC"),
        ("keywords", "Kinder, Spielen"),
        ("visibility", "draft"),
        ("issued", "01.03.2025"),
    ];
    let without_csrf: Vec<_> = form.iter().filter(|(k, _)| *k != "csrf").copied().collect();
    assert_eq!(
        b.post("/datasets/new", &without_csrf).await.status(),
        StatusCode::FORBIDDEN
    );
    let res = b.post("/datasets/new", &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/dataset/spielplaetze?done=created"
    );
    let ds = s.catalog.dataset("spielplaetze").await.unwrap().unwrap();
    assert_eq!(ds.themes, vec!["SOCI", "EDUC"]);
    assert_eq!(ds.keywords, vec!["Kinder", "Spielen"]);
    assert_eq!(ds.issued.unwrap().to_string(), "2025-03-01");
    assert_eq!(ds.visibility.as_str(), "draft");
    // A draft: visible to its editor, not to the public.
    assert_eq!(b.get("/dataset/spielplaetze").await.0, StatusCode::OK);
    assert_eq!(
        s.get("/dataset/spielplaetze").await.status(),
        StatusCode::NOT_FOUND
    );

    // Upload a resource through the multipart form (CSRF field first, as the form sends it).
    let upload = |token: Option<&str>| {
        let mut form = reqwest::multipart::Form::new();
        if let Some(t) = token {
            form = form.text("csrf", t.to_string());
        }
        form.text("title", "Liste").part(
            "file",
            reqwest::multipart::Part::bytes(b"Name;Ort\nA;B\nC;D\n".to_vec())
                .file_name("spielplaetze.csv"),
        )
    };
    let res = s
        .client
        .post(s.url("/dataset/spielplaetze/resources/new"))
        .header("cookie", b.jar.join("; "))
        .multipart(upload(None))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = s
        .client
        .post(s.url("/dataset/spielplaetze/resources/new"))
        .header("cookie", b.jar.join("; "))
        .multipart(upload(Some(&csrf)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.catalog
            .dataset("spielplaetze")
            .await
            .unwrap()
            .unwrap()
            .resources
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        s.scratch_files_when_idle().await,
        0,
        "no staging files left"
    );

    // Visibility, delete and restore via forms.
    assert_eq!(
        b.post(
            "/dataset/spielplaetze/visibility",
            &[("visibility", "public")]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        b.post(
            "/dataset/spielplaetze/visibility",
            &[
                ("csrf", csrf.as_str()),
                ("visibility", "public"),
                ("release_no_personal_data", "1"),
                ("release_no_secrets", "1"),
                ("release_rights_cleared", "1"),
                ("release_licence_applicable", "1"),
            ]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        s.get("/dataset/spielplaetze").await.status(),
        StatusCode::OK
    );
    // Deleting needs the ticked confirmation.
    assert_eq!(
        b.post("/dataset/spielplaetze/delete", &[("csrf", csrf.as_str())])
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        s.get("/dataset/spielplaetze").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        b.post(
            "/dataset/spielplaetze/delete",
            &[("csrf", csrf.as_str()), ("confirm", "yes")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        s.get("/dataset/spielplaetze").await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, dash) = b.get("/dashboard").await;
    assert!(dash.contains("Papierkorb") && dash.contains("Spielplätze"));
    assert_eq!(
        b.post("/dataset/spielplaetze/restore", &[("csrf", csrf.as_str())])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        s.get("/dataset/spielplaetze").await.status(),
        StatusCode::OK
    );

    // Editing keeps what the form does not show.
    let (status, edit) = b.get("/dataset/spielplaetze/edit").await;
    assert_eq!(status, StatusCode::OK);
    assert!(edit.contains("value=\"Spielplätze\""));

    // A session cookie alone cannot write through the JSON API (no CSRF header).
    let res = s
        .client
        .patch(s.url("/api/v1/datasets/spielplaetze"))
        .header("cookie", b.jar.join("; "))
        .json(&serde_json::json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Logout needs the token too, and ends the session.
    assert_eq!(b.post("/logout", &[]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        b.post("/logout", &[("csrf", csrf.as_str())]).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = s
        .client
        .get(s.url("/dashboard"))
        .header("cookie", b.jar.join("; "))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn login_is_rate_limited(backend: Backend) {
    let s = TestServer::start_with(backend, |c| c.login_max_failures = 3).await;
    s.catalog
        .create_user("opfer", "", None, "richtiges-passwort", false)
        .await
        .unwrap();
    let mut b = Browser::new(&s);
    b.get("/login").await;
    let csrf = b.cookie("allmende_csrf").unwrap();
    for _ in 0..3 {
        let res = b
            .post(
                "/login",
                &[
                    ("csrf", csrf.as_str()),
                    ("username", "opfer"),
                    ("password", "falsch-geraten"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while the limit holds.
    let res = b
        .post(
            "/login",
            &[
                ("csrf", csrf.as_str()),
                ("username", "opfer"),
                ("password", "richtiges-passwort"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.text().await.unwrap().contains("Zu viele"));
}

async fn a_theme_overrides_templates_styles_and_pages(backend: Backend) {
    let theme = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(theme.path().join("static")).unwrap();
    std::fs::create_dir_all(theme.path().join("pages")).unwrap();
    std::fs::create_dir_all(theme.path().join("templates")).unwrap();
    std::fs::write(
        theme.path().join("static/style.css"),
        "body { background: #fafafa; }",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("pages/imprint.md"),
        "Stadt Aalen, Marktplatz 30, 73430 Aalen",
    )
    .unwrap();
    std::fs::write(
        theme.path().join("templates/page.html"),
        "{% extends \"base.html\" %}{% block content %}<h1 class=\"aalen\">{{ title }}</h1>{{ body|markdown }}{% endblock %}",
    )
    .unwrap();
    let dir = theme.path().to_str().unwrap().to_string();
    let s = TestServer::start_with(backend, |c| {
        c.theme_dir = dir;
        c.site_title = "Offene Daten Aalen".into();
    })
    .await;
    assert_eq!(
        s.get("/static/style.css").await.text().await.unwrap(),
        "body { background: #fafafa; }"
    );
    let html = s.get("/impressum").await.text().await.unwrap();
    assert!(html.contains("<h1 class=\"aalen\">Impressum</h1>"));
    assert!(html.contains("Marktplatz 30"));
    assert!(html.contains("Offene Daten Aalen"));
    // Built-in templates the theme does not replace still work, and paths cannot escape it.
    assert_eq!(s.get("/").await.status(), StatusCode::OK);
    assert_eq!(
        s.get("/static/..%2Fpages%2Fimprint.md").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::both_backends!(
    public_pages_render_in_german_and_english,
    forms_need_login_and_csrf,
    login_is_rate_limited,
    a_theme_overrides_templates_styles_and_pages
);
