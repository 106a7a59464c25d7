//! GPX 1.0/1.1: waypoints as points, routes as lines, tracks as (multi)lines, in one table
//! whose `gpx_element` column says which (`wpt`, `rte`, `trk`); the elements GPX defines for
//! each (name, desc, time, ele, type, …) are attributes. GPX is WGS 84 by definition.

use std::path::Path;

use allmende_core::i18n::Msg;
use serde_json::{Map, Value};

use super::features::{Converted, FeatureFile};
use super::geometry::{Coord, Geometry};
use super::xml::{Element, Step, walk};
use crate::IngestError;
use crate::ingest::options::Limits;

const FIELDS: &[&str] = &[
    "name", "cmt", "desc", "src", "sym", "type", "number", "ele", "time",
];

/// A feature being read: its attributes and its parts (a waypoint's one point, a route's
/// line, a track's segments).
type Feature = (Map<String, Value>, Vec<Vec<Coord>>);

#[derive(Default)]
struct State {
    feature: Option<Feature>,
    bad_coordinates: u64,
}

pub(crate) fn convert(input: &Path, limits: Limits, out: &Path) -> Result<Converted, IngestError> {
    let mut features = FeatureFile::create(out, Some("OGC:CRS84"))?;
    let mut s = State::default();
    walk(input, limits.max_record_bytes, &mut |step, stack| {
        let parent = stack
            .len()
            .checked_sub(2)
            .and_then(|i| stack.get(i))
            .map_or("", |p| p.name.as_str());
        match step {
            Step::Open(e) => match e.name.as_str() {
                "wpt" | "rte" | "trk" if parent == "gpx" => {
                    let mut props = Map::new();
                    props.insert("gpx_element".into(), e.name.clone().into());
                    let parts = match e.name.as_str() {
                        "wpt" => point(e, &mut s.bad_coordinates)
                            .into_iter()
                            .map(|c| vec![c])
                            .collect(),
                        "rte" => vec![Vec::new()],
                        _ => Vec::new(),
                    };
                    s.feature = Some((props, parts));
                }
                "trkseg" => {
                    if let Some((_, parts)) = s.feature.as_mut() {
                        parts.push(Vec::new());
                    }
                }
                "rtept" | "trkpt" => {
                    let c = point(e, &mut s.bad_coordinates);
                    if let (Some((_, parts)), Some(c)) = (s.feature.as_mut(), c)
                        && let Some(part) = parts.last_mut()
                    {
                        part.push(c);
                    }
                }
                _ => {}
            },
            Step::Close(e) => match e.name.as_str() {
                "wpt" | "rte" | "trk" if parent == "gpx" => {
                    if let Some((props, mut parts)) = s.feature.take() {
                        let g = match e.name.as_str() {
                            "wpt" => parts
                                .pop()
                                .and_then(|p| p.first().copied())
                                .map(Geometry::Point),
                            _ => {
                                parts.retain(|p| !p.is_empty());
                                match parts.len() {
                                    0 => None,
                                    1 => parts.pop().map(Geometry::LineString),
                                    _ => Some(Geometry::MultiLineString(parts)),
                                }
                            }
                        };
                        features.push(&props, g.as_ref())?;
                    }
                }
                field if FIELDS.contains(&field) && matches!(parent, "wpt" | "rte" | "trk") => {
                    if let Some((props, _)) = s.feature.as_mut() {
                        let v = match field {
                            "ele" | "number" => e
                                .text
                                .parse::<f64>()
                                .ok()
                                .and_then(serde_json::Number::from_f64)
                                .map_or_else(|| e.text.clone().into(), Value::Number),
                            _ => e.text.clone().into(),
                        };
                        props.insert(field.to_string(), v);
                    }
                }
                _ => {}
            },
        }
        Ok(())
    })?;
    features.finish()?;
    let mut converted = Converted::default();
    if s.bad_coordinates > 0 {
        converted
            .warnings
            .push(Msg::new("geo.bad_coordinates").arg("n", s.bad_coordinates));
    }
    Ok(converted)
}

fn point(e: &Element, bad: &mut u64) -> Option<Coord> {
    let num = |k: &str| {
        e.attr(k)
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    match (num("lon"), num("lat")) {
        (Some(x), Some(y)) => Some([x, y]),
        _ => {
            *bad += 1;
            None
        }
    }
}
