//! KML and GPX exports of spatial tables, encoded batch by batch like the other text formats.
//! KML: each row a Placemark with every attribute as `ExtendedData`. GPX (points and lines
//! only, as GPS devices and apps take them): points as waypoints, lines as tracks; the
//! attributes become the `desc` text, a name-like column the `name`.

use std::io::Write as _;

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::DataType;

use super::format::ExportFormat;
use crate::cells::ColumnWriter;
use crate::geo::Geometry;
use crate::geo::geometry::Coord;

pub(super) fn head(format: ExportFormat) -> Vec<u8> {
    match format {
        ExportFormat::Kml => b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n"
            .to_vec(),
        ExportFormat::Gpx => b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <gpx version=\"1.1\" creator=\"Allmende\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n"
            .to_vec(),
        _ => Vec::new(),
    }
}

pub(super) fn tail(format: ExportFormat) -> &'static [u8] {
    match format {
        ExportFormat::Kml => b"</Document></kml>\n",
        ExportFormat::Gpx => b"</gpx>\n",
        _ => b"",
    }
}

/// The column a row's name comes from: the first text column called like a name.
fn name_column(batch: &RecordBatch) -> Option<usize> {
    let schema = batch.schema();
    let is_text = |i: usize| {
        matches!(
            schema.field(i).data_type(),
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
        )
    };
    let names: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| f.name().to_lowercase())
        .collect();
    ["name", "bezeichnung", "titel", "title"]
        .iter()
        .find_map(|want| (0..names.len()).find(|&i| is_text(i) && names[i] == *want))
        .or_else(|| (0..names.len()).find(|&i| is_text(i) && names[i].contains("name")))
}

pub(super) fn rows(out: &mut Vec<u8>, batch: &RecordBatch, format: ExportFormat) {
    let schema = batch.schema();
    let geometry = schema
        .fields()
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let name = name_column(batch);
    let attributes: Vec<usize> = (0..schema.fields().len())
        .filter(|&i| Some(i) != geometry && schema.field(i).name() != crate::snapshot::ROW_ID)
        .collect();
    let columns: Vec<ColumnWriter<'_>> = ColumnWriter::of_batch(batch);
    let mut text = Vec::new();
    let mut scratch = Vec::new();
    let mut value = |c: usize, row: usize, text: &mut Vec<u8>| {
        text.clear();
        columns[c].plain(text, row, &mut scratch);
        !batch.column(c).is_null(row)
    };
    for row in 0..batch.num_rows() {
        let g = geometry.and_then(|g| Geometry::at(batch.column(g).as_ref(), row));
        match format {
            ExportFormat::Kml => {
                out.extend_from_slice(b"<Placemark>");
                if let Some(n) = name
                    && value(n, row, &mut text)
                {
                    out.extend_from_slice(b"<name>");
                    escape(out, &text);
                    out.extend_from_slice(b"</name>");
                }
                out.extend_from_slice(b"<ExtendedData>");
                // Empty values too: KML has no schema, so a column empty in a row would
                // otherwise be missing from it.
                for &c in &attributes {
                    value(c, row, &mut text);
                    out.extend_from_slice(b"<Data name=\"");
                    escape(out, schema.field(c).name().as_bytes());
                    out.extend_from_slice(b"\"><value>");
                    escape(out, &text);
                    out.extend_from_slice(b"</value></Data>");
                }
                out.extend_from_slice(b"</ExtendedData>");
                if let Some(g) = &g {
                    kml_geometry(out, g);
                }
                out.extend_from_slice(b"</Placemark>\n");
            }
            _ => {
                let Some(g) = &g else { continue };
                let mut label = Vec::new();
                if let Some(n) = name
                    && value(n, row, &mut text)
                {
                    label.extend_from_slice(b"<name>");
                    escape(&mut label, &text);
                    label.extend_from_slice(b"</name>");
                }
                let mut desc = Vec::new();
                for &c in &attributes {
                    if Some(c) == name || !value(c, row, &mut text) {
                        continue;
                    }
                    if !desc.is_empty() {
                        desc.extend_from_slice(b"; ");
                    }
                    desc.extend_from_slice(schema.field(c).name().as_bytes());
                    desc.extend_from_slice(b": ");
                    desc.extend_from_slice(&text);
                }
                if !desc.is_empty() {
                    label.extend_from_slice(b"<desc>");
                    escape(&mut label, &desc);
                    label.extend_from_slice(b"</desc>");
                }
                gpx_geometry(out, g, &label);
            }
        }
    }
}

fn coord(out: &mut Vec<u8>, c: &Coord) {
    let _ = write!(out, "{},{}", c[0], c[1]);
}

fn coords(out: &mut Vec<u8>, cs: &[Coord]) {
    out.extend_from_slice(b"<coordinates>");
    for (i, c) in cs.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        coord(out, c);
    }
    out.extend_from_slice(b"</coordinates>");
}

fn kml_polygon(out: &mut Vec<u8>, rings: &[Vec<Coord>]) {
    out.extend_from_slice(b"<Polygon>");
    for (i, ring) in rings.iter().enumerate() {
        let tag: &[u8] = if i == 0 {
            b"outerBoundaryIs"
        } else {
            b"innerBoundaryIs"
        };
        out.push(b'<');
        out.extend_from_slice(tag);
        out.extend_from_slice(b"><LinearRing>");
        coords(out, ring);
        out.extend_from_slice(b"</LinearRing></");
        out.extend_from_slice(tag);
        out.push(b'>');
    }
    out.extend_from_slice(b"</Polygon>");
}

fn kml_geometry(out: &mut Vec<u8>, g: &Geometry) {
    if g.is_empty() {
        return;
    }
    match g {
        Geometry::Point(c) => {
            out.extend_from_slice(b"<Point>");
            coords(out, std::slice::from_ref(c));
            out.extend_from_slice(b"</Point>");
        }
        Geometry::LineString(l) => {
            out.extend_from_slice(b"<LineString>");
            coords(out, l);
            out.extend_from_slice(b"</LineString>");
        }
        Geometry::Polygon(rings) => kml_polygon(out, rings),
        Geometry::MultiPoint(ps) => {
            out.extend_from_slice(b"<MultiGeometry>");
            for p in ps {
                kml_geometry(out, &Geometry::Point(*p));
            }
            out.extend_from_slice(b"</MultiGeometry>");
        }
        Geometry::MultiLineString(ls) => {
            out.extend_from_slice(b"<MultiGeometry>");
            for l in ls {
                out.extend_from_slice(b"<LineString>");
                coords(out, l);
                out.extend_from_slice(b"</LineString>");
            }
            out.extend_from_slice(b"</MultiGeometry>");
        }
        Geometry::MultiPolygon(ps) => {
            out.extend_from_slice(b"<MultiGeometry>");
            for p in ps {
                kml_polygon(out, p);
            }
            out.extend_from_slice(b"</MultiGeometry>");
        }
        Geometry::Collection(gs) => {
            out.extend_from_slice(b"<MultiGeometry>");
            for g in gs {
                kml_geometry(out, g);
            }
            out.extend_from_slice(b"</MultiGeometry>");
        }
    }
}

fn gpx_point(out: &mut Vec<u8>, tag: &[u8], c: &Coord, inner: &[u8]) {
    out.push(b'<');
    out.extend_from_slice(tag);
    let _ = write!(out, " lat=\"{}\" lon=\"{}\"", c[1], c[0]);
    if inner.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    out.extend_from_slice(inner);
    out.extend_from_slice(b"</");
    out.extend_from_slice(tag);
    out.push(b'>');
}

/// Points are waypoints, lines a track with a segment per part; areas have no GPX form (the
/// format is not offered for them).
fn gpx_geometry(out: &mut Vec<u8>, g: &Geometry, label: &[u8]) {
    let track = |out: &mut Vec<u8>, parts: &[&Vec<Coord>]| {
        out.extend_from_slice(b"<trk>");
        out.extend_from_slice(label);
        for part in parts {
            out.extend_from_slice(b"<trkseg>");
            for c in part.iter() {
                gpx_point(out, b"trkpt", c, b"");
            }
            out.extend_from_slice(b"</trkseg>");
        }
        out.extend_from_slice(b"</trk>\n");
    };
    match g {
        Geometry::Point(c) => {
            gpx_point(out, b"wpt", c, label);
            out.push(b'\n');
        }
        Geometry::MultiPoint(ps) => {
            for c in ps {
                gpx_point(out, b"wpt", c, label);
                out.push(b'\n');
            }
        }
        Geometry::LineString(l) if !l.is_empty() => track(out, &[l]),
        Geometry::MultiLineString(ls) if !ls.is_empty() => {
            track(out, &ls.iter().collect::<Vec<_>>())
        }
        _ => {}
    }
}

/// XML text: the five special characters as entities, characters XML 1.0 cannot carry left out.
fn escape(out: &mut Vec<u8>, s: &[u8]) {
    for &b in s {
        match b {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\'' => out.extend_from_slice(b"&apos;"),
            b'\t' | b'\n' | b'\r' => out.push(b),
            0..=0x1f => {}
            _ => out.push(b),
        }
    }
}
