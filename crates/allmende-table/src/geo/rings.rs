//! Two facts about a closed ring of coordinates that several places need: its winding (the
//! sign of its area) and whether a point lies inside it.

use super::geometry::Coord;

/// Twice the signed area: positive for counter-clockwise rings.
pub(crate) fn signed_area(ring: &[Coord]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum()
}

/// Whether `p` lies inside the ring (even-odd rule).
pub(crate) fn contains(ring: &[Coord], p: Coord) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let ([x1, y1], [x2, y2]) = (w[0], w[1]);
        if (y1 > p[1]) != (y2 > p[1]) && p[0] < (x2 - x1) * (p[1] - y1) / (y2 - y1) + x1 {
            inside = !inside;
        }
    }
    inside
}
