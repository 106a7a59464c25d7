//! CQL2 (OGC 21-065), the filter language of OGC API – Features Part 3, in its text and JSON
//! encodings: comparisons, `LIKE`/`BETWEEN`/`IN`, `CASEI`/`ACCENTI`, arithmetic, the spatial
//! relations `S_*` against geometry literals (WKT, GeoJSON, `BBOX`) and the temporal ones
//! `T_*` against dates, timestamps and intervals. Both encodings parse into one tree, which is
//! turned into DataFusion expressions against the table's own columns: filter text never
//! becomes SQL.

mod ast;
mod json;
mod temporal;
mod text;
mod translate;
mod unaccent;

pub use ast::{ArithOp, CmpOp, Cql2Error, Node, Relation, TemporalOp};

use crate::column::Column;
use crate::geo::Geometry;
use crate::query::types::QueryError;
use ast::err;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter(pub(crate) Node);

/// What a filter's geometry literals are turned by: a geometry in place, a box to a box.
pub trait LiteralCrs {
    fn geometry(&self, g: &mut Geometry) -> Option<()>;
    fn bbox(&self, b: [f64; 4]) -> Option<[f64; 4]>;
}

impl Filter {
    /// `filter-lang=cql2-text`.
    pub fn parse_text(s: &str) -> Result<Filter, Cql2Error> {
        text::parse(s).map(Filter)
    }

    /// `filter-lang=cql2-json`.
    pub fn parse_json(s: &str) -> Result<Filter, Cql2Error> {
        json::parse(s).map(Filter)
    }

    /// The geometry literals given in another CRS (`filter-crs`), in the stored one.
    pub fn literals_to(&mut self, crs: &dyn LiteralCrs) -> Result<(), Cql2Error> {
        fn walk(n: &mut Node, crs: &dyn LiteralCrs) -> Option<()> {
            match n {
                Node::Geometry(g) => crs.geometry(g),
                Node::Bbox(b) => {
                    *b = crs.bbox(*b)?;
                    Some(())
                }
                Node::And(v) | Node::Or(v) => v.iter_mut().try_for_each(|n| walk(n, crs)),
                Node::In(a, v, _) => {
                    walk(a, crs)?;
                    v.iter_mut().try_for_each(|n| walk(n, crs))
                }
                Node::Not(a) | Node::Neg(a) | Node::CaseI(a) | Node::AccentI(a) => walk(a, crs),
                Node::IsNull(a, _) => walk(a, crs),
                Node::Compare(_, a, b)
                | Node::Like(a, b, _)
                | Node::Spatial(_, a, b)
                | Node::Temporal(_, a, b)
                | Node::Arith(_, a, b)
                | Node::Interval(a, b) => {
                    walk(a, crs)?;
                    walk(b, crs)
                }
                Node::Between(a, b, c, _) => {
                    walk(a, crs)?;
                    walk(b, crs)?;
                    walk(c, crs)
                }
                _ => Some(()),
            }
        }
        walk(&mut self.0, crs).ok_or_else(|| err("cql2.literal_crs"))
    }
}

impl Filter {
    /// The filter as a DataFusion expression on a table with these columns.
    pub(crate) fn to_expr(
        &self,
        columns: &[Column],
    ) -> Result<datafusion::logical_expr::Expr, QueryError> {
        translate::to_expr(&self.0, columns)
    }
}

#[cfg(test)]
mod tests;
