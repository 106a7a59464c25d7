//! Ingestion: detect the format, infer column types over every row, write a typed Parquet
//! snapshot (zstd) with statistics and a Table Schema. Synchronous and CPU-bound: callers run
//! it on a blocking thread.

mod analysis;
pub(crate) mod options;
mod rows;
pub(crate) mod run;

pub use crate::snapshot::{COLUMNS_KEY, ROW_ID};
pub use options::{IngestOptions, IngestReport, InputFormat, Limits, Progress};

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::csv::{CsvOverrides, CsvSource, TextEncoding};
use crate::growing::{Growth, Input};
use crate::json::{JsonLayout, JsonSource};
use crate::sheet::SheetSource;
use options::*;
use run::run;

pub fn ingest(
    input: &Path,
    name_hint: Option<&str>,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    ingest_input(
        input,
        Input::Whole,
        name_hint,
        options,
        limits,
        output,
        progress,
    )
}

/// [`ingest`] of a file still being written (an upload on its way in): delimited text is
/// read as it arrives; other formats wait for the whole file.
pub fn ingest_growing(
    input: &Path,
    growth: Arc<Growth>,
    name_hint: Option<&str>,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    ingest_input(
        input,
        Input::Growing(growth),
        name_hint,
        options,
        limits,
        output,
        progress,
    )
}

fn ingest_input(
    input: &Path,
    how: Input,
    name_hint: Option<&str>,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    let mut head = Vec::with_capacity(crate::detect::HEAD_BYTES);
    how.open(input)?
        .take(crate::detect::HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(IngestError::Data(Msg::new("ingest.empty_file")));
    }
    if head.starts_with(crate::detect::ZIP_MAGIC) {
        // Its central directory is at the end.
        how.wait_complete()?;
    }
    let detected = crate::detect::detect_with_head(input, &head, name_hint.unwrap_or(""))?;
    let format = resolve_format(&detected, options.format)?;
    let report = read(input, how, &head, format, options, limits, output, progress)?;
    match format.is_geo() {
        true => Ok(report),
        // Coordinate columns make a spatial table of any other table.
        false => crate::geo::add_points(report, options, output),
    }
}

#[allow(clippy::too_many_arguments)]
fn read(
    input: &Path,
    how: Input,
    head: &[u8],
    format: InputFormat,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    let mut warnings = Vec::new();
    if format != InputFormat::Csv {
        // Only the delimited-text reader reads strictly from the start to the end.
        how.wait_complete()?;
    }
    match format {
        InputFormat::GeoJson
        | InputFormat::Shapefile
        | InputFormat::GeoPackage
        | InputFormat::Kml
        | InputFormat::Gpx => {
            crate::geo::ingest_features(input, format, options, limits, output, progress)
        }
        InputFormat::Parquet => crate::parquet_in::ingest_parquet(
            input,
            limits,
            options.privacy_check(),
            output,
            progress,
        ),
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods => {
            let mut src = SheetSource::open(
                input,
                options.sheet.as_deref(),
                options.header_row,
                limits.max_unpacked_bytes,
                limits.max_columns,
            )?;
            let dialect = serde_json::json!({
                "sheet": src.sheet,
                "header_row": src.header_row,
                "header_rows": src.header_rows,
            });
            run(
                &mut src,
                format,
                dialect,
                options,
                false,
                output,
                progress,
                &mut warnings,
            )
        }
        InputFormat::Json | InputFormat::Ndjson => {
            let layout = if format == InputFormat::Ndjson {
                JsonLayout::Lines
            } else {
                JsonLayout::Array
            };
            let mut src =
                JsonSource::open(input, layout, limits.max_columns, limits.max_record_bytes)?;
            let format = if layout == JsonLayout::Lines {
                InputFormat::Ndjson
            } else {
                InputFormat::Json
            };
            run(
                &mut src,
                format,
                serde_json::json!({}),
                options,
                false,
                output,
                progress,
                &mut warnings,
            )
        }
        InputFormat::Csv => {
            let forced = options.encoding.as_deref().and_then(TextEncoding::parse);
            let utf16 = match forced {
                Some(e @ (TextEncoding::Utf16le | TextEncoding::Utf16be)) => Some(e),
                Some(_) => None,
                None => crate::csv::sniff_utf16(head),
            };
            let transcoded;
            let (path, encoding, how) = match utf16 {
                Some(e) => {
                    how.wait_complete()?;
                    let mut tmp = tempfile::NamedTempFile::new_in(
                        output.parent().unwrap_or_else(|| Path::new(".")),
                    )?;
                    crate::csv::transcode_utf16(
                        input,
                        e,
                        &mut std::io::BufWriter::new(tmp.as_file_mut()),
                    )?;
                    transcoded = tmp;
                    (
                        transcoded.path().to_path_buf(),
                        Some(TextEncoding::Utf8),
                        Input::Whole,
                    )
                }
                None => (input.to_path_buf(), forced, how),
            };
            let overrides = CsvOverrides {
                encoding,
                delimiter: options.delimiter.as_deref().and_then(delimiter_byte),
                header_row: options.header_row,
            };
            let mut src = CsvSource::open_input(
                &path,
                how,
                &overrides,
                limits.max_record_bytes,
                limits.max_columns,
            )?;
            let mut dialect = serde_json::to_value(src.dialect()).unwrap_or_default();
            if let Some(e) = utf16 {
                dialect["encoding"] = serde_json::to_value(e).unwrap_or_default();
            }
            let german = src.dialect().delimiter == ";";
            let report = run(
                &mut src,
                format,
                dialect,
                options,
                german,
                output,
                progress,
                &mut warnings,
            )?;
            let mut report = report;
            if src.mixed_fields > 0 {
                report
                    .warnings
                    .push(Msg::new("ingest.mixed_encoding").arg("n", src.mixed_fields));
            }
            Ok(report)
        }
    }
}

/// What the content says, or the publisher's choice where the content allows it: a layout of
/// the same family (NDJSON for JSON, CSV for text), never text for a container or a table for
/// what is not one.
fn resolve_format(
    detected: &crate::detect::Detected,
    forced: Option<InputFormat>,
) -> Result<InputFormat, IngestError> {
    use InputFormat::*;
    let label = detected.file_type.label;
    let Some(found) = detected.table else {
        return Err(IngestError::NotATable(label.to_string()));
    };
    match forced {
        None => Ok(found),
        Some(f) if f == found => Ok(f),
        Some(f @ (Json | Ndjson)) if matches!(found, Json | Ndjson) => Ok(f),
        Some(f) => Err(IngestError::Data(
            Msg::new("ingest.format_mismatch")
                .arg("found", label)
                .arg("chosen", f.label()),
        )),
    }
}
