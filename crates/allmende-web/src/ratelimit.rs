//! Abuse limits: how many API requests one client may make, per minute, with a burst on top —
//! by address for anonymous callers, by token for callers with one, and a tighter share for
//! SQL. Over the limit: 429 with `Retry-After`. Token buckets in memory, one per client and
//! class, bounded in number.
//!
//! Several nodes: each node counts on its own for now (one node is what runs today); a shared
//! store behind [`Limiter`] is the step when several nodes serve one portal.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use crate::error::ApiError;
use crate::state::AppState;

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
enum Class {
    Api,
    Sql,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets of every client seen lately.
pub struct Limiter {
    limits: RateLimits,
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
    fn take(&self, class: Class, client: &str, rate: Rate) -> Result<(), u64> {
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

/// Which limits a path falls under: the APIs (native, CKAN, DCAT, exports, data packages)
/// and, tighter, SQL. Pages, static files and health checks are not limited here.
fn classes(path: &str) -> &'static [Class] {
    let sql = path == "/api/v1/sql" || path.ends_with("/action/datastore_search_sql");
    if sql {
        &[Class::Api, Class::Sql]
    } else if path.starts_with("/api/")
        || path.starts_with("/catalog")
        || (path.starts_with("/dataset/")
            && (path.ends_with(".ttl")
                || path.ends_with(".rdf")
                || path.ends_with(".jsonld")
                || path.ends_with("/datapackage.json")
                || path.ends_with("/datapackage.zip")))
    {
        &[Class::Api]
    } else {
        &[]
    }
}

/// The middleware: one token per request from each bucket the path uses.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let classes = classes(req.uri().path());
    if classes.is_empty() {
        return next.run(req).await;
    }
    let limits = state.rate_limiter.limits;
    // A token's holder is one client wherever it calls from; the key is a hash, so that no
    // token is kept in memory in the clear.
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .or_else(|| req.headers().get("x-ckan-api-key"))
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let (client, api_rate) = match token {
        Some(t) => (
            format!(
                "t:{}",
                hex::encode(&sha2::Sha256::digest(t.as_bytes())[..12])
            ),
            limits.token,
        ),
        None => {
            let connect = req
                .extensions()
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
            (
                format!(
                    "a:{}",
                    crate::auth::client_ip(req.headers(), connect, state.settings.trust_proxy)
                ),
                limits.anonymous,
            )
        }
    };
    for class in classes {
        let rate = match class {
            Class::Api => api_rate,
            Class::Sql => limits.sql,
        };
        if let Err(secs) = state.rate_limiter.take(*class, &client, rate) {
            return ApiError::TooManyRequests(secs).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn paths_fall_into_classes() {
        assert_eq!(classes("/api/v1/sql"), &[Class::Api, Class::Sql]);
        assert_eq!(
            classes("/api/3/action/datastore_search_sql"),
            &[Class::Api, Class::Sql]
        );
        assert_eq!(classes("/api/v1/datasets"), &[Class::Api]);
        assert_eq!(classes("/catalog.ttl"), &[Class::Api]);
        assert_eq!(classes("/dataset/baeume.ttl"), &[Class::Api]);
        assert!(classes("/dataset/baeume").is_empty());
        assert!(classes("/healthz").is_empty());
        assert!(classes("/static/app.css").is_empty());
    }
}
