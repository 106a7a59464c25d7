//! Cross-cutting request handling: request ids and tracing, security headers, and the
//! request language.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::auth::{LANG_COOKIE, cookie};
use crate::i18n;

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

type TraceStack = Stack<
    PropagateRequestIdLayer,
    Stack<
        TraceLayer<
            tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
            fn(&Request) -> tracing::Span,
            tower_http::trace::DefaultOnRequest,
            DefaultOnResponse,
        >,
        Stack<SetRequestIdLayer<MakeRequestUuid>, Identity>,
    >,
>;

fn make_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    // An invitation link's path is its secret.
    let path = match req.uri().path() {
        p if p.starts_with("/invite/") => "/invite/…",
        p => p,
    };
    tracing::info_span!("request", method = %req.method(), path = %path, request_id = %id)
}

/// Assigns every request an id (or keeps the caller's), logs it with the request, and
/// returns it in the response.
pub fn trace_layers() -> ServiceBuilder<TraceStack> {
    ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            X_REQUEST_ID.clone(),
            MakeRequestUuid,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(make_span as fn(&Request) -> tracing::Span),
        )
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
}

pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    // Embeds are made to be framed by other sites; every other page refuses.
    let embed = req.uri().path().starts_with("/embed/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // Browsers that once reached the portal over https stay on https (a year, as the HSTS
    // preload list asks). Only when the public URL is https: on plain http the header would
    // be ignored, and behind a TLS proxy the public URL says what clients see.
    if state.settings.public_url.starts_with("https://") {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(
                "max-age=31536000; includeSubDomains",
            ));
    }
    let set = |h: &mut axum::http::HeaderMap, k: HeaderName, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Map tiles are the one thing pages load from elsewhere: raster tiles as images, a
        // vector style (its tiles, glyphs and sprites) by fetch from its origin.
        let style = tile_origin(&state.settings.map_style_url);
        let csp = format!(
            "default-src 'self'; img-src 'self' data: blob:{}{}; connect-src 'self'{}; \
             style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self'; frame-ancestors {}",
            tile_origin(&state.settings.map_tile_url)
                .map(|o| format!(" {o}"))
                .unwrap_or_default(),
            style.as_ref().map(|o| format!(" {o}")).unwrap_or_default(),
            style.as_ref().map(|o| format!(" {o}")).unwrap_or_default(),
            if embed { "*" } else { "'none'" }
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        h,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    if !embed {
        set(h, header::X_FRAME_OPTIONS, "DENY");
    }
    set(
        h,
        HeaderName::from_static("permissions-policy"),
        "geolocation=(), camera=(), microphone=()",
    );
    res
}

/// `https://tile.example.org` of a tile URL template (`{s}.` subdomains as `*.`); `None` for
/// none or anything that is not a plain http(s) origin.
pub fn tile_origin(template: &str) -> Option<String> {
    let (scheme, rest) = template.split_once("://")?;
    if !matches!(scheme, "https" | "http") {
        return None;
    }
    let host = rest.split('/').next()?.replace("{s}", "*");
    let plain = host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'*'));
    (plain && !host.is_empty()).then(|| format!("{scheme}://{host}"))
}

/// The request language: `?lang=`, then the language cookie, then `Accept-Language`.
pub fn request_lang(req: &Request) -> &'static str {
    if let Some(q) = req.uri().query()
        && let Some(l) = q
            .split('&')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| *k == "lang")
            .and_then(|(_, v)| i18n::supported(v))
    {
        return l;
    }
    if let Some(l) = cookie(req.headers(), LANG_COOKIE).and_then(i18n::supported) {
        return l;
    }
    req.headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(i18n::negotiate)
        .unwrap_or(i18n::DEFAULT_LANG)
}

pub async fn language(req: Request, next: Next) -> Response {
    let lang = request_lang(&req);
    let mut res = i18n::REQUEST_LANG.scope(lang, next.run(req)).await;
    res.headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang));
    res
}

/// Every successful write may have changed the catalog: bring the search index up to date
/// before answering, so a client finds what it just wrote (read-your-writes). Changes made by
/// other processes are picked up by the follower.
pub async fn notify_search(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let write = !matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let res = next.run(req).await;
    if write && (res.status().is_success() || res.status().is_redirection()) {
        match tokio::time::timeout(std::time::Duration::from_secs(2), state.search.catch_up()).await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "search index update failed; the follower retries")
            }
            Err(_) => state.search.notify(),
        }
    }
    res
}

/// Text answers compressed as the client asks (brotli at quality 4, zstd, gzip), streamed, so
/// that exports stay bounded in memory. Not images and archives (already compressed), and not
/// files served with byte ranges (a download stays resumable and its length known).
pub fn compression()
-> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{DefaultPredicate, Predicate};
    let textual = |_: axum::http::StatusCode,
                   _: axum::http::Version,
                   h: &axum::http::HeaderMap,
                   _: &axum::http::Extensions| {
        if h.contains_key(header::ACCEPT_RANGES) {
            return false;
        }
        let Some(ct) = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let ct = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        ct.starts_with("text/")
            || ct.ends_with("+json")
            || ct.ends_with("+xml")
            || matches!(
                ct.as_str(),
                "application/json"
                    | "application/xml"
                    | "application/x-ndjson"
                    | "application/javascript"
                    | "application/n-triples"
                    | "application/trig"
            )
    };
    tower_http::compression::CompressionLayer::new()
        .gzip(true)
        .br(true)
        .zstd(true)
        .compress_when(DefaultPredicate::new().and(textual))
}

#[cfg(test)]
mod tests {
    use super::tile_origin;

    #[test]
    fn tile_origins_for_the_content_security_policy() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.de:8443/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example.de:8443")
        );
        for bad in [
            "",
            "javascript:alert(1)",
            "https://a.org; script-src *",
            "data:x",
        ] {
            assert_eq!(tile_origin(bad), None, "{bad}");
        }
    }
}
