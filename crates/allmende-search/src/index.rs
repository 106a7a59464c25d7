//! One generation of the index on disk, and turning catalog datasets into documents.
//!
//! Layout: `{data_dir}/search/CURRENT` names the live generation (`gen-<n>`); each generation
//! is a tantivy index plus a `schema-version` file. A rebuild writes a new generation and then
//! replaces `CURRENT` atomically, so searches keep working on the old one meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use allmende_core::{Dataset, vocab};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::analyzer;
use crate::error::SearchError;
use crate::schema::{self, Fields, SCHEMA_VERSION};

pub struct Generation {
    pub name: String,
    pub index: Index,
    pub reader: IndexReader,
    pub writer: Mutex<IndexWriter>,
    pub fields: Fields,
}

fn register(index: &Index) {
    index
        .tokenizers()
        .register(analyzer::GERMAN, analyzer::german());
    index
        .tokenizers()
        .register(analyzer::WORDS, analyzer::words());
}

pub fn search_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// The live generation's name, if any.
pub fn current_name(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(search_dir(data_dir).join("CURRENT"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| s.starts_with("gen-") && !s.contains(['/', '\\', '.']))
}

pub fn set_current(data_dir: &Path, name: &str) -> std::io::Result<()> {
    let dir = search_dir(data_dir);
    let tmp = dir.join(format!("CURRENT.{}", std::process::id()));
    std::fs::write(&tmp, name)?;
    std::fs::rename(&tmp, dir.join("CURRENT"))
}

/// A name for a new generation, later than every existing one.
pub fn next_name(data_dir: &Path) -> String {
    let max = std::fs::read_dir(search_dir(data_dir))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_prefix("gen-")?
                        .parse::<u64>()
                        .ok()
                })
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    format!("gen-{}", max + 1)
}

/// Removes generations other than the live one (left by rebuilds).
pub fn remove_stale(data_dir: &Path, keep: &str) {
    if let Ok(rd) = std::fs::read_dir(search_dir(data_dir)) {
        for e in rd.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().to_string();
            if name.starts_with("gen-") && name != keep {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

impl Generation {
    fn from_index(name: String, index: Index) -> Result<Self, SearchError> {
        register(&index);
        let (_, fields) = schema::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // One indexing thread with a fixed budget keeps memory bounded. The writer lock may
        // still be held for a moment by a process or server instance that is shutting down
        // (a restart, `allmende reindex` finishing): wait for it rather than fail.
        let mut attempts = 0;
        let writer = loop {
            match index.writer_with_num_threads(1, 64 * 1024 * 1024) {
                Ok(w) => break w,
                Err(tantivy::TantivyError::LockFailure(..)) if attempts < 100 => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                Err(e) => return Err(e.into()),
            }
        };
        Ok(Self {
            name,
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    pub fn create(data_dir: &Path, name: &str) -> Result<Self, SearchError> {
        let dir = search_dir(data_dir).join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let (schema, _) = schema::build();
        let index = Index::create_in_dir(&dir, schema)?;
        std::fs::write(dir.join("schema-version"), SCHEMA_VERSION.to_string())?;
        Self::from_index(name.to_string(), index)
    }

    /// Opens a generation if it exists, is readable and has the current schema version.
    pub fn open(data_dir: &Path, name: &str) -> Result<Option<Self>, SearchError> {
        let dir = search_dir(data_dir).join(name);
        let version = std::fs::read_to_string(dir.join("schema-version")).ok();
        if version.as_deref().map(str::trim) != Some(&SCHEMA_VERSION.to_string()) {
            return Ok(None);
        }
        let index = match Index::open_in_dir(&dir) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, generation = name, "search index unreadable, rebuilding");
                return Ok(None);
            }
        };
        Ok(Some(Self::from_index(name.to_string(), index)?))
    }

    /// The change-log position this generation has applied.
    pub fn applied_seq(&self) -> i64 {
        self.index
            .load_metas()
            .ok()
            .and_then(|m| m.payload)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    pub fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        match self.writer.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn delete(&self, writer: &IndexWriter, id: &str) {
        writer.delete_term(Term::from_field_text(self.fields.id, id));
    }

    pub fn upsert(&self, writer: &IndexWriter, ds: &Dataset) -> Result<(), SearchError> {
        self.delete(writer, &ds.id.to_string());
        writer.add_document(document(&self.fields, ds))?;
        Ok(())
    }

    /// Commits what was written, recording the change-log position it reflects.
    pub fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}

fn micros(d: Option<chrono::NaiveDate>) -> i64 {
    d.and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .unwrap_or(0)
}

pub fn document(f: &Fields, ds: &Dataset) -> TantivyDocument {
    let mut d = doc!(
        f.id => ds.id.to_string(),
        f.slug => ds.slug.as_str(),
        f.created => ds.created_at.timestamp_micros(),
        f.org_id => ds.organization_id.to_string(),
        f.visibility => ds.visibility.as_str(),
        f.title => ds.title.as_str(),
        f.description => ds.description.as_str(),
        f.org_name => ds.organization_name.as_str(),
        f.organization => ds.organization.as_str(),
        f.license => ds.license.as_str(),
        // The data's date as the publisher states it (and new files move it), as the pages show.
        f.modified => if ds.modified.is_some() { micros(ds.modified) } else { ds.updated_at.timestamp_micros() },
        f.issued => if ds.issued.is_some() { micros(ds.issued) } else { ds.created_at.timestamp_micros() },
        f.title_sort => ds.title.to_lowercase(),
        f.words => format!("{} {}", ds.title, ds.keywords.join(" ")),
    );
    for k in &ds.keywords {
        d.add_text(f.keywords_text, k);
        d.add_text(f.keyword, k);
    }
    for t in &ds.themes {
        d.add_text(f.theme, t);
        if let Some(term) = vocab::theme(t) {
            d.add_text(f.themes_text, term.label_de);
        }
    }
    if let Some(name) = &ds.spatial.name {
        d.add_text(f.spatial, name);
    }
    let mut formats: Vec<&str> = Vec::new();
    for r in ds.resources.iter().flatten() {
        d.add_text(f.resources, &r.title);
        if let Some(fmt) = &r.format {
            d.add_text(f.resources, fmt);
            if !formats.contains(&fmt.as_str()) {
                formats.push(fmt);
            }
        }
    }
    for fmt in formats {
        d.add_text(f.format, fmt);
    }
    // A served table answers the records, SQL and export APIs.
    if ds
        .resources
        .iter()
        .flatten()
        .any(|r| r.table_version.is_some())
    {
        d.add_text(f.data, "table");
    }
    d.add_text(f.doc, serde_json::to_string(ds).unwrap_or_default());
    d
}
