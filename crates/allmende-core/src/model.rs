//! Catalog entities as the rest of the system sees them (DCAT-AP.de-aligned).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who may see a dataset. Deletion is a separate flag (soft delete), so a deleted dataset keeps
/// its visibility for when it is restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Private,
    Draft,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Draft => "draft",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "private" => Some(Self::Private),
            "draft" => Some(Self::Draft),
            _ => None,
        }
    }
}

/// A user's role in one organization; each role includes the ones below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the organization's private and draft datasets.
    Member,
    /// Creates and edits the organization's datasets.
    Editor,
    /// Manages the organization and its members.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Editor => "editor",
            Self::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "editor" => Some(Self::Editor),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A publisher (`foaf:Agent`): a city, a utility, a university.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub website: Option<String>,
    pub email: Option<String>,
    /// Amtlicher Gemeindeschlüssel (8 digits), e.g. `08136088` for Aalen.
    pub ags: Option<String>,
    /// Publisher type code, see `GET /api/v1/organization-types`.
    #[serde(rename = "type")]
    pub org_type: String,
    /// Download URL of the logo, if one was uploaded.
    pub logo_url: Option<String>,
    #[serde(skip)]
    pub logo_sha256: Option<String>,
    #[serde(skip)]
    pub logo_media_type: Option<String>,
    /// Number of datasets the caller can see.
    pub dataset_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Spatial coverage (`dct:spatial`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Spatial {
    /// Place name, e.g. `Aalen`.
    #[serde(default)]
    pub name: Option<String>,
    /// Amtlicher Gemeindeschlüssel.
    #[serde(default)]
    pub ags: Option<String>,
    /// Bounding box `[west, south, east, north]` in WGS 84.
    #[serde(default)]
    pub bbox: Option<[f64; 4]>,
}

impl Spatial {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.ags.is_none() && self.bbox.is_none()
    }
}

/// Temporal coverage (`dct:temporal`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Temporal {
    #[serde(default)]
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub end: Option<NaiveDate>,
}

/// A contact point (`dcat:contactPoint`, a vCard).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Contact {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none()
    }
}

/// A dataset (`dcat:Dataset`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Dataset {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub keywords: Vec<String>,
    /// EU data theme codes.
    pub themes: Vec<String>,
    /// DCAT-AP.de licence id.
    pub license: String,
    /// Slug of the publishing organization.
    pub organization: String,
    #[serde(skip)]
    pub organization_id: Uuid,
    pub organization_name: String,
    pub contact: Contact,
    pub maintainer: Contact,
    pub issued: Option<NaiveDate>,
    pub modified: Option<NaiveDate>,
    pub temporal: Temporal,
    pub spatial: Spatial,
    /// EU frequency code.
    pub frequency: Option<String>,
    /// EU language codes.
    pub languages: Vec<String>,
    pub landing_page: Option<String>,
    pub version: Option<String>,
    pub visibility: Visibility,
    pub deleted: bool,
    pub extras: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the dataset was first published (with the release checklist confirmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub resources: Option<Vec<Resource>>,
}

/// What a publisher confirms before a dataset is published for the first time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReleaseChecklist {
    /// The data holds no personal data (or only what a law allows to publish).
    #[serde(default)]
    pub no_personal_data: bool,
    /// No trade or business secrets.
    #[serde(default)]
    pub no_secrets: bool,
    /// Rights of third parties are cleared.
    #[serde(default)]
    pub rights_cleared: bool,
    /// The licence applies to all of the data.
    #[serde(default)]
    pub licence_applicable: bool,
}

impl ReleaseChecklist {
    /// The items by their field names, in the order forms show them.
    pub const ITEMS: [&'static str; 4] = [
        "no_personal_data",
        "no_secrets",
        "rights_cleared",
        "licence_applicable",
    ];

    pub fn complete(&self) -> bool {
        self.no_personal_data && self.no_secrets && self.rights_cleared && self.licence_applicable
    }

    /// Sets an item by its field name (forms send them one by one).
    pub fn set(&mut self, item: &str, value: bool) {
        match item {
            "no_personal_data" => self.no_personal_data = value,
            "no_secrets" => self.no_secrets = value,
            "rights_cleared" => self.rights_cleared = value,
            "licence_applicable" => self.licence_applicable = value,
            _ => {}
        }
    }
}

/// Ingestion state of a resource; later issues move resources through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProcessingStatus {
    /// Nothing to process (documents, links).
    None,
    Pending,
    Running,
    Done,
    Failed,
    /// Read, but held back: a new file on a public dataset with high privacy findings waits
    /// until an organization admin acknowledges them (or replaces the file).
    Held,
}

impl ProcessingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Held => "held",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "done" => Self::Done,
            "failed" => Self::Failed,
            "held" => Self::Held,
            _ => Self::None,
        }
    }
}

/// A resource (`dcat:Distribution`): an uploaded file or a link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Resource {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub title: String,
    pub description: String,
    /// External URL for links; absent for uploads.
    pub url: Option<String>,
    /// Where to download it: the file endpoint for uploads, the external URL for links.
    pub download_url: String,
    /// Original file name of an upload.
    pub file_name: Option<String>,
    /// EU file-type code.
    pub format: Option<String>,
    pub media_type: Option<String>,
    pub byte_size: Option<i64>,
    pub sha256: Option<String>,
    /// Licence id; `null` means the dataset's licence applies.
    pub license: Option<String>,
    pub position: i64,
    pub status: ProcessingStatus,
    /// Why processing failed or what it noticed, as stored (see `i18n::Msg`); written out in
    /// the reader's language.
    #[serde(serialize_with = "crate::i18n::serialize_stored")]
    pub status_message: Option<String>,
    /// The table version served by the records, SQL and export APIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_version: Option<Uuid>,
    /// The table's name in the SQL API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A new file of a table on a public dataset whose privacy check has not let it out yet:
    /// its metadata shows, the file itself is not served.
    #[serde(default)]
    pub withheld: bool,
    /// For a link: the HTTP status the link checker last got (0: no answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_checked_at: Option<DateTime<Utc>>,
}

impl Resource {
    pub fn is_upload(&self) -> bool {
        self.sha256.is_some() && self.url.is_none()
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub display_name: String,
    pub email: Option<String>,
    pub sysadmin: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Membership {
    pub user: String,
    pub organization: String,
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiTokenInfo {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// One entry of the change log that search, DCAT paging and multi-node sync follow.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    pub seq: i64,
    pub entity: String,
    pub entity_id: Uuid,
    pub action: String,
    pub at: DateTime<Utc>,
}

/// A page of a list, the shape every list endpoint answers with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    pub items: Vec<T>,
}
