//! Re-reading tables whose privacy check is older than the scanner or ran under other rules:
//! after an upgrade that changes rules or lists (a new `SCANNER_VERSION`), after the operator
//! changed `privacy_rules_file`, and for tables read before the check existed. A re-read of a public dataset's file with new high findings is held like any new
//! file: the version served until then stays, and the members see the findings.

use allmende_core::authz::ReadScope;
use allmende_table::IngestOptions;
use allmende_table::privacy::SCANNER_VERSION;

use crate::{App, AppResult};

impl App {
    /// Queues a re-read of every served table whose check is missing, older than this
    /// scanner or made under other rules, unless a newer version is already on its way.
    /// Returns how many were queued.
    pub async fn rescan_outdated(&self) -> AppResult<usize> {
        let mut queued = 0;
        let fingerprint = self.privacy_rules.fingerprint();
        for t in self.catalog.served_tables(&ReadScope::All).await? {
            let privacy = t.version.report.as_ref().and_then(|r| r.get("privacy"));
            let scanner = privacy
                .and_then(|p| p.get("scanner"))
                .and_then(|s| s.as_u64());
            let rules = privacy
                .and_then(|p| p.get("rules"))
                .and_then(|s| s.as_str())
                .unwrap_or("");
            if scanner.is_some_and(|s| s >= u64::from(SCANNER_VERSION)) && rules == fingerprint {
                continue;
            }
            let versions = self
                .catalog
                .table_versions_of(t.version.resource_id)
                .await?;
            if versions.iter().any(|v| v.version > t.version.version) {
                continue;
            }
            let Some(res) = self.catalog.resource(t.version.resource_id).await? else {
                continue;
            };
            // The same file with the publisher's options of the served version.
            let options: IngestOptions =
                serde_json::from_value(t.version.options.clone()).unwrap_or_default();
            self.catalog
                .schedule_ingest(
                    res.id,
                    &t.version.source_sha256,
                    t.version.source_name.as_deref(),
                    &serde_json::to_value(&options).unwrap_or_default(),
                )
                .await?;
            queued += 1;
        }
        if queued > 0 {
            self.jobs.notify_one();
        }
        Ok(queued)
    }
}
