//! Resource metadata as publishers submit it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{FieldErrors, MAX_TITLE, check_len, clean, description, optional_url};
use crate::vocab;

/// Metadata of a resource, for creating (with an upload or an external `url`) and changing it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// External URL (for links; not allowed together with an upload).
    #[serde(default)]
    pub url: Option<String>,
    /// EU file-type code; detected when omitted.
    #[serde(default)]
    pub format: Option<String>,
    /// Licence id; omitted means the dataset's licence.
    #[serde(default)]
    pub license: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceFields {
    pub title: String,
    pub description: String,
    pub url: Option<String>,
    pub format: Option<String>,
    pub license: Option<String>,
    pub position: Option<i64>,
}

impl ResourceInput {
    /// `fallback_title` is used when the publisher gave none (the uploaded file's name).
    pub fn validate(self, fallback_title: Option<&str>) -> Result<ResourceFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = clean(self.title).or_else(|| fallback_title.map(str::to_string));
        if title.is_none() {
            errors.add("title", "required");
        }
        check_len(&mut errors, "title", &title, MAX_TITLE);
        let description = description(&mut errors, self.description);
        let url = optional_url(&mut errors, "url", self.url);
        let format = clean(self.format).map(|f| f.to_ascii_uppercase());
        if let Some(f) = &format
            && vocab::file_type(f).is_none()
        {
            errors.add_arg("format", "unknown_format", Some(f.as_str()));
        }
        let license = clean(self.license);
        if let Some(l) = &license
            && vocab::license(l).is_none()
        {
            errors.add_arg("license", "unknown_license", Some(l.as_str()));
        }
        if let Some(p) = self.position
            && !(0..=10_000).contains(&p)
        {
            errors.add("position", "out_of_range");
        }
        errors.into_result(ResourceFields {
            title: title.unwrap_or_default(),
            description,
            url,
            format,
            license,
            position: self.position,
        })
    }
}
