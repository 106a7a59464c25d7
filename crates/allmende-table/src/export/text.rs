//! Text exports, encoded batch by batch on blocking threads: CSV (both dialects), JSON,
//! NDJSON, GeoJSON, KML, GPX.

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures_util::StreamExt;

use super::format::{ExportFormat, ExportOptions};
use super::sink::{ExportSink, Gone, next_batch};
use crate::cells::{ColumnWriter, CsvStyle, csv_field};
use crate::geo::Geometry;
use crate::geo::crs::{Crs, Transform};
use crate::query::json;

/// `Ok(true)`: everything written.
pub(super) async fn write_text(
    stream: SendableRecordBatchStream,
    format: ExportFormat,
    options: ExportOptions,
    sink: &ExportSink,
) -> Result<bool, Gone> {
    let schema = stream.schema();
    let keys = Arc::new(json::keys(&schema));
    let head: Vec<u8> = match format {
        ExportFormat::Csv => csv_header(&schema, b',', options.guard_formulas),
        ExportFormat::CsvExcelDe => {
            let mut h = b"\xEF\xBB\xBF".to_vec();
            h.extend(csv_header(&schema, b';', options.guard_formulas));
            h
        }
        ExportFormat::Json => b"[".to_vec(),
        ExportFormat::GeoJson => match options.crs.filter(|c| *c != Crs::Wgs84) {
            // Another CRS than RFC 7946's is named in the legacy `crs` member, as GDAL and
            // QGIS read it.
            Some(crs) => format!(
                "{{\"type\":\"FeatureCollection\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{}\"}}}},\"features\":[\n",
                crs.epsg()
            )
            .into_bytes(),
            None => b"{\"type\":\"FeatureCollection\",\"features\":[\n".to_vec(),
        },
        ExportFormat::Kml | ExportFormat::Gpx => super::markup::head(format),
        _ => Vec::new(),
    };
    sink.send(Bytes::from(head)).await?;
    // Batches are encoded on blocking threads, two at a time, and sent in order: encoding is
    // the expensive part and the machine has more than one core.
    let mut encoded = stream
        .map(|batch| {
            let keys = keys.clone();
            async move {
                let batch = batch.map_err(|e| e.to_string())?;
                tokio::task::spawn_blocking(move || encode_text(&batch, format, &keys, options))
                    .await
                    .map_err(|e| e.to_string())
            }
        })
        .buffered(2);
    let mut first = true;
    loop {
        let out = match next_batch(&mut encoded, sink, options.idle).await? {
            None => break,
            Some(Ok(out)) => out,
            Some(Err(e)) => {
                sink.fail(&e);
                return Ok(false);
            }
        };
        if out.is_empty() {
            continue;
        }
        if matches!(format, ExportFormat::Json | ExportFormat::GeoJson) && !first {
            sink.send(Bytes::from_static(b",\n")).await?;
        }
        first = false;
        sink.send(Bytes::from(out)).await?;
    }
    if format == ExportFormat::Json {
        sink.send(Bytes::from_static(b"]\n")).await?;
    }
    if format == ExportFormat::GeoJson {
        sink.send(Bytes::from_static(b"]}\n")).await?;
    }
    if matches!(format, ExportFormat::Kml | ExportFormat::Gpx) {
        sink.send(Bytes::from_static(super::markup::tail(format)))
            .await?;
    }
    Ok(true)
}

/// One batch as CSV lines, JSON objects (comma-separated, no leading comma) or NDJSON lines.
fn encode_text(
    batch: &RecordBatch,
    format: ExportFormat,
    keys: &[Vec<u8>],
    options: ExportOptions,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(batch.num_rows() * 64);
    match format {
        ExportFormat::Csv => csv_rows(&mut out, batch, false, options.guard_formulas),
        ExportFormat::CsvExcelDe => csv_rows(&mut out, batch, true, options.guard_formulas),
        ExportFormat::Json => json::write_rows(&mut out, batch, keys, false, b",\n", &mut true),
        ExportFormat::GeoJson => {
            let transform = options
                .crs
                .filter(|c| *c != Crs::Wgs84)
                .map(|c| Transform::new(Crs::Wgs84, c));
            geojson_rows(&mut out, batch, keys, transform.as_ref())
        }
        ExportFormat::Kml | ExportFormat::Gpx => super::markup::rows(&mut out, batch, format),
        _ => {
            json::write_rows(&mut out, batch, keys, false, b"\n", &mut true);
            if batch.num_rows() > 0 {
                out.push(b'\n');
            }
        }
    }
    out
}

/// Each row as a Feature: the first binary column is its geometry (WKB, written as GeoJSON,
/// transformed from WGS 84 when `transform` is given), `_id` its id, the other columns its
/// properties.
fn geojson_rows(
    out: &mut Vec<u8>,
    batch: &RecordBatch,
    keys: &[Vec<u8>],
    transform: Option<&Transform>,
) {
    let schema = batch.schema();
    let geometry = schema
        .fields()
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let id = schema
        .fields()
        .iter()
        .position(|f| f.name() == crate::snapshot::ROW_ID);
    let columns: Vec<ColumnWriter<'_>> = ColumnWriter::of_batch(batch);
    for row in 0..batch.num_rows() {
        if row > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"{\"type\":\"Feature\",");
        if let Some(i) = id {
            out.extend_from_slice(b"\"id\":");
            columns[i].json(out, row);
            out.push(b',');
        }
        out.extend_from_slice(b"\"geometry\":");
        match (geometry, transform) {
            (Some(g), Some(t)) => projected(out, batch.column(g).as_ref(), row, t),
            (Some(g), None) => columns[g].json(out, row),
            (None, _) => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"properties\":{");
        let mut first = true;
        for (c, (col, key)) in columns.iter().zip(keys).enumerate() {
            if Some(c) == geometry || Some(c) == id {
                continue;
            }
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(key);
            col.json(out, row);
        }
        out.extend_from_slice(b"}}");
    }
}

fn csv_header(schema: &SchemaRef, delimiter: u8, guard_formulas: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if i > 0 {
            out.push(delimiter);
        }
        csv_field(&mut out, f.name(), delimiter, guard_formulas);
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn csv_rows(out: &mut Vec<u8>, batch: &RecordBatch, german: bool, guard_formulas: bool) {
    let style = CsvStyle {
        delimiter: if german { b';' } else { b',' },
        german,
        guard_formulas,
    };
    write_csv_rows(out, batch, style);
}

/// The rows of `batch` as CSV lines (no header).
pub fn write_csv_rows(out: &mut Vec<u8>, batch: &RecordBatch, style: CsvStyle) {
    let columns: Vec<ColumnWriter<'_>> = ColumnWriter::of_batch(batch);
    let mut scratch = Vec::new();
    for row in 0..batch.num_rows() {
        for (c, col) in columns.iter().enumerate() {
            if c > 0 {
                out.push(style.delimiter);
            }
            col.csv(out, row, style, &mut scratch);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// A WKB cell as GeoJSON in another CRS; `null` when it is missing or cannot be transformed
/// (a point outside the CRS's area).
fn projected(out: &mut Vec<u8>, column: &dyn Array, row: usize, t: &Transform) {
    let g = Geometry::at(column, row).and_then(|mut g| {
        // Every target CRS but WGS 84 is in metres: millimetres, not float noise
        // (580378.0200000008).
        g.each_coord_mut(&mut |[x, y]| {
            t.apply(x, y)?;
            *x = (*x * 1000.0).round() / 1000.0;
            *y = (*y * 1000.0).round() / 1000.0;
            Ok::<(), crate::geo::crs::TransformError>(())
        })
        .ok()
        .map(|_| g)
    });
    match g {
        Some(g) => out.extend_from_slice(g.to_geojson().to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}
