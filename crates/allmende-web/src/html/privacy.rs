//! The form with which an organization admin acknowledges a high finding of the privacy
//! check with a reason (the findings themselves are part of the resource page).

use allmende_app::privacy::AcknowledgementInput;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::forms::FormData;
use crate::error::{ApiError, ApiResult, field_messages};
use crate::page::PageCtx;
use crate::state::AppState;

/// `POST /dataset/{slug}/resource/{id}/acknowledge`: one finding, with the reason.
pub async fn acknowledge(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    let (_, ds) = state.visible_resource(&ctx.actor, &id).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    let input = AcknowledgementInput {
        column: form.get("column"),
        rule: form.get("rule"),
        reason: form.get("reason"),
    };
    let key = format!(
        "{}\u{1f}{}",
        input.column.clone().unwrap_or_default(),
        input.rule.clone().unwrap_or_default()
    );
    match state.acknowledge_finding(&ctx.actor, &id, input).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/dataset/{slug}/resource/{id}?done=acknowledged#privacy-h"
        ))
        .into_response()),
        Err(allmende_app::AppError::Validation(fe)) => {
            let messages = field_messages(ctx.lang, &fe)
                .into_values()
                .flatten()
                .collect();
            super::pages::render_resource(
                &state,
                &ctx,
                &slug,
                &id,
                &Default::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((key, messages)),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}
