//! Feedback pages: the form anyone may send ("Fehler melden" for a dataset, "Daten anfragen"
//! for a dataset or the portal; no account, no JavaScript, a honeypot and a per-client limit),
//! and the inbox where an organization's editors set the status and answer.

use std::collections::BTreeMap;

use allmende_app::feedback::FeedbackInput;
use allmende_core::authz::ReadScope;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::signin::{login_redirect, signed_in_form};
use super::visitor_form::{self, Gate};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

#[derive(Debug, serde::Deserialize)]
pub struct FormQuery {
    dataset: Option<String>,
    kind: Option<String>,
}

#[derive(serde::Serialize)]
struct Shown<'a> {
    kind: &'a str,
    dataset: &'a str,
    organization: &'a str,
    message: &'a str,
    name: &'a str,
    email: &'a str,
}

async fn render_form(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    input: &FeedbackInput,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    // The dataset it is about, when that is public; else it is about the portal.
    let dataset = match input.dataset.trim() {
        "" => None,
        slug => state
            .catalog
            .dataset(slug)
            .await?
            .filter(allmende_app::access::is_public),
    };
    let organizations = state
        .catalog
        .organizations(&ReadScope::PublicAnd(Vec::new()), 1, 200)
        .await?
        .items;
    let shown = Shown {
        kind: &input.kind,
        dataset: &input.dataset,
        organization: &input.organization,
        message: &input.message,
        name: &input.name,
        email: &input.email,
    };
    ctx.render_status(
        state,
        status,
        "feedback_form.html",
        context! { input => minijinja::Value::from_serialize(&shown), dataset, organizations, errors },
    )
}

/// `GET /feedback[?dataset=slug&kind=error|request]`
pub async fn form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<FormQuery>,
) -> ApiResult<Response> {
    let input = FeedbackInput {
        kind: q.kind.unwrap_or_else(|| "request".into()),
        dataset: q.dataset.unwrap_or_default(),
        ..Default::default()
    };
    render_form(&state, &ctx, StatusCode::OK, &input, BTreeMap::new()).await
}

/// `POST /feedback`
pub async fn send(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> ApiResult<Response> {
    let input = FeedbackInput {
        kind: form.get("kind").unwrap_or_default(),
        dataset: form.get("dataset").unwrap_or_default(),
        organization: form.get("organization").unwrap_or_default(),
        message: form.get("message").unwrap_or_default(),
        name: form.get("name").unwrap_or_default(),
        email: form.get("email").unwrap_or_default(),
    };
    let back = match input.dataset.trim() {
        "" => "/feedback?done=feedback_sent".to_string(),
        slug => format!(
            "/dataset/{}?done=feedback_sent",
            url::form_urlencoded::byte_serialize(slug.as_bytes()).collect::<String>()
        ),
    };
    let done = || Ok(Redirect::to(&back).into_response());
    let admitted = match visitor_form::gate(&state, &ctx, &form, "feedback")? {
        Gate::Forged(message) => {
            let errors = BTreeMap::from([("message".to_string(), vec![message])]);
            return render_form(&state, &ctx, StatusCode::FORBIDDEN, &input, errors).await;
        }
        Gate::Robot => return done(),
        Gate::Admitted(a) => a,
    };
    let result = state.send_feedback(input.clone()).await;
    match admitted.settle(&state, &ctx, result)? {
        Ok(()) => done(),
        Err(errors) => {
            render_form(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &input,
                errors,
            )
            .await
        }
    }
}

/// `GET /feedback/inbox`
pub async fn inbox(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let items: Vec<minijinja::Value> = state
        .feedback_inbox(&ctx.actor)
        .await?
        .iter()
        .map(|f| {
            context! { f => minijinja::Value::from_serialize(f), name => f.name, email => f.email }
        })
        .collect();
    ctx.render(&state, "feedback_inbox.html", context! { items })
}

/// `POST /feedback/{id}`: status and public answer.
pub async fn answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    state
        .answer_feedback(
            &ctx.actor,
            id,
            &form.get("status").unwrap_or_default(),
            &form.get("public_answer").unwrap_or_default(),
        )
        .await?;
    Ok(Redirect::to("/feedback/inbox?done=saved").into_response())
}
