//! The background worker: claims ingestion jobs from the catalog's queue (shared safely by
//! several nodes), turns the original upload into a Parquet snapshot on a blocking thread,
//! stores it, and switches the resource to the new version only when it is complete.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use allmende_catalog::{Catalog, INGEST_JOB, Job, JobStatus};
use allmende_table::{IngestOptions, Limits};
use tokio::sync::Notify;

use crate::fetch::{FetchError, FetchLimits};
use uuid::Uuid;

/// How long a claimed job may run before another worker assumes this one died.
const STALE_AFTER_MINUTES: i64 = 30;
const POLL: Duration = Duration::from_secs(2);

pub fn spawn(
    catalog: Catalog,
    wakeup: Arc<Notify>,
    fetch: FetchLimits,
) -> tokio::task::JoinHandle<()> {
    let worker = format!("{}-{}", std::process::id(), Uuid::new_v4().simple());
    tokio::spawn(async move {
        let mut last_requeue = std::time::Instant::now() - Duration::from_secs(3600);
        loop {
            if last_requeue.elapsed() > Duration::from_secs(60) {
                match catalog
                    .requeue_stale_jobs(chrono::Duration::minutes(STALE_AFTER_MINUTES))
                    .await
                {
                    Ok(n) if n > 0 => {
                        tracing::warn!(jobs = n, "requeued jobs of a vanished worker")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "requeueing stale jobs"),
                }
                last_requeue = std::time::Instant::now();
            }
            match catalog.claim_job(&worker).await {
                Ok(Some(job)) => {
                    run(&catalog, job, fetch).await;
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "claiming a job"),
            }
            tokio::select! {
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

async fn run(catalog: &Catalog, job: Job, fetch: FetchLimits) {
    let started = std::time::Instant::now();
    let result = match job.kind.as_str() {
        INGEST_JOB => ingest(catalog, &job, fetch).await,
        other => Err(Failure::Permanent(format!("unknown job kind {other:?}"))),
    };
    let version = job
        .payload
        .get("table_version")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    match result {
        Ok(()) => {
            tracing::info!(job = %job.id, ms = started.elapsed().as_millis() as u64, "job done");
            if let Err(e) = catalog.complete_job(job.id).await {
                tracing::warn!(job = %job.id, error = %e, "completing a job");
            }
        }
        Err(Failure::Permanent(msg)) => {
            tracing::info!(job = %job.id, reason = %msg, "job failed (input)");
            if let Some(v) = version {
                let _ = catalog.fail_table_version(v, &msg).await;
            }
            // The same file fails the same way: no retry.
            let _ = catalog.give_up_job(job.id, &msg).await;
        }
        Err(Failure::Transient(msg)) => {
            tracing::warn!(job = %job.id, error = %msg, attempt = job.attempts, "job failed, will retry");
            match catalog
                .fail_job(job.id, &msg, chrono::Duration::seconds(5))
                .await
            {
                Ok(JobStatus::Failed) => {
                    if let Some(v) = version {
                        let _ = catalog
                            .fail_table_version(v, &format!("Verarbeitung fehlgeschlagen: {msg}"))
                            .await;
                    }
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(job = %job.id, error = %e, "recording a failure"),
            }
        }
    }
}

enum Failure {
    /// The input is the problem: shown on the resource, not retried.
    Permanent(String),
    /// The machine is the problem (disk, database): retried with backoff.
    Transient(String),
}

impl From<allmende_catalog::CatalogError> for Failure {
    fn from(e: allmende_catalog::CatalogError) -> Self {
        Failure::Transient(e.to_string())
    }
}

async fn ingest(catalog: &Catalog, job: &Job, fetch: FetchLimits) -> Result<(), Failure> {
    let id = job
        .payload
        .get("table_version")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| Failure::Permanent("job without table_version".into()))?;
    let Some(version) = catalog.table_version(id).await? else {
        return Ok(()); // the resource was deleted meanwhile
    };
    if version.status == "done" {
        return Ok(());
    }
    let mut source_sha = version.source_sha256.clone();
    let mut source_name = version.source_name.clone();
    if source_sha.is_empty() {
        let url = job
            .payload
            .get("url")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Failure::Permanent("Die Version hat weder Datei noch URL.".into()))?;
        catalog.start_table_version(id).await?;
        let fetched = crate::fetch::fetch_into(url, fetch, &catalog.files)
            .await
            .map_err(|e| match e {
                FetchError::Refused(m) => Failure::Permanent(format!("Abruf von {url}: {m}")),
                FetchError::Unavailable(m) => Failure::Transient(format!("Abruf von {url}: {m}")),
            })?;
        source_name = fetched.file_name.clone().or(source_name);
        catalog
            .set_table_source(id, &fetched.sha256, source_name.as_deref())
            .await?;
        tracing::info!(%url, bytes = fetched.size, "fetched a link for ingestion");
        source_sha = fetched.sha256;
    }
    let source = catalog
        .files
        .local_path(&source_sha)
        .filter(|p| p.exists())
        .ok_or_else(|| Failure::Permanent("Die Originaldatei fehlt im Dateispeicher.".into()))?;
    let options: IngestOptions = serde_json::from_value(version.options.clone())
        .map_err(|e| Failure::Permanent(format!("ungültige Einstellungen: {e}")))?;
    catalog.start_table_version(id).await?;
    let scratch = catalog.files.scratch_dir();
    let out = tempfile::Builder::new()
        .prefix("ingest-")
        .suffix(".parquet")
        .tempfile_in(&scratch)
        .map_err(|e| Failure::Transient(e.to_string()))?
        .into_temp_path();
    let rows = Arc::new(AtomicU64::new(0));
    let progress = {
        let rows = rows.clone();
        let catalog = catalog.clone();
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let now = rows.load(Ordering::Relaxed);
                if now != last {
                    let _ = catalog.table_progress(id, now as i64).await;
                    last = now;
                }
            }
        })
    };
    let name = source_name;
    let out_path = out.to_path_buf();
    let counter = rows.clone();
    let result = tokio::task::spawn_blocking(move || {
        allmende_table::ingest(
            &source,
            name.as_deref(),
            &options,
            Limits::default(),
            &out_path,
            &move |_, n| counter.store(n, Ordering::Relaxed),
        )
    })
    .await;
    progress.abort();
    let report = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) if e.is_permanent() => return Err(Failure::Permanent(e.to_string())),
        Ok(Err(e)) => return Err(Failure::Transient(e.to_string())),
        Err(join) => {
            // A panic in a reader is a bug, but the file is what triggers it: don't loop on it.
            return Err(Failure::Permanent(format!(
                "interner Fehler beim Einlesen: {join}"
            )));
        }
    };
    let mut staged = catalog
        .files
        .stage(u64::MAX)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let file = tokio::fs::File::open(&out)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    staged
        .write_from(file)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let (sha, size, _) = catalog
        .files
        .commit(staged)
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let summary = (!report.warnings.is_empty()).then(|| report.warnings.join(" "));
    let report_json =
        serde_json::to_value(&report).map_err(|e| Failure::Transient(e.to_string()))?;
    catalog
        .finish_table_version(
            id,
            &sha,
            size as i64,
            report.rows as i64,
            &report_json,
            summary.as_deref(),
        )
        .await?;
    Ok(())
}
