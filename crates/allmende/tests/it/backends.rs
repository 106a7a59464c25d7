//! What only makes sense across backends: identical schemas, clear connection errors, moving
//! a catalog to PostgreSQL, faults, and concurrency of the job queue and the change log.

use std::collections::HashSet;
use std::process::Command;
use std::time::Duration;

use allmende_catalog::{Catalog, Db};
use allmende_core::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{
    Backend, TestServer, fresh_postgres_url, json, postgres_admin_url, problem, test_config,
};

fn run(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_allmende"));
    cmd.args(args).env("ALLMENDE_LOG_LEVEL", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run allmende")
}

#[tokio::test(flavor = "multi_thread")]
async fn both_migration_trees_give_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let lite = Db::connect(
        &Db::sqlite_url(&dir.path().join("c.db")),
        &Default::default(),
    )
    .await
    .unwrap();
    lite.migrate().await.unwrap();
    let pg = Db::connect(&fresh_postgres_url().await, &Default::default())
        .await
        .unwrap();
    pg.migrate().await.unwrap();
    let (a, b) = (
        lite.schema_columns().await.unwrap(),
        pg.schema_columns().await.unwrap(),
    );
    assert!(a.contains_key("datasets") && a.contains_key("changes") && a.contains_key("jobs"));
    assert_eq!(
        a, b,
        "SQLite and PostgreSQL migrations must define the same tables and columns"
    );
    assert_eq!(
        lite.schema_version().await.unwrap(),
        pg.schema_version().await.unwrap()
    );
    assert_eq!(lite.supported_version(), pg.supported_version());
    // Beyond names: column types, NOT NULL and primary keys, and every index and unique
    // constraint (by table, columns and uniqueness; names differ by backend).
    let (lite_cols, pg_cols) = (
        typed_columns(&lite, true).await,
        typed_columns(&pg, false).await,
    );
    assert!(lite_cols.len() > 50, "{lite_cols:?}");
    let only = |a: &std::collections::BTreeSet<String>, b: &std::collections::BTreeSet<String>| {
        a.difference(b).cloned().collect::<Vec<_>>()
    };
    assert!(
        lite_cols == pg_cols,
        "column definitions differ: only SQLite {:?}, only PostgreSQL {:?}",
        only(&lite_cols, &pg_cols),
        only(&pg_cols, &lite_cols)
    );
    let (lite_idx, pg_idx) = (indexes(&lite, true).await, indexes(&pg, false).await);
    assert!(
        lite_idx
            .iter()
            .any(|i| i.starts_with("memberships(organization_id)")),
        "{lite_idx:?}"
    );
    assert!(
        lite_idx.iter().any(|i| i.ends_with(" unique")),
        "{lite_idx:?}"
    );
    assert!(
        lite_idx == pg_idx,
        "indexes differ: only SQLite {:?}, only PostgreSQL {:?}",
        only(&lite_idx, &pg_idx),
        only(&pg_idx, &lite_idx)
    );
}

/// The type family both backends store a declared type as.
fn type_family(declared: &str) -> &'static str {
    match declared.trim().to_ascii_uppercase().as_str() {
        "INTEGER" | "BIGINT" | "INT" | "INT8" | "SMALLINT" | "BIGSERIAL" => "integer",
        "TEXT" | "VARCHAR" | "CHARACTER VARYING" => "text",
        "REAL" | "DOUBLE PRECISION" | "FLOAT" => "real",
        "BLOB" | "BYTEA" => "blob",
        "BOOLEAN" => "boolean",
        _ => "other",
    }
}

/// `table.column type [not null] [pk]` for every column (a primary key is never null).
async fn typed_columns(db: &Db, sqlite: bool) -> std::collections::BTreeSet<String> {
    let sql = if sqlite {
        "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" AS BIGINT), CAST(p.pk AS BIGINT) \
         FROM sqlite_master m JOIN pragma_table_info(m.name) p \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'"
    } else {
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
           CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END::bigint, \
           CASE WHEN EXISTS (SELECT 1 FROM information_schema.table_constraints t \
             JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
              AND k.table_schema = t.table_schema \
             WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
              AND t.table_name = c.table_name AND k.column_name = c.column_name) THEN 1 ELSE 0 END::bigint \
         FROM information_schema.columns c \
         WHERE c.table_schema = current_schema() AND c.table_name <> '_sqlx_migrations'"
    };
    let rows: Vec<(String, String, String, i64, i64)> =
        sqlx::query_as(sql).fetch_all(db.pool()).await.unwrap();
    rows.into_iter()
        .map(|(t, c, ty, notnull, pk)| {
            let pk = pk > 0;
            format!(
                "{t}.{c} {}{}{}",
                type_family(&ty),
                if notnull > 0 || pk { " not null" } else { "" },
                if pk { " pk" } else { "" }
            )
        })
        .collect()
}

/// `table(col, …)` plus ` unique` for every index except the primary keys' own.
async fn indexes(db: &Db, sqlite: bool) -> std::collections::BTreeSet<String> {
    let sql = if sqlite {
        "SELECT m.name, il.name, CAST(il.\"unique\" AS BIGINT), ii.name, CAST(ii.seqno AS BIGINT) \
         FROM sqlite_master m JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
           AND il.origin <> 'pk'"
    } else {
        "SELECT t.relname::text, i.relname::text, CASE WHEN ix.indisunique THEN 1 ELSE 0 END::bigint, \
           a.attname::text, (array_position(ix.indkey::int2[], a.attnum) - 1)::bigint \
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
           JOIN pg_class t ON t.oid = ix.indrelid \
           JOIN pg_namespace n ON n.oid = t.relnamespace \
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(ix.indkey) \
         WHERE n.nspname = current_schema() AND NOT ix.indisprimary \
           AND t.relname <> '_sqlx_migrations'"
    };
    let rows: Vec<(String, String, i64, String, i64)> =
        sqlx::query_as(sql).fetch_all(db.pool()).await.unwrap();
    type Columns = Vec<(i64, String)>;
    let mut by_index: std::collections::BTreeMap<(String, String), (bool, Columns)> =
        Default::default();
    for (table, index, unique, column, pos) in rows {
        let e = by_index
            .entry((table, index))
            .or_insert((unique > 0, Vec::new()));
        e.1.push((pos, column));
    }
    by_index
        .into_iter()
        .map(|((table, _), (unique, mut cols))| {
            cols.sort();
            let cols: Vec<String> = cols.into_iter().map(|(_, c)| c).collect();
            format!(
                "{table}({}){}",
                cols.join(", "),
                if unique { " unique" } else { "" }
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_database_urls_fail_clearly_and_never_fall_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let pg = postgres_admin_url();
    let server = pg
        .split('?')
        .next()
        .unwrap()
        .rsplit_once('/')
        .unwrap()
        .0
        .to_string();
    let cases = [
        (
            "mysql://root@127.0.0.1/allmende".to_string(),
            "unsupported database URL",
        ),
        (
            "postgres://postgres@127.0.0.1:1/allmende".to_string(),
            "database unavailable",
        ),
        (format!("{}/gibt_es_nicht", server), "does not exist"),
        (
            "postgres://niemand@127.0.0.1:5432/test".to_string(),
            "niemand",
        ),
    ];
    for (url, expected) in cases {
        for cmd in [
            &["migrate", "--data-dir", d][..],
            &["serve", "--bind", "127.0.0.1:0", "--data-dir", d][..],
        ] {
            let out = run(
                cmd,
                &[
                    ("ALLMENDE_DATABASE_URL", url.as_str()),
                    ("ALLMENDE_DB_ACQUIRE_TIMEOUT_SECS", "2"),
                ],
            );
            assert!(!out.status.success(), "{cmd:?} with {url} must fail");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(expected), "{cmd:?} with {url}: {err}");
        }
    }
    assert!(
        !dir.path().join("catalog.db").exists(),
        "no silent fallback to SQLite"
    );

    let out = run(&["migrate", "--data-dir", d], &[]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("schema version 0 -> "));
}

#[tokio::test(flavor = "multi_thread")]
async fn copy_catalog_moves_an_embedded_portal_to_postgres() {
    // An embedded portal with demo data, a user and a token.
    let s = TestServer::start(Backend::Sqlite).await;
    allmende::demo::seed(s.app(), &s.data_dir()).await.unwrap();
    let token = s
        .user("redaktion", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&token, "stadt-aalen", "nach-postgres", "private")
        .await;
    // The copy runs during a write pause (docs/deployment.md): let the worker finish the
    // demo's table ingestions first, they write to the catalog.
    for _ in 0..600 {
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')")
                .fetch_one(s.catalog.db.pool())
                .await
                .unwrap();
        if open == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let sqlite_url = s.config.database_url.clone();
    let dir = s.data_dir();
    let d = dir.to_str().unwrap();
    let pg = fresh_postgres_url().await;

    for _ in 0..2 {
        // Twice: the second run finds everything in place and changes nothing.
        let out = run(
            &[
                "copy-catalog",
                "--from",
                &sqlite_url,
                "--to",
                &pg,
                "--data-dir",
                d,
            ],
            &[],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("row counts verified"));
    }
    let lite = s.catalog.db.clone();
    let target = Db::connect(&pg, &Default::default()).await.unwrap();
    for table in [
        "organizations",
        "users",
        "memberships",
        "api_tokens",
        "datasets",
        "dataset_themes",
        "resources",
        "changes",
    ] {
        let q = format!("SELECT COUNT(*) FROM {table}");
        let a: i64 = sqlx::query_scalar(&q).fetch_one(lite.pool()).await.unwrap();
        let b: i64 = sqlx::query_scalar(&q)
            .fetch_one(target.pool())
            .await
            .unwrap();
        assert_eq!(a, b, "{table}");
        assert!(a > 0, "{table} has rows");
    }
    let (dir, _) = s.stop().await;

    // The same data directory served from PostgreSQL: datasets, files, tokens and the
    // change log carry over, and new changes continue the sequence.
    let mut config = test_config(pg.clone());
    config.database_url = pg;
    let s = TestServer::start_in(dir, config).await;
    let list = json(s.get("/api/v1/datasets?per_page=100").await).await;
    assert_eq!(list["total"], 32);
    let ds = json(s.get_as("/api/v1/datasets/nach-postgres", &token).await).await;
    assert_eq!(ds["visibility"], "private");
    let ds = json(s.get("/api/v1/datasets/baumkataster-aalen").await).await;
    let res = s
        .get(&format!(
            "/api/v1/resources/{}/download",
            ds["resources"][0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let before = s.catalog.changes_since(0, 100_000).await.unwrap();
    s.dataset(&token, "stadt-aalen", "neu-auf-postgres", "public")
        .await;
    let after = s
        .catalog
        .changes_since(before.last().unwrap().seq, 1000)
        .await
        .unwrap();
    // The ingestion worker may add entries of its own meanwhile.
    assert!(
        after
            .iter()
            .any(|c| c.entity == "dataset" && c.action == "create"),
        "{after:?}"
    );
    assert!(after[0].seq > before.last().unwrap().seq);
}

/// PostgreSQL goes away while serving: requests fail with 503 and work again, without a
/// restart of Allmende, once it is back.
#[tokio::test(flavor = "multi_thread")]
async fn database_outage_gives_503_and_recovers() {
    let s = TestServer::start(Backend::Postgres).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "robust", "public").await;
    let db = s
        .config
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();

    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .unwrap();
    // What a restart looks like from the application: every connection is cut and new ones
    // are refused until the server is back.
    sqlx::query(&format!("ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS false"))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}'"
    ))
    .execute(&mut admin)
    .await
    .unwrap();

    for path in ["/api/v1/datasets/robust", "/api/v1/datasets"] {
        let res = s.get(path).await;
        let p = problem(res, StatusCode::SERVICE_UNAVAILABLE).await;
        assert_eq!(p["type"], "/problems/service-unavailable");
    }
    let res = s.post_json("/api/v1/datasets", &ed, &json!({"title": "Während des Ausfalls", "description": "x", "organization": "stadt-aalen", "license": "cc-zero", "release_checklist": crate::harness::release()})).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        s.get("/readyz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        s.get("/dataset/robust").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    sqlx::query(&format!("ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .unwrap();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        status = s.get("/api/v1/datasets/robust").await.status();
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(status, StatusCode::OK, "recovers by itself");
    assert_eq!(s.get("/readyz").await.status(), StatusCode::OK);
    // Nothing half-written: the dataset attempted during the outage does not exist.
    let list = json(s.get("/api/v1/datasets").await).await;
    assert_eq!(list["total"], 1);
}

async fn long_transaction_does_not_block_readers(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "gelesen", "public").await;

    // A writer holds an open transaction with a changed row …
    let mut tx = s.catalog.db.pool().begin().await.unwrap();
    sqlx::query("UPDATE datasets SET title = 'unfertig' WHERE slug = 'gelesen'")
        .execute(&mut *tx)
        .await
        .unwrap();
    // … while readers keep getting the committed state.
    for _ in 0..5 {
        let res = tokio::time::timeout(Duration::from_secs(10), s.get("/api/v1/datasets/gelesen"))
            .await
            .expect("a reader must not wait for the writer");
        assert_eq!(json(res).await["title"], "Titel gelesen");
        let list = tokio::time::timeout(Duration::from_secs(10), s.get("/api/v1/datasets"))
            .await
            .expect("list not blocked");
        assert_eq!(list.status(), StatusCode::OK);
    }
    tx.rollback().await.unwrap();
}

async fn job_queue_hands_out_each_job_once(backend: Backend) {
    // The queue alone, without a server: a server's own worker would take jobs too.
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(crate::harness::database_url(backend, dir.path()).await);
    let queue = allmende::open_catalog(&config, dir.path()).await.unwrap();
    let mut ids = HashSet::new();
    for i in 0..60 {
        ids.insert(
            queue
                .enqueue_job("test", &json!({"n": i}), 3)
                .await
                .unwrap(),
        );
    }
    // Four workers with pools of their own, like four server processes.
    let mut workers = Vec::new();
    for w in 0..4 {
        let catalog = allmende::open_catalog(&config, dir.path()).await.unwrap();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = catalog.claim_job(&format!("worker-{w}")).await.unwrap() {
                catalog.complete_job(job.id).await.unwrap();
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut claimed = Vec::new();
    for w in workers {
        claimed.extend(w.await.unwrap());
    }
    assert_eq!(claimed.len(), 60, "every job claimed exactly once");
    assert_eq!(claimed.iter().copied().collect::<HashSet<_>>(), ids);

    // Failures retry with backoff until the attempts are used up.
    let id = queue.enqueue_job("flaky", &json!({}), 2).await.unwrap();
    let job = queue.claim_job("w").await.unwrap().unwrap();
    assert_eq!(job.id, id);
    let status = queue
        .fail_job(id, "erster Versuch", chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(status, allmende_catalog::JobStatus::Queued);
    let job = queue.claim_job("w").await.unwrap().unwrap();
    assert_eq!(job.attempts, 2);
    let status = queue
        .fail_job(id, "zweiter Versuch", chrono::Duration::zero())
        .await
        .unwrap();
    assert_eq!(status, allmende_catalog::JobStatus::Failed);
    assert!(queue.claim_job("w").await.unwrap().is_none());
    let (st, attempts, err) = queue.job_status(id).await.unwrap().unwrap();
    assert_eq!(
        (st, attempts, err.as_deref()),
        (
            allmende_catalog::JobStatus::Failed,
            2,
            Some("zweiter Versuch")
        )
    );
    // A job whose worker vanished is put back; once it has ended its worker
    // `max_attempts` times, it is failed for good (and never claimed again).
    let id = queue.enqueue_job("verwaist", &json!({}), 2).await.unwrap();
    queue.claim_job("abgestuerzt").await.unwrap().unwrap();
    let reaped = queue
        .reap_stale_jobs(chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!((reaped.requeued, reaped.failed.len()), (1, 0));
    let again = queue.claim_job("w").await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (id, 2));
    let reaped = queue
        .reap_stale_jobs(chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(reaped.requeued, 0);
    assert_eq!(
        reaped.failed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![id]
    );
    let (st, attempts, _) = queue.job_status(id).await.unwrap().unwrap();
    assert_eq!((st, attempts), (allmende_catalog::JobStatus::Failed, 2));
    assert!(queue.claim_job("w").await.unwrap().is_none());
    // A running job whose worker beats its heartbeat is left alone.
    let id = queue.enqueue_job("lebendig", &json!({}), 3).await.unwrap();
    queue.claim_job("w").await.unwrap().unwrap();
    queue.renew_job(id).await.unwrap();
    let reaped = queue
        .reap_stale_jobs(chrono::Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!((reaped.requeued, reaped.failed.len()), (0, 0));
}

/// Several writers at once while a follower reads the change log with `seq > last`: the
/// follower must see every change (none may commit behind its cursor).
async fn change_log_followers_miss_nothing(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let org = s
        .catalog
        .organization("stadt-aalen", &allmende_core::authz::ReadScope::All)
        .await
        .unwrap()
        .unwrap();
    let writers: Vec<Catalog> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                allmende::open_catalog(&s.config, &s.data_dir())
                    .await
                    .unwrap(),
            );
        }
        v
    };
    let start = s
        .catalog
        .changes_since(0, 100_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |c| c.seq);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = {
        let catalog = s.catalog.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut cursor = start;
            let mut seen = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                for c in catalog.changes_since(cursor, 1000).await.unwrap() {
                    cursor = c.seq;
                    seen.push(c.seq);
                }
                if finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    for (w, catalog) in writers.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                let f = allmende_core::validate::DatasetInput {
                    slug: Some(format!("w{w}-d{i}")),
                    title: Some(format!("Writer {w} dataset {i}")),
                    description: Some("x".into()),
                    license: Some("cc-zero".into()),
                    organization: Some("stadt-aalen".into()),
                    ..Default::default()
                }
                .validate()
                .unwrap();
                catalog.create_dataset(&f, org.id).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = follower.await.unwrap();
    let all: Vec<i64> = s
        .catalog
        .changes_since(start, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(all.len(), 45);
    assert_eq!(seen, all, "the follower saw every change, in order");
}

crate::both_backends!(
    long_transaction_does_not_block_readers,
    job_queue_hands_out_each_job_once,
    change_log_followers_miss_nothing
);
