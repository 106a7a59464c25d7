//! Connecting to the catalog database. The backend is chosen by the URL; everything above this
//! module is backend-agnostic. Where SQL must differ, it differs in [`Backend`]'s methods.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor};
use tokio::sync::{Mutex, MutexGuard};

use crate::{CatalogError, Result};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(CatalogError::UnsupportedUrl(redact(url)))
        }
    }

    /// The name sqlx's `Any` driver reports for a connection of this backend.
    pub(crate) fn of_connection(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == "PostgreSQL" {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }

    // Where the SQL of the two backends differs, it differs here.

    /// Makes change-log sequence numbers become visible in order. PostgreSQL hands out
    /// `BIGSERIAL` values at insert time, so with concurrent writers a follower reading
    /// `seq > last` could skip a row that commits late; a transaction-scoped advisory lock taken
    /// right before the insert makes commit order equal sequence order. SQLite has one writer.
    pub(crate) fn change_log_lock(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => {
                Some("SELECT 1 FROM (SELECT pg_advisory_xact_lock(7346501)) AS serialised")
            }
        }
    }

    /// Claims the next due job. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several server
    /// processes claim concurrently without ever handing out one job twice; on SQLite the
    /// single UPDATE statement is atomic under the database write lock.
    pub(crate) fn claim_job_sql(self) -> &'static str {
        match self {
            Self::Sqlite => {
                "UPDATE jobs SET status = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1, \
                 updated_at = $2 WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_after <= $2 \
                 AND attempts < max_attempts ORDER BY run_after, id LIMIT 1) RETURNING id, kind, payload, attempts"
            }
            Self::Postgres => {
                "UPDATE jobs SET status = 'running', locked_by = $1, locked_at = $2, attempts = attempts + 1, \
                 updated_at = $2 WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_after <= $2 \
                 AND attempts < max_attempts ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                 RETURNING id, kind, payload, attempts"
            }
        }
    }

    /// Lists `(table, column)` of the catalog schema, for comparing the two migration trees.
    fn columns_sql(self) -> &'static str {
        match self {
            Self::Sqlite => {
                "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' \
                 ORDER BY m.name, p.cid"
            }
            Self::Postgres => {
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations' \
                 ORDER BY table_name, ordinal_position"
            }
        }
    }

    /// After rows with explicit sequence numbers were copied in, the next one must follow them.
    pub(crate) fn resync_change_seq_sql(self) -> Option<&'static str> {
        match self {
            Self::Sqlite => None,
            Self::Postgres => Some(
                "SELECT setval(pg_get_serial_sequence('changes', 'seq'), COALESCE((SELECT MAX(seq) FROM changes), 0) + 1, false)",
            ),
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Self::Sqlite => &SQLITE_MIGRATIONS,
            Self::Postgres => &POSTGRES_MIGRATIONS,
        }
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A pool on the catalog database.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer; serialising writers inside the process avoids
    /// SQLITE_BUSY on read-to-write upgrades. Other processes (the CLI) wait on busy_timeout.
    write_lock: Arc<Mutex<()>>,
}

pub(crate) struct WriteGuard<'a>(#[allow(dead_code)] Option<MutexGuard<'a, ()>>);

impl Db {
    /// Connects without migrating. Fails clearly on an unreachable server or bad credentials.
    pub async fn connect(url: &str, opts: &DbOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let connect = AnyConnectOptions::from_str(url)
            .map_err(|e| CatalogError::UnsupportedUrl(format!("{}: {e}", redact(url))))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections)
            .min_connections(1)
            .acquire_timeout(opts.acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(|e| CatalogError::Unavailable(format!("{}: {e}", redact(url))))?;
        Ok(Self {
            pool,
            backend,
            write_lock: Arc::new(Mutex::new(())),
        })
    }

    /// The SQLite URL for a database file inside the data directory.
    pub fn sqlite_url(path: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", path.display())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        self.check_not_newer().await?;
        self.backend.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// Refuses a database that a newer binary has migrated.
    pub async fn check_not_newer(&self) -> Result<()> {
        let supported = self.supported_version();
        let found = self.schema_version().await?;
        if found > supported {
            return Err(CatalogError::SchemaTooNew { found, supported });
        }
        Ok(())
    }

    pub fn supported_version(&self) -> i64 {
        self.backend
            .migrator()
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// The highest applied migration, 0 for an empty database.
    pub async fn schema_version(&self) -> Result<i64> {
        let exists: i64 = match self.backend {
            Backend::Sqlite => sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres => sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        }
        .fetch_one(&self.pool)
        .await?;
        if exists == 0 {
            return Ok(0);
        }
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    pub(crate) async fn write_guard(&self) -> WriteGuard<'_> {
        match self.backend {
            Backend::Sqlite => WriteGuard(Some(self.write_lock.lock().await)),
            Backend::Postgres => WriteGuard(None),
        }
    }

    /// The catalog's tables and their columns, in column order.
    pub async fn schema_columns(&self) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
        let rows: Vec<(String, String)> = sqlx::query_as(self.backend.columns_sql())
            .fetch_all(&self.pool)
            .await?;
        let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for (table, column) in rows {
            out.entry(table).or_default().push(column);
        }
        Ok(out)
    }

    /// The pool itself, for tools and tests that need plain SQL (never for catalog logic).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A cheap round trip for readiness checks.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A consistent copy of an SQLite database while it is in use (`VACUUM INTO`).
    pub async fn backup_sqlite_to(&self, dest: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(CatalogError::UnsupportedUrl(
                "backup copies SQLite only; use pg_dump for PostgreSQL".into(),
            ));
        }
        let dest = dest.to_string_lossy().replace('\'', "''");
        sqlx::query(&format!("VACUUM INTO '{dest}'"))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(Backend::from_url("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert!(Backend::from_url("mysql://h/db").is_err());
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    }
}
