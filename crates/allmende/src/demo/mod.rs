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
use allmende_catalog::Catalog;
use allmende_core::authz::{Actor, ReadScope};
use allmende_core::validate::{DatasetInput, OrganizationInput, ResourceInput, TemporalInput};
use allmende_core::{Contact, Spatial};
use anyhow::Context;

use catalog::{Clock, ORGS, Res, datasets};

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
    let all = datasets(&Clock {
        today: chrono::Utc::now().date_naive(),
    });
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
            title: Some(d.title.clone()),
            description: Some(d.description.clone()),
            keywords: Some(d.keywords.iter().map(|k| k.to_string()).collect()),
            themes: Some(d.themes.iter().map(|k| k.to_string()).collect()),
            license: Some(d.license.into()),
            organization: Some(d.org.into()),
            contact: Some(Contact {
                name: Some(name.into()),
                email: Some(email.into()),
            }),
            issued: d.issued.map(|t| t.format("%Y-%m-%d").to_string()),
            temporal: Some(TemporalInput {
                start: d.temporal.0.clone(),
                end: d.temporal.1.clone(),
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
            .create_dataset(&actor, input.clone())
            .await
            .map_err(|e| anyhow::anyhow!("demo dataset {}: {e:?}", d.slug))?;
        for r in &d.resources {
            let (input, file) = match r {
                Res::File(f) => {
                    let input = ResourceInput {
                        title: Some(f.title.clone()),
                        ..Default::default()
                    };
                    let upload = app
                        .stage_bytes(&f.content, &f.name, u64::MAX)
                        .await
                        .map_err(|e| anyhow::anyhow!("demo file {}: {e:?}", f.name))?;
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
        // The data's own date comes last: a file added now would move it to today.
        if let Some(modified) = d.modified {
            let current = catalog
                .dataset(d.slug)
                .await?
                .with_context(|| format!("demo dataset {}", d.slug))?;
            let input = DatasetInput {
                modified: Some(modified.format("%Y-%m-%d").to_string()),
                ..input
            };
            app.update_dataset(&actor, &current, input)
                .await
                .map_err(|e| anyhow::anyhow!("demo dataset {}: {e:?}", d.slug))?;
        }
        created += 1;
    }
    seed_showcases(app, &actor).await?;
    seed_feedback(app, &actor).await?;
    Ok(Report {
        organizations: ORGS.len(),
        datasets: all.len(),
        created,
        admin_user: ADMIN_USER.into(),
        admin_password,
    })
}

/// One reported error with its public answer, so the dataset page shows how feedback works.
async fn seed_feedback(app: &App, actor: &Actor) -> anyhow::Result<()> {
    use allmende_app::feedback::FeedbackInput;
    let Some(trees) = app.catalog.dataset("baumkataster-aalen").await? else {
        return Ok(());
    };
    if !app.answered_feedback(trees.id).await?.is_empty() {
        return Ok(());
    }
    let sent = app
        .send_feedback(FeedbackInput {
            kind: "error".into(),
            dataset: "baumkataster-aalen".into(),
            message: "In der Gartenstraße stehen laut Kataster zwei Bäume mit derselben Nummer (Beispiel der Demo).".into(),
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("demo feedback: {e:?}"))?;
    app.answer_feedback(
        actor,
        sent.id,
        "done",
        "Danke für den Hinweis! Die doppelte Nummer ist korrigiert; die nächste Aktualisierung enthält die neue Nummer.",
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo feedback: {e:?}"))?;
    Ok(())
}

/// Two approved showcases, so that the list, the dataset pages and the home page show what
/// they are for (made-up projects at example.org addresses, marked as examples), one with
/// a picture.
async fn seed_showcases(app: &App, actor: &Actor) -> anyhow::Result<()> {
    use allmende_app::showcases::ShowcaseInput;
    use allmende_catalog::ShowcaseStatus;
    if !app
        .catalog
        .showcases(ShowcaseStatus::Approved, None, 1)
        .await?
        .is_empty()
    {
        return Ok(());
    }
    let proposals = [
        ShowcaseInput {
            title: "Baumkarte Aalen".into(),
            url: "https://example.org/baumkarte-aalen".into(),
            description: "Interaktive Karte der Aalener Straßenbäume: Baumart, Pflanzjahr und Stammumfang je Standort, mit Filter nach Stadtbezirk. Entstanden in einem Workshop der Hochschule Aalen (Beispiel der Demo).".into(),
            submitter_name: "Code for Ostalb (Beispiel)".into(),
            submitter_email: String::new(),
            datasets: vec!["baumkataster-aalen".into()],
        },
        ShowcaseInput {
            title: "Wie wachsen unsere Stadtteile?".into(),
            url: "https://example.org/stadtteile-im-vergleich".into(),
            description: "Artikel mit Diagrammen zur Einwohnerentwicklung der Aalener und Heidenheimer Stadtteile seit sechs Jahren, mit den Anteilen junger und älterer Menschen (Beispiel der Demo).".into(),
            submitter_name: "Lokalredaktion (Beispiel)".into(),
            submitter_email: String::new(),
            datasets: vec![
                "bevoelkerung-aalen-stadtbezirke".into(),
                "bevoelkerung-heidenheim-stadtteile".into(),
            ],
        },
    ];
    // The tree map has a picture of its trees; the article shows how a showcase looks without.
    let pictures = [Some(generators::trees_png()), None];
    for (p, picture) in proposals.into_iter().zip(pictures) {
        let image = match picture {
            Some(png) => Some(
                app.stage_bytes(&png, "baumkarte-aalen.png", u64::MAX)
                    .await
                    .map_err(|e| anyhow::anyhow!("demo showcase picture: {e:?}"))?,
            ),
            None => None,
        };
        let s = app
            .propose_showcase(p, image)
            .await
            .map_err(|e| anyhow::anyhow!("demo showcase: {e:?}"))?;
        app.review_showcase(actor, s.id, true)
            .await
            .map_err(|e| anyhow::anyhow!("demo showcase: {e:?}"))?;
    }
    Ok(())
}
