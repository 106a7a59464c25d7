//! A dataset's history page: each revision with who, when and the fields it changed, and a
//! form to restore an earlier one (members who may change the dataset).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::signin::login_redirect;
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// The label of a (dotted) field, from the form's labels where there is one.
fn label(lang: &str, field: &str) -> String {
    let key = format!("field.{}", field.replace('.', "_"));
    if allmende_core::i18n::has_key(&key) {
        crate::i18n::t(lang, &key).to_string()
    } else {
        field.to_string()
    }
}

/// `GET /dataset/{slug}/history`
pub async fn history(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let (ds, entries) = state.dataset_history(&ctx.actor, &slug).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    let newest = entries.first().map(|e| e.revision);
    let entries: Vec<minijinja::Value> = entries
        .iter()
        .map(|e| {
            let at = format!("{} UTC", ctx.time(&e.at.naive_utc(), false));
            let changes: Vec<minijinja::Value> = e
                .changes
                .iter()
                .map(|c| {
                    context! { label => label(ctx.lang, &c.field), before => c.before, after => c.after }
                })
                .collect();
            context! {
                revision => e.revision, at, actor => e.actor, changes,
                first => e.first, current => Some(e.revision) == newest,
            }
        })
        .collect();
    ctx.render(&state, "history.html", context! { ds, entries })
}

/// `POST /dataset/{slug}/history/{revision}/restore`
pub async fn restore(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, revision)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    let ds = state.editable_dataset(&ctx.actor, &slug).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    let revision: i64 = revision.parse().map_err(|_| ApiError::NotFound)?;
    let ds = state.restore_revision(&ctx.actor, &slug, revision).await?;
    Ok(Redirect::to(&format!("/dataset/{}/history?done=restored", ds.slug)).into_response())
}
