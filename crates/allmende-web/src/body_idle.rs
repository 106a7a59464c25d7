//! Request bodies that stop arriving: a JSON document, a form or a CKAN call whose client sends
//! part of it and then nothing held its connection and handler for ever. Every body but a
//! multipart form (which stages its file and has its own limit, see `multipart.rs`) fails once
//! it has sent nothing for `upload_idle_secs`, and the request is answered with 408.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};

use crate::error::ApiError;
use crate::stall::StallTimer;
use crate::state::AppState;

/// The middleware: the body given a deadline per piece, and a stalled request answered 408
/// whatever the handler made of its broken body.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if crate::multipart::is_multipart(req.headers()) || !has_body(&req) {
        return next.run(req).await;
    }
    let idle = state.settings.upload_idle;
    let stalled = Arc::new(AtomicBool::new(false));
    let req = req.map(|body| Body::new(IdleBody::new(body, idle, stalled.clone())));
    let res = next.run(req).await;
    if !stalled.load(Ordering::Relaxed) {
        return res;
    }
    let mut res = ApiError::RequestTimeout(idle.as_secs()).into_response();
    // The rest of the body may still come; the connection is not worth keeping.
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Whether the request says a body follows (a length above zero or chunks).
fn has_body(req: &Request) -> bool {
    let h = req.headers();
    h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0")
}

/// The body's own error when it stalls.
#[derive(Debug, thiserror::Error)]
#[error("the request body sent nothing for {0:?}")]
struct Stalled(Duration);

/// A body whose next piece must come within `idle` of being asked for.
struct IdleBody {
    inner: Body,
    waiting: StallTimer,
    stalled: Arc<AtomicBool>,
}

impl IdleBody {
    fn new(inner: Body, idle: Duration, stalled: Arc<AtomicBool>) -> Self {
        Self {
            inner,
            waiting: StallTimer::new(idle),
            stalled,
        }
    }
}

impl http_body::Body for IdleBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting.reset();
                Poll::Ready(frame)
            }
            Poll::Pending if this.waiting.expired(cx) => {
                this.stalled.store(true, Ordering::Relaxed);
                let idle = this.waiting.limit();
                Poll::Ready(Some(Err(axum::Error::new(Stalled(idle)))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
