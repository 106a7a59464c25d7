//! The export formats and how an export is written.

use std::time::Duration;

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
    /// A FeatureCollection (RFC 7946, WGS 84, or another CRS by `ExportOptions::crs`):
    /// for spatial tables, as are the formats below.
    GeoJson,
    Kml,
    /// Points as waypoints, lines as tracks: offered for tables of points or of lines.
    Gpx,
    /// A GeoPackage with one feature table (`features`) in WGS 84.
    GeoPackage,
    /// A ZIP of `.shp`, `.shx`, `.dbf` (UTF-8), `.cpg`, `.prj`: for tables of one geometry
    /// family (points, lines or areas).
    Shapefile,
    /// FlatGeobuf (binary, streamable, typed attributes), WGS 84, without a spatial index.
    FlatGeobuf,
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
            "kml" => Self::Kml,
            "gpx" => Self::Gpx,
            "gpkg" | "geopackage" => Self::GeoPackage,
            "shp" | "shapefile" => Self::Shapefile,
            "fgb" | "flatgeobuf" => Self::FlatGeobuf,
            _ => return None,
        })
    }

    /// The formats a table with these columns is offered in: for spatial ones the GIS
    /// formats too, those that can hold its geometry types (from the ingestion's dialect).
    pub fn offered(
        columns: &[crate::column::Column],
        dialect: &serde_json::Value,
    ) -> Vec<ExportFormat> {
        let mut all = Self::ALL.to_vec();
        if !columns
            .iter()
            .any(|c| c.kind == crate::column::ColumnType::Geometry)
        {
            return all;
        }
        let kinds: Vec<&str> = dialect["geometry_types"]
            .as_array()
            .map(|k| k.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let family = |names: &[&str]| !kinds.is_empty() && kinds.iter().all(|k| names.contains(k));
        let points = family(&["Point", "MultiPoint"]);
        let lines = family(&["LineString", "MultiLineString"]);
        let areas = family(&["Polygon", "MultiPolygon"]);
        let mut geo = vec![Self::GeoJson, Self::GeoPackage, Self::FlatGeobuf];
        if points || lines || areas {
            geo.push(Self::Shapefile);
        }
        geo.push(Self::Kml);
        if points || lines {
            geo.push(Self::Gpx);
        }
        geo.append(&mut all);
        geo
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
            Self::Kml => "kml",
            Self::Gpx => "gpx",
            Self::GeoPackage => "gpkg",
            Self::Shapefile => "shp",
            Self::FlatGeobuf => "fgb",
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
            Self::Kml => "application/vnd.google-earth.kml+xml",
            Self::Gpx => "application/gpx+xml",
            Self::GeoPackage => "application/geopackage+sqlite3",
            Self::Shapefile => "application/zip",
            Self::FlatGeobuf => "application/flatgeobuf",
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
            Self::Kml => ".kml",
            Self::Gpx => ".gpx",
            Self::GeoPackage => ".gpkg",
            Self::Shapefile => "-shp.zip",
            Self::FlatGeobuf => ".fgb",
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
            Self::Kml => "KML",
            Self::Gpx => "GPX",
            Self::GeoPackage => "GPKG",
            Self::Shapefile => "SHP",
            // The EU vocabulary has no FlatGeobuf yet.
            Self::FlatGeobuf => "BIN",
        }
    }
}

/// How an export is written.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// CSV text cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
    /// carriage return first) get a leading `'`, as OWASP recommends.
    pub guard_formulas: bool,
    /// Longest wait for the query's next rows; then the export fails (a query must keep
    /// producing, however long the whole file takes).
    pub idle: Duration,
    /// The CRS of a GeoJSON export's coordinates (`None`: WGS 84 longitude/latitude, as
    /// RFC 7946 has it); other formats are WGS 84 always.
    pub crs: Option<crate::geo::Crs>,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            guard_formulas: true,
            idle: Duration::from_secs(600),
            crs: None,
        }
    }
}
