//! Tables with coordinate columns (a tree register with `Breitengrad`/`Längengrad`, parking
//! spaces with `Rechtswert`/`Hochwert`) become spatial tables too: the columns stay as they
//! are, and a point geometry is added from them. Names decide which columns are meant; the
//! values' range decides the CRS (generic names like `x`/`y` only count with projected values,
//! so that a chart's x and y never become places).

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};

use super::crs::Crs;
use super::geometry::Geometry;
use super::spatial::Geometries;
use crate::IngestError;
use crate::column::{Column, ColumnType};

const LON: &[&str] = &[
    "lon",
    "lng",
    "long",
    "longitude",
    "laenge",
    "laengengrad",
    "geolaenge",
    "geographischelaenge",
    "wgs84lon",
    "wgs84laenge",
];
const LAT: &[&str] = &[
    "lat",
    "latitude",
    "breite",
    "breitengrad",
    "geobreite",
    "geographischebreite",
    "wgs84lat",
    "wgs84breite",
];
const EAST: &[&str] = &[
    "rechtswert",
    "ostwert",
    "easting",
    "x",
    "xkoord",
    "xkoordinate",
    "xwert",
    "koordx",
    "utmx",
    "utmost",
    "utmostwert",
];
const NORTH: &[&str] = &[
    "hochwert",
    "nordwert",
    "northing",
    "y",
    "ykoord",
    "ykoordinate",
    "ywert",
    "koordy",
    "utmy",
    "utmnord",
    "utmnordwert",
];
/// Names that say which axis whatever the values: projected or not, they are coordinates.
const SPECIFIC: &[&str] = &[
    "rechtswert",
    "hochwert",
    "ostwert",
    "nordwert",
    "easting",
    "northing",
];

/// `Längengrad` → `laengengrad`, `x-Koord.` → `xkoord`.
fn normalised(name: &str) -> String {
    name.to_lowercase()
        .replace('ä', "ae")
        .replace('ö', "oe")
        .replace('ü', "ue")
        .replace('ß', "ss")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The coordinate columns of a table, as indexes into its columns, and their CRS.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CoordinateColumns {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) crs: Crs,
    /// The CRS came from the values' range (to be confirmed when projected).
    pub(crate) guessed: bool,
}

fn range(c: &Column) -> Option<(f64, f64)> {
    let s = c.stats.as_ref()?;
    Some((s.min.as_ref()?.as_f64()?, s.max.as_ref()?.as_f64()?))
}

/// Finds one pair of coordinate columns; `given` is the publisher's CRS.
pub(crate) fn find(columns: &[Column], given: Option<Crs>) -> Option<CoordinateColumns> {
    let numeric = |c: &Column| matches!(c.kind, ColumnType::Decimal | ColumnType::Integer);
    let position = |names: &[&str]| {
        columns
            .iter()
            .position(|c| numeric(c) && names.contains(&normalised(&c.name).as_str()))
    };
    for (xs, ys, degrees) in [(LON, LAT, true), (EAST, NORTH, false)] {
        let (Some(x), Some(y)) = (position(xs), position(ys)) else {
            continue;
        };
        let (Some((minx, maxx)), Some((miny, maxy))) = (range(&columns[x]), range(&columns[y]))
        else {
            continue;
        };
        let crs = match given {
            Some(crs) => crs,
            None => Crs::guess([minx, miny, maxx, maxy])?,
        };
        let specific = SPECIFIC.contains(&normalised(&columns[x].name).as_str());
        // Degrees need degree names; generic x/y need projected values.
        if (crs == Crs::Wgs84) != degrees && !(specific || given.is_some()) {
            continue;
        }
        return Some(CoordinateColumns {
            x,
            y,
            crs,
            guessed: given.is_none() && crs != Crs::Wgs84,
        });
    }
    None
}

/// Point geometries from two numeric columns of each batch (column 0 of a batch is `_id`).
pub(crate) struct Points(pub(crate) CoordinateColumns);

fn value(a: &dyn Array, i: usize) -> Option<f64> {
    if a.is_null(i) {
        return None;
    }
    let v = match a.data_type() {
        DataType::Float64 => a.as_primitive::<Float64Type>().value(i),
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i) as f64,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

impl Geometries for Points {
    fn of_batch(
        &mut self,
        batch: &RecordBatch,
        out: &mut Vec<Option<Geometry>>,
    ) -> Result<(), IngestError> {
        let xs = batch.column(1 + self.0.x);
        let ys = batch.column(1 + self.0.y);
        for i in 0..batch.num_rows() {
            out.push(match (value(xs, i), value(ys, i)) {
                (Some(x), Some(y)) => Some(Geometry::Point([x, y])),
                _ => None,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, kind: ColumnType, min: f64, max: f64) -> Column {
        Column {
            name: name.into(),
            machine_name: normalised(name),
            kind,
            reason: None,
            stats: Some(crate::column::ColumnStats {
                nulls: 0,
                distinct: 10,
                distinct_exact: true,
                min: Some(min.into()),
                max: Some(max.into()),
                top: Vec::new(),
            }),
        }
    }

    #[test]
    fn names_and_ranges_decide() {
        use ColumnType::*;
        let trees = [
            col("Baumart", Text, 0.0, 0.0),
            col("Breitengrad", Decimal, 48.80, 48.87),
            col("Längengrad", Decimal, 10.05, 10.14),
        ];
        let found = find(&trees, None).unwrap();
        assert_eq!(
            (found.x, found.y, found.crs, found.guessed),
            (2, 1, Crs::Wgs84, false)
        );
        let gk = [
            col("Rechtswert", Integer, 3_405_000.0, 3_410_000.0),
            col("Hochwert", Integer, 5_755_000.0, 5_760_000.0),
        ];
        assert_eq!(find(&gk, None).unwrap().crs, Crs::Gk3);
        let utm = [
            col("x-Koord.", Decimal, 512_000.0, 515_000.0),
            col("y-Koord.", Decimal, 5_444_000.0, 5_446_000.0),
        ];
        let found = find(&utm, None).unwrap();
        assert_eq!((found.crs, found.guessed), (Crs::Utm32, true));
        // A chart's x and y are no places; text columns never are.
        let chart = [col("x", Integer, 1.0, 12.0), col("y", Decimal, 0.5, 80.0)];
        assert_eq!(find(&chart, None), None);
        let text = [col("lat", Text, 0.0, 0.0), col("lon", Text, 0.0, 0.0)];
        assert_eq!(find(&text, None), None);
        // Out of every known range: nothing guessed, unless the publisher says.
        let odd = [
            col("lon", Decimal, 1.0e7, 2.0e7),
            col("lat", Decimal, 1.0e7, 2.0e7),
        ];
        assert_eq!(find(&odd, None), None);
        assert_eq!(
            find(&odd, Some(Crs::WebMercator)).unwrap().crs,
            Crs::WebMercator
        );
    }
}
