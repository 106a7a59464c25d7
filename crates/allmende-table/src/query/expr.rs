//! The records API's expression language: a small, parsed and validated subset of SQL
//! expressions (comparisons, `and/or/not`, `in`, `like`, `between`, `is null`, arithmetic,
//! a fixed list of functions). The parse tree is turned into DataFusion expressions directly;
//! user text never becomes SQL.

use std::fmt;

use allmende_core::i18n::Msg;

#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    Column(String),
    Number(f64),
    Integer(i64),
    Str(String),
    Bool(bool),
    Null,
    Star,
    Neg(Box<Ast>),
    Not(Box<Ast>),
    Binary(Box<Ast>, BinOp, Box<Ast>),
    IsNull(Box<Ast>, bool),
    InList(Box<Ast>, Vec<Ast>, bool),
    Like(Box<Ast>, Box<Ast>, bool),
    Between(Box<Ast>, Box<Ast>, Box<Ast>, bool),
    Call(String, Vec<Ast>, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Plus,
    Minus,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError(pub Msg);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn err(key: &str) -> ParseError {
    ParseError(Msg::new(key))
}

fn unexpected_token(t: &Tok) -> ParseError {
    ParseError(Msg::new("expr.unexpected").arg("token", show(t)))
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Quoted(String),
    Str(String),
    Num(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Star,
}

const MAX_LEN: usize = 4096;
const MAX_DEPTH: usize = 64;

/// Tokens and their character spans in the input.
type Lexed = (Vec<Tok>, Vec<(usize, usize)>);

fn lex(input: &str) -> Result<Lexed, ParseError> {
    if input.len() > MAX_LEN {
        return Err(ParseError(Msg::new("expr.too_long").arg("max", MAX_LEN)));
    }
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let mut spans = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let before = out.len();
        let start = i;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '*' => {
                out.push(Tok::Star);
                i += 1
            }
            '+' | '/' | '%' | '-' => {
                out.push(Tok::Op(match c {
                    '+' => "+",
                    '/' => "/",
                    '%' => "%",
                    _ => "-",
                }));
                i += 1
            }
            '=' => {
                out.push(Tok::Op("="));
                i += if chars.get(i + 1) == Some(&'=') { 2 } else { 1 };
            }
            '!' if chars.get(i + 1) == Some(&'=') => {
                out.push(Tok::Op("!="));
                i += 2
            }
            '<' => match chars.get(i + 1) {
                Some('=') => {
                    out.push(Tok::Op("<="));
                    i += 2
                }
                Some('>') => {
                    out.push(Tok::Op("!="));
                    i += 2
                }
                _ => {
                    out.push(Tok::Op("<"));
                    i += 1
                }
            },
            '>' => {
                if chars.get(i + 1) == Some(&'=') {
                    out.push(Tok::Op(">="));
                    i += 2
                } else {
                    out.push(Tok::Op(">"));
                    i += 1
                }
            }
            '\'' | '"' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ParseError(Msg::new("expr.unclosed").arg("quote", quote)));
                        }
                        Some(&q) if q == quote => {
                            if chars.get(i + 1) == Some(&quote) {
                                s.push(quote);
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1
                        }
                    }
                }
                out.push(if quote == '"' {
                    Tok::Quoted(s)
                } else {
                    Tok::Str(s)
                });
            }
            c if c.is_ascii_digit()
                || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) =>
            {
                while i < chars.len()
                    && (chars[i].is_ascii_digit()
                        || chars[i] == '.'
                        || ((chars[i] == 'e' || chars[i] == 'E') && i > start)
                        || ((chars[i] == '-' || chars[i] == '+')
                            && matches!(chars[i - 1], 'e' | 'E')))
                {
                    i += 1;
                }
                out.push(Tok::Num(chars[start..i].iter().collect()));
            }
            c if c.is_alphabetic() || c == '_' => {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Tok::Ident(chars[start..i].iter().collect()));
            }
            other => {
                return Err(ParseError(
                    Msg::new("expr.unexpected_char").arg("char", other),
                ));
            }
        }
        if out.len() > before {
            spans.push((start, i));
        }
    }
    Ok((out, spans))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

fn kw(t: Option<&Tok>, word: &str) -> bool {
    matches!(t, Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(word))
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn peek2(&self) -> Option<&Tok> {
        self.toks.get(self.pos + 1)
    }
    fn bump(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn eat_kw(&mut self, word: &str) -> bool {
        if kw(self.peek(), word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: Tok) -> Result<(), ParseError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }
    fn unexpected(&self) -> ParseError {
        match self.peek() {
            None => err("expr.ends_early"),
            Some(t) => unexpected_token(t),
        }
    }
    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err("expr.too_deep"));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, ParseError> {
        self.enter()?;
        let mut left = self.and()?;
        while self.eat_kw("or") {
            let right = self.and()?;
            left = Ast::Binary(Box::new(left), BinOp::Or, Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }
    fn and(&mut self) -> Result<Ast, ParseError> {
        let mut left = self.not()?;
        while self.eat_kw("and") {
            let right = self.not()?;
            left = Ast::Binary(Box::new(left), BinOp::And, Box::new(right));
        }
        Ok(left)
    }
    fn not(&mut self) -> Result<Ast, ParseError> {
        if self.eat_kw("not") {
            self.enter()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Ast::Not(Box::new(inner)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Ast, ParseError> {
        let left = self.add()?;
        if let Some(Tok::Op(op)) = self.peek() {
            let op = match *op {
                "=" => Some(BinOp::Eq),
                "!=" => Some(BinOp::NotEq),
                "<" => Some(BinOp::Lt),
                "<=" => Some(BinOp::LtEq),
                ">" => Some(BinOp::Gt),
                ">=" => Some(BinOp::GtEq),
                _ => None,
            };
            if let Some(op) = op {
                self.pos += 1;
                let right = self.add()?;
                return Ok(Ast::Binary(Box::new(left), op, Box::new(right)));
            }
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            if !self.eat_kw("null") {
                return Err(self.unexpected());
            }
            return Ok(Ast::IsNull(Box::new(left), negated));
        }
        let negated = if kw(self.peek(), "not")
            && (kw(self.peek2(), "in") || kw(self.peek2(), "like") || kw(self.peek2(), "between"))
        {
            self.pos += 1;
            true
        } else {
            false
        };
        if self.eat_kw("in") {
            self.expect(Tok::LParen)?;
            let mut items = vec![self.add()?];
            while self.peek() == Some(&Tok::Comma) {
                self.pos += 1;
                items.push(self.add()?);
            }
            self.expect(Tok::RParen)?;
            return Ok(Ast::InList(Box::new(left), items, negated));
        }
        if self.eat_kw("like") {
            let pattern = self.add()?;
            return Ok(Ast::Like(Box::new(left), Box::new(pattern), negated));
        }
        if self.eat_kw("between") {
            let lo = self.add()?;
            if !self.eat_kw("and") {
                return Err(self.unexpected());
            }
            let hi = self.add()?;
            return Ok(Ast::Between(
                Box::new(left),
                Box::new(lo),
                Box::new(hi),
                negated,
            ));
        }
        if negated {
            return Err(self.unexpected());
        }
        Ok(left)
    }
    fn add(&mut self) -> Result<Ast, ParseError> {
        let mut left = self.mul()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => BinOp::Plus,
                Some(Tok::Op("-")) => BinOp::Minus,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.mul()?;
            left = Ast::Binary(Box::new(left), op, Box::new(right));
        }
    }
    fn mul(&mut self) -> Result<Ast, ParseError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                Some(Tok::Op("%")) => BinOp::Mod,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Ast::Binary(Box::new(left), op, Box::new(right));
        }
    }
    fn unary(&mut self) -> Result<Ast, ParseError> {
        if self.peek() == Some(&Tok::Op("-")) {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(match inner {
                Ast::Integer(i) => Ast::Integer(-i),
                Ast::Number(n) => Ast::Number(-n),
                other => Ast::Neg(Box::new(other)),
            });
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Ast, ParseError> {
        match self.bump() {
            Some(Tok::Num(n)) => {
                if let Ok(i) = n.parse::<i64>() {
                    Ok(Ast::Integer(i))
                } else {
                    n.parse::<f64>()
                        .map(Ast::Number)
                        .map_err(|_| ParseError(Msg::new("expr.bad_number").arg("number", &n)))
                }
            }
            Some(Tok::Str(s)) => Ok(Ast::Str(s)),
            Some(Tok::Quoted(s)) => Ok(Ast::Column(s)),
            Some(Tok::Star) => Ok(Ast::Star),
            Some(Tok::LParen) => {
                let e = self.expr()?;
                self.expect(Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Ident(id)) => {
                let lower = id.to_ascii_lowercase();
                match lower.as_str() {
                    "true" => return Ok(Ast::Bool(true)),
                    "false" => return Ok(Ast::Bool(false)),
                    "null" => return Ok(Ast::Null),
                    _ => {}
                }
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let distinct = self.eat_kw("distinct");
                    let mut args = Vec::new();
                    if self.peek() != Some(&Tok::RParen) {
                        self.enter()?;
                        args.push(self.expr()?);
                        while self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                            args.push(self.expr()?);
                        }
                        self.depth -= 1;
                    }
                    self.expect(Tok::RParen)?;
                    return Ok(Ast::Call(lower, args, distinct));
                }
                Ok(Ast::Column(id))
            }
            Some(t) => Err(unexpected_token(&t)),
            None => Err(err("expr.ends_early")),
        }
    }
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => s.clone(),
        Tok::Quoted(s) => format!("\"{s}\""),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Num(s) => s.clone(),
        Tok::Op(s) => s.to_string(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Comma => ",".into(),
        Tok::Star => "*".into(),
    }
}

/// Parses one expression (a `where` condition).
pub fn parse(input: &str) -> Result<Ast, ParseError> {
    let mut p = Parser {
        toks: lex(input)?.0,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(e)
}

/// One item of a `select`, `group_by` or `order_by` list: the expression, its alias or
/// sort direction, and its source text (the default output name).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub expr: Ast,
    pub alias: Option<String>,
    pub descending: bool,
    pub text: String,
}

/// Parses a comma-separated list; `ordered` accepts `asc`/`desc`, otherwise `as alias`.
pub fn parse_list(input: &str, ordered: bool) -> Result<Vec<Item>, ParseError> {
    let (toks, spans) = lex(input)?;
    let chars: Vec<char> = input.chars().collect();
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let mut items = Vec::new();
    loop {
        let start = p.pos;
        let expr = p.expr()?;
        let end = p.pos;
        let text = if end > start {
            chars[spans[start].0..spans[end - 1].1].iter().collect()
        } else {
            String::new()
        };
        let mut item = Item {
            expr,
            alias: None,
            descending: false,
            text,
        };
        if ordered {
            if p.eat_kw("desc") {
                item.descending = true;
            } else {
                p.eat_kw("asc");
            }
        } else if p.eat_kw("as") {
            match p.bump() {
                Some(Tok::Ident(a) | Tok::Quoted(a)) => item.alias = Some(a),
                _ => return Err(err("expr.as_without_name")),
            }
        }
        items.push(item);
        match p.bump() {
            None => return Ok(items),
            Some(Tok::Comma) => {}
            Some(t) => return Err(unexpected_token(&t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_conditions() {
        let e = parse(
            "\"Einwohner gesamt\" >= 1000 and Stadtteil in ('Mitte', 'Nord') or not x is null",
        )
        .unwrap();
        assert!(matches!(e, Ast::Binary(_, BinOp::Or, _)));
        assert!(parse("a like 'B%' and b between 1 and 2").is_ok());
        assert!(parse("a not in (1, 2)").is_ok());
        assert!(parse("year(Datum) = 2024").is_ok());
        assert!(parse("a = ").is_err());
        assert!(parse("a = 1; drop table x").is_err());
        assert!(parse("'unclosed").is_err());
        assert!(parse(&"(".repeat(200)).is_err());
        assert_eq!(parse("-3").unwrap(), Ast::Integer(-3));
        assert_eq!(parse("Straße").unwrap(), Ast::Column("Straße".into()));
    }

    #[test]
    fn parses_lists() {
        let items = parse_list("Stadtteil, sum(\"Betrag\") as summe, count(*)", false).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].alias.as_deref(), Some("summe"));
        assert_eq!(items[2].text, "count(*)");
        assert_eq!(items[1].text, "sum(\"Betrag\")");
        let items = parse_list("summe desc, Stadtteil", true).unwrap();
        assert!(items[0].descending && !items[1].descending);
    }
}
