//! The audit log: who acknowledged privacy findings, published a dataset or let a held file
//! out, and when. Written in the transaction of what it records, read only by sysadmins.

use allmende_core::time;
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::{Catalog, parse_time, parse_uuid};
use crate::Result;

/// Who did something: the user (kept by name too, so the entry outlives the account).
#[derive(Debug, Clone, Default)]
pub struct Actor<'a> {
    pub id: Option<Uuid>,
    pub name: Option<&'a str>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// What happened, e.g. `privacy.acknowledge`, `dataset.publish`, `resource.release`.
    pub action: String,
    /// `dataset` or `resource`.
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub detail: serde_json::Value,
}

/// Appends an entry inside the caller's transaction.
pub(crate) async fn record_audit(
    conn: &mut AnyConnection,
    actor: &Actor<'_>,
    action: &str,
    subject_type: &str,
    subject_id: Uuid,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor_id, actor_name, action, subject_type, subject_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(Uuid::new_v4().to_string())
    .bind(time::to_db(&time::now()))
    .bind(actor.id.map(|u| u.to_string()))
    .bind(actor.name)
    .bind(action)
    .bind(subject_type)
    .bind(subject_id.to_string())
    .bind(detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

impl Catalog {
    /// Records one event on its own.
    pub async fn audit(
        &self,
        actor: &Actor<'_>,
        action: &str,
        subject_type: &str,
        subject_id: Uuid,
        detail: &serde_json::Value,
    ) -> Result<()> {
        let _w = self.db.write_guard().await;
        let mut conn = self.db.pool.acquire().await?;
        record_audit(&mut conn, actor, action, subject_type, subject_id, detail).await
    }

    /// Entries newest first, optionally only for one subject.
    pub async fn audit_log(
        &self,
        subject_id: Option<Uuid>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>> {
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            String,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, actor_id, actor_name, action, subject_type, subject_id, detail FROM audit_log \
             WHERE ($1 = '' OR subject_id = $1) ORDER BY at DESC, id LIMIT $2 OFFSET $3",
        )
        .bind(subject_id.map(|u| u.to_string()).unwrap_or_default())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, at, actor_id, actor_name, action, subject_type, subject_id, detail)| {
                    Ok(AuditEntry {
                        id: parse_uuid(&id)?,
                        at: parse_time(&at)?,
                        actor_id: actor_id.as_deref().map(parse_uuid).transpose()?,
                        actor_name,
                        action,
                        subject_type,
                        subject_id,
                        detail: serde_json::from_str(&detail).unwrap_or_default(),
                    })
                },
            )
            .collect()
    }
}

impl Catalog {
    /// Records a dataset's first publication with the checklist its publisher confirmed, and
    /// the publication in the audit log, in one transaction. `false` when it was released
    /// before (the first release stays).
    pub async fn record_release(
        &self,
        dataset: Uuid,
        actor: &Actor<'_>,
        checklist: &allmende_core::ReleaseChecklist,
        detail: &serde_json::Value,
    ) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE datasets SET released_at = $2, released_by = $3, release_checklist = $4 \
             WHERE id = $1 AND released_at IS NULL",
        )
        .bind(dataset.to_string())
        .bind(time::to_db(&time::now()))
        .bind(actor.name)
        .bind(serde_json::to_string(checklist).unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mut detail = detail.clone();
        detail["release_checklist"] = serde_json::to_value(checklist).unwrap_or_default();
        detail["first"] = (n > 0).into();
        record_audit(
            &mut tx,
            actor,
            "dataset.publish",
            "dataset",
            dataset,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(n > 0)
    }
}
