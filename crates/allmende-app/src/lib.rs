//! Allmende's application layer: the use cases every front door shares (the JSON API, the
//! HTML pages, the CKAN, DCAT and Frictionless mappings, the demo seeding and the command
//! line). Each takes the acting user where access matters; the one visibility rule lives in
//! [`access`]. Below it are the stores (catalog, search index, tables); above it, only
//! protocols. The ingestion worker and the guarded URL fetcher live here too, because
//! publishing a file is one use case from the upload to the served table.

pub mod access;
pub mod datasets;
mod error;
pub mod feedback;
pub mod follow;
pub mod history;
pub mod images;
pub mod ingest;
pub mod invitations;
pub mod links;
pub mod mail;
pub mod members;
pub mod privacy;
pub mod quality;
mod rescan;
pub mod resources;
mod schedule;
pub mod showcases;
pub mod tables;

use std::sync::Arc;

use allmende_catalog::Catalog;
use allmende_search::SearchService;
use allmende_table::query::{Queries, QueryLimits};

pub use error::{AppError, AppResult};

/// The application: the stores and the engines, shared by every front door (cheap to clone).
#[derive(Clone)]
pub struct App {
    pub catalog: Catalog,
    pub search: SearchService,
    /// Query engine over table snapshots, on the pool for heavy work.
    pub tables: Arc<Queries>,
    /// Wakes the ingestion worker when a job was queued.
    pub jobs: Arc<tokio::sync::Notify>,
    /// The privacy rules this node's ingestion applies (their fingerprint decides re-checks).
    pub privacy_rules: Arc<allmende_table::privacy::PrivacyRules>,
    /// The catalog-wide average quality score, with when it was computed.
    quality_cache: Arc<std::sync::Mutex<Option<QualityAverage>>>,
    /// E-mail to followers of datasets, when an SMTP relay is configured.
    followers: Option<mail::Followers>,
    /// Uploads read while they arrive, when this node runs the ingestion worker.
    early_reads: Option<ingest::EarlyReads>,
}

type QualityAverage = (std::time::Instant, Option<(u32, usize)>);

impl App {
    pub fn new(
        catalog: Catalog,
        search: SearchService,
        limits: QueryLimits,
        pool: allmende_work::Pool,
        jobs: Arc<tokio::sync::Notify>,
    ) -> Self {
        Self {
            catalog,
            search,
            tables: Arc::new(Queries::new(limits, pool)),
            jobs,
            privacy_rules: allmende_table::privacy::PrivacyRules::builtin(),
            quality_cache: Arc::default(),
            followers: None,
            early_reads: None,
        }
    }

    /// Starts reading uploads of tables while they arrive (the worker takes them over).
    pub fn with_early_reads(mut self, early: ingest::EarlyReads) -> Self {
        self.early_reads = Some(early);
        self
    }

    /// The operator's privacy rules instead of the built-in ones.
    pub fn with_privacy_rules(mut self, rules: Arc<allmende_table::privacy::PrivacyRules>) -> Self {
        self.privacy_rules = rules;
        self
    }

    /// Lets visitors follow datasets by e-mail through this mailer; a changed dataset is
    /// mailed once it has been `quiet` that long.
    pub fn with_mailer(
        mut self,
        mailer: mail::Mailer,
        site_title: &str,
        quiet: std::time::Duration,
    ) -> Self {
        self.followers = Some(mail::Followers {
            mailer: Arc::new(mailer),
            site_title: site_title.to_string(),
            wake: Arc::default(),
            quiet,
        });
        self
    }
}
