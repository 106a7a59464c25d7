//! The parse tree both CQL2 encodings share, and the literal checks they share.

use allmende_core::i18n::Msg;

use crate::geo::Geometry;
pub use crate::geo::relate::Relation;

/// A filter's problem, for the client (the caller answers 400).
#[derive(Debug, Clone, PartialEq)]
pub struct Cql2Error(pub Msg);

impl std::fmt::Display for Cql2Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

pub(super) fn err(key: &str) -> Cql2Error {
    Cql2Error(Msg::new(key))
}

/// Longest filter taken (a polygon literal of a few thousand vertices).
pub(super) const MAX_LEN: usize = 64 * 1024;
/// Deepest nesting taken, in either encoding.
pub(super) const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    pub(super) fn parse(s: &str) -> Option<CmpOp> {
        Some(match s {
            "=" => Self::Eq,
            "<>" => Self::NotEq,
            "<" => Self::Lt,
            "<=" => Self::LtEq,
            ">" => Self::Gt,
            ">=" => Self::GtEq,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
    IntDiv,
    Pow,
}

impl ArithOp {
    pub(super) fn parse(s: &str) -> Option<ArithOp> {
        Some(match s.to_ascii_lowercase().as_str() {
            "+" => Self::Plus,
            "-" => Self::Minus,
            "*" => Self::Mul,
            "/" => Self::Div,
            "%" => Self::Mod,
            "div" => Self::IntDiv,
            "^" => Self::Pow,
            _ => return None,
        })
    }
}

/// Allen's interval relations as CQL2 names them (`t_after` …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporalOp {
    After,
    Before,
    Contains,
    Disjoint,
    During,
    Equals,
    FinishedBy,
    Finishes,
    Intersects,
    Meets,
    MetBy,
    OverlappedBy,
    Overlaps,
    StartedBy,
    Starts,
}

impl TemporalOp {
    pub(super) fn parse(name: &str) -> Option<TemporalOp> {
        Some(match name.to_ascii_lowercase().as_str() {
            "t_after" => Self::After,
            "t_before" => Self::Before,
            "t_contains" => Self::Contains,
            "t_disjoint" => Self::Disjoint,
            "t_during" => Self::During,
            "t_equals" => Self::Equals,
            "t_finishedby" => Self::FinishedBy,
            "t_finishes" => Self::Finishes,
            "t_intersects" => Self::Intersects,
            "t_meets" => Self::Meets,
            "t_metby" => Self::MetBy,
            "t_overlappedby" => Self::OverlappedBy,
            "t_overlaps" => Self::Overlaps,
            "t_startedby" => Self::StartedBy,
            "t_starts" => Self::Starts,
            _ => return None,
        })
    }
}

/// The parse tree both encodings share.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare(CmpOp, Box<Node>, Box<Node>),
    Like(Box<Node>, Box<Node>, bool),
    Between(Box<Node>, Box<Node>, Box<Node>, bool),
    In(Box<Node>, Vec<Node>, bool),
    IsNull(Box<Node>, bool),
    Spatial(Relation, Box<Node>, Box<Node>),
    Temporal(TemporalOp, Box<Node>, Box<Node>),
    Arith(ArithOp, Box<Node>, Box<Node>),
    Neg(Box<Node>),
    CaseI(Box<Node>),
    AccentI(Box<Node>),
    Property(String),
    Str(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    /// `YYYY-MM-DD`, checked.
    Date(String),
    /// `YYYY-MM-DDTHH:MM:SS[.f]`, in UTC, checked.
    Timestamp(String),
    Interval(Box<Node>, Box<Node>),
    /// `..`: an open interval end.
    Unbounded,
    Geometry(Geometry),
    /// `[west, south, east, north]`.
    Bbox([f64; 4]),
}

/// A date literal's text, checked.
pub(super) fn date(s: &str) -> Result<Node, Cql2Error> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| Node::Date(d.to_string()))
        .map_err(|_| Cql2Error(Msg::new("cql2.bad_date").arg("value", s)))
}

/// A timestamp literal's text (RFC 3339), checked and in UTC.
pub(super) fn timestamp(s: &str) -> Result<Node, Cql2Error> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| Node::Timestamp(t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.f").to_string()))
        .map_err(|_| Cql2Error(Msg::new("cql2.bad_timestamp").arg("value", s)))
}

/// An interval end given as text: `..`, a date or a timestamp.
pub(super) fn instant(s: &str) -> Result<Node, Cql2Error> {
    match s {
        ".." => Ok(Node::Unbounded),
        s if s.len() == 10 => date(s),
        s => timestamp(s),
    }
}

/// `[w, s, e, n]` from four numbers, or six (a 3D box's 2D part).
pub(super) fn bbox(n: &[f64]) -> Result<Node, Cql2Error> {
    let b = match n {
        [a, b, c, d] => [*a, *b, *c, *d],
        [a, b, _, d, e, _] => [*a, *b, *d, *e],
        _ => return Err(err("cql2.bad_bbox")),
    };
    if b.iter().any(|v| !v.is_finite()) || b[1] > b[3] {
        return Err(err("cql2.bad_bbox"));
    }
    Ok(Node::Bbox(b))
}
