use allmende_core::authz::Action;
use allmende_core::validate::DatasetInput;
use allmende_core::{Change, Dataset};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::{ApiQuery, JsonBody, apply_patch};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::i18n::Msg;
use crate::state::AppState;
use allmende_app::access::{edit_action, require};

/// Create a dataset.
#[utoipa::path(post, path = "/datasets", tag = "datasets", request_body = DatasetInput,
    security(("token" = [])),
    responses((status = 201, body = Dataset), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    JsonBody(input): JsonBody<DatasetInput>,
) -> ApiResult<impl IntoResponse> {
    let ds = state.create_dataset(&actor, input).await?;
    let location = format!("/api/v1/datasets/{}", ds.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(ds),
    ))
}

/// One dataset by id or slug, with its resources.
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "UUID or slug")),
    responses((status = 200, body = Dataset), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Dataset>> {
    Ok(Json(state.visible_dataset(&actor, &id).await?))
}

async fn store(
    state: &AppState,
    actor: &allmende_core::authz::Actor,
    current: &Dataset,
    input: DatasetInput,
) -> ApiResult<Dataset> {
    Ok(state.update_dataset(actor, current, input).await?)
}

/// Replace a dataset's metadata (omitted optional fields are cleared).
#[utoipa::path(put, path = "/datasets/{id}", tag = "datasets", request_body = DatasetInput,
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 404, body = Problem),
        (status = 409, description = "Personal data found by the privacy check blocks making the dataset public (`/problems/privacy-findings`, with `findings`)", body = Problem),
        (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DatasetInput>,
) -> ApiResult<Json<Dataset>> {
    let current = state.visible_dataset(&actor, &id).await?;
    require(&actor, edit_action(&current))?;
    Ok(Json(store(&state, &actor, &current, input).await?))
}

/// Change some fields (JSON merge patch, RFC 7396).
#[utoipa::path(patch, path = "/datasets/{id}", tag = "datasets", request_body = DatasetInput,
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 404, body = Problem),
        (status = 409, description = "Personal data found by the privacy check blocks making the dataset public (`/problems/privacy-findings`, with `findings`)", body = Problem),
        (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Value>,
) -> ApiResult<Json<Dataset>> {
    let current = state.visible_dataset(&actor, &id).await?;
    require(&actor, edit_action(&current))?;
    let input = apply_patch(&DatasetInput::from(&current), &patch)?;
    Ok(Json(store(&state, &actor, &current, input).await?))
}

/// Delete a dataset (soft: editors can restore it).
#[utoipa::path(delete, path = "/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let current = state.visible_dataset(&actor, &id).await?;
    require(&actor, edit_action(&current))?;
    if current.deleted {
        return Err(ApiError::NotFound);
    }
    state.catalog.set_dataset_deleted(current.id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Restore a deleted dataset.
#[utoipa::path(post, path = "/datasets/{id}/restore", tag = "datasets",
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 404, body = Problem)))]
pub async fn restore(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Dataset>> {
    let current = state.visible_dataset(&actor, &id).await?;
    require(&actor, edit_action(&current))?;
    state.catalog.set_dataset_deleted(current.id, false).await?;
    Ok(Json(
        state
            .visible_dataset(&actor, &current.id.to_string())
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeParams {
    /// Return changes with a sequence number greater than this.
    pub since: Option<i64>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<i64>,
}

/// The catalog change log (sysadmins).
#[utoipa::path(get, path = "/changes", tag = "datasets", params(ChangeParams), security(("token" = [])),
    responses((status = 200, body = Vec<Change>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn changes(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(p): ApiQuery<ChangeParams>,
) -> ApiResult<Json<Vec<Change>>> {
    require(&actor, Action::ManageUsers)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(
            Msg::new("param.limit").arg("max", 1000),
        ));
    }
    Ok(Json(
        state
            .catalog
            .changes_since(p.since.unwrap_or(0), limit)
            .await?,
    ))
}
