//! CQL2 text, by recursive descent over the BNF of the standard's annex: keywords in any case,
//! a double-quoted name always a property, WKT and `BBOX(…)` geometry literals, bounded in
//! length and nesting.

use allmende_core::i18n::Msg;

use super::ast::{
    ArithOp, CmpOp, Cql2Error, MAX_DEPTH, MAX_LEN, Node, Relation, TemporalOp, bbox, date, err,
    instant, timestamp,
};
use crate::geo::Geometry;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Sym(&'static str),
    LParen,
    RParen,
    Comma,
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Word(w) | Tok::Num(w) => w.clone(),
        Tok::Quoted(q) => format!("\"{q}\""),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Sym(s) => s.to_string(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Comma => ",".into(),
    }
}

fn unexpected(t: &Tok) -> Cql2Error {
    Cql2Error(Msg::new("expr.unexpected").arg("token", show(t)))
}

fn ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn ident_part(c: char) -> bool {
    ident_start(c) || c.is_alphanumeric() || c == '.' || ('\u{300}'..='\u{36f}').contains(&c)
}

fn lex(input: &str) -> Result<Vec<Tok>, Cql2Error> {
    if input.len() > MAX_LEN {
        return Err(Cql2Error(Msg::new("expr.too_long").arg("max", MAX_LEN)));
    }
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => (out.push(Tok::LParen), i += 1).1,
            ')' => (out.push(Tok::RParen), i += 1).1,
            ',' => (out.push(Tok::Comma), i += 1).1,
            '\'' | '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match (chars.get(i), chars.get(i + 1)) {
                        (None, _) => {
                            return Err(Cql2Error(
                                Msg::new("expr.unclosed").arg("quote", c.to_string()),
                            ));
                        }
                        (Some(&q), Some(&r)) if q == c && r == c => {
                            s.push(c);
                            i += 2;
                        }
                        (Some('\\'), Some('\'')) if c == '\'' => {
                            s.push('\'');
                            i += 2;
                        }
                        (Some(&q), _) if q == c => {
                            i += 1;
                            break;
                        }
                        (Some(&q), _) => {
                            s.push(q);
                            i += 1;
                        }
                    }
                }
                out.push(if c == '"' {
                    Tok::Quoted(s)
                } else {
                    Tok::Str(s)
                });
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                let start = i;
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '.')
                {
                    i += 1;
                }
                if chars.get(i).is_some_and(|c| matches!(c, 'e' | 'E'))
                    && (chars.get(i + 1).is_some_and(char::is_ascii_digit)
                        || (chars.get(i + 1).is_some_and(|c| matches!(c, '+' | '-'))
                            && chars.get(i + 2).is_some_and(char::is_ascii_digit)))
                {
                    i += 2;
                    while chars.get(i).is_some_and(char::is_ascii_digit) {
                        i += 1;
                    }
                }
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
            '<' | '>' => {
                let two = match (c, chars.get(i + 1)) {
                    ('<', Some('=')) => Some("<="),
                    ('<', Some('>')) => Some("<>"),
                    ('>', Some('=')) => Some(">="),
                    _ => None,
                };
                match two {
                    Some(op) => (out.push(Tok::Sym(op)), i += 2).1,
                    None => (out.push(Tok::Sym(if c == '<' { "<" } else { ">" })), i += 1).1,
                }
            }
            '=' | '+' | '-' | '*' | '/' | '%' | '^' => {
                let op = match c {
                    '=' => "=",
                    '+' => "+",
                    '-' => "-",
                    '*' => "*",
                    '/' => "/",
                    '%' => "%",
                    _ => "^",
                };
                out.push(Tok::Sym(op));
                i += 1;
            }
            c if ident_start(c) => {
                let start = i;
                while chars.get(i).is_some_and(|c| ident_part(*c)) {
                    i += 1;
                }
                out.push(Tok::Word(chars[start..i].iter().collect()));
            }
            other => {
                return Err(Cql2Error(
                    Msg::new("expr.unexpected_char").arg("char", other.to_string()),
                ));
            }
        }
    }
    Ok(out)
}

/// Words that end an operand, never a property's bare name.
const RESERVED: &[&str] = &[
    "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE", "DIV",
];

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

pub(super) fn parse(input: &str) -> Result<Node, Cql2Error> {
    let mut p = Parser {
        toks: lex(input)?,
        pos: 0,
        depth: 0,
    };
    if p.toks.is_empty() {
        return Err(err("expr.ends_early"));
    }
    let n = p.or()?;
    match p.peek() {
        None => Ok(n),
        Some(t) => Err(unexpected(t)),
    }
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Result<Tok, Cql2Error> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| err("expr.ends_early"))?;
        self.pos += 1;
        Ok(t)
    }

    fn is_kw(&self, offset: usize, kw: &str) -> bool {
        matches!(self.toks.get(self.pos + offset), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.is_kw(0, kw);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect(&mut self, t: Tok) -> Result<(), Cql2Error> {
        let got = self.next()?;
        if got == t {
            Ok(())
        } else {
            Err(unexpected(&got))
        }
    }

    fn enter(&mut self) -> Result<(), Cql2Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err("expr.too_deep"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, Cql2Error> {
        self.enter()?;
        let mut terms = vec![self.and()?];
        while self.eat_kw("OR") {
            terms.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Node::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Node, Cql2Error> {
        let mut factors = vec![self.factor()?];
        while self.eat_kw("AND") {
            factors.push(self.factor()?);
        }
        Ok(if factors.len() == 1 {
            factors.remove(0)
        } else {
            Node::And(factors)
        })
    }

    fn factor(&mut self) -> Result<Node, Cql2Error> {
        if self.eat_kw("NOT") {
            self.enter()?;
            let n = Node::Not(Box::new(self.factor()?));
            self.depth -= 1;
            return Ok(n);
        }
        self.predicate()
    }

    /// An operand and what follows it: a comparison, `[NOT] LIKE|BETWEEN|IN`, `IS [NOT] NULL`,
    /// or nothing (a boolean operand on its own).
    fn predicate(&mut self) -> Result<Node, Cql2Error> {
        let lhs = self.arith()?;
        let negated = self.is_kw(0, "NOT")
            && (self.is_kw(1, "LIKE") || self.is_kw(1, "BETWEEN") || self.is_kw(1, "IN"));
        if negated {
            self.pos += 1;
        }
        let lhs = Box::new(lhs);
        if let Some(Tok::Sym(s)) = self.peek()
            && let Some(op) = CmpOp::parse(s)
        {
            self.pos += 1;
            return Ok(Node::Compare(op, lhs, Box::new(self.arith()?)));
        }
        if self.eat_kw("LIKE") {
            return Ok(Node::Like(lhs, Box::new(self.arith()?), negated));
        }
        if self.eat_kw("BETWEEN") {
            let lo = self.arith()?;
            if !self.eat_kw("AND") {
                return Err(self.next().map(|t| unexpected(&t)).unwrap_or_else(|e| e));
            }
            let hi = self.arith()?;
            return Ok(Node::Between(lhs, Box::new(lo), Box::new(hi), negated));
        }
        if self.eat_kw("IN") {
            self.expect(Tok::LParen)?;
            let mut list = vec![self.arith()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                list.push(self.arith()?);
            }
            self.expect(Tok::RParen)?;
            return Ok(Node::In(lhs, list, negated));
        }
        if self.eat_kw("IS") {
            let not = self.eat_kw("NOT");
            if !self.eat_kw("NULL") {
                return Err(self.next().map(|t| unexpected(&t)).unwrap_or_else(|e| e));
            }
            return Ok(Node::IsNull(lhs, not));
        }
        Ok(*lhs)
    }

    fn arith(&mut self) -> Result<Node, Cql2Error> {
        let mut n = self.term()?;
        while let Some(Tok::Sym(s @ ("+" | "-"))) = self.peek() {
            let op = ArithOp::parse(s).ok_or_else(|| err("expr.ends_early"))?;
            self.pos += 1;
            n = Node::Arith(op, Box::new(n), Box::new(self.term()?));
        }
        Ok(n)
    }

    fn term(&mut self) -> Result<Node, Cql2Error> {
        let mut n = self.power()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Sym(s @ ("*" | "/" | "%"))) => ArithOp::parse(s),
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("div") => Some(ArithOp::IntDiv),
                _ => None,
            };
            let Some(op) = op else { return Ok(n) };
            self.pos += 1;
            n = Node::Arith(op, Box::new(n), Box::new(self.power()?));
        }
    }

    fn power(&mut self) -> Result<Node, Cql2Error> {
        let base = self.unary()?;
        if self.peek() == Some(&Tok::Sym("^")) {
            self.pos += 1;
            return Ok(Node::Arith(
                ArithOp::Pow,
                Box::new(base),
                Box::new(self.unary()?),
            ));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Node, Cql2Error> {
        match self.peek() {
            Some(Tok::Sym("-")) => {
                self.pos += 1;
                self.enter()?;
                let n = match self.unary()? {
                    Node::Int(i) => Node::Int(-i),
                    Node::Num(f) => Node::Num(-f),
                    other => Node::Neg(Box::new(other)),
                };
                self.depth -= 1;
                Ok(n)
            }
            Some(Tok::Sym("+")) => {
                self.pos += 1;
                self.unary()
            }
            _ => self.atom(),
        }
    }

    fn args(&mut self) -> Result<Vec<Node>, Cql2Error> {
        self.expect(Tok::LParen)?;
        let mut args = Vec::new();
        if self.peek() == Some(&Tok::RParen) {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.or()?);
            match self.next()? {
                Tok::Comma => continue,
                Tok::RParen => return Ok(args),
                t => return Err(unexpected(&t)),
            }
        }
    }

    fn two(&mut self, name: &str) -> Result<(Box<Node>, Box<Node>), Cql2Error> {
        let mut a = self.args()?;
        if a.len() != 2 {
            return Err(arity(name, 2));
        }
        let b = a.pop().map(Box::new);
        let a = a.pop().map(Box::new);
        a.zip(b).ok_or_else(|| arity(name, 2))
    }

    fn one(&mut self, name: &str) -> Result<Box<Node>, Cql2Error> {
        let mut a = self.args()?;
        match (a.pop(), a.is_empty()) {
            (Some(n), true) => Ok(Box::new(n)),
            _ => Err(arity(name, 1)),
        }
    }

    /// The text of a quoted literal argument: `DATE('2024-01-01')`.
    fn quoted_arg(&mut self) -> Result<String, Cql2Error> {
        self.expect(Tok::LParen)?;
        let s = match self.next()? {
            Tok::Str(s) => s,
            t => return Err(unexpected(&t)),
        };
        self.expect(Tok::RParen)?;
        Ok(s)
    }

    fn atom(&mut self) -> Result<Node, Cql2Error> {
        let t = self.next()?;
        let call = self.peek() == Some(&Tok::LParen);
        match t {
            Tok::Num(s) => number(&s),
            Tok::Str(s) => Ok(Node::Str(s)),
            Tok::Quoted(name) => Ok(Node::Property(name)),
            Tok::LParen => {
                let n = self.or()?;
                self.expect(Tok::RParen)?;
                Ok(n)
            }
            Tok::Word(w) => {
                let upper = w.to_ascii_uppercase();
                match upper.as_str() {
                    "TRUE" => return Ok(Node::Bool(true)),
                    "FALSE" => return Ok(Node::Bool(false)),
                    _ => {}
                }
                if RESERVED.contains(&upper.as_str()) {
                    return Err(unexpected(&Tok::Word(w)));
                }
                // `POINT Z (…)`: a geometry tag, then the Z marker, then its text.
                let tagged_z =
                    self.is_kw(0, "Z") && matches!(self.toks.get(self.pos + 1), Some(Tok::LParen));
                if !call && !tagged_z {
                    return Ok(Node::Property(w));
                }
                match upper.as_str() {
                    "CASEI" => Ok(Node::CaseI(self.one("CASEI")?)),
                    "ACCENTI" => Ok(Node::AccentI(self.one("ACCENTI")?)),
                    "DATE" => date(&self.quoted_arg()?),
                    "TIMESTAMP" => timestamp(&self.quoted_arg()?),
                    "INTERVAL" => {
                        let (a, b) = self.two("INTERVAL")?;
                        let end = |n: Box<Node>| match *n {
                            Node::Str(s) => instant(&s).map(Box::new),
                            other => Ok(Box::new(other)),
                        };
                        Ok(Node::Interval(end(a)?, end(b)?))
                    }
                    "BBOX" => {
                        self.expect(Tok::LParen)?;
                        let mut n = vec![self.signed()?];
                        while self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                            n.push(self.signed()?);
                        }
                        self.expect(Tok::RParen)?;
                        bbox(&n)
                    }
                    "POINT" | "LINESTRING" | "POLYGON" | "MULTIPOINT" | "MULTILINESTRING"
                    | "MULTIPOLYGON" | "GEOMETRYCOLLECTION" => {
                        self.enter()?;
                        let g = self.wkt_body(&upper)?;
                        self.depth -= 1;
                        Ok(Node::Geometry(g))
                    }
                    _ if tagged_z => Err(unexpected(&Tok::Word("Z".into()))),
                    _ => {
                        if let Some(r) = Relation::parse(&upper) {
                            let (a, b) = self.two(&upper)?;
                            return Ok(Node::Spatial(r, a, b));
                        }
                        if let Some(op) = TemporalOp::parse(&upper) {
                            let (a, b) = self.two(&upper)?;
                            return Ok(Node::Temporal(op, a, b));
                        }
                        Err(Cql2Error(
                            Msg::new("cql2.unknown_function").arg("function", w),
                        ))
                    }
                }
            }
            other => Err(unexpected(&other)),
        }
    }

    /// A signed number inside a geometry literal.
    fn signed(&mut self) -> Result<f64, Cql2Error> {
        let negative = match self.peek() {
            Some(Tok::Sym("-")) => (self.pos += 1, true).1,
            Some(Tok::Sym("+")) => (self.pos += 1, false).1,
            _ => false,
        };
        match self.next()? {
            Tok::Num(s) => s
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| if negative { -f } else { f })
                .ok_or_else(|| Cql2Error(Msg::new("expr.bad_number").arg("number", s))),
            t => Err(unexpected(&t)),
        }
    }

    /// `x y [z]` (a third coordinate is dropped).
    fn position(&mut self) -> Result<[f64; 2], Cql2Error> {
        let p = [self.signed()?, self.signed()?];
        if matches!(self.peek(), Some(Tok::Num(_)) | Some(Tok::Sym("-" | "+"))) {
            self.signed()?;
        }
        Ok(p)
    }

    /// `( a, b, … )` of whatever `item` reads.
    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, Cql2Error>,
    ) -> Result<Vec<T>, Cql2Error> {
        self.expect(Tok::LParen)?;
        let mut out = vec![item(self)?];
        loop {
            match self.next()? {
                Tok::Comma => out.push(item(self)?),
                Tok::RParen => return Ok(out),
                t => return Err(unexpected(&t)),
            }
        }
    }

    fn line(&mut self) -> Result<Vec<[f64; 2]>, Cql2Error> {
        self.list(Self::position)
    }

    fn rings(&mut self) -> Result<Vec<Vec<[f64; 2]>>, Cql2Error> {
        let rings = self.list(Self::line)?;
        if rings.iter().any(|r| r.len() < 4 || r.first() != r.last()) {
            return Err(err("cql2.bad_ring"));
        }
        Ok(rings)
    }

    /// A WKT geometry's text after its tag (`POINT` … `GEOMETRYCOLLECTION`).
    fn wkt_body(&mut self, tag: &str) -> Result<Geometry, Cql2Error> {
        self.eat_kw("Z");
        Ok(match tag {
            "POINT" => {
                self.expect(Tok::LParen)?;
                let p = self.position()?;
                self.expect(Tok::RParen)?;
                Geometry::Point(p)
            }
            "LINESTRING" => {
                let l = self.line()?;
                if l.len() < 2 {
                    return Err(err("cql2.bad_line"));
                }
                Geometry::LineString(l)
            }
            "POLYGON" => Geometry::Polygon(self.rings()?),
            // Both `MULTIPOINT((1 2), (3 4))` and `MULTIPOINT(1 2, 3 4)` are written.
            "MULTIPOINT" => Geometry::MultiPoint(self.list(|p| {
                if p.peek() == Some(&Tok::LParen) {
                    p.pos += 1;
                    let c = p.position()?;
                    p.expect(Tok::RParen)?;
                    Ok(c)
                } else {
                    p.position()
                }
            })?),
            "MULTILINESTRING" => Geometry::MultiLineString(self.list(Self::line)?),
            "MULTIPOLYGON" => Geometry::MultiPolygon(self.list(Self::rings)?),
            _ => Geometry::Collection(self.list(|p| match p.next()? {
                Tok::Word(w) => {
                    let tag = w.to_ascii_uppercase();
                    if !matches!(
                        tag.as_str(),
                        "POINT"
                            | "LINESTRING"
                            | "POLYGON"
                            | "MULTIPOINT"
                            | "MULTILINESTRING"
                            | "MULTIPOLYGON"
                    ) {
                        return Err(unexpected(&Tok::Word(w)));
                    }
                    p.wkt_body(&tag)
                }
                t => Err(unexpected(&t)),
            })?),
        })
    }
}

fn arity(function: &str, n: usize) -> Cql2Error {
    Cql2Error(
        Msg::new("query.argument_count")
            .arg("function", function)
            .arg("n", n),
    )
}

fn number(s: &str) -> Result<Node, Cql2Error> {
    if s.bytes().all(|b| b.is_ascii_digit())
        && let Ok(i) = s.parse::<i64>()
    {
        return Ok(Node::Int(i));
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .map(Node::Num)
        .ok_or_else(|| Cql2Error(Msg::new("expr.bad_number").arg("number", s)))
}
