//! GeoPackage export (OGC 12-128, version 1.4): one feature table `features` in WGS 84 with
//! the table's attributes as typed columns and the `_id` as feature id, and the R-tree spatial
//! index extension (`gpkg_rtree_index`), so GIS clients filter by extent without scanning.
//! SQLite needs a file, so the package is built in a temporary directory and then streamed.

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
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE VIRTUAL TABLE rtree_features_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO gpkg_extensions VALUES ('features', 'geom', 'gpkg_rtree_index',
  'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
"#;

/// The triggers the R-tree extension requires (spec 1.4, annex F.3), so that a client editing
/// the package keeps its index right. They are created after the rows are in: they call the
/// `ST_*` functions a GeoPackage client provides, which plain SQLite here does not have.
const RTREE_TRIGGERS: &str = r#"
CREATE TRIGGER rtree_features_geom_insert AFTER INSERT ON features
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_features_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_features_geom_update2 AFTER UPDATE OF geom ON features
  WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
END;
CREATE TRIGGER rtree_features_geom_update4 AFTER UPDATE ON features
  WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER rtree_features_geom_update5 AFTER UPDATE ON features
  WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
  INSERT OR REPLACE INTO rtree_features_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_features_geom_update6 AFTER UPDATE OF geom ON features
  WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
    AND (OLD.geom NOTNULL AND NOT ST_IsEmpty(OLD.geom))
BEGIN
  UPDATE rtree_features_geom SET minx = ST_MinX(NEW.geom), maxx = ST_MaxX(NEW.geom),
    miny = ST_MinY(NEW.geom), maxy = ST_MaxY(NEW.geom) WHERE id = NEW.fid;
END;
CREATE TRIGGER rtree_features_geom_update7 AFTER UPDATE OF geom ON features
  WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
    AND (OLD.geom ISNULL OR ST_IsEmpty(OLD.geom))
BEGIN
  INSERT INTO rtree_features_geom VALUES (NEW.fid,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom));
END;
CREATE TRIGGER rtree_features_geom_delete AFTER DELETE ON features
  WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_features_geom WHERE id = OLD.fid;
END;
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
        let mut index = tx
            .prepare("INSERT INTO rtree_features_geom VALUES (?1, ?2, ?3, ?4, ?5)")
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
                let (cell, envelope) = match geometry {
                    Some(g) => blob(batch.column(g).as_ref(), row),
                    None => (Sql::Null, None),
                };
                values.push(cell);
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
                if let Some([minx, miny, maxx, maxy]) = envelope {
                    for c in [[minx, miny], [maxx, maxy]] {
                        crate::geo::geometry::extend(&mut bbox, &c);
                    }
                    index
                        .execute(rusqlite::params![
                            tx.last_insert_rowid(),
                            minx,
                            maxx,
                            miny,
                            maxy
                        ])
                        .map_err(sql)?;
                }
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
    tx.execute_batch(RTREE_TRIGGERS).map_err(sql)?;
    tx.commit().map_err(sql)?;
    conn.close().map_err(|(_, e)| sql(e))?;
    std::io::copy(&mut std::fs::File::open(&path)?, w)?;
    Ok(())
}

/// A WKB cell as a GeoPackage geometry: `GP`, version 0, flags (little-endian, an xy
/// envelope, or "empty"), SRS 4326, envelope (min x, max x, min y, max y), then the WKB;
/// with the envelope (min x, min y, max x, max y) of a geometry that is not empty.
fn blob(column: &dyn Array, row: usize) -> (Sql, Option<[f64; 4]>) {
    let Some(a) = column.as_binary_opt::<i32>() else {
        return (Sql::Null, None);
    };
    if a.is_null(row) {
        return (Sql::Null, None);
    }
    let wkb = a.value(row);
    let Ok(g) = Geometry::from_wkb(wkb) else {
        return (Sql::Null, None);
    };
    let mut envelope = None;
    let mut out = vec![b'G', b'P', 0];
    match g.bbox() {
        Some([minx, miny, maxx, maxy]) if !g.is_empty() => {
            out.push(0b0000_0011);
            out.extend_from_slice(&4326i32.to_le_bytes());
            for v in [minx, maxx, miny, maxy] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            envelope = Some([minx, miny, maxx, maxy]);
        }
        _ => {
            out.push(0b0001_0001);
            out.extend_from_slice(&4326i32.to_le_bytes());
        }
    }
    out.extend_from_slice(wkb);
    (Sql::Blob(out), envelope)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{BinaryArray, Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    /// Three features (a point, a line, no geometry) and an empty polygon: the index holds the
    /// two that have an extent, with their envelopes, and answers a window query.
    #[test]
    fn spatial_index_holds_every_extent() {
        let geometries = [
            Some(Geometry::Point([10.0933, 48.8378]).to_wkb()),
            Some(Geometry::LineString(vec![[10.15, 48.67], [10.16, 48.68]]).to_wkb()),
            None,
            Some(Geometry::Polygon(vec![]).to_wkb()),
        ];
        let schema = Arc::new(Schema::new(vec![
            Field::new(ROW_ID, DataType::Int64, false),
            Field::new("geometry", DataType::Binary, true),
            Field::new("Name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![7, 8, 9, 10])),
                Arc::new(BinaryArray::from_iter(
                    geometries.iter().map(|g| g.as_deref()),
                )),
                Arc::new(StringArray::from(vec![
                    "Marktplatz",
                    "Brenz",
                    "ohne",
                    "leer",
                ])),
            ],
        )
        .unwrap();
        let mut out = Vec::new();
        write_gpkg(schema, std::iter::once(batch), &mut out).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        std::fs::write(&path, &out).unwrap();
        let conn = rusqlite::Connection::open(&path).unwrap();
        let registered: String = conn
            .query_row(
                "SELECT scope FROM gpkg_extensions WHERE table_name = 'features'
                   AND column_name = 'geom' AND extension_name = 'gpkg_rtree_index'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(registered, "write-only");
        let entries: Vec<(i64, f64, f64, f64, f64)> = conn
            .prepare("SELECT id, minx, maxx, miny, maxy FROM rtree_features_geom ORDER BY id")
            .unwrap()
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(entries.len(), 2, "{entries:?}");
        // The R-tree keeps 32-bit bounds, rounded outwards.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-5;
        assert_eq!(entries[0].0, 7);
        assert!(close(entries[0].1, 10.0933) && close(entries[0].3, 48.8378));
        assert_eq!(entries[1].0, 8);
        assert!(close(entries[1].1, 10.15) && close(entries[1].2, 10.16));
        assert!(close(entries[1].3, 48.67) && close(entries[1].4, 48.68));
        let in_window: Vec<String> = conn
            .prepare(
                "SELECT f.Name FROM features f JOIN rtree_features_geom r ON r.id = f.fid
                 WHERE r.maxx >= 10.0 AND r.minx <= 10.1 AND r.maxy >= 48.8 AND r.miny <= 48.9",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(in_window, ["Marktplatz"]);
        // The maintenance triggers are there for clients that edit the package.
        let triggers: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'
                   AND name LIKE 'rtree_features_geom_%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(triggers, 7);
    }
}
