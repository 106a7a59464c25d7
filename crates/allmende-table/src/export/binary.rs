//! Binary exports written on a blocking thread: XLSX and Parquet (GeoParquet for spatial
//! tables) by their libraries, GeoPackage and Shapefile through files on disk.

use std::io::Write;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::format::{ExportFormat, ExportOptions, XLSX_MAX_ROWS};
use super::sink::{CHUNK, ChannelWriter, ExportSink, Gone, next_batch};
use crate::query::json;

/// XLSX and Parquet are written by a library on a blocking thread; batches reach it through a
/// small channel.
pub(super) async fn write_binary(
    mut stream: SendableRecordBatchStream,
    format: ExportFormat,
    options: ExportOptions,
    sink: &ExportSink,
) -> Result<bool, Gone> {
    let schema = stream.schema();
    let (btx, mut brx) = mpsc::channel::<RecordBatch>(2);
    let out = sink.tx.clone();
    let writer = tokio::task::spawn_blocking(move || {
        let mut w = ChannelWriter {
            tx: out,
            buf: Vec::with_capacity(CHUNK),
        };
        let batches = std::iter::from_fn(|| brx.blocking_recv());
        let res = match format {
            ExportFormat::Xlsx => write_xlsx(schema, batches, &mut w),
            ExportFormat::GeoPackage => super::geopackage::write_gpkg(schema, batches, &mut w),
            ExportFormat::Shapefile => super::shapefile::write_shapefile(schema, batches, &mut w),
            ExportFormat::FlatGeobuf => {
                super::flatgeobuf::write_flatgeobuf(schema, batches, &mut w)
            }
            _ => write_parquet(schema, batches, &mut w),
        };
        res.and_then(|_| w.flush())
    });
    let mut batches = (&mut stream).map(|b| b.map_err(|e| e.to_string()));
    loop {
        match next_batch(&mut batches, sink, options.idle).await? {
            None => break,
            Some(Ok(b)) => {
                if btx.send(b).await.is_err() {
                    break; // the writer failed: its error follows
                }
            }
            Some(Err(e)) => {
                drop(btx);
                let _ = writer.await;
                sink.fail(&e);
                return Ok(false);
            }
        }
    }
    drop(btx);
    match writer.await {
        Ok(Ok(())) => Ok(true),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Gone),
        Ok(Err(e)) => {
            sink.fail(&e.to_string());
            Ok(false)
        }
        Err(e) => {
            sink.fail(&e.to_string());
            Ok(false)
        }
    }
}

fn write_parquet(
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
    w: &mut ChannelWriter,
) -> std::io::Result<()> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(128 * 1024))
        .build();
    let io = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let mut writer = ArrowWriter::try_new(w, with_geo_metadata(schema), Some(props)).map_err(io)?;
    for b in batches {
        writer.write(&b).map_err(io)?;
        // Bound the buffered row group.
        if writer.in_progress_size() > 64 << 20 {
            writer.flush().map_err(io)?;
        }
    }
    writer.close().map_err(io)?;
    Ok(())
}

fn excel_serial_days(days_since_epoch: i64) -> f64 {
    // Excel's day 0 is 1899-12-30 (25,569 days before 1970-01-01).
    (days_since_epoch + 25_569) as f64
}

fn write_xlsx(
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
    w: &mut ChannelWriter,
) -> std::io::Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let err = |e: rust_xlsxwriter::XlsxError| std::io::Error::other(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd.mm.yyyy");
    let stamp = Format::new().set_num_format("dd.mm.yyyy hh:mm:ss");
    let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
    sheet.set_name("Daten").map_err(err)?;
    for (c, f) in schema.fields().iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, f.name(), &bold)
            .map_err(err)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(err)?;
    let mut row: u32 = 1;
    for b in batches {
        if row as u64 + b.num_rows() as u64 > XLSX_MAX_ROWS + 1 {
            return Err(std::io::Error::other(format!(
                "more than {XLSX_MAX_ROWS} rows do not fit in an Excel sheet"
            )));
        }
        // Constant-memory sheets must be written row by row.
        for i in 0..b.num_rows() {
            for (c, a) in b.columns().iter().enumerate() {
                let col = c as u16;
                if a.is_null(i) {
                    continue;
                }
                let r = row + i as u32;
                match a.data_type() {
                    DataType::Int64 => {
                        sheet
                            .write_number(r, col, a.as_primitive::<Int64Type>().value(i) as f64)
                            .map_err(err)?;
                    }
                    DataType::Float64 => {
                        let v = a.as_primitive::<Float64Type>().value(i);
                        if v.is_finite() {
                            sheet.write_number(r, col, v).map_err(err)?;
                        }
                    }
                    DataType::Boolean => {
                        sheet
                            .write_boolean(r, col, a.as_boolean().value(i))
                            .map_err(err)?;
                    }
                    DataType::Date32 => {
                        let d = a.as_primitive::<Date32Type>().value(i) as i64;
                        sheet
                            .write_number_with_format(r, col, excel_serial_days(d), &date)
                            .map_err(err)?;
                    }
                    DataType::Timestamp(TimeUnit::Microsecond, _) => {
                        let t = a.as_primitive::<TimestampMicrosecondType>().value(i);
                        let days = t.div_euclid(86_400_000_000);
                        let frac = t.rem_euclid(86_400_000_000) as f64 / 86_400_000_000.0;
                        sheet
                            .write_number_with_format(
                                r,
                                col,
                                excel_serial_days(days) + frac,
                                &stamp,
                            )
                            .map_err(err)?;
                    }
                    DataType::Binary => {
                        let wkt = crate::geo::Geometry::from_wkb(a.as_binary::<i32>().value(i))
                            .map(|g| g.to_wkt())
                            .unwrap_or_default();
                        let s: String = wkt.chars().take(32_767).collect();
                        sheet.write_string(r, col, &s).map_err(err)?;
                    }
                    _ => {
                        let mut v = Vec::new();
                        json::write_value(&mut v, a.as_ref(), i);
                        let s: String = match serde_json::from_slice::<serde_json::Value>(&v) {
                            Ok(serde_json::Value::String(s)) => s,
                            Ok(other) => other.to_string(),
                            Err(_) => String::new(),
                        };
                        // Excel cells hold at most 32,767 characters.
                        let s: String = s.chars().take(32_767).collect();
                        sheet.write_string(r, col, &s).map_err(err)?;
                    }
                }
            }
        }
        row += b.num_rows() as u32;
    }
    book.save_to_writer(w).map_err(err)?;
    Ok(())
}

/// A spatial table's Parquet export is GeoParquet: the geometry column (WKB, WGS 84, the
/// first binary column) is described in the `geo` metadata. The geometry types are left
/// empty, which GeoParquet 1.1 reads as "not known": a filtered export may have fewer.
fn with_geo_metadata(schema: SchemaRef) -> SchemaRef {
    let Some(field) = schema
        .fields()
        .iter()
        .find(|f| f.data_type() == &DataType::Binary)
    else {
        return schema;
    };
    let mut metadata = schema.metadata().clone();
    let name = field.name().clone();
    metadata
        .entry(crate::geo::GEO_KEY.to_string())
        .or_insert_with(|| {
            serde_json::json!({
                "version": "1.1.0",
                "primary_column": name,
                "columns": { name.as_str(): { "encoding": "WKB", "geometry_types": [] } },
            })
            .to_string()
        });
    std::sync::Arc::new(datafusion::arrow::datatypes::Schema::new_with_metadata(
        schema.fields().clone(),
        metadata,
    ))
}
