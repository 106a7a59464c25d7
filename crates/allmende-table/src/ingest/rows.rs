//! Rows on their way through ingestion: the reader's batches handed to the analyser, sample
//! rows kept, and the converter that fills column builders for the encoder.

use datafusion::arrow::array::ArrayRef;

use super::analysis::*;
use super::options::*;
use crate::IngestError;
use crate::convert::ColumnBuilder;
use crate::infer::Cell;

/// Converts rows into column builders and hands full batches to the encoder thread.
pub(crate) struct Converter {
    pub(crate) builders: Vec<ColumnBuilder>,
    pub(crate) keep: Vec<usize>,
    pub(crate) lost: Vec<u64>,
    pub(crate) in_batch: usize,
    pub(crate) written: u64,
    pub(crate) batch_rows: usize,
    pub(crate) tx: std::sync::mpsc::SyncSender<Vec<ArrayRef>>,
}

impl Converter {
    pub(crate) fn new(plan: &Plan, tx: std::sync::mpsc::SyncSender<Vec<ArrayRef>>) -> Self {
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

    pub(crate) fn push(
        &mut self,
        cells: &[Cell<'_>],
        progress: Progress<'_>,
    ) -> Result<(), IngestError> {
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
        self.row_done(progress)
    }

    fn row_done(&mut self, progress: Progress<'_>) -> Result<(), IngestError> {
        self.in_batch += 1;
        self.written += 1;
        if self.in_batch == self.batch_rows {
            self.send()?;
            progress("convert", self.written);
        }
        Ok(())
    }

    /// Observes a row in `a` and converts it, in one pass over its cells: the same as
    /// `a.observe(cells)` and then [`Converter::push`].
    pub(crate) fn push_observed(
        &mut self,
        cells: &[Cell<'_>],
        a: &mut Analysis,
        progress: Progress<'_>,
    ) -> Result<(), IngestError> {
        let row = a.begin_row(cells);
        let mut kept = self
            .keep
            .iter()
            .zip(self.builders.iter_mut().zip(self.lost.iter_mut()))
            .peekable();
        for (i, infer) in a.infers.iter_mut().enumerate() {
            // Observing an empty cell changes nothing: cells past the row's end are empty.
            let cell = cells.get(i).copied().unwrap_or(Cell::Empty);
            match kept.next_if(|&(&k, _)| k == i) {
                Some((_, (b, lost))) => {
                    if !b.push_observed(cell, infer, row) {
                        *lost += 1;
                    }
                }
                None => infer.observe(row, cell),
            }
        }
        self.row_done(progress)
    }

    pub(crate) fn push_text(
        &mut self,
        row: &[String],
        progress: Progress<'_>,
    ) -> Result<(), IngestError> {
        self.push(&text_cells(row), progress)
    }

    pub(crate) fn send(&mut self) -> Result<(), IngestError> {
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
pub(crate) fn owned(cells: &[Cell<'_>]) -> Vec<OwnedCell> {
    cells
        .iter()
        .map(|c| match c.detach() {
            Ok(v) => OwnedCell::Value(v),
            Err(s) => OwnedCell::Text(s.to_string()),
        })
        .collect()
}

pub(crate) enum OwnedCell {
    Text(String),
    Value(Cell<'static>),
}

impl OwnedCell {
    pub(crate) fn cell(&self) -> Cell<'_> {
        match self {
            Self::Text(s) => Cell::Text(s),
            Self::Value(c) => *c,
        }
    }
}

/// Rows handed from the reading thread to the analyser: the text of all cells in one buffer,
/// so a handover costs a few allocations per batch instead of two per row.
#[derive(Default)]
pub(crate) struct RowBatch {
    pub(crate) text: String,
    pub(crate) slots: Vec<Slot>,
    pub(crate) row_ends: Vec<usize>,
}

#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Text(usize, usize),
    Value(Cell<'static>),
}

/// The reading thread hands rows over in batches of about this many cells or text bytes.
/// Each handover may wake the analyser: with about 8,000 rows of a narrow table per batch
/// (instead of 2,048) the three threads wait on each other less, which measured 5 % less wall
/// time on two cores. Counting cells, not rows, bounds a batch whatever the table's width.
pub(crate) const HANDOVER_CELLS: usize = 64 * 1024;
pub(crate) const HANDOVER_BYTES: usize = 1 << 20;
/// Batches waiting for the analyser.
pub(crate) const ROWS_QUEUED: usize = 4;
/// Converted batches waiting for the encoder.
pub(crate) const ARRAYS_QUEUED: usize = 4;

impl RowBatch {
    pub(crate) fn with_capacity_of(other: &RowBatch) -> Self {
        Self {
            text: String::with_capacity(other.text.capacity()),
            slots: Vec::with_capacity(other.slots.capacity()),
            row_ends: Vec::with_capacity(other.row_ends.capacity()),
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.row_ends.len()
    }

    pub(crate) fn push(&mut self, cells: &[Cell<'_>]) {
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

    pub(crate) fn each_row(
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
