//! Counting clients: token buckets for the API and SQL abuse limits, and the sliding window
//! of failed logins. Plain data structures (the middleware in `ratelimit` and the login form
//! use them); in memory, per node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Requests per minute and the burst allowed on top; `per_minute = 0` turns a class off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// API requests of an anonymous client (by address).
    pub anonymous: Rate,
    /// API requests of a client with a token (by token).
    pub token: Rate,
    /// SQL queries (`/api/v1/sql`, CKAN `datastore_search_sql`), for either.
    pub sql: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous: Rate {
                per_minute: 1200,
                burst: 200,
            },
            token: Rate {
                per_minute: 6000,
                burst: 1000,
            },
            sql: Rate {
                per_minute: 60,
                burst: 20,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Api,
    Sql,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets of every client seen lately.
pub struct Limiter {
    pub limits: RateLimits,
    buckets: Mutex<HashMap<(Class, String), Bucket>>,
}

const MAX_CLIENTS: usize = 100_000;

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `client`'s bucket; `Err(seconds)` until the next is allowed.
    pub fn take(&self, class: Class, client: &str, rate: Rate) -> Result<(), u64> {
        if rate.per_minute == 0 {
            return Ok(());
        }
        let per_sec = f64::from(rate.per_minute) / 60.0;
        let capacity = f64::from(rate.burst.max(1));
        let now = Instant::now();
        let mut buckets = match self.buckets.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if buckets.len() >= MAX_CLIENTS {
            // Full buckets are as good as none: forget them first.
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec < capacity
            });
            if buckets.len() >= MAX_CLIENTS {
                buckets.clear();
            }
        }
        let b = buckets
            .entry((class, client.to_string()))
            .or_insert(Bucket {
                tokens: capacity,
                at: now,
            });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(capacity);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / per_sec).ceil().max(1.0) as u64)
        }
    }
}

/// Counts failed logins per key in a sliding window.
pub struct RateLimiter {
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn with_map<R>(&self, f: impl FnOnce(&mut HashMap<String, Vec<Instant>>) -> R) -> R {
        let mut guard = match self.failures.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    pub fn is_blocked(&self, key: &str, max: u32) -> bool {
        let now = Instant::now();
        let window = self.window;
        let max = max as usize;
        self.with_map(|m| {
            if let Some(v) = m.get_mut(key) {
                v.retain(|t| now.duration_since(*t) < window);
                v.len() >= max
            } else {
                false
            }
        })
    }

    pub fn record_failure(&self, key: &str) {
        let now = Instant::now();
        let window = self.window;
        self.with_map(|m| {
            if m.len() > 100_000 {
                // Bounded memory under a credential-stuffing flood: drop expired entries.
                m.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < window));
            }
            m.entry(key.to_string()).or_default().push(now);
        });
    }

    pub fn clear(&self, key: &str) {
        self.with_map(|m| {
            m.remove(key);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_max() {
        let l = RateLimiter::new(Duration::from_secs(60));
        assert!(!l.is_blocked("k", 2));
        l.record_failure("k");
        l.record_failure("k");
        assert!(l.is_blocked("k", 2));
        assert!(!l.is_blocked("k", 3));
        l.clear("k");
        assert!(!l.is_blocked("k", 2));
    }

    #[test]
    fn buckets_refill_and_refuse_with_a_wait() {
        let l = Limiter::new(RateLimits::default());
        let rate = Rate {
            per_minute: 60,
            burst: 3,
        };
        for _ in 0..3 {
            assert_eq!(l.take(Class::Sql, "a:1.2.3.4", rate), Ok(()));
        }
        assert_eq!(l.take(Class::Sql, "a:1.2.3.4", rate), Err(1));
        // Another client, another class: their own buckets.
        assert_eq!(l.take(Class::Sql, "a:1.2.3.5", rate), Ok(()));
        assert_eq!(l.take(Class::Api, "a:1.2.3.4", rate), Ok(()));
        // Off.
        let off = Rate {
            per_minute: 0,
            burst: 0,
        };
        for _ in 0..1000 {
            assert_eq!(l.take(Class::Api, "x", off), Ok(()));
        }
    }
}
