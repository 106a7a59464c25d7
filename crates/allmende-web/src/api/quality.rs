//! The metadata quality score of a dataset (MQA indicators, hints, our own checks).

use allmende_app::quality::Quality;
use allmende_core::authz::decide;
use axum::Json;
use axum::extract::{Path, State};

use crate::auth::CurrentActor;
use crate::error::{ApiResult, Problem};
use crate::i18n;
use crate::state::AppState;

/// The assessment as JSON in the reader's language: each indicator with its points, what it
/// earned, the share of distributions that pass and, where points are missing, the hint.
pub fn document(q: &Quality, lang: &str, with_checks: bool) -> serde_json::Value {
    let indicators: Vec<serde_json::Value> = q
        .indicators
        .iter()
        .map(|i| {
            let missing = (f64::from(i.points) - i.earned).round() as u32;
            serde_json::json!({
                "id": i.id,
                "dimension": i.dimension,
                "points": i.points,
                "earned": (i.earned * 10.0).round() / 10.0,
                "share": i.share,
                "hint": (missing > 0).then(|| i18n::t(lang, &format!("quality.hint.{}", i.id)).to_string()),
                "gain": missing,
            })
        })
        .collect();
    let mut doc = serde_json::json!({
        "score": q.score,
        "max": q.max,
        "rating": q.rating,
        "rating_label": i18n::t(lang, &format!("quality.rating.{}", q.rating)),
        "dimensions": q.dimensions.iter().map(|(d, earned, max)| serde_json::json!({
            "id": d, "label": i18n::t(lang, &format!("quality.dimension.{d}")), "earned": earned, "max": max,
        })).collect::<Vec<_>>(),
        "indicators": indicators,
    });
    if with_checks {
        doc["checks"] = q
            .checks
            .iter()
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "passed": c.passed,
                    "label": i18n::t(lang, &format!("quality.check.{}", c.id)),
                })
            })
            .collect();
    }
    doc
}

/// The metadata quality score: the 405 points of the data.europa.eu MQA by indicator, with a
/// hint for each one that misses points; for those who may change the dataset also our own
/// checks (description, reachable contact, update frequency kept, typed columns, privacy).
#[utoipa::path(get, path = "/datasets/{id}/quality", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id or slug")),
    responses((status = 200, description = "Score, rating, indicators and hints"),
        (status = 404, body = Problem)))]
pub async fn quality(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let (ds, q) = state.dataset_quality(&actor, &id).await?;
    let editor = decide(&actor, allmende_app::access::edit_action(&ds)).allowed();
    Ok(Json(document(&q, i18n::current_lang(), editor)))
}
