//! CQL2's temporal relations (`T_*`), Allen's interval algebra written out as comparisons of
//! the periods' ends; an instant is a period whose ends are equal and `..` an open end.

use datafusion::logical_expr::{Expr, lit};

use super::ast::TemporalOp;

/// One end of a period.
pub(super) enum Bound {
    /// `..` at the start.
    Open,
    At(Expr),
    /// `..` at the end.
    Unending,
}

pub(super) struct Period {
    pub start: Bound,
    pub end: Bound,
}

impl Period {
    pub fn instant(e: Expr) -> Period {
        Period {
            start: Bound::At(e.clone()),
            end: Bound::At(e),
        }
    }
}

fn rank(b: &Bound) -> u8 {
    match b {
        Bound::Open => 0,
        Bound::At(_) => 1,
        Bound::Unending => 2,
    }
}

fn lt(a: &Bound, b: &Bound) -> Expr {
    match (a, b) {
        (Bound::At(x), Bound::At(y)) => x.clone().lt(y.clone()),
        _ => lit(rank(a) < rank(b)),
    }
}

fn le(a: &Bound, b: &Bound) -> Expr {
    match (a, b) {
        (Bound::At(x), Bound::At(y)) => x.clone().lt_eq(y.clone()),
        _ => lit(rank(a) <= rank(b)),
    }
}

fn eq(a: &Bound, b: &Bound) -> Expr {
    match (a, b) {
        (Bound::At(x), Bound::At(y)) => x.clone().eq(y.clone()),
        // Two open ends meet; an open end never equals a time.
        _ => lit(rank(a) == rank(b)),
    }
}

/// Whether period `a` stands in `op` to period `b`.
pub(super) fn relation(op: TemporalOp, a: &Period, b: &Period) -> Expr {
    use TemporalOp::*;
    let (s1, e1, s2, e2) = (&a.start, &a.end, &b.start, &b.end);
    match op {
        Before => lt(e1, s2),
        After => lt(e2, s1),
        Meets => eq(e1, s2),
        MetBy => eq(s1, e2),
        Overlaps => lt(s1, s2).and(lt(s2, e1)).and(lt(e1, e2)),
        OverlappedBy => lt(s2, s1).and(lt(s1, e2)).and(lt(e2, e1)),
        Starts => eq(s1, s2).and(lt(e1, e2)),
        StartedBy => eq(s1, s2).and(lt(e2, e1)),
        During => lt(s2, s1).and(lt(e1, e2)),
        Contains => lt(s1, s2).and(lt(e2, e1)),
        Finishes => lt(s2, s1).and(eq(e1, e2)),
        FinishedBy => lt(s1, s2).and(eq(e1, e2)),
        Equals => eq(s1, s2).and(eq(e1, e2)),
        Intersects => le(s1, e2).and(le(s2, e1)),
        Disjoint => lt(e1, s2).or(lt(e2, s1)),
    }
}
