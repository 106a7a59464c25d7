//! The spatial filter as a DataFusion function, so that `bbox=` runs inside the query (with its
//! time and memory bounds, counted and paged like any filter) instead of after it.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanBuilder};
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
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
