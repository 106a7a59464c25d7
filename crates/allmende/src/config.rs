//! Configuration: defaults, then `allmende.toml` (in the data dir or `--config`), then
//! `ALLMENDE_*` environment variables, then command-line flags.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub bind: String,
    /// Absolute base URL the portal is reached at; default `http://{bind}`.
    pub public_url: String,
    /// Catalog database; default `sqlite://{data_dir}/catalog.db`.
    pub database_url: String,
    pub db_max_connections: u32,
    /// Seconds a request waits for a database connection before answering 503.
    pub db_acquire_timeout_secs: u64,
    pub site_title: String,
    pub max_upload_bytes: u64,
    /// Seconds a request body (upload, form, JSON) may send nothing before it is given up (408).
    pub upload_idle_secs: u64,
    /// Connections open at once on this node.
    pub max_connections: usize,
    /// Connections one client address may hold at once (0: no limit; not applied with
    /// `trust_proxy`, where every connection is the proxy's).
    pub max_connections_per_client: usize,
    /// Seconds a client has to send a request's head; idle kept-alive connections close then.
    pub request_header_secs: u64,
    /// Seconds a response may wait for its client to take any of its bytes.
    pub response_stall_secs: u64,
    /// Folder with `templates/`, `static/`, `pages/` overriding the built-in look.
    pub theme_dir: String,
    pub session_ttl_hours: i64,
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    pub trust_proxy: bool,
    /// Synonym groups for search (one comma-separated group per line); default: the shipped list.
    pub synonyms_file: String,
    /// Search results kept for repeated identical searches (0 turns the cache off).
    pub search_cache_entries: usize,
    /// Memory one records or SQL query may use, in MiB.
    pub query_memory_mb: u64,
    /// Seconds a records or SQL query may run.
    pub query_timeout_secs: u64,
    /// Rows a JSON answer of the records or SQL API may carry (exports stream all rows).
    pub query_max_rows: usize,
    /// Memory for hot tables decoded from their snapshots, in MiB (0 turns the cache off).
    pub table_cache_mb: u64,
    /// Seconds a whole export (a file of a table or an SQL result) may take; it must also
    /// deliver rows at least every `query_timeout_secs`.
    pub export_timeout_secs: u64,
    /// CSV exports prefix text cells a spreadsheet would run as a formula with `'` (OWASP).
    pub csv_formula_guard: bool,
    /// Threads for heavy work (queries, exports, searches); 0: one per core.
    pub heavy_threads: usize,
    /// Heavy requests running at once, per kind.
    pub query_slots: usize,
    pub export_slots: usize,
    pub search_slots: usize,
    /// Heavy requests waiting for a slot, per kind; beyond that, 503 with `Retry-After`.
    pub heavy_queue: usize,
    /// Seconds a heavy request waits for a slot before 503.
    pub heavy_queue_wait_secs: u64,
    /// Queries and exports one client address runs at once (more wait; many more get 429).
    pub heavy_per_client: usize,
    /// Seconds a stopping server waits for open requests before it closes them.
    pub shutdown_grace_secs: u64,
    /// Memory all heavy work may use together, in MiB: the query slots
    /// ((`query_slots` + `export_slots`) × `query_memory_mb`), the hot tables
    /// (`table_cache_mb`) and ingestion (`ingest_memory_mb`) must fit; the server refuses to
    /// start otherwise.
    pub memory_budget_mb: u64,
    /// Memory the process that reads one uploaded file may use, in MiB (a hard limit).
    pub ingest_memory_mb: u64,
    /// Seconds reading one file may take.
    pub ingest_timeout_secs: u64,
    /// The program that reads uploads (`allmende ingest-job`); empty: this program.
    pub ingest_exe: String,
    /// API requests per minute of one anonymous client address (0: no limit), and the burst
    /// on top.
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    /// The same for a client with an API token (counted per token).
    pub rate_limit_token_per_minute: u32,
    pub rate_limit_token_burst: u32,
    /// SQL queries per minute of one client (either kind), and the burst.
    pub rate_limit_sql_per_minute: u32,
    pub rate_limit_sql_burst: u32,
    /// Largest file fetched from a link's URL for ingestion, in MiB.
    pub fetch_max_mb: u64,
    /// Seconds fetching a link's URL may take.
    pub fetch_timeout_secs: u64,
    /// Allow fetching from loopback and private networks (refused by default: SSRF).
    pub fetch_allow_private: bool,
    /// Hours after which the link checker asks a link of a public dataset again (0: no checks).
    pub link_check_hours: u64,
    /// A TOML file with the privacy check's own rules: severities, column names, name lists
    /// (docs/privacy-check.md). Empty: the built-in rules.
    pub privacy_rules_file: String,
    /// `dct:description` of the DCAT-AP.de catalog.
    pub catalog_description: String,
    /// Who runs the portal (publisher of the DCAT catalog and of the data API).
    pub publisher_name: String,
    /// GovData contributor id for direct delivery (`dcatde:contributorID`); empty: none.
    pub contributor_id: String,
    /// Raster tiles under the maps (`{z}/{x}/{y}` template); empty: features on a plain
    /// background.
    pub map_tile_url: String,
    /// A MapLibre style document under the maps instead of the raster tiles (vector tiles,
    /// e.g. basemap.de); empty: the raster tiles.
    pub map_style_url: String,
    /// The tiles' attribution, shown on every map (HTML allowed, from the operator).
    pub map_attribution: String,
    /// The dataset the home page features (slug); empty: the public dataset changed last that
    /// has a table.
    pub featured_dataset: String,
    /// Origins (`https://app.example.org`, comma-separated) whose pages may call the API with
    /// a token; public reads answer every origin. Empty: none.
    pub cors_allowed_origins: String,
    /// The SMTP relay for follower e-mails: `smtp://host:25` (plain, a local relay),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465`.
    /// Empty: datasets are followed by Atom feed only.
    pub smtp_url: String,
    /// The sender of follower e-mails, e.g. `Offene Daten Aalen <opendata@aalen.de>`.
    pub mail_from: String,
    /// Seconds a changed dataset must stay unchanged before its followers get a mail (a
    /// publisher's burst of edits makes one mail).
    pub follower_mail_secs: u64,
    /// `text` or `json`.
    pub log_format: String,
    /// A `tracing` filter, e.g. `info` or `allmende_web=debug,info`.
    pub log_level: String,
}

impl Default for Config {
    fn default() -> Self {
        let web = allmende_web::Settings::default();
        let limits = allmende_web::throttle::RateLimits::default();
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: String::new(),
            database_url: String::new(),
            db_max_connections: 8,
            db_acquire_timeout_secs: 5,
            site_title: web.site_title,
            max_upload_bytes: web.max_upload_bytes,
            upload_idle_secs: web.upload_idle.as_secs(),
            max_connections: web.connections.max,
            max_connections_per_client: web.connections.per_client,
            request_header_secs: web.connections.header_timeout.as_secs(),
            response_stall_secs: web.connections.send_stall.as_secs(),
            theme_dir: String::new(),
            session_ttl_hours: web.session_ttl_hours,
            login_max_failures: web.login_max_failures,
            login_window_secs: web.login_window_secs,
            trust_proxy: web.trust_proxy,
            synonyms_file: String::new(),
            search_cache_entries: 2000,
            query_memory_mb: 256,
            query_timeout_secs: 10,
            query_max_rows: 10_000,
            table_cache_mb: 512,
            export_timeout_secs: 600,
            csv_formula_guard: true,
            heavy_threads: 0,
            query_slots: 4,
            export_slots: 2,
            search_slots: 8,
            heavy_queue: 32,
            heavy_queue_wait_secs: 5,
            heavy_per_client: 2,
            shutdown_grace_secs: 10,
            memory_budget_mb: 3072,
            ingest_memory_mb: 1024,
            ingest_timeout_secs: 3600,
            ingest_exe: String::new(),
            rate_limit_per_minute: limits.anonymous.per_minute,
            rate_limit_burst: limits.anonymous.burst,
            rate_limit_token_per_minute: limits.token.per_minute,
            rate_limit_token_burst: limits.token.burst,
            rate_limit_sql_per_minute: limits.sql.per_minute,
            rate_limit_sql_burst: limits.sql.burst,
            fetch_max_mb: 1024,
            fetch_timeout_secs: 300,
            link_check_hours: 24,
            privacy_rules_file: String::new(),
            fetch_allow_private: false,
            catalog_description: web.catalog_description.clone(),
            publisher_name: web.publisher_name.clone(),
            contributor_id: String::new(),
            map_tile_url: web.map_tile_url.clone(),
            map_style_url: String::new(),
            map_attribution: web.map_attribution.clone(),
            featured_dataset: String::new(),
            cors_allowed_origins: String::new(),
            smtp_url: String::new(),
            mail_from: String::new(),
            follower_mail_secs: 600,
            log_format: "text".into(),
            log_level: "info".into(),
        }
    }
}

/// Overlays `ALLMENDE_<KEY>` variables onto a TOML table, parsed as the key's own type.
fn apply_env(table: &mut toml::Table, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    for (key, value) in table.iter_mut() {
        let var = format!("ALLMENDE_{}", key.to_ascii_uppercase());
        let Some(raw) = env(&var) else { continue };
        *value = match value {
            toml::Value::Integer(_) => toml::Value::Integer(
                raw.trim()
                    .parse()
                    .with_context(|| format!("{var} must be an integer, got {raw:?}"))?,
            ),
            toml::Value::Boolean(_) => toml::Value::Boolean(match raw.trim() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                other => bail!("{var} must be true or false, got {other:?}"),
            }),
            _ => toml::Value::String(raw),
        };
    }
    Ok(())
}

impl Config {
    /// Loads the configuration for a data directory.
    pub fn load(data_dir: &Path, explicit: Option<&Path>) -> anyhow::Result<Self> {
        let path = match explicit {
            Some(p) => Some(p.to_path_buf()),
            None => Some(data_dir.join("allmende.toml")).filter(|p| p.is_file()),
        };
        let mut table = toml::Table::try_from(Config::default())?;
        if let Some(path) = &path {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let file: toml::Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
            for (k, v) in file {
                if !table.contains_key(&k) {
                    bail!(
                        "{}: unknown setting `{k}` (see docs/configuration.md)",
                        path.display()
                    );
                }
                table.insert(k, v);
            }
        }
        apply_env(&mut table, |k| std::env::var(k).ok())?;
        let mut config: Config = table.try_into().context("invalid configuration")?;
        if config.database_url.is_empty() {
            config.database_url = allmende_catalog::Db::sqlite_url(&data_dir.join("catalog.db"));
        }
        Ok(config)
    }

    pub fn db_options(&self) -> allmende_catalog::DbOptions {
        allmende_catalog::DbOptions {
            max_connections: self.db_max_connections,
            acquire_timeout: std::time::Duration::from_secs(self.db_acquire_timeout_secs),
        }
    }

    pub fn query_limits(&self) -> allmende_table::query::QueryLimits {
        allmende_table::query::QueryLimits {
            memory_bytes: (self.query_memory_mb as usize).saturating_mul(1 << 20),
            timeout: std::time::Duration::from_secs(self.query_timeout_secs.max(1)),
            max_rows: self.query_max_rows.max(1),
            cache_bytes: (self.table_cache_mb as usize).saturating_mul(1 << 20),
            export_timeout: std::time::Duration::from_secs(self.export_timeout_secs.max(1)),
            guard_formulas: self.csv_formula_guard,
        }
    }

    /// Checks that the parts of heavy work fit the memory budget.
    pub fn check_memory_budget(&self) -> anyhow::Result<()> {
        let queries =
            (self.query_slots.max(1) + self.export_slots.max(1)) as u64 * self.query_memory_mb;
        let total = queries + self.table_cache_mb + self.ingest_memory_mb;
        if total > self.memory_budget_mb {
            bail!(
                "memory_budget_mb = {} is less than what the settings allow heavy work to use: \
                 {} MiB for queries ((query_slots {} + export_slots {}) × query_memory_mb {}), \
                 table_cache_mb {}, ingest_memory_mb {} = {total} MiB. Raise memory_budget_mb or \
                 lower one of them (docs/configuration.md).",
                self.memory_budget_mb,
                queries,
                self.query_slots,
                self.export_slots,
                self.query_memory_mb,
                self.table_cache_mb,
                self.ingest_memory_mb,
            );
        }
        Ok(())
    }

    pub fn ingest_settings(&self) -> anyhow::Result<allmende_app::ingest::IngestSettings> {
        let exe = if self.ingest_exe.is_empty() {
            std::env::current_exe().context("locating this program for ingestion")?
        } else {
            PathBuf::from(&self.ingest_exe)
        };
        Ok(allmende_app::ingest::IngestSettings {
            exe,
            memory_mb: self.ingest_memory_mb.max(64),
            timeout: std::time::Duration::from_secs(self.ingest_timeout_secs.max(1)),
            privacy_rules: self.privacy_rules_path()?,
        })
    }

    /// The privacy rules file as an absolute path (the ingestion children may run elsewhere),
    /// or `None` for the built-in rules.
    pub fn privacy_rules_path(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.privacy_rules_file.is_empty() {
            return Ok(None);
        }
        let p = std::path::absolute(&self.privacy_rules_file)
            .with_context(|| format!("privacy_rules_file {}", self.privacy_rules_file))?;
        Ok(Some(p))
    }

    /// The privacy rules this node applies, read and checked now.
    pub fn privacy_rules(
        &self,
    ) -> anyhow::Result<std::sync::Arc<allmende_table::privacy::PrivacyRules>> {
        match self.privacy_rules_path()? {
            None => Ok(allmende_table::privacy::PrivacyRules::builtin()),
            Some(p) => crate::privacy_rules::load(&p).context("privacy_rules_file"),
        }
    }

    pub fn pool_config(&self) -> allmende_work::PoolConfig {
        let defaults = allmende_work::PoolConfig::default();
        allmende_work::PoolConfig {
            threads: if self.heavy_threads == 0 {
                defaults.threads
            } else {
                self.heavy_threads
            },
            query_slots: self.query_slots.max(1),
            export_slots: self.export_slots.max(1),
            search_slots: self.search_slots.max(1),
            queue: self.heavy_queue,
            queue_wait: std::time::Duration::from_secs(self.heavy_queue_wait_secs),
            per_client: self.heavy_per_client.max(1),
            nice: defaults.nice,
        }
    }

    pub fn fetch_limits(&self) -> allmende_app::ingest::FetchLimits {
        allmende_app::ingest::FetchLimits {
            max_bytes: self.fetch_max_mb.saturating_mul(1 << 20),
            timeout: std::time::Duration::from_secs(self.fetch_timeout_secs.max(1)),
            allow_private: self.fetch_allow_private,
        }
    }

    /// The link checker: one request at a time, a second apart, 100 links a round, each link
    /// once per `link_check_hours`, 15 s per request, through the fetcher's guard.
    pub fn link_check(&self) -> Option<allmende_app::links::LinkCheck> {
        (self.link_check_hours > 0).then(|| allmende_app::links::LinkCheck {
            limits: allmende_app::ingest::FetchLimits {
                timeout: std::time::Duration::from_secs(15),
                ..self.fetch_limits()
            },
            interval: std::time::Duration::from_secs(self.link_check_hours * 3600),
            per_round: 100,
            pause: std::time::Duration::from_secs(1),
        })
    }

    /// The mailer for followers, when `smtp_url` is set (then `mail_from` must be too).
    pub fn mailer(&self) -> anyhow::Result<Option<allmende_app::mail::Mailer>> {
        if self.smtp_url.trim().is_empty() {
            return Ok(None);
        }
        if self.mail_from.trim().is_empty() {
            bail!("smtp_url is set, so mail_from must name the sender of follower e-mails");
        }
        Ok(Some(allmende_app::mail::Mailer::new(
            self.smtp_url.trim(),
            self.mail_from.trim(),
            std::time::Duration::from_secs(30),
        )?))
    }

    pub fn web_settings(&self) -> allmende_web::Settings {
        let public_url = if self.public_url.is_empty() {
            format!("http://{}", self.bind)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        };
        allmende_web::Settings {
            public_url,
            site_title: self.site_title.clone(),
            max_upload_bytes: self.max_upload_bytes,
            upload_idle: std::time::Duration::from_secs(self.upload_idle_secs.max(1)),
            connections: allmende_web::connections::ConnectionLimits {
                max: self.max_connections.max(1),
                per_client: if self.trust_proxy {
                    0
                } else {
                    self.max_connections_per_client
                },
                header_timeout: std::time::Duration::from_secs(self.request_header_secs.max(1)),
                send_stall: std::time::Duration::from_secs(self.response_stall_secs.max(1)),
            },
            theme_dir: Some(PathBuf::from(&self.theme_dir)).filter(|p| !p.as_os_str().is_empty()),
            session_ttl_hours: self.session_ttl_hours,
            login_max_failures: self.login_max_failures,
            login_window_secs: self.login_window_secs,
            trust_proxy: self.trust_proxy,
            catalog_description: self.catalog_description.clone(),
            publisher_name: self.publisher_name.clone(),
            contributor_id: Some(self.contributor_id.trim().to_string()).filter(|c| !c.is_empty()),
            map_tile_url: self.map_tile_url.trim().to_string(),
            map_style_url: self.map_style_url.trim().to_string(),
            featured_dataset: self.featured_dataset.trim().to_string(),
            map_attribution: self.map_attribution.clone(),
            cors_allowed_origins: self
                .cors_allowed_origins
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            rate_limits: allmende_web::throttle::RateLimits {
                anonymous: allmende_web::throttle::Rate {
                    per_minute: self.rate_limit_per_minute,
                    burst: self.rate_limit_burst,
                },
                token: allmende_web::throttle::Rate {
                    per_minute: self.rate_limit_token_per_minute,
                    burst: self.rate_limit_token_burst,
                },
                sql: allmende_web::throttle::Rate {
                    per_minute: self.rate_limit_sql_per_minute,
                    burst: self.rate_limit_sql_burst,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_keep_types() {
        let mut table = toml::Table::try_from(Config::default()).unwrap();
        apply_env(&mut table, |k| match k {
            "ALLMENDE_MAX_UPLOAD_BYTES" => Some("1024".into()),
            "ALLMENDE_TRUST_PROXY" => Some("yes".into()),
            "ALLMENDE_SITE_TITLE" => Some("Daten Heidenheim".into()),
            _ => None,
        })
        .unwrap();
        let c: Config = table.try_into().unwrap();
        assert_eq!(c.max_upload_bytes, 1024);
        assert!(c.trust_proxy);
        assert_eq!(c.site_title, "Daten Heidenheim");

        let mut table = toml::Table::try_from(Config::default()).unwrap();
        assert!(
            apply_env(&mut table, |k| (k == "ALLMENDE_LOGIN_MAX_FAILURES")
                .then(|| "viele".into()))
            .is_err()
        );
    }

    #[test]
    fn unknown_keys_in_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("allmende.toml"), "bnd = \"0.0.0.0:80\"\n").unwrap();
        assert!(Config::load(dir.path(), None).is_err());
        std::fs::write(dir.path().join("allmende.toml"), "bind = \"0.0.0.0:80\"\n").unwrap();
        assert_eq!(Config::load(dir.path(), None).unwrap().bind, "0.0.0.0:80");
    }

    /// Every key is documented in docs/configuration.md, and every documented key exists.
    #[test]
    fn every_key_is_documented() {
        let doc = include_str!("../../../docs/configuration.md");
        let documented: std::collections::BTreeSet<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("| `")?.split_once('`').map(|(k, _)| k))
            .collect();
        let keys: std::collections::BTreeSet<String> = toml::Table::try_from(Config::default())
            .unwrap()
            .keys()
            .cloned()
            .collect();
        let missing: Vec<&String> = keys
            .iter()
            .filter(|k| !documented.contains(k.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "not in docs/configuration.md: {missing:?}"
        );
        let stale: Vec<&&str> = documented.iter().filter(|k| !keys.contains(**k)).collect();
        assert!(stale.is_empty(), "documented but not a key: {stale:?}");
    }
}
