use std::collections::HashMap;

use allmende_core::authz::ReadScope;
use allmende_core::validate::DatasetFields;
use allmende_core::{Contact, Dataset, Page, Spatial, Temporal, Visibility, time};
use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use uuid::Uuid;

use super::AuditActor;
use super::orgs::slug_conflict;
use super::{
    Catalog, Sql, opt_date, parse_json, parse_opt_date, parse_time, parse_uuid, record_change,
    to_json,
};
use crate::{CatalogError, Result};

/// List filters for catalog views (dashboards, organization pages); searching is the
/// search index's job.
#[derive(Debug, Clone)]
pub struct DatasetFilter {
    pub scope: ReadScope,
    pub organization: Option<String>,
    /// Lists only deleted datasets of these organizations (the publisher's trash).
    pub deleted_in: Option<Vec<Uuid>>,
    /// Only datasets changed at or after this time (incremental harvesting).
    pub modified_since: Option<DateTime<Utc>>,
}

impl DatasetFilter {
    pub fn new(scope: ReadScope) -> Self {
        Self {
            scope,
            organization: None,
            deleted_in: None,
            modified_since: None,
        }
    }
}

/// Orders for catalog views (search has its own sorting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DatasetSort {
    /// Last modified first.
    #[default]
    Modified,
    /// Newest in the portal first.
    Created,
    /// By id: a stable order for paging through everything (harvesters).
    Id,
}

impl DatasetSort {
    fn order_by(self) -> &'static str {
        match self {
            Self::Modified => "d.updated_at DESC, d.id",
            Self::Created => "d.created_at DESC, d.id",
            Self::Id => "d.id",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Totals {
    pub datasets: i64,
    pub organizations: i64,
    pub resources: i64,
}

#[derive(sqlx::FromRow)]
struct DatasetRow {
    id: String,
    slug: String,
    organization_id: String,
    org_slug: String,
    org_name: String,
    title: String,
    description: String,
    keywords: String,
    themes: String,
    license: String,
    contact_name: Option<String>,
    contact_email: Option<String>,
    maintainer_name: Option<String>,
    maintainer_email: Option<String>,
    issued: Option<String>,
    modified: Option<String>,
    temporal_start: Option<String>,
    temporal_end: Option<String>,
    spatial_name: Option<String>,
    spatial_ags: Option<String>,
    spatial_bbox: Option<String>,
    frequency: Option<String>,
    languages: String,
    landing_page: Option<String>,
    version: Option<String>,
    visibility: String,
    deleted: i64,
    extras: String,
    created_at: String,
    updated_at: String,
    released_at: Option<String>,
}

const DATASET_SELECT: &str = "SELECT d.id, d.slug, d.organization_id, o.slug AS org_slug, o.name AS org_name, \
     d.title, d.description, d.keywords, d.themes, d.license, d.contact_name, d.contact_email, \
     d.maintainer_name, d.maintainer_email, d.issued, d.modified, d.temporal_start, d.temporal_end, \
     d.spatial_name, d.spatial_ags, d.spatial_bbox, d.frequency, d.languages, d.landing_page, \
     d.version, d.visibility, d.deleted, d.extras, d.created_at, d.updated_at, d.released_at \
     FROM datasets d JOIN organizations o ON o.id = d.organization_id";

impl TryFrom<DatasetRow> for Dataset {
    type Error = CatalogError;

    fn try_from(r: DatasetRow) -> Result<Self> {
        Ok(Dataset {
            id: parse_uuid(&r.id)?,
            slug: r.slug,
            title: r.title,
            description: r.description,
            keywords: parse_json(&r.keywords)?,
            themes: parse_json(&r.themes)?,
            license: r.license,
            organization: r.org_slug,
            organization_id: parse_uuid(&r.organization_id)?,
            organization_name: r.org_name,
            contact: Contact {
                name: r.contact_name,
                email: r.contact_email,
            },
            maintainer: Contact {
                name: r.maintainer_name,
                email: r.maintainer_email,
            },
            issued: parse_opt_date(r.issued)?,
            modified: parse_opt_date(r.modified)?,
            temporal: Temporal {
                start: parse_opt_date(r.temporal_start)?,
                end: parse_opt_date(r.temporal_end)?,
            },
            spatial: Spatial {
                name: r.spatial_name,
                ags: r.spatial_ags,
                bbox: r.spatial_bbox.as_deref().map(parse_json).transpose()?,
            },
            frequency: r.frequency,
            languages: parse_json(&r.languages)?,
            landing_page: r.landing_page,
            version: r.version,
            visibility: Visibility::parse(&r.visibility)
                .ok_or_else(|| CatalogError::Corrupt(format!("visibility {:?}", r.visibility)))?,
            deleted: r.deleted != 0,
            extras: parse_json(&r.extras)?,
            created_at: parse_time(&r.created_at)?,
            updated_at: parse_time(&r.updated_at)?,
            released_at: r.released_at.as_deref().map(parse_time).transpose()?,
            resources: None,
        })
    }
}

async fn write_lists(conn: &mut AnyConnection, id: Uuid, f: &DatasetFields) -> Result<()> {
    let id = id.to_string();
    sqlx::query("DELETE FROM dataset_themes WHERE dataset_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM dataset_keywords WHERE dataset_id = $1")
        .bind(&id)
        .execute(&mut *conn)
        .await?;
    for t in &f.themes {
        sqlx::query("INSERT INTO dataset_themes (dataset_id, theme) VALUES ($1, $2)")
            .bind(&id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    for k in &f.keywords {
        sqlx::query("INSERT INTO dataset_keywords (dataset_id, keyword) VALUES ($1, $2)")
            .bind(&id)
            .bind(k)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Binds a dataset's columns in the order both the INSERT and the UPDATE use: `$1` id, `$2`
/// slug, `$3` organization, … `$25` extras, `$26` the timestamp.
fn bind_dataset<'q>(
    sql: &'q str,
    id: Uuid,
    org_id: Uuid,
    f: &'q DatasetFields,
    now: &'q str,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    sqlx::query(sql)
        .bind(id.to_string())
        .bind(&f.slug)
        .bind(org_id.to_string())
        .bind(&f.title)
        .bind(&f.description)
        .bind(to_json(&f.keywords))
        .bind(to_json(&f.themes))
        .bind(&f.license)
        .bind(&f.contact.name)
        .bind(&f.contact.email)
        .bind(&f.maintainer.name)
        .bind(&f.maintainer.email)
        .bind(opt_date(f.issued))
        .bind(opt_date(f.modified))
        .bind(opt_date(f.temporal.start))
        .bind(opt_date(f.temporal.end))
        .bind(&f.spatial.name)
        .bind(&f.spatial.ags)
        .bind(f.spatial.bbox.map(|b| to_json(&b)))
        .bind(&f.frequency)
        .bind(to_json(&f.languages))
        .bind(&f.landing_page)
        .bind(&f.version)
        .bind(f.visibility.as_str())
        .bind(to_json(&f.extras))
        .bind(now)
}

impl Catalog {
    pub async fn create_dataset(&self, f: &DatasetFields, org_id: Uuid) -> Result<Dataset> {
        self.create_dataset_by(f, org_id, &AuditActor::default())
            .await
    }

    /// Creates a dataset and its first revision, naming who made it.
    pub async fn create_dataset_by(
        &self,
        f: &DatasetFields,
        org_id: Uuid,
        by: &AuditActor<'_>,
    ) -> Result<Dataset> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        bind_dataset(
            "INSERT INTO datasets (id, slug, organization_id, title, description, keywords, themes, license, \
             contact_name, contact_email, maintainer_name, maintainer_email, issued, modified, \
             temporal_start, temporal_end, spatial_name, spatial_ags, spatial_bbox, frequency, languages, \
             landing_page, version, visibility, deleted, extras, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
             $20, $21, $22, $23, $24, 0, $25, $26, $26)",
            id,
            org_id,
            f,
            &now,
        )
        .execute(&mut *tx)
        .await
        .map_err(slug_conflict)?;
        write_lists(&mut tx, id, f).await?;
        record_change(&mut tx, "dataset", id, "create").await?;
        super::revisions::record_revision(&mut tx, id, f, by).await?;
        tx.commit().await?;
        drop(_w);
        self.dataset(&id.to_string())
            .await?
            .ok_or(CatalogError::NotFound)
    }

    pub async fn update_dataset(
        &self,
        id: Uuid,
        f: &DatasetFields,
        org_id: Uuid,
    ) -> Result<Dataset> {
        self.update_dataset_by(id, f, org_id, &AuditActor::default())
            .await
    }

    /// Updates a dataset and records the new revision, naming who changed it.
    pub async fn update_dataset_by(
        &self,
        id: Uuid,
        f: &DatasetFields,
        org_id: Uuid,
        by: &AuditActor<'_>,
    ) -> Result<Dataset> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = bind_dataset(
            "UPDATE datasets SET slug = $2, organization_id = $3, title = $4, description = $5, keywords = $6, \
             themes = $7, license = $8, contact_name = $9, contact_email = $10, maintainer_name = $11, \
             maintainer_email = $12, issued = $13, modified = $14, temporal_start = $15, temporal_end = $16, \
             spatial_name = $17, spatial_ags = $18, spatial_bbox = $19, frequency = $20, languages = $21, \
             landing_page = $22, version = $23, visibility = $24, extras = $25, updated_at = $26 \
             WHERE id = $1",
            id,
            org_id,
            f,
            &now,
        )
        .execute(&mut *tx)
        .await
        .map_err(slug_conflict)?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        write_lists(&mut tx, id, f).await?;
        record_change(&mut tx, "dataset", id, "update").await?;
        super::revisions::record_revision(&mut tx, id, f, by).await?;
        tx.commit().await?;
        drop(_w);
        self.dataset(&id.to_string())
            .await?
            .ok_or(CatalogError::NotFound)
    }

    /// Soft delete and restore.
    pub async fn set_dataset_deleted(&self, id: Uuid, deleted: bool) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = sqlx::query("UPDATE datasets SET deleted = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(i64::from(deleted))
            .bind(&now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        let action = if deleted { "delete" } else { "restore" };
        record_change(&mut tx, "dataset", id, action).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One dataset by id or slug, with its resources, whatever its visibility: the caller
    /// asks `authz::decide` before showing it.
    pub async fn dataset(&self, id_or_slug: &str) -> Result<Option<Dataset>> {
        let column = if Uuid::parse_str(id_or_slug).is_ok() {
            "d.id"
        } else {
            "d.slug"
        };
        let row: Option<DatasetRow> =
            sqlx::query_as(&format!("{DATASET_SELECT} WHERE {column} = $1"))
                .bind(id_or_slug)
                .fetch_optional(&self.db.pool)
                .await?;
        let Some(row) = row else { return Ok(None) };
        let mut ds = Dataset::try_from(row)?;
        ds.resources = Some(self.resources_of(ds.id).await?);
        Ok(Some(ds))
    }

    fn filter_sql(head: &str, f: &DatasetFilter) -> Sql {
        let mut sql = Sql::new(head);
        sql.push(" WHERE ");
        match &f.deleted_in {
            Some(orgs) => {
                sql.push("d.deleted = 1 AND d.organization_id IN (''");
                for o in orgs {
                    sql.push(", ").text(o.to_string());
                }
                sql.push(")");
            }
            None => {
                sql.scope("d", &f.scope);
            }
        }
        if let Some(o) = &f.organization {
            sql.push(" AND o.slug = ").text(o.clone());
        }
        if let Some(since) = &f.modified_since {
            sql.push(" AND d.updated_at >= ").text(time::to_db(since));
        }
        sql
    }

    pub async fn datasets(
        &self,
        filter: &DatasetFilter,
        sort: DatasetSort,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Dataset>> {
        let total: i64 = Self::filter_sql(
            "SELECT COUNT(*) FROM datasets d JOIN organizations o ON o.id = d.organization_id",
            filter,
        )
        .scalar()
        .fetch_one(&self.db.pool)
        .await?;
        let mut sql = Self::filter_sql(DATASET_SELECT, filter);
        sql.push(" ORDER BY ")
            .push(sort.order_by())
            .push(" LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let rows: Vec<DatasetRow> = sql.query_as().fetch_all(&self.db.pool).await?;
        let mut items: Vec<Dataset> = rows
            .into_iter()
            .map(Dataset::try_from)
            .collect::<Result<_>>()?;
        self.attach_resources(&mut items).await?;
        Ok(Page {
            total,
            page,
            per_page,
            items,
        })
    }

    /// Loads the resources of many datasets in one query.
    async fn attach_resources(&self, items: &mut [Dataset]) -> Result<()> {
        let mut by_dataset = self
            .resources_of_many(&items.iter().map(|d| d.id).collect::<Vec<_>>())
            .await?;
        for d in items {
            d.resources = Some(by_dataset.remove(&d.id).unwrap_or_default());
        }
        Ok(())
    }

    /// Every non-deleted dataset with its resources, in id order, `limit` at a time after
    /// `after` (keyset paging: constant cost per batch however far in, for full rebuilds).
    pub async fn datasets_after(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<Dataset>> {
        let mut sql = Sql::new(DATASET_SELECT);
        sql.push(" WHERE d.deleted = 0");
        if let Some(a) = after {
            sql.push(" AND d.id > ").text(a.to_string());
        }
        sql.push(" ORDER BY d.id LIMIT ").int(limit);
        let rows: Vec<DatasetRow> = sql.query_as().fetch_all(&self.db.pool).await?;
        let mut items: Vec<Dataset> = rows
            .into_iter()
            .map(Dataset::try_from)
            .collect::<Result<_>>()?;
        self.attach_resources(&mut items).await?;
        Ok(items)
    }

    /// When the last visible dataset changed (the DCAT catalog's `dct:modified`).
    pub async fn datasets_last_modified(&self, scope: &ReadScope) -> Result<Option<DateTime<Utc>>> {
        let mut sql = Sql::new("SELECT MAX(d.updated_at) FROM datasets d WHERE ");
        sql.scope("d", scope);
        let row: Option<(Option<String>,)> = sql.query_as().fetch_optional(&self.db.pool).await?;
        Ok(row.and_then(|(t,)| t).and_then(|t| time::from_db(&t)))
    }

    /// Slugs of the visible datasets in slug order (CKAN's `package_list`): cheap, no rows.
    pub async fn dataset_slugs(
        &self,
        scope: &ReadScope,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<String>> {
        let mut sql = Sql::new("SELECT d.slug FROM datasets d WHERE ");
        sql.scope("d", scope)
            .push(" ORDER BY d.slug LIMIT ")
            .int(limit)
            .push(" OFFSET ")
            .int(offset);
        let rows: Vec<(String,)> = sql.query_as().fetch_all(&self.db.pool).await?;
        Ok(rows.into_iter().map(|(s,)| s).collect())
    }

    /// Number of visible datasets per EU theme.
    pub async fn theme_counts(&self, scope: &ReadScope) -> Result<HashMap<String, i64>> {
        let mut sql = Sql::new(
            "SELECT t.theme, COUNT(*) FROM dataset_themes t JOIN datasets d ON d.id = t.dataset_id WHERE ",
        );
        sql.scope("d", scope).push(" GROUP BY t.theme");
        let rows: Vec<(String, i64)> = sql.query_as().fetch_all(&self.db.pool).await?;
        Ok(rows.into_iter().collect())
    }

    pub async fn totals(&self, scope: &ReadScope) -> Result<Totals> {
        let mut ds = Sql::new("SELECT COUNT(*) FROM datasets d WHERE ");
        ds.scope("d", scope);
        let datasets: i64 = ds.scalar().fetch_one(&self.db.pool).await?;
        let mut rs = Sql::new(
            "SELECT COUNT(*) FROM resources r JOIN datasets d ON d.id = r.dataset_id WHERE ",
        );
        rs.scope("d", scope);
        let resources: i64 = rs.scalar().fetch_one(&self.db.pool).await?;
        let organizations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
            .fetch_one(&self.db.pool)
            .await?;
        Ok(Totals {
            datasets,
            organizations,
            resources,
        })
    }
}
