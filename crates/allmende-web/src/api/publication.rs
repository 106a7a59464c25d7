//! A publication planned for a date, through the API: the same rules as the web form (only
//! datasets not yet public, within a year, with the release checklist before the first
//! publication), and at the due time the same gate as any publication.

use allmende_core::ReleaseChecklist;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::JsonBody;
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// A dataset's planned publication.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlannedPublication {
    /// The dataset's id.
    pub dataset: uuid::Uuid,
    /// When it becomes public (if the gate lets it then); `null` when none is planned.
    pub publish_at: Option<DateTime<Utc>>,
}

/// What planning a publication takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPublication {
    /// RFC 3339 time, in the future and at most a year ahead, e.g. `2027-01-15T08:00:00+01:00`.
    pub publish_at: DateTime<Utc>,
    /// Required when the dataset has never been public.
    #[serde(default)]
    pub release_checklist: Option<ReleaseChecklist>,
}

/// The planned publication of a dataset (those who may edit it); `publish_at` is `null` when
/// none is planned.
#[utoipa::path(get, path = "/datasets/{id}/publication", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug")), security(("token" = [])),
    responses((status = 200, body = PlannedPublication), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<PlannedPublication>> {
    let ds = state.editable_dataset(&actor, &id).await?;
    let plan = state.catalog.scheduled_publication(ds.id).await?;
    Ok(Json(PlannedPublication {
        dataset: ds.id,
        publish_at: plan.map(|p| p.due_at),
    }))
}

/// Plans (or re-plans) the publication of a draft or private dataset at a time. At that time
/// it passes the same checks as any publication (privacy findings); a refusal is written to
/// the audit log.
#[utoipa::path(put, path = "/datasets/{id}/publication", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug")), security(("token" = [])),
    request_body = PlanPublication,
    responses((status = 200, body = PlannedPublication), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn plan(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> ApiResult<Json<PlannedPublication>> {
    // Who asks comes before what they sent: a stranger learns nothing from a 422.
    let ds = state.editable_dataset(&actor, &id).await?;
    let body: PlanPublication = serde_json::from_value(body).map_err(|e| {
        let mut fe = allmende_core::FieldErrors::default();
        fe.add_arg("body", "invalid_body", Some(e.to_string()));
        ApiError::Validation(fe)
    })?;
    let plan = state
        .schedule_publication(
            &actor,
            &ds,
            body.publish_at,
            body.release_checklist.unwrap_or_default(),
        )
        .await?;
    Ok(Json(PlannedPublication {
        dataset: ds.id,
        publish_at: Some(plan.due_at),
    }))
}

/// Cancels a planned publication (204 whether or not one was planned).
#[utoipa::path(delete, path = "/datasets/{id}/publication", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug")), security(("token" = [])),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let ds = state.editable_dataset(&actor, &id).await?;
    state.cancel_publication(&actor, &ds).await?;
    Ok(StatusCode::NO_CONTENT)
}
