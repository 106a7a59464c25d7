//! What every API handler shares: request extractors whose rejections are problem documents,
//! paging, JSON merge patches.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::search::MAX_PER_PAGE;

/// `Json` whose rejections are problem documents: 415 without a JSON content type, 400 for
/// syntax errors, 422 for well-formed JSON of the wrong shape, 413 when too large.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

pub fn json_rejection(rej: JsonRejection) -> ApiError {
    let text = rej.body_text();
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType(Msg::new("media.json"))
        }
        JsonRejection::JsonDataError(_) => {
            let mut fe = allmende_core::FieldErrors::default();
            fe.add_arg("body", "invalid_body", Some(text));
            ApiError::Validation(fe)
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(2 * 1024 * 1024)
        }
        _ => ApiError::BadRequest(Msg::plain(text)),
    }
}

/// `Query` whose rejections are 400 problem documents.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(Msg::plain(e.body_text())))
    }
}

/// `Path` whose rejections (a version that is no number, or too large for one) are 400
/// problem documents, as every other error of the API.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Self(p.0))
            .map_err(|e| ApiError::BadRequest(Msg::plain(e.body_text())))
    }
}

/// Validated page and page size.
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> ApiResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(20);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::BadRequest(
            Msg::new("param.page").arg("value", page),
        ));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::BadRequest(
            Msg::new("param.per_page")
                .arg("max", MAX_PER_PAGE)
                .arg("value", per_page),
        ));
    }
    Ok((page, per_page))
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Applies a merge patch to an input struct and deserializes the result, reporting a patch of
/// the wrong shape as a validation problem.
pub fn apply_patch<T: serde::Serialize + DeserializeOwned>(
    current: &T,
    patch: &serde_json::Value,
) -> ApiResult<T> {
    if !patch.is_object() {
        return Err(ApiError::BadRequest(Msg::new("param.merge_patch")));
    }
    let mut value = serde_json::to_value(current).map_err(|e| ApiError::Internal(e.to_string()))?;
    merge_patch(&mut value, patch);
    serde_json::from_value(value).map_err(|e| {
        let mut fe = allmende_core::FieldErrors::default();
        fe.add_arg("body", "invalid_body", Some(e.to_string()));
        ApiError::Validation(fe)
    })
}
