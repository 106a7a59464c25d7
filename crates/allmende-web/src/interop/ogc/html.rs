//! The OGC API's resources as pages (Part 1, HTML): each page shows the same document as the
//! JSON answer, so that a browser walks from the landing page to a single feature without
//! JavaScript, and every page links its JSON twin.

use allmende_core::i18n::Msg;
use axum::response::Response;
use minijinja::context;
use serde_json::Value;

use crate::error::ApiResult;
use crate::page::PageCtx;
use crate::state::AppState;

/// Which resource a page shows.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Landing,
    Conformance,
    Collections,
    Collection,
    Items,
    Item,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Landing => "landing",
            Self::Conformance => "conformance",
            Self::Collections => "collections",
            Self::Collection => "collection",
            Self::Items => "items",
            Self::Item => "item",
        }
    }
}

/// What a page is about besides its document: the collection's id and title, and where the
/// same resource answers as JSON.
pub(super) struct About<'a> {
    pub collection: Option<(&'a str, &'a str)>,
    pub json_href: String,
}

/// `[w, s, e, n]` as text.
fn extent(bbox: &Value) -> String {
    bbox.as_array()
        .map(|b| {
            b.iter()
                .map(|v| v.as_f64().map_or_else(String::new, |f| format!("{f:.5}")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A link of the document with this relation, as the page's address.
fn page_link(doc: &Value, rel: &str) -> Option<String> {
    let href = doc["links"].as_array()?.iter().find(|l| l["rel"] == rel)?["href"].as_str()?;
    // The page links its own kind: the same address as HTML, relative to this site.
    let path = href.find("/ogc/").map_or(href, |i| &href[i..]).to_string();
    Some(format!(
        "{path}{}f=html",
        if path.contains('?') { "&" } else { "?" }
    ))
}

/// The most a geometry shows of itself on a page.
const GEOMETRY_CHARS: usize = 20_000;

pub(super) fn render(
    ctx: &PageCtx,
    state: &AppState,
    kind: Kind,
    about: About<'_>,
    doc: &Value,
) -> ApiResult<Response> {
    let (collection_id, collection_title) = about.collection.unwrap_or(("", ""));
    let json_type = match kind {
        Kind::Items | Kind::Item => "application/geo+json",
        _ => "application/json",
    };
    let base = context! {
        kind => kind.name(),
        json_href => about.json_href,
        json_type => json_type,
        collection_id => collection_id,
        collection_title => collection_title,
    };
    let extra = match kind {
        Kind::Landing => context! { heading => ctx.t("ogc.name") },
        Kind::Conformance => context! {
            heading => ctx.t("ogc.conformance"),
            classes => doc["conformsTo"].clone(),
        },
        Kind::Collections => {
            let collections: Vec<Value> = doc["collections"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| {
                    serde_json::json!({
                        "id": c["id"],
                        "title": c["title"],
                        "extent": extent(&c["extent"]["spatial"]["bbox"][0]),
                    })
                })
                .collect();
            context! { heading => ctx.t("ogc.collections"), collections => collections }
        }
        Kind::Collection => context! {
            heading => collection_title,
            extent => extent(&doc["extent"]["spatial"]["bbox"][0]),
            crs => doc["crs"].clone(),
        },
        Kind::Items => {
            let features = doc["features"].as_array().cloned().unwrap_or_default();
            let mut columns: Vec<String> = Vec::new();
            for f in &features {
                for k in f["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|o| o.0)
                {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
            }
            let rows: Vec<Value> = features
                .iter()
                .map(|f| {
                    let cells: Vec<String> =
                        columns.iter().map(|c| cell(&f["properties"][c])).collect();
                    serde_json::json!({
                        "id": f["id"],
                        "geometry": f["geometry"]["type"].as_str().unwrap_or("–"),
                        "cells": cells,
                    })
                })
                .collect();
            let matched_text = Msg::new("ogc.matched")
                .arg("matched", doc["numberMatched"].as_u64().unwrap_or(0))
                .arg("returned", doc["numberReturned"].as_u64().unwrap_or(0))
                .render(ctx.lang);
            context! {
                heading => format!("{} – {}", collection_title, ctx.t("ogc.items")),
                matched_text => matched_text,
                columns => columns,
                rows => rows,
                next => page_link(doc, "next"),
                prev => page_link(doc, "prev"),
            }
        }
        Kind::Item => {
            let properties: Vec<Value> = doc["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| serde_json::json!({"name": k, "value": cell(v)}))
                .collect();
            let mut geometry = serde_json::to_string_pretty(&doc["geometry"]).unwrap_or_default();
            if geometry.len() > GEOMETRY_CHARS {
                let cut = (0..=GEOMETRY_CHARS)
                    .rev()
                    .find(|i| geometry.is_char_boundary(*i))
                    .unwrap_or(0);
                geometry.truncate(cut);
                geometry.push('…');
            }
            context! {
                heading => Msg::new("ogc.feature").arg("id", cell(&doc["id"])).render(ctx.lang),
                properties => properties,
                geometry_type => doc["geometry"]["type"].as_str().unwrap_or("–"),
                geometry => geometry,
            }
        }
    };
    ctx.render(state, "ogc.html", context! { ..base, ..extra })
}
