//! One CKAN action call as every action sees it: its parameters and caller, the errors it
//! can answer with, and the result.

use std::collections::BTreeMap;

use allmende_core::authz::Actor;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::multipart::MultipartForm;

/// What `status_show` reports; clients branch on it, so it names the CKAN release whose API
/// this one follows.
pub const CKAN_VERSION: &str = "2.11.0";

/// Parameters of one call, whatever transport they came in.
pub struct Call {
    pub params: Map<String, Value>,
    pub actor: Actor,
    /// A file sent as multipart field `upload` (resource_create/update), taken once.
    pub(super) upload: std::sync::Mutex<Option<MultipartForm>>,
    pub base: String,
    /// Who asks, for the share of heavy work.
    pub client: crate::heavy::Client,
}

impl Call {
    pub fn take_upload(&self) -> Option<MultipartForm> {
        match self.upload.lock() {
            Ok(mut u) => u.take(),
            Err(p) => p.into_inner().take(),
        }
    }

    pub fn str(&self, key: &str) -> Option<String> {
        match self.params.get(key)? {
            Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn required(&self, key: &str) -> Result<String, CkanError> {
        self.str(key).ok_or_else(|| CkanError::missing(key))
    }

    /// A non-negative integer parameter.
    pub fn int(&self, key: &str) -> Result<Option<i64>, CkanError> {
        match self.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => {
                n.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                    CkanError::invalid(key, "Keine gültige nicht-negative ganze Zahl")
                })
            }
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or_else(|| CkanError::invalid(key, "Keine gültige nicht-negative ganze Zahl")),
            Some(_) => Err(CkanError::invalid(
                key,
                "Keine gültige nicht-negative ganze Zahl",
            )),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, CkanError> {
        match self.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" | "" => Ok(Some(false)),
                _ => Err(CkanError::invalid(key, "Kein Wahrheitswert (true/false)")),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
            Some(_) => Err(CkanError::invalid(key, "Kein Wahrheitswert (true/false)")),
        }
    }

    /// A parameter that may arrive as JSON text (GET) or as JSON (POST).
    pub fn json(&self, key: &str) -> Result<Option<Value>, CkanError> {
        match self.params.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(v) if v.is_object() || v.is_array() => Ok(Some(v)),
                _ => Ok(Some(Value::String(s.clone()))),
            },
            Some(v) => Ok(Some(v.clone())),
        }
    }
}

/// CKAN's error kinds, with its HTTP statuses and `__type` names.
#[derive(Debug)]
pub enum CkanError {
    /// 409 `Validation Error`, messages per field.
    Validation(BTreeMap<String, Vec<String>>),
    NotFound(String),
    Authorization(String),
    SearchQuery(String),
    /// 400 with a bare JSON string (unknown action, malformed request), as CKAN answers.
    Bare(String),
    Internal(String),
    Unavailable(String),
    /// 429 (this client's share is used) or 503 (the server is busy), with `Retry-After`.
    Throttled(StatusCode, String, u64),
}

impl CkanError {
    pub fn missing(key: &str) -> Self {
        Self::invalid(key, "Fehlender Wert")
    }

    pub fn invalid(key: &str, msg: &str) -> Self {
        Self::Validation(BTreeMap::from([(key.to_string(), vec![msg.to_string()])]))
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} nicht gefunden"))
    }

    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Authorization(_) => StatusCode::FORBIDDEN,
            Self::SearchQuery(_) | Self::Bare(_) => StatusCode::BAD_REQUEST,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Throttled(status, _, _) => *status,
        }
    }

    pub(super) fn body(&self) -> Value {
        match self {
            Self::Validation(fields) => {
                let mut e = Map::new();
                e.insert("__type".into(), json!("Validation Error"));
                for (k, v) in fields {
                    e.insert(k.clone(), json!(v));
                }
                e.insert(
                    "message".into(),
                    json!(
                        fields
                            .iter()
                            .map(|(k, v)| format!("{k}: {}", v.join(", ")))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                );
                Value::Object(e)
            }
            Self::NotFound(m) => json!({"__type": "Not Found Error", "message": m}),
            Self::Authorization(m) => json!({"__type": "Authorization Error", "message": m}),
            Self::SearchQuery(m) => json!({"__type": "Search Query Error", "message": m}),
            Self::Internal(m) => json!({"__type": "Internal Server Error", "message": m}),
            Self::Unavailable(m) => json!({"__type": "Service Unavailable", "message": m}),
            Self::Throttled(_, m, _) => json!({"__type": "Service Unavailable", "message": m}),
            Self::Bare(m) => json!(m),
        }
    }
}

/// CKAN field names for ours, so validation messages point at what the client sent.
fn ckan_field(ours: &str) -> &str {
    match ours {
        "slug" => "name",
        "description" => "notes",
        "keywords" => "tags",
        "themes" => "groups",
        "license" => "license_id",
        "organization" => "owner_org",
        "landing_page" => "url",
        other => other,
    }
}

impl From<ApiError> for CkanError {
    fn from(e: ApiError) -> Self {
        let lang = crate::i18n::current_lang();
        match e {
            ApiError::Validation(fe) => Self::Validation(
                crate::error::field_messages(lang, &fe)
                    .into_iter()
                    .map(|(k, v)| (ckan_field(&k).to_string(), v))
                    .collect(),
            ),
            ApiError::Conflict(field) => Self::Validation(BTreeMap::from([(
                ckan_field(&field).to_string(),
                vec![crate::i18n::t(lang, "error.taken").to_string()],
            )])),
            ApiError::NotFound => Self::NotFound("Nicht gefunden".into()),
            ApiError::Unauthorized | ApiError::Forbidden => {
                Self::Authorization("Keine Berechtigung für diese Aktion".into())
            }
            ApiError::BadRequest(m) | ApiError::UnsupportedMediaType(m) => {
                Self::Validation(BTreeMap::from([("message".into(), vec![m.render(lang)])]))
            }
            ApiError::QueryLimit(m) => {
                Self::Validation(BTreeMap::from([("query".into(), vec![m.render(lang)])]))
            }
            ApiError::PayloadTooLarge(limit) => Self::Validation(BTreeMap::from([(
                "upload".into(),
                vec![crate::i18n::t_arg(
                    lang,
                    "problem.too_large_detail",
                    Some(&limit.to_string()),
                )],
            )])),
            e @ ApiError::RequestTimeout(_) => Self::Validation(BTreeMap::from([(
                "upload".into(),
                vec![e.problem(lang).detail.unwrap_or_default()],
            )])),
            ApiError::Unavailable(m) => Self::Unavailable(m),
            // CKAN's ValidationError: the field is `private`, one message per finding.
            ApiError::PrivacyBlocked(blockers) => Self::Validation(BTreeMap::from([(
                "private".into(),
                blockers.iter().map(|b| b.message().render(lang)).collect(),
            )])),
            e @ ApiError::PrivacyPending(_) => Self::Validation(BTreeMap::from([(
                "private".into(),
                vec![e.problem(lang).detail.unwrap_or_default()],
            )])),
            e @ (ApiError::Busy(secs) | ApiError::TooManyRequests(secs)) => {
                let detail = e.problem(lang).detail.unwrap_or_default();
                Self::Throttled(e.status(), detail, secs)
            }
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<allmende_app::AppError> for CkanError {
    fn from(e: allmende_app::AppError) -> Self {
        ApiError::from(e).into()
    }
}

impl From<allmende_search::SearchError> for CkanError {
    fn from(e: allmende_search::SearchError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<allmende_catalog::CatalogError> for CkanError {
    fn from(e: allmende_catalog::CatalogError) -> Self {
        ApiError::from(e).into()
    }
}

pub type CkanResult<T = Value> = Result<T, CkanError>;

/// Maps the native API's "not found" to CKAN's, naming what was not found.
pub(crate) fn not_found_as<E: Into<ApiError>>(what: &'static str) -> impl Fn(E) -> CkanError {
    move |e| match e.into() {
        ApiError::NotFound => CkanError::not_found(what),
        other => other.into(),
    }
}

/// A successful action's result: a JSON value, or one already serialized (the large lists of
/// package dicts are written straight from typed structs, without a `Value` tree in between).
pub enum Answer {
    Value(Value),
    Serialized(String),
}
