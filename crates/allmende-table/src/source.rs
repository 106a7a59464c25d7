//! Readers that turn a file into rows of cells. Each source can be scanned twice: once to
//! infer types, once to convert.

use crate::IngestError;
use crate::infer::Cell;

pub trait Source {
    /// Column headers as published (before naming and de-duplication).
    fn headers(&self) -> Vec<String>;
    /// Calls `f` for every row below the header, cells in header order (a row may be shorter
    /// or longer than the header).
    fn scan(
        &mut self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError>;
}
