//! Streaming downloads with validators (ETag, Last-Modified) and single byte ranges.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio_util::io::ReaderStream;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const RFC5987: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `attachment` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987).
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        utf8_percent_encode(file_name, RFC5987)
    )
}

#[derive(Debug, PartialEq, Eq)]
enum RangeRequest {
    Full,
    Part(u64, u64),
    Unsatisfiable,
}

/// Parses a `Range` header for a file of `size` bytes. Multiple ranges are answered with the
/// whole file, which RFC 9110 allows.
fn parse_range(value: &str, size: u64) -> RangeRequest {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (start, end) = (start.trim(), end.trim());
    let range = if start.is_empty() {
        match end.parse::<u64>() {
            Ok(0) | Err(_) => return RangeRequest::Unsatisfiable,
            Ok(n) => (size.saturating_sub(n), size.saturating_sub(1)),
        }
    } else {
        let Ok(s) = start.parse::<u64>() else {
            return RangeRequest::Full;
        };
        let e = if end.is_empty() {
            size.saturating_sub(1)
        } else {
            match end.parse::<u64>() {
                Ok(e) if e >= s => e.min(size.saturating_sub(1)),
                _ => return RangeRequest::Full,
            }
        };
        (s, e)
    };
    if size == 0 || range.0 >= size {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Part(range.0, range.1)
    }
}

pub async fn serve_blob(
    state: &AppState,
    headers: &HeaderMap,
    sha256: &str,
    media_type: &str,
    file_name: &str,
    modified: DateTime<Utc>,
    public: bool,
) -> ApiResult<Response> {
    let meta =
        state.catalog.files.stat(sha256).await?.ok_or_else(|| {
            ApiError::Internal(format!("blob {sha256} missing from the file store"))
        })?;
    let size = meta.size;
    let etag = format!("\"{sha256}\"");
    let last_modified = httpdate::fmt_http_date(std::time::SystemTime::from(modified));

    let mut common = HeaderMap::new();
    let put = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    put(&mut common, header::ETAG, &etag);
    put(&mut common, header::LAST_MODIFIED, &last_modified);
    put(&mut common, header::ACCEPT_RANGES, "bytes");
    put(
        &mut common,
        header::CACHE_CONTROL,
        if public {
            "public, max-age=300"
        } else {
            "private, no-store"
        },
    );

    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let not_modified = match if_none_match {
        Some(inm) => inm.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| {
                std::time::SystemTime::from(modified)
                    .duration_since(since)
                    .map(|d| d.as_secs() == 0)
                    .unwrap_or(true)
            }),
    };
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }

    // If-Range: only honour the range when the validator still matches.
    let range_applies = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.trim() == etag || v.trim() == last_modified);
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if range_applies => parse_range(r, size),
        _ => RangeRequest::Full,
    };
    let (status, start, len) = match range {
        RangeRequest::Full => (StatusCode::OK, 0, size),
        RangeRequest::Part(s, e) => (StatusCode::PARTIAL_CONTENT, s, e - s + 1),
        RangeRequest::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable(size)),
    };
    let reader = state.catalog.files.read_range(sha256, start, len).await?;
    let mut res = Response::new(Body::from_stream(ReaderStream::with_capacity(
        reader,
        64 * 1024,
    )));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.extend(common);
    put(h, header::CONTENT_TYPE, media_type);
    put(h, header::CONTENT_LENGTH, &len.to_string());
    put(
        h,
        header::CONTENT_DISPOSITION,
        &content_disposition(file_name),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        put(
            h,
            header::CONTENT_RANGE,
            &format!("bytes {start}-{}/{size}", start + len - 1),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), RangeRequest::Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), RangeRequest::Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), RangeRequest::Part(90, 99));
        assert_eq!(parse_range("bytes=95-200", 100), RangeRequest::Part(95, 99));
        assert_eq!(parse_range("bytes=100-", 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), RangeRequest::Full);
        assert_eq!(parse_range("items=0-1", 100), RangeRequest::Full);
    }

    #[test]
    fn disposition() {
        assert_eq!(
            content_disposition("Bäume 2024.csv"),
            "attachment; filename=\"B_ume 2024.csv\"; filename*=UTF-8''B%C3%A4ume%202024.csv"
        );
    }
}
