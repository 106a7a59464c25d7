//! The CQL2 tree as DataFusion expressions: names resolved against the table's columns (as the
//! records API resolves them), the geometry column only inside spatial relations, `CASEI` and
//! `ACCENTI` applied to both sides of the comparison they appear in.

use allmende_core::i18n::Msg;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::functions::expr_fn as f;
use datafusion::logical_expr::expr::Like;
use datafusion::logical_expr::{Expr, Operator, binary_expr, cast, lit};

use super::ast::{ArithOp, CmpOp, Node, Relation};
use super::temporal::{Bound, Period, relation};
use super::unaccent;
use crate::column::{Column, ColumnType};
use crate::geo::{Geometry, relate, udf};
use crate::query::translate::{Scope, column};
use crate::query::types::QueryError;
use crate::snapshot::ROW_ID;

/// Most values in one `IN` list (as in the records API).
const MAX_IN_LIST: usize = 1000;

fn invalid(key: &str) -> QueryError {
    QueryError::Invalid(Msg::new(key))
}

fn invalid_name(key: &str, name: &str) -> QueryError {
    QueryError::Invalid(Msg::new(key).arg("name", name))
}

pub(crate) fn to_expr(n: &Node, columns: &[Column]) -> Result<Expr, QueryError> {
    Cx {
        scope: Scope {
            columns,
            outputs: &[],
        },
    }
    .boolean(n)
}

struct Cx<'a> {
    scope: Scope<'a>,
}

/// A geometry operand of a spatial relation.
enum Shape {
    Column(String),
    Literal(Geometry),
    Box([f64; 4]),
}

fn box_polygon([w, s, e, n]: [f64; 4]) -> Geometry {
    Geometry::Polygon(vec![vec![[w, s], [e, s], [e, n], [w, n], [w, s]]])
}

/// Whether an operand asks for case (`CASEI`) or accent (`ACCENTI`) insensitivity, and the
/// operand without those wrappers.
fn insensitivity(n: &Node) -> (bool, bool, &Node) {
    match n {
        Node::CaseI(inner) => {
            let (_, a, core) = insensitivity(inner);
            (true, a, core)
        }
        Node::AccentI(inner) => {
            let (c, _, core) = insensitivity(inner);
            (c, true, core)
        }
        other => (false, false, other),
    }
}

/// Whether any of the operands asks for case or accent insensitivity.
fn asked<'n>(nodes: impl Iterator<Item = &'n Node>) -> (bool, bool) {
    nodes
        .map(insensitivity)
        .fold((false, false), |(c, a), (c2, a2, _)| (c || c2, a || a2))
}

impl Cx<'_> {
    /// A property's column name and type (`_id` is the row number).
    fn property(&self, name: &str) -> Result<(String, ColumnType), QueryError> {
        let resolved = self.scope.resolve(name)?;
        if resolved == ROW_ID {
            return Ok((resolved, ColumnType::Integer));
        }
        let kind = self
            .scope
            .columns
            .iter()
            .find(|c| c.name == resolved)
            .map(|c| c.kind)
            .unwrap_or(ColumnType::Text);
        Ok((resolved, kind))
    }

    fn boolean(&self, n: &Node) -> Result<Expr, QueryError> {
        Ok(match n {
            Node::And(v) | Node::Or(v) => {
                let mut all = v.iter().map(|n| self.boolean(n));
                let first = all.next().ok_or_else(|| invalid("cql2.not_predicate"))??;
                all.try_fold(first, |acc, e| {
                    let e = e?;
                    Ok::<_, QueryError>(match n {
                        Node::And(_) => acc.and(e),
                        _ => acc.or(e),
                    })
                })?
            }
            Node::Not(a) => Expr::Not(Box::new(self.boolean(a)?)),
            Node::Compare(op, a, b) => {
                let [x, y] = self.insensitive([a, b])?;
                let op = match op {
                    CmpOp::Eq => Operator::Eq,
                    CmpOp::NotEq => Operator::NotEq,
                    CmpOp::Lt => Operator::Lt,
                    CmpOp::LtEq => Operator::LtEq,
                    CmpOp::Gt => Operator::Gt,
                    CmpOp::GtEq => Operator::GtEq,
                };
                binary_expr(x, op, y)
            }
            Node::Like(a, p, negated) => {
                let [x, y] = self.insensitive([a, p])?;
                // CQL2's escape character is the backslash.
                Expr::Like(Like::new(
                    *negated,
                    Box::new(x),
                    Box::new(y),
                    Some('\\'),
                    false,
                ))
            }
            Node::Between(a, lo, hi, negated) => {
                let [x, lo, hi] = self.insensitive([a, lo, hi])?;
                if *negated {
                    x.not_between(lo, hi)
                } else {
                    x.between(lo, hi)
                }
            }
            Node::In(a, list, negated) => {
                if list.len() > MAX_IN_LIST {
                    return Err(QueryError::Invalid(
                        Msg::new("query.in_list_too_long").arg("max", MAX_IN_LIST),
                    ));
                }
                let (c, acc) = asked(std::iter::once(&**a).chain(list));
                let x = self.folded(a, c, acc)?;
                let list = list
                    .iter()
                    .map(|n| self.folded(n, c, acc))
                    .collect::<Result<_, _>>()?;
                x.in_list(list, *negated)
            }
            Node::IsNull(a, negated) => {
                let e = match &**a {
                    // Whether a feature has a geometry at all.
                    Node::Property(p) => column(&self.property(p)?.0),
                    other => self.scalar(other)?,
                };
                if *negated {
                    e.is_not_null()
                } else {
                    e.is_null()
                }
            }
            Node::Spatial(r, a, b) => self.spatial(*r, a, b)?,
            Node::Temporal(op, a, b) => relation(*op, &self.period(a)?, &self.period(b)?),
            Node::Bool(b) => lit(*b),
            Node::Property(p) => {
                let (name, kind) = self.property(p)?;
                if kind != ColumnType::Boolean {
                    return Err(invalid_name("cql2.not_boolean", p));
                }
                column(&name)
            }
            _ => return Err(invalid("cql2.not_predicate")),
        })
    }

    /// Operands compared with each other, each made case or accent insensitive when any of
    /// them asks for it.
    fn insensitive<const N: usize>(&self, nodes: [&Node; N]) -> Result<[Expr; N], QueryError> {
        let (c, a) = asked(nodes.iter().copied());
        let mut out = Vec::with_capacity(N);
        for n in nodes {
            out.push(self.folded(n, c, a)?);
        }
        out.try_into().map_err(|_| invalid("cql2.not_predicate"))
    }

    fn folded(&self, n: &Node, case: bool, accents: bool) -> Result<Expr, QueryError> {
        let (_, _, core) = insensitivity(n);
        let mut e = self.scalar(core)?;
        if accents {
            e = unaccent::call(e);
        }
        if case {
            e = f::lower(e);
        }
        Ok(e)
    }

    fn scalar(&self, n: &Node) -> Result<Expr, QueryError> {
        Ok(match n {
            Node::Property(p) => {
                let (name, kind) = self.property(p)?;
                if kind == ColumnType::Geometry {
                    return Err(invalid_name("cql2.geometry_property", p));
                }
                column(&name)
            }
            Node::Str(s) => lit(s.clone()),
            Node::Int(i) => lit(*i),
            Node::Num(x) => lit(*x),
            Node::Bool(b) => lit(*b),
            Node::Date(d) => cast(lit(d.clone()), DataType::Date32),
            Node::Timestamp(t) => cast(
                lit(t.clone()),
                DataType::Timestamp(TimeUnit::Microsecond, None),
            ),
            Node::Arith(op, a, b) => {
                let (x, y) = (self.scalar(a)?, self.scalar(b)?);
                match op {
                    ArithOp::Plus => binary_expr(x, Operator::Plus, y),
                    ArithOp::Minus => binary_expr(x, Operator::Minus, y),
                    ArithOp::Mul => binary_expr(x, Operator::Multiply, y),
                    ArithOp::Div => binary_expr(
                        cast(x, DataType::Float64),
                        Operator::Divide,
                        cast(y, DataType::Float64),
                    ),
                    ArithOp::Mod => binary_expr(x, Operator::Modulo, y),
                    ArithOp::IntDiv => cast(
                        f::trunc(vec![binary_expr(
                            cast(x, DataType::Float64),
                            Operator::Divide,
                            cast(y, DataType::Float64),
                        )]),
                        DataType::Int64,
                    ),
                    ArithOp::Pow => {
                        f::power(cast(x, DataType::Float64), cast(y, DataType::Float64))
                    }
                }
            }
            Node::Neg(a) => Expr::Negative(Box::new(self.scalar(a)?)),
            Node::CaseI(a) => f::lower(self.scalar(a)?),
            Node::AccentI(a) => unaccent::call(self.scalar(a)?),
            Node::Geometry(_) | Node::Bbox(_) => return Err(invalid("cql2.geometry_operand")),
            Node::Interval(..) | Node::Unbounded => return Err(invalid("cql2.interval_operand")),
            other => self.boolean(other)?,
        })
    }

    fn shape(&self, n: &Node) -> Result<Shape, QueryError> {
        match n {
            Node::Property(p) => {
                let (name, kind) = self.property(p)?;
                if kind != ColumnType::Geometry {
                    return Err(invalid_name("cql2.not_geometry", p));
                }
                Ok(Shape::Column(name))
            }
            Node::Geometry(g) => Ok(Shape::Literal(g.clone())),
            Node::Bbox(b) => Ok(Shape::Box(*b)),
            _ => Err(invalid("cql2.spatial_operand")),
        }
    }

    fn spatial(&self, r: Relation, a: &Node, b: &Node) -> Result<Expr, QueryError> {
        let literal = |s: Shape| match s {
            Shape::Literal(g) => Some(g),
            Shape::Box(b) => Some(box_polygon(b)),
            Shape::Column(_) => None,
        };
        Ok(match (self.shape(a)?, self.shape(b)?) {
            // The exact box test the `bbox` parameter runs, without building the matrix.
            (Shape::Column(c), Shape::Box(b)) | (Shape::Box(b), Shape::Column(c))
                if r == Relation::Intersects =>
            {
                udf::intersects_box(column(&c), b)
            }
            (Shape::Column(_), Shape::Column(_)) => {
                return Err(invalid("cql2.spatial_operand"));
            }
            (Shape::Column(c), other) => {
                let g = literal(other).ok_or_else(|| invalid("cql2.spatial_operand"))?;
                relate::relation_expr(column(&c), r, &g)
            }
            (other, Shape::Column(c)) => {
                let g = literal(other).ok_or_else(|| invalid("cql2.spatial_operand"))?;
                relate::relation_expr(column(&c), r.converse(), &g)
            }
            (x, y) => match (literal(x), literal(y)) {
                (Some(x), Some(y)) => lit(relate::relates(&x, r, &y)),
                _ => return Err(invalid("cql2.spatial_operand")),
            },
        })
    }

    fn temporal_property(&self, p: &str) -> Result<Expr, QueryError> {
        let (name, kind) = self.property(p)?;
        if !matches!(kind, ColumnType::Date | ColumnType::Timestamp) {
            return Err(invalid_name("cql2.not_temporal", p));
        }
        Ok(column(&name))
    }

    fn period(&self, n: &Node) -> Result<Period, QueryError> {
        match n {
            Node::Property(p) => Ok(Period::instant(self.temporal_property(p)?)),
            Node::Date(_) | Node::Timestamp(_) => Ok(Period::instant(self.scalar(n)?)),
            Node::Interval(a, b) => Ok(Period {
                start: self.bound(a, Bound::Open)?,
                end: self.bound(b, Bound::Unending)?,
            }),
            _ => Err(invalid("cql2.temporal_operand")),
        }
    }

    fn bound(&self, n: &Node, open: Bound) -> Result<Bound, QueryError> {
        match n {
            Node::Unbounded => Ok(open),
            Node::Property(p) => Ok(Bound::At(self.temporal_property(p)?)),
            Node::Date(_) | Node::Timestamp(_) => Ok(Bound::At(self.scalar(n)?)),
            _ => Err(invalid("cql2.temporal_operand")),
        }
    }
}
