//! Error pages: problem answers of page routes as HTML.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;

use crate::i18n;
use crate::state::AppState;

/// Turns problem responses of page routes into HTML error pages.
pub async fn html_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    // OGC API clients get the problem as JSON unless they asked for a page.
    let wants_page = !path.starts_with("/ogc")
        || crate::page::wants_html(
            req.headers(),
            crate::page::f_param(req.uri().query()).as_deref(),
        );
    if path.starts_with("/api/") || path == "/healthz" || path == "/readyz" || !wants_page {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !is_problem {
        return res;
    }
    let status = res.status();
    let lang = i18n::current_lang();
    let key = match status.as_u16() {
        401 | 403 => "error.page.forbidden",
        404 => "error.page.not_found",
        413 => "error.page.too_large",
        429 => "error.page.too_many",
        503 => "error.page.unavailable",
        400..=499 => "error.page.bad_request",
        _ => "error.page.internal",
    };
    let ctx = context! {
        lang => lang,
        other_lang => if lang == "de" { "en" } else { "de" },
        site_title => state.settings.site_title.clone(),
        status => status.as_u16(),
        message_key => key,
        path => path,
        current_url => path,
    };
    match state.templates.render("error.html", ctx) {
        Ok(html) => {
            let mut out = (status, Html(html)).into_response();
            for (k, v) in res.headers() {
                if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                    out.headers_mut().append(k, v.clone());
                }
            }
            out
        }
        Err(_) => res,
    }
}
