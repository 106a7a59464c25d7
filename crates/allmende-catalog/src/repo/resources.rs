use std::collections::HashMap;

use allmende_core::validate::ResourceFields;
use allmende_core::{ProcessingStatus, Resource, time};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, Sql, parse_time, parse_uuid, record_change, touch_dataset};
use crate::{CatalogError, Result};

/// A stored upload a resource points at.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub sha256: String,
    pub size: i64,
    pub file_name: String,
}

#[derive(Debug, Clone)]
pub struct NewResource {
    pub fields: ResourceFields,
    pub file: Option<NewFile>,
    /// Detected or given EU file-type code.
    pub format: Option<String>,
    pub media_type: Option<String>,
    pub status: ProcessingStatus,
    /// A table's file on a public dataset: not served until its privacy check lets it out.
    pub withheld: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct ResourceRow {
    id: String,
    dataset_id: String,
    title: String,
    description: String,
    url: Option<String>,
    sha256: Option<String>,
    file_name: Option<String>,
    format: Option<String>,
    media_type: Option<String>,
    byte_size: Option<i64>,
    license: Option<String>,
    position: i64,
    status: String,
    status_message: Option<String>,
    table_version: Option<String>,
    table_name: Option<String>,
    created_at: String,
    updated_at: String,
    withheld: i64,
    link_status: Option<i64>,
    link_checked_at: Option<String>,
}

pub(super) const RESOURCE_SELECT: &str = "SELECT id, dataset_id, title, description, url, sha256, file_name, format, \
     media_type, byte_size, license, position, status, status_message, table_version, table_name, \
     created_at, updated_at, withheld, link_status, link_checked_at FROM resources";

impl Catalog {
    pub(super) fn resource_from_row(&self, r: ResourceRow) -> Result<Resource> {
        let download_url = match &r.url {
            Some(u) => u.clone(),
            None => format!("{}/api/v1/resources/{}/download", self.public_url(), r.id),
        };
        Ok(Resource {
            id: parse_uuid(&r.id)?,
            dataset_id: parse_uuid(&r.dataset_id)?,
            title: r.title,
            description: r.description,
            url: r.url,
            download_url,
            file_name: r.file_name,
            format: r.format,
            media_type: r.media_type,
            byte_size: r.byte_size,
            sha256: r.sha256,
            license: r.license,
            position: r.position,
            status: ProcessingStatus::parse(&r.status),
            status_message: r.status_message,
            table_version: r.table_version.as_deref().map(parse_uuid).transpose()?,
            table_name: r.table_name,
            created_at: parse_time(&r.created_at)?,
            updated_at: parse_time(&r.updated_at)?,
            withheld: r.withheld != 0,
            link_status: r.link_status,
            link_checked_at: r.link_checked_at.as_deref().map(parse_time).transpose()?,
        })
    }

    pub async fn create_resource(&self, dataset_id: Uuid, r: &NewResource) -> Result<Resource> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let touched = touch_dataset(&mut tx, dataset_id, &now, r.file.is_some()).await?;
        if touched == 0 {
            return Err(CatalogError::NotFound);
        }
        let position = match r.fields.position {
            Some(p) => p,
            None => {
                let max: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(position) FROM resources WHERE dataset_id = $1")
                        .bind(dataset_id.to_string())
                        .fetch_one(&mut *tx)
                        .await?;
                max.map_or(0, |m| m + 1)
            }
        };
        sqlx::query(
            "INSERT INTO resources (id, dataset_id, title, description, url, sha256, file_name, format, \
             media_type, byte_size, license, position, status, created_at, updated_at, withheld) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15)",
        )
        .bind(id.to_string())
        .bind(dataset_id.to_string())
        .bind(&r.fields.title)
        .bind(&r.fields.description)
        .bind(&r.fields.url)
        .bind(r.file.as_ref().map(|f| f.sha256.clone()))
        .bind(r.file.as_ref().map(|f| f.file_name.clone()))
        .bind(&r.format)
        .bind(&r.media_type)
        .bind(r.file.as_ref().map(|f| f.size))
        .bind(&r.fields.license)
        .bind(position)
        .bind(r.status.as_str())
        .bind(&now)
        .bind(i64::from(r.withheld))
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, "resource", id, "create").await?;
        record_change(&mut tx, "dataset", dataset_id, "update").await?;
        tx.commit().await?;
        drop(_w);
        self.resource(id).await?.ok_or(CatalogError::NotFound)
    }

    /// Changes a resource's metadata (not its file).
    pub async fn update_resource(
        &self,
        id: Uuid,
        dataset_id: Uuid,
        f: &ResourceFields,
        media_type: Option<&str>,
    ) -> Result<Resource> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE resources SET title = $2, description = $3, url = $4, format = $5, media_type = $6, \
             license = $7, position = COALESCE($8, position), updated_at = $9 \
             WHERE id = $1 AND dataset_id = $10",
        )
        .bind(id.to_string())
        .bind(&f.title)
        .bind(&f.description)
        .bind(&f.url)
        .bind(&f.format)
        .bind(media_type)
        .bind(&f.license)
        .bind(f.position)
        .bind(&now)
        .bind(dataset_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        sqlx::query("UPDATE datasets SET updated_at = $2 WHERE id = $1")
            .bind(dataset_id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        record_change(&mut tx, "resource", id, "update").await?;
        record_change(&mut tx, "dataset", dataset_id, "update").await?;
        tx.commit().await?;
        drop(_w);
        self.resource(id).await?.ok_or(CatalogError::NotFound)
    }

    /// Removes the resource row. Its blob stays: other resources may share the content, and
    /// backups taken earlier may still refer to it.
    pub async fn delete_resource(&self, id: Uuid, dataset_id: Uuid) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        // The resource must belong to the dataset whose change is recorded.
        let n = sqlx::query("DELETE FROM resources WHERE id = $1 AND dataset_id = $2")
            .bind(id.to_string())
            .bind(dataset_id.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        sqlx::query("UPDATE datasets SET updated_at = $2 WHERE id = $1")
            .bind(dataset_id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        record_change(&mut tx, "resource", id, "delete").await?;
        record_change(&mut tx, "dataset", dataset_id, "update").await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn resource(&self, id: Uuid) -> Result<Option<Resource>> {
        let row: Option<ResourceRow> = sqlx::query_as(&format!("{RESOURCE_SELECT} WHERE id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(|r| self.resource_from_row(r)).transpose()
    }

    pub async fn resources_of(&self, dataset_id: Uuid) -> Result<Vec<Resource>> {
        let rows: Vec<ResourceRow> = sqlx::query_as(&format!(
            "{RESOURCE_SELECT} WHERE dataset_id = $1 ORDER BY position, created_at"
        ))
        .bind(dataset_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|r| self.resource_from_row(r))
            .collect()
    }

    pub(crate) async fn resources_of_many(
        &self,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<Resource>>> {
        let mut out: HashMap<Uuid, Vec<Resource>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(RESOURCE_SELECT);
        sql.push(" WHERE dataset_id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text(id.to_string());
        }
        sql.push(") ORDER BY position, created_at");
        let rows: Vec<ResourceRow> = sql.query_as().fetch_all(&self.db.pool).await?;
        for r in rows {
            let r = self.resource_from_row(r)?;
            out.entry(r.dataset_id).or_default().push(r);
        }
        Ok(out)
    }

    /// Whether any resource or logo still points at a blob (before removing one).
    pub async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM resources WHERE sha256 = $1) + \
             (SELECT COUNT(*) FROM organizations WHERE logo_sha256 = $1) + \
             (SELECT COUNT(*) FROM showcases WHERE image_sha256 = $1)",
        )
        .bind(sha256)
        .fetch_one(&self.db.pool)
        .await?;
        Ok(n > 0)
    }
}

impl Catalog {
    /// Links of public datasets whose last check is older than `before` (never checked first).
    pub async fn links_due(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(Uuid, String)>> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT r.id, r.url FROM resources r JOIN datasets d ON d.id = r.dataset_id \
             WHERE r.url IS NOT NULL AND d.visibility = 'public' AND d.deleted = 0 \
             AND (r.link_checked_at IS NULL OR r.link_checked_at < $1) \
             ORDER BY COALESCE(r.link_checked_at, ''), r.id LIMIT $2",
        )
        .bind(time::to_db(&before))
        .bind(limit)
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter()
            .map(|(id, url)| Ok((parse_uuid(&id)?, url)))
            .collect()
    }

    /// Records what a link answered. Not a change of the resource: neither its modification
    /// time nor the change log move.
    pub async fn set_link_status(&self, id: Uuid, status: i64) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("UPDATE resources SET link_status = $2, link_checked_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(status)
            .bind(time::to_db(&time::now()))
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
