//! The link checker: whether the links of public datasets still answer, for the accessibility
//! indicators of the metadata quality score. Bounded and polite: one request at a time, a pause
//! between them, a limited number per round, each link at most once per interval, and every
//! request through the fetcher's guard against server-side request forgery.

use std::time::Duration;

use crate::ingest::FetchLimits;
use crate::ingest::fetch::{FetchError, probe};
use crate::{App, AppResult};

/// How the checker runs.
#[derive(Debug, Clone, Copy)]
pub struct LinkCheck {
    pub limits: FetchLimits,
    /// A link is checked again after this long.
    pub interval: Duration,
    /// Links per round.
    pub per_round: i64,
    /// Pause between two requests.
    pub pause: Duration,
}

impl App {
    /// Checks the links that are due; returns how many were checked.
    pub async fn check_links(&self, check: &LinkCheck) -> AppResult<usize> {
        let before = allmende_core::time::now()
            - chrono::Duration::from_std(check.interval).unwrap_or(chrono::Duration::days(1));
        let due = self.catalog.links_due(before, check.per_round).await?;
        for (i, (id, url)) in due.iter().enumerate() {
            if i > 0 {
                tokio::time::sleep(check.pause).await;
            }
            let status = match probe(url, check.limits).await {
                Ok(code) => i64::from(code),
                Err(FetchError::Refused(m) | FetchError::Unavailable(m)) => {
                    tracing::debug!(%url, reason = %m, "a link did not answer");
                    0
                }
            };
            self.catalog.set_link_status(*id, status).await?;
        }
        Ok(due.len())
    }

    /// Runs the checker in the background, a round every `every`.
    pub fn spawn_link_checker(
        &self,
        check: LinkCheck,
        every: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                match app.check_links(&check).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(links = n, "checked links"),
                    Err(e) => tracing::warn!(error = %e, "link check failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}

/// Whether a link's last check counts as answering (2xx and 3xx; a `206` for the range request).
pub fn answers(status: Option<i64>) -> bool {
    status.is_some_and(|s| (200..400).contains(&s))
}
