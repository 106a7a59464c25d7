//! Publications planned for a date (one per dataset; planning again replaces it).

use allmende_core::{ReleaseChecklist, time};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, parse_time, parse_uuid};
use crate::Result;

#[derive(Debug, Clone, serde::Serialize)]
pub struct ScheduledPublication {
    pub dataset_id: Uuid,
    pub due_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub checklist: ReleaseChecklist,
}

type Row = (String, String, String, String);

fn scheduled((dataset, due, user, checklist): Row) -> Result<ScheduledPublication> {
    Ok(ScheduledPublication {
        dataset_id: parse_uuid(&dataset)?,
        due_at: parse_time(&due)?,
        user_id: parse_uuid(&user)?,
        checklist: serde_json::from_str(&checklist).unwrap_or_default(),
    })
}

impl Catalog {
    pub async fn schedule_publication(&self, p: &ScheduledPublication) -> Result<()> {
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("DELETE FROM scheduled_publications WHERE dataset_id = $1")
            .bind(p.dataset_id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO scheduled_publications (dataset_id, due_at, user_id, checklist, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(p.dataset_id.to_string())
        .bind(time::to_db(&p.due_at))
        .bind(p.user_id.to_string())
        .bind(serde_json::to_string(&p.checklist).unwrap_or_else(|_| "{}".into()))
        .bind(time::to_db(&time::now()))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a dataset's plan; `false` when there was none.
    pub async fn cancel_publication(&self, dataset: Uuid) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query("DELETE FROM scheduled_publications WHERE dataset_id = $1")
            .bind(dataset.to_string())
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn scheduled_publication(
        &self,
        dataset: Uuid,
    ) -> Result<Option<ScheduledPublication>> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT dataset_id, due_at, user_id, checklist FROM scheduled_publications WHERE dataset_id = $1",
        )
        .bind(dataset.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(scheduled).transpose()
    }

    /// Plans that are due, oldest first, at most `limit`.
    pub async fn due_publications(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ScheduledPublication>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT dataset_id, due_at, user_id, checklist FROM scheduled_publications \
             WHERE due_at <= $1 ORDER BY due_at LIMIT $2",
        )
        .bind(time::to_db(&now))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(scheduled).collect()
    }
}
