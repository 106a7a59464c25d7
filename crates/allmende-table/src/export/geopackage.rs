//! GeoPackage export (OGC 12-128, version 1.4): one feature table `features` in WGS 84 with
//! the table's attributes as typed columns and the `_id` as feature id. SQLite needs a file,
//! so the package is built in a temporary directory and then streamed.

use std::io::Write;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, SchemaRef};
use rusqlite::types::Value as Sql;

use crate::cells::ColumnWriter;
use crate::geo::Geometry;
use crate::snapshot::ROW_ID;

/// The name of the one feature table.
const TABLE: &str = "features";

const SCHEMA: &str = r#"
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10400;
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
  description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326, 'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]', 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"#;

fn sql(e: rusqlite::Error) -> std::io::Error {
    std::io::Error::other(format!("GeoPackage: {e}"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

pub(super) fn write_gpkg(
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
    w: &mut impl Write,
) -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("export.gpkg");
    let fields = schema.fields();
    let geometry = fields
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let id = fields.iter().position(|f| f.name() == ROW_ID);
    let attributes: Vec<usize> = (0..fields.len())
        .filter(|&i| Some(i) != geometry && Some(i) != id)
        .collect();
    let mut conn = rusqlite::Connection::open(&path).map_err(sql)?;
    conn.execute_batch(SCHEMA).map_err(sql)?;
    let mut columns = vec![
        "fid INTEGER PRIMARY KEY AUTOINCREMENT".to_string(),
        "geom GEOMETRY".to_string(),
    ];
    for &i in &attributes {
        let kind = match fields[i].data_type() {
            DataType::Int64 => "INTEGER",
            DataType::Float64 => "REAL",
            DataType::Boolean => "BOOLEAN",
            DataType::Date32 => "DATE",
            _ => "TEXT",
        };
        // SQLite compares column names without case; `fid` and `geom` are taken.
        let mut name = fields[i].name().clone();
        while ["fid", "geom"].contains(&name.to_lowercase().as_str()) {
            name.push('_');
        }
        columns.push(format!("{} {kind}", quoted(&name)));
    }
    conn.execute_batch(&format!(
        "CREATE TABLE {TABLE} ({});
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
           VALUES ('{TABLE}', 'features', '{TABLE}', 4326);
         INSERT INTO gpkg_geometry_columns VALUES ('{TABLE}', 'geom', 'GEOMETRY', 4326, 0, 0);",
        columns.join(", ")
    ))
    .map_err(sql)?;
    let tx = conn.transaction().map_err(sql)?;
    let mut bbox: Option<[f64; 4]> = None;
    {
        let placeholders: Vec<String> = (1..=attributes.len() + 2)
            .map(|i| format!("?{i}"))
            .collect();
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO {TABLE} VALUES ({})",
                placeholders.join(", ")
            ))
            .map_err(sql)?;
        let mut values: Vec<Sql> = Vec::with_capacity(attributes.len() + 2);
        let mut text = Vec::new();
        let mut scratch = Vec::new();
        for batch in batches {
            let writers = ColumnWriter::of_batch(&batch);
            for row in 0..batch.num_rows() {
                values.clear();
                values.push(match id {
                    Some(i) => batch
                        .column(i)
                        .as_primitive_opt::<Int64Type>()
                        .filter(|a| !a.is_null(row))
                        .map_or(Sql::Null, |a| Sql::Integer(a.value(row))),
                    None => Sql::Null,
                });
                values.push(match geometry {
                    Some(g) => blob(batch.column(g).as_ref(), row, &mut bbox),
                    None => Sql::Null,
                });
                for &c in &attributes {
                    let a = batch.column(c);
                    values.push(if a.is_null(row) {
                        Sql::Null
                    } else {
                        match a.data_type() {
                            DataType::Int64 => {
                                Sql::Integer(a.as_primitive::<Int64Type>().value(row))
                            }
                            DataType::Float64 => {
                                let v = a.as_primitive::<Float64Type>().value(row);
                                if v.is_finite() {
                                    Sql::Real(v)
                                } else {
                                    Sql::Null
                                }
                            }
                            DataType::Boolean => Sql::Integer(i64::from(a.as_boolean().value(row))),
                            // Dates as `YYYY-MM-DD` (the DATE form), the rest as text.
                            _ => {
                                text.clear();
                                writers[c].plain(&mut text, row, &mut scratch);
                                Sql::Text(String::from_utf8_lossy(&text).into_owned())
                            }
                        }
                    });
                }
                insert
                    .execute(rusqlite::params_from_iter(values.iter()))
                    .map_err(sql)?;
            }
        }
    }
    if let Some([minx, miny, maxx, maxy]) = bbox {
        tx.execute(
            &format!("UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4 WHERE table_name = '{TABLE}'"),
            rusqlite::params![minx, miny, maxx, maxy],
        )
        .map_err(sql)?;
    }
    tx.commit().map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    std::io::copy(&mut std::fs::File::open(&path)?, w)?;
    Ok(())
}

/// A WKB cell as a GeoPackage geometry: `GP`, version 0, flags (little-endian, an xy
/// envelope, or "empty"), SRS 4326, envelope (min x, max x, min y, max y), then the WKB.
fn blob(column: &dyn Array, row: usize, bbox: &mut Option<[f64; 4]>) -> Sql {
    let Some(a) = column.as_binary_opt::<i32>() else {
        return Sql::Null;
    };
    if a.is_null(row) {
        return Sql::Null;
    }
    let wkb = a.value(row);
    let Ok(g) = Geometry::from_wkb(wkb) else {
        return Sql::Null;
    };
    let mut out = vec![b'G', b'P', 0];
    match g.bbox() {
        Some([minx, miny, maxx, maxy]) if !g.is_empty() => {
            out.push(0b0000_0011);
            out.extend_from_slice(&4326i32.to_le_bytes());
            for v in [minx, maxx, miny, maxy] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for c in [[minx, miny], [maxx, maxy]] {
                crate::geo::geometry::extend(bbox, &c);
            }
        }
        _ => {
            out.push(0b0001_0001);
            out.extend_from_slice(&4326i32.to_le_bytes());
        }
    }
    out.extend_from_slice(wkb);
    Sql::Blob(out)
}
