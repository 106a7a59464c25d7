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
        Cell::Text(s) => !crate::values::trim(s).is_empty(),
        _ => true,
    }
}

/// A row that only fills its first cell with text below the data: a "Quelle:" or footnote row.
fn footer_like(cells: &[Cell<'_>], width: usize) -> bool {
    width >= 3
        && cells.iter().filter(|c| nonempty(c)).count() == 1
        && matches!(cells.first(), Some(Cell::Text(s)) if !s.trim().is_empty() && !crate::values::number_shape(s.trim()).de)
}

/// What the analysis knows after some or all rows.
struct Analysis {
    width: usize,
    german_file: bool,
    infers: Vec<Infer>,
    filled: Vec<bool>,
    /// Footer-like rows held back until a data row follows them.
    pending: Vec<Vec<String>>,
    rows: u64,
    long_rows: u64,
    comma_decimals: bool,
}

impl Analysis {
    fn new(width: usize, german_file: bool) -> Self {
        Self {
            width,
            german_file,
            infers: vec![Infer::default(); width],
            filled: vec![false; width],
            pending: Vec::new(),
            rows: 0,
            long_rows: 0,
            comma_decimals: false,
        }
    }

    fn observe(&mut self, cells: &[Cell<'_>]) {
        self.rows += 1;
        for (i, c) in cells.iter().take(self.width).enumerate() {
            if nonempty(c) {
                self.filled[i] = true;
            }
            self.infers[i].observe(self.rows, *c);
        }
        if cells.len() > self.width && cells[self.width..].iter().any(nonempty) {
            self.long_rows += 1;
        }
    }

    /// Takes in one row; returns the rows that now count as data (held-back footer-like rows
    /// first, then this one), or none while this row itself is held back.
    fn accept<'c>(&mut self, cells: &'c [Cell<'c>]) -> Option<(Vec<Vec<String>>, &'c [Cell<'c>])> {
        if !cells.iter().any(nonempty) {
            return None;
        }
        if !self.comma_decimals && self.german_file {
            self.comma_decimals = cells.iter().any(|c| matches!(c, Cell::Text(s) if crate::values::number_shape(crate::values::trim(s)).comma_decimal));
        }
        if footer_like(cells, self.width) && self.pending.len() < 20 {
            self.pending.push(
                cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.to_string(),
                        _ => String::new(),
                    })
                    .collect(),
            );
            return None;
        }
        let held = std::mem::take(&mut self.pending);
        for p in &held {
            let cells: Vec<Cell<'_>> = p.iter().map(|s| Cell::Text(s)).collect();
            self.observe(&cells);
        }
        self.observe(cells);
        Some((held, cells))
    }
}

/// Columns, names and conversions decided from an analysis.
struct Plan {
    keep: Vec<usize>,
    decisions: Vec<Decision>,
    columns: Vec<Column>,
}

impl Plan {
    fn new(headers: &[String], a: &Analysis, options: &IngestOptions) -> Result<Self, IngestError> {
        // Trailing separators (`;;`) make empty, unnamed columns: drop them.
        let keep: Vec<usize> = (0..a.width)
            .filter(|&i| a.filled[i] || !headers[i].trim().is_empty())
            .collect();
        if keep.is_empty() {
            return Err(IngestError::Data("Die Tabelle enthält keine Werte.".into()));
        }
        let kept_headers: Vec<String> = keep.iter().map(|&i| headers[i].clone()).collect();
        let names = column::name_columns(&kept_headers);
        let prefer_german = match options.decimal {
            Some(style) => style == NumberStyle::German,
            None => a.german_file || a.comma_decimals,
        };
        let mut decisions: Vec<Decision> = keep
            .iter()
            .map(|&i| a.infers[i].decide(prefer_german))
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
        Ok(Self {
            keep,
            decisions,
            columns,
        })
    }

    /// Whether converting with `self` gives exactly what converting with `other` gives.
    fn converts_like(&self, other: &Plan) -> bool {
        self.keep == other.keep
            && self.decisions.len() == other.decisions.len()
            && self
                .decisions
                .iter()
                .zip(&other.decisions)
                .all(|(a, b)| a.kind == b.kind && a.numbers == b.numbers && a.ticks == b.ticks)
    }

    fn batch_rows(&self) -> usize {
        (2_000_000 / self.columns.len()).clamp(256, 65_536)
    }
}

/// Converts rows into column builders and hands full batches to the encoder thread.
struct Converter {
    builders: Vec<ColumnBuilder>,
    keep: Vec<usize>,
    lost: Vec<u64>,
    in_batch: usize,
    written: u64,
    batch_rows: usize,
    tx: std::sync::mpsc::SyncSender<Vec<ArrayRef>>,
}

impl Converter {
    fn new(plan: &Plan, tx: std::sync::mpsc::SyncSender<Vec<ArrayRef>>) -> Self {
        let batch_rows = plan.batch_rows();
        Self {
            builders: plan
                .decisions
                .iter()
                .map(|d| ColumnBuilder::new(d, batch_rows))
                .collect(),
            keep: plan.keep.clone(),
            lost: vec![0; plan.keep.len()],
            in_batch: 0,
            written: 0,
            batch_rows,
            tx,
        }
    }

    fn push(&mut self, cells: &[Cell<'_>], progress: Progress<'_>) -> Result<(), IngestError> {
        for (b, (&i, lost)) in self
            .builders
            .iter_mut()
            .zip(self.keep.iter().zip(self.lost.iter_mut()))
        {
            let cell = cells.get(i).copied().unwrap_or(Cell::Empty);
            if !b.push(cell) {
                *lost += 1;
            }
        }
        self.in_batch += 1;
        self.written += 1;
        if self.in_batch == self.batch_rows {
            self.send()?;
            progress("convert", self.written);
        }
        Ok(())
    }

    fn push_text(&mut self, row: &[String], progress: Progress<'_>) -> Result<(), IngestError> {
        let cells: Vec<Cell<'_>> = row.iter().map(|s| Cell::Text(s)).collect();
        self.push(&cells, progress)
    }

    fn send(&mut self) -> Result<(), IngestError> {
        if self.in_batch == 0 {
            return Ok(());
        }
        self.in_batch = 0;
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        // A closed channel means the encoder failed; its error is reported instead.
        self.tx
            .send(arrays)
            .map_err(|_| IngestError::Engine("encoder stopped".into()))
    }
}

/// A row of the sample, owned.
fn owned(cells: &[Cell<'_>]) -> Vec<OwnedCell> {
    cells
        .iter()
        .map(|c| match c.detach() {
            Ok(v) => OwnedCell::Value(v),
            Err(s) => OwnedCell::Text(s.to_string()),
        })
        .collect()
}

enum OwnedCell {
    Text(String),
    Value(Cell<'static>),
}

impl OwnedCell {
    fn cell(&self) -> Cell<'_> {
        match self {
            Self::Text(s) => Cell::Text(s),
            Self::Value(c) => *c,
        }
    }
}

/// What the analyser thread leaves: its outcome, the encoder's, and the state for deciding
/// whether the speculative output stands.
struct Consumed {
    analysed: Result<(), IngestError>,
    encoded: Option<Encoded>,
    analysis: Analysis,
    sample: Vec<Vec<OwnedCell>>,
    speculation: Option<(Plan, Converter)>,
}

/// Rows handed from the reading thread to the analyser: the text of all cells in one buffer,
/// so a handover costs a few allocations per batch instead of two per row.
#[derive(Default)]
struct RowBatch {
    text: String,
    slots: Vec<Slot>,
    row_ends: Vec<usize>,
}

#[derive(Clone, Copy)]
enum Slot {
    Text(usize, usize),
    Value(Cell<'static>),
}

const HANDOVER_ROWS: usize = 2048;
const HANDOVER_BYTES: usize = 1 << 20;

impl RowBatch {
    fn with_capacity_of(other: &RowBatch) -> Self {
        Self {
            text: String::with_capacity(other.text.capacity()),
            slots: Vec::with_capacity(other.slots.capacity()),
            row_ends: Vec::with_capacity(other.row_ends.capacity()),
        }
    }

    fn rows(&self) -> usize {
        self.row_ends.len()
    }

    fn push(&mut self, cells: &[Cell<'_>]) {
        for c in cells {
            let slot = match c.detach() {
                Ok(v) => Slot::Value(v),
                Err(s) => {
                    let start = self.text.len();
                    self.text.push_str(s);
                    Slot::Text(start, self.text.len())
                }
            };
            self.slots.push(slot);
        }
        self.row_ends.push(self.slots.len());
    }

    fn each_row(
        &self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let mut cells: Vec<Cell<'_>> = Vec::new();
        let mut start = 0;
        for &end in &self.row_ends {
            cells.clear();
            cells.extend(self.slots[start..end].iter().map(|s| match *s {
                Slot::Text(a, b) => Cell::Text(&self.text[a..b]),
                Slot::Value(c) => c,
            }));
            start = end;
            f(&cells)?;
        }
        Ok(())
    }
}

/// Rows (and bytes) read before the types are guessed for converting in the same pass.
const SAMPLE_ROWS: usize = 4096;
const SAMPLE_BYTES: usize = 16 << 20;

/// An encoder thread's result: the writer, to be finished.
type Encoded = Result<SnapshotWriter, IngestError>;

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
    // One pass that analyses every row and, after a sample, already converts with the types
    // the sample suggests. When the whole file agrees with the sample (the usual case), that
    // output is the table; otherwise a second pass converts with the final types.
    // Three threads: this one reads and decodes, an analyser infers types and converts, an
    // encoder writes Parquet.
    let (row_tx, row_rx) = std::sync::mpsc::sync_channel::<RowBatch>(4);
    let headers_ref = &headers;
    let (scanned, consumed) = std::thread::scope(|scope| {
        let analyser = scope.spawn(move || -> Consumed {
            let mut a = Analysis::new(width, german_file);
            let mut sample: Vec<Vec<OwnedCell>> = Vec::new();
            let mut sample_bytes = 0usize;
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ArrayRef>>(2);
            let mut rx = Some(rx);
            let mut speculation: Option<(Plan, Converter)> = None;
            let mut encoder: Option<std::thread::ScopedJoinHandle<'_, Encoded>> = None;
            let mut on_row = |cells: &[Cell<'_>]| -> Result<(), IngestError> {
                let Some((held, cells)) = a.accept(cells) else {
                    return Ok(());
                };
                if let Some((_, conv)) = speculation.as_mut() {
                    for row in &held {
                        conv.push_text(row, progress)?;
                    }
                    return conv.push(cells, progress);
                }
                for row in &held {
                    let cells: Vec<Cell<'_>> = row.iter().map(|s| Cell::Text(s)).collect();
                    sample.push(owned(&cells));
                }
                sample_bytes += cells
                    .iter()
                    .map(|c| match c {
                        Cell::Text(s) => s.len() + 16,
                        _ => 16,
                    })
                    .sum::<usize>();
                sample.push(owned(cells));
                if a.rows.is_multiple_of(65_536) {
                    progress("analyse", a.rows);
                }
                if (sample.len() >= SAMPLE_ROWS || sample_bytes >= SAMPLE_BYTES)
                    && let Some(rx) = rx.take()
                {
                    let guess = Plan::new(headers_ref, &a, options)?;
                    let top_cap = (200_000 / guess.columns.len()).clamp(20, 1000);
                    let mut writer = SnapshotWriter::create(
                        output,
                        schema_for(&guess.columns),
                        top_cap,
                        &guess.columns,
                    )?;
                    encoder = Some(scope.spawn(move || -> Encoded {
                        for arrays in rx {
                            writer.write_arrays(arrays)?;
                        }
                        Ok(writer)
                    }));
                    let mut conv = Converter::new(&guess, tx.clone());
                    for row in std::mem::take(&mut sample) {
                        let cells: Vec<Cell<'_>> = row.iter().map(OwnedCell::cell).collect();
                        conv.push(&cells, progress)?;
                    }
                    speculation = Some((guess, conv));
                }
                Ok(())
            };
            let mut analysed = Ok(());
            for batch in row_rx {
                analysed = batch.each_row(&mut on_row);
                if analysed.is_err() {
                    // Dropping the receiver stops the reader.
                    break;
                }
            }
            let analysed = analysed.and_then(|()| match speculation.as_mut() {
                Some((_, conv)) => conv.send(),
                None => Ok(()),
            });
            // Only the converter's sender may keep the encoder waiting.
            drop(tx);
            let encoded = encoder.map(|e| {
                if let Some((_, conv)) = speculation.as_mut() {
                    // Closing the channel lets the encoder finish.
                    let (dead, _) = std::sync::mpsc::sync_channel(0);
                    conv.tx = dead;
                }
                e.join()
                    .unwrap_or_else(|_| Err(IngestError::Engine("encoder panicked".into())))
            });
            Consumed {
                analysed,
                encoded,
                analysis: a,
                sample,
                speculation,
            }
        });
        let mut batch = RowBatch::default();
        let send = |batch: &mut RowBatch| {
            let full = std::mem::replace(batch, RowBatch::with_capacity_of(batch));
            row_tx
                .send(full)
                .map_err(|_| IngestError::Engine("analyser stopped".into()))
        };
        let scanned = src
            .scan(&mut |cells| {
                batch.push(cells);
                if batch.rows() >= HANDOVER_ROWS || batch.text.len() >= HANDOVER_BYTES {
                    send(&mut batch)?;
                }
                Ok(())
            })
            .and_then(|()| {
                if batch.rows() > 0 {
                    send(&mut batch)
                } else {
                    Ok(())
                }
            });
        drop(row_tx);
        let consumed = analyser.join().unwrap_or_else(|_| Consumed {
            analysed: Err(IngestError::Engine("analyser panicked".into())),
            encoded: None,
            analysis: Analysis::new(width, german_file),
            sample: Vec::new(),
            speculation: None,
        });
        (scanned, consumed)
    });
    let Consumed {
        analysed,
        encoded,
        analysis: a,
        sample,
        speculation,
    } = consumed;
    // The encoder's error explains a stopped analyser, and the analyser's a stopped reader,
    // better than the closed channels do.
    let encoded = encoded.transpose()?;
    analysed?;
    scanned?;
    if !a.pending.is_empty() {
        warnings.push(format!(
            "{} Fußzeile(n) unter den Daten wurden nicht übernommen (z. B. „{}“).",
            a.pending.len(),
            a.pending[0]
                .first()
                .map(|s| s.chars().take(60).collect::<String>())
                .unwrap_or_default()
        ));
    }
    if a.long_rows > 0 {
        warnings.push(format!(
            "{} Zeile(n) haben mehr Felder als die Kopfzeile; die überzähligen Werte wurden nicht übernommen.",
            a.long_rows
        ));
    }
    let plan = Plan::new(&headers, &a, options)?;
    let data_rows = a.rows;
    let (writer, written, lost) = match (speculation, encoded) {
        (Some((guess, conv)), Some(writer)) if guess.converts_like(&plan) => {
            (writer, conv.written, conv.lost)
        }
        (speculation, stale) => {
            // The sample guessed wrong (or the file was small): convert with the final plan,
            // from the sample still in memory or in a second pass over the file. The stale
            // writer is gone before the file is written anew.
            drop(stale);
            let from_sample = speculation.is_none();
            convert(
                src,
                &plan,
                output,
                progress,
                data_rows,
                from_sample.then_some(sample),
            )?
        }
    };
    for (c, n) in plan.columns.iter().zip(&lost) {
        if *n > 0 {
            warnings.push(format!(
                "Spalte „{}“: {n} Werte passten nicht zum Typ {} und wurden leer übernommen.",
                c.name,
                c.kind.frictionless()
            ));
        }
    }
    let columns = writer.finish(plan.columns)?;
    Ok(IngestReport {
        format,
        rows: written,
        columns,
        dialect,
        warnings: std::mem::take(warnings),
    })
}

/// Converts with a final plan: the rows of `sample` (when the whole table was sampled), else
/// a pass over the source. Returns the writer to finish, rows written and values lost.
fn convert(
    src: &mut dyn Source,
    plan: &Plan,
    output: &Path,
    progress: Progress<'_>,
    data_rows: u64,
    sample: Option<Vec<Vec<OwnedCell>>>,
) -> Result<(SnapshotWriter, u64, Vec<u64>), IngestError> {
    let top_cap = (200_000 / plan.columns.len()).clamp(20, 1000);
    let mut writer =
        SnapshotWriter::create(output, schema_for(&plan.columns), top_cap, &plan.columns)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ArrayRef>>(2);
    let mut conv = Converter::new(plan, tx);
    let (scanned, encoded) = std::thread::scope(|scope| {
        let encoder = scope.spawn(move || -> Encoded {
            for arrays in rx {
                writer.write_arrays(arrays)?;
            }
            Ok(writer)
        });
        let scanned = match sample {
            Some(rows) => rows.iter().try_for_each(|row| {
                let cells: Vec<Cell<'_>> = row.iter().map(OwnedCell::cell).collect();
                conv.push(&cells, progress)
            }),
            None => src.scan(&mut |cells| {
                if conv.written >= data_rows || !cells.iter().any(nonempty) {
                    return Ok(());
                }
                conv.push(cells, progress)
            }),
        };
        let scanned = scanned.and_then(|()| conv.send());
        let (dead, _) = std::sync::mpsc::sync_channel(0);
        conv.tx = dead;
        let encoded = encoder
            .join()
            .unwrap_or_else(|_| Err(IngestError::Engine("encoder panicked".into())));
        (scanned, encoded)
    });
    let writer = encoded?;
    scanned?;
    Ok((writer, conv.written, conv.lost))
}

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
