//! Table versions of tabular resources: scheduling an ingestion (version row + job in one
//! transaction), progress, and switching the served version only once a new one is complete.

use allmende_core::authz::ReadScope;
use allmende_core::time;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Catalog, Sql, parse_time, parse_uuid, record_change, touch_dataset};
use crate::{CatalogError, Result};

/// Job kind of an ingestion.
pub const INGEST_JOB: &str = "ingest";

#[derive(Debug, Clone, serde::Serialize)]
pub struct TableVersion {
    pub id: Uuid,
    pub resource_id: Uuid,
    pub version: i64,
    pub source_sha256: String,
    pub source_name: Option<String>,
    /// Publisher overrides of the detection (JSON object).
    pub options: serde_json::Value,
    /// `queued`, `running`, `done`, `held` (complete, kept back for privacy findings) or
    /// `failed`.
    pub status: String,
    pub job_id: Option<Uuid>,
    pub progress_rows: i64,
    #[serde(skip)]
    pub parquet_sha256: Option<String>,
    pub parquet_size: Option<i64>,
    pub row_count: Option<i64>,
    /// The ingestion report: columns with types and statistics, dialect, warnings.
    pub report: Option<serde_json::Value>,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    resource_id: String,
    version: i64,
    source_sha256: String,
    source_name: Option<String>,
    options: String,
    status: String,
    job_id: Option<String>,
    progress_rows: i64,
    parquet_sha256: Option<String>,
    parquet_size: Option<i64>,
    row_count: Option<i64>,
    report: Option<String>,
    message: Option<String>,
    created_at: String,
    updated_at: String,
}

const SELECT: &str = "SELECT v.id, v.resource_id, v.version, v.source_sha256, v.source_name, v.options, \
    v.status, v.job_id, v.progress_rows, v.parquet_sha256, v.parquet_size, v.row_count, v.report, \
    v.message, v.created_at, v.updated_at FROM table_versions v";

fn from_row(r: Row) -> Result<TableVersion> {
    Ok(TableVersion {
        id: parse_uuid(&r.id)?,
        resource_id: parse_uuid(&r.resource_id)?,
        version: r.version,
        source_sha256: r.source_sha256,
        source_name: r.source_name,
        options: serde_json::from_str(&r.options).unwrap_or_default(),
        status: r.status,
        job_id: r.job_id.as_deref().map(parse_uuid).transpose()?,
        progress_rows: r.progress_rows,
        parquet_sha256: r.parquet_sha256,
        parquet_size: r.parquet_size,
        row_count: r.row_count,
        report: r.report.and_then(|s| serde_json::from_str(&s).ok()),
        message: r.message,
        created_at: parse_time(&r.created_at)?,
        updated_at: parse_time(&r.updated_at)?,
    })
}

/// A served table SQL may read: its alias and version.
#[derive(Debug, Clone)]
pub struct PublicTable {
    pub alias: String,
    pub dataset_slug: String,
    pub version: TableVersion,
}

/// `haushalt-aalen-2024` → `haushalt_aalen_2024`: SQL identifiers without quoting.
fn alias_base(dataset_slug: &str, position: i64) -> String {
    let mut s: String = dataset_slug
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 't');
    }
    s.truncate(56);
    if position > 0 {
        s.push_str(&format!("_{}", position + 1));
    }
    s
}

impl Catalog {
    /// Creates the next version of a resource's table from `source_sha256` and queues its
    /// ingestion; the resource shows `pending` until the job finishes.
    pub async fn schedule_ingest(
        &self,
        resource_id: Uuid,
        source_sha256: &str,
        source_name: Option<&str>,
        options: &serde_json::Value,
    ) -> Result<TableVersion> {
        self.schedule(resource_id, source_sha256, source_name, options, None, None)
            .await
    }

    /// Queues a new file for a tabular resource: it becomes the resource's file (download,
    /// checksum, size, format) only together with its table, when the version completes; until
    /// then the resource keeps serving its current file and table, and a failure changes
    /// neither.
    pub async fn schedule_replacement(
        &self,
        resource_id: Uuid,
        file: &super::NewFile,
        format: Option<&str>,
        media_type: Option<&str>,
    ) -> Result<TableVersion> {
        self.schedule(
            resource_id,
            &file.sha256,
            Some(&file.file_name),
            &serde_json::json!({}),
            None,
            Some((file.size, format, media_type)),
        )
        .await
    }

    /// Like [`Catalog::schedule_ingest`] for a link: the worker first fetches `url` into the
    /// file store (the version's source stays empty until then).
    pub async fn schedule_fetch_ingest(
        &self,
        resource_id: Uuid,
        url: &str,
        options: &serde_json::Value,
    ) -> Result<TableVersion> {
        self.schedule(resource_id, "", None, options, Some(url), None)
            .await
    }

    /// Records the fetched original of a version scheduled from a URL.
    pub async fn set_table_source(
        &self,
        id: Uuid,
        source_sha256: &str,
        source_name: Option<&str>,
    ) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query(
            "UPDATE table_versions SET source_sha256 = $2, source_name = COALESCE($3, source_name), updated_at = $4 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(source_sha256)
        .bind(source_name)
        .bind(time::to_db(&time::now()))
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    async fn schedule(
        &self,
        resource_id: Uuid,
        source_sha256: &str,
        source_name: Option<&str>,
        options: &serde_json::Value,
        url: Option<&str>,
        replacement: Option<(i64, Option<&str>, Option<&str>)>,
    ) -> Result<TableVersion> {
        let id = Uuid::new_v4();
        let job = Uuid::new_v4();
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let next: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM table_versions WHERE resource_id = $1",
        )
        .bind(resource_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO table_versions (id, resource_id, version, source_sha256, source_name, options, status, job_id, created_at, updated_at, \
             replaces_file, source_size, source_format, source_media_type) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $8, $9, $10, $11, $12)",
        )
        .bind(id.to_string())
        .bind(resource_id.to_string())
        .bind(next)
        .bind(source_sha256)
        .bind(source_name)
        .bind(options.to_string())
        .bind(job.to_string())
        .bind(&now)
        .bind(i64::from(replacement.is_some()))
        .bind(replacement.map(|r| r.0))
        .bind(replacement.and_then(|r| r.1))
        .bind(replacement.and_then(|r| r.2))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, status, max_attempts, run_after, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', 4, $4, $4, $4)",
        )
        .bind(job.to_string())
        .bind(INGEST_JOB)
        .bind(
            match url {
                Some(url) => serde_json::json!({ "table_version": id, "url": url }),
                None => serde_json::json!({ "table_version": id }),
            }
            .to_string(),
        )
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "UPDATE resources SET status = 'pending', status_message = NULL, updated_at = $2 WHERE id = $1",
        )
        .bind(resource_id.to_string())
        .bind(&now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        record_change(&mut tx, "resource", resource_id, "update").await?;
        tx.commit().await?;
        drop(_w);
        self.table_version(id).await?.ok_or(CatalogError::NotFound)
    }

    pub async fn table_version(&self, id: Uuid) -> Result<Option<TableVersion>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE v.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(from_row).transpose()
    }

    pub async fn table_version_by_job(&self, job: Uuid) -> Result<Option<TableVersion>> {
        let row: Option<Row> = sqlx::query_as(&format!("{SELECT} WHERE v.job_id = $1"))
            .bind(job.to_string())
            .fetch_optional(&self.db.pool)
            .await?;
        row.map(from_row).transpose()
    }

    /// All versions of a resource, newest first.
    pub async fn table_versions_of(&self, resource_id: Uuid) -> Result<Vec<TableVersion>> {
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE v.resource_id = $1 ORDER BY v.version DESC"
        ))
        .bind(resource_id.to_string())
        .fetch_all(&self.db.pool)
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    /// A resource and its table versions (newest first) as of one moment, read in one
    /// transaction: a switch to a new version is never half seen (the newest version done
    /// while the resource still serves the one before).
    pub async fn table_state(
        &self,
        resource_id: Uuid,
    ) -> Result<Option<(allmende_core::Resource, Vec<TableVersion>)>> {
        let mut tx = self.db.pool.begin().await?;
        if self.db.backend() == crate::Backend::Postgres {
            // Read committed would give each statement its own snapshot.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let row: Option<super::resources::ResourceRow> = sqlx::query_as(&format!(
            "{} WHERE id = $1",
            super::resources::RESOURCE_SELECT
        ))
        .bind(resource_id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "{SELECT} WHERE v.resource_id = $1 ORDER BY v.version DESC"
        ))
        .bind(resource_id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let versions = rows.into_iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Some((self.resource_from_row(row)?, versions)))
    }

    /// The version a resource serves, if any.
    pub async fn serving_table(&self, resource_id: Uuid) -> Result<Option<TableVersion>> {
        let row: Option<Row> = sqlx::query_as(&format!(
            "{SELECT} JOIN resources r ON r.table_version = v.id WHERE r.id = $1"
        ))
        .bind(resource_id.to_string())
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(from_row).transpose()
    }

    pub async fn start_table_version(&self, id: Uuid) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("UPDATE table_versions SET status = 'running', progress_rows = 0, updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE resources SET status = 'running', updated_at = $2 WHERE id = (SELECT resource_id FROM table_versions WHERE id = $1)")
            .bind(id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn table_progress(&self, id: Uuid, rows: i64) -> Result<()> {
        let _w = self.db.write_guard().await;
        sqlx::query("UPDATE table_versions SET progress_rows = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(rows)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Marks a version complete and makes it the one the resource serves (atomically), with
    /// a stable SQL alias assigned on the first success. With `hold_if_public` (the file has
    /// unacknowledged high privacy findings) a version of a public dataset is held instead:
    /// complete, but not served until [`Catalog::release_held_version`].
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_table_version(
        &self,
        id: Uuid,
        parquet_sha256: &str,
        parquet_size: i64,
        rows: i64,
        report: &serde_json::Value,
        summary: Option<&str>,
        hold_if_public: bool,
    ) -> Result<Finished> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let (resource_id, visibility, deleted): (String, String, i64) = sqlx::query_as(
            "SELECT r.id, d.visibility, d.deleted FROM table_versions v \
             JOIN resources r ON r.id = v.resource_id JOIN datasets d ON d.id = r.dataset_id WHERE v.id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let hold = hold_if_public && visibility == "public" && deleted == 0;
        sqlx::query(
            "UPDATE table_versions SET status = $8, parquet_sha256 = $2, parquet_size = $3, row_count = $4, \
             progress_rows = $4, report = $5, message = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(parquet_sha256)
        .bind(parquet_size)
        .bind(rows)
        .bind(report.to_string())
        .bind(summary)
        .bind(&now)
        .bind(if hold { "held" } else { "done" })
        .execute(&mut *tx)
        .await?;
        let finished = if hold {
            sqlx::query(
                "UPDATE resources SET status = 'held', status_message = NULL, updated_at = $2 WHERE id = $1",
            )
            .bind(&resource_id)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
            record_change(&mut tx, "resource", parse_uuid(&resource_id)?, "update").await?;
            Finished::Held
        } else if serve_version(&mut tx, id, summary, &now).await? {
            Finished::Served
        } else {
            Finished::Superseded
        };
        tx.commit().await?;
        Ok(finished)
    }

    /// Serves a held version (its findings were acknowledged), unless a newer one is served by
    /// now; writes the release to the audit log. `false` when the version was not held.
    pub async fn release_held_version(
        &self,
        id: Uuid,
        actor: &super::audit::Actor<'_>,
    ) -> Result<bool> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let row: Option<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT resource_id, message, source_sha256 FROM table_versions WHERE id = $1 AND status = 'held'",
        )
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((resource_id, summary, sha)) = row else {
            return Ok(false);
        };
        sqlx::query("UPDATE table_versions SET status = 'done', updated_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        serve_version(&mut tx, id, summary.as_deref(), &now).await?;
        super::audit::record_audit(
            &mut tx,
            actor,
            "resource.release",
            "resource",
            parse_uuid(&resource_id)?,
            &serde_json::json!({ "table_version": id, "source_sha256": sha }),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records a failed version; the resource keeps serving its previous version, if any.
    pub async fn fail_table_version(&self, id: Uuid, message: &str) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("UPDATE table_versions SET status = 'failed', message = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_string())
            .bind(message)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        let resource: Option<String> =
            sqlx::query_scalar("SELECT resource_id FROM table_versions WHERE id = $1")
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(r) = resource {
            // A file that cannot be read as a table cannot be checked either: it is served as
            // a plain file, like a PDF (the publisher sees why its table failed).
            sqlx::query("UPDATE resources SET status = 'failed', status_message = $2, updated_at = $3, withheld = 0 WHERE id = $1")
                .bind(&r)
                .bind(message)
                .bind(&now)
                .execute(&mut *tx)
                .await?;
            record_change(&mut tx, "resource", parse_uuid(&r)?, "update").await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Served tables of datasets in `scope` (the SQL API passes the anonymous scope).
    pub async fn served_tables(&self, scope: &ReadScope) -> Result<Vec<PublicTable>> {
        let mut sql = Sql::new(&format!(
            "{}, r.table_name, d.slug FROM table_versions v JOIN resources r ON r.table_version = v.id \
             JOIN datasets d ON d.id = r.dataset_id WHERE ",
            SELECT.trim_end_matches(" FROM table_versions v")
        ));
        sql.scope("d", scope);
        sql.push(" ORDER BY r.table_name");
        #[derive(sqlx::FromRow)]
        struct WithAlias {
            #[sqlx(flatten)]
            row: Row,
            table_name: Option<String>,
            slug: String,
        }
        let rows: Vec<WithAlias> = sql.query_as().fetch_all(&self.db.pool).await?;
        rows.into_iter()
            .filter_map(|r| {
                let alias = r.table_name?;
                Some(from_row(r.row).map(|version| PublicTable {
                    alias,
                    dataset_slug: r.slug,
                    version,
                }))
            })
            .collect()
    }

    /// Points a resource at a new upload (metadata unchanged); the caller schedules ingestion.
    pub async fn replace_resource_file(
        &self,
        id: Uuid,
        dataset_id: Uuid,
        file: &super::NewFile,
        format: Option<&str>,
        media_type: Option<&str>,
    ) -> Result<()> {
        let now = time::to_db(&time::now());
        let _w = self.db.write_guard().await;
        let mut tx = self.db.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE resources SET sha256 = $2, file_name = $3, byte_size = $4, format = COALESCE($5, format), \
             media_type = COALESCE($6, media_type), url = NULL, updated_at = $7 WHERE id = $1 AND dataset_id = $8",
        )
        .bind(id.to_string())
        .bind(&file.sha256)
        .bind(&file.file_name)
        .bind(file.size)
        .bind(format)
        .bind(media_type)
        .bind(&now)
        .bind(dataset_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CatalogError::NotFound);
        }
        touch_dataset(&mut tx, dataset_id, &now, true).await?;
        record_change(&mut tx, "resource", id, "update").await?;
        record_change(&mut tx, "dataset", dataset_id, "update").await?;
        tx.commit().await?;
        Ok(())
    }
}

/// How a completed version ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finished {
    /// The resource serves it now.
    Served,
    /// Complete, but held back for its privacy findings.
    Held,
    /// A newer version was served first (several workers); it stays as history.
    Superseded,
}

/// Makes a complete version the one its resource serves, in the caller's transaction: the SQL
/// alias (stable from the first success), the file of a replacement, the change log. `false`
/// when a newer version is already served.
async fn serve_version(
    tx: &mut sqlx::AnyConnection,
    id: Uuid,
    summary: Option<&str>,
    now: &str,
) -> Result<bool> {
    let (resource_id, dataset_id, slug, position, alias): (String, String, String, i64, Option<String>) =
        sqlx::query_as(
            "SELECT r.id, r.dataset_id, d.slug, r.position, r.table_name FROM table_versions v \
             JOIN resources r ON r.id = v.resource_id JOIN datasets d ON d.id = r.dataset_id WHERE v.id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
    // A version that completes after a newer one (several workers) does not take over.
    let newer_served: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM table_versions v JOIN resources r ON r.table_version = v.id \
         WHERE r.id = $1 AND v.version > (SELECT version FROM table_versions WHERE id = $2)",
    )
    .bind(&resource_id)
    .bind(id.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if newer_served > 0 {
        return Ok(false);
    }
    let alias = match alias {
        Some(a) => a,
        None => {
            let base = alias_base(&slug, position);
            let mut candidate = base.clone();
            let mut n = 2;
            loop {
                let taken: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM resources WHERE table_name = $1")
                        .bind(&candidate)
                        .fetch_one(&mut *tx)
                        .await?;
                if taken == 0 {
                    break candidate;
                }
                candidate = format!("{base}_v{n}");
                n += 1;
            }
        }
    };
    sqlx::query(
        "UPDATE resources SET table_version = $2, table_name = $3, status = 'done', status_message = $4, updated_at = $5, withheld = 0 WHERE id = $1",
    )
    .bind(&resource_id)
    .bind(id.to_string())
    .bind(&alias)
    .bind(summary)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // A replacement file becomes the resource's file in the same transaction as its table.
    let replaced = sqlx::query(
        "UPDATE resources SET sha256 = v.source_sha256, file_name = COALESCE(v.source_name, resources.file_name), \
         byte_size = v.source_size, format = COALESCE(v.source_format, resources.format), \
         media_type = COALESCE(v.source_media_type, resources.media_type), url = NULL \
         FROM table_versions v WHERE v.id = $2 AND v.replaces_file = 1 AND resources.id = $1",
    )
    .bind(&resource_id)
    .bind(id.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    // A first read or a re-read with other options is the same data; a new file is new data.
    touch_dataset(&mut *tx, parse_uuid(&dataset_id)?, now, replaced > 0).await?;
    record_change(&mut *tx, "resource", parse_uuid(&resource_id)?, "update").await?;
    record_change(&mut *tx, "dataset", parse_uuid(&dataset_id)?, "update").await?;
    Ok(true)
}
