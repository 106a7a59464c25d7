//! What a publisher's page or form needs before it runs: a session (else the way to the login
//! form) and, for a form, this browser's CSRF token.
//!
//! A form post whose session has expired meanwhile: instead of a redirect to the login form,
//! which would lose what was typed, the login form carries the submitted fields, and after
//! signing in one click sends them where they were going.
//!
//! Only a post with this browser's CSRF token is kept (the CSRF cookie outlives the session):
//! another site cannot plant fields for the publisher to save after signing in.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::{FormData, safe_next};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// Publisher pages need a login; anonymous visitors are sent to the login form.
pub(super) fn login_redirect(ctx: &PageCtx) -> Option<Response> {
    if ctx.actor.is_authenticated() {
        None
    } else {
        let next: String = url::form_urlencoded::byte_serialize(ctx.path.as_bytes()).collect();
        Some(Redirect::to(&format!("/login?next={next}")).into_response())
    }
}

/// A signed-in publisher's form post: `Some` is the way to the login form for a visitor; a form
/// without this browser's CSRF token is refused.
pub(super) fn signed_in_form(ctx: &PageCtx, form: &FormData) -> ApiResult<Option<Response>> {
    if let Some(r) = login_redirect(ctx) {
        return Ok(Some(r));
    }
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    Ok(None)
}

/// Hidden fields of the login form that hold a kept post's fields.
const KEPT: &str = "kept.";
/// The most fields a kept post may carry (the dataset form has about 25 and its themes).
const MAX_KEPT: usize = 200;

/// Like `signed_in_form`, but a visitor whose session expired gets the login form
/// with the post's fields kept.
pub(super) async fn signed_in_or_keep(
    state: &AppState,
    ctx: &PageCtx,
    form: &FormData,
) -> ApiResult<Option<Response>> {
    let csrf_ok = ctx.csrf_ok(form.get("csrf").as_deref());
    if ctx.actor.is_authenticated() {
        return if csrf_ok {
            Ok(None)
        } else {
            Err(ApiError::Forbidden)
        };
    }
    if !csrf_ok {
        return Ok(login_redirect(ctx));
    }
    let kept: Vec<(String, String)> = form
        .0
        .iter()
        .filter(|(k, _)| k != "csrf")
        .take(MAX_KEPT)
        .cloned()
        .collect();
    let res = ctx.render_status(
        state,
        StatusCode::UNAUTHORIZED,
        "login.html",
        context! {
            next => "/dashboard",
            error => None::<String>,
            resume => ctx.path.clone(),
            kept,
        },
    )?;
    Ok(Some(res))
}

/// The fields a login form carried back, and where they were going (a local path).
pub(super) fn kept_post(form: &FormData) -> Option<(String, Vec<(String, String)>)> {
    let resume = form.nonempty("resume")?;
    let kept: Vec<(String, String)> = form
        .0
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(KEPT)?.to_string(), v.clone())))
        .take(MAX_KEPT)
        .collect();
    (!kept.is_empty()).then(|| (safe_next(Some(&resume)), kept))
}

/// After signing in again: the kept post, ready to be sent with one click.
pub(super) fn resume_page(
    state: &AppState,
    ctx: &PageCtx,
    action: &str,
    kept: &[(String, String)],
) -> ApiResult<Response> {
    ctx.render(state, "resume.html", context! { action, kept })
}
