//! How long a client may keep a connection waiting: a timer armed when an operation (a read
//! of a request body, a write of a response) first has to wait, and dropped once it moves on,
//! so that only a client that stops altogether runs out of time.

use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::Sleep;

pub(crate) struct StallTimer {
    limit: Duration,
    since: Option<Pin<Box<Sleep>>>,
}

impl StallTimer {
    pub(crate) fn new(limit: Duration) -> Self {
        Self { limit, since: None }
    }

    pub(crate) fn limit(&self) -> Duration {
        self.limit
    }

    /// The operation had to wait: whether it has now waited `limit` since it last moved.
    pub(crate) fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let limit = self.limit;
        self.since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)))
            .as_mut()
            .poll(cx)
            .is_ready()
    }

    /// The operation moved on.
    pub(crate) fn reset(&mut self) {
        self.since = None;
    }
}
