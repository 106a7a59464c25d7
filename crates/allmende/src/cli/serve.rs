//! `allmende serve`: the portal, with `--demo` data.

use allmende::{Config, open_catalog};

use super::Common;

pub async fn run(common: Common, bind: Option<String>, demo: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut config = Config::load(&common.data_dir, common.config.as_deref())?;
    if let Some(b) = bind {
        config.bind = b;
    }
    init_logging(&config);
    let catalog = open_catalog(&config, &common.data_dir).await?;
    let ready = allmende::prepare(&config, &common.data_dir, catalog).await?;
    if demo {
        let report = allmende::demo::seed(ready.app(), &common.data_dir).await?;
        println!(
            "Demo data ready: {} organizations, {} datasets ({} new).",
            report.organizations, report.datasets, report.created
        );
        println!(
            "Demo admin: user \"{}\", password \"{}\"",
            report.admin_user, report.admin_password
        );
    }
    let server = ready.serve(Some(Box::pin(shutdown_signal())));
    tracing::info!(addr = %server.addr, ready_ms = started.elapsed().as_millis() as u64, "listening");
    println!("Allmende läuft auf http://{}", server.addr);
    server.wait().await
}

pub fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_level));
    use std::io::IsTerminal;
    // Colours only for a person at a terminal; a log file or journal gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.fmt_fields(allmende::logging::EscapedFields).init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
