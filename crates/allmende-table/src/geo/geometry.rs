//! Simple-feature geometries as the data plane keeps them: read from GeoJSON, written and
//! read as ISO WKB (little-endian, 2D), written as GeoJSON and WKT. Coordinates are `[x, y]`
//! (easting/longitude first); a third coordinate is dropped (and counted by the reader).

use std::fmt::Write as _;

use serde_json::{Value, json};

pub type Coord = [f64; 2];

#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    Point(Coord),
    LineString(Vec<Coord>),
    Polygon(Vec<Vec<Coord>>),
    MultiPoint(Vec<Coord>),
    MultiLineString(Vec<Vec<Coord>>),
    MultiPolygon(Vec<Vec<Vec<Coord>>>),
    Collection(Vec<Geometry>),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeometryError {
    #[error("unknown geometry type {0:?}")]
    UnknownType(String),
    #[error("coordinates are not numbers")]
    NotNumbers,
    #[error("a position needs two coordinates")]
    ShortPosition,
    #[error("geometry nested too deeply")]
    TooDeep,
    #[error("WKB is cut short or malformed")]
    BadWkb,
}

/// Collections inside collections, as deep as anyone nests them (a bound for hostile input).
const MAX_DEPTH: usize = 8;

/// Whether reading met positions with more than two coordinates.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReadNotes {
    pub dropped_z: bool,
}

impl Geometry {
    /// Row `row` of a WKB column (a spatial table's geometry); `None` when it is missing, not
    /// WKB or not a binary column at all.
    pub fn at(column: &dyn datafusion::arrow::array::Array, row: usize) -> Option<Geometry> {
        use datafusion::arrow::array::AsArray;
        let a = column.as_binary_opt::<i32>()?;
        if datafusion::arrow::array::Array::is_null(a, row) {
            return None;
        }
        Geometry::from_wkb(a.value(row)).ok()
    }

    /// A GeoJSON geometry object; `Ok(None)` for `null`.
    pub fn from_geojson(
        v: &Value,
        notes: &mut ReadNotes,
    ) -> Result<Option<Geometry>, GeometryError> {
        if v.is_null() {
            return Ok(None);
        }
        read_geojson(v, notes, 0).map(Some)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::LineString(_) => "LineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::MultiPolygon(_) => "MultiPolygon",
            Geometry::Collection(_) => "GeometryCollection",
        }
    }

    /// The OGC simple-feature type code (WKB, FlatGeobuf, GeoPackage).
    pub(crate) fn wkb_code(&self) -> u32 {
        match self {
            Geometry::Point(_) => 1,
            Geometry::LineString(_) => 2,
            Geometry::Polygon(_) => 3,
            Geometry::MultiPoint(_) => 4,
            Geometry::MultiLineString(_) => 5,
            Geometry::MultiPolygon(_) => 6,
            Geometry::Collection(_) => 7,
        }
    }

    pub fn is_empty(&self) -> bool {
        let mut any = false;
        self.each_coord(&mut |_| any = true);
        !any
    }

    pub fn each_coord(&self, f: &mut dyn FnMut(&Coord)) {
        match self {
            Geometry::Point(c) => f(c),
            Geometry::LineString(cs) | Geometry::MultiPoint(cs) => cs.iter().for_each(f),
            Geometry::Polygon(rings) | Geometry::MultiLineString(rings) => {
                rings.iter().flatten().for_each(f)
            }
            Geometry::MultiPolygon(polys) => polys.iter().flatten().flatten().for_each(f),
            Geometry::Collection(gs) => gs.iter().for_each(|g| g.each_coord(f)),
        }
    }

    pub fn each_coord_mut<E>(
        &mut self,
        f: &mut dyn FnMut(&mut Coord) -> Result<(), E>,
    ) -> Result<(), E> {
        match self {
            Geometry::Point(c) => f(c),
            Geometry::LineString(cs) | Geometry::MultiPoint(cs) => cs.iter_mut().try_for_each(f),
            Geometry::Polygon(rings) | Geometry::MultiLineString(rings) => {
                rings.iter_mut().flatten().try_for_each(f)
            }
            Geometry::MultiPolygon(polys) => polys.iter_mut().flatten().flatten().try_for_each(f),
            Geometry::Collection(gs) => gs.iter_mut().try_for_each(|g| g.each_coord_mut(f)),
        }
    }

    /// `[minx, miny, maxx, maxy]`, `None` when empty.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let mut b: Option<[f64; 4]> = None;
        self.each_coord(&mut |c| extend(&mut b, c));
        b
    }

    pub fn write_wkb(&self, out: &mut Vec<u8>) {
        out.push(1);
        out.extend_from_slice(&self.wkb_code().to_le_bytes());
        let coord = |out: &mut Vec<u8>, c: &Coord| {
            out.extend_from_slice(&c[0].to_le_bytes());
            out.extend_from_slice(&c[1].to_le_bytes());
        };
        let count = |out: &mut Vec<u8>, n: usize| {
            out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
        };
        let line = |out: &mut Vec<u8>, cs: &[Coord]| {
            count(out, cs.len());
            cs.iter().for_each(|c| coord(out, c));
        };
        match self {
            Geometry::Point(c) => coord(out, c),
            Geometry::LineString(cs) => line(out, cs),
            Geometry::Polygon(rings) => {
                count(out, rings.len());
                rings.iter().for_each(|r| line(out, r));
            }
            Geometry::MultiPoint(cs) => {
                count(out, cs.len());
                for c in cs {
                    Geometry::Point(*c).write_wkb(out);
                }
            }
            Geometry::MultiLineString(ls) => {
                count(out, ls.len());
                for l in ls {
                    out.push(1);
                    out.extend_from_slice(&2u32.to_le_bytes());
                    line(out, l);
                }
            }
            Geometry::MultiPolygon(ps) => {
                count(out, ps.len());
                for p in ps {
                    out.push(1);
                    out.extend_from_slice(&3u32.to_le_bytes());
                    count(out, p.len());
                    p.iter().for_each(|r| line(out, r));
                }
            }
            Geometry::Collection(gs) => {
                count(out, gs.len());
                gs.iter().for_each(|g| g.write_wkb(out));
            }
        }
    }

    pub fn to_wkb(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_wkb(&mut out);
        out
    }

    /// Reads WKB (either byte order, 2D; ISO or EWKB-style Z/M flags are read and the extra
    /// coordinates dropped).
    pub fn from_wkb(bytes: &[u8]) -> Result<Geometry, GeometryError> {
        let mut r = WkbReader { b: bytes, pos: 0 };
        let g = r.geometry(0)?;
        Ok(g)
    }

    pub fn to_geojson(&self) -> Value {
        let c = |c: &Coord| json!([c[0], c[1]]);
        let line = |cs: &[Coord]| Value::Array(cs.iter().map(c).collect());
        let rings = |rs: &[Vec<Coord>]| Value::Array(rs.iter().map(|r| line(r)).collect());
        match self {
            Geometry::Collection(gs) => json!({
                "type": "GeometryCollection",
                "geometries": gs.iter().map(Geometry::to_geojson).collect::<Vec<_>>(),
            }),
            g => {
                let coordinates = match g {
                    Geometry::Point(p) => c(p),
                    Geometry::LineString(cs) | Geometry::MultiPoint(cs) => line(cs),
                    Geometry::Polygon(rs) | Geometry::MultiLineString(rs) => rings(rs),
                    Geometry::MultiPolygon(ps) => {
                        Value::Array(ps.iter().map(|p| rings(p)).collect())
                    }
                    Geometry::Collection(_) => Value::Null,
                };
                json!({ "type": g.kind(), "coordinates": coordinates })
            }
        }
    }

    /// Well-known text, e.g. `POINT (10.0933 48.8378)`.
    pub fn write_wkt(&self, out: &mut String) {
        fn coords(out: &mut String, cs: &[Coord]) {
            out.push('(');
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{} {}", c[0], c[1]);
            }
            out.push(')');
        }
        fn rings(out: &mut String, rs: &[Vec<Coord>]) {
            out.push('(');
            for (i, r) in rs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                coords(out, r);
            }
            out.push(')');
        }
        let name = self.kind().to_ascii_uppercase();
        out.push_str(&name);
        if self.is_empty() {
            out.push_str(" EMPTY");
            return;
        }
        out.push(' ');
        match self {
            Geometry::Point(c) => {
                let _ = write!(out, "({} {})", c[0], c[1]);
            }
            Geometry::LineString(cs) | Geometry::MultiPoint(cs) => coords(out, cs),
            Geometry::Polygon(rs) | Geometry::MultiLineString(rs) => rings(out, rs),
            Geometry::MultiPolygon(ps) => {
                out.push('(');
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    rings(out, p);
                }
                out.push(')');
            }
            Geometry::Collection(gs) => {
                out.push('(');
                for (i, g) in gs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    g.write_wkt(out);
                }
                out.push(')');
            }
        }
    }

    pub fn to_wkt(&self) -> String {
        let mut s = String::new();
        self.write_wkt(&mut s);
        s
    }
}

pub fn extend(b: &mut Option<[f64; 4]>, c: &Coord) {
    match b {
        None => *b = Some([c[0], c[1], c[0], c[1]]),
        Some(b) => {
            b[0] = b[0].min(c[0]);
            b[1] = b[1].min(c[1]);
            b[2] = b[2].max(c[0]);
            b[3] = b[3].max(c[1]);
        }
    }
}

fn position(v: &Value, notes: &mut ReadNotes) -> Result<Coord, GeometryError> {
    let a = v.as_array().ok_or(GeometryError::NotNumbers)?;
    if a.len() < 2 {
        return Err(GeometryError::ShortPosition);
    }
    if a.len() > 2 {
        notes.dropped_z = true;
    }
    let x = a[0].as_f64().ok_or(GeometryError::NotNumbers)?;
    let y = a[1].as_f64().ok_or(GeometryError::NotNumbers)?;
    Ok([x, y])
}

fn positions(v: &Value, notes: &mut ReadNotes) -> Result<Vec<Coord>, GeometryError> {
    v.as_array()
        .ok_or(GeometryError::NotNumbers)?
        .iter()
        .map(|p| position(p, notes))
        .collect()
}

fn lines(v: &Value, notes: &mut ReadNotes) -> Result<Vec<Vec<Coord>>, GeometryError> {
    v.as_array()
        .ok_or(GeometryError::NotNumbers)?
        .iter()
        .map(|l| positions(l, notes))
        .collect()
}

fn read_geojson(v: &Value, notes: &mut ReadNotes, depth: usize) -> Result<Geometry, GeometryError> {
    if depth > MAX_DEPTH {
        return Err(GeometryError::TooDeep);
    }
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = v.get("coordinates").unwrap_or(&Value::Null);
    Ok(match kind {
        "Point" => Geometry::Point(position(coords, notes)?),
        "LineString" => Geometry::LineString(positions(coords, notes)?),
        "MultiPoint" => Geometry::MultiPoint(positions(coords, notes)?),
        "Polygon" => Geometry::Polygon(lines(coords, notes)?),
        "MultiLineString" => Geometry::MultiLineString(lines(coords, notes)?),
        "MultiPolygon" => Geometry::MultiPolygon(
            coords
                .as_array()
                .ok_or(GeometryError::NotNumbers)?
                .iter()
                .map(|p| lines(p, notes))
                .collect::<Result<_, _>>()?,
        ),
        "GeometryCollection" => Geometry::Collection(
            v.get("geometries")
                .and_then(Value::as_array)
                .ok_or(GeometryError::NotNumbers)?
                .iter()
                .map(|g| read_geojson(g, notes, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        other => return Err(GeometryError::UnknownType(other.chars().take(40).collect())),
    })
}

struct WkbReader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl WkbReader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], GeometryError> {
        let end = self.pos.checked_add(N).ok_or(GeometryError::BadWkb)?;
        let s = self.b.get(self.pos..end).ok_or(GeometryError::BadWkb)?;
        self.pos = end;
        s.try_into().map_err(|_| GeometryError::BadWkb)
    }

    fn geometry(&mut self, depth: usize) -> Result<Geometry, GeometryError> {
        if depth > MAX_DEPTH {
            return Err(GeometryError::TooDeep);
        }
        let [order] = self.take::<1>()?;
        let le = match order {
            1 => true,
            0 => false,
            _ => return Err(GeometryError::BadWkb),
        };
        let u32_ = |r: &mut Self| -> Result<u32, GeometryError> {
            let b = r.take::<4>()?;
            Ok(if le {
                u32::from_le_bytes(b)
            } else {
                u32::from_be_bytes(b)
            })
        };
        let raw = u32_(self)?;
        // ISO: 1000s for Z, 2000s for M, 3000s for ZM; EWKB: high flag bits.
        let ewkb_z = raw & 0x8000_0000 != 0;
        let ewkb_m = raw & 0x4000_0000 != 0;
        if raw & 0x2000_0000 != 0 {
            let _srid = u32_(self)?;
        }
        let base = raw & 0x0FFF_FFFF;
        let (code, iso_dims) = (base % 1000, base / 1000);
        let extra = match iso_dims {
            1 | 2 => 1,
            3 => 2,
            _ => usize::from(ewkb_z) + usize::from(ewkb_m),
        };
        let coord = |r: &mut Self| -> Result<Coord, GeometryError> {
            let mut f = || -> Result<f64, GeometryError> {
                let b = r.take::<8>()?;
                Ok(if le {
                    f64::from_le_bytes(b)
                } else {
                    f64::from_be_bytes(b)
                })
            };
            let c = [f()?, f()?];
            for _ in 0..extra {
                f()?;
            }
            Ok(c)
        };
        // Counts come from the bytes: never reserve by them, and stop at the input's end.
        let line = |r: &mut Self| -> Result<Vec<Coord>, GeometryError> {
            let n = u32_(r)?;
            let mut v = Vec::new();
            for _ in 0..n {
                v.push(coord(r)?);
            }
            Ok(v)
        };
        Ok(match code {
            1 => Geometry::Point(coord(self)?),
            2 => Geometry::LineString(line(self)?),
            3 => {
                let n = u32_(self)?;
                let mut rings = Vec::new();
                for _ in 0..n {
                    rings.push(line(self)?);
                }
                Geometry::Polygon(rings)
            }
            4..=7 => {
                let n = u32_(self)?;
                let mut parts = Vec::new();
                for _ in 0..n {
                    parts.push(self.geometry(depth + 1)?);
                }
                match code {
                    4 => Geometry::MultiPoint(
                        parts
                            .into_iter()
                            .map(|g| match g {
                                Geometry::Point(c) => Ok(c),
                                _ => Err(GeometryError::BadWkb),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    5 => Geometry::MultiLineString(
                        parts
                            .into_iter()
                            .map(|g| match g {
                                Geometry::LineString(l) => Ok(l),
                                _ => Err(GeometryError::BadWkb),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    6 => Geometry::MultiPolygon(
                        parts
                            .into_iter()
                            .map(|g| match g {
                                Geometry::Polygon(p) => Ok(p),
                                _ => Err(GeometryError::BadWkb),
                            })
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => Geometry::Collection(parts),
                }
            }
            _ => return Err(GeometryError::BadWkb),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(v: Value) -> Geometry {
        Geometry::from_geojson(&v, &mut ReadNotes::default())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn geojson_wkb_geojson_round_trips() {
        for v in [
            json!({"type": "Point", "coordinates": [10.0933, 48.8378]}),
            json!({"type": "LineString", "coordinates": [[10.0, 48.0], [10.5, 48.5]]}),
            json!({"type": "Polygon", "coordinates": [[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]}),
            json!({"type": "MultiPoint", "coordinates": [[1.0, 2.0], [3.0, 4.0]]}),
            json!({"type": "MultiLineString", "coordinates": [[[1.0, 2.0], [3.0, 4.0]]]}),
            json!({"type": "MultiPolygon", "coordinates": [[[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]]}),
            json!({"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1.0, 2.0]}]}),
            json!({"type": "LineString", "coordinates": []}),
        ] {
            let g = read(v.clone());
            let back = Geometry::from_wkb(&g.to_wkb()).unwrap();
            assert_eq!(back, g);
            assert_eq!(back.to_geojson(), v);
        }
    }

    #[test]
    fn wkt_and_bbox() {
        let g = read(json!({"type": "LineString", "coordinates": [[10.0, 48.5], [10.5, 48.0]]}));
        assert_eq!(g.to_wkt(), "LINESTRING (10 48.5, 10.5 48)");
        assert_eq!(g.bbox(), Some([10.0, 48.0, 10.5, 48.5]));
        assert_eq!(
            read(json!({"type": "Point", "coordinates": [1.5, 2.0]})).to_wkt(),
            "POINT (1.5 2)"
        );
        assert_eq!(
            read(json!({"type": "MultiPoint", "coordinates": []})).to_wkt(),
            "MULTIPOINT EMPTY"
        );
    }

    #[test]
    fn z_is_dropped_and_noted() {
        let mut notes = ReadNotes::default();
        let g = Geometry::from_geojson(
            &json!({"type": "Point", "coordinates": [1.0, 2.0, 300.0]}),
            &mut notes,
        )
        .unwrap()
        .unwrap();
        assert_eq!(g, Geometry::Point([1.0, 2.0]));
        assert!(notes.dropped_z);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut n = ReadNotes::default();
        for v in [
            json!({"type": "Circle", "coordinates": [1, 2]}),
            json!({"type": "Point", "coordinates": [1]}),
            json!({"type": "Point", "coordinates": ["a", "b"]}),
            json!({"type": "Polygon", "coordinates": 5}),
        ] {
            assert!(Geometry::from_geojson(&v, &mut n).is_err(), "{v}");
        }
        let mut deep = json!({"type": "Point", "coordinates": [1, 2]});
        for _ in 0..20 {
            deep = json!({"type": "GeometryCollection", "geometries": [deep]});
        }
        assert_eq!(
            Geometry::from_geojson(&deep, &mut n),
            Err(GeometryError::TooDeep)
        );
        // WKB claiming four billion points in five bytes.
        assert!(Geometry::from_wkb(&[1, 2, 0, 0, 0, 255, 255, 255, 255]).is_err());
        assert!(Geometry::from_wkb(&[]).is_err());
        // PostGIS EWKB hex with SRID and Z, as found in real files: POINT Z with SRID 4326.
        let mut ewkb = vec![1u8];
        ewkb.extend_from_slice(&(1u32 | 0x8000_0000 | 0x2000_0000).to_le_bytes());
        ewkb.extend_from_slice(&4326u32.to_le_bytes());
        for v in [9.0f64, 48.0, 100.0] {
            ewkb.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            Geometry::from_wkb(&ewkb).unwrap(),
            Geometry::Point([9.0, 48.0])
        );
    }
}
