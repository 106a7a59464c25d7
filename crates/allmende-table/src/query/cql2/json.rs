//! CQL2 JSON: `{"op": …, "args": […]}` trees with `{"property": …}`, `{"date": …}`,
//! `{"timestamp": …}`, `{"interval": […]}`, `{"bbox": […]}` and GeoJSON geometries.

use allmende_core::i18n::Msg;
use serde_json::Value;

use super::ast::{
    ArithOp, CmpOp, Cql2Error, MAX_DEPTH, MAX_LEN, Node, Relation, TemporalOp, bbox, date, err,
    instant, timestamp,
};
use crate::geo::Geometry;
use crate::geo::geometry::ReadNotes;

pub(super) fn parse(input: &str) -> Result<Node, Cql2Error> {
    if input.len() > MAX_LEN {
        return Err(Cql2Error(Msg::new("expr.too_long").arg("max", MAX_LEN)));
    }
    // serde_json stops at 128 levels itself; the walk below at MAX_DEPTH.
    let v: Value = serde_json::from_str(input)
        .map_err(|e| Cql2Error(Msg::new("cql2.bad_json").arg("reason", e.to_string())))?;
    node(&v, 0)
}

fn invalid(v: &Value) -> Cql2Error {
    let mut s = v.to_string();
    if s.len() > 80 {
        let cut = (0..=80).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        s.truncate(cut);
        s.push('…');
    }
    Cql2Error(Msg::new("expr.unexpected").arg("token", s))
}

fn text(v: &Value) -> Result<&str, Cql2Error> {
    v.as_str().ok_or_else(|| invalid(v))
}

fn node(v: &Value, depth: usize) -> Result<Node, Cql2Error> {
    if depth > MAX_DEPTH {
        return Err(err("expr.too_deep"));
    }
    match v {
        Value::String(s) => Ok(Node::Str(s.clone())),
        Value::Bool(b) => Ok(Node::Bool(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Ok(Node::Int(i)),
            None => n.as_f64().map(Node::Num).ok_or_else(|| invalid(v)),
        },
        Value::Object(o) => {
            if let Some(p) = o.get("property") {
                return Ok(Node::Property(text(p)?.to_string()));
            }
            if let Some(d) = o.get("date") {
                return date(text(d)?);
            }
            if let Some(t) = o.get("timestamp") {
                return timestamp(text(t)?);
            }
            if let Some(i) = o.get("interval") {
                let ends = i
                    .as_array()
                    .filter(|a| a.len() == 2)
                    .ok_or_else(|| invalid(i))?;
                let end = |e: &Value| match e {
                    Value::String(s) => instant(s),
                    other => node(other, depth + 1),
                };
                return Ok(Node::Interval(
                    Box::new(end(&ends[0])?),
                    Box::new(end(&ends[1])?),
                ));
            }
            if let Some(b) = o.get("bbox") {
                let n: Vec<f64> = b
                    .as_array()
                    .ok_or_else(|| invalid(b))?
                    .iter()
                    .map(|x| x.as_f64().ok_or_else(|| invalid(x)))
                    .collect::<Result<_, _>>()?;
                return bbox(&n);
            }
            if o.contains_key("type") && o.contains_key("coordinates")
                || o.get("type").and_then(Value::as_str) == Some("GeometryCollection")
            {
                return match Geometry::from_geojson(v, &mut ReadNotes::default()) {
                    Ok(Some(g)) => Ok(Node::Geometry(g)),
                    Ok(None) => Err(invalid(v)),
                    Err(e) => Err(Cql2Error(
                        Msg::new("cql2.bad_geometry").arg("reason", e.to_string()),
                    )),
                };
            }
            match o.get("op") {
                Some(op) => operation(text(op)?, o.get("args"), depth),
                None => Err(invalid(v)),
            }
        }
        Value::Array(_) => Err(Cql2Error(Msg::new("cql2.unsupported").arg("what", "array"))),
        Value::Null => Err(invalid(v)),
    }
}

fn operation(op: &str, args: Option<&Value>, depth: usize) -> Result<Node, Cql2Error> {
    let raw = args
        .and_then(Value::as_array)
        .ok_or_else(|| Cql2Error(Msg::new("cql2.args").arg("op", op)))?;
    let arity = |n: usize| {
        if raw.len() == n {
            Ok(())
        } else {
            Err(Cql2Error(
                Msg::new("query.argument_count")
                    .arg("function", op)
                    .arg("n", n),
            ))
        }
    };
    let arg = |i: usize| node(&raw[i], depth + 1).map(Box::new);
    let lower = op.to_ascii_lowercase();
    if let Some(c) = CmpOp::parse(&lower) {
        arity(2)?;
        return Ok(Node::Compare(c, arg(0)?, arg(1)?));
    }
    if let Some(a) = ArithOp::parse(&lower) {
        arity(2)?;
        return Ok(Node::Arith(a, arg(0)?, arg(1)?));
    }
    if let Some(r) = Relation::parse(&lower) {
        arity(2)?;
        return Ok(Node::Spatial(r, arg(0)?, arg(1)?));
    }
    if let Some(t) = TemporalOp::parse(&lower) {
        arity(2)?;
        return Ok(Node::Temporal(t, arg(0)?, arg(1)?));
    }
    Ok(match lower.as_str() {
        "and" | "or" => {
            if raw.len() < 2 {
                arity(2)?;
            }
            let all = raw
                .iter()
                .map(|a| node(a, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            if lower == "and" {
                Node::And(all)
            } else {
                Node::Or(all)
            }
        }
        "not" => {
            arity(1)?;
            Node::Not(arg(0)?)
        }
        "like" => {
            arity(2)?;
            Node::Like(arg(0)?, arg(1)?, false)
        }
        "between" => {
            arity(3)?;
            Node::Between(arg(0)?, arg(1)?, arg(2)?, false)
        }
        "in" => {
            arity(2)?;
            let list = raw[1].as_array().ok_or_else(|| invalid(&raw[1]))?;
            let list = list
                .iter()
                .map(|a| node(a, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Node::In(arg(0)?, list, false)
        }
        "isnull" => {
            arity(1)?;
            Node::IsNull(arg(0)?, false)
        }
        "casei" => {
            arity(1)?;
            Node::CaseI(arg(0)?)
        }
        "accenti" => {
            arity(1)?;
            Node::AccentI(arg(0)?)
        }
        _ => {
            return Err(Cql2Error(
                Msg::new("cql2.unknown_function").arg("function", op),
            ));
        }
    })
}
