use allmende_core::authz::{Action, read_scope};
use allmende_core::validate::{OrganizationFields, OrganizationInput};
use allmende_core::{FieldErrors, Membership, Organization, Page, Role, User};
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiQuery, JsonBody, apply_patch, paging};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::i18n::Msg;
use crate::multipart as upload;
use crate::state::AppState;
use allmende_app::access::require;

const MAX_LOGO: u64 = allmende_app::images::MAX_IMAGE_BYTES;

async fn find(
    state: &AppState,
    actor: &allmende_core::authz::Actor,
    slug: &str,
) -> ApiResult<Organization> {
    state
        .catalog
        .organization(slug, &read_scope(actor))
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrgListParams {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Language of messages (`de`, `en`); the middleware reads it.
    #[serde(default)]
    #[allow(dead_code)]
    pub lang: Option<String>,
}

/// All organizations, with the number of datasets the caller can see.
#[utoipa::path(get, path = "/organizations", tag = "organizations", params(OrgListParams),
    responses((status = 200, body = Page<Organization>)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(p): ApiQuery<OrgListParams>,
) -> ApiResult<Json<Page<Organization>>> {
    let (page, per_page) = paging(p.page, p.per_page)?;
    Ok(Json(
        state
            .catalog
            .organizations(&read_scope(&actor), page, per_page)
            .await?,
    ))
}

/// Create an organization (sysadmins).
#[utoipa::path(post, path = "/organizations", tag = "organizations", request_body = OrganizationInput,
    security(("token" = [])),
    responses((status = 201, body = Organization), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(input): JsonBody<OrganizationInput>,
) -> ApiResult<impl IntoResponse> {
    require(&actor, Action::CreateOrganization)?;
    let fields: OrganizationFields = input.validate().map_err(ApiError::Validation)?;
    let org = state.catalog.create_organization(&fields).await?;
    Ok((
        StatusCode::CREATED,
        [(
            header::LOCATION,
            format!("/api/v1/organizations/{}", org.slug),
        )],
        Json(org),
    ))
}

/// One organization.
#[utoipa::path(get, path = "/organizations/{slug}", tag = "organizations",
    params(("slug" = String, Path)), responses((status = 200, body = Organization), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<String>,
) -> ApiResult<Json<Organization>> {
    Ok(Json(find(&state, &actor, &slug).await?))
}

/// Change an organization (its admins; JSON merge patch).
#[utoipa::path(patch, path = "/organizations/{slug}", tag = "organizations", request_body = OrganizationInput,
    params(("slug" = String, Path)), security(("token" = [])),
    responses((status = 200, body = Organization), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Value>,
) -> ApiResult<Json<Organization>> {
    let org = find(&state, &actor, &slug).await?;
    require(&actor, Action::ManageOrganization { org: org.id })?;
    let current = OrganizationInput::from(&org);
    let fields = apply_patch(&current, &patch)?
        .validate()
        .map_err(ApiError::Validation)?;
    Ok(Json(
        state.catalog.update_organization(org.id, &fields).await?,
    ))
}

/// The organization's logo.
#[utoipa::path(get, path = "/organizations/{slug}/logo", tag = "organizations",
    params(("slug" = String, Path)), responses((status = 200, description = "PNG, JPEG or WebP"), (status = 404, body = Problem)))]
pub async fn logo(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let org = find(&state, &actor, &slug).await?;
    let (Some(sha), Some(media)) = (&org.logo_sha256, &org.logo_media_type) else {
        return Err(ApiError::NotFound);
    };
    let ext = allmende_app::images::extension(media);
    let mut res = super::download::serve_blob(
        &state,
        &headers,
        sha,
        media,
        &format!("{}.{ext}", org.slug),
        org.updated_at,
        true,
    )
    .await?;
    res.headers_mut().remove(header::CONTENT_DISPOSITION);
    Ok(res)
}

/// Upload a logo: PNG, JPEG or WebP, at most 2 MiB, as the `file` field of a multipart form or as
/// the raw request body; metadata in the picture (EXIF, XMP, text) is removed.
#[utoipa::path(put, path = "/organizations/{slug}/logo", tag = "organizations",
    params(("slug" = String, Path)), security(("token" = [])),
    request_body(content(
        (Object = "multipart/form-data"),
        (Vec<u8> = "image/png"),
        (Vec<u8> = "image/jpeg"),
        (Vec<u8> = "image/webp")
    )),
    responses((status = 204), (status = 403, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem)))]
pub async fn put_logo(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<String>,
    req: Request,
) -> ApiResult<StatusCode> {
    let org = find(&state, &actor, &slug).await?;
    require(&actor, Action::ManageOrganization { org: org.id })?;
    let mut upload = if upload::is_multipart(req.headers()) {
        upload::read_multipart(&state, req, MAX_LOGO)
            .await?
            .file
            .ok_or_else(|| ApiError::Validation(FieldErrors::single("file", "required")))?
    } else {
        upload::check_content_length(req.headers(), MAX_LOGO)?;
        let body = axum::body::Bytes::from_request(req, &state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge(MAX_LOGO)
                } else {
                    ApiError::BadRequest(Msg::plain(e.body_text()))
                }
            })?;
        state.stage_bytes(&body, "logo", MAX_LOGO).await?
    };
    let head = upload.staged.head(16).await?;
    let Some(media) = allmende_app::images::image_type(&head) else {
        return Err(ApiError::UnsupportedMediaType(Msg::new("media.logo")));
    };
    let upload = state.publishable_picture(upload, media).await?;
    let stored = state.commit_upload(upload).await?;
    if let Err(e) = state
        .catalog
        .set_organization_logo(org.id, Some((&stored.file.sha256, media)))
        .await
    {
        state.discard_if_unused(&stored).await;
        return Err(e.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Members and their roles (visible to the organization's members).
#[utoipa::path(get, path = "/organizations/{slug}/members", tag = "organizations",
    params(("slug" = String, Path)), security(("token" = [])),
    responses((status = 200, body = Vec<Membership>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn members(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(slug): Path<String>,
) -> ApiResult<Json<Vec<Membership>>> {
    let org = find(&state, &actor, &slug).await?;
    require(&actor, Action::ReadMembers { org: org.id })?;
    Ok(Json(state.catalog.members(org.id).await?))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// `admin`, `editor` or `member`.
    pub role: String,
}

/// Add a member or change their role (organization admins).
#[utoipa::path(put, path = "/organizations/{slug}/members/{user}", tag = "organizations",
    params(("slug" = String, Path), ("user" = String, Path, description = "User name")), request_body = MemberInput,
    security(("token" = [])),
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((slug, user)): Path<(String, String)>,
    JsonBody(input): JsonBody<MemberInput>,
) -> ApiResult<Json<Membership>> {
    let org = find(&state, &actor, &slug).await?;
    require(&actor, Action::ManageOrganization { org: org.id })?;
    let role = Role::parse(&input.role)
        .ok_or_else(|| ApiError::Validation(FieldErrors::single("role", "invalid_role")))?;
    Ok(Json(state.set_member(&actor, &org, &user, role).await?))
}

/// Remove a member (organization admins).
#[utoipa::path(delete, path = "/organizations/{slug}/members/{user}", tag = "organizations",
    params(("slug" = String, Path), ("user" = String, Path)), security(("token" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_member(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((slug, user)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let org = find(&state, &actor, &slug).await?;
    state.remove_member(&actor, &org, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user: User,
    /// Role per organization slug.
    pub roles: std::collections::BTreeMap<String, Role>,
}

/// The authenticated user and their roles.
#[utoipa::path(get, path = "/me", tag = "organizations", security(("token" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub async fn me(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Me>> {
    let name = actor.user_name.clone().ok_or(ApiError::Unauthorized)?;
    let user = state
        .catalog
        .user(&name)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let mut roles = std::collections::BTreeMap::new();
    for (org_id, role) in &actor.roles {
        if let Some(o) = state
            .catalog
            .organization(&org_id.to_string(), &read_scope(&actor))
            .await?
        {
            roles.insert(o.slug, *role);
        }
    }
    Ok(Json(Me { user, roles }))
}
