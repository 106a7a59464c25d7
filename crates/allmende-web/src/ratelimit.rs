//! Abuse limits: how many API requests one client may make, per minute, with a burst on top —
//! by address for anonymous callers, by token for callers with one, and a tighter share for
//! SQL. Over the limit: 429 with `Retry-After`. Token buckets in memory, one per client and
//! class, bounded in number.
//!
//! Several nodes: each node counts on its own for now (one node is what runs today); a shared
//! store behind [`Limiter`] is the step when several nodes serve one portal.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use crate::error::ApiError;
use crate::state::AppState;
use crate::throttle::Class;

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
