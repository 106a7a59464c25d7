//! `/sql`: read-only SQL over all public tables, as JSON or as an export.

use std::sync::Arc;

use allmende_table::export::ExportFormat;
use allmende_table::query::ExportSource;
use allmende_work::Lane;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::common::*;
use crate::api::extract::{ApiQuery, JsonBody};
use crate::error::{ApiError, ApiResult};
use crate::heavy::{Client, admit};
use crate::i18n::Msg;
use crate::state::AppState;

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SqlParams {
    /// One read-only `SELECT`; tables are named by their `table_name`.
    pub sql: Option<String>,
    /// `json` (default, at most 10,000 rows) or an export format for the full result.
    pub format: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SqlBody {
    sql: String,
    format: Option<String>,
}

/// Read-only SQL over all public tables (joins across datasets allowed). GET with `?sql=`
/// or POST with `{"sql": …}` or a `text/plain` body.
#[utoipa::path(get, path = "/sql", tag = "data", params(SqlParams),
    responses((status = 200, description = "`{total: null, fields, records, next: null, truncated}`"),
        (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn sql_get(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(params): ApiQuery<SqlParams>,
) -> ApiResult<Response> {
    let sql = params
        .sql
        .ok_or_else(|| ApiError::BadRequest(Msg::new("param.sql_missing")))?;
    run_sql(&state, &client, &sql, params.format.as_deref()).await
}

#[utoipa::path(post, path = "/sql", tag = "data", request_body(content = Object, description = "{\"sql\": \"SELECT …\", \"format\": \"json\"}"),
    responses((status = 200, description = "Query result"), (status = 400, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn sql_post(
    State(state): State<AppState>,
    client: Client,
    ApiQuery(params): ApiQuery<SqlParams>,
    req: Request,
) -> ApiResult<Response> {
    let is_text = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain") || v.starts_with("application/sql"));
    let (sql, format) = if is_text {
        let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| ApiError::PayloadTooLarge(64 * 1024))?;
        let sql = String::from_utf8(bytes.to_vec())
            .map_err(|_| ApiError::BadRequest(Msg::new("param.sql_not_utf8")))?;
        (sql, params.format)
    } else {
        let JsonBody(body) = JsonBody::<SqlBody>::from_request(req, &state).await?;
        (body.sql, body.format.or(params.format))
    };
    run_sql(&state, &client, &sql, format.as_deref()).await
}

async fn run_sql(
    state: &AppState,
    client: &Client,
    sql: &str,
    format: Option<&str>,
) -> ApiResult<Response> {
    let lookup = Arc::new(state.public_tables().await?);
    if let Some(f) = format.filter(|f| *f != "json") {
        let format = ExportFormat::parse(f).ok_or_else(|| bad_format(f))?;
        let permit = admit(state, Lane::Export, client).await?;
        let body = state
            .tables
            .export(
                permit,
                ExportSource::Sql(lookup, sql.to_string()),
                format,
                None,
            )
            .await?;
        return Ok(export_response(
            body,
            format,
            &format!("abfrage{}", format.suffix()),
            true,
        ));
    }
    let permit = admit(state, Lane::Query, client).await?;
    let page = state.tables.sql(permit, lookup, sql).await?;
    let body = page_json(&page, None, &[("truncated", page.truncated.into())]);
    let mut resp = (StatusCode::OK, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
