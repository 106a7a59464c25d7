//! The data plane over HTTP: a resource's table (columns, statistics, versions), its records,
//! exports in every format, the read-only SQL API, re-ingestion and ingestion jobs.

mod common;
mod export;
mod jobs;
mod map;
mod privacy;
mod records;
mod sql;

pub use common::export_links;
pub use export::*;
pub use jobs::*;
pub use map::*;
pub use privacy::*;
pub use records::*;
pub use sql::*;

use allmende_table::Column;
use axum::Json;
use axum::extract::{Path, State};

use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult};
use crate::i18n::{render_stored, render_value};
use crate::state::AppState;
use common::*;

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
    // The resource again, with its versions, as of one moment.
    let (res, versions) = state
        .catalog
        .table_state(res.id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if versions.is_empty() {
        return Err(ApiError::NotFound);
    }
    let serving = versions.iter().find(|v| Some(v.id) == res.table_version);
    let base = api_base(&state);
    let lang = crate::i18n::current_lang();
    let stored = |m: &Option<String>| m.as_deref().map(|m| render_stored(lang, m));
    let version_list: Vec<serde_json::Value> = versions
        .iter()
        .map(|v| {
            serde_json::json!({
                "version": v.version,
                "status": v.status,
                "rows": v.row_count,
                "progress_rows": v.progress_rows,
                "message": stored(&v.message),
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
        "status_message": stored(&res.status_message),
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
        body["columns"] = render_value(lang, &serde_json::to_value(&columns).unwrap_or_default());
        body["schema"] = allmende_table::column::table_schema(&columns);
        body["format"] = report.get("format").cloned().unwrap_or_default();
        body["dialect"] = report.get("dialect").cloned().unwrap_or_default();
        body["warnings"] = render_value(lang, &report.get("warnings").cloned().unwrap_or_default());
        // What reading the file cost (the ingestion process's peak memory), and whether it
        // began while the file was still arriving.
        body["peak_memory_bytes"] = report.get("peak_memory_bytes").cloned().unwrap_or_default();
        body["read_during_upload"] = report
            .get("read_during_upload")
            .cloned()
            .unwrap_or(false.into());
        body["records"] = format!("{base}/api/v1/resources/{}/records", res.id).into();
        body["exports"] = export_links(&state, &res, &columns, &body["dialect"]).into();
    }
    Ok(Json(body))
}
