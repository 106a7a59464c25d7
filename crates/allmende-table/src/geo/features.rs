//! The readers of Shapefile, GeoPackage, KML and GPX hand their features on as a GeoJSON
//! FeatureCollection written feature by feature to a file. The GeoJSON path then reads it, so
//! every format's attributes are typed, privacy-checked and stored one way, and its CRS is
//! decided one way (the file's statement travels in the legacy `crs` member).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use allmende_core::i18n::Msg;
use serde_json::{Map, Value};

use super::geometry::Geometry;
use crate::IngestError;

/// What a reader learnt besides the features: notes for the publisher and facts for the
/// report's dialect (layer, encoding).
#[derive(Debug, Default)]
pub(crate) struct Converted {
    pub(crate) warnings: Vec<Msg>,
    pub(crate) dialect: Map<String, Value>,
}

pub(crate) struct FeatureFile {
    out: BufWriter<File>,
    first: bool,
}

impl FeatureFile {
    /// `crs`: the name the source gives its CRS (`EPSG:25832`, or an unknown name that the
    /// reading then reports), `None` when it gives none.
    pub(crate) fn create(path: &Path, crs: Option<&str>) -> Result<Self, IngestError> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(b"{\"type\":\"FeatureCollection\",")?;
        if let Some(name) = crs {
            let member = serde_json::json!({"type": "name", "properties": {"name": name}});
            write!(out, "\"crs\":{member},")?;
        }
        out.write_all(b"\"features\":[\n")?;
        Ok(Self { out, first: true })
    }

    pub(crate) fn push(
        &mut self,
        properties: &Map<String, Value>,
        geometry: Option<&Geometry>,
    ) -> Result<(), IngestError> {
        if !self.first {
            self.out.write_all(b",\n")?;
        }
        self.first = false;
        let geometry = match geometry {
            // JSON has no NaN: a geometry with one is stored as empty.
            Some(g) if has_nan(g) => {
                serde_json::json!({"type": "GeometryCollection", "geometries": []})
            }
            Some(g) => g.to_geojson(),
            None => Value::Null,
        };
        let feature = serde_json::json!({
            "type": "Feature",
            "properties": properties,
            "geometry": geometry,
        });
        serde_json::to_writer(&mut self.out, &feature).map_err(std::io::Error::from)?;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<(), IngestError> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(())
    }
}

fn has_nan(g: &Geometry) -> bool {
    let mut nan = false;
    g.each_coord(&mut |c| nan |= !c[0].is_finite() || !c[1].is_finite());
    nan
}
