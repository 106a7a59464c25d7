//! Showcase pages: the list of approved ones, the proposal form anyone may send (no account,
//! no JavaScript; a honeypot field and a per-client limit keep robots out) and the review
//! page of the moderators.

use std::collections::BTreeMap;

use allmende_app::showcases::ShowcaseInput;
use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::authz::ReadScope;
use axum::extract::{FromRequest, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::signin::{login_redirect, signed_in_form};
use super::visitor_form::{self, Gate};
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// `GET /showcases`
pub async fn list(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let showcases = state.showcases(None, 200).await?;
    ctx.render(&state, "showcases.html", context! { showcases })
}

#[derive(Debug, serde::Deserialize)]
pub struct NewQuery {
    dataset: Option<String>,
}

async fn render_form(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    input: &ShowcaseInput,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    // The public datasets to choose from, by title.
    let mut datasets = state
        .catalog
        .datasets(
            &DatasetFilter::new(ReadScope::PublicAnd(Vec::new())),
            DatasetSort::Modified,
            1,
            1000,
        )
        .await?
        .items;
    datasets.sort_by_key(|d| d.title.to_lowercase());
    let options: Vec<minijinja::Value> = datasets
        .iter()
        .map(|d| {
            context! { slug => d.slug, title => d.title, organization => d.organization_name,
            selected => input.datasets.iter().any(|s| s == &d.slug) }
        })
        .collect();
    ctx.render_status(
        state,
        status,
        "showcase_form.html",
        context! { input => minijinja::Value::from_serialize(Form::of(input)), datasets => options, errors },
    )
}

/// The form's fields as the template shows them again.
#[derive(serde::Serialize)]
struct Form<'a> {
    title: &'a str,
    url: &'a str,
    description: &'a str,
    submitter_name: &'a str,
    submitter_email: &'a str,
}

impl<'a> Form<'a> {
    fn of(i: &'a ShowcaseInput) -> Self {
        Self {
            title: &i.title,
            url: &i.url,
            description: &i.description,
            submitter_name: &i.submitter_name,
            submitter_email: &i.submitter_email,
        }
    }
}

/// `GET /showcases/new[?dataset=slug]`
pub async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<NewQuery>,
) -> ApiResult<Response> {
    let input = ShowcaseInput {
        datasets: q.dataset.into_iter().collect(),
        ..Default::default()
    };
    render_form(&state, &ctx, StatusCode::OK, &input, BTreeMap::new()).await
}

/// `POST /showcases/new`: a form post, or a multipart one with a picture.
pub async fn propose(
    State(state): State<AppState>,
    ctx: PageCtx,
    req: axum::extract::Request,
) -> ApiResult<Response> {
    let (form, image) = if crate::multipart::is_multipart(req.headers()) {
        let m = crate::multipart::read_multipart_named(
            &state,
            req,
            allmende_app::images::MAX_IMAGE_BYTES,
            &["image"],
        )
        .await?;
        (FormData(m.pairs), m.file)
    } else {
        (FormData::from_request(req, &state).await?, None)
    };
    let input = ShowcaseInput {
        title: form.get("title").unwrap_or_default(),
        url: form.get("url").unwrap_or_default(),
        description: form.get("description").unwrap_or_default(),
        submitter_name: form.get("submitter_name").unwrap_or_default(),
        submitter_email: form.get("submitter_email").unwrap_or_default(),
        datasets: form.all("datasets"),
    };
    let done = || Ok(Redirect::to("/showcases?done=showcase_proposed").into_response());
    let admitted = match visitor_form::gate(&state, &ctx, &form, "showcase")? {
        Gate::Forged(message) => {
            let errors = BTreeMap::from([("title".to_string(), vec![message])]);
            return render_form(&state, &ctx, StatusCode::FORBIDDEN, &input, errors).await;
        }
        Gate::Robot => return done(),
        Gate::Admitted(a) => a,
    };
    let result = state.propose_showcase(input.clone(), image).await;
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

/// `GET /showcases/review`: the proposals this moderator may decide.
pub async fn review_list(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let pending = state.showcases_to_review(&ctx.actor).await?;
    let pending: Vec<minijinja::Value> = pending
        .iter()
        .map(|s| {
            context! { s => minijinja::Value::from_serialize(s), email => s.submitter_email }
        })
        .collect();
    ctx.render(&state, "showcase_review.html", context! { pending })
}

/// `POST /showcases/{id}/review` with `decision=approve|reject`.
pub async fn review(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_form(&ctx, &form)? {
        return Ok(r);
    }
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::NotFound)?;
    let approve = match form.get("decision").as_deref() {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            return Err(ApiError::Validation(allmende_core::FieldErrors::single(
                "decision", "required",
            )));
        }
    };
    state.review_showcase(&ctx.actor, id, approve).await?;
    Ok(Redirect::to("/showcases/review?done=showcase_reviewed").into_response())
}
