//! GeoPackage (OGC 12-128r18): an SQLite file whose `gpkg_contents` lists feature tables,
//! `gpkg_geometry_columns` their geometry column and `gpkg_spatial_ref_sys` their CRS.
//! One layer becomes the table (the first by name, or the one the publisher names).
//!
//! The file comes from a stranger, so it is opened read-only and immutable, with untrusted
//! schema, and only plain tables are read, by their stored columns: a view or a generated
//! column could make reading it cost any amount of time or memory.

use std::path::Path;

use allmende_core::i18n::Msg;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};

use super::crs::Crs;
use super::features::{Converted, FeatureFile};
use super::geometry::Geometry;
use crate::IngestError;
use crate::ingest::options::{IngestOptions, Limits};

fn bad(e: impl std::fmt::Display) -> IngestError {
    IngestError::Data(Msg::new("geo.gpkg_bad").arg("reason", e))
}

struct Layer {
    table: String,
    geometry: String,
    srs_id: i64,
}

pub(crate) fn convert(
    input: &Path,
    options: &IngestOptions,
    limits: Limits,
    out: &Path,
) -> Result<Converted, IngestError> {
    let path = input.to_string_lossy();
    let uri = format!(
        "file:{}?immutable=1",
        path.replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23")
    );
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(bad)?;
    conn.execute_batch("PRAGMA trusted_schema = OFF;")
        .map_err(bad)?;
    let layers: Vec<Layer> = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(Layer {
                    table: r.get(0)?,
                    geometry: r.get(1)?,
                    srs_id: r.get(2)?,
                })
            })?
            .collect()
        })
        .map_err(|_| IngestError::Data(Msg::new("geo.gpkg_no_layers")))?;
    let layer = match options.sheet.as_deref() {
        Some(wanted) => layers.iter().find(|l| l.table == wanted).ok_or_else(|| {
            IngestError::Data(
                Msg::new("geo.no_such_layer").arg("layer", wanted).arg(
                    "layers",
                    layers
                        .iter()
                        .map(|l| l.table.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            )
        })?,
        None => layers
            .first()
            .ok_or_else(|| IngestError::Data(Msg::new("geo.gpkg_no_layers")))?,
    };
    let mut converted = Converted::default();
    converted
        .dialect
        .insert("layer".into(), layer.table.clone().into());
    if layers.len() > 1 {
        converted.warnings.push(
            Msg::new("geo.other_layers")
                .arg("layer", &layer.table)
                .arg("n", layers.len() - 1),
        );
    }
    let kind: String = conn
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = ?1",
            [&layer.table],
            |r| r.get(0),
        )
        .map_err(bad)?;
    if kind != "table" {
        return Err(IngestError::Data(
            Msg::new("geo.gpkg_not_a_table").arg("layer", &layer.table),
        ));
    }
    let crs = srs_name(&conn, layer.srs_id)?;
    // Stored columns only (`hidden` is 0; generated columns are 2 and 3). The integer
    // primary key is the feature id, not an attribute (as GDAL and QGIS show it).
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let columns: Vec<String> = conn
        .prepare(&format!("PRAGMA table_xinfo({})", quoted(&layer.table)))
        .and_then(|mut s| {
            s.query_map([], |r| {
                let kind: String = r.get(2)?;
                let fid = r.get::<_, i64>(5)? > 0 && kind.eq_ignore_ascii_case("INTEGER");
                Ok((r.get::<_, String>(1)?, r.get::<_, i64>(6)? == 0 && !fid))
            })?
            .filter_map(|c| match c {
                Ok((name, true)) => Some(Ok(name)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect()
        })
        .map_err(bad)?;
    let geometry_at = columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case(&layer.geometry))
        .ok_or_else(|| bad(format!("geometry column {} missing", layer.geometry)))?;
    let sql = format!(
        "SELECT {} FROM {}",
        columns
            .iter()
            .map(|c| quoted(c))
            .collect::<Vec<_>>()
            .join(", "),
        quoted(&layer.table)
    );
    let mut stmt = conn.prepare(&sql).map_err(bad)?;
    let mut rows = stmt.query([]).map_err(bad)?;
    let mut features = FeatureFile::create(out, crs.as_deref())?;
    let mut props = Map::new();
    let mut n = 0u64;
    let mut dropped_z = false;
    while let Some(row) = rows.next().map_err(bad)? {
        n += 1;
        props.clear();
        let mut geometry = None;
        for (i, name) in columns.iter().enumerate() {
            let v = row.get_ref(i).map_err(bad)?;
            if i == geometry_at {
                if let ValueRef::Blob(b) = v {
                    if b.len() > limits.max_record_bytes {
                        return Err(IngestError::Data(
                            Msg::new("geo.geometry_too_large").arg("feature", n),
                        ));
                    }
                    geometry = gpkg_geometry(b, &mut dropped_z).map_err(|reason| {
                        IngestError::Data(
                            Msg::new("geo.bad_geometry")
                                .arg("feature", n)
                                .arg("reason", reason),
                        )
                    })?;
                }
                continue;
            }
            props.insert(name.clone(), json(v));
        }
        features.push(&props, geometry.as_ref())?;
    }
    features.finish()?;
    if dropped_z {
        converted.warnings.push(Msg::new("geo.dropped_z"));
    }
    Ok(converted)
}

/// The name of a layer's CRS as the GeoJSON path reads it (`None`: undefined).
fn srs_name(conn: &Connection, srs_id: i64) -> Result<Option<String>, IngestError> {
    // 0 and -1 are the "undefined geographic" and "undefined Cartesian" entries.
    if srs_id == 0 || srs_id == -1 {
        return Ok(None);
    }
    let (org, code, definition): (String, i64, String) = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition \
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(bad)?;
    Ok(Some(match org.eq_ignore_ascii_case("EPSG") {
        true => format!("EPSG:{code}"),
        false => match Crs::from_wkt(&definition) {
            Ok(c) => format!("EPSG:{}", c.epsg()),
            Err(name) => name,
        },
    }))
}

fn json(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(x) => serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
        // Binary attributes have no table column type; they are left out.
        ValueRef::Blob(_) => Value::Null,
    }
}

/// A GeoPackage geometry: `GP`, version, flags (byte order, envelope kind, empty), SRS id,
/// envelope, then standard WKB.
fn gpkg_geometry(b: &[u8], dropped_z: &mut bool) -> Result<Option<Geometry>, String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not a GeoPackage geometry".into());
    }
    let flags = b[3];
    let envelope = match (flags >> 1) & 7 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return Err("unknown envelope".into()),
    };
    if flags & 0x10 != 0 {
        return Ok(Some(Geometry::Collection(Vec::new())));
    }
    let wkb = b.get(8 + envelope..).ok_or("cut short")?;
    // ISO type codes 1001–1007 and 3001–3007 carry a Z coordinate, as does the EWKB flag.
    if let Some(t) = wkb.get(1..5) {
        let raw = match wkb[0] {
            0 => u32::from_be_bytes([t[0], t[1], t[2], t[3]]),
            _ => u32::from_le_bytes([t[0], t[1], t[2], t[3]]),
        };
        *dropped_z |= raw & 0x8000_0000 != 0 || matches!((raw & 0xFFFF) / 1000, 1 | 3);
    }
    Geometry::from_wkb(wkb).map(Some).map_err(|e| e.to_string())
}
