//! Parse tree → DataFusion expressions, with every column resolved against the table's own
//! columns and every function taken from a fixed list.

use allmende_core::i18n::Msg;
use datafusion::common::{Column as DfColumn, ScalarValue};
use datafusion::functions::expr_fn as f;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, Operator, binary_expr, lit};

use super::expr::{Ast, BinOp};
use super::types::QueryError;
use crate::column::Column;

/// Where names are looked up: the table's columns, plus (after grouping) output names.
pub struct Scope<'a> {
    pub columns: &'a [Column],
    pub outputs: &'a [String],
}

impl Scope<'_> {
    pub fn resolve(&self, name: &str) -> Result<String, QueryError> {
        if name == crate::snapshot::ROW_ID || self.outputs.iter().any(|o| o == name) {
            return Ok(name.to_string());
        }
        if let Some(c) = self
            .columns
            .iter()
            .find(|c| c.name == name || c.machine_name == name)
        {
            return Ok(c.name.clone());
        }
        if let Some(c) = self
            .columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(name))
        {
            return Ok(c.name.clone());
        }
        let known: Vec<String> = self
            .columns
            .iter()
            .take(20)
            .map(|c| format!("\"{}\"", c.name))
            .collect();
        Err(QueryError::Invalid(
            Msg::new("query.unknown_column").arg("column", name).arg(
                "columns",
                format!(
                    "{}{}",
                    known.join(", "),
                    if self.columns.len() > 20 { ", …" } else { "" }
                ),
            ),
        ))
    }
}

pub fn column(name: &str) -> Expr {
    Expr::Column(DfColumn::new_unqualified(name))
}

/// `31.12.2024` in a literal means the ISO date, so dates can be compared the German way.
fn string_literal(s: &str) -> Expr {
    if s.len() == 10
        && s.as_bytes()[2] == b'.'
        && let Some(d) = crate::values::parse_date(s)
    {
        return lit(d.to_string());
    }
    lit(s.to_string())
}

pub fn is_aggregate(ast: &Ast) -> bool {
    match ast {
        Ast::Call(name, args, _) => {
            matches!(
                name.as_str(),
                "count" | "sum" | "avg" | "min" | "max" | "median"
            ) || args.iter().any(is_aggregate)
        }
        Ast::Neg(a) | Ast::Not(a) | Ast::IsNull(a, _) => is_aggregate(a),
        Ast::Binary(a, _, b) | Ast::Like(a, b, _) => is_aggregate(a) || is_aggregate(b),
        Ast::InList(a, items, _) => is_aggregate(a) || items.iter().any(is_aggregate),
        Ast::Between(a, b, c, _) => is_aggregate(a) || is_aggregate(b) || is_aggregate(c),
        _ => false,
    }
}

pub fn to_expr(ast: &Ast, scope: &Scope<'_>) -> Result<Expr, QueryError> {
    Ok(match ast {
        Ast::Column(name) => column(&scope.resolve(name)?),
        Ast::Integer(i) => lit(*i),
        Ast::Number(n) => lit(*n),
        Ast::Str(s) => string_literal(s),
        Ast::Bool(b) => lit(*b),
        Ast::Null => Expr::Literal(ScalarValue::Null, None),
        Ast::Star => {
            return Err(QueryError::Invalid(Msg::new("query.star_only_in_count")));
        }
        Ast::Neg(a) => Expr::Negative(Box::new(to_expr(a, scope)?)),
        Ast::Not(a) => Expr::Not(Box::new(to_expr(a, scope)?)),
        Ast::Binary(a, op, b) => {
            let op = match op {
                BinOp::And => Operator::And,
                BinOp::Or => Operator::Or,
                BinOp::Eq => Operator::Eq,
                BinOp::NotEq => Operator::NotEq,
                BinOp::Lt => Operator::Lt,
                BinOp::LtEq => Operator::LtEq,
                BinOp::Gt => Operator::Gt,
                BinOp::GtEq => Operator::GtEq,
                BinOp::Plus => Operator::Plus,
                BinOp::Minus => Operator::Minus,
                BinOp::Mul => Operator::Multiply,
                BinOp::Div => Operator::Divide,
                BinOp::Mod => Operator::Modulo,
            };
            binary_expr(to_expr(a, scope)?, op, to_expr(b, scope)?)
        }
        Ast::IsNull(a, negated) => {
            let e = to_expr(a, scope)?;
            if *negated {
                e.is_not_null()
            } else {
                e.is_null()
            }
        }
        Ast::InList(a, items, negated) => {
            if items.len() > 1000 {
                return Err(QueryError::Invalid(
                    Msg::new("query.in_list_too_long").arg("max", 1000),
                ));
            }
            let list = items
                .iter()
                .map(|i| to_expr(i, scope))
                .collect::<Result<_, _>>()?;
            to_expr(a, scope)?.in_list(list, *negated)
        }
        Ast::Like(a, p, negated) => {
            let (a, p) = (to_expr(a, scope)?, to_expr(p, scope)?);
            if *negated { a.not_like(p) } else { a.like(p) }
        }
        Ast::Between(a, lo, hi, negated) => {
            let (a, lo, hi) = (to_expr(a, scope)?, to_expr(lo, scope)?, to_expr(hi, scope)?);
            if *negated {
                a.not_between(lo, hi)
            } else {
                a.between(lo, hi)
            }
        }
        Ast::Call(name, args, distinct) => call(name, args, *distinct, scope)?,
    })
}

fn call(name: &str, args: &[Ast], distinct: bool, scope: &Scope<'_>) -> Result<Expr, QueryError> {
    let arity = |n: usize| -> Result<(), QueryError> {
        if args.len() == n {
            Ok(())
        } else {
            Err(QueryError::Invalid(
                Msg::new("query.argument_count")
                    .arg("function", name)
                    .arg("n", n),
            ))
        }
    };
    if name == "count" {
        arity(1)?;
        if args[0] == Ast::Star {
            return Ok(agg::count(lit(1i64)));
        }
        let e = to_expr(&args[0], scope)?;
        return Ok(if distinct {
            agg::count_distinct(e)
        } else {
            agg::count(e)
        });
    }
    if distinct {
        return Err(QueryError::Invalid(Msg::new(
            "query.distinct_only_in_count",
        )));
    }
    let mut a = Vec::with_capacity(args.len());
    for x in args {
        if is_aggregate(x) && matches!(name, "sum" | "avg" | "min" | "max" | "median") {
            return Err(QueryError::Invalid(Msg::new("query.nested_aggregate")));
        }
        a.push(to_expr(x, scope)?);
    }
    let one = |a: &mut Vec<Expr>| -> Result<Expr, QueryError> {
        arity(1)?;
        Ok(a.remove(0))
    };
    let part = |p: &str, e: Expr| f::date_part(lit(p), e);
    Ok(match name {
        "sum" => agg::sum(one(&mut a)?),
        "avg" => agg::avg(one(&mut a)?),
        "min" => agg::min(one(&mut a)?),
        "max" => agg::max(one(&mut a)?),
        "median" => agg::median(one(&mut a)?),
        "lower" => f::lower(one(&mut a)?),
        "upper" => f::upper(one(&mut a)?),
        "trim" => f::btrim(vec![one(&mut a)?]),
        "length" => f::character_length(one(&mut a)?),
        "abs" => f::abs(one(&mut a)?),
        "floor" => f::floor(one(&mut a)?),
        "ceil" => f::ceil(one(&mut a)?),
        "round" => {
            if a.is_empty() || a.len() > 2 {
                return Err(QueryError::Invalid(
                    Msg::new("query.argument_count")
                        .arg("function", "round")
                        .arg("n", "1–2"),
                ));
            }
            f::round(a)
        }
        "coalesce" => {
            if a.is_empty() {
                return Err(QueryError::Invalid(
                    Msg::new("query.argument_count")
                        .arg("function", "coalesce")
                        .arg("n", "1+"),
                ));
            }
            f::coalesce(a)
        }
        "year" => part("year", one(&mut a)?),
        "month" => part("month", one(&mut a)?),
        "day" => part("day", one(&mut a)?),
        "quarter" => part("quarter", one(&mut a)?),
        "hour" => part("hour", one(&mut a)?),
        "weekday" => part("dow", one(&mut a)?),
        "date_part" | "date_trunc" => {
            arity(2)?;
            let unit = match &args[0] {
                Ast::Str(s)
                    if matches!(
                        s.as_str(),
                        "year"
                            | "quarter"
                            | "month"
                            | "week"
                            | "day"
                            | "hour"
                            | "minute"
                            | "second"
                            | "dow"
                            | "doy"
                    ) =>
                {
                    s.clone()
                }
                _ => {
                    return Err(QueryError::Invalid(
                        Msg::new("query.date_unit").arg("function", name),
                    ));
                }
            };
            let e = a.remove(1);
            if name == "date_part" {
                part(&unit, e)
            } else {
                f::date_trunc(lit(unit), e)
            }
        }
        other => {
            return Err(QueryError::Invalid(
                Msg::new("query.unknown_function").arg("function", other).arg(
                    "functions",
                    "count, sum, avg, min, max, median, lower, upper, trim, length, abs, round, floor, ceil, coalesce, year, quarter, month, day, hour, weekday, date_part, date_trunc",
                ),
            ));
        }
    })
}
