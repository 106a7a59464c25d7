//! Heavy work — queries, exports, searches — runs on a runtime of its own, apart from the
//! threads that answer HTTP, at a lower CPU priority, behind an admission gate per lane:
//! a bounded number run at once, a bounded number wait, one client holds only a few, and the
//! rest are refused at once (503/429 with `Retry-After`) instead of piling up. Everything that
//! runs here has a deadline, is cancelled when its caller goes away, and stops when the
//! server shuts down.

mod gate;
mod limits;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use gate::Gates;
pub use gate::{Lane, Permit, Stats};
pub use limits::{PoolConfig, Refused, Stopped};

/// The heavy runtime and its gates. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
    gates: Gates,
    shutdown: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime blocks until its tasks end, which must not happen inside async
        // code (and the tasks were cancelled already).
        let rt = match self.runtime.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(rt) = rt {
            rt.shutdown_background();
        }
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Pool {
    pub fn new(config: PoolConfig) -> std::io::Result<Self> {
        let nice = config.nice.clamp(0, 19);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .max_blocking_threads(
                (config.query_slots + config.export_slots + config.search_slots).max(2) * 2,
            )
            .thread_name("allmende-heavy")
            .on_thread_start(move || lower_priority(nice))
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self {
            inner: Arc::new(Inner {
                runtime: Mutex::new(Some(runtime)),
                handle,
                gates: Gates::new(&config),
                shutdown: CancellationToken::new(),
            }),
        })
    }

    /// Waits for a slot in `lane` for `client` (an address or account; empty: nobody in
    /// particular), or says at once why not.
    pub async fn admit(&self, lane: Lane, client: &str) -> Result<Permit, Refused> {
        if self.inner.shutdown.is_cancelled() {
            return Err(Refused::ShuttingDown);
        }
        tokio::select! {
            biased;
            _ = self.inner.shutdown.cancelled() => Err(Refused::ShuttingDown),
            p = self.inner.gates.admit(lane, client) => p,
        }
    }

    /// Runs `work` on the heavy runtime and waits for it, for at most `deadline`. The work is
    /// cancelled (dropped at its next await) when the deadline passes, when the caller stops
    /// waiting (a client that hung up), or at shutdown. The permit is held until the work
    /// has really ended.
    pub async fn run<F, T>(&self, permit: Permit, deadline: Duration, work: F) -> Result<T, Stopped>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let token = self.inner.shutdown.clone();
        let task = AbortOnDrop(self.inner.handle.spawn(async move {
            let _permit = permit;
            tokio::select! {
                biased;
                _ = token.cancelled() => None,
                v = work => Some(v),
            }
        }));
        // The deadline is kept by the caller's runtime: its timers fire on time however busy
        // the heavy threads are.
        let mut task = task;
        match tokio::time::timeout(deadline, &mut task.0).await {
            Err(_) => Err(Stopped::Deadline(deadline)),
            Ok(Ok(Some(v))) => Ok(v),
            Ok(Ok(None)) => Err(Stopped::ShuttingDown),
            Ok(Err(e)) => Err(join_error(e)),
        }
    }

    /// Starts `work` on the heavy runtime without waiting (a streamed export). It ends by
    /// itself, or is cancelled at `deadline` or shutdown; then `on_stop` is told why. `work`
    /// notices a caller that went away itself (e.g. a closed channel).
    pub fn spawn<F>(
        &self,
        permit: Permit,
        deadline: Duration,
        work: F,
        on_stop: impl FnOnce(Stopped) + Send + 'static,
    ) where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut task = AbortOnDrop(self.inner.handle.spawn(async move {
            let _permit = permit;
            work.await
        }));
        let token = self.inner.shutdown.clone();
        // The watchdog lives on the caller's runtime, whose timers are not starved.
        let watchdog = async move {
            let why = tokio::select! {
                biased;
                done = &mut task.0 => match done {
                    Ok(()) => return,
                    Err(e) => join_error(e),
                },
                _ = token.cancelled() => Stopped::ShuttingDown,
                _ = tokio::time::sleep(deadline) => Stopped::Deadline(deadline),
            };
            drop(task);
            on_stop(why);
        };
        match Handle::try_current() {
            Ok(h) => {
                h.spawn(watchdog);
            }
            Err(_) => {
                self.inner.handle.spawn(watchdog);
            }
        }
    }

    /// The heavy runtime, for work that needs its own handle (blocking encoders).
    pub fn handle(&self) -> &Handle {
        &self.inner.handle
    }

    /// Cancels everything running or waiting and refuses new work.
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
    }

    /// Resolves when [`Pool::shutdown`] was called.
    pub fn shutting_down(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.inner.shutdown.cancelled()
    }

    pub fn stats(&self) -> Stats {
        self.inner.gates.stats()
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn join_error(e: tokio::task::JoinError) -> Stopped {
    if e.is_panic() {
        let p = e.into_panic();
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        tracing::error!(panic = %msg, "heavy task panicked");
        Stopped::Panicked(msg)
    } else {
        Stopped::ShuttingDown
    }
}

/// Gives the calling thread a lower CPU priority (Linux: nice is per thread).
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority only reads its integer arguments; `0` names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests;
