//! What `/items` can filter and sort by, besides `bbox`: the collection's queryables (its
//! attribute columns, described as a JSON Schema at `/queryables`, Part 3), equality on a
//! queryable as `?Name=value` (Part 1, 7.15.7), `datetime` on the first date or timestamp
//! column (Part 1, 7.15.4), and `sortby` (Part 5 style: `+Name,-kW`). Each is turned into the
//! records expression language with quoted names and values, so the parser keeps it safe.

use allmende_table::ColumnType;
use allmende_table::column::Column;
use serde_json::{Value, json};

/// A parameter and value the collection cannot take (the caller answers 400).
pub(super) type Rejected = (String, String);

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn queryable(columns: &[Column], name: &str) -> Option<Column> {
    columns
        .iter()
        .find(|c| c.name == name && c.kind != ColumnType::Geometry)
        .cloned()
}

/// The JSON Schema of the queryables (Part 3, 6.2).
pub(super) fn queryables(columns: &[Column], self_href: &str, title: &str) -> Value {
    let mut properties = serde_json::Map::new();
    for c in columns {
        let schema = match c.kind {
            ColumnType::Geometry => json!({"format": "geometry-any"}),
            ColumnType::Integer => json!({"type": "integer"}),
            ColumnType::Decimal => json!({"type": "number"}),
            ColumnType::Boolean => json!({"type": "boolean"}),
            ColumnType::Date => json!({"type": "string", "format": "date"}),
            ColumnType::Timestamp => json!({"type": "string", "format": "date-time"}),
            ColumnType::Text => json!({"type": "string"}),
        };
        let mut schema = schema;
        schema["title"] = c.name.clone().into();
        properties.insert(c.name.clone(), schema);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": self_href,
        "type": "object",
        "title": title,
        "properties": properties,
        "additionalProperties": false,
    })
}

/// `?Name=value`: equal values (numbers and booleans compared as such).
pub(super) fn property(columns: &[Column], name: &str, value: &str) -> Result<String, Rejected> {
    let reject = || (name.to_string(), value.to_string());
    let c = queryable(columns, name).ok_or_else(reject)?;
    let col = quote_ident(&c.name);
    Ok(match c.kind {
        ColumnType::Integer | ColumnType::Decimal => {
            let n: f64 = value.trim().parse().map_err(|_| reject())?;
            if !n.is_finite() {
                return Err(reject());
            }
            format!("{col} = {n}")
        }
        ColumnType::Boolean => match value {
            "true" => format!("{col} = true"),
            "false" => format!("{col} = false"),
            _ => return Err(reject()),
        },
        ColumnType::Date => {
            let d = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| reject())?;
            format!("{col} = '{d}'")
        }
        _ => format!("{col} = {}", quote_str(value)),
    })
}

/// `sortby=+Name,-kW` (a name alone sorts ascending).
pub(super) fn sortby(columns: &[Column], raw: &str) -> Result<String, Rejected> {
    let reject = || ("sortby".to_string(), raw.to_string());
    let mut parts = Vec::new();
    for item in raw.split(',').map(str::trim) {
        let (name, desc) = match item.as_bytes().first() {
            Some(b'-') => (&item[1..], true),
            Some(b'+') => (&item[1..], false),
            // `+` arrives as a space when the client did not encode it.
            Some(b' ') => (item.trim_start(), false),
            Some(_) => (item, false),
            None => return Err(reject()),
        };
        let c = queryable(columns, name.trim()).ok_or_else(reject)?;
        parts.push(format!(
            "{} {}",
            quote_ident(&c.name),
            if desc { "desc" } else { "asc" }
        ));
    }
    Ok(parts.join(", "))
}

/// `datetime`: an instant or an interval (`a/b`, `../b`, `a/..`) against the collection's
/// first date or timestamp column. A collection without one has no features in any time.
pub(super) fn datetime(columns: &[Column], raw: &str) -> Result<String, Rejected> {
    let reject = || ("datetime".to_string(), raw.to_string());
    let Some(c) = columns
        .iter()
        .find(|c| matches!(c.kind, ColumnType::Date | ColumnType::Timestamp))
    else {
        // Still a valid parameter: nothing matches.
        parse_interval(raw).ok_or_else(reject)?;
        return Ok("false".into());
    };
    let (start, end) = parse_interval(raw).ok_or_else(reject)?;
    let col = quote_ident(&c.name);
    let bound = |t: &chrono::NaiveDateTime| match c.kind {
        ColumnType::Date => format!("'{}'", t.date()),
        _ => format!("'{}'", t.format("%Y-%m-%dT%H:%M:%S")),
    };
    let mut parts = Vec::new();
    if let Some(s) = &start {
        parts.push(format!("{col} >= {}", bound(s)));
    }
    if let Some(e) = &end {
        parts.push(format!("{col} <= {}", bound(e)));
    }
    // Features without a time are in no interval.
    parts.push(format!("{col} is not null"));
    Ok(parts.join(" and "))
}

type Interval = (Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);

fn parse_interval(raw: &str) -> Option<Interval> {
    let instant = |s: &str, end: bool| -> Option<Option<chrono::NaiveDateTime>> {
        match s {
            ".." | "" => Some(None),
            s => {
                if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                    return Some(Some(t.naive_utc()));
                }
                let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
                // A date as an end covers that whole day.
                let t = match end {
                    true => d.and_hms_opt(23, 59, 59)?,
                    false => d.and_hms_opt(0, 0, 0)?,
                };
                Some(Some(t))
            }
        }
    };
    match raw.split_once('/') {
        Some((a, b)) => {
            let (a, b) = (instant(a, false)?, instant(b, true)?);
            if a.is_none() && b.is_none() && !raw.contains("..") {
                return None;
            }
            if let (Some(x), Some(y)) = (a, b)
                && x > y
            {
                return None;
            }
            Some((a, b))
        }
        None if raw.is_empty() || raw == ".." => None,
        None => {
            let start = instant(raw, false)?;
            let end = instant(raw, true)?;
            Some((start, end))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: ColumnType) -> Column {
        Column {
            name: name.into(),
            machine_name: name.into(),
            kind,
            reason: None,
            stats: None,
        }
    }

    #[test]
    fn filters_quote_and_check() {
        let cols = [
            col("Name", ColumnType::Text),
            col("kW", ColumnType::Integer),
            col("seit", ColumnType::Date),
            col("geometry", ColumnType::Geometry),
        ];
        assert_eq!(
            property(&cols, "Name", "O'Brien").unwrap(),
            "\"Name\" = 'O''Brien'"
        );
        assert_eq!(property(&cols, "kW", "22").unwrap(), "\"kW\" = 22");
        assert!(property(&cols, "kW", "viel").is_err());
        assert!(property(&cols, "geometry", "x").is_err());
        assert!(property(&cols, "nope", "x").is_err());
        assert_eq!(
            sortby(&cols, "-kW,+Name").unwrap(),
            "\"kW\" desc, \"Name\" asc"
        );
        assert!(sortby(&cols, "geometry").is_err());
        assert_eq!(
            datetime(&cols, "2024-01-01/..").unwrap(),
            "\"seit\" >= '2024-01-01' and \"seit\" is not null"
        );
        assert_eq!(
            datetime(&cols, "2024-05-01").unwrap(),
            "\"seit\" >= '2024-05-01' and \"seit\" <= '2024-05-01' and \"seit\" is not null"
        );
        assert!(datetime(&cols, "2025-01-01/2024-01-01").is_err());
        assert!(datetime(&cols, "gestern").is_err());
        assert_eq!(datetime(&cols[..1], "2024-01-01").unwrap(), "false");
    }
}
