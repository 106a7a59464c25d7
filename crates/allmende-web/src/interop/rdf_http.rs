//! HTTP for the DCAT-AP.de catalog: `/catalog.{ttl,rdf,jsonld}` paged with hydra and
//! `modified_since`, `/dataset/{slug}.{ttl,rdf,jsonld}`, and content negotiation on `/catalog`
//! and `/dataset/{slug}`. Built for the anonymous public, whoever asks.

use std::collections::HashMap;

use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::Organization;
use allmende_core::authz::ReadScope;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use oxrdfio::RdfFormat;

use super::dcat::{self, Context, PER_PAGE, Paging};
use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::state::AppState;

fn public() -> ReadScope {
    ReadScope::PublicAnd(Vec::new())
}

struct CatalogQuery {
    page: i64,
    modified_since: Option<chrono::DateTime<chrono::Utc>>,
    raw_since: Option<String>,
}

fn parse_query(raw: Option<&str>) -> ApiResult<CatalogQuery> {
    let mut q = CatalogQuery {
        page: 1,
        modified_since: None,
        raw_since: None,
    };
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "page" => {
                q.page = v
                    .parse::<i64>()
                    .ok()
                    .filter(|p| (1..=1_000_000).contains(p))
                    .ok_or_else(|| {
                        ApiError::BadRequest(Msg::new("param.page").arg("value", format!("{v:?}")))
                    })?;
            }
            "modified_since" => {
                let t = parse_time(&v).ok_or_else(|| {
                    ApiError::BadRequest(
                        Msg::new("param.modified_since").arg("value", format!("{v:?}")),
                    )
                })?;
                q.modified_since = Some(t);
                q.raw_since = Some(v.into_owned());
            }
            _ => {}
        }
    }
    Ok(q)
}

/// ISO 8601 date or date-time (a zone is optional; without one it is UTC).
pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&chrono::Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn context<'a>(
    state: &'a AppState,
    orgs: &'a HashMap<String, Organization>,
    extents: &'a allmende_app::tables::Extents,
) -> Context<'a> {
    let s = &state.settings;
    Context {
        extents,
        base: s.public_url.trim_end_matches('/'),
        catalog_title: &s.site_title,
        catalog_description: &s.catalog_description,
        publisher_name: &s.publisher_name,
        contributor_id: s.contributor_id.as_deref().filter(|c| !c.is_empty()),
        orgs,
    }
}

fn rdf_response(triples: &[oxrdf::Triple], format: RdfFormat, vary: bool) -> ApiResult<Response> {
    let body = dcat::serialize(triples, format).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(rdf_body(body.into(), format, vary))
}

fn rdf_body(body: bytes::Bytes, format: RdfFormat, vary: bool) -> Response {
    let mut resp = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, dcat::media_type(format))],
        body,
    )
        .into_response();
    if vary {
        resp.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
    }
    resp
}

async fn catalog(
    state: &AppState,
    raw: Option<&str>,
    format: RdfFormat,
    ext: &str,
    vary: bool,
) -> ApiResult<Response> {
    let q = parse_query(raw)?;
    // Harvesters fetch the same pages again and again: serve them from the cache while the
    // catalog has not changed.
    let seq = state.catalog.last_change_seq().await?;
    let key = format!(
        "catalog|{ext}|{}|{}",
        q.page,
        q.raw_since.as_deref().unwrap_or("")
    );
    if let Some(body) = state.documents.get(&key, seq) {
        return Ok(rdf_body(body, format, vary));
    }
    let filter = DatasetFilter {
        modified_since: q.modified_since,
        ..DatasetFilter::new(public())
    };
    let page = state
        .catalog
        .datasets(&filter, DatasetSort::Id, q.page, PER_PAGE)
        .await?;
    let orgs = state.public_organizations(seq).await?;
    let extents = state.data_extents().await?;
    let ctx = context(state, &orgs, &extents);
    let keep = q.raw_since.as_ref().map(|s| {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("modified_since", s)
            .finish()
    });
    let paging = Paging {
        page: q.page,
        total: page.total,
        ext,
        keep,
        modified: state.catalog.datasets_last_modified(&public()).await?,
    };
    let triples = dcat::catalog(&ctx, &page.items, &paging);
    let body: bytes::Bytes = dcat::serialize(&triples, format)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .into();
    state.documents.put(key, seq, body.clone());
    Ok(rdf_body(body, format, vary))
}

pub async fn catalog_ttl(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    catalog(&state, raw.as_deref(), RdfFormat::Turtle, "ttl", false).await
}

pub async fn catalog_rdf(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    catalog(&state, raw.as_deref(), RdfFormat::RdfXml, "rdf", false).await
}

pub async fn catalog_jsonld(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let f = dcat::format_for("jsonld").ok_or(ApiError::NotFound)?;
    catalog(&state, raw.as_deref(), f, "jsonld", false).await
}

/// `/catalog` answers in the RDF serialization the `Accept` header asks for; browsers are sent
/// to the dataset list.
pub async fn catalog_negotiated(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    match wanted(&headers) {
        Some((format, ext)) => catalog(&state, raw.as_deref(), format, ext, true).await,
        None => Ok(Redirect::to("/datasets").into_response()),
    }
}

/// The RDF serialization asked for, unless HTML is preferred at least as much.
fn wanted(headers: &HeaderMap) -> Option<(RdfFormat, &'static str)> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let found = dcat::negotiate(accept)?;
    let q_of = |mt: &str| -> f32 {
        accept
            .split(',')
            .filter_map(|part| {
                let mut bits = part.split(';');
                let m = bits.next()?.trim();
                (m == mt).then(|| {
                    bits.find_map(|b| b.trim().strip_prefix("q=").and_then(|v| v.parse().ok()))
                        .unwrap_or(1.0)
                })
            })
            .fold(0.0, f32::max)
    };
    let rdf_q = [
        "text/turtle",
        "application/rdf+xml",
        "application/ld+json",
        "application/n-triples",
        "application/x-turtle",
    ]
    .iter()
    .map(|m| q_of(m))
    .fold(0.0, f32::max);
    let html_q = q_of("text/html").max(q_of("application/xhtml+xml"));
    (rdf_q > html_q).then_some(found)
}

/// `/dataset/{slug}` as RDF: its DCAT-AP.de description for `.ttl`/`.rdf`/`.jsonld` or an RDF
/// `Accept` header (`None`: the page is wanted). RDF exists for public datasets only.
pub async fn dataset_rdf(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
) -> ApiResult<Option<Response>> {
    let by_ext = slug
        .rsplit_once('.')
        .and_then(|(s, ext)| dcat::format_for(ext).map(|f| (s.to_string(), f)));
    let (slug, format, vary) = match by_ext {
        Some((s, f)) => (s, f, false),
        None => match wanted(headers) {
            Some((f, _)) => (slug.to_string(), f, true),
            None => return Ok(None),
        },
    };
    let ds = state
        .catalog
        .dataset(&slug)
        .await?
        .filter(allmende_app::access::is_public)
        .ok_or(ApiError::NotFound)?;
    let orgs = state
        .public_organizations(state.catalog.last_change_seq().await?)
        .await?;
    let extents = state.data_extents().await?;
    let ctx = context(state, &orgs, &extents);
    let triples = dcat::dataset(&ctx, &ds);
    rdf_response(&triples, format, vary).map(Some)
}
