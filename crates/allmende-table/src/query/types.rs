//! What the query engine's callers and its parts share: errors, limits, table references and
//! result field descriptions.

use std::path::PathBuf;
use std::time::Duration;

use allmende_core::i18n::Msg;
use datafusion::error::DataFusionError;

use crate::column::{Column, ColumnType};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request is wrong (unknown column, bad expression, refused statement).
    #[error("{0}")]
    Invalid(Msg),
    /// The query needs more memory than a query may use.
    #[error("{}", self.message())]
    TooLarge(usize),
    #[error("{}", self.message())]
    Timeout(u64),
    /// The query met a failure inside the engine (a bug this query runs into): the
    /// requester's problem to rephrase, logged for us.
    #[error("{}", self.message())]
    Failed(String),
    /// The server is shutting down.
    #[error("{}", self.message())]
    Unavailable,
    /// The machine's fault (a snapshot file unreadable).
    #[error("query engine: {0}")]
    Internal(String),
}

impl From<allmende_work::Stopped> for QueryError {
    fn from(s: allmende_work::Stopped) -> Self {
        match s {
            allmende_work::Stopped::Deadline(d) => Self::Timeout(d.as_secs().max(1)),
            allmende_work::Stopped::ShuttingDown => Self::Unavailable,
            allmende_work::Stopped::Panicked(m) => Self::Failed(m),
        }
    }
}

impl QueryError {
    /// What to tell whoever asked, in any language.
    pub fn message(&self) -> Msg {
        match self {
            Self::Invalid(m) => m.clone(),
            Self::TooLarge(mb) => Msg::new("query.too_large").arg("mb", mb),
            Self::Timeout(s) => Msg::new("query.timeout").arg("seconds", s),
            Self::Failed(d) => Msg::new("query.failed").arg("detail", d),
            Self::Unavailable => Msg::new("query.shutting_down"),
            Self::Internal(d) => Msg::new("query.internal").arg("detail", d),
        }
    }

    /// The engine's own words, cut to a readable length: a failed signature match lists every
    /// type a function takes, which for the spatial functions is tens of kilobytes.
    pub(crate) fn invalid(text: impl std::fmt::Display) -> Self {
        // The beginning says what failed, the end what was asked ("st_x(Binary)").
        const HEAD: usize = 300;
        const TAIL: usize = 300;
        let text = text.to_string();
        let chars: Vec<char> = text.chars().collect();
        if chars.len() <= HEAD + TAIL {
            return Self::Invalid(Msg::plain(text));
        }
        let head: String = chars[..HEAD].iter().collect();
        let tail: String = chars[chars.len() - TAIL..].iter().collect();
        Self::Invalid(Msg::plain(format!("{head} … {tail}")))
    }

    pub(crate) fn from_df(e: DataFusionError, limits: &QueryLimits) -> Self {
        match e.find_root() {
            DataFusionError::ResourcesExhausted(_) => Self::TooLarge(limits.memory_bytes >> 20),
            DataFusionError::Plan(m) | DataFusionError::SQL(_, Some(m)) => Self::invalid(m),
            DataFusionError::SchemaError(e, _) => Self::invalid(e),
            DataFusionError::NotImplemented(m) => {
                Self::Invalid(Msg::new("query.not_supported").arg("detail", m))
            }
            DataFusionError::SQL(e, None) => Self::invalid(e),
            DataFusionError::ArrowError(e, _)
                if matches!(**e, datafusion::arrow::error::ArrowError::DivideByZero) =>
            {
                Self::Invalid(Msg::new("query.division_by_zero"))
            }
            DataFusionError::ArrowError(e, _)
                if matches!(**e, datafusion::arrow::error::ArrowError::CastError(_)) =>
            {
                Self::invalid(e)
            }
            DataFusionError::Execution(m) if m.contains("Cast") || m.contains("cast") => {
                Self::invalid(m)
            }
            DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => {
                Self::Internal(e.to_string())
            }
            other => {
                tracing::warn!(error = %other, "query failed inside the engine");
                Self::Failed(other.message().to_string())
            }
        }
    }
}

/// A table snapshot a query may read.
#[derive(Debug, Clone)]
pub struct TableRef {
    /// The name SQL sees (stable per resource).
    pub alias: String,
    /// Cache key: the snapshot version id.
    pub key: String,
    pub path: PathBuf,
    pub columns: Vec<Column>,
    pub rows: u64,
}

impl TableRef {
    /// A spatial table's geometry column.
    pub fn geometry(&self) -> Option<&Column> {
        self.columns
            .iter()
            .find(|c| c.kind == crate::column::ColumnType::Geometry)
    }

    /// The geometry column, or the answer that this table has none (`bbox` on a plain table).
    pub(crate) fn spatial(&self) -> Result<&Column, QueryError> {
        self.geometry().ok_or_else(|| {
            QueryError::Invalid(allmende_core::i18n::Msg::new("query.bbox_not_spatial"))
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub memory_bytes: usize,
    pub timeout: Duration,
    /// Rows a JSON answer may carry (exports stream everything).
    pub max_rows: usize,
    /// Memory for decoded hot tables, shared by all queries (0: always read the files).
    pub cache_bytes: usize,
    /// How long a whole export may take (it must also deliver rows at least every `timeout`).
    pub export_timeout: Duration,
    /// Neutralise formula-like text cells in CSV exports.
    pub guard_formulas: bool,
}

impl QueryLimits {
    /// Bytes one function result (a column of one batch) may have.
    pub fn max_value_bytes(&self) -> usize {
        (self.memory_bytes / 4).max(1 << 20)
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            timeout: Duration::from_secs(10),
            max_rows: 10_000,
            cache_bytes: 512 << 20,
            export_timeout: Duration::from_secs(600),
            guard_formulas: true,
        }
    }
}

/// A result column as the APIs describe it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FieldInfo {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

pub fn fields_of(schema: &datafusion::arrow::datatypes::Schema) -> Vec<FieldInfo> {
    schema
        .fields()
        .iter()
        .map(|f| FieldInfo {
            name: f.name().clone(),
            kind: match ColumnType::from_arrow(f.data_type()) {
                Some(ColumnType::Integer) => "integer",
                Some(ColumnType::Decimal) => "number",
                Some(ColumnType::Boolean) => "boolean",
                Some(ColumnType::Date) => "date",
                Some(ColumnType::Timestamp) => "datetime",
                // Binary results are geometries (WKB), written as GeoJSON.
                _ if f.data_type() == &datafusion::arrow::datatypes::DataType::Binary => "geojson",
                _ => "string",
            },
        })
        .collect()
}
