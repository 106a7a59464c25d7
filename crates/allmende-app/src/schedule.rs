//! Publication at a date: a publisher plans it (with the release checklist, when it is the first
//! publication), and when it is due the dataset is published in that publisher's name through
//! the same gate as any publication. A plan the gate refuses (findings, a file still being read,
//! rights lost in the meantime) is dropped, the dataset stays as it was, and the audit log says
//! why (`dataset.publish_refused`).

use std::time::Duration;

use allmende_catalog::{AuditActor, ScheduledPublication};
use allmende_core::authz::Actor;
use allmende_core::validate::DatasetInput;
use allmende_core::{Dataset, FieldErrors, ReleaseChecklist, Visibility, time};
use chrono::{DateTime, Utc};

use crate::{App, AppError, AppResult};

/// How far ahead a publication may be planned.
const MAX_AHEAD_DAYS: i64 = 366;

impl App {
    /// Plans the publication of a dataset that is not public yet (replacing an earlier plan).
    pub async fn schedule_publication(
        &self,
        actor: &Actor,
        ds: &Dataset,
        due_at: DateTime<Utc>,
        checklist: ReleaseChecklist,
    ) -> AppResult<ScheduledPublication> {
        let user_id = actor.user_id.ok_or(AppError::Unauthorized)?;
        let ds = self.editable_dataset(actor, &ds.id.to_string()).await?;
        if ds.visibility == Visibility::Public {
            return Err(AppError::Validation(FieldErrors::single(
                "publish_at",
                "already_public",
            )));
        }
        let now = time::now();
        if due_at <= now || due_at > now + chrono::Duration::days(MAX_AHEAD_DAYS) {
            return Err(AppError::Validation(FieldErrors::single(
                "publish_at",
                "out_of_range",
            )));
        }
        if ds.released_at.is_none() {
            crate::datasets::require_checklist(Some(&checklist))?;
        }
        let plan = ScheduledPublication {
            dataset_id: ds.id,
            due_at,
            user_id,
            checklist,
        };
        self.catalog.schedule_publication(&plan).await?;
        let detail = serde_json::json!({ "slug": ds.slug, "due_at": due_at });
        let who = crate::access::audit_actor(actor);
        self.catalog
            .audit(&who, "dataset.schedule", "dataset", ds.id, &detail)
            .await?;
        Ok(plan)
    }

    /// Drops a dataset's plan (those who may change the dataset).
    pub async fn cancel_publication(&self, actor: &Actor, ds: &Dataset) -> AppResult<bool> {
        let ds = self.editable_dataset(actor, &ds.id.to_string()).await?;
        Ok(self.catalog.cancel_publication(ds.id).await?)
    }

    /// Publishes what is due; returns how many were published. A refused one is dropped and
    /// written to the audit log with the reason.
    pub async fn publish_due(&self) -> AppResult<usize> {
        let mut published = 0;
        for plan in self.catalog.due_publications(time::now(), 100).await? {
            // Whatever happens next, this plan has had its turn; taking it is also the claim:
            // of several nodes looking at once, only the one whose delete removed it goes on.
            if !self.catalog.cancel_publication(plan.dataset_id).await? {
                continue;
            }
            let refused = match self.publish_planned(&plan).await {
                Ok(()) => {
                    published += 1;
                    continue;
                }
                Err(e) => e,
            };
            let reason = match &refused {
                AppError::PrivacyBlocked(_) => "privacy_findings".to_string(),
                AppError::PrivacyPending(_) => "privacy_check_running".to_string(),
                AppError::Forbidden | AppError::Unauthorized => "no_longer_allowed".to_string(),
                AppError::NotFound => "gone".to_string(),
                other => other.to_string(),
            };
            tracing::info!(dataset = %plan.dataset_id, %reason, "planned publication refused");
            let detail = serde_json::json!({ "due_at": plan.due_at, "reason": reason });
            self.catalog
                .audit(
                    &AuditActor {
                        id: Some(plan.user_id),
                        name: None,
                    },
                    "dataset.publish_refused",
                    "dataset",
                    plan.dataset_id,
                    &detail,
                )
                .await?;
        }
        Ok(published)
    }

    /// Publishes one plan as the publisher who made it (with their rights as they are now).
    async fn publish_planned(&self, plan: &ScheduledPublication) -> AppResult<()> {
        let user = self
            .catalog
            .user(&plan.user_id.to_string())
            .await?
            .ok_or(AppError::Forbidden)?;
        let actor = self.catalog.actor_for_user(&user).await?;
        let ds = self
            .editable_dataset(&actor, &plan.dataset_id.to_string())
            .await?;
        if ds.deleted || ds.visibility == Visibility::Public {
            return Ok(());
        }
        let mut input = DatasetInput::from(&ds);
        input.visibility = Some(Visibility::Public.as_str().to_string());
        input.release_checklist = Some(plan.checklist.clone());
        self.update_dataset(&actor, &ds, input).await?;
        Ok(())
    }

    /// Looks for due publications every `every` (until the handle is aborted: the task holds
    /// the application, and with it the search index's writer).
    pub fn spawn_publisher(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                match app.publish_due().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(datasets = n, "published as planned"),
                    Err(e) => tracing::warn!(error = %e, "planned publications failed"),
                }
                tokio::time::sleep(every).await;
            }
        })
    }
}
