//! `allmende user …`: accounts and API tokens.

use allmende::{Config, open_catalog};
use allmende_core::Role;
use anyhow::{Context, bail};

use super::{Common, TokenCommand, UserCommand};

pub async fn run(command: UserCommand, common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let catalog = open_catalog(&config, &common.data_dir).await?;
    match command {
        UserCommand::Add {
            name,
            password,
            sysadmin,
            email,
            display_name,
            org,
            role,
        } => {
            let generated = password.is_none();
            let password = password
                .unwrap_or_else(|| allmende_catalog::credentials::new_secret("")[..20].to_string());
            let role = Role::parse(&role).with_context(|| format!("unknown role {role:?}"))?;
            let org = match &org {
                Some(slug) => Some(
                    catalog
                        .organization(slug, &allmende_core::authz::ReadScope::All)
                        .await?
                        .with_context(|| format!("no organization {slug:?}"))?,
                ),
                None => None,
            };
            let user = catalog
                .create_user(
                    &name,
                    display_name.as_deref().unwrap_or(""),
                    email.as_deref(),
                    &password,
                    sysadmin,
                )
                .await
                .map_err(invalid)?;
            audit(
                &catalog,
                "user.create",
                user.id,
                serde_json::json!({ "user": user.name, "sysadmin": user.sysadmin }),
            )
            .await?;
            if let Some(org) = org {
                catalog.set_membership(user.id, org.id, role).await?;
                audit(
                    &catalog,
                    "membership.set",
                    user.id,
                    serde_json::json!({
                        "user": user.name, "organization": org.slug, "role": role.as_str(),
                    }),
                )
                .await?;
                println!("{} is {} of {}", user.name, role.as_str(), org.slug);
            }
            println!(
                "created user {}{}",
                user.name,
                if user.sysadmin { " (sysadmin)" } else { "" }
            );
            if generated {
                println!("password: {password}");
            }
        }
        UserCommand::List => {
            for u in catalog.users().await? {
                println!(
                    "{}\t{}\t{}",
                    u.name,
                    if u.sysadmin { "sysadmin" } else { "-" },
                    u.display_name
                );
            }
        }
        UserCommand::SetPassword { name, password } => {
            catalog
                .set_password(&name, &password)
                .await
                .map_err(invalid)?;
            if let Some(u) = catalog.user(&name).await? {
                audit(
                    &catalog,
                    "user.password",
                    u.id,
                    serde_json::json!({ "user": u.name }),
                )
                .await?;
            }
            println!("password changed for {name}");
        }
        UserCommand::Token { command } => match command {
            TokenCommand::Create {
                user,
                name,
                expires_days,
            } => {
                let u = catalog
                    .user(&user)
                    .await?
                    .with_context(|| format!("no user {user:?}"))?;
                let expires =
                    expires_days.map(|d| allmende_core::time::now() + chrono::Duration::days(d));
                let (info, secret) = catalog
                    .create_token(u.id, &name, expires)
                    .await
                    .map_err(invalid)?;
                audit(
                    &catalog,
                    "token.create",
                    u.id,
                    serde_json::json!({
                        "user": u.name, "token": info.name, "token_id": info.id,
                        "expires": info.expires_at,
                    }),
                )
                .await?;
                eprintln!(
                    "token {:?} for {} (id {}); it is shown only now:",
                    info.name, u.name, info.id
                );
                println!("{secret}");
            }
            TokenCommand::Revoke { user, token } => {
                let u = catalog
                    .user(&user)
                    .await?
                    .with_context(|| format!("no user {user:?}"))?;
                let n = catalog.revoke_token(u.id, &token).await?;
                if n == 0 {
                    bail!("no active token {token:?} for {user}");
                }
                audit(
                    &catalog,
                    "token.revoke",
                    u.id,
                    serde_json::json!({ "user": u.name, "token": token }),
                )
                .await?;
                println!("revoked {n} token(s)");
            }
        },
    }
    catalog.db.close().await;
    Ok(())
}

pub(crate) fn invalid(e: allmende_catalog::CatalogError) -> anyhow::Error {
    match e {
        allmende_catalog::CatalogError::Invalid(fe) => anyhow::anyhow!("invalid input: {fe}"),
        other => other.into(),
    }
}

/// An audit entry for a change made on the command line (by whoever runs it on the server).
async fn audit(
    catalog: &allmende_catalog::Catalog,
    action: &str,
    user: uuid::Uuid,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let by = allmende_catalog::AuditActor {
        id: None,
        name: Some("cli"),
    };
    catalog.audit(&by, action, "user", user, &detail).await?;
    Ok(())
}
