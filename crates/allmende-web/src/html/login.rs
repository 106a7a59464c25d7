//! Signing in and out of the publisher pages: a session cookie after a password check,
//! throttled per client and user name; failed attempts are logged with the name escaped.

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;

use super::forms::{FormData, safe_next};
use super::signin::{kept_post, resume_page};
use crate::auth::{SESSION_COOKIE, client_ip, cookie, set_cookie};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NextQuery>,
) -> ApiResult<Response> {
    ctx.render(
        &state,
        "login.html",
        context! { next => safe_next(q.next.as_deref()), error => None::<String> },
    )
}

pub async fn login(
    State(state): State<AppState>,
    ctx: PageCtx,
    connect: ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    form: FormData,
) -> ApiResult<Response> {
    let next = safe_next(form.get("next").as_deref());
    let name = form.get("username").unwrap_or_default().trim().to_string();
    let password = form.get("password").unwrap_or_default();
    let kept = kept_post(&form);
    let render_error = |status: StatusCode, key: &str| {
        let (resume, kept) = kept.clone().unzip();
        ctx.render_status(
            &state,
            status,
            "login.html",
            context! {
                next => next.clone(), error => ctx.t(key), username => name.clone(), resume, kept,
            },
        )
    };
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return render_error(StatusCode::FORBIDDEN, "login.csrf");
    }
    let ip = client_ip(&headers, Some(&connect), state.settings.trust_proxy);
    let key_user = format!("{ip}|{}", name.to_lowercase());
    let key_ip = format!("{ip}|*");
    let max = state.settings.login_max_failures;
    // A looser per-address limit also stops guessing across many user names.
    if state.login_limiter.is_blocked(&key_user, max)
        || state.login_limiter.is_blocked(&key_ip, max * 4)
    {
        return render_error(StatusCode::TOO_MANY_REQUESTS, "login.rate_limited");
    }
    let Some(user) = state.catalog.verify_login(&name, &password).await? else {
        state.login_limiter.record_failure(&key_user);
        state.login_limiter.record_failure(&key_ip);
        // The name is the stranger's: shortened here, escaped by the log formatter.
        let shown: String = name.chars().take(64).collect();
        tracing::info!(user = %shown, %ip, "failed login");
        return render_error(StatusCode::UNAUTHORIZED, "login.failed");
    };
    state.login_limiter.clear(&key_user);
    let res = match &kept {
        Some((action, fields)) => resume_page(&state, &ctx, action, fields)?,
        None => Redirect::to(&next).into_response(),
    };
    let res = with_session(&state, &user, res).await?;
    tracing::info!(user = %user.name, "login");
    state.record_login(&user).await?;
    Ok(res)
}

/// Signs `user` in: a new session and its cookie, then on to `next` (a local path).
pub(super) async fn start_session(
    state: &AppState,
    user: &allmende_core::User,
    next: &str,
) -> ApiResult<Response> {
    with_session(state, user, Redirect::to(next).into_response()).await
}

/// `res` with a new session's cookie for `user`.
async fn with_session(
    state: &AppState,
    user: &allmende_core::User,
    mut res: Response,
) -> ApiResult<Response> {
    let ttl = chrono::Duration::hours(state.settings.session_ttl_hours);
    let secret = state.catalog.create_session(user.id, ttl).await?;
    let cookie = set_cookie(
        SESSION_COOKIE,
        &secret,
        Some(ttl.num_seconds()),
        state.settings.secure_cookies(),
        true,
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    form: FormData,
) -> ApiResult<Response> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        state.catalog.delete_session(secret).await?;
    }
    let mut res = Redirect::to("/").into_response();
    let clear = set_cookie(
        SESSION_COOKIE,
        "",
        Some(0),
        state.settings.secure_cookies(),
        true,
    );
    if let Ok(v) = HeaderValue::from_str(&clear) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}
