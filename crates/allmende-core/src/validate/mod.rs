//! Validation of what publishers submit. Errors are collected per field as message codes; the
//! web layer turns codes into German or English text through the translation catalog.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::model::{Contact, Dataset, Spatial, Temporal, Visibility};
use crate::{slug, vocab};

mod organization;
mod resource;

pub use organization::{OrganizationFields, OrganizationInput};
pub use resource::{ResourceFields, ResourceInput};

/// One problem with one field: a message code (`required`, `invalid_email`, …) and an optional
/// argument shown in the message (the offending value, a limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub code: &'static str,
    pub arg: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, Vec<FieldError>>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, code: &'static str) {
        self.add_arg(field, code, None::<String>);
    }

    pub fn add_arg(&mut self, field: &str, code: &'static str, arg: Option<impl Into<String>>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(FieldError {
                code,
                arg: arg.map(Into::into),
            });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn single(field: &str, code: &'static str) -> Self {
        let mut e = Self::default();
        e.add(field, code);
        e
    }

    pub fn into_result<T>(self, value: T) -> Result<T, Self> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut first = true;
        for (field, errs) in &self.0 {
            for e in errs {
                if !first {
                    f.write_str("; ")?;
                }
                first = false;
                write!(f, "{field}: {}", e.code)?;
                if let Some(a) = &e.arg {
                    write!(f, " ({a})")?;
                }
            }
        }
        Ok(())
    }
}

pub const MAX_TITLE: usize = 300;
pub const MAX_DESCRIPTION: usize = 100_000;
pub const MAX_SHORT: usize = 500;
pub const MAX_KEYWORDS: usize = 100;

pub fn is_valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() >= 3
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// Only absolute http(s) URLs: anything else (javascript:, data:, file:) is refused because the
/// URLs end up as links in the UI.
pub fn is_valid_url(s: &str) -> bool {
    match url::Url::parse(s) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

pub fn is_valid_ags(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

fn parse_date(errors: &mut FieldErrors, field: &str, value: Option<&str>) -> Option<NaiveDate> {
    let value = value?.trim();
    if value.is_empty() {
        return None;
    }
    // ISO 8601 in the API; the German form as typed into the web form.
    match NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(value, "%d.%m.%Y"))
    {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add_arg(field, "invalid_date", Some(value));
            None
        }
    }
}

pub(crate) fn clean(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A description, trimmed (empty when absent) and checked against `MAX_DESCRIPTION`.
pub(crate) fn description(errors: &mut FieldErrors, value: Option<String>) -> String {
    let d = value.map(|d| d.trim().to_string()).unwrap_or_default();
    if d.len() > MAX_DESCRIPTION {
        errors.add_arg("description", "too_long", Some(MAX_DESCRIPTION.to_string()));
    }
    d
}

/// An optional address that must be a web URL when given.
pub(crate) fn optional_url(
    errors: &mut FieldErrors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    let url = clean(value);
    if let Some(u) = &url
        && !is_valid_url(u)
    {
        errors.add_arg(field, "invalid_url", Some(u.as_str()));
    }
    url
}

pub(crate) fn check_len(errors: &mut FieldErrors, field: &str, value: &Option<String>, max: usize) {
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.add_arg(field, "too_long", Some(max.to_string()));
    }
}

/// A date range in input form (strings, so a bad date is a field error, not a parse failure).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemporalInput {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

/// What a publisher sends to create or replace a dataset. Every field is optional here so that
/// missing required fields are reported together, per field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetInput {
    /// Lower-case letters, digits and hyphens; derived from the title when omitted.
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub keywords: Option<Vec<String>>,
    /// EU data theme codes, e.g. `ENVI`.
    #[serde(default)]
    pub themes: Option<Vec<String>>,
    /// DCAT-AP.de licence id, e.g. `dl-by-de/2.0`.
    #[serde(default)]
    pub license: Option<String>,
    /// Slug of the publishing organization.
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub contact: Option<Contact>,
    #[serde(default)]
    pub maintainer: Option<Contact>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub issued: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub modified: Option<String>,
    #[serde(default)]
    pub temporal: Option<TemporalInput>,
    #[serde(default)]
    pub spatial: Option<Spatial>,
    /// EU frequency code, e.g. `ANNUAL`.
    #[serde(default)]
    pub frequency: Option<String>,
    /// EU language codes; default `["DEU"]`.
    #[serde(default)]
    pub languages: Option<Vec<String>>,
    #[serde(default)]
    pub landing_page: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// `public`, `private` or `draft`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub extras: Option<BTreeMap<String, String>>,
    /// Confirmed by the publisher at the first publication (required then, ignored after).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_checklist: Option<crate::model::ReleaseChecklist>,
}

impl From<&Dataset> for DatasetInput {
    fn from(d: &Dataset) -> Self {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        Self {
            slug: Some(d.slug.clone()),
            title: Some(d.title.clone()),
            description: Some(d.description.clone()),
            keywords: Some(d.keywords.clone()),
            themes: Some(d.themes.clone()),
            license: Some(d.license.clone()),
            organization: Some(d.organization.clone()),
            contact: Some(d.contact.clone()),
            maintainer: Some(d.maintainer.clone()),
            issued: date(d.issued),
            modified: date(d.modified),
            temporal: Some(TemporalInput {
                start: date(d.temporal.start),
                end: date(d.temporal.end),
            }),
            spatial: Some(d.spatial.clone()),
            frequency: d.frequency.clone(),
            languages: Some(d.languages.clone()),
            landing_page: d.landing_page.clone(),
            version: d.version.clone(),
            visibility: Some(d.visibility.as_str().to_string()),
            extras: Some(d.extras.clone()),
            release_checklist: None,
        }
    }
}

impl From<&DatasetFields> for DatasetInput {
    fn from(f: &DatasetFields) -> Self {
        let date = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        Self {
            slug: Some(f.slug.clone()),
            title: Some(f.title.clone()),
            description: Some(f.description.clone()),
            keywords: Some(f.keywords.clone()),
            themes: Some(f.themes.clone()),
            license: Some(f.license.clone()),
            organization: Some(f.organization.clone()),
            contact: Some(f.contact.clone()),
            maintainer: Some(f.maintainer.clone()),
            issued: date(f.issued),
            modified: date(f.modified),
            temporal: Some(TemporalInput {
                start: date(f.temporal.start),
                end: date(f.temporal.end),
            }),
            spatial: Some(f.spatial.clone()),
            frequency: f.frequency.clone(),
            languages: Some(f.languages.clone()),
            landing_page: f.landing_page.clone(),
            version: f.version.clone(),
            visibility: Some(f.visibility.as_str().to_string()),
            extras: Some(f.extras.clone()),
            release_checklist: None,
        }
    }
}

/// A dataset's fields after validation: what the repository stores (and keeps per revision).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetFields {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub keywords: Vec<String>,
    pub themes: Vec<String>,
    pub license: String,
    pub organization: String,
    pub contact: Contact,
    pub maintainer: Contact,
    pub issued: Option<NaiveDate>,
    pub modified: Option<NaiveDate>,
    pub temporal: Temporal,
    pub spatial: Spatial,
    pub frequency: Option<String>,
    pub languages: Vec<String>,
    pub landing_page: Option<String>,
    pub version: Option<String>,
    pub visibility: Visibility,
    pub extras: BTreeMap<String, String>,
}

fn validate_contact(errors: &mut FieldErrors, field: &str, c: Option<Contact>) -> Contact {
    let c = c.unwrap_or_default();
    let out = Contact {
        name: clean(c.name),
        email: clean(c.email),
    };
    check_len(errors, &format!("{field}.name"), &out.name, MAX_SHORT);
    if let Some(e) = &out.email
        && !is_valid_email(e)
    {
        errors.add_arg(&format!("{field}.email"), "invalid_email", Some(e.as_str()));
    }
    out
}

impl DatasetInput {
    pub fn validate(self) -> Result<DatasetFields, FieldErrors> {
        let mut errors = FieldErrors::default();

        let title = clean(self.title);
        if title.is_none() {
            errors.add("title", "required");
        }
        check_len(&mut errors, "title", &title, MAX_TITLE);
        let title = title.unwrap_or_default();

        let slug = match clean(self.slug) {
            Some(s) => s,
            None => slug::from_title(&title),
        };
        if !title.is_empty() && !slug::is_valid(&slug) {
            errors.add_arg("slug", "invalid_slug", Some(slug.as_str()));
        }

        let description = description(&mut errors, self.description);
        if description.is_empty() {
            errors.add("description", "required");
        }

        let mut keywords: Vec<String> = Vec::new();
        for k in self.keywords.unwrap_or_default() {
            let k = k.trim().to_string();
            if k.is_empty() {
                continue;
            }
            if k.chars().count() > 100 {
                errors.add_arg("keywords", "too_long", Some("100"));
            } else if !keywords.contains(&k) {
                keywords.push(k);
            }
        }
        if keywords.len() > MAX_KEYWORDS {
            errors.add_arg("keywords", "too_many", Some(MAX_KEYWORDS.to_string()));
        }

        let mut themes: Vec<String> = Vec::new();
        for t in self.themes.unwrap_or_default() {
            let code = t.trim().to_ascii_uppercase();
            if vocab::theme(&code).is_none() {
                errors.add_arg("themes", "unknown_theme", Some(t));
            } else if !themes.contains(&code) {
                themes.push(code);
            }
        }

        let license = clean(self.license);
        match &license {
            None => errors.add("license", "required"),
            Some(l) if vocab::license(l).is_none() => {
                errors.add_arg("license", "unknown_license", Some(l.as_str()))
            }
            _ => {}
        }

        let organization = clean(self.organization);
        if organization.is_none() {
            errors.add("organization", "required");
        }

        let contact = validate_contact(&mut errors, "contact", self.contact);
        let maintainer = validate_contact(&mut errors, "maintainer", self.maintainer);

        let issued = parse_date(&mut errors, "issued", self.issued.as_deref());
        let modified = parse_date(&mut errors, "modified", self.modified.as_deref());
        if let (Some(i), Some(m)) = (issued, modified)
            && m < i
        {
            errors.add("modified", "date_order");
        }
        let temporal_in = self.temporal.unwrap_or_default();
        let temporal = Temporal {
            start: parse_date(&mut errors, "temporal.start", temporal_in.start.as_deref()),
            end: parse_date(&mut errors, "temporal.end", temporal_in.end.as_deref()),
        };
        if let (Some(s), Some(e)) = (temporal.start, temporal.end)
            && e < s
        {
            errors.add("temporal.end", "date_order");
        }

        let spatial_in = self.spatial.unwrap_or_default();
        let spatial = Spatial {
            name: clean(spatial_in.name),
            ags: clean(spatial_in.ags),
            bbox: spatial_in.bbox,
        };
        check_len(&mut errors, "spatial.name", &spatial.name, MAX_SHORT);
        if let Some(a) = &spatial.ags
            && !is_valid_ags(a)
        {
            errors.add_arg("spatial.ags", "invalid_ags", Some(a.as_str()));
        }
        if let Some([w, s, e, n]) = spatial.bbox {
            let ok = [w, s, e, n].iter().all(|v| v.is_finite())
                && (-180.0..=180.0).contains(&w)
                && (-180.0..=180.0).contains(&e)
                && (-90.0..=90.0).contains(&s)
                && (-90.0..=90.0).contains(&n)
                && w <= e
                && s <= n;
            if !ok {
                errors.add("spatial.bbox", "invalid_bbox");
            }
        }

        let frequency = clean(self.frequency).map(|f| f.to_ascii_uppercase());
        if let Some(f) = &frequency
            && vocab::frequency(f).is_none()
        {
            errors.add_arg("frequency", "unknown_frequency", Some(f.as_str()));
        }

        let mut languages: Vec<String> = Vec::new();
        for l in self.languages.unwrap_or_else(|| vec!["DEU".into()]) {
            let code = l.trim().to_ascii_uppercase();
            if vocab::language(&code).is_none() {
                errors.add_arg("languages", "unknown_language", Some(l));
            } else if !languages.contains(&code) {
                languages.push(code);
            }
        }

        let landing_page = optional_url(&mut errors, "landing_page", self.landing_page);
        let version = clean(self.version);
        check_len(&mut errors, "version", &version, 100);

        let visibility = match clean(self.visibility) {
            None => Visibility::Public,
            Some(v) => Visibility::parse(&v).unwrap_or_else(|| {
                errors.add_arg("visibility", "invalid_visibility", Some(v.as_str()));
                Visibility::Public
            }),
        };

        let mut extras = BTreeMap::new();
        for (k, v) in self.extras.unwrap_or_default() {
            let k = k.trim().to_string();
            if k.is_empty() || k.len() > 100 {
                errors.add_arg("extras", "invalid_extra_key", Some(k));
                continue;
            }
            if v.len() > 10_000 {
                errors.add_arg("extras", "too_long", Some("10000"));
                continue;
            }
            extras.insert(k, v);
        }

        errors.into_result(DatasetFields {
            slug,
            title,
            description,
            keywords,
            themes,
            license: license.unwrap_or_default(),
            organization: organization.unwrap_or_default(),
            contact,
            maintainer,
            issued,
            modified,
            temporal,
            spatial,
            frequency,
            languages,
            landing_page,
            version,
            visibility,
            extras,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> DatasetInput {
        DatasetInput {
            title: Some("Baumkataster".into()),
            description: Some("Alle Bäume".into()),
            license: Some("dl-by-de/2.0".into()),
            organization: Some("stadt-aalen".into()),
            ..Default::default()
        }
    }

    #[test]
    fn minimal_is_valid_and_slug_is_derived() {
        let f = minimal().validate().unwrap();
        assert_eq!(f.slug, "baumkataster");
        assert_eq!(f.languages, vec!["DEU"]);
        assert_eq!(f.visibility, Visibility::Public);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let input = DatasetInput {
            slug: Some("Bad Slug".into()),
            themes: Some(vec!["XXX".into()]),
            license: Some("mit".into()),
            contact: Some(Contact {
                name: None,
                email: Some("nope".into()),
            }),
            issued: Some("31.02.2024".into()),
            landing_page: Some("javascript:alert(1)".into()),
            visibility: Some("secret".into()),
            frequency: Some("sometimes".into()),
            ..Default::default()
        };
        let errs = input.validate().unwrap_err();
        for field in [
            "title",
            "description",
            "organization",
            "themes",
            "license",
            "contact.email",
            "issued",
            "landing_page",
            "visibility",
            "frequency",
        ] {
            assert!(errs.0.contains_key(field), "{field} missing in {errs}");
        }
    }

    #[test]
    fn german_dates_are_accepted() {
        let mut input = minimal();
        input.issued = Some("31.12.2024".into());
        let f = input.validate().unwrap();
        assert_eq!(f.issued, NaiveDate::from_ymd_opt(2024, 12, 31));
    }

    #[test]
    fn email_and_url_rules() {
        assert!(is_valid_email("opendata@aalen.de"));
        assert!(!is_valid_email("a@b"));
        assert!(!is_valid_email("a b@aalen.de"));
        assert!(is_valid_url("https://www.aalen.de/"));
        assert!(!is_valid_url("ftp://x.de"));
        assert!(!is_valid_url("data:text/html,hi"));
    }
}
