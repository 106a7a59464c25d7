//! A CKAN-compatible Action API (`/api/3/action/{name}` and `/api/action/{name}`), so the many
//! tools, scripts and harvesters written for CKAN work against Allmende unchanged: CKAN's
//! envelope and error types, its parameter conventions (GET query strings with JSON-valued
//! parameters, POST JSON bodies, multipart uploads), dataset dicts with resources, and the
//! DataStore search over our tables. Every action goes through the same authorization as the
//! native API.

mod actions;
mod call;
mod datastore;
pub mod dicts;
mod openapi;
mod search;

pub use call::{Answer, CKAN_VERSION, Call, CkanError, CkanResult};

use allmende_core::authz::Actor;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route(
            "/api/3",
            get(|| async { axum::Json(json!({"version": 3})) }),
        )
        .route(
            "/api/3/openapi.json",
            get(
                |axum::extract::State(state): axum::extract::State<AppState>| async move {
                    axum::Json(openapi::document(&state.settings.public_url))
                },
            ),
        )
        // Uploads (`resource_create` with a file) are bounded by `max_upload_bytes` where
        // they are read, and other bodies by the reader below, not by axum's 2 MB default.
        .route(
            "/api/3/action/{name}",
            get(action)
                .post(action)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route(
            "/api/action/{name}",
            get(action)
                .post(action)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
}

fn help_url(base: &str, name: &str) -> String {
    format!("{base}/api/3/action/help_show?name={name}")
}

fn envelope(base: &str, name: &str, result: CkanResult<Answer>) -> Response {
    let help = help_url(base, name);
    match result {
        Ok(Answer::Value(result)) => (
            StatusCode::OK,
            axum::Json(json!({"help": help, "success": true, "result": result})),
        )
            .into_response(),
        Ok(Answer::Serialized(result)) => {
            let help = Value::String(help).to_string();
            let body = format!(r#"{{"help":{help},"success":true,"result":{result}}}"#);
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
        Err(e) => {
            if let CkanError::Internal(m) | CkanError::Unavailable(m) = &e {
                tracing::error!(action = name, error = %m, "CKAN action failed");
            }
            let body = match &e {
                CkanError::Bare(_) => e.body(),
                _ => json!({"help": help, "success": false, "error": e.body()}),
            };
            let mut resp = (e.status(), axum::Json(body)).into_response();
            if let CkanError::Throttled(_, _, secs) = &e {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(*secs));
            }
            resp
        }
    }
}

/// Actions that change something: POST only.
const WRITE_ACTIONS: &[&str] = &[
    "package_create",
    "package_update",
    "package_patch",
    "package_delete",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "organization_create",
    "organization_update",
    "organization_patch",
];

const READ_ACTIONS: &[&str] = &[
    "status_show",
    "site_read",
    "package_list",
    "package_search",
    "package_show",
    "current_package_list_with_resources",
    "organization_list",
    "organization_show",
    "group_list",
    "group_show",
    "tag_list",
    "resource_show",
    "license_list",
    "datastore_search",
    "datastore_search_sql",
    "help_show",
];

async fn action(State(state): State<AppState>, Path(name): Path<String>, req: Request) -> Response {
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    let write = WRITE_ACTIONS.contains(&name.as_str());
    if !write && !READ_ACTIONS.contains(&name.as_str()) {
        return envelope(
            &base,
            &name,
            Err(CkanError::Bare(format!(
                "Bad request - Action name not known: {name}"
            ))),
        );
    }
    let method = req.method().clone();
    if write && method != Method::POST {
        return envelope(
            &base,
            &name,
            Err(CkanError::Bare(format!(
                "Bad request - JSON Error: Invalid request. Please use POST method for your request: {name}"
            ))),
        );
    }
    let call = match read_call(&state, req, &base).await {
        Ok(c) => c,
        Err(e) => return envelope(&base, &name, Err(e)),
    };
    let result = dispatch(&state, &name, &call).await;
    if write && result.is_ok() {
        // Writes are in the search index before the answer, as on the native API.
        let _ = state.search.catch_up().await;
    }
    envelope(&base, &name, result)
}

async fn dispatch(state: &AppState, name: &str, call: &Call) -> CkanResult<Answer> {
    match name {
        "package_search" => search::package_search(state, call).await,
        "current_package_list_with_resources" => {
            actions::current_package_list_with_resources(state, call).await
        }
        _ => dispatch_value(state, name, call).await.map(Answer::Value),
    }
}

async fn dispatch_value(state: &AppState, name: &str, call: &Call) -> CkanResult {
    match name {
        "status_show" => actions::status_show(state),
        "site_read" => Ok(Value::Bool(true)),
        "help_show" => Ok(json!(format!(
            "Allmende implementiert die CKAN-Aktion {} (siehe /api und docs/ckan-api.md).",
            call.str("name").unwrap_or_default()
        ))),
        "package_list" => actions::package_list(state, call).await,
        "package_show" => actions::package_show(state, call).await,
        "organization_list" => actions::organization_list(state, call).await,
        "organization_show" => actions::organization_show(state, call).await,
        "group_list" => actions::group_list(state, call).await,
        "group_show" => actions::group_show(state, call).await,
        "tag_list" => actions::tag_list(state, call).await,
        "resource_show" => actions::resource_show(state, call).await,
        "license_list" => Ok(actions::license_list()),
        "datastore_search" => datastore::search(state, call).await,
        "datastore_search_sql" => datastore::search_sql(state, call).await,
        "package_create" => actions::package_create(state, call).await,
        "package_update" => actions::package_update(state, call, false).await,
        "package_patch" => actions::package_update(state, call, true).await,
        "package_delete" => actions::package_delete(state, call).await,
        "resource_create" => actions::resource_create(state, call).await,
        "resource_update" => actions::resource_update(state, call, false).await,
        "resource_patch" => actions::resource_update(state, call, true).await,
        "resource_delete" => actions::resource_delete(state, call).await,
        "organization_create" => actions::organization_create(state, call).await,
        "organization_update" => actions::organization_update(state, call, false).await,
        "organization_patch" => actions::organization_update(state, call, true).await,
        _ => Err(CkanError::Bare(format!(
            "Bad request - Action name not known: {name}"
        ))),
    }
}

/// Who calls: the token in `Authorization` (raw or `Bearer`) or `X-CKAN-API-Key`, else a
/// session (reads only, unless the page's CSRF token comes along), else anonymous.
async fn actor(state: &AppState, parts: &axum::http::request::Parts) -> CkanResult<Actor> {
    if parts.headers.get(header::AUTHORIZATION).is_none()
        && let Some(key) = parts
            .headers
            .get("x-ckan-api-key")
            .and_then(|v| v.to_str().ok())
            .filter(|k| !k.trim().is_empty())
    {
        return state
            .catalog
            .actor_for_token(key.trim())
            .await?
            .ok_or_else(|| CkanError::Authorization("Ungültiger API-Schlüssel".into()));
    }
    crate::auth::CurrentActor::resolve(state, parts, false)
        .await
        .map_err(|e| match e {
            ApiError::Unauthorized => CkanError::Authorization("Ungültiger API-Schlüssel".into()),
            other => other.into(),
        })
}

async fn read_call(state: &AppState, req: Request, base: &str) -> CkanResult<Call> {
    let (parts, body) = req.into_parts();
    let actor = actor(state, &parts).await?;
    let client = crate::heavy::Client::of(&parts, state);
    let mut params = Map::new();
    if let Some(q) = parts.uri.query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            add_param(&mut params, k.into_owned(), Value::String(v.into_owned()));
        }
    }
    let mut upload = None;
    if parts.method == Method::POST {
        let headers: &HeaderMap = &parts.headers;
        let ctype = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let req = Request::from_parts(parts, body);
        if ctype.starts_with("multipart/form-data") {
            let form = crate::multipart::read_multipart_named(
                state,
                req,
                state.settings.max_upload_bytes,
                &["upload", "file"],
            )
            .await
            .map_err(CkanError::from)?;
            for (k, v) in &form.fields {
                add_param(&mut params, k.clone(), Value::String(v.clone()));
            }
            upload = Some(form);
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
                .await
                .map_err(|_| CkanError::Bare("Bad request - request body too large".into()))?;
            for (k, v) in url::form_urlencoded::parse(&bytes) {
                add_param(&mut params, k.into_owned(), Value::String(v.into_owned()));
            }
        } else {
            let bytes = axum::body::to_bytes(req.into_body(), 16 << 20)
                .await
                .map_err(|_| CkanError::Bare("Bad request - request body too large".into()))?;
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(Value::Object(m)) => params.extend(m),
                    Ok(_) => {
                        return Err(CkanError::Bare(
                            "Bad request - JSON Error: Request data JSON decoded to a non-dictionary"
                                .into(),
                        ));
                    }
                    Err(e) => {
                        return Err(CkanError::Bare(format!(
                            "Bad request - JSON Error: Error decoding JSON data. Error: {e}"
                        )));
                    }
                }
            }
        }
    }
    Ok(Call {
        params,
        actor,
        upload: std::sync::Mutex::new(upload),
        base: base.to_string(),
        client,
    })
}

/// Repeated query keys become lists, as CKAN reads them.
fn add_param(params: &mut Map<String, Value>, key: String, value: Value) {
    match params.get_mut(&key) {
        Some(Value::Array(a)) => a.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            params.insert(key, value);
        }
    }
}

#[cfg(test)]
mod openapi_tests {
    /// Every action the dispatcher answers is in the OpenAPI document, and nothing else.
    #[test]
    fn the_document_describes_every_action() {
        let source = include_str!("mod.rs");
        let dispatch = &source[source.find("async fn dispatch(").expect("dispatcher")..];
        let dispatch = &dispatch[..dispatch.find("/// Who calls").expect("end of dispatcher")];
        let mut answered: Vec<&str> = dispatch
            .lines()
            .filter_map(|l| l.trim().strip_prefix('"'))
            .filter_map(|l| l.split_once("\" =>").map(|(name, _)| name))
            .collect();
        answered.sort_unstable();
        let mut described = super::openapi::described();
        described.sort_unstable();
        assert!(answered.len() > 20, "{answered:?}");
        assert_eq!(answered, described);
    }
}
