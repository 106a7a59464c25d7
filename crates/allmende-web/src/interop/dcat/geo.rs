//! Geodata in the catalog: every public spatial table of a dataset is offered as GIS files
//! (GeoJSON, GeoPackage, KML, generated from the table) and as a collection of the OGC API –
//! Features, whose endpoint is a `dcat:DataService` of its own, as GDI-DE and GovData expect
//! geodata services to be described.

use allmende_core::Dataset;
use allmende_table::export::ExportFormat;
use oxrdf::NamedNode;
use oxrdf::vocab::xsd;

use super::graph::{Graph, datetime, p};
use super::ns::*;

const OGC_FEATURES_CORE: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core";

/// Adds the geodata distributions of `ds` (node `n`) and returns the OGC API service when the
/// dataset has spatial tables.
pub(crate) fn distributions(g: &mut Graph<'_>, n: &NamedNode, ds: &Dataset) -> Option<NamedNode> {
    let base = g.ctx.base;
    let mut service = None;
    for r in ds.resources.iter().flatten() {
        let id = r.id.to_string();
        if r.table_version.is_none() || !g.ctx.extents.resources.contains_key(&id) {
            continue;
        }
        let license = r.license.clone().unwrap_or_else(|| ds.license.clone());
        for f in [
            ExportFormat::GeoJson,
            ExportFormat::GeoPackage,
            ExportFormat::Kml,
        ] {
            let url = format!("{base}/api/v1/resources/{id}/export/{}", f.id());
            let d = NamedNode::new_unchecked(url.clone());
            g.common_distribution(
                &d,
                ds,
                &license,
                Some(f.eu_file_type()),
                Some(f.media_type()),
            );
            g.text(
                &d,
                p(DCT, "title"),
                &format!(
                    "{} ({}, WGS 84, aus der Tabelle erzeugt)",
                    r.title,
                    f.eu_file_type()
                ),
            );
            g.iri(&d, p(DCAT, "accessURL"), &url);
            g.iri(&d, p(DCAT, "downloadURL"), &url);
            g.typed(
                &d,
                p(DCT, "modified"),
                datetime(&r.updated_at),
                xsd::DATE_TIME,
            );
            g.add(n, p(DCAT, "distribution"), d);
        }
        let url = format!("{base}/ogc/collections/{id}");
        let d = NamedNode::new_unchecked(url.clone());
        g.common_distribution(
            &d,
            ds,
            &license,
            Some("GEOJSON"),
            Some("application/geo+json"),
        );
        g.text(
            &d,
            p(DCT, "title"),
            &format!("{} (OGC API – Features)", r.title),
        );
        g.iri(&d, p(DCAT, "accessURL"), &url);
        let s = ogc_service(g, n);
        g.add(&d, p(DCAT, "accessService"), s.clone());
        g.add(n, p(DCAT, "distribution"), d);
        service = Some(s);
    }
    service
}

/// The portal's OGC API – Features endpoint, serving `ds`.
fn ogc_service(g: &mut Graph<'_>, ds: &NamedNode) -> NamedNode {
    let base = g.ctx.base;
    let iri = format!("{base}/ogc");
    let n = NamedNode::new_unchecked(iri.clone());
    if g.first_time(&format!("{iri}#service")) {
        g.a(&n, DCAT, "DataService");
        g.text(
            &n,
            p(DCT, "title"),
            "OGC API – Features: Geodaten des Portals",
        );
        g.text(
            &n,
            p(DCT, "description"),
            "Jede öffentliche Tabelle mit Geometrie als Sammlung von Features (GeoJSON), mit bbox-Filter, Blättern und Koordinatensystemen nach OGC API – Features Teil 1 und 2; lesbar mit QGIS, GDAL und ArcGIS.",
        );
        g.iri(&n, p(DCAT, "endpointURL"), &format!("{base}/ogc"));
        g.iri(
            &n,
            p(DCAT, "endpointDescription"),
            &format!("{base}/ogc/api"),
        );
        if let Some(std) = g.iri(&n, p(DCT, "conformsTo"), OGC_FEATURES_CORE) {
            g.a(&std, DCT, "Standard");
        }
        let publisher = g.portal_publisher();
        g.add(&n, p(DCT, "publisher"), publisher);
        if let Some(l) = g.license("dl-zero-de/2.0") {
            g.add(&n, p(DCT, "license"), l);
        }
    }
    g.add(&n, p(DCAT, "servesDataset"), ds.clone());
    n
}
