//! The privacy check as the application sees it: the findings of a resource's newest read
//! table, for the members of its organization (never for the public: even masked examples
//! say something about the data).

use allmende_catalog::{Acknowledgement, NewAcknowledgement, TableVersion};
use allmende_core::authz::{Action, Actor};
use allmende_core::{Dataset, FieldErrors, Resource, Visibility};
use allmende_table::privacy::{Finding, PrivacyReport, Rule};
use uuid::Uuid;

use crate::access::require;
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
    /// Read, but held back until its high findings are acknowledged (a new file on a public
    /// dataset).
    pub held: bool,
    /// `None` when the version was read before the check existed (or is not read yet).
    pub report: Option<PrivacyReport>,
    /// The acknowledged findings of this version's file.
    pub acknowledgements: Vec<Acknowledgement>,
    /// High findings not acknowledged yet: what keeps the file from the public.
    pub blocking: Vec<BlockingFinding>,
}

/// A high finding that no acknowledgement covers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BlockingFinding {
    pub column: String,
    pub rule: Rule,
}

/// The high findings of `report` (on the file `sha256`) that no acknowledgement covers.
pub fn unacknowledged<'a>(
    report: &'a PrivacyReport,
    acks: &'a [Acknowledgement],
    sha256: &'a str,
) -> impl Iterator<Item = &'a Finding> {
    report.blocking().filter(move |f| {
        !acks
            .iter()
            .any(|a| a.source_sha256 == sha256 && a.column == f.column && a.rule == f.rule.code())
    })
}

/// The privacy check stored in a version's ingestion report (none before the check existed).
pub fn privacy_report(v: &TableVersion) -> Option<PrivacyReport> {
    v.report
        .as_ref()
        .and_then(|r| r.get("privacy"))
        .and_then(|p| serde_json::from_value(p.clone()).ok())
}

/// The check of a resource's newest finished version, from versions read in one go.
fn newest_checked(
    res: &Resource,
    versions: &[TableVersion],
    acks: &[Acknowledgement],
) -> Option<VersionPrivacy> {
    let v = versions
        .iter()
        .filter(|v| v.status == "done" || v.status == "held")
        .max_by_key(|v| v.version)?;
    let report = privacy_report(v);
    let blocking = report
        .as_ref()
        .map(|r| {
            unacknowledged(r, acks, &v.source_sha256)
                .map(|f| BlockingFinding {
                    column: f.column.clone(),
                    rule: f.rule,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(VersionPrivacy {
        version: v.version,
        serving: Some(v.id) == res.table_version,
        held: v.status == "held",
        report,
        acknowledgements: acks
            .iter()
            .filter(|a| a.source_sha256 == v.source_sha256)
            .cloned()
            .collect(),
        blocking,
    })
}

/// Whether a version newer than every finished one is still being read: its file is not
/// checked yet.
fn scan_pending(versions: &[TableVersion]) -> bool {
    let finished = versions
        .iter()
        .filter(|v| matches!(v.status.as_str(), "done" | "held" | "failed"))
        .map(|v| v.version)
        .max()
        .unwrap_or(0);
    versions
        .iter()
        .any(|v| v.version > finished && matches!(v.status.as_str(), "queued" | "running"))
}

/// What an admin acknowledges: one finding of a resource's newest file, and why it may go out.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct AcknowledgementInput {
    pub column: Option<String>,
    pub rule: Option<String>,
    pub reason: Option<String>,
}

/// Long enough for a legal basis and a sentence on why; short enough for an audit log.
const MAX_REASON_CHARS: usize = 2000;

impl App {
    /// The gate: a dataset that is not public yet may become public only when no file in it
    /// has unacknowledged high findings, and every file's check has finished. Every change of
    /// a dataset passes here (a new one has no files yet).
    pub(crate) async fn check_publication(
        &self,
        ds: &Dataset,
        target: Visibility,
    ) -> AppResult<()> {
        if target != Visibility::Public || ds.visibility == Visibility::Public {
            return Ok(());
        }
        let mut blockers = Vec::new();
        let mut pending = Vec::new();
        for res in self.catalog.resources_of(ds.id).await? {
            let versions = self.catalog.table_versions_of(res.id).await?;
            if scan_pending(&versions) {
                pending.push(res.title.clone());
                continue;
            }
            let acks = self.catalog.acknowledgements(res.id).await?;
            let Some(checked) = newest_checked(&res, &versions, &acks) else {
                continue;
            };
            blockers.extend(checked.blocking.into_iter().map(|f| Blocker {
                resource: res.id,
                resource_title: res.title.clone(),
                column: f.column,
                rule: f.rule,
            }));
        }
        if !blockers.is_empty() {
            Err(AppError::PrivacyBlocked(blockers))
        } else if !pending.is_empty() {
            Err(AppError::PrivacyPending(pending))
        } else {
            Ok(())
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
        let acks = self.catalog.acknowledgements(res.id).await?;
        let newest = newest_checked(&res, &versions, &acks);
        Ok((res, newest))
    }

    /// An organization admin lets one finding of a resource's newest file out, with a reason
    /// (written to the audit log). When that was the last unacknowledged high finding of a
    /// held file, the file and its table are served from now on.
    pub async fn acknowledge_finding(
        &self,
        actor: &Actor,
        id: &str,
        input: AcknowledgementInput,
    ) -> AppResult<(Resource, Option<VersionPrivacy>)> {
        let (res, ds) = self.editable_resource(actor, id).await?;
        require(
            actor,
            Action::AcknowledgeFindings {
                org: ds.organization_id,
            },
        )?;
        let mut errors = FieldErrors::default();
        let column = input.column.as_deref().map(str::trim).unwrap_or_default();
        let rule = input.rule.as_deref().map(str::trim).unwrap_or_default();
        let reason = input.reason.as_deref().map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            errors.add("reason", "required");
        } else if reason.chars().count() > MAX_REASON_CHARS {
            errors.add_arg("reason", "too_long", Some(MAX_REASON_CHARS.to_string()));
        }
        let (_, versions) = self
            .catalog
            .table_state(res.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let newest = versions
            .iter()
            .filter(|v| v.status == "done" || v.status == "held")
            .max_by_key(|v| v.version);
        let finding = newest.and_then(|v| {
            privacy_report(v)?
                .findings
                .into_iter()
                .find(|f| f.column == column && f.rule.code() == rule)
        });
        if finding.is_none() {
            errors.add("column", "no_such_finding");
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (Some(version), Some(finding)) = (newest, finding) else {
            return Err(AppError::Internal("validation state".into()));
        };
        let who = crate::access::audit_actor(actor);
        self.catalog
            .acknowledge_finding(
                &NewAcknowledgement {
                    resource_id: res.id,
                    source_sha256: &version.source_sha256,
                    column: &finding.column,
                    rule: finding.rule.code(),
                    reason,
                },
                &who,
            )
            .await?;
        if version.status == "held" {
            let acks = self.catalog.acknowledgements(res.id).await?;
            let report = privacy_report(version);
            let clear = report.as_ref().is_none_or(|r| {
                unacknowledged(r, &acks, &version.source_sha256)
                    .next()
                    .is_none()
            });
            if clear && self.catalog.release_held_version(version.id, &who).await? {
                tracing::info!(resource = %res.id, version = version.version, "released a held file");
            }
        }
        self.resource_privacy(actor, id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allmende_table::privacy::{Basis, Severity};
    use chrono::Utc;

    fn version(n: i64, status: &str) -> TableVersion {
        TableVersion {
            id: Uuid::new_v4(),
            resource_id: Uuid::nil(),
            version: n,
            source_sha256: format!("sha{n}"),
            source_name: None,
            options: serde_json::json!({}),
            status: status.into(),
            job_id: None,
            progress_rows: 0,
            parquet_sha256: None,
            parquet_size: None,
            row_count: None,
            report: None,
            message: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn a_file_being_read_is_not_checked_yet() {
        assert!(!scan_pending(&[]));
        assert!(!scan_pending(&[version(1, "done")]));
        assert!(scan_pending(&[version(2, "queued"), version(1, "done")]));
        assert!(scan_pending(&[version(1, "running")]));
        // An older version still queued behind a finished newer one changes nothing.
        assert!(!scan_pending(&[version(2, "held"), version(1, "queued")]));
        assert!(!scan_pending(&[version(2, "failed"), version(1, "done")]));
    }

    fn finding(column: &str, rule: Rule, severity: Severity) -> Finding {
        Finding {
            column: column.into(),
            position: 0,
            rule,
            severity,
            basis: Basis::Values,
            matched: 1,
            share: 1.0,
            examples: vec![],
        }
    }

    fn ack(sha: &str, column: &str, rule: Rule) -> Acknowledgement {
        Acknowledgement {
            id: Uuid::new_v4(),
            resource_id: Uuid::nil(),
            source_sha256: sha.into(),
            column: column.into(),
            rule: rule.code().into(),
            reason: "Wahlvorschlag".into(),
            user_id: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_acknowledgement_covers_one_finding_of_one_file() {
        let report = PrivacyReport {
            scanner: 1,
            rules: String::new(),
            rows: 3,
            findings: vec![
                finding("Name", Rule::PersonName, Severity::High),
                finding("Name", Rule::FreeText, Severity::High),
                finding("Telefon", Rule::BusinessContact, Severity::Low),
            ],
        };
        let open = |acks: &[Acknowledgement]| {
            unacknowledged(&report, acks, "a")
                .map(|f| (f.column.clone(), f.rule))
                .collect::<Vec<_>>()
        };
        assert_eq!(open(&[]).len(), 2, "low findings never block");
        assert_eq!(
            open(&[ack("a", "Name", Rule::PersonName)]),
            [("Name".to_string(), Rule::FreeText)]
        );
        assert_eq!(
            open(&[ack("b", "Name", Rule::PersonName)]).len(),
            2,
            "another file"
        );
        assert_eq!(open(&[ack("a", "Vorname", Rule::PersonName)]).len(), 2);
        assert!(
            open(&[
                ack("a", "Name", Rule::PersonName),
                ack("a", "Name", Rule::FreeText)
            ])
            .is_empty()
        );
    }
}
