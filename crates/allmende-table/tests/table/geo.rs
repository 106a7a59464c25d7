//! GeoJSON into spatial tables: attributes typed like any table, the geometry as WKB in WGS 84
//! longitude/latitude with GeoParquet metadata, the CRS from the file, the publisher or the
//! coordinates' range; bad input answered with a message.

use super::*;
use allmende_table::geo::{Crs, Geometry};
use datafusion::arrow::array::BinaryArray;

fn geo(l: &Loaded) -> serde_json::Value {
    let meta = l.metadata.get("geo").cloned().expect("GeoParquet metadata");
    serde_json::from_str(&meta).unwrap()
}

pub(super) fn geometries(l: &Loaded) -> Vec<Option<Geometry>> {
    let a: &BinaryArray = l.batch.column(l.idx("geometry")).as_binary();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| Geometry::from_wkb(a.value(i)).unwrap()))
        .collect()
}

fn collection(crs: Option<&str>, features: &[serde_json::Value]) -> Vec<u8> {
    let mut doc = serde_json::json!({"type": "FeatureCollection", "features": features});
    if let Some(name) = crs {
        doc["crs"] = serde_json::json!({"type": "name", "properties": {"name": name}});
    }
    serde_json::to_vec(&doc).unwrap()
}

fn point(x: f64, y: f64, props: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"type": "Feature", "properties": props,
        "geometry": {"type": "Point", "coordinates": [x, y]}})
}

pub(super) fn near(g: &Option<Geometry>, lon: f64, lat: f64) -> bool {
    // 1e-7 degrees is about a centimetre.
    matches!(g, Some(Geometry::Point([x, y])) if (x - lon).abs() < 1e-7 && (y - lat).abs() < 1e-7)
}

/// Esslingen's parking areas: EPSG:25832 named in the legacy `crs` member, 250 polygons.
#[test]
fn utm_polygons_with_a_crs_member() {
    let l = load_path(
        &real("esslingen_parking_epsg25832.geojson"),
        "p.geojson",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.report.format, allmende_table::InputFormat::GeoJson);
    assert_eq!(l.report.rows, 250);
    assert_eq!(l.kind("Anzahl der Stellplätze"), ColumnType::Integer);
    assert_eq!(l.kind("Überprüfungsdatum"), ColumnType::Date);
    assert_eq!(l.kind("geometry"), ColumnType::Geometry);
    assert_eq!(l.report.dialect["crs"], "EPSG:25832");
    assert_eq!(l.report.dialect["crs_source"], "declared");
    let meta = geo(&l);
    assert_eq!(meta["primary_column"], "geometry");
    assert_eq!(meta["columns"]["geometry"]["encoding"], "WKB");
    assert_eq!(
        meta["columns"]["geometry"]["geometry_types"],
        serde_json::json!(["Polygon"])
    );
    // Esslingen am Neckar, in longitude/latitude.
    let b: Vec<f64> = serde_json::from_value(meta["columns"]["geometry"]["bbox"].clone()).unwrap();
    assert!(
        b[0] > 9.2 && b[2] < 9.4 && b[1] > 48.7 && b[3] < 48.8,
        "{b:?}"
    );
    assert!(
        geometries(&l)
            .iter()
            .all(|g| matches!(g, Some(Geometry::Polygon(_))))
    );
    // Six of them have an empty polygon in the published file.
    let warnings: Vec<String> = l.report.warnings.iter().map(|m| m.to_string()).collect();
    assert_eq!(warnings, ["6 Objekte haben eine leere Geometrie."]);
}

/// Münster's playgrounds: WGS 84 without a `crs` member; the Gauß-Krüger values in its
/// properties stay attributes.
#[test]
fn wgs84_points_keep_their_gk_attributes() {
    let l = load_path(
        &real("muenster_spielplaetze_wgs84_with_gk3_attrs.geojson"),
        "s.geojson",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.report.dialect["crs"], "EPSG:4326");
    assert_eq!(l.kind("Rechtswert"), ColumnType::Integer);
    assert_eq!(l.kind("Spielplatz-Name"), ColumnType::Text);
    let g = geometries(&l);
    assert!(
        near(&g[0], 7.620511786067535, 51.959106844576866),
        "{:?}",
        g[0]
    );
}

/// Aalen's market square in each supported CRS, the file naming it or not, or the publisher
/// giving it: the stored point is the same within a centimetre (values from PROJ's cs2cs).
#[test]
fn reprojection_from_every_supported_crs() {
    let (lon, lat) = (10.0933, 48.8378);
    for (crs, x, y) in [
        (
            Some("urn:ogc:def:crs:EPSG::25832"),
            580225.4211,
            5410001.3090,
        ),
        (Some("EPSG:31467"), 3580333.2449, 5411726.7589),
        (Some("EPSG:3857"), 1123581.0164, 6247384.1280),
        (Some("urn:ogc:def:crs:OGC:1.3:CRS84"), lon, lat),
        (None, lon, lat),
    ] {
        let bytes = collection(
            crs,
            &[point(x, y, serde_json::json!({"name": "Marktplatz"}))],
        );
        let l = try_bytes(&bytes, "m.geojson", &IngestOptions::default()).unwrap();
        assert!(
            near(&geometries(&l)[0], lon, lat),
            "{crs:?}: {:?}",
            geometries(&l)[0]
        );
    }
    // UTM without a statement: recognised as 25832 and said so.
    let bytes = collection(
        None,
        &[point(
            580225.4211,
            5410001.3090,
            serde_json::json!({"n": 1}),
        )],
    );
    let l = try_bytes(&bytes, "m.geojson", &IngestOptions::default()).unwrap();
    assert!(near(&geometries(&l)[0], lon, lat));
    assert_eq!(l.report.dialect["crs_source"], "guessed");
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("EPSG:25832"))
    );
    // The publisher says what the file does not (or says wrongly).
    let bytes = collection(
        Some("EPSG:25832"),
        &[point(
            3580333.2449,
            5411726.7589,
            serde_json::json!({"n": 1}),
        )],
    );
    let opts = IngestOptions {
        crs: Some("EPSG:31467".into()),
        ..Default::default()
    };
    let l = try_bytes(&bytes, "m.geojson", &opts).unwrap();
    assert!(near(&geometries(&l)[0], lon, lat));
    assert_eq!(l.report.dialect["crs_source"], "given");
    assert_eq!(Crs::parse("EPSG:31467"), Some(Crs::Gk3));
}

/// What goes wrong in real files gets a message, never a panic or garbage.
#[test]
fn bad_geodata_is_answered() {
    use allmende_table::IngestError;
    let message = |bytes: Vec<u8>, opts: IngestOptions| match try_bytes(&bytes, "x.geojson", &opts)
    {
        Err(IngestError::Data(m)) => m.to_string(),
        Err(e) => panic!("{e}"),
        Ok(l) => panic!("read: {:?}", l.names()),
    };
    assert!(message(collection(None, &[]), Default::default()).contains("keine Geo-Objekte"));
    assert!(
        message(
            collection(Some("EPSG:2056"), &[point(1.0, 2.0, serde_json::json!({}))]),
            Default::default()
        )
        .contains("„EPSG:2056“ wird nicht unterstützt")
    );
    assert!(
        message(
            collection(None, &[point(1.0e8, 1.0e8, serde_json::json!({}))]),
            Default::default()
        )
        .contains("nicht angegeben")
    );
    let circle = serde_json::json!({"type": "Feature", "properties": {},
        "geometry": {"type": "Circle", "coordinates": [1, 2]}});
    assert!(message(collection(None, &[circle]), Default::default()).contains("Nr. 1"));
    let bad_crs = IngestOptions {
        crs: Some("Lambert".into()),
        ..Default::default()
    };
    assert!(
        message(
            collection(None, &[point(1.0, 2.0, serde_json::json!({}))]),
            bad_crs
        )
        .contains("Lambert")
    );

    // Handled with a warning: heights, missing and empty geometries, mixed types, and
    // coordinates that cannot be in the declared CRS.
    let features = [
        serde_json::json!({"type": "Feature", "properties": {"n": 1},
            "geometry": {"type": "Point", "coordinates": [9.1, 48.7, 250.0]}}),
        serde_json::json!({"type": "Feature", "properties": {"n": 2}, "geometry": null}),
        serde_json::json!({"type": "Feature", "properties": {"n": 3},
            "geometry": {"type": "LineString", "coordinates": []}}),
        serde_json::json!({"type": "Feature", "properties": {"n": 4},
            "geometry": {"type": "LineString", "coordinates": [[9.1, 48.7], [9.2, 48.8]]}}),
        serde_json::json!({"type": "Feature", "properties": {"n": 5},
            "geometry": {"type": "Polygon", "coordinates": [[[9.1, 48.7], [9.2, 48.7], [9.2, 48.8], [9.2, 48.7], [9.1, 48.7]]]}}),
    ];
    let l = try_bytes(
        &collection(None, &features),
        "x.geojson",
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(l.report.rows, 5);
    let w: Vec<String> = l.report.warnings.iter().map(|m| m.to_string()).collect();
    assert!(w.iter().any(|m| m.contains("Höhenangaben")), "{w:?}");
    assert!(
        w.iter()
            .any(|m| m.contains("1 Objekte haben keine Geometrie")),
        "{w:?}"
    );
    assert!(w.iter().any(|m| m.contains("leere Geometrie")), "{w:?}");
    let g = geometries(&l);
    assert!(g[1].is_none());
    assert_eq!(g[0], Some(Geometry::Point([9.1, 48.7])));
    assert_eq!(
        geo(&l)["columns"]["geometry"]["geometry_types"],
        serde_json::json!(["LineString", "Point", "Polygon"])
    );
    let lonlat_as_utm = collection(
        Some("EPSG:25832"),
        &[
            point(9.1, 48.7, serde_json::json!({"n": 1})),
            point(513_000.0, 5_394_000.0, serde_json::json!({"n": 2})),
        ],
    );
    let l = try_bytes(&lonlat_as_utm, "x.geojson", &IngestOptions::default()).unwrap();
    let g = geometries(&l);
    assert!(g[0].is_none() && g[1].is_some(), "{g:?}");
    assert!(l.report.warnings.iter().any(|m| {
        m.to_string()
            .contains("außerhalb des Bereichs von EPSG:25832")
    }));
}

/// The attributes of geodata go through the privacy check like any table, and exact places
/// beside persons are a finding of their own.
#[test]
fn geodata_attributes_are_checked_for_personal_data() {
    let people = [
        point(
            10.0931,
            48.8371,
            serde_json::json!({"Name": "Mustermann", "Vorname": "Max", "Telefon": "07361 52-1234"}),
        ),
        point(
            10.0942,
            48.8382,
            serde_json::json!({"Name": "Schmidt", "Vorname": "Anna", "Telefon": "0151 2345678"}),
        ),
        point(
            10.0953,
            48.8393,
            serde_json::json!({"Name": "Yilmaz", "Vorname": "Mehmet", "Telefon": "+49 7321 98765"}),
        ),
    ];
    let l = try_bytes(
        &collection(None, &people),
        "p.geojson",
        &IngestOptions::default(),
    )
    .unwrap();
    let privacy = l.report.privacy.as_ref().expect("checked");
    let flagged: Vec<(&str, &str)> = privacy
        .findings
        .iter()
        .map(|f| (f.column.as_str(), f.rule.code()))
        .collect();
    assert!(flagged.contains(&("Vorname", "person_name")), "{flagged:?}");
    assert!(flagged.contains(&("Telefon", "phone")), "{flagged:?}");
    assert!(
        flagged.contains(&("geometry", "coordinates")),
        "{flagged:?}"
    );
    assert_eq!(
        privacy
            .findings
            .iter()
            .find(|f| f.column == "Vorname")
            .unwrap()
            .position,
        1
    );
    // Trees are not persons: no finding for their places.
    let trees = [
        point(10.09, 48.83, serde_json::json!({"Baumart": "Linde"})),
        point(10.1, 48.84, serde_json::json!({"Baumart": "Eiche"})),
    ];
    let l = try_bytes(
        &collection(None, &trees),
        "b.geojson",
        &IngestOptions::default(),
    )
    .unwrap();
    assert!(l.report.privacy.as_ref().unwrap().findings.is_empty());
}

/// A CSV with coordinate columns is a spatial table too: its columns stay, a point geometry is
/// added, the CRS from the values (Gauß-Krüger said to be guessed) or from the publisher.
#[test]
fn coordinate_columns_make_points() {
    let trees = "Baumnummer;Baumart;Breitengrad;Längengrad\r\n1;Linde;48,8378;10,0933\r\n2;Eiche;48,8401;10,0711\r\n3;Ahorn;;\r\n";
    let l = try_bytes(trees.as_bytes(), "baeume.csv", &IngestOptions::default()).unwrap();
    assert_eq!(
        l.names(),
        [
            "Baumnummer",
            "Baumart",
            "Breitengrad",
            "Längengrad",
            "geometry"
        ]
    );
    assert_eq!(l.kind("Breitengrad"), ColumnType::Decimal);
    assert_eq!(
        l.report.dialect["coordinates"],
        serde_json::json!(["Längengrad", "Breitengrad"])
    );
    let g = geometries(&l);
    assert!(near(&g[0], 10.0933, 48.8378), "{g:?}");
    assert!(g[2].is_none(), "a row without coordinates has no place");
    assert_eq!(
        geo(&l)["columns"]["geometry"]["geometry_types"],
        serde_json::json!(["Point"])
    );
    // Gauß-Krüger values under their German names.
    let gk = "Name;Rechtswert;Hochwert\r\nMarktplatz;3580333,2449;5411726,7589\r\n";
    let l = try_bytes(gk.as_bytes(), "gk.csv", &IngestOptions::default()).unwrap();
    assert!(
        near(&geometries(&l)[0], 10.0933, 48.8378),
        "{:?}",
        geometries(&l)
    );
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("EPSG:31467"))
    );
    // A chart's x and y stay numbers.
    let chart = "x;y\r\n1;10\r\n2;20\r\n";
    let l = try_bytes(chart.as_bytes(), "chart.csv", &IngestOptions::default()).unwrap();
    assert_eq!(l.names(), ["x", "y"]);
    assert!(!l.metadata.contains_key("geo"));
}
