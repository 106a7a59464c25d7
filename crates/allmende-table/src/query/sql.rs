//! The read-only SQL API: one `SELECT` over the public tables, each under its stable alias.
//! DDL, DML (incl. `COPY`) and other statements are refused by DataFusion's SQL options; only
//! the tables the lookup names are reachable (no URL tables, no file paths, no table functions).

use std::fmt::Debug;
use std::sync::Arc;

use allmende_core::i18n::Msg;
use async_trait::async_trait;
use datafusion::catalog::{SchemaProvider, TableProvider};
use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures_util::StreamExt;

use super::{Engine, ProviderCache, QueryError, RecordsPage, TableRef};

const MAX_SQL: usize = 20_000;

/// Scalar functions public SQL may call: text, numbers, dates, conditions. Anything else that
/// DataFusion registers (array builders such as `range` and `array_repeat`, whatever a later
/// version adds) is removed from the session: a new function must be vetted for what it can
/// build before it is exposed.
const ALLOWED_FUNCTIONS: &[&str] = &[
    // conditions and types
    "coalesce",
    "nullif",
    "nvl",
    "nvl2",
    "ifnull",
    "greatest",
    "least",
    "arrow_cast",
    "arrow_typeof",
    "get_field",
    "named_struct",
    "struct",
    "row",
    // text
    "ascii",
    "bit_length",
    "btrim",
    "trim",
    "ltrim",
    "rtrim",
    "char_length",
    "character_length",
    "length",
    "len",
    "chr",
    "concat",
    "concat_ws",
    "contains",
    "ends_with",
    "starts_with",
    "initcap",
    "lower",
    "upper",
    "octet_length",
    "repeat",
    "replace",
    "split_part",
    "strpos",
    "instr",
    "position",
    "substr",
    "substring",
    "substr_index",
    "substring_index",
    "left",
    "right",
    "lpad",
    "rpad",
    "reverse",
    "translate",
    "to_hex",
    "uuid",
    "levenshtein",
    "find_in_set",
    "overlay",
    // numbers
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "cbrt",
    "ceil",
    "cos",
    "cosh",
    "cot",
    "degrees",
    "exp",
    "factorial",
    "floor",
    "gcd",
    "isnan",
    "iszero",
    "lcm",
    "ln",
    "log",
    "log10",
    "log2",
    "nanvl",
    "pi",
    "power",
    "pow",
    "radians",
    "random",
    "round",
    "signum",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
    "trunc",
    // dates and times
    "current_date",
    "today",
    "current_time",
    "now",
    "current_timestamp",
    "date_bin",
    "date_part",
    "datepart",
    "date_trunc",
    "datetrunc",
    "from_unixtime",
    "make_date",
    "to_char",
    "date_format",
    "to_date",
    "to_local_time",
    "to_timestamp",
    "to_timestamp_seconds",
    "to_timestamp_millis",
    "to_timestamp_micros",
    "to_timestamp_nanos",
    "to_unixtime",
];

/// Spatial functions (geodatafusion, PostGIS names) public SQL may call: constructors,
/// accessors, predicates and measures whose result is bounded by their input. Left out: the
/// concave hull (its cost grows faster than the geometry) and the box and geohash helpers no
/// one asked for.
const SPATIAL_FUNCTIONS: &[&str] = &[
    "st_area",
    "st_asbinary",
    "st_astext",
    "st_centroid",
    "st_convexhull",
    "st_coorddim",
    "st_distance",
    "st_distancesphere",
    "st_endpoint",
    "st_geometrytype",
    "st_geomfromtext",
    "st_geomfromwkb",
    "st_intersects",
    "st_isclosed",
    "st_isempty",
    "st_isvalid",
    "st_isvalidreason",
    "st_length",
    "st_makepoint",
    "st_ndims",
    "st_npoints",
    "st_numinteriorrings",
    "st_point",
    "st_pointonsurface",
    "st_simplify",
    "st_simplifypreservetopology",
    "st_startpoint",
    "st_x",
    "st_xmax",
    "st_xmin",
    "st_y",
    "st_ymax",
    "st_ymin",
];

/// Removes every scalar function public SQL may not call, after adding the spatial ones.
pub(super) fn prune_functions(ctx: &datafusion::prelude::SessionContext) {
    geodatafusion::register(ctx);
    crate::geo::udf::register_sql_functions(ctx);
    let names: Vec<String> = ctx.state().scalar_functions().keys().cloned().collect();
    for name in names {
        if !ALLOWED_FUNCTIONS.contains(&name.as_str())
            && !SPATIAL_FUNCTIONS.contains(&name.as_str())
        {
            ctx.deregister_udf(&name);
        }
    }
}

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

/// Geometries computed by spatial functions come as GeoArrow arrays (a point is a struct of
/// x and y): the answer gives them as WKB like the tables' own geometry column, so that JSON
/// shows GeoJSON and CSV shows WKT.
fn as_wkb(
    ctx: &datafusion::prelude::SessionContext,
    df: datafusion::dataframe::DataFrame,
) -> Result<datafusion::dataframe::DataFrame, DataFusionError> {
    let geoarrow = |f: &datafusion::arrow::datatypes::Field| {
        f.metadata()
            .get("ARROW:extension:name")
            .is_some_and(|n| n.starts_with("geoarrow."))
            && f.data_type() != &datafusion::arrow::datatypes::DataType::Binary
    };
    if !df.schema().fields().iter().any(|f| geoarrow(f)) {
        return Ok(df);
    }
    let wkb = ctx
        .state()
        .scalar_functions()
        .get("st_asbinary")
        .cloned()
        .ok_or_else(|| DataFusionError::Plan("st_asbinary is not registered".into()))?;
    let columns: Vec<datafusion::prelude::Expr> = df
        .schema()
        .iter()
        .map(|(q, f)| {
            let c = datafusion::prelude::Expr::Column(datafusion::common::Column::from((q, f)));
            match geoarrow(f) {
                true => wkb.call(vec![c]).alias(f.name()),
                false => c,
            }
        })
        .collect();
    df.select(columns)
}

impl Engine {
    async fn sql_frame(
        &self,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<datafusion::dataframe::DataFrame, QueryError> {
        if sql.len() > MAX_SQL {
            return Err(QueryError::Invalid(
                Msg::new("query.sql_too_long").arg("max", MAX_SQL),
            ));
        }
        if sql.trim().is_empty() {
            return Err(QueryError::Invalid(Msg::new("query.sql_empty")));
        }
        let ctx = self.session()?;
        prune_functions(&ctx);
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
        let df = ctx
            .sql_with_options(sql, options)
            .await
            .map_err(|e| match e.find_root() {
                DataFusionError::Plan(m) if m.contains("not found") => {
                    QueryError::Invalid(Msg::new("query.table_not_found").arg("detail", m))
                }
                _ => QueryError::from_df(e, &self.limits),
            })?;
        // A plan shows where the snapshot files lie, and EXPLAIN ANALYZE runs the query
        // outside the result limits: neither is for the public.
        if matches!(
            df.logical_plan(),
            LogicalPlan::Explain(_) | LogicalPlan::Analyze(_)
        ) {
            return Err(QueryError::Invalid(Msg::new("query.no_explain")));
        }
        as_wkb(&ctx, df).map_err(|e| QueryError::from_df(e, &self.limits))
    }

    /// Runs a query for a JSON answer: at most `max_rows` rows, `truncated` says if more exist.
    /// The rows held for the answer count against the query's memory limit. No deadline of its
    /// own: the portal runs it through [`super::Queries`].
    pub async fn sql(
        &self,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<RecordsPage, QueryError> {
        let max = self.limits.max_rows;
        let df = self.sql_frame(lookup, sql).await?;
        let schema = Arc::new(df.schema().as_arrow().clone());
        let df = df
            .limit(0, Some(max + 1))
            .map_err(|e| QueryError::from_df(e, &self.limits))?;
        let mut stream = df
            .execute_stream()
            .await
            .map_err(|e| QueryError::from_df(e, &self.limits))?;
        let mut batches = Vec::new();
        let mut rows = 0usize;
        let mut bytes = 0usize;
        let mut truncated = false;
        while let Some(b) = stream.next().await {
            let mut b = b.map_err(|e| QueryError::from_df(e, &self.limits))?;
            if rows + b.num_rows() > max {
                b = b.slice(0, max - rows);
                truncated = true;
            }
            rows += b.num_rows();
            bytes += b.get_array_memory_size();
            if bytes > self.limits.memory_bytes {
                return Err(QueryError::TooLarge(self.limits.memory_bytes >> 20));
            }
            batches.push(b);
            if truncated {
                break;
            }
        }
        Ok(RecordsPage {
            total: None,
            schema,
            batches,
            next: None,
            truncated,
        })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The allowlist names functions that exist: a newer geodatafusion that renames or drops
    /// one fails here, not in a user's query.
    #[test]
    fn every_allowed_spatial_function_is_there() {
        let ctx = datafusion::prelude::SessionContext::new();
        prune_functions(&ctx);
        let registered = ctx.state().scalar_functions().clone();
        for name in SPATIAL_FUNCTIONS {
            assert!(registered.contains_key(*name), "{name}");
        }
        assert!(!registered.contains_key("st_concavehull"));
    }
}
