//! The Parquet snapshot of a table: its schema (with the column model in the metadata, and
//! without it for queries) and the writer that gathers statistics on the way.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::IngestError;
use crate::column::{Column, ColumnType};
use crate::stats::StatsBuilder;

/// Key in the Parquet schema metadata holding the column model (names, types, reasons).
pub const COLUMNS_KEY: &str = "allmende:columns";
/// A row number (1-based) stored as the first column: a stable record id (CKAN's `_id`) and a
/// sorted key that lets deep pages skip row groups.
pub const ROW_ID: &str = "_id";

/// The schema queries see: the snapshot's fields without its metadata. Tables are joined and
/// unioned with each other, and DataFusion refuses to combine schemas whose metadata differ
/// (every table's column model does).
pub(crate) fn query_schema(columns: &[Column]) -> SchemaRef {
    Arc::new(Schema::new(schema_for(columns).fields().clone()))
}

pub(crate) fn schema_for(columns: &[Column]) -> SchemaRef {
    let model: Vec<Column> = columns
        .iter()
        .map(|c| Column {
            stats: None,
            ..c.clone()
        })
        .collect();
    let meta = std::collections::HashMap::from([(
        COLUMNS_KEY.to_string(),
        serde_json::to_string(&model).unwrap_or_default(),
    )]);
    let mut fields = vec![datafusion::arrow::datatypes::Field::new(
        ROW_ID,
        DataType::Int64,
        false,
    )];
    fields.extend(columns.iter().map(Column::field));
    Arc::new(Schema::new_with_metadata(fields, meta))
}

/// Whether a column of this type is written with delta encoding instead of a dictionary.
fn stored_as_deltas(kind: ColumnType) -> bool {
    matches!(
        kind,
        ColumnType::Integer | ColumnType::Date | ColumnType::Timestamp
    )
}

/// Writes record batches to a Parquet file and gathers statistics on the way.
pub(crate) struct SnapshotWriter {
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    stats: Vec<StatsBuilder>,
    rows: i64,
}

impl SnapshotWriter {
    pub fn create(
        path: &Path,
        schema: SchemaRef,
        top_cap: usize,
        columns: &[Column],
    ) -> Result<Self, IngestError> {
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).map_err(IngestError::parquet)?,
            ))
            .set_max_row_group_row_count(Some(128 * 1024));
        // Whole numbers, days and time stamps (the row number too) are stored as deltas, not
        // through a dictionary: the dictionary hashes and compares every value (7 % of the
        // encoding thread's instructions on the benchmark's generated file), where the deltas
        // of counts, codes and sorted dates take a few bits each (that file's snapshot came
        // out 14 % smaller). Decimals and text keep their dictionaries: without one, measured
        // larger and slower to write.
        let deltas = columns
            .iter()
            .filter(|c| stored_as_deltas(c.kind))
            .map(|c| c.name.as_str());
        for name in std::iter::once(ROW_ID).chain(deltas) {
            props = props
                .set_column_dictionary_enabled(ColumnPath::from(name), false)
                .set_column_encoding(ColumnPath::from(name), Encoding::DELTA_BINARY_PACKED);
        }
        let props = props.build();
        let file = File::create(path)?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(IngestError::parquet)?;
        let stats = columns
            .iter()
            .map(|_| StatsBuilder::new(top_cap, columns.len()))
            .collect();
        Ok(Self {
            writer,
            schema,
            stats,
            rows: 0,
        })
    }

    pub fn write_arrays(&mut self, arrays: Vec<ArrayRef>) -> Result<(), IngestError> {
        for (s, a) in self.stats.iter_mut().zip(&arrays) {
            s.update(a);
        }
        let n = arrays.first().map_or(0, |a| a.len()) as i64;
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(self.rows + 1..=self.rows + n));
        self.rows += n;
        let mut all = Vec::with_capacity(arrays.len() + 1);
        all.push(ids);
        all.extend(arrays);
        let batch = RecordBatch::try_new(self.schema.clone(), all).map_err(IngestError::arrow)?;
        self.writer.write(&batch).map_err(IngestError::parquet)?;
        Ok(())
    }

    /// A key-value pair in the Parquet file's metadata (which readers see in the schema's).
    pub(crate) fn set_metadata(&mut self, key: &str, value: String) {
        self.writer
            .append_key_value_metadata(parquet::file::metadata::KeyValue::new(
                key.to_string(),
                value,
            ));
    }

    pub fn finish(self, mut columns: Vec<Column>) -> Result<Vec<Column>, IngestError> {
        self.writer.close().map_err(IngestError::parquet)?;
        for (c, s) in columns.iter_mut().zip(self.stats) {
            c.stats = Some(s.finish(c.kind));
        }
        Ok(columns)
    }
}
