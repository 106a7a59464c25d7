//! What search engines and feed readers read: schema.org `Dataset` JSON-LD on dataset pages,
//! `/sitemap.xml`, `/robots.txt` and Atom feeds of new and changed datasets. All of them are
//! built for the anonymous public, whoever asks: private and draft data never appears.

use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::authz::ReadScope;
use allmende_core::{Dataset, vocab};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const SITEMAP_LIMIT: i64 = 50_000;
const FEED_ENTRIES: i64 = 50;

fn public() -> ReadScope {
    ReadScope::PublicAnd(Vec::new())
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// schema.org `Dataset` for a public dataset, as Google Dataset Search reads it.
pub fn schema_org(ds: &Dataset, base: &str) -> Value {
    let url = format!("{base}/dataset/{}", ds.slug);
    let license = vocab::license(&ds.license)
        .map(|l| l.url)
        .unwrap_or_default();
    let distribution: Vec<Value> = ds
        .resources
        .iter()
        .flatten()
        // A file still in its privacy check is not served yet.
        .filter(|r| !r.withheld)
        .map(|r| {
            json!({
                "@type": "DataDownload",
                "name": r.title,
                "contentUrl": r.download_url,
                "encodingFormat": r.media_type.clone().or(r.format.clone()),
                "contentSize": r.byte_size.map(|b| format!("{b} B")),
            })
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "identifier": ds.id.to_string(),
        "name": ds.title,
        "description": ds.description,
        "license": license,
        "isAccessibleForFree": true,
        "keywords": ds.keywords,
        "inLanguage": if ds.languages.iter().any(|l| l == "ENG") { "de, en" } else { "de" },
        "creator": {"@type": "Organization", "name": ds.organization_name, "url": format!("{base}/organization/{}", ds.organization)},
        "publisher": {"@type": "Organization", "name": ds.organization_name},
        "dateCreated": ds.created_at.to_rfc3339(),
        "dateModified": ds.updated_at.to_rfc3339(),
        "distribution": distribution,
    });
    if let Some(issued) = ds.issued {
        v["datePublished"] = json!(issued.to_string());
    }
    if let Some(name) = &ds.spatial.name {
        let mut place = json!({"@type": "Place", "name": name});
        if let Some([w, s, e, n]) = ds.spatial.bbox {
            place["geo"] = json!({"@type": "GeoShape", "box": format!("{s} {w} {n} {e}")});
        }
        v["spatialCoverage"] = place;
    }
    match (ds.temporal.start, ds.temporal.end) {
        (Some(s), Some(e)) => v["temporalCoverage"] = json!(format!("{s}/{e}")),
        (Some(s), None) => v["temporalCoverage"] = json!(format!("{s}/..")),
        (None, Some(e)) => v["temporalCoverage"] = json!(format!("../{e}")),
        _ => {}
    }
    v
}

/// JSON that is safe inside `<script type="application/ld+json">`: markup characters are
/// written as JSON escapes, so no text can end the block or open a comment.
pub fn script_json(v: &Value) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

async fn public_datasets(
    state: &AppState,
    organization: Option<String>,
    sort: DatasetSort,
    limit: i64,
) -> ApiResult<Vec<Dataset>> {
    let filter = DatasetFilter {
        organization,
        ..DatasetFilter::new(public())
    };
    let mut out = Vec::new();
    let mut page = 1;
    let per_page = 1000.min(limit);
    loop {
        let batch = state
            .catalog
            .datasets(&filter, sort, page, per_page)
            .await?;
        let done = batch.items.is_empty() || page * per_page >= batch.total;
        out.extend(batch.items);
        if done || out.len() as i64 >= limit {
            break;
        }
        page += 1;
    }
    out.truncate(limit as usize);
    Ok(out)
}

pub async fn sitemap(State(state): State<AppState>) -> ApiResult<Response> {
    let base = state.settings.public_url.trim_end_matches('/').to_string();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for path in ["/", "/datasets", "/organizations", "/api", "/about"] {
        xml.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            xml_escape(&format!("{base}{path}"))
        ));
    }
    let orgs = state.catalog.organizations(&public(), 1, 100).await?;
    for o in orgs.items {
        xml.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            xml_escape(&format!("{base}/organization/{}", o.slug))
        ));
    }
    for ds in public_datasets(&state, None, DatasetSort::Modified, SITEMAP_LIMIT).await? {
        xml.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            xml_escape(&format!("{base}/dataset/{}", ds.slug)),
            ds.updated_at.format("%Y-%m-%d")
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

pub async fn robots(State(state): State<AppState>) -> Response {
    let base = state.settings.public_url.trim_end_matches('/');
    let body = format!(
        "User-agent: *\nDisallow: /login\nDisallow: /dashboard\nDisallow: /datasets/new\nDisallow: /sprache/\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    );
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// An Atom feed's opening: its title, id and self link (`self_url`), the page it stands for.
fn feed_head(title: &str, self_url: &str, alternate: &str, updated: &DateTime<Utc>) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"de\">\n\
         <title>{}</title>\n<id>{}</id>\n<link rel=\"self\" href=\"{}\"/>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<updated>{}</updated>\n",
        xml_escape(title),
        xml_escape(self_url),
        xml_escape(self_url),
        xml_escape(alternate),
        updated.to_rfc3339()
    )
}

/// Closes a feed and answers with it.
fn feed_response(mut xml: String) -> Response {
    xml.push_str("</feed>\n");
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

fn atom(state: &AppState, title: &str, self_path: &str, datasets: &[Dataset]) -> Response {
    let base = state.settings.public_url.trim_end_matches('/');
    let updated = datasets
        .iter()
        .map(|d| d.updated_at)
        .max()
        .unwrap_or_else(allmende_core::time::now);
    let self_url = format!("{base}{self_path}");
    let mut xml = feed_head(title, &self_url, &format!("{base}/datasets"), &updated);
    for d in datasets {
        let url = format!("{base}/dataset/{}", d.slug);
        xml.push_str(&format!(
            "<entry>\n<id>urn:uuid:{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n<author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
            d.id,
            xml_escape(&d.title),
            xml_escape(&url),
            d.created_at.to_rfc3339(),
            d.updated_at.to_rfc3339(),
            xml_escape(&d.organization_name),
            xml_escape(&crate::markdown::teaser(&d.description, 400)),
        ));
    }
    feed_response(xml)
}

pub async fn feed(State(state): State<AppState>) -> ApiResult<Response> {
    let datasets = public_datasets(&state, None, DatasetSort::Modified, FEED_ENTRIES).await?;
    Ok(atom(
        &state,
        &format!(
            "{} – neue und geänderte Datensätze",
            state.settings.site_title
        ),
        "/feed.atom",
        &datasets,
    ))
}

pub async fn organization_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let org = state
        .catalog
        .organization(&slug, &public())
        .await?
        .ok_or(ApiError::NotFound)?;
    let datasets = public_datasets(
        &state,
        Some(org.slug.clone()),
        DatasetSort::Modified,
        FEED_ENTRIES,
    )
    .await?;
    Ok(atom(
        &state,
        &format!("{} – Datensätze", org.name),
        &format!("/organization/{}/feed.atom", org.slug),
        &datasets,
    ))
}

/// `GET /dataset/{slug}/feed.atom`: one public dataset for feed readers — an entry for its
/// description and one per file or link, whose id changes with the file, so that a new
/// version of the data is a new entry.
pub async fn dataset_feed(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let ds = state
        .catalog
        .dataset(&slug)
        .await?
        .filter(allmende_app::access::is_public)
        .ok_or(ApiError::NotFound)?;
    let base = state.settings.public_url.trim_end_matches('/');
    let page = format!("{base}/dataset/{}", ds.slug);
    let resources: Vec<_> = ds.resources.iter().flatten().collect();
    let updated = resources
        .iter()
        .map(|r| r.updated_at)
        .chain([ds.updated_at])
        .max()
        .unwrap_or(ds.updated_at);
    let self_url = format!("{page}/feed.atom");
    let mut xml = feed_head(
        &format!("{} – {}", ds.title, state.settings.site_title),
        &self_url,
        &page,
        &updated,
    );
    xml.push_str(&format!(
        "<author><name>{}</name></author>\n",
        xml_escape(&ds.organization_name)
    ));
    xml.push_str(&format!(
        "<entry>\n<id>{}#{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <published>{}</published>\n<updated>{}</updated>\n<summary>{}</summary>\n</entry>\n",
        xml_escape(&page),
        ds.updated_at.timestamp(),
        xml_escape(&ds.title),
        xml_escape(&page),
        ds.created_at.to_rfc3339(),
        ds.updated_at.to_rfc3339(),
        xml_escape(&crate::markdown::teaser(&ds.description, 400)),
    ));
    for r in resources {
        let url = format!("{page}/resource/{}", r.id);
        // The file's hash marks its version; a link's version is its last change. A file the
        // privacy check holds back shows without its hash and without its address.
        let version = match (&r.sha256, r.withheld) {
            (_, true) => "withheld".to_string(),
            (Some(h), false) => h.get(..16).unwrap_or(h).to_string(),
            (None, false) => r.updated_at.timestamp().to_string(),
        };
        let enclosure = if r.withheld {
            String::new()
        } else {
            format!(
                "<link rel=\"enclosure\" href=\"{}\"/>\n",
                xml_escape(&r.download_url)
            )
        };
        let summary = match (&r.format, &r.file_name) {
            (Some(f), Some(n)) => format!("{f}: {n}"),
            (Some(f), None) => f.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => String::new(),
        };
        xml.push_str(&format!(
            "<entry>\n<id>{}#{}</id>\n<title>{}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             {}<published>{}</published>\n<updated>{}</updated>\n<summary>{}</summary>\n</entry>\n",
            xml_escape(&url),
            xml_escape(&version),
            xml_escape(&r.title),
            xml_escape(&url),
            enclosure,
            r.created_at.to_rfc3339(),
            r.updated_at.to_rfc3339(),
            xml_escape(&summary),
        ));
    }
    Ok(feed_response(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(xml_escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
        let safe = script_json(&json!({"x": "</script><!-- & >"}));
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        assert_eq!(
            serde_json::from_str::<Value>(&safe).unwrap()["x"],
            "</script><!-- & >"
        );
    }
}
