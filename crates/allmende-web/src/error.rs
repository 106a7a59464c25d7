//! One error type for the HTTP layer, mapped once to RFC 9457 problem responses.

use std::collections::BTreeMap;

use allmende_catalog::{CatalogError, UploadError};
use allmende_core::FieldErrors;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{self, Msg};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(Msg),
    #[error("authentication required")]
    Unauthorized,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("payload too large")]
    PayloadTooLarge(u64),
    /// An upload that sent nothing for this many seconds.
    #[error("request timeout")]
    RequestTimeout(u64),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(Msg),
    #[error("validation failed")]
    Validation(FieldErrors),
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
    /// This client has used its share; retry after the seconds given.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// Every slot for heavy work is taken; retry after the seconds given.
    #[error("busy")]
    Busy(u64),
    /// A query hit its memory or time limit.
    #[error("query limit: {0}")]
    QueryLimit(Msg),
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// High findings of the privacy check keep the dataset from becoming public.
    #[error("privacy findings block publication")]
    PrivacyBlocked(Vec<allmende_app::privacy::Blocker>),
    /// The privacy check of these files (titles) has not finished: publication must wait.
    #[error("privacy check still running")]
    PrivacyPending(Vec<String>),
    #[error("internal error: {0}")]
    Internal(String),
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the problem kind, e.g. `/problems/validation-error`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Messages per field, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
    /// What blocks publication: per file and column the rule of the privacy check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<serde_json::Value>>,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) | Self::PrivacyBlocked(_) | Self::PrivacyPending(_) => {
                StatusCode::CONFLICT
            }
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RangeNotSatisfiable(_) => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::QueryLimit(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PrivacyBlocked(_) => "privacy-findings",
            Self::PrivacyPending(_) => "privacy-check-pending",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::RequestTimeout(_) => "request-timeout",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::Validation(_) => "validation-error",
            Self::RangeNotSatisfiable(_) => "range-not-satisfiable",
            Self::TooManyRequests(_) => "too-many-requests",
            Self::Busy(_) => "busy",
            Self::QueryLimit(_) => "query-limit",
            Self::Unavailable(_) => "service-unavailable",
            Self::Internal(_) => "internal-error",
        }
    }

    pub fn problem(&self, lang: &str) -> Problem {
        let kind = self.kind();
        let detail = match self {
            Self::BadRequest(d) | Self::UnsupportedMediaType(d) | Self::QueryLimit(d) => {
                Some(d.render(lang))
            }
            Self::Conflict(field) => {
                Some(i18n::t_arg(lang, "problem.conflict_detail", Some(field)))
            }
            Self::PrivacyBlocked(_) => {
                Some(i18n::t(lang, "problem.privacy-findings_detail").to_string())
            }
            Self::PrivacyPending(files) => Some(i18n::t_arg(
                lang,
                "problem.privacy-check-pending_detail",
                Some(&files.join(", ")),
            )),
            Self::PayloadTooLarge(limit) => Some(i18n::t_arg(
                lang,
                "problem.too_large_detail",
                Some(&limit.to_string()),
            )),
            Self::RequestTimeout(secs) => Some(i18n::t_arg(
                lang,
                "problem.request-timeout_detail",
                Some(&secs.to_string()),
            )),
            Self::RangeNotSatisfiable(size) => Some(format!("bytes */{size}")),
            Self::TooManyRequests(secs) => Some(i18n::t_arg(
                lang,
                "problem.too_many_detail",
                Some(&secs.to_string()),
            )),
            Self::Busy(secs) => Some(i18n::t_arg(
                lang,
                "problem.busy_detail",
                Some(&secs.to_string()),
            )),
            _ => None,
        };
        let errors = match self {
            Self::Validation(fe) => Some(field_messages(lang, fe)),
            Self::Conflict(field) => Some(BTreeMap::from([(
                field.clone(),
                vec![i18n::t(lang, "error.taken").to_string()],
            )])),
            _ => None,
        };
        let findings = match self {
            Self::PrivacyBlocked(blockers) => Some(
                blockers
                    .iter()
                    .map(|b| {
                        serde_json::json!({
                            "resource": b.resource,
                            "resource_title": b.resource_title,
                            "column": b.column,
                            "rule": b.rule,
                            "label": i18n::t(lang, &format!("privacy.rule.{}", b.rule.code())),
                        })
                    })
                    .collect(),
            ),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{kind}"),
            title: i18n::t(lang, &format!("problem.{kind}")).to_string(),
            status: self.status().as_u16(),
            detail,
            errors,
            findings,
        }
    }
}

/// Field errors as translated messages.
pub fn field_messages(lang: &str, fe: &FieldErrors) -> BTreeMap<String, Vec<String>> {
    fe.0.iter()
        .map(|(field, errs)| {
            (
                field.clone(),
                errs.iter()
                    .map(|e| i18n::t_arg(lang, &format!("error.{}", e.code), e.arg.as_deref()))
                    .collect(),
            )
        })
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(msg) | Self::Unavailable(msg) = &self {
            tracing::error!(error = %msg, "request failed");
        }
        let lang = i18n::current_lang();
        let problem = self.problem(lang);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (self.status(), body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            Self::Unauthorized => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"allmende\""),
                );
            }
            Self::RangeNotSatisfiable(size) => {
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
            }
            Self::Unavailable(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            }
            Self::TooManyRequests(secs) | Self::Busy(secs) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(*secs));
            }
            _ => {}
        }
        res
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => Self::NotFound,
            CatalogError::Conflict(field) => Self::Conflict(field),
            CatalogError::Invalid(fe) => Self::Validation(fe),
            CatalogError::Unavailable(m) => Self::Unavailable(m),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::TooLarge { limit } => Self::PayloadTooLarge(limit),
            UploadError::Io(io) => Self::Internal(io.to_string()),
        }
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<allmende_table::query::QueryError> for ApiError {
    fn from(e: allmende_table::query::QueryError) -> Self {
        use allmende_table::query::QueryError;
        match e {
            QueryError::Invalid(m) => Self::BadRequest(m),
            QueryError::TooLarge(_) | QueryError::Timeout(_) | QueryError::Failed(_) => {
                Self::QueryLimit(e.message())
            }
            QueryError::Unavailable => Self::Unavailable(e.to_string()),
            QueryError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<allmende_search::SearchError> for ApiError {
    fn from(e: allmende_search::SearchError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<allmende_work::Refused> for ApiError {
    fn from(r: allmende_work::Refused) -> Self {
        let secs = |d: std::time::Duration| d.as_secs().max(1);
        match r {
            allmende_work::Refused::Busy { retry_after } => Self::Busy(secs(retry_after)),
            allmende_work::Refused::ClientLimit { retry_after, .. } => {
                Self::TooManyRequests(secs(retry_after))
            }
            allmende_work::Refused::ShuttingDown => Self::Unavailable("shutting down".into()),
        }
    }
}

impl From<allmende_core::authz::Decision> for ApiError {
    fn from(d: allmende_core::authz::Decision) -> Self {
        match d {
            allmende_core::authz::Decision::NotFound => Self::NotFound,
            _ => Self::Forbidden,
        }
    }
}

impl From<allmende_app::AppError> for ApiError {
    fn from(e: allmende_app::AppError) -> Self {
        use allmende_app::AppError;
        match e {
            AppError::NotFound => Self::NotFound,
            AppError::Unauthorized => Self::Unauthorized,
            AppError::Forbidden => Self::Forbidden,
            AppError::Validation(fe) => Self::Validation(fe),
            AppError::Catalog(e) => e.into(),
            AppError::Upload(e) => e.into(),
            AppError::Query(e) => e.into(),
            AppError::Refused(r) => r.into(),
            AppError::PrivacyBlocked(b) => Self::PrivacyBlocked(b),
            AppError::PrivacyPending(f) => Self::PrivacyPending(f),
            AppError::Internal(m) => Self::Internal(m),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
