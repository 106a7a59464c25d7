//! The privacy check of a resource's table, for the members of its organization.

use axum::Json;
use axum::extract::{Path, State};

use crate::auth::CurrentActor;
use crate::error::ApiResult;
use crate::i18n;
use crate::state::AppState;

/// Findings of the privacy check of the newest read version: per column the rule, the share of
/// rows, the severity and masked examples. Only for those who may change the resource.
#[utoipa::path(get, path = "/resources/{id}/privacy", tag = "data",
    params(("id" = Uuid, Path)), security(("token" = [])),
    responses((status = 200, description = "Findings of the privacy check"),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem)))]
pub async fn privacy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (res, checked) = state.resource_privacy(&actor, &id).await?;
    let lang = i18n::current_lang();
    let Some(v) = checked else {
        return Ok(Json(
            serde_json::json!({"resource": res.id, "checked": false}),
        ));
    };
    let Some(report) = v.report else {
        return Ok(Json(serde_json::json!({
            "resource": res.id, "version": v.version, "serving": v.serving, "checked": false,
        })));
    };
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "column": f.column,
                "position": f.position,
                "rule": f.rule,
                "label": i18n::t(lang, &format!("privacy.rule.{}", f.rule.code())),
                "severity": f.severity,
                "basis": f.basis,
                "matched": f.matched,
                "share": f.share,
                "examples": f.examples,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "resource": res.id,
        "version": v.version,
        "serving": v.serving,
        "checked": true,
        "scanner": report.scanner,
        "rows": report.rows,
        "clean": report.is_clean(),
        "findings": findings,
    })))
}
