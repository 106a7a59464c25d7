//! Allmende's data plane: tables ingested into Parquet snapshots, queried with DataFusion,
//! exported in every common format.

mod cells;
pub mod column;
mod convert;
pub mod csv;
pub mod detect;
pub mod export;
#[cfg(test)]
mod fuzz_tests;
pub mod geo;
pub mod growing;
mod header;
mod infer;
pub mod ingest;
mod json;
mod parquet_in;
pub mod privacy;
pub mod query;
mod scalar;
mod sheet;
mod snapshot;
mod source;
mod stats;
pub mod values;

use allmende_core::i18n::Msg;

pub use column::{Column, ColumnStats, ColumnType};
pub use infer::NumberStyle;
pub use ingest::{IngestOptions, IngestReport, InputFormat, Limits, ingest, ingest_growing};

/// Ingestion failures. `Data` is the publisher's file (permanent, shown on the resource);
/// the others are the machine's (worth a retry).
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}")]
    Data(Msg),
    /// The content is a known format that is not a table (GeoJSON, XML, PDF, a ZIP archive).
    #[error("{}", Msg::new("ingest.not_a_table").arg("format", .0))]
    NotATable(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("Parquet/Arrow: {0}")]
    Engine(String),
}

impl IngestError {
    pub(crate) fn parquet(e: parquet::errors::ParquetError) -> Self {
        match e {
            parquet::errors::ParquetError::External(e) => Self::Engine(e.to_string()),
            e => Self::Engine(e.to_string()),
        }
    }
    pub(crate) fn arrow(e: datafusion::arrow::error::ArrowError) -> Self {
        Self::Engine(e.to_string())
    }

    /// Whether the same file will fail the same way again.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Data(_) | Self::NotATable(_))
    }

    /// What to tell the publisher, in any language; the machine's failures as one message
    /// around their technical detail.
    pub fn message(&self) -> Msg {
        match self {
            Self::Data(m) => m.clone(),
            Self::NotATable(label) => Msg::new("ingest.not_a_table").arg("format", label),
            Self::Io(e) => Msg::new("ingest.io").arg("detail", e),
            Self::Engine(e) => Msg::new("ingest.engine").arg("detail", e),
        }
    }
}
