//! A resource's page for its publisher: title, description, format and licence; a new file
//! (a table's becomes its next version, the earlier ones stay downloadable); a new read with
//! the publisher's options (delimiter, encoding, header row, decimal sign, sheet, column
//! types). Every POST checks the form's CSRF token and goes through the application layer.

use std::collections::BTreeMap;

use allmende_core::{Dataset, Resource};
use allmende_table::column::ColumnType;
use allmende_table::{IngestOptions, NumberStyle};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::forms::FormData;
use super::publish::form_errors;
use super::signin::login_redirect;
use super::signin::signed_in_or_keep;
use crate::error::{ApiError, ApiResult};
use crate::i18n::Msg;
use crate::page::PageCtx;
use crate::state::AppState;

const TYPES: [ColumnType; 6] = [
    ColumnType::Integer,
    ColumnType::Decimal,
    ColumnType::Boolean,
    ColumnType::Date,
    ColumnType::Timestamp,
    ColumnType::Text,
];

/// The resource, when the actor may change it and it belongs to the dataset in the address.
async fn editable(
    state: &AppState,
    ctx: &PageCtx,
    slug: &str,
    id: &str,
) -> ApiResult<(Resource, Dataset)> {
    let (res, ds) = state.editable_resource(&ctx.actor, id).await?;
    if ds.slug != slug {
        return Err(ApiError::NotFound);
    }
    Ok((res, ds))
}

fn values_of(res: &Resource) -> BTreeMap<String, String> {
    let mut v = BTreeMap::new();
    v.insert("title".into(), res.title.clone());
    v.insert("description".into(), res.description.clone());
    for (k, x) in [
        ("url", &res.url),
        ("format", &res.format),
        ("license", &res.license),
    ] {
        if let Some(x) = x {
            v.insert(k.into(), x.clone());
        }
    }
    v
}

/// Renders the page; `errors` go beside the form they belong to (`form` names it).
async fn render(
    state: &AppState,
    ctx: &PageCtx,
    status: StatusCode,
    (res, ds): (&Resource, &Dataset),
    values: BTreeMap<String, String>,
    errors: BTreeMap<String, Vec<String>>,
    form: &str,
) -> ApiResult<Response> {
    let tabular = allmende_app::resources::is_tabular(res);
    // The newest read: its columns for the types, its options as the form's defaults.
    let newest = if tabular {
        state
            .catalog
            .table_versions_of(res.id)
            .await?
            .into_iter()
            .next()
    } else {
        None
    };
    let options: IngestOptions = newest
        .as_ref()
        .and_then(|v| serde_json::from_value(v.options.clone()).ok())
        .unwrap_or_default();
    let columns: Vec<minijinja::Value> = newest
        .as_ref()
        .and_then(|v| v.report.as_ref())
        .and_then(|r| r.get("columns"))
        .and_then(|c| c.as_array())
        .map(|cols| {
            cols.iter()
                .filter_map(|c| {
                    let name = c.get("name")?.as_str()?.to_string();
                    let detected = c.get("type")?.as_str()?.to_string();
                    let chosen = options.types.get(&name).map(|t| type_code(*t));
                    Some(context! { name, detected, chosen })
                })
                .collect()
        })
        .unwrap_or_default();
    let decimal = options.decimal.map(|d| match d {
        NumberStyle::German => "german",
        NumberStyle::Point => "point",
    });
    let types: Vec<&str> = TYPES.iter().map(|t| type_code(*t)).collect();
    ctx.render_status(
        state,
        status,
        "resource_edit.html",
        context! {
            res, ds, values, errors, form, tabular, columns, types,
            is_link => res.url.is_some() && res.sha256.is_none(),
            options => context! {
                delimiter => options.delimiter, encoding => options.encoding,
                header_row => options.header_row, decimal, sheet => options.sheet,
            },
            max_upload => state.settings.max_upload_bytes as i64,
        },
    )
}

/// The page again with one message beside the form `field` belongs to (422).
async fn refuse(
    state: &AppState,
    ctx: &PageCtx,
    (res, ds): (&Resource, &Dataset),
    field: &str,
    message: String,
) -> ApiResult<Response> {
    let errors = BTreeMap::from([(field.to_string(), vec![message])]);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(state, ctx, status, (res, ds), values_of(res), errors, field).await
}

fn type_code(t: ColumnType) -> &'static str {
    match t {
        ColumnType::Integer => "integer",
        ColumnType::Decimal => "decimal",
        ColumnType::Boolean => "boolean",
        ColumnType::Date => "date",
        ColumnType::Timestamp => "timestamp",
        ColumnType::Text => "text",
        ColumnType::Geometry => "geometry",
    }
}

fn done(ds: &Dataset, res: &Resource, what: &str) -> Response {
    Redirect::to(&format!(
        "/dataset/{}/resource/{}?done={what}",
        ds.slug, res.id
    ))
    .into_response()
}

/// `GET /dataset/{slug}/resource/{id}/edit`
pub async fn edit_resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let (res, ds) = editable(&state, &ctx, &slug, &id).await?;
    let values = values_of(&res);
    render(
        &state,
        &ctx,
        StatusCode::OK,
        (&res, &ds),
        values,
        BTreeMap::new(),
        "",
    )
    .await
}

/// `POST /dataset/{slug}/resource/{id}/edit`: the metadata.
pub async fn update_resource(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if let Some(r) = signed_in_or_keep(&state, &ctx, &form).await? {
        return Ok(r);
    }
    let (res, ds) = editable(&state, &ctx, &slug, &id).await?;
    let mut input = allmende_app::App::resource_input(&res);
    input.title = form.get("title");
    input.description = form.get("description");
    input.format = form.nonempty("format");
    input.license = form.nonempty("license");
    if res.url.is_some() {
        input.url = form.nonempty("url");
    }
    match state.update_resource(&res, &ds, input).await {
        Ok(res) => Ok(done(&ds, &res, "saved")),
        Err(e) => {
            let e = ApiError::from(e);
            let Some(errors) = form_errors(ctx.lang, &e) else {
                return Err(e);
            };
            let values = ["title", "description", "format", "license", "url"]
                .into_iter()
                .filter_map(|k| form.get(k).map(|v| (k.to_string(), v)))
                .collect();
            render(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                (&res, &ds),
                values,
                errors,
                "metadata",
            )
            .await
        }
    }
}

/// `POST /dataset/{slug}/resource/{id}/file` (multipart `file`): a new file.
pub async fn replace_file(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    req: Request,
) -> ApiResult<Response> {
    if let Some(r) = login_redirect(&ctx) {
        return Ok(r);
    }
    let (res, ds) = editable(&state, &ctx, &slug, &id).await?;
    if !crate::multipart::is_multipart(req.headers()) {
        return Err(ApiError::UnsupportedMediaType(Msg::new("media.multipart")));
    }
    let form =
        crate::multipart::read_multipart(&state, req, state.settings.max_upload_bytes).await?;
    if !ctx.csrf_ok(form.text("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    let Some(file) = form.file else {
        let message = ctx.t("error.file_missing");
        return refuse(&state, &ctx, (&res, &ds), "file", message).await;
    };
    let (res, version) = state.replace_file(&res, &ds, file).await?;
    Ok(done(
        &ds,
        &res,
        if version.is_some() {
            "file_queued"
        } else {
            "file_replaced"
        },
    ))
}

/// `POST /dataset/{slug}/resource/{id}/reread`: read the current file again with options.
pub async fn reread(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((slug, id)): Path<(String, String)>,
    form: FormData,
) -> ApiResult<Response> {
    if !ctx.csrf_ok(form.get("csrf").as_deref()) {
        return Err(ApiError::Forbidden);
    }
    let (res, ds) = editable(&state, &ctx, &slug, &id).await?;
    let options = match options_from_form(&form) {
        Ok(o) => o,
        Err(m) => {
            let message = m.render(ctx.lang);
            return refuse(&state, &ctx, (&res, &ds), "reread", message).await;
        }
    };
    state.schedule_ingest(&res, &options).await?;
    Ok(done(&ds, &res, "reread"))
}

/// The form's options; an empty field means "detect".
fn options_from_form(form: &FormData) -> Result<IngestOptions, Msg> {
    let mut o = IngestOptions {
        delimiter: form.nonempty("delimiter"),
        encoding: form.nonempty("encoding"),
        sheet: form.nonempty("sheet"),
        ..Default::default()
    };
    if let Some(h) = form.nonempty("header_row") {
        o.header_row = Some(
            h.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 1000)
                .ok_or_else(|| Msg::new("form.header_row"))?,
        );
    }
    o.decimal = match form.nonempty("decimal").as_deref() {
        None => None,
        Some("german") => Some(NumberStyle::German),
        Some("point") => Some(NumberStyle::Point),
        Some(_) => return Err(Msg::new("form.decimal")),
    };
    // Column types come as `type:<column>` fields; only a chosen type is an option.
    for (k, v) in &form.0 {
        let Some(column) = k.strip_prefix("type:") else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        let t = TYPES
            .iter()
            .find(|t| type_code(**t) == v.as_str())
            .ok_or_else(|| Msg::new("form.column_type").arg("column", column))?;
        o.types.insert(column.to_string(), *t);
    }
    o.validate()?;
    Ok(o)
}
