//! `allmende org …`: publishers.

use allmende::{Config, open_catalog};

use super::users::invalid;
use super::{Common, OrgCommand};

pub async fn run(command: OrgCommand, common: Common) -> anyhow::Result<()> {
    let config = Config::load(&common.data_dir, common.config.as_deref())?;
    let catalog = open_catalog(&config, &common.data_dir).await?;
    match command {
        OrgCommand::Add {
            slug,
            name,
            r#type,
            ags,
            website,
            email,
            description,
        } => {
            let fields = allmende_core::validate::OrganizationInput {
                slug: Some(slug),
                name: Some(name),
                description: Some(description),
                website,
                email,
                ags,
                org_type: Some(r#type),
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid input: {e}"))?;
            let org = catalog
                .create_organization(&fields)
                .await
                .map_err(invalid)?;
            println!("created organization {} ({})", org.slug, org.name);
        }
        OrgCommand::List => {
            let page = catalog
                .organizations(&allmende_core::authz::ReadScope::All, 1, 1000)
                .await?;
            for o in page.items {
                println!(
                    "{}\t{}\t{}\t{}",
                    o.slug, o.name, o.org_type, o.dataset_count
                );
            }
        }
    }
    catalog.db.close().await;
    Ok(())
}
