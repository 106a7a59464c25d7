//! The one visibility rule, as every front door applies it: who may see or change a dataset,
//! its resources and its table. Derived from `allmende_core::authz::decide`; "public" is what
//! an anonymous visitor may read, never a second copy of the condition.

use allmende_core::authz::{Action, Actor, Decision, decide};
use allmende_core::{Dataset, Resource};
use uuid::Uuid;

use crate::{App, AppError, AppResult};

/// Who acts, as the audit log and the revisions name them.
pub fn audit_actor(actor: &Actor) -> allmende_catalog::AuditActor<'_> {
    allmende_catalog::AuditActor {
        id: actor.user_id,
        name: actor.user_name.as_deref(),
    }
}

/// Turns a decision into a result; a refused anonymous caller is asked to authenticate.
pub fn require(actor: &Actor, action: Action) -> AppResult<()> {
    match decide(actor, action) {
        Decision::Allow => Ok(()),
        Decision::NotFound => Err(AppError::NotFound),
        Decision::Forbidden if !actor.is_authenticated() => Err(AppError::Unauthorized),
        Decision::Forbidden => Err(AppError::Forbidden),
    }
}

pub fn read_action(ds: &Dataset) -> Action {
    Action::ReadDataset {
        org: ds.organization_id,
        visibility: ds.visibility,
        deleted: ds.deleted,
    }
}

pub fn edit_action(ds: &Dataset) -> Action {
    Action::EditDataset {
        org: ds.organization_id,
        visibility: ds.visibility,
        deleted: ds.deleted,
    }
}

/// Whether anyone may see the dataset (public and not deleted): what DCAT, the sitemap,
/// JSON-LD, data packages and the SQL endpoint may show.
pub fn is_public(ds: &Dataset) -> bool {
    decide(&Actor::anonymous(), read_action(ds)).allowed()
}

impl App {
    /// A dataset the actor may see, or `NotFound`.
    pub async fn visible_dataset(&self, actor: &Actor, id_or_slug: &str) -> AppResult<Dataset> {
        let ds = self
            .catalog
            .dataset(id_or_slug)
            .await?
            .ok_or(AppError::NotFound)?;
        require(actor, read_action(&ds))?;
        Ok(ds)
    }

    /// A resource and its dataset, if the actor may see the dataset.
    pub async fn visible_resource(
        &self,
        actor: &Actor,
        id: &str,
    ) -> AppResult<(Resource, Dataset)> {
        let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
        let res = self.catalog.resource(id).await?.ok_or(AppError::NotFound)?;
        let ds = self
            .visible_dataset(actor, &res.dataset_id.to_string())
            .await?;
        Ok((res, ds))
    }

    /// A resource the actor may change, with its dataset (an invisible one is `NotFound`).
    pub async fn editable_resource(
        &self,
        actor: &Actor,
        id: &str,
    ) -> AppResult<(Resource, Dataset)> {
        let (res, ds) = self.visible_resource(actor, id).await?;
        require(actor, edit_action(&ds))?;
        Ok((res, ds))
    }

    /// A dataset the actor may change (visible first: an invisible one is `NotFound`).
    pub async fn editable_dataset(&self, actor: &Actor, id_or_slug: &str) -> AppResult<Dataset> {
        let ds = self.visible_dataset(actor, id_or_slug).await?;
        require(actor, edit_action(&ds))?;
        Ok(ds)
    }
}
