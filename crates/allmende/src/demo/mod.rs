//! `serve --demo`: a realistic sample catalog for Aalen and Heidenheim an der Brenz.
//! Seeding is idempotent: what exists (by slug or user name) is left as it is.
//!
//! Tables for the two cities are generated deterministically (`generators.rs`) and marked as sample data
//! in their descriptions; real files published by other municipalities (in `demo/`, see
//! `demo/ATTRIBUTION.md`) appear as the university's teaching collection.

use std::path::Path;

mod catalog;
mod generators;

use allmende_app::App;
use allmende_app::resources::Upload;
use allmende_catalog::Catalog;
use allmende_core::authz::{Actor, ReadScope};
use allmende_core::validate::{DatasetInput, OrganizationInput, ResourceInput, TemporalInput};
use allmende_core::{Contact, Spatial};
use anyhow::Context;

use catalog::{ORGS, Res, datasets};

pub const ADMIN_USER: &str = "admin";

pub struct Report {
    pub organizations: usize,
    pub datasets: usize,
    pub created: usize,
    pub admin_user: String,
    pub admin_password: String,
}

/// Reuses the stored demo password, or sets a new one (printed at start).
async fn ensure_admin(catalog: &Catalog, data_dir: &Path) -> anyhow::Result<String> {
    let file = data_dir.join("demo-admin-password");
    let stored = std::fs::read_to_string(&file)
        .ok()
        .map(|s| s.trim().to_string());
    let existing = catalog.user(ADMIN_USER).await?;
    if let (Some(_), Some(pw)) = (&existing, &stored)
        && catalog.verify_login(ADMIN_USER, pw).await?.is_some()
    {
        return Ok(pw.clone());
    }
    let password = allmende_catalog::credentials::new_secret("")[..16].to_string();
    match existing {
        Some(_) => catalog.set_password(ADMIN_USER, &password).await?,
        None => {
            catalog
                .create_user(
                    ADMIN_USER,
                    "Demo-Administration",
                    Some("admin@example.org"),
                    &password,
                    true,
                )
                .await?;
        }
    }
    std::fs::write(&file, &password).context("writing demo-admin-password")?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
    }
    Ok(password)
}

/// Seeds through the application layer, as the demo administrator: the same use cases (and
/// checks) as a publisher's uploads, so the demo's tables are read by the ingestion worker.
pub async fn seed(app: &App, data_dir: &Path) -> anyhow::Result<Report> {
    let catalog = &app.catalog;
    let admin_password = ensure_admin(catalog, data_dir).await?;
    let admin = catalog
        .user(ADMIN_USER)
        .await?
        .context("the demo administrator")?;
    let actor = Actor {
        user_id: Some(admin.id),
        sysadmin: true,
        ..Actor::default()
    };
    for o in ORGS {
        if catalog
            .organization(o.slug, &ReadScope::All)
            .await?
            .is_some()
        {
            continue;
        }
        let fields = OrganizationInput {
            slug: Some(o.slug.into()),
            name: Some(o.name.into()),
            description: Some(o.description.into()),
            website: Some(o.website.into()),
            email: Some(o.email.into()),
            ags: o.ags.map(Into::into),
            org_type: Some(o.org_type.into()),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("demo organization {}: {e}", o.slug))?;
        catalog.create_organization(&fields).await?;
    }
    let all = datasets();
    let mut created = 0;
    for d in &all {
        if catalog.dataset(d.slug).await?.is_some() {
            continue;
        }
        let org = catalog
            .organization(d.org, &ReadScope::All)
            .await?
            .with_context(|| format!("demo organization {}", d.org))?;
        let (name, email) = match d.org {
            "stadt-aalen" => ("Open-Data-Team der Stadt Aalen", "opendata@aalen.de"),
            "stadt-heidenheim" => (
                "Open-Data-Team der Stadt Heidenheim",
                "opendata@heidenheim.de",
            ),
            "stadtwerke-aalen" => ("Stadtwerke Aalen, Kommunikation", "daten@sw-aalen.de"),
            _ => (
                "Hochschule Aalen, Forschungsdatenmanagement",
                "opendata@hs-aalen.de",
            ),
        };
        let input = DatasetInput {
            slug: Some(d.slug.into()),
            title: Some(d.title.into()),
            description: Some(d.description.clone()),
            keywords: Some(d.keywords.iter().map(|k| k.to_string()).collect()),
            themes: Some(d.themes.iter().map(|k| k.to_string()).collect()),
            license: Some(d.license.into()),
            organization: Some(d.org.into()),
            contact: Some(Contact {
                name: Some(name.into()),
                email: Some(email.into()),
            }),
            issued: Some("2025-01-15".into()),
            temporal: Some(TemporalInput {
                start: d.temporal.0.map(Into::into),
                end: d.temporal.1.map(Into::into),
            }),
            spatial: Some(Spatial {
                name: Some(
                    if d.org == "stadt-heidenheim" {
                        "Heidenheim an der Brenz"
                    } else {
                        "Aalen"
                    }
                    .into(),
                ),
                ags: org.ags.clone(),
                bbox: None,
            }),
            frequency: Some(d.frequency.into()),
            visibility: Some(d.visibility.into()),
            // The demo's data is open data of the cities (see ATTRIBUTION.md) or made up.
            release_checklist: Some(allmende_core::ReleaseChecklist {
                no_personal_data: true,
                no_secrets: true,
                rights_cleared: true,
                licence_applicable: true,
            }),
            ..Default::default()
        };
        let dataset = app
            .create_dataset(&actor, input)
            .await
            .map_err(|e| anyhow::anyhow!("demo dataset {}: {e:?}", d.slug))?;
        for r in &d.resources {
            let (input, file) = match r {
                Res::File(f) => {
                    let mut staged = catalog.files.stage(u64::MAX).await?;
                    staged.write(&f.content).await?;
                    let input = ResourceInput {
                        title: Some(f.title.to_string()),
                        ..Default::default()
                    };
                    let upload = Upload {
                        staged,
                        file_name: f.name.to_string(),
                    };
                    (input, Some(upload))
                }
                Res::Link { title, url, format } => {
                    let input = ResourceInput {
                        title: Some((*title).into()),
                        url: Some((*url).into()),
                        format: Some((*format).into()),
                        ..Default::default()
                    };
                    (input, None)
                }
            };
            // Tabular files become queryable tables once the worker has read them.
            app.add_resource(&dataset, input, file)
                .await
                .map_err(|e| anyhow::anyhow!("demo resource of {}: {e:?}", d.slug))?;
        }
        created += 1;
    }
    Ok(Report {
        organizations: ORGS.len(),
        datasets: all.len(),
        created,
        admin_user: ADMIN_USER.into(),
        admin_password,
    })
}
