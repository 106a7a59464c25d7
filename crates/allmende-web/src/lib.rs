//! Allmende's web server: the JSON API (`/api/v1`), the server-rendered German/English UI,
//! health endpoints and the middleware around them.

pub mod api;
pub mod auth;
mod body_idle;
pub mod connections;
pub mod cors;
pub mod error;
pub mod heavy;
pub mod html;
pub mod i18n;
pub mod interop;
pub mod markdown;
mod middleware;
pub mod multipart;
mod negotiate;
pub mod page;
pub mod ratelimit;
pub mod routes;
pub mod search;
mod stall;
pub mod state;
pub mod templates;
pub mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;

pub use state::{AppState, Settings};

pub fn app_state(
    app: allmende_app::App,
    settings: Settings,
) -> Result<AppState, html::TemplateError> {
    let templates = templates::Templates::new(settings.theme_dir.clone())?;
    let openapi = api::openapi(&settings.public_url);
    Ok(AppState {
        app,
        login_limiter: Arc::new(throttle::RateLimiter::new(Duration::from_secs(
            settings.login_window_secs,
        ))),
        proposal_limiter: Arc::new(throttle::RateLimiter::new(Duration::from_secs(60 * 60))),
        rate_limiter: Arc::new(throttle::Limiter::new(settings.rate_limits)),
        settings: Arc::new(settings),
        templates: Arc::new(templates),
        openapi: Arc::new(openapi),
        documents: Arc::default(),
        organizations: Arc::default(),
    })
}

/// Every route of the server (paths as registered), for the authorization matrix.
pub fn routes() -> routes::Routes {
    routes::Routes::new()
        .nest("/api/v1", api::router())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/dataset/{slug}", get(negotiate::dataset))
        .merge(html::router())
        .merge(interop::router())
}

pub fn router(state: AppState) -> Router {
    // Stored messages in models are written out in the language of the request.
    allmende_core::i18n::set_lang_source(i18n::current_lang);
    routes()
        .into_router()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            body_idle::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            html::html_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::notify_search,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            ratelimit::limit,
        ))
        .layer(axum::middleware::from_fn(middleware::language))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        // Outside the limits and error pages: a 429 or a problem must be readable cross-origin.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ))
        .layer(middleware::compression())
        .layer(middleware::trace_layers())
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.catalog.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.settings.connections;
    connections::serve(listener, router(state), limits, shutdown).await
}
