//! Reading an upload while it arrives: a delimited-text file's reader process starts with
//! its first bytes (following the staging file as it grows) instead of after the upload, the
//! commit and the job's pickup. The worker that then claims the upload's job takes the running
//! reader over when it reads the same bytes with the same options; otherwise the early reader
//! is stopped and nothing of it remains. It is an optimisation only: every path without it
//! (another node claims the job, options given with the upload, another reader running) reads the file
//! as before.
//!
//! Bounds: still one reader process per node at a time, early or not, so that ingestion's
//! share of the memory budget (`ingest_memory_mb`) holds: an early reader starts only while
//! the worker runs none, and the worker stops it before it starts a reader for another job.
//! An early reader nobody claims within [`CLAIM_WITHIN`] of its upload's end is stopped, and
//! one whose upload breaks off is stopped with it.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ChildStdin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use allmende_table::IngestOptions;

use super::job::JobArgs;
use super::process::{IngestSettings, Spawned, scratch_output};

/// How long a finished upload's early reader waits for its job to be claimed.
pub const CLAIM_WITHIN: Duration = Duration::from_secs(60);

/// The running early readers of this node.
#[derive(Clone)]
pub struct EarlyReads {
    inner: Arc<Inner>,
}

struct Inner {
    settings: IngestSettings,
    scratch: PathBuf,
    running: Mutex<Running>,
}

#[derive(Default)]
struct Running {
    next: u64,
    entries: HashMap<u64, Entry>,
    /// The worker runs a reader process of its own.
    worker_busy: bool,
}

/// One early reader: its process, the hard link it reads (the staging file is renamed into
/// the store when the upload is committed; the link keeps the same bytes under a name of
/// its own) and its output.
struct Entry {
    spawned: Spawned,
    stdin: Option<ChildStdin>,
    link: tempfile::TempPath,
    output: tempfile::TempPath,
    name: String,
    options: serde_json::Value,
    /// The upload's content, once complete.
    sha256: Option<String>,
}

/// What the worker takes over: the reader process and the file it writes.
pub struct Claimed {
    pub spawned: Spawned,
    pub output: tempfile::TempPath,
    /// The input's link: kept until the reading is done, then removed.
    pub link: tempfile::TempPath,
}

/// The upload's side of an early reader: dropped before [`EarlyRead::complete`] (the upload
/// failed or was refused), it stops the reader.
pub struct EarlyRead {
    id: u64,
    reads: EarlyReads,
    completed: bool,
}

impl EarlyReads {
    pub fn new(settings: IngestSettings, scratch: PathBuf) -> Self {
        Self {
            inner: Arc::new(Inner {
                settings,
                scratch,
                running: Mutex::default(),
            }),
        }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, Running> {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts reading a staging file whose first bytes are `head`, when it is delimited text
    /// (the one reader that reads strictly from start to end) and no reader process runs.
    pub fn begin(&self, staged: &Path, head: &[u8], file_name: &str) -> Option<EarlyRead> {
        if !reads_as_it_grows(head, file_name) {
            return None;
        }
        let mut running = self.running();
        if running.worker_busy || !running.entries.is_empty() {
            return None;
        }
        let started = self.spawn(staged, file_name);
        let entry = match started {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "could not start reading an upload early");
                return None;
            }
        };
        running.next += 1;
        let id = running.next;
        running.entries.insert(id, entry);
        Some(EarlyRead {
            id,
            reads: self.clone(),
            completed: false,
        })
    }

    fn spawn(&self, staged: &Path, file_name: &str) -> std::io::Result<Entry> {
        let link = tempfile::Builder::new()
            .prefix("early-")
            .suffix(".src")
            .make_in(&self.inner.scratch, |p| std::fs::hard_link(staged, p))?
            .into_temp_path();
        let output = scratch_output(&self.inner.scratch)?;
        let options = IngestOptions::default();
        let args = JobArgs {
            input: link.to_path_buf(),
            output: output.to_path_buf(),
            name: Some(file_name.to_string()),
            options: options.clone(),
            memory_mb: self.inner.settings.memory_mb,
            privacy_rules: self.inner.settings.privacy_rules.clone(),
            follow: true,
        };
        let (spawned, stdin) = Spawned::start(&self.inner.settings, &args)?;
        Ok(Entry {
            spawned,
            stdin,
            link,
            output,
            name: file_name.to_string(),
            options: serde_json::to_value(&options).unwrap_or_default(),
            sha256: None,
        })
    }

    /// The worker starts reading a job's file: the early reader of the same content, name
    /// and options is handed over, if there is one, and every other is stopped. Until the
    /// returned guard is dropped, no early reader starts.
    pub(super) fn start_job(
        &self,
        sha256: &str,
        name: Option<&str>,
        options: &IngestOptions,
    ) -> (WorkerBusy, Option<Claimed>) {
        let options = serde_json::to_value(options).ok();
        let (claimed, stopped) = {
            let mut running = self.running();
            running.worker_busy = true;
            let mut entries = std::mem::take(&mut running.entries);
            let id = entries.iter().find_map(|(id, e)| {
                (e.sha256.as_deref() == Some(sha256)
                    && Some(e.name.as_str()) == name
                    && options.as_ref() == Some(&e.options))
                .then_some(*id)
            });
            (id.and_then(|id| entries.remove(&id)), entries)
        };
        if !stopped.is_empty() {
            tracing::info!(
                n = stopped.len(),
                "stopped reading an upload early: another job runs"
            );
        }
        drop(stopped);
        let claimed = claimed.map(|e| Claimed {
            spawned: e.spawned,
            output: e.output,
            link: e.link,
        });
        (WorkerBusy(self.clone()), claimed)
    }

    /// How many early readers run (for tests).
    pub fn running_count(&self) -> usize {
        self.running().entries.len()
    }

    fn stop(&self, id: u64) {
        // Dropping the entry kills and reaps its process and removes its files.
        let gone = self.running().entries.remove(&id);
        drop(gone);
    }
}

/// The worker runs a reader process; early readers may start again when this is dropped.
pub(super) struct WorkerBusy(EarlyReads);

impl Drop for WorkerBusy {
    fn drop(&mut self) {
        self.0.running().worker_busy = false;
    }
}

impl EarlyRead {
    /// The upload is complete and stored as `sha256`: the reader reads to its end and waits
    /// to be claimed.
    pub fn complete(mut self, sha256: &str, size: u64) {
        self.completed = true;
        let mut running = self.reads.running();
        let Some(entry) = running.entries.get_mut(&self.id) else {
            return;
        };
        let told = entry
            .stdin
            .take()
            .map(|mut stdin| writeln!(stdin, "complete {size}").and_then(|()| stdin.flush()));
        if !matches!(told, Some(Ok(()))) {
            // Its process ended early (it failed): the worker reads the file anew.
            let gone = running.entries.remove(&self.id);
            drop(running);
            drop(gone);
            return;
        }
        entry.sha256 = Some(sha256.to_string());
        drop(running);
        let (reads, id) = (self.reads.clone(), self.id);
        tokio::spawn(async move {
            tokio::time::sleep(CLAIM_WITHIN).await;
            reads.stop(id);
        });
    }
}

impl Drop for EarlyRead {
    fn drop(&mut self) {
        if !self.completed {
            self.reads.stop(self.id);
        }
    }
}

/// Whether a file starting with `head` is read by a reader that follows it as it grows:
/// delimited text (not UTF-16, which is transcoded whole first).
fn reads_as_it_grows(head: &[u8], file_name: &str) -> bool {
    allmende_table::detect::detect(head, file_name).table == Some(allmende_table::InputFormat::Csv)
        && allmende_table::csv::sniff_utf16(head).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Early readers whose process only waits (a script that sleeps): the takeover rules,
    /// not the reading, are under test here.
    fn reads(scratch: &Path) -> EarlyReads {
        use std::os::unix::fs::PermissionsExt;
        let exe = scratch.parent().unwrap().join("reader.sh");
        std::fs::write(&exe, "#!/bin/sh\nexec sleep 30\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        EarlyReads::new(
            IngestSettings {
                exe,
                memory_mb: 64,
                timeout: Duration::from_secs(5),
                privacy_rules: None,
            },
            scratch.to_path_buf(),
        )
    }

    /// A staged upload, the scratch folder and early readers over them.
    fn setup(dir: &Path) -> (PathBuf, PathBuf, EarlyReads) {
        let staged = dir.join("staged");
        std::fs::write(&staged, HEAD).unwrap();
        let scratch = dir.join("tmp");
        std::fs::create_dir(&scratch).unwrap();
        let early = reads(&scratch);
        (staged, scratch, early)
    }

    const HEAD: &[u8] = b"Nr;Name;Wert\n1;Eins;1,5\n2;Zwei;2,5\n";

    /// Files in the scratch folder whose name starts with `prefix`.
    fn files(scratch: &Path, prefix: &str) -> usize {
        std::fs::read_dir(scratch)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(prefix))
            })
            .count()
    }

    fn links(scratch: &Path) -> usize {
        files(scratch, "early-")
    }

    #[tokio::test]
    async fn the_worker_takes_over_only_the_same_upload_read_the_same_way() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, scratch, early) = setup(dir.path());
        let defaults = IngestOptions::default();

        // Not delimited text: no early reader.
        assert!(
            early
                .begin(&staged, b"PK\x03\x04rest", "tabelle.xlsx")
                .is_none()
        );
        assert!(
            early
                .begin(&staged, b"{\"type\":\"FeatureCollection\"", "a.geojson")
                .is_none()
        );

        let e = early
            .begin(&staged, HEAD, "werte.csv")
            .expect("an early reader");
        assert_eq!((early.running_count(), links(&scratch)), (1, 1));
        // One reader process per node: no second one beside it.
        assert!(early.begin(&staged, HEAD, "andere.csv").is_none());
        e.complete("aa", HEAD.len() as u64);
        // Another job: the early reader is stopped, not taken over.
        let (busy, claimed) = early.start_job("bb", Some("werte.csv"), &defaults);
        assert!(claimed.is_none());
        assert_eq!((early.running_count(), links(&scratch)), (0, 0));
        // While the worker reads, nothing starts early.
        assert!(early.begin(&staged, HEAD, "werte.csv").is_none());
        drop(busy);

        // Other options or another name: stopped too.
        let e = early.begin(&staged, HEAD, "werte.csv").unwrap();
        e.complete("aa", HEAD.len() as u64);
        let other = IngestOptions {
            delimiter: Some(",".into()),
            ..Default::default()
        };
        assert!(early.start_job("aa", Some("werte.csv"), &other).1.is_none());
        let e = early.begin(&staged, HEAD, "werte.csv").unwrap();
        e.complete("aa", HEAD.len() as u64);
        assert!(
            early
                .start_job("aa", Some("anders.csv"), &defaults)
                .1
                .is_none()
        );

        // The same content, name and options: taken over, its link kept until it is done.
        let e = early.begin(&staged, HEAD, "werte.csv").unwrap();
        // Not yet complete: not taken over (the upload is not stored yet).
        assert!(
            early
                .start_job("aa", Some("werte.csv"), &defaults)
                .1
                .is_none()
        );
        drop(e);
        let e = early.begin(&staged, HEAD, "werte.csv").unwrap();
        e.complete("aa", HEAD.len() as u64);
        let (busy, claimed) = early.start_job("aa", Some("werte.csv"), &defaults);
        let claimed = claimed.expect("taken over");
        assert_eq!((early.running_count(), links(&scratch)), (0, 1));
        drop((claimed, busy));
        assert_eq!(links(&scratch), 0);
    }

    #[tokio::test]
    async fn an_upload_that_is_not_stored_stops_its_reader() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, scratch, early) = setup(dir.path());
        let e = early.begin(&staged, HEAD, "werte.csv").unwrap();
        drop(e);
        assert_eq!((early.running_count(), links(&scratch)), (0, 0));
        assert_eq!(files(&scratch, "ingest-"), 0);
    }
}
