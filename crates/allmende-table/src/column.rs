//! The column model of an ingested table: the published header, a stable machine name, a type,
//! and why a column stayed text. Geometry (WKB with GeoParquet metadata) is a further type the
//! geodata work adds; nothing here assumes the list is closed.

use allmende_core::i18n::Msg;
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Integer,
    Decimal,
    Boolean,
    Date,
    Timestamp,
    Text,
    /// A geometry as WKB (WGS 84 longitude/latitude); only geo files have one.
    Geometry,
}

impl ColumnType {
    pub fn arrow(self) -> DataType {
        match self {
            Self::Integer => DataType::Int64,
            Self::Decimal => DataType::Float64,
            Self::Boolean => DataType::Boolean,
            Self::Date => DataType::Date32,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Self::Text => DataType::Utf8,
            Self::Geometry => DataType::Binary,
        }
    }

    /// Maps an Arrow type read from Parquet or a query result; `None` for types a table column
    /// never has (they are cast to text).
    pub fn from_arrow(dt: &DataType) -> Option<Self> {
        Some(match dt {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::Int64
            | DataType::UInt8
            | DataType::UInt16
            | DataType::UInt32
            | DataType::UInt64 => Self::Integer,
            DataType::Float16
            | DataType::Float32
            | DataType::Float64
            | DataType::Decimal32(_, _)
            | DataType::Decimal64(_, _)
            | DataType::Decimal128(_, _)
            | DataType::Decimal256(_, _) => Self::Decimal,
            DataType::Boolean => Self::Boolean,
            DataType::Date32 | DataType::Date64 => Self::Date,
            DataType::Timestamp(_, _) => Self::Timestamp,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Self::Text,
            _ => return None,
        })
    }

    /// The Frictionless Table Schema type name.
    pub fn frictionless(self) -> &'static str {
        match self {
            Self::Integer => "integer",
            Self::Decimal => "number",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::Timestamp => "datetime",
            Self::Text => "string",
            Self::Geometry => "geojson",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ColumnStats {
    pub nulls: u64,
    /// Exact up to a few hundred distinct values, estimated beyond.
    pub distinct: u64,
    pub distinct_exact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Value>,
    /// Most frequent values with their counts (text and low-cardinality columns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top: Vec<(serde_json::Value, u64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Column {
    /// The header as published, trimmed (umlauts, spaces and units kept).
    pub name: String,
    /// Lower-case ASCII identifier derived from the name, unique in the table.
    pub machine_name: String,
    #[serde(rename = "type")]
    pub kind: ColumnType,
    /// Why a column that looked typed stayed text (first value that did not fit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Msg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<ColumnStats>,
}

impl Column {
    pub fn field(&self) -> Field {
        Field::new(&self.name, self.kind.arrow(), true)
    }
}

/// Turns published headers into unique display names and machine names: empty headers become
/// `Spalte N`, duplicates get ` (2)`, machine names are ASCII snake case.
/// A header cell on one line: spreadsheet cells break long labels ("Ins-⏎gesamt",
/// "Stadtteil⏎Teilbereich"); a word hyphenated across the break is joined again ("Nord-⏎Süd"
/// keeps its hyphen), other breaks become a space.
fn one_line(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    for part in h.lines().map(str::trim).filter(|p| !p.is_empty()) {
        let continues_word = out.ends_with('-')
            && part.chars().next().is_some_and(char::is_lowercase)
            && out[..out.len() - 1]
                .chars()
                .last()
                .is_some_and(char::is_alphabetic);
        if continues_word {
            out.pop();
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push(' ');
        }
        out.push_str(part);
    }
    if out.is_empty() { h.to_string() } else { out }
}

pub fn name_columns(headers: &[String]) -> Vec<(String, String)> {
    let mut names: Vec<String> = Vec::with_capacity(headers.len());
    // `_id` is the row number every table carries.
    let mut seen = std::collections::HashSet::from(["_id".to_string()]);
    for (i, h) in headers.iter().enumerate() {
        let one_line = one_line(h);
        let trimmed = one_line.trim();
        let base = if trimmed.is_empty() {
            format!("Spalte {}", i + 1)
        } else {
            trimmed.to_string()
        };
        let mut name = base.clone();
        let mut n = 2;
        while !seen.insert(name.to_lowercase()) {
            name = format!("{base} ({n})");
            n += 1;
        }
        names.push(name);
    }
    let mut machine_seen = std::collections::HashSet::from(["_id".to_string()]);
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let mut base = machine_name(&name);
            if base.is_empty() {
                base = format!("column_{}", i + 1);
            }
            let mut m = base.clone();
            let mut n = 2;
            while !machine_seen.insert(m.clone()) {
                m = format!("{base}_{n}");
                n += 1;
            }
            (name, m)
        })
        .collect()
}

pub fn machine_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut last_us = true;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'é' | 'è' | 'ê' => "e",
            'á' | 'à' | 'â' => "a",
            '²' => "2",
            '³' => "3",
            '%' => "prozent",
            '€' => "eur",
            _ => "",
        };
        if !folded.is_empty() {
            out.push_str(folded);
            last_us = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "c_");
    }
    out.truncate(63);
    out
}

/// The Frictionless Table Schema of the exported table (exports write canonical values: ISO
/// dates, `.` decimals, `true`/`false`).
pub fn table_schema(columns: &[Column]) -> serde_json::Value {
    let fields: Vec<_> = columns
        .iter()
        .map(|c| {
            let mut f = serde_json::json!({ "name": c.name, "type": c.kind.frictionless() });
            if c.machine_name != c.name {
                f["title"] = c.name.clone().into();
                f["x-machine-name"] = c.machine_name.clone().into();
            }
            if c.kind == ColumnType::Timestamp {
                f["format"] = "any".into();
            }
            f
        })
        .collect();
    serde_json::json!({ "fields": fields, "missingValues": [""] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let headers: Vec<String> = [
            "Fläche (km²)",
            "",
            "Bezeichnung",
            "Bezeichnung",
            "  Anteil (%) ",
            "2024",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let named = name_columns(&headers);
        assert_eq!(named[0], ("Fläche (km²)".into(), "flaeche_km2".into()));
        assert_eq!(named[1], ("Spalte 2".into(), "spalte_2".into()));
        assert_eq!(named[2].0, "Bezeichnung");
        assert_eq!(named[3], ("Bezeichnung (2)".into(), "bezeichnung_2".into()));
        assert_eq!(named[4], ("Anteil (%)".into(), "anteil_prozent".into()));
        assert_eq!(named[5].1, "c_2024");
    }

    #[test]
    fn line_breaks_in_header_cells() {
        let headers: Vec<String> = [
            "Ins-\ngesamt",
            "Stadtteil\nTeilbereich\r\nStadtbezirk",
            "Nord-\nSüd",
            "Wohn-\n  fläche",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let names: Vec<String> = name_columns(&headers).into_iter().map(|n| n.0).collect();
        assert_eq!(
            names,
            [
                "Insgesamt",
                "Stadtteil Teilbereich Stadtbezirk",
                "Nord-Süd",
                "Wohnfläche"
            ]
        );
    }
}
