//! Invitations: an account without a password and a one-time link with which its owner sets
//! one. The link's secret is kept only as a hash, like API tokens and sessions.

use allmende_core::{User, time};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::users::{USER_SELECT, UserRow, check_account, hash_blocking};
use super::{Catalog, parse_time};
use crate::credentials;
use crate::{CatalogError, Result};

/// A password hash no password matches: an invited account cannot sign in before its owner
/// has chosen a password.
const NO_PASSWORD: &str = "";

/// An invitation still waiting, as an organization admin sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PendingInvitation {
    pub user: String,
    pub expires_at: DateTime<Utc>,
}

impl Catalog {
    /// Creates an account that cannot sign in yet and an invitation for it; returns the
    /// account and the link's secret (shown once).
    pub async fn invite_user(
        &self,
        name: &str,
        display_name: &str,
        email: Option<&str>,
        created_by: Option<Uuid>,
        ttl: Duration,
    ) -> Result<(User, String)> {
        let errors = check_account(name, email);
        if !errors.is_empty() {
            return Err(CatalogError::Invalid(errors));
        }
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let secret = {
            let _w = self.db.write_guard().await;
            let mut tx = self.db.pool.begin().await?;
            sqlx::query(
                "INSERT INTO users (id, name, display_name, email, password_hash, sysadmin, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $6)",
            )
            .bind(id.to_string())
            .bind(name)
            .bind(if display_name.is_empty() { name } else { display_name })
            .bind(email)
            .bind(NO_PASSWORD)
            .bind(&now)
            .execute(&mut *tx)
            .await
            .map_err(|e| match CatalogError::from(e) {
                CatalogError::Conflict(_) => CatalogError::Conflict("name".into()),
                other => other,
            })?;
            let secret = insert_invitation(&mut tx, id, created_by, ttl).await?;
            tx.commit().await?;
            secret
        };
        let user = self.user(name).await?.ok_or(CatalogError::NotFound)?;
        Ok((user, secret))
    }

    /// A new link for an account whose owner has not chosen a password yet; the old link
    /// stops working. `NotFound` for an account that already has a password: resetting
    /// someone's password is not an organization admin's to do.
    pub async fn renew_invitation(
        &self,
        user_id: Uuid,
        created_by: Option<Uuid>,
        ttl: Duration,
    ) -> Result<String> {
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let waiting: Option<String> =
            sqlx::query_scalar("SELECT id FROM users WHERE id = $1 AND password_hash = $2")
                .bind(user_id.to_string())
                .bind(NO_PASSWORD)
                .fetch_optional(&mut *tx)
                .await?;
        if waiting.is_none() {
            return Err(CatalogError::NotFound);
        }
        let secret = insert_invitation(&mut tx, user_id, created_by, ttl).await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The account a link is for, while the link is valid.
    pub async fn invited_user(&self, secret: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!(
            "{USER_SELECT} WHERE id = (SELECT user_id FROM invitations \
             WHERE secret_hash = $1 AND expires_at > $2)"
        ))
        .bind(credentials::hash_secret(secret))
        .bind(time::to_db(&time::now()))
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(User::try_from).transpose()
    }

    /// Sets the password through a valid link and uses the link up; `NotFound` when the link
    /// is unknown, used or expired. Two concurrent uses: only one finds the row.
    pub async fn accept_invitation(&self, secret: &str, password: &str) -> Result<User> {
        if !credentials::min_password_ok(password) {
            let mut errors = allmende_core::FieldErrors::default();
            errors.add_arg("password", "password_too_short", Some("10"));
            return Err(CatalogError::Invalid(errors));
        }
        let user = self
            .invited_user(secret)
            .await?
            .ok_or(CatalogError::NotFound)?;
        let hash = hash_blocking(password).await?;
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let used =
            sqlx::query("DELETE FROM invitations WHERE secret_hash = $1 AND expires_at > $2")
                .bind(credentials::hash_secret(secret))
                .bind(time::to_db(&time::now()))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if used == 0 {
            return Err(CatalogError::NotFound);
        }
        sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
            .bind(user.id.to_string())
            .bind(&hash)
            .bind(time::to_db(&time::now()))
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM invitations WHERE user_id = $1")
            .bind(user.id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Invitations not yet used by members of an organization (expired ones included: the
    /// admin sees that a new link is needed).
    pub async fn pending_invitations(&self, org_id: Uuid) -> Result<Vec<PendingInvitation>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT u.name, MAX(i.expires_at) FROM invitations i JOIN users u ON u.id = i.user_id \
             JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = $1 \
             GROUP BY u.name ORDER BY u.name",
        )
        .bind(org_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(user, expires)| {
                Ok(PendingInvitation {
                    user,
                    expires_at: parse_time(&expires)?,
                })
            })
            .collect()
    }
}

async fn insert_invitation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: Uuid,
    created_by: Option<Uuid>,
    ttl: Duration,
) -> Result<String> {
    let secret = credentials::new_secret("");
    let now = time::now();
    sqlx::query("DELETE FROM invitations WHERE user_id = $1")
        .bind(user_id.to_string())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO invitations (secret_hash, user_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(credentials::hash_secret(&secret))
    .bind(user_id.to_string())
    .bind(created_by.map(|u| u.to_string()))
    .bind(time::to_db(&now))
    .bind(time::to_db(&(now + ttl)))
    .execute(&mut **tx)
    .await?;
    Ok(secret)
}
