//! What every HTML page needs, whichever front door serves it: language, caller, CSRF token,
//! current path, and rendering a template with them.

use allmende_core::authz::Actor;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use minijinja::value::Value;

use crate::auth::{CSRF_COOKIE, CurrentActor, cookie, set_cookie};
use crate::error::ApiError;
use crate::i18n;
use crate::state::AppState;

/// What every page needs: language, caller, CSRF token, current path.
pub struct PageCtx {
    pub lang: &'static str,
    pub actor: Actor,
    pub csrf: String,
    new_csrf: bool,
    pub path: String,
    pub query: String,
    /// Who asks, for the share of heavy work (previews, charts, searches).
    pub client: crate::heavy::Client,
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // Pages check the CSRF token of their forms themselves, so a session may write here.
        let actor = CurrentActor::resolve(state, parts, true).await?;
        let existing = cookie(&parts.headers, CSRF_COOKIE)
            .filter(|c| c.len() == 64 && c.bytes().all(|b| b.is_ascii_hexdigit()));
        let (csrf, new_csrf) = match existing {
            Some(c) => (c.to_string(), false),
            None => (allmende_catalog::credentials::new_secret(""), true),
        };
        Ok(Self {
            lang: i18n::current_lang(),
            actor,
            csrf,
            new_csrf,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or("").to_string(),
            client: crate::heavy::Client::of(parts, state),
        })
    }
}

impl PageCtx {
    pub fn t(&self, key: &str) -> String {
        i18n::t(self.lang, key).to_string()
    }

    /// Renders `template` with the page basics plus `extra`.
    pub fn render(
        &self,
        state: &AppState,
        template: &str,
        extra: Value,
    ) -> Result<Response, ApiError> {
        self.render_status(state, StatusCode::OK, template, extra)
    }

    pub fn render_status(
        &self,
        state: &AppState,
        status: StatusCode,
        template: &str,
        extra: Value,
    ) -> Result<Response, ApiError> {
        let base = context! {
            lang => self.lang,
            other_lang => if self.lang == "de" { "en" } else { "de" },
            site_title => state.settings.site_title.clone(),
            public_url => state.settings.public_url.clone(),
            user => self.actor.user_name.clone(),
            sysadmin => self.actor.sysadmin,
            is_publisher => self.actor.sysadmin || !self.actor.roles.is_empty(),
            csrf => self.csrf.clone(),
            path => self.path.clone(),
            notice => self.notice(),
            current_url => if self.query.is_empty() { self.path.clone() } else { format!("{}?{}", self.path, self.query) },
        };
        let html = state
            .templates
            .render(template, context! { ..base, ..extra })?;
        let mut res = (status, Html(html)).into_response();
        self.attach_cookie(state, &mut res);
        Ok(res)
    }

    pub fn attach_cookie(&self, state: &AppState, res: &mut Response) {
        if self.new_csrf
            && let Ok(v) = HeaderValue::from_str(&set_cookie(
                CSRF_COOKIE,
                &self.csrf,
                None,
                state.settings.secure_cookies(),
                true,
            ))
        {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }

    /// The message after an action (`?done=saved` after a redirect), from a fixed list: the
    /// address cannot make the page say anything else.
    fn notice(&self) -> Option<&'static str> {
        const NOTICES: &[&str] = &[
            "saved",
            "created",
            "visibility",
            "deleted",
            "dataset_restored",
            "resource_added",
            "resource_deleted",
            "acknowledged",
            "file_queued",
            "file_replaced",
            "reread",
            "restored",
            "scheduled",
            "schedule_cancelled",
            "member_removed",
            "token_revoked",
            "welcome",
            "showcase_proposed",
            "showcase_reviewed",
            "feedback_sent",
            "follow_requested",
        ];
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == "done")
            .and_then(|(_, v)| NOTICES.iter().find(|n| **n == v).copied())
    }

    /// A point in time as the reader writes it (`31.12.2026 13:45` in German, `2026-12-31 13:45`
    /// otherwise), with seconds when asked.
    pub fn time(&self, t: &chrono::NaiveDateTime, seconds: bool) -> String {
        let format = match (self.lang == "de", seconds) {
            (true, false) => "%d.%m.%Y %H:%M",
            (true, true) => "%d.%m.%Y %H:%M:%S",
            (false, false) => "%Y-%m-%d %H:%M",
            (false, true) => "%Y-%m-%d %H:%M:%S",
        };
        t.format(format).to_string()
    }

    /// Whether a submitted form carries this browser's CSRF token.
    pub fn csrf_ok(&self, submitted: Option<&str>) -> bool {
        !self.new_csrf && submitted.is_some_and(|s| crate::auth::same_secret(s, &self.csrf))
    }
}

/// The `f` parameter of a query string (the OGC APIs' format choice).
pub fn f_param(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "f")
        .map(|(_, v)| v.into_owned())
}

/// Whether a request asks for a page: `f=html`, or a browser's `Accept` (HTML before JSON).
/// `f` given as anything else means no.
pub fn wants_html(headers: &axum::http::HeaderMap, f: Option<&str>) -> bool {
    if let Some(f) = f {
        return f == "html";
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let html = accept.find("text/html");
    let json = accept.find("json");
    match (html, json) {
        (Some(h), Some(j)) => h < j,
        (Some(_), None) => true,
        _ => false,
    }
}
