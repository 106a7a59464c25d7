use allmende_core::authz::ReadScope;
use allmende_core::validate::OrganizationFields;
use allmende_core::{Organization, Page, time};
use uuid::Uuid;

use super::{Catalog, Sql, parse_time, parse_uuid, record_change};
use crate::{CatalogError, Result};

#[derive(sqlx::FromRow)]
struct OrgRow {
    id: String,
    slug: String,
    name: String,
    description: String,
    website: Option<String>,
    email: Option<String>,
    ags: Option<String>,
    org_type: String,
    logo_sha256: Option<String>,
    logo_media_type: Option<String>,
    created_at: String,
    updated_at: String,
    dataset_count: i64,
}

const ORG_COLUMNS: &str = "o.id, o.slug, o.name, o.description, o.website, o.email, o.ags, o.org_type, \
     o.logo_sha256, o.logo_media_type, o.created_at, o.updated_at";

impl Catalog {
    fn org_from_row(&self, r: OrgRow) -> Result<Organization> {
        let logo_url = r
            .logo_sha256
            .as_ref()
            .map(|_| format!("{}/api/v1/organizations/{}/logo", self.public_url(), r.slug));
        Ok(Organization {
            id: parse_uuid(&r.id)?,
            slug: r.slug,
            name: r.name,
            description: r.description,
            website: r.website,
            email: r.email,
            ags: r.ags,
            org_type: r.org_type,
            logo_url,
            logo_sha256: r.logo_sha256,
            logo_media_type: r.logo_media_type,
            dataset_count: r.dataset_count,
            created_at: parse_time(&r.created_at)?,
            updated_at: parse_time(&r.updated_at)?,
        })
    }

    fn org_select(scope: &ReadScope) -> Sql {
        let mut sql = Sql::new(&format!(
            "SELECT {ORG_COLUMNS}, (SELECT COUNT(*) FROM datasets d WHERE d.organization_id = o.id AND "
        ));
        sql.scope("d", scope)
            .push(") AS dataset_count FROM organizations o");
        sql
    }

    pub async fn create_organization(&self, f: &OrganizationFields) -> Result<Organization> {
        let id = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "INSERT INTO organizations (id, slug, name, description, website, email, ags, org_type, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(id.to_string())
        .bind(&f.slug)
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.website)
        .bind(&f.email)
        .bind(&f.ags)
        .bind(&f.org_type)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(slug_conflict)?;
        record_change(&mut tx, "organization", id, "create").await?;
        tx.commit().await?;
        drop(_w);
        self.organization(&f.slug, &ReadScope::All)
            .await?
            .ok_or(CatalogError::NotFound)
    }

    pub async fn update_organization(
        &self,
        id: Uuid,
        f: &OrganizationFields,
    ) -> Result<Organization> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE organizations SET slug = $2, name = $3, description = $4, website = $5, email = $6, \
             ags = $7, org_type = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(&f.slug)
        .bind(&f.name)
        .bind(&f.description)
        .bind(&f.website)
        .bind(&f.email)
        .bind(&f.ags)
        .bind(&f.org_type)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(slug_conflict)?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        record_change(&mut tx, "organization", id, "update").await?;
        tx.commit().await?;
        drop(_w);
        self.organization(&f.slug, &ReadScope::All)
            .await?
            .ok_or(CatalogError::NotFound)
    }

    pub async fn set_organization_logo(&self, id: Uuid, logo: Option<(&str, &str)>) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query(
            "UPDATE organizations SET logo_sha256 = $2, logo_media_type = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(logo.map(|l| l.0.to_string()))
        .bind(logo.map(|l| l.1.to_string()))
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        record_change(&mut tx, "organization", id, "update").await?;
        tx.commit().await?;
        Ok(())
    }

    /// By slug or id. Organizations are public; `scope` decides which datasets are counted.
    pub async fn organization(
        &self,
        slug_or_id: &str,
        scope: &ReadScope,
    ) -> Result<Option<Organization>> {
        let mut sql = Self::org_select(scope);
        if Uuid::parse_str(slug_or_id).is_ok() {
            sql.push(" WHERE o.id = ").text(slug_or_id.to_string());
        } else {
            sql.push(" WHERE o.slug = ").text(slug_or_id.to_string());
        }
        let row: Option<OrgRow> = sql.query_as().fetch_optional(&self.db.pool).await?;
        row.map(|r| self.org_from_row(r)).transpose()
    }

    /// Slug and name of every organization (cheap: for labels, no counts).
    pub async fn organization_names(&self) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as("SELECT slug, name FROM organizations")
            .fetch_all(&self.db.pool)
            .await?)
    }

    pub async fn organizations(
        &self,
        scope: &ReadScope,
        page: i64,
        per_page: i64,
    ) -> Result<Page<Organization>> {
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organizations")
            .fetch_one(&self.db.pool)
            .await?;
        let mut sql = Self::org_select(scope);
        sql.push(" ORDER BY o.name, o.slug LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let rows: Vec<OrgRow> = sql.query_as().fetch_all(&self.db.pool).await?;
        Ok(Page {
            total,
            page,
            per_page,
            items: rows
                .into_iter()
                .map(|r| self.org_from_row(r))
                .collect::<Result<_>>()?,
        })
    }
}

pub(crate) fn slug_conflict(e: sqlx::Error) -> CatalogError {
    match CatalogError::from(e) {
        CatalogError::Conflict(_) => CatalogError::Conflict("slug".into()),
        other => other,
    }
}
