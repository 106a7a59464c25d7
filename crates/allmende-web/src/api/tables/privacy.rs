//! The privacy check of a resource's table, for the members of its organization, and the
//! acknowledgement of a finding by an organization admin.

use allmende_app::privacy::{AcknowledgementInput, VersionPrivacy};
use allmende_core::Resource;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::extract::JsonBody;
use crate::auth::CurrentActor;
use crate::error::ApiResult;
use crate::i18n;
use crate::state::AppState;

fn document(res: &Resource, checked: Option<VersionPrivacy>, lang: &str) -> serde_json::Value {
    let Some(v) = checked else {
        return serde_json::json!({"resource": res.id, "checked": false});
    };
    let Some(report) = v.report else {
        return serde_json::json!({
            "resource": res.id, "version": v.version, "serving": v.serving, "held": v.held,
            "checked": false,
        });
    };
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let ack = v
                .acknowledgements
                .iter()
                .find(|a| a.column == f.column && a.rule == f.rule.code());
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
                "acknowledged": ack.map(|a| serde_json::json!({
                    "reason": a.reason, "by": a.user_id, "at": a.created_at,
                })),
            })
        })
        .collect();
    serde_json::json!({
        "resource": res.id,
        "version": v.version,
        "serving": v.serving,
        "held": v.held,
        "checked": true,
        "scanner": report.scanner,
        "rules": (!report.rules.is_empty()).then_some(&report.rules),
        "rows": report.rows,
        "clean": report.is_clean(),
        "blocking": v.blocking,
        "findings": findings,
    })
}

/// Findings of the privacy check of the newest read version: per column the rule, the share of
/// rows, the severity, masked examples and any acknowledgement; `held` when the file waits for
/// its high findings to be acknowledged, `blocking` the findings that keep it from the public.
/// Only for those who may change the resource.
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
    Ok(Json(document(&res, checked, i18n::current_lang())))
}

/// One finding to acknowledge.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcknowledgementBody {
    /// The column of the finding, as in `findings[].column`.
    pub column: Option<String>,
    /// The rule of the finding, as in `findings[].rule` (e.g. `person_name`).
    pub rule: Option<String>,
    /// Why this may be published (e.g. the legal basis); 1–2000 characters.
    pub reason: Option<String>,
}

/// Acknowledges one finding of the newest file with a reason (organization admins). The
/// acknowledgement holds for this file only and is written to the audit log; once every high
/// finding of a held file is acknowledged, the file and its table are served.
#[utoipa::path(post, path = "/resources/{id}/privacy/acknowledgements", tag = "data",
    params(("id" = Uuid, Path)), request_body = AcknowledgementBody, security(("token" = [])),
    responses((status = 200, description = "The privacy check with the acknowledgement"),
        (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
        (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AcknowledgementBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let input = AcknowledgementInput {
        column: body.column,
        rule: body.rule,
        reason: body.reason,
    };
    let (res, checked) = state.acknowledge_finding(&actor, &id, input).await?;
    Ok(Json(document(&res, checked, i18n::current_lang())))
}
