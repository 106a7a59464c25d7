//! Running a search: text query, visibility, facet filters (OR within a facet, AND across),
//! facet counts that ignore the facet's own selection, sorting, paging, snippets, and a
//! "did you mean" when nothing matched.

use std::collections::BTreeMap;
use std::sync::Arc;

use allmende_core::Dataset;
use allmende_core::authz::ReadScope;
use std::ops::Bound;
use tantivy::aggregation::AggregationCollector;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::collector::{Count, TopDocs};

use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, RangeQuery, TermQuery, TermSetQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};

use crate::analyzer;
use crate::error::SearchError;
use crate::index::Generation;
use crate::query;
use crate::synonyms::Synonyms;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Relevance with a query, last modified without.
    #[default]
    Auto,
    Relevance,
    Modified,
    Title,
    Issued,
    /// Any sortable key in either direction (the CKAN API's `sort`).
    By(SortKey, bool),
}

/// Keys a search can be ordered by; the bool in [`Sort::By`] is `true` for descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Name,
    Title,
    Modified,
    Created,
    Issued,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "relevance" => Self::Relevance,
            "modified" => Self::Modified,
            "title" => Self::Title,
            "issued" => Self::Issued,
            _ => return None,
        })
    }
}

/// The facets, as request parameter names and index fields.
pub const FACETS: [&str; 6] = [
    "organization",
    "theme",
    "keyword",
    "format",
    "license",
    "data",
];

#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub q: String,
    /// Selected values per facet name (see [`FACETS`]).
    pub filters: BTreeMap<String, Vec<String>>,
    pub sort: Sort,
    pub page: usize,
    pub per_page: usize,
    pub scope: Option<ReadScope>,
    /// How many values to return per facet; 0 counts no facets at all (the cheapest search).
    pub facet_size: usize,
    /// Skip this many results instead of paging (`page` is ignored when set).
    pub offset: Option<usize>,
    /// Only datasets changed at or after this time.
    pub modified_since: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct FacetValue {
    pub value: String,
    pub count: u64,
    pub selected: bool,
}

#[derive(Debug, Clone)]
pub struct Hit {
    pub dataset: Dataset,
    /// Description fragment with `<b>` around matches, HTML-escaped otherwise.
    pub snippet: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SearchResult {
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: BTreeMap<String, Vec<FacetValue>>,
    /// A corrected query that has results, when this one had none.
    pub suggestion: Option<String>,
}

fn facet_field(g: &Generation, name: &str) -> Option<Field> {
    let f = &g.fields;
    Some(match name {
        "organization" => f.organization,
        "theme" => f.theme,
        "keyword" => f.keyword,
        "format" => f.format,
        "license" => f.license,
        "data" => f.data,
        // Filters only, never counted as facets.
        "id" => f.id,
        "slug" => f.slug,
        "visibility" => f.visibility,
        _ => return None,
    })
}

fn visibility_filter(g: &Generation, scope: &Option<ReadScope>) -> Option<Box<dyn Query>> {
    let f = &g.fields;
    let public: Box<dyn Query> = Box::new(TermQuery::new(
        Term::from_field_text(f.visibility, "public"),
        IndexRecordOption::Basic,
    ));
    match scope {
        Some(ReadScope::All) => None,
        Some(ReadScope::PublicAnd(orgs)) if !orgs.is_empty() => {
            let mine = TermSetQuery::new(
                orgs.iter()
                    .map(|o| Term::from_field_text(f.org_id, &o.to_string())),
            );
            Some(Box::new(BooleanQuery::new(vec![
                (Occur::Should, public),
                (Occur::Should, Box::new(mine)),
            ])))
        }
        _ => Some(public),
    }
}

fn facet_filter(g: &Generation, name: &str, values: &[String]) -> Option<Box<dyn Query>> {
    let field = facet_field(g, name)?;
    if values.is_empty() {
        return None;
    }
    Some(Box::new(TermSetQuery::new(
        values.iter().map(|v| Term::from_field_text(field, v)),
    )))
}

/// `base` AND every facet filter except `skip`.
fn combine(
    g: &Generation,
    base: &[Box<dyn Query>],
    filters: &BTreeMap<String, Vec<String>>,
    skip: Option<&str>,
) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        base.iter().map(|q| (Occur::Must, q.box_clone())).collect();
    for (name, values) in filters {
        if Some(name.as_str()) == skip {
            continue;
        }
        if let Some(q) = facet_filter(g, name, values) {
            clauses.push((Occur::Must, q));
        }
    }
    if clauses.is_empty() {
        Box::new(AllQuery)
    } else {
        Box::new(BooleanQuery::new(clauses))
    }
}

fn facet_counts(
    searcher: &Searcher,
    query: &dyn Query,
    names: &[&str],
    size: usize,
) -> Result<BTreeMap<String, Vec<(String, u64)>>, SearchError> {
    let mut req = serde_json::Map::new();
    for name in names {
        req.insert(
            (*name).to_string(),
            serde_json::json!({"terms": {"field": name, "size": size, "min_doc_count": 1}}),
        );
    }
    let aggs: Aggregations = serde_json::from_value(serde_json::Value::Object(req))
        .map_err(|e| SearchError::Index(tantivy::TantivyError::InvalidArgument(e.to_string())))?;
    let collector = AggregationCollector::from_aggs(aggs, Default::default());
    let result = searcher.search(query, &collector)?;
    let json = serde_json::to_value(&result)
        .map_err(|e| SearchError::Index(tantivy::TantivyError::InvalidArgument(e.to_string())))?;
    let mut out = BTreeMap::new();
    for name in names {
        let buckets = json[*name]["buckets"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let values = buckets
            .iter()
            .filter_map(|b| Some((b["key"].as_str()?.to_string(), b["doc_count"].as_u64()?)))
            .collect();
        out.insert((*name).to_string(), values);
    }
    Ok(out)
}

fn load(
    searcher: &Searcher,
    g: &Generation,
    addr: DocAddress,
) -> Result<(TantivyDocument, Option<Dataset>), SearchError> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    let ds = doc
        .get_first(g.fields.doc)
        .and_then(|v| v.as_str())
        .and_then(|s| serde_json::from_str::<Dataset>(s).ok());
    Ok((doc, ds))
}

pub fn run(
    g: &Arc<Generation>,
    synonyms: &Synonyms,
    req: &SearchRequest,
) -> Result<SearchResult, SearchError> {
    let searcher = g.reader.searcher();
    let mut analyzer = german();
    let parsed = query::parse(&req.q);
    let text = query::build(&g.fields, &mut analyzer, synonyms, &parsed);
    let mut base: Vec<Box<dyn Query>> = Vec::new();
    if let Some(t) = &text {
        base.push(t.box_clone());
    }
    if let Some(v) = visibility_filter(g, &req.scope) {
        base.push(v);
    }
    if let Some(since) = req.modified_since {
        base.push(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(
                g.fields.modified,
                since.timestamp_micros(),
            )),
            Bound::Unbounded,
        )));
    }
    // Unknown facet names and empty values are ignored rather than refused.
    let filters: BTreeMap<String, Vec<String>> = req
        .filters
        .iter()
        .filter(|(k, _)| facet_field(g, k).is_some())
        .map(|(k, v)| {
            (
                k.clone(),
                v.iter()
                    .filter(|x| !x.is_empty())
                    .cloned()
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let main = combine(g, &base, &filters, None);

    // The collector reserves room for offset + limit documents up front: a stranger's
    // `offset=900000000` would ask for gigabytes. Past the last document every page is empty,
    // so both are bounded by the index's size.
    let docs = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
    let per_page = req.per_page.clamp(1, docs.max(1));
    let offset = req
        .offset
        .unwrap_or(
            req.page
                .saturating_sub(1)
                .saturating_mul(req.per_page.max(1)),
        )
        .min(docs);
    let top = TopDocs::with_limit(per_page).and_offset(offset);
    let sort = match req.sort {
        Sort::Auto if text.is_some() => Sort::Relevance,
        Sort::Auto => Sort::Modified,
        s => s,
    };
    let (addrs, total): (Vec<DocAddress>, usize) = match sort {
        Sort::Relevance => {
            let (docs, n) = searcher.search(&main, &(top.order_by_score(), Count))?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
        Sort::Title => {
            let (docs, n) = searcher.search(
                &main,
                &(
                    top.order_by_string_fast_field("title_sort", Order::Asc),
                    Count,
                ),
            )?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
        Sort::By(key, desc) => {
            let order = if desc { Order::Desc } else { Order::Asc };
            let (docs, n) = match key {
                SortKey::Id | SortKey::Name | SortKey::Title => {
                    let field = match key {
                        SortKey::Id => "id",
                        SortKey::Name => "slug",
                        _ => "title_sort",
                    };
                    let (docs, n) = searcher.search(
                        &main,
                        &(top.order_by_string_fast_field(field, order), Count),
                    )?;
                    (docs.into_iter().map(|(_, a)| a).collect(), n)
                }
                SortKey::Modified | SortKey::Created | SortKey::Issued => {
                    let field = match key {
                        SortKey::Modified => "modified",
                        SortKey::Created => "created",
                        _ => "issued",
                    };
                    let (docs, n) = searcher.search(
                        &main,
                        &(top.order_by_fast_field::<i64>(field, order), Count),
                    )?;
                    (docs.into_iter().map(|(_, a)| a).collect(), n)
                }
            };
            (docs, n)
        }
        Sort::Issued | Sort::Modified | Sort::Auto => {
            let field = if sort == Sort::Issued {
                "issued"
            } else {
                "modified"
            };
            let (docs, n) = searcher.search(
                &main,
                &(top.order_by_fast_field::<i64>(field, Order::Desc), Count),
            )?;
            (docs.into_iter().map(|(_, a)| a).collect(), n)
        }
    };

    let snippets = match &text {
        Some(t) => {
            let mut s = SnippetGenerator::create(&searcher, &**t, g.fields.description)?;
            s.set_max_num_chars(220);
            Some(s)
        }
        None => None,
    };
    let mut hits = Vec::with_capacity(addrs.len());
    for addr in addrs {
        let (doc, ds) = load(&searcher, g, addr)?;
        let Some(dataset) = ds else { continue };
        let snippet = snippets
            .as_ref()
            .map(|s| s.snippet_from_doc(&doc))
            .filter(|s| !s.highlighted().is_empty())
            .map(|s| s.to_html());
        hits.push(Hit { dataset, snippet });
    }

    // Facets: those without a selection are counted on the main query in one pass; each facet
    // with a selection is counted with every other filter but its own (multi-select).
    let size = req.facet_size;
    let unselected: Vec<&str> = crate::search::FACETS
        .iter()
        .copied()
        .filter(|f| size > 0 && !filters.contains_key(*f))
        .collect();
    let mut counts = if unselected.is_empty() {
        BTreeMap::new()
    } else {
        facet_counts(&searcher, &main, &unselected, size)?
    };
    for name in filters.keys() {
        if size == 0 || !FACETS.contains(&name.as_str()) {
            continue;
        }
        let q = combine(g, &base, &filters, Some(name));
        counts.extend(facet_counts(&searcher, &q, &[name.as_str()], size)?);
    }
    let facets = counts
        .into_iter()
        .map(|(name, values)| {
            let selected = filters.get(&name).cloned().unwrap_or_default();
            let mut out: Vec<FacetValue> = values
                .into_iter()
                .map(|(value, count)| FacetValue {
                    selected: selected.contains(&value),
                    value,
                    count,
                })
                .collect();
            // A selected value stays visible even when nothing matches it any more.
            for s in &selected {
                if !out.iter().any(|v| &v.value == s) {
                    out.push(FacetValue {
                        value: s.clone(),
                        count: 0,
                        selected: true,
                    });
                }
            }
            (name, out)
        })
        .collect();

    let suggestion = if total == 0 && !parsed.words.is_empty() {
        suggest(g, &searcher, synonyms, req, &parsed.words)?
    } else {
        None
    };
    Ok(SearchResult {
        total: total as u64,
        hits,
        facets,
        suggestion,
    })
}

/// Building the analyzer (stop-word set, stemmer) is not free; clone a prepared one.
fn german() -> tantivy::tokenizer::TextAnalyzer {
    static GERMAN: std::sync::OnceLock<tantivy::tokenizer::TextAnalyzer> =
        std::sync::OnceLock::new();
    GERMAN.get_or_init(analyzer::german).clone()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j + 1] + 1)
                .min(cur[j] + 1)
                .min(prev[j] + usize::from(ca != cb));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest indexed word (edit distance ≤ 2, most frequent first) for each word the index
/// does not know; offered only if the corrected query finds something.
fn suggest(
    g: &Arc<Generation>,
    searcher: &Searcher,
    synonyms: &Synonyms,
    req: &SearchRequest,
    words: &[String],
) -> Result<Option<String>, SearchError> {
    let mut changed = false;
    let mut corrected = Vec::with_capacity(words.len());
    for word in words {
        let lower = word.to_lowercase();
        let known = searcher.doc_freq(&Term::from_field_text(g.fields.words, &lower))? > 0;
        if known || lower.chars().count() < 3 {
            corrected.push(word.clone());
            continue;
        }
        let mut best: Option<(usize, u32, String)> = None;
        for reader in searcher.segment_readers() {
            let inverted = reader.inverted_index(g.fields.words)?;
            let mut stream = inverted.terms().stream()?;
            while stream.advance() {
                let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                if candidate.len().abs_diff(lower.len()) > 2 {
                    continue;
                }
                let d = edit_distance(&lower, candidate);
                if d == 0 || d > 2 {
                    continue;
                }
                let freq = stream.value().doc_freq;
                if best
                    .as_ref()
                    .is_none_or(|(bd, bf, _)| d < *bd || (d == *bd && freq > *bf))
                {
                    best = Some((d, freq, candidate.to_string()));
                }
            }
        }
        match best {
            Some((_, _, w)) => {
                corrected.push(w);
                changed = true;
            }
            None => corrected.push(word.clone()),
        }
    }
    if !changed {
        return Ok(None);
    }
    let q = corrected.join(" ");
    let retry = SearchRequest {
        q: q.clone(),
        page: 1,
        per_page: 1,
        facet_size: 0,
        ..req.clone()
    };
    let r = run_without_suggestion(g, synonyms, &retry)?;
    Ok((r > 0).then_some(q))
}

fn run_without_suggestion(
    g: &Arc<Generation>,
    synonyms: &Synonyms,
    req: &SearchRequest,
) -> Result<u64, SearchError> {
    let searcher = g.reader.searcher();
    let mut analyzer = german();
    let parsed = query::parse(&req.q);
    let mut base: Vec<Box<dyn Query>> = Vec::new();
    if let Some(t) = query::build(&g.fields, &mut analyzer, synonyms, &parsed) {
        base.push(t);
    }
    if let Some(v) = visibility_filter(g, &req.scope) {
        base.push(v);
    }
    if let Some(since) = req.modified_since {
        base.push(Box::new(RangeQuery::new(
            Bound::Included(Term::from_field_i64(
                g.fields.modified,
                since.timestamp_micros(),
            )),
            Bound::Unbounded,
        )));
    }
    let q = combine(g, &base, &req.filters, None);
    Ok(searcher.search(&q, &Count)? as u64)
}

/// Datasets like `ds`, best first: sharing keywords counts most, then themes, then the
/// publisher; `ds` itself and what `scope` may not see are left out.
pub fn related(
    g: &Arc<Generation>,
    ds: &Dataset,
    scope: &Option<ReadScope>,
    n: usize,
) -> Result<Vec<Dataset>, SearchError> {
    let f = &g.fields;
    let term = |field: Field, v: &str, boost: f32| -> (Occur, Box<dyn Query>) {
        (
            Occur::Should,
            // Fixed weights: how rare a term is (what BM25 would add) says nothing here.
            Box::new(tantivy::query::ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                )),
                boost,
            )),
        )
    };
    let mut alike: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for k in ds.keywords.iter().take(20) {
        alike.push(term(f.keyword, k, 3.0));
    }
    for t in ds.themes.iter().take(13) {
        alike.push(term(f.theme, t, 2.0));
    }
    alike.push(term(f.organization, &ds.organization, 1.0));
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
        (Occur::Must, Box::new(BooleanQuery::new(alike))),
        (
            Occur::MustNot,
            Box::new(TermQuery::new(
                Term::from_field_text(f.id, &ds.id.to_string()),
                IndexRecordOption::Basic,
            )),
        ),
    ];
    if let Some(v) = visibility_filter(g, scope) {
        clauses.push((Occur::Must, v));
    }
    let searcher = g.reader.searcher();
    let docs = searcher.search(
        &BooleanQuery::new(clauses),
        &TopDocs::with_limit(n.max(1)).order_by_score(),
    )?;
    let mut out = Vec::with_capacity(docs.len());
    for (_, addr) in docs {
        if let (_, Some(d)) = load(&searcher, g, addr)? {
            out.push(d);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(edit_distance("parkplatz", "parkplats"), 1);
        assert_eq!(edit_distance("baum", "baum"), 0);
        assert_eq!(edit_distance("kita", "kiat"), 2);
    }
}
