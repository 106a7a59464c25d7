//! Querying snapshots with DataFusion: the records API (parsed expressions, never SQL text),
//! the read-only SQL API, and the streams behind exports. Every query runs in its own session
//! with its own memory pool, without spilling to disk, and under a time limit.

pub mod expr;
pub mod json;
mod records;
mod sql;
mod translate;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datafusion::catalog::TableProvider;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::DataFusionError;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use datafusion::physical_plan::SendableRecordBatchStream;
pub use records::{RecordsPage, RecordsQuery};
pub use sql::TableLookup;

use crate::column::{Column, ColumnType};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The request is wrong (unknown column, bad expression, refused statement).
    #[error("{0}")]
    Invalid(String),
    /// The query needs more memory than a query may use.
    #[error(
        "Die Abfrage braucht zu viel Speicher (Grenze {0} MB); bitte filtern oder aggregieren."
    )]
    TooLarge(usize),
    #[error("Die Abfrage hat das Zeitlimit von {0} s überschritten.")]
    Timeout(u64),
    #[error("query engine: {0}")]
    Internal(String),
}

impl QueryError {
    fn from_df(e: DataFusionError, limits: &QueryLimits) -> Self {
        match e.find_root() {
            DataFusionError::ResourcesExhausted(_) => Self::TooLarge(limits.memory_bytes >> 20),
            DataFusionError::Plan(m) | DataFusionError::SQL(_, Some(m)) => Self::Invalid(m.clone()),
            DataFusionError::SchemaError(e, _) => Self::Invalid(e.to_string()),
            DataFusionError::NotImplemented(m) => Self::Invalid(format!("nicht unterstützt: {m}")),
            DataFusionError::SQL(e, None) => Self::Invalid(e.to_string()),
            DataFusionError::ArrowError(e, _)
                if matches!(**e, datafusion::arrow::error::ArrowError::DivideByZero) =>
            {
                Self::Invalid("Division durch null".into())
            }
            DataFusionError::ArrowError(e, _)
                if matches!(**e, datafusion::arrow::error::ArrowError::CastError(_)) =>
            {
                Self::Invalid(e.to_string())
            }
            DataFusionError::Execution(m) if m.contains("Cast") || m.contains("cast") => {
                Self::Invalid(m.clone())
            }
            other => Self::Internal(other.to_string()),
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

#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub memory_bytes: usize,
    pub timeout: Duration,
    /// Rows a JSON answer may carry (exports stream everything).
    pub max_rows: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            timeout: Duration::from_secs(10),
            max_rows: 10_000,
        }
    }
}

pub struct Engine {
    limits: QueryLimits,
    providers: Arc<Mutex<HashMap<String, Arc<dyn TableProvider>>>>,
}

const PROVIDER_CACHE: usize = 512;

impl Engine {
    pub fn new(limits: QueryLimits) -> Self {
        Self {
            limits,
            providers: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// A fresh session: nothing registered, no URL tables, no disk spilling, own memory pool.
    pub(crate) fn session(&self) -> Result<SessionContext, QueryError> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(self.limits.memory_bytes, 1.0)
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()
            .map_err(|e| QueryError::Internal(e.to_string()))?;
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .with_batch_size(8192)
            .with_information_schema(false);
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        // Table functions are not needed by anyone and `generate_series` makes endless rows.
        for name in ["generate_series", "range"] {
            ctx.deregister_udtf(name);
        }
        Ok(ctx)
    }

    /// The scan of one snapshot, cached per version (the schema is known, no footer read).
    pub(crate) fn provider(&self, t: &TableRef) -> Result<Arc<dyn TableProvider>, QueryError> {
        provider(&self.providers, t)
    }
}

type ProviderCache = Arc<Mutex<HashMap<String, Arc<dyn TableProvider>>>>;

fn provider(cache: &ProviderCache, t: &TableRef) -> Result<Arc<dyn TableProvider>, QueryError> {
    if let Some(p) = cache.lock().map_err(|_| poisoned())?.get(&t.key) {
        return Ok(p.clone());
    }
    let path = t
        .path
        .to_str()
        .ok_or_else(|| QueryError::Internal("non-UTF-8 path".into()))?;
    let url = ListingTableUrl::parse(path).map_err(|e| QueryError::Internal(e.to_string()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension("")
        .with_file_sort_order(vec![vec![
            translate::column(crate::ingest::ROW_ID).sort(true, false),
        ]]);
    let schema = crate::ingest::schema_for(&t.columns);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    let table: Arc<dyn TableProvider> =
        Arc::new(ListingTable::try_new(config).map_err(|e| QueryError::Internal(e.to_string()))?);
    let mut cache = cache.lock().map_err(|_| poisoned())?;
    if cache.len() >= PROVIDER_CACHE {
        cache.clear();
    }
    cache.insert(t.key.clone(), table.clone());
    Ok(table)
}

fn poisoned() -> QueryError {
    QueryError::Internal("provider cache poisoned".into())
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
                _ => "string",
            },
        })
        .collect()
}
