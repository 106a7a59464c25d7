//! Cross-origin requests (CORS). Every public read interface — the data API, the CKAN API,
//! the DCAT catalog, the OGC API, feeds and the files behind them — answers any origin with
//! `Access-Control-Allow-Origin: *`, so that a web application elsewhere can read the data in
//! the browser. `*` never carries cookies, and a preflight from such an origin does not allow
//! the `Authorization` header: a stranger's page reads what everyone may read, nothing more.
//! Writes with a token (and reads with one) from the browser are for the origins the operator
//! lists in `cors_allowed_origins` (none by default), which get their origin echoed and every
//! method; still without cookies, so a logged-in session never acts cross-site.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Headers a script on another origin may read besides the simple ones.
const EXPOSED: &str = "Content-Disposition, Content-Crs, Content-Length, ETag, Link, Location, Retry-After, X-Request-Id";
/// Request headers an anonymous cross-origin reader may send.
const READ_HEADERS: &str = "Accept, Accept-Language, Content-Type, If-None-Match, Range";
/// Request headers a listed origin may send.
const WRITE_HEADERS: &str =
    "Accept, Accept-Language, Authorization, Content-Type, If-Match, If-None-Match, Range";

/// Whether `path` is a public read interface (what anyone may fetch from another origin).
pub fn public_read(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/ogc"
        || path.starts_with("/ogc/")
        || path == "/catalog"
        || path.starts_with("/catalog.")
        || path == "/feed.atom"
        || path == "/sitemap.xml"
        || (path.starts_with("/organization/") && path.ends_with("/feed.atom"))
        || (path.starts_with("/dataset/") && path.ends_with("/feed.atom"))
        || (path.starts_with("/dataset/")
            && [
                ".ttl",
                ".rdf",
                ".xml",
                ".jsonld",
                "/datapackage.json",
                "/datapackage.zip",
            ]
            .iter()
            .any(|s| path.ends_with(s)))
}

/// The CKAN Action API reads by POST too (`package_search` with a JSON body).
fn reads_by_post(path: &str) -> bool {
    path.starts_with("/api/3/action/")
}

fn value(s: &'static str) -> HeaderValue {
    HeaderValue::from_static(s)
}

pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(origin) = req.headers().get(header::ORIGIN).cloned() else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    let listed = state
        .settings
        .cors_allowed_origins
        .iter()
        .any(|o| o.as_bytes() == origin.as_bytes());
    let public = public_read(&path);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        if !listed && !public {
            // No CORS headers: the browser keeps the request from being sent.
            return next.run(req).await;
        }
        let mut res = StatusCode::NO_CONTENT.into_response();
        let h = res.headers_mut();
        if listed {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                value("GET, HEAD, POST, PUT, PATCH, DELETE"),
            );
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value(WRITE_HEADERS));
        } else {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value("*"));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                value(if reads_by_post(&path) {
                    "GET, HEAD, POST"
                } else {
                    "GET, HEAD"
                }),
            );
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value(READ_HEADERS));
        }
        h.insert(header::ACCESS_CONTROL_MAX_AGE, value("600"));
        h.insert(header::VARY, value("Origin"));
        return res;
    }
    let read = matches!(*req.method(), Method::GET | Method::HEAD)
        || (req.method() == Method::POST && reads_by_post(&path));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if listed {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.append(header::VARY, value("Origin"));
    } else if public && read {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value("*"));
        // A listed origin gets this address answered with its own origin: caches must tell
        // the two answers apart.
        if !state.settings.cors_allowed_origins.is_empty() {
            h.append(header::VARY, value("Origin"));
        }
    } else {
        return res;
    }
    h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value(EXPOSED));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_read_interfaces() {
        for p in [
            "/api/v1/datasets",
            "/api/3/action/package_search",
            "/ogc/collections",
            "/catalog.ttl",
            "/dataset/baeume.jsonld",
            "/dataset/baeume/datapackage.json",
            "/feed.atom",
            "/organization/stadt-aalen/feed.atom",
        ] {
            assert!(public_read(p), "{p}");
        }
        for p in ["/", "/login", "/dataset/baeume", "/dashboard", "/datasets"] {
            assert!(!public_read(p), "{p}");
        }
    }
}
