//! The read-only SQL API: one `SELECT` over the public tables, each under its stable alias.
//! DDL, DML (incl. `COPY`) and other statements are refused by DataFusion's SQL options; only
//! the tables the lookup names are reachable (no URL tables, no file paths, no table functions).

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::physical_plan::SendableRecordBatchStream;

use super::{Engine, ProviderCache, QueryError, RecordsPage, TableRef};

const MAX_SQL: usize = 20_000;

/// The tables SQL may see (public snapshots only; the caller decides).
pub trait TableLookup: Send + Sync + Debug {
    fn names(&self) -> Vec<String>;
    fn get(&self, alias: &str) -> Option<TableRef>;
}

#[derive(Debug)]
struct PublicSchema {
    lookup: Arc<dyn TableLookup>,
    cache: ProviderCache,
}

#[async_trait]
impl SchemaProvider for PublicSchema {
    fn table_names(&self) -> Vec<String> {
        self.lookup.names()
    }
    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        match self.lookup.get(name) {
            Some(t) => self
                .cache
                .get(&t, true)
                .map(Some)
                .map_err(|e| DataFusionError::Execution(e.to_string())),
            None => Ok(None),
        }
    }
    fn table_exist(&self, name: &str) -> bool {
        self.lookup.get(name).is_some()
    }
}

impl Engine {
    async fn sql_frame(
        &self,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<datafusion::dataframe::DataFrame, QueryError> {
        if sql.len() > MAX_SQL {
            return Err(QueryError::Invalid(format!(
                "SQL zu lang (höchstens {MAX_SQL} Zeichen)"
            )));
        }
        if sql.trim().is_empty() {
            return Err(QueryError::Invalid("leere Abfrage".into()));
        }
        let ctx = self.session()?;
        let schema = Arc::new(PublicSchema {
            lookup,
            cache: self.providers.clone(),
        });
        let catalog = ctx
            .catalog("datafusion")
            .ok_or_else(|| QueryError::Internal("default catalog missing".into()))?;
        catalog
            .register_schema("public", schema)
            .map_err(|e| QueryError::Internal(e.to_string()))?;
        let options = SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        ctx.sql_with_options(sql, options)
            .await
            .map_err(|e| match e.find_root() {
                DataFusionError::Plan(m) if m.contains("not found") => QueryError::Invalid(
                    format!("{m} (Tabellen heißen wie ihr Alias, siehe Ressource)"),
                ),
                _ => QueryError::from_df(e, &self.limits),
            })
    }

    /// Runs a query for a JSON answer: at most `max_rows` rows, `truncated` says if more exist.
    pub async fn sql(
        &self,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<RecordsPage, QueryError> {
        let timeout = self.limits.timeout;
        let max = self.limits.max_rows;
        let run = async {
            let df = self.sql_frame(lookup, sql).await?;
            let schema = Arc::new(df.schema().as_arrow().clone());
            let df = df
                .limit(0, Some(max + 1))
                .map_err(|e| QueryError::from_df(e, &self.limits))?;
            let mut batches = df
                .collect()
                .await
                .map_err(|e| QueryError::from_df(e, &self.limits))?;
            let mut rows = 0usize;
            let mut truncated = false;
            for b in &mut batches {
                if rows + b.num_rows() > max {
                    *b = b.slice(0, max - rows);
                    truncated = true;
                }
                rows += b.num_rows();
            }
            Ok(RecordsPage {
                total: None,
                schema,
                batches,
                next: None,
                truncated,
            })
        };
        tokio::time::timeout(timeout, run)
            .await
            .map_err(|_| QueryError::Timeout(timeout.as_secs()))?
    }

    /// The full result as a stream (exports); the caller applies the time limit per batch.
    pub async fn sql_stream(
        &self,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<SendableRecordBatchStream, QueryError> {
        let df = self.sql_frame(lookup, sql).await?;
        df.execute_stream()
            .await
            .map_err(|e| QueryError::from_df(e, &self.limits))
    }
}
