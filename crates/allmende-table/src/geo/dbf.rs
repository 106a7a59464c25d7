//! dBASE tables (the `.dbf` of a Shapefile), read record by record. Text fields are decoded
//! with the encoding the `.cpg` names (Windows-1252 when there is none, as ArcGIS and QGIS
//! wrote them for decades); numbers, dates and logicals become JSON values that the type
//! inference reads like any other column.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use allmende_core::i18n::Msg;
use encoding_rs::Encoding;
use serde_json::{Map, Value};

use crate::IngestError;

struct Field {
    name: String,
    kind: u8,
    offset: usize,
    len: usize,
    decimals: u8,
}

pub(crate) struct Dbf {
    reader: BufReader<File>,
    fields: Vec<Field>,
    records: u32,
    read: u32,
    record: Vec<u8>,
    encoding: &'static Encoding,
}

fn bad(reason: &str) -> IngestError {
    IngestError::Data(Msg::new("geo.dbf_bad").arg("reason", reason))
}

/// The encoding a `.cpg` names: an encoding label, or the code page number ESRI writes.
pub(crate) fn encoding_of_cpg(cpg: &str) -> Option<&'static Encoding> {
    let label = cpg.trim().to_ascii_lowercase();
    let label = label.strip_prefix("ansi ").unwrap_or(&label);
    match label {
        "65001" | "utf8" => Some(encoding_rs::UTF_8),
        "1252" => Some(encoding_rs::WINDOWS_1252),
        "88591" | "8859_1" | "iso88591" => Some(encoding_rs::WINDOWS_1252),
        "1250" => Some(encoding_rs::WINDOWS_1250),
        other => Encoding::for_label(other.as_bytes()),
    }
}

impl Dbf {
    pub(crate) fn open(path: &Path, encoding: &'static Encoding) -> Result<Self, IngestError> {
        let mut reader = BufReader::new(File::open(path)?);
        let mut head = [0u8; 32];
        reader
            .read_exact(&mut head)
            .map_err(|_| bad("header cut short"))?;
        let records = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        let header_len = u16::from_le_bytes([head[8], head[9]]) as usize;
        let record_len = u16::from_le_bytes([head[10], head[11]]) as usize;
        if header_len < 33 || record_len == 0 {
            return Err(bad("header lengths"));
        }
        let mut rest = vec![0u8; header_len - 32];
        reader
            .read_exact(&mut rest)
            .map_err(|_| bad("field list cut short"))?;
        let mut fields = Vec::new();
        let mut offset = 1; // the deletion flag
        let mut seen = std::collections::HashSet::new();
        for d in rest.chunks_exact(32) {
            if d[0] == 0x0d {
                break;
            }
            let raw = &d[..11];
            let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(11)];
            let (name, _, _) = encoding.decode(raw);
            let mut name = name.trim().to_string();
            if name.is_empty() {
                name = format!("field_{}", fields.len() + 1);
            }
            // Names are cut to ten characters, so two can come out the same.
            let base = name.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            let len = d[16] as usize;
            fields.push(Field {
                name,
                kind: d[11].to_ascii_uppercase(),
                offset,
                len,
                decimals: d[17],
            });
            offset += len;
        }
        if offset > record_len {
            return Err(bad("fields longer than the record"));
        }
        Ok(Self {
            reader,
            fields,
            records,
            read: 0,
            record: vec![0u8; record_len],
            encoding,
        })
    }

    /// The next record's values into `out` (cleared first). `Ok(None)` after the last record,
    /// `Ok(Some(false))` for a record marked deleted.
    pub(crate) fn next(
        &mut self,
        out: &mut Map<String, Value>,
    ) -> Result<Option<bool>, IngestError> {
        out.clear();
        if self.read >= self.records {
            return Ok(None);
        }
        if let Err(e) = self.reader.read_exact(&mut self.record) {
            // Fewer records than the header says: what is there counts (the 0x1A end marker
            // or a cut file).
            return match e.kind() {
                std::io::ErrorKind::UnexpectedEof => Ok(None),
                _ => Err(e.into()),
            };
        }
        self.read += 1;
        if self.record[0] == 0x1a {
            return Ok(None);
        }
        if self.record[0] == b'*' {
            return Ok(Some(false));
        }
        for f in &self.fields {
            let raw = &self.record[f.offset..f.offset + f.len];
            out.insert(f.name.clone(), value(f, raw, self.encoding));
        }
        Ok(Some(true))
    }
}

fn value(f: &Field, raw: &[u8], encoding: &'static Encoding) -> Value {
    let text = || {
        let (s, _, _) = encoding.decode(raw);
        s.trim_matches(|c: char| c == ' ' || c == '\0').to_string()
    };
    match f.kind {
        b'N' | b'F' => {
            let t = text();
            // Unset numbers are blanks, or asterisks where the value did not fit.
            if t.is_empty() || t.starts_with('*') {
                return Value::Null;
            }
            if f.decimals == 0
                && let Ok(i) = t.parse::<i64>()
            {
                return Value::from(i);
            }
            match t.parse::<f64>() {
                Ok(x) if x.is_finite() => {
                    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
                }
                _ => Value::String(t),
            }
        }
        b'L' => match raw.first().map(u8::to_ascii_uppercase) {
            Some(b'T' | b'Y' | b'J') => Value::Bool(true),
            Some(b'F' | b'N') => Value::Bool(false),
            _ => Value::Null,
        },
        b'D' => {
            let t = text();
            let digits = t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit());
            match digits {
                // A date column of zeros or blanks is unset.
                true if t != "00000000" => {
                    Value::String(format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]))
                }
                true => Value::Null,
                false if t.is_empty() => Value::Null,
                false => Value::String(t),
            }
        }
        // Visual FoxPro binary integers and doubles.
        b'I' if raw.len() == 4 => Value::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
        b'O' if raw.len() == 8 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(raw);
            serde_json::Number::from_f64(f64::from_le_bytes(b)).map_or(Value::Null, Value::Number)
        }
        // Memo fields point into a `.dbt` that Shapefiles do not carry.
        b'M' => Value::Null,
        _ => {
            let t = text();
            if t.is_empty() {
                Value::Null
            } else {
                Value::String(t)
            }
        }
    }
}
