//! The analysis of every row: types inferred per column, footer rows held back, and the plan
//! (kept columns, names, conversions) decided from it.

use super::options::*;
use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::column::{self, Column};
use crate::infer::{Cell, Decision, Infer, NumberStyle};

pub(crate) fn nonempty(c: &Cell<'_>) -> bool {
    match c {
        Cell::Empty => false,
        Cell::Text(s) => !crate::values::trim(s).is_empty(),
        _ => true,
    }
}

/// A row that only fills its first cell with text below the data: a "Quelle:" or footnote row.
pub(crate) fn footer_like(cells: &[Cell<'_>], width: usize) -> bool {
    // A data row fills its second cell too: most rows are decided by two cells.
    width >= 3
        && matches!(cells.first(), Some(Cell::Text(s)) if !s.trim().is_empty())
        && !cells[1..].iter().any(nonempty)
        && matches!(cells.first(), Some(Cell::Text(s)) if !crate::values::number_shape(s.trim()).de)
}

/// The rows that count as data after one more: held-back footer-like rows first, then it.
pub(crate) type Accepted<'c> = Option<(Vec<Vec<String>>, &'c [Cell<'c>])>;

/// Which rows are data: empty rows are skipped, and footer-like rows are held back until a
/// data row follows them. The type inference and the privacy check (on another thread) each
/// keep one, so both see the same rows.
pub(crate) struct DataRows {
    width: usize,
    /// Footer-like rows held back until a data row follows them.
    pub(crate) pending: Vec<Vec<String>>,
}

impl DataRows {
    pub(crate) fn new(width: usize) -> Self {
        Self {
            width,
            pending: Vec::new(),
        }
    }

    /// Takes in one row; returns the rows that now count as data (held-back footer-like rows
    /// first, then this one), or none while this row itself is held back.
    pub(crate) fn accept<'c>(&mut self, cells: &'c [Cell<'c>]) -> Accepted<'c> {
        if !cells.iter().any(nonempty) {
            return None;
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
        Some((std::mem::take(&mut self.pending), cells))
    }
}

/// A held-back row as cells.
pub(crate) fn text_cells(row: &[String]) -> Vec<Cell<'_>> {
    row.iter().map(|s| Cell::Text(s)).collect()
}

/// What the analysis knows after some or all rows.
pub(crate) struct Analysis {
    pub(crate) width: usize,
    pub(crate) german_file: bool,
    pub(crate) infers: Vec<Infer>,
    pub(crate) filled: Vec<bool>,
    pub(crate) data: DataRows,
    pub(crate) rows: u64,
    pub(crate) long_rows: u64,
    pub(crate) comma_decimals: bool,
}

impl Analysis {
    pub(crate) fn new(width: usize, german_file: bool) -> Self {
        Self {
            width,
            german_file,
            infers: vec![Infer::default(); width],
            filled: vec![false; width],
            data: DataRows::new(width),
            rows: 0,
            long_rows: 0,
            comma_decimals: false,
        }
    }

    pub(crate) fn observe(&mut self, cells: &[Cell<'_>]) {
        let row = self.begin_row(cells);
        for (infer, c) in self.infers.iter_mut().zip(cells) {
            infer.observe(row, *c);
        }
    }

    /// Counts a row that is about to be observed cell by cell (which columns are filled, cells
    /// beyond the header); its number.
    pub(crate) fn begin_row(&mut self, cells: &[Cell<'_>]) -> u64 {
        self.rows += 1;
        for (filled, c) in self.filled.iter_mut().zip(cells) {
            if !*filled && nonempty(c) {
                *filled = true;
            }
        }
        if cells.len() > self.width && cells[self.width..].iter().any(nonempty) {
            self.long_rows += 1;
        }
        self.rows
    }

    /// Takes in one row; returns the rows that now count as data (see [`DataRows::accept`]),
    /// not observed yet.
    pub(crate) fn admit<'c>(&mut self, cells: &'c [Cell<'c>]) -> Accepted<'c> {
        if !cells.iter().any(nonempty) {
            return None;
        }
        if !self.comma_decimals && self.german_file {
            self.comma_decimals = cells.iter().any(|c| matches!(c, Cell::Text(s) if crate::values::number_shape(crate::values::trim(s)).comma_decimal));
        }
        self.data.accept(cells)
    }
}

/// Columns, names and conversions decided from an analysis.
pub(crate) struct Plan {
    pub(crate) keep: Vec<usize>,
    pub(crate) decisions: Vec<Decision>,
    pub(crate) columns: Vec<Column>,
}

impl Plan {
    pub(crate) fn new(
        headers: &[String],
        a: &Analysis,
        options: &IngestOptions,
    ) -> Result<Self, IngestError> {
        // Trailing separators (`;;`) make empty, unnamed columns: drop them.
        let keep: Vec<usize> = (0..a.width)
            .filter(|&i| a.filled[i] || !headers[i].trim().is_empty())
            .collect();
        if keep.is_empty() {
            return Err(IngestError::Data(Msg::new("ingest.no_values")));
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
            if let Some(kind) = options.types.get(name)
                && *kind != crate::column::ColumnType::Geometry
            {
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
    pub(crate) fn converts_like(&self, other: &Plan) -> bool {
        self.keep == other.keep
            && self.decisions.len() == other.decisions.len()
            && self
                .decisions
                .iter()
                .zip(&other.decisions)
                .all(|(a, b)| a.kind == b.kind && a.numbers == b.numbers && a.ticks == b.ticks)
    }

    /// Rows per batch for the encoder: small enough that the encoder, at the end, has little
    /// left to do after the last row is converted.
    pub(crate) fn batch_rows(&self) -> usize {
        (2_000_000 / self.columns.len()).clamp(256, 16_384)
    }
}
