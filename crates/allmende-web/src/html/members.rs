//! An organization's members in the browser: its members see who belongs to it; its admins
//! (and sysadmins) add existing accounts, invite new people, change roles and remove members.

use std::collections::BTreeMap;

use allmende_app::invitations::Invitee;
use allmende_core::authz::{Action, decide, read_scope};
use allmende_core::{Organization, Role};
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

async fn organization(state: &AppState, ctx: &PageCtx, slug: &str) -> ApiResult<Organization> {
    let org = state
        .catalog
        .organization(slug, &read_scope(&ctx.actor))
        .await?
        .ok_or(ApiError::NotFound)?;
    allmende_app::access::require(&ctx.actor, Action::ReadMembers { org: org.id })?;
    Ok(org)
}

/// What the page shows besides the member list: form errors (of the form named by
/// `errors_of`), or a link just made, shown this once.
#[derive(Default)]
struct Outcome {
    errors: BTreeMap<String, Vec<String>>,
    errors_of: &'static str,
    invited: Option<(String, String, String)>,
}

async fn render(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    org: &Organization,
    outcome: Outcome,
) -> ApiResult<Response> {
    let members = state.catalog.members(org.id).await?;
    let can_manage = decide(&ctx.actor, Action::ManageOrganization { org: org.id }).allowed();
    let pending: Vec<_> = if can_manage {
        state
            .catalog
            .pending_invitations(org.id)
            .await?
            .into_iter()
            .map(|p| {
                let expired = p.expires_at <= allmende_core::time::now();
                let until = ctx.time(&allmende_core::time::to_german_local(&p.expires_at), false);
                context! { user => p.user, until, expired }
            })
            .collect()
    } else {
        Vec::new()
    };
    let roles = ["admin", "editor", "member"];
    let Outcome {
        errors,
        errors_of,
        invited,
    } = outcome;
    let invited = invited.map(|(user, link, until)| context! { user, link, until });
    let mut res = ctx.render_status(
        state,
        status,
        "members.html",
        context! { org, members, can_manage, roles, errors, errors_of, pending, invited },
    )?;
    // A page with a one-time link is not kept by the browser or a proxy.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// The role a form chose.
fn role_of(form: &FormData) -> ApiResult<Role> {
    form.get("role")
        .as_deref()
        .and_then(Role::parse)
        .ok_or_else(|| {
            ApiError::Validation(allmende_core::FieldErrors::single("role", "invalid_role"))
        })
}

/// The page again with the messages of a refused form (`errors_of` names the form), or the
/// error itself when it is not about the form's fields.
async fn refused(
    state: &AppState,
    ctx: &PageCtx,
    org: &Organization,
    e: ApiError,
    errors_of: &'static str,
) -> ApiResult<Response> {
    match form_errors(ctx.lang, &e) {
        Some(errors) => {
            let outcome = Outcome {
                errors,
                errors_of,
                invited: None,
            };
            render(state, ctx, StatusCode::UNPROCESSABLE_ENTITY, org, outcome).await
        }
        None => Err(e),
    }
}

/// The page with a link just made, shown this once.
async fn render_invitation(
    state: &AppState,
    ctx: &PageCtx,
    org: &Organization,
    invitation: allmende_app::invitations::Invitation,
) -> ApiResult<Response> {
    let link = format!(
        "{}/invite/{}",
        state.settings.public_url.trim_end_matches('/'),
        invitation.secret
    );
    let until = ctx.time(
        &allmende_core::time::to_german_local(&invitation.expires_at),
        false,
    );
    let outcome = Outcome {
        invited: Some((invitation.user.name, link, until)),
        ..Outcome::default()
    };
    render(state, ctx, StatusCode::OK, org, outcome).await
}

/// `POST /organization/{slug}/invite`: creates an account as a member and shows its
/// one-time link.
pub async fn invite(
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
    let name = form.get("name").unwrap_or_default();
    let display_name = form.get("display_name").unwrap_or_default();
    let email = form.get("email").unwrap_or_default();
    let result = match role_of(&form) {
        Ok(role) => {
            let invitee = Invitee {
                name: name.trim(),
                display_name: display_name.trim(),
                email: Some(email.trim()).filter(|e| !e.is_empty()),
                role,
            };
            state
                .invite_member(&ctx.actor, &org, &invitee)
                .await
                .map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(invitation) => render_invitation(&state, &ctx, &org, invitation).await,
        Err(e) => refused(&state, &ctx, &org, e, "invite").await,
    }
}

/// `POST /organization/{slug}/members/{user}/invite`: a new link for a member who has not
/// used theirs.
pub async fn renew_invitation(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, user)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let org = organization(&state, &ctx, &slug).await?;
    match state.renew_invitation(&ctx.actor, &org, &user).await {
        Ok(invitation) => render_invitation(&state, &ctx, &org, invitation).await,
        Err(e) => refused(&state, &ctx, &org, e.into(), "member").await,
    }
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
    render(&state, &ctx, StatusCode::OK, &org, Outcome::default()).await
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
    let result = match role_of(&form) {
        Ok(role) => state
            .set_member(&ctx.actor, &org, user.trim(), role)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(
            Redirect::to(&format!("/organization/{}/members?done=saved", org.slug)).into_response(),
        ),
        Err(e) => refused(&state, &ctx, &org, e, "member").await,
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
