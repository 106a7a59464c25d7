//! An organization's members in the browser: its members see who belongs to it; its admins
//! (and sysadmins) add existing accounts, change roles and remove members.

use std::collections::BTreeMap;

use allmende_core::authz::{Action, decide, read_scope};
use allmende_core::{Organization, Role};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::publish::{form_errors, login_redirect, signed_in_form};
use super::render::PageCtx;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

async fn organization(state: &AppState, ctx: &PageCtx, slug: &str) -> ApiResult<Organization> {
    let org = state
        .catalog
        .organization(slug, &read_scope(&ctx.actor))
        .await?
        .ok_or(ApiError::NotFound)?;
    allmende_app::access::require(&ctx.actor, Action::ReadMembers { org: org.id })?;
    Ok(org)
}

async fn render(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    org: &Organization,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    let members = state.catalog.members(org.id).await?;
    let can_manage = decide(&ctx.actor, Action::ManageOrganization { org: org.id }).allowed();
    let roles = ["admin", "editor", "member"];
    ctx.render_status(
        state,
        status,
        "members.html",
        context! { org, members, can_manage, roles, errors },
    )
}

/// `GET /organization/{slug}/members`
pub async fn members(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let org = organization(&state, &ctx, &slug).await?;
    render(&state, &ctx, StatusCode::OK, &org, BTreeMap::new()).await
}

/// `POST /organization/{slug}/members`: adds an account or changes its role.
pub async fn set_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let org = organization(&state, &ctx, &slug).await?;
    allmende_app::access::require(&ctx.actor, Action::ManageOrganization { org: org.id })?;
    let user = form.get("user").unwrap_or_default();
    let result = match form.get("role").as_deref().and_then(Role::parse) {
        Some(role) => state
            .set_member(&ctx.actor, &org, user.trim(), role)
            .await
            .map_err(ApiError::from),
        None => Err(ApiError::Validation(allmende_core::FieldErrors::single(
            "role",
            "invalid_role",
        ))),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/organization/{}/members?done=saved", org.slug)).into_response(),
        ),
        Err(e) => match form_errors(ctx.lang, &e) {
            Some(errors) => {
                render(&state, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &org, errors).await
            }
            None => Err(e),
        },
    }
}

/// `POST /organization/{slug}/members/{user}/remove`
pub async fn remove_member(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, user)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let org = organization(&state, &ctx, &slug).await?;
    state.remove_member(&ctx.actor, &org, &user).await?;
    Ok(Redirect::to(&format!(
        "/organization/{}/members?done=member_removed",
        org.slug
    ))
    .into_response())
}
