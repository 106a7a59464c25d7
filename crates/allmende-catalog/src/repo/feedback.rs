//! Feedback: reported errors and data wishes from visitors, with the status and the optional
//! public answer of the organization they concern. Who may see and answer them is the
//! application layer's rule.

use allmende_core::time;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, parse_time, parse_uuid};
use crate::{CatalogError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackKind {
    /// "Fehler melden": something in a dataset is wrong.
    Error,
    /// "Daten anfragen": data the visitor wishes were published.
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedbackStatus {
    Open,
    Answered,
    Done,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident => $s:literal),* }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),* }
            }
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some(Self::$v),)* _ => None }
            }
        }
    };
}
text_enum!(FeedbackKind { Error => "error", Request => "request" });
text_enum!(FeedbackStatus { Open => "open", Answered => "answered", Done => "done" });

#[derive(Debug, Clone, serde::Serialize)]
pub struct Feedback {
    pub id: Uuid,
    pub kind: FeedbackKind,
    pub dataset_id: Option<Uuid>,
    /// The dataset's slug and title, for showing where it belongs.
    pub dataset_slug: Option<String>,
    pub dataset_title: Option<String>,
    pub organization_id: Option<Uuid>,
    pub message: String,
    /// For the organization only; never on a public page.
    #[serde(skip)]
    pub name: Option<String>,
    #[serde(skip)]
    pub email: Option<String>,
    pub status: FeedbackStatus,
    pub public_answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewFeedback {
    pub kind: FeedbackKind,
    pub dataset_id: Option<Uuid>,
    pub organization_id: Option<Uuid>,
    pub message: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// Which feedback to list.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    /// Of these organizations; `None` for all (sysadmins), and then also that of none.
    pub organizations: Option<Vec<Uuid>>,
    pub dataset: Option<Uuid>,
    /// Only those with a public answer.
    pub answered_publicly: bool,
}

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    String,
    String,
);

const SELECT: &str = "SELECT f.id, f.kind, f.dataset_id, d.slug, d.title, f.organization_id, f.message, \
     f.name, f.email, f.status, f.public_answer, f.created_at, f.updated_at \
     FROM feedback f LEFT JOIN datasets d ON d.id = f.dataset_id";

fn corrupt(what: &str, v: &str) -> CatalogError {
    CatalogError::Corrupt(format!("feedback {what} {v:?}"))
}

fn from_row(r: Row) -> Result<Feedback> {
    Ok(Feedback {
        id: parse_uuid(&r.0)?,
        kind: FeedbackKind::parse(&r.1).ok_or_else(|| corrupt("kind", &r.1))?,
        dataset_id: r.2.as_deref().map(parse_uuid).transpose()?,
        dataset_slug: r.3,
        dataset_title: r.4,
        organization_id: r.5.as_deref().map(parse_uuid).transpose()?,
        message: r.6,
        name: r.7,
        email: r.8,
        status: FeedbackStatus::parse(&r.9).ok_or_else(|| corrupt("status", &r.9))?,
        public_answer: r.10,
        created_at: parse_time(&r.11)?,
        updated_at: parse_time(&r.12)?,
    })
}

impl Catalog {
    pub async fn create_feedback(&self, new: &NewFeedback) -> Result<Feedback> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        {
            let _w = self.db.write_guard().await;
            sqlx::query(
                "INSERT INTO feedback (id, kind, dataset_id, organization_id, message, name, email, \
                 status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $8)",
            )
            .bind(id.to_string())
            .bind(new.kind.as_str())
            .bind(new.dataset_id.map(|d| d.to_string()))
            .bind(new.organization_id.map(|o| o.to_string()))
            .bind(&new.message)
            .bind(&new.name)
            .bind(&new.email)
            .bind(&now)
            .execute(&self.db.pool)
            .await?;
        }
        self.feedback(id).await?.ok_or(CatalogError::NotFound)
    }

    pub async fn feedback(&self, id: Uuid) -> Result<Option<Feedback>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE f.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(from_row).transpose()
    }

    /// Newest first, at most `limit`.
    pub async fn feedback_list(&self, f: &FeedbackFilter, limit: i64) -> Result<Vec<Feedback>> {
        let mut sql = format!("{SELECT} WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        if let Some(orgs) = &f.organizations {
            if orgs.is_empty() {
                return Ok(Vec::new());
            }
            let marks: Vec<String> = orgs
                .iter()
                .map(|o| {
                    binds.push(o.to_string());
                    format!("${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND f.organization_id IN ({})", marks.join(", ")));
        }
        if let Some(d) = f.dataset {
            binds.push(d.to_string());
            sql.push_str(&format!(" AND f.dataset_id = ${}", binds.len()));
        }
        if f.answered_publicly {
            sql.push_str(" AND f.public_answer IS NOT NULL");
        }
        sql.push_str(&format!(
            " ORDER BY f.created_at DESC, f.id LIMIT {}",
            limit.clamp(1, 1000)
        ));
        let mut q = sqlx::query_as::<_, Row>(&sql);
        for b in &binds {
            q = q.bind(b);
        }
        q.fetch_all(&self.db.pool)
            .await?
            .into_iter()
            .map(from_row)
            .collect()
    }

    /// Sets the status and the public answer (`None` takes it back).
    pub async fn answer_feedback(
        &self,
        id: Uuid,
        status: FeedbackStatus,
        public_answer: Option<&str>,
        by: Option<Uuid>,
    ) -> Result<()> {
        let _w = self.db.write_guard().await;
        let n = sqlx::query(
            "UPDATE feedback SET status = $2, public_answer = $3, answered_by = $4, updated_at = $5 \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(status.as_str())
        .bind(public_answer)
        .bind(by.map(|u| u.to_string()))
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        Ok(())
    }
}
