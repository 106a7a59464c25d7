//! The query engine as the portal uses it: every query runs on the heavy-work pool, admitted
//! by a [`Permit`], under one deadline (`QueryLimits::timeout` for answers, and for exports
//! `export_timeout` in all with rows due at least every `timeout`), and is cancelled when its
//! caller goes away.

use std::sync::{Arc, Mutex};

use allmende_work::{Permit, Pool, Stopped};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use futures_util::StreamExt;
use tokio::sync::oneshot;

use super::{Engine, QueryError, QueryLimits, RecordsPage, RecordsQuery, TableLookup, TableRef};
use crate::export::{self, ExportBody, ExportFormat, ExportOptions};

/// What an export reads.
pub enum ExportSource {
    /// Rows of one table (filters, sort and limit of the records API apply).
    Records(TableRef, Box<RecordsQuery>),
    /// The result of a read-only SQL query over the public tables.
    Sql(Arc<dyn TableLookup>, String),
}

/// Whether an export started, told once.
type Ready = Arc<Mutex<Option<oneshot::Sender<Result<(), QueryError>>>>>;

#[derive(Clone)]
pub struct Queries {
    engine: Arc<Engine>,
    pool: Pool,
}

impl Queries {
    pub fn new(limits: QueryLimits, pool: Pool) -> Self {
        Self {
            engine: Arc::new(Engine::new(limits)),
            pool,
        }
    }

    pub fn limits(&self) -> &QueryLimits {
        self.engine.limits()
    }

    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// One page of records.
    pub async fn records(
        &self,
        permit: Permit,
        t: &TableRef,
        q: &RecordsQuery,
    ) -> Result<RecordsPage, QueryError> {
        let engine = self.engine.clone();
        let (t, q) = (t.clone(), q.clone());
        self.pool
            .run(permit, self.limits().timeout, async move {
                engine.records(&t, &q).await
            })
            .await?
    }

    /// The features intersecting `bbox` counted in a grid (a map's clusters).
    pub async fn grid(
        &self,
        permit: Permit,
        t: &TableRef,
        bbox: [f64; 4],
        columns: u32,
        rows: u32,
    ) -> Result<Vec<super::Cell>, QueryError> {
        let engine = self.engine.clone();
        let t = t.clone();
        self.pool
            .run(permit, self.limits().timeout, async move {
                engine.grid(&t, bbox, columns, rows).await
            })
            .await?
    }

    /// A spatial table's features drawn on a PNG showing `bbox`.
    pub async fn overview(
        &self,
        permit: Permit,
        t: &TableRef,
        bbox: [f64; 4],
        width: u32,
        height: u32,
    ) -> Result<Arc<Vec<u8>>, QueryError> {
        let engine = self.engine.clone();
        let t = t.clone();
        self.pool
            .run(permit, self.limits().timeout, async move {
                engine.overview(&t, bbox, width, height).await
            })
            .await?
    }

    /// A read-only SQL query as a JSON answer (at most `max_rows` rows).
    pub async fn sql(
        &self,
        permit: Permit,
        lookup: Arc<dyn TableLookup>,
        sql: &str,
    ) -> Result<RecordsPage, QueryError> {
        let engine = self.engine.clone();
        let sql = sql.to_string();
        self.pool
            .run(permit, self.limits().timeout, async move {
                engine.sql(lookup, &sql).await
            })
            .await?
    }

    /// Starts an export and answers once its first rows are there (so that a wrong query is
    /// still a proper error, not a cut-off file); the body streams the rest.
    pub async fn export(
        &self,
        permit: Permit,
        source: ExportSource,
        format: ExportFormat,
        crs: Option<crate::geo::Crs>,
    ) -> Result<ExportBody, QueryError> {
        let engine = self.engine.clone();
        let limits = *self.limits();
        let options = ExportOptions {
            guard_formulas: limits.guard_formulas,
            idle: limits.timeout,
            crs,
        };
        let (sink, body) = export::channel();
        let (ready_tx, ready_rx) = oneshot::channel::<Result<(), QueryError>>();
        // Whoever learns first whether the export started tells the caller: the work itself,
        // or the pool when it stopped the work.
        let ready = Arc::new(Mutex::new(Some(ready_tx)));
        let tell = |ready: &Ready, r: Result<(), QueryError>| {
            let tx = match ready.lock() {
                Ok(mut g) => g.take(),
                Err(p) => p.into_inner().take(),
            };
            match tx {
                Some(tx) => tx.send(r).is_ok(),
                None => true,
            }
        };
        let ready_work = ready.clone();
        let stop_sink = sink.clone();
        self.pool.spawn(
            permit,
            limits.export_timeout,
            async move {
                let start = tokio::time::timeout(limits.timeout, async {
                    let mut stream = match source {
                        ExportSource::Records(t, q) => engine.records_stream(&t, &q).await?,
                        ExportSource::Sql(lookup, sql) => engine.sql_stream(lookup, &sql).await?,
                    };
                    let first = stream
                        .next()
                        .await
                        .transpose()
                        .map_err(|e| QueryError::from_df(e, &limits))?;
                    Ok::<_, QueryError>((stream, first))
                });
                // Until the first rows are there nobody reads the body, but a caller that hung
                // up has dropped it: stop then.
                let started = tokio::select! {
                    biased;
                    _ = sink.closed() => return,
                    s = start => s.unwrap_or(Err(QueryError::Timeout(limits.timeout.as_secs().max(1)))),
                };
                let (stream, first) = match started {
                    Ok(s) => s,
                    Err(e) => {
                        tell(&ready_work, Err(e));
                        return;
                    }
                };
                if !tell(&ready_work, Ok(())) {
                    return; // the caller is gone
                }
                let schema = stream.schema();
                let rest = futures_util::stream::iter(first.map(Ok)).chain(stream);
                let stream = Box::pin(RecordBatchStreamAdapter::new(schema, rest));
                export::write(stream, format, options, sink).await;
            },
            move |why: Stopped| {
                let e = QueryError::from(why);
                stop_sink.fail(&e.to_string());
                tell(&ready, Err(e));
            },
        );
        match ready_rx.await {
            Ok(Ok(())) => Ok(body),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(QueryError::Unavailable),
        }
    }

    /// Runs other heavy work (e.g. building a data package from several exports) on the pool
    /// under the export deadline.
    pub async fn run<F, T>(&self, permit: Permit, work: F) -> Result<T, QueryError>
    where
        F: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        Ok(self
            .pool
            .run(permit, self.limits().export_timeout, work)
            .await?)
    }
}
