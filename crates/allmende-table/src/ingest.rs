//! Ingestion: detect the format, infer column types over every row, write a typed Parquet
//! snapshot (zstd) with statistics and a Table Schema. Synchronous and CPU-bound: callers run
//! it on a blocking thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::IngestError;
use crate::column::{self, Column, ColumnType};
use crate::convert::ColumnBuilder;
use crate::csv::{CsvOverrides, CsvSource, TextEncoding};
use crate::infer::{Cell, Decision, Infer, NumberStyle};
use crate::json::{JsonLayout, JsonSource};
use crate::sheet::SheetSource;
use crate::source::Source;
use crate::stats::StatsBuilder;

/// Key in the Parquet schema metadata holding the column model (names, types, reasons).
pub const COLUMNS_KEY: &str = "allmende:columns";
/// A row number (1-based) stored as the first column: a stable record id (CKAN's `_id`) and a
/// sorted key that lets deep pages skip row groups.
pub const ROW_ID: &str = "_id";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputFormat {
    Csv,
    Xlsx,
    Xls,
    Ods,
    Json,
    Ndjson,
    Parquet,
}

impl InputFormat {
    /// From a file name or an EU file-type code; `None` for formats that are not tables.
    pub fn from_hint(hint: &str) -> Option<Self> {
        let ext = hint.rsplit('.').next().unwrap_or(hint).to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" | "tsv" | "txt" | "tab" => Self::Csv,
            "xlsx" | "xlsm" => Self::Xlsx,
            "xls" => Self::Xls,
            "ods" => Self::Ods,
            "json" => Self::Json,
            "ndjson" | "jsonl" | "jsonlines" => Self::Ndjson,
            "parquet" => Self::Parquet,
            _ => return None,
        })
    }

    /// What the first bytes say, when they are unambiguous.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"PAR1") {
            return Some(Self::Parquet);
        }
        if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
            return Some(Self::Xls);
        }
        if head.starts_with(b"PK\x03\x04") {
            let text = String::from_utf8_lossy(head);
            return Some(if text.contains("opendocument") {
                Self::Ods
            } else {
                Self::Xlsx
            });
        }
        None
    }
}

/// What the publisher may set instead of detection.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IngestOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<InputFormat>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Rows above the header (0: header on the first row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal: Option<NumberStyle>,
    /// Column types by published name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, ColumnType>,
}

impl IngestOptions {
    pub fn validate(&self) -> Result<(), String> {
        if let Some(e) = &self.encoding
            && TextEncoding::parse(e).is_none()
        {
            return Err(format!("unbekannte Zeichenkodierung „{e}“"));
        }
        if let Some(d) = &self.delimiter
            && delimiter_byte(d).is_none()
        {
            return Err(format!(
                "ungültiges Trennzeichen „{d}“ (erlaubt: , ; | \\t)"
            ));
        }
        Ok(())
    }
}

fn delimiter_byte(d: &str) -> Option<u8> {
    match d {
        "," => Some(b','),
        ";" => Some(b';'),
        "|" => Some(b'|'),
        "\t" | "\\t" | "tab" => Some(b'\t'),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_columns: usize,
    pub max_record_bytes: usize,
    pub max_unpacked_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_columns: 2000,
            max_record_bytes: 32 * 1024 * 1024,
            max_unpacked_bytes: 1 << 30,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IngestReport {
    pub format: InputFormat,
    pub rows: u64,
    pub columns: Vec<Column>,
    /// What was detected (encoding, delimiter, header row, sheet).
    pub dialect: serde_json::Value,
    pub warnings: Vec<String>,
}

impl IngestReport {
    pub fn table_schema(&self) -> serde_json::Value {
        column::table_schema(&self.columns)
    }
}

/// Progress: the phase (`analyse`, `convert`) and the rows done so far.
pub type Progress<'a> = &'a (dyn Fn(&str, u64) + Sync);

pub fn ingest(
    input: &Path,
    name_hint: Option<&str>,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    let mut head = vec![0u8; 4096];
    let n = File::open(input)?.read(&mut head)?;
    head.truncate(n);
    if n == 0 {
        return Err(IngestError::Data("Die Datei ist leer.".into()));
    }
    let sniffed = InputFormat::sniff(&head);
    let hinted = name_hint.and_then(InputFormat::from_hint);
    let format = options
        .format
        .or(sniffed)
        .or(hinted)
        .unwrap_or(InputFormat::Csv);
    // A zip or Parquet file named .csv is not text: trust the bytes.
    let format = match (format, sniffed) {
        (InputFormat::Csv | InputFormat::Json | InputFormat::Ndjson, Some(s))
            if options.format.is_none() =>
        {
            s
        }
        (f, _) => f,
    };
    let mut warnings = Vec::new();
    match format {
        InputFormat::Parquet => crate::parquet_in::ingest_parquet(input, limits, output, progress),
        InputFormat::Xlsx | InputFormat::Xls | InputFormat::Ods => {
            let mut src = SheetSource::open(
                input,
                options.sheet.as_deref(),
                options.header_row,
                limits.max_unpacked_bytes,
                limits.max_columns,
            )?;
            let dialect = serde_json::json!({ "sheet": src.sheet, "header_row": src.header_row });
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
            let layout = if format == InputFormat::Ndjson || looks_like_lines(&head) {
                JsonLayout::Lines
            } else {
                JsonLayout::Array
            };
            let mut src = JsonSource::open(input, layout, limits.max_columns)?;
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
                None => crate::csv::sniff_utf16(&head),
            };
            let transcoded;
            let (path, encoding) = match utf16 {
                Some(e) => {
                    let mut tmp = tempfile::NamedTempFile::new_in(
                        output.parent().unwrap_or_else(|| Path::new(".")),
                    )?;
                    crate::csv::transcode_utf16(
                        input,
                        e,
                        &mut std::io::BufWriter::new(tmp.as_file_mut()),
                    )?;
                    transcoded = tmp;
                    (transcoded.path().to_path_buf(), Some(TextEncoding::Utf8))
                }
                None => (input.to_path_buf(), forced),
            };
            let overrides = CsvOverrides {
                encoding,
                delimiter: options.delimiter.as_deref().and_then(delimiter_byte),
                header_row: options.header_row,
            };
            let mut src = CsvSource::open(
                &path,
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
                report.warnings.push(format!(
                    "{} Felder waren nicht gültiges UTF-8 und wurden als Windows-1252 gelesen (gemischte Kodierung).",
                    src.mixed_fields
                ));
            }
            Ok(report)
        }
    }
}

fn looks_like_lines(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    t.starts_with('{')
        && t.lines().take(2).count() == 2
        && t.lines()
            .next()
            .is_some_and(|l| l.trim_end().ends_with('}'))
}

fn nonempty(c: &Cell<'_>) -> bool {
    match c {
        Cell::Empty => false,
        Cell::Text(s) => !s.trim().is_empty(),
        _ => true,
    }
}

/// A row that only fills its first cell with text below the data: a "Quelle:" or footnote row.
fn footer_like(cells: &[Cell<'_>], width: usize) -> bool {
    width >= 3
        && cells.iter().filter(|c| nonempty(c)).count() == 1
        && matches!(cells.first(), Some(Cell::Text(s)) if !s.trim().is_empty() && !crate::values::number_shape(s.trim()).de)
}

#[allow(clippy::too_many_arguments)]
fn run(
    src: &mut dyn Source,
    format: InputFormat,
    dialect: serde_json::Value,
    options: &IngestOptions,
    german_file: bool,
    output: &Path,
    progress: Progress<'_>,
    warnings: &mut Vec<String>,
) -> Result<IngestReport, IngestError> {
    let headers = src.headers();
    let width = headers.len();
    if width == 0 {
        return Err(IngestError::Data("Keine Spalten gefunden.".into()));
    }
    // Pass 1: types over every row.
    let mut infers = vec![Infer::default(); width];
    let mut filled = vec![false; width];
    let mut pending: Vec<Vec<String>> = Vec::new();
    let mut rows = 0u64;
    let mut long_rows = 0u64;
    let mut comma_decimals = false;
    {
        let mut observe = |cells: &[Cell<'_>], rows: &mut u64| {
            *rows += 1;
            for (i, c) in cells.iter().take(width).enumerate() {
                if nonempty(c) {
                    filled[i] = true;
                }
                infers[i].observe(*rows, *c);
            }
            if cells.len() > width && cells[width..].iter().any(nonempty) {
                long_rows += 1;
            }
        };
        src.scan(&mut |cells| {
            if !cells.iter().any(nonempty) {
                return Ok(());
            }
            if !comma_decimals && german_file {
                comma_decimals = cells.iter().any(|c| matches!(c, Cell::Text(s) if crate::values::number_shape(s.trim()).comma_decimal));
            }
            if footer_like(cells, width) && pending.len() < 20 {
                pending.push(cells.iter().map(|c| match c {
                    Cell::Text(s) => s.to_string(),
                    _ => String::new(),
                }).collect());
                return Ok(());
            }
            for p in std::mem::take(&mut pending) {
                let cells: Vec<Cell<'_>> = p.iter().map(|s| Cell::Text(s)).collect();
                observe(&cells, &mut rows);
            }
            observe(cells, &mut rows);
            if rows.is_multiple_of(65_536) {
                progress("analyse", rows);
            }
            Ok(())
        })?;
    }
    if !pending.is_empty() {
        warnings.push(format!(
            "{} Fußzeile(n) unter den Daten wurden nicht übernommen (z. B. „{}“).",
            pending.len(),
            pending[0]
                .first()
                .map(|s| s.chars().take(60).collect::<String>())
                .unwrap_or_default()
        ));
    }
    if long_rows > 0 {
        warnings.push(format!(
            "{long_rows} Zeile(n) haben mehr Felder als die Kopfzeile; die überzähligen Werte wurden nicht übernommen."
        ));
    }
    let data_rows = rows;
    // Trailing separators (`;;`) make empty, unnamed columns: drop them.
    let keep: Vec<usize> = (0..width)
        .filter(|&i| filled[i] || !headers[i].trim().is_empty())
        .collect();
    if keep.is_empty() {
        return Err(IngestError::Data("Die Tabelle enthält keine Werte.".into()));
    }
    let kept_headers: Vec<String> = keep.iter().map(|&i| headers[i].clone()).collect();
    let names = column::name_columns(&kept_headers);
    let prefer_german = match options.decimal {
        Some(style) => style == NumberStyle::German,
        None => german_file || comma_decimals,
    };
    let mut decisions: Vec<Decision> = keep
        .iter()
        .map(|&i| infers[i].decide(prefer_german))
        .collect();
    if let Some(style) = options.decimal {
        for d in &mut decisions {
            d.numbers = style;
        }
    }
    for (d, (name, _)) in decisions.iter_mut().zip(&names) {
        if let Some(kind) = options.types.get(name) {
            d.kind = *kind;
            d.reason = None;
        }
    }
    let columns: Vec<Column> = names
        .iter()
        .zip(&decisions)
        .map(|((name, machine), d)| Column {
            name: name.clone(),
            machine_name: machine.clone(),
            kind: d.kind,
            reason: d.reason.clone(),
            stats: None,
        })
        .collect();
    let schema = schema_for(&columns);
    let ncols = columns.len();
    let batch_rows = (2_000_000 / ncols).clamp(256, 65_536);
    let top_cap = (200_000 / ncols).clamp(20, 1000);

    // Pass 2: convert. Parsing and converting run here; statistics, Parquet encoding and
    // compression on a second thread, a couple of batches behind.
    let mut writer = SnapshotWriter::create(output, schema.clone(), top_cap, &columns)?;
    let mut builders: Vec<ColumnBuilder> = decisions
        .iter()
        .map(|d| ColumnBuilder::new(d, batch_rows))
        .collect();
    let mut in_batch = 0usize;
    let mut written = 0u64;
    let mut lost = vec![0u64; ncols];
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ArrayRef>>(2);
    let (scanned, writer) = std::thread::scope(|scope| {
        let encoder = scope.spawn(move || -> Result<SnapshotWriter, IngestError> {
            for arrays in rx {
                writer.write_arrays(arrays)?;
            }
            Ok(writer)
        });
        let send = |builders: &mut Vec<ColumnBuilder>| -> Result<(), IngestError> {
            let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColumnBuilder::finish).collect();
            // A closed channel means the encoder failed; its error is reported below.
            tx.send(arrays)
                .map_err(|_| IngestError::Engine("encoder stopped".into()))
        };
        let scanned = src
            .scan(&mut |cells| {
                if written >= data_rows || !cells.iter().any(nonempty) {
                    return Ok(());
                }
                for (b, (&i, lost)) in builders.iter_mut().zip(keep.iter().zip(lost.iter_mut())) {
                    let cell = cells.get(i).copied().unwrap_or(Cell::Empty);
                    if !b.push(cell) {
                        *lost += 1;
                    }
                }
                in_batch += 1;
                written += 1;
                if in_batch == batch_rows {
                    send(&mut builders)?;
                    in_batch = 0;
                    progress("convert", written);
                }
                Ok(())
            })
            .and_then(|()| {
                if in_batch > 0 {
                    send(&mut builders)
                } else {
                    Ok(())
                }
            });
        drop(tx);
        let writer = encoder
            .join()
            .unwrap_or_else(|_| Err(IngestError::Engine("encoder panicked".into())));
        (scanned, writer)
    });
    // The encoder's error explains a stopped scan better than the closed channel does.
    let writer = writer?;
    scanned?;
    for (c, n) in columns.iter().zip(&lost) {
        if *n > 0 {
            warnings.push(format!(
                "Spalte „{}“: {n} Werte passten nicht zum Typ {} und wurden leer übernommen.",
                c.name,
                c.kind.frictionless()
            ));
        }
    }
    let columns = writer.finish(columns)?;
    Ok(IngestReport {
        format,
        rows: written,
        columns,
        dialect,
        warnings: std::mem::take(warnings),
    })
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
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(
                ZstdLevel::try_new(1).map_err(IngestError::parquet)?,
            ))
            .set_max_row_group_row_count(Some(128 * 1024))
            .build();
        let file = File::create(path)?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
            .map_err(IngestError::parquet)?;
        let stats = columns.iter().map(|_| StatsBuilder::new(top_cap)).collect();
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

    pub fn finish(self, mut columns: Vec<Column>) -> Result<Vec<Column>, IngestError> {
        self.writer.close().map_err(IngestError::parquet)?;
        for (c, s) in columns.iter_mut().zip(self.stats) {
            c.stats = Some(s.finish(c.kind));
        }
        Ok(columns)
    }
}
