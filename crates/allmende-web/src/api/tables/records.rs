//! `GET /resources/{id}/records`: filtered, sorted, paged records as JSON or as an export.

use allmende_table::export::ExportFormat;
use allmende_table::query::RecordsQuery;
use allmende_work::Lane;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::common::*;
use crate::api::extract::ApiQuery;
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::heavy::{Client, admit};
use crate::i18n::Msg;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordsParams {
    /// Columns and aggregates, e.g. `Stadtteil, sum("Betrag") as summe`.
    pub select: Option<String>,
    /// A condition over the table's columns, e.g. `"Einwohner gesamt" > 1000 and Jahr = 2024`.
    #[serde(rename = "where")]
    pub filter: Option<String>,
    /// Words that must occur in some text column.
    pub q: Option<String>,
    pub group_by: Option<String>,
    /// e.g. `summe desc, Stadtteil`.
    pub order_by: Option<String>,
    /// Rows per page (default 100, at most 10,000; exports: all rows unless given).
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    /// From the previous page's `next`.
    pub cursor: Option<String>,
    /// `json` (default) or an export format: `csv`, `csv-de`, `ndjson`, `xlsx`, `parquet`.
    pub format: Option<String>,
    /// Count all matches (default true).
    pub total: Option<bool>,
    /// A table version (default: the served one).
    pub version: Option<i64>,
    /// Spatial tables: rows whose geometry intersects the box
    /// `min longitude,min latitude,max longitude,max latitude` (WGS 84), e.g.
    /// `10.08,48.83,10.11,48.85`.
    pub bbox: Option<String>,
}

impl RecordsParams {
    fn query(&self, max: usize, export: bool) -> ApiResult<RecordsQuery> {
        if let Some(l) = self.limit
            && l > max
            && !export
        {
            return Err(ApiError::BadRequest(
                Msg::new("param.limit").arg("max", max),
            ));
        }
        Ok(RecordsQuery {
            select: self.select.clone(),
            filter: self.filter.clone(),
            q: self.q.clone(),
            group_by: self.group_by.clone(),
            order_by: self.order_by.clone(),
            limit: if export {
                self.limit
            } else {
                Some(self.limit.unwrap_or(100))
            },
            offset: self.offset.unwrap_or(0),
            cursor: self.cursor.clone(),
            total: self.total.unwrap_or(true),
            limit_cap: None,
            bbox: self.bbox.as_deref().map(parse_bbox).transpose()?,
            with_row_id: false,
            cql2: None,
        })
    }
}

/// Records of a resource's table: filter, aggregate, sort, page; `format=` streams an export.
#[utoipa::path(get, path = "/resources/{id}/records", tag = "data",
    params(("id" = Uuid, Path), RecordsParams),
    responses((status = 200, description = "`{total, fields, records, next}`"), (status = 400, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn records(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    client: Client,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<RecordsParams>,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    let t = version_table(&state, &actor, &res, &ds, params.version).await?;
    if let Some(f) = params.format.as_deref().filter(|f| *f != "json") {
        let format = ExportFormat::parse(f).ok_or_else(|| bad_format(f))?;
        let q = params.query(state.tables.limits().max_rows, true)?;
        return stream_export(
            &state,
            &client,
            &t,
            q,
            format.into(),
            &ds,
            &file_base(&res, &t),
        )
        .await;
    }
    let q = params.query(state.tables.limits().max_rows, false)?;
    let permit = admit(&state, Lane::Query, &client).await?;
    let page = state.tables.records(permit, &t, &q).await?;
    let next = page.next.as_ref().map(|c| {
        let mut url = format!("{}/api/v1/resources/{}/records?", api_base(&state), res.id);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        for (k, v) in [
            ("select", &params.select),
            ("where", &params.filter),
            ("q", &params.q),
            ("group_by", &params.group_by),
            ("order_by", &params.order_by),
        ] {
            if let Some(v) = v {
                pairs.push((k, v.clone()));
            }
        }
        pairs.push(("limit", q.limit.unwrap_or(100).to_string()));
        pairs.push(("cursor", c.clone()));
        if let Some(v) = params.version {
            pairs.push(("version", v.to_string()));
        }
        url.push_str(
            &pairs
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("&"),
        );
        url
    });
    let body = page_json(&page, next, &[]);
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if allmende_app::access::is_public(&ds) {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
    }
    Ok(resp)
}
