use std::path::PathBuf;
use std::sync::Arc;

use crate::templates::Templates;
use crate::throttle::RateLimiter;

/// Web-facing settings (the binary loads them from `allmende.toml` and `ALLMENDE_*`).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Absolute base URL, e.g. `https://daten.aalen.de`.
    pub public_url: String,
    pub site_title: String,
    pub max_upload_bytes: u64,
    /// How long a request body (an upload, a form, JSON) may send nothing before it is given
    /// up (408).
    pub upload_idle: std::time::Duration,
    /// What the node's connections may hold (count, head time, unread responses).
    pub connections: crate::connections::ConnectionLimits,
    /// Folder with `templates/`, `static/` and `pages/` that override the built-in ones.
    pub theme_dir: Option<PathBuf>,
    pub session_ttl_hours: i64,
    /// Failed logins allowed per client and user name within the window.
    pub login_max_failures: u32,
    pub login_window_secs: u64,
    /// Honour `X-Forwarded-For` (only behind a trusted reverse proxy).
    pub trust_proxy: bool,
    /// `dct:description` of the DCAT catalog.
    pub catalog_description: String,
    /// Who runs the portal: publisher of the DCAT catalog and of the data API.
    pub publisher_name: String,
    /// GovData contributor id (`dcatde:contributorID`) for direct delivery to GovData.
    pub contributor_id: Option<String>,
    /// Raster tiles under the maps (`https://…/{z}/{x}/{y}.png`); empty: none.
    pub map_tile_url: String,
    /// A MapLibre style (`https://…/style.json`, e.g. basemap.de's vector tiles) drawn under
    /// the maps instead of the raster tiles; empty: the raster tiles.
    pub map_style_url: String,
    pub map_attribution: String,
    /// The dataset the home page features (slug); empty: the public dataset changed last that
    /// has a table.
    pub featured_dataset: String,
    /// Requests per minute per client for the APIs and SQL.
    pub rate_limits: crate::throttle::RateLimits,
    /// Origins whose pages may call the API with a token (CORS); public reads answer any.
    pub cors_allowed_origins: Vec<String>,
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            site_title: "Allmende – Offene Daten Aalen und Heidenheim".into(),
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            upload_idle: std::time::Duration::from_secs(60),
            connections: Default::default(),
            theme_dir: None,
            session_ttl_hours: 12,
            login_max_failures: 5,
            login_window_secs: 900,
            catalog_description: "Offene Daten der Städte Aalen und Heidenheim an der Brenz und weiterer Akteure der Region: Verwaltung, Stadtwerke, Hochschulen.".into(),
            publisher_name: "Städte Aalen und Heidenheim an der Brenz".into(),
            contributor_id: None,
            map_tile_url: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            map_style_url: String::new(),
            featured_dataset: String::new(),
            map_attribution: "© <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>-Mitwirkende"
                .into(),
            trust_proxy: false,
            rate_limits: Default::default(),
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// The web server's state: the application (whose catalog, search, tables and jobs every
/// handler reaches through `Deref`) and what only the web needs.
#[derive(Clone)]
pub struct AppState {
    pub app: allmende_app::App,
    pub settings: Arc<Settings>,
    pub templates: Arc<Templates>,
    pub login_limiter: Arc<RateLimiter>,
    /// Showcase proposals per client (an hour's window).
    pub proposal_limiter: Arc<RateLimiter>,
    /// Requests per client for the APIs and SQL.
    pub rate_limiter: Arc<crate::throttle::Limiter>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// Generated documents (DCAT pages) by request, valid for one change-log position.
    pub documents: Arc<DocumentCache>,
    /// Behind `public_organizations`.
    pub organizations: Arc<Memo<OrganizationsBySlug>>,
}

impl std::ops::Deref for AppState {
    type Target = allmende_app::App;
    fn deref(&self) -> &Self::Target {
        &self.app
    }
}

/// Public organizations by slug, as DCAT and CKAN documents embed them.
pub type OrganizationsBySlug = std::collections::HashMap<String, allmende_core::Organization>;

impl AppState {
    /// The public organizations as of change-log position `seq`, built once per position:
    /// every package or catalog document needs them, and their dataset counts cost a query
    /// per organization.
    pub async fn public_organizations(
        &self,
        seq: i64,
    ) -> Result<Arc<OrganizationsBySlug>, allmende_catalog::CatalogError> {
        if let Some(orgs) = self.organizations.get(seq) {
            return Ok(orgs);
        }
        let page = self
            .catalog
            .organizations(
                &allmende_core::authz::ReadScope::PublicAnd(Vec::new()),
                1,
                10_000,
            )
            .await?;
        let orgs: Arc<OrganizationsBySlug> = Arc::new(
            page.items
                .into_iter()
                .map(|o| (o.slug.clone(), o))
                .collect(),
        );
        self.organizations.put(seq, orgs.clone());
        Ok(orgs)
    }
}

/// One value derived from the catalog, kept while the position it was built at is current.
pub struct Memo<T> {
    slot: std::sync::Mutex<Option<(i64, Arc<T>)>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self {
            slot: std::sync::Mutex::new(None),
        }
    }
}

impl<T> Memo<T> {
    pub fn get(&self, seq: i64) -> Option<Arc<T>> {
        let slot = self.slot.lock().ok()?;
        slot.as_ref()
            .filter(|(at, _)| *at == seq)
            .map(|(_, v)| v.clone())
    }

    pub fn put(&self, seq: i64, value: Arc<T>) {
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((seq, value));
        }
    }
}

/// Documents that are costly to build and change only with the catalog: each entry records the
/// change-log position it was built at and is served only while that is still the latest, so
/// it is never stale. Bounded: starts over when full.
#[derive(Default)]
pub struct DocumentCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (i64, bytes::Bytes)>>,
}

const DOCUMENT_CACHE_ENTRIES: usize = 256;

impl DocumentCache {
    pub fn get(&self, key: &str, seq: i64) -> Option<bytes::Bytes> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|(at, _)| *at == seq)
            .map(|(_, b)| b.clone())
    }

    pub fn put(&self, key: String, seq: i64, body: bytes::Bytes) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= DOCUMENT_CACHE_ENTRIES {
                entries.retain(|_, (at, _)| *at == seq);
                if entries.len() >= DOCUMENT_CACHE_ENTRIES {
                    entries.clear();
                }
            }
            entries.insert(key, (seq, body));
        }
    }
}
