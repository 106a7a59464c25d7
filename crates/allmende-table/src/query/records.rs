//! The records API: select / where / q / group_by / order_by / limit / offset / cursor over one
//! snapshot, planned with DataFusion's DataFrame API from the parsed expressions.

use allmende_core::i18n::Msg;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Int64Type, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::{Expr, SortExpr, lit};
use datafusion::physical_plan::SendableRecordBatchStream;

use super::expr::{self, Item};
use super::translate::{Scope, column, is_aggregate, to_expr};
use super::{Engine, QueryError, TableRef};
use crate::column::ColumnType;
use crate::snapshot::ROW_ID;

#[derive(Debug, Clone, Default)]
pub struct RecordsQuery {
    pub select: Option<String>,
    pub filter: Option<String>,
    pub q: Option<String>,
    pub group_by: Option<String>,
    pub order_by: Option<String>,
    /// `None`: every row (exports).
    pub limit: Option<usize>,
    pub offset: usize,
    /// From a previous page's `next`.
    pub cursor: Option<String>,
    pub total: bool,
    /// Largest page this caller may ask for, instead of the engine's `max_rows` (the CKAN
    /// DataStore API allows 32,000).
    pub limit_cap: Option<usize>,
    /// Rows whose geometry intersects `[min lon, min lat, max lon, max lat]` (WGS 84).
    pub bbox: Option<[f64; 4]>,
    /// Keep the row id (`_id`) as the first output column (the OGC API's feature ids).
    pub with_row_id: bool,
    /// A CQL2 filter (OGC API – Features Part 3), besides `filter`.
    pub cql2: Option<super::cql2::Filter>,
}

pub struct RecordsPage {
    pub total: Option<u64>,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub next: Option<String>,
    /// The SQL API stopped at its row limit.
    pub truncated: bool,
}

struct Plan {
    df: DataFrame,
    /// The frame whose row count is the total (before ordering and paging).
    count: Option<DataFrame>,
    /// Known total without counting (no filter, no grouping).
    known_total: Option<u64>,
    /// The first output column is the row id, kept for the next cursor and then dropped.
    keyset: bool,
    /// Where the page starts among all matching rows (for the next cursor and the end).
    offset: usize,
    /// Rows the frame still has to skip to get there.
    skip: usize,
}

fn parse_list(s: &Option<String>, ordered: bool, what: &str) -> Result<Vec<Item>, QueryError> {
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(Vec::new()),
        Some(text) => expr::parse_list(text, ordered).map_err(|e| {
            QueryError::Invalid(
                Msg::new("query.parameter")
                    .arg("name", what)
                    .msg("reason", e.0),
            )
        }),
    }
}

fn df_err(e: datafusion::error::DataFusionError, engine: &Engine) -> QueryError {
    QueryError::from_df(e, &engine.limits)
}

/// `q`: every word must occur (case-insensitively) in some text column.
fn text_search(q: &str, t: &TableRef) -> Option<Expr> {
    let texts: Vec<&str> = t
        .columns
        .iter()
        .filter(|c| c.kind == ColumnType::Text)
        .map(|c| c.name.as_str())
        .collect();
    let words: Vec<&str> = q.split_whitespace().take(10).collect();
    if words.is_empty() {
        return None;
    }
    if texts.is_empty() {
        return Some(lit(false));
    }
    words
        .into_iter()
        .map(|w| {
            let escaped = w
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            let pattern = format!("%{escaped}%");
            texts
                .iter()
                .map(|c| column(c).ilike(lit(pattern.clone())))
                .reduce(Expr::or)
                .unwrap_or(lit(false))
        })
        .reduce(Expr::and)
}

fn output_name(item: &Item, plain: Option<&str>) -> String {
    item.alias
        .clone()
        .or_else(|| plain.map(str::to_string))
        .unwrap_or_else(|| item.text.clone())
}

impl Engine {
    /// `warm`: whether this query may start loading the table into memory (interactive
    /// queries do; exports, which read everything once, do not).
    async fn plan(&self, t: &TableRef, q: &RecordsQuery, warm: bool) -> Result<Plan, QueryError> {
        let ctx = self.session()?;
        let mut df = ctx
            .read_table(self.provider(t, warm)?)
            .map_err(|e| df_err(e, self))?;
        let scope = Scope {
            columns: &t.columns,
            outputs: &[],
        };
        let mut filtered = false;
        if let Some(w) = q.filter.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            let ast = expr::parse(w).map_err(|e| {
                QueryError::Invalid(
                    Msg::new("query.parameter")
                        .arg("name", "where")
                        .msg("reason", e.0),
                )
            })?;
            if is_aggregate(&ast) {
                return Err(QueryError::Invalid(
                    Msg::new("query.parameter")
                        .arg("name", "where")
                        .msg("reason", Msg::new("query.no_aggregate_here")),
                ));
            }
            df = df
                .filter(to_expr(&ast, &scope)?)
                .map_err(|e| df_err(e, self))?;
            filtered = true;
        }
        if let Some(c) = &q.cql2 {
            df = df
                .filter(c.to_expr(&t.columns)?)
                .map_err(|e| df_err(e, self))?;
            filtered = true;
        }
        if let Some(e) = q.q.as_deref().and_then(|q| text_search(q, t)) {
            df = df.filter(e).map_err(|e| df_err(e, self))?;
            filtered = true;
        }
        if let Some(b) = q.bbox {
            let geometry = t.spatial()?;
            df = df
                .filter(crate::geo::udf::intersects_box(column(&geometry.name), b))
                .map_err(|e| df_err(e, self))?;
            filtered = true;
        }
        let select = parse_list(&q.select, false, "select")?;
        let group = parse_list(&q.group_by, false, "group_by")?;
        let order = parse_list(&q.order_by, true, "order_by")?;
        let grouped = !group.is_empty() || select.iter().any(|i| is_aggregate(&i.expr));
        let (cursor_key, cursor_offset) = match q.cursor.as_deref() {
            None | Some("") => (None, None),
            Some(c) => match c.split_once(':') {
                Some(("k", n)) => (Some(n.parse::<i64>().map_err(|_| bad_cursor())?), None),
                Some(("o", n)) => (None, Some(n.parse::<usize>().map_err(|_| bad_cursor())?)),
                _ => return Err(bad_cursor()),
            },
        };
        let offset = cursor_offset.unwrap_or(q.offset);

        if grouped {
            let mut group_exprs = Vec::new();
            let mut names = Vec::new();
            for g in &group {
                if is_aggregate(&g.expr) {
                    return Err(QueryError::Invalid(
                        Msg::new("query.parameter")
                            .arg("name", "group_by")
                            .msg("reason", Msg::new("query.no_aggregate_here")),
                    ));
                }
                let plain = match &g.expr {
                    expr::Ast::Column(c) => Some(scope.resolve(c)?),
                    _ => None,
                };
                let name = output_name(g, plain.as_deref());
                let e = to_expr(&g.expr, &scope)?;
                group_exprs.push(if plain.as_deref() == Some(name.as_str()) {
                    e
                } else {
                    e.alias(&name)
                });
                names.push(name);
            }
            let mut aggs = Vec::new();
            let mut projection = Vec::new();
            // Select aliases of group columns: (output name, group output name).
            let mut renames: Vec<(String, String)> = Vec::new();
            let items: Vec<Item> = if select.is_empty() {
                let mut all: Vec<Item> = group.clone();
                all.push(Item {
                    expr: expr::Ast::Call("count".into(), vec![expr::Ast::Star], false),
                    alias: Some("count".into()),
                    descending: false,
                    text: "count(*)".into(),
                });
                all
            } else {
                select.clone()
            };
            for item in &items {
                if is_aggregate(&item.expr) {
                    let name = output_name(item, None);
                    aggs.push(to_expr(&item.expr, &scope)?.alias(&name));
                    projection.push(name);
                } else {
                    let plain = match &item.expr {
                        expr::Ast::Column(c) => Some(scope.resolve(c)?),
                        _ => None,
                    };
                    let key = plain.clone().unwrap_or_else(|| item.text.clone());
                    let Some(pos) = group
                        .iter()
                        .zip(&names)
                        .position(|(g, n)| g.text == item.text || *n == key)
                    else {
                        return Err(QueryError::Invalid(
                            Msg::new("query.select_not_grouped").arg("item", &item.text),
                        ));
                    };
                    let out = item.alias.clone().unwrap_or_else(|| names[pos].clone());
                    renames.push((out.clone(), names[pos].clone()));
                    projection.push(out);
                }
            }
            df = df
                .aggregate(group_exprs, aggs)
                .map_err(|e| df_err(e, self))?;
            let count = Some(df.clone());
            let outputs: Vec<String> = names.iter().chain(projection.iter()).cloned().collect();
            let out_scope = Scope {
                columns: &[],
                outputs: &outputs,
            };
            let mut sorts = Vec::new();
            for o in &order {
                let e = if let Some((_, source)) = renames.iter().find(|(out, _)| *out == o.text) {
                    column(source)
                } else if outputs.contains(&o.text) {
                    column(&o.text)
                } else {
                    to_expr(&o.expr, &out_scope)?
                };
                sorts.push(e.sort(!o.descending, o.descending));
            }
            let mut seen = std::collections::HashSet::new();
            let proj: Vec<Expr> = projection
                .iter()
                .filter(|p| seen.insert(p.to_string()))
                .map(|p| {
                    match renames
                        .iter()
                        .find(|(out, source)| out == p && out != source)
                    {
                        Some((out, source)) => column(source).alias(out),
                        None => column(p),
                    }
                })
                .collect();
            if !sorts.is_empty() {
                df = df.sort(sorts).map_err(|e| df_err(e, self))?;
            }
            df = df.select(proj).map_err(|e| df_err(e, self))?;
            return Ok(Plan {
                df,
                count,
                known_total: None,
                keyset: false,
                offset,
                skip: offset,
            });
        }

        // Row queries.
        let mut projection: Vec<Expr> = Vec::new();
        let mut aliases: Vec<(String, Expr)> = Vec::new();
        if select.is_empty() {
            projection.extend(t.columns.iter().map(|c| column(&c.name)));
        } else {
            for item in &select {
                if item.expr == expr::Ast::Star {
                    projection.extend(t.columns.iter().map(|c| column(&c.name)));
                    continue;
                }
                let e = to_expr(&item.expr, &scope)?;
                let plain = match &item.expr {
                    expr::Ast::Column(c) => Some(scope.resolve(c)?),
                    _ => None,
                };
                let name = output_name(item, plain.as_deref());
                aliases.push((name.clone(), e.clone()));
                projection.push(if plain.as_deref() == Some(name.as_str()) {
                    e
                } else {
                    e.alias(name)
                });
            }
        }
        let count = filtered.then(|| df.clone());
        let known_total = (!filtered).then_some(t.rows);
        let keyset = order.is_empty() && cursor_offset.is_none() && q.limit.is_some();
        let mut sorts: Vec<SortExpr> = Vec::new();
        for o in &order {
            let e = match aliases.iter().find(|(n, _)| *n == o.text) {
                Some((_, e)) => e.clone(),
                None => to_expr(&o.expr, &scope)?,
            };
            sorts.push(e.sort(!o.descending, o.descending));
        }
        // A stable order: ties and unordered queries follow the file.
        sorts.push(column(ROW_ID).sort(true, false));
        if let Some(k) = cursor_key {
            df = df
                .filter(column(ROW_ID).gt(lit(k)))
                .map_err(|e| df_err(e, self))?;
        }
        let offset = if cursor_key.is_some() { 0 } else { offset };
        // Unfiltered, in file order: the snapshot numbers its rows 1..n, so the page at
        // `offset` starts after row id `offset`, a range the scan prunes by statistics, where
        // skipping would merge every row before it (deep pages of a large layer). An offset
        // beyond any row id is past the end.
        let by_row_id = !filtered && order.is_empty();
        if by_row_id && offset > 0 {
            let after = i64::try_from(offset).unwrap_or(i64::MAX);
            df = df
                .filter(column(ROW_ID).gt(lit(after)))
                .map_err(|e| df_err(e, self))?;
        }
        let skip = if by_row_id { 0 } else { offset };
        df = df.sort(sorts).map_err(|e| df_err(e, self))?;
        if keyset || q.with_row_id {
            projection.insert(0, column(ROW_ID));
        }
        df = df.select(projection).map_err(|e| df_err(e, self))?;
        Ok(Plan {
            df,
            count,
            known_total,
            keyset,
            offset,
            skip,
        })
    }

    /// One page of records (limit capped by the engine's `max_rows`). No deadline of its own:
    /// the portal runs it through [`super::Queries`].
    pub async fn records(&self, t: &TableRef, q: &RecordsQuery) -> Result<RecordsPage, QueryError> {
        let limit = q
            .limit
            .unwrap_or(100)
            .min(q.limit_cap.unwrap_or(self.limits.max_rows));
        let plan = self
            .plan(
                t,
                &RecordsQuery {
                    limit: Some(limit),
                    ..q.clone()
                },
                true,
            )
            .await?;
        let empty_schema = page_schema(&plan.df);
        let page = plan
            .df
            .limit(plan.skip, Some(limit))
            .map_err(|e| df_err(e, self))?;
        // A filtered count on a snapshot stays what it was: counted once per version.
        let count_key = (q.total && plan.known_total.is_none()).then(|| count_key(&t.key, q));
        let counted = count_key.as_deref().and_then(|k| self.counts.get(k));
        let total = async {
            match (q.total, plan.known_total, counted, plan.count) {
                (false, ..) => Ok(None),
                (true, Some(n), _, _) | (true, None, Some(n), _) => Ok(Some(n)),
                (true, None, None, Some(df)) => df
                    .count()
                    .await
                    .map(|n| Some(n as u64))
                    .map_err(|e| df_err(e, self)),
                (true, None, None, None) => Ok(None),
            }
        };
        let (batches, total) = tokio::join!(page.collect(), total);
        let mut batches = batches.map_err(|e| df_err(e, self))?;
        let total = total?;
        if let (Some(k), Some(n), None) = (count_key, total, counted) {
            self.counts.put(k, n);
        }
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let mut next = None;
        // The row id leads when paging by key or when asked for; it stays only when asked for.
        let drop_id = plan.keyset && !q.with_row_id;
        if plan.keyset {
            let last = batches.iter().rev().find(|b| b.num_rows() > 0).map(|b| {
                let ids = b.column(0).as_primitive::<Int64Type>();
                ids.value(ids.len() - 1)
            });
            if rows == limit
                && let Some(last) = last
            {
                next = Some(format!("k:{last}"));
            }
        } else if rows == limit && limit > 0 {
            next = Some(format!("o:{}", plan.offset + limit));
        }
        if drop_id {
            batches = batches
                .into_iter()
                .map(|b| b.project(&(1..b.num_columns()).collect::<Vec<_>>()))
                .collect::<Result<_, _>>()
                .map_err(|e| QueryError::Internal(e.to_string()))?;
        }
        if total.is_some_and(|t| t <= (plan.offset + rows) as u64) {
            next = None;
        }
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => {
                let s = empty_schema;
                if drop_id {
                    std::sync::Arc::new(
                        s.project(&(1..s.fields().len()).collect::<Vec<_>>())
                            .map_err(|e| QueryError::Internal(e.to_string()))?,
                    )
                } else {
                    std::sync::Arc::new(s)
                }
            }
        };
        Ok(RecordsPage {
            total,
            schema,
            batches,
            next,
            truncated: false,
        })
    }

    /// Every matching row as a stream (exports); an explicit `limit` still applies.
    pub async fn records_stream(
        &self,
        t: &TableRef,
        q: &RecordsQuery,
    ) -> Result<SendableRecordBatchStream, QueryError> {
        let plan = self
            .plan(
                t,
                &RecordsQuery {
                    cursor: None,
                    ..q.clone()
                },
                false,
            )
            .await?;
        let df = match q.limit {
            Some(l) => plan.df.limit(plan.skip, Some(l)),
            None if plan.skip > 0 => plan.df.limit(plan.skip, None),
            None => Ok(plan.df),
        }
        .map_err(|e| df_err(e, self))?;
        df.execute_stream().await.map_err(|e| df_err(e, self))
    }
}

fn page_schema(df: &DataFrame) -> datafusion::arrow::datatypes::Schema {
    df.schema().as_arrow().clone()
}

fn bad_cursor() -> QueryError {
    QueryError::Invalid(Msg::new("query.bad_cursor"))
}

/// What identifies a count: the snapshot and everything that selects or groups rows (not the
/// order, the page or the cursor).
fn count_key(table_key: &str, q: &RecordsQuery) -> String {
    let bbox = q.bbox.map(|b| b.map(f64::to_bits));
    format!(
        "{table_key}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{:?}\u{1}{bbox:?}\u{1}{:?}",
        q.select, q.filter, q.q, q.group_by, q.cql2
    )
}

#[cfg(test)]
mod count_key_tests {
    use super::*;

    #[test]
    fn keys_ignore_paging_and_order() {
        let q = RecordsQuery {
            filter: Some("a > 1".into()),
            ..Default::default()
        };
        let paged = RecordsQuery {
            offset: 200,
            order_by: Some("a desc".into()),
            ..q.clone()
        };
        assert_eq!(count_key("v1", &q), count_key("v1", &paged));
        assert_ne!(count_key("v1", &q), count_key("v2", &q));
        let boxed = RecordsQuery {
            bbox: Some([1.0, 2.0, 3.0, 4.0]),
            ..q.clone()
        };
        assert_ne!(count_key("v1", &q), count_key("v1", &boxed));
    }
}
