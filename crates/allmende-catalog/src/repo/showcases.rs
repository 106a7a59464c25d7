//! Showcases ("Anwendungen"): what others built with the data, proposed by anyone, shown once
//! approved. The catalog keeps them and their datasets; who may approve is the application
//! layer's rule.

use allmende_core::time;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, parse_time, parse_uuid};
use crate::{CatalogError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShowcaseStatus {
    Pending,
    Approved,
    Rejected,
}

impl ShowcaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => Self::Pending,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            other => return Err(CatalogError::Corrupt(format!("showcase status {other:?}"))),
        })
    }
}

/// A dataset a showcase uses, with what deciding its visibility needs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ShowcaseDataset {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub organization_id: Uuid,
    pub public: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Showcase {
    pub id: Uuid,
    pub title: String,
    pub url: String,
    pub description: String,
    pub submitter_name: String,
    /// For the moderators only; never in a public answer.
    #[serde(skip)]
    pub submitter_email: Option<String>,
    pub status: ShowcaseStatus,
    pub created_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// The picture in the file store, with its media type.
    pub image_sha256: Option<String>,
    pub image_media_type: Option<String>,
    pub datasets: Vec<ShowcaseDataset>,
}

/// A proposal as checked by the application layer.
#[derive(Debug, Clone)]
pub struct NewShowcase {
    pub title: String,
    pub url: String,
    pub description: String,
    pub submitter_name: String,
    pub submitter_email: Option<String>,
    pub datasets: Vec<Uuid>,
    /// A stored picture: its SHA-256 and media type.
    pub image: Option<(String, String)>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

const SELECT: &str = "SELECT s.id, s.title, s.url, s.description, s.submitter_name, \
     s.submitter_email, s.status, s.created_at, s.reviewed_at, s.image_sha256, s.image_media_type \
     FROM showcases s";

impl Catalog {
    pub async fn create_showcase(&self, new: &NewShowcase) -> Result<Showcase> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        {
            let _w = self.db.write_guard().await;
            let mut tx = self.db.pool.begin().await?;
            sqlx::query(
                "INSERT INTO showcases (id, title, url, description, submitter_name, submitter_email, \
                 status, created_at, image_sha256, image_media_type) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9)",
            )
            .bind(id.to_string())
            .bind(&new.title)
            .bind(&new.url)
            .bind(&new.description)
            .bind(&new.submitter_name)
            .bind(&new.submitter_email)
            .bind(&now)
            .bind(new.image.as_ref().map(|i| &i.0))
            .bind(new.image.as_ref().map(|i| &i.1))
            .execute(&mut *tx)
            .await?;
            for d in &new.datasets {
                sqlx::query(
                    "INSERT INTO showcase_datasets (showcase_id, dataset_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(id.to_string())
                .bind(d.to_string())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        }
        self.showcase(id).await?.ok_or(CatalogError::NotFound)
    }

    pub async fn showcase(&self, id: Uuid) -> Result<Option<Showcase>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        match row {
            Some(r) => Ok(Some(self.with_datasets(r).await?)),
            None => Ok(None),
        }
    }

    /// Showcases in `status`, newest first; with `dataset`, only those that use it.
    pub async fn showcases(
        &self,
        status: ShowcaseStatus,
        dataset: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<Showcase>> {
        let rows: Vec<Row> = match dataset {
            Some(d) => {
                sqlx::query_as(&format!(
                    "{SELECT} JOIN showcase_datasets sd ON sd.showcase_id = s.id \
                     WHERE s.status = $1 AND sd.dataset_id = $2 ORDER BY s.created_at DESC, s.id LIMIT $3"
                ))
                .bind(status.as_str())
                .bind(d.to_string())
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query_as(&format!(
                    "{SELECT} WHERE s.status = $1 ORDER BY s.created_at DESC, s.id LIMIT $2"
                ))
                .bind(status.as_str())
                .bind(limit)
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.with_datasets(r).await?);
        }
        Ok(out)
    }

    /// Approves or rejects a showcase; `NotFound` when there is none.
    pub async fn review_showcase(
        &self,
        id: Uuid,
        status: ShowcaseStatus,
        by: Option<Uuid>,
    ) -> Result<()> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE showcases SET status = $2, reviewed_at = $3, reviewed_by = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(time::to_db(&time::now()))
        .bind(by.map(|u| u.to_string()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }

    /// Drops a showcase's picture (a rejected proposal keeps none); returns the blob it had.
    pub async fn clear_showcase_image(&self, id: Uuid) -> Result<Option<String>> {
        let _w = self.db.write_guard().await;
        let old: Option<Option<String>> =
            sqlx::query_scalar("SELECT image_sha256 FROM showcases WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&self.db.pool)
                .await?;
        sqlx::query(
            "UPDATE showcases SET image_sha256 = NULL, image_media_type = NULL WHERE id = $1",
        )
        .bind(id.to_string())
        .execute(&self.db.pool)
        .await?;
        Ok(old.flatten())
    }

    async fn with_datasets(&self, r: Row) -> Result<Showcase> {
        let id = parse_uuid(&r.0)?;
        let datasets: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT d.id, d.slug, d.title, d.organization_id, d.visibility, d.deleted \
             FROM showcase_datasets sd JOIN datasets d ON d.id = sd.dataset_id \
             WHERE sd.showcase_id = $1 ORDER BY d.title",
        )
        .bind(id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        Ok(Showcase {
            id,
            title: r.1,
            url: r.2,
            description: r.3,
            submitter_name: r.4,
            submitter_email: r.5,
            status: ShowcaseStatus::parse(&r.6)?,
            created_at: parse_time(&r.7)?,
            reviewed_at: r.8.as_deref().map(parse_time).transpose()?,
            image_sha256: r.9,
            image_media_type: r.10,
            datasets: datasets
                .into_iter()
                .map(|(id, slug, title, org, visibility, deleted)| {
                    Ok(ShowcaseDataset {
                        id: parse_uuid(&id)?,
                        slug,
                        title,
                        organization_id: parse_uuid(&org)?,
                        public: visibility == "public" && deleted == 0,
                    })
                })
                .collect::<Result<_>>()?,
        })
    }
}
