//! Multipart forms, shared by every front door that takes them (API, publisher pages, CKAN):
//! streaming uploads into the file store: bytes go to a staging file as they
//! arrive, never into memory, and nothing remains if the request fails half-way.

use std::collections::HashMap;

use allmende_core::validate::ResourceInput;
use allmende_core::{Dataset, FieldErrors, Resource};
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};

use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::state::AppState;

/// Text fields are metadata; anything longer is not a title or description.
const MAX_TEXT_FIELD: usize = 200 * 1024;
/// Text fields per form: a form has dozens, not thousands (each one is kept in memory).
const MAX_FIELDS: usize = 1000;
/// All text fields of one form together: upload routes have no body limit, so without
/// this a form of many long fields would hold hundreds of megabytes in memory.
const MAX_TEXT_TOTAL: usize = 1024 * 1024;

pub use allmende_app::resources::Upload as StagedUpload;

pub struct MultipartForm {
    /// Text fields by name (the last value of a repeated one).
    pub fields: HashMap<String, String>,
    /// Every text field in order, repeated ones included (checkbox groups, multiple selects).
    pub pairs: Vec<(String, String)>,
    pub file: Option<StagedUpload>,
}

impl MultipartForm {
    pub fn text(&self, name: &str) -> Option<String> {
        self.fields
            .get(name)
            .cloned()
            .filter(|s| !s.trim().is_empty())
    }
}

pub fn multipart_error(e: MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(limit)
    } else {
        ApiError::BadRequest(Msg::plain(format!("multipart: {}", e.body_text())))
    }
}

/// Refuses early, before reading a byte, when the declared length is over the limit.
pub fn check_content_length(headers: &HeaderMap, limit: u64) -> ApiResult<()> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Multipart framing adds some bytes around the file itself.
    if declared.is_some_and(|n| n > limit.saturating_add(1024 * 1024)) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    Ok(())
}

pub fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// File names are kept for Content-Disposition, so they must be a plain name: no
/// directories, no traversal, no control characters.
pub fn clean_file_name(raw: &str) -> Result<String, FieldErrors> {
    let name = raw.trim();
    let bad = name.is_empty()
        || name.len() > 255
        || name.contains(['/', '\\'])
        || name == "."
        || name == ".."
        || name.chars().any(|c| c.is_control());
    if bad {
        let mut fe = FieldErrors::default();
        fe.add_arg(
            "file",
            "invalid_file_name",
            Some(name.chars().take(80).collect::<String>()),
        );
        return Err(fe);
    }
    Ok(name.to_string())
}

/// Waits for the next piece of a form, at most `upload_idle`: a client that stops sending
/// holds no connection, staging file or reader for ever.
async fn within<T>(state: &AppState, next: impl std::future::Future<Output = T>) -> ApiResult<T> {
    let idle = state.settings.upload_idle;
    tokio::time::timeout(idle, next)
        .await
        .map_err(|_| ApiError::RequestTimeout(idle.as_secs()))
}

/// Streams a file field into the store's staging area; a table in delimited text starts
/// being read once its head is there (the application decides).
async fn stage_field(
    state: &AppState,
    field: &mut Field<'_>,
    limit: u64,
    file_name: &str,
) -> ApiResult<StagedUpload> {
    let mut staged = state.catalog.files.stage(limit).await?;
    let mut early = None;
    let mut looked = false;
    while let Some(chunk) = within(state, field.chunk())
        .await?
        .map_err(|e| multipart_error(e, limit))?
    {
        staged.write(&chunk).await?;
        if !looked && staged.size() >= allmende_table::detect::HEAD_BYTES as u64 {
            looked = true;
            early = state.app.read_while_arriving(&mut staged, file_name).await;
        }
    }
    Ok(StagedUpload {
        staged,
        file_name: file_name.to_string(),
        early,
    })
}

/// Reads a whole multipart request: text fields into memory (bounded), the `file` field
/// streamed into a staging file of at most `limit` bytes.
pub async fn read_multipart(
    state: &AppState,
    req: Request,
    limit: u64,
) -> ApiResult<MultipartForm> {
    read_multipart_named(state, req, limit, &["file"]).await
}

/// Like [`read_multipart`], with the file in any one of `file_fields` (CKAN calls it
/// `upload`).
pub async fn read_multipart_named(
    state: &AppState,
    req: Request,
    limit: u64,
    file_fields: &[&str],
) -> ApiResult<MultipartForm> {
    check_content_length(req.headers(), limit)?;
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| ApiError::BadRequest(Msg::plain(e.body_text())))?;
    let mut form = MultipartForm {
        fields: HashMap::new(),
        pairs: Vec::new(),
        file: None,
    };
    let mut text_total = 0usize;
    while let Some(mut field) = within(state, multipart.next_field())
        .await?
        .map_err(|e| multipart_error(e, limit))?
    {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(str::to_string) {
            if !file_fields.contains(&name.as_str()) || form.file.is_some() {
                return Err(ApiError::BadRequest(
                    Msg::new("param.unexpected_file")
                        .arg("name", &name)
                        .arg("expected", file_fields.first().unwrap_or(&"file")),
                ));
            }
            // Browsers send an empty part when no file was chosen.
            if file_name.is_empty() {
                while within(state, field.chunk())
                    .await?
                    .map_err(|e| multipart_error(e, limit))?
                    .is_some()
                {}
                continue;
            }
            let file_name = clean_file_name(&file_name).map_err(ApiError::Validation)?;
            form.file = Some(stage_field(state, &mut field, limit, &file_name).await?);
        } else {
            let mut value = Vec::new();
            while let Some(chunk) = within(state, field.chunk())
                .await?
                .map_err(|e| multipart_error(e, limit))?
            {
                if value.len() + chunk.len() > MAX_TEXT_FIELD {
                    return Err(ApiError::PayloadTooLarge(MAX_TEXT_FIELD as u64));
                }
                text_total += chunk.len();
                if text_total > MAX_TEXT_TOTAL {
                    return Err(ApiError::PayloadTooLarge(MAX_TEXT_TOTAL as u64));
                }
                value.extend_from_slice(&chunk);
            }
            let value = String::from_utf8(value)
                .map_err(|_| ApiError::BadRequest(Msg::new("param.not_utf8").arg("name", &name)))?;
            if form.pairs.len() >= MAX_FIELDS {
                return Err(ApiError::PayloadTooLarge(MAX_TEXT_FIELD as u64));
            }
            form.pairs.push((name.clone(), value.clone()));
            form.fields.insert(name, value);
        }
    }
    Ok(form)
}

/// Creates a resource from a multipart form (`file` plus metadata fields) or from resource
/// metadata with an external `url`. Shared by the API, the publisher pages and CKAN.
pub async fn create_from_form(
    state: &AppState,
    ds: &Dataset,
    form: MultipartForm,
) -> ApiResult<Resource> {
    let input = ResourceInput {
        title: form.text("title"),
        description: form.text("description"),
        url: form.text("url"),
        format: form.text("format"),
        license: form.text("license"),
        position: match form.text("position") {
            Some(p) => Some(p.trim().parse().map_err(|_| {
                ApiError::Validation(FieldErrors::single("position", "out_of_range"))
            })?),
            None => None,
        },
    };
    Ok(state.add_resource(ds, input, form.file).await?)
}
