//! `allmende ingest`: read a file into a Parquet snapshot without a server (what the worker
//! does for an upload), and print what was detected.

use std::path::PathBuf;

use anyhow::Context;

pub fn ingest(
    file: PathBuf,
    out: Option<PathBuf>,
    options: Option<String>,
    without_privacy_check: bool,
    privacy_rules: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<()> {
    let mut options: allmende_table::IngestOptions = match options {
        Some(o) => serde_json::from_str(&o).context("--options")?,
        None => Default::default(),
    };
    options.without_privacy_check = without_privacy_check;
    if let Some(p) = &privacy_rules {
        options.privacy_rules = Some(allmende::privacy_rules::load(p)?);
    }
    options.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let out = out.unwrap_or_else(|| file.with_extension("parquet"));
    allmende_app::ingest::job::keep_freed_memory();
    let started = std::time::Instant::now();
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string);
    let report = allmende_table::ingest(
        &file,
        name.as_deref(),
        &options,
        allmende_table::Limits::default(),
        &out,
        &|_, _| {},
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let secs = started.elapsed().as_secs_f64();
    if json {
        let mut text = serde_json::to_string(&report).context("writing the report")?;
        text.push('\n');
        return print_quietly(&text);
    }
    use std::fmt::Write as _;
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{} rows in {secs:.2} s -> {}",
        report.rows,
        out.display()
    );
    let _ = writeln!(
        text,
        "peak memory: {} MB",
        allmende_app::ingest::job::peak_memory_bytes() >> 20
    );
    let _ = writeln!(
        text,
        "format: {:?}, dialect: {}",
        report.format, report.dialect
    );
    for c in &report.columns {
        let reason = c
            .reason
            .as_ref()
            .map(|r| format!("  ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "  {:<30} {:<10} {}{reason}",
            c.name,
            format!("{:?}", c.kind).to_lowercase(),
            c.machine_name
        );
    }
    for w in &report.warnings {
        let _ = writeln!(text, "warning: {w}");
    }
    if let Some(p) = &report.privacy {
        for f in &p.findings {
            let _ = writeln!(
                text,
                "privacy: {:<30} {:<16} {:?} ({} values, {:.1} %) {}",
                f.column,
                f.rule.code(),
                f.severity,
                f.matched,
                f.share * 100.0,
                f.examples.join(", ")
            );
        }
    }
    print_quietly(&text)
}

/// Writes to stdout; a reader that went away (`| head`) is no error: the snapshot is written.
fn print_quietly(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.context("writing the report"),
    }
}
