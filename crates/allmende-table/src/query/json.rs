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
