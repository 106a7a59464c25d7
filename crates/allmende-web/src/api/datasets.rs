use allmende_core::authz::{Action, read_scope};
use allmende_core::validate::{DatasetFields, DatasetInput};
use allmende_core::{Change, Dataset, FieldErrors};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ApiQuery, JsonBody, apply_patch, edit_action, require, visible_dataset};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// Validates input and resolves the organization, checking the caller may publish there.
pub async fn prepare(
    state: &AppState,
    actor: &allmende_core::authz::Actor,
    input: DatasetInput,
) -> ApiResult<(DatasetFields, uuid::Uuid)> {
    let org_given = input.organization.clone();
    let fields = input.validate();
    let org = match org_given
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(slug) => state.catalog.organization(slug, &read_scope(actor)).await?,
        None => None,
    };
    // Who may publish here comes first: a caller without the right learns that, not which
    // fields are missing.
    if let Some(org) = &org {
        require(actor, Action::CreateDataset { org: org.id })?;
    }
    let mut errors = match &fields {
        Ok(_) => FieldErrors::default(),
        Err(e) => e.clone(),
    };
    if org.is_none() && org_given.as_deref().is_some_and(|s| !s.trim().is_empty()) {
        errors.add_arg("organization", "unknown_organization", org_given.clone());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (Ok(fields), Some(org)) = (fields, org) else {
        return Err(ApiError::Internal("validation state".into()));
    };
    Ok((fields, org.id))
}

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
    if !actor.is_authenticated() {
        return Err(ApiError::Unauthorized);
    }
    let (fields, org_id) = prepare(&state, &actor, input).await?;
    let ds = state.catalog.create_dataset(&fields, org_id).await?;
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
    Ok(Json(visible_dataset(&state, &actor, &id).await?))
}

async fn store(
    state: &AppState,
    actor: &allmende_core::authz::Actor,
    current: &Dataset,
    input: DatasetInput,
) -> ApiResult<Dataset> {
    let (fields, org_id) = prepare(state, actor, input).await?;
    Ok(state
        .catalog
        .update_dataset(current.id, &fields, org_id)
        .await?)
}

/// Replace a dataset's metadata (omitted optional fields are cleared).
#[utoipa::path(put, path = "/datasets/{id}", tag = "datasets", request_body = DatasetInput,
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn replace(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<DatasetInput>,
) -> ApiResult<Json<Dataset>> {
    let current = visible_dataset(&state, &actor, &id).await?;
    require(&actor, edit_action(&current))?;
    Ok(Json(store(&state, &actor, &current, input).await?))
}

/// Change some fields (JSON merge patch, RFC 7396).
#[utoipa::path(patch, path = "/datasets/{id}", tag = "datasets", request_body = DatasetInput,
    params(("id" = String, Path, description = "UUID or slug")), security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn patch(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(patch): JsonBody<serde_json::Value>,
) -> ApiResult<Json<Dataset>> {
    let current = visible_dataset(&state, &actor, &id).await?;
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
    let current = visible_dataset(&state, &actor, &id).await?;
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
    let current = visible_dataset(&state, &actor, &id).await?;
    require(&actor, edit_action(&current))?;
    state.catalog.set_dataset_deleted(current.id, false).await?;
    Ok(Json(
        visible_dataset(&state, &actor, &current.id.to_string()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
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
            "limit must be between 1 and 1000".into(),
        ));
    }
    Ok(Json(
        state
            .catalog
            .changes_since(p.since.unwrap_or(0), limit)
            .await?,
    ))
}
