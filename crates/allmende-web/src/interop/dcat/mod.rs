//! The catalog as DCAT-AP.de 3.0 RDF (what GovData and data.europa.eu harvest): datasets,
//! publishers (`foaf:Agent`), contact points (vCard), distributions for every file, every
//! generated export and the records API, and the query APIs as a `dcat:DataService`. The graph
//! is built as triples and written by an RDF library (Turtle, RDF/XML, JSON-LD), so IRIs and
//! literals are always escaped correctly. Only public data ever goes in.

mod format;
mod geo;
mod graph;
mod ns;

pub use format::{format_for, media_type, negotiate, serialize};
pub use graph::{Context, PER_PAGE, Paging, dataset_iri};
pub use ns::{ADMS, DCAT, DCATAP, DCATDE, DCT, FOAF, HYDRA, OWL, PREFIXES, SPDX, VCARD};

use allmende_core::Dataset;
use oxrdf::vocab::xsd;
use oxrdf::{NamedNode, Triple};

use graph::{Graph, datetime, p, tables_of};
use ns::*;

/// One page of the catalog with its datasets and hydra paging.
pub fn catalog(ctx: &Context<'_>, datasets: &[Dataset], paging: &Paging<'_>) -> Vec<Triple> {
    let mut g = Graph::new(ctx);
    let cat = NamedNode::new_unchecked(g.catalog_iri());
    g.a(&cat, DCAT, "Catalog");
    g.text(&cat, p(DCT, "title"), ctx.catalog_title);
    g.text(&cat, p(DCT, "description"), ctx.catalog_description);
    let publisher = g.portal_publisher();
    g.add(&cat, p(DCT, "publisher"), publisher);
    let home = format!("{}/", ctx.base);
    if let Some(h) = g.iri(&cat, p(FOAF, "homepage"), &home) {
        g.a(&h, FOAF, "Document");
    }
    if let Some(c) = g.concept(&format!("{EU}language/DEU"), DCT, "LinguisticSystem") {
        g.add(&cat, p(DCT, "language"), c);
    }
    g.iri(&cat, p(DCAT, "themeTaxonomy"), &format!("{EU}data-theme"));
    if let Some(latest) = paging.modified {
        g.typed(&cat, p(DCT, "modified"), datetime(&latest), xsd::DATE_TIME);
    }
    let mut with_tables = Vec::new();
    let mut nodes = Vec::new();
    let mut ogc = None;
    for ds in datasets {
        let n = g.dataset(ds);
        if tables_of(ds) {
            with_tables.push(n.clone());
        }
        ogc = geo::distributions(&mut g, &n, ds).or(ogc);
        nodes.push(n);
    }
    for n in nodes {
        g.add(&cat, p(DCAT, "dataset"), n);
    }
    if !with_tables.is_empty() {
        let s = g.service(&with_tables);
        g.add(&cat, p(DCAT, "service"), s);
    }
    if let Some(s) = ogc {
        g.add(&cat, p(DCAT, "service"), s);
    }
    // Paging as ckanext-dcat and GovData's harvester read it.
    let last = ((paging.total + PER_PAGE - 1) / PER_PAGE).max(1);
    let url = |page: i64| {
        let mut u = format!("{}/catalog.{}?page={page}", ctx.base, paging.ext);
        if let Some(k) = &paging.keep {
            u.push('&');
            u.push_str(k);
        }
        u
    };
    let this = NamedNode::new_unchecked(url(paging.page));
    g.a(&this, HYDRA, "PagedCollection");
    g.typed(
        &this,
        p(HYDRA, "totalItems"),
        paging.total.to_string(),
        xsd::INTEGER,
    );
    g.typed(
        &this,
        p(HYDRA, "itemsPerPage"),
        PER_PAGE.to_string(),
        xsd::INTEGER,
    );
    let link = |g: &mut Graph<'_>, names: [&str; 2], page: i64| {
        for name in names {
            g.iri(&this, p(HYDRA, name), &url(page));
        }
    };
    link(&mut g, ["first", "firstPage"], 1);
    link(&mut g, ["last", "lastPage"], last);
    if paging.page < last {
        link(&mut g, ["next", "nextPage"], paging.page + 1);
    }
    if paging.page > 1 {
        link(
            &mut g,
            ["previous", "previousPage"],
            (paging.page - 1).min(last),
        );
    }
    g.triples
}

/// One dataset with everything it references.
pub fn dataset(ctx: &Context<'_>, ds: &Dataset) -> Vec<Triple> {
    let mut g = Graph::new(ctx);
    let n = g.dataset(ds);
    geo::distributions(&mut g, &n, ds);
    if tables_of(ds) {
        g.service(&[n]);
    }
    g.triples
}
