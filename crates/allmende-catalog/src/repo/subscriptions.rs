//! E-mail followers of datasets: requests waiting for their confirmation mail, confirmed
//! followers whose dataset moved since their last mail, and the claims that keep two nodes
//! from sending the same mail. Which datasets may be followed is the application layer's rule.

use allmende_core::time;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, parse_uuid};
use crate::Result;

/// A subscription with the dataset it follows.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: Uuid,
    pub dataset_id: Uuid,
    pub dataset_slug: String,
    pub dataset_title: String,
    pub email: String,
    /// The language of the page it was asked on; its mails are written in it.
    pub lang: String,
    /// The secret of its confirm and unsubscribe links.
    pub token: String,
    pub confirmed: bool,
    /// When the dataset's record last changed (as stored).
    pub dataset_updated: String,
    /// Its value at the last mail (or at the confirmation).
    pub notified_updated: Option<String>,
}

/// What [`Catalog::subscribe`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subscribed {
    /// A new request; its confirmation mail is due.
    Requested,
    /// An unconfirmed request whose mail is over an hour old: the mail is due again.
    Resent,
    /// Nothing to send: confirmed already, or a confirmation mail went out within the hour.
    Unchanged,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
);

const SELECT: &str = "SELECT s.id, s.dataset_id, d.slug, d.title, s.email, s.lang, s.token, \
     s.confirmed_at, d.updated_at, s.notified_updated \
     FROM subscriptions s JOIN datasets d ON d.id = s.dataset_id";

/// Only followers of public datasets hear anything.
const PUBLIC: &str = "d.visibility = 'public' AND d.deleted = 0";

fn parse(r: Row) -> Result<Subscription> {
    Ok(Subscription {
        id: parse_uuid(&r.0)?,
        dataset_id: parse_uuid(&r.1)?,
        dataset_slug: r.2,
        dataset_title: r.3,
        email: r.4,
        lang: r.5,
        token: r.6,
        confirmed: r.7.is_some(),
        dataset_updated: r.8,
        notified_updated: r.9,
    })
}

impl Catalog {
    /// Records a request to follow `dataset`; asking again is harmless.
    pub async fn subscribe(
        &self,
        dataset: Uuid,
        email: &str,
        lang: &str,
        token: &str,
    ) -> Result<Subscribed> {
        let now = time::now();
        let _w = self.db.write_guard().await;
        let existing: Option<(String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT id, confirm_sent_at, confirmed_at FROM subscriptions \
             WHERE dataset_id = $1 AND email = $2",
        )
        .bind(dataset.to_string())
        .bind(email)
        .fetch_optional(&self.db.pool)
        .await?;
        match existing {
            None => {
                sqlx::query(
                    "INSERT INTO subscriptions (id, dataset_id, email, lang, token, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                )
                .bind(Uuid::new_v4().to_string())
                .bind(dataset.to_string())
                .bind(email)
                .bind(lang)
                .bind(token)
                .bind(time::to_db(&now))
                .execute(&self.db.pool)
                .await?;
                Ok(Subscribed::Requested)
            }
            Some((id, Some(sent), None))
                if time::from_db(&sent).is_some_and(|t| now - t > chrono::Duration::hours(1)) =>
            {
                sqlx::query(
                    "UPDATE subscriptions SET confirm_sent_at = NULL, lang = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(lang)
                .execute(&self.db.pool)
                .await?;
                Ok(Subscribed::Resent)
            }
            Some(_) => Ok(Subscribed::Unchanged),
        }
    }

    pub async fn subscription(&self, token: &str) -> Result<Option<Subscription>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.token = $1"))
            .bind(token)
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(parse).transpose()
    }

    /// Requests of public datasets whose confirmation mail has not gone out.
    pub async fn confirmations_due(&self, limit: i64) -> Result<Vec<Subscription>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE s.confirm_sent_at IS NULL AND s.confirmed_at IS NULL AND {PUBLIC} \
             ORDER BY s.created_at LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(parse).collect()
    }

    /// Takes the confirmation mail of `id` for this node; false when another took it.
    pub async fn claim_confirmation(&self, id: Uuid) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE subscriptions SET confirm_sent_at = $2 WHERE id = $1 AND confirm_sent_at IS NULL",
        )
        .bind(id.to_string())
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Confirms the request with this token; from now on the follower hears of changes after
    /// the dataset's present state. False when there is no unconfirmed request with it.
    pub async fn confirm_subscription(&self, token: &str) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE subscriptions SET confirmed_at = $2, notified_updated = \
             (SELECT d.updated_at FROM datasets d WHERE d.id = subscriptions.dataset_id) \
             WHERE token = $1 AND confirmed_at IS NULL",
        )
        .bind(token)
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Ends the subscription with this token (the address is deleted with it).
    pub async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query("DELETE FROM subscriptions WHERE token = $1")
            .bind(token)
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Confirmed followers of public datasets that changed since their last mail and have
    /// not changed since `quiet_since` (a publisher's burst of edits makes one mail) — or,
    /// for a dataset that never rests (live data), whose follower last heard before
    /// `heard_before`.
    pub async fn notifications_due(
        &self,
        quiet_since: DateTime<Utc>,
        heard_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Subscription>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE s.confirmed_at IS NOT NULL AND {PUBLIC} \
             AND d.updated_at <> COALESCE(s.notified_updated, '') \
             AND (d.updated_at < $1 OR COALESCE(s.notified_at, s.confirmed_at) < $2) \
             ORDER BY s.dataset_id, s.id LIMIT $3"
        ))
        .bind(time::to_db(&quiet_since))
        .bind(time::to_db(&heard_before))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(parse).collect()
    }

    /// Takes the mail about `s`'s dataset at its present state for this node; false when
    /// another node took it (or the follower left).
    pub async fn claim_notification(&self, s: &Subscription) -> Result<bool> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE subscriptions SET notified_updated = $2, notified_at = $3 \
             WHERE id = $1 AND COALESCE(notified_updated, '') = $4",
        )
        .bind(s.id.to_string())
        .bind(&s.dataset_updated)
        .bind(time::to_db(&time::now()))
        .bind(s.notified_updated.as_deref().unwrap_or(""))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Deletes requests not confirmed before `before`; returns how many.
    pub async fn forget_unconfirmed(&self, before: DateTime<Utc>) -> Result<u64> {
        let _w = self.db.write_guard().await;
        Ok(
            sqlx::query("DELETE FROM subscriptions WHERE confirmed_at IS NULL AND created_at < $1")
                .bind(time::to_db(&before))
                .execute(&self.db.pool)
                .await?
                .rows_affected(),
        )
    }

    /// Confirmed followers of a dataset (shown to its publishers).
    pub async fn follower_count(&self, dataset: Uuid) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM subscriptions WHERE dataset_id = $1 AND confirmed_at IS NOT NULL",
        )
        .bind(dataset.to_string())
        .fetch_one(&self.db.pool)
        .await?)
    }
}
