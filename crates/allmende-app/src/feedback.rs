//! Feedback from visitors ("Fehler melden", "Daten anfragen"): anyone sends it, about a public
//! dataset or the portal; it lands with the organization it concerns, whose members set its
//! status and may answer publicly. Name and e-mail address stay with the organization.

use allmende_catalog::{Feedback, FeedbackFilter, FeedbackKind, FeedbackStatus, NewFeedback};
use allmende_core::authz::Actor;
use allmende_core::validate::is_valid_email;
use allmende_core::{FieldErrors, Role};

use crate::{App, AppError, AppResult};

/// Feedback as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct FeedbackInput {
    /// `error` or `request`.
    pub kind: String,
    /// Slug of a public dataset, or empty for the portal.
    pub dataset: String,
    /// Slug of the organization a data wish is for (without a dataset); empty: anyone.
    pub organization: String,
    pub message: String,
    pub name: String,
    pub email: String,
}

impl App {
    pub async fn send_feedback(&self, input: FeedbackInput) -> AppResult<Feedback> {
        let mut errors = FieldErrors::default();
        let kind = FeedbackKind::parse(input.kind.trim());
        if kind.is_none() {
            errors.add("kind", "required");
        }
        let message = input.message.trim().to_string();
        match message.chars().count() {
            0 => errors.add("message", "required"),
            n if n < 10 => errors.add_arg("message", "too_short", Some("10")),
            n if n > 5000 => errors.add_arg("message", "too_long", Some("5000")),
            _ => {}
        }
        let name = input.name.trim();
        if name.chars().count() > 200 {
            errors.add_arg("name", "too_long", Some("200"));
        }
        let email = input.email.trim();
        if !email.is_empty() && (email.len() > 254 || !is_valid_email(email)) {
            errors.add_arg("email", "invalid_email", Some(email));
        }
        let (mut dataset_id, mut organization_id) = (None, None);
        let slug = input.dataset.trim();
        if !slug.is_empty() {
            // Only a public dataset: feedback cannot probe for private ones.
            match self.catalog.dataset(slug).await? {
                Some(ds) if crate::access::is_public(&ds) => {
                    dataset_id = Some(ds.id);
                    organization_id = Some(ds.organization_id);
                }
                _ => errors.add_arg("dataset", "unknown_dataset", Some(slug)),
            }
        } else if kind == Some(FeedbackKind::Error) {
            errors.add("dataset", "required");
        }
        let org = input.organization.trim();
        if dataset_id.is_none() && !org.is_empty() {
            match self
                .catalog
                .organization(org, &allmende_core::authz::ReadScope::PublicAnd(Vec::new()))
                .await?
            {
                Some(o) => organization_id = Some(o.id),
                None => errors.add_arg("organization", "unknown_organization", Some(org)),
            }
        }
        let (Some(kind), true) = (kind, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        Ok(self
            .catalog
            .create_feedback(&NewFeedback {
                kind,
                dataset_id,
                organization_id,
                message,
                name: (!name.is_empty()).then(|| name.to_string()),
                email: (!email.is_empty()).then(|| email.to_string()),
            })
            .await?)
    }

    /// What this member's organizations received (a sysadmin: everything), newest first.
    pub async fn feedback_inbox(&self, actor: &Actor) -> AppResult<Vec<Feedback>> {
        if !actor.is_authenticated() {
            return Err(AppError::Unauthorized);
        }
        let organizations = (!actor.sysadmin).then(|| answering_orgs(actor));
        Ok(self
            .catalog
            .feedback_list(
                &FeedbackFilter {
                    organizations,
                    ..Default::default()
                },
                500,
            )
            .await?)
    }

    /// Publicly answered feedback about a dataset (message and answer, never who sent it).
    pub async fn answered_feedback(&self, dataset: uuid::Uuid) -> AppResult<Vec<Feedback>> {
        Ok(self
            .catalog
            .feedback_list(
                &FeedbackFilter {
                    dataset: Some(dataset),
                    answered_publicly: true,
                    ..Default::default()
                },
                50,
            )
            .await?)
    }

    /// Sets status and public answer: editors and admins of the organization it concerns, or
    /// a sysadmin (also for feedback that concerns no organization).
    pub async fn answer_feedback(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        status: &str,
        public_answer: &str,
    ) -> AppResult<()> {
        if !actor.is_authenticated() {
            return Err(AppError::Unauthorized);
        }
        let f = self.catalog.feedback(id).await?.ok_or(AppError::NotFound)?;
        let may = actor.sysadmin
            || f.organization_id
                .is_some_and(|o| answering_orgs(actor).contains(&o));
        if !may {
            return Err(AppError::NotFound);
        }
        let mut errors = FieldErrors::default();
        let status = FeedbackStatus::parse(status);
        if status.is_none() {
            errors.add("status", "required");
        }
        let answer = public_answer.trim();
        if answer.chars().count() > 5000 {
            errors.add_arg("public_answer", "too_long", Some("5000"));
        }
        let Some(status) = status.filter(|_| errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        self.catalog
            .answer_feedback(
                id,
                status,
                (!answer.is_empty()).then_some(answer),
                actor.user_id,
            )
            .await?;
        Ok(())
    }
}

/// Organizations whose feedback the actor handles: where they edit or administer.
fn answering_orgs(actor: &Actor) -> Vec<uuid::Uuid> {
    actor
        .roles
        .iter()
        .filter(|(_, r)| matches!(r, Role::Admin | Role::Editor))
        .map(|(o, _)| *o)
        .collect()
}
