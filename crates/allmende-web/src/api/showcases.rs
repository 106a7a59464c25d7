//! Approved showcases as JSON (what others built with the data).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::CurrentActor;
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
    /// Its picture, when the proposal came with one.
    pub image_url: Option<String>,
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
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    Ok(Json(
        list.into_iter()
            .map(|s| ShowcaseDoc {
                image_url: s
                    .image_sha256
                    .as_ref()
                    .map(|_| format!("{base}/api/v1/showcases/{}/image", s.id)),
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

/// A showcase's picture (PNG, JPEG or WebP): an approved one's for anyone, a proposal's for
/// its moderators.
#[utoipa::path(get, path = "/showcases/{id}/image", tag = "datasets",
    params(("id" = uuid::Uuid, Path, description = "Showcase id")),
    responses((status = 200, description = "PNG, JPEG or WebP", content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/webp"))),
        (status = 404, body = crate::error::Problem)))]
pub async fn image(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let (showcase, sha, media) = state.showcase_image(&actor, id).await?;
    let public = showcase.status == allmende_catalog::ShowcaseStatus::Approved;
    let name = format!("{id}.{}", allmende_app::images::extension(&media));
    let modified = showcase.reviewed_at.unwrap_or(showcase.created_at);
    let mut res =
        super::download::serve_blob(&state, &headers, &sha, &media, &name, modified, public)
            .await?;
    let h = res.headers_mut();
    h.remove(header::CONTENT_DISPOSITION);
    // A picture, never a document: nothing in it runs, even opened on its own.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(res)
}
