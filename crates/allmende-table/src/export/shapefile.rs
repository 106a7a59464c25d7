//! Shapefile export: a ZIP of `daten.shp`, `.shx`, `.dbf` (UTF-8, said in `.cpg`) and `.prj`
//! (WGS 84). The `.shp` header needs the file's length and extent, and the `.dbf` header each
//! field's width, so geometries go to a file whose header is written last, and attribute
//! values to a spool file from which the `.dbf` is written once the widths are known.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, SchemaRef};

use crate::cells::ColumnWriter;
use crate::geo::Geometry;
use crate::geo::geometry::Coord;
use crate::geo::rings::signed_area;
use crate::snapshot::ROW_ID;

const PRJ: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const STEM: &str = "daten";

fn too_large(what: &str) -> std::io::Error {
    std::io::Error::other(format!("too large for a Shapefile: {what}"))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Integer,
    Float,
    Date,
    Logical,
}

struct Field {
    column: usize,
    name: String,
    kind: Kind,
    /// Longest value in bytes (text, integers, dates) or integer digits (floats).
    width: usize,
    decimals: usize,
}

pub(super) fn write_shapefile(
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
    w: &mut impl Write,
) -> std::io::Result<()> {
    let dir = tempfile::tempdir()?;
    let fields_in = schema.fields();
    let geometry = fields_in
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let mut taken = std::collections::HashSet::new();
    let mut fields: Vec<Field> = (0..fields_in.len())
        .filter(|&i| Some(i) != geometry && fields_in[i].name() != ROW_ID)
        .map(|i| Field {
            column: i,
            name: dbf_name(fields_in[i].name(), &mut taken),
            kind: match fields_in[i].data_type() {
                DataType::Int64 => Kind::Integer,
                DataType::Float64 => Kind::Float,
                DataType::Date32 => Kind::Date,
                DataType::Boolean => Kind::Logical,
                _ => Kind::Text,
            },
            width: 1,
            decimals: 0,
        })
        .collect();
    if fields.len() > 255 {
        return Err(too_large("more than 255 attributes"));
    }
    let mut shp = Shapes::create(&dir.path().join("records"))?;
    let mut spool = BufWriter::new(File::create(dir.path().join("spool"))?);
    let mut text = Vec::new();
    let mut scratch = Vec::new();
    for batch in batches {
        let writers = ColumnWriter::of_batch(&batch);
        for row in 0..batch.num_rows() {
            let g = geometry.and_then(|g| Geometry::at(batch.column(g).as_ref(), row));
            shp.push(g.as_ref())?;
            for f in fields.iter_mut() {
                let a = batch.column(f.column);
                if a.is_null(row) {
                    spool.write_all(&u32::MAX.to_le_bytes())?;
                    continue;
                }
                text.clear();
                if f.kind == Kind::Float {
                    let v = a.as_primitive::<Float64Type>().value(row);
                    // The shortest text that reads back as the value decides the decimals.
                    let s = if v.is_finite() {
                        format!("{v}")
                    } else {
                        String::new()
                    };
                    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
                    f.width = f.width.max(int.len());
                    f.decimals = f.decimals.max(frac.len()).min(15);
                    text.extend_from_slice(s.as_bytes());
                } else {
                    writers[f.column].plain(&mut text, row, &mut scratch);
                    if f.kind == Kind::Date {
                        text.retain(|b| *b != b'-');
                    }
                    f.width = f.width.max(text.len()).min(254);
                }
                spool.write_all(&(text.len() as u32).to_le_bytes())?;
                spool.write_all(&text)?;
            }
        }
    }
    spool.flush()?;
    drop(spool);
    for f in fields.iter_mut() {
        match f.kind {
            Kind::Float => f.width = (f.width + 1 + f.decimals).min(254),
            Kind::Date => f.width = 8,
            Kind::Logical => f.width = 1,
            _ => {}
        }
    }
    let records = shp.records;
    shp.finish(&dir.path().join("daten.shp"), &dir.path().join("daten.shx"))?;
    write_dbf(
        &dir.path().join("spool"),
        &fields,
        records,
        &dir.path().join("daten.dbf"),
    )?;
    // Zipped into a file first: the writer needs to seek back to each entry's header.
    let zip_path = dir.path().join("export.zip");
    {
        let mut zip = zip::ZipWriter::new(File::create(&zip_path)?);
        // Coordinates hardly compress at any level: the default (6) took twice as long as 2
        // for the same `.shp` size, and the padded `.dbf` is a few per cent larger at 2
        // (level 1, zlib-rs's quick mode, made the whole ZIP a quarter larger).
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(2))
            .large_file(false);
        let zerr = |e: zip::result::ZipError| std::io::Error::other(e.to_string());
        for ext in ["shp", "shx", "dbf"] {
            zip.start_file(format!("{STEM}.{ext}"), options)
                .map_err(zerr)?;
            std::io::copy(
                &mut File::open(dir.path().join(format!("{STEM}.{ext}")))?,
                &mut zip,
            )?;
        }
        for (ext, body) in [("prj", PRJ), ("cpg", "UTF-8")] {
            zip.start_file(format!("{STEM}.{ext}"), options)
                .map_err(zerr)?;
            zip.write_all(body.as_bytes())?;
        }
        zip.finish().map_err(zerr)?;
    }
    std::io::copy(&mut File::open(&zip_path)?, w)?;
    Ok(())
}

/// A field name as dBASE takes it: ASCII letters, digits and `_`, at most ten bytes, unique.
fn dbf_name(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut ascii = String::new();
    for c in name.chars() {
        match c {
            'ä' => ascii.push_str("ae"),
            'ö' => ascii.push_str("oe"),
            'ü' => ascii.push_str("ue"),
            'Ä' => ascii.push_str("Ae"),
            'Ö' => ascii.push_str("Oe"),
            'Ü' => ascii.push_str("Ue"),
            'ß' => ascii.push_str("ss"),
            c if c.is_ascii_alphanumeric() => ascii.push(c),
            _ => ascii.push('_'),
        }
    }
    let base: String = ascii.chars().take(10).collect();
    let base = if base.is_empty() {
        "feld".to_string()
    } else {
        base
    };
    let mut candidate = base.clone();
    let mut n = 1;
    while !taken.insert(candidate.to_ascii_lowercase()) {
        let suffix = format!("_{n}");
        candidate = format!("{}{suffix}", &base[..base.len().min(10 - suffix.len())]);
        n += 1;
    }
    candidate
}

fn write_dbf(spool: &Path, fields: &[Field], records: u32, out: &Path) -> std::io::Result<()> {
    let record_len: usize = 1 + fields.iter().map(|f| f.width).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    let record_len =
        u16::try_from(record_len).map_err(|_| too_large("rows wider than 65,535 bytes"))?;
    let mut w = BufWriter::new(File::create(out)?);
    let today = chrono::Utc::now().date_naive();
    use chrono::Datelike;
    w.write_all(&[
        0x03,
        (today.year() - 1900).clamp(0, 255) as u8,
        today.month() as u8,
        today.day() as u8,
    ])?;
    w.write_all(&records.to_le_bytes())?;
    w.write_all(&(header_len as u16).to_le_bytes())?;
    w.write_all(&record_len.to_le_bytes())?;
    w.write_all(&[0u8; 20])?;
    for f in fields {
        let mut d = [0u8; 32];
        d[..f.name.len()].copy_from_slice(f.name.as_bytes());
        d[11] = match f.kind {
            Kind::Text => b'C',
            Kind::Integer | Kind::Float => b'N',
            Kind::Date => b'D',
            Kind::Logical => b'L',
        };
        d[16] = f.width as u8;
        d[17] = if f.kind == Kind::Float {
            f.decimals as u8
        } else {
            0
        };
        w.write_all(&d)?;
    }
    w.write_all(&[0x0d])?;
    let mut r = BufReader::new(File::open(spool)?);
    let mut value = Vec::new();
    let mut cell = Vec::new();
    for _ in 0..records {
        w.write_all(b" ")?;
        for f in fields {
            let mut len = [0u8; 4];
            r.read_exact(&mut len)?;
            let len = u32::from_le_bytes(len);
            value.clear();
            if len != u32::MAX {
                value.resize(len as usize, 0);
                r.read_exact(&mut value)?;
            }
            cell.clear();
            match f.kind {
                Kind::Text => {
                    // Cut at a character boundary.
                    let s = String::from_utf8_lossy(&value);
                    let mut end = s.len().min(f.width);
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    cell.extend_from_slice(&s.as_bytes()[..end]);
                    cell.resize(f.width, b' ');
                }
                Kind::Float if !value.is_empty() => {
                    let v: f64 = std::str::from_utf8(&value)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0.0);
                    let s = format!("{v:>width$.prec$}", width = f.width, prec = f.decimals);
                    cell.extend_from_slice(&s.as_bytes()[s.len().saturating_sub(f.width)..]);
                }
                Kind::Integer if !value.is_empty() => {
                    cell.resize(f.width.saturating_sub(value.len()), b' ');
                    cell.extend_from_slice(&value[..value.len().min(f.width)]);
                }
                Kind::Logical => cell.push(match value.first() {
                    Some(b't') => b'T',
                    Some(b'f') => b'F',
                    _ => b'?',
                }),
                _ => {
                    cell.extend_from_slice(&value[..value.len().min(f.width)]);
                    cell.resize(f.width, b' ');
                }
            }
            w.write_all(&cell)?;
        }
    }
    w.write_all(&[0x1a])?;
    w.flush()
}

/// The `.shp` records as they are written, with what the headers need.
struct Shapes {
    records_file: BufWriter<File>,
    path: std::path::PathBuf,
    /// Offset and length (16-bit words) of each record, for the `.shx`.
    index: BufWriter<File>,
    index_path: std::path::PathBuf,
    records: u32,
    words: u64,
    shape_type: Option<i32>,
    bbox: Option<[f64; 4]>,
    buf: Vec<u8>,
}

impl Shapes {
    fn create(path: &Path) -> std::io::Result<Self> {
        let index_path = path.with_extension("idx");
        Ok(Self {
            records_file: BufWriter::new(File::create(path)?),
            path: path.to_path_buf(),
            index: BufWriter::new(File::create(&index_path)?),
            index_path,
            records: 0,
            words: 50,
            shape_type: None,
            bbox: None,
            buf: Vec::new(),
        })
    }

    fn push(&mut self, g: Option<&Geometry>) -> std::io::Result<()> {
        let family = g.filter(|g| !g.is_empty()).map(|g| match g {
            Geometry::Point(_) => 1,
            Geometry::MultiPoint(_) => 8,
            Geometry::LineString(_) | Geometry::MultiLineString(_) => 3,
            Geometry::Polygon(_) | Geometry::MultiPolygon(_) => 5,
            Geometry::Collection(_) => 0,
        });
        // The first geometry decides the file's shape type (points may widen to multipoints);
        // what does not fit is written as a null shape.
        let kind = match (family, self.shape_type) {
            (Some(0) | None, _) => 0,
            (Some(k), None) => {
                self.shape_type = Some(k);
                k
            }
            (Some(8), Some(1)) => 0,
            (Some(k), Some(t)) if k == t || (k == 1 && t == 8) => t,
            _ => 0,
        };
        self.buf.clear();
        let b = &mut self.buf;
        b.extend_from_slice(&kind.to_le_bytes());
        if let (Some(g), true) = (g, kind != 0) {
            let parts: Vec<Vec<Coord>> = match g {
                Geometry::Point(c) if kind == 1 => {
                    b.extend_from_slice(&c[0].to_le_bytes());
                    b.extend_from_slice(&c[1].to_le_bytes());
                    Vec::new()
                }
                Geometry::Point(c) => vec![vec![*c]],
                Geometry::MultiPoint(ps) => vec![ps.clone()],
                Geometry::LineString(l) => vec![l.clone()],
                Geometry::MultiLineString(ls) => ls.clone(),
                Geometry::Polygon(rings) => oriented(std::slice::from_ref(rings)),
                Geometry::MultiPolygon(polys) => oriented(polys),
                Geometry::Collection(_) => Vec::new(),
            };
            if kind != 1 {
                let all: Vec<Coord> = parts.iter().flatten().copied().collect();
                let bb = bbox_of(&all);
                for v in bb {
                    b.extend_from_slice(&v.to_le_bytes());
                }
                if kind != 8 {
                    b.extend_from_slice(&(parts.len() as i32).to_le_bytes());
                }
                b.extend_from_slice(&(all.len() as i32).to_le_bytes());
                if kind != 8 {
                    let mut start = 0i32;
                    for p in &parts {
                        b.extend_from_slice(&start.to_le_bytes());
                        start += p.len() as i32;
                    }
                }
                for c in &all {
                    b.extend_from_slice(&c[0].to_le_bytes());
                    b.extend_from_slice(&c[1].to_le_bytes());
                }
            }
            g.each_coord(&mut |c| crate::geo::geometry::extend(&mut self.bbox, c));
        }
        let words = (self.buf.len() / 2) as u64;
        self.records += 1;
        self.index.write_all(&(self.words as i32).to_be_bytes())?;
        self.index.write_all(&(words as i32).to_be_bytes())?;
        self.records_file
            .write_all(&(self.records as i32).to_be_bytes())?;
        self.records_file.write_all(&(words as i32).to_be_bytes())?;
        self.records_file.write_all(&self.buf)?;
        self.words += 4 + words;
        if self.words > i32::MAX as u64 {
            return Err(too_large("more than 4 GB of geometries"));
        }
        Ok(())
    }

    fn header(&self, words: u64) -> Vec<u8> {
        let mut h = Vec::with_capacity(100);
        h.extend_from_slice(&9994i32.to_be_bytes());
        h.extend_from_slice(&[0u8; 20]);
        h.extend_from_slice(&(words as i32).to_be_bytes());
        h.extend_from_slice(&1000i32.to_le_bytes());
        h.extend_from_slice(&self.shape_type.unwrap_or(0).to_le_bytes());
        for v in self.bbox.unwrap_or([0.0; 4]) {
            h.extend_from_slice(&v.to_le_bytes());
        }
        h.extend_from_slice(&[0u8; 32]);
        h
    }

    fn finish(mut self, shp: &Path, shx: &Path) -> std::io::Result<()> {
        self.records_file.flush()?;
        self.index.flush()?;
        let mut out = File::create(shp)?;
        out.write_all(&self.header(self.words))?;
        std::io::copy(&mut File::open(&self.path)?, &mut out)?;
        let mut out = File::create(shx)?;
        out.write_all(&self.header(50 + 4 * self.records as u64))?;
        let mut index = File::open(&self.index_path)?;
        index.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut index, &mut out)?;
        Ok(())
    }
}

fn bbox_of(cs: &[Coord]) -> [f64; 4] {
    let mut b = None;
    for c in cs {
        crate::geo::geometry::extend(&mut b, c);
    }
    b.unwrap_or([0.0; 4])
}

/// Shapefile rings: outer rings clockwise, holes counter-clockwise, whatever the source did.
fn oriented(polygons: &[Vec<Vec<Coord>>]) -> Vec<Vec<Coord>> {
    let mut out = Vec::new();
    for rings in polygons {
        for (i, ring) in rings.iter().enumerate() {
            let mut r = ring.clone();
            let clockwise = signed_area(&r) < 0.0;
            if (i == 0) != clockwise {
                r.reverse();
            }
            out.push(r);
        }
    }
    out
}
