//! The developer page `/api`: every operation of the OpenAPI document in a newcomer's order,
//! its parameters in words, and for each a curl command against this portal's own public data
//! (a public table, its dataset and publisher), which CI runs as written.

use allmende_core::authz::ReadScope;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use minijinja::value::Value;

use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// Real public things to put into the examples' paths.
struct Sample {
    dataset: String,
    resource: Option<String>,
    /// The resource's table's SQL name.
    table: Option<String>,
    spatial: bool,
    organization: String,
}

async fn sample(state: &AppState) -> ApiResult<Option<Sample>> {
    // The public tables, a spatial one first (so that the map examples have one), then by
    // name: the same choice on every load.
    let mut tables = state
        .catalog
        .served_tables(&ReadScope::PublicAnd(Vec::new()))
        .await?;
    let spatial = |t: &allmende_catalog::PublicTable| {
        t.version
            .report
            .as_ref()
            .is_some_and(|r| r.pointer("/dialect/bbox").is_some())
    };
    tables.sort_by(|a, b| {
        spatial(b)
            .cmp(&spatial(a))
            .then_with(|| a.alias.cmp(&b.alias))
    });
    for t in &tables {
        if let Some(ds) = state.catalog.dataset(&t.dataset_slug).await?
            && allmende_app::access::is_public(&ds)
        {
            return Ok(Some(Sample {
                dataset: ds.slug.clone(),
                resource: Some(t.version.resource_id.to_string()),
                table: Some(t.alias.clone()),
                spatial: spatial(t),
                organization: ds.organization.clone(),
            }));
        }
    }
    Ok(None)
}

/// A curl command for a public read whose path can be filled with `sample`; `None` for writes,
/// administration and what needs a job of one's own (those are `api_token_examples`).
fn example(api: &str, path: &str, op: &serde_json::Value, s: &Sample) -> Option<String> {
    let mut filled = path.to_string();
    for (name, value) in [
        ("{slug}", Some(s.organization.as_str())),
        ("{format}", Some("csv")),
        ("{version}", Some("1")),
    ] {
        filled = filled.replace(name, value?);
    }
    if filled.contains("{id}") {
        let id = if path.starts_with("/resources/") {
            s.resource.as_deref()?
        } else if path.starts_with("/datasets/") {
            s.dataset.as_str()
        } else {
            return None;
        };
        filled = filled.replace("{id}", id);
    }
    // Logos are optional, and maps need a spatial table: an example must not depend on them.
    let needs_map = path.ends_with("/map") || path.ends_with("/overview.png");
    if filled.contains('{') || path.ends_with("/logo") || (needs_map && !s.spatial) {
        return None;
    }
    // Required query parameters get a working value.
    let mut query = Vec::new();
    for p in op
        .get("parameters")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let required = p.get("required").and_then(|r| r.as_bool()).unwrap_or(false);
        let name = p.get("name").and_then(|v| v.as_str()).unwrap_or_default();
        let in_query = p.get("in").and_then(|v| v.as_str()) == Some("query");
        match (in_query, name) {
            (true, "sql") => query.push(format!(
                "sql={}",
                percent_encoding::utf8_percent_encode(
                    &match &s.table {
                        Some(t) => format!("SELECT * FROM \"{t}\" LIMIT 5"),
                        None => "SELECT 1 AS eins".into(),
                    },
                    percent_encoding::NON_ALPHANUMERIC
                )
            )),
            (true, "bbox") if path.ends_with("/map") => {
                query.push("bbox=9.9,48.6,10.3,48.9".into())
            }
            (true, "limit") if path.ends_with("/records") => query.push("limit=5".into()),
            (true, _) if required => return None,
            _ => {}
        }
    }
    let url = format!(
        "{api}{filled}{}{}",
        if query.is_empty() { "" } else { "?" },
        query.join("&")
    );
    let binary = path.ends_with("/download")
        || path.ends_with("/source")
        || path.ends_with("/logo")
        || path.contains("/export/")
        || path.ends_with("/overview.png");
    Some(if binary {
        format!("curl -fsS -o daten \"{url}\"")
    } else {
        format!("curl -fsS \"{url}\"")
    })
}

/// The API reference, rendered from the same OpenAPI document clients download.
pub async fn api_docs(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let doc =
        serde_json::to_value(&*state.openapi).map_err(|e| ApiError::Internal(e.to_string()))?;
    let sample = sample(&state).await?;
    let api = format!("{}/api/v1", state.settings.public_url.trim_end_matches('/'));
    let mut operations = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let params: Vec<Value> = op
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                let name = p.get("name").and_then(|v| v.as_str());
                                let description = p
                                    .get("description")
                                    .and_then(|v| v.as_str())
                                    .map(|english| {
                                        crate::i18n::api_parameter_text(
                                            ctx.lang,
                                            method,
                                            path,
                                            name.unwrap_or(""),
                                        )
                                        .unwrap_or(english)
                                    });
                                context! {
                                    name,
                                    location => match p.get("in").and_then(|v| v.as_str()) {
                                        Some("path") => ctx.t("api.in_path"),
                                        _ => ctx.t("api.in_query"),
                                    },
                                    description => description.map(code_spans),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let responses: Vec<String> = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().cloned().collect())
                    .unwrap_or_default();
                let tag = op
                    .get("tags")
                    .and_then(|t| t.get(0))
                    .and_then(|v| v.as_str());
                let auth = op.get("security").is_some();
                let public = match (&sample, auth, method) {
                    (Some(s), false, "get") => example(&api, path, op, s),
                    (Some(s), false, "post") if path == "/sql" => Some(sql_post_example(&api, s)),
                    _ => None,
                };
                // The rest: a step of the workflow with a token.
                let (example, step) = match public {
                    Some(e) => (Some(e), None),
                    None => super::api_token_examples::token_example(&api, method, path)
                        .map_or((None, None), |(step, e)| (Some(e), Some(step))),
                };
                let translated = crate::i18n::api_operation_text(ctx.lang, method, path);
                // A newcomer's order: what anyone may read first (datasets, then their data),
                // writes and administration last.
                let rank = [
                    "datasets",
                    "data",
                    "resources",
                    "organizations",
                    "vocabularies",
                ]
                .iter()
                .position(|t| Some(*t) == tag)
                .unwrap_or(5);
                operations.push((
                    (auth, rank, path.clone()),
                    context! {
                        method => method.to_uppercase(),
                        path => format!("/api/v1{path}"),
                        summary => translated
                            .or_else(|| op.get("summary").and_then(|v| v.as_str()))
                            .map(code_spans),
                        // The translation covers the whole text, the English description too.
                        description => op
                            .get("description")
                            .and_then(|v| v.as_str())
                            .filter(|_| translated.is_none())
                            .map(code_spans),
                        tag, auth, params, responses, example, step,
                    },
                ));
            }
        }
    }
    operations.sort_by(|a, b| a.0.cmp(&b.0));
    let operations: Vec<Value> = operations.into_iter().map(|(_, o)| o).collect();
    ctx.render(&state, "api.html", context! { operations })
}

/// `POST /sql` with the query as JSON, over the sample's table.
fn sql_post_example(api: &str, s: &Sample) -> String {
    let sql = match &s.table {
        Some(t) => format!(r#"SELECT count(*) AS zeilen FROM \"{t}\""#),
        None => "SELECT 1 AS eins".into(),
    };
    format!(r#"curl -fsS -H "Content-Type: application/json" -d '{{"sql": "{sql}"}}' "{api}/sql""#)
}

/// Text with `code` spans (as the API's doc comments write them) as HTML: escaped, the spans
/// as `<code>`.
pub(super) fn code_spans(text: &str) -> Value {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    // An unpaired backtick is a character, not code.
    if escaped.matches('`').count() % 2 == 1 {
        return Value::from_safe_string(escaped);
    }
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    Value::from_safe_string(out)
}
