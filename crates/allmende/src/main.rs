//! The `allmende` command: parses the command line and hands each command to its module.

mod cli;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // The ingestion child needs no async runtime (and should start no threads before its
    // memory limit is set).
    if let Command::IngestJob {
        input,
        output,
        name,
        options,
        memory_mb,
        privacy_rules,
        follow,
    } = cli.command
    {
        let mut options: allmende_table::IngestOptions =
            serde_json::from_str(&options).context("--options is not valid JSON")?;
        if let Some(p) = &privacy_rules {
            match allmende::privacy_rules::load(p) {
                Ok(rules) => options.privacy_rules = Some(rules),
                Err(e) => {
                    // The worker reads this line like any failure of the child.
                    println!("error engine {}", format!("{e:#}").replace('\n', " "));
                    std::process::exit(2);
                }
            }
        }
        let code = allmende_app::ingest::job::run(allmende_app::ingest::job::JobArgs {
            input,
            output,
            name,
            options,
            memory_mb,
            privacy_rules,
            follow,
        });
        std::process::exit(code);
    }
    if matches!(cli.command, Command::Serve { .. }) {
        limit_malloc_arenas();
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

/// glibc gives threads that allocate at the same time arenas of their own (up to eight per
/// core) and keeps what each one freed. The server's runtime, blocking and indexing threads
/// held far more memory that way than two arenas do, at the same throughput
/// (docs/benchmarks.md). An operator's own `MALLOC_ARENA_MAX` is left to glibc.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: called before the runtime starts any thread; mallopt only sets a tunable.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { common, bind, demo } => cli::serve::run(common, bind, demo).await,
        Command::User { command, common } => cli::users::run(command, common).await,
        Command::Org { command, common } => cli::orgs::run(command, common).await,
        Command::IngestJob { .. } => unreachable!("handled before the runtime starts"),
        Command::Ingest {
            file,
            out,
            options,
            without_privacy_check,
            privacy_rules,
            json,
        } => cli::data::ingest(
            file,
            out,
            options,
            without_privacy_check,
            privacy_rules,
            json,
        ),
        Command::Reindex { common } => cli::maintenance::reindex(common).await,
        Command::Migrate { common } => cli::maintenance::migrate(common).await,
        Command::CopyCatalog { from, to, common } => {
            cli::maintenance::copy_catalog(from, to, common).await
        }
        Command::Backup { to, common } => cli::maintenance::backup(to, common).await,
    }
}
