//! OGC API – Features, Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 2 (CRS by reference) at
//! `/ogc`: every public spatial table is a collection, its rows are features. What GIS clients
//! (QGIS, GDAL's OAPIF driver) need to list the collections and page through their features.

mod crs;
mod filters;
mod html;
mod openapi;

use crs::OgcCrs;

use allmende_core::authz::{Actor, read_scope};
use allmende_table::query::cql2::Filter;
use allmende_table::query::{RecordsQuery, TableRef, json};
use allmende_work::Lane;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::heavy::{Client, admit};
use crate::i18n::Msg;
use crate::page::{PageCtx, f_param, wants_html};
use crate::state::AppState;
use html::{About, Kind};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
use openapi::{DEFAULT_LIMIT, MAX_LIMIT};

fn base(state: &AppState) -> String {
    format!("{}/ogc", state.settings.public_url.trim_end_matches('/'))
}

fn reply(body: Value, content_type: &'static str) -> Response {
    let mut res = axum::Json(body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// Whether a resource other than items is asked for as a page: `f=html|json` or the `Accept`
/// header; any other `f` is a 400 (the other parameters these resources do not read).
fn page_wanted(headers: &HeaderMap, raw: Option<&str>) -> ApiResult<bool> {
    let f = f_param(raw);
    match f.as_deref() {
        None | Some("json" | "html") => Ok(wants_html(headers, f.as_deref())),
        Some(other) => Err(bad("f", other)),
    }
}

/// The page twin of a JSON resource (`rel=alternate`).
fn alternate(href: &str) -> Value {
    let sep = if href.contains('?') { '&' } else { '?' };
    json!({"href": format!("{href}{sep}f=html"), "rel": "alternate", "type": "text/html"})
}

/// `GET /ogc`
pub async fn landing(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let b = base(&state);
    let doc = json!({
            "title": state.settings.site_title,
            "description": ctx.t("ogc.intro"),
            "links": [
                {"href": b, "rel": "self", "type": "application/json", "title": "Diese Seite"},
                alternate(&b),
                {"href": format!("{b}/api"), "rel": "service-desc",
                 "type": "application/vnd.oai.openapi+json;version=3.0", "title": "OpenAPI"},
                {"href": format!("{b}/conformance"), "rel": "conformance", "type": "application/json"},
                {"href": format!("{b}/collections"), "rel": "data", "type": "application/json"},
            ],
    });
    if page_wanted(&headers, raw.as_deref())? {
        let about = About {
            collection: None,
            json_href: "/ogc?f=json".into(),
        };
        return html::render(&ctx, &state, Kind::Landing, about, &doc);
    }
    Ok(reply(doc, "application/json"))
}

/// `GET /ogc/conformance`
pub async fn conformance(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let doc = json!({ "conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
        "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
        "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
        "http://www.opengis.net/spec/cql2/1.0/conf/arithmetic",
    ]});
    if page_wanted(&headers, raw.as_deref())? {
        let about = About {
            collection: None,
            json_href: "/ogc/conformance?f=json".into(),
        };
        return html::render(&ctx, &state, Kind::Conformance, about, &doc);
    }
    Ok(reply(doc, "application/json"))
}

/// A public spatial table as a collection.
struct Collection {
    /// The resource's id.
    id: String,
    table: TableRef,
    bbox: Value,
    dataset_slug: String,
}

/// The public spatial tables; `only` the one with this id when given (without looking at
/// the others' titles).
async fn spatial_tables(state: &AppState, only: Option<&str>) -> ApiResult<Vec<Collection>> {
    let anonymous = read_scope(&Actor::anonymous());
    let mut out = Vec::new();
    for t in state.catalog.served_tables(&anonymous).await? {
        let id = t.version.resource_id.to_string();
        if only.is_some_and(|o| o != id) {
            continue;
        }
        let Ok(table) = state.table_ref(&t.version, t.alias.clone()) else {
            continue;
        };
        if table.geometry().is_none() {
            continue;
        }
        let bbox = t
            .version
            .report
            .as_ref()
            .and_then(|r| r.pointer("/dialect/bbox"))
            .cloned()
            .unwrap_or(Value::Null);
        out.push(Collection {
            id,
            table,
            bbox,
            dataset_slug: t.dataset_slug,
        });
    }
    Ok(out)
}

/// "Dataset – resource".
async fn title(state: &AppState, c: &Collection) -> ApiResult<String> {
    let res = uuid::Uuid::parse_str(&c.id)
        .ok()
        .map(|id| state.catalog.resource(id));
    let res = match res {
        Some(f) => f.await?,
        None => None,
    };
    let ds = state.catalog.dataset(&c.dataset_slug).await?;
    Ok(match (ds, res) {
        (Some(ds), Some(res)) => format!("{} – {}", ds.title, res.title),
        (None, Some(res)) => res.title,
        (Some(ds), None) => ds.title,
        (None, None) => c.id.clone(),
    })
}

fn collection_json(b: &str, id: &str, title: &str, bbox: &Value) -> Value {
    let mut c = json!({
        "id": id,
        "title": title,
        "itemType": "feature",
        "crs": OgcCrs::supported(),
        "storageCrs": CRS84,
        "links": [
            {"href": format!("{b}/collections/{id}"), "rel": "self", "type": "application/json"},
            alternate(&format!("{b}/collections/{id}")),
            {"href": format!("{b}/collections/{id}/items"), "rel": "items", "type": "application/geo+json"},
            {"href": format!("{b}/collections/{id}/queryables"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "type": "application/schema+json", "title": "Queryables"},
        ],
    });
    if bbox.is_array() {
        c["extent"] = json!({"spatial": {"bbox": [bbox], "crs": CRS84}});
    }
    c
}

/// `GET /ogc/collections`
pub async fn collections(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let page = page_wanted(&headers, raw.as_deref())?;
    let b = base(&state);
    let mut list = Vec::new();
    for c in spatial_tables(&state, None).await? {
        let title = title(&state, &c).await?;
        list.push((title.clone(), collection_json(&b, &c.id, &title, &c.bbox)));
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let list: Vec<Value> = list.into_iter().map(|(_, c)| c).collect();
    let doc = json!({
        "links": [
            {"href": format!("{b}/collections"), "rel": "self", "type": "application/json"},
            alternate(&format!("{b}/collections")),
        ],
        "collections": list,
    });
    if page {
        let about = About {
            collection: None,
            json_href: "/ogc/collections?f=json".into(),
        };
        return html::render(&ctx, &state, Kind::Collections, about, &doc);
    }
    Ok(reply(doc, "application/json"))
}

async fn collection_of(state: &AppState, id: &str) -> ApiResult<Collection> {
    spatial_tables(state, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)
}

/// `GET /ogc/collections/{id}/queryables` (Part 3): the attributes `/items` filters and sorts
/// by, as a JSON Schema.
pub async fn queryables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !(k == "f" && matches!(v.as_ref(), "json" | "schema")) {
            return Err(bad(&k, &v));
        }
    }
    let c = collection_of(&state, &id).await?;
    let title = title(&state, &c).await?;
    let href = format!("{}/collections/{id}/queryables", base(&state));
    Ok(reply(
        filters::queryables(&c.table.columns, &href, &title),
        "application/schema+json",
    ))
}

/// `GET /ogc/collections/{id}`
pub async fn collection(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let page = page_wanted(&headers, raw.as_deref())?;
    let c = collection_of(&state, &id).await?;
    let title = title(&state, &c).await?;
    let doc = collection_json(&base(&state), &id, &title, &c.bbox);
    if page {
        let about = About {
            collection: Some((&id, &title)),
            json_href: format!("/ogc/collections/{id}?f=json"),
        };
        return html::render(&ctx, &state, Kind::Collection, about, &doc);
    }
    Ok(reply(doc, "application/json"))
}

#[derive(Debug, Default)]
pub struct ItemsParams {
    limit: Option<String>,
    offset: Option<String>,
    bbox: Option<String>,
    crs: Option<String>,
    bbox_crs: Option<String>,
    sortby: Option<String>,
    datetime: Option<String>,
    /// CQL2 (Part 3): the filter, its encoding, the CRS of its geometries.
    filter: Option<String>,
    filter_lang: Option<String>,
    filter_crs: Option<String>,
    /// `f`: `json`, `geojson` or `html`.
    f: Option<String>,
    /// `name=value` for queryables; checked against the collection (an unknown name is 400).
    properties: Vec<(String, String)>,
}

impl ItemsParams {
    /// The query string. A parameter the server does not know is an error (Part 1, 7.6), so a
    /// client never takes an unfiltered answer for a filtered one: other names are queryables,
    /// which the collection checks ([`ItemsParams::query`]).
    fn parse(raw: Option<&str>) -> ApiResult<Self> {
        let mut p = Self::default();
        for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let v = v.into_owned();
            match k.as_ref() {
                "limit" => p.limit = Some(v),
                "offset" => p.offset = Some(v),
                "bbox" => p.bbox = Some(v),
                "crs" => p.crs = Some(v),
                "bbox-crs" => p.bbox_crs = Some(v),
                "sortby" => p.sortby = Some(v),
                "datetime" => p.datetime = Some(v),
                "filter" => p.filter = Some(v),
                "filter-lang" => p.filter_lang = Some(v),
                "filter-crs" => p.filter_crs = Some(v),
                "f" if matches!(v.as_str(), "json" | "geojson" | "html") => p.f = Some(v),
                "f" => return Err(bad("f", &v)),
                other => p.properties.push((other.to_string(), v)),
            }
        }
        Ok(p)
    }

    /// The filter and order the parameters ask for on this table's columns.
    fn query(&self, t: &TableRef) -> ApiResult<(Option<String>, Option<String>)> {
        let rejected = |(param, value): filters::Rejected| bad(&param, &value);
        let mut conditions = Vec::new();
        for (name, value) in &self.properties {
            conditions.push(filters::property(&t.columns, name, value).map_err(rejected)?);
        }
        if let Some(d) = &self.datetime {
            conditions.push(filters::datetime(&t.columns, d).map_err(rejected)?);
        }
        let order = match &self.sortby {
            Some(s) => Some(filters::sortby(&t.columns, s).map_err(rejected)?),
            None => None,
        };
        Ok((
            (!conditions.is_empty()).then(|| conditions.join(" and ")),
            order,
        ))
    }

    /// `filter` in its `filter-lang` (CQL2 text unless told), its geometries from `filter-crs`
    /// (CRS84 unless told) in the stored CRS84.
    fn cql2(&self) -> ApiResult<Option<Filter>> {
        let Some(text) = self.filter.as_deref() else {
            match self.filter_lang.as_deref() {
                None | Some("cql2-text" | "cql2-json") => return Ok(None),
                Some(other) => return Err(bad("filter-lang", other)),
            }
        };
        let parsed = match self.filter_lang.as_deref() {
            None | Some("cql2-text") => Filter::parse_text(text),
            Some("cql2-json") => Filter::parse_json(text),
            Some(other) => return Err(bad("filter-lang", other)),
        };
        let crs = match &self.filter_crs {
            None => OgcCrs::CRS84,
            Some(u) => OgcCrs::parse(u).ok_or_else(|| bad("filter-crs", u))?,
        };
        let mut filter = parsed.map_err(bad_filter)?;
        if crs != OgcCrs::CRS84 {
            filter.literals_to(&crs).map_err(bad_filter)?;
        }
        Ok(Some(filter))
    }

    /// `crs` (the features' CRS) and `bbox-crs`, CRS84 when not given.
    fn crs(&self) -> ApiResult<(OgcCrs, OgcCrs)> {
        let one = |v: &Option<String>, name: &str| match v {
            None => Ok(OgcCrs::CRS84),
            Some(u) => OgcCrs::parse(u).ok_or_else(|| bad(name, u)),
        };
        Ok((one(&self.crs, "crs")?, one(&self.bbox_crs, "bbox-crs")?))
    }
}

/// The features' geometries in `crs` (features that cannot be transformed get none).
fn in_crs(mut feats: Vec<Value>, crs: OgcCrs) -> Vec<Value> {
    if crs != OgcCrs::CRS84 {
        let transform = crs.transform_from_crs84();
        for f in &mut feats {
            f["geometry"] = crs
                .geometry(&f["geometry"], &transform)
                .unwrap_or(Value::Null);
        }
    }
    feats
}

/// The answer's `Content-Crs` header (Part 2).
fn with_content_crs(mut res: Response, crs: OgcCrs) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>", crs.uri())) {
        res.headers_mut().insert("content-crs", v);
    }
    res
}

fn bad_filter(e: allmende_table::query::cql2::Cql2Error) -> ApiError {
    ApiError::BadRequest(Msg::new("param.ogc_filter").msg("reason", e.0))
}

fn bad(param: &str, value: &str) -> ApiError {
    ApiError::BadRequest(
        Msg::new("param.ogc")
            .arg("param", param)
            .arg("value", value),
    )
}

/// `minx,miny,maxx,maxy` in longitude/latitude (a 6-number 3D box uses its 2D part).
fn parse_bbox(s: &str) -> ApiResult<[f64; 4]> {
    let n: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad("bbox", s))?;
    let b = match n.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, d, e, _] => [*a, *b, *d, *e],
        _ => return Err(bad("bbox", s)),
    };
    if b.iter().any(|v| !v.is_finite()) || b[1] > b[3] {
        return Err(bad("bbox", s));
    }
    Ok(b)
}

/// The name of a spatial table's geometry column.
fn geometry_column(t: &TableRef) -> Option<String> {
    t.geometry().map(|c| c.name.clone())
}

/// What a page of features is selected by: `bbox` (CRS84), a condition, an order.
#[derive(Default)]
struct Selection {
    bbox: Option<[f64; 4]>,
    filter: Option<String>,
    cql2: Option<Filter>,
    order: Option<String>,
}

/// A page of features; counted when a selection filters.
async fn page(
    state: &AppState,
    client: &Client,
    t: &TableRef,
    offset: usize,
    limit: usize,
    selection: Selection,
) -> ApiResult<allmende_table::query::RecordsPage> {
    let q = RecordsQuery {
        limit: Some(limit),
        offset,
        total: selection.bbox.is_some() || selection.filter.is_some() || selection.cql2.is_some(),
        bbox: selection.bbox,
        filter: selection.filter,
        cql2: selection.cql2,
        order_by: selection.order,
        with_row_id: true,
        ..Default::default()
    };
    let permit = admit(state, Lane::Query, client).await?;
    Ok(state.tables.records(permit, t, &q).await?)
}

/// `GET /ogc/collections/{id}/items?limit&offset&bbox`
pub async fn items(
    State(state): State<AppState>,
    client: Client,
    ctx: PageCtx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let p = ItemsParams::parse(raw.as_deref())?;
    let (crs, bbox_crs) = p.crs()?;
    let collection = collection_of(&state, &id).await?;
    let page_title = match wants_html(&headers, p.f.as_deref()) {
        true => Some(title(&state, &collection).await?),
        false => None,
    };
    let t = collection.table;
    let geometry = geometry_column(&t);
    let limit = match p.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| bad("limit", l))?
            .min(MAX_LIMIT),
    };
    let offset = match p.offset.as_deref() {
        None => 0,
        Some(o) => o.parse::<usize>().map_err(|_| bad("offset", o))?,
    };
    let bbox = match p.bbox.as_deref() {
        None => None,
        Some(raw) => Some(
            bbox_crs
                .bbox_to_crs84(parse_bbox(raw)?)
                .ok_or_else(|| bad("bbox", raw))?,
        ),
    };
    let (filter, order) = p.query(&t)?;
    let selection = Selection {
        bbox,
        filter,
        cql2: p.cql2()?,
        order,
    };
    let page = page(&state, &client, &t, offset, limit, selection).await?;
    let matched = page.total.unwrap_or(t.rows);
    let feats = json::features(&page.schema, &page.batches, geometry.as_deref());
    let b = base(&state);
    let link = |rel: &str, off: usize| {
        let mut href = format!("{b}/collections/{id}/items?limit={limit}&offset={off}");
        let named = [
            ("bbox", &p.bbox),
            ("bbox-crs", &p.bbox_crs),
            ("crs", &p.crs),
            ("sortby", &p.sortby),
            ("datetime", &p.datetime),
            ("filter", &p.filter),
            ("filter-lang", &p.filter_lang),
            ("filter-crs", &p.filter_crs),
        ];
        let named = named
            .iter()
            .filter_map(|(n, v)| v.as_ref().map(|v| (*n, v.as_str())));
        let properties = p.properties.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        for (name, value) in named.chain(properties) {
            let enc = |s: &str| {
                percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            href.push_str(&format!("&{}={}", enc(name), enc(value)));
        }
        json!({"href": href, "rel": rel, "type": "application/geo+json"})
    };
    let mut links = vec![link("self", offset)];
    if ((offset + feats.len()) as u64) < matched && !feats.is_empty() {
        links.push(link("next", offset + limit));
    }
    if offset > 0 {
        links.push(link("prev", offset.saturating_sub(limit)));
    }
    links.push(json!({"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json"}));
    let self_href = links[0]["href"].as_str().unwrap_or_default().to_string();
    links.insert(1, alternate(&self_href));
    let feats = in_crs(feats, crs);
    let doc = json!({
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": feats.len(),
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
        "features": feats,
    });
    if let Some(title) = page_title {
        let json_href = self_href
            .find("/ogc/")
            .map_or(self_href.as_str(), |i| &self_href[i..]);
        let about = About {
            collection: Some((&id, &title)),
            json_href: format!("{json_href}&f=json"),
        };
        return html::render(&ctx, &state, Kind::Items, about, &doc);
    }
    Ok(with_content_crs(reply(doc, "application/geo+json"), crs))
}

/// `GET /ogc/collections/{id}/items/{featureId}` (the row number).
pub async fn item(
    State(state): State<AppState>,
    client: Client,
    ctx: PageCtx,
    headers: HeaderMap,
    Path((id, feature)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Response> {
    let p = ItemsParams::parse(raw.as_deref())?;
    if p.limit.is_some()
        || p.offset.is_some()
        || p.bbox.is_some()
        || p.bbox_crs.is_some()
        || p.sortby.is_some()
        || p.datetime.is_some()
        || p.filter.is_some()
        || p.filter_lang.is_some()
        || p.filter_crs.is_some()
        || !p.properties.is_empty()
    {
        return Err(bad("query", raw.as_deref().unwrap_or("")));
    }
    let (crs, _) = p.crs()?;
    let collection = collection_of(&state, &id).await?;
    let page_title = match wants_html(&headers, p.f.as_deref()) {
        true => Some(title(&state, &collection).await?),
        false => None,
    };
    let t = collection.table;
    let n: u64 = feature
        .parse()
        .ok()
        .filter(|n| (1..=t.rows).contains(n))
        .ok_or(ApiError::NotFound)?;
    let page = page(
        &state,
        &client,
        &t,
        (n - 1) as usize,
        1,
        Selection::default(),
    )
    .await?;
    let mut f = in_crs(
        json::features(&page.schema, &page.batches, geometry_column(&t).as_deref()),
        crs,
    )
    .into_iter()
    .next()
    .ok_or(ApiError::NotFound)?;
    let b = base(&state);
    f["links"] = json!([
        {"href": format!("{b}/collections/{id}/items/{n}"), "rel": "self", "type": "application/geo+json"},
        alternate(&format!("{b}/collections/{id}/items/{n}")),
        {"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json"},
    ]);
    if let Some(title) = page_title {
        let about = About {
            collection: Some((&id, &title)),
            json_href: format!("/ogc/collections/{id}/items/{n}?f=json"),
        };
        return html::render(&ctx, &state, Kind::Item, about, &f);
    }
    Ok(with_content_crs(reply(f, "application/geo+json"), crs))
}

/// `GET /ogc/api`: the OpenAPI 3.0 description of the paths above.
pub async fn api(State(state): State<AppState>) -> Response {
    reply(
        openapi::document(&base(&state), &state.settings.site_title),
        "application/vnd.oai.openapi+json;version=3.0",
    )
}
