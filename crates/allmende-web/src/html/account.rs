//! One's own account: roles, and API tokens to create (the secret shown once) and revoke.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::publish::form_errors;
use super::signin::{login_redirect, signed_in_form};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

async fn render(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    secret: Option<(String, String)>,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    let tokens = state.own_tokens(&ctx.actor).await?;
    let now = allmende_core::time::now();
    let tokens: Vec<minijinja::Value> = tokens
        .iter()
        .map(|t| {
            let expired = t.expires_at.is_some_and(|e| e <= now);
            context! {
                id => t.id, name => t.name, created => t.created_at.to_rfc3339(),
                expires => t.expires_at.map(|e| e.to_rfc3339()), revoked => t.revoked, expired,
            }
        })
        .collect();
    let mut roles: Vec<(String, String)> = Vec::new();
    for (org, role) in &ctx.actor.roles {
        if let Some(o) = state
            .catalog
            .organization(&org.to_string(), &allmende_core::authz::ReadScope::All)
            .await?
        {
            roles.push((o.slug, role.as_str().to_string()));
        }
    }
    roles.sort();
    ctx.render_status(
        state,
        status,
        "account.html",
        context! { tokens, roles, errors, secret => secret.map(|(name, s)| context! { name, secret => s }) },
    )
}

/// `GET /account`
pub async fn account(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    render(&state, &ctx, StatusCode::OK, None, BTreeMap::new()).await
}

/// `POST /account/tokens`: answers with the page itself, the only time the secret is shown.
pub async fn create_token(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let name = form.get("name").unwrap_or_default();
    // Not a number: 0, which the application refuses as out of range.
    let expires = form
        .nonempty("expires_days")
        .map(|d| d.trim().parse::<i64>().unwrap_or(0));
    match state.create_own_token(&ctx.actor, &name, expires).await {
        Ok((info, secret)) => {
            let mut res = render(
                &state,
                &ctx,
                StatusCode::OK,
                Some((info.name, secret)),
                BTreeMap::new(),
            )
            .await?;
            // The secret must not stay in a cache.
            res.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(res)
        }
        Err(e) => {
            let e = ApiError::from(e);
            match form_errors(ctx.lang, &e) {
                Some(errors) => {
                    render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, None, errors).await
                }
                None => Err(e),
            }
        }
    }
}

/// `POST /account/tokens/{id}/revoke`
pub async fn revoke_token(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    // Another account's token, an unknown or malformed id: nothing of the caller's to revoke.
    let revoked = match uuid::Uuid::parse_str(&id) {
        Ok(id) => state.revoke_own_token(&ctx.actor, id).await?,
        Err(_) => false,
    };
    let to = if revoked {
        "/account?done=token_revoked"
    } else {
        "/account"
    };
    Ok(Redirect::to(to).into_response())
}
