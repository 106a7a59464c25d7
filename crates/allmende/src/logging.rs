//! Log output. Field values come from strangers (user names, paths, headers): in the text
//! format every control character is escaped, so a value can never start a new log line or
//! send escape codes to a terminal. The JSON format escapes by construction.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::{MakeVisitor, VisitFmt, VisitOutput};
use tracing_subscriber::fmt::format::Writer;

/// Writes `s` with control characters (newlines, ESC, DEL, C1 controls, bidi overrides)
/// as visible escapes.
pub fn escape_into(out: &mut impl fmt::Write, s: &str) -> fmt::Result {
    for c in s.chars() {
        match c {
            '\n' => out.write_str("\\n")?,
            '\r' => out.write_str("\\r")?,
            '\t' => out.write_str("\\t")?,
            '\\' => out.write_str("\\\\")?,
            c if c.is_control() || is_bidi_control(c) => write!(out, "\\u{{{:x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    Ok(())
}

/// Characters that reorder what a terminal shows (Trojan-Source style).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The field formatter of the text log format: `name=value` pairs, the message first,
/// everything escaped.
#[derive(Debug, Clone, Copy, Default)]
pub struct EscapedFields;

impl<'a> MakeVisitor<Writer<'a>> for EscapedFields {
    type Visitor = EscapedVisitor<'a>;
    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        EscapedVisitor {
            writer: target,
            first: true,
            result: Ok(()),
        }
    }
}

pub struct EscapedVisitor<'a> {
    writer: Writer<'a>,
    first: bool,
    result: fmt::Result,
}

impl EscapedVisitor<'_> {
    fn field(&mut self, field: &Field, value: &str) {
        if self.result.is_err() {
            return;
        }
        let mut text = String::with_capacity(value.len() + 16);
        if !self.first {
            text.push(' ');
        }
        self.first = false;
        if field.name() != "message" {
            text.push_str(field.name());
            text.push('=');
        }
        if escape_into(&mut text, value).is_err() {
            return;
        }
        self.result = self.writer.write_str(&text);
    }
}

impl Visit for EscapedVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.field(field, value);
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, &format!("{value:?}"));
    }
}

impl VisitOutput<fmt::Result> for EscapedVisitor<'_> {
    fn finish(self) -> fmt::Result {
        self.result
    }
}

impl VisitFmt for EscapedVisitor<'_> {
    fn writer(&mut self) -> &mut dyn fmt::Write {
        &mut self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_forge_lines() {
        let mut s = String::new();
        escape_into(
            &mut s,
            "bob\n2026-11-30T12:00:00Z INFO login user=admin\x1b[2J\u{202e}",
        )
        .unwrap();
        assert!(!s.contains('\n') && !s.contains('\x1b') && !s.contains('\u{202e}'));
        assert_eq!(
            s,
            "bob\\n2026-11-30T12:00:00Z INFO login user=admin\\u{1b}[2J\\u{202e}"
        );
        let mut plain = String::new();
        escape_into(&mut plain, "Straße 12 – Aalen").unwrap();
        assert_eq!(plain, "Straße 12 – Aalen");
    }
}
