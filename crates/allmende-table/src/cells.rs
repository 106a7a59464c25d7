//! Writing cells fast: a batch's columns are downcast once, then every cell is written without
//! per-cell type dispatch, formatting machinery or allocation (an export writes millions).

use datafusion::arrow::array::{
    Array, AsArray, BinaryArray, BooleanArray, Date32Array, Float64Array, Int64Array,
    LargeStringArray, StringArray, StringViewArray, TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};

use crate::scalar::{self as json, float};

/// How CSV cells look: the plain dialect, or the one German Excel opens (decimal comma,
/// `31.12.2024`, WAHR/FALSCH).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    pub delimiter: u8,
    pub german: bool,
    /// Neutralise text cells a spreadsheet would run as a formula.
    pub guard_formulas: bool,
}

pub enum ColumnWriter<'a> {
    Int64(&'a Int64Array),
    Float64(&'a Float64Array),
    Boolean(&'a BooleanArray),
    Utf8(&'a StringArray),
    LargeUtf8(&'a LargeStringArray),
    Utf8View(&'a StringViewArray),
    Date32(&'a Date32Array),
    TimestampMicros(&'a TimestampMicrosecondArray),
    /// Geometries (WKB): GeoJSON in JSON, WKT in CSV.
    Binary(&'a BinaryArray),
    /// Rare types go through the general JSON writer.
    Other(&'a dyn Array),
}

impl<'a> ColumnWriter<'a> {
    /// One writer per column of a batch.
    pub fn of_batch(batch: &'a datafusion::arrow::array::RecordBatch) -> Vec<ColumnWriter<'a>> {
        batch
            .columns()
            .iter()
            .map(|c| ColumnWriter::new(c.as_ref()))
            .collect()
    }

    pub fn new(a: &'a dyn Array) -> Self {
        match a.data_type() {
            DataType::Int64 => Self::Int64(a.as_primitive()),
            DataType::Float64 => Self::Float64(a.as_primitive()),
            DataType::Boolean => Self::Boolean(a.as_boolean()),
            DataType::Utf8 => Self::Utf8(a.as_string()),
            DataType::LargeUtf8 => Self::LargeUtf8(a.as_string()),
            DataType::Utf8View => Self::Utf8View(a.as_string_view()),
            DataType::Date32 => Self::Date32(a.as_primitive()),
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                Self::TimestampMicros(a.as_primitive())
            }
            DataType::Binary => Self::Binary(a.as_binary()),
            _ => Self::Other(a),
        }
    }

    fn array(&self) -> &dyn Array {
        match self {
            Self::Int64(a) => *a,
            Self::Float64(a) => *a,
            Self::Boolean(a) => *a,
            Self::Utf8(a) => *a,
            Self::LargeUtf8(a) => *a,
            Self::Utf8View(a) => *a,
            Self::Date32(a) => *a,
            Self::TimestampMicros(a) => *a,
            Self::Binary(a) => *a,
            Self::Other(a) => *a,
        }
    }

    fn text(&self, i: usize) -> Option<&str> {
        match self {
            Self::Utf8(a) => Some(a.value(i)),
            Self::LargeUtf8(a) => Some(a.value(i)),
            Self::Utf8View(a) => Some(a.value(i)),
            _ => None,
        }
    }

    /// Value `i` as JSON (`null` when missing).
    pub fn json(&self, out: &mut Vec<u8>, i: usize) {
        if self.array().is_null(i) {
            out.extend_from_slice(b"null");
            return;
        }
        if let Some(s) = self.text(i) {
            json::string(out, s);
            return;
        }
        match self {
            Self::Int64(a) => int(out, a.value(i)),
            Self::Float64(a) => float(out, a.value(i), false, true),
            Self::Boolean(a) => out.extend_from_slice(if a.value(i) { b"true" } else { b"false" }),
            Self::Date32(a) => {
                out.push(b'"');
                date(out, a.value(i) as i64, false);
                out.push(b'"');
            }
            Self::TimestampMicros(a) => {
                out.push(b'"');
                timestamp(out, a.value(i), false);
                out.push(b'"');
            }
            Self::Binary(a) => match crate::geo::Geometry::from_wkb(a.value(i)) {
                Ok(g) => out.extend_from_slice(g.to_geojson().to_string().as_bytes()),
                Err(_) => hex_string(out, a.value(i)),
            },
            _ => json::write_value(out, self.array(), i),
        }
    }

    /// Value `i` as plain text (nothing when missing): text as it is, numbers, dates and
    /// geometries (WKT) as in CSV, without quoting.
    pub fn plain(&self, out: &mut Vec<u8>, i: usize, scratch: &mut Vec<u8>) {
        if self.array().is_null(i) {
            return;
        }
        match self.text(i) {
            Some(s) => out.extend_from_slice(s.as_bytes()),
            None => {
                let style = CsvStyle {
                    delimiter: b'\t',
                    german: false,
                    guard_formulas: false,
                };
                let start = out.len();
                self.csv(out, i, style, scratch);
                // A JSON value with a tab or quote came quoted: unquote it.
                if out.get(start) == Some(&b'"') {
                    let quoted = out.split_off(start);
                    let inner = &quoted[1..quoted.len().saturating_sub(1)];
                    let mut prev_quote = false;
                    for &b in inner {
                        if b == b'"' && !prev_quote {
                            prev_quote = true;
                            continue;
                        }
                        prev_quote = false;
                        out.push(b);
                    }
                }
            }
        }
    }

    /// Value `i` as a CSV field (nothing when missing).
    pub fn csv(&self, out: &mut Vec<u8>, i: usize, style: CsvStyle, scratch: &mut Vec<u8>) {
        if self.array().is_null(i) {
            return;
        }
        if let Some(s) = self.text(i) {
            csv_field(out, s, style.delimiter, style.guard_formulas);
            return;
        }
        match self {
            Self::Int64(a) => int(out, a.value(i)),
            Self::Float64(a) => float(out, a.value(i), style.german, false),
            Self::Boolean(a) => out.extend_from_slice(match (style.german, a.value(i)) {
                (true, true) => b"WAHR",
                (true, false) => b"FALSCH",
                (false, true) => b"true",
                (false, false) => b"false",
            }),
            Self::Date32(a) => date(out, a.value(i) as i64, style.german),
            Self::TimestampMicros(a) => timestamp(out, a.value(i), style.german),
            Self::Binary(a) => match crate::geo::Geometry::from_wkb(a.value(i)) {
                Ok(g) => csv_field(out, &g.to_wkt(), style.delimiter, false),
                Err(_) => {
                    scratch.clear();
                    hex_string(scratch, a.value(i));
                    out.extend_from_slice(&scratch[1..scratch.len() - 1]);
                }
            },
            _ => {
                scratch.clear();
                json::write_value(scratch, self.array(), i);
                if scratch.first() == Some(&b'"') {
                    let s: String = serde_json::from_slice(scratch).unwrap_or_default();
                    csv_field(out, &s, style.delimiter, style.guard_formulas);
                } else {
                    out.extend_from_slice(scratch);
                }
            }
        }
    }
}

/// Bytes that are not a geometry, as a JSON string of hex digits.
fn hex_string(out: &mut Vec<u8>, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
    out.push(b'"');
}

/// A text cell as a CSV field. With `guard_formulas`, a cell that a spreadsheet would run as a
/// formula gets a leading `'` and quotes (OWASP, "CSV Injection"); plain signed numbers such
/// as `-5` or `+3,5` stay as they are.
pub fn csv_field(out: &mut Vec<u8>, s: &str, delimiter: u8, guard_formulas: bool) {
    let guard = guard_formulas && formula_like(s);
    if guard
        || s.bytes()
            .any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
    {
        out.push(b'"');
        if guard {
            out.push(b'\'');
        }
        for b in s.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Whether a spreadsheet would take `s` as a formula: it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return (also the full-width `＝＋－＠`), and is not just a signed number.
pub fn formula_like(s: &str) -> bool {
    let Some(c) = s.chars().next() else {
        return false;
    };
    match c {
        '=' | '@' | '\t' | '\r' | '\u{ff1d}' | '\u{ff20}' | '\u{ff0b}' | '\u{ff0d}' => true,
        '+' | '-' => !signed_number(s),
        _ => false,
    }
}

/// `-5`, `+3.5`, `-1.234,56`, `-1e5`, or the sign alone (a common "no value" marker):
/// nothing a spreadsheet could evaluate.
fn signed_number(s: &str) -> bool {
    let rest = &s[1..];
    rest.is_empty()
        || (rest.starts_with(|c: char| c.is_ascii_digit())
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'e' | b'E')))
}

fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Days since 1970-01-01 as a civil date (proleptic Gregorian).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn two(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10 % 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

/// `2024-12-31`, or `31.12.2024` in German style.
fn date(out: &mut Vec<u8>, days: i64, german: bool) {
    let (y, m, d) = civil(days);
    if !(0..=9999).contains(&y) {
        // Outside four digits: chrono's notation with sign.
        if let Some(nd) = chrono::NaiveDate::from_ymd_opt(y as i32, m, d) {
            let text = if german {
                nd.format("%d.%m.%Y").to_string()
            } else {
                nd.to_string()
            };
            out.extend_from_slice(text.as_bytes());
        }
        return;
    }
    let y = y as u32;
    if german {
        two(out, d);
        out.push(b'.');
        two(out, m);
        out.push(b'.');
        two(out, y / 100);
        two(out, y % 100);
    } else {
        two(out, y / 100);
        two(out, y % 100);
        out.push(b'-');
        two(out, m);
        out.push(b'-');
        two(out, d);
    }
}

/// ISO 8601 without zone (`2024-12-31T14:30:00`, fractions only when present), or
/// `31.12.2024 14:30:00` in German style.
fn timestamp(out: &mut Vec<u8>, micros: i64, german: bool) {
    const DAY: i64 = 86_400_000_000;
    let days = micros.div_euclid(DAY);
    let in_day = micros.rem_euclid(DAY);
    date(out, days, german);
    out.push(if german { b' ' } else { b'T' });
    let secs = (in_day / 1_000_000) as u32;
    two(out, secs / 3600);
    out.push(b':');
    two(out, secs / 60 % 60);
    out.push(b':');
    two(out, secs % 60);
    let frac = (in_day % 1_000_000) as u32;
    if frac != 0 && !german {
        out.push(b'.');
        if frac.is_multiple_of(1000) {
            let ms = frac / 1000;
            out.push(b'0' + (ms / 100) as u8);
            two(out, ms % 100);
        } else {
            for p in [100_000, 10_000, 1000, 100, 10, 1] {
                out.push(b'0' + (frac / p % 10) as u8);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_chrono() {
        for days in [
            -719_528i64,
            -1,
            0,
            59,
            365,
            10_956,
            11_016,
            19_723,
            20_088,
            2_932_896,
        ] {
            let mut got = Vec::new();
            date(&mut got, days, false);
            let expected = (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")
                + chrono::Duration::days(days))
            .to_string();
            assert_eq!(String::from_utf8(got).expect("utf8"), expected, "{days}");
        }
        let mut got = Vec::new();
        date(&mut got, 20_088, true);
        assert_eq!(got, b"31.12.2024");
    }

    #[test]
    fn timestamps_and_numbers() {
        let t = 1_735_655_400_000_000i64; // 2024-12-31 14:30
        for (micros, iso) in [
            (t, "2024-12-31T14:30:00"),
            (t + 250_000, "2024-12-31T14:30:00.250"),
            (t + 7, "2024-12-31T14:30:00.000007"),
            (-1, "1969-12-31T23:59:59.999999"),
        ] {
            let mut got = Vec::new();
            timestamp(&mut got, micros, false);
            assert_eq!(String::from_utf8(got).expect("utf8"), iso);
        }
        let mut got = Vec::new();
        timestamp(&mut got, t, true);
        assert_eq!(got, b"31.12.2024 14:30:00");
        for (v, plain, german) in [
            (10.5, "10.5", "10,5"),
            (3.0, "3", "3"),
            (-0.25, "-0.25", "-0,25"),
        ] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            float(&mut a, v, false, false);
            float(&mut b, v, true, false);
            assert_eq!(
                (a.as_slice(), b.as_slice()),
                (plain.as_bytes(), german.as_bytes())
            );
        }
        let mut n = Vec::new();
        float(&mut n, f64::NAN, false, true);
        assert_eq!(n, b"null");
    }

    fn field(s: &str) -> String {
        let mut out = Vec::new();
        csv_field(&mut out, s, b',', true);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(field("@SUM(A1:A2)"), "\"'@SUM(A1:A2)\"");
        assert_eq!(field("+49 7361 52-0"), "\"'+49 7361 52-0\"");
        assert_eq!(field("-2+3"), "\"'-2+3\"");
        assert_eq!(field("\tcmd"), "\"'\tcmd\"");
        assert_eq!(field("＝1+1"), "\"'＝1+1\"");
        // Numbers, signs alone and ordinary text are left as they are.
        for plain in ["-5", "+3.5", "-1.234,56", "-", "Aalen", "", "5-3", "a=b"] {
            let mut out = Vec::new();
            csv_field(&mut out, plain, b';', true);
            assert_eq!(String::from_utf8(out).unwrap(), plain);
        }
        // The switch turns it off.
        let mut out = Vec::new();
        csv_field(&mut out, "=1+1", b';', false);
        assert_eq!(out, b"=1+1");
    }
}
