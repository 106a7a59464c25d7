//! The history of a dataset's metadata: the fields as stored by every create and update, with
//! who and when, written in the transaction of the change.

use allmende_core::time;
use allmende_core::validate::DatasetFields;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::audit::Actor;
use super::{Catalog, parse_time, parse_uuid};
use crate::{CatalogError, Result};

#[derive(Debug, Clone)]
pub struct Revision {
    /// 1, 2, … per dataset.
    pub revision: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    pub fields: DatasetFields,
}

/// Appends the next revision inside the caller's transaction (which holds the dataset's row,
/// so that two changes of one dataset cannot take the same number).
pub(crate) async fn record_revision(
    conn: &mut AnyConnection,
    dataset: Uuid,
    fields: &DatasetFields,
    by: &Actor<'_>,
) -> Result<()> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(revision) FROM dataset_revisions WHERE dataset_id = $1")
            .bind(dataset.to_string())
            .fetch_one(&mut *conn)
            .await?;
    let json = serde_json::to_string(fields).map_err(|e| CatalogError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO dataset_revisions (id, dataset_id, revision, at, actor_id, actor_name, fields) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(dataset.to_string())
    .bind(last.unwrap_or(0) + 1)
    .bind(time::to_db(&time::now()))
    .bind(by.id.map(|u| u.to_string()))
    .bind(by.name)
    .bind(json)
    .execute(conn)
    .await?;
    Ok(())
}

type Row = (i64, String, Option<String>, Option<String>, String);

fn revision((revision, at, actor_id, actor_name, fields): Row) -> Result<Revision> {
    Ok(Revision {
        revision,
        at: parse_time(&at)?,
        actor_id: actor_id.as_deref().map(parse_uuid).transpose()?,
        actor_name,
        fields: serde_json::from_str(&fields)
            .map_err(|e| CatalogError::Corrupt(format!("revision {revision}: {e}")))?,
    })
}

impl Catalog {
    /// The newest `limit` revisions of a dataset, newest first.
    pub async fn dataset_revisions(&self, dataset: Uuid, limit: i64) -> Result<Vec<Revision>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT revision, at, actor_id, actor_name, fields FROM dataset_revisions \
             WHERE dataset_id = $1 ORDER BY revision DESC LIMIT $2",
        )
        .bind(dataset.to_string())
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(revision).collect()
    }
}
