//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' annotations.

use allmende_core::{Dataset, Page};
use utoipa::OpenApi;

use super::{
    audit, datasets, history, orgs, publication, quality, resources, search, tables, vocab,
};
use crate::error::Problem;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Allmende API",
        description = "Offene Daten der Städte Aalen und Heidenheim an der Brenz. Lists answer `{total, page, per_page, items}`; errors are RFC 9457 problem documents. Write requests need `Authorization: Bearer <token>` (create one with `allmende user token create NAME`).",
        license(name = "EUPL-1.2")
    ),
    paths(
        search::list, datasets::create, datasets::show, datasets::replace, datasets::patch,
        datasets::delete, datasets::restore, datasets::changes, audit::audit, quality::quality,
        history::history, history::restore, publication::show, publication::plan,
        publication::cancel,
        resources::list_of_dataset, resources::create, resources::show, resources::patch,
        resources::delete, resources::download,
        orgs::list, orgs::create, orgs::show, orgs::patch, orgs::logo, orgs::put_logo,
        orgs::members, orgs::put_member, orgs::delete_member, orgs::me,
        vocab::licenses, vocab::themes, vocab::formats, vocab::frequencies, vocab::organization_types,
        tables::show, tables::privacy, tables::acknowledge, tables::records, tables::map_view, tables::overview, tables::export_table, tables::version_source, tables::ingest,
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
    unique_operation_ids(&mut doc);
    doc
}

/// Handlers in different modules share names (`show`, `create`, …), which utoipa takes as the
/// operation ids; OpenAPI wants them unique (code generators name methods after them). A shared
/// one becomes method and path in camel case: `getDatasetsIdPublication`.
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let each =
        |doc: &mut utoipa::openapi::OpenApi,
         f: &mut dyn FnMut(&str, &str, &mut utoipa::openapi::path::Operation)| {
            for (path, item) in doc.paths.paths.iter_mut() {
                for (method, op) in [
                    ("get", &mut item.get),
                    ("put", &mut item.put),
                    ("post", &mut item.post),
                    ("delete", &mut item.delete),
                    ("patch", &mut item.patch),
                    ("head", &mut item.head),
                ] {
                    if let Some(op) = op {
                        f(path, method, op);
                    }
                }
            }
        };
    each(doc, &mut |_, _, op| {
        if let Some(id) = &op.operation_id {
            *seen.entry(id.clone()).or_default() += 1;
        }
    });
    each(doc, &mut |path, method, op| {
        if op.operation_id.as_ref().is_some_and(|id| seen[id] > 1) {
            let mut id = method.to_string();
            for part in path
                .split(['/', '{', '}', '-', '_'])
                .filter(|p| !p.is_empty())
            {
                let mut c = part.chars();
                if let Some(first) = c.next() {
                    id.push(first.to_ascii_uppercase());
                    id.extend(c);
                }
            }
            op.operation_id = Some(id);
        }
    });
}

pub(super) async fn openapi_json(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json((*state.openapi).clone())
}
