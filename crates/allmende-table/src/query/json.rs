//! Record batches as JSON values: integers and decimals as numbers, dates as `YYYY-MM-DD`,
//! timestamps as ISO 8601, text as strings. Used by the APIs and the JSON/NDJSON exports.

use datafusion::arrow::array::RecordBatch;

use crate::cells::ColumnWriter;

pub use crate::scalar::{string, write_value};

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
    let columns = ColumnWriter::of_batch(batch);
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

/// Rows as GeoJSON Features: the `geometry` column (GeoJSON already) as the geometry, the row
/// id (`_id`), when the rows carry it, as the id, every other column as a property.
pub fn features(
    schema: &datafusion::arrow::datatypes::Schema,
    batches: &[RecordBatch],
    geometry: Option<&str>,
) -> Vec<serde_json::Value> {
    let keys = keys(schema);
    let mut out = vec![b'['];
    let mut first = true;
    for b in batches {
        write_rows(&mut out, b, &keys, false, b",", &mut first);
    }
    out.push(b']');
    let rows: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_slice(&out).unwrap_or_default();
    rows.into_iter()
        .map(|mut props| {
            let g = geometry
                .and_then(|g| props.shift_remove(g))
                .unwrap_or(serde_json::Value::Null);
            let mut f = serde_json::json!({"type": "Feature"});
            if let Some(id) = props.shift_remove(crate::snapshot::ROW_ID) {
                f["id"] = id;
            }
            f["geometry"] = g;
            f["properties"] = serde_json::Value::Object(props);
            f
        })
        .collect()
}
