//! CKAN's DataStore API over our tables: `datastore_search` (filters, q, fields, sort,
//! limit ≤ 32,000, offset, total, records as objects, lists, CSV or TSV, `_links`) becomes a
//! records query; `datastore_search_sql` runs in the same sandbox as our SQL API, with tables
//! named by resource id (as in CKAN) or by their SQL name.

use std::sync::Arc;

use allmende_table::ColumnType;
use allmende_table::export::{CsvStyle, write_csv_rows};
use allmende_table::query::{RecordsPage, RecordsQuery, TableRef, json};
use serde_json::{Map, Value, json};

use super::call::{Call, CkanError, CkanResult, not_found_as};
use crate::error::ApiError;
use crate::state::AppState;

pub const MAX_LIMIT: i64 = 32_000;

/// CKAN's type names for ours.
fn ckan_type(kind: Option<ColumnType>) -> &'static str {
    match kind {
        Some(ColumnType::Integer) => "int",
        Some(ColumnType::Decimal) => "numeric",
        Some(ColumnType::Boolean) => "bool",
        Some(ColumnType::Date) => "date",
        Some(ColumnType::Timestamp) => "timestamp",
        _ => "text",
    }
}

fn fields(page: &RecordsPage, t: Option<&TableRef>) -> Vec<Value> {
    page.schema
        .fields()
        .iter()
        .map(|f| {
            let mut v = json!({
                "id": f.name(),
                "type": ckan_type(ColumnType::from_arrow(f.data_type())),
            });
            if let Some(c) = t.and_then(|t| t.columns.iter().find(|c| &c.name == f.name())) {
                v["info"] = json!({
                    "label": c.name,
                    "machine_name": c.machine_name,
                });
            }
            v
        })
        .collect()
}

fn quote_name(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn literal(v: &Value, kind: Option<ColumnType>) -> CkanResult<String> {
    Ok(match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match kind {
            Some(ColumnType::Integer | ColumnType::Decimal) | None => n.to_string(),
            _ => format!("'{n}'"),
        },
        Value::String(s) => match kind {
            Some(ColumnType::Integer | ColumnType::Decimal) if s.trim().parse::<f64>().is_ok() => {
                s.trim().to_string()
            }
            Some(ColumnType::Boolean) if matches!(s.as_str(), "true" | "false") => s.clone(),
            _ => format!("'{}'", s.replace('\'', "''")),
        },
        _ => {
            return Err(CkanError::invalid(
                "filters",
                "Werte müssen Text, Zahl oder Liste sein",
            ));
        }
    })
}

/// `filters` → a where expression of our records language (values quoted, never spliced).
fn filter_expr(filters: &Value, t: &TableRef) -> CkanResult<Option<String>> {
    let Value::Object(m) = filters else {
        return Err(CkanError::invalid(
            "filters",
            "Ein JSON-Objekt {Spalte: Wert} erwartet",
        ));
    };
    let mut parts = Vec::new();
    for (col, v) in m {
        let kind = if col == "_id" {
            Some(ColumnType::Integer)
        } else {
            let c = t
                .columns
                .iter()
                .find(|c| &c.name == col || &c.machine_name == col)
                .ok_or_else(|| {
                    CkanError::invalid("filters", &format!("Unbekannte Spalte {col:?}"))
                })?;
            Some(c.kind)
        };
        let name = quote_name(col);
        match v {
            Value::Array(items) if items.is_empty() => parts.push("false".to_string()),
            Value::Array(items) => {
                let lits: Vec<String> = items
                    .iter()
                    .map(|x| literal(x, kind))
                    .collect::<CkanResult<_>>()?;
                parts.push(format!("{name} in ({})", lits.join(", ")));
            }
            Value::Null => parts.push(format!("{name} is null")),
            other => parts.push(format!("{name} = {}", literal(other, kind)?)),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(" and ")))
}

/// `"a, b desc"` → our order_by, names quoted.
fn sort_expr(sort: &str) -> String {
    sort.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (name, dir) = match part.rsplit_once(' ') {
                Some((n, d)) if d.eq_ignore_ascii_case("asc") || d.eq_ignore_ascii_case("desc") => {
                    (n.trim(), format!(" {}", d.to_ascii_lowercase()))
                }
                _ => (part, String::new()),
            };
            format!("{}{dir}", quote_name(name.trim_matches('"')))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_param(call: &Call, key: &str) -> CkanResult<Option<Vec<String>>> {
    Ok(match call.json(key)? {
        None => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        ),
        Some(Value::String(s)) => Some(
            s.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect(),
        ),
        Some(_) => return Err(CkanError::invalid(key, "Liste erwartet")),
    })
}

fn records_json(page: &RecordsPage, lists: bool) -> Vec<u8> {
    let mut out = vec![b'['];
    let keys = json::keys(&page.schema);
    let mut first = true;
    for b in &page.batches {
        json::write_rows(&mut out, b, &keys, lists, b",", &mut first);
    }
    out.push(b']');
    out
}

fn link(call: &Call, resource: &str, offset: i64, limit: i64) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("resource_id", resource);
    for (k, v) in &call.params {
        if matches!(k.as_str(), "resource_id" | "id" | "offset" | "limit") {
            continue;
        }
        match v {
            Value::String(s) => {
                q.append_pair(k, s);
            }
            other => {
                q.append_pair(k, &other.to_string());
            }
        }
    }
    q.append_pair("limit", &limit.to_string());
    if offset > 0 {
        q.append_pair("offset", &offset.to_string());
    }
    format!("/api/3/action/datastore_search?{}", q.finish())
}

pub async fn search(state: &AppState, call: &Call) -> CkanResult {
    let id = call
        .str("resource_id")
        .or_else(|| call.str("id"))
        .ok_or_else(|| CkanError::missing("resource_id"))?;
    let (res, _) = state
        .visible_resource(&call.actor, &id)
        .await
        .map_err(not_found_as("Ressource"))?;
    let (t, _) = state.served(&res).await.map_err(|_| {
        CkanError::NotFound(format!("Ressource \"{id}\" hat keine Tabelle im DataStore"))
    })?;
    let limit = call.int("limit")?.unwrap_or(100);
    if limit > MAX_LIMIT {
        return Err(CkanError::invalid(
            "limit",
            &format!("Höchstens {MAX_LIMIT} Zeilen je Abfrage (weiter mit offset)"),
        ));
    }
    let offset = call.int("offset")?.unwrap_or(0);
    let include_total = call.bool("include_total")?.unwrap_or(true);
    let format = call
        .str("records_format")
        .unwrap_or_else(|| "objects".into());
    if !matches!(format.as_str(), "objects" | "lists" | "csv" | "tsv") {
        return Err(CkanError::invalid(
            "records_format",
            "objects, lists, csv oder tsv",
        ));
    }
    let mut filter = match call.json("filters")? {
        Some(f) => filter_expr(&f, &t)?,
        None => None,
    };
    let mut text = None;
    match call.json("q")? {
        None => {}
        Some(Value::String(s)) => text = Some(s),
        Some(Value::Object(per_field)) => {
            let mut parts = Vec::new();
            for (col, v) in per_field {
                let s = v.as_str().unwrap_or_default();
                parts.push(format!(
                    "{} like '%{}%'",
                    quote_name(&col),
                    s.replace('\'', "''")
                ));
            }
            if !parts.is_empty() {
                let extra = parts.join(" and ");
                filter = Some(match filter {
                    Some(f) => format!("({f}) and {extra}"),
                    None => extra,
                });
            }
        }
        Some(_) => return Err(CkanError::invalid("q", "Text oder {Spalte: Text} erwartet")),
    }
    let fields_wanted = list_param(call, "fields")?;
    let distinct = call.bool("distinct")?.unwrap_or(false);
    let select = fields_wanted.as_ref().map(|f| {
        f.iter()
            .map(|n| quote_name(n))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let sort = call.str("sort").map(|s| sort_expr(&s));
    let q = RecordsQuery {
        select: select.clone(),
        filter,
        q: text,
        // `distinct` is a grouping by every selected column.
        group_by: if distinct { select } else { None },
        order_by: sort,
        limit: Some(limit as usize),
        offset: offset as usize,
        cursor: None,
        total: include_total,
        limit_cap: Some(MAX_LIMIT as usize),
        ..Default::default()
    };
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, &call.client).await?;
    let page = state
        .tables
        .records(permit, &t, &q)
        .await
        .map_err(|e| CkanError::from(ApiError::from(e)))?;
    let mut result = Map::new();
    result.insert("resource_id".into(), json!(res.id.to_string()));
    result.insert("fields".into(), Value::Array(fields(&page, Some(&t))));
    let records: Value = match format.as_str() {
        "objects" | "lists" => serde_json::from_slice(&records_json(&page, format == "lists"))
            .map_err(|e| CkanError::Internal(e.to_string()))?,
        _ => {
            // Records inside a JSON answer are data for programs, not a file a spreadsheet
            // opens: no formula guard.
            let style = CsvStyle {
                delimiter: if format == "tsv" { b'\t' } else { b',' },
                german: false,
                guard_formulas: false,
            };
            let mut out = Vec::new();
            for b in &page.batches {
                write_csv_rows(&mut out, b, style);
            }
            Value::String(String::from_utf8_lossy(&out).into_owned())
        }
    };
    result.insert("records".into(), records);
    if let Some(total) = page.total {
        result.insert("total".into(), json!(total));
        result.insert("total_was_estimated".into(), json!(false));
    }
    result.insert("limit".into(), json!(limit));
    if offset > 0 {
        result.insert("offset".into(), json!(offset));
    }
    // `fields` is not echoed: in CKAN's answer it is the list of field dicts above.
    for k in ["filters", "q", "sort", "distinct"] {
        if let Some(v) = call.params.get(k) {
            result.insert(k.into(), v.clone());
        }
    }
    result.insert("records_format".into(), json!(format));
    result.insert("include_total".into(), json!(include_total));
    result.insert(
        "_links".into(),
        json!({
            "start": link(call, &id, 0, limit),
            "next": link(call, &id, offset + limit, limit),
        }),
    );
    Ok(Value::Object(result))
}

pub async fn search_sql(state: &AppState, call: &Call) -> CkanResult {
    let sql = call.required("sql")?;
    let lookup = Arc::new(state.public_tables().await.map_err(CkanError::from)?);
    let permit = crate::heavy::admit(state, allmende_work::Lane::Query, &call.client).await?;
    let page = state
        .tables
        .sql(permit, lookup, &sql)
        .await
        .map_err(|e| match e {
            allmende_table::query::QueryError::Invalid(m) => {
                CkanError::invalid("sql", &m.render(crate::i18n::current_lang()))
            }
            other => CkanError::from(ApiError::from(other)),
        })?;
    let records: Value = serde_json::from_slice(&records_json(&page, false))
        .map_err(|e| CkanError::Internal(e.to_string()))?;
    let mut result = json!({
        "sql": sql,
        "fields": fields(&page, None),
        "records": records,
    });
    if page.truncated {
        result["records_truncated"] = json!(true);
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_literals_are_quoted() {
        assert_eq!(
            sort_expr("Einwohner gesamt desc, Stadt"),
            "\"Einwohner gesamt\" desc, \"Stadt\""
        );
        assert_eq!(
            literal(&json!("O'Brien"), Some(ColumnType::Text)).unwrap(),
            "'O''Brien'"
        );
        assert_eq!(
            literal(&json!("12"), Some(ColumnType::Integer)).unwrap(),
            "12"
        );
        assert_eq!(quote_name("a\"b"), "\"a\"\"b\"");
    }
}
