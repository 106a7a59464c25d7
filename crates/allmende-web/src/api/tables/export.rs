//! Exports of a table in every format, and the original file of a version.

use allmende_table::export::ExportFormat;
use allmende_table::query::RecordsQuery;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::common::*;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::heavy::Client;
use crate::i18n::Msg;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// A table version (default: the served one).
    pub version: Option<i64>,
    /// GeoJSON only: the CRS of the coordinates (`EPSG:25832`, `EPSG:31467`, `EPSG:3857`, …;
    /// default WGS 84 longitude/latitude as RFC 7946 has it).
    pub crs: Option<String>,
    /// Only the rows matching this condition (the records API's `where`), e.g.
    /// `"Einwohner gesamt" > 1000`.
    #[serde(rename = "where")]
    pub filter: Option<String>,
    /// Row order (the records API's `order_by`), e.g. `Jahr desc`.
    pub order_by: Option<String>,
}

/// The whole table in one format, streamed: `csv`, `csv-de` (Excel in German: `;`, decimal
/// comma, BOM), `json`, `ndjson`, `xlsx`, `parquet` (GeoParquet for spatial tables); for
/// spatial tables also `geojson` (with `crs`), `kml`, `gpx`, `gpkg` (GeoPackage with a spatial
/// index), `fgb` (FlatGeobuf) and `shp` (Shapefile ZIP).
#[utoipa::path(get, path = "/resources/{id}/export/{format}", tag = "data",
    params(("id" = Uuid, Path), ("format" = String, Path), ExportParams),
    responses((status = 200, description = "The table in the format"), (status = 400, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn export_table(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: Client,
    Path((id, format)): Path<(String, String)>,
    ApiQuery(params): ApiQuery<ExportParams>,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    let format = ExportFormat::parse(&format).ok_or_else(|| bad_format(&format))?;
    let crs = match params.crs.as_deref() {
        None => None,
        Some(c) if format == ExportFormat::GeoJson => {
            Some(allmende_table::geo::Crs::parse(c).ok_or_else(|| {
                ApiError::BadRequest(Msg::new("export.unknown_crs").arg("crs", c))
            })?)
        }
        Some(_) => return Err(ApiError::BadRequest(Msg::new("export.crs_geojson_only"))),
    };
    let t = version_table(&state, &actor, &res, &ds, params.version).await?;
    let base = file_base(&res, &t);
    stream_export(
        &state,
        &client,
        &t,
        RecordsQuery {
            filter: params.filter,
            order_by: params.order_by,
            ..RecordsQuery::default()
        },
        ExportTarget { format, crs },
        &ds,
        &base,
    )
    .await
}

/// The original upload a table version was made from.
#[utoipa::path(get, path = "/resources/{id}/versions/{version}/source", tag = "data",
    params(("id" = Uuid, Path), ("version" = i64, Path)),
    responses((status = 200, description = "The original file"), (status = 404, body = crate::error::Problem)))]
pub async fn version_source(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, version)): ApiPath<(String, i64)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    let v = state.table_version_for(&actor, &res, &ds, version).await?;
    if v.source_sha256.is_empty() {
        // A link whose fetch has not succeeded yet.
        return Err(ApiError::NotFound);
    }
    let name = v.source_name.clone().unwrap_or_else(|| "download".into());
    let media = res
        .media_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    crate::api::download::serve_blob(
        &state,
        &headers,
        &v.source_sha256,
        &media,
        &name,
        v.created_at,
        allmende_app::access::is_public(&ds),
    )
    .await
}
