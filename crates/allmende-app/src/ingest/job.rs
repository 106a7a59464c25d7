//! Reading an uploaded file happens in a process of its own (`allmende ingest-job`, started by
//! the worker): whatever a file makes a reader do, the server lives on. The process has a hard
//! memory limit (`ingest_memory_mb`, as `RLIMIT_DATA`) and a lower CPU priority, and talks to
//! the worker in lines on stdout:
//!
//! With `--follow` the input is an upload still arriving; the worker says on the child's
//! stdin when it is complete (`complete <bytes>`), and closing stdin without that line means
//! it broke off.
//!
//! ```text
//! progress <phase> <rows>
//! report <IngestReport as JSON, plus peak_memory_bytes>
//! error <data|engine|io> <message on one line>
//! ```

use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use allmende_table::growing::Growth;
use allmende_table::{IngestError, IngestOptions, Limits};

/// What the worker tells the child.
#[derive(Debug, Clone)]
pub struct JobArgs {
    pub input: PathBuf,
    pub output: PathBuf,
    pub name: Option<String>,
    pub options: IngestOptions,
    pub memory_mb: u64,
    /// The operator's privacy rules file; the child reads it itself (name lists may be long).
    pub privacy_rules: Option<PathBuf>,
    /// The input is still being written (see the module's documentation).
    pub follow: bool,
}

impl JobArgs {
    /// The command line of `allmende ingest-job`.
    pub fn to_args(&self) -> Vec<std::ffi::OsString> {
        let mut a: Vec<std::ffi::OsString> = vec![
            "ingest-job".into(),
            "--input".into(),
            self.input.clone().into(),
            "--output".into(),
            self.output.clone().into(),
            "--memory-mb".into(),
            self.memory_mb.to_string().into(),
            "--options".into(),
            serde_json::to_string(&self.options)
                .unwrap_or_else(|_| "{}".into())
                .into(),
        ];
        if let Some(n) = &self.name {
            a.push("--name".into());
            a.push(n.into());
        }
        if let Some(p) = &self.privacy_rules {
            a.push("--privacy-rules".into());
            a.push(p.into());
        }
        if self.follow {
            a.push("--follow".into());
        }
        a
    }
}

/// Limits of the readers that follow from the process's memory: a single record may take
/// an eighth of it, unpacked spreadsheet XML half.
pub fn limits_for(memory_mb: u64) -> Limits {
    let bytes = memory_mb.saturating_mul(1 << 20);
    let base = Limits::default();
    Limits {
        max_record_bytes: base.max_record_bytes.min((bytes / 8) as usize).max(1 << 20),
        max_unpacked_bytes: base.max_unpacked_bytes.min(bytes / 2).max(16 << 20),
        ..base
    }
}

/// Runs in the child; returns its exit code.
pub fn run(args: JobArgs) -> i32 {
    limit_memory(args.memory_mb);
    keep_freed_memory();
    lower_priority();
    die_with_parent();
    let out = Mutex::new((std::io::stdout(), Instant::now() - Duration::from_secs(1)));
    let progress = |phase: &str, rows: u64| {
        if let Ok(mut g) = out.lock()
            && g.1.elapsed() >= Duration::from_millis(250)
        {
            g.1 = Instant::now();
            let _ = writeln!(g.0, "progress {phase} {rows}");
            let _ = g.0.flush();
        }
    };
    let result = if args.follow {
        allmende_table::ingest_growing(
            &args.input,
            growth_from_stdin(),
            args.name.as_deref(),
            &args.options,
            limits_for(args.memory_mb),
            &args.output,
            &progress,
        )
    } else {
        allmende_table::ingest(
            &args.input,
            args.name.as_deref(),
            &args.options,
            limits_for(args.memory_mb),
            &args.output,
            &progress,
        )
    };
    let mut stdout = std::io::stdout();
    match result {
        Ok(report) => {
            let mut v = serde_json::to_value(&report).unwrap_or_default();
            v["peak_memory_bytes"] = peak_memory_bytes().into();
            v["read_during_upload"] = args.follow.into();
            let _ = writeln!(stdout, "report {v}");
            let _ = stdout.flush();
            0
        }
        Err(e) => {
            let kind = match &e {
                IngestError::Data(_) | IngestError::NotATable(_) => "data",
                IngestError::Engine(_) => "engine",
                IngestError::Io(_) => "io",
            };
            // The message as data (one JSON line), so that each reader sees it in their language.
            let message = e.message().to_stored();
            let _ = writeln!(stdout, "error {kind} {message}");
            let _ = stdout.flush();
            2
        }
    }
}

/// The input's growth as the worker tells it on stdin.
fn growth_from_stdin() -> Arc<Growth> {
    let growth = Growth::new();
    let told = growth.clone();
    std::thread::spawn(move || {
        let mut line = String::new();
        let complete = std::io::stdin()
            .lock()
            .take(256)
            .read_line(&mut line)
            .ok()
            .and_then(|_| line.trim().strip_prefix("complete ")?.parse::<u64>().ok());
        match complete {
            Some(len) => told.complete(len),
            None => told.abort(),
        }
    });
    growth
}

/// Peak resident memory of this process so far (Linux: `VmHWM`), 0 when unknown.
pub fn peak_memory_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The hard limit: heap and anonymous mappings beyond it fail, and an allocation failure ends
/// this process, not the server.
fn limit_memory(mb: u64) {
    #[cfg(target_os = "linux")]
    {
        let bytes = mb.saturating_mul(1 << 20) as libc::rlim_t;
        let lim = libc::rlimit {
            rlim_cur: bytes,
            rlim_max: bytes,
        };
        // SAFETY: setrlimit reads the struct we pass; it affects only this process.
        unsafe {
            libc::setrlimit(libc::RLIMIT_DATA, &lim);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = mb;
}

/// Memory the ingestion frees stays with the process instead of going back to the system at
/// once. Its threads hand batches of a megabyte or more to each other; by default glibc maps
/// such an allocation anew each time (or trims the heap after it) and every page of the next
/// batch is faulted in again: measured on the 1M-row benchmark file, 13,000 of 24,000 page
/// faults and 15–30 ms of 700 ms CPU time. What stays is at most what the process held at its
/// peak, which the memory limit bounds anyway, and the process ends with its file.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets this process's allocator parameters (before the reading
    // threads start); a value it refuses leaves the default.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

/// A server that is killed takes its reader with it (its job is taken up again later).
fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl(PR_SET_PDEATHSIG) only sets a signal number for this process.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
    }
}

fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; 0 names this process.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}
