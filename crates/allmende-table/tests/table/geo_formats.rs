//! Shapefile ZIPs, GeoPackages, KML/KMZ and GPX into spatial tables: a real Shapefile set from
//! Münster (Gauß-Krüger, UTF-8), and files built here in each format's own layout (Windows-1252
//! DBF, GeoPackage with a view and a generated column, KML with folders and extended data, GPX
//! with all three kinds). Hostile files get a message, never a panic or unbounded work.

use super::geo::{geometries, near};
use super::*;
use allmende_table::IngestError;
use allmende_table::geo::Geometry;

/// Aalen's market square: WGS 84 and ETRS89 / UTM 32N (PROJ's cs2cs).
const AALEN: (f64, f64) = (10.0933, 48.8378);
const AALEN_UTM: (f64, f64) = (580225.4211, 5410001.3090);

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    let mut z = zip::ZipWriter::new(&mut out);
    for (name, data) in entries {
        z.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap();
    out.into_inner()
}

fn message(result: Result<Loaded, IngestError>) -> String {
    match result {
        Err(IngestError::Data(m)) => m.to_string(),
        Err(e) => e.to_string(),
        Ok(l) => panic!("read: {:?}", l.names()),
    }
}

fn warnings(l: &Loaded) -> Vec<String> {
    l.report.warnings.iter().map(|m| m.to_string()).collect()
}

/// The Münster set as a publisher zips it, without the extensions in `leave_out`.
fn muenster_zip(leave_out: &[&str]) -> Vec<u8> {
    let dir = real("muenster_kommunalwahlbezirke_gk3_shp");
    let files: Vec<(String, Vec<u8>)> = ["shp", "shx", "dbf", "prj", "cpg", "qpj"]
        .iter()
        .filter(|e| !leave_out.contains(e))
        .map(|e| {
            let name = format!("33 KommunalwahlbezirkeGK3.{e}");
            let bytes = std::fs::read(dir.join(&name)).unwrap();
            (format!("Wahlbezirke/{name}"), bytes)
        })
        .collect();
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), &b[..])).collect();
    zip_of(&entries)
}

/// Münster's election district boundaries: Gauß-Krüger zone 3 named in ESRI WKT without a
/// code, UTF-8 attributes by the `.cpg`, polylines.
#[test]
fn real_shapefile_in_gauss_krueger() {
    let l = load_bytes(&muenster_zip(&[]), "wahlbezirke.zip");
    assert_eq!(l.report.format, allmende_table::InputFormat::Shapefile);
    assert_eq!(l.report.rows, 33);
    assert_eq!(l.report.dialect["crs"], "EPSG:31467");
    assert_eq!(l.report.dialect["crs_source"], "declared");
    assert_eq!(l.report.dialect["encoding"], "UTF-8");
    assert_eq!(l.report.dialect["layer"], "33 KommunalwahlbezirkeGK3");
    assert_eq!(l.kind("BEZIRKNAME"), ColumnType::Text);
    assert_eq!(l.kind("geometry"), ColumnType::Geometry);
    let g = geometries(&l);
    assert!(
        g.iter().all(|g| matches!(
            g,
            Some(Geometry::LineString(_) | Geometry::MultiLineString(_))
        )),
        "{:?}",
        g.first()
    );
    // Münster, in longitude/latitude.
    let b = &l.report.dialect["bbox"];
    let b: Vec<f64> = serde_json::from_value(b.clone()).unwrap();
    assert!(
        b[0] > 7.45 && b[2] < 7.8 && b[1] > 51.8 && b[3] < 52.1,
        "{b:?}"
    );
    assert!(warnings(&l).is_empty(), "{:?}", warnings(&l));
}

#[test]
fn incomplete_shapefile_sets() {
    let m = message(try_bytes(
        &muenster_zip(&["dbf"]),
        "w.zip",
        &Default::default(),
    ));
    assert!(m.contains(".dbf-Datei"), "{m}");
    // Without .prj the CRS comes from the coordinates' range, and the publisher is told.
    let l = try_bytes(&muenster_zip(&["prj"]), "w.zip", &Default::default()).unwrap();
    assert_eq!(l.report.dialect["crs"], "EPSG:31467");
    assert_eq!(l.report.dialect["crs_source"], "guessed");
    let w = warnings(&l);
    assert!(w.iter().any(|m| m.contains(".prj-Datei")), "{w:?}");
    // Without .cpg the DBF is Windows-1252 (this one is ASCII in its names).
    let l = try_bytes(&muenster_zip(&["cpg", "shx"]), "w.zip", &Default::default()).unwrap();
    assert_eq!(l.report.rows, 33);
    assert_eq!(l.report.dialect["encoding"], "windows-1252");
    // A ZIP without .shp is not a table at all.
    let m = message(try_bytes(
        &muenster_zip(&["shp"]),
        "w.zip",
        &Default::default(),
    ));
    assert!(m.contains("ZIP"), "{m}");
    // A .shp cut short.
    let dir = real("muenster_kommunalwahlbezirke_gk3_shp");
    let shp = std::fs::read(dir.join("33 KommunalwahlbezirkeGK3.shp")).unwrap();
    let dbf = std::fs::read(dir.join("33 KommunalwahlbezirkeGK3.dbf")).unwrap();
    let cut = zip_of(&[("a.shp", &shp[..shp.len() / 2]), ("a.dbf", &dbf)]);
    let m = message(try_bytes(&cut, "a.zip", &Default::default()));
    assert!(m.contains("beschädigt"), "{m}");
}

/// A `.shp` of points (shape type 1) in the layout of the ESRI white paper.
fn shp_points(points: &[(f64, f64)]) -> Vec<u8> {
    let mut records = Vec::new();
    for (i, (x, y)) in points.iter().enumerate() {
        records.extend_from_slice(&(i as i32 + 1).to_be_bytes());
        records.extend_from_slice(&10i32.to_be_bytes()); // 20 bytes of content
        records.extend_from_slice(&1i32.to_le_bytes());
        records.extend_from_slice(&x.to_le_bytes());
        records.extend_from_slice(&y.to_le_bytes());
    }
    let mut out = Vec::new();
    out.extend_from_slice(&9994i32.to_be_bytes());
    out.extend_from_slice(&[0u8; 20]);
    out.extend_from_slice(&(((100 + records.len()) / 2) as i32).to_be_bytes());
    out.extend_from_slice(&1000i32.to_le_bytes());
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&[0u8; 64]);
    out.extend_from_slice(&records);
    out
}

/// A dBASE III table; `records` are (deleted, field values as stored).
fn dbf(fields: &[(&str, u8, u8, u8)], records: &[(bool, Vec<&[u8]>)]) -> Vec<u8> {
    let record_len: usize = 1 + fields.iter().map(|f| f.2 as usize).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    let mut out = vec![0x03, 124, 12, 31];
    out.extend_from_slice(&(records.len() as u32).to_le_bytes());
    out.extend_from_slice(&(header_len as u16).to_le_bytes());
    out.extend_from_slice(&(record_len as u16).to_le_bytes());
    out.extend_from_slice(&[0u8; 20]);
    for (name, kind, len, decimals) in fields {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = *kind;
        d[16] = *len;
        d[17] = *decimals;
        out.extend_from_slice(&d);
    }
    out.push(0x0d);
    for (deleted, values) in records {
        out.push(if *deleted { b'*' } else { b' ' });
        for (v, f) in values.iter().zip(fields) {
            let mut cell = v.to_vec();
            cell.resize(f.2 as usize, b' ');
            out.extend_from_slice(&cell);
        }
    }
    out.push(0x1a);
    out
}

/// Built in the layout ArcGIS writes: no `.cpg` (so Windows-1252), numbers right-aligned,
/// dates as YYYYMMDD, a deleted record, UTM 32N named in ESRI WKT.
#[test]
fn built_point_shapefile_in_windows_1252() {
    let shp = shp_points(&[AALEN_UTM, (580300.0, 5410100.0), (0.0, 0.0)]);
    let fields = [
        ("NAME", b'C', 20, 0),
        ("ANZAHL", b'N', 5, 0),
        ("WERT", b'N', 8, 2),
        ("DATUM", b'D', 8, 0),
        ("AKTIV", b'L', 1, 0),
    ];
    let records = [
        (
            false,
            vec![
                &b"Marktplatz Stra\xdfe"[..],
                b"   12",
                b"    1.50",
                b"20241231",
                b"T",
            ],
        ),
        (
            false,
            vec![
                &b"M\xfchlgraben"[..],
                b"    3",
                b"   17.25",
                b"20240101",
                b"F",
            ],
        ),
        (
            true,
            vec![&b"gel\xf6scht"[..], b"    1", b"1", b"20240101", b"T"],
        ),
    ];
    let prj = br#"PROJCS["ETRS_1989_UTM_Zone_32N",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",9.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let bytes = zip_of(&[
        ("Baeume.shp", &shp),
        ("Baeume.dbf", &dbf(&fields, &records)),
        ("Baeume.prj", prj),
    ]);
    let l = load_bytes(&bytes, "baeume.zip");
    assert_eq!(l.report.rows, 2, "the deleted record is left out");
    assert_eq!(l.report.dialect["crs"], "EPSG:25832");
    assert_eq!(l.kind("ANZAHL"), ColumnType::Integer);
    assert_eq!(l.kind("DATUM"), ColumnType::Date);
    assert_eq!(l.kind("AKTIV"), ColumnType::Boolean);
    let names: Vec<&str> = l
        .batch
        .column(l.idx("NAME"))
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap())
        .collect();
    assert_eq!(names, ["Marktplatz Straße", "Mühlgraben"]);
    let g = geometries(&l);
    assert!(near(&g[0], AALEN.0, AALEN.1), "{g:?}");
}

/// A GeoPackage built as the standard lays it out: two feature layers (one a view), a
/// generated column, UTM 32N in `gpkg_spatial_ref_sys`, geometry blobs with and without an
/// envelope, and an empty geometry.
fn geopackage(path: &Path) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA application_id = 1196444487;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT, srs_id INTEGER PRIMARY KEY,
           organization TEXT, organization_coordsys_id INTEGER, definition TEXT, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('ETRS89 / UTM zone 32N', 25832, 'EPSG', 25832, 'PROJCS[\"ETRS89 / UTM zone 32N\"]', NULL);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT, identifier TEXT, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, geometry_type_name TEXT, srs_id INTEGER, z INTEGER, m INTEGER);
         CREATE TABLE ladesaeulen (fid INTEGER PRIMARY KEY, geom BLOB, betreiber TEXT, punkte INTEGER,
           leistung_kw REAL, doppelt INTEGER GENERATED ALWAYS AS (punkte * 2) VIRTUAL);
         CREATE VIEW v_ladesaeulen AS SELECT * FROM ladesaeulen;
         INSERT INTO gpkg_contents VALUES ('ladesaeulen', 'features', 'Ladesäulen', 25832);
         INSERT INTO gpkg_contents VALUES ('v_ladesaeulen', 'features', 'Sicht', 25832);
         INSERT INTO gpkg_geometry_columns VALUES ('ladesaeulen', 'geom', 'POINT', 25832, 0, 0);
         INSERT INTO gpkg_geometry_columns VALUES ('v_ladesaeulen', 'geom', 'POINT', 25832, 0, 0);",
    )
    .unwrap();
    let point = |x: f64, y: f64, envelope: bool| {
        let mut b = vec![b'G', b'P', 0, if envelope { 0b011 } else { 0b001 }];
        b.extend_from_slice(&25832i32.to_le_bytes());
        if envelope {
            for v in [x, x, y, y] {
                b.extend_from_slice(&v.to_le_bytes());
            }
        }
        b.push(1);
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&x.to_le_bytes());
        b.extend_from_slice(&y.to_le_bytes());
        b
    };
    let empty = vec![
        b'G', b'P', 0, 0b10001, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0, 0, 0,
        0, 0, 0, 0xf8, 0x7f,
    ];
    let mut insert = c
        .prepare("INSERT INTO ladesaeulen (geom, betreiber, punkte, leistung_kw) VALUES (?1, ?2, ?3, ?4)")
        .unwrap();
    insert
        .execute(rusqlite::params![
            point(AALEN_UTM.0, AALEN_UTM.1, false),
            "Stadtwerke Aalen",
            2,
            22.0
        ])
        .unwrap();
    insert
        .execute(rusqlite::params![
            point(580400.0, 5410200.0, true),
            "EnBW",
            4,
            150.5
        ])
        .unwrap();
    insert
        .execute(rusqlite::params![
            empty,
            "geplant",
            1,
            rusqlite::types::Null
        ])
        .unwrap();
}

#[test]
fn geopackage_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("laden.gpkg");
    geopackage(&path);
    let l = load_path(&path, "laden.gpkg", &Default::default()).unwrap();
    assert_eq!(l.report.format, allmende_table::InputFormat::GeoPackage);
    assert_eq!(l.report.rows, 3);
    assert_eq!(l.report.dialect["layer"], "ladesaeulen");
    assert_eq!(l.report.dialect["crs"], "EPSG:25832");
    assert_eq!(l.kind("punkte"), ColumnType::Integer);
    assert!(
        !l.names().iter().any(|n| n == "doppelt"),
        "generated columns are not read"
    );
    assert!(
        !l.names().iter().any(|n| n == "geom" || n == "fid"),
        "{:?}",
        l.names()
    );
    let g = geometries(&l);
    assert!(near(&g[0], AALEN.0, AALEN.1), "{g:?}");
    assert!(g[1].is_some());
    let w = warnings(&l);
    assert!(
        w.iter()
            .any(|m| m.contains("„ladesaeulen“") && m.contains("1 weitere")),
        "{w:?}"
    );
    assert!(w.iter().any(|m| m.contains("leere Geometrie")), "{w:?}");
    // A view is not read; a layer that is not there is named with those that are.
    let view = IngestOptions {
        sheet: Some("v_ladesaeulen".into()),
        ..Default::default()
    };
    assert!(message(load_path(&path, "laden.gpkg", &view)).contains("Sicht"));
    let nope = IngestOptions {
        sheet: Some("baeume".into()),
        ..Default::default()
    };
    let m = message(load_path(&path, "laden.gpkg", &nope));
    assert!(m.contains("ladesaeulen, v_ladesaeulen"), "{m}");
    // Not a GeoPackage inside: an SQLite file of something else.
    let other = dir.path().join("x.gpkg");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (a);")
        .unwrap();
    assert!(message(load_path(&other, "x.gpkg", &Default::default())).contains("keine Ebene"));
}

const KML: &str = r##"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document><name>Freizeit</name>
<Folder><name>Spielplätze</name>
  <Placemark><name>Spielplatz Stadtgarten &amp; Wasserspiel</name>
    <description><![CDATA[<p>Mit <b>Wasserspiel</b></p>]]></description>
    <ExtendedData><Data name="Fläche"><value>1200</value></Data></ExtendedData>
    <Point><coordinates>10.0933,48.8378,0</coordinates></Point>
  </Placemark>
  <Placemark><name>Bolzplatz</name>
    <ExtendedData><SchemaData schemaUrl="#s"><SimpleData name="Fläche">800</SimpleData></SchemaData></ExtendedData>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      10.09,48.83 10.10,48.83 10.10,48.84 10.09,48.84 10.09,48.83
    </coordinates></LinearRing></outerBoundaryIs>
    <innerBoundaryIs><LinearRing><coordinates>10.093,48.833 10.094,48.833 10.094,48.834 10.093,48.833</coordinates></LinearRing></innerBoundaryIs>
    </Polygon>
  </Placemark>
</Folder>
<Placemark><name>Sitzbänke</name>
  <MultiGeometry><Point><coordinates>10.1,48.8</coordinates></Point><Point><coordinates>10.2,48.9</coordinates></Point></MultiGeometry>
</Placemark>
</Document></kml>"##;

#[test]
fn kml_and_kmz() {
    for (name, bytes) in [
        ("freizeit.kml", KML.as_bytes().to_vec()),
        (
            "freizeit.kmz",
            zip_of(&[("doc.kml", KML.as_bytes()), ("files/a.png", b"\x89PNG")]),
        ),
    ] {
        let l = load_bytes(&bytes, name);
        assert_eq!(l.report.format, allmende_table::InputFormat::Kml, "{name}");
        assert_eq!(l.report.rows, 3);
        assert_eq!(l.kind("Fläche"), ColumnType::Integer);
        let names: Vec<Option<&str>> = l
            .batch
            .column(l.idx("name"))
            .as_string::<i32>()
            .iter()
            .collect();
        assert_eq!(names[0], Some("Spielplatz Stadtgarten & Wasserspiel"));
        let folders: Vec<Option<&str>> = l
            .batch
            .column(l.idx("folder"))
            .as_string::<i32>()
            .iter()
            .collect();
        assert_eq!(folders, [Some("Spielplätze"), Some("Spielplätze"), None]);
        let g = geometries(&l);
        assert!(near(&g[0], AALEN.0, AALEN.1));
        assert!(
            matches!(&g[1], Some(Geometry::Polygon(r)) if r.len() == 2),
            "{:?}",
            g[1]
        );
        assert!(matches!(&g[2], Some(Geometry::MultiPoint(p)) if p.len() == 2));
    }
}

#[test]
fn gpx_waypoints_routes_and_tracks() {
    let gpx = r#"<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <wpt lat="48.8378" lon="10.0933"><ele>433.5</ele><name>Marktplatz</name><time>2024-05-01T10:00:00Z</time></wpt>
  <wpt lat="48.84" lon="10.1"><name>Limesmuseum</name></wpt>
  <rte><name>Stadtrundgang</name><rtept lat="48.8378" lon="10.0933"/><rtept lat="48.84" lon="10.1"/></rte>
  <trk><name>Radtour</name>
    <trkseg><trkpt lat="48.83" lon="10.09"><ele>430</ele></trkpt><trkpt lat="48.84" lon="10.10"/></trkseg>
    <trkseg><trkpt lat="48.85" lon="10.11"/><trkpt lat="48.86" lon="10.12"/></trkseg>
  </trk>
</gpx>"#;
    let l = load_bytes(gpx.as_bytes(), "tour.gpx");
    assert_eq!(l.report.format, allmende_table::InputFormat::Gpx);
    assert_eq!(l.report.rows, 4);
    let kinds: Vec<Option<&str>> = l
        .batch
        .column(l.idx("gpx_element"))
        .as_string::<i32>()
        .iter()
        .collect();
    assert_eq!(kinds, [Some("wpt"), Some("wpt"), Some("rte"), Some("trk")]);
    assert_eq!(l.kind("ele"), ColumnType::Decimal);
    let g = geometries(&l);
    assert!(near(&g[0], AALEN.0, AALEN.1));
    assert!(matches!(&g[2], Some(Geometry::LineString(p)) if p.len() == 2));
    assert!(matches!(&g[3], Some(Geometry::MultiLineString(p)) if p.len() == 2));
}

/// Files built to hurt: entity expansion, deep nesting, broken XML, a Shapefile record whose
/// count claims two billion points, a self-intersecting polygon (kept as it is: it is data).
#[test]
fn hostile_geo_files() {
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE kml [<!ENTITY a \"{}\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
         <kml><Placemark><name>&b;</name><Point><coordinates>10,48</coordinates></Point></Placemark></kml>",
        "x".repeat(100)
    );
    let l = load_bytes(laughs.as_bytes(), "l.kml");
    let names: Vec<Option<&str>> = l
        .batch
        .column(l.idx("name"))
        .as_string::<i32>()
        .iter()
        .collect();
    assert_eq!(
        names,
        [Some("&b;")],
        "entities other than the predefined ones stay text"
    );

    let deep = format!("<kml>{}</kml>", "<Folder>".repeat(1000));
    assert!(message(try_bytes(deep.as_bytes(), "d.kml", &Default::default())).contains("XML"));
    let broken = "<kml><Placemark><name>x</Placemark></kml>";
    assert!(message(try_bytes(broken.as_bytes(), "b.kml", &Default::default())).contains("XML"));
    let empty = "<kml><Document/></kml>";
    assert!(
        message(try_bytes(empty.as_bytes(), "e.kml", &Default::default()))
            .contains("keine Geo-Objekte")
    );

    let mut shp = shp_points(&[(1.0, 2.0)]);
    // Turn the record into a polyline that claims 2^31 - 1 points.
    shp.truncate(100);
    shp.extend_from_slice(&1i32.to_be_bytes());
    shp.extend_from_slice(&26i32.to_be_bytes());
    shp.extend_from_slice(&3i32.to_le_bytes());
    shp.extend_from_slice(&[0u8; 32]);
    shp.extend_from_slice(&1i32.to_le_bytes());
    shp.extend_from_slice(&i32::MAX.to_le_bytes());
    shp.extend_from_slice(&0i32.to_le_bytes());
    let table = dbf(&[("N", b'N', 2, 0)], &[(false, vec![&b" 1"[..]])]);
    let bytes = zip_of(&[("x.shp", &shp), ("x.dbf", &table)]);
    assert!(message(try_bytes(&bytes, "x.zip", &Default::default())).contains("beschädigt"));

    let bowtie = r#"<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>
        10,48 10.1,48.1 10.1,48 10,48.1 10,48</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"#;
    let l = load_bytes(bowtie.as_bytes(), "bowtie.kml");
    assert!(matches!(&geometries(&l)[0], Some(Geometry::Polygon(r)) if r[0].len() == 5));
}
