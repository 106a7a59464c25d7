//! Who is calling: API tokens, session cookies, CSRF protection and login rate limiting.

use std::net::{IpAddr, SocketAddr};

use allmende_core::authz::Actor;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};

use crate::error::ApiError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "allmende_session";
pub const CSRF_COOKIE: &str = "allmende_csrf";
pub const LANG_COOKIE: &str = "allmende_lang";

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
) -> String {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// Constant-time comparison for secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    Some(
        v.strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .unwrap_or(v)
            .trim(),
    )
}

/// The caller of this request. A bad token is an error (401), never silently anonymous;
/// a stale session cookie is simply anonymous.
pub struct CurrentActor(pub Actor);

impl CurrentActor {
    pub async fn resolve(
        state: &AppState,
        parts: &Parts,
        allow_session_writes: bool,
    ) -> Result<Actor, ApiError> {
        if let Some(token) = bearer(&parts.headers) {
            return state
                .catalog
                .actor_for_token(token)
                .await?
                .ok_or(ApiError::Unauthorized);
        }
        if let Some(session) = cookie(&parts.headers, SESSION_COOKIE) {
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            // Cookie-authenticated API writes must prove they come from our own pages.
            if !safe && !allow_session_writes {
                let header_token = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                let cookie_token = cookie(&parts.headers, CSRF_COOKIE).unwrap_or("");
                if cookie_token.is_empty() || !same_secret(header_token, cookie_token) {
                    return Ok(Actor::anonymous());
                }
            }
            if let Some(actor) = state.catalog.actor_for_session(session).await? {
                return Ok(actor);
            }
        }
        Ok(Actor::anonymous())
    }
}

impl FromRequestParts<AppState> for CurrentActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(Self::resolve(state, parts, false).await?))
    }
}

/// The client address, from the socket or (behind a trusted proxy) the last address of
/// `X-Forwarded-For`: the one our proxy added. Earlier entries are whatever the client sent.
pub fn client_ip(
    parts_headers: &HeaderMap,
    connect: Option<&ConnectInfo<SocketAddr>>,
    trust_proxy: bool,
) -> IpAddr {
    if trust_proxy
        && let Some(ip) = parts_headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    connect
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; allmende_csrf=xyz".parse().unwrap());
        assert_eq!(cookie(&h, CSRF_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), None);
    }
}
