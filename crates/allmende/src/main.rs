use std::path::PathBuf;

use allmende::{Config, open_catalog};
use allmende_core::Role;
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

/// Allmende – the open data portal of Aalen and Heidenheim an der Brenz.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// Where the catalog database, files and settings live.
    #[arg(
        long,
        env = "ALLMENDE_DATA_DIR",
        default_value = "./allmende-data",
        global = true
    )]
    data_dir: PathBuf,
    /// A configuration file (default: allmende.toml in the data directory).
    #[arg(long, env = "ALLMENDE_CONFIG", global = true)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on (overrides the `bind` setting).
        #[arg(long)]
        bind: Option<String>,
        /// Fill the catalog with sample data for Aalen and Heidenheim (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Manage users and their API tokens.
    User {
        #[command(subcommand)]
        command: UserCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
        #[command(flatten)]
        common: Common,
    },
    /// Rebuild the search index from the catalog; a running server switches to the new index
    /// when it is complete and keeps answering from the old one meanwhile.
    Reindex {
        #[command(flatten)]
        common: Common,
    },
    /// Read a table file the way an upload is read and write its Parquet snapshot; prints the
    /// detected dialect, column types and warnings (no data directory needed).
    Ingest {
        /// CSV/TSV/TXT, XLSX/XLS/ODS, JSON, NDJSON or Parquet.
        file: PathBuf,
        /// Where to write the snapshot (default: FILE.parquet next to it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides as JSON, e.g. '{"delimiter": ";", "encoding": "windows-1252"}'.
        #[arg(long)]
        options: Option<String>,
    },
    /// Read one uploaded file for the server's worker (internal: it runs this in a process
    /// of its own with a memory limit and reads its output).
    #[command(hide = true)]
    IngestJob {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        output: PathBuf,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "{}")]
        options: String,
        #[arg(long, default_value_t = 1024)]
        memory_mb: u64,
    },
    /// Apply pending database migrations and report the schema version.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Copy a whole catalog between databases (e.g. SQLite to PostgreSQL); safe to repeat.
    CopyCatalog {
        /// Source database URL (default: this data directory's SQLite catalog).
        #[arg(long)]
        from: Option<String>,
        /// Target database URL, e.g. postgres://allmende@db.internal/allmende.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        common: Common,
    },
    /// Copy the catalog and files to a directory, consistently, while the portal runs.
    Backup {
        /// Target directory (must not exist or be empty).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        name: String,
        /// At least 10 characters; generated and printed when omitted.
        #[arg(long, env = "ALLMENDE_PASSWORD")]
        password: Option<String>,
        #[arg(long)]
        sysadmin: bool,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Make the user a member of this organization …
        #[arg(long)]
        org: Option<String>,
        /// … with this role (admin, editor, member).
        #[arg(long, default_value = "editor")]
        role: String,
    },
    /// List users.
    List,
    /// Set a user's password (ends their sessions).
    SetPassword {
        name: String,
        #[arg(long, env = "ALLMENDE_PASSWORD")]
        password: String,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token for a user; prints it once, as the last line.
    Create {
        user: String,
        /// A name to recognise the token by.
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_days: Option<i64>,
    },
    /// Revoke a user's token by name or id.
    Revoke { user: String, token: String },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization.
    Add {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "municipality")]
        r#type: String,
        /// Amtlicher Gemeindeschlüssel.
        #[arg(long)]
        ags: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List organizations.
    List,
}

fn init_logging(config: &Config) {
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

fn invalid(e: allmende_catalog::CatalogError) -> anyhow::Error {
    match e {
        allmende_catalog::CatalogError::Invalid(fe) => anyhow::anyhow!("invalid input: {fe}"),
        other => other.into(),
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
    } = cli.command
    {
        let options: allmende_table::IngestOptions =
            serde_json::from_str(&options).context("--options is not valid JSON")?;
        let code = allmende::ingest_job::run(allmende::ingest_job::JobArgs {
            input,
            output,
            name,
            options,
            memory_mb,
        });
        std::process::exit(code);
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { common, bind, demo } => {
            let started = std::time::Instant::now();
            let mut config = Config::load(&common.data_dir, common.config.as_deref())?;
            if let Some(b) = bind {
                config.bind = b;
            }
            init_logging(&config);
            let catalog = open_catalog(&config, &common.data_dir).await?;
            if demo {
                let report = allmende::demo::seed(&catalog, &common.data_dir).await?;
                println!(
                    "Demo data ready: {} organizations, {} datasets ({} new).",
                    report.organizations, report.datasets, report.created
                );
                println!(
                    "Demo admin: user \"{}\", password \"{}\"",
                    report.admin_user, report.admin_password
                );
            }
            let server = allmende::start(
                &config,
                &common.data_dir,
                catalog,
                Some(Box::pin(shutdown_signal())),
            )
            .await?;
            tracing::info!(addr = %server.addr, ready_ms = started.elapsed().as_millis() as u64, "listening");
            println!("Allmende läuft auf http://{}", server.addr);
            server.wait().await
        }
        Command::User { command, common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let catalog = open_catalog(&config, &common.data_dir).await?;
            match command {
                UserCommand::Add {
                    name,
                    password,
                    sysadmin,
                    email,
                    display_name,
                    org,
                    role,
                } => {
                    let generated = password.is_none();
                    let password = password.unwrap_or_else(|| {
                        allmende_catalog::credentials::new_secret("")[..20].to_string()
                    });
                    let role =
                        Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
                    let org = match &org {
                        Some(slug) => Some(
                            catalog
                                .organization(slug, &allmende_core::authz::ReadScope::All)
                                .await?
                                .with_context(|| format!("no organization {slug:?}"))?,
                        ),
                        None => None,
                    };
                    let user = catalog
                        .create_user(
                            &name,
                            display_name.as_deref().unwrap_or(""),
                            email.as_deref(),
                            &password,
                            sysadmin,
                        )
                        .await
                        .map_err(invalid)?;
                    if let Some(org) = org {
                        catalog.set_membership(user.id, org.id, role).await?;
                        println!("{} is {} of {}", user.name, role.as_str(), org.slug);
                    }
                    println!(
                        "created user {}{}",
                        user.name,
                        if user.sysadmin { " (sysadmin)" } else { "" }
                    );
                    if generated {
                        println!("password: {password}");
                    }
                }
                UserCommand::List => {
                    for u in catalog.users().await? {
                        println!(
                            "{}\t{}\t{}",
                            u.name,
                            if u.sysadmin { "sysadmin" } else { "-" },
                            u.display_name
                        );
                    }
                }
                UserCommand::SetPassword { name, password } => {
                    catalog
                        .set_password(&name, &password)
                        .await
                        .map_err(invalid)?;
                    println!("password changed for {name}");
                }
                UserCommand::Token { command } => match command {
                    TokenCommand::Create {
                        user,
                        name,
                        expires_days,
                    } => {
                        let u = catalog
                            .user(&user)
                            .await?
                            .with_context(|| format!("no user {user:?}"))?;
                        let expires = expires_days
                            .map(|d| allmende_core::time::now() + chrono::Duration::days(d));
                        let (info, secret) = catalog
                            .create_token(u.id, &name, expires)
                            .await
                            .map_err(invalid)?;
                        eprintln!(
                            "token {:?} for {} (id {}); it is shown only now:",
                            info.name, u.name, info.id
                        );
                        println!("{secret}");
                    }
                    TokenCommand::Revoke { user, token } => {
                        let u = catalog
                            .user(&user)
                            .await?
                            .with_context(|| format!("no user {user:?}"))?;
                        let n = catalog.revoke_token(u.id, &token).await?;
                        if n == 0 {
                            bail!("no active token {token:?} for {user}");
                        }
                        println!("revoked {n} token(s)");
                    }
                },
            }
            catalog.db.close().await;
            Ok(())
        }
        Command::Org { command, common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let catalog = open_catalog(&config, &common.data_dir).await?;
            match command {
                OrgCommand::Add {
                    slug,
                    name,
                    r#type,
                    ags,
                    website,
                    email,
                    description,
                } => {
                    let fields = allmende_core::validate::OrganizationInput {
                        slug: Some(slug),
                        name: Some(name),
                        description: Some(description),
                        website,
                        email,
                        ags,
                        org_type: Some(r#type),
                    }
                    .validate()
                    .map_err(|e| anyhow::anyhow!("invalid input: {e}"))?;
                    let org = catalog
                        .create_organization(&fields)
                        .await
                        .map_err(invalid)?;
                    println!("created organization {} ({})", org.slug, org.name);
                }
                OrgCommand::List => {
                    let page = catalog
                        .organizations(&allmende_core::authz::ReadScope::All, 1, 1000)
                        .await?;
                    for o in page.items {
                        println!(
                            "{}\t{}\t{}\t{}",
                            o.slug, o.name, o.org_type, o.dataset_count
                        );
                    }
                }
            }
            catalog.db.close().await;
            Ok(())
        }
        Command::IngestJob { .. } => unreachable!("handled before the runtime starts"),
        Command::Ingest { file, out, options } => {
            let options: allmende_table::IngestOptions = match options {
                Some(o) => serde_json::from_str(&o).context("--options")?,
                None => Default::default(),
            };
            options.validate().map_err(|e| anyhow::anyhow!(e))?;
            let out = out.unwrap_or_else(|| file.with_extension("parquet"));
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
            println!("{} rows in {secs:.2} s -> {}", report.rows, out.display());
            println!(
                "peak memory: {} MB",
                allmende::ingest_job::peak_memory_bytes() >> 20
            );
            println!("format: {:?}, dialect: {}", report.format, report.dialect);
            for c in &report.columns {
                let reason = c
                    .reason
                    .as_deref()
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                println!(
                    "  {:<30} {:<10} {}{reason}",
                    c.name,
                    format!("{:?}", c.kind).to_lowercase(),
                    c.machine_name
                );
            }
            for w in &report.warnings {
                println!("warning: {w}");
            }
            Ok(())
        }
        Command::Reindex { common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let catalog = open_catalog(&config, &common.data_dir).await?;
            let started = std::time::Instant::now();
            let docs = allmende_search::SearchService::rebuild(&catalog, &common.data_dir).await?;
            println!(
                "search index rebuilt: {docs} datasets in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            catalog.db.close().await;
            Ok(())
        }
        Command::Migrate { common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let db = allmende::connect(&config.database_url, &config).await?;
            let before = db.schema_version().await?;
            db.migrate()
                .await
                .context("migrating the catalog database")?;
            let after = db.schema_version().await?;
            println!(
                "{}: schema version {before} -> {after} (this binary supports {})",
                allmende_catalog::db::redact(&config.database_url),
                db.supported_version()
            );
            db.close().await;
            Ok(())
        }
        Command::CopyCatalog { from, to, common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let from = from.unwrap_or_else(|| config.database_url.clone());
            if from == to {
                bail!("source and target are the same database");
            }
            let source = allmende::connect(&from, &config).await?;
            let target = allmende::connect(&to, &config).await?;
            source
                .migrate()
                .await
                .context("migrating the source database")?;
            target
                .migrate()
                .await
                .context("migrating the target database")?;
            let report = allmende_catalog::copy::copy_catalog(&source, &target).await?;
            for (table, rows) in &report.tables {
                println!("{table}\t{rows} rows");
            }
            println!(
                "copied {} -> {}; row counts verified. Files stay in {}.",
                allmende_catalog::db::redact(&from),
                allmende_catalog::db::redact(&to),
                common.data_dir.join("files").display()
            );
            source.close().await;
            target.close().await;
            Ok(())
        }
        Command::Backup { to, common } => {
            let config = Config::load(&common.data_dir, common.config.as_deref())?;
            let catalog = open_catalog(&config, &common.data_dir).await?;
            let (db_bytes, files) = allmende::backup(&catalog, &common.data_dir, &to).await?;
            println!(
                "backup written to {}: catalog {db_bytes} bytes, {files} files",
                to.display()
            );
            catalog.db.close().await;
            Ok(())
        }
    }
}
