//! Allmende's catalog storage: one repository over SQL (SQLite embedded, PostgreSQL for
//! scale-out), a content-addressed file store, and credentials (passwords, tokens, sessions).
//!
//! Callers never write SQL: they call [`Catalog`] methods with domain types from
//! `allmende-core`.

pub mod copy;
pub mod credentials;
pub mod db;
pub mod error;
pub mod files;
mod repo;

pub use db::{Backend, Db, DbOptions};
pub use error::CatalogError;
pub use files::{BlobMeta, BlobStore, LocalStore, StagedBlob, UploadError};
pub use repo::{
    Acknowledgement, AuditActor, AuditEntry, Catalog, DatasetFilter, DatasetSort, Feedback,
    FeedbackFilter, FeedbackKind, FeedbackStatus, Finished, INGEST_JOB, Job, JobStatus,
    NewAcknowledgement, NewFeedback, NewFile, NewResource, NewShowcase, PendingInvitation,
    PublicTable, Reaped, Revision, ScheduledPublication, Showcase, ShowcaseDataset, ShowcaseStatus,
    Subscribed, Subscription, TableVersion, Totals,
};

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;
