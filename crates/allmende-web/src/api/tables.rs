//! The data plane over HTTP: a resource's table (columns, statistics, versions), its records,
//! exports in every format, the read-only SQL API, re-ingestion and ingestion jobs.

use std::sync::Arc;

use allmende_catalog::TableVersion;
use allmende_core::{Dataset, Resource};
use allmende_table::export::{ExportBody, ExportFormat, XLSX_MAX_ROWS};
use allmende_table::query::{ExportSource, RecordsPage, RecordsQuery, TableRef, fields_of, json};
use allmende_table::{Column, IngestOptions};
use allmende_work::Lane;
use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::{ApiQuery, JsonBody};
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::heavy::{Client, admit};
use crate::multipart as upload;
use crate::state::AppState;
use allmende_app::access::{edit_action, require};

fn api_base(state: &AppState) -> &str {
    state.settings.public_url.trim_end_matches('/')
}

/// The export links of a table.
pub fn export_links(state: &AppState, res: &Resource) -> Vec<serde_json::Value> {
    ExportFormat::ALL
        .iter()
        .map(|f| {
            serde_json::json!({
                "format": f.id(),
                "media_type": f.media_type(),
                "url": format!("{}/api/v1/resources/{}/export/{}", api_base(state), res.id, f.id()),
            })
        })
        .collect()
}

/// Table of a resource: columns with types and statistics, Table Schema, detection, versions.
#[utoipa::path(get, path = "/resources/{id}/table", tag = "data",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "Columns, statistics, versions and export links"), (status = 404, body = crate::error::Problem)))]
pub async fn show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (res, _ds) = state.visible_resource(&actor, &id).await?;
    let versions = state.catalog.table_versions_of(res.id).await?;
    if versions.is_empty() {
        return Err(ApiError::NotFound);
    }
    let serving = versions.iter().find(|v| Some(v.id) == res.table_version);
    let base = api_base(&state);
    let version_list: Vec<serde_json::Value> = versions
        .iter()
        .map(|v| {
            serde_json::json!({
                "version": v.version,
                "status": v.status,
                "rows": v.row_count,
                "progress_rows": v.progress_rows,
                "message": v.message,
                "job": v.job_id.map(|j| format!("{base}/api/v1/jobs/{j}")),
                "source": format!("{base}/api/v1/resources/{}/versions/{}/source", res.id, v.version),
                "parquet": (v.status == "done").then(|| format!("{base}/api/v1/resources/{}/export/parquet?version={}", res.id, v.version)),
                "created_at": v.created_at,
                "serving": Some(v.id) == res.table_version,
            })
        })
        .collect();
    let mut body = serde_json::json!({
        "resource": res.id,
        "status": res.status,
        "status_message": res.status_message,
        "table_name": res.table_name,
        "versions": version_list,
    });
    if let Some(v) = serving {
        let report = v.report.clone().unwrap_or_default();
        let columns: Vec<Column> = report
            .get("columns")
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .unwrap_or_default();
        body["version"] = v.version.into();
        body["rows"] = v.row_count.into();
        body["columns"] = serde_json::to_value(&columns).unwrap_or_default();
        body["schema"] = allmende_table::column::table_schema(&columns);
        body["format"] = report.get("format").cloned().unwrap_or_default();
        body["dialect"] = report.get("dialect").cloned().unwrap_or_default();
        body["warnings"] = report.get("warnings").cloned().unwrap_or_default();
        // What reading the file cost (the ingestion process's peak memory).
        body["peak_memory_bytes"] = report.get("peak_memory_bytes").cloned().unwrap_or_default();
        body["records"] = format!("{base}/api/v1/resources/{}/records", res.id).into();
        body["exports"] = export_links(&state, &res).into();
    }
    Ok(Json(body))
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
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
}

impl RecordsParams {
    fn query(&self, max: usize, export: bool) -> ApiResult<RecordsQuery> {
        if let Some(l) = self.limit
            && l > max
            && !export
        {
            return Err(ApiError::BadRequest(format!(
                "limit darf höchstens {max} sein"
            )));
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
        })
    }
}

fn page_json(
    page: &RecordsPage,
    next: Option<String>,
    extra: &[(&str, serde_json::Value)],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"total\":");
    match page.total {
        Some(t) => out.extend_from_slice(t.to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"fields\":");
    out.extend(serde_json::to_vec(&fields_of(&page.schema)).unwrap_or_default());
    out.extend_from_slice(b",\"records\":[");
    let keys = json::keys(&page.schema);
    let mut first = true;
    for b in &page.batches {
        json::write_rows(&mut out, b, &keys, false, b",", &mut first);
    }
    out.extend_from_slice(b"],\"next\":");
    out.extend(serde_json::to_vec(&next).unwrap_or_default());
    for (k, v) in extra {
        out.push(b',');
        json::string(&mut out, k);
        out.push(b':');
        out.extend(serde_json::to_vec(v).unwrap_or_default());
    }
    out.push(b'}');
    out
}

async fn numbered_version(state: &AppState, res: &Resource, n: i64) -> ApiResult<TableVersion> {
    state
        .catalog
        .table_versions_of(res.id)
        .await?
        .into_iter()
        .find(|v| v.version == n)
        .ok_or(ApiError::NotFound)
}

async fn version_table(
    state: &AppState,
    res: &Resource,
    version: Option<i64>,
) -> ApiResult<TableRef> {
    match version {
        None => Ok(state.served(res).await?.0),
        Some(n) => {
            let v = numbered_version(state, res, n).await?;
            if v.status != "done" {
                return Err(ApiError::NotFound);
            }
            Ok(state.table_ref(&v, res.table_name.clone().unwrap_or_default())?)
        }
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
    let t = version_table(&state, &res, params.version).await?;
    if let Some(f) = params.format.as_deref().filter(|f| *f != "json") {
        let format = ExportFormat::parse(f).ok_or_else(|| bad_format(f))?;
        let q = params.query(state.tables.limits().max_rows, true)?;
        return stream_export(&state, &client, &t, q, format, &ds, &file_base(&res, &t)).await;
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

fn bad_format(f: &str) -> ApiError {
    ApiError::BadRequest(format!(
        "unbekanntes Format „{f}“ (möglich: json, {})",
        ExportFormat::ALL
            .iter()
            .map(|f| f.id())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn file_base(res: &Resource, t: &TableRef) -> String {
    let stem = res
        .file_name
        .as_deref()
        .and_then(|n| n.rsplit_once('.').map(|(s, _)| s.to_string()))
        .unwrap_or_else(|| t.alias.clone());
    if stem.is_empty() {
        "daten".into()
    } else {
        stem
    }
}

async fn stream_export(
    state: &AppState,
    client: &Client,
    t: &TableRef,
    q: RecordsQuery,
    format: ExportFormat,
    ds: &Dataset,
    base: &str,
) -> ApiResult<Response> {
    let unfiltered = q.filter.is_none() && q.q.is_none() && q.group_by.is_none();
    if format == ExportFormat::Xlsx && unfiltered && t.rows > XLSX_MAX_ROWS {
        return Err(ApiError::QueryLimit(format!(
            "Die Tabelle hat {} Zeilen; Excel fasst höchstens {XLSX_MAX_ROWS}. Bitte CSV oder Parquet wählen oder filtern.",
            t.rows
        )));
    }
    let permit = admit(state, Lane::Export, client).await?;
    let body = state
        .tables
        .export(
            permit,
            ExportSource::Records(t.clone(), Box::new(q)),
            format,
        )
        .await?;
    Ok(export_response(
        body,
        format,
        &format!("{base}{}", format.suffix()),
        allmende_app::access::is_public(ds),
    ))
}

fn export_response(
    body: ExportBody,
    format: ExportFormat,
    file_name: &str,
    public: bool,
) -> Response {
    let mut resp = Response::new(Body::from_stream(body.into_stream()));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&super::download::content_disposition(file_name)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if public {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
    }
    resp
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// A table version (default: the served one).
    pub version: Option<i64>,
}

/// The whole table in one format, streamed: `csv`, `csv-de` (Excel in German: `;`, decimal
/// comma, BOM), `json`, `ndjson`, `xlsx`, `parquet`.
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
    let t = version_table(&state, &res, params.version).await?;
    let base = file_base(&res, &t);
    stream_export(
        &state,
        &client,
        &t,
        RecordsQuery::default(),
        format,
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
    Path((id, version)): Path<(String, i64)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    let v = numbered_version(&state, &res, version).await?;
    if v.source_sha256.is_empty() {
        // A link whose fetch has not succeeded yet.
        return Err(ApiError::NotFound);
    }
    let name = v.source_name.clone().unwrap_or_else(|| "download".into());
    let media = res
        .media_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into());
    super::download::serve_blob(
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

/// Read the resource's file again, or fetch and read a link's URL (public addresses only,
/// size and time limited), with optional settings that override the detection (encoding,
/// delimiter, header row, sheet, decimal style, column types). Answers 202 with the job.
#[utoipa::path(post, path = "/resources/{id}/ingest", tag = "data",
    params(("id" = Uuid, Path)), security(("token" = [])),
    request_body(content = Object, description = "IngestOptions: format, encoding, delimiter, header_row, sheet, decimal (german|point), types {column: type}"),
    responses((status = 202, description = "Queued"), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn ingest(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    require(&actor, edit_action(&ds))?;
    let has_body = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_some_and(|v| v != "0");
    let options = if has_body {
        let JsonBody(o) = JsonBody::<IngestOptions>::from_request(req, &state).await?;
        o
    } else {
        IngestOptions::default()
    };
    if let Err(m) = options.validate() {
        return Err(ApiError::BadRequest(m));
    }
    let v = state.schedule_ingest(&res, &options).await?;
    Ok(accepted(&state, &v))
}

fn accepted(state: &AppState, v: &TableVersion) -> Response {
    let job = v
        .job_id
        .map(|j| format!("{}/api/v1/jobs/{j}", api_base(state)));
    let mut resp = (
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "version": v.version, "status": v.status, "job": job })),
    )
        .into_response();
    if let Some(j) = job.and_then(|j| HeaderValue::from_str(&j).ok()) {
        resp.headers_mut().insert(header::LOCATION, j);
    }
    resp
}

/// Replace a resource's file (multipart `file`): a tabular file becomes a new table version;
/// the previous version keeps serving until the new one is complete.
#[utoipa::path(put, path = "/resources/{id}/file", tag = "data",
    params(("id" = Uuid, Path)), security(("token" = [])),
    request_body(content = Object, content_type = "multipart/form-data"),
    responses((status = 200, body = Resource), (status = 202, description = "Stored; table version queued"),
        (status = 404, body = crate::error::Problem), (status = 413, body = crate::error::Problem)))]
pub async fn replace_file(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    let (res, ds) = state.visible_resource(&actor, &id).await?;
    require(&actor, edit_action(&ds))?;
    if !upload::is_multipart(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(
            "multipart/form-data with a `file` field".into(),
        ));
    }
    let form = upload::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
    let file = form
        .file
        .ok_or_else(|| ApiError::BadRequest("field `file` is missing".into()))?;
    let (res, version) = state.replace_file(&res, &ds, file).await?;
    match version {
        Some(v) => Ok(accepted(&state, &v)),
        None => Ok(Json(res).into_response()),
    }
}

/// An ingestion job: status, attempts, error, rows read so far.
#[utoipa::path(get, path = "/jobs/{id}", tag = "data",
    params(("id" = Uuid, Path)),
    responses((status = 200, description = "The job"), (status = 404, body = crate::error::Problem)))]
pub async fn job(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let v = state
        .catalog
        .table_version_by_job(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (res, _) = state
        .visible_resource(&actor, &v.resource_id.to_string())
        .await?;
    let (status, attempts, error) = state
        .catalog
        .job_status(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(serde_json::json!({
        "id": id,
        "kind": "ingest",
        "status": status,
        "attempts": attempts,
        "error": error,
        "resource": res.id,
        "version": v.version,
        "version_status": v.status,
        "progress_rows": v.progress_rows,
        "rows": v.row_count,
        "message": v.message,
        "table": format!("{}/api/v1/resources/{}/table", api_base(&state), res.id),
    })))
}

#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
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
        .ok_or_else(|| ApiError::BadRequest("Parameter `sql` fehlt".into()))?;
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
            .map_err(|_| ApiError::BadRequest("SQL ist nicht UTF-8".into()))?;
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
            .export(permit, ExportSource::Sql(lookup, sql.to_string()), format)
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
