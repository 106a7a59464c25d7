//! The scan's state over all rows: per column, how many values matched which rule, a few masked
//! examples, and what the header announced; at the end, findings decided per column and then
//! across the table (an address is personal beside a name, not beside a car park).

use std::collections::HashMap;

use chrono::Datelike;

use std::sync::Arc;

use super::{
    Basis, Finding, PrivacyReport, PrivacyRules, Rule, SCANNER_VERSION, Severity, mask, names,
    shapes, values,
};
use crate::infer::Cell;

/// Distinct values remembered per column: most columns repeat a few values (districts, types),
/// and those are classified once. Only short values are kept, and all columns together keep at
/// most `MEMO_BUDGET` bytes of them, so that the memory stays small whatever the file holds
/// (2,000 columns of distinct values included).
const MEMO: usize = 2048;
const MEMO_VALUE_BYTES: usize = 128;
const MEMO_BUDGET: usize = 8 << 20;
const EXAMPLES: usize = 3;

/// What a byte says about a value's shape: a digit, a colon, or anything but the separators
/// numbers, dates and phone numbers are written with (`.`, `,`, `-`, space).
const DIGIT: u8 = 1;
const COLON: u8 = 2;
const OTHER: u8 = 4;
static BYTE_CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = b'0';
    while b <= b'9' {
        t[b as usize] = DIGIT;
        b += 1;
    }
    t[b':' as usize] = COLON;
    t[b'.' as usize] = 0;
    t[b',' as usize] = 0;
    t[b'-' as usize] = 0;
    t[b' ' as usize] = 0;
    t
};

/// The classes of all of a value's bytes: one table lookup each, no branches.
fn byte_classes(s: &str) -> u8 {
    s.bytes()
        .fold(0u8, |acc, b| acc | BYTE_CLASS[usize::from(b)])
}

/// Whether a value of digits, separators and a colon is a point in time: the German and ISO
/// shapes by position (digits are all that can stand between the separators), anything else
/// by parsing.
fn point_in_time(s: &str) -> bool {
    let b = s.as_bytes();
    let german = b.len() == 16 && b[2] == b'.' && b[5] == b'.' && b[10] == b' ' && b[13] == b':';
    let iso = (b.len() == 16 || b.len() == 19)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && (b.len() == 16 || b[16] == b':');
    german || iso || crate::values::parse_timestamp(s).is_some()
}

pub struct Scan {
    rules: Arc<PrivacyRules>,
    columns: Vec<ColumnScan>,
    rows: u64,
    buf: Vec<Rule>,
    /// Bytes the columns' memos may still take.
    memo_left: usize,
}

struct ColumnScan {
    header: String,
    announced: Option<Rule>,
    generic: bool,
    filled: u64,
    counts: HashMap<Rule, u64>,
    examples: HashMap<Rule, Vec<String>>,
    memo: ahash::AHashMap<Box<str>, Vec<Rule>>,
    /// Lookups in a full memo that found nothing: a column of distinct values (timestamps,
    /// IDs) then stops asking it, hashing a value costs more than classifying it.
    memo_misses: u64,
    memo_hits: u64,
    /// Values a name column would hold: given names or surnames alone, titles and hyphens.
    name_parts: u64,
    name_shaped: u64,
    /// Birth dates or years a person could have.
    birth_like: u64,
    /// Numbers ("Schüler" holding counts is not a name column).
    numbers: u64,
    /// Role e-mail addresses (poststelle@, info@): an office, not a person.
    role_emails: u64,
    /// Decimal degrees with at least four decimals (about 10 m), in a coordinate column.
    precise_degrees: u64,
    coordinate: bool,
    /// Dates at least 14 years back, and the range of their years.
    old_dates: u64,
    years: Option<(i32, i32)>,
    /// The two column-shape heuristics (names by their shape, birth dates by their spread) stop
    /// looking once a column clearly is not of that shape: they cost per value, the
    /// identifiers' checks do not stop.
    shape_off: bool,
    dates_off: bool,
}

/// Values after which a column that is clearly not name- or birth-date-shaped is left alone.
const SHAPE_SAMPLE: u64 = 200;

impl Scan {
    pub fn new(headers: &[String], rules: Arc<PrivacyRules>) -> Self {
        Self {
            columns: headers
                .iter()
                .map(|h| ColumnScan {
                    header: h.clone(),
                    announced: rules.header_rule(h),
                    generic: names::generic_header(h),
                    filled: 0,
                    counts: HashMap::new(),
                    examples: HashMap::new(),
                    memo: ahash::AHashMap::new(),
                    memo_misses: 0,
                    memo_hits: 0,
                    name_parts: 0,
                    name_shaped: 0,
                    birth_like: 0,
                    numbers: 0,
                    role_emails: 0,
                    precise_degrees: 0,
                    coordinate: shapes::coordinate_header(h),
                    old_dates: 0,
                    years: None,
                    shape_off: false,
                    dates_off: false,
                })
                .collect(),
            rows: 0,
            buf: Vec::new(),
            memo_left: MEMO_BUDGET,
            rules,
        }
    }

    pub fn observe_row(&mut self) {
        self.rows += 1;
    }

    /// One row of data: every cell of it.
    pub fn observe_cells(&mut self, cells: &[Cell<'_>]) {
        self.observe_row();
        for (i, c) in cells.iter().enumerate() {
            self.observe(i, c);
        }
    }

    #[inline]
    pub fn observe(&mut self, column: usize, cell: &Cell<'_>) {
        let Some(c) = self.columns.get_mut(column) else {
            return;
        };
        match cell {
            Cell::Empty => {}
            Cell::Text(s) => {
                let s = crate::values::trim(s);
                if s.is_empty() {
                    return;
                }
                c.filled += 1;
                if !c.short_number(s) {
                    c.text(s, &self.rules, &mut self.buf, &mut self.memo_left);
                }
            }
            Cell::Int(v) => {
                c.filled += 1;
                c.numbers += 1;
                if matches!(c.announced, Some(Rule::BirthDate)) && plausible_year(*v) {
                    c.birth_like += 1;
                }
                if (10_000_000_000..100_000_000_000).contains(v) {
                    let digits = v.to_string();
                    if values::tax_id(&digits) {
                        c.hit(Rule::TaxId, &digits);
                    }
                }
            }
            Cell::Float(f) => {
                c.filled += 1;
                c.numbers += 1;
                if c.coordinate && (f * 1_000.0).fract() != 0.0 && f.abs() <= 180.0 {
                    c.precise_degrees += 1;
                }
            }
            Cell::Date(d) => {
                c.filled += 1;
                if plausible_year(d.year() as i64) {
                    c.birth_like += 1;
                }
                c.date(*d);
            }
            Cell::DateTime(_) | Cell::Bool(_) => c.filled += 1,
        }
    }

    /// Findings per column, then the table's context.
    pub fn finish(self) -> PrivacyReport {
        let mut findings = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            c.findings(i, &mut findings);
        }
        let office_table = self
            .columns
            .iter()
            .any(|c| c.role_emails > 0 && c.role_emails * 2 >= c.count(Rule::Email));
        // A table about persons: a direct identifier of someone in it (an office's own
        // e-mail addresses and phone numbers are not).
        let person_table = findings.iter().any(|f: &Finding| {
            f.severity == Severity::High
                && match f.rule {
                    Rule::Email | Rule::Phone => !office_table,
                    r => r.identifies(),
                }
        });
        for (i, c) in self.columns.iter().enumerate() {
            c.context_findings(i, person_table, office_table, &mut findings);
        }
        if person_table {
            // Beside a person's name or number, an IP address is theirs too.
            for f in &mut findings {
                if f.rule == Rule::IpAddress {
                    f.severity = Severity::High;
                }
            }
        }
        if office_table {
            // Contacts of an office: names and numbers of a public desk are lawful to publish.
            for f in &mut findings {
                if matches!(f.rule, Rule::Phone | Rule::Email) && f.severity == Severity::High {
                    f.rule = Rule::BusinessContact;
                    f.severity = Severity::Low;
                }
            }
        }
        // The operator's severities last: they say what a rule's findings weigh, whatever the
        // table around them.
        findings.retain_mut(|f| match self.rules.severity(f.rule, f.severity) {
            Some(s) => {
                f.severity = s;
                true
            }
            None => false,
        });
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.position.cmp(&b.position))
        });
        PrivacyReport {
            scanner: SCANNER_VERSION,
            rules: self.rules.fingerprint().to_string(),
            rows: self.rows,
            findings,
        }
    }
}

/// The words of a value as a name has them ("Musterfrau, Erika", "Dr. Max Mustermann").
fn name_words(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', ','])
        .map(|w| w.trim_matches('.'))
        .filter(|w| !w.is_empty())
}

fn plausible_year(y: i64) -> bool {
    let now = chrono::Utc::now().year() as i64;
    (now - 110..=now).contains(&y)
}

impl ColumnScan {
    fn count(&self, r: Rule) -> u64 {
        self.counts.get(&r).copied().unwrap_or(0)
    }

    fn hit(&mut self, r: Rule, v: &str) {
        *self.counts.entry(r).or_default() += 1;
        let ex = self.examples.entry(r).or_default();
        if ex.len() < EXAMPLES {
            let m = mask(v);
            if !ex.contains(&m) {
                ex.push(m);
            }
        }
    }

    /// Dates a person of 14 or older could be born on: birth dates, when the table is about
    /// persons and they spread over decades.
    fn date(&mut self, d: chrono::NaiveDate) {
        if self.dates_off {
            return;
        }
        if self.filled >= SHAPE_SAMPLE && self.old_dates * 2 < self.filled {
            self.dates_off = true;
            return;
        }
        let year = d.year();
        if plausible_year(year as i64) && year <= chrono::Utc::now().year() - 14 {
            self.old_dates += 1;
            self.years = Some(match self.years {
                Some((lo, hi)) => (lo.min(year), hi.max(year)),
                None => (year, year),
            });
            if self.announced.is_none() {
                let ex = self.examples.entry(Rule::BirthDate).or_default();
                if ex.len() < EXAMPLES {
                    ex.push(mask(&d.to_string()));
                }
            }
        }
    }

    fn update_shapes(&mut self) {
        // Both only ever turn off: once they are, nothing is left to decide.
        if self.announced.is_none()
            && !(self.shape_off && self.dates_off)
            && self.filled >= SHAPE_SAMPLE
        {
            // Shaped like names but without given names (facilities, places): not names.
            self.shape_off |= self.name_shaped * 2 < self.filled
                || (self.name_shaped >= SHAPE_SAMPLE && self.name_parts * 20 < self.name_shaped);
            self.dates_off |= self.old_dates * 2 < self.filled;
        }
    }

    /// The usual cell of a count or a measurement, a short number, is only counted: it is no
    /// identifier (phone numbers need seven digits, the check-digit numbers ten or more), and
    /// only a birth year or a coordinate's digits matter. `false` for any other value, and
    /// nothing done; such a value goes to `text`, which therefore never sees a short number.
    #[inline]
    fn short_number(&mut self, s: &str) -> bool {
        if s.len() >= 7 || self.announced == Some(Rule::BirthDate) || self.coordinate {
            return false;
        }
        let seen = byte_classes(s);
        if seen & (OTHER | COLON) != 0 || seen & DIGIT == 0 {
            return false;
        }
        self.update_shapes();
        self.numbers += 1;
        true
    }

    // Kept out of line: the short numbers above are most cells, and the caller's loop stays small.
    #[inline(never)]
    fn text(&mut self, s: &str, rules: &PrivacyRules, buf: &mut Vec<Rule>, memo_left: &mut usize) {
        self.update_shapes();
        // A value that starts with a letter (most text) is not numeric, and its bytes are
        // looked at again only where a name check asks for digits.
        let numeric_start = s
            .as_bytes()
            .first()
            .is_some_and(|&b| BYTE_CLASS[usize::from(b)] & OTHER == 0);
        let seen = if numeric_start {
            byte_classes(s)
        } else {
            OTHER
        };
        let has_digit = || {
            if numeric_start {
                seen & DIGIT != 0
            } else {
                s.bytes().any(|b| b.is_ascii_digit())
            }
        };
        let colon = seen & COLON != 0;
        let numeric = seen & OTHER == 0;
        // A point in time ("31.12.2024 13:45", "2024-12-31 13:45:00") identifies nobody, and
        // birth dates carry no time of day: nothing to look at.
        if colon && numeric && has_digit() && point_in_time(s) {
            return;
        }
        let numeric = numeric && !colon;
        if numeric && has_digit() {
            self.numbers += 1;
            // Dates written in several ways stay text: "12.03.1980", "1980-03-12".
            if self.announced.is_none()
                && !self.dates_off
                && (8..=10).contains(&s.len())
                && let Some(d) = crate::values::parse_date(s)
            {
                self.date(d);
                return;
            }
        }
        // `buf` holds this value's rules for the checks below, remembered or classified now.
        buf.clear();
        let memo_full = self.memo.len() >= MEMO || *memo_left < MEMO_VALUE_BYTES + 64;
        let ask_memo = !(memo_full && self.memo_misses > 1000 && self.memo_misses > self.memo_hits);
        let remembered = if ask_memo { self.memo.get(s) } else { None };
        if let Some(rules) = remembered {
            self.memo_hits += 1;
            buf.extend_from_slice(rules);
        } else {
            values::classify(s, &rules.lists, buf);
            // A value's bytes and the map's own share per entry.
            let cost = s.len() + 64;
            if self.memo.len() < MEMO && s.len() <= MEMO_VALUE_BYTES && cost <= *memo_left {
                *memo_left -= cost;
                self.memo.insert(s.into(), buf.clone());
            } else if ask_memo {
                self.memo_misses += 1;
            }
        }
        for &r in buf.iter() {
            self.hit(r, s);
        }
        match self.announced {
            // Names have no digits.
            Some(Rule::PersonName) if !has_digit() => {
                let words = || name_words(s);
                let shaped = (1..=5).contains(&words().count())
                    && words().all(|w| w.chars().next().is_some_and(char::is_uppercase));
                if shaped {
                    self.name_shaped += 1;
                }
                if words().any(|w| rules.lists.name_part(w)) {
                    self.name_parts += 1;
                    if !buf.contains(&Rule::PersonName) {
                        let ex = self.examples.entry(Rule::PersonName).or_default();
                        if ex.len() < EXAMPLES {
                            ex.push(mask(s));
                        }
                    }
                }
            }
            // No header says so: values shaped like names ("Erika Musterfrau", "Musterfrau,
            // Erika"), enough of them with a known given name.
            None if !self.shape_off && s.len() <= 60 && !has_digit() && s.contains([' ', ',']) => {
                let words = || name_words(s);
                let shaped = (2..=5).contains(&words().count())
                    && words().all(|w| w.chars().next().is_some_and(char::is_uppercase));
                if shaped {
                    self.name_shaped += 1;
                    if words().any(|w| rules.lists.first_name(w)) {
                        self.name_parts += 1;
                        let ex = self.examples.entry(Rule::PersonName).or_default();
                        if ex.len() < EXAMPLES {
                            ex.push(mask(s));
                        }
                    }
                }
            }
            Some(Rule::BirthDate) => {
                let birth_like = match s.parse::<i64>() {
                    Ok(y) => plausible_year(y),
                    Err(_) => crate::values::parse_date(s)
                        .is_some_and(|d| plausible_year(d.year() as i64)),
                };
                if birth_like {
                    self.birth_like += 1;
                    let ex = self.examples.entry(Rule::BirthDate).or_default();
                    if ex.len() < EXAMPLES {
                        let m = mask(s);
                        if !ex.contains(&m) {
                            ex.push(m);
                        }
                    }
                }
            }
            _ => {}
        }
        if buf.contains(&Rule::Email)
            && shapes::role_mailbox(s.split('@').next().unwrap_or(""), &rules.lists)
        {
            self.role_emails += 1;
        }
        if self.coordinate
            && let Some((whole, decimals)) = s.split_once([',', '.'])
            && decimals.len() >= 4
            && decimals.bytes().all(|b| b.is_ascii_digit())
            && whole
                .trim_start_matches('-')
                .parse::<u16>()
                .is_ok_and(|d| d <= 180)
        {
            self.precise_degrees += 1;
        }
    }

    fn share(&self, n: u64) -> f64 {
        if self.filled == 0 {
            0.0
        } else {
            ((n as f64 / self.filled as f64) * 1000.0).round() / 1000.0
        }
    }

    fn finding(
        &self,
        position: usize,
        rule: Rule,
        severity: Severity,
        basis: Basis,
        matched: u64,
    ) -> Finding {
        Finding {
            column: self.header.clone(),
            position,
            rule,
            severity,
            basis,
            matched,
            share: self.share(matched),
            examples: self.examples.get(&rule).cloned().unwrap_or_default(),
        }
    }

    fn findings(&self, i: usize, out: &mut Vec<Finding>) {
        if self.filled == 0 {
            return;
        }
        let mut covered = Vec::new();
        for (&rule, &n) in &self.counts {
            if matches!(rule, Rule::StreetAddress) {
                continue; // decided with the table's context
            }
            let share = n as f64 / self.filled as f64;
            let announced = self.announced == Some(rule);
            let basis = if announced {
                Basis::HeaderAndValues
            } else {
                Basis::Values
            };
            let severity = match rule {
                r if r.checksummed() => (n >= 3 || share >= 0.02).then_some(Severity::High),
                Rule::FreeText => Some(if share >= 0.05 {
                    Severity::High
                } else {
                    Severity::Medium
                }),
                Rule::IpAddress => (share >= 0.3).then_some(if announced {
                    Severity::High
                } else {
                    Severity::Medium
                }),
                Rule::PersonName if self.generic || self.announced.is_none() => {
                    (share >= 0.3).then_some(Severity::High)
                }
                _ if announced => (share >= 0.1).then_some(Severity::High),
                _ => (share >= 0.3).then_some(Severity::High),
            };
            if let Some(s) = severity {
                covered.push(rule);
                out.push(self.finding(i, rule, s, basis, n));
            }
        }
        let Some(rule) = self.announced else {
            // Names without a name header: most values shaped like names, a good part of them
            // with a known given name (the list cannot know every name).
            let share = |n: u64| n as f64 / self.filled as f64;
            if !covered.contains(&Rule::PersonName)
                && self.filled >= 5
                && share(self.name_shaped) >= 0.8
                && share(self.name_parts) >= 0.15
            {
                out.push(self.finding(
                    i,
                    Rule::PersonName,
                    Severity::High,
                    Basis::Values,
                    self.name_shaped,
                ));
            }
            return;
        };
        if covered.contains(&rule) || rule == Rule::StreetAddress {
            return;
        }
        let share = |n: u64| n as f64 / self.filled as f64;
        match rule {
            Rule::PersonName => {
                // A specific header ("Vorname", "Familienname") with values shaped like names,
                // or a generic one ("Name") whose values are known names.
                let confirmed = share(self.name_parts) >= 0.3
                    || (!self.generic && share(self.name_shaped) >= 0.8);
                let n = if share(self.name_parts) >= 0.3 {
                    self.name_parts
                } else {
                    self.name_shaped
                };
                if confirmed {
                    let mut f = self.finding(i, rule, Severity::High, Basis::HeaderAndValues, n);
                    if f.examples.is_empty() {
                        f.examples = self
                            .examples
                            .values()
                            .flatten()
                            .take(EXAMPLES)
                            .cloned()
                            .collect();
                    }
                    out.push(f);
                } else if !self.generic && self.numbers * 5 < self.filled * 4 {
                    out.push(self.finding(i, rule, Severity::Medium, Basis::Header, 0));
                }
            }
            Rule::BirthDate => {
                let severity = if share(self.birth_like) >= 0.5 {
                    Severity::High
                } else {
                    Severity::Medium
                };
                out.push(self.finding(i, rule, severity, Basis::HeaderAndValues, self.birth_like));
            }
            _ => out.push(self.finding(i, rule, Severity::Medium, Basis::Header, 0)),
        }
    }

    fn context_findings(
        &self,
        i: usize,
        person_table: bool,
        office_table: bool,
        out: &mut Vec<Finding>,
    ) {
        if self.filled == 0 {
            return;
        }
        let addresses = self.count(Rule::StreetAddress);
        let announced = self.announced == Some(Rule::StreetAddress);
        if (addresses as f64 / self.filled as f64 >= 0.3 || (announced && !self.generic))
            && person_table
        {
            // Home addresses beside names; an office's address is its business contact.
            let (rule, severity) = if office_table {
                (Rule::BusinessContact, Severity::Low)
            } else {
                (Rule::StreetAddress, Severity::High)
            };
            let basis = if announced {
                Basis::HeaderAndValues
            } else {
                Basis::Context
            };
            let mut f = self.finding(i, rule, severity, basis, addresses);
            f.examples = self
                .examples
                .get(&Rule::StreetAddress)
                .cloned()
                .unwrap_or_default();
            out.push(f);
        }
        // Dates under no header that look like birth dates: in a table about persons, most of
        // them old enough and spread over at least twenty years.
        if self.announced.is_none()
            && person_table
            && self.filled >= 5
            && self.old_dates * 5 >= self.filled * 4
            && self.years.is_some_and(|(lo, hi)| hi - lo >= 20)
        {
            out.push(self.finding(
                i,
                Rule::BirthDate,
                Severity::High,
                Basis::Context,
                self.old_dates,
            ));
        }
        if self.coordinate && person_table && self.precise_degrees * 2 >= self.filled {
            out.push(self.finding(
                i,
                Rule::Coordinates,
                Severity::Medium,
                Basis::Context,
                self.precise_degrees,
            ));
        }
    }
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
