//! Our catalog entities as CKAN dicts (package, resource, organization, group, licence) and
//! CKAN package dicts back into our dataset input. The mapping is documented in
//! docs/ckan-api.md.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use allmende_core::validate::{DatasetInput, TemporalInput};
use allmende_core::{Contact, Dataset, Organization, Resource, Visibility, vocab};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::call::{CkanError, CkanResult};

/// CKAN's timestamp style: ISO 8601 without zone (UTC), microseconds.
pub fn ckan_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn absolute(base: &str, url: &str) -> String {
    if url.starts_with('/') {
        format!("{base}{url}")
    } else {
        url.to_string()
    }
}

/// A theme as a CKAN group: GovData names its groups after the lower-case EU theme codes.
#[derive(Serialize)]
pub struct GroupDict {
    id: String,
    name: String,
    title: String,
    display_name: String,
    description: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    state: &'static str,
    is_organization: bool,
    approval_status: &'static str,
    image_url: &'static str,
    image_display_url: &'static str,
    created: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_count: Option<i64>,
}

impl GroupDict {
    pub fn new(code: &str, count: Option<i64>) -> Self {
        let term = vocab::theme(code);
        let title = term.map(|t| t.label_de).unwrap_or(code);
        let name = code.to_ascii_lowercase();
        Self {
            id: name.clone(),
            name,
            title: title.to_string(),
            display_name: title.to_string(),
            description: term.map(|t| t.label_en).unwrap_or(""),
            kind: "group",
            state: "active",
            is_organization: false,
            approval_status: "approved",
            image_url: "",
            image_display_url: "",
            created: "2024-01-01T00:00:00.000000",
            package_count: count,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }
}

pub fn group(code: &str, count: Option<i64>) -> Value {
    to_value(&GroupDict::new(code, count))
}

pub fn theme_from_group(name: &str) -> Option<&'static str> {
    vocab::THEMES
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(name.trim()))
        .map(|t| t.code)
}

fn to_value(v: &impl Serialize) -> Value {
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'a str,
    value: Cow<'a, str>,
}

#[derive(Serialize)]
pub struct OrganizationDict<'a> {
    id: String,
    name: &'a str,
    title: &'a str,
    display_name: &'a str,
    description: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    state: &'static str,
    is_organization: bool,
    approval_status: &'static str,
    image_url: String,
    image_display_url: String,
    created: String,
    package_count: i64,
    extras: [KeyValue<'a>; 4],
}

impl<'a> OrganizationDict<'a> {
    pub fn new(base: &str, o: &'a Organization) -> Self {
        let image = o
            .logo_url
            .as_deref()
            .map(|u| absolute(base, u))
            .unwrap_or_default();
        let text = |v: &'a Option<String>| Cow::Borrowed(v.as_deref().unwrap_or(""));
        Self {
            id: o.id.to_string(),
            name: &o.slug,
            title: &o.name,
            display_name: &o.name,
            description: &o.description,
            kind: "organization",
            state: "active",
            is_organization: true,
            approval_status: "approved",
            image_url: image.clone(),
            image_display_url: image,
            created: ckan_time(&o.created_at),
            package_count: o.dataset_count,
            extras: [
                KeyValue {
                    key: "website",
                    value: text(&o.website),
                },
                KeyValue {
                    key: "email",
                    value: text(&o.email),
                },
                KeyValue {
                    key: "ags",
                    value: text(&o.ags),
                },
                KeyValue {
                    key: "publisher_type",
                    value: Cow::Borrowed(&o.org_type),
                },
            ],
        }
    }
}

pub fn organization(base: &str, o: &Organization) -> Value {
    to_value(&OrganizationDict::new(base, o))
}

#[derive(Serialize)]
pub struct ResourceDict<'a> {
    id: String,
    package_id: String,
    name: &'a str,
    description: &'a str,
    url: String,
    url_type: Option<&'static str>,
    format: &'a str,
    mimetype: Option<&'a str>,
    mimetype_inner: Option<()>,
    size: Option<i64>,
    hash: String,
    position: i64,
    state: &'static str,
    created: String,
    last_modified: String,
    metadata_modified: String,
    resource_type: Option<()>,
    cache_url: Option<()>,
    datastore_active: bool,
    license_id: Option<&'a str>,
    processing_status: &'static str,
}

impl<'a> ResourceDict<'a> {
    pub fn new(base: &str, r: &'a Resource) -> Self {
        let modified = ckan_time(&r.updated_at);
        Self {
            id: r.id.to_string(),
            package_id: r.dataset_id.to_string(),
            name: &r.title,
            description: &r.description,
            // A file still in its privacy check is not served yet.
            url: if r.withheld {
                String::new()
            } else {
                absolute(base, &r.download_url)
            },
            url_type: r.sha256.is_some().then_some("upload"),
            format: r.format.as_deref().unwrap_or(""),
            mimetype: r.media_type.as_deref(),
            mimetype_inner: None,
            size: r.byte_size,
            hash: r
                .sha256
                .as_deref()
                .map(|h| format!("sha256:{h}"))
                .unwrap_or_default(),
            position: r.position,
            state: "active",
            created: ckan_time(&r.created_at),
            last_modified: modified.clone(),
            metadata_modified: modified,
            resource_type: None,
            cache_url: None,
            datastore_active: r.table_version.is_some(),
            license_id: r.license.as_deref(),
            processing_status: r.status.as_str(),
        }
    }
}

pub fn resource(base: &str, r: &Resource) -> Value {
    to_value(&ResourceDict::new(base, r))
}

#[derive(Serialize)]
struct TagDict<'a> {
    name: &'a str,
    display_name: &'a str,
    state: &'static str,
    vocabulary_id: Option<()>,
}

/// A full package dict, as `package_show` and `package_search` return it.
#[derive(Serialize)]
pub struct PackageDict<'a> {
    id: String,
    name: &'a str,
    title: &'a str,
    notes: &'a str,
    url: &'a str,
    version: Option<&'a str>,
    state: &'static str,
    private: bool,
    #[serde(rename = "type")]
    kind: &'static str,
    license_id: &'a str,
    license_title: &'static str,
    license_url: &'static str,
    isopen: bool,
    author: Option<&'a str>,
    author_email: Option<&'a str>,
    maintainer: Option<&'a str>,
    maintainer_email: Option<&'a str>,
    metadata_created: String,
    metadata_modified: String,
    creator_user_id: Option<()>,
    owner_org: Option<String>,
    organization: Option<OrganizationDict<'a>>,
    num_resources: usize,
    num_tags: usize,
    tags: Vec<TagDict<'a>>,
    groups: Vec<GroupDict>,
    extras: Vec<KeyValue<'a>>,
    resources: Vec<ResourceDict<'a>>,
    relationships_as_object: [(); 0],
    relationships_as_subject: [(); 0],
    ckan_url: String,
}

impl<'a> PackageDict<'a> {
    /// `extent`: where the dataset's public spatial tables lie, for `spatial` when the
    /// metadata gives no bounding box (ckanext-spatial reads it).
    pub fn new(
        base: &str,
        ds: &'a Dataset,
        orgs: &'a HashMap<String, Organization>,
        extent: Option<[f64; 4]>,
    ) -> Self {
        let license = vocab::license(&ds.license);
        let org = orgs.get(&ds.organization);
        let resources: Vec<ResourceDict<'a>> = ds
            .resources
            .iter()
            .flatten()
            .map(|r| ResourceDict::new(base, r))
            .collect();
        let tags: Vec<TagDict<'a>> = ds
            .keywords
            .iter()
            .map(|k| TagDict {
                name: k,
                display_name: k,
                state: "active",
                vocabulary_id: None,
            })
            .collect();
        let groups = ds.themes.iter().map(|t| GroupDict::new(t, None)).collect();
        let state = if ds.deleted {
            "deleted"
        } else if ds.visibility == Visibility::Draft {
            "draft"
        } else {
            "active"
        };
        Self {
            id: ds.id.to_string(),
            name: &ds.slug,
            title: &ds.title,
            notes: &ds.description,
            url: ds.landing_page.as_deref().unwrap_or(""),
            version: ds.version.as_deref(),
            state,
            private: ds.visibility == Visibility::Private,
            kind: "dataset",
            license_id: &ds.license,
            license_title: license.map(|l| l.title).unwrap_or_default(),
            license_url: license.map(|l| l.url).unwrap_or_default(),
            isopen: license.is_some_and(|l| l.open),
            author: ds.contact.name.as_deref(),
            author_email: ds.contact.email.as_deref(),
            maintainer: ds.maintainer.name.as_deref(),
            maintainer_email: ds.maintainer.email.as_deref(),
            metadata_created: ckan_time(&ds.created_at),
            metadata_modified: ckan_time(&ds.updated_at),
            creator_user_id: None,
            owner_org: org.map(|o| o.id.to_string()),
            organization: org.map(|o| OrganizationDict::new(base, o)),
            num_resources: resources.len(),
            num_tags: tags.len(),
            tags,
            groups,
            extras: package_extras(ds, extent),
            resources,
            relationships_as_object: [],
            relationships_as_subject: [],
            ckan_url: format!("{base}/dataset/{}", ds.slug),
        }
    }
}

/// Fields CKAN has no column for, as `extras` (sorted by key, empty values left out).
fn package_extras(ds: &Dataset, extent: Option<[f64; 4]>) -> Vec<KeyValue<'_>> {
    let mut extras = Vec::new();
    let mut extra = |key: &'static str, value: String| {
        if !value.is_empty() {
            extras.push(KeyValue {
                key,
                value: Cow::Owned(value),
            });
        }
    };
    if let Some(d) = ds.issued {
        extra("issued", d.to_string());
    }
    if let Some(d) = ds.modified {
        extra("modified", d.to_string());
    }
    if let Some(d) = ds.temporal.start {
        extra("temporal_start", d.to_string());
    }
    if let Some(d) = ds.temporal.end {
        extra("temporal_end", d.to_string());
    }
    if let Some(f) = &ds.frequency {
        extra(
            "frequency",
            format!("http://publications.europa.eu/resource/authority/frequency/{f}"),
        );
    }
    if !ds.languages.is_empty() {
        extra("language", ds.languages.join(","));
    }
    if let Some(name) = &ds.spatial.name {
        extra("spatial_text", name.clone());
    }
    if let Some(ags) = &ds.spatial.ags {
        extra(
            "politicalGeocodingURI",
            format!("http://dcat-ap.de/def/politicalGeocoding/municipalityKey/{ags}"),
        );
    }
    if let Some([w, s, e, n]) = ds.spatial.bbox.or(extent) {
        let polygon =
            json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]});
        extra("spatial", polygon.to_string());
    }
    for (k, v) in &ds.extras {
        if !v.is_empty() {
            extras.push(KeyValue {
                key: k,
                value: Cow::Borrowed(v),
            });
        }
    }
    extras.sort_by(|a, b| a.key.cmp(b.key));
    extras
}

pub fn package(
    base: &str,
    ds: &Dataset,
    orgs: &HashMap<String, Organization>,
    extent: Option<[f64; 4]>,
) -> Value {
    to_value(&PackageDict::new(base, ds, orgs, extent))
}

pub fn license_list() -> Value {
    Value::Array(
        vocab::LICENSES
            .iter()
            .map(|l| {
                json!({
                    "id": l.id,
                    "title": l.title,
                    "url": l.url,
                    "od_conformance": if l.open { "approved" } else { "not reviewed" },
                    "osd_conformance": "not reviewed",
                    "status": "active",
                    "maintainer": "",
                    "family": "",
                    "domain_content": true,
                    "domain_data": true,
                    "domain_software": false,
                    "is_generic": false,
                })
            })
            .collect(),
    )
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list_of_names(v: &Value, key: &str) -> CkanResult<Vec<String>> {
    let items = match v {
        Value::Array(a) => a.clone(),
        Value::String(s) => s
            .split(',')
            .map(|t| Value::String(t.trim().to_string()))
            .collect(),
        Value::Null => Vec::new(),
        _ => return Err(CkanError::invalid(key, "Liste erwartet")),
    };
    let mut out = Vec::new();
    for item in items {
        let name = match &item {
            Value::Object(m) => m.get("name").or_else(|| m.get("id")).and_then(text_of),
            other => text_of(other),
        };
        match name {
            Some(n) if !n.trim().is_empty() => out.push(n.trim().to_string()),
            Some(_) => {}
            None => return Err(CkanError::invalid(key, "Jeder Eintrag braucht einen Namen")),
        }
    }
    Ok(out)
}

/// Applies the CKAN fields present in `params` onto `input` (all of them for create and
/// update, only the given ones for patch). Unknown keys are ignored, as CKAN does.
pub fn apply_package(
    params: &Map<String, Value>,
    input: &mut DatasetInput,
    orgs: &HashMap<String, Organization>,
) -> CkanResult<()> {
    let s = |k: &str| params.get(k).and_then(text_of);
    if params.contains_key("name") {
        input.slug = s("name");
    }
    if params.contains_key("title") {
        input.title = s("title");
    }
    if params.contains_key("notes") {
        input.description = s("notes");
    }
    if params.contains_key("url") {
        input.landing_page = s("url").filter(|u| !u.is_empty());
    }
    if params.contains_key("version") {
        input.version = s("version").filter(|v| !v.is_empty());
    }
    if params.contains_key("license_id") {
        input.license = s("license_id");
    }
    if let Some(o) = s("owner_org") {
        // CKAN clients send the organization's id or name.
        let slug = orgs
            .values()
            .find(|x| x.id.to_string() == o || x.slug == o)
            .map(|x| x.slug.clone())
            .unwrap_or(o);
        input.organization = Some(slug);
    }
    if let Some(t) = params.get("tags") {
        input.keywords = Some(list_of_names(t, "tags")?);
    } else if let Some(t) = params.get("tag_string") {
        input.keywords = Some(list_of_names(t, "tag_string")?);
    }
    if let Some(g) = params.get("groups") {
        let names = list_of_names(g, "groups")?;
        let mut themes = Vec::new();
        for n in names {
            match theme_from_group(&n) {
                Some(t) => themes.push(t.to_string()),
                None => {
                    return Err(CkanError::invalid(
                        "groups",
                        &format!(
                            "Unbekannte Gruppe {n:?} (EU-Themen: agri, econ, educ, ener, envi, gove, heal, intr, just, regi, soci, tech, tran)"
                        ),
                    ));
                }
            }
        }
        input.themes = Some(themes);
    }
    if params.contains_key("private") {
        let private = match params.get("private") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(v)) => {
                matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes")
            }
            _ => false,
        };
        input.visibility = Some(if private { "private" } else { "public" }.into());
    }
    // Allmende's release checklist (first publication): an object of four booleans, or its
    // JSON text (ckanapi's `key:value` arguments send strings).
    if let Some(c) = params.get("release_checklist") {
        let value = match c {
            Value::String(text) => serde_json::from_str(text).ok(),
            other => Some(other.clone()),
        };
        let checklist = value
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                CkanError::invalid(
                    "release_checklist",
                    "{no_personal_data, no_secrets, rights_cleared, licence_applicable} erwartet",
                )
            })?;
        input.release_checklist = Some(checklist);
    }
    if let Some(Value::String(st)) = params.get("state")
        && st == "draft"
    {
        input.visibility = Some("draft".into());
    }
    if params.contains_key("author") || params.contains_key("author_email") {
        let mut c = input.contact.clone().unwrap_or_default();
        if params.contains_key("author") {
            c.name = s("author").filter(|x| !x.is_empty());
        }
        if params.contains_key("author_email") {
            c.email = s("author_email").filter(|x| !x.is_empty());
        }
        input.contact = Some(c);
    }
    if params.contains_key("maintainer") || params.contains_key("maintainer_email") {
        let mut c: Contact = input.maintainer.clone().unwrap_or_default();
        if params.contains_key("maintainer") {
            c.name = s("maintainer").filter(|x| !x.is_empty());
        }
        if params.contains_key("maintainer_email") {
            c.email = s("maintainer_email").filter(|x| !x.is_empty());
        }
        input.maintainer = Some(c);
    }
    if let Some(e) = params.get("extras") {
        let Value::Array(items) = e else {
            return Err(CkanError::invalid(
                "extras",
                "Liste von {key, value} erwartet",
            ));
        };
        let mut extras: BTreeMap<String, String> = BTreeMap::new();
        for item in items {
            let (Some(k), Some(v)) = (
                item.get("key").and_then(text_of),
                item.get("value").and_then(text_of),
            ) else {
                return Err(CkanError::invalid(
                    "extras",
                    "Jeder Eintrag braucht key und value",
                ));
            };
            // The DCAT fields CKAN keeps in extras map onto our own fields.
            match k.as_str() {
                "issued" => input.issued = Some(v),
                "modified" => input.modified = Some(v),
                "temporal_start" => {
                    let mut t = input.temporal.clone().unwrap_or_default();
                    t.start = Some(v);
                    input.temporal = Some(t);
                }
                "temporal_end" => {
                    let mut t: TemporalInput = input.temporal.clone().unwrap_or_default();
                    t.end = Some(v);
                    input.temporal = Some(t);
                }
                "frequency" => {
                    input.frequency = Some(v.rsplit('/').next().unwrap_or(&v).to_string())
                }
                _ => {
                    extras.insert(k, v);
                }
            }
        }
        input.extras = Some(extras);
    }
    Ok(())
}
