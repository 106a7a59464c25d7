//! Streaming exports of query results: CSV (UTF-8, and the "Excel (DE)" dialect with `;`,
//! decimal comma and BOM), JSON, NDJSON, XLSX with typed cells, Parquet; for spatial tables
//! GeoJSON, KML, GPX, GeoPackage, Shapefile, FlatGeobuf and GeoParquet. Batches flow through a
//! bounded channel, so memory stays flat however large the result; dropping the receiver stops
//! the query.

mod binary;
mod flatgeobuf;
mod format;
mod geopackage;
mod markup;
mod run;
mod shapefile;
mod sink;
mod text;

pub use crate::cells::CsvStyle;
pub use format::{ExportFormat, ExportOptions, XLSX_MAX_ROWS};
pub use run::{export, write};
pub use sink::{Chunk, ExportBody, ExportSink, channel};
pub use text::write_csv_rows;
