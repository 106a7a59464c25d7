//! What a map shows of a large spatial table in its current view: the features themselves
//! while there are few, else their counts in a grid (clusters), so that a layer of half a
//! million points pans and zooms as smoothly as one of a hundred.

use allmende_table::query::RecordsQuery;
use allmende_work::Lane;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::common::*;
use crate::api::extract::ApiQuery;
use crate::auth::CurrentActor;
use crate::error::ApiResult;
use crate::heavy::{Client, admit};
use crate::state::AppState;

/// Features a view shows one by one; more are counted in the grid.
const DETAIL: usize = 1_000;
/// The grid over a view unless the map says its size in cells (about 64 pixels each on a
/// typical map), and the most cells a view may ask for.
const COLUMNS: u32 = 16;
const ROWS: u32 = 10;
const MAX_CELLS: u32 = 64;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapParams {
    /// The view (required): `min longitude,min latitude,max longitude,max latitude` (WGS 84).
    pub bbox: Option<String>,
    /// The grid's columns and rows when features are counted (1–64; default 16 × 10).
    pub columns: Option<u32>,
    pub rows: Option<u32>,
}

/// The features in a map's view: a GeoJSON FeatureCollection of the features themselves (with
/// their attributes) when at most 1,000 intersect the view, else of grid cells, each a point
/// at its features' mean position with `count` (and `clustered: true` on the collection).
#[utoipa::path(get, path = "/resources/{id}/map", tag = "data",
    params(("id" = Uuid, Path), MapParams),
    responses((status = 200, description = "GeoJSON FeatureCollection with `matched` and `clustered`"),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn map_view(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: Client,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<MapParams>,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    let t = version_table(&state, &actor, &res, &ds, None).await?;
    // Asked after the visibility check: a stranger learns nothing from a 400.
    let bbox = parse_bbox(params.bbox.as_deref().unwrap_or(""))?;
    let q = RecordsQuery {
        bbox: Some(bbox),
        limit: Some(DETAIL),
        total: true,
        ..Default::default()
    };
    let permit = admit(&state, Lane::Query, &client).await?;
    let page = state.tables.records(permit, &t, &q).await?;
    let matched = page.total.unwrap_or(0);
    let body = if matched as usize <= DETAIL {
        let geometry = t.geometry().map(|c| c.name.clone());
        json!({
            "type": "FeatureCollection",
            "matched": matched,
            "clustered": false,
            "features": allmende_table::query::json::features(&page.schema, &page.batches, geometry.as_deref()),
        })
    } else {
        let permit = admit(&state, Lane::Query, &client).await?;
        let size = |v: Option<u32>, default: u32| v.unwrap_or(default).clamp(1, MAX_CELLS);
        let (columns, rows) = (size(params.columns, COLUMNS), size(params.rows, ROWS));
        let cells = state.tables.grid(permit, &t, bbox, columns, rows).await?;
        let features: Vec<Value> = cells
            .iter()
            .map(|c| {
                json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [c.x, c.y]},
                    "properties": {"count": c.count}})
            })
            .collect();
        json!({"type": "FeatureCollection", "matched": matched, "clustered": true, "features": features})
    };
    let mut resp = axum::Json(body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(resp)
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewParams {
    /// `small` (640 × 400, the default) or `large` (1200 × 630, for link previews).
    pub size: Option<String>,
}

/// A static picture of every feature on a plain background (no tiles): for the dataset page
/// without JavaScript and for link previews (`og:image`). Two sizes only, so that each served
/// table is drawn at most twice (the images are kept per table version).
#[utoipa::path(get, path = "/resources/{id}/overview.png", tag = "data",
    params(("id" = Uuid, Path), OverviewParams),
    responses((status = 200, description = "PNG image", content_type = "image/png"),
        (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn overview(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: Client,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<OverviewParams>,
) -> ApiResult<Response> {
    let (res, _) = state.visible_resource(&actor, &id).await?;
    let (t, v) = state.served(&res).await?;
    let bbox: [f64; 4] = v
        .report
        .as_ref()
        .and_then(|r| r.pointer("/dialect/bbox"))
        .and_then(|b| serde_json::from_value(b.clone()).ok())
        .ok_or_else(|| {
            crate::error::ApiError::BadRequest(allmende_core::i18n::Msg::new(
                "overview.not_spatial",
            ))
        })?;
    let (width, height) = match params.size.as_deref() {
        None | Some("small") => (640, 400),
        Some("large") => (1200, 630),
        Some(other) => {
            return Err(crate::error::ApiError::BadRequest(
                allmende_core::i18n::Msg::new("param.ogc")
                    .arg("param", "size")
                    .arg("value", other),
            ));
        }
    };
    let permit = admit(&state, Lane::Query, &client).await?;
    let png = state
        .tables
        .overview(permit, &t, bbox, width, height)
        .await?;
    let mut resp = png.as_ref().clone().into_response();
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // The served version changes only by a new upload; a short lifetime keeps it fresh, and
    // only the browser keeps it (a draft's picture is its publisher's).
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=300"),
    );
    Ok(resp)
}
