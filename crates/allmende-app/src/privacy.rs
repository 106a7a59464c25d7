//! The privacy check as the application sees it: the findings of a resource's newest read
//! table, for the members of its organization (never for the public: even masked examples
//! say something about the data).

use allmende_core::Resource;
use allmende_core::authz::Actor;
use allmende_table::privacy::PrivacyReport;

use crate::{App, AppResult};

/// The check of one table version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionPrivacy {
    pub version: i64,
    /// Whether this version is the one served now.
    pub serving: bool,
    /// `None` when the version was read before the check existed (or is not read yet).
    pub report: Option<PrivacyReport>,
}

impl App {
    /// The newest finished version's check, for someone who may change the resource.
    pub async fn resource_privacy(
        &self,
        actor: &Actor,
        id: &str,
    ) -> AppResult<(Resource, Option<VersionPrivacy>)> {
        let (res, _) = self.editable_resource(actor, id).await?;
        let Some((res, versions)) = self.catalog.table_state(res.id).await? else {
            return Ok((res, None));
        };
        let newest = versions
            .iter()
            .filter(|v| v.status == "done")
            .max_by_key(|v| v.version)
            .map(|v| VersionPrivacy {
                version: v.version,
                serving: Some(v.id) == res.table_version,
                report: v
                    .report
                    .as_ref()
                    .and_then(|r| r.get("privacy"))
                    .and_then(|p| serde_json::from_value(p.clone()).ok()),
            });
        Ok((res, newest))
    }
}
