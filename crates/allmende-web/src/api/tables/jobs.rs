//! Reading a resource again, replacing its file, and the ingestion jobs that follow.

use allmende_core::Resource;
use allmende_table::IngestOptions;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::common::*;
use crate::api::extract::JsonBody;
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{Msg, render_stored};
use crate::multipart as upload;
use crate::state::AppState;

/// Read the resource's file again, or fetch and read a link's URL (public addresses only,
/// size and time limited), with optional settings that override the detection (encoding,
/// delimiter, header row, sheet, decimal style, column types). Answers 202 with the job.
#[utoipa::path(post, path = "/resources/{id}/ingest", tag = "data",
    params(("id" = Uuid, Path)), security(("token" = [])),
    request_body(content = Object, description = "IngestOptions: format, encoding, delimiter, header_row, sheet, decimal (german|point), types {column: type}"),
    responses((status = 202, description = "Queued"), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn ingest(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let (res, _) = state.editable_resource(&actor, &id).await?;
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v != "0");
    let options = if has_body {
        let JsonBody(o) = JsonBody::<IngestOptions>::from_request(req, &state).await?;
        o
    } else {
        IngestOptions::default()
    };
    if let Err(m) = options.validate() {
        return Err(ApiError::BadRequest(m));
    }
    let v = state.schedule_ingest(&res, &options).await?;
    Ok(accepted(&state, &v))
}

/// Replace a resource's file (multipart `file`): a tabular file becomes a new table version;
/// the previous version keeps serving until the new one is complete.
#[utoipa::path(put, path = "/resources/{id}/file", tag = "data",
    params(("id" = Uuid, Path)), security(("token" = [])),
    request_body(content = Object, content_type = "multipart/form-data"),
    responses((status = 200, body = Resource), (status = 202, description = "Stored; table version queued"),
        (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem)))]
pub async fn replace_file(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let (res, ds) = state.editable_resource(&actor, &id).await?;
    if !upload::is_multipart(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(Msg::new(
            "media.multipart_file",
        )));
    }
    let form = upload::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
    let file = form
        .file
        .ok_or_else(|| ApiError::BadRequest(Msg::new("param.file_missing")))?;
    let (res, version) = state.replace_file(&res, &ds, file).await?;
    match version {
        Some(v) => Ok(accepted(&state, &v)),
        None => Ok(Json(res).into_response()),
    }
}

/// An ingestion job: status, attempts, error, rows read so far.
#[utoipa::path(get, path = "/jobs/{id}", tag = "data",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The job"), (status = 404, body = crate::error::Problem)))]
pub async fn job(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let v = state
        .catalog
        .table_version_by_job(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (res, _) = state
        .visible_resource(&actor, &v.resource_id.to_string())
        .await?;
    let (status, attempts, error) = state
        .catalog
        .job_status(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let lang = crate::i18n::current_lang();
    Ok(Json(serde_json::json!({
        "id": id,
        "kind": "ingest",
        "status": status,
        "attempts": attempts,
        "error": error.map(|e| render_stored(lang, &e)),
        "resource": res.id,
        "version": v.version,
        "version_status": v.status,
        "progress_rows": v.progress_rows,
        "rows": v.row_count,
        "message": v.message.map(|m| render_stored(lang, &m)),
        "table": format!("{}/api/v1/resources/{}/table", api_base(&state), res.id),
    })))
}
