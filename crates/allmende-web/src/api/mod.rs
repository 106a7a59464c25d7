//! JSON API v1 (`/api/v1`). Handlers are thin: parse, ask `authz::decide`, call the catalog,
//! answer with domain types or a problem document.

pub(crate) mod datasets;
mod download;
pub(crate) mod orgs;
pub(crate) mod resources;
pub mod search;
pub mod tables;
pub(crate) mod upload;
mod vocab;

use allmende_core::authz::{Action, Actor, Decision, decide};
use allmende_core::{Dataset, Page};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

pub use datasets::prepare as prepare_dataset;
pub use download::serve_blob;
pub use resources::create_from_form;
pub use resources::visible_resource;
pub use upload::{MultipartForm, is_multipart as upload_is_multipart, read_multipart};

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
        .route("/resources/{id}/records", get(tables::records))
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
        .route("/licenses", get(vocab::licenses))
        .route("/themes", get(vocab::themes))
        .route("/formats", get(vocab::formats))
        .route("/frequencies", get(vocab::frequencies))
        .route("/organization-types", get(vocab::organization_types))
        .route("/me", get(orgs::me))
        .route("/changes", get(datasets::changes))
        .route("/openapi.json", get(openapi_json))
        .fallback(|| async { ApiError::NotFound })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Allmende API",
        description = "Offene Daten der Städte Aalen und Heidenheim an der Brenz. Lists answer `{total, page, per_page, items}`; errors are RFC 9457 problem documents. Write requests need `Authorization: Bearer <token>` (create one with `allmende user token create NAME`).",
        license(name = "EUPL-1.2")
    ),
    paths(
        search::list, datasets::create, datasets::show, datasets::replace, datasets::patch,
        datasets::delete, datasets::restore, datasets::changes,
        resources::list_of_dataset, resources::create, resources::show, resources::patch,
        resources::delete, resources::download,
        orgs::list, orgs::create, orgs::show, orgs::patch, orgs::logo, orgs::put_logo,
        orgs::members, orgs::put_member, orgs::delete_member, orgs::me,
        vocab::licenses, vocab::themes, vocab::formats, vocab::frequencies, vocab::organization_types,
        tables::show, tables::records, tables::export_table, tables::version_source, tables::ingest,
        tables::replace_file, tables::job, tables::sql_get, tables::sql_post,
    ),
    components(schemas(Problem, Page<Dataset>)),
    modifiers(&Security),
    tags(
        (name = "datasets", description = "Datensätze (dcat:Dataset)"),
        (name = "resources", description = "Ressourcen: Dateien und Links (dcat:Distribution)"),
        (name = "organizations", description = "Bereitsteller und ihre Mitglieder"),
        (name = "vocabularies", description = "Kontrollierte Vokabulare (DCAT-AP.de)"),
        (name = "data", description = "Tabellen: Datensätze abfragen (records), SQL, Exporte, Einlese-Aufträge"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn openapi(public_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.servers = Some(vec![utoipa::openapi::Server::new(format!(
        "{}/api/v1",
        public_url.trim_end_matches('/')
    ))]);
    doc
}

async fn openapi_json(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*state.openapi).clone())
}

/// `Json` whose rejections are problem documents: 415 without a JSON content type, 400 for
/// syntax errors, 422 for well-formed JSON of the wrong shape, 413 when too large.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

pub fn json_rejection(rej: JsonRejection) -> ApiError {
    let text = rej.body_text();
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::UnsupportedMediaType("expected Content-Type: application/json".into())
        }
        JsonRejection::JsonDataError(_) => {
            let mut fe = allmende_core::FieldErrors::default();
            fe.add_arg("body", "invalid_body", Some(text));
            ApiError::Validation(fe)
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::PayloadTooLarge(2 * 1024 * 1024)
        }
        _ => ApiError::BadRequest(text),
    }
}

/// `Query` whose rejections are 400 problem documents.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e: QueryRejection| ApiError::BadRequest(e.body_text()))
    }
}

pub const MAX_PER_PAGE: i64 = 100;

/// Validated page and page size.
pub fn paging(page: Option<i64>, per_page: Option<i64>) -> ApiResult<(i64, i64)> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(20);
    if !(1..=1_000_000).contains(&page) {
        return Err(ApiError::BadRequest(
            "page must be between 1 and 1000000".into(),
        ));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::BadRequest(format!(
            "per_page must be between 1 and {MAX_PER_PAGE}"
        )));
    }
    Ok((page, per_page))
}

/// Turns a decision into a result; a refused anonymous caller is asked to authenticate.
pub fn require(actor: &Actor, action: Action) -> ApiResult<()> {
    match decide(actor, action) {
        Decision::Allow => Ok(()),
        Decision::NotFound => Err(ApiError::NotFound),
        Decision::Forbidden if !actor.is_authenticated() => Err(ApiError::Unauthorized),
        Decision::Forbidden => Err(ApiError::Forbidden),
    }
}

/// A dataset the actor may see, or 404.
pub async fn visible_dataset(
    state: &AppState,
    actor: &Actor,
    id_or_slug: &str,
) -> ApiResult<Dataset> {
    let ds = state
        .catalog
        .dataset(id_or_slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    require(actor, read_action(&ds))?;
    Ok(ds)
}

pub fn read_action(ds: &Dataset) -> Action {
    Action::ReadDataset {
        org: ds.organization_id,
        visibility: ds.visibility,
        deleted: ds.deleted,
    }
}

pub fn edit_action(ds: &Dataset) -> Action {
    Action::EditDataset {
        org: ds.organization_id,
        visibility: ds.visibility,
        deleted: ds.deleted,
    }
}

/// RFC 7396 JSON merge patch.
pub fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    match (target, patch) {
        (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Applies a merge patch to an input struct and deserializes the result, reporting a patch of
/// the wrong shape as a validation problem.
pub fn apply_patch<T: serde::Serialize + DeserializeOwned>(
    current: &T,
    patch: &serde_json::Value,
) -> ApiResult<T> {
    if !patch.is_object() {
        return Err(ApiError::BadRequest(
            "a merge patch must be a JSON object".into(),
        ));
    }
    let mut value = serde_json::to_value(current).map_err(|e| ApiError::Internal(e.to_string()))?;
    merge_patch(&mut value, patch);
    serde_json::from_value(value).map_err(|e| {
        let mut fe = allmende_core::FieldErrors::default();
        fe.add_arg("body", "invalid_body", Some(e.to_string()));
        ApiError::Validation(fe)
    })
}
