use allmende_catalog::NewResource;
use allmende_core::authz::Actor;
use allmende_core::validate::ResourceInput;
use allmende_core::{Dataset, FieldErrors, ProcessingStatus, Resource, vocab};
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use uuid::Uuid;

use super::upload::{self, MultipartForm};
use super::{JsonBody, apply_patch, edit_action, require, visible_dataset};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A resource and its dataset, if the actor may see the dataset.
pub async fn visible_resource(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<(Resource, Dataset)> {
    let id = Uuid::parse_str(id).map_err(|_| ApiError::NotFound)?;
    let res = state
        .catalog
        .resource(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let ds = visible_dataset(state, actor, &res.dataset_id.to_string()).await?;
    Ok((res, ds))
}

/// Creates a resource from a multipart form (`file` plus metadata fields) or from resource
/// metadata with an external `url`. Shared by the API and the publisher pages.
pub async fn create_from_form(
    state: &AppState,
    ds: &Dataset,
    form: MultipartForm,
) -> ApiResult<Resource> {
    let input = ResourceInput {
        title: form.text("title"),
        description: form.text("description"),
        url: form.text("url"),
        format: form.text("format"),
        license: form.text("license"),
        position: match form.text("position") {
            Some(p) => Some(p.trim().parse().map_err(|_| {
                ApiError::Validation(FieldErrors::single("position", "out_of_range"))
            })?),
            None => None,
        },
    };
    match form.file {
        Some(file) => {
            if input.url.is_some() {
                return Err(ApiError::Validation(FieldErrors::single(
                    "url",
                    "url_with_file",
                )));
            }
            let fields = input
                .validate(Some(&file.file_name))
                .map_err(ApiError::Validation)?;
            let stored = upload::commit_upload(state, file).await?;
            let format = fields.format.clone().or(stored.format.clone());
            let media_type = match &fields.format {
                Some(f) => vocab::file_type(f).map(|t| t.media_type.to_string()),
                None => stored.media_type.clone(),
            };
            let new = NewResource {
                fields,
                file: Some(stored.file.clone()),
                format,
                media_type,
                status: ProcessingStatus::None,
            };
            match state.catalog.create_resource(ds.id, &new).await {
                Ok(r) if super::tables::is_tabular(&r) => {
                    super::tables::schedule(state, &r, &Default::default()).await?;
                    Ok(state.catalog.resource(r.id).await?.unwrap_or(r))
                }
                Ok(r) => Ok(r),
                Err(e) => {
                    upload::discard_if_unused(state, &stored).await;
                    Err(e.into())
                }
            }
        }
        None => create_link(state, ds, input).await,
    }
}

async fn create_link(state: &AppState, ds: &Dataset, input: ResourceInput) -> ApiResult<Resource> {
    let fields = input.validate(None).map_err(ApiError::Validation)?;
    if fields.url.is_none() {
        return Err(ApiError::Validation(FieldErrors::single(
            "file",
            "file_or_url",
        )));
    }
    let format = fields.format.clone().or_else(|| {
        fields
            .url
            .as_deref()
            .and_then(|u| u.split(['?', '#']).next())
            .and_then(|p| p.rsplit_once('.'))
            .and_then(|(_, ext)| vocab::file_type_by_extension(ext))
            .map(|t| t.code.to_string())
    });
    let media_type = format
        .as_deref()
        .and_then(vocab::file_type)
        .map(|t| t.media_type.to_string());
    let new = NewResource {
        fields,
        file: None,
        format,
        media_type,
        status: ProcessingStatus::None,
    };
    Ok(state.catalog.create_resource(ds.id, &new).await?)
}

/// The resources of a dataset.
#[utoipa::path(get, path = "/datasets/{id}/resources", tag = "resources",
    params(("id" = String, Path, description = "UUID or slug")),
    responses((status = 200, body = Vec<Resource>), (status = 404, body = Problem)))]
pub async fn list_of_dataset(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Resource>>> {
    let ds = visible_dataset(&state, &actor, &id).await?;
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
    let ds = visible_dataset(&state, &actor, &id).await?;
    require(&actor, edit_action(&ds))?;
    let res = if upload::is_multipart(req.headers()) {
        let form = upload::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
        create_from_form(&state, &ds, form).await?
    } else {
        let JsonBody(input) = JsonBody::<ResourceInput>::from_request(req, &state).await?;
        create_link(&state, &ds, input).await?
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
    Ok(Json(visible_resource(&state, &actor, &id).await?.0))
}

/// Change a resource's metadata (JSON merge patch). The file itself is immutable: upload a
/// new resource to replace it.
#[utoipa::path(patch, path = "/resources/{id}", tag = "resources", request_body = ResourceInput,
    params(("id" = Uuid, Path)), security(("token" = [])),
    responses((status = 200, body = Resource), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Value>,
) -> ApiResult<Json<Resource>> {
    let (res, ds) = visible_resource(&state, &actor, &id).await?;
    require(&actor, edit_action(&ds))?;
    let current = ResourceInput {
        title: Some(res.title.clone()),
        description: Some(res.description.clone()),
        url: res.url.clone(),
        format: res.format.clone(),
        license: res.license.clone(),
        position: Some(res.position),
    };
    let input = apply_patch(&current, &patch)?;
    if res.url.is_none() && input.url.is_some() {
        return Err(ApiError::Validation(FieldErrors::single(
            "url",
            "url_with_file",
        )));
    }
    if res.url.is_some() && input.url.is_none() {
        return Err(ApiError::Validation(FieldErrors::single("url", "required")));
    }
    let fields = input.validate(None).map_err(ApiError::Validation)?;
    let media_type = media_type_after(&res, fields.format.as_deref());
    Ok(Json(
        state
            .catalog
            .update_resource(res.id, ds.id, &fields, media_type.as_deref())
            .await?,
    ))
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
    let (res, ds) = visible_resource(&state, &actor, &id).await?;
    require(&actor, edit_action(&ds))?;
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
    let (res, ds) = visible_resource(&state, &actor, &id).await?;
    if let Some(url) = &res.url {
        return Ok(Redirect::to(url).into_response());
    }
    let sha = res.sha256.as_deref().ok_or(ApiError::NotFound)?;
    let public = ds.visibility == allmende_core::Visibility::Public && !ds.deleted;
    super::serve_blob(
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

/// A resource's media type once its format is set to `format`: kept while the format stays
/// (it may be more precise, detected from the file), else the file type's own.
pub fn media_type_after(res: &Resource, format: Option<&str>) -> Option<String> {
    if format == res.format.as_deref() {
        res.media_type.clone()
    } else {
        format
            .and_then(vocab::file_type)
            .map(|t| t.media_type.to_string())
    }
}
