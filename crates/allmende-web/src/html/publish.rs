//! Publisher pages: dashboard, dataset and resource forms. Every POST checks the
//! form's CSRF token; every change goes through the same `authz` rules as the API.

use std::collections::BTreeMap;

use allmende_catalog::{DatasetFilter, DatasetSort};
use allmende_core::authz::{Action, Actor, read_scope};
use allmende_core::validate::{DatasetInput, TemporalInput};
use allmende_core::{Contact, Dataset, ReleaseChecklist, Role, Spatial, Visibility};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::signin::{login_redirect, signed_in_or_keep};
use crate::error::{ApiError, ApiResult, field_messages};
use crate::i18n::Msg;
use crate::page::PageCtx;
use crate::state::AppState;
use allmende_app::access::{edit_action, require};

/// Organizations in which the actor may create datasets.
async fn publishable_orgs(
    state: &AppState,
    actor: &Actor,
) -> ApiResult<Vec<allmende_core::Organization>> {
    let all = state
        .catalog
        .organizations(&read_scope(actor), 1, 100)
        .await?;
    Ok(all
        .items
        .into_iter()
        .filter(|o| {
            allmende_core::authz::decide(actor, Action::CreateDataset { org: o.id }).allowed()
        })
        .collect())
}

pub async fn dashboard(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let orgs = publishable_orgs(&state, &ctx.actor).await?;
    let mine: Vec<uuid::Uuid> = if ctx.actor.sysadmin {
        orgs.iter().map(|o| o.id).collect()
    } else {
        ctx.actor.roles.keys().copied().collect()
    };
    let mut datasets = Vec::new();
    for org in state
        .catalog
        .organizations(&read_scope(&ctx.actor), 1, 100)
        .await?
        .items
    {
        if !mine.contains(&org.id) {
            continue;
        }
        let filter = DatasetFilter {
            organization: Some(org.slug.clone()),
            ..DatasetFilter::new(read_scope(&ctx.actor))
        };
        datasets.extend(
            state
                .catalog
                .datasets(&filter, DatasetSort::Modified, 1, 100)
                .await?
                .items,
        );
    }
    let editable: Vec<uuid::Uuid> = mine
        .iter()
        .copied()
        .filter(|o| ctx.actor.sysadmin || ctx.actor.role_in(*o).is_some_and(|r| r >= Role::Editor))
        .collect();
    let trash = state
        .catalog
        .datasets(
            &DatasetFilter {
                deleted_in: Some(editable),
                ..DatasetFilter::new(read_scope(&ctx.actor))
            },
            DatasetSort::Modified,
            1,
            100,
        )
        .await?;
    // Each dataset's metadata quality score (the lowest first in their own list), files that
    // need the publisher (held back by the privacy check, failed, being read) and updates that
    // are overdue.
    let mut scores = std::collections::HashMap::new();
    let (mut attention, mut overdue) = (Vec::new(), Vec::new());
    for ds in &datasets {
        let q = state.assess(ds).await?;
        if q.checks
            .iter()
            .any(|c| c.id == "frequency_kept" && !c.passed)
        {
            overdue.push(ds);
        }
        scores.insert(ds.id.to_string(), q.score);
        for r in state.catalog.resources_of(ds.id).await? {
            use allmende_core::ProcessingStatus as S;
            if r.withheld || matches!(r.status, S::Held | S::Failed | S::Pending | S::Running) {
                attention.push(context! { ds => ds, res => r });
            }
        }
    }
    let mut lowest: Vec<&Dataset> = datasets.iter().collect();
    lowest.sort_by_key(|d| scores.get(&d.id.to_string()).copied().unwrap_or(0));
    lowest.truncate(5);
    let lowest: Vec<_> = lowest
        .into_iter()
        .map(|d| {
            let score = scores.get(&d.id.to_string()).copied().unwrap_or(0);
            context! { ds => d, score, rating => allmende_app::quality::rating(score) }
        })
        .collect();
    ctx.render(
        &state,
        "dashboard.html",
        context! { datasets, trash => trash.items, orgs, scores, lowest, attention, overdue },
    )
}

/// Form values as the form shows them (strings), from a dataset or from a submitted form.
fn form_values(ds: Option<&Dataset>) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    if let Some(d) = ds {
        let date = |d: Option<chrono::NaiveDate>| {
            d.map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        };
        v.insert("slug", d.slug.clone());
        v.insert("title", d.title.clone());
        v.insert("description", d.description.clone());
        v.insert("keywords", d.keywords.join(", "));
        v.insert("license", d.license.clone());
        v.insert("organization", d.organization.clone());
        v.insert("contact_name", d.contact.name.clone().unwrap_or_default());
        v.insert("contact_email", d.contact.email.clone().unwrap_or_default());
        v.insert(
            "maintainer_name",
            d.maintainer.name.clone().unwrap_or_default(),
        );
        v.insert(
            "maintainer_email",
            d.maintainer.email.clone().unwrap_or_default(),
        );
        v.insert("issued", date(d.issued));
        v.insert("modified", date(d.modified));
        v.insert("temporal_start", date(d.temporal.start));
        v.insert("temporal_end", date(d.temporal.end));
        v.insert("spatial_name", d.spatial.name.clone().unwrap_or_default());
        v.insert("spatial_ags", d.spatial.ags.clone().unwrap_or_default());
        v.insert("frequency", d.frequency.clone().unwrap_or_default());
        v.insert("landing_page", d.landing_page.clone().unwrap_or_default());
        v.insert("version", d.version.clone().unwrap_or_default());
        v.insert("visibility", d.visibility.as_str().to_string());
    } else {
        v.insert("license", "dl-by-de/2.0".into());
        v.insert("visibility", "draft".into());
    }
    v
}

fn input_from_form(form: &FormData) -> DatasetInput {
    let opt = |k: &str| form.nonempty(k);
    let contact = |prefix: &str| Contact {
        name: opt(&format!("{prefix}_name")),
        email: opt(&format!("{prefix}_email")),
    };
    DatasetInput {
        slug: opt("slug"),
        title: form.get("title"),
        description: form.get("description"),
        keywords: Some(
            form.get("keywords")
                .unwrap_or_default()
                .split([',', ';'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
        ),
        themes: Some(form.all("themes")),
        license: opt("license"),
        organization: opt("organization"),
        contact: Some(contact("contact")),
        maintainer: Some(contact("maintainer")),
        issued: opt("issued"),
        modified: opt("modified"),
        temporal: Some(TemporalInput {
            start: opt("temporal_start"),
            end: opt("temporal_end"),
        }),
        spatial: Some(Spatial {
            name: opt("spatial_name"),
            ags: opt("spatial_ags"),
            bbox: None,
        }),
        frequency: opt("frequency"),
        languages: None,
        landing_page: opt("landing_page"),
        version: opt("version"),
        visibility: opt("visibility"),
        extras: None,
        release_checklist: Some(checklist_from_form(form)),
    }
}

/// The release checklist's checkboxes (`release_no_personal_data`, …).
fn checklist_from_form(form: &FormData) -> ReleaseChecklist {
    let mut c = ReleaseChecklist::default();
    for item in ReleaseChecklist::ITEMS {
        c.set(item, form.nonempty(&format!("release_{item}")).is_some());
    }
    c
}

async fn render_dataset_form(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    existing: Option<&Dataset>,
    values: BTreeMap<&'static str, String>,
    themes: Vec<String>,
    errors: BTreeMap<String, Vec<String>>,
) -> ApiResult<Response> {
    let orgs = publishable_orgs(state, &ctx.actor).await?;
    ctx.render_status(
        state,
        status,
        "dataset_form.html",
        context! { existing, values, selected_themes => themes, errors, orgs },
    )
}

pub async fn new_dataset(State(state): State<AppState>, ctx: PageCtx) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let mut values = form_values(None);
    // Defaults from the publisher's (first) organization: it publishes, its address answers
    // questions, its municipality is what the data is about; the licence most German
    // municipalities use. Everything stays editable.
    if let Some(org) = publishable_orgs(&state, &ctx.actor).await?.first() {
        values.insert("organization", org.slug.clone());
        values.insert("contact_name", org.name.clone());
        values.insert("contact_email", org.email.clone().unwrap_or_default());
        values.insert("spatial_ags", org.ags.clone().unwrap_or_default());
        values.insert("license", "dl-by-de/2.0".to_string());
    }
    render_dataset_form(
        &state,
        &ctx,
        StatusCode::OK,
        None,
        values,
        vec![],
        BTreeMap::new(),
    )
    .await
}

fn submitted_values(form: &FormData) -> BTreeMap<&'static str, String> {
    let keys = [
        "slug",
        "title",
        "description",
        "keywords",
        "license",
        "organization",
        "contact_name",
        "contact_email",
        "maintainer_name",
        "maintainer_email",
        "issued",
        "modified",
        "temporal_start",
        "temporal_end",
        "spatial_name",
        "spatial_ags",
        "frequency",
        "landing_page",
        "version",
        "visibility",
    ];
    keys.into_iter()
        .map(|k| (k, form.get(k).unwrap_or_default()))
        .collect()
}

/// Maps API field names (`contact.email`) to form field names (`contact_email`).
pub(super) fn form_errors(lang: &str, e: &ApiError) -> Option<BTreeMap<String, Vec<String>>> {
    let map = match e {
        ApiError::Validation(fe) => field_messages(lang, fe),
        ApiError::Conflict(field) => BTreeMap::from([(
            field.clone(),
            vec![crate::i18n::t(lang, "error.taken").to_string()],
        )]),
        ApiError::PrivacyBlocked(blockers) => BTreeMap::from([(
            "visibility".to_string(),
            std::iter::once(crate::i18n::t(lang, "problem.privacy-findings_detail").to_string())
                .chain(blockers.iter().map(|b| b.message().render(lang)))
                .collect(),
        )]),
        e @ ApiError::PrivacyPending(_) => BTreeMap::from([(
            "visibility".to_string(),
            vec![e.problem(lang).detail.unwrap_or_default()],
        )]),
        _ => return None,
    };
    Some(
        map.into_iter()
            .map(|(k, v)| (k.replace('.', "_"), v))
            .collect(),
    )
}

pub async fn create_dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_or_keep(&state, &ctx, &form).await? {
        return Ok(r);
    }
    let input = input_from_form(&form);
    let result = state
        .create_dataset(&ctx.actor, input)
        .await
        .map_err(ApiError::from);
    saved_or_form(&state, &ctx, &form, None, result).await
}

/// After a dataset form was submitted: to the dataset page on success, back to the form with
/// the messages next to the fields on invalid input.
async fn saved_or_form(
    state: &AppState,
    ctx: &PageCtx,
    form: &FormData,
    existing: Option<&Dataset>,
    result: ApiResult<Dataset>,
) -> ApiResult<Response> {
    match result {
        Ok(ds) => {
            let done = if existing.is_some() {
                "saved"
            } else {
                "created"
            };
            Ok(Redirect::to(&format!("/dataset/{}?done={done}", ds.slug)).into_response())
        }
        Err(e) => match form_errors(ctx.lang, &e) {
            Some(errors) => {
                render_dataset_form(
                    state,
                    ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    existing,
                    submitted_values(form),
                    form.all("themes"),
                    errors,
                )
                .await
            }
            None => Err(e),
        },
    }
}

/// A submitted form about a dataset: the CSRF token must match and the caller may edit it.
async fn editable_form(
    state: &AppState,
    ctx: &PageCtx,
    form: &FormData,
    slug: &str,
) -> ApiResult<Dataset> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    editable(state, ctx, slug).await
}

async fn editable(state: &AppState, ctx: &PageCtx, slug: &str) -> ApiResult<Dataset> {
    let ds = state.visible_dataset(&ctx.actor, slug).await?;
    require(&ctx.actor, edit_action(&ds))?;
    Ok(ds)
}

pub async fn edit_dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let ds = editable(&state, &ctx, &slug).await?;
    let themes = ds.themes.clone();
    render_dataset_form(
        &state,
        &ctx,
        StatusCode::OK,
        Some(&ds),
        form_values(Some(&ds)),
        themes,
        BTreeMap::new(),
    )
    .await
}

pub async fn update_dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_or_keep(&state, &ctx, &form).await? {
        return Ok(r);
    }
    let ds = editable(&state, &ctx, &slug).await?;
    let mut input = input_from_form(&form);
    // The form does not show every field; keep what it cannot edit.
    input.languages = Some(ds.languages.clone());
    input.extras = Some(ds.extras.clone());
    input.spatial = input.spatial.map(|s| Spatial {
        bbox: ds.spatial.bbox,
        ..s
    });
    let result = state
        .update_dataset(&ctx.actor, &ds, input)
        .await
        .map_err(ApiError::from);
    saved_or_form(&state, &ctx, &form, Some(&ds), result).await
}

pub async fn set_visibility(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    let ds = editable_form(&state, &ctx, &form, &slug).await?;
    let visibility = form
        .get("visibility")
        .as_deref()
        .and_then(Visibility::parse)
        .ok_or_else(|| ApiError::BadRequest(Msg::new("param.visibility")))?;
    // A date: publish then, not now.
    let planned = match form.nonempty("publish_at") {
        Some(at) if visibility == Visibility::Public => Some(
            chrono::NaiveDateTime::parse_from_str(at.trim(), "%Y-%m-%dT%H:%M")
                .map(allmende_core::time::from_german_local)
                .map_err(|_| {
                    ApiError::Validation(allmende_core::FieldErrors::single(
                        "publish_at",
                        "invalid_datetime",
                    ))
                }),
        ),
        _ => None,
    };
    let is_planned = planned.is_some();
    let result = match planned {
        Some(Ok(due)) => state
            .schedule_publication(&ctx.actor, &ds, due, checklist_from_form(&form))
            .await
            .map(|_| ())
            .map_err(ApiError::from),
        Some(Err(e)) => Err(e),
        None => {
            let mut input = DatasetInput::from(&ds);
            input.visibility = Some(visibility.as_str().to_string());
            input.release_checklist = Some(checklist_from_form(&form));
            state
                .update_dataset(&ctx.actor, &ds, input)
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
    };
    match result {
        Ok(()) if is_planned => {
            return Ok(
                Redirect::to(&format!("/dataset/{}?done=scheduled", ds.slug)).into_response(),
            );
        }
        Ok(()) => {}
        // Back to the dataset's form, the findings beside its visibility.
        Err(
            e @ (ApiError::PrivacyBlocked(_)
            | ApiError::PrivacyPending(_)
            | ApiError::Validation(_)),
        ) => {
            return render_dataset_form(
                &state,
                &ctx,
                e.status(),
                Some(&ds),
                form_values(Some(&ds)),
                ds.themes.clone(),
                form_errors(ctx.lang, &e).unwrap_or_default(),
            )
            .await;
        }
        Err(e) => return Err(e),
    }
    Ok(Redirect::to(&format!("/dataset/{}?done=visibility", ds.slug)).into_response())
}

/// `POST /dataset/{slug}/schedule/cancel`: drops the planned publication.
pub async fn cancel_schedule(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    let ds = editable_form(&state, &ctx, &form, &slug).await?;
    state.cancel_publication(&ctx.actor, &ds).await?;
    Ok(Redirect::to(&format!("/dataset/{}?done=schedule_cancelled", ds.slug)).into_response())
}

pub async fn delete_dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    let ds = editable_form(&state, &ctx, &form, &slug).await?;
    confirmed(&form)?;
    state.catalog.set_dataset_deleted(ds.id, true).await?;
    Ok(Redirect::to("/dashboard?done=deleted").into_response())
}

/// Deleting from a page needs the ticked confirmation beside the button (the browser asks for
/// it; this is for forms sent otherwise).
fn confirmed(form: &FormData) -> ApiResult<()> {
    if form.get("confirm").as_deref() == Some("yes") {
        Ok(())
    } else {
        Err(ApiError::BadRequest(Msg::new("form.confirm_delete")))
    }
}

pub async fn restore_dataset(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    form: FormData,
) -> ApiResult<Response> {
    let ds = editable_form(&state, &ctx, &form, &slug).await?;
    state.catalog.set_dataset_deleted(ds.id, false).await?;
    Ok(Redirect::to(&format!("/dataset/{}?done=dataset_restored", ds.slug)).into_response())
}

pub async fn new_resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let ds = editable(&state, &ctx, &slug).await?;
    ctx.render(
        &state,
        "resource_form.html",
        context! { ds, errors => BTreeMap::<String, Vec<String>>::new(), values => BTreeMap::<String, String>::new(),
            max_upload => state.settings.max_upload_bytes as i64 },
    )
}

pub async fn create_resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(slug): Path<String>,
    req: Request,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let ds = editable(&state, &ctx, &slug).await?;
    if !crate::multipart::is_multipart(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(Msg::new("media.multipart")));
    }
    let form =
        crate::multipart::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
    if !ctx.csrf_ok(form.text("csrf").as_deref()) {
        // The staged file is dropped (and removed) with the form.
        return Err(ApiError::Forbidden);
    }
    let values: BTreeMap<String, String> = form
        .fields
        .clone()
        .into_iter()
        .filter(|(k, _)| k != "csrf")
        .collect();
    match crate::multipart::create_from_form(&state, &ds, form).await {
        Ok(res) => Ok(Redirect::to(&format!(
            "/dataset/{}/resource/{}?done=resource_added",
            ds.slug, res.id
        ))
        .into_response()),
        Err(e) => match form_errors(ctx.lang, &e) {
            Some(errors) => ctx.render_status(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "resource_form.html",
                context! { ds, errors, values, max_upload => state.settings.max_upload_bytes as i64 },
            ),
            None => Err(e),
        },
    }
}

pub async fn delete_resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    let ds = editable_form(&state, &ctx, &form, &slug).await?;
    let (res, owner) = state.visible_resource(&ctx.actor, &id).await?;
    if owner.id != ds.id {
        return Err(ApiError::NotFound);
    }
    confirmed(&form)?;
    state.catalog.delete_resource(res.id, ds.id).await?;
    Ok(Redirect::to(&format!("/dataset/{}?done=resource_deleted", ds.slug)).into_response())
}
