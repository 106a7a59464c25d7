//! OGC API – Features Part 2 (CRS by reference): features in another CRS than CRS84 (`crs=`),
//! bounding boxes in one (`bbox-crs=`), each in the axis order its CRS defines — EPSG:4326 is
//! latitude first, EPSG:31467 northing first; CRS84 and the others easting/longitude first.

use allmende_table::geo::Geometry;
use allmende_table::geo::crs::{Crs, Transform};
use serde_json::Value;

/// A CRS as the OGC API names it, with its axis order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct OgcCrs {
    pub(super) crs: Crs,
    /// The first axis is latitude/northing.
    pub(super) swapped: bool,
}

pub(super) const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

impl OgcCrs {
    pub(super) const CRS84: OgcCrs = OgcCrs {
        crs: Crs::Wgs84,
        swapped: false,
    };

    /// Every CRS the collections offer, CRS84 first (the storage CRS).
    pub(super) fn supported() -> Vec<String> {
        let mut all = vec![CRS84_URI.to_string()];
        all.extend(
            [4326, 25832, 25833, 31467, 3857]
                .iter()
                .map(|c| format!("http://www.opengis.net/def/crs/EPSG/0/{c}")),
        );
        all
    }

    /// One of `supported()`, exactly (Part 2 asks for the URI).
    pub(super) fn parse(uri: &str) -> Option<OgcCrs> {
        let uri = uri.trim().trim_start_matches('[').trim_end_matches(']');
        if uri == CRS84_URI {
            return Some(Self::CRS84);
        }
        let code: u32 = uri
            .strip_prefix("http://www.opengis.net/def/crs/EPSG/0/")?
            .parse()
            .ok()?;
        let crs = match code {
            4326 => Crs::Wgs84,
            other => Crs::from_epsg(other)?,
        };
        Some(OgcCrs {
            crs,
            swapped: matches!(code, 4326 | 31467),
        })
    }

    pub(super) fn uri(self) -> String {
        match (self.crs, self.swapped) {
            (Crs::Wgs84, false) => CRS84_URI.to_string(),
            (crs, _) => format!("http://www.opengis.net/def/crs/EPSG/0/{}", crs.epsg()),
        }
    }

    /// From the stored CRS84 into this one (made once per answer: it parses projections).
    pub(super) fn transform_from_crs84(self) -> Transform {
        Transform::new(Crs::Wgs84, self.crs)
    }

    /// A stored geometry (GeoJSON in CRS84) in this CRS and its axis order, by `t` (from
    /// `transform_from_crs84`); `None` when it cannot be transformed.
    pub(super) fn geometry(self, g: &Value, t: &Transform) -> Option<Value> {
        if self == Self::CRS84 || g.is_null() {
            return Some(g.clone());
        }
        let mut notes = allmende_table::geo::geometry::ReadNotes::default();
        let mut geom = Geometry::from_geojson(g, &mut notes).ok()??;
        geom.each_coord_mut(&mut |c| {
            let [x, y] = c;
            t.apply(x, y)?;
            if self.swapped {
                std::mem::swap(x, y);
            }
            Ok::<(), allmende_table::geo::crs::TransformError>(())
        })
        .ok()?;
        Some(geom.to_geojson())
    }

    /// A bounding box given in this CRS (its axis order) as CRS84 `[w, s, e, n]`: the envelope
    /// of its four corners.
    pub(super) fn bbox_to_crs84(self, b: [f64; 4]) -> Option<[f64; 4]> {
        let [a, b2, c, d] = b;
        let (minx, miny, maxx, maxy) = if self.swapped {
            (b2, a, d, c)
        } else {
            (a, b2, c, d)
        };
        if self.crs == Crs::Wgs84 {
            return Some([minx, miny, maxx, maxy]);
        }
        let t = Transform::new(self.crs, Crs::Wgs84);
        let mut env: Option<[f64; 4]> = None;
        for (mut x, mut y) in [(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)] {
            t.apply(&mut x, &mut y).ok()?;
            allmende_table::geo::geometry::extend(&mut env, &[x, y]);
        }
        env
    }
}

/// A CQL2 filter's geometry literals given in this CRS (`filter-crs`), moved to CRS84.
impl allmende_table::query::cql2::LiteralCrs for OgcCrs {
    fn geometry(&self, g: &mut Geometry) -> Option<()> {
        let t = Transform::new(self.crs, Crs::Wgs84);
        g.each_coord_mut(&mut |c| {
            if self.swapped {
                c.swap(0, 1);
            }
            let [x, y] = c;
            t.apply(x, y)
        })
        .ok()
    }

    fn bbox(&self, b: [f64; 4]) -> Option<[f64; 4]> {
        self.bbox_to_crs84(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_axis_order() {
        assert_eq!(OgcCrs::parse(CRS84_URI), Some(OgcCrs::CRS84));
        let wgs = OgcCrs::parse("http://www.opengis.net/def/crs/EPSG/0/4326").unwrap();
        assert!(wgs.swapped);
        let p = serde_json::json!({"type": "Point", "coordinates": [10.0933, 48.8378]});
        let at =
            |c: OgcCrs| c.geometry(&p, &c.transform_from_crs84()).unwrap()["coordinates"].clone();
        assert_eq!(at(wgs), serde_json::json!([48.8378, 10.0933]));
        let utm = OgcCrs::parse("http://www.opengis.net/def/crs/EPSG/0/25832").unwrap();
        let c = at(utm);
        assert!((c[0].as_f64().unwrap() - 580225.4211).abs() < 0.01, "{c}");
        let b = utm
            .bbox_to_crs84([580000.0, 5409000.0, 581000.0, 5411000.0])
            .unwrap();
        assert!(
            b[0] < 10.0933 && b[2] > 10.0933 && b[1] < 48.8378 && b[3] > 48.8378,
            "{b:?}"
        );
        assert_eq!(
            wgs.bbox_to_crs84([48.0, 9.0, 49.0, 10.0]),
            Some([9.0, 48.0, 10.0, 49.0])
        );
        for bad in [
            "EPSG:25832",
            "http://www.opengis.net/def/crs/EPSG/0/2056",
            "x",
        ] {
            assert_eq!(OgcCrs::parse(bad), None, "{bad}");
        }
        assert_eq!(OgcCrs::supported().len(), 6);
    }
}
