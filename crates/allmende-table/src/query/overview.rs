//! A spatial table's overview image: every feature drawn once onto a PNG (`geo::raster`), for
//! the dataset page without JavaScript and for link previews. Made from the snapshot's
//! geometry column alone, streamed batch by batch, and kept per table version and size.

use std::sync::Arc;

use futures_util::StreamExt;

use super::translate::column;
use super::{Engine, QueryError, TableRef};
use crate::geo::Geometry;
use crate::geo::raster::Canvas;

impl Engine {
    /// The features of `t` drawn on a `width × height` PNG showing `bbox` (WGS 84).
    pub async fn overview(
        &self,
        t: &TableRef,
        bbox: [f64; 4],
        width: u32,
        height: u32,
    ) -> Result<Arc<Vec<u8>>, QueryError> {
        let key = format!("{}\u{1}{width}x{height}", t.key);
        if let Some(png) = self.overviews.get(&key) {
            return Ok(png);
        }
        let geometry = t.spatial()?;
        let df_err = |e| QueryError::from_df(e, &self.limits);
        let mut stream = self
            .session()?
            .read_table(self.provider(t, false)?)
            .map_err(df_err)?
            .select(vec![column(&geometry.name)])
            .map_err(df_err)?
            .execute_stream()
            .await
            .map_err(df_err)?;
        let mut canvas = Canvas::new(width, height, bbox);
        // Many points would cover each other as large dots.
        let radius = if t.rows > 10_000 { 1.2 } else { 3.0 };
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(df_err)?;
            let col = batch.column(0);
            for row in 0..batch.num_rows() {
                if let Some(g) = Geometry::at(col.as_ref(), row) {
                    canvas.draw(&g, radius);
                }
            }
            // Drawing is CPU work between the stream's awaits: let other tasks run.
            tokio::task::yield_now().await;
        }
        let png = Arc::new(canvas.png());
        self.overviews.put(key, png.clone());
        Ok(png)
    }
}
