//! Turning the attribute table of a geo file into a spatial table: the feature-number column
//! goes, a `geometry` column (WKB, WGS 84 longitude/latitude) comes, and the Parquet file gets
//! GeoParquet 1.1 metadata (`geo`: encoding, geometry types, bounding box).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use allmende_core::i18n::Msg;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder};
use datafusion::arrow::datatypes::{Int64Type, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::crs::{Crs, Transform};
use super::geometry::{Geometry, extend};
use crate::IngestError;
use crate::column::{Column, ColumnType};
use crate::ingest::options::IngestReport;
use crate::snapshot::{SnapshotWriter, schema_for};

/// Key of the GeoParquet metadata in the Parquet schema.
pub const GEO_KEY: &str = "geo";
/// The geometry column's name in every spatial table.
pub const GEOMETRY: &str = "geometry";

/// What went into the geometry column.
#[derive(Debug, Default)]
pub(crate) struct Written {
    pub(crate) bbox: Option<[f64; 4]>,
    pub(crate) kinds: std::collections::BTreeSet<&'static str>,
    /// Geometries with a coordinate outside the source CRS's range (stored as null).
    pub(crate) out_of_range: u64,
}

/// Reads the spill file in feature order.
struct Spill {
    reader: BufReader<File>,
    next: i64,
    buf: Vec<u8>,
}

impl Spill {
    /// The WKB of feature `n` (empty for a feature without geometry); features are asked for
    /// in increasing order.
    fn feature(&mut self, n: i64) -> Result<&[u8], IngestError> {
        while self.next <= n {
            let mut len = [0u8; 4];
            self.reader.read_exact(&mut len)?;
            let len = u32::from_le_bytes(len) as usize;
            self.buf.resize(len, 0);
            self.reader.read_exact(&mut self.buf)?;
            self.next += 1;
        }
        Ok(&self.buf)
    }
}

/// Where each row's geometry comes from, in the source CRS.
pub(crate) trait Geometries {
    /// The geometries of a batch's rows (`None`: none), in order.
    fn of_batch(
        &mut self,
        batch: &datafusion::arrow::array::RecordBatch,
        out: &mut Vec<Option<Geometry>>,
    ) -> Result<(), IngestError>;
}

/// The spill file of a GeoJSON source, found again by the feature number in column 1.
pub(crate) struct SpilledFeatures(Spill);

impl SpilledFeatures {
    pub(crate) fn open(path: &Path) -> Result<Self, IngestError> {
        Ok(Self(Spill {
            reader: BufReader::new(File::open(path)?),
            next: 0,
            buf: Vec::new(),
        }))
    }
}

impl Geometries for SpilledFeatures {
    fn of_batch(
        &mut self,
        batch: &datafusion::arrow::array::RecordBatch,
        out: &mut Vec<Option<Geometry>>,
    ) -> Result<(), IngestError> {
        let numbers = batch
            .column(1)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| {
                IngestError::Data(Msg::plain(
                    "feature numbers missing from the attribute table",
                ))
            })?;
        for i in 0..batch.num_rows() {
            let raw = match numbers.is_null(i) {
                true => &[][..],
                false => self.0.feature(numbers.value(i))?,
            };
            out.push(match raw.is_empty() {
                true => None,
                false => {
                    Some(Geometry::from_wkb(raw).map_err(|e| IngestError::Data(Msg::plain(e)))?)
                }
            });
        }
        Ok(())
    }
}

/// Rewrites the table at `input` into a spatial table at `output`: the columns from
/// `report.columns[keep_from..]` (the ones before are helpers of the reading), then a geometry
/// column from `geometries`, reprojected from `source` to WGS 84.
pub(crate) fn write_spatial(
    input: &Path,
    geometries: &mut dyn Geometries,
    keep_from: usize,
    source: Crs,
    mut report: IngestReport,
    output: &Path,
) -> Result<(IngestReport, Written), IngestError> {
    let transform = Transform::new(source, Crs::Wgs84);
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(input)?)
        .map_err(IngestError::parquet)?
        .with_batch_size(16 * 1024)
        .build()
        .map_err(IngestError::parquet)?;
    let mut columns: Vec<Column> = report.columns.drain(keep_from..).collect();
    let name = if columns.iter().any(|c| c.name == GEOMETRY) {
        format!("_{GEOMETRY}")
    } else {
        GEOMETRY.to_string()
    };
    columns.push(Column {
        name: name.clone(),
        machine_name: name,
        kind: ColumnType::Geometry,
        reason: None,
        stats: None,
    });
    let base = schema_for(&columns);
    let mut writer = SnapshotWriter::create(output, base.clone(), 1000, &columns)?;
    let mut written = Written::default();
    let mut wkb = Vec::new();
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(IngestError::arrow)?;
        rows.clear();
        geometries.of_batch(&batch, &mut rows)?;
        let mut geometry = BinaryBuilder::new();
        for g in rows.iter_mut() {
            let Some(g) = g else {
                geometry.append_null();
                continue;
            };
            let in_range = g
                .each_coord_mut(&mut |c| {
                    if !source.plausible(c[0], c[1]) {
                        return Err(());
                    }
                    let [x, y] = c;
                    transform.apply(x, y).map_err(|_| ())
                })
                .is_ok();
            if !in_range {
                written.out_of_range += 1;
                geometry.append_null();
                continue;
            }
            g.each_coord(&mut |c| extend(&mut written.bbox, c));
            written.kinds.insert(g.kind());
            wkb.clear();
            g.write_wkb(&mut wkb);
            geometry.append_value(&wkb);
        }
        // Column 0 is `_id`, written again by the writer.
        let mut arrays: Vec<ArrayRef> = batch.columns()[1 + keep_from..].to_vec();
        arrays.push(Arc::new(geometry.finish()));
        writer.write_arrays(arrays)?;
    }
    // The GeoParquet metadata is known only now; the writer's schema is the column model's.
    writer.set_metadata(GEO_KEY, geo_metadata(&columns, &written));
    report.columns = writer.finish(columns)?;
    Ok((report, written))
}

fn geo_metadata(columns: &[Column], w: &Written) -> String {
    let name = columns.last().map(|c| c.name.as_str()).unwrap_or(GEOMETRY);
    let mut column = serde_json::json!({
        "encoding": "WKB",
        "geometry_types": w.kinds.iter().collect::<Vec<_>>(),
    });
    if let Some(b) = w.bbox {
        column["bbox"] = serde_json::json!(b);
    }
    // Without `crs` GeoParquet means OGC:CRS84 (longitude/latitude on WGS 84).
    serde_json::json!({
        "version": "1.1.0",
        "primary_column": name,
        "columns": { name: column },
    })
    .to_string()
}

/// The spatial metadata of a snapshot's schema, if it is a spatial table.
pub fn geo_of(schema: &Schema) -> Option<serde_json::Value> {
    schema
        .metadata()
        .get(GEO_KEY)
        .and_then(|s| serde_json::from_str(s).ok())
}
