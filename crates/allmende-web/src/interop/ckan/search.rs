//! `package_search`: CKAN's parameters (`q`, `fq`, `rows`, `start`, `sort`, facets,
//! `include_private`/`include_drafts`) on our search index. Solr syntax is understood for what
//! clients and harvesters actually send: `field:value` terms on the common fields, quoted
//! values, and `metadata_modified:[<time> TO *]`; anything else is a `Search Query Error`.

use std::collections::BTreeMap;
use std::sync::Arc;

use allmende_core::authz::{ReadScope, read_scope};
use allmende_search::{SearchRequest, Sort, SortKey};
use serde_json::{Map, Value, json};

use super::call::{Answer, Call, CkanError, CkanResult};
use super::dicts;
use crate::interop::rdf_http::parse_time;
use crate::state::{AppState, OrganizationsBySlug};

pub const MAX_ROWS: i64 = 1000;

const KNOWN: &[&str] = &[
    "q",
    "fq",
    "fq_list",
    "rows",
    "start",
    "sort",
    "facet",
    "facet.field",
    "facet.limit",
    "facet.mincount",
    "facet.sort",
    "include_private",
    "include_drafts",
    "include_deleted",
    "use_default_schema",
    "fl",
    "defType",
    "qf",
    "wt",
    "callback",
    "_",
];

/// Our facet name for a CKAN facet field.
fn facet_name(ckan: &str) -> Option<&'static str> {
    Some(match ckan {
        "organization" | "owner_org" => "organization",
        "tags" => "keyword",
        "groups" => "theme",
        "res_format" => "format",
        "license_id" => "license",
        _ => return None,
    })
}

#[derive(Default)]
struct Parsed {
    text: Vec<String>,
    filters: BTreeMap<String, Vec<String>>,
    modified_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Splits `a:b "c d" e:"f g" [x TO y]` into clauses, keeping quoted and bracketed parts.
fn clauses(s: &str) -> CkanResult<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = false;
    let mut bracket = 0usize;
    for c in s.chars() {
        match c {
            '"' => {
                quote = !quote;
                cur.push(c);
            }
            '[' | '{' if !quote => {
                bracket += 1;
                cur.push(c);
            }
            ']' | '}' if !quote => {
                bracket = bracket.checked_sub(1).ok_or_else(|| {
                    CkanError::SearchQuery(format!("Unausgeglichene Klammer in {s:?}"))
                })?;
                cur.push(c);
            }
            c if c.is_whitespace() && !quote && bracket == 0 => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quote || bracket > 0 {
        return Err(CkanError::SearchQuery(format!(
            "Unvollständiger Ausdruck (Anführungszeichen oder Klammer) in {s:?}"
        )));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(v: &str) -> String {
    v.trim_matches('"').replace("\\\"", "\"")
}

/// Field clauses of `q` or `fq`; in `q`, other words are text.
fn parse_clauses(s: &str, text_allowed: bool, out: &mut Parsed) -> CkanResult<()> {
    for clause in clauses(s)? {
        let clause = clause.trim_start_matches('+');
        if matches!(clause, "*:*" | "AND" | "&&" | "") {
            continue;
        }
        let Some((field, value)) = clause.split_once(':').filter(|(f, _)| {
            !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }) else {
            if text_allowed {
                out.text.push(unquote(clause));
                continue;
            }
            return Err(CkanError::SearchQuery(format!(
                "fq versteht nur Feld:Wert-Ausdrücke, nicht {clause:?}"
            )));
        };
        let value = unquote(value);
        let key = match field {
            "name" => "slug",
            "id" => "id",
            "capacity" => {
                if value == "public" {
                    out.filters
                        .entry("visibility".into())
                        .or_default()
                        .push("public".into());
                }
                continue;
            }
            "dataset_type" | "type" => {
                if value == "dataset" {
                    continue;
                }
                return Err(CkanError::SearchQuery(format!(
                    "Unbekannter Datensatztyp {value:?} (nur dataset)"
                )));
            }
            "metadata_modified" => {
                let range = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .and_then(|v| v.split_once(" TO "))
                    .ok_or_else(|| {
                        CkanError::SearchQuery(format!(
                            "metadata_modified erwartet [Zeitpunkt TO *], nicht {value:?}"
                        ))
                    })?;
                if range.1.trim() != "*" && range.1.trim() != "NOW" {
                    return Err(CkanError::SearchQuery(
                        "metadata_modified: nur offene Bereiche [Zeitpunkt TO *] werden unterstützt".into(),
                    ));
                }
                let from = range.0.trim();
                let t = if from == "*" {
                    None
                } else {
                    Some(parse_time(from).ok_or_else(|| {
                        CkanError::SearchQuery(format!("Kein Zeitpunkt: {from:?}"))
                    })?)
                };
                out.modified_since = t;
                continue;
            }
            "groups" => {
                let code = dicts::theme_from_group(&value)
                    .map(str::to_string)
                    .unwrap_or(value.to_ascii_uppercase());
                out.filters.entry("theme".into()).or_default().push(code);
                continue;
            }
            other => match facet_name(other) {
                Some(f) => f,
                None if text_allowed && matches!(other, "text" | "title" | "notes") => {
                    out.text.push(value);
                    continue;
                }
                None => {
                    return Err(CkanError::SearchQuery(format!(
                        "Unbekanntes Suchfeld {other:?} (name, id, organization, tags, groups, res_format, license_id, metadata_modified)"
                    )));
                }
            },
        };
        out.filters.entry(key.into()).or_default().push(value);
    }
    Ok(())
}

fn parse_sort(s: &str, has_text: bool) -> CkanResult<Sort> {
    let first = s.split(',').next().unwrap_or("").trim();
    let mut bits = first.split_whitespace();
    let field = bits.next().unwrap_or("");
    let desc = match bits.next().map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(CkanError::SearchQuery(format!(
                "Sortierrichtung {other:?} (asc oder desc)"
            )));
        }
    };
    Ok(match field {
        "" | "score" => {
            if has_text {
                Sort::Relevance
            } else {
                Sort::By(SortKey::Modified, true)
            }
        }
        "id" => Sort::By(SortKey::Id, desc),
        "name" => Sort::By(SortKey::Name, desc),
        "title_string" | "title" => Sort::By(SortKey::Title, desc),
        "metadata_modified" => Sort::By(SortKey::Modified, desc),
        "metadata_created" => Sort::By(SortKey::Created, desc),
        other => {
            return Err(CkanError::SearchQuery(format!(
                "Sortieren nach {other:?} geht nicht (id, name, title_string, metadata_modified, metadata_created, score)"
            )));
        }
    })
}

fn facet_fields(call: &Call) -> CkanResult<Vec<String>> {
    let Some(v) = call.json("facet.field")? else {
        return Ok(Vec::new());
    };
    let list: Vec<String> = match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Value::String(s) => vec![s],
        _ => {
            return Err(CkanError::SearchQuery(
                "facet.field muss eine JSON-Liste sein".into(),
            ));
        }
    };
    for f in &list {
        if facet_name(f).is_none() {
            return Err(CkanError::SearchQuery(format!(
                "Facette {f:?} gibt es nicht (organization, tags, groups, res_format, license_id)"
            )));
        }
    }
    Ok(list)
}

#[derive(serde::Serialize)]
struct SearchAnswer<'a> {
    count: u64,
    results: Vec<dicts::PackageDict<'a>>,
    sort: String,
    facets: Map<String, Value>,
    search_facets: Map<String, Value>,
}

pub async fn package_search(state: &AppState, call: &Call) -> CkanResult<Answer> {
    for k in call.params.keys() {
        if !KNOWN.contains(&k.as_str()) && !k.starts_with("ext_") {
            return Err(CkanError::SearchQuery(format!(
                "Unbekannter Parameter für package_search: {k:?}"
            )));
        }
    }
    let rows = call
        .int("rows")
        .map_err(|_| CkanError::SearchQuery("rows muss eine Zahl sein".into()))?
        .unwrap_or(10);
    if rows > MAX_ROWS {
        return Err(CkanError::SearchQuery(format!(
            "rows darf höchstens {MAX_ROWS} sein (weiter mit start)"
        )));
    }
    let start = call
        .int("start")
        .map_err(|_| CkanError::SearchQuery("start muss eine Zahl sein".into()))?
        .unwrap_or(0);
    let mut parsed = Parsed::default();
    if let Some(q) = call.str("q") {
        parse_clauses(&q, true, &mut parsed)?;
    }
    let mut fqs: Vec<String> = call.str("fq").into_iter().collect();
    if let Some(Value::Array(list)) = call.json("fq_list")? {
        fqs.extend(list.iter().filter_map(|v| v.as_str().map(str::to_string)));
    }
    for fq in &fqs {
        parse_clauses(fq, false, &mut parsed)?;
    }
    let include_private = call.bool("include_private")?.unwrap_or(false);
    let include_drafts = call.bool("include_drafts")?.unwrap_or(false);
    let scope = if include_private && call.actor.is_authenticated() {
        read_scope(&call.actor)
    } else {
        ReadScope::PublicAnd(Vec::new())
    };
    if !include_drafts && !parsed.filters.contains_key("visibility") {
        parsed
            .filters
            .insert("visibility".into(), vec!["public".into(), "private".into()]);
    }
    let text = parsed.text.join(" ");
    let sort = match call.str("sort") {
        Some(s) => parse_sort(&s, !text.trim().is_empty())?,
        None => parse_sort("score desc", !text.trim().is_empty())?,
    };
    let facets = facet_fields(call)?;
    let facet_limit = match call.params.get("facet.limit") {
        None => 50,
        Some(v) => match v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        {
            Some(n) if n < 0 => 1000,
            Some(n) => n.min(1000),
            None => {
                return Err(CkanError::SearchQuery(
                    "facet.limit muss eine Zahl sein".into(),
                ));
            }
        },
    };
    let mincount = call.int("facet.mincount").unwrap_or(None).unwrap_or(1);
    let req = SearchRequest {
        q: text,
        filters: parsed.filters.clone(),
        sort,
        page: 1,
        per_page: rows.max(1) as usize,
        scope: Some(scope),
        // Facets cost a pass over all matches; CKAN counts them only when asked.
        facet_size: if facets.is_empty() {
            0
        } else {
            facet_limit.max(1) as usize
        },
        offset: Some(start as usize),
        modified_since: parsed.modified_since,
    };
    let result = crate::heavy::search(state, &call.client, req).await?;
    let orgs = organizations(state).await?;
    let extents = state.data_extents().await?;
    let results = if rows == 0 {
        Vec::new()
    } else {
        result
            .hits
            .iter()
            .map(|h| {
                let extent = extents.datasets.get(&h.dataset.slug).copied();
                dicts::PackageDict::new(&call.base, &h.dataset, &orgs, extent)
            })
            .collect()
    };
    let mut facet_map = Map::new();
    let mut search_facets = Map::new();
    for f in &facets {
        let Some(ours) = facet_name(f) else { continue };
        let values = result.facets.get(ours).cloned().unwrap_or_default();
        let mut counts = Map::new();
        let mut items = Vec::new();
        for v in values
            .iter()
            .filter(|v| v.count as i64 >= mincount)
            .take(facet_limit.max(0) as usize)
        {
            let (name, display) = match ours {
                "theme" => {
                    let g = dicts::GroupDict::new(&v.value, None);
                    (g.name().to_string(), g.display_name().to_string())
                }
                "organization" => (
                    v.value.clone(),
                    orgs.get(&v.value)
                        .map(|o| o.name.clone())
                        .unwrap_or_else(|| v.value.clone()),
                ),
                _ => (v.value.clone(), v.value.clone()),
            };
            counts.insert(name.clone(), json!(v.count));
            items.push(json!({"name": name, "display_name": display, "count": v.count}));
        }
        facet_map.insert(f.clone(), Value::Object(counts));
        search_facets.insert(f.clone(), json!({"title": f, "items": items}));
    }
    let answer = SearchAnswer {
        count: result.total,
        results,
        sort: call
            .str("sort")
            .unwrap_or_else(|| "score desc, metadata_modified desc".into()),
        facets: facet_map,
        search_facets,
    };
    serialized(&answer)
}

pub(super) fn serialized(v: &impl serde::Serialize) -> CkanResult<Answer> {
    serde_json::to_string(v)
        .map(Answer::Serialized)
        .map_err(|e| CkanError::Internal(e.to_string()))
}

/// Public organizations by slug as of the search index's position (package dicts come from
/// the index too).
pub async fn organizations(state: &AppState) -> CkanResult<Arc<OrganizationsBySlug>> {
    Ok(state
        .public_organizations(state.search.applied_seq())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solr_clauses_that_clients_send() {
        let mut p = Parsed::default();
        parse_clauses(
            "organization:stadt-aalen +tags:\"Öffentlicher Verkehr\" metadata_modified:[2024-01-01T00:00:00Z TO *]",
            false,
            &mut p,
        )
        .unwrap();
        assert_eq!(p.filters["organization"], vec!["stadt-aalen"]);
        assert_eq!(p.filters["keyword"], vec!["Öffentlicher Verkehr"]);
        assert!(p.modified_since.is_some());
        let mut p = Parsed::default();
        parse_clauses("Baum groups:envi", true, &mut p).unwrap();
        assert_eq!(p.text, vec!["Baum"]);
        assert_eq!(p.filters["theme"], vec!["ENVI"]);
        for bad in [
            "foo:bar",
            "tags:[a",
            "metadata_modified:[x TO *]",
            "Baum",
            "name:\"x",
        ] {
            assert!(
                parse_clauses(bad, false, &mut Parsed::default()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn sorts() {
        assert_eq!(
            parse_sort("id asc", false).unwrap(),
            Sort::By(SortKey::Id, false)
        );
        assert_eq!(
            parse_sort("metadata_modified desc", false).unwrap(),
            Sort::By(SortKey::Modified, true)
        );
        assert_eq!(
            parse_sort("score desc, metadata_modified desc", true).unwrap(),
            Sort::Relevance
        );
        assert!(parse_sort("bogus asc", false).is_err());
        assert!(parse_sort("id sideways", false).is_err());
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(512),
            ..Default::default()
        })]

        /// `q`, `fq` and `sort` come from strangers: any text is an answer or an error,
        /// never a panic.
        #[test]
        fn solr_syntax_from_strangers_never_panics(
            parts in proptest::collection::vec(proptest::prop_oneof![
                proptest::sample::select(vec![
                    "organization:", "tags:", "groups:", "res_format:", "metadata_modified:[",
                    " TO ", "*]", "]", "\"", "+", "-", " ", "(", ")", " OR ", " AND ",
                    "2024-01-01T00:00:00Z", "NOW-1DAY", "Öffentlicher Verkehr", ":", "*:*", "\\",
                ]).prop_map(String::from),
                "[ -~äöüß]{0,12}",
            ], 0..40),
            text_allowed: bool,
        ) {
            let text = parts.concat();
            let _ = parse_clauses(&text, text_allowed, &mut Parsed::default());
            let _ = parse_sort(&text, text_allowed);
            let _ = clauses(&text);
        }
    }
}
