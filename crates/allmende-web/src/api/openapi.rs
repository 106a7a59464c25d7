//! The OpenAPI 3.1 document of the JSON API, generated from the handlers' annotations.

use allmende_core::{Dataset, Page};
use utoipa::OpenApi;

use super::{
    audit, datasets, history, orgs, publication, quality, resources, search, showcases, tables,
    vocab,
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
        showcases::list,
        showcases::image,
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
    problem_responses(&mut doc);
    doc
}

/// Every error is a problem document (RFC 9457) sent as `application/problem+json`: the
/// declared error responses say so, and every operation gets a `default` response for the
/// errors any request can meet (a bad parameter, an invalid token, too many requests, a busy
/// server), so that no answer of the API is outside its contract.
fn problem_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let problem_ref = "#/components/schemas/Problem";
    let is_problem = |c: &utoipa::openapi::Content| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location == problem_ref);
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
        ]
        .into_iter()
        .flatten()
        {
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(r) = response
                    && let Some(json) = r.content.get("application/json")
                    && is_problem(json)
                    && let Some(c) = r.content.shift_remove("application/json")
                {
                    r.content.insert(PROBLEM.into(), c);
                }
            }
            let problem = |description: &str| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            PROBLEM,
                            ContentBuilder::new()
                                .schema(Some(Ref::new(problem_ref)))
                                .build(),
                        )
                        .build(),
                )
            };
            if op.request_body.is_some() {
                op.responses
                    .responses
                    .entry("408".into())
                    .or_insert_with(|| {
                        problem(
                            "The request body stopped arriving: nothing came for \
                             `upload_idle_secs` (problem; the connection is closed)",
                        )
                    });
            }
            op.responses
                .responses
                .entry("default".into())
                .or_insert_with(|| {
                    problem(
                        "A problem (RFC 9457): a bad parameter (400), a missing or invalid \
                         token (401), not allowed (403), not there (404), too many requests \
                         (429), a query over its limits (422) or a busy server (503, with \
                         Retry-After)",
                    )
                });
        }
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::i18n::{api_operation_text, api_parameter_text};

    /// The German developer page describes every operation and every described parameter of
    /// this document, and the catalog holds no description of something that is gone.
    #[test]
    fn every_operation_is_described_in_german() {
        let doc = serde_json::to_value(super::openapi("http://portal")).unwrap();
        let mut missing = Vec::new();
        let mut used = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    continue;
                }
                used.insert(format!("apidoc.{method} {path}"));
                if api_operation_text("de", method, path).is_none() {
                    missing.push(format!("apidoc.{method} {path}"));
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap();
                    used.insert(format!("apidoc.{method} {path} ?{name}"));
                    used.insert(format!("apidoc.?{name}"));
                    if p["description"].is_string()
                        && api_parameter_text("de", method, path, name).is_none()
                    {
                        missing.push(format!("apidoc.{method} {path} ?{name}"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no German for: {missing:#?}");
        let stale: Vec<_> = allmende_core::i18n::keys_with_prefix("de", "apidoc.")
            .into_iter()
            .filter(|k| !used.contains(*k))
            .collect();
        assert!(stale.is_empty(), "German for what is gone: {stale:#?}");
        // English stays the document's own.
        assert_eq!(api_operation_text("en", "get", "/datasets"), None);
    }

    /// What takes a body can answer 408 (a body that stops arriving), uploads included.
    #[test]
    fn operations_with_a_body_declare_the_idle_limit() {
        let doc = serde_json::to_value(super::openapi("http://portal")).unwrap();
        let mut with_body = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if op.get("requestBody").is_none() {
                    continue;
                }
                with_body += 1;
                assert!(
                    op["responses"]["408"]["content"]["application/problem+json"].is_object(),
                    "{method} {path}"
                );
            }
        }
        assert!(with_body > 5, "{with_body}");
        let upload = &doc["paths"]["/datasets/{id}/resources"]["post"];
        assert!(upload["requestBody"]["content"]["multipart/form-data"].is_object());
        assert!(upload["responses"]["408"].is_object());
    }
}
