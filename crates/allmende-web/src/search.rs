//! Dataset search as the front doors share it (`GET /api/v1/datasets`, the search page):
//! parameters from a query string, the search on the heavy-work pool, facet labels.

use std::collections::BTreeMap;

use allmende_core::authz::{Actor, read_scope};
use allmende_core::{Dataset, vocab};
use allmende_search::{SearchRequest, SearchResult, Sort};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::i18n;
use crate::i18n::Msg;
use crate::state::AppState;

pub use allmende_search::FACETS;

/// Largest page of any list.
pub const MAX_PER_PAGE: i64 = 100;

/// The search state as it appears in a URL: every parameter, facets repeatable.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchParams {
    pub q: String,
    pub filters: BTreeMap<String, Vec<String>>,
    pub sort: Option<String>,
    pub page: i64,
    pub per_page: i64,
}

impl SearchParams {
    /// Parses a raw query string; unknown parameters are refused so typos do not silently
    /// return everything.
    pub fn parse(raw: Option<&str>, strict: bool) -> ApiResult<Self> {
        let mut p = Self {
            page: 1,
            per_page: 20,
            ..Default::default()
        };
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.trim().to_string();
            match k.as_ref() {
                "q" => p.q = v,
                "sort" => p.sort = Some(v).filter(|s| !s.is_empty()),
                "page" => {
                    p.page = v.parse().map_err(|_| {
                        ApiError::BadRequest(Msg::new("param.page").arg("value", format!("{v:?}")))
                    })?
                }
                "per_page" => {
                    p.per_page = v.parse().map_err(|_| {
                        ApiError::BadRequest(
                            Msg::new("param.per_page")
                                .arg("max", MAX_PER_PAGE)
                                .arg("value", format!("{v:?}")),
                        )
                    })?
                }
                "lang" => {}
                f if FACETS.contains(&f) => {
                    let values = p.filters.entry(f.to_string()).or_default();
                    if !v.is_empty() && !values.contains(&v) {
                        values.push(v);
                    }
                }
                other if strict => {
                    return Err(ApiError::BadRequest(
                        Msg::new("param.unknown").arg("name", format!("{other:?}")),
                    ));
                }
                _ => {}
            }
        }
        if !(1..=100_000).contains(&p.page) {
            return Err(ApiError::BadRequest(
                Msg::new("param.page").arg("value", p.page),
            ));
        }
        if !(1..=MAX_PER_PAGE).contains(&p.per_page) {
            return Err(ApiError::BadRequest(
                Msg::new("param.per_page")
                    .arg("max", MAX_PER_PAGE)
                    .arg("value", p.per_page),
            ));
        }
        if let Some(s) = &p.sort
            && Sort::parse(s).is_none()
        {
            return Err(ApiError::BadRequest(
                Msg::new("param.sort")
                    .arg("value", format!("{s:?}"))
                    .arg("allowed", "relevance, modified, title, issued"),
            ));
        }
        Ok(p)
    }

    /// The query string for this state with one facet value toggled / the page changed.
    pub fn url(&self, toggle: Option<(&str, &str)>, page: Option<i64>) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        for (k, values) in &self.filters {
            for v in values {
                if toggle != Some((k.as_str(), v.as_str())) {
                    s.append_pair(k, v);
                }
            }
        }
        if let Some((k, v)) = toggle
            && !self
                .filters
                .get(k)
                .is_some_and(|vs| vs.iter().any(|x| x == v))
        {
            s.append_pair(k, v);
        }
        if let Some(sort) = &self.sort {
            s.append_pair("sort", sort);
        }
        if let Some(p) = page.filter(|p| *p > 1) {
            s.append_pair("page", &p.to_string());
        }
        s.finish()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetEntry {
    pub value: String,
    /// Display name in the request language.
    pub label: String,
    pub count: u64,
    pub selected: bool,
}

/// Search results: the list shape plus facets.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchPage {
    pub total: u64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<Dataset>,
    /// Counts per facet (`organization`, `theme`, `keyword`, `format`, `license`, `data`); each facet's
    /// counts apply every other active filter.
    pub facets: BTreeMap<String, Vec<FacetEntry>>,
    /// A corrected query that has results, when this one had none.
    pub suggestion: Option<String>,
}

pub async fn run(
    state: &AppState,
    client: &crate::heavy::Client,
    actor: &Actor,
    p: &SearchParams,
    lang: &str,
) -> ApiResult<(SearchResult, BTreeMap<String, Vec<FacetEntry>>)> {
    let req = SearchRequest {
        q: p.q.clone(),
        filters: p.filters.clone(),
        sort: p.sort.as_deref().and_then(Sort::parse).unwrap_or_default(),
        page: p.page as usize,
        per_page: p.per_page as usize,
        scope: Some(read_scope(actor)),
        facet_size: 50,
        ..Default::default()
    };
    let result = crate::heavy::search(state, client, req).await?;
    let orgs: BTreeMap<String, String> = state
        .catalog
        .organization_names()
        .await?
        .into_iter()
        .collect();
    let label = |facet: &str, value: &str| -> String {
        match facet {
            "organization" => orgs.get(value).cloned(),
            "theme" => vocab::theme(value).map(|t| t.label(lang).to_string()),
            "license" => vocab::license(value).map(|l| l.title.to_string()),
            "format" => vocab::file_type(value).map(|f| f.label.to_string()),
            "data" => Some(i18n::t(lang, &format!("facet.data.{value}")).to_string()),
            _ => None,
        }
        .unwrap_or_else(|| value.to_string())
    };
    let facets = result
        .facets
        .iter()
        .map(|(name, values)| {
            (
                name.clone(),
                values
                    .iter()
                    .map(|v| FacetEntry {
                        label: label(name, &v.value),
                        value: v.value.clone(),
                        count: v.count,
                        selected: v.selected,
                    })
                    .collect(),
            )
        })
        .collect();
    Ok((result, facets))
}
