use std::collections::HashMap;

use allmende_core::authz::Actor;
use allmende_core::{ApiTokenInfo, Membership, Role, User, time};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{Catalog, parse_time, parse_uuid};
use crate::credentials::{self, TOKEN_PREFIX};
use crate::{CatalogError, Result};

#[derive(sqlx::FromRow)]
pub(super) struct UserRow {
    id: String,
    name: String,
    display_name: String,
    email: Option<String>,
    password_hash: String,
    sysadmin: i64,
    created_at: String,
}

impl TryFrom<UserRow> for User {
    type Error = CatalogError;
    fn try_from(r: UserRow) -> Result<Self> {
        Ok(User {
            id: parse_uuid(&r.id)?,
            name: r.name,
            display_name: r.display_name,
            email: r.email,
            sysadmin: r.sysadmin != 0,
            created_at: parse_time(&r.created_at)?,
        })
    }
}

/// id, name, created_at, expires_at, revoked_at
type TokenRow = (String, String, String, Option<String>, Option<String>);

pub(super) const USER_SELECT: &str =
    "SELECT id, name, display_name, email, password_hash, sysadmin, created_at FROM users";

/// User names: what people type at the login form and the CLI.
pub fn is_valid_user_name(name: &str) -> bool {
    (2..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
}

/// What a new account's name and e-mail address must be, as field errors.
pub(super) fn check_account(name: &str, email: Option<&str>) -> allmende_core::FieldErrors {
    let mut errors = allmende_core::FieldErrors::default();
    if !is_valid_user_name(name) {
        errors.add_arg("name", "invalid_user_name", Some(name));
    }
    if let Some(e) = email
        && !allmende_core::validate::is_valid_email(e)
    {
        errors.add_arg("email", "invalid_email", Some(e));
    }
    errors
}

impl Catalog {
    pub async fn create_user(
        &self,
        name: &str,
        display_name: &str,
        email: Option<&str>,
        password: &str,
        sysadmin: bool,
    ) -> Result<User> {
        let mut errors = check_account(name, email);
        if !credentials::min_password_ok(password) {
            errors.add_arg("password", "password_too_short", Some("10"));
        }
        if !errors.is_empty() {
            return Err(CatalogError::Invalid(errors));
        }
        let hash = hash_blocking(password).await?;
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        sqlx::query(
            "INSERT INTO users (id, name, display_name, email, password_hash, sysadmin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(if display_name.is_empty() { name } else { display_name })
        .bind(email)
        .bind(&hash)
        .bind(i64::from(sysadmin))
        .bind(&now)
        .execute(&self.db.pool)
        .await
        .map_err(|e| match CatalogError::from(e) {
            CatalogError::Conflict(_) => CatalogError::Conflict("name".into()),
            other => other,
        })?;
        drop(_w);
        self.user(name).await?.ok_or(CatalogError::NotFound)
    }

    pub async fn user(&self, name_or_id: &str) -> Result<Option<User>> {
        let row: Option<UserRow> =
            sqlx::query_as(&format!("{USER_SELECT} WHERE name = $1 OR id = $1"))
                .bind(name_or_id)
                .fetch_optional(&self.db.pool)
                .await?;
        row.map(User::try_from).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(&format!("{USER_SELECT} ORDER BY name"))
            .fetch_all(&self.db.pool)
            .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    pub async fn set_password(&self, name: &str, password: &str) -> Result<()> {
        if !credentials::min_password_ok(password) {
            return Err(CatalogError::Invalid(allmende_core::FieldErrors::single(
                "password",
                "password_too_short",
            )));
        }
        let hash = hash_blocking(password).await?;
        let _w = self.db.write_guard().await;
        let n = sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE name = $1")
            .bind(name)
            .bind(&hash)
            .bind(time::to_db(&time::now()))
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        // A new password ends every session of the old one, and any invitation link.
        for table in ["sessions", "invitations"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE user_id = (SELECT id FROM users WHERE name = $1)"
            ))
            .bind(name)
            .execute(&self.db.pool)
            .await?;
        }
        Ok(())
    }

    /// Checks a password; runs the hash on the blocking pool and takes the same time whether
    /// or not the user exists.
    pub async fn verify_login(&self, name: &str, password: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.db.pool)
            .await?;
        let hash = row
            .as_ref()
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| credentials::dummy_hash().to_string());
        let password = password.to_string();
        let ok =
            tokio::task::spawn_blocking(move || credentials::verify_password(&password, &hash))
                .await
                .map_err(|_| CatalogError::Hashing)?;
        match row {
            Some(r) if ok => Ok(Some(User::try_from(r)?)),
            _ => Ok(None),
        }
    }

    pub async fn set_membership(&self, user_id: Uuid, org_id: Uuid, role: Role) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query(
            "INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, organization_id) DO UPDATE SET role = excluded.role",
        )
        .bind(user_id.to_string())
        .bind(org_id.to_string())
        .bind(role.as_str())
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_membership(&self, user_id: Uuid, org_id: Uuid) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query("DELETE FROM memberships WHERE user_id = $1 AND organization_id = $2")
            .bind(user_id.to_string())
            .bind(org_id.to_string())
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }

    pub async fn members(&self, org_id: Uuid) -> Result<Vec<Membership>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT u.name, o.slug, m.role FROM memberships m JOIN users u ON u.id = m.user_id \
             JOIN organizations o ON o.id = m.organization_id WHERE m.organization_id = $1 ORDER BY u.name",
        )
        .bind(org_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(user, organization, role)| {
                Ok(Membership {
                    user,
                    organization,
                    role: Role::parse(&role).ok_or_else(|| CatalogError::Corrupt(role.clone()))?,
                })
            })
            .collect()
    }

    /// The actor for a user: its flags and its role in every organization.
    pub async fn actor_for_user(&self, user: &User) -> Result<Actor> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT organization_id, role FROM memberships WHERE user_id = $1")
                .bind(user.id.to_string())
                .fetch_all(&self.db.pool)
                .await?;
        let mut roles = HashMap::new();
        for (org, role) in rows {
            if let Some(r) = Role::parse(&role) {
                roles.insert(parse_uuid(&org)?, r);
            }
        }
        Ok(Actor {
            user_id: Some(user.id),
            user_name: Some(user.name.clone()),
            sysadmin: user.sysadmin,
            roles,
        })
    }

    async fn actor_by_user_id(&self, id: &str) -> Result<Option<Actor>> {
        match self.user(id).await? {
            Some(u) => Ok(Some(self.actor_for_user(&u).await?)),
            None => Ok(None),
        }
    }

    /// Creates an API token; the secret is returned once and stored only as a hash.
    pub async fn create_token(
        &self,
        user_id: Uuid,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(ApiTokenInfo, String)> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(CatalogError::Invalid(allmende_core::FieldErrors::single(
                "name", "required",
            )));
        }
        let secret = credentials::new_secret(TOKEN_PREFIX);
        let id = Uuid::new_v4();
        let now = time::now();
        let _w = self.db.write_guard().await;
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(user_id.to_string())
        .bind(name)
        .bind(credentials::hash_secret(&secret))
        .bind(time::to_db(&now))
        .bind(expires_at.as_ref().map(time::to_db))
        .execute(&self.db.pool)
        .await?;
        Ok((
            ApiTokenInfo {
                id,
                name: name.to_string(),
                created_at: now,
                expires_at,
                revoked: false,
            },
            secret,
        ))
    }

    pub async fn tokens(&self, user_id: Uuid) -> Result<Vec<ApiTokenInfo>> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "SELECT id, name, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(id, name, created, expires, revoked)| {
                Ok(ApiTokenInfo {
                    id: parse_uuid(&id)?,
                    name,
                    created_at: parse_time(&created)?,
                    expires_at: expires.as_deref().map(parse_time).transpose()?,
                    revoked: revoked.is_some(),
                })
            })
            .collect()
    }

    /// Revokes the user's tokens with this name or id; returns how many.
    pub async fn revoke_token(&self, user_id: Uuid, name_or_id: &str) -> Result<u64> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $3 WHERE user_id = $1 AND (name = $2 OR id = $2) AND revoked_at IS NULL",
        )
        .bind(user_id.to_string())
        .bind(name_or_id)
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(n)
    }

    pub async fn actor_for_token(&self, secret: &str) -> Result<Option<Actor>> {
        let user_id: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(credentials::hash_secret(secret))
        .bind(time::to_db(&time::now()))
        .fetch_optional(&self.db.pool)
        .await?;
        match user_id {
            Some(id) => self.actor_by_user_id(&id).await,
            None => Ok(None),
        }
    }

    /// Starts a web session; returns the secret for the cookie.
    pub async fn create_session(&self, user_id: Uuid, ttl: Duration) -> Result<String> {
        let secret = credentials::new_secret("");
        let now = time::now();
        let _w = self.db.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(time::to_db(&now))
            .execute(&self.db.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(credentials::hash_secret(&secret))
            .bind(user_id.to_string())
            .bind(time::to_db(&now))
            .bind(time::to_db(&(now + ttl)))
            .execute(&self.db.pool)
            .await?;
        Ok(secret)
    }

    pub async fn actor_for_session(&self, secret: &str) -> Result<Option<Actor>> {
        let user_id: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(credentials::hash_secret(secret))
        .bind(time::to_db(&time::now()))
        .fetch_optional(&self.db.pool)
        .await?;
        match user_id {
            Some(id) => self.actor_by_user_id(&id).await,
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, secret: &str) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(credentials::hash_secret(secret))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}

pub(super) async fn hash_blocking(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || credentials::hash_password(&password))
        .await
        .map_err(|_| CatalogError::Hashing)?
}
