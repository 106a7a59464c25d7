//! The OpenAPI 3.0 description of the OGC API (`/ogc/api`, the landing page's `service-desc`).

use serde_json::{Value, json};

/// Features per page unless asked otherwise, and at most (the standard's example values).
pub(super) const DEFAULT_LIMIT: usize = 10;
pub(super) const MAX_LIMIT: usize = 10_000;

pub(super) fn document(base: &str, site_title: &str) -> Value {
    let b = base;
    let geo_ok = |d: &str| {
        json!({
            "200": {"description": d, "content": {"application/geo+json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
            "400": {"description": "Ungültiger Parameter"},
            "404": {"description": "Nicht gefunden"},
        })
    };
    let collection_id = json!({"name": "collectionId", "in": "path", "required": true, "schema": {"type": "string"}});
    // Every resource is also a page; a browser's Accept header asks for it too.
    let f = json!({"name": "f", "in": "query", "description": "json or html (the same resource as a page)",
        "schema": {"type": "string", "enum": ["json", "html"]}});
    let f_features = json!({"name": "f", "in": "query", "description": "json, geojson or html (the same features as a page)",
        "schema": {"type": "string", "enum": ["json", "geojson", "html"]}});
    let json_or_page = |d: &str| {
        json!({"200": {"description": d, "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {"schema": {"type": "string"}}}},
        "400": {"description": "Ungültiger Parameter"}})
    };
    json!({
            "openapi": "3.0.3",
            "info": {"title": format!("{site_title} – OGC API Features"), "version": env!("CARGO_PKG_VERSION")},
            "servers": [{"url": b}],
            "paths": {
                "/": {"get": {"summary": "Landing page", "operationId": "getLandingPage", "parameters": [f], "responses": json_or_page("Links")}},
                "/conformance": {"get": {"summary": "Conformance classes", "operationId": "getConformance", "parameters": [f], "responses": json_or_page("conformsTo")}},
                "/collections": {"get": {"summary": "Collections", "operationId": "getCollections", "parameters": [f], "responses": json_or_page("Collections")}},
                "/collections/{collectionId}": {"get": {"summary": "One collection", "operationId": "describeCollection",
                    "parameters": [collection_id, f], "responses": json_or_page("Collection")}},
                "/collections/{collectionId}/items": {"get": {"summary": "Features", "operationId": "getFeatures",
                    "parameters": [collection_id, f_features,
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
                        {"name": "crs", "in": "query", "schema": {"type": "string", "format": "uri"}},
                        {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "format": "uri"}},
                        {"name": "bbox", "in": "query", "style": "form", "explode": false,
                         "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                        {"name": "datetime", "in": "query", "description": "An instant or interval (`2024-01-01/..`) on the collection's first date column",
                         "schema": {"type": "string"}},
                        {"name": "sortby", "in": "query", "description": "Queryables, `+` ascending, `-` descending, e.g. `-kW,+Name`",
                         "style": "form", "explode": false, "schema": {"type": "array", "items": {"type": "string"}}},
                        {"name": "filter", "in": "query", "description": "A CQL2 filter on the queryables (Part 3), e.g. `CASEI(Name) LIKE '%markt%' AND S_INTERSECTS(geometry, BBOX(10.0, 48.8, 10.2, 48.9))`",
                         "schema": {"type": "string"}},
                        {"name": "filter-lang", "in": "query", "schema": {"type": "string", "enum": ["cql2-text", "cql2-json"], "default": "cql2-text"}},
                        {"name": "filter-crs", "in": "query", "description": "The CRS of the filter's geometries (CRS84 unless given)",
                         "schema": {"type": "string", "format": "uri"}}],
                    "responses": geo_ok("FeatureCollection")}},
                "/collections/{collectionId}/queryables": {"get": {"summary": "Queryables (JSON Schema); each is also a query parameter of items (equality)",
                    "operationId": "getQueryables", "parameters": [collection_id],
                    "responses": {"200": {"description": "JSON Schema", "content": {"application/schema+json": {"schema": {"type": "object"}}}},
                                  "404": {"description": "Nicht gefunden"}}}},
                "/collections/{collectionId}/items/{featureId}": {"get": {"summary": "One feature", "operationId": "getFeature",
                    "parameters": [collection_id, f_features, {"name": "featureId", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": geo_ok("Feature")}},
            },
    })
}
