//! Spreadsheets (XLSX, XLS, ODS) through calamine. The sheet with the most filled cells is
//! taken unless the publisher names one; title rows above the header are skipped as in CSV.

use std::io::Read;
use std::path::{Path, PathBuf};

use calamine::{Data, DataType, Reader, Xlsx, open_workbook_auto};

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::infer::Cell;
use crate::source::Source;

pub struct SheetSource {
    pub sheet: String,
    pub header_row: usize,
    /// Stacked header rows merged into the column names (1 for an ordinary header).
    pub header_rows: usize,
    rows: Rows,
    headers: Vec<String>,
}

enum Rows {
    /// XLSX: the sheet's cells streamed from its XML (once to look, once to read), only the
    /// columns that hold anything kept: memory follows the filled cells of one row, never
    /// the area a file claims (A1 and XFD1048576 are two cells, not 17 billion).
    Stream {
        path: PathBuf,
        /// Used column numbers, ascending.
        columns: Vec<u32>,
        first_row: u32,
    },
    /// XLS and ODS, which calamine reads whole: their formats bound a sheet, the ingestion
    /// process's memory limit bounds the rest.
    Whole(Vec<Vec<Data>>),
}

/// What a look at one sheet found.
struct Survey {
    filled: usize,
    columns: std::collections::BTreeSet<u32>,
    first_row: Option<u32>,
    /// Cells of the first rows (row, column, text), for the header.
    preview: Vec<(u32, u32, String)>,
}

const PREVIEW_ROWS: u32 = 60;

fn survey<RS: std::io::Read + std::io::Seek>(
    book: &mut Xlsx<RS>,
    name: &str,
    max_columns: usize,
) -> Result<Survey, String> {
    let mut cells = book
        .worksheet_cells_reader(name)
        .map_err(|e| e.to_string())?;
    let mut s = Survey {
        filled: 0,
        columns: Default::default(),
        first_row: None,
        preview: Vec::new(),
    };
    while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
        let value = cell.get_value();
        if value.is_empty() {
            continue;
        }
        let (row, col) = cell.get_position();
        s.filled += 1;
        if s.columns.insert(col) && s.columns.len() > max_columns.max(1) * 8 {
            // Far past any table we would read: no need to look further.
            break;
        }
        let first = *s.first_row.get_or_insert(row);
        if row < first.saturating_add(PREVIEW_ROWS) {
            s.preview
                .push((row, col, text_of(&Data::from(value.clone()))));
        }
    }
    Ok(s)
}

/// Refuses zip archives (XLSX, ODS) whose members would inflate beyond `limit` bytes or by an
/// absurd ratio: a zip bomb must fail before anything is decompressed.
pub fn check_zip(path: &Path, limit: u64) -> Result<(), IngestError> {
    let file = std::fs::File::open(path)?;
    let compressed = file.metadata()?.len().max(1);
    let mut archive = match zip::ZipArchive::new(file) {
        Ok(a) => a,
        Err(_) => return Ok(()), // not a zip (XLS): calamine reports what it is
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|e| IngestError::Data(Msg::new("ingest.sheet_damaged").arg("detail", e)))?;
        total = total.saturating_add(entry.size());
    }
    if total > limit || (total > 50 * 1024 * 1024 && total / compressed > 200) {
        return Err(IngestError::Data(
            Msg::new("ingest.sheet_unpacked_too_large")
                .arg("mb", total / (1024 * 1024))
                .arg("max", limit / (1024 * 1024)),
        ));
    }
    Ok(())
}

impl SheetSource {
    pub fn open(
        path: &Path,
        sheet: Option<&str>,
        header_row: Option<usize>,
        unpacked_limit: u64,
        max_columns: usize,
    ) -> Result<Self, IngestError> {
        check_zip(path, unpacked_limit)?;
        let mut magic = [0u8; 8];
        let n = std::fs::File::open(path)?.read(&mut magic)?;
        if n < 4 {
            return Err(IngestError::Data(Msg::new("ingest.sheet_too_short")));
        }
        if magic.starts_with(b"PK\x03\x04")
            && let Ok(book) = calamine::open_workbook::<Xlsx<_>, _>(path)
        {
            return Self::open_xlsx(path, book, sheet, header_row, max_columns);
        }
        Self::open_whole(path, sheet, header_row, max_columns)
    }

    fn open_xlsx(
        path: &Path,
        mut book: Xlsx<std::io::BufReader<std::fs::File>>,
        sheet: Option<&str>,
        header_row: Option<usize>,
        max_columns: usize,
    ) -> Result<Self, IngestError> {
        let names = book.sheet_names();
        let (name, found) = match sheet {
            Some(s) => {
                check_sheet(&names, s)?;
                (
                    s.to_string(),
                    survey(&mut book, s, max_columns).map_err(bad)?,
                )
            }
            None => {
                let mut best: Option<(String, Survey)> = None;
                for name in &names {
                    let s = survey(&mut book, name, max_columns).map_err(bad)?;
                    if best.as_ref().is_none_or(|b| s.filled > b.1.filled) {
                        best = Some((name.clone(), s));
                    }
                }
                best.ok_or_else(no_sheet)?
            }
        };
        if found.columns.len() > max_columns {
            return Err(too_wide(found.columns.len(), max_columns));
        }
        let Some(first_row) = found.first_row else {
            return Err(empty(&name));
        };
        let columns: Vec<u32> = found.columns.into_iter().collect();
        let mut preview: Vec<Vec<String>> = Vec::new();
        for (row, col, text) in found.preview {
            let r = (row - first_row) as usize;
            if preview.len() <= r {
                preview.resize(r + 1, vec![String::new(); columns.len()]);
            }
            if let Ok(i) = columns.binary_search(&col) {
                preview[r][i] = text;
            }
        }
        let block = crate::header::header_block(&preview, header_row);
        Ok(Self {
            sheet: name,
            header_row: block.first,
            header_rows: block.rows,
            headers: block.names,
            rows: Rows::Stream {
                path: path.to_path_buf(),
                columns,
                first_row,
            },
        })
    }

    fn open_whole(
        path: &Path,
        sheet: Option<&str>,
        header_row: Option<usize>,
        max_columns: usize,
    ) -> Result<Self, IngestError> {
        let mut book = open_workbook_auto(path).map_err(|e| bad(e.to_string()))?;
        let names = book.sheet_names();
        let chosen = match sheet {
            Some(s) => {
                check_sheet(&names, s)?;
                let range = book.worksheet_range(s).map_err(|e| bad(e.to_string()))?;
                (s.to_string(), range)
            }
            None => {
                let mut best: Option<(String, calamine::Range<Data>, usize)> = None;
                for name in &names {
                    let range = book.worksheet_range(name).map_err(|e| bad(e.to_string()))?;
                    let filled = range.used_cells().count();
                    if best.as_ref().is_none_or(|b| filled > b.2) {
                        best = Some((name.clone(), range, filled));
                    }
                }
                let (name, range, _) = best.ok_or_else(no_sheet)?;
                (name, range)
            }
        };
        let (name, range) = chosen;
        if range.width() > max_columns {
            return Err(too_wide(range.width(), max_columns));
        }
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        let preview: Vec<Vec<String>> = rows
            .iter()
            .take(PREVIEW_ROWS as usize)
            .map(|r| r.iter().map(text_of).collect())
            .collect();
        if preview.is_empty() {
            return Err(empty(&name));
        }
        let block = crate::header::header_block(&preview, header_row);
        Ok(Self {
            sheet: name,
            header_row: block.first,
            header_rows: block.rows,
            headers: block.names,
            rows: Rows::Whole(rows),
        })
    }
}

fn bad(e: String) -> IngestError {
    IngestError::Data(Msg::new("ingest.sheet_unreadable").arg("detail", e))
}

fn too_wide(n: usize, max: usize) -> IngestError {
    IngestError::Data(
        Msg::new("ingest.too_many_columns")
            .arg("n", n)
            .arg("max", max),
    )
}

fn empty(name: &str) -> IngestError {
    IngestError::Data(Msg::new("ingest.sheet_empty").arg("sheet", name))
}

fn no_sheet() -> IngestError {
    IngestError::Data(Msg::new("ingest.no_sheet"))
}

fn check_sheet(names: &[String], s: &str) -> Result<(), IngestError> {
    if names.iter().any(|n| n == s) {
        Ok(())
    } else {
        Err(IngestError::Data(
            Msg::new("ingest.sheet_missing")
                .arg("sheet", s)
                .arg("sheets", names.join(", ")),
        ))
    }
}

fn text_of(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.as_datetime().map(|t| t.to_string()).unwrap_or_default(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn cell_of(d: &Data) -> Cell<'_> {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::Float(f) => Cell::Float(*f),
        Data::Int(i) => Cell::Int(*i),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) if d.is_datetime() => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
            Some(t) => Cell::DateTime(t),
            None => Cell::Float(d.as_f64()),
        },
        Data::DateTime(d) => Cell::Float(d.as_f64()),
    }
}

impl Source for SheetSource {
    fn headers(&self) -> Vec<String> {
        self.headers.clone()
    }

    fn scan(
        &mut self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        match &self.rows {
            Rows::Whole(rows) => {
                let mut cells = Vec::new();
                for row in rows.iter().skip(self.header_row + self.header_rows) {
                    cells.clear();
                    cells.extend(row.iter().map(cell_of));
                    f(&cells)?;
                }
                Ok(())
            }
            Rows::Stream {
                path,
                columns,
                first_row,
            } => {
                let mut book: Xlsx<_> = calamine::open_workbook(path)
                    .map_err(|e: calamine::XlsxError| bad(e.to_string()))?;
                let mut reader = book
                    .worksheet_cells_reader(&self.sheet)
                    .map_err(|e| bad(e.to_string()))?;
                let body_from =
                    first_row.saturating_add((self.header_row + self.header_rows) as u32);
                let mut current: Option<u32> = None;
                let mut values: Vec<Data> = vec![Data::Empty; columns.len()];
                let mut emit = |values: &mut Vec<Data>| -> Result<(), IngestError> {
                    let cells: Vec<Cell<'_>> = values.iter().map(cell_of).collect();
                    let r = f(&cells);
                    drop(cells);
                    values.iter_mut().for_each(|v| *v = Data::Empty);
                    r
                };
                while let Some(cell) = reader.next_cell().map_err(|e| bad(e.to_string()))? {
                    let (row, col) = cell.get_position();
                    if row < body_from {
                        continue;
                    }
                    if current.is_some_and(|c| c != row) {
                        emit(&mut values)?;
                    }
                    current = Some(row);
                    let value = cell.get_value();
                    if value.is_empty() {
                        continue;
                    }
                    if let Ok(i) = columns.binary_search(&col) {
                        values[i] = Data::from(value.clone());
                    }
                }
                if current.is_some() {
                    emit(&mut values)?;
                }
                Ok(())
            }
        }
    }
}
