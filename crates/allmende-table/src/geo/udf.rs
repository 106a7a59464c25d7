//! Spatial functions of our own for DataFusion: the filter behind `bbox=`, which runs inside
//! the query (with its time and memory bounds, counted and paged like any filter) instead of
//! after it, and for SQL the point accessors `st_x`/`st_y` on the WKB geometry column (the
//! library's take only its native point arrays) and `st_distancesphere` in metres (the
//! library measures in the coordinates' units, degrees for WGS 84).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanBuilder, Float64Builder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use super::Geometry;

#[derive(Debug, PartialEq, Eq, Hash)]
struct BboxIntersects {
    signature: Signature,
}

impl ScalarUDFImpl for BboxIntersects {
    fn name(&self) -> &str {
        "allmende_bbox_intersects"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let geometry = arrays[0].as_binary::<i32>();
        let corner = |i: usize| arrays[i].as_primitive::<Float64Type>();
        let (minx, miny, maxx, maxy) = (corner(1), corner(2), corner(3), corner(4));
        let mut out = BooleanBuilder::with_capacity(geometry.len());
        for row in 0..geometry.len() {
            let b = [
                minx.value(row),
                miny.value(row),
                maxx.value(row),
                maxy.value(row),
            ];
            // A missing or unreadable geometry is nowhere.
            let hit = !geometry.is_null(row)
                && Geometry::from_wkb(geometry.value(row)).is_ok_and(|g| g.intersects_box(&b));
            out.append_value(hit);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `geometry` (WKB, WGS 84) intersects the box `[min lon, min lat, max lon, max lat]`.
pub fn intersects_box(geometry: Expr, b: [f64; 4]) -> Expr {
    let udf = ScalarUDF::new_from_impl(BboxIntersects {
        signature: Signature::exact(
            vec![
                DataType::Binary,
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
            ],
            Volatility::Immutable,
        ),
    });
    udf.call(
        std::iter::once(geometry)
            .chain(b.into_iter().map(datafusion::prelude::lit))
            .collect(),
    )
}

/// Row `i` of a geometry array as a point: WKB (our geometry column, `st_asbinary`) or a
/// GeoArrow point struct (what `st_centroid` and `st_point` return). `None`: not a point.
fn point_at(a: &ArrayRef, i: usize) -> Option<[f64; 2]> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Binary => match Geometry::from_wkb(a.as_binary::<i32>().value(i)).ok()? {
            Geometry::Point(p) => Some(p),
            _ => None,
        },
        DataType::Struct(_) => {
            let s = a.as_struct();
            let coord = |name: &str| {
                s.column_by_name(name)?
                    .as_primitive_opt::<Float64Type>()
                    .map(|c| c.value(i))
            };
            Some([coord("x")?, coord("y")?])
        }
        _ => None,
    }
}

fn point_types() -> Signature {
    // One argument of any type: the function reads WKB or a point struct and answers null
    // for anything else.
    Signature::one_of(vec![TypeSignature::Any(1)], Volatility::Immutable)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Coordinate {
    name: &'static str,
    axis: usize,
    signature: Signature,
}

impl ScalarUDFImpl for Coordinate {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let a = &arrays[0];
        let mut out = Float64Builder::with_capacity(a.len());
        for i in 0..a.len() {
            out.append_option(point_at(a, i).map(|p| p[self.axis]));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DistanceSphere {
    signature: Signature,
}

/// Mean Earth radius (IUGG), as PostGIS's `ST_DistanceSphere` uses it.
const EARTH_RADIUS: f64 = 6_371_008.8;

impl ScalarUDFImpl for DistanceSphere {
    fn name(&self) -> &str {
        "st_distancesphere"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let (a, b) = (&arrays[0], &arrays[1]);
        let mut out = Float64Builder::with_capacity(a.len());
        for i in 0..a.len() {
            out.append_option(match (point_at(a, i), point_at(b, i)) {
                (Some(p), Some(q)) => Some(haversine(p, q)),
                _ => None,
            });
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Great-circle distance in metres between two longitude/latitude points.
fn haversine(p: [f64; 2], q: [f64; 2]) -> f64 {
    let (l1, p1, l2, p2) = (
        p[0].to_radians(),
        p[1].to_radians(),
        q[0].to_radians(),
        q[1].to_radians(),
    );
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((l2 - l1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS * h.sqrt().min(1.0).asin()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Anchor {
    axis: usize,
    signature: Signature,
}

impl ScalarUDFImpl for Anchor {
    fn name(&self) -> &str {
        ["allmende_anchor_x", "allmende_anchor_y"][self.axis]
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let g = arrays[0].as_binary::<i32>();
        let mut out = Float64Builder::with_capacity(g.len());
        for i in 0..g.len() {
            let at = (!g.is_null(i))
                .then(|| Geometry::from_wkb(g.value(i)).ok())
                .flatten()
                .and_then(|g| match g {
                    Geometry::Point(p) => Some(p),
                    other => other
                        .bbox()
                        .map(|b| [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]),
                });
            out.append_option(at.map(|p| p[self.axis]));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Where a geometry (WKB) is drawn as one point: a point itself, the centre of anything
/// else's extent; `axis` 0 for x (longitude), 1 for y.
pub fn anchor(geometry: Expr, axis: usize) -> Expr {
    ScalarUDF::new_from_impl(Anchor {
        axis: axis.min(1),
        signature: Signature::exact(vec![DataType::Binary], Volatility::Immutable),
    })
    .call(vec![geometry])
}

/// `st_x`, `st_y` and `st_distancesphere`, registered over the library's (same names).
pub fn register_sql_functions(ctx: &datafusion::prelude::SessionContext) {
    for (name, axis) in [("st_x", 0), ("st_y", 1)] {
        ctx.register_udf(ScalarUDF::new_from_impl(Coordinate {
            name,
            axis,
            signature: point_types(),
        }));
    }
    ctx.register_udf(ScalarUDF::new_from_impl(DistanceSphere {
        signature: Signature::one_of(vec![TypeSignature::Any(2)], Volatility::Immutable),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_aalen_to_heidenheim() {
        // Aalen's market square to Heidenheim's: 18.41 km on the sphere (18,407.8 m by the
        // same formula in Python's math module; the ellipsoid says 18.43 km).
        let d = haversine([10.0933, 48.8378], [10.1511, 48.6767]);
        assert!((d - 18_407.8).abs() < 1.0, "{d}");
        assert_eq!(haversine([10.0, 48.0], [10.0, 48.0]), 0.0);
    }
}
