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
    // Publication waits for a running privacy check (409): the file is read first, as a
    // publisher would see it done on the page. Without this wait the test raced the worker.
    let rid = s
        .catalog
        .dataset("spielplaetze")
        .await
        .unwrap()
        .unwrap()
        .resources
        .unwrap()[0]
        .id;
    let mut read = false;
    for _ in 0..300 {
        let versions = s.catalog.table_versions_of(rid).await.unwrap();
        if versions.iter().any(|v| v.status == "done") {
            read = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(read, "the uploaded file was not read");

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

/// CORS: public reads answer any origin (`*`, without the Authorization header), writes with a
/// token only listed origins; pages never.
async fn cross_origin_reads_and_listed_writers(backend: Backend) {
    let app = "https://app.example.org";
    let stranger = "https://elsewhere.example";
    let s = TestServer::start_with(backend, |c| {
        c.cors_allowed_origins = format!("{app}/, https://other.example.org");
    })
    .await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    let acao = |h: &HeaderMap| {
        h.get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_string())
    };
    let header = |h: &HeaderMap, name: &str| {
        h.get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
            .unwrap_or_default()
    };
    for path in [
        "/api/v1/datasets",
        "/api/v1/datasets/baeume",
        "/api/3/action/package_search?q=baeume",
        "/catalog.ttl",
        "/ogc/collections",
        "/feed.atom",
        // Errors too, so that a script can read why.
        "/api/v1/datasets/gibt-es-nicht",
    ] {
        let res = s
            .client
            .get(s.url(path))
            .header("origin", stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(acao(res.headers()).as_deref(), Some("*"), "{path}");
        assert!(
            header(res.headers(), "access-control-expose-headers").contains("link"),
            "{path}"
        );
    }
    let res = s
        .client
        .post(s.url("/api/3/action/package_search"))
        .header("origin", stranger)
        .json(&serde_json::json!({"q": "baeume"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(acao(res.headers()).as_deref(), Some("*"));
    let preflight = |path: &'static str, origin: &'static str, method: &'static str| {
        let s = &s;
        async move {
            s.client
                .request(reqwest::Method::OPTIONS, s.url(path))
                .header("origin", origin)
                .header("access-control-request-method", method)
                .header(
                    "access-control-request-headers",
                    "authorization, content-type",
                )
                .send()
                .await
                .unwrap()
        }
    };
    // A stranger's page may read, with no token and no writes.
    let res = preflight("/api/v1/datasets/baeume", stranger, "GET").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(acao(res.headers()).as_deref(), Some("*"));
    let methods = header(res.headers(), "access-control-allow-methods");
    assert!(
        methods.contains("get") && !methods.contains("delete"),
        "{methods}"
    );
    let allowed = header(res.headers(), "access-control-allow-headers");
    assert!(
        allowed.contains("content-type") && !allowed.contains("authorization"),
        "{allowed}"
    );
    let res = preflight("/api/3/action/package_search", stranger, "POST").await;
    assert!(header(res.headers(), "access-control-allow-methods").contains("post"));
    // Pages and forms are not for other origins.
    for path in ["/dashboard", "/login", "/dataset/baeume"] {
        let res = preflight(path, stranger, "POST").await;
        assert_eq!(acao(res.headers()), None, "{path}");
        let res = s
            .client
            .get(s.url(path))
            .header("origin", stranger)
            .send()
            .await
            .unwrap();
        assert_eq!(acao(res.headers()), None, "{path}");
    }
    // A listed origin writes with a token: its origin echoed, every method, Authorization.
    let res = preflight("/api/v1/datasets/baeume", app, "PATCH").await;
    assert_eq!(acao(res.headers()).as_deref(), Some(app));
    assert!(header(res.headers(), "access-control-allow-methods").contains("patch"));
    assert!(header(res.headers(), "access-control-allow-headers").contains("authorization"));
    assert!(header(res.headers(), "vary").contains("origin"));
    assert!(
        res.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let res = s
        .client
        .patch(s.url("/api/v1/datasets/baeume"))
        .header("origin", app)
        .bearer_auth(&ed)
        .json(&serde_json::json!({"title": "Bäume in Aalen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(acao(res.headers()).as_deref(), Some(app));
    // The same write from a stranger's page gets no CORS answer (the browser drops it).
    let res = s
        .client
        .patch(s.url("/api/v1/datasets/baeume"))
        .header("origin", stranger)
        .bearer_auth(&ed)
        .json(&serde_json::json!({"title": "Bäume"}))
        .send()
        .await
        .unwrap();
    assert_eq!(acao(res.headers()), None);
}

/// HTTP compression: pages, JSON and text exports as the client asks; file downloads (with byte
/// ranges) stay as stored.
async fn answers_are_compressed_as_asked(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    let csv: String = std::iter::once("Nr;Baumart;Pflanzjahr\n".to_string())
        .chain((1..=500).map(|i| format!("{i};Linde;{}\n", 1950 + i % 70)))
        .collect();
    let res = json(
        s.upload(&ed, "baeume", "baeume.csv", csv.into_bytes())
            .await,
    )
    .await;
    let rid = res["id"].as_str().unwrap().to_string();
    // Compared twice below: wait until reading the file has changed everything it changes.
    for _ in 0..200 {
        let t = json(s.get(&format!("/api/v1/resources/{rid}/table")).await).await;
        if t["status"] == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let get = |path: String, encoding: Option<&'static str>| {
        let s = &s;
        async move {
            let mut req = s.client.get(s.url(&path));
            if let Some(e) = encoding {
                req = req.header("accept-encoding", e);
            }
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{path}: {}", res.status());
            let h = res.headers().clone();
            (h, res.bytes().await.unwrap().to_vec())
        }
    };
    let encoding = |h: &HeaderMap| {
        h.get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
    };
    for e in ["br", "zstd", "gzip"] {
        let (h, _) = get("/datasets".into(), Some(e)).await;
        assert_eq!(encoding(&h).as_deref(), Some(e), "page as {e}");
        assert!(h.get("vary").is_some_and(|v| {
            v.to_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("accept-encoding")
        }));
    }
    // The same bytes once decoded; nothing compressed for a client that did not ask.
    for path in [
        "/api/v1/datasets/baeume".to_string(),
        "/dataset/baeume.ttl".to_string(),
        format!("/api/v1/resources/{rid}/export/csv"),
    ] {
        let (plain_h, plain) = get(path.clone(), None).await;
        assert_eq!(encoding(&plain_h), None, "{path}");
        let (h, zipped) = get(path.clone(), Some("gzip")).await;
        assert_eq!(encoding(&h).as_deref(), Some("gzip"), "{path}");
        let mut unzipped = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(zipped.as_slice()),
            &mut unzipped,
        )
        .unwrap();
        assert_eq!(unzipped, plain, "{path}");
        assert!(zipped.len() < plain.len(), "{path}");
    }
    // A stored file keeps its length and byte ranges.
    let (h, body) = get(
        format!("/api/v1/resources/{rid}/download"),
        Some("gzip, br"),
    )
    .await;
    assert_eq!(encoding(&h), None);
    assert!(h.contains_key("accept-ranges"));
    assert!(body.starts_with(b"Nr;Baumart"));
}

crate::both_backends!(
    answers_are_compressed_as_asked,
    public_pages_render_in_german_and_english,
    forms_need_login_and_csrf,
    login_is_rate_limited,
    a_theme_overrides_templates_styles_and_pages,
    cross_origin_reads_and_listed_writers
);
