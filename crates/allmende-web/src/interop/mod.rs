//! Speaking other systems' standards: DCAT-AP.de for harvesters (GovData, data.europa.eu),
//! a CKAN-compatible Action API, and Frictionless Data Packages.

pub mod ckan;
mod datapackage;
pub mod dcat;
mod ogc;
pub(crate) mod rdf_http;

use axum::routing::get;

pub use rdf_http::dataset_rdf;

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .merge(ckan::router())
        .route("/ogc", get(ogc::landing))
        .route("/ogc/", get(ogc::landing))
        .route("/ogc/conformance", get(ogc::conformance))
        .route("/ogc/api", get(ogc::api))
        .route("/ogc/collections", get(ogc::collections))
        .route("/ogc/collections/{id}", get(ogc::collection))
        .route("/ogc/collections/{id}/items", get(ogc::items))
        .route("/ogc/collections/{id}/queryables", get(ogc::queryables))
        .route("/ogc/collections/{id}/items/{feature}", get(ogc::item))
        .route("/catalog", get(rdf_http::catalog_negotiated))
        .route("/catalog.ttl", get(rdf_http::catalog_ttl))
        .route("/catalog.rdf", get(rdf_http::catalog_rdf))
        .route("/catalog.xml", get(rdf_http::catalog_rdf))
        .route("/catalog.jsonld", get(rdf_http::catalog_jsonld))
        .route(
            "/dataset/{slug}/datapackage.json",
            get(datapackage::datapackage_json),
        )
        .route(
            "/dataset/{slug}/datapackage.zip",
            get(datapackage::datapackage_zip),
        )
}
