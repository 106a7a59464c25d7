//! What the data endpoints share: links, JSON pages, table versions, export responses.

use allmende_catalog::TableVersion;
use allmende_core::authz::Actor;
use allmende_core::{Dataset, Resource};
use allmende_table::export::{ExportBody, ExportFormat, XLSX_MAX_ROWS};
use allmende_table::query::{ExportSource, RecordsPage, RecordsQuery, TableRef, fields_of, json};
use allmende_work::Lane;
use axum::Json;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};
use crate::heavy::{Client, admit};
use crate::i18n::Msg;
use crate::state::AppState;

pub(super) fn api_base(state: &AppState) -> &str {
    state.settings.public_url.trim_end_matches('/')
}

/// The export links of a table (with these columns, read with this dialect).
pub fn export_links(
    state: &AppState,
    res: &Resource,
    columns: &[allmende_table::column::Column],
    dialect: &serde_json::Value,
) -> Vec<serde_json::Value> {
    ExportFormat::offered(columns, dialect)
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

pub(super) fn page_json(
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

/// A resource's table: the served one, or version `n` as far as the actor may have it.
pub(super) async fn version_table(
    state: &AppState,
    actor: &Actor,
    res: &Resource,
    ds: &Dataset,
    version: Option<i64>,
) -> ApiResult<TableRef> {
    match version {
        None => Ok(state.served(res).await?.0),
        Some(n) => {
            let v = state.table_version_for(actor, res, ds, n).await?;
            if v.status != "done" && v.status != "held" {
                return Err(ApiError::NotFound);
            }
            Ok(state.table_ref(&v, res.table_name.clone().unwrap_or_default())?)
        }
    }
}

pub(super) fn bad_format(f: &str) -> ApiError {
    ApiError::BadRequest(Msg::new("param.format").arg("value", f).arg(
        "allowed",
        format!(
            "geojson, {}",
            ExportFormat::ALL
                .iter()
                .map(|f| f.id())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ))
}

pub(super) fn file_base(res: &Resource, t: &TableRef) -> String {
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

/// What an export writes: the format and, for GeoJSON, the coordinates' CRS.
#[derive(Debug, Clone, Copy)]
pub(super) struct ExportTarget {
    pub(super) format: ExportFormat,
    pub(super) crs: Option<allmende_table::geo::Crs>,
}

impl From<ExportFormat> for ExportTarget {
    fn from(format: ExportFormat) -> Self {
        Self { format, crs: None }
    }
}

pub(super) async fn stream_export(
    state: &AppState,
    client: &Client,
    t: &TableRef,
    q: RecordsQuery,
    target: ExportTarget,
    ds: &Dataset,
    base: &str,
) -> ApiResult<Response> {
    let ExportTarget { format, crs } = target;
    let unfiltered = q.filter.is_none() && q.q.is_none() && q.group_by.is_none();
    if format == ExportFormat::Xlsx && unfiltered && t.rows > XLSX_MAX_ROWS {
        return Err(ApiError::QueryLimit(
            Msg::new("export.xlsx_too_many_rows")
                .arg("rows", t.rows)
                .arg("max", XLSX_MAX_ROWS),
        ));
    }
    let permit = admit(state, Lane::Export, client).await?;
    let body = state
        .tables
        .export(
            permit,
            ExportSource::Records(t.clone(), Box::new(q)),
            format,
            crs,
        )
        .await?;
    Ok(export_response(
        body,
        format,
        &format!("{base}{}", format.suffix()),
        allmende_app::access::is_public(ds),
    ))
}

pub(super) fn export_response(
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
    if let Ok(v) = HeaderValue::from_str(&crate::api::download::content_disposition(file_name)) {
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

pub(super) fn accepted(state: &AppState, v: &TableVersion) -> Response {
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

/// `min lon,min lat,max lon,max lat` in WGS 84.
pub(super) fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let bad = || ApiError::BadRequest(Msg::new("param.bbox").arg("value", s));
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>().map_err(|_| bad()))
        .collect::<Result<_, _>>()?;
    let [minx, miny, maxx, maxy] = v[..] else {
        return Err(bad());
    };
    let lon = -180.0..=180.0;
    let lat = -90.0..=90.0;
    if !(lon.contains(&minx) && lon.contains(&maxx) && lat.contains(&miny) && lat.contains(&maxy))
        || minx > maxx
        || miny > maxy
    {
        return Err(bad());
    }
    Ok([minx, miny, maxx, maxy])
}
