//! Acknowledged privacy findings: an organization admin's reason for letting one finding of
//! one file out. Keyed by the file's checksum, so that a replaced file is checked afresh.

use allmende_core::time;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::{Actor, record_audit};
use super::{Catalog, parse_time, parse_uuid};
use crate::Result;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Acknowledgement {
    pub id: Uuid,
    pub resource_id: Uuid,
    pub source_sha256: String,
    pub column: String,
    /// The rule's code (`person_name`, `iban`, …).
    pub rule: String,
    pub reason: String,
    pub user_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// What is acknowledged: a finding of one file.
#[derive(Debug, Clone)]
pub struct NewAcknowledgement<'a> {
    pub resource_id: Uuid,
    pub source_sha256: &'a str,
    pub column: &'a str,
    pub rule: &'a str,
    pub reason: &'a str,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

fn from_row(r: Row) -> Result<Acknowledgement> {
    let (id, resource_id, source_sha256, column, rule, reason, user_id, created_at) = r;
    Ok(Acknowledgement {
        id: parse_uuid(&id)?,
        resource_id: parse_uuid(&resource_id)?,
        source_sha256,
        column,
        rule,
        reason,
        user_id: user_id.as_deref().map(parse_uuid).transpose()?,
        created_at: parse_time(&created_at)?,
    })
}

impl Catalog {
    /// Records (or, given again, replaces the reason of) an acknowledgement, and writes it to
    /// the audit log in the same transaction.
    pub async fn acknowledge_finding(
        &self,
        ack: &NewAcknowledgement<'_>,
        actor: &Actor<'_>,
    ) -> Result<Acknowledgement> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO privacy_acknowledgements (id, resource_id, source_sha256, column_name, rule, reason, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (resource_id, source_sha256, column_name, rule) \
             DO UPDATE SET reason = excluded.reason, user_id = excluded.user_id, created_at = excluded.created_at",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(ack.resource_id.to_string())
        .bind(ack.source_sha256)
        .bind(ack.column)
        .bind(ack.rule)
        .bind(ack.reason)
        .bind(actor.id.map(|u| u.to_string()))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record_audit(
            &mut tx,
            actor,
            "privacy.acknowledge",
            "resource",
            ack.resource_id,
            &serde_json::json!({
                "source_sha256": ack.source_sha256,
                "column": ack.column,
                "rule": ack.rule,
                "reason": ack.reason,
            }),
        )
        .await?;
        let row: Row = sqlx::query_as(
            "SELECT id, resource_id, source_sha256, column_name, rule, reason, user_id, created_at \
             FROM privacy_acknowledgements WHERE resource_id = $1 AND source_sha256 = $2 AND column_name = $3 AND rule = $4",
        )
        .bind(ack.resource_id.to_string())
        .bind(ack.source_sha256)
        .bind(ack.column)
        .bind(ack.rule)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        from_row(row)
    }

    /// The acknowledgements of a resource's files, oldest first.
    pub async fn acknowledgements(&self, resource_id: Uuid) -> Result<Vec<Acknowledgement>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, resource_id, source_sha256, column_name, rule, reason, user_id, created_at \
             FROM privacy_acknowledgements WHERE resource_id = $1 ORDER BY created_at, id",
        )
        .bind(resource_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }
}
