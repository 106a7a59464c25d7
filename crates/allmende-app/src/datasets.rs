//! Datasets: what publishing one needs beyond the catalog's own checks.

use allmende_core::authz::{Action, Actor, read_scope};
use allmende_core::validate::{DatasetFields, DatasetInput};
use allmende_core::{Dataset, FieldErrors};

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
        let (fields, org_id) = self.prepare_dataset(actor, input).await?;
        Ok(self.catalog.create_dataset(&fields, org_id).await?)
    }

    /// Replaces a dataset's metadata (the caller has checked it may edit `current`).
    pub async fn update_dataset(
        &self,
        actor: &Actor,
        current: &Dataset,
        input: DatasetInput,
    ) -> AppResult<Dataset> {
        let (fields, org_id) = self.prepare_dataset(actor, input).await?;
        self.check_publication(current, fields.visibility).await?;
        Ok(self
            .catalog
            .update_dataset(current.id, &fields, org_id)
            .await?)
    }
}
