//! Reading single values the way German offices write them: decimal commas, thousands dots,
//! `31.12.2024`, `ja`/`nein`, `k.A.`. Pure functions, shared by type inference and conversion.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// Markers that mean "no value" in a numeric, date or boolean column. In a text column they are
/// kept as published.
#[inline]
pub fn is_missing_marker(s: &str) -> bool {
    // Every marker starts with one of these bytes (0xE2: `–`, `—`, `…`) and is at most five
    // bytes long; numbers, dates and most words are ruled out without comparing strings.
    match s.as_bytes().first() {
        None => return true,
        Some(b'-' | b'.' | b'/' | b'x' | b'X' | b'k' | b'n' | b'N' | b'#' | 0xE2)
            if s.len() <= 5 => {}
        Some(_) => return false,
    }
    matches!(
        s,
        "" | "-"
            | "–"
            | "—"
            | "."
            | "/"
            | "x"
            | "X"
            | "k.A."
            | "k. A."
            | "k.a."
            | "n.v."
            | "n.V."
            | "n/a"
            | "N/A"
            | "NA"
            | "na"
            | "NaN"
            | "null"
            | "NULL"
            | "#NV"
            | "#N/A"
            | "..."
            | "…"
    )
}

pub fn parse_bool(s: &str) -> Option<bool> {
    const TRUE: [&str; 5] = ["ja", "wahr", "true", "yes", "j"];
    const FALSE: [&str; 5] = ["nein", "falsch", "false", "no", "n"];
    if s.len() > 6 {
        return None;
    }
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(s)) {
        Some(true)
    } else if FALSE.iter().any(|f| f.eq_ignore_ascii_case(s)) {
        Some(false)
    } else {
        None
    }
}

/// `str::trim`, without decoding characters when both ends are visible ASCII (nearly every cell).
#[inline]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

fn has(s: &str, byte: u8) -> bool {
    s.as_bytes().contains(&byte)
}

/// Which readings of a number a value allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NumberShape {
    /// Plain digits with an optional sign.
    pub int: bool,
    /// German: `1.234.567,89`, `12,5`, or plain digits.
    pub de: bool,
    /// International: `12.5`, `1e-3`, or plain digits.
    pub en: bool,
    /// Has a decimal comma (only German reading possible).
    pub comma_decimal: bool,
}

/// Classifies a trimmed value. Codes with a leading zero (`01010`, postcodes) are not numbers:
/// they must stay text to keep their zeros.
pub fn number_shape(s: &str) -> NumberShape {
    let mut none = NumberShape::default();
    let body = s.strip_prefix(['-', '+']).unwrap_or(s);
    if body.is_empty() {
        return none;
    }
    let bytes = body.as_bytes();
    if bytes.len() > 1 && bytes[0] == b'0' && bytes[1].is_ascii_digit() {
        return none;
    }
    if bytes.iter().all(u8::is_ascii_digit) {
        return NumberShape {
            int: true,
            de: true,
            en: true,
            comma_decimal: false,
        };
    }
    none.de = is_german_number(body);
    none.comma_decimal = none.de && has(body, b',');
    none.en = is_english_number(body);
    none
}

/// A present value whose reading is known before type inference looks at it (see
/// [`known_number`] and `Infer::observe_known`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Plain digits with an optional sign: `81`, `-3`. Every number reading fits.
    Digits,
    /// Digits, a decimal comma, digits, with an optional sign: `81,5`. Only German fits.
    CommaDecimal,
    /// A point in time that [`parse_timestamp`] reads.
    Timestamp,
}

/// The shape of a trimmed value when it is one of the two usual number shapes, read in one
/// pass: plain digits, or digits with a decimal comma, each with an optional sign and without
/// a leading zero that makes it a code. It is what [`number_shape`] says of such a value, at a
/// fraction of the cost; `None` leaves any other value to it.
pub fn known_number(s: &str) -> Option<Reading> {
    let b = s.as_bytes();
    let body = match b.first()? {
        b'-' | b'+' => &b[1..],
        _ => b,
    };
    let whole = body.iter().take_while(|c| c.is_ascii_digit()).count();
    if whole == 0 || (whole > 1 && body[0] == b'0') {
        return None;
    }
    match body.get(whole) {
        None => Some(Reading::Digits),
        Some(b',') => {
            let fraction = &body[whole + 1..];
            (!fraction.is_empty() && fraction.iter().all(u8::is_ascii_digit))
                .then_some(Reading::CommaDecimal)
        }
        Some(_) => None,
    }
}

/// `1234`, `1.234`, `1.234.567,89`, `12,5`: digits, thousands dots before groups of exactly
/// three (after at most three leading digits), a decimal comma before at least one digit. One
/// pass over the bytes: every numeric cell of a German file comes through here.
fn is_german_number(body: &str) -> bool {
    let b = body.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let first = digits(0);
    if first == 0 {
        return false;
    }
    let mut i = first;
    while b.get(i) == Some(&b'.') {
        if first > 3 || digits(i + 1) != 3 {
            return false;
        }
        i += 4;
    }
    match b.get(i) {
        None => true,
        Some(b',') => {
            let fraction = digits(i + 1);
            fraction > 0 && i + 1 + fraction == b.len()
        }
        Some(_) => false,
    }
}

fn is_english_number(body: &str) -> bool {
    let mut digits = 0;
    let mut dot = false;
    let mut exp = false;
    let mut prev = b' ';
    for &b in body.as_bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' if !dot && !exp => dot = true,
            b'e' | b'E' if !exp && digits > 0 => exp = true,
            b'-' | b'+' if matches!(prev, b'e' | b'E') => {}
            _ => return false,
        }
        prev = b;
    }
    digits > 0 && !matches!(prev, b'e' | b'E' | b'-' | b'+')
}

/// Parses a number known to be in German notation.
pub fn parse_german(s: &str) -> Option<f64> {
    if let Some(v) = short_german_decimal(s.as_bytes()) {
        return Some(v);
    }
    // Copy without thousands dots, comma as point; numbers are short, so a stack buffer does.
    let mut buf = [0u8; 64];
    let mut n = 0;
    for &b in s.as_bytes() {
        let b = match b {
            b'.' => continue,
            b',' => b'.',
            b => b,
        };
        *buf.get_mut(n)? = b;
        n += 1;
    }
    std::str::from_utf8(&buf[..n]).ok()?.parse().ok()
}

/// The usual measurement ("81,5", "-2.487,50") without the general parser: an integer
/// mantissa below 2^53 divided by a power of ten up to 10^22 is exactly what parsing gives
/// (both are exact doubles, and the division rounds correctly). `None`: not such a value,
/// for the general path to decide.
fn short_german_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let (negative, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.len() > 18 {
        return None;
    }
    let (mut mantissa, mut fraction, mut comma, mut any) = (0u64, 0usize, false, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(c - b'0');
                fraction += usize::from(comma);
                any = true;
            }
            b'.' => {}
            b',' if !comma => comma = true,
            _ => return None,
        }
    }
    if !any || mantissa >= 1 << 53 {
        return None;
    }
    let v = mantissa as f64 / *POW10.get(fraction)?;
    Some(if negative { -v } else { v })
}

pub fn parse_german_int(s: &str) -> Option<i64> {
    if has(s, b',') {
        return None;
    }
    if !has(s, b'.') {
        return s.parse().ok();
    }
    s.replace('.', "").parse().ok()
}

fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `31.12.2024`, `1.2.2024`, `2024-12-31`, `31/12/2024`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() < 8 || b.len() > 10 {
        return None;
    }
    if b[4] == b'-' {
        let y = digits(s.get(0..4)?, 4, 4)?;
        let mut rest = s.get(5..)?.split('-');
        let m = digits(rest.next()?, 2, 2)?;
        let d = digits(rest.next()?, 2, 2)?;
        if rest.next().is_some() {
            return None;
        }
        return NaiveDate::from_ymd_opt(y as i32, m, d);
    }
    if let Some(d) = fixed_date(b) {
        return d;
    }
    let sep = if has(s, b'.') { '.' } else { '/' };
    let mut parts = s.split(sep);
    let d = digits(parts.next()?, 1, 2)?;
    let m = digits(parts.next()?, 1, 2)?;
    let y = digits(parts.next()?, 4, 4)?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

fn two(b: &[u8], at: usize) -> Option<u32> {
    match (b.get(at)?, b.get(at + 1)?) {
        (h @ b'0'..=b'9', l @ b'0'..=b'9') => Some(u32::from(h - b'0') * 10 + u32::from(l - b'0')),
        _ => None,
    }
}

/// `dd.mm.yyyy` read by position (the shape of nearly every German date); `None` when `b` has
/// another shape, `Some(None)` for an impossible date.
fn fixed_date(b: &[u8]) -> Option<Option<NaiveDate>> {
    if b.len() != 10 || b[2] != b'.' || b[5] != b'.' {
        return None;
    }
    let (d, m) = (two(b, 0)?, two(b, 3)?);
    let y = two(b, 6)? * 100 + two(b, 8)?;
    Some(NaiveDate::from_ymd_opt(y as i32, m, d))
}

fn parse_time(s: &str) -> Option<(NaiveTime, &str)> {
    // hh:mm[:ss[.frac]] followed by an optional zone
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(s.len());
    let (clock, zone) = s.split_at(end);
    let mut parts = clock.split(':');
    let h = digits(parts.next()?, 1, 2)?;
    let m = digits(parts.next()?, 2, 2)?;
    let (sec, micros) = match parts.next() {
        None => (0, 0),
        Some(sec) => {
            let (whole, frac) = match sec.split_once(['.', ',']) {
                Some((w, f)) => (w, Some(f)),
                None => (sec, None),
            };
            let whole = digits(whole, 2, 2)?;
            let micros = match frac {
                None => 0,
                Some(f)
                    if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let mut padded = f.to_string();
                    padded.truncate(6);
                    while padded.len() < 6 {
                        padded.push('0');
                    }
                    padded.parse().ok()?
                }
                Some(_) => return None,
            };
            (whole, micros)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some((NaiveTime::from_hms_micro_opt(h, m, sec, micros)?, zone))
}

/// Offset in seconds east of UTC for `Z`, `+01:00`, `+0100`, or nothing.
fn parse_zone(z: &str) -> Option<i64> {
    let z = z.trim();
    if z.is_empty() {
        return Some(0);
    }
    if z == "Z" || z == "UTC" {
        return Some(0);
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = z.get(1..)?.replace(':', "");
    let h = digits(rest.get(0..2)?, 2, 2)? as i64;
    let m = if rest.len() == 4 {
        digits(rest.get(2..4)?, 2, 2)? as i64
    } else if rest.len() == 2 {
        0
    } else {
        return None;
    };
    Some(sign * (h * 3600 + m * 60))
}

/// A date with a time of day; an explicit zone is converted to UTC, a missing one is kept as
/// local wall-clock time.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    // `dd.mm.yyyy HH:MM` by position: the German export shape.
    if b.len() == 16
        && b[10] == b' '
        && b[13] == b':'
        && let Some(date) = fixed_date(&b[..10])
    {
        let time = NaiveTime::from_hms_opt(two(b, 11)?, two(b, 14)?, 0)?;
        return Some(date?.and_time(time));
    }
    let split = s.find(['T', ' '])?;
    let date = parse_date(&s[..split])?;
    let rest = s[split + 1..].trim_start();
    let (time, zone) = parse_time(rest)?;
    let offset = parse_zone(zone)?;
    let local = date.and_time(time);
    if offset == 0 {
        return Some(local);
    }
    local.checked_sub_signed(chrono::Duration::seconds(offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to `max_len` bytes over `alphabet`.
    fn strings_over(alphabet: &[u8], max_len: u32) -> impl Iterator<Item = String> + '_ {
        (0..=max_len).flat_map(move |len| {
            (0..alphabet.len().pow(len)).map(move |mut n| {
                let mut s = String::new();
                for _ in 0..len {
                    s.push(char::from(alphabet[n % alphabet.len()]));
                    n /= alphabet.len();
                }
                s
            })
        })
    }

    #[test]
    fn german_numbers_are_what_their_definition_says() {
        // The definition in words, written the slow way: an integer part of digit groups
        // split at dots (the first of one to three digits when there are dots, every other of
        // three), then optionally a comma and digits.
        let by_definition = |body: &str| -> bool {
            let (int_part, frac) = match body.split_once(',') {
                Some((i, f)) => (i, Some(f)),
                None => (body, None),
            };
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            let groups: Vec<&str> = int_part.split('.').collect();
            frac.is_none_or(digits)
                && groups.iter().all(|g| digits(g))
                && (groups.len() == 1
                    || groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3))
        };
        // Every string of up to six characters over digits, both separators and a letter.
        let alphabet = [b'0', b'1', b'9', b'.', b',', b'x', b'-'];
        let mut checked = 0;
        for s in strings_over(&alphabet, 6) {
            assert_eq!(is_german_number(&s), by_definition(&s), "{s:?}");
            checked += 1;
        }
        assert!(checked > 100_000);
        for s in [
            "1.596.852.249",
            "1.234,5",
            "1234,56",
            "12.3456",
            "1234.567",
            "1.234.56",
        ] {
            assert_eq!(is_german_number(s), by_definition(s), "{s:?}");
        }
    }

    /// The one-pass shapes say what `number_shape` says, on every string of up to six
    /// characters over digits (with zero), both separators, both signs, a letter and a space.
    #[test]
    fn known_numbers_are_what_number_shape_says() {
        let alphabet = [b'0', b'1', b'9', b'.', b',', b'-', b'+', b'x', b' '];
        let (mut digits, mut decimals) = (0, 0);
        for s in strings_over(&alphabet, 6) {
            let (int, en, comma_decimal) = match known_number(&s) {
                Some(Reading::Digits) => (true, true, false),
                Some(Reading::CommaDecimal) => (false, false, true),
                Some(Reading::Timestamp) => panic!("{s:?} is no number"),
                // Left to `number_shape`: nothing to compare.
                None => continue,
            };
            digits += usize::from(int);
            decimals += usize::from(comma_decimal);
            let expected = NumberShape {
                int,
                de: true,
                en,
                comma_decimal,
            };
            assert_eq!(number_shape(&s), expected, "{s:?}");
            assert!(!is_missing_marker(&s), "{s:?}");
        }
        // The usual values are recognised (the fast path is taken), codes are not.
        assert!(digits > 1_000 && decimals > 1_000, "{digits} {decimals}");
        for (s, r) in [
            ("81", Some(Reading::Digits)),
            ("-3", Some(Reading::Digits)),
            ("0", Some(Reading::Digits)),
            ("81,5", Some(Reading::CommaDecimal)),
            ("-0,25", Some(Reading::CommaDecimal)),
            ("007", None),
            ("01,5", None),
            ("1.234", None),
            ("12,", None),
            (",5", None),
            ("", None),
        ] {
            assert_eq!(known_number(s), r, "{s:?}");
        }
    }

    #[test]
    fn short_german_decimals_parse_exactly_as_the_general_path() {
        let general = |s: &str| -> Option<f64> {
            let t: String = s
                .chars()
                .filter(|&c| c != '.')
                .map(|c| if c == ',' { '.' } else { c })
                .collect();
            t.parse().ok()
        };
        for s in [
            "81,0",
            "0,1",
            "-2.487,50",
            "+5",
            "5,",
            ",5",
            "-0",
            "0,3",
            "1.596.852.249",
            "9007199254740991",
            "9007199254740993",
            "123456789012345678",
            "1,2345678901234567",
            "0,0000000000000000000001",
            "0,00000000000000000000001",
            "1,2,3",
            ",",
            "-",
            "",
            "1e5",
            "1.2,3.4",
            "12,5 ",
            "٣",
        ] {
            let fast = short_german_decimal(s.as_bytes());
            if let Some(v) = fast {
                let g = general(s).expect(s);
                assert_eq!(v.to_bits(), g.to_bits(), "{s}");
            }
            assert_eq!(
                parse_german(s).map(f64::to_bits),
                general(s).map(f64::to_bits),
                "{s}"
            );
        }
        // Every two-decimal value below 1000 is read as the general parser reads it.
        for m in 0..100_000u32 {
            let s = format!("{},{:02}", m / 100, m % 100);
            assert_eq!(short_german_decimal(s.as_bytes()), general(&s), "{s}");
        }
    }

    #[test]
    fn numbers() {
        let s = number_shape("1.596.852.249");
        assert!(s.de && !s.en && !s.int);
        assert_eq!(parse_german_int("1.596.852.249"), Some(1_596_852_249));
        let s = number_shape("-2.487,50");
        assert!(s.de && s.comma_decimal && !s.en);
        assert_eq!(parse_german("-2.487,50"), Some(-2487.5));
        let s = number_shape("48.8373");
        assert!(!s.de && s.en);
        let s = number_shape("1.234");
        assert!(s.de && s.en);
        assert_eq!(number_shape("01010"), NumberShape::default());
        assert!(number_shape("0").int);
        assert!(number_shape("0,5").de);
        assert!(number_shape("1e-3").en);
        assert_eq!(number_shape("12a"), NumberShape::default());
        assert_eq!(number_shape("1,2,3"), NumberShape::default());
        assert_eq!(number_shape("-"), NumberShape::default());
        assert!(!number_shape("1234.567,8").de);
    }

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("31.12.2024"),
            NaiveDate::from_ymd_opt(2024, 12, 31)
        );
        assert_eq!(parse_date("1.2.2024"), NaiveDate::from_ymd_opt(2024, 2, 1));
        assert_eq!(
            parse_date("2024-12-31"),
            NaiveDate::from_ymd_opt(2024, 12, 31)
        );
        assert_eq!(
            parse_date("13/07/2016"),
            NaiveDate::from_ymd_opt(2016, 7, 13)
        );
        assert_eq!(parse_date("31.02.2024"), None);
        assert_eq!(parse_date("12.5"), None);
        let t = parse_timestamp("31.12.2024 14:30").unwrap();
        assert_eq!(t.to_string(), "2024-12-31 14:30:00");
        let t = parse_timestamp("2024-12-31T14:30:05.25+01:00").unwrap();
        assert_eq!(t.to_string(), "2024-12-31 13:30:05.250");
        assert!(parse_timestamp("2024-12-31").is_none());
        assert!(parse_timestamp("31.12.2024 25:00").is_none());
        assert!(parse_timestamp("31.02.2024 10:00").is_none());
        assert!(parse_timestamp("31.12.2024 1a:00").is_none());
        assert_eq!(parse_date("29.02.2023"), None);
        assert_eq!(parse_date("3a.12.2024"), None);
    }

    #[test]
    fn markers_and_bools() {
        assert!(is_missing_marker("k.A."));
        assert!(is_missing_marker("-"));
        assert!(!is_missing_marker("0"));
        for m in ["–", "—", "…", "#NV", "n/a", "NaN", "x", "..."] {
            assert!(is_missing_marker(m), "{m}");
        }
        assert!(!is_missing_marker("Innenstadt"));
        assert_eq!(trim("  a b "), "a b");
        assert_eq!(trim("a b"), "a b");
        assert_eq!(trim("\u{a0}a"), "a");
        assert_eq!(trim(" "), "");
        assert_eq!(parse_bool("Ja"), Some(true));
        assert_eq!(parse_bool("falsch"), Some(false));
        assert_eq!(parse_bool("vielleicht"), None);
    }
}
