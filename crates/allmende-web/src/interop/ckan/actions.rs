//! The CKAN actions other than search and DataStore: reads of packages, resources,
//! organizations, groups (our EU themes), tags and licences, and the writes, which go through
//! the same validation and authorization as the native API.

use allmende_core::authz::{Action, ReadScope, read_scope};
use allmende_core::validate::{DatasetInput, OrganizationInput, ResourceInput};
use allmende_core::{Dataset, FieldErrors, vocab};
use allmende_search::{SearchRequest, Sort, SortKey};
use serde_json::{Value, json};

use super::call::{Answer, CKAN_VERSION, Call, CkanError, CkanResult, not_found_as};
use super::dicts;
use super::search::{organizations, serialized};
use crate::error::ApiError;
use crate::multipart::{MultipartForm, create_from_form};
use crate::state::AppState;
use allmende_app::access::{edit_action, require};

fn public() -> ReadScope {
    ReadScope::PublicAnd(Vec::new())
}

pub fn status_show(state: &AppState) -> CkanResult {
    let s = &state.settings;
    Ok(json!({
        "site_title": s.site_title,
        "site_description": s.catalog_description,
        "site_url": s.public_url.trim_end_matches('/'),
        "ckan_version": CKAN_VERSION,
        "error_emails_to": Value::Null,
        "locale_default": "de",
        "extensions": ["datastore", "dcat", "allmende"],
    }))
}

pub fn license_list() -> Value {
    dicts::license_list()
}

fn limit_offset(call: &Call, default_limit: i64, max: i64) -> CkanResult<(i64, i64)> {
    let limit = call.int("limit")?.unwrap_or(default_limit).min(max);
    let offset = call.int("offset")?.unwrap_or(0);
    Ok((limit, offset))
}

pub async fn package_list(state: &AppState, call: &Call) -> CkanResult {
    let (limit, offset) = limit_offset(call, 1_000_000, 1_000_000)?;
    Ok(json!(
        state
            .catalog
            .dataset_slugs(&public(), limit, offset)
            .await?
    ))
}

pub async fn package_show(state: &AppState, call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let ds = state
        .visible_dataset(&call.actor, &id)
        .await
        .map_err(not_found_as("Datensatz"))?;
    let orgs = organizations(state).await?;
    let extent = state.data_extents().await?.datasets.get(&ds.slug).copied();
    Ok(dicts::package(&call.base, &ds, &orgs, extent))
}

pub async fn current_package_list_with_resources(
    state: &AppState,
    call: &Call,
) -> CkanResult<Answer> {
    let limit = call.int("limit")?.unwrap_or(10).clamp(1, 1000);
    let offset = match call.int("page")? {
        Some(p) if p > 0 => (p - 1) * limit,
        _ => call.int("offset")?.unwrap_or(0),
    };
    let req = SearchRequest {
        sort: Sort::By(SortKey::Modified, true),
        per_page: limit as usize,
        page: 1,
        offset: Some(offset as usize),
        scope: Some(public()),
        facet_size: 0,
        ..Default::default()
    };
    let result = crate::heavy::search(state, &call.client, req).await?;
    let orgs = organizations(state).await?;
    let extents = state.data_extents().await?;
    let list: Vec<dicts::PackageDict<'_>> = result
        .hits
        .iter()
        .map(|h| {
            let extent = extents.datasets.get(&h.dataset.slug).copied();
            dicts::PackageDict::new(&call.base, &h.dataset, &orgs, extent)
        })
        .collect();
    serialized(&list)
}

pub async fn organization_list(state: &AppState, call: &Call) -> CkanResult {
    let all_fields = call.bool("all_fields")?.unwrap_or(false);
    let (limit, offset) = limit_offset(call, 1000, 1000)?;
    let scope = read_scope(&call.actor);
    let mut orgs = state.catalog.organizations(&scope, 1, 10_000).await?.items;
    orgs.sort_by(|a, b| a.slug.cmp(&b.slug));
    if call
        .str("sort")
        .is_some_and(|s| s.to_ascii_lowercase().contains("desc"))
    {
        orgs.reverse();
    }
    let page = orgs.iter().skip(offset as usize).take(limit as usize);
    Ok(Value::Array(if all_fields {
        page.map(|o| dicts::organization(&call.base, o)).collect()
    } else {
        page.map(|o| json!(o.slug)).collect()
    }))
}

pub async fn organization_show(state: &AppState, call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let org = state
        .catalog
        .organization(&id, &read_scope(&call.actor))
        .await?
        .ok_or_else(|| CkanError::not_found("Organisation"))?;
    let mut dict = dicts::organization(&call.base, &org);
    if call.bool("include_datasets")?.unwrap_or(false) {
        let mut filters = std::collections::BTreeMap::new();
        filters.insert("organization".to_string(), vec![org.slug.clone()]);
        let packages = search_packages(state, call, filters, 1000).await?;
        dict["packages"] = Value::Array(packages);
    }
    Ok(dict)
}

async fn search_packages(
    state: &AppState,
    call: &Call,
    filters: std::collections::BTreeMap<String, Vec<String>>,
    rows: usize,
) -> CkanResult<Vec<Value>> {
    let req = SearchRequest {
        filters,
        sort: Sort::By(SortKey::Name, false),
        page: 1,
        per_page: rows,
        scope: Some(read_scope(&call.actor)),
        facet_size: 0,
        ..Default::default()
    };
    let result = crate::heavy::search(state, &call.client, req).await?;
    let orgs = organizations(state).await?;
    let extents = state.data_extents().await?;
    Ok(result
        .hits
        .iter()
        .map(|h| {
            let extent = extents.datasets.get(&h.dataset.slug).copied();
            dicts::package(&call.base, &h.dataset, &orgs, extent)
        })
        .collect())
}

pub async fn group_list(state: &AppState, call: &Call) -> CkanResult {
    let all_fields = call.bool("all_fields")?.unwrap_or(false);
    let counts = state.catalog.theme_counts(&public()).await?;
    let mut themes: Vec<&vocab::Term> = vocab::THEMES.iter().collect();
    themes.sort_by_key(|t| t.code);
    Ok(Value::Array(
        themes
            .into_iter()
            .map(|t| {
                if all_fields {
                    dicts::group(t.code, Some(counts.get(t.code).copied().unwrap_or(0)))
                } else {
                    json!(t.code.to_ascii_lowercase())
                }
            })
            .collect(),
    ))
}

pub async fn group_show(state: &AppState, call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let code = dicts::theme_from_group(&id).ok_or_else(|| CkanError::not_found("Gruppe"))?;
    let counts = state.catalog.theme_counts(&public()).await?;
    let mut dict = dicts::group(code, Some(counts.get(code).copied().unwrap_or(0)));
    if call.bool("include_datasets")?.unwrap_or(false) {
        let mut filters = std::collections::BTreeMap::new();
        filters.insert("theme".to_string(), vec![code.to_string()]);
        dict["packages"] = Value::Array(search_packages(state, call, filters, 1000).await?);
    }
    Ok(dict)
}

pub async fn tag_list(state: &AppState, call: &Call) -> CkanResult {
    let req = SearchRequest {
        per_page: 1,
        page: 1,
        scope: Some(public()),
        facet_size: 10_000,
        ..Default::default()
    };
    let result = crate::heavy::search(state, &call.client, req).await?;
    let query = call.str("query").map(|q| q.to_lowercase());
    let all_fields = call.bool("all_fields")?.unwrap_or(false);
    let mut tags: Vec<String> = result
        .facets
        .get("keyword")
        .map(|v| v.iter().map(|f| f.value.clone()).collect())
        .unwrap_or_default();
    tags.retain(|t| query.as_ref().is_none_or(|q| t.to_lowercase().contains(q)));
    tags.sort();
    Ok(Value::Array(
        tags.into_iter()
            .map(|t| {
                if all_fields {
                    json!({"id": t, "name": t, "display_name": t, "vocabulary_id": Value::Null})
                } else {
                    json!(t)
                }
            })
            .collect(),
    ))
}

pub async fn resource_show(state: &AppState, call: &Call) -> CkanResult {
    let id = call.required("id")?;
    let (res, _) = state
        .visible_resource(&call.actor, &id)
        .await
        .map_err(not_found_as("Ressource"))?;
    Ok(dicts::resource(&call.base, &res))
}

/// A dataset the caller may edit (its CKAN `Not Found Error` when invisible).
async fn editable_dataset(state: &AppState, call: &Call, id: &str) -> CkanResult<Dataset> {
    let ds = state
        .visible_dataset(&call.actor, id)
        .await
        .map_err(not_found_as("Datensatz"))?;
    require(&call.actor, edit_action(&ds))?;
    Ok(ds)
}

/// A resource (and its dataset) the caller may edit.
async fn editable_resource(
    state: &AppState,
    call: &Call,
    id: &str,
) -> CkanResult<(allmende_core::Resource, Dataset)> {
    let (res, ds) = state
        .visible_resource(&call.actor, id)
        .await
        .map_err(not_found_as("Ressource"))?;
    require(&call.actor, edit_action(&ds))?;
    Ok((res, ds))
}

fn authenticated(call: &Call) -> CkanResult<()> {
    if call.actor.is_authenticated() {
        Ok(())
    } else {
        Err(CkanError::Authorization(
            "Anmeldung erforderlich: API-Token im Authorization-Header".into(),
        ))
    }
}

async fn shown(state: &AppState, call: &Call, id: &str) -> CkanResult {
    let ds = state
        .visible_dataset(&call.actor, id)
        .await
        .map_err(not_found_as("Datensatz"))?;
    let orgs = organizations(state).await?;
    let extent = state.data_extents().await?.datasets.get(&ds.slug).copied();
    Ok(dicts::package(&call.base, &ds, &orgs, extent))
}

pub async fn package_create(state: &AppState, call: &Call) -> CkanResult {
    authenticated(call)?;
    let orgs = organizations(state).await?;
    let mut input = DatasetInput::default();
    dicts::apply_package(&call.params, &mut input, &orgs)?;
    if input.organization.is_none() {
        return Err(CkanError::missing("owner_org"));
    }
    let ds = state.create_dataset(&call.actor, input).await?;
    if let Some(Value::Array(resources)) = call.params.get("resources") {
        let full = state
            .catalog
            .dataset(&ds.id.to_string())
            .await?
            .ok_or_else(|| CkanError::not_found("Datensatz"))?;
        for r in resources {
            let Value::Object(m) = r else {
                return Err(CkanError::invalid(
                    "resources",
                    "Liste von Ressourcen erwartet",
                ));
            };
            let form = resource_form(m);
            create_from_form(state, &full, form).await?;
        }
    }
    shown(state, call, &ds.id.to_string()).await
}

pub async fn package_update(state: &AppState, call: &Call, patch: bool) -> CkanResult {
    authenticated(call)?;
    let id = call
        .str("id")
        .or_else(|| call.str("name"))
        .ok_or_else(|| CkanError::missing("id"))?;
    let current = editable_dataset(state, call, &id).await?;
    let orgs = organizations(state).await?;
    let mut input = if patch {
        DatasetInput::from(&current)
    } else {
        // An update replaces the metadata; name and organization stay unless given.
        DatasetInput {
            slug: Some(current.slug.clone()),
            organization: Some(current.organization.clone()),
            visibility: Some(current.visibility.as_str().to_string()),
            ..DatasetInput::default()
        }
    };
    dicts::apply_package(&call.params, &mut input, &orgs)?;
    state.update_dataset(&call.actor, &current, input).await?;
    shown(state, call, &current.id.to_string()).await
}

pub async fn package_delete(state: &AppState, call: &Call) -> CkanResult {
    authenticated(call)?;
    let id = call.required("id")?;
    let current = editable_dataset(state, call, &id).await?;
    if !current.deleted {
        state.catalog.set_dataset_deleted(current.id, true).await?;
    }
    Ok(Value::Null)
}

/// CKAN resource fields as our form: `name` is the title.
fn resource_form(m: &serde_json::Map<String, Value>) -> MultipartForm {
    let mut fields = std::collections::HashMap::new();
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    for (ckan, ours) in [
        ("name", "title"),
        ("description", "description"),
        ("url", "url"),
        ("format", "format"),
        ("license_id", "license"),
        ("position", "position"),
    ] {
        if let Some(v) = m.get(ckan).and_then(text).filter(|s| !s.trim().is_empty()) {
            fields.insert(ours.to_string(), v);
        }
    }
    // CKAN clients send formats as `csv`, `CSV` or a media type.
    if let Some(f) = fields.get("format").cloned() {
        let code = normalize_format(&f);
        match code {
            Some(c) => fields.insert("format".into(), c),
            None => fields.remove("format"),
        };
    }
    MultipartForm {
        fields,
        pairs: Vec::new(),
        file: None,
    }
}

fn normalize_format(f: &str) -> Option<String> {
    let f = f.trim();
    vocab::file_type(&f.to_ascii_uppercase())
        .or_else(|| {
            vocab::FILE_TYPES
                .iter()
                .find(|t| t.media_type.eq_ignore_ascii_case(f))
        })
        .or_else(|| vocab::file_type_by_extension(&f.to_ascii_lowercase()))
        .map(|t| t.code.to_string())
}

pub async fn resource_create(state: &AppState, call: &Call) -> CkanResult {
    authenticated(call)?;
    let package = call.required("package_id")?;
    let ds = editable_dataset(state, call, &package).await?;
    let mut form = resource_form(&call.params);
    // An upload sent with `url` set to its own name (ckanapi does this) is an upload.
    if let Some(upload) = call.take_upload().and_then(|u| u.file) {
        form.fields.remove("url");
        if !form.fields.contains_key("title") {
            form.fields.insert("title".into(), upload.file_name.clone());
        }
        form.file = Some(upload);
    } else if !form.fields.contains_key("url") {
        return Err(CkanError::Validation(std::collections::BTreeMap::from([(
            "url".to_string(),
            vec!["Eine URL oder eine hochgeladene Datei (Feld upload) ist nötig".to_string()],
        )])));
    }
    if !form.fields.contains_key("title") {
        let name = form
            .fields
            .get("url")
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or("Ressource")
            .to_string();
        form.fields.insert("title".into(), name);
    }
    let res = create_from_form(state, &ds, form).await?;
    let res = state.catalog.resource(res.id).await?.unwrap_or(res);
    Ok(dicts::resource(&call.base, &res))
}

pub async fn resource_update(state: &AppState, call: &Call, patch: bool) -> CkanResult {
    authenticated(call)?;
    let id = call.required("id")?;
    let (res, ds) = editable_resource(state, call, &id).await?;
    let mut res = res;
    if let Some(file) = call.take_upload().and_then(|u| u.file) {
        let (updated, _) = state.replace_file(&res, &ds, file).await?;
        res = updated;
    }
    let given = resource_form(&call.params).fields;
    let get = |k: &str, current: Option<String>| {
        if given.contains_key(k) || !patch && call.params.contains_key(k) {
            given.get(k).cloned()
        } else {
            current
        }
    };
    let input = ResourceInput {
        title: get("title", Some(res.title.clone())),
        description: get("description", Some(res.description.clone())),
        // The URL of an upload is ours; only links change theirs.
        url: if res.url.is_some() {
            given.get("url").cloned().or(res.url.clone())
        } else {
            None
        },
        format: get("format", res.format.clone()),
        license: get("license", res.license.clone()),
        position: Some(res.position),
    };
    let fields = input.validate(None).map_err(ApiError::Validation)?;
    let media_type = allmende_app::resources::media_type_after(&res, fields.format.as_deref());
    let updated = state
        .catalog
        .update_resource(res.id, ds.id, &fields, media_type.as_deref())
        .await?;
    Ok(dicts::resource(&call.base, &updated))
}

pub async fn resource_delete(state: &AppState, call: &Call) -> CkanResult {
    authenticated(call)?;
    let id = call.required("id")?;
    let (res, ds) = editable_resource(state, call, &id).await?;
    state.catalog.delete_resource(res.id, ds.id).await?;
    Ok(Value::Null)
}

fn org_input(call: &Call, mut input: OrganizationInput, patch: bool) -> OrganizationInput {
    let set = |key: &str, current: Option<String>| -> Option<String> {
        if call.params.contains_key(key) {
            call.str(key)
        } else if patch {
            current
        } else {
            None
        }
    };
    input.slug = set("name", input.slug.clone()).or(input.slug);
    input.name = set("title", input.name.clone());
    input.description = set("description", input.description.clone());
    if let Some(Value::Array(extras)) = call.params.get("extras") {
        for e in extras {
            let (Some(k), Some(v)) = (
                e.get("key").and_then(Value::as_str),
                e.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            let v = Some(v.to_string()).filter(|v| !v.is_empty());
            match k {
                "website" => input.website = v,
                "email" => input.email = v,
                "ags" => input.ags = v,
                "publisher_type" | "type" => input.org_type = v,
                _ => {}
            }
        }
    }
    if input.org_type.is_none() {
        input.org_type = Some("public_body".into());
    }
    input
}

pub async fn organization_create(state: &AppState, call: &Call) -> CkanResult {
    authenticated(call)?;
    require(&call.actor, Action::CreateOrganization)?;
    let input = org_input(call, OrganizationInput::default(), false);
    let fields = input
        .validate()
        .map_err(|fe: FieldErrors| ApiError::Validation(fe))?;
    let org = state.catalog.create_organization(&fields).await?;
    Ok(dicts::organization(&call.base, &org))
}

pub async fn organization_update(state: &AppState, call: &Call, patch: bool) -> CkanResult {
    authenticated(call)?;
    let id = call.required("id")?;
    let org = state
        .catalog
        .organization(&id, &read_scope(&call.actor))
        .await?
        .ok_or_else(|| CkanError::not_found("Organisation"))?;
    require(&call.actor, Action::ManageOrganization { org: org.id })?;
    let base = if patch {
        OrganizationInput::from(&org)
    } else {
        OrganizationInput {
            slug: Some(org.slug.clone()),
            org_type: Some(org.org_type.clone()),
            ..Default::default()
        }
    };
    let fields = org_input(call, base, patch)
        .validate()
        .map_err(ApiError::Validation)?;
    let updated = state.catalog.update_organization(org.id, &fields).await?;
    Ok(dicts::organization(&call.base, &updated))
}
