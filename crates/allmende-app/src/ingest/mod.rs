//! Ingestion: the background worker that turns uploads and links into tables, the reader
//! process it starts for every file, and the guarded fetcher for links.

pub mod early;
pub mod fetch;
pub mod job;
pub mod process;
pub mod worker;

pub use early::{EarlyRead, EarlyReads};
pub use fetch::{FetchError, FetchLimits};
pub use process::IngestSettings;
pub use worker::spawn as spawn_worker;
