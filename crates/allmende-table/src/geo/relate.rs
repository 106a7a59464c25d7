//! The spatial predicates of CQL2 (`S_INTERSECTS`, `S_WITHIN`, …) between the geometry column
//! and a literal geometry, decided by the DE-9IM matrix of the `geo` crate (pure Rust, no
//! GEOS). The literal is prepared (indexed) once per batch; rows whose extent misses the
//! literal's are decided without the matrix.

use std::sync::Arc;

use ::geo::{BoundingRect, Intersects, PreparedGeometry, Relate, relate::IntersectionMatrix};
use datafusion::arrow::array::{Array, AsArray, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::Geometry;

/// A spatial relation as CQL2 names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    Intersects,
    Disjoint,
    Equals,
    Touches,
    Within,
    Overlaps,
    Crosses,
    Contains,
}

impl Relation {
    /// `s_intersects` … (any case).
    pub fn parse(name: &str) -> Option<Relation> {
        Some(match name.to_ascii_lowercase().as_str() {
            "s_intersects" => Self::Intersects,
            "s_disjoint" => Self::Disjoint,
            "s_equals" => Self::Equals,
            "s_touches" => Self::Touches,
            "s_within" => Self::Within,
            "s_overlaps" => Self::Overlaps,
            "s_crosses" => Self::Crosses,
            "s_contains" => Self::Contains,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Intersects => "s_intersects",
            Self::Disjoint => "s_disjoint",
            Self::Equals => "s_equals",
            Self::Touches => "s_touches",
            Self::Within => "s_within",
            Self::Overlaps => "s_overlaps",
            Self::Crosses => "s_crosses",
            Self::Contains => "s_contains",
        }
    }

    /// The relation with its operands swapped: `a within b` is `b contains a`.
    pub fn converse(self) -> Relation {
        match self {
            Self::Within => Self::Contains,
            Self::Contains => Self::Within,
            other => other,
        }
    }

    fn holds(self, m: &IntersectionMatrix) -> bool {
        match self {
            Self::Intersects => m.is_intersects(),
            Self::Disjoint => m.is_disjoint(),
            Self::Equals => m.is_equal_topo(),
            Self::Touches => m.is_touches(),
            Self::Within => m.is_within(),
            Self::Overlaps => m.is_overlaps(),
            Self::Crosses => m.is_crosses(),
            Self::Contains => m.is_contains(),
        }
    }
}

fn coord(c: &[f64; 2]) -> ::geo::Coord<f64> {
    ::geo::coord! { x: c[0], y: c[1] }
}

fn line(l: &[[f64; 2]]) -> ::geo::LineString<f64> {
    ::geo::LineString(l.iter().map(coord).collect())
}

fn polygon(rings: &[Vec<[f64; 2]>]) -> ::geo::Polygon<f64> {
    let mut rings = rings.iter();
    let outer = rings
        .next()
        .map(|r| line(r))
        .unwrap_or_else(|| ::geo::LineString(Vec::new()));
    ::geo::Polygon::new(outer, rings.map(|r| line(r)).collect())
}

/// The `geo` crate's form of a geometry.
pub fn to_geo(g: &Geometry) -> ::geo::Geometry<f64> {
    match g {
        Geometry::Point(p) => ::geo::Point(coord(p)).into(),
        Geometry::LineString(l) => line(l).into(),
        Geometry::Polygon(r) => polygon(r).into(),
        Geometry::MultiPoint(ps) => {
            ::geo::MultiPoint(ps.iter().map(|p| ::geo::Point(coord(p))).collect()).into()
        }
        Geometry::MultiLineString(ls) => {
            ::geo::MultiLineString(ls.iter().map(|l| line(l)).collect()).into()
        }
        Geometry::MultiPolygon(ps) => {
            ::geo::MultiPolygon(ps.iter().map(|p| polygon(p)).collect()).into()
        }
        Geometry::Collection(gs) => ::geo::Geometry::GeometryCollection(::geo::GeometryCollection(
            gs.iter().map(to_geo).collect(),
        )),
    }
}

/// Whether `a` stands in `relation` to `b` (for two literals).
pub fn relates(a: &Geometry, relation: Relation, b: &Geometry) -> bool {
    relation.holds(&to_geo(a).relate(&to_geo(b)))
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SpatialRelation {
    relation: Relation,
    signature: Signature,
}

impl ScalarUDFImpl for SpatialRelation {
    fn name(&self) -> &str {
        self.relation.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let literal = match args.args.get(1) {
            Some(ColumnarValue::Scalar(ScalarValue::Binary(Some(wkb)))) => Geometry::from_wkb(wkb)
                .map_err(|e| DataFusionError::Execution(format!("literal geometry: {e}")))?,
            _ => {
                return Err(DataFusionError::Execution(
                    "a spatial relation needs a literal geometry".into(),
                ));
            }
        };
        let literal = to_geo(&literal);
        let extent = literal.bounding_rect();
        // Asked: row `relation` literal; the matrix is the literal's against the row.
        let relation = self.relation.converse();
        let prepared = PreparedGeometry::from(literal);
        let column = args.args[0].to_array(args.number_rows)?;
        let geometry = column.as_binary::<i32>();
        let mut out = BooleanBuilder::with_capacity(geometry.len());
        for row in 0..geometry.len() {
            // A missing or unreadable geometry relates to nothing (and is not disjoint).
            let Some(g) = (!geometry.is_null(row))
                .then(|| Geometry::from_wkb(geometry.value(row)).ok())
                .flatten()
            else {
                out.append_null();
                continue;
            };
            let g = to_geo(&g);
            let apart = match (extent, g.bounding_rect()) {
                (Some(a), Some(b)) => !a.intersects(&b),
                _ => true,
            };
            out.append_value(if apart {
                relation == Relation::Disjoint
            } else {
                relation.holds(&prepared.relate(&g))
            });
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `geometry` (the WKB column) stands in `relation` to the literal `other`.
pub fn relation_expr(geometry: Expr, relation: Relation, other: &Geometry) -> Expr {
    let udf = ScalarUDF::new_from_impl(SpatialRelation {
        relation,
        signature: Signature::exact(
            vec![DataType::Binary, DataType::Binary],
            Volatility::Immutable,
        ),
    });
    udf.call(vec![
        geometry,
        Expr::Literal(ScalarValue::Binary(Some(other.to_wkb())), None),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x0: f64, y0: f64, d: f64) -> Geometry {
        Geometry::Polygon(vec![vec![
            [x0, y0],
            [x0 + d, y0],
            [x0 + d, y0 + d],
            [x0, y0 + d],
            [x0, y0],
        ]])
    }

    #[test]
    fn relations_of_points_lines_and_areas() {
        let area = square(0.0, 0.0, 10.0);
        let inside = Geometry::Point([5.0, 5.0]);
        let edge = Geometry::Point([10.0, 5.0]);
        let outside = Geometry::Point([15.0, 5.0]);
        let crossing = Geometry::LineString(vec![[5.0, 5.0], [15.0, 5.0]]);
        use Relation::*;
        assert!(relates(&inside, Within, &area));
        assert!(relates(&area, Contains, &inside));
        assert!(relates(&edge, Touches, &area) && !relates(&edge, Within, &area));
        assert!(relates(&outside, Disjoint, &area) && !relates(&outside, Intersects, &area));
        assert!(relates(&crossing, Crosses, &area));
        assert!(relates(&square(5.0, 5.0, 10.0), Overlaps, &area));
        assert!(relates(&square(0.0, 0.0, 10.0), Equals, &area));
        assert_eq!(Within.converse(), Contains);
        assert_eq!(Relation::parse("S_WITHIN"), Some(Within));
        assert_eq!(Relation::parse("s_dwithin"), None);
    }
}
