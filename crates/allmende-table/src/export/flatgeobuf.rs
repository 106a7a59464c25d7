//! FlatGeobuf export (flatgeobuf.org, version 3): a header table with the columns and the
//! extent, then every feature as a size-prefixed FlatBuffer (geometry and binary-encoded
//! properties). Written without a spatial index (`index_node_size` 0), which readers take as a
//! stream. The header needs the feature count and extent, so features go to a spool file first.

use std::io::{BufWriter, Write};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, SchemaRef};
use flatbuffers::{FlatBufferBuilder, WIPOffset};

use crate::cells::ColumnWriter;
use crate::geo::Geometry;
use crate::geo::geometry::{Coord, extend};
use crate::snapshot::ROW_ID;

const MAGIC: &[u8; 8] = b"fgb\x03fgb\x00";

/// A table's field slot: `4 + 2 × field index` (FlatBuffers' vtable offsets).
const fn slot(field: u16) -> u16 {
    4 + 2 * field
}

// Column types of the FlatGeobuf schema.
const LONG: u8 = 7;
const DOUBLE: u8 = 10;
const BOOL: u8 = 2;
const STRING: u8 = 11;
const DATETIME: u8 = 13;

fn geometry_type(g: &Geometry) -> u8 {
    // The same codes as WKB's (1–7).
    g.wkb_code() as u8
}

/// Coordinates and part ends (in coordinate pairs) of a ring list.
fn flat(rings: &[Vec<Coord>], xy: &mut Vec<f64>, ends: &mut Vec<u32>) {
    for r in rings {
        for c in r {
            xy.extend_from_slice(c);
        }
        ends.push((xy.len() / 2) as u32);
    }
}

fn geometry<'a>(
    fbb: &mut FlatBufferBuilder<'a>,
    g: &Geometry,
) -> WIPOffset<flatbuffers::TableFinishedWIPOffset> {
    let (mut xy, mut ends) = (Vec::new(), Vec::new());
    let mut parts = Vec::new();
    match g {
        Geometry::Point(c) => xy.extend_from_slice(c),
        Geometry::LineString(l) | Geometry::MultiPoint(l) => {
            flat(std::slice::from_ref(l), &mut xy, &mut ends)
        }
        Geometry::Polygon(rings) | Geometry::MultiLineString(rings) => {
            flat(rings, &mut xy, &mut ends)
        }
        Geometry::MultiPolygon(polys) => {
            for p in polys {
                parts.push(geometry(fbb, &Geometry::Polygon(p.clone())));
            }
        }
        Geometry::Collection(gs) => {
            for part in gs {
                parts.push(geometry(fbb, part));
            }
        }
    }
    // One part needs no ends.
    if ends.len() <= 1 {
        ends.clear();
    }
    let ends = (!ends.is_empty()).then(|| fbb.create_vector(&ends));
    let xy = (!xy.is_empty()).then(|| fbb.create_vector(&xy));
    let parts = (!parts.is_empty()).then(|| fbb.create_vector(&parts));
    let t = fbb.start_table();
    if let Some(e) = ends {
        fbb.push_slot_always(slot(0), e);
    }
    if let Some(v) = xy {
        fbb.push_slot_always(slot(1), v);
    }
    if let Some(p) = parts {
        fbb.push_slot_always(slot(7), p);
    }
    fbb.push_slot::<u8>(slot(6), geometry_type(g), 0);
    fbb.end_table(t)
}

struct Field {
    column: usize,
    name: String,
    kind: u8,
}

pub(super) fn write_flatgeobuf(
    schema: SchemaRef,
    batches: impl Iterator<Item = RecordBatch>,
    w: &mut impl Write,
) -> std::io::Result<()> {
    let fields_in = schema.fields();
    let geometry_at = fields_in
        .iter()
        .position(|f| f.data_type() == &DataType::Binary);
    let fields: Vec<Field> = (0..fields_in.len())
        .filter(|&i| Some(i) != geometry_at && fields_in[i].name() != ROW_ID)
        .map(|i| Field {
            column: i,
            name: fields_in[i].name().clone(),
            kind: match fields_in[i].data_type() {
                DataType::Int64 => LONG,
                DataType::Float64 => DOUBLE,
                DataType::Boolean => BOOL,
                DataType::Date32 | DataType::Timestamp(_, _) => DATETIME,
                _ => STRING,
            },
        })
        .collect();
    let spool = tempfile::tempfile()?;
    let mut out = BufWriter::new(spool);
    let mut count: u64 = 0;
    let mut bbox: Option<[f64; 4]> = None;
    let mut kinds = std::collections::BTreeSet::new();
    let mut props = Vec::new();
    let mut text = Vec::new();
    let mut scratch = Vec::new();
    let mut fbb = FlatBufferBuilder::new();
    for batch in batches {
        let writers = ColumnWriter::of_batch(&batch);
        for row in 0..batch.num_rows() {
            let g = geometry_at.and_then(|g| Geometry::at(batch.column(g).as_ref(), row));
            props.clear();
            for (i, f) in fields.iter().enumerate() {
                let a = batch.column(f.column);
                if a.is_null(row) {
                    continue;
                }
                props.extend_from_slice(&(i as u16).to_le_bytes());
                match f.kind {
                    LONG => props
                        .extend_from_slice(&a.as_primitive::<Int64Type>().value(row).to_le_bytes()),
                    DOUBLE => props.extend_from_slice(
                        &a.as_primitive::<Float64Type>().value(row).to_le_bytes(),
                    ),
                    BOOL => props.push(u8::from(a.as_boolean().value(row))),
                    _ => {
                        text.clear();
                        writers[f.column].plain(&mut text, row, &mut scratch);
                        props.extend_from_slice(&(text.len() as u32).to_le_bytes());
                        props.extend_from_slice(&text);
                    }
                }
            }
            fbb.reset();
            let geometry = g.as_ref().filter(|g| !g.is_empty()).map(|g| {
                kinds.insert(geometry_type(g));
                g.each_coord(&mut |c| extend(&mut bbox, c));
                geometry(&mut fbb, g)
            });
            let properties = (!props.is_empty()).then(|| fbb.create_vector(&props));
            let t = fbb.start_table();
            if let Some(g) = geometry {
                fbb.push_slot_always(slot(0), g);
            }
            if let Some(p) = properties {
                fbb.push_slot_always(slot(1), p);
            }
            let feature = fbb.end_table(t);
            fbb.finish_size_prefixed(feature, None);
            out.write_all(fbb.finished_data())?;
            count += 1;
        }
    }
    let mut spool = out.into_inner().map_err(|e| e.into_error())?;
    // The header: name, extent, one geometry type or Unknown, the columns, the count, no index,
    // EPSG:4326.
    fbb.reset();
    let name = fbb.create_string("daten");
    let envelope = bbox.map(|b| fbb.create_vector(&b));
    let columns: Vec<_> = fields
        .iter()
        .map(|f| {
            let n = fbb.create_string(&f.name);
            let t = fbb.start_table();
            fbb.push_slot_always(slot(0), n);
            fbb.push_slot::<u8>(slot(1), f.kind, 0);
            fbb.end_table(t)
        })
        .collect();
    let columns = fbb.create_vector(&columns);
    let org = fbb.create_string("EPSG");
    let crs = {
        let t = fbb.start_table();
        fbb.push_slot_always(slot(0), org);
        fbb.push_slot::<i32>(slot(1), 4326, 0);
        fbb.end_table(t)
    };
    let kind = match (kinds.len(), kinds.first()) {
        (1, Some(k)) => *k,
        _ => 0,
    };
    let t = fbb.start_table();
    fbb.push_slot_always(slot(0), name);
    if let Some(e) = envelope {
        fbb.push_slot_always(slot(1), e);
    }
    fbb.push_slot::<u8>(slot(2), kind, 0);
    fbb.push_slot_always(slot(7), columns);
    fbb.push_slot::<u64>(slot(8), count, 0);
    // Not the schema's default of 16: there is no index.
    fbb.push_slot_always::<u16>(slot(9), 0);
    fbb.push_slot_always(slot(10), crs);
    let header = fbb.end_table(t);
    fbb.finish_size_prefixed(header, None);
    w.write_all(MAGIC)?;
    w.write_all(fbb.finished_data())?;
    std::io::Seek::seek(&mut spool, std::io::SeekFrom::Start(0))?;
    std::io::copy(&mut spool, w)?;
    Ok(())
}
