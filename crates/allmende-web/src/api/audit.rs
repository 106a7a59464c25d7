//! The audit log (sysadmins): acknowledged privacy findings, publications, released files.

use allmende_catalog::AuditEntry;
use allmende_core::authz::Action;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::extract::ApiQuery;
use crate::auth::CurrentActor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::i18n::Msg;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries about this dataset or resource (its id).
    pub subject: Option<uuid::Uuid>,
    /// At most this many (1–1000, default 100).
    pub limit: Option<i64>,
    /// Skip this many (newest first).
    pub offset: Option<i64>,
}

/// The audit log, newest first (sysadmins).
#[utoipa::path(get, path = "/audit", tag = "datasets", params(AuditParams), security(("token" = [])),
    responses((status = 200, description = "Audit entries, newest first"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    allmende_app::access::require(&actor, Action::ReadAudit)?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest(
            Msg::new("param.limit").arg("max", 1000),
        ));
    }
    let offset = p.offset.unwrap_or(0).max(0);
    Ok(Json(
        state.catalog.audit_log(p.subject, limit, offset).await?,
    ))
}
