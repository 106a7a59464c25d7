//! Approved showcases as JSON (what others built with the data).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::ApiQuery;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShowcaseParams {
    /// Only showcases that use this dataset (slug or id).
    pub dataset: Option<String>,
}

/// A public dataset a showcase uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShowcaseDatasetDoc {
    pub slug: String,
    pub title: String,
}

/// An approved showcase.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShowcaseDoc {
    pub id: uuid::Uuid,
    pub title: String,
    /// The app, visualisation or article.
    pub url: String,
    pub description: String,
    /// Who proposed it (their e-mail address is never published).
    pub submitter_name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub datasets: Vec<ShowcaseDatasetDoc>,
}

/// Approved showcases, newest first (at most 500); `dataset` narrows to those using it.
#[utoipa::path(get, path = "/showcases", tag = "datasets", params(ShowcaseParams),
    responses((status = 200, body = Vec<ShowcaseDoc>), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ShowcaseParams>,
) -> ApiResult<Json<Vec<ShowcaseDoc>>> {
    // Only a public dataset can be asked for: the answer does not reveal private ones.
    let dataset = match params.dataset.as_deref() {
        Some(d) => match state.catalog.dataset(d).await? {
            Some(ds) if allmende_app::access::is_public(&ds) => Some(ds.id),
            _ => return Err(ApiError::NotFound),
        },
        None => None,
    };
    let list = state.showcases(dataset, 500).await?;
    Ok(Json(
        list.into_iter()
            .map(|s| ShowcaseDoc {
                id: s.id,
                title: s.title,
                url: s.url,
                description: s.description,
                submitter_name: s.submitter_name,
                created_at: s.created_at,
                datasets: s
                    .datasets
                    .into_iter()
                    .map(|d| ShowcaseDatasetDoc {
                        slug: d.slug,
                        title: d.title,
                    })
                    .collect(),
            })
            .collect(),
    ))
}
