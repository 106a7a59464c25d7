//! Tables: the served version of a resource, and every public table under its SQL name.

use std::collections::HashMap;

use allmende_catalog::TableVersion;
use allmende_core::authz::{Actor, ReadScope, decide};
use allmende_core::{Dataset, Resource};
use allmende_table::Column;
use allmende_table::query::{TableLookup, TableRef};

use crate::{App, AppError, AppResult};

/// Public tables under their SQL names; a resource id also names its table (as in CKAN's
/// `datastore_search_sql`).
#[derive(Debug)]
pub struct Lookup {
    tables: HashMap<String, TableRef>,
    by_resource: HashMap<String, String>,
}

impl TableLookup for Lookup {
    fn names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }
    fn get(&self, alias: &str) -> Option<TableRef> {
        self.tables
            .get(alias)
            .or_else(|| self.by_resource.get(alias).and_then(|a| self.tables.get(a)))
            .cloned()
    }
}

/// Extents of the public spatial tables, by dataset slug and by resource id.
#[derive(Debug, Default, Clone)]
pub struct Extents {
    pub datasets: HashMap<String, [f64; 4]>,
    pub resources: HashMap<String, [f64; 4]>,
}

impl App {
    /// The served table of a resource (the caller has checked it may see the resource).
    pub async fn served(&self, res: &Resource) -> AppResult<(TableRef, TableVersion)> {
        let v = self
            .catalog
            .serving_table(res.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let t = self.table_ref(&v, res.table_name.clone().unwrap_or_default())?;
        Ok((t, v))
    }

    /// Version `n` of a resource's table, as far as the actor may have it: those who may change
    /// the dataset get every version; everyone else only versions that were served and whose
    /// file has no unacknowledged high privacy findings (never a held, pending or failed one,
    /// whose file was never released).
    pub async fn table_version_for(
        &self,
        actor: &Actor,
        res: &Resource,
        ds: &Dataset,
        n: i64,
    ) -> AppResult<TableVersion> {
        let v = self
            .catalog
            .table_versions_of(res.id)
            .await?
            .into_iter()
            .find(|v| v.version == n)
            .ok_or(AppError::NotFound)?;
        if decide(actor, crate::access::edit_action(ds)).allowed() {
            return Ok(v);
        }
        if v.status != "done" {
            return Err(AppError::NotFound);
        }
        if let Some(report) = crate::privacy::privacy_report(&v)
            && !report.is_clean()
        {
            let acks = self.catalog.acknowledgements(res.id).await?;
            if crate::privacy::unacknowledged(&report, &acks, &v.source_sha256)
                .next()
                .is_some()
            {
                return Err(AppError::NotFound);
            }
        }
        Ok(v)
    }

    /// A table version's snapshot as the query engine opens it.
    pub fn table_ref(&self, v: &TableVersion, alias: String) -> AppResult<TableRef> {
        let sha = v.parquet_sha256.as_deref().ok_or(AppError::NotFound)?;
        let path = self
            .catalog
            .files
            .local_path(sha)
            .ok_or(AppError::NotFound)?;
        let columns: Vec<Column> = v
            .report
            .as_ref()
            .and_then(|r| r.get("columns"))
            .and_then(|c| serde_json::from_value(c.clone()).ok())
            .ok_or_else(|| AppError::Internal("table version without columns".into()))?;
        Ok(TableRef {
            alias,
            key: v.id.to_string(),
            path,
            columns,
            rows: v.row_count.unwrap_or(0) as u64,
        })
    }

    /// Where the public spatial tables lie (WGS 84 `[west, south, east, north]`): by dataset
    /// slug (for catalogs whose metadata does not say) and by resource id (what the catalog
    /// offers as geodata: GIS exports and the OGC API).
    pub async fn data_extents(&self) -> AppResult<Extents> {
        let anonymous = allmende_core::authz::read_scope(&Actor::anonymous());
        let mut out = Extents::default();
        for t in self.catalog.served_tables(&anonymous).await? {
            let Some(b) = t
                .version
                .report
                .as_ref()
                .and_then(|r| r.pointer("/dialect/bbox"))
                .and_then(|b| serde_json::from_value::<[f64; 4]>(b.clone()).ok())
            else {
                continue;
            };
            out.resources.insert(t.version.resource_id.to_string(), b);
            out.datasets
                .entry(t.dataset_slug)
                .and_modify(|e| {
                    e[0] = e[0].min(b[0]);
                    e[1] = e[1].min(b[1]);
                    e[2] = e[2].max(b[2]);
                    e[3] = e[3].max(b[3]);
                })
                .or_insert(b);
        }
        Ok(out)
    }

    /// Every table an anonymous visitor may query, for SQL across datasets.
    pub async fn public_tables(&self) -> AppResult<Lookup> {
        let anonymous = allmende_core::authz::read_scope(&Actor::anonymous());
        debug_assert!(matches!(anonymous, ReadScope::PublicAnd(ref o) if o.is_empty()));
        let mut tables = HashMap::new();
        let mut by_resource = HashMap::new();
        for t in self.catalog.served_tables(&anonymous).await? {
            if let Ok(r) = self.table_ref(&t.version, t.alias.clone()) {
                by_resource.insert(t.version.resource_id.to_string(), t.alias.clone());
                tables.insert(t.alias, r);
            }
        }
        Ok(Lookup {
            tables,
            by_resource,
        })
    }
}
