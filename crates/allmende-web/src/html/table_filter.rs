//! The table preview's per-column filter fields, turned into one condition of the records
//! expression language. Each field is checked on its own: a value that does not fit its column
//! is reported beside that field and left out, and the other fields still filter.
//!
//! What a field accepts: text columns a part of the text (`=Wert` for the whole text); numbers
//! and dates a value, a comparison (`>10000`, `<=5`, `>=01.01.2024`) or a range (`10..20`);
//! yes/no columns `ja` or `nein`.

use std::collections::{BTreeMap, HashMap};

use allmende_core::i18n::Msg;
use allmende_table::ColumnType;
use allmende_table::query::TableRef;

/// Quotes a value for the records expression language (`'` doubled): the preview builds its
/// conditions from form input, and the parser is what keeps them safe.
pub(super) fn quote_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The condition of the fields that fit their columns, and an error for each that does not,
/// by the column's machine name.
#[derive(Debug, Default)]
pub(super) struct Filters {
    pub condition: Option<String>,
    pub errors: BTreeMap<String, Msg>,
}

pub(super) fn parse(t: &TableRef, fields: &HashMap<String, String>) -> Filters {
    let mut parts = Vec::new();
    let mut errors = BTreeMap::new();
    for c in &t.columns {
        let Some(v) = fields
            .get(&c.machine_name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        match column_condition(&quote_ident(&c.name), c.kind, v) {
            Ok(Some(p)) => parts.push(p),
            Ok(None) => {}
            Err(key) => {
                errors.insert(
                    c.machine_name.clone(),
                    Msg::new(key).arg("value", v).arg("column", &c.name),
                );
            }
        }
    }
    Filters {
        condition: (!parts.is_empty()).then(|| parts.join(" and ")),
        errors,
    }
}

/// Splits `>=5`, `<5`, `=5`, `5..9` into what to compare with.
enum Wanted<'a> {
    Compare(&'static str, &'a str),
    Range(&'a str, &'a str),
}

fn wanted(v: &str) -> Wanted<'_> {
    for op in [">=", "<=", "<>", "!=", ">", "<", "="] {
        if let Some(rest) = v.strip_prefix(op) {
            let op = match op {
                "!=" => "<>",
                ">=" => ">=",
                "<=" => "<=",
                "<>" => "<>",
                ">" => ">",
                "<" => "<",
                _ => "=",
            };
            return Wanted::Compare(op, rest.trim());
        }
    }
    match v.split_once("..") {
        Some((lo, hi)) => Wanted::Range(lo.trim(), hi.trim()),
        None => Wanted::Compare("=", v),
    }
}

/// A German or plain number as a literal: `10.000,5` and `10000.5` alike (a dot followed by
/// exactly three digits groups thousands).
fn number(v: &str) -> Option<String> {
    let v = v.trim();
    let grouped = v
        .split('.')
        .skip(1)
        .all(|g| g.len() == 3 && !g.contains(','));
    let n = if v.contains(',') || (grouped && v.contains('.')) {
        v.replace('.', "").replace(',', ".")
    } else {
        v.to_string()
    };
    n.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| n)
}

fn date(v: &str) -> Option<String> {
    allmende_table::values::parse_date(v.trim()).map(|d| format!("'{d}'"))
}

fn column_condition(col: &str, kind: ColumnType, v: &str) -> Result<Option<String>, &'static str> {
    let literal: fn(&str) -> Option<String> = match kind {
        // Places are filtered on the map, not by typing into a field.
        ColumnType::Geometry => return Ok(None),
        ColumnType::Text => {
            return Ok(Some(match v.strip_prefix('=') {
                Some(exact) => {
                    format!("lower({col}) = {}", quote_str(&exact.trim().to_lowercase()))
                }
                None => format!(
                    "lower({col}) like {}",
                    quote_str(&format!("%{}%", v.to_lowercase()))
                ),
            }));
        }
        ColumnType::Boolean => {
            return match v.to_lowercase().as_str() {
                "ja" | "true" | "wahr" | "yes" => Ok(Some(format!("{col} = true"))),
                "nein" | "false" | "falsch" | "no" => Ok(Some(format!("{col} = false"))),
                _ => Err("filter.not_a_boolean"),
            };
        }
        ColumnType::Integer | ColumnType::Decimal => number,
        ColumnType::Date | ColumnType::Timestamp => date,
    };
    let error = if matches!(kind, ColumnType::Date | ColumnType::Timestamp) {
        "filter.not_a_date"
    } else {
        "filter.not_a_number"
    };
    // A timestamp is compared by its day, as the field asks for a date.
    let col = if kind == ColumnType::Timestamp {
        format!("date_trunc('day', {col})")
    } else {
        col.to_string()
    };
    Ok(Some(match wanted(v) {
        Wanted::Compare(op, x) => format!("{col} {op} {}", literal(x).ok_or(error)?),
        Wanted::Range(lo, hi) => {
            let (lo, hi) = (literal(lo).ok_or(error)?, literal(hi).ok_or(error)?);
            format!("{col} >= {lo} and {col} <= {hi}")
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(kind: ColumnType, v: &str) -> Result<Option<String>, &'static str> {
        column_condition("\"x\"", kind, v)
    }

    #[test]
    fn numbers_take_comparisons_ranges_and_german_notation() {
        let n = ColumnType::Integer;
        assert_eq!(cond(n, ">10000"), Ok(Some("\"x\" > 10000".into())));
        assert_eq!(cond(n, ">= 10.000"), Ok(Some("\"x\" >= 10000".into())));
        assert_eq!(cond(n, "<=2,5"), Ok(Some("\"x\" <= 2.5".into())));
        assert_eq!(cond(n, "!=3"), Ok(Some("\"x\" <> 3".into())));
        assert_eq!(cond(n, "1.5"), Ok(Some("\"x\" = 1.5".into())));
        assert_eq!(
            cond(n, "10..20"),
            Ok(Some("\"x\" >= 10 and \"x\" <= 20".into()))
        );
        assert_eq!(cond(n, "zwölf"), Err("filter.not_a_number"));
        assert_eq!(cond(n, ">"), Err("filter.not_a_number"));
        assert_eq!(cond(n, "1..x"), Err("filter.not_a_number"));
        assert_eq!(cond(n, "1; drop"), Err("filter.not_a_number"));
        assert_eq!(cond(n, "inf"), Err("filter.not_a_number"));
    }

    #[test]
    fn dates_and_text() {
        assert_eq!(
            cond(ColumnType::Date, ">=31.12.2023"),
            Ok(Some("\"x\" >= '2023-12-31'".into()))
        );
        assert_eq!(
            cond(ColumnType::Timestamp, "2024-01-01"),
            Ok(Some("date_trunc('day', \"x\") = '2024-01-01'".into()))
        );
        assert_eq!(cond(ColumnType::Date, "gestern"), Err("filter.not_a_date"));
        assert_eq!(
            cond(ColumnType::Text, "O'Brien"),
            Ok(Some("lower(\"x\") like '%o''brien%'".into()))
        );
        assert_eq!(
            cond(ColumnType::Text, "=Aalen"),
            Ok(Some("lower(\"x\") = 'aalen'".into()))
        );
        assert_eq!(
            cond(ColumnType::Boolean, "vielleicht"),
            Err("filter.not_a_boolean")
        );
    }
}
