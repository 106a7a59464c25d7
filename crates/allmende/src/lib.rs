//! The `allmende` binary's library half: configuration, opening the catalog, running the
//! server, demo data and the maintenance commands. `main.rs` only parses the command line.

pub mod config;
pub mod demo;
mod descriptors;
pub mod logging;
pub mod privacy_rules;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use allmende_catalog::{Catalog, Db, LocalStore};
use anyhow::Context;
use tokio::net::TcpListener;

pub use config::Config;

/// Opens (and migrates) the catalog of a data directory.
pub async fn open_catalog(config: &Config, data_dir: &Path) -> anyhow::Result<Catalog> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    let db = connect(&config.database_url, config).await?;
    db.migrate()
        .await
        .context("migrating the catalog database")?;
    let files = LocalStore::open(data_dir).context("opening the file store")?;
    Ok(Catalog::new(
        db,
        Arc::new(files),
        &config.web_settings().public_url,
    ))
}

/// Connects to a catalog database without migrating it.
pub async fn connect(url: &str, config: &Config) -> anyhow::Result<Db> {
    Db::connect(url, &config.db_options())
        .await
        .with_context(|| {
            format!(
                "connecting to the catalog database {}",
                allmende_catalog::db::redact(url)
            )
        })
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    /// The application it serves (tests and the demo seeding use it directly).
    pub app: allmende_app::App,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Stops accepting, finishes in-flight requests, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.await??;
        Ok(())
    }

    pub async fn wait(self) -> anyhow::Result<()> {
        self.handle.await??;
        Ok(())
    }
}

/// A node ready to serve: bound, its application built and its background work (ingestion
/// worker, search follower) running, but not answering requests yet.
pub struct Ready {
    listener: TcpListener,
    pub addr: SocketAddr,
    app: allmende_app::App,
    state: allmende_web::state::AppState,
    pool: allmende_work::Pool,
    worker: tokio::task::JoinHandle<()>,
    follower: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
    grace: std::time::Duration,
}

/// Binds and builds the application. `config.bind` may use port 0; the real address is in
/// [`Ready::addr`].
pub async fn prepare(config: &Config, data_dir: &Path, catalog: Catalog) -> anyhow::Result<Ready> {
    // Read first: a broken rules file stops the start before anything runs.
    let privacy_rules = config.privacy_rules()?;
    let mailer = config.mailer()?;
    let listener = TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("binding {}", config.bind))?;
    let addr = listener.local_addr()?;
    let mut settings = config.web_settings();
    settings.connections.max = descriptors::fit_connections(settings.connections.max);
    if config.public_url.is_empty() {
        settings.public_url = format!("http://{addr}");
    }
    let catalog = Catalog::new(
        catalog.db.clone(),
        catalog.files.clone(),
        &settings.public_url,
    );
    let search = open_search(config, data_dir, &catalog).await?;
    let follower = search.spawn_follower();
    config.check_memory_budget()?;
    let jobs = Arc::new(tokio::sync::Notify::new());
    let early_reads = allmende_app::ingest::EarlyReads::new(
        config.ingest_settings()?,
        catalog.files.scratch_dir(),
    );
    let worker = allmende_app::ingest::spawn_worker(
        catalog.clone(),
        jobs.clone(),
        config.fetch_limits(),
        config.ingest_settings()?,
        early_reads.clone(),
    );
    let pool = allmende_work::Pool::new(config.pool_config())
        .context("starting the heavy-work threads")?;
    let app = allmende_app::App::new(catalog, search, config.query_limits(), pool.clone(), jobs)
        .with_privacy_rules(privacy_rules)
        .with_early_reads(early_reads);
    let app = match mailer {
        Some(m) => app.with_mailer(
            m,
            &settings.site_title,
            std::time::Duration::from_secs(config.follower_mail_secs),
        ),
        None => app,
    };
    let state = allmende_web::app_state(app.clone(), settings)?;
    // Background work that holds the application; stopped with the server (the application
    // holds the search index's writer, which a restart needs).
    let mut background = Vec::new();
    // Planned publications are looked for every minute.
    background.push(app.spawn_publisher(std::time::Duration::from_secs(60)));
    if let Some(check) = config.link_check() {
        background.push(app.spawn_link_checker(check, std::time::Duration::from_secs(600)));
    }
    background.extend(app.spawn_follower_mails());
    // Tables checked by an older privacy scanner (or none) are read again in the background.
    let rescan = app.clone();
    background.push(tokio::spawn(async move {
        match rescan.rescan_outdated().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tables = n, "queued a new privacy check of older tables"),
            Err(e) => tracing::warn!(error = %e, "could not queue the privacy re-check"),
        }
    }));
    Ok(Ready {
        listener,
        addr,
        app,
        state,
        pool,
        worker,
        follower,
        background,
        grace: std::time::Duration::from_secs(config.shutdown_grace_secs),
    })
}

impl Ready {
    /// The application, e.g. for seeding the demo before the first request.
    pub fn app(&self) -> &allmende_app::App {
        &self.app
    }

    /// Starts answering requests until the signal (or [`Server::stop`]).
    pub fn serve(
        self,
        shutdown_signal: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
    ) -> Server {
        let Ready {
            listener,
            addr,
            app,
            state,
            pool,
            worker,
            follower,
            background,
            grace,
        } = self;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            match shutdown_signal {
                Some(s) => {
                    tokio::select! {
                        _ = s => {}
                        _ = rx => {}
                    }
                }
                None => {
                    let _ = rx.await;
                }
            }
            // Running queries and exports end now (their clients get an error), so that the
            // server stops within seconds however busy it was.
            pool.shutdown();
            let _ = stopping_tx.send(());
        };
        let handle = tokio::spawn(async move {
            let served = allmende_web::serve(listener, state, signal);
            tokio::pin!(served);
            let served = tokio::select! {
                r = &mut served => r,
                _ = async {
                    let _ = stopping_rx.await;
                    tokio::time::sleep(grace).await;
                } => {
                    tracing::warn!("requests still open after the shutdown grace period; closing them");
                    Ok(())
                }
            };
            worker.abort();
            let _ = worker.await;
            for task in background {
                task.abort();
                let _ = task.await;
            }
            // Wait until the follower is gone too: it holds the index writer (and its lock).
            follower.abort();
            let _ = follower.await;
            served
        });
        Server {
            addr,
            app,
            shutdown: Some(tx),
            handle,
        }
    }
}

/// Binds and starts serving. `config.bind` may use port 0; the real address is returned.
pub async fn start(
    config: &Config,
    data_dir: &Path,
    catalog: Catalog,
    shutdown_signal: Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>>,
) -> anyhow::Result<Server> {
    Ok(prepare(config, data_dir, catalog)
        .await?
        .serve(shutdown_signal))
}

/// The search index of a data directory, caught up with the catalog (rebuilt when needed).
pub async fn open_search(
    config: &Config,
    data_dir: &Path,
    catalog: &Catalog,
) -> anyhow::Result<allmende_search::SearchService> {
    let synonyms = if config.synonyms_file.is_empty() {
        allmende_search::Synonyms::parse(allmende_search::synonyms::DEFAULT)
    } else {
        let text = std::fs::read_to_string(&config.synonyms_file)
            .with_context(|| format!("reading synonyms_file {}", config.synonyms_file))?;
        allmende_search::Synonyms::parse(&text)
    };
    allmende_search::SearchService::open(
        catalog.clone(),
        data_dir,
        synonyms,
        config.search_cache_entries,
    )
    .await
    .context("opening the search index")
}

/// Copies the catalog (SQLite online backup) and the file store into `dest`.
pub async fn backup(catalog: &Catalog, data_dir: &Path, dest: &Path) -> anyhow::Result<(u64, u64)> {
    if dest.exists() && std::fs::read_dir(dest)?.next().is_some() {
        anyhow::bail!("{} exists and is not empty", dest.display());
    }
    std::fs::create_dir_all(dest)?;
    // The database first: every file it references is already in the store, because files
    // are written before the rows that point at them.
    catalog
        .db
        .backup_sqlite_to(&dest.join("catalog.db"))
        .await
        .context("backing up the catalog database")?;
    let files = catalog
        .files
        .copy_all_to(&dest.join("files"))
        .await
        .context("copying the file store")?;
    let config = data_dir.join("allmende.toml");
    if config.is_file() {
        std::fs::copy(&config, dest.join("allmende.toml"))?;
    }
    let db_size = std::fs::metadata(dest.join("catalog.db"))?.len();
    Ok((db_size, files))
}
