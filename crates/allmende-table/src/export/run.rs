//! Starting an export: the format decides which writer encodes the stream.

use datafusion::physical_plan::SendableRecordBatchStream;

use super::binary::write_binary;
use super::format::{ExportFormat, ExportOptions};
use super::sink::{ExportBody, ExportSink, Gone, channel};
use super::text::write_text;

/// Starts encoding `stream` on the current runtime; the body yields the file's bytes.
pub fn export(
    stream: SendableRecordBatchStream,
    format: ExportFormat,
    options: ExportOptions,
) -> ExportBody {
    let (sink, body) = channel();
    tokio::spawn(write(stream, format, options, sink));
    body
}

/// Encodes `stream` into `sink` until the stream ends (then the body ends cleanly), the query
/// fails or stalls (the body ends with an error), or the reader goes away (the query is
/// dropped, which cancels it).
pub async fn write(
    stream: SendableRecordBatchStream,
    format: ExportFormat,
    options: ExportOptions,
    sink: ExportSink,
) {
    let failed = match format {
        ExportFormat::Xlsx
        | ExportFormat::Parquet
        | ExportFormat::GeoPackage
        | ExportFormat::Shapefile
        | ExportFormat::FlatGeobuf => write_binary(stream, format, options, &sink).await,
        _ => write_text(stream, format, options, &sink).await,
    };
    match failed {
        Ok(true) => sink.finish(),
        Ok(false) => {}
        Err(Gone) => {}
    }
}
