//! The privacy check as the application sees it: the findings of a resource's newest read
//! table, for the members of its organization (never for the public: even masked examples
//! say something about the data).

use allmende_core::authz::Actor;
use allmende_core::{Dataset, Resource, Visibility};
use allmende_table::privacy::{PrivacyReport, Rule};
use uuid::Uuid;

use crate::{App, AppError, AppResult};

/// A high finding that keeps a dataset from becoming public.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Blocker {
    pub resource: Uuid,
    pub resource_title: String,
    pub column: String,
    pub rule: Rule,
}

impl Blocker {
    /// "File „…“, column „…“: person name", in any language.
    pub fn message(&self) -> allmende_core::i18n::Msg {
        use allmende_core::i18n::Msg;
        Msg::new("privacy.blocker")
            .arg("resource", &self.resource_title)
            .arg("column", &self.column)
            .msg(
                "rule",
                Msg::new(&format!("privacy.rule.{}", self.rule.code())),
            )
    }
}

/// The check of one table version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionPrivacy {
    pub version: i64,
    /// Whether this version is the one served now.
    pub serving: bool,
    /// `None` when the version was read before the check existed (or is not read yet).
    pub report: Option<PrivacyReport>,
}

/// The check of a resource's newest finished version, from versions read in one go.
fn newest_checked(
    res: &Resource,
    versions: &[allmende_catalog::TableVersion],
) -> Option<VersionPrivacy> {
    versions
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
        })
}

impl App {
    /// The gate: a dataset that is not public yet may become public only when no file in it
    /// has high findings. Every change of a dataset passes here (a new one has no files yet).
    pub(crate) async fn check_publication(
        &self,
        ds: &Dataset,
        target: Visibility,
    ) -> AppResult<()> {
        if target != Visibility::Public || ds.visibility == Visibility::Public {
            return Ok(());
        }
        let mut blockers = Vec::new();
        for res in self.catalog.resources_of(ds.id).await? {
            let versions = self.catalog.table_versions_of(res.id).await?;
            let Some(report) = newest_checked(&res, &versions).and_then(|v| v.report) else {
                continue;
            };
            blockers.extend(report.blocking().map(|f| Blocker {
                resource: res.id,
                resource_title: res.title.clone(),
                column: f.column.clone(),
                rule: f.rule,
            }));
        }
        if blockers.is_empty() {
            Ok(())
        } else {
            Err(AppError::PrivacyBlocked(blockers))
        }
    }

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
        let newest = newest_checked(&res, &versions);
        Ok((res, newest))
    }
}
