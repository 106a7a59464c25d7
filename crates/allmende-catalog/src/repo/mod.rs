//! The repository: every catalog read and write as a method on [`Catalog`]. SQL here is
//! portable between SQLite and PostgreSQL (`$n` placeholders, TEXT timestamps and JSON).

mod audit;
mod datasets;
mod feedback;
mod invitations;
mod jobs;
mod orgs;
mod privacy;
mod resources;
mod revisions;
mod schedule;
mod showcases;
mod subscriptions;
mod tables;
mod users;

use std::sync::Arc;

use allmende_core::authz::ReadScope;
use allmende_core::time;
use chrono::{DateTime, Utc};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection};
use uuid::Uuid;

pub use audit::{Actor as AuditActor, AuditEntry};
pub use datasets::{DatasetFilter, DatasetSort, Totals};
pub use feedback::{Feedback, FeedbackFilter, FeedbackKind, FeedbackStatus, NewFeedback};
pub use invitations::PendingInvitation;
pub use jobs::{Job, JobStatus, Reaped};
pub use privacy::{Acknowledgement, NewAcknowledgement};
pub use resources::{NewFile, NewResource};
pub use revisions::Revision;
pub use schedule::ScheduledPublication;
pub use showcases::{NewShowcase, Showcase, ShowcaseDataset, ShowcaseStatus};
pub use subscriptions::{Subscribed, Subscription};
pub use tables::{Finished, INGEST_JOB, PublicTable, TableVersion};

use crate::{BlobStore, CatalogError, Db, Result};

#[derive(Clone)]
pub struct Catalog {
    pub db: Db,
    pub files: Arc<dyn BlobStore>,
    /// Absolute base URL of the portal, without trailing slash; used in download URLs.
    public_url: Arc<str>,
}

impl Catalog {
    pub fn new(db: Db, files: Arc<dyn BlobStore>, public_url: &str) -> Self {
        Self {
            db,
            files,
            public_url: public_url.trim_end_matches('/').into(),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The newest change-log position (0 for an empty log).
    pub async fn last_change_seq(&self) -> Result<i64> {
        let seq: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM changes")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(seq.unwrap_or(0))
    }

    /// Changes after `since`, oldest first: what search, DCAT paging and sync follow.
    pub async fn changes_since(
        &self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<allmende_core::Change>> {
        let rows: Vec<(i64, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, entity, entity_id, action, at FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(since)
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, entity, id, action, at)| {
                Ok(allmende_core::Change {
                    seq,
                    entity,
                    entity_id: parse_uuid(&id)?,
                    action,
                    at: parse_time(&at)?,
                })
            })
            .collect()
    }
}

/// Appends to the change log inside the caller's transaction, so the log and the data commit
/// together.
pub(crate) async fn record_change(
    conn: &mut AnyConnection,
    entity: &str,
    id: Uuid,
    action: &str,
) -> Result<()> {
    if let Some(lock) = crate::Backend::of_connection(conn).change_log_lock() {
        sqlx::query(lock).execute(&mut *conn).await?;
    }
    sqlx::query("INSERT INTO changes (entity, entity_id, action, at) VALUES ($1, $2, $3, $4)")
        .bind(entity)
        .bind(id.to_string())
        .bind(action)
        .bind(time::to_db(&time::now()))
        .execute(conn)
        .await?;
    Ok(())
}

/// A dataset changed: its record's `updated_at` moves. With new data (a file added or replaced,
/// a new table version) a publisher's stated `modified` date (`dct:modified`) moves too, which
/// would otherwise keep saying the data is as old as the date once typed into the form.
pub(crate) async fn touch_dataset(
    conn: &mut AnyConnection,
    dataset_id: Uuid,
    now: &str,
    new_data: bool,
) -> Result<u64> {
    let query = if new_data {
        sqlx::query(
            "UPDATE datasets SET updated_at = $2, \
             modified = CASE WHEN modified IS NOT NULL AND modified < $3 THEN $3 ELSE modified END \
             WHERE id = $1",
        )
        .bind(dataset_id.to_string())
        .bind(now)
        .bind(now.get(..10).unwrap_or(now))
    } else {
        sqlx::query("UPDATE datasets SET updated_at = $2 WHERE id = $1")
            .bind(dataset_id.to_string())
            .bind(now)
    };
    Ok(query.execute(conn).await?.rows_affected())
}

pub(crate) fn parse_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|_| CatalogError::Corrupt(format!("uuid {s:?}")))
}

pub(crate) fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    time::from_db(s).ok_or_else(|| CatalogError::Corrupt(format!("timestamp {s:?}")))
}

pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| CatalogError::Corrupt(format!("json: {e}")))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// A bind value of a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
}

/// A statement built at run time with numbered placeholders, valid on both backends.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn arg(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }

    pub fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.arg(Arg::Text(s.into()))
    }

    pub fn int(&mut self, i: i64) -> &mut Self {
        self.arg(Arg::Int(i))
    }

    /// The visibility rule of [`ReadScope`] on a `datasets` table aliased `alias`.
    pub fn scope(&mut self, alias: &str, scope: &ReadScope) -> &mut Self {
        self.push(&format!("{alias}.deleted = 0"));
        if let ReadScope::PublicAnd(orgs) = scope {
            self.push(&format!(" AND ({alias}.visibility = 'public'"));
            if !orgs.is_empty() {
                self.push(&format!(" OR {alias}.organization_id IN ("));
                for (i, o) in orgs.iter().enumerate() {
                    if i > 0 {
                        self.push(", ");
                    }
                    self.text(o.to_string());
                }
                self.push(")");
            }
            self.push(")");
        }
        self
    }

    pub fn query_as<T>(&self) -> sqlx::query::QueryAs<'_, Any, T, AnyArguments<'_>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }

    pub fn scalar<T>(&self) -> sqlx::query::QueryScalar<'_, Any, T, AnyArguments<'_>>
    where
        (T,): for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_scalar(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

pub(crate) fn opt_date(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

pub(crate) fn parse_opt_date(s: Option<String>) -> Result<Option<chrono::NaiveDate>> {
    s.map(|s| {
        chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
            .map_err(|_| CatalogError::Corrupt(format!("date {s:?}")))
    })
    .transpose()
}
