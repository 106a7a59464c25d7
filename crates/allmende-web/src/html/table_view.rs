//! The table preview on a resource page, rendered on the server so it works without
//! JavaScript: pages of rows, sorting and per-column filters through links and a GET form,
//! column statistics, exports and API links that carry the view; the chart is `chart.rs`.

use std::collections::HashMap;

use allmende_core::Resource;
use allmende_table::ColumnType;
use allmende_table::query::{RecordsQuery, TableRef};
use minijinja::context;
use minijinja::value::Value;

use super::cells::{cell_text, page_rows};
use super::table_filter::{self, quote_ident};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const PAGE_ROWS: usize = 25;

/// The most features the resource page's map draws (in one canvas, from the GeoJSON export).
/// Larger layers are drawn view by view from `/map` (features, or their counts in a grid)
/// instead of loading the whole GeoJSON export into the browser.
const MAP_WHOLE_FEATURES: u64 = 5_000;

/// A spatial table's map (template `map` macro); `None` for other tables.
pub(super) fn map_of(
    state: &AppState,
    res: &Resource,
    t: &TableRef,
    bbox: Option<&serde_json::Value>,
) -> Option<Value> {
    t.columns
        .iter()
        .any(|c| c.kind == ColumnType::Geometry)
        .then(|| {
            let large = t.rows > MAP_WHOLE_FEATURES;
            context! {
                geojson => format!("/api/v1/resources/{}/export/geojson", res.id),
                view => large.then(|| format!("/api/v1/resources/{}/map", res.id)),
                bbox => bbox.map(|b| b.to_string()).unwrap_or_default(),
                overview => bbox.is_some().then(|| format!("/api/v1/resources/{}/overview.png", res.id)),
                tiles => state.settings.map_tile_url.clone(),
                style => state.settings.map_style_url.clone(),
                attribution => state.settings.map_attribution.clone(),
            }
        })
}

/// Everything the resource page shows about its table.
pub async fn view(
    state: &AppState,
    client: &crate::heavy::Client,
    res: &Resource,
    params: &HashMap<String, String>,
    lang: &str,
) -> ApiResult<Option<Value>> {
    let Ok((t, v)) = state.served(res).await else {
        return Ok(None);
    };
    let sort = params
        .get("sort")
        .and_then(|s| t.columns.iter().find(|c| &c.machine_name == s));
    let desc = params.get("dir").is_some_and(|d| d == "desc");
    let page_no = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, 100_000);
    let filters: HashMap<String, String> = params
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("f.").map(|k| (k.to_string(), v.clone())))
        .collect();
    let table_filter::Filters {
        condition: filter,
        errors: filter_errors,
    } = table_filter::parse(&t, &filters);
    let order_by = sort.map(|c| {
        format!(
            "{}{}",
            quote_ident(&c.name),
            if desc { " desc" } else { "" }
        )
    });
    // Exports and the API link give what the preview shows: the same condition and order.
    let carried: String = [("where", &filter), ("order_by", &order_by)]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    let with_carried = |url: String| super::api_snippets::join(url, &carried);
    let q = RecordsQuery {
        filter: filter.clone(),
        order_by: order_by.clone(),
        limit: Some(PAGE_ROWS),
        offset: (page_no - 1) * PAGE_ROWS,
        total: true,
        ..Default::default()
    };
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, client).await?;
    let page = state
        .tables
        .records(permit, &t, &q)
        .await
        .map_err(ApiError::from)?;
    let kinds: Vec<ColumnType> = t.columns.iter().map(|c| c.kind).collect();
    let rows: Vec<Vec<String>> = page_rows(&page)
        .into_iter()
        .map(|r| {
            r.as_array()
                .map(|cells| {
                    cells
                        .iter()
                        .zip(&kinds)
                        .map(|(v, k)| cell_text(v, *k, lang))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let total = page.total.unwrap_or(0) as usize;
    let pages = total.div_ceil(PAGE_ROWS).max(1);
    // Query string of the current state without `page`/`sort`, for building links.
    let mut keep: Vec<(String, String)> = filters
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (format!("f.{k}"), v.clone()))
        .collect();
    keep.sort();
    for k in [
        "chart_x",
        "chart_agg",
        "chart_y",
        "chart_type",
        "chart_series",
    ] {
        if let Some(v) = params.get(k) {
            keep.push((k.to_string(), v.clone()));
        }
    }
    let qs = |extra: &[(&str, String)]| -> String {
        let all: Vec<String> = keep
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .chain(extra.iter().cloned())
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    percent_encoding::utf8_percent_encode(k, percent_encoding::NON_ALPHANUMERIC),
                    percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                )
            })
            .collect();
        format!("?{}", all.join("&"))
    };
    let sort_state: Vec<(&str, String)> = match sort {
        Some(c) => vec![
            ("sort", c.machine_name.clone()),
            ("dir", if desc { "desc".into() } else { "asc".into() }),
        ],
        None => vec![],
    };
    let columns: Vec<Value> = t
        .columns
        .iter()
        .map(|c| {
            let active = sort.is_some_and(|s| s.machine_name == c.machine_name);
            let next_dir = if active && !desc { "desc" } else { "asc" };
            context! {
                name => c.name,
                machine_name => c.machine_name,
                kind => c.kind,
                numeric => matches!(c.kind, ColumnType::Integer | ColumnType::Decimal),
                reason => c.reason,
                stats => c.stats,
                filter => filters.get(&c.machine_name).cloned().unwrap_or_default(),
                filter_error => filter_errors.get(&c.machine_name).map(|m| m.render(lang)),
                sort_href => qs(&[("sort", c.machine_name.clone()), ("dir", next_dir.to_string())]),
                aria_sort => if active { if desc { "descending" } else { "ascending" } } else { "none" },
            }
        })
        .collect();
    let link = |p: usize| -> String {
        let mut extra = sort_state.clone();
        extra.push(("page", p.to_string()));
        qs(&extra)
    };
    let dialect = v
        .report
        .as_ref()
        .and_then(|r| r.get("dialect"))
        .cloned()
        .unwrap_or_default();
    let mut exports: Vec<Value> = allmende_table::export::ExportFormat::offered(
        &t.columns, &dialect,
    )
    .iter()
    .map(|f| {
        context! {
            id => f.id(),
            label => allmende_core::i18n::t(lang, &format!("export.format.{}", f.id())).to_string(),
            url => with_carried(format!("/api/v1/resources/{}/export/{}", res.id, f.id())),
            size => (f.id() == "parquet" && carried.is_empty()).then_some(v.parquet_size).flatten(),
        }
    })
    .collect();
    // A spatial table read from another CRS is offered in that CRS too (as GeoJSON).
    if let Some(code) = dialect["crs"]
        .as_str()
        .and_then(|c| c.strip_prefix("EPSG:"))
        .filter(|c| *c != "4326")
        && !exports.is_empty()
        && t.columns.iter().any(|c| c.kind == ColumnType::Geometry)
    {
        exports.insert(
            1,
            context! {
                id => "geojson-source",
                label => allmende_core::i18n::Msg::new("export.format.geojson_crs").arg("crs", format!("EPSG:{code}")).render(lang),
                url => with_carried(format!("/api/v1/resources/{}/export/geojson?crs=EPSG:{code}", res.id)),
            },
        );
    }
    let chart = super::chart::chart(state, client, &t, params, filter.clone(), lang)
        .await
        .unwrap_or(None);
    let map = map_of(state, res, &t, dialect.get("bbox"));
    Ok(Some(context! {
        map,
        table_name => t.alias,
        rows_total => t.rows,
        version => v.version,
        columns,
        rows,
        total,
        page => page_no,
        pages,
        prev_href => (page_no > 1).then(|| link(page_no - 1)),
        next_href => (page_no < pages).then(|| link(page_no + 1)),
        filtered => filter.is_some(),
        records_url => with_carried(format!("/api/v1/resources/{}/records", res.id)),
        api => super::api_snippets::snippets(&super::api_snippets::Target {
            base: state.settings.public_url.trim_end_matches('/'),
            resource_id: &res.id.to_string(),
            table_name: &t.alias,
            carried: &carried,
            condition: filter.as_deref(),
            order_by: order_by.as_deref(),
        }),
        narrowed => !carried.is_empty(),
        filter_errors => filter_errors.values().map(|m| m.render(lang)).collect::<Vec<_>>(),
        exports,
        chart,
        warnings => v.report.as_ref().and_then(|r| r.get("warnings")).cloned().map(Value::from_serialize),
        first_row => (page_no - 1) * PAGE_ROWS + 1,
    }))
}
