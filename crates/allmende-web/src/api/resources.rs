use allmende_core::Resource;
use allmende_core::validate::ResourceInput;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::extract::{JsonBody, apply_patch};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::multipart::{self as upload, create_from_form};
use crate::state::AppState;
use allmende_app::access::{edit_action, require};

/// The resources of a dataset.
#[utoipa::path(get, path = "/datasets/{id}/resources", tag = "resources",
    params(("id" = String, Path, description = "UUID or slug")),
    responses((status = 200, body = Vec<Resource>), (status = 404, body = Problem)))]
pub async fn list_of_dataset(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Resource>>> {
    let ds = state.visible_dataset(&actor, &id).await?;
    Ok(Json(ds.resources.unwrap_or_default()))
}

/// Add a resource: `multipart/form-data` with a `file` field (plus `title`, `description`,
/// `format`, `license`), or JSON metadata with an external `url`.
#[utoipa::path(post, path = "/datasets/{id}/resources", tag = "resources",
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    request_body(content(
        (ResourceInput = "application/json"),
        (Object = "multipart/form-data")
    )),
    responses((status = 201, body = Resource), (status = 400, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let ds = state.visible_dataset(&actor, &id).await?;
    require(&actor, edit_action(&ds))?;
    let res = if upload::is_multipart(req.headers()) {
        let form = upload::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
        create_from_form(&state, &ds, form).await?
    } else {
        let JsonBody(input) = JsonBody::<ResourceInput>::from_request(req, &state).await?;
        state.add_resource(&ds, input, None).await?
    };
    let location = format!("/api/v1/resources/{}", res.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(res),
    )
        .into_response())
}

/// One resource.
#[utoipa::path(get, path = "/resources/{id}", tag = "resources",
    params(("id" = Uuid, Path)), responses((status = 200, body = Resource), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Resource>> {
    Ok(Json(state.visible_resource(&actor, &id).await?.0))
}

/// Change a resource's metadata (JSON merge patch). The file itself is replaced with
/// `PUT /resources/{id}/file`.
#[utoipa::path(patch, path = "/resources/{id}", tag = "resources", request_body = ResourceInput,
    params(("id" = Uuid, Path)), security(("token" = [])),
    responses((status = 200, body = Resource), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Value>,
) -> ApiResult<Json<Resource>> {
    let (res, ds) = state.editable_resource(&actor, &id).await?;
    let input = apply_patch(&allmende_app::App::resource_input(&res), &patch)?;
    Ok(Json(state.update_resource(&res, &ds, input).await?))
}

/// Remove a resource.
#[utoipa::path(delete, path = "/resources/{id}", tag = "resources",
    params(("id" = Uuid, Path)), security(("token" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let (res, ds) = state.editable_resource(&actor, &id).await?;
    state.catalog.delete_resource(res.id, ds.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the file (HTTP Range supported), or be redirected to an external resource.
#[utoipa::path(get, path = "/resources/{id}/download", tag = "resources",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The file"), (status = 206, description = "Part of the file"),
        (status = 303, description = "External resource"), (status = 404, body = Problem),
        (status = 416, body = Problem)))]
pub async fn download(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    if let Some(url) = &res.url {
        return Ok(Redirect::to(url).into_response());
    }
    let sha = res.sha256.as_deref().ok_or(ApiError::NotFound)?;
    // Scan before serve: a withheld file is for its organization only, until it is cleared.
    if res.withheld
        && !allmende_core::authz::decide(&actor, allmende_app::access::edit_action(&ds)).allowed()
    {
        return Err(ApiError::NotFound);
    }
    let public = allmende_app::access::is_public(&ds) && !res.withheld;
    super::download::serve_blob(
        &state,
        &headers,
        sha,
        res.media_type
            .as_deref()
            .unwrap_or("application/octet-stream"),
        res.file_name.as_deref().unwrap_or("download"),
        res.updated_at,
        public,
    )
    .await
}
