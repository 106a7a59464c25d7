//! Showcases ("Anwendungen"): anyone may propose what they built with public datasets; a
//! sysadmin or an admin of an organization whose dataset it uses approves or rejects it;
//! approved ones are public, with only their public datasets.

use allmende_catalog::{NewShowcase, Showcase, ShowcaseStatus};
use allmende_core::authz::Actor;
use allmende_core::validate::{is_valid_email, is_valid_url};
use allmende_core::{FieldErrors, Role};

use crate::resources::Upload;
use crate::{App, AppError, AppResult};

/// A proposal as a form or an API client sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ShowcaseInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub submitter_name: String,
    #[serde(default)]
    pub submitter_email: String,
    /// Slugs of the public datasets it uses.
    #[serde(default)]
    pub datasets: Vec<String>,
}

const MAX_DATASETS: usize = 20;

fn text(errors: &mut FieldErrors, field: &str, v: &str, min: usize, max: usize) -> String {
    let v = v.trim();
    let n = v.chars().count();
    if n == 0 {
        errors.add(field, "required");
    } else if n < min {
        errors.add_arg(field, "too_short", Some(min.to_string()));
    } else if n > max {
        errors.add_arg(field, "too_long", Some(max.to_string()));
    }
    v.to_string()
}

fn link(errors: &mut FieldErrors, field: &str, v: &str, required: bool) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.add(field, "required");
        }
        return None;
    }
    if v.len() > 2000 || !is_valid_url(v) {
        errors.add_arg(
            field,
            "invalid_url",
            Some(v.chars().take(200).collect::<String>()),
        );
    }
    Some(v.to_string())
}

impl App {
    /// Stores a proposal, waiting for approval, with its picture if one came (PNG, JPEG or
    /// WebP, by content). Its datasets must be public: a proposal cannot learn, or reveal,
    /// which private datasets exist.
    pub async fn propose_showcase(
        &self,
        input: ShowcaseInput,
        image: Option<Upload>,
    ) -> AppResult<Showcase> {
        let mut errors = FieldErrors::default();
        let title = text(&mut errors, "title", &input.title, 3, 200);
        let url = link(&mut errors, "url", &input.url, true).unwrap_or_default();
        let description = text(&mut errors, "description", &input.description, 20, 5000);
        let submitter_name = text(&mut errors, "submitter_name", &input.submitter_name, 1, 200);
        let email = input.submitter_email.trim();
        let submitter_email = (!email.is_empty()).then(|| email.to_string());
        if submitter_email.is_some() && (email.len() > 254 || !is_valid_email(email)) {
            errors.add_arg("submitter_email", "invalid_email", Some(email));
        }
        let mut slugs: Vec<&str> = input
            .datasets
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        slugs.sort_unstable();
        slugs.dedup();
        let mut datasets = Vec::new();
        if slugs.is_empty() {
            errors.add("datasets", "required");
        } else if slugs.len() > MAX_DATASETS {
            errors.add_arg("datasets", "too_many", Some(MAX_DATASETS.to_string()));
        } else {
            for slug in slugs {
                match self.catalog.dataset(slug).await? {
                    Some(ds) if crate::access::is_public(&ds) => datasets.push(ds.id),
                    _ => errors.add_arg("datasets", "unknown_dataset", Some(slug)),
                }
            }
        }
        let mut image = image;
        let media_type = match &mut image {
            Some(upload) => {
                let media = crate::images::image_type(&upload.staged.head(12).await?);
                if media.is_none() {
                    errors.add("image", "image_type");
                }
                media
            }
            None => None,
        };
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let stored = match (image, media_type) {
            (Some(upload), Some(media)) => {
                let upload = self.publishable_picture(upload, media).await?;
                Some((self.commit_upload(upload).await?, media))
            }
            _ => None,
        };
        let created = self
            .catalog
            .create_showcase(&NewShowcase {
                title,
                url,
                description,
                submitter_name,
                submitter_email,
                datasets,
                image: stored
                    .as_ref()
                    .map(|(s, media)| (s.file.sha256.clone(), media.to_string())),
            })
            .await;
        if created.is_err()
            && let Some((s, _)) = &stored
        {
            self.discard_if_unused(s).await;
        }
        Ok(created?)
    }

    /// A showcase's picture (blob and media type) for this actor: an approved showcase's for
    /// anyone, a proposal's for its moderators.
    pub async fn showcase_image(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> AppResult<(Showcase, String, String)> {
        let s = self.catalog.showcase(id).await?.ok_or(AppError::NotFound)?;
        let visible = s.status == ShowcaseStatus::Approved
            || (actor.is_authenticated() && may_review(actor, &s));
        match (&s.image_sha256, &s.image_media_type) {
            (Some(sha), Some(media)) if visible => {
                let (sha, media) = (sha.clone(), media.clone());
                Ok((s, sha, media))
            }
            _ => Err(AppError::NotFound),
        }
    }

    /// Approved showcases, newest first, each listing only its public datasets (a showcase is
    /// public; a dataset that stopped being public leaves its list); with `dataset`, those
    /// that use it.
    pub async fn showcases(
        &self,
        dataset: Option<uuid::Uuid>,
        limit: i64,
    ) -> AppResult<Vec<Showcase>> {
        let mut list = self
            .catalog
            .showcases(ShowcaseStatus::Approved, dataset, limit)
            .await?;
        for s in &mut list {
            s.datasets.retain(|d| d.public);
        }
        Ok(list)
    }

    /// Proposals waiting for this actor: all for a sysadmin, those using a dataset of an
    /// organization the actor administers for anyone else.
    pub async fn showcases_to_review(&self, actor: &Actor) -> AppResult<Vec<Showcase>> {
        if !actor.is_authenticated() {
            return Err(AppError::Unauthorized);
        }
        let pending = self
            .catalog
            .showcases(ShowcaseStatus::Pending, None, 500)
            .await?;
        Ok(pending
            .into_iter()
            .filter(|s| may_review(actor, s))
            .collect())
    }

    pub async fn review_showcase(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        approve: bool,
    ) -> AppResult<()> {
        if !actor.is_authenticated() {
            return Err(AppError::Unauthorized);
        }
        let showcase = self.catalog.showcase(id).await?.ok_or(AppError::NotFound)?;
        if !may_review(actor, &showcase) {
            return Err(AppError::Forbidden);
        }
        let status = if approve {
            ShowcaseStatus::Approved
        } else {
            ShowcaseStatus::Rejected
        };
        self.catalog
            .review_showcase(id, status, actor.user_id)
            .await?;
        // A rejected proposal keeps no picture.
        if !approve && let Some(sha) = self.catalog.clear_showcase_image(id).await? {
            self.discard_blob_if_unused(&sha).await;
        }
        let who = crate::access::audit_actor(actor);
        let detail = serde_json::json!({"title": showcase.title, "status": status.as_str()});
        if let Err(e) = self
            .catalog
            .audit(&who, "showcase.review", "showcase", id, &detail)
            .await
        {
            tracing::error!(error = %e, showcase = %id, "could not write the audit log");
        }
        Ok(())
    }
}

/// A sysadmin, or an admin of an organization publishing one of the showcase's datasets.
fn may_review(actor: &Actor, s: &Showcase) -> bool {
    actor.sysadmin
        || s.datasets.iter().any(|d| {
            actor
                .roles
                .get(&d.organization_id)
                .is_some_and(|r| *r == Role::Admin)
        })
}
