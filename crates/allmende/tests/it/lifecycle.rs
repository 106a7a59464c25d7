//! Start, restart, migrations, the CLI next to a running server, backups and demo data.

use std::process::Command;

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer, json, test_config};

/// Runs the real binary against the test server's data directory and database.
fn allmende(s: &TestServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_allmende"))
        .args(args)
        .arg("--data-dir")
        .arg(s.data_dir())
        .env("ALLMENDE_LOG_LEVEL", "warn")
        .env("ALLMENDE_DATABASE_URL", &s.config.database_url)
        .output()
        .expect("run allmende")
}

async fn restart_keeps_everything_and_migrations_are_idempotent(backend: Backend) {
    let s = TestServer::start(backend).await;
    assert_eq!(
        s.catalog.db.schema_version().await.unwrap(),
        s.catalog.db.supported_version()
    );
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "bleibt", "private").await;
    let r = json(
        s.upload(&ed, "bleibt", "daten.csv", b"a;b\n1;2\n3;4\n".to_vec())
            .await,
    )
    .await;
    let (dir, config) = s.stop().await;

    // Same data directory, new server: migrations find nothing to do, data and tokens survive.
    let s = TestServer::start_in(dir, config).await;
    let got = json(s.get_as("/api/v1/datasets/bleibt", &ed).await).await;
    assert_eq!(got["visibility"], "private");
    let res = s
        .get_as(
            &format!("/api/v1/resources/{}/download", r["id"].as_str().unwrap()),
            &ed,
        )
        .await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"a;b\n1;2\n3;4\n");
    assert_eq!(
        s.get("/api/v1/datasets/bleibt").await.status(),
        StatusCode::NOT_FOUND
    );

    // A database migrated by a newer binary is refused.
    sqlx_newer_version(&s).await;
    let (dir, config) = s.stop().await;
    let err = allmende::open_catalog(&config, dir.path())
        .await
        .err()
        .expect("refused");
    assert!(format!("{err:#}").contains("newer"), "{err:#}");
}

/// Pretends a newer Allmende migrated this database, as an operator's rollback would meet it.
async fn sqlx_newer_version(s: &TestServer) {
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, 'from the future', TRUE, $2, 0)",
    )
    .bind(99_990_101_000_000_i64)
    .bind(vec![0u8])
    .execute(s.catalog.db.pool())
    .await
    .expect("insert a future migration");
}

async fn cli_works_while_the_server_runs(backend: Backend) {
    let s = TestServer::start(backend).await;
    let out = allmende(
        &s,
        &[
            "org",
            "add",
            "stadt-heidenheim",
            "--name",
            "Stadt Heidenheim an der Brenz",
            "--ags",
            "08135019",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = allmende(
        &s,
        &[
            "user",
            "add",
            "hausmeister",
            "--sysadmin",
            "--password",
            "ein-sehr-langes-passwort",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = allmende(&s, &["user", "add", "kurz", "--password", "kurz"]);
    assert!(!out.status.success(), "short password refused");
    let out = allmende(
        &s,
        &[
            "user",
            "add",
            "hausmeister",
            "--password",
            "ein-sehr-langes-passwort",
        ],
    );
    assert!(!out.status.success(), "duplicate user refused");

    let out = allmende(&s, &["user", "token", "create", "hausmeister"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("alm_"));

    let me = json(s.get_as("/api/v1/me", &token).await).await;
    assert_eq!(me["user"]["name"], "hausmeister");
    assert_eq!(me["user"]["sysadmin"], true);
    let orgs = String::from_utf8(allmende(&s, &["org", "list"]).stdout).unwrap();
    assert!(orgs.contains("stadt-heidenheim"));
    let users = String::from_utf8(allmende(&s, &["user", "list"]).stdout).unwrap();
    assert!(users.contains("hausmeister\tsysadmin"));

    let out = allmende(&s, &["user", "token", "revoke", "hausmeister", "cli"]);
    assert!(out.status.success());
    assert_eq!(
        s.get_as("/api/v1/me", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let out = allmende(
        &s,
        &[
            "user",
            "set-password",
            "hausmeister",
            "--password",
            "noch-ein-langes-passwort",
        ],
    );
    assert!(out.status.success());
    assert!(
        s.catalog
            .verify_login("hausmeister", "noch-ein-langes-passwort")
            .await
            .unwrap()
            .is_some()
    );

    // A consistent backup while serving (SQLite; PostgreSQL is backed up with pg_dump).
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "gesichert", "public").await;
    s.upload(&ed, "gesichert", "x.csv", b"a;b\n1;2\n".to_vec())
        .await;
    let backup = tempfile::tempdir().unwrap();
    let target = backup.path().join("sicherung");
    if backend == Backend::Postgres {
        let out = allmende(&s, &["backup", "--to", target.to_str().unwrap()]);
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let out = allmende(&s, &["backup", "--to", target.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = allmende::open_catalog(
        &test_config(allmende_catalog::Db::sqlite_url(&target.join("catalog.db"))),
        &target,
    )
    .await
    .unwrap();
    let ds = restored
        .dataset("gesichert")
        .await
        .unwrap()
        .expect("dataset in backup");
    let sha = ds.resources.unwrap()[0].sha256.clone().unwrap();
    assert!(
        restored.files.stat(&sha).await.unwrap().is_some(),
        "file in backup"
    );
    let out = allmende(&s, &["backup", "--to", target.to_str().unwrap()]);
    assert!(!out.status.success(), "refuses a non-empty target");
}

async fn demo_data_is_idempotent_and_hides_private_and_draft(backend: Backend) {
    let s = TestServer::start(backend).await;
    let first = allmende::demo::seed(s.app(), &s.data_dir()).await.unwrap();
    assert!(first.datasets >= 25);
    assert_eq!(first.created, first.datasets);
    let second = allmende::demo::seed(s.app(), &s.data_dir()).await.unwrap();
    assert_eq!(second.created, 0);
    assert_eq!(
        second.admin_password, first.admin_password,
        "the printed password keeps working"
    );

    let list = s
        .wait_for_search("/api/v1/datasets?per_page=100", first.datasets as u64 - 2)
        .await;
    assert_eq!(list["total"].as_i64().unwrap(), first.datasets as i64 - 2);
    let orgs = json(s.get("/api/v1/organizations").await).await;
    let slugs: Vec<&str> = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["slug"].as_str().unwrap())
        .collect();
    for slug in [
        "stadt-aalen",
        "stadt-heidenheim",
        "stadtwerke-aalen",
        "hochschule-aalen",
    ] {
        assert!(slugs.contains(&slug), "{slug}");
    }
    let themes: std::collections::BTreeSet<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| {
            d["themes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_string())
        })
        .collect();
    assert!(themes.len() >= 10, "most themes are covered: {themes:?}");
    assert_eq!(
        s.get("/api/v1/datasets/verkehrszaehlung-2025-rohdaten")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.get("/api/v1/datasets/mietspiegel-heidenheim-2026")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Two approved showcases; the tree map comes with its picture (a PNG of the trees).
    let showcases = json(s.get("/api/v1/showcases").await).await;
    let items = showcases.as_array().unwrap();
    assert_eq!(items.len(), 2, "{showcases}");
    let map = items
        .iter()
        .find(|i| i["title"] == "Baumkarte Aalen")
        .expect("the tree map");
    let picture = s
        .client
        .get(map["image_url"].as_str().expect("a picture"))
        .send()
        .await
        .unwrap();
    assert_eq!(picture.status(), StatusCode::OK);
    assert_eq!(picture.headers()["content-type"], "image/png");
    let png = picture.bytes().await.unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000);
    assert!(
        s.catalog
            .verify_login("admin", &first.admin_password)
            .await
            .unwrap()
            .is_some()
    );
}

crate::both_backends!(
    restart_keeps_everything_and_migrations_are_idempotent,
    cli_works_while_the_server_runs,
    demo_data_is_idempotent_and_hides_private_and_draft
);

/// `allmende ingest FILE | head`: a reader that goes away before the report is written is no
/// error (it used to panic in `println!`), in the summary and in `--json`.
#[test]
fn ingest_output_to_a_closed_pipe_is_no_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zaehlstellen.csv");
    std::fs::write(
        &file,
        "Zählstelle;Radfahrten\r\nKocherbrücke;1520\r\nBahnhof;980\r\n",
    )
    .unwrap();
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_allmende"));
        cmd.arg("ingest").arg(&file);
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the child writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "json={json}: {:?} {stderr}",
            out.status
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
