//! Admission: slots per lane, a bounded queue in front of them, and a share per client.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::limits::{PoolConfig, Refused};

/// Kinds of heavy work; each has slots of its own, so a flood of one kind does not stop the
/// others (a search still runs while exports queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Records pages, SQL as JSON, CKAN DataStore, previews and charts.
    Query,
    /// Streamed files: table exports, SQL results as files, data packages.
    Export,
    /// Full-text search.
    Search,
}

impl Lane {
    const ALL: [Lane; 3] = [Lane::Query, Lane::Export, Lane::Search];

    fn index(self) -> usize {
        match self {
            Lane::Query => 0,
            Lane::Export => 1,
            Lane::Search => 2,
        }
    }
}

struct Gate {
    slots: Arc<Semaphore>,
    capacity: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    refused: AtomicU64,
}

pub(crate) struct Gates {
    lanes: [Gate; 3],
    clients: Arc<Mutex<HashMap<String, ClientEntry>>>,
    per_client: usize,
    queue_wait: Duration,
}

/// A client's own gate: `per_client` of its requests run (or wait for a lane slot), a few
/// more wait behind them, the rest get 429.
struct ClientEntry {
    slots: Arc<Semaphore>,
    users: usize,
}

/// Counters for monitoring and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Per lane (query, export, search): running, waiting, refused so far.
    pub running: [usize; 3],
    pub waiting: [usize; 3],
    pub refused: [u64; 3],
}

/// A slot: held while the work runs, returned when dropped.
pub struct Permit {
    _slot: OwnedSemaphorePermit,
    _client: Option<OwnedSemaphorePermit>,
    _share: ClientShare,
    pub lane: Lane,
}

impl std::fmt::Debug for Permit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permit").field("lane", &self.lane).finish()
    }
}

/// A client's registration; given back on drop (also while still waiting).
struct ClientShare {
    key: Option<String>,
    clients: Arc<Mutex<HashMap<String, ClientEntry>>>,
}

impl Drop for ClientShare {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut m = match self.clients.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(e) = m.get_mut(&key) {
            e.users -= 1;
            if e.users == 0 {
                m.remove(&key);
            }
        }
    }
}

/// Decrements a lane's waiting count however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gates {
    pub(crate) fn new(c: &PoolConfig) -> Self {
        let gate = |slots: usize| Gate {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            capacity: slots.max(1),
            waiting: AtomicUsize::new(0),
            max_waiting: c.queue,
            refused: AtomicU64::new(0),
        };
        Self {
            lanes: [
                gate(c.query_slots),
                gate(c.export_slots),
                gate(c.search_slots),
            ],
            clients: Arc::default(),
            per_client: c.per_client.max(1),
            queue_wait: c.queue_wait,
        }
    }

    /// Registers `client` (nobody in particular when empty, and searches are not shared
    /// out: they are short) and returns its own gate.
    fn share(
        &self,
        lane: Lane,
        client: &str,
    ) -> Result<(ClientShare, Option<Arc<Semaphore>>), Refused> {
        let anonymous = ClientShare {
            key: None,
            clients: self.clients.clone(),
        };
        if client.is_empty() || lane == Lane::Search {
            return Ok((anonymous, None));
        }
        let mut m = match self.clients.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let e = m.entry(client.to_string()).or_insert_with(|| ClientEntry {
            slots: Arc::new(Semaphore::new(self.per_client)),
            users: 0,
        });
        if e.users >= self.per_client * 4 {
            return Err(Refused::ClientLimit {
                limit: self.per_client,
                retry_after: Duration::from_secs(1),
            });
        }
        e.users += 1;
        Ok((
            ClientShare {
                key: Some(client.to_string()),
                clients: self.clients.clone(),
            },
            Some(e.slots.clone()),
        ))
    }

    pub(crate) async fn admit(&self, lane: Lane, client: &str) -> Result<Permit, Refused> {
        let gate = &self.lanes[lane.index()];
        let refuse = |r: Refused| {
            gate.refused.fetch_add(1, Ordering::Relaxed);
            r
        };
        let (share, own) = self.share(lane, client).map_err(refuse)?;
        let started = tokio::time::Instant::now();
        // The client's own share first: its extra requests wait behind each other, not in
        // everyone's queue.
        let own = match own {
            None => None,
            Some(sem) => match sem.clone().try_acquire_owned() {
                Ok(p) => Some(p),
                Err(_) => match tokio::time::timeout(self.queue_wait, sem.acquire_owned()).await {
                    Ok(Ok(p)) => Some(p),
                    Ok(Err(_)) => return Err(Refused::ShuttingDown),
                    Err(_) => {
                        return Err(refuse(Refused::ClientLimit {
                            limit: self.per_client,
                            retry_after: Duration::from_secs(1),
                        }));
                    }
                },
            },
        };
        let permit = |slot| Permit {
            _slot: slot,
            _client: own,
            _share: share,
            lane,
        };
        // Fast path: a free slot.
        if let Ok(slot) = gate.slots.clone().try_acquire_owned() {
            return Ok(permit(slot));
        }
        let busy = || {
            refuse(Refused::Busy {
                retry_after: Duration::from_secs(2),
            })
        };
        if gate.waiting.fetch_add(1, Ordering::SeqCst) >= gate.max_waiting {
            gate.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let _waiting = Waiting(&gate.waiting);
        let left = self.queue_wait.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, gate.slots.clone().acquire_owned()).await {
            Ok(Ok(slot)) => Ok(permit(slot)),
            Ok(Err(_)) => Err(Refused::ShuttingDown),
            Err(_) => Err(busy()),
        }
    }

    pub(crate) fn stats(&self) -> Stats {
        let mut s = Stats::default();
        for lane in Lane::ALL {
            let g = &self.lanes[lane.index()];
            let i = lane.index();
            s.running[i] = g.capacity - g.slots.available_permits();
            s.waiting[i] = g.waiting.load(Ordering::SeqCst);
            s.refused[i] = g.refused.load(Ordering::Relaxed);
        }
        s
    }
}
