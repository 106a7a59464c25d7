//! The audit log as a page for sysadmins: who did what when (publications, acknowledgements,
//! released files, memberships, sign-ins, tokens), newest first, 50 to a page.

use allmende_core::authz::Action;
use axum::extract::{Query, State};
use axum::response::Response;
use minijinja::context;
use serde::Deserialize;

use super::signin::login_redirect;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::page::PageCtx;
use crate::state::AppState;

const PER_PAGE: i64 = 50;
/// Deep pages cost an offset scan; nobody reads 500 pages of a log in the browser (the API
/// and the database are there for that).
const MAX_PAGE: i64 = 500;

#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    page: Option<i64>,
    subject: Option<String>,
}

/// `GET /audit`
pub async fn audit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    allmende_app::access::require(&ctx.actor, Action::ReadAudit)?;
    let page = q.page.unwrap_or(1);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(ApiError::BadRequest(
            Msg::new("param.audit_page").arg("max", MAX_PAGE),
        ));
    }
    let subject = match q.subject.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            uuid::Uuid::parse_str(s)
                .map_err(|_| ApiError::BadRequest(Msg::new("param.subject")))?,
        ),
        None => None,
    };
    // One more than a page tells whether there is a next one.
    let mut entries = state
        .catalog
        .audit_log(subject, PER_PAGE + 1, (page - 1) * PER_PAGE)
        .await?;
    let more = entries.len() as i64 > PER_PAGE;
    entries.truncate(PER_PAGE as usize);
    let entries: Vec<minijinja::Value> = entries
        .into_iter()
        .map(|e| {
            let detail = match &e.detail {
                serde_json::Value::Object(m) => m
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => format!("{k}: {s}"),
                        v => format!("{k}: {v}"),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => String::new(),
            };
            let at = format!("{} UTC", ctx.time(&e.at.naive_utc(), true));
            context! {
                at, actor => e.actor_name, action => e.action,
                subject_type => e.subject_type, subject_id => e.subject_id, detail,
            }
        })
        .collect();
    let subject_query = subject.map(|s| format!("subject={s}&")).unwrap_or_default();
    ctx.render(
        &state,
        "audit.html",
        context! { entries, page, more, subject => subject.map(|s| s.to_string()), subject_query },
    )
}
