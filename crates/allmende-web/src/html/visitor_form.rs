//! What every form a visitor may send without an account goes through (showcase proposals,
//! feedback): this browser's CSRF token, a field hidden from people that robots fill, and a
//! limit of accepted submissions per client and hour.

use std::collections::BTreeMap;

use super::forms::FormData;
use super::publish::form_errors;
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// Accepted submissions per client, form and hour.
pub const PER_HOUR: u32 = 5;

/// A form's messages by field.
pub(super) type Errors = BTreeMap<String, Vec<String>>;

pub(super) enum Gate {
    /// Without this browser's token: the form again, with this message.
    Forged(String),
    /// The hidden field is filled: thank the robot and keep nothing.
    Robot,
    /// On to the use case; [`Admitted::settle`] its result.
    Admitted(Admitted),
}

pub(super) struct Admitted {
    key: String,
}

/// Checks a visitor's form of `kind` before its use case runs; a client over its limit gets
/// 429.
pub(super) fn gate(
    state: &AppState,
    ctx: &PageCtx,
    form: &FormData,
    kind: &str,
) -> ApiResult<Gate> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Ok(Gate::Forged(ctx.t("login.csrf")));
    }
    if form.nonempty("website").is_some() {
        return Ok(Gate::Robot);
    }
    let key = format!("{kind}:{}", ctx.client.0);
    if state.proposal_limiter.is_blocked(&key, PER_HOUR) {
        return Err(ApiError::TooManyRequests(60 * 60));
    }
    Ok(Gate::Admitted(Admitted { key }))
}

impl Admitted {
    /// An accepted submission counts against the client's limit; a refused one comes back as
    /// the form's messages (`Err`), anything else as the error it is.
    pub(super) fn settle<T>(
        self,
        state: &AppState,
        ctx: &PageCtx,
        result: allmende_app::AppResult<T>,
    ) -> ApiResult<Result<(), Errors>> {
        match result {
            Ok(_) => {
                state.proposal_limiter.record_failure(&self.key);
                Ok(Ok(()))
            }
            Err(e) => {
                let e = ApiError::from(e);
                form_errors(ctx.lang, &e).map(Err).ok_or(e)
            }
        }
    }
}
