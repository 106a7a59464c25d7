//! KML and KMZ (a ZIP around a KML): every Placemark a feature with its name, description,
//! folder and extended data (`Data`/`value` and `SchemaData`/`SimpleData`) as attributes.
//! KML coordinates are always WGS 84 longitude,latitude[,altitude].

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use allmende_core::i18n::Msg;
use serde_json::{Map, Value};

use super::features::{Converted, FeatureFile};
use super::geometry::{Coord, Geometry};
use super::xml::{Element, Step, walk};
use crate::IngestError;
use crate::ingest::options::Limits;

/// A geometry being assembled: the rings of a polygon, the parts of a MultiGeometry.
enum Builder {
    Polygon(Vec<Vec<Coord>>),
    Multi(Vec<Geometry>),
}

#[derive(Default)]
struct State {
    placemark: Option<(Map<String, Value>, Vec<Geometry>)>,
    builders: Vec<Builder>,
    folders: Vec<String>,
    dropped_z: bool,
    bad_coordinates: u64,
}

pub(crate) fn convert(input: &Path, limits: Limits, out: &Path) -> Result<Converted, IngestError> {
    let mut head = [0u8; 4];
    let is_zip = std::io::Read::read_exact(&mut File::open(input)?, &mut head).is_ok()
        && head == *b"PK\x03\x04";
    let dir = tempfile::tempdir_in(out.parent().unwrap_or_else(|| Path::new(".")))?;
    let kml = match is_zip {
        true => {
            let mut zip = zip::ZipArchive::new(BufReader::new(File::open(input)?))
                .map_err(|e| IngestError::Data(Msg::new("geo.xml_bad").arg("reason", e)))?;
            // The main document is `doc.kml` by convention, else the first KML at the top.
            let mut names: Vec<String> = zip
                .file_names()
                .filter_map(|n| n.ok().map(|n| n.into_owned()))
                .filter(|n| n.to_ascii_lowercase().ends_with(".kml"))
                .collect();
            names.sort_by_key(|n| (n != "doc.kml", n.matches('/').count(), n.clone()));
            let name = names
                .first()
                .ok_or_else(|| IngestError::Data(Msg::new("geo.kmz_without_kml")))?;
            let path = dir.path().join("doc.kml");
            let limit = limits.max_unpacked_bytes;
            super::shapefile::unpack(&mut zip, name, &path, &mut limit.clone(), limit)?;
            path
        }
        false => input.to_path_buf(),
    };
    let mut features = FeatureFile::create(out, Some("OGC:CRS84"))?;
    let mut s = State::default();
    walk(&kml, limits.max_record_bytes, &mut |step, stack| {
        match step {
            Step::Open(e) => open(&mut s, e),
            Step::Close(e) => close(&mut s, e, stack, &mut features)?,
        }
        Ok(())
    })?;
    features.finish()?;
    let mut converted = Converted::default();
    if s.dropped_z {
        converted.warnings.push(Msg::new("geo.dropped_z"));
    }
    if s.bad_coordinates > 0 {
        converted
            .warnings
            .push(Msg::new("geo.bad_coordinates").arg("n", s.bad_coordinates));
    }
    Ok(converted)
}

fn open(s: &mut State, e: &Element) {
    match e.name.as_str() {
        "Placemark" => s.placemark = Some((Map::new(), Vec::new())),
        "Folder" => s.folders.push(String::new()),
        "Polygon" if s.placemark.is_some() => s.builders.push(Builder::Polygon(Vec::new())),
        "MultiGeometry" if s.placemark.is_some() => s.builders.push(Builder::Multi(Vec::new())),
        _ => {}
    }
}

fn close(
    s: &mut State,
    e: &Element,
    stack: &[Element],
    features: &mut FeatureFile,
) -> Result<(), IngestError> {
    let parent = stack
        .len()
        .checked_sub(2)
        .and_then(|i| stack.get(i))
        .map_or("", |p| p.name.as_str());
    match e.name.as_str() {
        "Placemark" => {
            if let Some((mut props, mut geometries)) = s.placemark.take() {
                if let Some(folder) = s.folders.iter().rev().find(|f| !f.is_empty()) {
                    props
                        .entry("folder")
                        .or_insert_with(|| folder.clone().into());
                }
                let geometry = match geometries.len() {
                    0 => None,
                    1 => geometries.pop(),
                    _ => Some(Geometry::Collection(geometries)),
                };
                features.push(&props, geometry.as_ref())?;
            }
            s.builders.clear();
        }
        "Folder" => {
            s.folders.pop();
        }
        "name" if parent == "Folder" => {
            if let Some(top) = s.folders.last_mut() {
                *top = e.text.clone();
            }
        }
        "name" | "description" | "address" if parent == "Placemark" => {
            if let Some((props, _)) = s.placemark.as_mut() {
                props.insert(e.name.clone(), e.text.clone().into());
            }
        }
        "when" if parent == "TimeStamp" => {
            if let Some((props, _)) = s.placemark.as_mut() {
                props.insert("timestamp".into(), e.text.clone().into());
            }
        }
        "value" if parent == "Data" => {
            let key = stack.get(stack.len() - 2).and_then(|d| d.attr("name"));
            if let (Some((props, _)), Some(key)) = (s.placemark.as_mut(), key) {
                props.insert(key.to_string(), e.text.clone().into());
            }
        }
        "SimpleData" => {
            if let (Some((props, _)), Some(key)) = (s.placemark.as_mut(), e.attr("name")) {
                props.insert(key.to_string(), e.text.clone().into());
            }
        }
        "coordinates" if s.placemark.is_some() => {
            let coords = coordinates(&e.text, &mut s.dropped_z, &mut s.bad_coordinates);
            match parent {
                "Point" => match coords.first() {
                    Some(c) => add(s, Geometry::Point(*c)),
                    None => add(s, Geometry::Collection(Vec::new())),
                },
                "LineString" => add(s, Geometry::LineString(coords)),
                "LinearRing" => {
                    let outer = stack
                        .len()
                        .checked_sub(3)
                        .and_then(|i| stack.get(i))
                        .is_some_and(|b| b.name == "outerBoundaryIs");
                    if let Some(Builder::Polygon(rings)) = s.builders.last_mut() {
                        match outer {
                            true => rings.insert(0, coords),
                            false => rings.push(coords),
                        }
                    }
                }
                _ => {}
            }
        }
        "Polygon" | "MultiGeometry" if s.placemark.is_some() => match s.builders.pop() {
            Some(Builder::Polygon(rings)) => add(s, Geometry::Polygon(rings)),
            Some(Builder::Multi(parts)) => add(s, multi(parts)),
            None => {}
        },
        _ => {}
    }
    Ok(())
}

/// A finished geometry goes into the MultiGeometry around it, or is the placemark's.
fn add(s: &mut State, g: Geometry) {
    if let Some(Builder::Multi(parts)) = s.builders.last_mut() {
        parts.push(g);
    } else if let Some((_, geometries)) = s.placemark.as_mut() {
        geometries.push(g);
    }
}

/// A MultiGeometry of one kind is the matching multi-geometry; mixed ones a collection.
fn multi(parts: Vec<Geometry>) -> Geometry {
    if parts.iter().all(|g| matches!(g, Geometry::Point(_))) && !parts.is_empty() {
        return Geometry::MultiPoint(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::Point(c) => Some(c),
                    _ => None,
                })
                .collect(),
        );
    }
    if parts.iter().all(|g| matches!(g, Geometry::LineString(_))) && !parts.is_empty() {
        return Geometry::MultiLineString(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::LineString(l) => Some(l),
                    _ => None,
                })
                .collect(),
        );
    }
    if parts.iter().all(|g| matches!(g, Geometry::Polygon(_))) && !parts.is_empty() {
        return Geometry::MultiPolygon(
            parts
                .into_iter()
                .filter_map(|g| match g {
                    Geometry::Polygon(p) => Some(p),
                    _ => None,
                })
                .collect(),
        );
    }
    Geometry::Collection(parts)
}

/// `lon,lat[,alt]` tuples separated by white space; tuples that are not numbers are counted
/// and left out.
fn coordinates(text: &str, dropped_z: &mut bool, bad: &mut u64) -> Vec<Coord> {
    let mut out = Vec::new();
    for tuple in text.split_whitespace() {
        let mut parts = tuple.split(',').map(|p| p.trim().parse::<f64>());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(Ok(x)), Some(Ok(y)), z) if x.is_finite() && y.is_finite() => {
                if matches!(z, Some(Ok(z)) if z != 0.0) {
                    *dropped_z = true;
                }
                out.push([x, y]);
            }
            _ => *bad += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinate_tuples() {
        let (mut z, mut bad) = (false, 0);
        let c = coordinates(" 10.09,48.83,0\n10.1,48.84 x,y ", &mut z, &mut bad);
        assert_eq!(c, vec![[10.09, 48.83], [10.1, 48.84]]);
        assert!(!z);
        assert_eq!(bad, 1);
        coordinates("10,48,512", &mut z, &mut bad);
        assert!(z);
    }
}
