//! Datasets: what publishing one needs beyond the catalog's own checks.

use allmende_core::authz::{Action, Actor, read_scope};
use allmende_core::validate::{DatasetFields, DatasetInput};
use allmende_core::{Dataset, FieldErrors, ReleaseChecklist, Visibility};

use crate::access::require;
use crate::{App, AppError, AppResult};

impl App {
    /// Validates input and resolves the organization, checking the caller may publish there.
    pub async fn prepare_dataset(
        &self,
        actor: &Actor,
        input: DatasetInput,
    ) -> AppResult<(DatasetFields, uuid::Uuid)> {
        let org_given = input.organization.clone();
        let fields = input.validate();
        let org = match org_given
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(slug) => self.catalog.organization(slug, &read_scope(actor)).await?,
            None => None,
        };
        // Who may publish here comes first: a caller without the right learns that, not which
        // fields are missing.
        if let Some(org) = &org {
            require(actor, Action::CreateDataset { org: org.id })?;
        }
        let mut errors = match &fields {
            Ok(_) => FieldErrors::default(),
            Err(e) => e.clone(),
        };
        if org.is_none() && org_given.as_deref().is_some_and(|s| !s.trim().is_empty()) {
            errors.add_arg("organization", "unknown_organization", org_given.clone());
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let (Ok(fields), Some(org)) = (fields, org) else {
            return Err(AppError::Internal("validation state".into()));
        };
        Ok((fields, org.id))
    }

    /// Creates a dataset in an organization where the caller may publish.
    pub async fn create_dataset(&self, actor: &Actor, input: DatasetInput) -> AppResult<Dataset> {
        if !actor.is_authenticated() {
            return Err(AppError::Unauthorized);
        }
        let checklist = input.release_checklist.clone();
        let (fields, org_id) = self.prepare_dataset(actor, input).await?;
        let first_release = fields.visibility == Visibility::Public;
        if first_release {
            require_checklist(checklist.as_ref())?;
        }
        let by = crate::access::audit_actor(actor);
        let created = self.catalog.create_dataset_by(&fields, org_id, &by).await?;
        if first_release {
            self.record_publication(actor, &created, None, checklist.as_ref())
                .await;
        }
        Ok(self
            .catalog
            .dataset(&created.id.to_string())
            .await?
            .unwrap_or(created))
    }

    /// Replaces a dataset's metadata (the caller has checked it may edit `current`). The first
    /// publication needs the release checklist and passes the privacy gate.
    pub async fn update_dataset(
        &self,
        actor: &Actor,
        current: &Dataset,
        input: DatasetInput,
    ) -> AppResult<Dataset> {
        let checklist = input.release_checklist.clone();
        let (fields, org_id) = self.prepare_dataset(actor, input).await?;
        let publishing =
            fields.visibility == Visibility::Public && current.visibility != Visibility::Public;
        if publishing && current.released_at.is_none() {
            require_checklist(checklist.as_ref())?;
        }
        self.check_publication(current, fields.visibility).await?;
        let by = crate::access::audit_actor(actor);
        let updated = self
            .catalog
            .update_dataset_by(current.id, &fields, org_id, &by)
            .await?;
        let was = current.visibility;
        if was != updated.visibility
            && (was == Visibility::Public || updated.visibility == Visibility::Public)
        {
            let checklist = checklist.filter(|_| current.released_at.is_none());
            self.record_publication(actor, &updated, Some(was), checklist.as_ref())
                .await;
        }
        Ok(self
            .catalog
            .dataset(&updated.id.to_string())
            .await?
            .unwrap_or(updated))
    }

    /// Publications and withdrawals go to the audit log; a first publication also records its
    /// checklist on the dataset.
    async fn record_publication(
        &self,
        actor: &Actor,
        ds: &Dataset,
        was: Option<Visibility>,
        checklist: Option<&ReleaseChecklist>,
    ) {
        let who = crate::access::audit_actor(actor);
        let detail = serde_json::json!({
            "slug": ds.slug, "from": was.map(Visibility::as_str), "to": ds.visibility.as_str(),
        });
        let written = match (ds.visibility, checklist) {
            (Visibility::Public, Some(c)) => self
                .catalog
                .record_release(ds.id, &who, c, &detail)
                .await
                .map(|_| ()),
            (Visibility::Public, None) => {
                self.catalog
                    .audit(&who, "dataset.publish", "dataset", ds.id, &detail)
                    .await
            }
            _ => {
                self.catalog
                    .audit(&who, "dataset.unpublish", "dataset", ds.id, &detail)
                    .await
            }
        };
        if let Err(e) = written {
            tracing::error!(error = %e, dataset = %ds.id, "could not write the audit log");
        }
    }
}

/// The first publication needs every item of the release checklist confirmed.
pub(crate) fn require_checklist(checklist: Option<&ReleaseChecklist>) -> AppResult<()> {
    let c = checklist.cloned().unwrap_or_default();
    let mut errors = FieldErrors::default();
    for (confirmed, code) in [
        (c.no_personal_data, "release_no_personal_data"),
        (c.no_secrets, "release_no_secrets"),
        (c.rights_cleared, "release_rights_cleared"),
        (c.licence_applicable, "release_licence_applicable"),
    ] {
        if !confirmed {
            errors.add("release_checklist", code);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}
