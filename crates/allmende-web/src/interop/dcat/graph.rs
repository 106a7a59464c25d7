//! The DCAT-AP.de graph of datasets, publishers, distributions and the data service, as
//! triples.

use std::collections::{HashMap, HashSet};

use allmende_core::{Dataset, Organization, Resource, vocab};
use allmende_table::export::ExportFormat;
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{Literal, NamedNode, NamedNodeRef, Term, Triple};

use super::ns::*;

/// Datasets per catalog page.
pub const PER_PAGE: i64 = 100;

/// What the graph needs beyond the datasets.
pub struct Context<'a> {
    /// Public base URL without trailing slash.
    pub base: &'a str,
    pub catalog_title: &'a str,
    pub catalog_description: &'a str,
    pub publisher_name: &'a str,
    /// GovData contributor id (`dcatde:contributorID`), when the portal delivers directly.
    pub contributor_id: Option<&'a str>,
    /// Publishing organizations by slug.
    pub orgs: &'a HashMap<String, Organization>,
    /// Where the public spatial tables lie: by dataset (for `dct:spatial` where the metadata
    /// gives no bounding box) and by resource (offered as geodata).
    pub extents: &'a allmende_app::tables::Extents,
}

/// Where a page sits in the paged catalog.
pub struct Paging<'a> {
    pub page: i64,
    pub total: i64,
    /// File ending of the requested serialization (`ttl`, `rdf`, `jsonld`).
    pub ext: &'a str,
    /// Other query parameters to keep in page links (`modified_since=…`).
    pub keep: Option<String>,
    /// When any public dataset last changed: the same on every page.
    pub modified: Option<chrono::DateTime<chrono::Utc>>,
}

pub(crate) struct Graph<'a> {
    pub(crate) ctx: &'a Context<'a>,
    pub(crate) triples: Vec<Triple>,
    /// Shared nodes (publishers, licences, places) described once per document.
    pub(crate) described: HashSet<String>,
}

pub(crate) fn node(iri: &str) -> Option<NamedNode> {
    NamedNode::new(iri).ok()
}

pub(crate) fn p(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

impl<'a> Graph<'a> {
    pub(crate) fn new(ctx: &'a Context<'a>) -> Self {
        Self {
            ctx,
            triples: Vec::new(),
            described: HashSet::new(),
        }
    }

    pub(crate) fn add(&mut self, s: &NamedNode, pred: NamedNode, o: impl Into<Term>) {
        self.triples.push(Triple::new(s.clone(), pred, o));
    }

    pub(crate) fn a(&mut self, s: &NamedNode, ns: &str, class: &str) {
        self.add(s, rdf::TYPE.into_owned(), p(ns, class));
    }

    /// An IRI object; values that are no valid IRI are left out rather than written broken.
    pub(crate) fn iri(&mut self, s: &NamedNode, pred: NamedNode, o: &str) -> Option<NamedNode> {
        let o = node(o)?;
        self.add(s, pred, o.clone());
        Some(o)
    }

    pub(crate) fn text(&mut self, s: &NamedNode, pred: NamedNode, text: &str) {
        let t = clean(text);
        if !t.is_empty() {
            self.add(
                s,
                pred,
                Literal::new_language_tagged_literal_unchecked(t, "de"),
            );
        }
    }

    pub(crate) fn plain(&mut self, s: &NamedNode, pred: NamedNode, text: &str) {
        let t = clean(text);
        if !t.is_empty() {
            self.add(s, pred, Literal::new_simple_literal(t));
        }
    }

    pub(crate) fn typed(
        &mut self,
        s: &NamedNode,
        pred: NamedNode,
        value: String,
        dt: NamedNodeRef<'_>,
    ) {
        self.add(s, pred, Literal::new_typed_literal(value, dt));
    }

    pub(crate) fn first_time(&mut self, iri: &str) -> bool {
        self.described.insert(iri.to_string())
    }

    pub(crate) fn catalog_iri(&self) -> String {
        format!("{}/catalog", self.ctx.base)
    }

    pub(crate) fn service_iri(&self) -> String {
        format!("{}/api/v1#records-sql", self.ctx.base)
    }

    /// The portal operator, publisher of the catalog and of the query service.
    pub(crate) fn portal_publisher(&mut self) -> NamedNode {
        let iri = format!("{}/#publisher", self.ctx.base);
        let n = NamedNode::new_unchecked(iri.clone());
        if self.first_time(&iri) {
            self.a(&n, FOAF, "Agent");
            self.a(&n, FOAF, "Organization");
            self.text(&n, p(FOAF, "name"), self.ctx.publisher_name);
            self.iri(
                &n,
                p(DCT, "type"),
                "http://purl.org/adms/publishertype/LocalAuthority",
            );
            let home = format!("{}/", self.ctx.base);
            self.iri(&n, p(FOAF, "homepage"), &home);
        }
        n
    }

    pub(crate) fn organization(&mut self, slug: &str, fallback_name: &str) -> NamedNode {
        let iri = format!("{}/organization/{slug}", self.ctx.base);
        let n = NamedNode::new_unchecked(iri.clone());
        if self.first_time(&iri) {
            self.a(&n, FOAF, "Agent");
            self.a(&n, FOAF, "Organization");
            let org = self.ctx.orgs.get(slug);
            let name = org.map(|o| o.name.as_str()).unwrap_or(fallback_name);
            self.text(&n, p(FOAF, "name"), name);
            let adms = org
                .and_then(|o| vocab::org_type(&o.org_type))
                .map(|t| t.adms)
                .unwrap_or("PublicBody");
            self.iri(
                &n,
                p(DCT, "type"),
                &format!("http://purl.org/adms/publishertype/{adms}"),
            );
            if let Some(site) = org.and_then(|o| o.website.as_deref()) {
                self.iri(&n, p(FOAF, "homepage"), site);
            }
            if let Some(mail) = org.and_then(|o| o.email.as_deref()) {
                self.iri(&n, p(FOAF, "mbox"), &format!("mailto:{mail}"));
            }
        }
        n
    }

    pub(crate) fn concept(&mut self, iri: &str, ns: &str, class: &str) -> Option<NamedNode> {
        let n = node(iri)?;
        if self.first_time(iri) {
            self.a(&n, ns, class);
        }
        Some(n)
    }

    pub(crate) fn license(&mut self, id: &str) -> Option<NamedNode> {
        let l = vocab::license(id)?;
        self.concept(&l.uri(), DCT, "LicenseDocument")
    }

    pub(crate) fn service(&mut self, serves: &[NamedNode]) -> NamedNode {
        let iri = self.service_iri();
        let n = NamedNode::new_unchecked(iri.clone());
        if self.first_time(&iri) {
            self.a(&n, DCAT, "DataService");
            self.text(
                &n,
                p(DCT, "title"),
                "Daten-API: Records und SQL über alle Tabellen des Portals",
            );
            self.text(
                &n,
                p(DCT, "description"),
                "Seitenweises Lesen, Filtern, Aggregieren und Exportieren jeder Tabelle (Records-API) sowie schreibgeschützte SQL-Abfragen über alle öffentlichen Tabellen, mit OpenAPI-Beschreibung.",
            );
            let endpoint = format!("{}/api/v1/", self.ctx.base);
            self.iri(&n, p(DCAT, "endpointURL"), &endpoint);
            let description = format!("{}/api/v1/openapi.json", self.ctx.base);
            self.iri(&n, p(DCAT, "endpointDescription"), &description);
            let docs = format!("{}/api", self.ctx.base);
            if let Some(page) = self.iri(&n, p(FOAF, "page"), &docs) {
                self.a(&page, FOAF, "Document");
            }
            let publisher = self.portal_publisher();
            self.add(&n, p(DCT, "publisher"), publisher);
            if let Some(l) = self.license("dl-zero-de/2.0") {
                self.add(&n, p(DCT, "license"), l);
            }
        }
        for ds in serves {
            self.add(&n, p(DCAT, "servesDataset"), ds.clone());
        }
        n
    }

    pub(crate) fn dataset(&mut self, ds: &Dataset) -> NamedNode {
        let base = self.ctx.base;
        let iri = dataset_iri(base, ds);
        let n = NamedNode::new_unchecked(iri.clone());
        self.a(&n, DCAT, "Dataset");
        self.text(&n, p(DCT, "title"), &ds.title);
        let description = if ds.description.trim().is_empty() {
            ds.title.as_str()
        } else {
            ds.description.as_str()
        };
        self.text(&n, p(DCT, "description"), description);
        self.plain(&n, p(DCT, "identifier"), &iri);
        let publisher = self.organization(&ds.organization, &ds.organization_name);
        self.add(&n, p(DCT, "publisher"), publisher);
        for k in &ds.keywords {
            self.text(&n, p(DCAT, "keyword"), k);
        }
        for t in &ds.themes {
            if vocab::theme(t).is_some()
                && let Some(c) = self.concept(
                    &format!("{EU}data-theme/{t}"),
                    "http://www.w3.org/2004/02/skos/core#",
                    "Concept",
                )
            {
                self.add(&n, p(DCAT, "theme"), c);
            }
        }
        match ds.issued {
            Some(d) => self.typed(&n, p(DCT, "issued"), d.to_string(), xsd::DATE),
            None => self.typed(
                &n,
                p(DCT, "issued"),
                datetime(&ds.created_at),
                xsd::DATE_TIME,
            ),
        }
        match ds.modified {
            Some(d) => self.typed(&n, p(DCT, "modified"), d.to_string(), xsd::DATE),
            None => self.typed(
                &n,
                p(DCT, "modified"),
                datetime(&ds.updated_at),
                xsd::DATE_TIME,
            ),
        }
        let landing = format!("{base}/dataset/{}", ds.slug);
        if let Some(page) = self.iri(&n, p(DCAT, "landingPage"), &landing) {
            self.a(&page, FOAF, "Document");
        }
        if let Some(l) = &ds.landing_page
            && let Some(page) = self.iri(&n, p(FOAF, "page"), l)
        {
            self.a(&page, FOAF, "Document");
        }
        self.contact(&n, &iri, ds);
        self.coverage(&n, &iri, ds);
        if let Some(f) = ds
            .frequency
            .as_deref()
            .filter(|f| vocab::frequency(f).is_some())
            && let Some(c) = self.concept(&format!("{EU}frequency/{f}"), DCT, "Frequency")
        {
            self.add(&n, p(DCT, "accrualPeriodicity"), c);
        }
        let languages: Vec<&str> = if ds.languages.is_empty() {
            vec!["DEU"]
        } else {
            ds.languages.iter().map(String::as_str).collect()
        };
        for l in languages {
            if let Some(c) = self.concept(&format!("{EU}language/{l}"), DCT, "LinguisticSystem") {
                self.add(&n, p(DCT, "language"), c);
            }
        }
        if let Some(c) = self.concept(&format!("{EU}access-right/PUBLIC"), DCT, "RightsStatement") {
            self.add(&n, p(DCT, "accessRights"), c);
        }
        self.iri(
            &n,
            p(DCATAP, "availability"),
            &format!("{EU}planned-availability/AVAILABLE"),
        );
        if let Some(v) = &ds.version {
            self.plain(&n, p(OWL, "versionInfo"), v);
        }
        if let Some(id) = self.ctx.contributor_id {
            self.iri(
                &n,
                p(DCATDE, "contributorID"),
                &format!("http://dcat-ap.de/def/contributors/{id}"),
            );
        }
        for r in ds.resources.iter().flatten() {
            let d = self.distribution(ds, r);
            self.add(&n, p(DCAT, "distribution"), d);
            if r.table_version.is_some() {
                for d in self.table_distributions(ds, r) {
                    self.add(&n, p(DCAT, "distribution"), d);
                }
            }
        }
        n
    }

    pub(crate) fn contact(&mut self, n: &NamedNode, iri: &str, ds: &Dataset) {
        let c = NamedNode::new_unchecked(format!("{iri}#contact"));
        let org = self.ctx.orgs.get(&ds.organization);
        let name = ds
            .contact
            .name
            .clone()
            .or_else(|| ds.maintainer.name.clone())
            .unwrap_or_else(|| ds.organization_name.clone());
        let email = ds
            .contact
            .email
            .clone()
            .or_else(|| ds.maintainer.email.clone())
            .or_else(|| org.and_then(|o| o.email.clone()));
        self.add(n, p(DCAT, "contactPoint"), c.clone());
        self.a(&c, VCARD, "Kind");
        self.a(&c, VCARD, "Organization");
        self.plain(&c, p(VCARD, "fn"), &name);
        let reachable = email
            .and_then(|e| self.iri(&c, p(VCARD, "hasEmail"), &format!("mailto:{e}")))
            .is_some();
        if !reachable {
            // A contact point needs a way to reach someone (GovData K01): the publisher's
            // website, else its page in the portal.
            let url = org
                .and_then(|o| o.website.clone())
                .unwrap_or_else(|| format!("{}/organization/{}", self.ctx.base, ds.organization));
            self.iri(&c, p(VCARD, "hasURL"), &url);
        }
    }

    pub(crate) fn coverage(&mut self, n: &NamedNode, iri: &str, ds: &Dataset) {
        // A municipality's data covers the municipality unless the dataset says otherwise.
        let org = self.ctx.orgs.get(&ds.organization);
        let ags = ds.spatial.ags.clone().or_else(|| {
            org.filter(|o| o.org_type == "municipality")
                .and_then(|o| o.ags.clone())
        });
        if let Some(ags) = ags.filter(|a| a.len() == 8 && a.bytes().all(|b| b.is_ascii_digit())) {
            let place = format!("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{ags}");
            if let Some(loc) = self.concept(&place, DCT, "Location") {
                self.add(n, p(DCT, "spatial"), loc.clone());
                self.add(n, p(DCATDE, "politicalGeocodingURI"), loc);
            }
            self.iri(
                n,
                p(DCATDE, "politicalGeocodingLevelURI"),
                "http://dcat-ap.de/def/politicalGeocoding/Level/municipality",
            );
        }
        let bbox = ds
            .spatial
            .bbox
            .or_else(|| self.ctx.extents.datasets.get(&ds.slug).copied());
        if let Some([w, s, e, nn]) = bbox {
            let loc = NamedNode::new_unchecked(format!("{iri}#spatial"));
            self.add(n, p(DCT, "spatial"), loc.clone());
            self.a(&loc, DCT, "Location");
            if let Some(name) = &ds.spatial.name {
                self.text(
                    &loc,
                    NamedNode::new_unchecked("http://www.w3.org/2004/02/skos/core#prefLabel"),
                    name,
                );
            }
            let wkt = format!("POLYGON(({w} {s}, {e} {s}, {e} {nn}, {w} {nn}, {w} {s}))");
            let wkt_type = NamedNode::new_unchecked(format!("{GSP}wktLiteral"));
            self.typed(&loc, p(DCAT, "bbox"), wkt, wkt_type.as_ref());
        }
        if ds.temporal.start.is_some() || ds.temporal.end.is_some() {
            let t = NamedNode::new_unchecked(format!("{iri}#temporal"));
            self.add(n, p(DCT, "temporal"), t.clone());
            self.a(&t, DCT, "PeriodOfTime");
            if let Some(s) = ds.temporal.start {
                self.typed(&t, p(DCAT, "startDate"), s.to_string(), xsd::DATE);
            }
            if let Some(e) = ds.temporal.end {
                self.typed(&t, p(DCAT, "endDate"), e.to_string(), xsd::DATE);
            }
        }
    }

    pub(crate) fn common_distribution(
        &mut self,
        d: &NamedNode,
        ds: &Dataset,
        license: &str,
        format: Option<&str>,
        media_type: Option<&str>,
    ) {
        self.a(d, DCAT, "Distribution");
        if let Some(l) = self.license(license) {
            self.add(d, p(DCT, "license"), l);
            if vocab::license(license).is_some_and(|l| l.attribution_required) {
                let by = self
                    .ctx
                    .orgs
                    .get(&ds.organization)
                    .map(|o| o.name.clone())
                    .unwrap_or_else(|| ds.organization_name.clone());
                self.plain(d, p(DCATDE, "licenseAttributionByText"), &by);
            }
        }
        if let Some(f) = format.filter(|f| vocab::file_type(f).is_some())
            && let Some(c) = self.concept(&format!("{EU}file-type/{f}"), DCT, "MediaTypeOrExtent")
        {
            self.add(d, p(DCT, "format"), c);
        }
        if let Some(mt) = media_type.map(|m| m.split(';').next().unwrap_or(m).trim())
            && mt.split('/').count() == 2
            && let Some(c) = self.concept(&format!("{IANA}{mt}"), DCT, "MediaType")
        {
            self.add(d, p(DCAT, "mediaType"), c);
        }
        self.iri(
            d,
            p(DCATAP, "availability"),
            &format!("{EU}planned-availability/AVAILABLE"),
        );
        self.iri(
            d,
            p(ADMS, "status"),
            &format!("{EU}distribution-status/COMPLETED"),
        );
    }

    pub(crate) fn distribution(&mut self, ds: &Dataset, r: &Resource) -> NamedNode {
        let iri = format!("{}/resource/{}", dataset_iri(self.ctx.base, ds), r.id);
        let d = NamedNode::new_unchecked(iri.clone());
        let license = r.license.clone().unwrap_or_else(|| ds.license.clone());
        self.common_distribution(
            &d,
            ds,
            &license,
            r.format.as_deref(),
            r.media_type.as_deref(),
        );
        self.text(&d, p(DCT, "title"), &r.title);
        self.text(&d, p(DCT, "description"), &r.description);
        // A file still in its privacy check is not served yet.
        let download = if r.withheld {
            String::new()
        } else {
            absolute(self.ctx.base, &r.download_url)
        };
        if self.iri(&d, p(DCAT, "accessURL"), &download).is_none() {
            // Every distribution needs an access URL: the resource page is one.
            let page = format!("{}/dataset/{}/resource/{}", self.ctx.base, ds.slug, r.id);
            self.iri(&d, p(DCAT, "accessURL"), &page);
        } else if r.sha256.is_some() {
            self.iri(&d, p(DCAT, "downloadURL"), &download);
        }
        if let Some(size) = r.byte_size.filter(|s| *s >= 0) {
            self.typed(
                &d,
                p(DCAT, "byteSize"),
                size.to_string(),
                xsd::NON_NEGATIVE_INTEGER,
            );
        }
        if let Some(sha) = &r.sha256 {
            let c = NamedNode::new_unchecked(format!("{iri}#checksum"));
            self.add(&d, p(SPDX, "checksum"), c.clone());
            self.a(&c, SPDX, "Checksum");
            self.iri(
                &c,
                p(SPDX, "algorithm"),
                &format!("{SPDX}checksumAlgorithm_sha256"),
            );
            self.typed(&c, p(SPDX, "checksumValue"), sha.clone(), xsd::HEX_BINARY);
        }
        self.typed(
            &d,
            p(DCT, "issued"),
            datetime(&r.created_at),
            xsd::DATE_TIME,
        );
        self.typed(
            &d,
            p(DCT, "modified"),
            datetime(&r.updated_at),
            xsd::DATE_TIME,
        );
        d
    }

    /// The generated exports of a table and its records API.
    pub(crate) fn table_distributions(&mut self, ds: &Dataset, r: &Resource) -> Vec<NamedNode> {
        let base = self.ctx.base;
        let license = r.license.clone().unwrap_or_else(|| ds.license.clone());
        let mut out = Vec::new();
        for f in [
            ExportFormat::Csv,
            ExportFormat::Json,
            ExportFormat::Xlsx,
            ExportFormat::Parquet,
        ] {
            let url = format!("{base}/api/v1/resources/{}/export/{}", r.id, f.id());
            let d = NamedNode::new_unchecked(url.clone());
            self.common_distribution(
                &d,
                ds,
                &license,
                Some(f.eu_file_type()),
                Some(f.media_type()),
            );
            self.text(
                &d,
                p(DCT, "title"),
                &format!(
                    "{} ({}, aus der Tabelle erzeugt)",
                    r.title,
                    f.eu_file_type()
                ),
            );
            self.iri(&d, p(DCAT, "accessURL"), &url);
            self.iri(&d, p(DCAT, "downloadURL"), &url);
            self.typed(
                &d,
                p(DCT, "modified"),
                datetime(&r.updated_at),
                xsd::DATE_TIME,
            );
            out.push(d);
        }
        let url = format!("{base}/api/v1/resources/{}/records", r.id);
        let d = NamedNode::new_unchecked(url.clone());
        self.common_distribution(&d, ds, &license, Some("JSON"), Some("application/json"));
        self.text(
            &d,
            p(DCT, "title"),
            &format!("{} (Records-API: filtern, sortieren, aggregieren)", r.title),
        );
        self.iri(&d, p(DCAT, "accessURL"), &url);
        let service = self.service(&[]);
        self.add(&d, p(DCAT, "accessService"), service);
        out.push(d);
        out
    }
}

pub fn dataset_iri(base: &str, ds: &Dataset) -> String {
    format!("{base}/dataset/{}", ds.id)
}

pub(crate) fn absolute(base: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_string()
    }
}

pub(crate) fn datetime(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Text without characters XML cannot carry (RDF/XML must stay well-formed).
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| {
            let xml_char = (*c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r');
            xml_char && !matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect::<String>()
        .trim()
        .to_string()
}

pub(crate) fn tables_of(ds: &Dataset) -> bool {
    ds.resources
        .iter()
        .flatten()
        .any(|r| r.table_version.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    pub(crate) fn text_loses_what_xml_cannot_carry() {
        assert_eq!(clean(" a\u{1}b\u{FFFF}c\n "), "abc");
    }
}
