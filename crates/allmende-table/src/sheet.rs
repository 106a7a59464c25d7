//! Spreadsheets (XLSX, XLS, ODS) through calamine. The sheet with the most filled cells is
//! taken unless the publisher names one; title rows above the header are skipped as in CSV.

use std::io::Read;
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::IngestError;
use crate::infer::Cell;
use crate::source::Source;

pub struct SheetSource {
    pub sheet: String,
    pub header_row: usize,
    rows: Vec<Vec<Data>>,
    headers: Vec<String>,
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
            .map_err(|e| IngestError::Data(format!("Die Tabellendatei ist beschädigt: {e}")))?;
        total = total.saturating_add(entry.size());
    }
    if total > limit || (total > 50 * 1024 * 1024 && total / compressed > 200) {
        return Err(IngestError::Data(format!(
            "Die Tabellendatei würde entpackt {} MB groß (höchstens {} MB).",
            total / (1024 * 1024),
            limit / (1024 * 1024)
        )));
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
        let bad = |e: String| {
            IngestError::Data(format!("Die Tabellendatei kann nicht gelesen werden: {e}"))
        };
        if n < 4 {
            return Err(bad("zu kurz".into()));
        }
        let mut book = open_workbook_auto(path).map_err(|e| bad(e.to_string()))?;
        let names = book.sheet_names();
        let chosen = match sheet {
            Some(s) => {
                if !names.iter().any(|n| n == s) {
                    return Err(IngestError::Data(format!(
                        "Das Tabellenblatt „{s}“ gibt es nicht (vorhanden: {}).",
                        names.join(", ")
                    )));
                }
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
                let (name, range, _) = best.ok_or_else(|| {
                    IngestError::Data("Die Datei enthält kein Tabellenblatt.".into())
                })?;
                (name, range)
            }
        };
        let (name, range) = chosen;
        if range.width() > max_columns {
            return Err(IngestError::Data(format!(
                "Das Tabellenblatt hat {} Spalten; höchstens {max_columns} werden unterstützt.",
                range.width()
            )));
        }
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        let preview: Vec<Vec<String>> = rows
            .iter()
            .take(60)
            .map(|r| r.iter().map(text_of).collect())
            .collect();
        if preview.is_empty() {
            return Err(IngestError::Data(format!(
                "Das Tabellenblatt „{name}“ ist leer."
            )));
        }
        let header_row = header_row.unwrap_or_else(|| crate::csv::find_header_rows(&preview));
        let headers = preview.get(header_row).cloned().unwrap_or_default();
        Ok(Self {
            sheet: name,
            header_row,
            rows,
            headers,
        })
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
        let mut cells = Vec::new();
        for row in self.rows.iter().skip(self.header_row + 1) {
            cells.clear();
            cells.extend(row.iter().map(cell_of));
            f(&cells)?;
        }
        Ok(())
    }
}
