//! Allmende's search: an embedded tantivy index derived entirely from the catalog. It follows
//! the catalog's change log, so it heals itself after a crash, and is rebuilt from scratch
//! when missing, unreadable or of an older schema.

pub mod analyzer;
mod error;
mod index;
mod query;
mod schema;
mod search;
pub mod synonyms;

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use allmende_catalog::{Catalog, DatasetFilter, DatasetSort};
use allmende_core::authz::ReadScope;
use tokio::sync::Notify;

pub use error::SearchError;
pub use search::{FACETS, FacetValue, Hit, SearchRequest, SearchResult, Sort, SortKey};
pub use synonyms::Synonyms;

use index::Generation;

/// The search service of one node: the live index generation, and the follower that keeps it
/// in step with the catalog.
#[derive(Clone)]
pub struct SearchService {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    catalog: Catalog,
    live: RwLock<Arc<Generation>>,
    synonyms: Arc<Synonyms>,
    wake: Notify,
    applied: std::sync::atomic::AtomicI64,
    /// One catch-up at a time, so positions only move forward.
    sync: tokio::sync::Mutex<()>,
    /// Results per (index generation, change-log position, request): repeated searches — the
    /// landing page, popular queries, facet clicks back and forth — cost a lookup. Any index
    /// change moves the position, so a stale entry can never be hit.
    cache: std::sync::Mutex<std::collections::HashMap<String, SearchResult>>,
    /// The same for the dataset pages' related datasets, keyed alike (dataset, scope, count).
    related: std::sync::Mutex<std::collections::HashMap<String, Vec<allmende_core::Dataset>>>,
    cache_entries: usize,
}

const PAGE: i64 = 500;

/// Writes every visible-or-not, non-deleted dataset into a new generation and makes it live.
fn rebuild_blocking(
    catalog: &Catalog,
    data_dir: &Path,
    rt: &tokio::runtime::Handle,
) -> Result<Generation, SearchError> {
    std::fs::create_dir_all(index::search_dir(data_dir))?;
    let name = index::next_name(data_dir);
    let generation = Generation::create(data_dir, &name)?;
    // Read the change-log position first: anything later is applied by the follower.
    let seq = rt.block_on(catalog.last_change_seq())?;
    {
        let mut writer = generation.writer();
        let mut after = None;
        loop {
            let batch = rt.block_on(catalog.datasets_after(after, PAGE))?;
            for ds in &batch {
                writer.add_document(index::document(&generation.fields, ds))?;
            }
            match batch.last() {
                Some(last) if batch.len() as i64 == PAGE => after = Some(last.id),
                _ => break,
            }
        }
        generation.commit(&mut writer, seq)?;
    }
    index::set_current(data_dir, &name)?;
    index::remove_stale(data_dir, &name);
    Ok(generation)
}

impl SearchService {
    /// Opens the live generation, rebuilding it first when needed, and catches up with the
    /// change log. Call from async code; the work runs on the blocking pool. `cache_entries`
    /// bounds the result cache (0 turns it off).
    pub async fn open(
        catalog: Catalog,
        data_dir: &Path,
        synonyms: Synonyms,
        cache_entries: usize,
    ) -> Result<Self, SearchError> {
        let data_dir = data_dir.to_path_buf();
        let (c, d) = (catalog.clone(), data_dir.clone());
        let rt = tokio::runtime::Handle::current();
        let generation = tokio::task::spawn_blocking(move || -> Result<Generation, SearchError> {
            let existing = match index::current_name(&d) {
                Some(name) => Generation::open(&d, &name)?,
                None => None,
            };
            match existing {
                Some(g) => Ok(g),
                None => {
                    tracing::info!("building the search index from the catalog");
                    rebuild_blocking(&c, &d, &rt)
                }
            }
        })
        .await
        .map_err(|_| SearchError::Worker)??;
        let applied = generation.applied_seq();
        let service = Self {
            inner: Arc::new(Inner {
                data_dir,
                catalog,
                live: RwLock::new(Arc::new(generation)),
                synonyms: Arc::new(synonyms),
                wake: Notify::new(),
                applied: std::sync::atomic::AtomicI64::new(applied),
                sync: tokio::sync::Mutex::new(()),
                cache: std::sync::Mutex::new(std::collections::HashMap::new()),
                related: std::sync::Mutex::new(std::collections::HashMap::new()),
                cache_entries,
            }),
        };
        service.catch_up().await?;
        Ok(service)
    }

    /// Builds a new generation from the catalog and makes it live for every process using
    /// this data directory (the running server switches to it by itself).
    pub async fn rebuild(catalog: &Catalog, data_dir: &Path) -> Result<u64, SearchError> {
        let (c, d) = (catalog.clone(), data_dir.to_path_buf());
        let rt = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let g = rebuild_blocking(&c, &d, &rt)?;
            Ok(g.reader.searcher().num_docs())
        })
        .await
        .map_err(|_| SearchError::Worker)?
    }

    fn live(&self) -> Arc<Generation> {
        match self.inner.live.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Tells the follower that the catalog changed (it also polls).
    pub fn notify(&self) {
        self.inner.wake.notify_one();
    }

    /// The change-log position the live index reflects.
    pub fn applied_seq(&self) -> i64 {
        self.inner.applied.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Applies every change-log entry after the live generation's position.
    pub async fn catch_up(&self) -> Result<usize, SearchError> {
        let _one = self.inner.sync.lock().await;
        self.switch_if_rebuilt()?;
        let generation = self.live();
        let mut seq = generation.applied_seq();
        let mut applied = 0;
        loop {
            let changes = self.inner.catalog.changes_since(seq, 1000).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                break;
            };
            let mut ids: Vec<uuid::Uuid> = Vec::new();
            for c in &changes {
                match c.entity.as_str() {
                    "dataset" => ids.push(c.entity_id),
                    "organization" => {
                        // The organization's name is part of its datasets' documents.
                        let filter = DatasetFilter {
                            organization: self
                                .inner
                                .catalog
                                .organization(&c.entity_id.to_string(), &ReadScope::All)
                                .await?
                                .map(|o| o.slug),
                            ..DatasetFilter::new(ReadScope::All)
                        };
                        if filter.organization.is_some() {
                            let mut page = 1;
                            loop {
                                let batch = self
                                    .inner
                                    .catalog
                                    .datasets(&filter, DatasetSort::Created, page, PAGE)
                                    .await?;
                                ids.extend(batch.items.iter().map(|d| d.id));
                                if page * PAGE >= batch.total || batch.items.is_empty() {
                                    break;
                                }
                                page += 1;
                            }
                        }
                    }
                    _ => {}
                }
            }
            ids.sort();
            ids.dedup();
            let mut docs = Vec::with_capacity(ids.len());
            for id in &ids {
                docs.push((*id, self.inner.catalog.dataset(&id.to_string()).await?));
            }
            let g = generation.clone();
            tokio::task::spawn_blocking(move || -> Result<(), SearchError> {
                let mut writer = g.writer();
                for (id, ds) in &docs {
                    match ds {
                        Some(ds) if !ds.deleted => g.upsert(&writer, ds)?,
                        _ => g.delete(&writer, &id.to_string()),
                    }
                }
                g.commit(&mut writer, last)
            })
            .await
            .map_err(|_| SearchError::Worker)??;
            applied += changes.len();
            seq = last;
            self.inner
                .applied
                .store(seq, std::sync::atomic::Ordering::SeqCst);
        }
        Ok(applied)
    }

    /// Switches to a generation another process (`allmende reindex`) made live.
    fn switch_if_rebuilt(&self) -> Result<(), SearchError> {
        let Some(name) = index::current_name(&self.inner.data_dir) else {
            return Ok(());
        };
        if name == self.live().name {
            return Ok(());
        }
        if let Some(g) = Generation::open(&self.inner.data_dir, &name)? {
            tracing::info!(generation = %name, "switching to the rebuilt search index");
            self.inner
                .applied
                .store(g.applied_seq(), std::sync::atomic::Ordering::SeqCst);
            match self.inner.live.write() {
                Ok(mut live) => *live = Arc::new(g),
                Err(p) => *p.into_inner() = Arc::new(g),
            }
        }
        Ok(())
    }

    /// Follows the change log until the process ends: woken by `notify`, polling otherwise.
    pub fn spawn_follower(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let _ =
                    tokio::time::timeout(Duration::from_millis(250), this.inner.wake.notified())
                        .await;
                if let Err(e) = this.catch_up().await {
                    tracing::warn!(error = %e, "search index could not follow the catalog; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        })
    }

    /// The answer to `req` if it is in the result cache (valid for the current position), so
    /// that a caller can skip queueing for a search slot.
    pub fn cached(&self, req: &SearchRequest) -> Option<SearchResult> {
        if self.inner.cache_entries == 0 {
            return None;
        }
        let key = format!("{}|{}|{req:?}", self.live().name, self.applied_seq());
        self.cache().get(&key).cloned()
    }

    pub async fn search(&self, req: SearchRequest) -> Result<SearchResult, SearchError> {
        let g = self.live();
        let key = format!("{}|{}|{req:?}", g.name, self.applied_seq());
        if self.inner.cache_entries > 0
            && let Some(hit) = self.cache().get(&key)
        {
            return Ok(hit.clone());
        }
        let synonyms = self.inner.synonyms.clone();
        let result = tokio::task::spawn_blocking(move || search::run(&g, &synonyms, &req))
            .await
            .map_err(|_| SearchError::Worker)??;
        if self.inner.cache_entries > 0 {
            let mut cache = self.cache();
            if cache.len() >= self.inner.cache_entries {
                // Simple and bounded: start over when full (entries of old positions go too).
                cache.clear();
            }
            cache.insert(key, result.clone());
        }
        Ok(result)
    }

    fn related_key(
        &self,
        ds: &allmende_core::Dataset,
        scope: &allmende_core::authz::ReadScope,
        n: usize,
    ) -> String {
        format!(
            "{}|{}|{}|{scope:?}|{n}",
            self.live().name,
            self.applied_seq(),
            ds.id
        )
    }

    /// The related datasets of `ds` if they are in the cache (valid for the current
    /// position), so that a dataset page can skip queueing for a search slot.
    pub fn cached_related(
        &self,
        ds: &allmende_core::Dataset,
        scope: &allmende_core::authz::ReadScope,
        n: usize,
    ) -> Option<Vec<allmende_core::Dataset>> {
        if self.inner.cache_entries == 0 {
            return None;
        }
        lock(&self.inner.related)
            .get(&self.related_key(ds, scope, n))
            .cloned()
    }

    /// Up to `n` datasets like `ds` that `scope` may see (the dataset page's "related").
    pub async fn related(
        &self,
        ds: &allmende_core::Dataset,
        scope: allmende_core::authz::ReadScope,
        n: usize,
    ) -> Result<Vec<allmende_core::Dataset>, SearchError> {
        let key = self.related_key(ds, &scope, n);
        if self.inner.cache_entries > 0
            && let Some(hit) = lock(&self.inner.related).get(&key)
        {
            return Ok(hit.clone());
        }
        let g = self.live();
        let ds = ds.clone();
        let found = tokio::task::spawn_blocking(move || search::related(&g, &ds, &Some(scope), n))
            .await
            .map_err(|_| SearchError::Worker)??;
        if self.inner.cache_entries > 0 {
            let mut cache = lock(&self.inner.related);
            if cache.len() >= self.inner.cache_entries {
                cache.clear();
            }
            cache.insert(key, found.clone());
        }
        Ok(found)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, SearchResult>> {
        lock(&self.inner.cache)
    }

    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }
}

/// A cache's lock; a panic elsewhere while holding it leaves a map that is still usable.
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
