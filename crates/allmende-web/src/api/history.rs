//! A dataset's metadata history for its publishers, and restoring an earlier revision.

use allmende_app::history::HistoryEntry;
use allmende_core::Dataset;
use axum::Json;
use axum::extract::{Path, State};

use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

/// The newest 100 revisions of a dataset's metadata, newest first: who, when, and each field
/// that changed against the revision before (members of its organization).
#[utoipa::path(get, path = "/datasets/{id}/history", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug")), security(("token" = [])),
    responses((status = 200, description = "Revisions, newest first, with field-level changes"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn history(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<HistoryEntry>>> {
    let (_, entries) = state.dataset_history(&actor, &id).await?;
    Ok(Json(entries))
}

/// Puts an earlier revision's metadata back as a new revision; the visibility stays as it is.
#[utoipa::path(post, path = "/datasets/{id}/history/{revision}/restore", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug"), ("revision" = i64, Path)),
    security(("token" = [])),
    responses((status = 200, body = Dataset), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn restore(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path((id, revision)): Path<(String, String)>,
) -> ApiResult<Json<Dataset>> {
    let revision: i64 = revision.parse().map_err(|_| ApiError::NotFound)?;
    Ok(Json(state.restore_revision(&actor, &id, revision).await?))
}
