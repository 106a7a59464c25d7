//! ESRI Shapefiles as published: a ZIP with `.shp` (geometries), `.dbf` (attributes), `.prj`
//! (CRS as WKT) and `.cpg` (the attributes' encoding), read into features. The two files are
//! unpacked (bounded) and read side by side, record by record, so memory stays that of one
//! record whatever the file's size.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use allmende_core::i18n::Msg;
use serde_json::Map;

use super::crs::Crs;
use super::dbf::{Dbf, encoding_of_cpg};
use super::features::{Converted, FeatureFile};
use super::geometry::{Coord, Geometry};
use super::rings::{contains, signed_area};
use crate::IngestError;
use crate::ingest::options::{IngestOptions, Limits};

fn bad(reason: impl std::fmt::Display) -> IngestError {
    IngestError::Data(Msg::new("geo.shp_bad").arg("reason", reason))
}

pub(crate) fn convert(
    input: &Path,
    options: &IngestOptions,
    limits: Limits,
    out: &Path,
) -> Result<Converted, IngestError> {
    let mut zip = zip::ZipArchive::new(BufReader::new(File::open(input)?))
        .map_err(|e| bad(format!("ZIP: {e}")))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .filter(|n| !n.starts_with("__MACOSX/"))
        .collect();
    let mut layers: Vec<&str> = names
        .iter()
        .filter(|n| n.to_ascii_lowercase().ends_with(".shp"))
        .map(|n| &n[..n.len() - 4])
        .collect();
    layers.sort_unstable();
    let layer_name = |l: &str| l.rsplit('/').next().unwrap_or(l).to_string();
    let stem = match options.sheet.as_deref() {
        Some(wanted) => *layers
            .iter()
            .find(|l| layer_name(l) == wanted)
            .ok_or_else(|| {
                IngestError::Data(
                    Msg::new("geo.no_such_layer").arg("layer", wanted).arg(
                        "layers",
                        layers
                            .iter()
                            .map(|l| layer_name(l))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                )
            })?,
        None => *layers
            .first()
            .ok_or_else(|| IngestError::Data(Msg::new("geo.shp_missing")))?,
    };
    let mut converted = Converted::default();
    converted
        .dialect
        .insert("layer".into(), layer_name(stem).into());
    if layers.len() > 1 {
        converted.warnings.push(
            Msg::new("geo.other_layers")
                .arg("layer", layer_name(stem))
                .arg("n", layers.len() - 1),
        );
    }
    let sidecar = |ext: &str| {
        let want = format!("{}.{ext}", stem.to_ascii_lowercase());
        names
            .iter()
            .find(|n| n.to_ascii_lowercase() == want)
            .cloned()
    };
    let shp_name = sidecar("shp").ok_or_else(|| IngestError::Data(Msg::new("geo.shp_missing")))?;
    let dbf_name = sidecar("dbf").ok_or_else(|| IngestError::Data(Msg::new("geo.shp_no_dbf")))?;
    let dir = tempfile::tempdir_in(out.parent().unwrap_or_else(|| Path::new(".")))?;
    let mut budget = limits.max_unpacked_bytes;
    let shp_path = dir.path().join("layer.shp");
    let dbf_path = dir.path().join("layer.dbf");
    let limit = limits.max_unpacked_bytes;
    unpack(&mut zip, &shp_name, &shp_path, &mut budget, limit)?;
    unpack(&mut zip, &dbf_name, &dbf_path, &mut budget, limit)?;
    let small = |zip: &mut zip::ZipArchive<BufReader<File>>, name: Option<String>| {
        let mut text = String::new();
        if let Some(name) = name
            && let Ok(entry) = zip.by_name(&name)
        {
            let mut bytes = Vec::new();
            entry.take(64 * 1024).read_to_end(&mut bytes)?;
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        Ok::<_, IngestError>(text)
    };
    let prj = small(&mut zip, sidecar("prj"))?;
    let cpg = small(&mut zip, sidecar("cpg"))?;
    let encoding = match cpg.trim() {
        "" => encoding_rs::WINDOWS_1252,
        label => encoding_of_cpg(label).ok_or_else(|| {
            IngestError::Data(Msg::new("geo.dbf_encoding").arg("encoding", label))
        })?,
    };
    converted
        .dialect
        .insert("encoding".into(), encoding.name().into());
    let crs = match prj.trim() {
        "" => {
            converted.warnings.push(Msg::new("geo.shp_no_prj"));
            None
        }
        wkt => Some(match Crs::from_wkt(wkt) {
            Ok(c) => format!("EPSG:{}", c.epsg()),
            Err(name) => name,
        }),
    };
    let mut shp = Shp::open(&shp_path, limits.max_record_bytes)?;
    let mut dbf = Dbf::open(&dbf_path, encoding)?;
    let mut features = FeatureFile::create(out, crs.as_deref())?;
    let mut props = Map::new();
    loop {
        let geometry = shp.next()?;
        let record = dbf.next(&mut props)?;
        match (geometry, record) {
            (None, None) => break,
            (Some(_), Some(false)) => continue,
            (Some(g), Some(true)) => features.push(&props, g.as_ref())?,
            // The two files disagree on the number of records: the layer is cut.
            _ => {
                return Err(bad(
                    "the .shp and the .dbf hold different numbers of records",
                ));
            }
        }
    }
    if shp.dropped_z {
        converted.warnings.push(Msg::new("geo.dropped_z"));
    }
    features.finish()?;
    Ok(converted)
}

/// Copies one ZIP entry to `to`, counting its unpacked size against `budget` (what is left
/// of `limit`).
pub(crate) fn unpack(
    zip: &mut zip::ZipArchive<BufReader<File>>,
    name: &str,
    to: &Path,
    budget: &mut u64,
    limit: u64,
) -> Result<(), IngestError> {
    let entry = zip.by_name(name).map_err(|e| bad(format!("{name}: {e}")))?;
    let mut out = std::io::BufWriter::new(File::create(to)?);
    let copied = std::io::copy(&mut entry.take(*budget + 1), &mut out)?;
    if copied > *budget {
        return Err(IngestError::Data(
            Msg::new("geo.unpacked_too_large").arg("max", limit >> 20),
        ));
    }
    *budget -= copied;
    std::io::Write::flush(&mut out)?;
    Ok(())
}

/// The `.shp` file: a 100-byte header, then records of a big-endian header (number, length
/// in 16-bit words) and little-endian content.
struct Shp {
    reader: BufReader<File>,
    buf: Vec<u8>,
    max: usize,
    dropped_z: bool,
}

impl Shp {
    fn open(path: &Path, max: usize) -> Result<Self, IngestError> {
        let mut reader = BufReader::new(File::open(path)?);
        let mut head = [0u8; 100];
        reader
            .read_exact(&mut head)
            .map_err(|_| bad("the .shp header is cut short"))?;
        if head[..4] != [0, 0, 0x27, 0x0a] {
            return Err(bad("the .shp file does not start like one"));
        }
        Ok(Self {
            reader,
            buf: Vec::new(),
            max,
            dropped_z: false,
        })
    }

    /// The next record's geometry (`Some(None)` for a null shape); `None` at the end.
    fn next(&mut self) -> Result<Option<Option<Geometry>>, IngestError> {
        let mut head = [0u8; 8];
        match self.reader.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let words = u32::from_be_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let len = words * 2;
        if len > self.max {
            let n = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            return Err(IngestError::Data(
                Msg::new("geo.geometry_too_large").arg("feature", n),
            ));
        }
        self.buf.resize(len, 0);
        self.reader
            .read_exact(&mut self.buf)
            .map_err(|_| bad("a record is cut short"))?;
        let mut r = Le {
            b: &self.buf,
            pos: 0,
        };
        let kind = r.i32()?;
        if matches!(kind, 11 | 13 | 15 | 18) {
            self.dropped_z = true;
        }
        Ok(Some(match kind {
            0 => None,
            1 | 11 | 21 => Some(Geometry::Point(r.coord()?)),
            8 | 18 | 28 => {
                r.skip(32)?;
                let n = r.count()?;
                Some(Geometry::MultiPoint(r.coords(n)?))
            }
            3 | 13 | 23 | 5 | 15 | 25 => {
                r.skip(32)?;
                let parts = r.count()?;
                let points = r.count()?;
                let mut starts = Vec::new();
                for _ in 0..parts {
                    starts.push(r.count()?);
                }
                let all = r.coords(points)?;
                let mut rings = Vec::new();
                for (i, &s) in starts.iter().enumerate() {
                    let e = starts.get(i + 1).copied().unwrap_or(points);
                    if s > e || e > points {
                        return Err(bad("part indices out of order"));
                    }
                    rings.push(all[s..e].to_vec());
                }
                Some(match kind % 10 {
                    3 if rings.len() == 1 => Geometry::LineString(rings.remove(0)),
                    3 => Geometry::MultiLineString(rings),
                    _ => polygon(rings),
                })
            }
            // MultiPatch (3D surfaces) has no simple-feature equivalent.
            31 => None,
            other => return Err(bad(format!("unknown shape type {other}"))),
        }))
    }
}

struct Le<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Le<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], IngestError> {
        let s = self
            .b
            .get(self.pos..self.pos + N)
            .ok_or_else(|| bad("a record is shorter than its content"))?;
        self.pos += N;
        s.try_into()
            .map_err(|_| bad("a record is shorter than its content"))
    }

    fn skip(&mut self, n: usize) -> Result<(), IngestError> {
        if self.pos + n > self.b.len() {
            return Err(bad("a record is shorter than its content"));
        }
        self.pos += n;
        Ok(())
    }

    fn i32(&mut self) -> Result<i32, IngestError> {
        Ok(i32::from_le_bytes(self.take()?))
    }

    /// A count that must fit in what is left of the record (so no count from the bytes
    /// reserves more memory than the record holds).
    fn count(&mut self) -> Result<usize, IngestError> {
        let n = usize::try_from(self.i32()?).map_err(|_| bad("a negative count"))?;
        if n > self.b.len() {
            return Err(bad("a count larger than the record"));
        }
        Ok(n)
    }

    fn coord(&mut self) -> Result<Coord, IngestError> {
        Ok([
            f64::from_le_bytes(self.take()?),
            f64::from_le_bytes(self.take()?),
        ])
    }

    fn coords(&mut self, n: usize) -> Result<Vec<Coord>, IngestError> {
        if self.pos + n * 16 > self.b.len() {
            return Err(bad("a record is shorter than its points"));
        }
        (0..n).map(|_| self.coord()).collect()
    }
}

/// Shapefile polygons are a list of rings: clockwise ones are outer rings, counter-clockwise
/// ones holes of the outer ring that contains them. GeoJSON (RFC 7946) wants the opposite
/// winding, so every ring is reversed.
fn polygon(rings: Vec<Vec<Coord>>) -> Geometry {
    let mut polygons: Vec<Vec<Vec<Coord>>> = Vec::new();
    let mut holes = Vec::new();
    for mut ring in rings {
        ring.reverse();
        if signed_area(&ring) >= 0.0 {
            polygons.push(vec![ring]);
        } else {
            holes.push(ring);
        }
    }
    for hole in holes {
        let owner = hole
            .first()
            .and_then(|p| polygons.iter_mut().find(|poly| contains(&poly[0], *p)));
        match owner {
            Some(poly) => poly.push(hole),
            // A hole in nothing: a writer that got the winding wrong; keep it as an area.
            None => polygons.push(vec![hole.into_iter().rev().collect()]),
        }
    }
    match polygons.len() {
        0 => Geometry::Polygon(Vec::new()),
        1 => Geometry::Polygon(polygons.remove(0)),
        _ => Geometry::MultiPolygon(polygons),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64, clockwise: bool) -> Vec<Coord> {
        let mut r = vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]];
        if clockwise {
            r.reverse();
        }
        r
    }

    #[test]
    fn rings_become_polygons_with_holes() {
        let g = polygon(vec![
            square(0.0, 0.0, 10.0, true),
            square(2.0, 2.0, 2.0, false),
            square(20.0, 0.0, 5.0, true),
        ]);
        let Geometry::MultiPolygon(p) = g else {
            panic!("{g:?}")
        };
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].len(), 2, "the hole belongs to the first square");
        assert!(signed_area(&p[0][0]) > 0.0, "outer rings counter-clockwise");
        assert!(signed_area(&p[0][1]) < 0.0, "holes clockwise");
        assert_eq!(p[1].len(), 1);
        // A lone counter-clockwise ring is an area, not a hole of nothing.
        let g = polygon(vec![square(0.0, 0.0, 1.0, false)]);
        assert!(matches!(g, Geometry::Polygon(r) if r.len() == 1 && signed_area(&r[0]) > 0.0));
    }
}
