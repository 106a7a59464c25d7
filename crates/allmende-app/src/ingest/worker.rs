//! The background worker: claims ingestion jobs from the catalog's queue (shared safely by
//! several nodes), reads the original upload into a Parquet snapshot in a separate process
//! with a memory limit (`job.rs`), stores it, and switches the resource to the new
//! version only when it is complete. A running job beats its heartbeat; a job whose worker
//! vanished (a crash, a restart) is taken up again within seconds, and one that ended its
//! worker `max_attempts` times is failed for good with a message.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use allmende_catalog::{Catalog, INGEST_JOB, Job, JobStatus};
use allmende_table::{IngestOptions, IngestReport};
use tokio::sync::Notify;

use allmende_core::i18n::Msg;

use super::early::EarlyReads;
use super::fetch::{FetchError, FetchLimits};
use super::job::JobArgs;
use super::process::{IngestSettings, Spawned, scratch_output};
use uuid::Uuid;

/// A running job's worker renews its claim this often …
const HEARTBEAT: Duration = Duration::from_secs(5);
/// … and a claim older than this belongs to a worker that is gone.
const STALE_AFTER_SECS: i64 = 20;
const POLL: Duration = Duration::from_secs(2);

pub fn spawn(
    catalog: Catalog,
    wakeup: Arc<Notify>,
    fetch: FetchLimits,
    ingest: IngestSettings,
    early: EarlyReads,
) -> tokio::task::JoinHandle<()> {
    let worker = format!("{}-{}", std::process::id(), Uuid::new_v4().simple());
    tokio::spawn(async move {
        let mut last_reap = std::time::Instant::now() - Duration::from_secs(3600);
        loop {
            if last_reap.elapsed() >= HEARTBEAT {
                reap(&catalog).await;
                last_reap = std::time::Instant::now();
            }
            match catalog.claim_job(&worker).await {
                Ok(Some(job)) => {
                    let beat = heartbeat(&catalog, job.id);
                    run(&catalog, job, fetch, &ingest, &early).await;
                    beat.abort();
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

/// Renews a running job's claim until aborted.
fn heartbeat(catalog: &Catalog, job: Uuid) -> tokio::task::JoinHandle<()> {
    let catalog = catalog.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(HEARTBEAT).await;
            if let Err(e) = catalog.renew_job(job).await {
                tracing::warn!(%job, error = %e, "renewing a job's claim");
            }
        }
    })
}

/// Takes up jobs whose worker is gone: again, or failed for good after `max_attempts`.
async fn reap(catalog: &Catalog) {
    match catalog
        .reap_stale_jobs(chrono::Duration::seconds(STALE_AFTER_SECS))
        .await
    {
        Ok(reaped) => {
            if reaped.requeued > 0 {
                tracing::warn!(jobs = reaped.requeued, "took up jobs of a vanished worker");
            }
            for job in reaped.failed {
                tracing::warn!(job = %job.id, attempts = job.attempts, "job ended its worker too often; failed for good");
                if let Some(v) = table_version_of(&job) {
                    let msg = Msg::new("job.crashed_too_often").arg("n", job.attempts);
                    let _ = catalog.fail_table_version(v, &msg.to_stored()).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "taking up stale jobs"),
    }
}

fn table_version_of(job: &Job) -> Option<Uuid> {
    job.payload
        .get("table_version")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
}

async fn run(
    catalog: &Catalog,
    job: Job,
    fetch: FetchLimits,
    settings: &IngestSettings,
    early: &EarlyReads,
) {
    let started = std::time::Instant::now();
    let result = match job.kind.as_str() {
        INGEST_JOB => ingest(catalog, &job, fetch, settings, early).await,
        other => Err(Failure::Permanent(
            Msg::new("job.unknown_kind").arg("kind", other),
        )),
    };
    let version = table_version_of(&job);
    match result {
        Ok(()) => {
            tracing::info!(job = %job.id, ms = started.elapsed().as_millis() as u64, "job done");
            if let Err(e) = catalog.complete_job(job.id).await {
                tracing::warn!(job = %job.id, error = %e, "completing a job");
            }
        }
        Err(Failure::Permanent(msg)) => {
            tracing::info!(job = %job.id, reason = %msg, "job failed (input)");
            let stored = msg.to_stored();
            if let Some(v) = version {
                let _ = catalog.fail_table_version(v, &stored).await;
            }
            // The same file fails the same way: no retry.
            let _ = catalog.give_up_job(job.id, &stored).await;
        }
        Err(Failure::Transient(msg)) => {
            tracing::warn!(job = %job.id, error = %msg, attempt = job.attempts, "job failed, will retry");
            match catalog
                .fail_job(job.id, &msg.to_stored(), chrono::Duration::seconds(5))
                .await
            {
                Ok(JobStatus::Failed) => {
                    if let Some(v) = version {
                        let _ = catalog
                            .fail_table_version(
                                v,
                                &Msg::new("job.failed").msg("reason", msg).to_stored(),
                            )
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
    Permanent(Msg),
    /// The machine is the problem (disk, database): retried with backoff.
    Transient(Msg),
}

impl Failure {
    fn machine(e: impl std::fmt::Display) -> Self {
        Self::Transient(Msg::new("job.machine").arg("detail", e))
    }
}

impl From<allmende_catalog::CatalogError> for Failure {
    fn from(e: allmende_catalog::CatalogError) -> Self {
        Failure::machine(e)
    }
}

async fn ingest(
    catalog: &Catalog,
    job: &Job,
    fetch: FetchLimits,
    settings: &IngestSettings,
    early: &EarlyReads,
) -> Result<(), Failure> {
    let id = job
        .payload
        .get("table_version")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| Failure::Permanent(Msg::new("job.no_version")))?;
    let Some(version) = catalog.table_version(id).await? else {
        return Ok(()); // the resource was deleted meanwhile
    };
    if version.status == "done" || version.status == "held" {
        return Ok(());
    }
    let mut source_sha = version.source_sha256.clone();
    let mut source_name = version.source_name.clone();
    if source_sha.is_empty() {
        let url = job
            .payload
            .get("url")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Failure::Permanent(Msg::new("job.no_source")))?;
        catalog.start_table_version(id).await?;
        let fetched = super::fetch::fetch_into(url, fetch, &catalog.files)
            .await
            .map_err(|e| match e {
                FetchError::Refused(m) => {
                    Failure::Permanent(Msg::new("job.fetch").arg("url", url).msg("reason", m))
                }
                FetchError::Unavailable(m) => {
                    Failure::Transient(Msg::new("job.fetch").arg("url", url).msg("reason", m))
                }
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
        .ok_or_else(|| Failure::Permanent(Msg::new("job.source_missing")))?;
    let options: IngestOptions = serde_json::from_value(version.options.clone())
        .map_err(|e| Failure::Permanent(Msg::new("job.bad_options").arg("detail", e)))?;
    catalog.start_table_version(id).await?;
    // An upload read while it arrived is taken over; otherwise a reader starts now.
    let (busy, claimed) = early.start_job(&source_sha, source_name.as_deref(), &options);
    let (out, started) = match claimed {
        Some(c) => {
            tracing::debug!(version = %id, "took over the reader that started with the upload");
            (c.output, Some((c.spawned, c.link)))
        }
        None => (
            scratch_output(&catalog.files.scratch_dir()).map_err(Failure::machine)?,
            None,
        ),
    };
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
    // The early reader's link to the upload's bytes outlives the reading: when the upload's
    // content was stored before (the same file uploaded again), the link is the last name of
    // those bytes, and removing it frees them all, which took 16 ms for an 80 MB file on
    // the path to the table being served. It is removed in the background once the version
    // is finished.
    let (result, input_link) = match started {
        Some((spawned, link)) => (
            follow_child(settings, spawned, rows.clone()).await,
            Some(link),
        ),
        None => {
            let args = JobArgs {
                input: source,
                output: out.to_path_buf(),
                name: source_name,
                options,
                memory_mb: settings.memory_mb,
                privacy_rules: settings.privacy_rules.clone(),
                follow: false,
            };
            (read_in_child(settings, &args, rows.clone()).await, None)
        }
    };
    let read = std::time::Instant::now();
    progress.abort();
    drop(busy);
    let (report, report_json) = result?;
    let (sha, size, _) = catalog.files.adopt(&out).await.map_err(Failure::machine)?;
    let adopted = read.elapsed();
    let summary = (!report.warnings.is_empty())
        .then(|| serde_json::to_string(&report.warnings).unwrap_or_default());
    // Scan before serve: a file with high findings nobody acknowledged is held back when its
    // dataset is public (the publication gate covers the others).
    let acks = catalog.acknowledgements(version.resource_id).await?;
    let blocked = report.privacy.as_ref().is_some_and(|p| {
        crate::privacy::unacknowledged(p, &acks, &source_sha)
            .next()
            .is_some()
    });
    let finished = catalog
        .finish_table_version(
            id,
            &sha,
            size as i64,
            report.rows as i64,
            &report_json,
            summary.as_deref(),
            blocked,
        )
        .await?;
    // From the reader's end to the version being served: the part of an upload's way to a
    // queryable table that the worker itself adds.
    tracing::debug!(
        version = %id,
        stored_us = adopted.as_micros() as u64,
        served_us = read.elapsed().as_micros() as u64,
        "version stored and served"
    );
    if let Some(link) = input_link {
        tokio::task::spawn_blocking(move || drop(link));
    }
    if finished == allmende_catalog::Finished::Held {
        tracing::warn!(version = %id, "held back a file with privacy findings on a public dataset");
    }
    Ok(())
}

/// What the reader process said on stdout.
#[derive(Default)]
struct Said {
    report: Option<serde_json::Value>,
    error: Option<(String, String)>,
}

/// Runs `allmende ingest-job` and follows it to its end.
async fn read_in_child(
    settings: &IngestSettings,
    args: &JobArgs,
    rows: Arc<AtomicU64>,
) -> Result<(IngestReport, serde_json::Value), Failure> {
    let (spawned, _) = Spawned::start(settings, args).map_err(Failure::machine)?;
    follow_child(settings, spawned, rows).await
}

/// Follows a reader process's lines until it ends (or kills it at the timeout; dropping this
/// future kills it too).
async fn follow_child(
    settings: &IngestSettings,
    spawned: Spawned,
    rows: Arc<AtomicU64>,
) -> Result<(IngestReport, serde_json::Value), Failure> {
    use std::io::{BufRead, Read};
    let Spawned {
        mut reader,
        stdout,
        stderr,
    } = spawned;
    let said = tokio::task::spawn_blocking(move || {
        let mut said = Said::default();
        let Some(out) = stdout else { return said };
        for line in std::io::BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let (kind, rest) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match kind {
                "progress" => {
                    if let Some(n) = rest.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()) {
                        rows.store(n, Ordering::Relaxed);
                    }
                }
                "report" => said.report = serde_json::from_str(rest).ok(),
                "error" => {
                    let (k, m) = rest.split_once(' ').unwrap_or((rest, ""));
                    said.error = Some((k.to_string(), m.to_string()));
                }
                _ => {}
            }
        }
        said
    });
    // What the process says on stderr (a panic, an allocation failure), bounded.
    let stderr_task = tokio::task::spawn_blocking(move || {
        let mut text = Vec::new();
        if let Some(e) = stderr {
            let _ = e.take(64 * 1024).read_to_end(&mut text);
        }
        String::from_utf8_lossy(&text).into_owned()
    });
    let waited = tokio::time::timeout(settings.timeout, async {
        // Its stdout closes as it ends: its lines read to the end, the exit status is a moment
        // away (polling the process from the start added up to 50 ms to every ingestion).
        let said = said.await.unwrap_or_default();
        loop {
            match reader.0.try_wait() {
                Ok(Some(status)) => return Ok((status, said)),
                Ok(None) => tokio::time::sleep(Duration::from_millis(2)).await,
                Err(e) => return Err(e),
            }
        }
    })
    .await;
    let (status, Said { report, error }) = match waited {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return Err(Failure::machine(format!("ingestion process: {e}"))),
        Err(_) => {
            drop(reader);
            return Err(Failure::Permanent(
                Msg::new("job.timeout").arg("seconds", settings.timeout.as_secs()),
            ));
        }
    };
    let stderr = stderr_task.await.unwrap_or_default();
    if let Some((kind, message)) = error {
        // A JSON message from this version's reader, or plain text.
        let message = serde_json::from_str::<Msg>(&message).unwrap_or_else(|_| Msg::plain(message));
        return Err(if kind == "data" {
            Failure::Permanent(message)
        } else {
            Failure::Transient(message)
        });
    }
    let parsed = report.and_then(|v| {
        serde_json::from_value::<IngestReport>(v.clone())
            .ok()
            .map(|r| (r, v))
    });
    match (status.success(), parsed) {
        (true, Some(r)) => Ok(r),
        _ if stderr.contains("panicked at") => {
            tracing::error!(stderr = %stderr, "ingestion process panicked");
            Err(Failure::Permanent(Msg::new("job.reader_panicked")))
        }
        _ if stderr.contains("memory allocation of") => Err(Failure::Permanent(
            Msg::new("job.out_of_memory").arg("mb", settings.memory_mb),
        )),
        _ => {
            let last = stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            tracing::warn!(status = %status, stderr = %last, "ingestion process ended abnormally");
            Err(Failure::Transient(
                Msg::new("job.reader_ended").arg("status", status),
            ))
        }
    }
}
