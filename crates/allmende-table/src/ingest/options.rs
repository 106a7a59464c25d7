//! What ingestion takes and gives: input formats, the publisher's options, limits, the report.

use std::collections::BTreeMap;

use allmende_core::i18n::Msg;
use serde::{Deserialize, Serialize};

use crate::column::{self, Column, ColumnType};
use crate::csv::TextEncoding;
use crate::infer::NumberStyle;

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
    /// A GeoJSON FeatureCollection: a spatial table.
    GeoJson,
    /// An ESRI Shapefile as a ZIP of `.shp`, `.dbf`, `.prj`, `.cpg`.
    Shapefile,
    /// One feature layer of a GeoPackage.
    GeoPackage,
    /// KML, or KMZ (a ZIP around a KML).
    Kml,
    Gpx,
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
            "geojson" => Self::GeoJson,
            "gpkg" => Self::GeoPackage,
            "kml" | "kmz" => Self::Kml,
            "gpx" => Self::Gpx,
            _ => return None,
        })
    }

    /// Whether files of this format are geodata (read into a spatial table).
    pub fn is_geo(self) -> bool {
        matches!(
            self,
            Self::GeoJson | Self::Shapefile | Self::GeoPackage | Self::Kml | Self::Gpx
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
            Self::Xls => "XLS",
            Self::Ods => "ODS",
            Self::Json => "JSON",
            Self::Ndjson => "NDJSON",
            Self::Parquet => "Parquet",
            Self::GeoJson => "GeoJSON",
            Self::Shapefile => "Shapefile",
            Self::GeoPackage => "GeoPackage",
            Self::Kml => "KML",
            Self::Gpx => "GPX",
        }
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
    /// The coordinate reference system of a geo file (`EPSG:25832`), where the file does not
    /// say it or says it wrongly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    /// Column types by published name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub types: BTreeMap<String, ColumnType>,
    /// Skip the privacy check. Only for measuring what it costs (`allmende ingest
    /// --without-privacy-check`); never read from a request or a stored version.
    #[serde(skip)]
    pub without_privacy_check: bool,
    /// The operator's privacy rules (the built-in ones when `None`). Set by the process that
    /// reads the file from its configuration; never from a request.
    #[serde(skip)]
    pub privacy_rules: Option<std::sync::Arc<crate::privacy::PrivacyRules>>,
}

impl IngestOptions {
    /// The rules of the privacy check, or `None` when it is skipped.
    pub fn privacy_check(&self) -> Option<std::sync::Arc<crate::privacy::PrivacyRules>> {
        (!self.without_privacy_check).then(|| {
            self.privacy_rules
                .clone()
                .unwrap_or_else(crate::privacy::PrivacyRules::builtin)
        })
    }

    pub fn validate(&self) -> Result<(), Msg> {
        if let Some(e) = &self.encoding
            && TextEncoding::parse(e).is_none()
        {
            return Err(Msg::new("ingest.unknown_encoding").arg("encoding", e));
        }
        if let Some(d) = &self.delimiter
            && delimiter_byte(d).is_none()
        {
            return Err(Msg::new("ingest.bad_delimiter").arg("delimiter", d));
        }
        if let Some(c) = &self.crs
            && crate::geo::crs::Crs::parse(c).is_none()
        {
            return Err(Msg::new("geo.unknown_crs").arg("crs", c));
        }
        Ok(())
    }
}

pub(crate) fn delimiter_byte(d: &str) -> Option<u8> {
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
    pub warnings: Vec<Msg>,
    /// The privacy check over every row (absent in reports of versions before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<crate::privacy::PrivacyReport>,
}

impl IngestReport {
    pub fn table_schema(&self) -> serde_json::Value {
        column::table_schema(&self.columns)
    }
}

/// Progress: the phase (`analyse`, `convert`) and the rows done so far.
pub type Progress<'a> = &'a (dyn Fn(&str, u64) + Sync);
