//! Features counted in a grid over a map's view: how a layer of half a million points is drawn
//! without sending half a million points. Each feature counts at its anchor (a point itself,
//! the centre of anything else's extent) in the cell the anchor falls in; a cell answers with
//! its count and the mean of its anchors, where a map draws it.

use datafusion::functions::math::expr_fn::floor;
use datafusion::functions_aggregate::expr_fn::{avg, count};
use datafusion::prelude::{Expr, lit};

use super::translate::column;
use super::{Engine, QueryError, TableRef};
use crate::geo::udf::{anchor, intersects_box};

/// One cell of the grid with features in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Where the cell's features lie on average (longitude, latitude).
    pub x: f64,
    pub y: f64,
    pub count: u64,
}

impl Engine {
    /// The features intersecting `bbox` (WGS 84), counted in `columns × rows` cells.
    pub async fn grid(
        &self,
        t: &TableRef,
        bbox: [f64; 4],
        columns: u32,
        rows: u32,
    ) -> Result<Vec<Cell>, QueryError> {
        let geometry = t.spatial()?;
        let df_err = |e| QueryError::from_df(e, &self.limits);
        let ctx = self.session()?;
        let g = column(&geometry.name);
        let (x, y) = (anchor(g.clone(), 0), anchor(g.clone(), 1));
        let width = ((bbox[2] - bbox[0]) / f64::from(columns.max(1))).max(f64::MIN_POSITIVE);
        let height = ((bbox[3] - bbox[1]) / f64::from(rows.max(1))).max(f64::MIN_POSITIVE);
        let cell = |v: Expr, origin: f64, size: f64| floor((v - lit(origin)) / lit(size));
        let batches = ctx
            .read_table(self.provider(t, true)?)
            .map_err(df_err)?
            .filter(intersects_box(g, bbox))
            .map_err(df_err)?
            .aggregate(
                vec![
                    cell(x.clone(), bbox[0], width).alias("cx"),
                    cell(y.clone(), bbox[1], height).alias("cy"),
                ],
                vec![
                    count(lit(1)).alias("n"),
                    avg(x).alias("x"),
                    avg(y).alias("y"),
                ],
            )
            .map_err(df_err)?
            .collect()
            .await
            .map_err(df_err)?;
        let mut cells = Vec::new();
        for b in &batches {
            let (Some(n), Some(x), Some(y)) = (
                b.column_by_name("n"),
                b.column_by_name("x"),
                b.column_by_name("y"),
            ) else {
                continue;
            };
            use datafusion::arrow::array::{Array, AsArray};
            use datafusion::arrow::datatypes::{Float64Type, Int64Type};
            let (n, x, y) = (
                n.as_primitive::<Int64Type>(),
                x.as_primitive::<Float64Type>(),
                y.as_primitive::<Float64Type>(),
            );
            for i in 0..b.num_rows() {
                if x.is_null(i) || y.is_null(i) {
                    continue;
                }
                cells.push(Cell {
                    x: x.value(i),
                    y: y.value(i),
                    count: n.value(i).max(0) as u64,
                });
            }
        }
        Ok(cells)
    }
}
