//! GeoJSON FeatureCollections as a source of rows. The first pass (at `open`) reads every
//! feature once: the property names become the headers, the `crs` member (legacy GeoJSON
//! 2008) or the coordinates' range decide the CRS, and each geometry goes as WKB, in the
//! file's own coordinates, to a spill file in feature order. The rows then carry the feature's
//! number in a first column, so that the geometry finds its row again after conversion.

use std::io::{BufWriter, Write};
use std::path::Path;

use allmende_core::i18n::Msg;
use serde_json::Value;

use super::crs::Crs;
use super::geometry::{Geometry, ReadNotes, extend};
use crate::IngestError;
use crate::infer::Cell;
use crate::json::{JsonLayout, JsonSource};
use crate::source::Source;

/// The header of the feature-number column (removed again when the table is written).
pub(crate) const FEATURE_COLUMN: &str = "\u{1}feature";

pub(crate) struct GeoJsonSource {
    json: JsonSource,
    headers: Vec<String>,
    index: std::collections::HashMap<String, usize>,
    /// What the first pass learnt about the geometries.
    pub(crate) geometries: GeometrySummary,
}

#[derive(Debug, Default)]
pub(crate) struct GeometrySummary {
    pub(crate) features: u64,
    /// In the file's coordinates.
    pub(crate) bbox: Option<[f64; 4]>,
    /// The CRS the file names, if it names one we know (`Err` with the name when it names
    /// one we do not).
    pub(crate) declared: Option<Result<Crs, String>>,
    pub(crate) kinds: std::collections::BTreeSet<&'static str>,
    pub(crate) nulls: u64,
    pub(crate) empty: u64,
    pub(crate) dropped_z: bool,
}

impl GeoJsonSource {
    /// Reads the file once; geometries go to `spill` (length-prefixed WKB, an empty record for
    /// a feature without geometry).
    pub(crate) fn open(
        path: &Path,
        max_columns: usize,
        max_record_bytes: usize,
        spill: &Path,
    ) -> Result<Self, IngestError> {
        let mut json = JsonSource::records(path, JsonLayout::Array, max_record_bytes);
        let mut out = BufWriter::new(std::fs::File::create(spill)?);
        let mut headers = vec![FEATURE_COLUMN.to_string()];
        let mut index = std::collections::HashMap::new();
        let mut g = GeometrySummary::default();
        let mut notes = ReadNotes::default();
        let mut wkb = Vec::new();
        let read = json.each_object(&mut |feature| {
            g.features += 1;
            if let Some(Value::Object(props)) = feature.get("properties") {
                for key in props.keys() {
                    if !index.contains_key(key) {
                        if headers.len() > max_columns {
                            return Err(IngestError::Data(
                                Msg::new("ingest.json_too_many_keys").arg("max", max_columns),
                            ));
                        }
                        index.insert(key.clone(), headers.len());
                        headers.push(key.clone());
                    }
                }
            }
            let geometry = feature.get("geometry").unwrap_or(&Value::Null);
            let parsed = Geometry::from_geojson(geometry, &mut notes).map_err(|e| {
                IngestError::Data(
                    Msg::new("geo.bad_geometry")
                        .arg("feature", g.features)
                        .arg("reason", e),
                )
            })?;
            wkb.clear();
            match &parsed {
                None => g.nulls += 1,
                Some(geom) => {
                    g.kinds.insert(geom.kind());
                    if geom.is_empty() {
                        g.empty += 1;
                    }
                    geom.each_coord(&mut |c| {
                        if c[0].is_finite() && c[1].is_finite() {
                            extend(&mut g.bbox, c)
                        }
                    });
                    geom.write_wkb(&mut wkb);
                }
            }
            let len = u32::try_from(wkb.len()).map_err(|_| {
                IngestError::Data(Msg::new("geo.geometry_too_large").arg("feature", g.features))
            })?;
            out.write_all(&len.to_le_bytes())?;
            out.write_all(&wkb)?;
            Ok(())
        });
        // (An empty `features` array reads as "no records" to the JSON reader.)
        if g.features == 0 {
            return Err(IngestError::Data(Msg::new("geo.no_features")));
        }
        read?;
        out.flush()?;
        g.dropped_z = notes.dropped_z;
        g.declared = json.crs.as_ref().and_then(declared_crs);
        Ok(Self {
            json,
            headers,
            index,
            geometries: g,
        })
    }
}

/// The legacy `crs` member: `{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}}`.
fn declared_crs(crs: &Value) -> Option<Result<Crs, String>> {
    let name = crs.pointer("/properties/name").and_then(Value::as_str)?;
    Some(Crs::parse(name).ok_or_else(|| name.chars().take(100).collect()))
}

impl Source for GeoJsonSource {
    fn headers(&self) -> Vec<String> {
        self.headers.clone()
    }

    fn scan(
        &mut self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let width = self.headers.len();
        let index = &self.index;
        let mut nested: Vec<String> = vec![String::new(); width];
        let mut n: i64 = 0;
        self.json.each_object(&mut |feature| {
            let mut cells: Vec<Cell<'_>> = vec![Cell::Empty; width];
            cells[0] = Cell::Int(n);
            n += 1;
            if let Some(Value::Object(props)) = feature.get("properties") {
                for (k, v) in props {
                    if let Some(&i) = index.get(k)
                        && let v @ (Value::Object(_) | Value::Array(_)) = v
                    {
                        nested[i] = v.to_string();
                    }
                }
                for (k, v) in props {
                    if let Some(&i) = index.get(k) {
                        cells[i] = crate::json::cell(v, &nested[i]);
                    }
                }
            }
            f(&cells)
        })
    }
}
