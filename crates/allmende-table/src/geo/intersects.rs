//! Whether a geometry intersects a box: the test behind `bbox=` in the records API and the
//! OGC API. Exact for every geometry type (not only the envelopes): a vertex in the box, an
//! edge crossing it, or the box inside an area (and not inside one of its holes).

use super::geometry::{Coord, Geometry};
use super::rings::contains;

impl Geometry {
    /// `b`: `[min x, min y, max x, max y]` in the geometry's coordinates.
    pub fn intersects_box(&self, b: &[f64; 4]) -> bool {
        let Some(e) = self.bbox() else {
            return false;
        };
        if e[0] > b[2] || e[2] < b[0] || e[1] > b[3] || e[3] < b[1] {
            return false;
        }
        if e[0] >= b[0] && e[2] <= b[2] && e[1] >= b[1] && e[3] <= b[3] {
            return true;
        }
        match self {
            Geometry::Point(_) => true,
            Geometry::MultiPoint(ps) => ps.iter().any(|p| inside(p, b)),
            Geometry::LineString(l) => line_hits(l, b),
            Geometry::MultiLineString(ls) => ls.iter().any(|l| line_hits(l, b)),
            Geometry::Polygon(rings) => area_hits(rings, b),
            Geometry::MultiPolygon(ps) => ps.iter().any(|p| area_hits(p, b)),
            Geometry::Collection(gs) => gs.iter().any(|g| g.intersects_box(b)),
        }
    }
}

fn inside(p: &Coord, b: &[f64; 4]) -> bool {
    p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3]
}

fn line_hits(l: &[Coord], b: &[f64; 4]) -> bool {
    l.iter().any(|p| inside(p, b)) || l.windows(2).any(|w| segment_hits(w[0], w[1], b))
}

/// Liang–Barsky: whether the segment p–q passes through the box.
fn segment_hits(p: Coord, q: Coord, b: &[f64; 4]) -> bool {
    let (dx, dy) = (q[0] - p[0], q[1] - p[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p[0] - b[0]),
        (dx, b[2] - p[0]),
        (-dy, p[1] - b[1]),
        (dy, b[3] - p[1]),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return false;
            }
            continue;
        }
        let r = qk / pk;
        if pk < 0.0 {
            if r > t1 {
                return false;
            }
            t0 = t0.max(r);
        } else {
            if r < t0 {
                return false;
            }
            t1 = t1.min(r);
        }
    }
    true
}

/// An area meets the box when a ring does, or when the box lies inside the area: then its
/// centre is inside the outer ring and in none of the holes.
fn area_hits(rings: &[Vec<Coord>], b: &[f64; 4]) -> bool {
    if rings.iter().any(|r| line_hits(r, b)) {
        return true;
    }
    let centre = [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0];
    match rings.split_first() {
        Some((outer, holes)) => {
            contains(outer, centre) && !holes.iter().any(|h| contains(h, centre))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64) -> Vec<Coord> {
        vec![[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]
    }

    #[test]
    fn exact_not_envelope() {
        let b = [4.0, 4.0, 6.0, 6.0];
        // A diagonal line whose envelope covers the box but which passes beside it.
        let beside = Geometry::LineString(vec![[0.0, 3.0], [3.0, 0.0], [10.0, 0.1]]);
        assert!(!beside.intersects_box(&b));
        // A line crossing the box without a vertex in it.
        assert!(Geometry::LineString(vec![[0.0, 5.0], [10.0, 5.0]]).intersects_box(&b));
        // The box inside an area, inside its hole, and an L-shape around it.
        let big = Geometry::Polygon(vec![square(0.0, 0.0, 10.0)]);
        assert!(big.intersects_box(&b));
        let holed = Geometry::Polygon(vec![square(0.0, 0.0, 10.0), square(3.0, 3.0, 4.0)]);
        assert!(!holed.intersects_box(&b));
        let l_shape = Geometry::Polygon(vec![vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 2.0],
            [2.0, 2.0],
            [2.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ]]);
        assert!(!l_shape.intersects_box(&b));
        assert!(Geometry::Point([5.0, 5.0]).intersects_box(&b));
        assert!(!Geometry::Point([7.0, 5.0]).intersects_box(&b));
        assert!(!Geometry::MultiPoint(vec![[0.0, 0.0], [9.0, 9.0]]).intersects_box(&b));
        assert!(!Geometry::Collection(Vec::new()).intersects_box(&b));
    }
}
