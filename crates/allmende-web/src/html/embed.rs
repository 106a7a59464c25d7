//! Views for other websites to frame: a table, a chart or a map of one public resource, each
//! with its title linking back to the dataset and with licence and attribution. These are the
//! only pages other sites may frame (`frame-ancestors *`, set in the security middleware for
//! `/embed/`); every other page refuses.

use std::collections::HashMap;

use allmende_core::authz::Actor;
use allmende_core::vocab;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::context;

use crate::error::{ApiError, ApiResult};
use crate::page::PageCtx;
use crate::state::AppState;

/// Characters left as they are in the embed code's query (the rest is percent-encoded).
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'_')
    .remove(b'-');

/// What an embed shows.
const VIEWS: [&str; 3] = ["table", "chart", "map"];

pub async fn embed(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id, view)): Path<(String, String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    if !VIEWS.contains(&view.as_str()) {
        return Err(ApiError::NotFound);
    }
    // Framed on any site, an embed shows what everyone may see, whoever is signed in here:
    // another site must not get a draft into its page through a visitor's session.
    let (res, ds) = state.visible_resource(&Actor::default(), &id).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    let table = super::table_view::view(&state, &ctx.client, &res, &params, ctx.lang)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !offers(&table, &view) {
        return Err(ApiError::NotFound);
    }
    let license_id = res.license.clone().unwrap_or_else(|| ds.license.clone());
    let license = vocab::license(&license_id);
    let page_url = format!(
        "{}/dataset/{}/resource/{}",
        state.settings.public_url.trim_end_matches('/'),
        ds.slug,
        res.id
    );
    ctx.render(
        &state,
        "embed.html",
        context! { view, res, ds, table, license, page_url, params },
    )
}

/// Whether the table's page has this view: a chart only when one fits, a map only for a
/// spatial table.
fn offers(table: &minijinja::Value, view: &str) -> bool {
    match view {
        "chart" | "map" => table.get_attr(view).is_ok_and(|v| !v.is_none()),
        _ => true,
    }
}

/// The `<iframe>` code of each view the resource offers, for the "Einbetten" dialog.
pub(super) fn codes(
    public_url: &str,
    slug: &str,
    res: &allmende_core::Resource,
    table: &minijinja::Value,
    params: &HashMap<String, String>,
) -> Vec<minijinja::Value> {
    let base = public_url.trim_end_matches('/');
    // Only the view's own parameters, encoded again: the code is pasted into other sites, so
    // nothing of a crafted link may reach it as written.
    let mut kept: Vec<(&String, &String)> = params
        .iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && (k.starts_with("f.")
                    || matches!(
                        k.as_str(),
                        "sort"
                            | "dir"
                            | "page"
                            | "chart_x"
                            | "chart_y"
                            | "chart_agg"
                            | "chart_type"
                            | "chart_series"
                    ))
        })
        .collect();
    kept.sort();
    let query: String = kept
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, QUERY),
                percent_encoding::utf8_percent_encode(v, QUERY)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let query = query.as_str();
    VIEWS
        .iter()
        .filter(|v| offers(table, v))
        .map(|v| {
            let src = format!(
                "{base}/embed/dataset/{slug}/resource/{}/{v}{}{query}",
                res.id,
                if query.is_empty() { "" } else { "?" }
            );
            let title = res
                .title
                .replace('&', "&amp;")
                .replace('"', "&quot;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            let height = if *v == "table" { 520 } else { 460 };
            context! {
                view => *v,
                src => src.clone(),
                code => format!(
                    "<iframe src=\"{}\" title=\"{title}\" width=\"100%\" height=\"{height}\" loading=\"lazy\" style=\"border:1px solid #c9d3d8\"></iframe>",
                    src.replace('&', "&amp;")
                ),
            }
        })
        .collect()
}
