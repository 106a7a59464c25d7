//! The page behind an invitation link: the invited person chooses a password and is signed
//! in. The link's secret is the only credential, so the page is never cached and its path is
//! not logged (see `middleware::make_span`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use minijinja::context;

use super::forms::FormData;
use super::login::start_session;
use super::publish::form_errors;
use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn render(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    secret: &str,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    let user = state.invited_user(secret).await?;
    let status = if user.is_none() {
        StatusCode::NOT_FOUND
    } else {
        status
    };
    // (`user` is the signed-in account in every page's context.)
    let invitee = user.map(|u| u.name);
    let res = ctx.render_status(
        state,
        status,
        "invite.html",
        context! { invitee, secret, errors },
    )?;
    Ok(no_store(res))
}

/// `GET /invite/{secret}`
pub async fn invite_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
) -> ApiResult<Response> {
    render(&state, &ctx, StatusCode::OK, &secret, BTreeMap::new()).await
}

/// `POST /invite/{secret}`: sets the password and signs in.
pub async fn accept(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(secret): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        let errors = BTreeMap::from([("password".to_string(), vec![ctx.t("login.csrf")])]);
        return render(&state, &ctx, StatusCode::FORBIDDEN, &secret, errors).await;
    }
    let password = form.get("password").unwrap_or_default();
    if form.get("password_again").as_deref() != Some(password.as_str()) {
        let e = ApiError::Validation(allmende_core::FieldErrors::single(
            "password_again",
            "passwords_differ",
        ));
        let errors = form_errors(ctx.lang, &e).unwrap_or_default();
        return render(
            &state,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &secret,
            errors,
        )
        .await;
    }
    match state.accept_invitation(&secret, &password).await {
        Ok(user) => {
            tracing::info!(user = %user.name, "invitation accepted");
            Ok(no_store(
                start_session(&state, &user, "/account?done=welcome").await?,
            ))
        }
        Err(allmende_app::AppError::NotFound) => {
            render(
                &state,
                &ctx,
                StatusCode::NOT_FOUND,
                &secret,
                BTreeMap::new(),
            )
            .await
        }
        Err(e) => {
            let e = ApiError::from(e);
            match form_errors(ctx.lang, &e) {
                Some(errors) => {
                    render(
                        &state,
                        &ctx,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &secret,
                        errors,
                    )
                    .await
                }
                None => Err(e),
            }
        }
    }
}
