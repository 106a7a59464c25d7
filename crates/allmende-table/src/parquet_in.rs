//! Parquet input: already typed, so one pass that maps each column onto the table column model
//! (other engines' int32, decimals, zoned timestamps, nested values) and gathers statistics.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::column::{self, Column, ColumnType};
use crate::ingest::options::{IngestReport, InputFormat, Limits, Progress};
use crate::snapshot::{SnapshotWriter, schema_for};

pub fn ingest_parquet(
    input: &Path,
    limits: Limits,
    privacy_check: Option<std::sync::Arc<crate::privacy::PrivacyRules>>,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    let bad = |e: String| IngestError::Data(Msg::new("ingest.parquet_unreadable").arg("detail", e));
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(input)?)
        .map_err(|e| bad(e.to_string()))?
        .with_batch_size(16 * 1024);
    let fields = builder.schema().fields().clone();
    if fields.len() > limits.max_columns {
        return Err(IngestError::Data(
            Msg::new("ingest.too_many_columns")
                .arg("n", fields.len())
                .arg("max", limits.max_columns),
        ));
    }
    let headers: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let kinds: Vec<ColumnType> = fields
        .iter()
        .map(|f| ColumnType::from_arrow(f.data_type()).unwrap_or(ColumnType::Text))
        .collect();
    let columns: Vec<Column> = column::name_columns(&headers)
        .into_iter()
        .zip(&kinds)
        .map(|((name, machine_name), kind)| Column {
            name,
            machine_name,
            kind: *kind,
            reason: None,
            stats: None,
        })
        .collect();
    let schema = schema_for(&columns);
    let top_cap = (200_000 / columns.len().max(1)).clamp(20, 1000);
    let mut writer = SnapshotWriter::create(output, schema, top_cap, &columns)?;
    let reader = builder.build().map_err(|e| bad(e.to_string()))?;
    let mut rows = 0u64;
    let mut privacy = privacy_check.map(|rules| crate::privacy::Scan::new(&headers, rules));
    for batch in reader {
        let batch = batch.map_err(|e| bad(e.to_string()))?;
        let arrays = batch
            .columns()
            .iter()
            .zip(&kinds)
            .map(|(a, k)| conform(a, *k))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(p) = &mut privacy {
            scan_batch(p, &arrays, &kinds);
        }
        rows += batch.num_rows() as u64;
        writer.write_arrays(arrays)?;
        progress("convert", rows);
    }
    let columns = writer.finish(columns)?;
    Ok(IngestReport {
        format: InputFormat::Parquet,
        rows,
        columns,
        dialect: serde_json::json!({}),
        warnings: Vec::new(),
        privacy: privacy.map(crate::privacy::Scan::finish),
    })
}

/// The privacy check over a batch: text and whole numbers (IDs) are what identifies persons.
fn scan_batch(scan: &mut crate::privacy::Scan, arrays: &[ArrayRef], kinds: &[ColumnType]) {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    let rows = arrays.first().map_or(0, |a| a.len());
    for row in 0..rows {
        scan.observe_row();
        for (i, (a, kind)) in arrays.iter().zip(kinds).enumerate() {
            if a.is_null(row) {
                continue;
            }
            let cell = match (kind, a.data_type()) {
                (ColumnType::Text, DataType::Utf8) => {
                    crate::infer::Cell::Text(a.as_string::<i32>().value(row))
                }
                (ColumnType::Integer, DataType::Int64) => {
                    crate::infer::Cell::Int(a.as_primitive::<Int64Type>().value(row))
                }
                _ => continue,
            };
            scan.observe(i, &cell);
        }
    }
}

fn conform(a: &ArrayRef, kind: ColumnType) -> Result<ArrayRef, IngestError> {
    let target = kind.arrow();
    if a.data_type() == &target {
        return Ok(a.clone());
    }
    if kind == ColumnType::Timestamp
        && let DataType::Timestamp(unit, Some(_)) = a.data_type()
    {
        // Zoned instants are stored as UTC wall-clock time.
        let utc = cast(a, &DataType::Timestamp(*unit, None)).map_err(IngestError::arrow)?;
        return cast(&utc, &target).map_err(IngestError::arrow);
    }
    if kind != ColumnType::Text || matches!(a.data_type(), DataType::LargeUtf8 | DataType::Utf8View)
    {
        return cast(a, &target).map_err(IngestError::arrow);
    }
    let fmt = ArrayFormatter::try_new(a.as_ref(), &FormatOptions::default())
        .map_err(IngestError::arrow)?;
    let mut b = StringBuilder::with_capacity(a.len(), a.len() * 8);
    for i in 0..a.len() {
        if a.is_null(i) {
            b.append_null();
        } else {
            b.append_value(fmt.value(i).to_string());
        }
    }
    Ok(Arc::new(b.finish()))
}
