//! Where a query reads a snapshot from. Every snapshot can be scanned from its Parquet file;
//! tables in use are also decoded into memory in the background (up to a byte budget, least
//! recently used out first), so repeated queries of a hot table skip decompression and
//! decoding. Snapshots are immutable, so a cached copy is never stale.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::translate;
use super::types::{QueryError, TableRef};

const LISTING_ENTRIES: usize = 512;
/// Partitions of a cached table: one per core of the machines we run on.
const PARTITIONS: usize = 2;

#[derive(Debug, Default)]
struct State {
    listing: HashMap<String, Arc<dyn TableProvider>>,
    memory: HashMap<String, Cached>,
    used: usize,
    tick: u64,
    loading: HashSet<String>,
    /// Snapshots larger than the budget: not tried again.
    too_large: HashSet<String>,
}

#[derive(Debug)]
struct Cached {
    table: Arc<dyn TableProvider>,
    bytes: usize,
    last_used: u64,
}

/// A table in memory and its size in bytes.
type Decoded = (Arc<dyn TableProvider>, usize);

#[derive(Debug)]
pub(crate) struct Providers {
    budget: usize,
    state: Mutex<State>,
}

impl Providers {
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            state: Mutex::new(State::default()),
        }
    }

    /// The fastest way to read `t` right now; with `warm`, starts loading it into memory when
    /// it fits.
    pub fn get(
        self: &Arc<Self>,
        t: &TableRef,
        warm: bool,
    ) -> Result<Arc<dyn TableProvider>, QueryError> {
        let mut state = self.state.lock().map_err(|_| poisoned())?;
        state.tick += 1;
        let tick = state.tick;
        if let Some(c) = state.memory.get_mut(&t.key) {
            c.last_used = tick;
            return Ok(c.table.clone());
        }
        if warm
            && self.budget > 0
            && !state.loading.contains(&t.key)
            && !state.too_large.contains(&t.key)
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            state.loading.insert(t.key.clone());
            let this = self.clone();
            let t = t.clone();
            handle.spawn_blocking(move || this.load(&t));
        }
        if let Some(p) = state.listing.get(&t.key) {
            return Ok(p.clone());
        }
        let table = listing(t)?;
        if state.listing.len() >= LISTING_ENTRIES {
            state.listing.clear();
        }
        state.listing.insert(t.key.clone(), table.clone());
        Ok(table)
    }

    /// Whether `key` is served from memory (tests and diagnostics).
    pub fn in_memory(&self, key: &str) -> bool {
        self.state
            .lock()
            .map(|s| s.memory.contains_key(key))
            .unwrap_or(false)
    }

    fn load(&self, t: &TableRef) {
        let loaded = self.decode(t);
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.loading.remove(&t.key);
        let (table, bytes) = match loaded {
            Ok(Some(x)) => x,
            Ok(None) => {
                state.too_large.insert(t.key.clone());
                return;
            }
            Err(e) => {
                tracing::warn!(table = %t.alias, error = %e, "loading a table into memory");
                return;
            }
        };
        // Least recently used out until the new table fits.
        while state.used + bytes > self.budget {
            let Some(oldest) = state
                .memory
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(c) = state.memory.remove(&oldest) {
                state.used -= c.bytes;
            }
        }
        if state.used + bytes > self.budget {
            state.too_large.insert(t.key.clone());
            return;
        }
        state.used += bytes;
        let tick = state.tick;
        state.memory.insert(
            t.key.clone(),
            Cached {
                table,
                bytes,
                last_used: tick,
            },
        );
    }

    /// The snapshot as in-memory partitions, or `None` when it would not fit the budget.
    fn decode(&self, t: &TableRef) -> Result<Option<Decoded>, String> {
        let file = File::open(&t.path).map_err(|e| e.to_string())?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| e.to_string())?
            .with_batch_size(8192);
        let estimate: i64 = builder
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.total_byte_size())
            .sum();
        if estimate.max(0) as usize > self.budget {
            return Ok(None);
        }
        let schema = crate::snapshot::query_schema(&t.columns);
        let mut batches = Vec::new();
        let mut bytes = 0usize;
        for b in builder.build().map_err(|e| e.to_string())? {
            let b = b.map_err(|e| e.to_string())?;
            let b = RecordBatch::try_new(schema.clone(), b.columns().to_vec())
                .map_err(|e| e.to_string())?;
            bytes += b.get_array_memory_size();
            if bytes > self.budget {
                return Ok(None);
            }
            batches.push(b);
        }
        // Contiguous halves keep each partition, and their concatenation, in `_id` order.
        let per = batches.len().div_ceil(PARTITIONS).max(1);
        let mut partitions: Vec<Vec<RecordBatch>> = Vec::with_capacity(PARTITIONS);
        let mut rest = batches.into_iter().peekable();
        while rest.peek().is_some() {
            partitions.push(rest.by_ref().take(per).collect());
        }
        if partitions.is_empty() {
            partitions.push(Vec::new());
        }
        let table = MemTable::try_new(schema, partitions)
            .map_err(|e| e.to_string())?
            .with_sort_order(vec![vec![
                translate::column(crate::snapshot::ROW_ID).sort(true, false),
            ]]);
        Ok(Some((Arc::new(table), bytes)))
    }
}

/// A scan of the Parquet file; the schema is known, so no footer is read to plan.
fn listing(t: &TableRef) -> Result<Arc<dyn TableProvider>, QueryError> {
    let path = t
        .path
        .to_str()
        .ok_or_else(|| QueryError::Internal("non-UTF-8 path".into()))?;
    let url = ListingTableUrl::parse(path).map_err(|e| QueryError::Internal(e.to_string()))?;
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension("")
        .with_file_sort_order(vec![vec![
            translate::column(crate::snapshot::ROW_ID).sort(true, false),
        ]]);
    let schema = crate::snapshot::query_schema(&t.columns);
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema);
    Ok(Arc::new(
        ListingTable::try_new(config).map_err(|e| QueryError::Internal(e.to_string()))?,
    ))
}

fn poisoned() -> QueryError {
    QueryError::Internal("table cache poisoned".into())
}
