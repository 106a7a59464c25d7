//! Admission to heavy work (queries, exports, searches) from a request: who is asking — the
//! client's address — and in which lane. Handlers take a [`Client`] and call [`admit`] before
//! they touch the query engine or the search index; the permit travels with the work.

use std::convert::Infallible;

use allmende_work::{Lane, Permit};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::error::ApiResult;
use crate::state::AppState;

/// The requesting client, as the per-client share knows it.
#[derive(Debug, Clone)]
pub struct Client(pub String);

impl Client {
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        let connect = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>();
        Self(
            crate::auth::client_ip(&parts.headers, connect, state.settings.trust_proxy).to_string(),
        )
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Self::of(parts, state))
    }
}

/// A slot for `client` in `lane`, or 503/429 with `Retry-After`.
pub async fn admit(state: &AppState, lane: Lane, client: &Client) -> ApiResult<Permit> {
    Ok(state.tables.pool().admit(lane, &client.0).await?)
}

/// Related datasets a dataset page shows.
const RELATED: usize = 4;

/// Datasets like `ds` (its page's "related"), as a search: in the search lane, under the
/// query deadline; a page seen before at the same index position needs no slot.
pub async fn related(
    state: &AppState,
    client: &Client,
    ds: &allmende_core::Dataset,
    scope: allmende_core::authz::ReadScope,
) -> ApiResult<Vec<allmende_core::Dataset>> {
    // The same page again costs nothing: no slot needed.
    if let Some(hit) = state.search.cached_related(ds, &scope, RELATED) {
        return Ok(hit);
    }
    let permit = admit(state, Lane::Search, client).await?;
    let search = state.search.clone();
    let ds = ds.clone();
    let deadline = state.tables.limits().timeout;
    let result = state
        .tables
        .pool()
        .run(permit, deadline, async move {
            search.related(&ds, scope, RELATED).await
        })
        .await
        .map_err(allmende_table::query::QueryError::from)?;
    Ok(result?)
}

pub async fn search(
    state: &AppState,
    client: &Client,
    req: allmende_search::SearchRequest,
) -> ApiResult<allmende_search::SearchResult> {
    // A repeated search costs nothing: no slot needed.
    if let Some(hit) = state.search.cached(&req) {
        return Ok(hit);
    }
    let permit = admit(state, Lane::Search, client).await?;
    let search = state.search.clone();
    let deadline = state.tables.limits().timeout;
    let result = state
        .tables
        .pool()
        .run(permit, deadline, async move { search.search(req).await })
        .await
        .map_err(allmende_table::query::QueryError::from)?;
    Ok(result?)
}
