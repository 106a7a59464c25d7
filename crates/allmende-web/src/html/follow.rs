//! Following a dataset: its Atom feed, and by e-mail when the portal has an SMTP relay — the
//! request form (no account, the visitor-form gate), and the pages behind the links in the
//! mails, which act only on a button press (a mail scanner that opens links changes nothing)
//! or on a one-click POST from the mail client (RFC 8058).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::visitor_form::{self, Errors, Gate};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

async fn render_form(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    slug: &str,
    email: &str,
    errors: Errors,
) -> ApiResult<Response> {
    if !state.follow_by_mail() {
        return Err(ApiError::NotFound);
    }
    let ds = state.visible_dataset(&ctx.actor, slug).await?;
    if !allmende_app::access::is_public(&ds) {
        return Err(ApiError::NotFound);
    }
    ctx.render_status(
        state,
        status,
        "follow.html",
        context! { mode => "form", dataset => context! { slug => ds.slug, title => ds.title }, email, errors },
    )
}

/// `GET /dataset/{slug}/follow`
pub async fn form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    render_form(&state, &ctx, StatusCode::OK, &slug, "", BTreeMap::new()).await
}

/// `POST /dataset/{slug}/follow`: the confirmation mail is on its way whatever the address
/// followed before.
pub async fn request(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    let email = form.get("email").unwrap_or_default();
    let done = || {
        Ok(
            Redirect::to(&format!("/dataset/{slug}?done=follow_requested#follow-h"))
                .into_response(),
        )
    };
    let admitted = match visitor_form::gate(&state, &ctx, &form, "follow")? {
        Gate::Forged(message) => {
            let errors = BTreeMap::from([("email".to_string(), vec![message])]);
            return render_form(&state, &ctx, StatusCode::FORBIDDEN, &slug, &email, errors).await;
        }
        Gate::Robot => return done(),
        Gate::Admitted(a) => a,
    };
    let result = state.follow(&slug, &email, ctx.lang).await;
    match admitted.settle(&state, &ctx, result)? {
        Ok(()) => done(),
        Err(errors) => {
            render_form(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &slug,
                &email,
                errors,
            )
            .await
        }
    }
}

fn action(what: &str) -> ApiResult<bool> {
    match what {
        "confirm" => Ok(true),
        "unsubscribe" => Ok(false),
        _ => Err(ApiError::NotFound),
    }
}

/// `GET /follow/{token}/{confirm|unsubscribe}`: what the link would do, with the button.
pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((token, what)): Path<(String, String)>,
) -> ApiResult<Response> {
    let confirm = action(&what)?;
    let s = state.subscription(&token).await?;
    let mode = match (confirm, s.confirmed) {
        (true, true) => "confirmed",
        (true, false) => "confirm",
        (false, _) => "unsubscribe",
    };
    ctx.render(
        &state,
        "follow.html",
        context! { mode, token, dataset => context! { slug => s.dataset_slug, title => s.dataset_title } },
    )
}

/// `POST /follow/{token}/{confirm|unsubscribe}`: the token is the proof, so no CSRF token is
/// asked (a mail client's one-click POST has none).
pub async fn act(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((token, what)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (s, mode) = if action(&what)? {
        (state.confirm_follow(&token).await?, "confirmed")
    } else {
        (state.unfollow(&token).await?, "unsubscribed")
    };
    ctx.render(
        &state,
        "follow.html",
        context! { mode, dataset => context! { slug => s.dataset_slug, title => s.dataset_title } },
    )
}
