//! Single values as the exports and APIs write them: numbers (shortest round-trip digits,
//! optionally with a decimal comma) and JSON values of any Arrow type. A leaf: the row writers
//! in `cells` and `query::json` build on it.

use std::io::Write;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

/// Shortest round-trip digits; whole numbers without `.0` in JSON (as before), the decimal
/// comma for German CSV. Infinite and NaN values are missing (`null` in JSON).
pub fn float(out: &mut Vec<u8>, v: f64, decimal_comma: bool, json: bool) {
    if !v.is_finite() {
        if json {
            out.extend_from_slice(b"null");
        }
        return;
    }
    let mut buf = ryu::Buffer::new();
    let s = buf.format_finite(v);
    let s = s.strip_suffix(".0").unwrap_or(s);
    if decimal_comma {
        out.extend(s.bytes().map(|b| if b == b'.' { b',' } else { b }));
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes value `i` of `a` as JSON.
pub fn write_value(out: &mut Vec<u8>, a: &dyn Array, i: usize) {
    if a.is_null(i) {
        out.extend_from_slice(b"null");
        return;
    }
    macro_rules! int {
        ($t:ty) => {{
            let _ = write!(out, "{}", a.as_primitive::<$t>().value(i));
        }};
    }
    match a.data_type() {
        DataType::Int64 => int!(Int64Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int8 => int!(Int8Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::Float64 => json_float(out, a.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => json_float(out, a.as_primitive::<Float32Type>().value(i) as f64),
        DataType::Boolean => out.extend_from_slice(if a.as_boolean().value(i) {
            b"true"
        } else {
            b"false"
        }),
        DataType::Utf8 => string(out, a.as_string::<i32>().value(i)),
        DataType::LargeUtf8 => string(out, a.as_string::<i64>().value(i)),
        DataType::Utf8View => string(out, a.as_string_view().value(i)),
        DataType::Date32 => match a.as_primitive::<Date32Type>().value_as_date(i) {
            Some(d) => {
                let _ = write!(out, "\"{d}\"");
            }
            None => out.extend_from_slice(b"null"),
        },
        DataType::Timestamp(unit, _) => {
            let t = match unit {
                TimeUnit::Microsecond => a
                    .as_primitive::<TimestampMicrosecondType>()
                    .value_as_datetime(i),
                TimeUnit::Millisecond => a
                    .as_primitive::<TimestampMillisecondType>()
                    .value_as_datetime(i),
                TimeUnit::Nanosecond => a
                    .as_primitive::<TimestampNanosecondType>()
                    .value_as_datetime(i),
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value_as_datetime(i),
            };
            match t {
                Some(t) => {
                    let _ = write!(out, "\"{}\"", t.format("%Y-%m-%dT%H:%M:%S%.f"));
                }
                None => out.extend_from_slice(b"null"),
            }
        }
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => {
            match ArrayFormatter::try_new(a, &FormatOptions::default()) {
                Ok(f) => out.extend_from_slice(f.value(i).to_string().as_bytes()),
                Err(_) => out.extend_from_slice(b"null"),
            }
        }
        _ => match ArrayFormatter::try_new(a, &FormatOptions::default()) {
            Ok(f) => string(out, &f.value(i).to_string()),
            Err(_) => out.extend_from_slice(b"null"),
        },
    }
}

fn json_float(out: &mut Vec<u8>, v: f64) {
    float(out, v, false, true);
}

pub fn string(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}
