//! JSON API v1 (`/api/v1`). Handlers are thin: parse, ask `authz::decide`, call the catalog,
//! answer with domain types or a problem document.

mod audit;
pub(crate) mod datasets;
mod download;
mod history;
pub(crate) mod orgs;
mod publication;
pub mod quality;
pub(crate) mod resources;
pub mod search;
mod showcases;
pub mod tables;
mod vocab;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};

use crate::error::ApiError;

mod extract;
mod openapi;

pub use download::serve_blob;
pub use extract::{ApiQuery, JsonBody, apply_patch, json_rejection, merge_patch, paging};
pub use openapi::{ApiDoc, openapi};

pub fn router() -> crate::routes::Routes {
    crate::routes::Routes::new()
        .route("/datasets", get(search::list).post(datasets::create))
        .route(
            "/datasets/{id}",
            get(datasets::show)
                .put(datasets::replace)
                .patch(datasets::patch)
                .delete(datasets::delete),
        )
        .route("/datasets/{id}/restore", post(datasets::restore))
        .route("/datasets/{id}/quality", get(quality::quality))
        .route("/datasets/{id}/history", get(history::history))
        .route(
            "/datasets/{id}/publication",
            get(publication::show)
                .put(publication::plan)
                .delete(publication::cancel),
        )
        .route(
            "/datasets/{id}/history/{revision}/restore",
            post(history::restore),
        )
        .route(
            "/datasets/{id}/resources",
            get(resources::list_of_dataset)
                .post(resources::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/resources/{id}",
            get(resources::show)
                .patch(resources::patch)
                .delete(resources::delete),
        )
        .route("/resources/{id}/download", get(resources::download))
        .route("/resources/{id}/table", get(tables::show))
        .route("/resources/{id}/privacy", get(tables::privacy))
        .route(
            "/resources/{id}/privacy/acknowledgements",
            post(tables::acknowledge),
        )
        .route("/resources/{id}/records", get(tables::records))
        .route("/resources/{id}/map", get(tables::map_view))
        .route("/resources/{id}/overview.png", get(tables::overview))
        .route("/resources/{id}/export/{format}", get(tables::export_table))
        .route(
            "/resources/{id}/versions/{version}/source",
            get(tables::version_source),
        )
        .route("/resources/{id}/ingest", post(tables::ingest))
        .route(
            "/resources/{id}/file",
            put(tables::replace_file).layer(DefaultBodyLimit::disable()),
        )
        .route("/sql", get(tables::sql_get).post(tables::sql_post))
        .route("/jobs/{id}", get(tables::job))
        .route("/organizations", get(orgs::list).post(orgs::create))
        .route("/organizations/{slug}", get(orgs::show).patch(orgs::patch))
        .route(
            "/organizations/{slug}/logo",
            get(orgs::logo)
                .put(orgs::put_logo)
                .layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .route("/organizations/{slug}/members", get(orgs::members))
        .route(
            "/organizations/{slug}/members/{user}",
            put(orgs::put_member).delete(orgs::delete_member),
        )
        .route("/showcases", get(showcases::list))
        .route("/showcases/{id}/image", get(showcases::image))
        .route("/licenses", get(vocab::licenses))
        .route("/themes", get(vocab::themes))
        .route("/formats", get(vocab::formats))
        .route("/frequencies", get(vocab::frequencies))
        .route("/organization-types", get(vocab::organization_types))
        .route("/me", get(orgs::me))
        .route("/changes", get(datasets::changes))
        .route("/audit", get(audit::audit))
        .route("/openapi.json", get(openapi::openapi_json))
        .fallback(|| async { ApiError::NotFound })
}
