//! The persistent job queue: background work that survives restarts and is shared safely by
//! several server processes.

use allmende_core::time;
use chrono::Duration;
use uuid::Uuid;

use super::{Catalog, parse_uuid};
use crate::{CatalogError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobStatus {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            other => return Err(CatalogError::Corrupt(format!("job status {other:?}"))),
        })
    }
}

/// A claimed job, handed to exactly one worker.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    /// How often it has been claimed, this time included.
    pub attempts: i64,
}

/// What [`Catalog::reap_stale_jobs`] did.
#[derive(Debug, Default)]
pub struct Reaped {
    pub requeued: u64,
    /// Failed for good: they ended their worker `max_attempts` times.
    pub failed: Vec<Job>,
}

impl Catalog {
    pub async fn enqueue_job(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        max_attempts: i64,
    ) -> Result<Uuid> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, max_attempts, run_after, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, $5, $5, $5)",
        )
        .bind(id.to_string())
        .bind(kind)
        .bind(payload.to_string())
        .bind(max_attempts)
        .bind(&now)
        .execute(&self.db.pool)
        .await?;
        Ok(id)
    }

    /// Claims the next due job for `worker`, or `None` if there is none.
    pub async fn claim_job(&self, worker: &str) -> Result<Option<Job>> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let row: Option<(String, String, String, i64)> =
            sqlx::query_as(self.db.backend().claim_job_sql())
                .bind(worker)
                .bind(&now)
                .fetch_optional(&self.db.pool)
                .await?;
        row.map(|(id, kind, payload, attempts)| {
            Ok(Job {
                id: parse_uuid(&id)?,
                kind,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempts,
            })
        })
        .transpose()
    }

    pub async fn complete_job(&self, id: Uuid) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("UPDATE jobs SET status = 'done', locked_by = NULL, last_error = NULL, updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(time::to_db(&time::now()))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Records a failure: retried later with exponential backoff, or failed for good once the
    /// attempts are used up.
    pub async fn fail_job(
        &self,
        id: Uuid,
        error: &str,
        base_backoff: Duration,
    ) -> Result<JobStatus> {
        let now = time::now();
        let _w = self.db.write_guard().await;
        let (attempts, max): (i64, i64) =
            sqlx::query_as("SELECT attempts, max_attempts FROM jobs WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&self.db.pool)
                .await?;
        let (status, run_after) = if attempts >= max {
            (JobStatus::Failed, now)
        } else {
            let factor = 1i32 << (attempts.clamp(1, 16) - 1);
            (JobStatus::Queued, now + base_backoff * factor)
        };
        sqlx::query(
            "UPDATE jobs SET status = $2, run_after = $3, last_error = $4, locked_by = NULL, updated_at = $5 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(if status == JobStatus::Failed { "failed" } else { "queued" })
        .bind(time::to_db(&run_after))
        .bind(error)
        .bind(time::to_db(&now))
        .execute(&self.db.pool)
        .await?;
        Ok(status)
    }

    /// Fails a job for good (its input is the problem, a retry would fail the same way).
    pub async fn give_up_job(&self, id: Uuid, error: &str) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("UPDATE jobs SET status = 'failed', last_error = $2, locked_by = NULL, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(error)
            .bind(time::to_db(&time::now()))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Renews a running job's claim (its worker's heartbeat).
    pub async fn renew_job(&self, id: Uuid) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("UPDATE jobs SET locked_at = $2 WHERE id = $1 AND status = 'running'")
            .bind(id.to_string())
            .bind(time::to_db(&time::now()))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Jobs whose worker vanished (no heartbeat for `older_than`: it crashed, was killed, or
    /// its process died with it): queued again, or — when they have used their attempts, i.e.
    /// ended their worker that often — failed for good and returned, so that the caller can
    /// tell the publisher.
    pub async fn reap_stale_jobs(&self, older_than: Duration) -> Result<Reaped> {
        let now = time::now();
        let cutoff = time::to_db(&(now - older_than));
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let gone: Vec<(String, String, String, i64)> = sqlx::query_as(
            "SELECT id, kind, payload, attempts FROM jobs WHERE status = 'running' AND locked_at < $1 \
             AND attempts >= max_attempts",
        )
        .bind(&cutoff)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE jobs SET status = 'failed', locked_by = NULL, updated_at = $2, \
             last_error = 'worker vanished on every attempt' \
             WHERE status = 'running' AND locked_at < $1 AND attempts >= max_attempts",
        )
        .bind(&cutoff)
        .bind(time::to_db(&now))
        .execute(&mut *tx)
        .await?;
        let requeued = sqlx::query(
            "UPDATE jobs SET status = 'queued', locked_by = NULL, updated_at = $2 \
             WHERE status = 'running' AND locked_at < $1",
        )
        .bind(&cutoff)
        .bind(time::to_db(&now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        let failed = gone
            .into_iter()
            .map(|(id, kind, payload, attempts)| {
                Ok(Job {
                    id: parse_uuid(&id)?,
                    kind,
                    payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    attempts,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Reaped { requeued, failed })
    }

    pub async fn job_status(&self, id: Uuid) -> Result<Option<(JobStatus, i64, Option<String>)>> {
        let row: Option<(String, i64, Option<String>)> =
            sqlx::query_as("SELECT status, attempts, last_error FROM jobs WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.db.pool)
                .await?;
        row.map(|(s, a, e)| Ok((JobStatus::parse(&s)?, a, e)))
            .transpose()
    }
}
