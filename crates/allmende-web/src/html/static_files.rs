//! The files under `/static/`: the theme folder's first, else those built into the binary
//! (styles, scripts, the vendored front-end libraries and icons).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A Lucide icon (`static/vendor/lucide/`) as a static file.
macro_rules! icon {
    ($name:literal) => {
        (
            concat!("vendor/lucide/", $name, ".svg"),
            "image/svg+xml",
            include_str!(concat!("../../static/vendor/lucide/", $name, ".svg")),
        )
    };
}

/// The icon of each EU data theme on the home page.
pub(super) fn theme_icon(code: &str) -> &'static str {
    match code {
        "AGRI" => "wheat",
        "ECON" => "briefcase",
        "EDUC" => "graduation-cap",
        "ENER" => "zap",
        "ENVI" => "leaf",
        "GOVE" => "landmark",
        "HEAL" => "heart-pulse",
        "INTR" => "globe",
        "JUST" => "scale",
        "REGI" => "map",
        "SOCI" => "users",
        "TECH" => "cpu",
        _ => "bus",
    }
}

const STATIC: &[(&str, &str, &str)] = &[
    (
        "vendor/maplibre/maplibre-gl.mjs",
        "text/javascript; charset=utf-8",
        include_str!("../../static/vendor/maplibre/maplibre-gl.mjs"),
    ),
    (
        "vendor/maplibre/maplibre-gl-worker.mjs",
        "text/javascript; charset=utf-8",
        include_str!("../../static/vendor/maplibre/maplibre-gl-worker.mjs"),
    ),
    (
        "vendor/maplibre/maplibre-gl.css",
        "text/css; charset=utf-8",
        include_str!("../../static/vendor/maplibre/maplibre-gl.css"),
    ),
    (
        "vendor/maplibre/leaflet-maplibre-gl.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/vendor/maplibre/leaflet-maplibre-gl.js"),
    ),
    (
        "basemap.mjs",
        "text/javascript; charset=utf-8",
        include_str!("../../static/basemap.mjs"),
    ),
    icon!("wheat"),
    icon!("briefcase"),
    icon!("graduation-cap"),
    icon!("zap"),
    icon!("leaf"),
    icon!("landmark"),
    icon!("heart-pulse"),
    icon!("globe"),
    icon!("scale"),
    icon!("map"),
    icon!("users"),
    icon!("cpu"),
    icon!("bus"),
    (
        "map.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/map.js"),
    ),
    (
        "vendor/leaflet/leaflet.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/vendor/leaflet/leaflet.js"),
    ),
    (
        "vendor/leaflet/leaflet.css",
        "text/css; charset=utf-8",
        include_str!("../../static/vendor/leaflet/leaflet.css"),
    ),
    (
        "publish.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/publish.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../static/style.css"),
    ),
    (
        "logo.svg",
        "image/svg+xml",
        include_str!("../../static/logo.svg"),
    ),
    (
        "chart.js",
        "text/javascript; charset=utf-8",
        include_str!("../../static/chart.js"),
    ),
];

pub async fn static_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> ApiResult<Response> {
    let content_type = match path.rsplit_once('.').map(|(_, e)| e) {
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("woff2") => "font/woff2",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };
    let cache = [(header::CACHE_CONTROL, "public, max-age=3600")];
    if let Some(p) = crate::templates::theme_path(&state.settings.theme_dir, "static", &path)
        && let Ok(bytes) = tokio::fs::read(&p).await
    {
        return Ok(([(header::CONTENT_TYPE, content_type)], cache, bytes).into_response());
    }
    let (_, ct, body) = STATIC
        .iter()
        .find(|(n, _, _)| *n == path)
        .ok_or(ApiError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, *ct)], cache, *body).into_response())
}
