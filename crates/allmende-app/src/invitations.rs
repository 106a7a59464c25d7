//! Inviting someone who has no account yet: an organization admin creates the account as a
//! member, receives a one-time link to hand over (there is no mail server to rely on), and
//! the invited person chooses their password through it. Audited as `user.invite` and
//! `user.activate`.

use allmende_core::authz::{Action, Actor};
use allmende_core::{FieldErrors, Organization, Role, User, time};
use chrono::{DateTime, Duration, Utc};

use crate::access::{audit_actor, require};
use crate::{App, AppError, AppResult};

/// How long a link works: long enough for a holiday, short enough that a forgotten link
/// does not stay a way in.
pub const INVITATION_DAYS: i64 = 7;

/// A link's secret, to be shown once to the admin who asked for it.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub user: User,
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// Who is invited, as typed by the admin.
#[derive(Debug, Clone)]
pub struct Invitee<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub email: Option<&'a str>,
    pub role: Role,
}

impl App {
    /// Creates the account, makes it a member of `org` and returns its one-time link.
    pub async fn invite_member(
        &self,
        actor: &Actor,
        org: &Organization,
        invitee: &Invitee<'_>,
    ) -> AppResult<Invitation> {
        require(actor, Action::ManageOrganization { org: org.id })?;
        let ttl = Duration::days(INVITATION_DAYS);
        let (user, secret) = self
            .catalog
            .invite_user(
                invitee.name,
                invitee.display_name,
                invitee.email,
                actor.user_id,
                ttl,
            )
            .await
            .map_err(|e| match e {
                allmende_catalog::CatalogError::Conflict(_) => {
                    AppError::Validation(FieldErrors::single("name", "user_exists"))
                }
                other => other.into(),
            })?;
        self.catalog
            .set_membership(user.id, org.id, invitee.role)
            .await?;
        let detail = serde_json::json!({
            "user": user.name, "organization": org.slug, "role": invitee.role.as_str(),
        });
        self.issued(actor, user, secret, ttl, detail).await
    }

    /// A link just made: audited as `user.invite`, returned to be shown once.
    async fn issued(
        &self,
        actor: &Actor,
        user: User,
        secret: String,
        ttl: Duration,
        detail: serde_json::Value,
    ) -> AppResult<Invitation> {
        self.catalog
            .audit(&audit_actor(actor), "user.invite", "user", user.id, &detail)
            .await?;
        Ok(Invitation {
            user,
            secret,
            expires_at: time::now() + ttl,
        })
    }

    /// A new link for a member of `org` who has not used theirs; the old one stops working.
    /// An account with a password gets none (resetting it is the system administration's).
    pub async fn renew_invitation(
        &self,
        actor: &Actor,
        org: &Organization,
        user_name: &str,
    ) -> AppResult<Invitation> {
        require(actor, Action::ManageOrganization { org: org.id })?;
        let user = self
            .catalog
            .user(user_name)
            .await?
            .ok_or(AppError::NotFound)?;
        let member = self
            .catalog
            .members(org.id)
            .await?
            .iter()
            .any(|m| m.user == user.name);
        if !member {
            return Err(AppError::NotFound);
        }
        let ttl = Duration::days(INVITATION_DAYS);
        let secret = self
            .catalog
            .renew_invitation(user.id, actor.user_id, ttl)
            .await
            .map_err(|e| match e {
                allmende_catalog::CatalogError::NotFound => {
                    AppError::Validation(FieldErrors::single("user", "account_active"))
                }
                other => other.into(),
            })?;
        let detail = serde_json::json!({ "user": user.name, "organization": org.slug });
        self.issued(actor, user, secret, ttl, detail).await
    }

    /// The account a link is for, while it is valid.
    pub async fn invited_user(&self, secret: &str) -> AppResult<Option<User>> {
        Ok(self.catalog.invited_user(secret).await?)
    }

    /// Sets the password through the link; `NotFound` when the link is unknown, used or
    /// expired.
    pub async fn accept_invitation(&self, secret: &str, password: &str) -> AppResult<User> {
        let user = self
            .catalog
            .accept_invitation(secret, password)
            .await
            .map_err(|e| match e {
                allmende_catalog::CatalogError::NotFound => AppError::NotFound,
                other => other.into(),
            })?;
        let by = allmende_catalog::AuditActor {
            id: Some(user.id),
            name: Some(&user.name),
        };
        self.catalog
            .audit(
                &by,
                "user.activate",
                "user",
                user.id,
                &serde_json::json!({}),
            )
            .await?;
        Ok(user)
    }
}
