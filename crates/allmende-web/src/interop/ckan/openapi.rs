//! The CKAN Action API as an OpenAPI 3.1 document of its own (`/api/3/openapi.json`), so that
//! code generators and consoles see the CKAN layer as they see the native API. Every action
//! the dispatcher knows is a path; read actions take GET (query) and POST (JSON), writes POST
//! only. CKAN's envelope (`help`, `success`, `result` or `error`) wraps every answer.

use serde_json::{Map, Value, json};

/// What kind of action a path is.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Read,
    Write,
}

/// An action: name, summary, parameters (name, schema, required, description) and the schema
/// of its `result`.
struct Action {
    name: &'static str,
    kind: Kind,
    summary: &'static str,
    params: Vec<(&'static str, Value, bool, &'static str)>,
    result: Value,
}

fn string() -> Value {
    json!({"type": "string"})
}

fn nullable_string() -> Value {
    json!({"type": ["string", "null"]})
}

fn int(min: i64, max: Option<i64>) -> Value {
    match max {
        Some(max) => json!({"type": "integer", "minimum": min, "maximum": max}),
        None => json!({"type": "integer", "minimum": min}),
    }
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn schema(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn names_or(name: &str) -> Value {
    json!({"type": "array", "items": {"anyOf": [{"type": "string"}, schema(name)]}})
}

fn id(what: &'static str) -> (&'static str, Value, bool, &'static str) {
    ("id", string(), true, what)
}

fn actions() -> Vec<Action> {
    use Kind::{Read, Write};
    let limit = |max| ("limit", int(0, Some(max)), false, "Höchstzahl der Einträge");
    let offset = ("offset", int(0, None), false, "Einträge überspringen");
    let all_fields = ("all_fields", boolean(), false, "ganze Objekte statt Namen");
    let include_datasets = ("include_datasets", boolean(), false, "mit den Datensätzen");
    vec![
        Action {
            name: "status_show",
            kind: Read,
            summary: "Version und Name des Portals (ckan_version 2.11.0)",
            params: vec![],
            result: schema("Status"),
        },
        Action {
            name: "site_read",
            kind: Read,
            summary: "Ob das Portal gelesen werden darf (immer true)",
            params: vec![],
            result: boolean(),
        },
        Action {
            name: "help_show",
            kind: Read,
            summary: "Hilfetext zu einer Aktion",
            params: vec![("name", string(), false, "Name der Aktion")],
            result: string(),
        },
        Action {
            name: "package_list",
            kind: Read,
            summary: "Namen der öffentlichen Datensätze, sortiert",
            params: vec![limit(100_000), offset.clone()],
            result: json!({"type": "array", "items": {"type": "string"}}),
        },
        Action {
            name: "package_search",
            kind: Read,
            summary: "Datensätze suchen (Solr-Syntax wie CKAN; Ergebnisse mit Ressourcen)",
            params: vec![
                ("q", string(), false, "Suchtext; `feld:wert`, `*:*`"),
                ("fq", string(), false, "Filter, z. B. `organization:stadt-aalen res_format:CSV`"),
                ("rows", int(0, Some(1000)), false, "Treffer je Seite (Standard 10)"),
                ("start", int(0, None), false, "Treffer überspringen"),
                ("sort", string(), false, "z. B. `metadata_modified desc`"),
                ("facet.field", string(), false, "JSON-Liste, z. B. `[\"organization\",\"tags\"]`"),
                ("facet.limit", int(-1, Some(1000)), false, "Werte je Facette"),
                ("facet.mincount", int(0, None), false, "kleinste Anzahl je Wert"),
                ("include_private", boolean(), false, "private Datensätze der eigenen Organisationen"),
                ("include_drafts", boolean(), false, "Entwürfe der eigenen Organisationen"),
            ],
            result: schema("SearchResult"),
        },
        Action {
            name: "package_show",
            kind: Read,
            summary: "Ein Datensatz mit Ressourcen",
            params: vec![id("Id oder Name des Datensatzes")],
            result: schema("Package"),
        },
        Action {
            name: "current_package_list_with_resources",
            kind: Read,
            summary: "Zuletzt geänderte öffentliche Datensätze mit Ressourcen",
            params: vec![limit(1000), offset.clone(), ("page", int(1, None), false, "Seite")],
            result: json!({"type": "array", "items": schema("Package")}),
        },
        Action {
            name: "organization_list",
            kind: Read,
            summary: "Organisationen (Namen oder, mit all_fields, Objekte)",
            params: vec![all_fields.clone(), limit(1000), offset.clone(), ("sort", string(), false, "z. B. `name asc`")],
            result: names_or("Organization"),
        },
        Action {
            name: "organization_show",
            kind: Read,
            summary: "Eine Organisation",
            params: vec![id("Id oder Name der Organisation"), include_datasets.clone()],
            result: schema("Organization"),
        },
        Action {
            name: "group_list",
            kind: Read,
            summary: "Die 13 EU-Themen als Gruppen (envi, tran, …)",
            params: vec![all_fields.clone()],
            result: names_or("Group"),
        },
        Action {
            name: "group_show",
            kind: Read,
            summary: "Ein Thema als Gruppe",
            params: vec![id("Name der Gruppe, z. B. `envi`"), include_datasets],
            result: schema("Group"),
        },
        Action {
            name: "tag_list",
            kind: Read,
            summary: "Schlagwörter der öffentlichen Datensätze",
            params: vec![("query", string(), false, "Anfang des Schlagworts"), all_fields],
            result: json!({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}}),
        },
        Action {
            name: "resource_show",
            kind: Read,
            summary: "Eine Ressource",
            params: vec![id("Id der Ressource")],
            result: schema("Resource"),
        },
        Action {
            name: "license_list",
            kind: Read,
            summary: "Die Lizenzen nach DCAT-AP.de",
            params: vec![],
            result: json!({"type": "array", "items": schema("License")}),
        },
        Action {
            name: "datastore_search",
            kind: Read,
            summary: "Zeilen einer Tabelle (DataStore)",
            params: vec![
                ("resource_id", string(), true, "Id der Ressource"),
                ("filters", string(), false, "JSON-Objekt `{Spalte: Wert oder [Werte]}`"),
                ("q", string(), false, "Text in allen Textspalten"),
                ("fields", string(), false, "Spalten, mit Komma getrennt"),
                ("sort", string(), false, "z. B. `Jahr desc`"),
                ("limit", int(0, Some(32_000)), false, "Zeilen (Standard 100)"),
                offset,
                ("include_total", boolean(), false, "mit Gesamtzahl"),
                ("distinct", boolean(), false, "nur verschiedene Zeilen"),
                ("records_format", json!({"type": "string", "enum": ["objects", "lists", "csv", "tsv"]}), false, "Form der Zeilen"),
            ],
            result: schema("DatastoreResult"),
        },
        Action {
            name: "datastore_search_sql",
            kind: Read,
            summary: "Ein lesendes SELECT in der Sandbox der SQL-API",
            params: vec![("sql", string(), true, "SELECT … FROM \"<resource_id>\"")],
            result: schema("DatastoreResult"),
        },
        write("package_create", "Datensatz anlegen", schema("Package")),
        write("package_update", "Datensatz ersetzen (Name und Organisation bleiben, wenn nicht angegeben)", schema("Package")),
        write("package_patch", "Datensatz ändern (nur Angegebenes)", schema("Package")),
        write("package_delete", "Datensatz löschen (wiederherstellbar)", json!({"type": "null"})),
        write("resource_create", "Ressource anlegen: `url` oder Datei in `upload` (multipart)", schema("Resource")),
        write("resource_update", "Ressource ersetzen; neue Datei in `upload`", schema("Resource")),
        write("resource_patch", "Ressource ändern", schema("Resource")),
        write("resource_delete", "Ressource löschen", json!({"type": "null"})),
        write("organization_create", "Organisation anlegen (Sysadmins)", schema("Organization")),
        write("organization_update", "Organisation ersetzen (ihre Admins)", schema("Organization")),
        write("organization_patch", "Organisation ändern (ihre Admins)", schema("Organization")),
    ]
    .into_iter()
    .map(|mut a| {
        if a.kind == Write {
            a.params.clear();
        }
        a
    })
    .collect()
}

fn write(name: &'static str, summary: &'static str, result: Value) -> Action {
    Action {
        name,
        kind: Kind::Write,
        summary,
        params: Vec::new(),
        result,
    }
}

fn envelope(result: Value) -> Value {
    json!({
        "type": "object",
        "required": ["help", "success", "result"],
        "properties": {
            "help": {"type": "string"},
            "success": {"const": true},
            "result": result,
        },
    })
}

fn responses(action: &Action) -> Value {
    let failure = |description: &str| json!({"description": description, "content": {"application/json": {"schema": schema("Failure")}}});
    let mut r = json!({
        "200": {"description": "Erfolg", "content": {"application/json": {"schema": envelope(action.result.clone())}}},
        "400": {"description": "Unbekannte Aktion, kaputtes JSON oder falsche Suchparameter (`Search Query Error`); wie CKAN teils nur ein JSON-String",
            "content": {"application/json": {"schema": {"anyOf": [{"type": "string"}, schema("Failure")]}}}},
        "403": failure("Nicht erlaubt (`Authorization Error`)"),
        "404": failure("Nicht gefunden oder nicht sichtbar (`Not Found Error`)"),
        "409": failure("Ungültige oder fehlende Parameter (`Validation Error`)"),
        "default": {"description": "Andere Fehler (Last, Zeitlimit, Anfragelimit) als Problem-Details (RFC 9457) oder im CKAN-Umschlag",
            "content": {"application/json": {"schema": {}}, "application/problem+json": {"schema": {}}}},
    });
    if action.kind == Kind::Read {
        // Answers to read actions can be large (a page of datasets, a table's rows); a client
        // over its limits hears so.
        r["429"] = json!({"description": "Zu viele Anfragen", "content": {"application/problem+json": {"schema": {}}, "application/json": {"schema": {}}}});
    }
    r
}

fn operation(a: &Action, method: &str) -> Value {
    let mut op = json!({
        "operationId": format!("{}_{method}", a.name),
        "summary": a.summary,
        "tags": [if a.name.starts_with("datastore") { "datastore" } else if a.kind == Kind::Write { "write" } else { "read" }],
        "responses": responses(a),
    });
    if method == "get" {
        op["parameters"] = Value::Array(
            a.params
                .iter()
                .map(|(name, schema, required, description)| {
                    json!({"name": name, "in": "query", "required": required, "description": description, "schema": schema})
                })
                .collect(),
        );
    } else {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (name, schema, req, description) in &a.params {
            let mut s = schema.clone();
            s["description"] = json!(description);
            props.insert((*name).to_string(), s);
            if *req {
                required.push(json!(name));
            }
        }
        let body = if a.kind == Kind::Write {
            // A CKAN dict as docs/ckan-api.md maps it.
            json!({"type": "object"})
        } else {
            json!({"type": "object", "properties": props, "required": required})
        };
        let mut content = json!({"application/json": {"schema": body}});
        if a.name.starts_with("resource_") && a.name != "resource_delete" {
            content["multipart/form-data"] = json!({"schema": {"type": "object", "properties": {
                "package_id": {"type": "string"}, "name": {"type": "string"},
                "upload": {"type": "string", "contentMediaType": "application/octet-stream"}}}});
        }
        op["requestBody"] = json!({"required": a.kind == Kind::Write, "content": content});
    }
    if a.kind == Kind::Write {
        op["security"] = json!([{"ckanToken": []}, {"bearer": []}]);
    }
    op
}

fn components() -> Value {
    let strings = |names: &[&str]| -> Map<String, Value> {
        names
            .iter()
            .map(|n| ((*n).to_string(), nullable_string()))
            .collect()
    };
    let mut package = strings(&[
        "title",
        "notes",
        "owner_org",
        "license_id",
        "license_title",
        "license_url",
        "url",
        "version",
        "author",
        "author_email",
        "maintainer",
        "maintainer_email",
        "state",
        "type",
        "metadata_created",
        "metadata_modified",
    ]);
    package.insert("id".into(), string());
    package.insert("name".into(), string());
    package.insert("private".into(), boolean());
    package.insert("num_resources".into(), int(0, None));
    package.insert("num_tags".into(), int(0, None));
    package.insert(
        "resources".into(),
        json!({"type": "array", "items": schema("Resource")}),
    );
    package.insert("tags".into(), json!({"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}}));
    package.insert(
        "groups".into(),
        json!({"type": "array", "items": {"type": "object"}}),
    );
    package.insert("extras".into(), json!({"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}}}}));
    package.insert(
        "organization".into(),
        json!({"anyOf": [schema("Organization"), {"type": "null"}]}),
    );
    let mut resource = strings(&[
        "name",
        "description",
        "format",
        "mimetype",
        "url",
        "package_id",
        "created",
        "last_modified",
        "hash",
        "state",
        "url_type",
    ]);
    resource.insert("id".into(), string());
    resource.insert("size".into(), json!({"type": ["integer", "null"]}));
    resource.insert("datastore_active".into(), boolean());
    let mut organization = strings(&[
        "title",
        "description",
        "image_url",
        "created",
        "state",
        "type",
    ]);
    organization.insert("id".into(), string());
    organization.insert("name".into(), string());
    json!({
        "securitySchemes": {
            "ckanToken": {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Ein API-Schlüssel des Portals, wie CKAN-Clients ihn senden (auch `X-CKAN-API-Key`)"},
            "bearer": {"type": "http", "scheme": "bearer"},
        },
        "schemas": {
            "Package": {"type": "object", "required": ["id", "name"], "properties": package},
            "Resource": {"type": "object", "required": ["id"], "properties": resource},
            "Organization": {"type": "object", "required": ["id", "name"], "properties": organization},
            "Group": {"type": "object", "required": ["name"], "properties": {"id": string(), "name": string(), "title": string()}},
            "License": {"type": "object", "required": ["id"], "properties": {"id": string(), "title": string(), "url": nullable_string()}},
            "Status": {"type": "object", "required": ["ckan_version"], "properties": {
                "ckan_version": string(), "site_title": string(), "site_url": string(),
                "locale_default": string(), "extensions": {"type": "array", "items": string()}}},
            "SearchResult": {"type": "object", "required": ["count", "results"], "properties": {
                "count": int(0, None),
                "results": {"type": "array", "items": schema("Package")},
                "facets": {"type": "object"},
                "search_facets": {"type": "object"},
                "sort": nullable_string()}},
            "DatastoreResult": {"type": "object", "properties": {
                "fields": {"type": "array", "items": {"type": "object", "required": ["id"], "properties": {"id": string(), "type": string()}}},
                "records": {"description": "Objekte, Listen oder (csv/tsv) Text"},
                "total": int(0, None),
                "records_truncated": boolean()}},
            "Failure": {"type": "object", "required": ["success", "error"], "properties": {
                "help": string(),
                "success": {"const": false},
                "error": {"type": "object", "required": ["__type"], "properties": {
                    "__type": string(), "message": string()}}}},
        },
    })
}

/// The document, with the portal's address as its server.
pub fn document(public_url: &str) -> Value {
    let mut paths = Map::new();
    for a in actions() {
        let mut item = Map::new();
        if a.kind == Kind::Read {
            item.insert("get".into(), operation(&a, "get"));
        }
        item.insert("post".into(), operation(&a, "post"));
        paths.insert(format!("/api/3/action/{}", a.name), Value::Object(item));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "CKAN-kompatible Action API",
            "version": "3",
            "description": "Die Aktionen der CKAN Action API, die Allmende versteht (docs/ckan-api.md): \
                ckanapi, ckanext-harvest und CKAN-Skripte funktionieren unverändert. Lesende Aktionen \
                per GET (Query) oder POST (JSON), schreibende nur per POST mit API-Schlüssel. Die \
                native API beschreibt /api/v1/openapi.json.",
        },
        "servers": [{"url": public_url.trim_end_matches('/')}],
        "tags": [
            {"name": "read", "description": "Katalog lesen"},
            {"name": "datastore", "description": "Tabellen lesen"},
            {"name": "write", "description": "Schreiben (API-Schlüssel)"},
        ],
        "paths": paths,
        "components": components(),
    })
}

/// Action names the document describes (checked against the dispatcher in tests).
#[cfg(test)]
pub fn described() -> Vec<&'static str> {
    actions().iter().map(|a| a.name).collect()
}
