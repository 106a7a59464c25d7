//! Geodata: GeoJSON read into spatial tables (attributes typed like any table, the geometry
//! as WKB in WGS 84 longitude/latitude with GeoParquet metadata), the CRS from the file, the
//! publisher or the coordinates' range, and reprojection in pure Rust.

pub mod crs;
mod dbf;
mod features;
mod geojson;
pub mod geometry;
mod gpkg;
mod gpx;
mod intersects;
mod kml;
mod points;
pub mod raster;
pub mod relate;
pub(crate) mod rings;
mod shapefile;
mod spatial;
pub mod udf;
mod xml;

pub use crs::Crs;
pub use geometry::Geometry;
pub use spatial::{GEO_KEY, GEOMETRY, geo_of};

use std::path::Path;

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::ingest::options::{IngestOptions, IngestReport, InputFormat, Limits, Progress};

/// Reads a geo file (GeoJSON, Shapefile ZIP, GeoPackage, KML/KMZ, GPX) into a spatial table
/// at `output`. The other formats are read into a GeoJSON file first (see `features`).
pub(crate) fn ingest_features(
    input: &Path,
    format: InputFormat,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    if format == InputFormat::GeoJson {
        return ingest_geojson(input, format, options, limits, output, progress);
    }
    let dir = output.parent().unwrap_or_else(|| Path::new("."));
    let converted_file = tempfile::NamedTempFile::new_in(dir)?;
    let path = converted_file.path();
    let converted = match format {
        InputFormat::Shapefile => shapefile::convert(input, options, limits, path)?,
        InputFormat::GeoPackage => gpkg::convert(input, options, limits, path)?,
        InputFormat::Kml => kml::convert(input, limits, path)?,
        InputFormat::Gpx => gpx::convert(input, limits, path)?,
        _ => return ingest_geojson(input, format, options, limits, output, progress),
    };
    let mut report = ingest_geojson(path, format, options, limits, output, progress)?;
    report.warnings.extend(converted.warnings);
    if let Some(d) = report.dialect.as_object_mut() {
        d.extend(converted.dialect);
    }
    Ok(report)
}

/// Reads a GeoJSON FeatureCollection into a spatial table at `output`; `format` is what the
/// publisher's file was.
fn ingest_geojson(
    input: &Path,
    format: InputFormat,
    options: &IngestOptions,
    limits: Limits,
    output: &Path,
    progress: Progress<'_>,
) -> Result<IngestReport, IngestError> {
    let dir = output.parent().unwrap_or_else(|| Path::new("."));
    let spill = tempfile::NamedTempFile::new_in(dir)?;
    let attributes = tempfile::NamedTempFile::new_in(dir)?;
    let mut src = geojson::GeoJsonSource::open(
        input,
        limits.max_columns,
        limits.max_record_bytes,
        spill.path(),
    )?;
    let summary = std::mem::take(&mut src.geometries);
    let mut warnings = Vec::new();
    // The CRS: the publisher's choice, else what the file says, else the coordinates' range.
    let (source, how) = match (options.crs.as_deref(), &summary.declared) {
        (Some(given), _) => (
            Crs::parse(given)
                .ok_or_else(|| IngestError::Data(Msg::new("geo.unknown_crs").arg("crs", given)))?,
            "given",
        ),
        (None, Some(Ok(crs))) => (*crs, "declared"),
        (None, Some(Err(name))) => {
            return Err(IngestError::Data(
                Msg::new("geo.unknown_crs").arg("crs", name),
            ));
        }
        (None, None) => match summary.bbox.map(Crs::guess) {
            Some(Some(Crs::Wgs84)) | None => (Crs::Wgs84, "default"),
            Some(Some(crs)) => {
                // GeoJSON without a CRS statement is WGS 84 by RFC 7946; projected values
                // mean someone left it out. Say what was assumed, for the publisher to confirm.
                warnings
                    .push(Msg::new("geo.crs_guessed").arg("crs", format!("EPSG:{}", crs.epsg())));
                (crs, "guessed")
            }
            Some(None) => return Err(IngestError::Data(Msg::new("geo.crs_unrecognised"))),
        },
    };
    let report = crate::ingest::run::run(
        &mut src,
        format,
        serde_json::json!({}),
        options,
        false,
        attributes.path(),
        progress,
        &mut Vec::new(),
    )?;
    // The feature number (column 0 of the attributes) finds each geometry in the spill file.
    let mut features = spatial::SpilledFeatures::open(spill.path())?;
    let (mut report, written) =
        spatial::write_spatial(attributes.path(), &mut features, 1, source, report, output)?;
    report.dialect = serde_json::json!({
        "crs": format!("EPSG:{}", source.epsg()),
        "crs_source": how,
        "features": summary.features,
        "geometry_types": written.kinds,
        "bbox": written.bbox,
    });
    if summary.dropped_z {
        warnings.push(Msg::new("geo.dropped_z"));
    }
    if summary.nulls > 0 {
        warnings.push(Msg::new("geo.without_geometry").arg("n", summary.nulls));
    }
    if summary.empty > 0 {
        warnings.push(Msg::new("geo.empty_geometry").arg("n", summary.empty));
    }
    if written.out_of_range > 0 {
        warnings.push(
            Msg::new("geo.out_of_range")
                .arg("n", written.out_of_range)
                .arg("crs", format!("EPSG:{}", source.epsg())),
        );
    }
    report.warnings.extend(warnings);
    if let Some(privacy) = report.privacy.as_mut() {
        locate_persons(privacy, &report.columns, summary.features - summary.nulls);
    }
    Ok(report)
}

/// Exact places in a table about persons are where those persons live or are: the geometry
/// column gets the finding a coordinate column gets in such a table. Positions count the
/// attribute columns as the file has them (the feature number came first while reading).
fn locate_persons(
    privacy: &mut crate::privacy::PrivacyReport,
    columns: &[crate::column::Column],
    located: u64,
) {
    use crate::privacy::{Basis, Finding, Rule, Severity};
    for f in &mut privacy.findings {
        f.position = f.position.saturating_sub(1);
    }
    let about_persons = privacy
        .findings
        .iter()
        .any(|f| f.severity == Severity::High && f.rule.identifies());
    if !about_persons || located == 0 {
        return;
    }
    let Some(geometry) = columns.last() else {
        return;
    };
    privacy.findings.push(Finding {
        column: geometry.name.clone(),
        position: columns.len() - 1,
        rule: Rule::Coordinates,
        severity: Severity::Medium,
        basis: Basis::Context,
        matched: located,
        share: 1.0,
        examples: Vec::new(),
    });
}

/// A table just written at `output` that has coordinate columns becomes a spatial table in
/// place: its columns stay, a point geometry is added. Tables without them stay as they are.
pub(crate) fn add_points(
    report: IngestReport,
    options: &IngestOptions,
    output: &Path,
) -> Result<IngestReport, IngestError> {
    let given = match options.crs.as_deref() {
        Some(c) => Some(
            Crs::parse(c)
                .ok_or_else(|| IngestError::Data(Msg::new("geo.unknown_crs").arg("crs", c)))?,
        ),
        None => None,
    };
    let Some(found) = points::find(&report.columns, given) else {
        return Ok(report);
    };
    let names = [
        report.columns[found.x].name.clone(),
        report.columns[found.y].name.clone(),
    ];
    let dir = output.parent().unwrap_or_else(|| Path::new("."));
    let table = tempfile::NamedTempFile::new_in(dir)?;
    let mut dialect = report.dialect.clone();
    let (mut report, written) = spatial::write_spatial(
        output,
        &mut points::Points(found),
        0,
        found.crs,
        report,
        table.path(),
    )?;
    table
        .persist(output)
        .map_err(|e| IngestError::Io(e.error))?;
    if found.guessed {
        report
            .warnings
            .push(Msg::new("geo.crs_guessed").arg("crs", format!("EPSG:{}", found.crs.epsg())));
    }
    if written.out_of_range > 0 {
        report.warnings.push(
            Msg::new("geo.out_of_range")
                .arg("n", written.out_of_range)
                .arg("crs", format!("EPSG:{}", found.crs.epsg())),
        );
    }
    if let Some(d) = dialect.as_object_mut() {
        d.insert("coordinates".into(), serde_json::json!(names));
        d.insert("crs".into(), format!("EPSG:{}", found.crs.epsg()).into());
        d.insert("bbox".into(), serde_json::json!(written.bbox));
        d.insert("geometry_types".into(), serde_json::json!(written.kinds));
    }
    report.dialect = dialect;
    Ok(report)
}
