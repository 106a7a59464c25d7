//! Addresses that two front doors share, composed here so that neither imports the other:
//! `/dataset/{slug}` is the HTML page, or its DCAT-AP.de description when the extension or
//! the `Accept` header asks for RDF.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::error::ApiResult;
use crate::page::PageCtx;
use crate::state::AppState;

pub async fn dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    match crate::interop::dataset_rdf(&state, &headers, &slug).await? {
        Some(rdf) => Ok(rdf),
        None => crate::html::dataset_page(State(state), ctx, Path(slug)).await,
    }
}
