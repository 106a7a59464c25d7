//! Accounts: who may publish where, one's own API tokens, and the audit entries that say who
//! changed it (`membership.set`, `membership.remove`, `token.create`, `token.revoke`) and who
//! signed in (`user.login`).

use allmende_catalog::AuditActor;
use allmende_core::authz::{Action, Actor};
use allmende_core::{ApiTokenInfo, FieldErrors, Membership, Organization, Role, User, time};

use crate::access::{audit_actor, require};
use crate::{App, AppError, AppResult};

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
            .audit(
                &audit_actor(actor),
                "membership.set",
                "user",
                user.id,
                &detail,
            )
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
            .audit(
                &audit_actor(actor),
                "membership.remove",
                "user",
                user.id,
                &detail,
            )
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

/// Active API tokens one account may hold: enough for every script and machine, and a bound
/// on what a signed-in account can make the database keep.
pub const MAX_ACTIVE_TOKENS: usize = 50;

impl App {
    /// The caller's own API tokens (revoked ones included, marked).
    pub async fn own_tokens(&self, actor: &Actor) -> AppResult<Vec<ApiTokenInfo>> {
        let user = actor.user_id.ok_or(AppError::Unauthorized)?;
        Ok(self.catalog.tokens(user).await?)
    }

    /// A new API token for the caller; the secret is returned once. `expires_days` 1–3650 or
    /// none.
    pub async fn create_own_token(
        &self,
        actor: &Actor,
        name: &str,
        expires_days: Option<i64>,
    ) -> AppResult<(ApiTokenInfo, String)> {
        let user = actor.user_id.ok_or(AppError::Unauthorized)?;
        if expires_days.is_some_and(|d| !(1..=3650).contains(&d)) {
            return Err(AppError::Validation(FieldErrors::single(
                "expires_days",
                "out_of_range",
            )));
        }
        let active = self
            .catalog
            .tokens(user)
            .await?
            .iter()
            .filter(|t| !t.revoked && t.expires_at.is_none_or(|e| e > time::now()))
            .count();
        if active >= MAX_ACTIVE_TOKENS {
            return Err(AppError::Validation(FieldErrors::single(
                "name",
                "too_many_tokens",
            )));
        }
        let expires = expires_days.map(|d| time::now() + chrono::Duration::days(d));
        let (info, secret) = self.catalog.create_token(user, name, expires).await?;
        let detail = serde_json::json!({
            "user": actor.user_name, "token": info.name, "token_id": info.id,
            "expires": info.expires_at,
        });
        self.catalog
            .audit(&audit_actor(actor), "token.create", "user", user, &detail)
            .await?;
        Ok((info, secret))
    }

    /// Revokes one of the caller's tokens by id; `false` when there was no such active one
    /// (revoking twice is no error).
    pub async fn revoke_own_token(&self, actor: &Actor, id: uuid::Uuid) -> AppResult<bool> {
        let user = actor.user_id.ok_or(AppError::Unauthorized)?;
        if self.catalog.revoke_token(user, &id.to_string()).await? == 0 {
            return Ok(false);
        }
        let detail = serde_json::json!({ "user": actor.user_name, "token_id": id });
        self.catalog
            .audit(&audit_actor(actor), "token.revoke", "user", user, &detail)
            .await?;
        Ok(true)
    }
}
