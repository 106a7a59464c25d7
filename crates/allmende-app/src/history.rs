//! A dataset's history for its publishers: who changed which field when (from the revisions
//! the catalog writes with every change), and restoring an earlier revision's metadata.

use allmende_core::Dataset;
use allmende_core::authz::Actor;
use allmende_core::validate::DatasetInput;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{App, AppError, AppResult};

/// Revisions shown at most (the newest); restoring reaches only those too.
pub const HISTORY_LIMIT: i64 = 100;

#[derive(Debug, Clone, Serialize)]
pub struct FieldChange {
    /// The field, nested ones dotted (`contact.email`, `temporal.start`, `extras.quelle`).
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub revision: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    /// Against the revision before; empty for the first one kept (nothing to compare with).
    pub changes: Vec<FieldChange>,
    /// The first revision kept: every field as it was then, no comparison.
    pub first: bool,
}

/// A stored revision's fields as `field → shown value`, nested objects flattened.
fn flatten(v: &serde_json::Value, prefix: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(v, &key, out);
            }
        }
        serde_json::Value::Array(a) => {
            let parts: Vec<String> = a
                .iter()
                .map(|x| match x {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            out.push((prefix.to_string(), parts.join(", ")));
        }
        serde_json::Value::Null => out.push((prefix.to_string(), String::new())),
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// Field-level differences from `before` to `after`, in the order of the fields.
pub fn diff(before: &serde_json::Value, after: &serde_json::Value) -> Vec<FieldChange> {
    let (mut b, mut a) = (Vec::new(), Vec::new());
    flatten(before, "", &mut b);
    flatten(after, "", &mut a);
    let old: std::collections::HashMap<&str, &str> =
        b.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut changes: Vec<FieldChange> = a
        .iter()
        .filter(|(k, v)| old.get(k.as_str()).copied().unwrap_or("") != v.as_str())
        .map(|(k, v)| FieldChange {
            field: k.clone(),
            before: old.get(k.as_str()).copied().unwrap_or("").to_string(),
            after: v.clone(),
        })
        .collect();
    // Fields that are gone (an extra removed).
    let new: std::collections::HashSet<&str> = a.iter().map(|(k, _)| k.as_str()).collect();
    changes.extend(
        b.iter()
            .filter(|(k, v)| !new.contains(k.as_str()) && !v.is_empty())
            .map(|(k, v)| FieldChange {
                field: k.clone(),
                before: v.clone(),
                after: String::new(),
            }),
    );
    changes
}

impl App {
    /// The newest revisions of a dataset the actor may change, each with what it changed.
    pub async fn dataset_history(
        &self,
        actor: &Actor,
        id_or_slug: &str,
    ) -> AppResult<(Dataset, Vec<HistoryEntry>)> {
        let ds = self.editable_dataset(actor, id_or_slug).await?;
        // One more than shown: the base of the oldest shown revision's comparison.
        let revisions = self
            .catalog
            .dataset_revisions(ds.id, HISTORY_LIMIT + 1)
            .await?;
        let values: Vec<serde_json::Value> = revisions
            .iter()
            .map(|r| serde_json::to_value(&r.fields).unwrap_or_default())
            .collect();
        let entries = revisions
            .iter()
            .enumerate()
            .take(HISTORY_LIMIT as usize)
            .map(|(i, r)| {
                let before = values.get(i + 1);
                HistoryEntry {
                    revision: r.revision,
                    at: r.at,
                    actor: r.actor_name.clone(),
                    changes: before.map(|b| diff(b, &values[i])).unwrap_or_default(),
                    first: before.is_none(),
                }
            })
            .collect();
        Ok((ds, entries))
    }

    /// Puts an earlier revision's metadata back, as a new revision. The visibility stays as it
    /// is (publishing has its own way, with the checklist and the privacy gate), and the
    /// result passes the same validation as any change.
    pub async fn restore_revision(
        &self,
        actor: &Actor,
        id_or_slug: &str,
        revision: i64,
    ) -> AppResult<Dataset> {
        let ds = self.editable_dataset(actor, id_or_slug).await?;
        let rev = self
            .catalog
            .dataset_revisions(ds.id, HISTORY_LIMIT)
            .await?
            .into_iter()
            .find(|r| r.revision == revision)
            .ok_or(AppError::NotFound)?;
        let mut input = DatasetInput::from(&rev.fields);
        input.visibility = Some(ds.visibility.as_str().to_string());
        // The modification date says when the data changed, not the metadata: keep today's.
        input.modified = ds.modified.map(|d| d.format("%Y-%m-%d").to_string());
        self.update_dataset(actor, &ds, input).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_per_field() {
        let before = serde_json::json!({
            "title": "Bäume", "keywords": ["Baum", "Natur"],
            "contact": {"name": "Grünflächenamt", "email": null}, "extras": {"quelle": "GIS"},
        });
        let after = serde_json::json!({
            "title": "Baumkataster", "keywords": ["Baum", "Natur"],
            "contact": {"name": "Grünflächenamt", "email": "gruen@aalen.de"}, "extras": {},
        });
        let d = diff(&before, &after);
        let mut fields: Vec<(&str, &str, &str)> = d
            .iter()
            .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                ("contact.email", "", "gruen@aalen.de"),
                ("extras.quelle", "GIS", ""),
                ("title", "Bäume", "Baumkataster"),
            ]
        );
        assert!(diff(&after, &after).is_empty());
    }
}
