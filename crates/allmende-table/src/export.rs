//! Streaming exports of query results: CSV (UTF-8, and the "Excel (DE)" dialect with `;`,
//! decimal comma and BOM), JSON, NDJSON, XLSX with typed cells, Parquet. Batches flow through a
//! bounded channel, so memory stays flat however large the result; dropping the receiver stops
//! the query.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, SchemaRef, TimeUnit, TimestampMicrosecondType,
};
use datafusion::physical_plan::SendableRecordBatchStream;
use futures_util::StreamExt;
use tokio::sync::mpsc;

pub use crate::cells::CsvStyle;
use crate::cells::{ColumnWriter, csv_field};
use crate::query::json;

/// Excel's sheet size; a larger result cannot be an XLSX file.
pub const XLSX_MAX_ROWS: u64 = 1_048_575;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    /// `;`, decimal comma, `31.12.2024`, BOM: what German Excel opens correctly.
    CsvExcelDe,
    Json,
    Ndjson,
    Xlsx,
    Parquet,
    /// A FeatureCollection (RFC 7946, WGS 84): for spatial tables.
    GeoJson,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 6] = [
        Self::Csv,
        Self::CsvExcelDe,
        Self::Json,
        Self::Ndjson,
        Self::Xlsx,
        Self::Parquet,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "csv" => Self::Csv,
            "csv-de" | "excel-csv" => Self::CsvExcelDe,
            "json" => Self::Json,
            "ndjson" | "jsonl" => Self::Ndjson,
            "xlsx" => Self::Xlsx,
            "parquet" => Self::Parquet,
            "geojson" => Self::GeoJson,
            _ => return None,
        })
    }

    /// The formats a table with these columns is offered in: GeoJSON too for spatial ones.
    pub fn offered(columns: &[crate::column::Column]) -> Vec<ExportFormat> {
        let mut all = Self::ALL.to_vec();
        if columns
            .iter()
            .any(|c| c.kind == crate::column::ColumnType::Geometry)
        {
            all.insert(0, Self::GeoJson);
        }
        all
    }

    pub fn id(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::CsvExcelDe => "csv-de",
            Self::Json => "json",
            Self::Ndjson => "ndjson",
            Self::Xlsx => "xlsx",
            Self::Parquet => "parquet",
            Self::GeoJson => "geojson",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::CsvExcelDe => "text/csv; charset=utf-8",
            Self::Json => "application/json",
            Self::Ndjson => "application/x-ndjson",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Parquet => "application/vnd.apache.parquet",
            Self::GeoJson => "application/geo+json",
        }
    }

    /// File name ending, `-excel.csv` for the German Excel dialect.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Csv => ".csv",
            Self::CsvExcelDe => "-excel.csv",
            Self::Json => ".json",
            Self::Ndjson => ".ndjson",
            Self::Xlsx => ".xlsx",
            Self::Parquet => ".parquet",
            Self::GeoJson => ".geojson",
        }
    }

    /// The EU file type (DCAT) of the export.
    pub fn eu_file_type(self) -> &'static str {
        match self {
            Self::Csv | Self::CsvExcelDe => "CSV",
            Self::Json | Self::Ndjson => "JSON",
            Self::Xlsx => "XLSX",
            Self::Parquet => "PARQUET",
            Self::GeoJson => "GEOJSON",
        }
    }
}

pub type Chunk = Result<Bytes, std::io::Error>;

/// How an export is written.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// CSV text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
    /// carriage return first) get a leading `'`, as OWASP recommends.
    pub guard_formulas: bool,
    /// Longest wait for the query's next rows; then the export fails (a query must keep
    /// producing, however long the whole file takes).
    pub idle: Duration,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            guard_formulas: true,
            idle: Duration::from_secs(600),
        }
    }
}

/// Where an export writes its bytes.
#[derive(Clone)]
pub struct ExportSink {
    tx: mpsc::Sender<Chunk>,
    done: Arc<AtomicBool>,
}

/// What the client reads: the file's bytes, then either a clean end (the whole file was
/// written) or an error — never a clean end after a cut-off file.
pub struct ExportBody {
    rx: mpsc::Receiver<Chunk>,
    done: Arc<AtomicBool>,
    ended: bool,
}

pub fn channel() -> (ExportSink, ExportBody) {
    let (tx, rx) = mpsc::channel::<Chunk>(8);
    let done = Arc::new(AtomicBool::new(false));
    (
        ExportSink {
            tx,
            done: done.clone(),
        },
        ExportBody {
            rx,
            done,
            ended: false,
        },
    )
}

impl ExportSink {
    /// Ends the file with an error (best effort: a body whose sink is gone without `done`
    /// fails by itself).
    pub fn fail(&self, message: &str) {
        let _ = self
            .tx
            .try_send(Err(std::io::Error::other(message.to_string())));
    }

    /// Whether the reader went away.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }

    /// Resolves when the reader goes away.
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    async fn send(&self, chunk: Bytes) -> Result<(), Gone> {
        self.tx.send(Ok(chunk)).await.map_err(|_| Gone)
    }

    fn finish(&self) {
        self.done.store(true, Ordering::SeqCst);
    }
}

/// The reader went away.
struct Gone;

impl ExportBody {
    pub async fn next(&mut self) -> Option<Chunk> {
        if self.ended {
            return None;
        }
        match self.rx.recv().await {
            Some(Err(e)) => {
                self.ended = true;
                Some(Err(e))
            }
            Some(ok) => Some(ok),
            None => {
                self.ended = true;
                (!self.done.load(Ordering::SeqCst))
                    .then(|| Err(std::io::Error::other("export stopped before its end")))
            }
        }
    }

    pub fn into_stream(self) -> impl futures_util::Stream<Item = Chunk> + Send + 'static {
        futures_util::stream::unfold(self, |mut body| async move {
            body.next().await.map(|chunk| (chunk, body))
        })
    }
}

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
        ExportFormat::Xlsx | ExportFormat::Parquet => {
            write_binary(stream, format, options, &sink).await
        }
        _ => write_text(stream, format, options, &sink).await,
    };
    match failed {
        Ok(true) => sink.finish(),
        Ok(false) => {}
        Err(Gone) => {}
    }
}

/// The next batch, unless the reader left or the query stalled. `Ok(None)`: the end.
async fn next_batch<S, T>(
    stream: &mut S,
    sink: &ExportSink,
    idle: Duration,
) -> Result<Option<Result<T, String>>, Gone>
where
    S: futures_util::Stream<Item = Result<T, String>> + Unpin,
{
    tokio::select! {
        biased;
        _ = sink.tx.closed() => Err(Gone),
        next = tokio::time::timeout(idle, stream.next()) => match next {
            Ok(n) => Ok(n),
            Err(_) => Ok(Some(Err(format!(
                "the query delivered no further rows for {} s and was stopped",
                idle.as_secs()
            )))),
        },
    }
}

/// `Ok(true)`: everything written.
async fn write_text(
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
        ExportFormat::GeoJson => b"{\"type\":\"FeatureCollection\",\"features\":[\n".to_vec(),
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
    Ok(true)
}

/// XLSX and Parquet are written by a library on a blocking thread; batches reach it through a
/// small channel.
async fn write_binary(
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
        let res = if format == ExportFormat::Xlsx {
            write_xlsx(schema, batches, &mut w)
        } else {
            write_parquet(schema, batches, &mut w)
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
        ExportFormat::GeoJson => geojson_rows(&mut out, batch, keys),
        _ => {
            json::write_rows(&mut out, batch, keys, false, b"\n", &mut true);
            if batch.num_rows() > 0 {
                out.push(b'\n');
            }
        }
    }
    out
}

/// Each row as a Feature: the first binary column is its geometry (WKB, written as GeoJSON),
/// `_id` its id, the other columns its properties.
fn geojson_rows(out: &mut Vec<u8>, batch: &RecordBatch, keys: &[Vec<u8>]) {
    let schema = batch.schema();
    let geometry = schema
        .fields()
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let id = schema
        .fields()
        .iter()
        .position(|f| f.name() == crate::snapshot::ROW_ID);
    let columns: Vec<ColumnWriter<'_>> = batch
        .columns()
        .iter()
        .map(|c| ColumnWriter::new(c.as_ref()))
        .collect();
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
        match geometry {
            Some(g) => columns[g].json(out, row),
            None => out.extend_from_slice(b"null"),
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

const CHUNK: usize = 256 * 1024;

struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
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
    let mut writer = ArrowWriter::try_new(w, schema, Some(props)).map_err(io)?;
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
    let columns: Vec<ColumnWriter<'_>> = batch
        .columns()
        .iter()
        .map(|c| ColumnWriter::new(c.as_ref()))
        .collect();
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
