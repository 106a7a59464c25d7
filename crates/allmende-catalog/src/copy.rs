//! Copying a whole catalog between databases (`allmende copy-catalog`), typically from the
//! embedded SQLite to PostgreSQL. Rows are upserted by primary key, so running it again brings
//! the target up to date instead of failing; afterwards every table is counted on both sides.

use futures_util::TryStreamExt;
use sqlx::Row;

use crate::{CatalogError, Db, Result};

#[derive(Clone, Copy)]
enum Kind {
    Text,
    Int,
}

use Kind::{Int, Text};

struct Table {
    name: &'static str,
    key: &'static [&'static str],
    columns: &'static [(&'static str, Kind)],
}

/// In foreign-key order. Sessions are left out: logins are per deployment.
const TABLES: &[Table] = &[
    Table {
        name: "organizations",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("name", Text),
            ("description", Text),
            ("website", Text),
            ("email", Text),
            ("ags", Text),
            ("org_type", Text),
            ("logo_sha256", Text),
            ("logo_media_type", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "users",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("name", Text),
            ("display_name", Text),
            ("email", Text),
            ("password_hash", Text),
            ("sysadmin", Int),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
    Table {
        name: "memberships",
        key: &["user_id", "organization_id"],
        columns: &[
            ("user_id", Text),
            ("organization_id", Text),
            ("role", Text),
            ("created_at", Text),
        ],
    },
    Table {
        name: "api_tokens",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("user_id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("created_at", Text),
            ("expires_at", Text),
            ("revoked_at", Text),
            ("last_used_at", Text),
        ],
    },
    Table {
        name: "datasets",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("slug", Text),
            ("organization_id", Text),
            ("title", Text),
            ("description", Text),
            ("keywords", Text),
            ("themes", Text),
            ("license", Text),
            ("contact_name", Text),
            ("contact_email", Text),
            ("maintainer_name", Text),
            ("maintainer_email", Text),
            ("issued", Text),
            ("modified", Text),
            ("temporal_start", Text),
            ("temporal_end", Text),
            ("spatial_name", Text),
            ("spatial_ags", Text),
            ("spatial_bbox", Text),
            ("frequency", Text),
            ("languages", Text),
            ("landing_page", Text),
            ("version", Text),
            ("visibility", Text),
            ("deleted", Int),
            ("extras", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("released_at", Text),
            ("released_by", Text),
            ("release_checklist", Text),
        ],
    },
    Table {
        name: "dataset_themes",
        key: &["dataset_id", "theme"],
        columns: &[("dataset_id", Text), ("theme", Text)],
    },
    Table {
        name: "dataset_keywords",
        key: &["dataset_id", "keyword"],
        columns: &[("dataset_id", Text), ("keyword", Text)],
    },
    Table {
        name: "resources",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("dataset_id", Text),
            ("title", Text),
            ("description", Text),
            ("url", Text),
            ("sha256", Text),
            ("file_name", Text),
            ("format", Text),
            ("media_type", Text),
            ("byte_size", Int),
            ("license", Text),
            ("position", Int),
            ("status", Text),
            ("status_message", Text),
            ("table_version", Text),
            ("table_name", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("withheld", Int),
            ("link_status", Int),
            ("link_checked_at", Text),
        ],
    },
    Table {
        name: "table_versions",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("resource_id", Text),
            ("version", Int),
            ("source_sha256", Text),
            ("source_name", Text),
            ("options", Text),
            ("status", Text),
            ("job_id", Text),
            ("progress_rows", Int),
            ("parquet_sha256", Text),
            ("parquet_size", Int),
            ("row_count", Int),
            ("report", Text),
            ("message", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("replaces_file", Int),
            ("source_size", Int),
            ("source_format", Text),
            ("source_media_type", Text),
        ],
    },
    Table {
        name: "privacy_acknowledgements",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("resource_id", Text),
            ("source_sha256", Text),
            ("column_name", Text),
            ("rule", Text),
            ("reason", Text),
            ("user_id", Text),
            ("created_at", Text),
        ],
    },
    Table {
        name: "audit_log",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("at", Text),
            ("actor_id", Text),
            ("actor_name", Text),
            ("action", Text),
            ("subject_type", Text),
            ("subject_id", Text),
            ("detail", Text),
        ],
    },
    Table {
        name: "dataset_revisions",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("dataset_id", Text),
            ("revision", Int),
            ("at", Text),
            ("actor_id", Text),
            ("actor_name", Text),
            ("fields", Text),
        ],
    },
    Table {
        name: "scheduled_publications",
        key: &["dataset_id"],
        columns: &[
            ("dataset_id", Text),
            ("due_at", Text),
            ("user_id", Text),
            ("checklist", Text),
            ("created_at", Text),
        ],
    },
    Table {
        name: "invitations",
        key: &["secret_hash"],
        columns: &[
            ("secret_hash", Text),
            ("user_id", Text),
            ("created_by", Text),
            ("created_at", Text),
            ("expires_at", Text),
        ],
    },
    Table {
        name: "showcases",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("title", Text),
            ("url", Text),
            ("description", Text),
            ("submitter_name", Text),
            ("submitter_email", Text),
            ("status", Text),
            ("created_at", Text),
            ("reviewed_at", Text),
            ("reviewed_by", Text),
            ("image_sha256", Text),
            ("image_media_type", Text),
        ],
    },
    Table {
        name: "showcase_datasets",
        key: &["showcase_id", "dataset_id"],
        columns: &[("showcase_id", Text), ("dataset_id", Text)],
    },
    Table {
        name: "feedback",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("kind", Text),
            ("dataset_id", Text),
            ("organization_id", Text),
            ("message", Text),
            ("name", Text),
            ("email", Text),
            ("status", Text),
            ("public_answer", Text),
            ("created_at", Text),
            ("updated_at", Text),
            ("answered_by", Text),
        ],
    },
    Table {
        name: "subscriptions",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("dataset_id", Text),
            ("email", Text),
            ("lang", Text),
            ("token", Text),
            ("created_at", Text),
            ("confirm_sent_at", Text),
            ("confirmed_at", Text),
            ("notified_updated", Text),
            ("notified_at", Text),
        ],
    },
    Table {
        name: "changes",
        key: &["seq"],
        columns: &[
            ("seq", Int),
            ("entity", Text),
            ("entity_id", Text),
            ("action", Text),
            ("at", Text),
        ],
    },
    Table {
        name: "jobs",
        key: &["id"],
        columns: &[
            ("id", Text),
            ("kind", Text),
            ("payload", Text),
            ("status", Text),
            ("attempts", Int),
            ("max_attempts", Int),
            ("run_after", Text),
            ("locked_by", Text),
            ("locked_at", Text),
            ("last_error", Text),
            ("created_at", Text),
            ("updated_at", Text),
        ],
    },
];

/// Rows per table after the copy, as counted in the target.
#[derive(Debug, Clone, Default)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, i64)>,
}

enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

fn upsert_sql(t: &Table) -> String {
    let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
    let params: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = cols
        .iter()
        .filter(|c| !t.key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let conflict = if updates.is_empty() {
        "DO NOTHING".to_string()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    format!(
        "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT ({}) {conflict}",
        t.name,
        cols.join(", "),
        params.join(", "),
        t.key.join(", ")
    )
}

async fn count(db: &Db, table: &str) -> Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await?)
}

/// Copies every catalog table from `from` into `to` (both migrated to the same version).
pub async fn copy_catalog(from: &Db, to: &Db) -> Result<CopyReport> {
    let (vf, vt) = (from.schema_version().await?, to.schema_version().await?);
    if vf != vt {
        return Err(CatalogError::Corrupt(format!(
            "schema versions differ (source {vf}, target {vt}): run `allmende migrate` on both"
        )));
    }
    let _w = to.write_guard().await;
    let mut report = CopyReport::default();
    for t in TABLES {
        let cols: Vec<&str> = t.columns.iter().map(|(c, _)| *c).collect();
        let select = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            t.name,
            t.key.join(", ")
        );
        let insert = upsert_sql(t);
        let mut tx = to.pool.begin().await?;
        let mut rows = sqlx::query(&select).fetch(from.pool());
        while let Some(row) = rows.try_next().await? {
            let mut values = Vec::with_capacity(t.columns.len());
            for (i, (_, kind)) in t.columns.iter().enumerate() {
                values.push(match kind {
                    Text => Value::Text(row.try_get::<Option<String>, _>(i)?),
                    Int => Value::Int(row.try_get::<Option<i64>, _>(i)?),
                });
            }
            let mut q = sqlx::query(&insert);
            for v in values {
                q = match v {
                    Value::Text(s) => q.bind(s),
                    Value::Int(n) => q.bind(n),
                };
            }
            q.execute(&mut *tx).await?;
        }
        if t.name == "changes"
            && let Some(sql) = to.backend().resync_change_seq_sql()
        {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let (source, target) = (count(from, t.name).await?, count(to, t.name).await?);
        if source != target {
            return Err(CatalogError::Corrupt(format!(
                "{}: {source} rows in the source but {target} in the target (the target had other data?)",
                t.name
            )));
        }
        report.tables.push((t.name, target));
    }
    Ok(report)
}
