//! `GET /api/v1/datasets`: the dataset search as JSON.

use axum::Json;
use axum::extract::{RawQuery, State};

use crate::auth::CurrentActor;
use crate::error::{ApiResult, Problem};
use crate::i18n;
use crate::search::{SearchPage, SearchParams, run};
use crate::state::AppState;

/// Search the datasets the caller may see: German full text (stemming, umlaut spellings,
/// synonyms, typo tolerance, `"phrases"`, `-exclusions`) with facets. Repeat a facet parameter
/// to select several values (OR); different facets combine with AND.
#[utoipa::path(get, path = "/datasets", tag = "datasets", params(ListParams),
    responses((status = 200, body = SearchPage), (status = 400, body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: crate::heavy::Client,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<SearchPage>> {
    let p = SearchParams::parse(raw.as_deref(), true)?;
    let (result, facets) = run(&state, &client, &actor, &p, i18n::current_lang()).await?;
    Ok(Json(SearchPage {
        total: result.total,
        page: p.page,
        per_page: p.per_page,
        items: result.hits.into_iter().map(|h| h.dataset).collect(),
        facets,
        suggestion: result.suggestion,
    }))
}

/// The search parameters, for the OpenAPI document (parsed by hand: facets repeat).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ListParams {
    /// Search words, `"phrases"`, `-excluded` words.
    pub q: Option<String>,
    /// Organization slug (repeatable).
    pub organization: Option<String>,
    /// EU theme code (repeatable).
    pub theme: Option<String>,
    /// Keyword (repeatable).
    pub keyword: Option<String>,
    /// EU file-type code of a resource (repeatable).
    pub format: Option<String>,
    /// Licence id (repeatable).
    pub license: Option<String>,
    /// `table`: only datasets with a table served by the records, SQL and export APIs.
    pub data: Option<String>,
    /// `relevance` (default with `q`), `modified` (default otherwise), `title`, `issued`.
    pub sort: Option<String>,
    pub page: Option<i64>,
    /// 1–100, default 20.
    pub per_page: Option<i64>,
    /// Language of messages (`de`, `en`); the middleware reads it.
    pub lang: Option<String>,
}
