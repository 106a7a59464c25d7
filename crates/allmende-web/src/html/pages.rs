//! Public pages: home, dataset lists and details, organizations, static content.

use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::authz::read_scope;
use allmende_core::vocab;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use minijinja::value::Value;
use serde::Deserialize;

use super::forms::safe_next;
use crate::auth::{LANG_COOKIE, set_cookie};
use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::page::PageCtx;
use crate::state::AppState;

pub async fn home(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    let scope = read_scope(&ctx.actor);
    let counts = state.catalog.theme_counts(&scope).await?;
    let themes: Vec<Value> = vocab::THEMES
        .iter()
        .map(|t| {
            context! { code => t.code, label => t.label(ctx.lang), icon => super::static_files::theme_icon(t.code), count => counts.get(t.code).copied().unwrap_or(0) }
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
    let showcases = state.showcases(None, 3).await?;
    let featured = featured(&state).await?;
    ctx.render(
        &state,
        "home.html",
        context! { themes, newest => newest.items, organizations => orgs.items, totals, showcases, featured },
    )
}

/// The home page's featured dataset, public only: the configured one, else the public
/// dataset changed last that has a table; with its first table's default chart when one fits.
async fn featured(state: &AppState) -> ApiResult<Option<Value>> {
    let public = allmende_core::authz::ReadScope::PublicAnd(Vec::new());
    let candidates = match state.settings.featured_dataset.as_str() {
        "" => {
            state
                .catalog
                .datasets(&DatasetFilter::new(public), DatasetSort::Modified, 1, 10)
                .await?
                .items
        }
        slug => state
            .catalog
            .dataset(slug)
            .await?
            .filter(allmende_app::access::is_public)
            .into_iter()
            .collect(),
    };
    for ds in candidates {
        let ds = match ds.resources {
            Some(_) => ds,
            None => match state.catalog.dataset(&ds.id.to_string()).await? {
                Some(full) => full,
                None => continue,
            },
        };
        for res in ds.resources.iter().flatten().take(5) {
            let Ok((t, _)) = state.served(res).await else {
                continue;
            };
            let chart = super::chart::choice(&t, &Default::default())
                .is_some()
                .then(|| format!("/dataset/{}/resource/{}/chart.svg", ds.slug, res.id));
            return Ok(Some(context! { ds, res, chart }));
        }
    }
    Ok(None)
}

/// The search page: full-text search with facets, all state in the URL (works without
/// JavaScript; shareable).
pub async fn datasets(
    State(state): State<AppState>,
    ctx: PageCtx,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> ApiResult<Response> {
    let p = crate::search::SearchParams::parse(raw.as_deref(), false)?;
    let (result, facets) =
        crate::search::run(&state, &ctx.client, &ctx.actor, &p, ctx.lang).await?;
    let pages = (result.total as i64 + p.per_page - 1) / p.per_page;
    let facet_views: Vec<Value> = crate::search::FACETS
        .iter()
        .filter_map(|name| {
            let entries = facets.get(*name)?;
            if entries.is_empty() {
                return None;
            }
            let values: Vec<Value> = entries
                .iter()
                .map(|e| {
                    context! { value => e.value, label => e.label, count => e.count, selected => e.selected,
                        url => format!("?{}", p.url(Some((name, &e.value)), None)) }
                })
                .collect();
            Some(context! { name => *name, values })
        })
        .collect();
    let chips: Vec<Value> = facets
        .iter()
        .flat_map(|(name, entries)| entries.iter().filter(|e| e.selected).map(move |e| (name, e)))
        .map(|(name, e)| {
            context! { facet => name, label => e.label, url => format!("?{}", p.url(Some((name, &e.value)), None)) }
        })
        .collect();
    let hits: Vec<Value> = result
        .hits
        .iter()
        .map(|h| context! { ds => Value::from_serialize(&h.dataset), snippet => h.snippet.clone().map(Value::from_safe_string) })
        .collect();
    let suggestion = result.suggestion.as_ref().map(|s| {
        let mut q = p.clone();
        q.q = s.clone();
        context! { text => s, url => format!("?{}", q.url(None, None)) }
    });
    let base_query = {
        let mut q = p.clone();
        q.sort = None;
        q
    };
    ctx.render(
        &state,
        "datasets.html",
        context! {
            total => result.total, hits, facets => facet_views, chips, suggestion, page => p.page, pages,
            q => p.q.clone(), sort => p.sort.clone().unwrap_or_default(),
            prev_url => (p.page > 1).then(|| format!("?{}", p.url(None, Some(p.page - 1)))),
            next_url => (p.page < pages).then(|| format!("?{}", p.url(None, Some(p.page + 1)))),
            hidden_filters => p.filters.iter().flat_map(|(k, vs)| vs.iter().map(move |v| context! { name => k, value => v })).collect::<Vec<_>>(),
            clear_url => if p.q.is_empty() { "/datasets".to_string() } else { format!("/datasets?{}", url::form_urlencoded::Serializer::new(String::new()).append_pair("q", &p.q).finish()) },
            base_sort_query => base_query.url(None, None),
        },
    )
}

pub async fn dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let ds = state.visible_dataset(&ctx.actor, &slug).await?;
    let can_edit =
        allmende_core::authz::decide(&ctx.actor, allmende_app::access::edit_action(&ds)).allowed();
    let license = vocab::license(&ds.license);
    // Only public datasets describe themselves to search engines.
    let jsonld = allmende_app::access::is_public(&ds)
        .then(|| {
            super::discovery::script_json(&super::discovery::schema_org(
                &ds,
                &state.settings.public_url,
            ))
        })
        .map(Value::from_safe_string);
    // The metadata quality score with what to do to gain points, for its publishers.
    let quality = if can_edit {
        let mut q = state.assess(&ds).await?;
        q.indicators
            .sort_by(|a, b| (b.points as f64 - b.earned).total_cmp(&(a.points as f64 - a.earned)));
        Some(q)
    } else {
        None
    };
    // A planned publication, in German time, for its publishers.
    let scheduled = if can_edit {
        state
            .catalog
            .scheduled_publication(ds.id)
            .await?
            .map(|p| ctx.time(&allmende_core::time::to_german_local(&p.due_at), false))
    } else {
        None
    };
    // The map of the dataset's first spatial table (as served to everyone: a file held back
    // by the privacy check has no served table).
    let mut map = None;
    // Only resources with a served table can have one (no lookup for documents and links).
    let tables = ds
        .resources
        .iter()
        .flatten()
        .filter(|r| r.table_version.is_some());
    for res in tables.take(20) {
        if let Ok((t, v)) = state.served(res).await
            && let Some(m) = super::table_view::map_of(
                &state,
                res,
                &t,
                v.report.as_ref().and_then(|r| r.pointer("/dialect/bbox")),
            )
        {
            map = Some(context! { m, title => res.title.clone() });
            break;
        }
    }
    let showcases = state.showcases(Some(ds.id), 20).await?;
    let answered = state.answered_feedback(ds.id).await?;
    // A busy server leaves the related datasets out rather than the page.
    let related = crate::heavy::related(&state, &ctx.client, &ds, read_scope(&ctx.actor))
        .await
        .unwrap_or_default();
    ctx.render(
        &state,
        "dataset.html",
        context! { ds, license, can_edit, jsonld, quality, scheduled, map, related, showcases, answered,
        follow_mail => state.follow_by_mail() },
    )
}

pub async fn resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> ApiResult<Response> {
    render_resource(&state, &ctx, &slug, &id, &params, StatusCode::OK, None).await
}

/// The resource page; `ack_errors` are the messages of a refused acknowledgement, keyed by
/// column and rule of the finding.
pub(super) async fn render_resource(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    id: &str,
    params: &std::collections::HashMap<String, String>,
    status: StatusCode,
    ack_errors: Option<(String, Vec<String>)>,
) -> ApiResult<Response> {
    let (state, ctx, params) = (state.clone(), ctx, params.clone());
    let (res, ds) = resource_of(&state, ctx, slug, id).await?;
    let license_id = res.license.clone().unwrap_or_else(|| ds.license.clone());
    let license = vocab::license(&license_id);
    let can_edit =
        allmende_core::authz::decide(&ctx.actor, allmende_app::access::edit_action(&ds)).allowed();
    // The page stays readable when the preview cannot run right now (server busy, limits).
    let (table, table_busy) =
        match super::table_view::view(&state, &ctx.client, &res, &params, ctx.lang).await {
            Ok(t) => (t, false),
            Err(
                ApiError::Busy(_)
                | ApiError::TooManyRequests(_)
                | ApiError::QueryLimit(_)
                | ApiError::Unavailable(_),
            ) => (None, true),
            Err(e) => return Err(e),
        };
    // Embeds show public data only.
    let embeds = match &table {
        Some(t) if allmende_app::access::is_public(&ds) => {
            super::embed::codes(&state.settings.public_url, &ds.slug, &res, t, &params)
        }
        _ => Vec::new(),
    };
    // While a version is being read, show how far it got.
    let progress = match res.status {
        allmende_core::ProcessingStatus::Pending | allmende_core::ProcessingStatus::Running => {
            state
                .catalog
                .table_versions_of(res.id)
                .await?
                .first()
                .map(|v| v.progress_rows)
        }
        _ => None,
    };
    let chart_query: String = [
        "chart_x",
        "chart_agg",
        "chart_y",
        "chart_type",
        "chart_series",
    ]
    .iter()
    .filter_map(|k| {
        params.get(*k).map(|v| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
    })
    .collect::<Vec<_>>()
    .join("&");
    // The privacy check's findings, for the organization's members only.
    let privacy = if can_edit {
        state
            .resource_privacy(&ctx.actor, &res.id.to_string())
            .await?
            .1
            .and_then(|v| privacy_view(&ctx.actor, &ds, &v, ack_errors))
    } else {
        None
    };
    ctx.render_status(
        &state,
        status,
        "resource.html",
        context! { res, ds, license, can_edit, table, table_busy, params, chart_query, progress, privacy, embeds },
    )
}

/// The chart of a resource page as a standalone SVG file.
pub async fn resource_chart(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> ApiResult<Response> {
    let (res, _) = resource_of(&state, &ctx, &slug, &id).await?;
    let (t, _) = state.served(&res).await?;
    let chart = super::chart::chart(&state, &ctx.client, &t, &params, None, ctx.lang)
        .await?
        .ok_or_else(|| ApiError::BadRequest(Msg::new("param.chart_x")))?;
    let svg: String = chart
        .get_attr("svg")
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"diagramm.svg\"",
            ),
        ],
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{svg}"),
    )
        .into_response())
}

/// A resource the caller may see, addressed under its own dataset's slug.
async fn resource_of(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    id: &str,
) -> ApiResult<(allmende_core::Resource, allmende_core::Dataset)> {
    let (res, ds) = state.visible_resource(&ctx.actor, id).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    Ok((res, ds))
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
    extra: Option<String>,
) -> ApiResult<Response> {
    let theme = &state.settings.theme_dir;
    let mut text = None;
    for candidate in [format!("{name}.{}.md", ctx.lang), format!("{name}.md")] {
        if let Some(p) = crate::templates::theme_path(theme, "pages", &candidate)
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
        context! { title => ctx.t(title_key), body => text, extra },
    )
}

pub async fn imprint(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    markdown_page(&state, &ctx, "imprint", "nav.imprint", None).await
}

pub async fn privacy(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    markdown_page(&state, &ctx, "privacy", "nav.privacy", None).await
}

pub async fn about(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    // The catalog-wide metadata quality, when there is something to average.
    let extra = state.average_quality().await?.map(|(score, _)| {
        let rating = ctx.t(&format!(
            "quality.rating.{}",
            allmende_app::quality::rating(score)
        ));
        ctx.t("quality.average")
            .replace("{score}", &score.to_string())
            .replace("{rating}", &rating)
    });
    markdown_page(&state, &ctx, "about", "nav.about", extra).await
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

pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// What the template shows: per finding whether it is acknowledged (and why), and whether
/// this reader may acknowledge it.
fn privacy_view(
    actor: &allmende_core::authz::Actor,
    ds: &allmende_core::Dataset,
    checked: &allmende_app::privacy::VersionPrivacy,
    errors: Option<(String, Vec<String>)>,
) -> Option<serde_json::Value> {
    let report = checked.report.as_ref()?;
    let may_acknowledge = allmende_core::authz::decide(
        actor,
        allmende_core::authz::Action::AcknowledgeFindings {
            org: ds.organization_id,
        },
    )
    .allowed();
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let ack = checked
                .acknowledgements
                .iter()
                .find(|a| a.column == f.column && a.rule == f.rule.code());
            let key = format!("{}\u{1f}{}", f.column, f.rule.code());
            let errs = errors
                .as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, e)| e.clone());
            serde_json::json!({
                "column": f.column,
                "rule": f.rule,
                "severity": f.severity,
                "share": f.share,
                "examples": f.examples,
                "acknowledged": ack.map(|a| serde_json::json!({"reason": a.reason, "at": a.created_at.format("%d.%m.%Y").to_string()})),
                "errors": errs,
            })
        })
        .collect();
    let high = report
        .findings
        .iter()
        .any(|f| f.severity == allmende_table::privacy::Severity::High);
    Some(serde_json::json!({
        "findings": findings,
        "high": high,
        "held": checked.held,
        "blocking": !checked.blocking.is_empty(),
        "may_acknowledge": may_acknowledge,
    }))
}
