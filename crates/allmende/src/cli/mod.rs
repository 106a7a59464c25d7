//! The command line: what each command takes (clap) and, one module per group, what it does.

pub mod data;
pub mod maintenance;
pub mod orgs;
pub mod serve;
pub mod users;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct Common {
    /// Where the catalog database, files and settings live.
    #[arg(
        long,
        env = "ALLMENDE_DATA_DIR",
        default_value = "./allmende-data",
        global = true
    )]
    pub(crate) data_dir: PathBuf,
    /// A configuration file (default: allmende.toml in the data directory).
    #[arg(long, env = "ALLMENDE_CONFIG", global = true)]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
        /// CSV/TSV/TXT, XLSX/XLS/ODS, JSON, NDJSON, Parquet, or geodata: GeoJSON, Shapefile
        /// (ZIP), GeoPackage, KML/KMZ, GPX.
        file: PathBuf,
        /// Where to write the snapshot (default: FILE.parquet next to it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Overrides as JSON, e.g. '{"delimiter": ";", "encoding": "windows-1252"}'.
        #[arg(long)]
        options: Option<String>,
        /// Skip the privacy check, to measure what it costs (the server always runs it).
        #[arg(long)]
        without_privacy_check: bool,
        /// The privacy check's own rules (the server's `privacy_rules_file`).
        #[arg(long)]
        privacy_rules: Option<PathBuf>,
        /// Print the whole report (columns, warnings, privacy findings) as one JSON object
        /// instead of the summary.
        #[arg(long)]
        json: bool,
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
        #[arg(long)]
        privacy_rules: Option<PathBuf>,
        /// The input is an upload still arriving: read it as it grows, until stdin says
        /// `complete <bytes>` (stdin closing without it means the upload broke off).
        #[arg(long)]
        follow: bool,
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
pub(crate) enum UserCommand {
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
pub(crate) enum TokenCommand {
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
pub(crate) enum OrgCommand {
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
