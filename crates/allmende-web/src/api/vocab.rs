use allmende_core::vocab::{self, FileType, License, OrgType, Term};
use axum::Json;

/// Licences (DCAT-AP.de ids; also CKAN `license_id`).
#[utoipa::path(get, path = "/licenses", tag = "vocabularies", responses((status = 200, body = Vec<License>)))]
pub async fn licenses() -> Json<&'static [License]> {
    Json(vocab::LICENSES)
}

/// The 13 EU data themes.
#[utoipa::path(get, path = "/themes", tag = "vocabularies", responses((status = 200, body = Vec<Term>)))]
pub async fn themes() -> Json<&'static [Term]> {
    Json(vocab::THEMES)
}

/// File formats (EU file-type vocabulary).
#[utoipa::path(get, path = "/formats", tag = "vocabularies", responses((status = 200, body = Vec<FileType>)))]
pub async fn formats() -> Json<&'static [FileType]> {
    Json(vocab::FILE_TYPES)
}

/// Update frequencies (EU frequency vocabulary).
#[utoipa::path(get, path = "/frequencies", tag = "vocabularies", responses((status = 200, body = Vec<Term>)))]
pub async fn frequencies() -> Json<&'static [Term]> {
    Json(vocab::FREQUENCIES)
}

/// Publisher types.
#[utoipa::path(get, path = "/organization-types", tag = "vocabularies", responses((status = 200, body = Vec<OrgType>)))]
pub async fn organization_types() -> Json<&'static [OrgType]> {
    Json(vocab::ORG_TYPES)
}
