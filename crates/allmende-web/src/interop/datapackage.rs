//! Frictionless Data Packages of public datasets: `/dataset/{slug}/datapackage.json` points at
//! the CSV exports of the dataset's tables with their Table Schemas; `datapackage.zip` carries
//! the same descriptor with the data files inside. Both validate with the `frictionless` tool.

use std::io::Write;

use allmende_core::{Dataset, vocab};
use allmende_table::export::{ExportFormat, ExportOptions, export};
use allmende_table::query::{RecordsQuery, TableRef};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

struct Table {
    name: String,
    title: String,
    description: String,
    resource_id: uuid::Uuid,
    t: TableRef,
}

async fn public_dataset(state: &AppState, slug: &str) -> ApiResult<Dataset> {
    state
        .catalog
        .dataset(slug)
        .await?
        .filter(allmende_app::access::is_public)
        .ok_or(ApiError::NotFound)
}

async fn tables(state: &AppState, ds: &Dataset) -> ApiResult<Vec<Table>> {
    let mut out: Vec<Table> = Vec::new();
    for r in ds.resources.iter().flatten() {
        if r.table_version.is_none() {
            continue;
        }
        let Ok((t, _)) = state.served(r).await else {
            continue;
        };
        // Frictionless names: lower-case letters, digits, `-`, `_`, `.`.
        let mut name: String = r
            .table_name
            .clone()
            .unwrap_or_else(|| r.id.to_string())
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if out.iter().any(|x| x.name == name) {
            name.push_str(&format!("-{}", out.len() + 1));
        }
        out.push(Table {
            name,
            title: r.title.clone(),
            description: r.description.clone(),
            resource_id: r.id,
            t,
        });
    }
    Ok(out)
}

fn descriptor(base: &str, ds: &Dataset, tables: &[Table], inline: bool) -> Value {
    let license = vocab::license(&ds.license);
    let resources: Vec<Value> = tables
        .iter()
        .map(|t| {
            let path = if inline {
                format!("data/{}.csv", t.name)
            } else {
                format!("{base}/api/v1/resources/{}/export/csv", t.resource_id)
            };
            let mut r = json!({
                "name": t.name,
                "title": t.title,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "header": true, "quoteChar": "\"", "doubleQuote": true},
                "schema": allmende_table::column::table_schema(&t.t.columns),
            });
            if !t.description.trim().is_empty() {
                r["description"] = json!(t.description);
            }
            r
        })
        .collect();
    let mut d = json!({
        "profile": "tabular-data-package",
        "name": ds.slug,
        "id": format!("{base}/dataset/{}", ds.id),
        "title": ds.title,
        "description": ds.description,
        "homepage": format!("{base}/dataset/{}", ds.slug),
        "version": ds.version.clone().unwrap_or_else(|| "1.0.0".into()),
        "created": ds.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "keywords": ds.keywords,
        "contributors": [{"title": ds.organization_name, "role": "publisher",
            "path": format!("{base}/organization/{}", ds.organization)}],
        "sources": [{"title": ds.organization_name, "path": format!("{base}/dataset/{}", ds.slug)}],
        "resources": resources,
    });
    if let Some(l) = license {
        d["licenses"] = json!([{
            "name": l.id.replace('/', "-"),
            "path": l.url,
            "title": l.title,
        }]);
    }
    d
}

/// The Data Package descriptor of a public dataset's tables.
pub async fn datapackage_json(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let ds = public_dataset(&state, &slug).await?;
    let tables = tables(&state, &ds).await?;
    let base = state.settings.public_url.trim_end_matches('/');
    let body = serde_json::to_vec_pretty(&descriptor(base, &ds, &tables, false))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The descriptor and every table as CSV in one zip. The zip is built in a temporary file (the
/// exports stream into it), so memory stays flat however large the tables are; the work runs
/// on the heavy-work pool under the export deadline.
pub async fn datapackage_zip(
    State(state): State<AppState>,
    client: crate::heavy::Client,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let ds = public_dataset(&state, &slug).await?;
    let tables = tables(&state, &ds).await?;
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    let scratch = state.catalog.files.scratch_dir();
    let desc = serde_json::to_vec_pretty(&descriptor(&base, &ds, &tables, true))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let permit = crate::heavy::admit(&state, allmende_work::Lane::Export, &client).await?;
    let engine = state.tables.engine().clone();
    let options = ExportOptions {
        guard_formulas: state.tables.limits().guard_formulas,
        idle: state.tables.limits().timeout,
        crs: None,
    };
    let file = state
        .tables
        .run(permit, async move {
            let internal = |e: &dyn std::fmt::Display| ApiError::Internal(e.to_string());
            let file = tempfile::tempfile_in(&scratch).map_err(|e| internal(&e))?;
            let mut zip = zip::ZipWriter::new(file);
            let zopts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            zip.start_file("datapackage.json", zopts)
                .map_err(|e| internal(&e))?;
            zip.write_all(&desc).map_err(|e| internal(&e))?;
            for t in &tables {
                let stream = engine
                    .records_stream(&t.t, &RecordsQuery::default())
                    .await
                    .map_err(ApiError::from)?;
                let mut body = export(stream, ExportFormat::Csv, options);
                zip.start_file(format!("data/{}.csv", t.name), zopts)
                    .map_err(|e| internal(&e))?;
                while let Some(chunk) = body.next().await {
                    let chunk = chunk.map_err(|e| internal(&e))?;
                    // Small synchronous writes into a local file, on a heavy-work thread.
                    zip.write_all(&chunk).map_err(|e| internal(&e))?;
                }
            }
            zip.finish().map_err(|e| internal(&e))
        })
        .await??;
    let mut file = file;
    let internal = |e: &dyn std::fmt::Display| ApiError::Internal(e.to_string());
    use std::io::Seek;
    let len = file
        .seek(std::io::SeekFrom::End(0))
        .map_err(|e| internal(&e))?;
    file.rewind().map_err(|e| internal(&e))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_LENGTH, len.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-datapackage.zip\"", ds.slug),
            ),
        ],
        body,
    )
        .into_response())
}
