//! A real server on 127.0.0.1 with a temporary data directory, and helpers to talk to it.

use std::path::{Path, PathBuf};

use allmende::{Config, Server};
use allmende_catalog::Catalog;
use allmende_core::Role;
use allmende_core::validate::OrganizationInput;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};

pub struct TestServer {
    pub base: String,
    pub client: Client,
    pub catalog: Catalog,
    pub config: Config,
    pub dir: tempfile::TempDir,
    server: Option<Server>,
}

/// The catalog backends every integration test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn name(backend: Backend)` as two tests, `sqlite::name` and
/// `postgres::name`: one suite, two databases.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $name() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The PostgreSQL server the tests use (a maintenance database on it; each test gets a
/// database of its own). CI runs it on 127.0.0.1:5432 with trust authentication.
pub fn postgres_admin_url() -> String {
    std::env::var("ALLMENDE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static NEXT_DB: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static CLEANED: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

/// A new, empty PostgreSQL database for one test; fails loudly when the server is missing.
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    let admin = postgres_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {admin}: {e}\n\
             The PostgreSQL half of the suite needs a server: on Debian start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or point ALLMENDE_TEST_POSTGRES_URL at one (trust auth, a user that may CREATE DATABASE)."
        ),
    };
    let prefix = format!("allmende_t_{}_", std::process::id());
    CLEANED
        .get_or_init(|| async {
            // Databases left by earlier runs of the suite.
            let old: Vec<String> = sqlx::query_scalar(
                "SELECT datname::text FROM pg_database WHERE datname LIKE 'allmende\\_t\\_%'",
            )
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default();
            for db in old.into_iter().filter(|d| !d.starts_with(&prefix)) {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{db}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            }
        })
        .await;
    let name = format!(
        "{prefix}{}",
        NEXT_DB.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.split('?').next().unwrap_or(&admin);
    let (server, _) = base
        .rsplit_once('/')
        .expect("database URL with a database name");
    format!("{server}/{name}")
}

pub async fn database_url(backend: Backend, data_dir: &Path) -> String {
    match backend {
        Backend::Sqlite => allmende_catalog::Db::sqlite_url(&data_dir.join("catalog.db")),
        Backend::Postgres => fresh_postgres_url().await,
    }
}

pub fn test_config(database_url: String) -> Config {
    Config {
        bind: "127.0.0.1:0".into(),
        database_url,
        max_upload_bytes: 4 * 1024 * 1024,
        db_acquire_timeout_secs: 2,
        log_level: "warn".into(),
        // The worker reads uploads in a child process: this package's binary (the test
        // binary itself is not `allmende`).
        ingest_exe: env!("CARGO_BIN_EXE_allmende").into(),
        // Tests make hundreds of requests a second from one address; the abuse limits have a
        // test of their own.
        rate_limit_per_minute: 0,
        rate_limit_token_per_minute: 0,
        rate_limit_sql_per_minute: 0,
        // The link checker runs where a test asks for it (quality.rs).
        link_check_hours: 0,
        ..Config::default()
    }
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = database_url(backend, dir.path()).await;
        let mut config = test_config(url);
        adjust(&mut config);
        Self::start_in(dir, config).await
    }

    pub async fn start_in(dir: tempfile::TempDir, config: Config) -> Self {
        let catalog = allmende::open_catalog(&config, dir.path())
            .await
            .expect("open catalog");
        let server = allmende::start(&config, dir.path(), catalog, None)
            .await
            .expect("start server");
        let base = format!("http://{}", server.addr);
        let catalog = allmende::open_catalog(&config, dir.path())
            .await
            .expect("open catalog");
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base,
            client,
            catalog,
            config,
            dir,
            server: Some(server),
        }
    }

    /// Stops the server and hands back its data directory (to restart on it).
    pub async fn stop(mut self) -> (tempfile::TempDir, Config) {
        if let Some(s) = self.server.take() {
            s.stop().await.expect("stop");
        }
        self.catalog.db.close().await;
        (self.dir, self.config)
    }

    /// The application the server runs (for seeding the demo as `serve --demo` does).
    pub fn app(&self) -> &allmende_app::App {
        &self.server.as_ref().expect("a running server").app
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, Some(token), body)
            .await
    }

    /// A user with a token; `sysadmin` or a role in an organization.
    pub async fn user(&self, name: &str, sysadmin: bool, role: Option<(&str, Role)>) -> String {
        let user = self
            .catalog
            .create_user(name, "", None, "ein-langes-passwort", sysadmin)
            .await
            .expect("create user");
        if let Some((org, role)) = role {
            let org = self
                .catalog
                .organization(org, &allmende_core::authz::ReadScope::All)
                .await
                .expect("org")
                .expect("org exists");
            self.catalog
                .set_membership(user.id, org.id, role)
                .await
                .expect("membership");
        }
        self.catalog
            .create_token(user.id, "test", None)
            .await
            .expect("token")
            .1
    }

    /// Organization `stadt-aalen`, its editor `ed` (the token is returned) and a dataset of
    /// theirs with the given slug and visibility: the usual start of a test.
    pub async fn editor_with_dataset(&self, dataset: &str, visibility: &str) -> String {
        self.org("stadt-aalen", "Stadt Aalen").await;
        let ed = self
            .user("ed", false, Some(("stadt-aalen", Role::Editor)))
            .await;
        self.dataset(&ed, "stadt-aalen", dataset, visibility).await;
        ed
    }

    /// The bytes `/download` serves for a resource.
    pub async fn download(&self, rid: &str) -> Vec<u8> {
        self.get(&format!("/api/v1/resources/{rid}/download"))
            .await
            .bytes()
            .await
            .expect("download")
            .to_vec()
    }

    pub async fn org(&self, slug: &str, name: &str) {
        let f = OrganizationInput {
            slug: Some(slug.into()),
            name: Some(name.into()),
            ..Default::default()
        }
        .validate()
        .expect("valid org");
        self.catalog
            .create_organization(&f)
            .await
            .expect("create org");
    }

    pub async fn dataset(&self, token: &str, org: &str, slug: &str, visibility: &str) -> Value {
        let res = self
            .post_json(
                "/api/v1/datasets",
                token,
                &json!({"slug": slug, "title": format!("Titel {slug}"), "description": "Beschreibung", "organization": org,
                    "license": "dl-by-de/2.0", "visibility": visibility, "keywords": ["Test"], "themes": ["ENVI"],
                    "release_checklist": release()}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create dataset {slug}");
        res.json().await.expect("json")
    }

    pub async fn upload(&self, token: &str, dataset: &str, name: &str, bytes: Vec<u8>) -> Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new()
            .text("title", format!("Datei {name}"))
            .part("file", part);
        self.client
            .post(self.url(&format!("/api/v1/datasets/{dataset}/resources")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// Waits until search has caught up with changes made behind the server's back (directly
    /// in the catalog, like the CLI does); the follower applies them within a second.
    pub async fn wait_for_search(&self, path: &str, expected_total: u64) -> serde_json::Value {
        let mut last = serde_json::Value::Null;
        for _ in 0..50 {
            last = json(self.get(path).await).await;
            if last["total"].as_u64() == Some(expected_total) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        last
    }

    /// Number of stored blobs and of staging files left in the data directory.
    pub fn stored_files(&self) -> (usize, usize) {
        fn count(p: &Path) -> usize {
            std::fs::read_dir(p)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .map(|e| {
                            if e.path().is_dir() {
                                count(&e.path())
                            } else {
                                1
                            }
                        })
                        .sum()
                })
                .unwrap_or(0)
        }
        (
            count(&self.dir.path().join("files")),
            count(&self.dir.path().join("tmp")),
        )
    }

    /// Files in the scratch directory once background ingestion is done with its own (an
    /// upload's staging file would stay: it has no job that ends).
    pub async fn scratch_files_when_idle(&self) -> usize {
        for _ in 0..200 {
            if self.stored_files().1 == 0 {
                return 0;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        self.stored_files().1
    }

    pub async fn resource_rows(&self) -> i64 {
        self.catalog
            .totals(&allmende_core::authz::ReadScope::All)
            .await
            .expect("totals")
            .resources
    }
}

/// The release checklist, all confirmed (a first publication needs it).
pub fn release() -> Value {
    json!({"no_personal_data": true, "no_secrets": true, "rights_cleared": true, "licence_applicable": true})
}

pub async fn json(res: Response) -> Value {
    res.json().await.expect("json body")
}

/// Asserts a problem response with this status; returns the document.
pub async fn problem(res: Response, status: StatusCode) -> Value {
    assert_eq!(res.status(), status, "status of {}", res.url());
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let v: Value = res.json().await.expect("problem json");
    assert_eq!(v["status"], status.as_u16());
    assert!(
        v["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("/problems/"))
    );
    v
}

/// A well-formed 1 × 1 PNG (transparent), as a browser would upload one.
pub const PIXEL_PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

/// [`PIXEL_PNG`] with a text chunk naming a person after its header, as editors write them.
pub fn pixel_png_with_author() -> Vec<u8> {
    let text = b"Author\0Erika Mustermann";
    let mut png = PIXEL_PNG[..33].to_vec();
    png.extend_from_slice(&(text.len() as u32).to_be_bytes());
    png.extend_from_slice(b"tEXt");
    png.extend_from_slice(text);
    png.extend_from_slice(&[0, 0, 0, 0]);
    png.extend_from_slice(&PIXEL_PNG[33..]);
    png
}
