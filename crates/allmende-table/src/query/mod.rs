//! Querying snapshots with DataFusion: the records API (parsed expressions, never SQL text),
//! the read-only SQL API, and the streams behind exports. Every query runs in its own session
//! with its own memory pool, without spilling to disk, and under a time limit.

mod budget;
mod cache;
mod coop;
mod counts;
pub mod cql2;
pub mod expr;
mod grid;
pub mod json;
mod overview;
mod pooled;
mod records;
mod sql;
mod translate;
mod types;

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

pub use datafusion::physical_plan::SendableRecordBatchStream;
pub use grid::Cell;
pub use pooled::{ExportSource, Queries};
pub use records::{RecordsPage, RecordsQuery};
pub use sql::TableLookup;
pub use types::{FieldInfo, QueryError, QueryLimits, TableRef, fields_of};

pub struct Engine {
    limits: QueryLimits,
    providers: ProviderCache,
    /// Filtered row counts per table version.
    counts: counts::Kept<u64>,
    /// Overview images per table version and size.
    overviews: counts::Kept<Arc<Vec<u8>>>,
}

pub(crate) type ProviderCache = Arc<cache::Providers>;

impl Engine {
    pub fn new(limits: QueryLimits) -> Self {
        Self {
            limits,
            providers: Arc::new(cache::Providers::new(limits.cache_bytes)),
            counts: counts::Kept::new(counts::MAX_COUNTS),
            overviews: counts::Kept::new(counts::MAX_IMAGES),
        }
    }

    pub fn limits(&self) -> &QueryLimits {
        &self.limits
    }

    /// Whether a snapshot is currently served from memory.
    pub fn in_memory(&self, key: &str) -> bool {
        self.providers.in_memory(key)
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
        let state = datafusion::execution::SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(coop::YieldEverywhere))
            .build();
        let mut ctx = SessionContext::new_with_state(state);
        // Table functions are not needed by anyone and `generate_series` makes endless rows.
        for name in ["generate_series", "range"] {
            ctx.deregister_udtf(name);
        }
        // What functions build counts against this query's memory (see budget.rs): wrapped
        // before the optimizer folds constants (which runs functions while planning) and
        // again after it (its rewrites may bring in unwrapped ones).
        let budget = budget::Budget {
            pool: ctx.runtime_env().memory_pool.clone(),
            max_value_bytes: self.limits.max_value_bytes(),
        };
        ctx.add_analyzer_rule(Arc::new(budget::BudgetFunctions {
            budget: budget.clone(),
        }));
        ctx.add_optimizer_rule(Arc::new(budget::BudgetFunctions { budget }));
        {
            use datafusion::execution::FunctionRegistry;
            ctx.register_expr_planner(Arc::new(budget::ConcatPlanner))
                .map_err(|e| QueryError::Internal(e.to_string()))?;
        }
        Ok(ctx)
    }

    /// The scan of one snapshot: from memory when it is hot, else from its Parquet file.
    pub(crate) fn provider(
        &self,
        t: &TableRef,
        warm: bool,
    ) -> Result<Arc<dyn TableProvider>, QueryError> {
        self.providers.get(t, warm)
    }
}
