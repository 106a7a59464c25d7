//! The reader process (`allmende ingest-job`) as the server sees it: how it is started, and
//! that it never outlives its owner (dropping it kills and reaps it).

use std::path::PathBuf;
use std::time::Duration;

use super::job::JobArgs;

/// How ingestion runs.
#[derive(Debug, Clone)]
pub struct IngestSettings {
    /// The `allmende` program that runs `ingest-job` (this one, unless tests say otherwise).
    pub exe: PathBuf,
    pub memory_mb: u64,
    pub timeout: Duration,
    /// The operator's privacy rules file (`None`: the built-in rules).
    pub privacy_rules: Option<PathBuf>,
}

/// The reader process; killed (and reaped) when dropped: at the timeout, or when the worker
/// itself is stopped.
pub(super) struct Reader(pub(super) std::process::Child);

impl Drop for Reader {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// A started reader process with its output (stdin, when piped, goes to whoever feeds it).
pub struct Spawned {
    pub(super) reader: Reader,
    pub(super) stdout: Option<std::process::ChildStdout>,
    pub(super) stderr: Option<std::process::ChildStderr>,
}

impl Spawned {
    /// Starts `allmende ingest-job`; its stdin is piped when the input is still growing.
    pub fn start(
        settings: &IngestSettings,
        args: &JobArgs,
    ) -> std::io::Result<(Self, Option<std::process::ChildStdin>)> {
        let mut child = std::process::Command::new(&settings.exe)
            .args(args.to_args())
            .stdin(if args.follow {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            })
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| {
                std::io::Error::other(format!(
                    "ingestion process {} not started: {e}",
                    settings.exe.display()
                ))
            })?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        Ok((
            Self {
                reader: Reader(child),
                stdout,
                stderr,
            },
            stdin,
        ))
    }
}

/// A fresh output file for a reader process in the scratch folder (removed when dropped).
pub fn scratch_output(scratch: &std::path::Path) -> std::io::Result<tempfile::TempPath> {
    Ok(tempfile::Builder::new()
        .prefix("ingest-")
        .suffix(".parquet")
        .tempfile_in(scratch)?
        .into_temp_path())
}
