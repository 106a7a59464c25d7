//! Accounts in organizations: who may publish where, and the audit entries that say who
//! changed it (`membership.set`, `membership.remove`) and who signed in (`user.login`).

use allmende_catalog::AuditActor;
use allmende_core::authz::{Action, Actor};
use allmende_core::{FieldErrors, Membership, Organization, Role, User};

use crate::access::require;
use crate::{App, AppError, AppResult};

fn who(actor: &Actor) -> AuditActor<'_> {
    AuditActor {
        id: actor.user_id,
        name: actor.user_name.as_deref(),
    }
}

impl App {
    /// Adds a user to an organization or changes their role (its admins and sysadmins).
    pub async fn set_member(
        &self,
        actor: &Actor,
        org: &Organization,
        user_name: &str,
        role: Role,
    ) -> AppResult<Membership> {
        require(actor, Action::ManageOrganization { org: org.id })?;
        let user: User = self
            .catalog
            .user(user_name)
            .await?
            .ok_or_else(|| AppError::Validation(FieldErrors::single("user", "unknown_user")))?;
        self.catalog.set_membership(user.id, org.id, role).await?;
        let detail = serde_json::json!({
            "user": user.name, "organization": org.slug, "role": role.as_str(),
        });
        self.catalog
            .audit(&who(actor), "membership.set", "user", user.id, &detail)
            .await?;
        Ok(Membership {
            user: user.name,
            organization: org.slug.clone(),
            role,
        })
    }

    /// Takes a user out of an organization; `NotFound` when they were not in it.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        org: &Organization,
        user_name: &str,
    ) -> AppResult<()> {
        require(actor, Action::ManageOrganization { org: org.id })?;
        let user = self
            .catalog
            .user(user_name)
            .await?
            .ok_or(AppError::NotFound)?;
        if !self.catalog.remove_membership(user.id, org.id).await? {
            return Err(AppError::NotFound);
        }
        let detail = serde_json::json!({ "user": user.name, "organization": org.slug });
        self.catalog
            .audit(&who(actor), "membership.remove", "user", user.id, &detail)
            .await?;
        Ok(())
    }

    /// A successful sign-in, for the audit log (failures are counted by the login limiter and
    /// logged, not kept: a stranger must not be able to fill the audit log).
    pub async fn record_login(&self, user: &User) -> AppResult<()> {
        let by = AuditActor {
            id: Some(user.id),
            name: Some(&user.name),
        };
        self.catalog
            .audit(&by, "user.login", "user", user.id, &serde_json::json!({}))
            .await?;
        Ok(())
    }
}
