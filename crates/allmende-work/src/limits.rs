//! What the pool is configured with, and why work was refused or stopped.

use std::time::Duration;

/// How much heavy work may run, wait and be held by one client.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Threads of the heavy runtime (default: the machine's cores).
    pub threads: usize,
    /// Tasks running at once, per lane.
    pub query_slots: usize,
    pub export_slots: usize,
    pub search_slots: usize,
    /// Tasks waiting for a slot, per lane; beyond that, 503.
    pub queue: usize,
    /// Longest wait for a slot before 503.
    pub queue_wait: Duration,
    /// Tasks one client (address or account) may have running or waiting at once; beyond
    /// that, 429.
    pub per_client: usize,
    /// Nice value of the heavy threads (0–19): the threads that answer HTTP come first.
    pub nice: i32,
}

impl Default for PoolConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            threads: cores,
            query_slots: 4,
            export_slots: 2,
            search_slots: 8,
            queue: 32,
            queue_wait: Duration::from_secs(5),
            per_client: 4,
            nice: 10,
        }
    }
}

/// Why work was not admitted.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    /// Every slot is taken and the queue is full (or the wait was too long): 503.
    #[error("all slots for heavy work are taken")]
    Busy { retry_after: Duration },
    /// This client already has its share running: 429.
    #[error("this client already runs {limit} heavy requests")]
    ClientLimit { limit: usize, retry_after: Duration },
    #[error("the server is shutting down")]
    ShuttingDown,
}

/// Why admitted work did not finish.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum Stopped {
    #[error("deadline of {0:?} passed")]
    Deadline(Duration),
    #[error("the server is shutting down")]
    ShuttingDown,
    /// A bug met by this input; the process lives on.
    #[error("the task panicked: {0}")]
    Panicked(String),
}
