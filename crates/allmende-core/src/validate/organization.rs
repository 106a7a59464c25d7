//! Organizations as publishers submit them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    FieldErrors, MAX_TITLE, check_len, clean, description, is_valid_ags, is_valid_email,
    optional_url,
};
use crate::{slug, vocab};

/// What a publisher sends to create or change an organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Amtlicher Gemeindeschlüssel, 8 digits.
    #[serde(default)]
    pub ags: Option<String>,
    /// Publisher type code (`municipality`, `company`, `university`, …).
    #[serde(default, rename = "type")]
    pub org_type: Option<String>,
}

impl From<&crate::Organization> for OrganizationInput {
    fn from(o: &crate::Organization) -> Self {
        Self {
            slug: Some(o.slug.clone()),
            name: Some(o.name.clone()),
            description: Some(o.description.clone()),
            website: o.website.clone(),
            email: o.email.clone(),
            ags: o.ags.clone(),
            org_type: Some(o.org_type.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationFields {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub website: Option<String>,
    pub email: Option<String>,
    pub ags: Option<String>,
    pub org_type: String,
}

impl OrganizationInput {
    pub fn validate(self) -> Result<OrganizationFields, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = clean(self.name);
        if name.is_none() {
            errors.add("name", "required");
        }
        check_len(&mut errors, "name", &name, MAX_TITLE);
        let name = name.unwrap_or_default();
        let slug = clean(self.slug).unwrap_or_else(|| slug::from_title(&name));
        if !name.is_empty() && !slug::is_valid(&slug) {
            errors.add_arg("slug", "invalid_slug", Some(slug.as_str()));
        }
        let description = description(&mut errors, self.description);
        let website = optional_url(&mut errors, "website", self.website);
        let email = clean(self.email);
        if let Some(e) = &email
            && !is_valid_email(e)
        {
            errors.add_arg("email", "invalid_email", Some(e.as_str()));
        }
        let ags = clean(self.ags);
        if let Some(a) = &ags
            && !is_valid_ags(a)
        {
            errors.add_arg("ags", "invalid_ags", Some(a.as_str()));
        }
        let org_type = clean(self.org_type).unwrap_or_else(|| "municipality".into());
        if vocab::org_type(&org_type).is_none() {
            errors.add_arg("type", "unknown_org_type", Some(org_type.as_str()));
        }
        errors.into_result(OrganizationFields {
            slug,
            name,
            description,
            website,
            email,
            ags,
            org_type,
        })
    }
}
