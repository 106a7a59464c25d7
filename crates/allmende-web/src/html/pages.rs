//! Public pages: home, dataset lists and details, organizations, static content.

use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::authz::read_scope;
use allmende_core::vocab;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Deserialize;

use super::PageCtx;
use super::forms::safe_next;
use crate::api::{ApiQuery, visible_dataset};
use crate::auth::{LANG_COOKIE, set_cookie};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub async fn home(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let scope = read_scope(&ctx.actor);
    let counts = state.catalog.theme_counts(&scope).await?;
    let themes: Vec<Value> = vocab::THEMES
        .iter()
        .map(|t| {
            context! { code => t.code, label => t.label(ctx.lang), count => counts.get(t.code).copied().unwrap_or(0) }
        })
        .collect();
    let newest = state
        .catalog
        .datasets(
            &DatasetFilter::new(scope.clone()),
            DatasetSort::Created,
            1,
            6,
        )
        .await?;
    let orgs = state.catalog.organizations(&scope, 1, 12).await?;
    let totals = state.catalog.totals(&scope).await?;
    ctx.render(
        &state,
        "home.html",
        context! { themes, newest => newest.items, organizations => orgs.items, totals },
    )
}

#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    organization: Option<String>,
    theme: Option<String>,
    keyword: Option<String>,
    format: Option<String>,
    license: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    #[allow(dead_code)]
    lang: Option<String>,
}

pub async fn datasets(
    State(state): State<AppState>,
    ctx: PageCtx,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Response> {
    let per_page = 20;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let sort = q
        .sort
        .as_deref()
        .and_then(DatasetSort::parse)
        .unwrap_or_default();
    let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
    let filter = DatasetFilter {
        q: nonempty(&q.q),
        organization: nonempty(&q.organization),
        theme: nonempty(&q.theme),
        keyword: nonempty(&q.keyword),
        format: nonempty(&q.format),
        license: nonempty(&q.license),
        ..DatasetFilter::new(read_scope(&ctx.actor))
    };
    let result = state
        .catalog
        .datasets(&filter, sort, page, per_page)
        .await?;
    let orgs = state
        .catalog
        .organizations(&read_scope(&ctx.actor), 1, 100)
        .await?;
    let pages = (result.total + per_page - 1) / per_page;
    // The query string without `page`, for pagination links.
    let mut base = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &filter.q),
        ("organization", &filter.organization),
        ("theme", &filter.theme),
        ("keyword", &filter.keyword),
        ("format", &filter.format),
        ("license", &filter.license),
        ("sort", &q.sort),
    ] {
        if let Some(v) = v {
            base.append_pair(k, v);
        }
    }
    ctx.render(
        &state,
        "datasets.html",
        context! {
            result, pages, page, organizations => orgs.items,
            query => context! { q => filter.q, organization => filter.organization, theme => filter.theme,
                keyword => filter.keyword, format => filter.format, license => filter.license,
                sort => q.sort.clone().unwrap_or_else(|| "modified".into()) },
            base_query => base.finish(),
        },
    )
}

pub async fn dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let ds = visible_dataset(&state, &ctx.actor, &slug).await?;
    let can_edit = allmende_core::authz::decide(&ctx.actor, crate::api::edit_action(&ds)).allowed();
    let license = vocab::license(&ds.license);
    let org = state
        .catalog
        .organization(&ds.organization, &read_scope(&ctx.actor))
        .await?;
    ctx.render(
        &state,
        "dataset.html",
        context! { ds, license, can_edit, org },
    )
}

pub async fn resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (res, ds) = crate::api::visible_resource(&state, &ctx.actor, &id).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    let license_id = res.license.clone().unwrap_or_else(|| ds.license.clone());
    let license = vocab::license(&license_id);
    let can_edit = allmende_core::authz::decide(&ctx.actor, crate::api::edit_action(&ds)).allowed();
    ctx.render(
        &state,
        "resource.html",
        context! { res, ds, license, can_edit },
    )
}

pub async fn organizations(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let orgs = state
        .catalog
        .organizations(&read_scope(&ctx.actor), 1, 100)
        .await?;
    ctx.render(
        &state,
        "organizations.html",
        context! { organizations => orgs.items },
    )
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
}

pub async fn organization(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    let scope = read_scope(&ctx.actor);
    let org = state
        .catalog
        .organization(&slug, &scope)
        .await?
        .ok_or(ApiError::NotFound)?;
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let filter = DatasetFilter {
        organization: Some(org.slug.clone()),
        ..DatasetFilter::new(scope)
    };
    let result = state
        .catalog
        .datasets(&filter, DatasetSort::Modified, page, 20)
        .await?;
    let pages = (result.total + 19) / 20;
    ctx.render(
        &state,
        "organization.html",
        context! { org, result, page, pages },
    )
}

/// A Markdown page from the theme (`pages/{name}.{lang}.md` or `pages/{name}.md`), else the
/// built-in text.
async fn markdown_page(
    state: &AppState,
    ctx: &PageCtx,
    name: &str,
    title_key: &str,
) -> ApiResult<Response> {
    let theme = &state.settings.theme_dir;
    let mut text = None;
    for candidate in [format!("{name}.{}.md", ctx.lang), format!("{name}.md")] {
        if let Some(p) = super::theme_path(theme, "pages", &candidate)
            && let Ok(t) = tokio::fs::read_to_string(&p).await
        {
            text = Some(t);
            break;
        }
    }
    let text = text.unwrap_or_else(|| ctx.t(&format!("page.{name}.body")).replace("\\n", "\n"));
    ctx.render(
        state,
        "page.html",
        context! { title => ctx.t(title_key), body => text },
    )
}

pub async fn imprint(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    markdown_page(&state, &ctx, "imprint", "nav.imprint").await
}

pub async fn privacy(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    markdown_page(&state, &ctx, "privacy", "nav.privacy").await
}

pub async fn about(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    markdown_page(&state, &ctx, "about", "nav.about").await
}

/// The API reference, rendered from the same OpenAPI document clients download.
pub async fn api_docs(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let doc =
        serde_json::to_value(&*state.openapi).map_err(|e| ApiError::Internal(e.to_string()))?;
    let mut operations = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(|p| p.as_object()) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for method in ["get", "post", "put", "patch", "delete"] {
                let Some(op) = item.get(method) else { continue };
                let params: Vec<Value> = op
                    .get("parameters")
                    .and_then(|p| p.as_array())
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                context! {
                                    name => p.get("name").and_then(|v| v.as_str()),
                                    location => p.get("in").and_then(|v| v.as_str()),
                                    description => p.get("description").and_then(|v| v.as_str()),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let responses: Vec<String> = op
                    .get("responses")
                    .and_then(|r| r.as_object())
                    .map(|r| r.keys().cloned().collect())
                    .unwrap_or_default();
                operations.push(context! {
                    method => method.to_uppercase(),
                    path => format!("/api/v1{path}"),
                    summary => op.get("summary").and_then(|v| v.as_str()),
                    description => op.get("description").and_then(|v| v.as_str()),
                    tag => op.get("tags").and_then(|t| t.get(0)).and_then(|v| v.as_str()),
                    auth => op.get("security").is_some(),
                    params, responses,
                });
            }
        }
    }
    ctx.render(&state, "api.html", context! { operations })
}

#[derive(Debug, Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

pub async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<LangQuery>,
) -> ApiResult<Response> {
    let lang = crate::i18n::supported(&lang).ok_or(ApiError::NotFound)?;
    let mut res = Redirect::to(&safe_next(q.next.as_deref())).into_response();
    let cookie = set_cookie(
        LANG_COOKIE,
        lang,
        Some(365 * 24 * 3600),
        state.settings.secure_cookies(),
        false,
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

const STATIC: &[(&str, &str, &str)] = &[
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
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };
    let cache = [(header::CACHE_CONTROL, "public, max-age=3600")];
    if let Some(p) = super::theme_path(&state.settings.theme_dir, "static", &path)
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

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}
