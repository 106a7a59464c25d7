//! Record batches as JSON values: integers and decimals as numbers, dates as `YYYY-MM-DD`,
//! timestamps as ISO 8601, text as strings. Used by the APIs and the JSON/NDJSON exports.

use std::io::Write;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::cells::ColumnWriter;

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
        DataType::Float64 => float(out, a.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => float(out, a.as_primitive::<Float32Type>().value(i) as f64),
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

fn float(out: &mut Vec<u8>, v: f64) {
    crate::cells::float(out, v, false, true);
}

pub fn string(out: &mut Vec<u8>, s: &str) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Pre-encoded object keys for a schema.
pub fn keys(schema: &datafusion::arrow::datatypes::Schema) -> Vec<Vec<u8>> {
    schema
        .fields()
        .iter()
        .map(|f| {
            let mut k = Vec::new();
            string(&mut k, f.name());
            k.push(b':');
            k
        })
        .collect()
}

/// Appends each row of `batch` as an object (or a list), separated by `sep`, the first one
/// preceded by nothing when `*first`.
pub fn write_rows(
    out: &mut Vec<u8>,
    batch: &RecordBatch,
    keys: &[Vec<u8>],
    lists: bool,
    sep: &[u8],
    first: &mut bool,
) {
    let columns: Vec<ColumnWriter<'_>> = batch
        .columns()
        .iter()
        .map(|c| ColumnWriter::new(c.as_ref()))
        .collect();
    for row in 0..batch.num_rows() {
        if !*first {
            out.extend_from_slice(sep);
        }
        *first = false;
        out.push(if lists { b'[' } else { b'{' });
        for (c, (col, key)) in columns.iter().zip(keys).enumerate() {
            if c > 0 {
                out.push(b',');
            }
            if !lists {
                out.extend_from_slice(key);
            }
            col.json(out, row);
        }
        out.push(if lists { b']' } else { b'}' });
    }
}
