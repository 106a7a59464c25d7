//! What a single value is, if it is a personal identifier: each detector is cheap to reject
//! (a byte or two decides most cells) and validates what it accepts with the identifier's own
//! check digit where it has one, so that a number that merely looks right does not count.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Rule;
use super::names::Lists;

/// The rules one value matches (a few at most), without allocating for the common case of none.
pub fn classify(raw: &str, lists: &Lists, out: &mut Vec<Rule>) {
    let v = raw.trim();
    if v.len() < 4 || v.len() > 400 {
        if v.len() > 400 {
            free_text(v, out);
        }
        return;
    }
    let b = v.as_bytes();
    if b.contains(&b'@') {
        if email(v) {
            out.push(Rule::Email);
        } else if v.contains(' ') {
            free_text(v, out);
        }
        return;
    }
    let first = b[0];
    if first.is_ascii_digit() || first == b'+' || first == b'(' {
        if phone(v) {
            out.push(Rule::Phone);
        } else if tax_id(v) {
            out.push(Rule::TaxId);
        } else if ip(v) {
            out.push(Rule::IpAddress);
        } else if pension_number(v) {
            out.push(Rule::PensionNumber);
        }
        return;
    }
    if first.is_ascii_uppercase() || !first.is_ascii() {
        if iban(v) {
            out.push(Rule::Iban);
        } else if health_insurance_number(v) {
            out.push(Rule::HealthInsuranceNumber);
        } else if id_document(v) {
            out.push(Rule::IdDocument);
        } else if licence_plate(v) {
            out.push(Rule::LicencePlate);
        } else if street_address(v) {
            out.push(Rule::StreetAddress);
        } else if lists.person_name(v) {
            out.push(Rule::PersonName);
        } else if v.len() > 40 && v.contains(' ') {
            free_text(v, out);
        }
        return;
    }
    if b.contains(&b':') && ip(v) {
        out.push(Rule::IpAddress);
    } else if v.len() > 40 && v.contains(' ') {
        free_text(v, out);
    }
}

/// How much of one free-text value is looked at: a record may be megabytes long, and what
/// identifies a person in a note stands near its start as often as anywhere.
pub const FREE_TEXT_BYTES: usize = 16 * 1024;

/// Free text that contains an identifier somewhere: an e-mail address, a phone number or an
/// IBAN among its words (within the first `FREE_TEXT_BYTES`).
fn free_text(v: &str, out: &mut Vec<Rule>) {
    let mut end = v.len().min(FREE_TEXT_BYTES);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    let words: Vec<&str> = v[..end]
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '"'))
        .filter(|w| !w.is_empty())
        .collect();
    let contains = words.iter().any(|w| {
        let w = w.trim_matches(|c: char| matches!(c, '.' | ':' | '(' | ')'));
        (w.contains('@') && email(w)) || iban(w)
    }) || phone_in(&words)
        || compact_iban_in(&words);
    if contains {
        out.push(Rule::FreeText);
    }
}

/// A phone number spread over two or three words: it starts with an area or country code
/// ("07361 52-0", "+49 7361 …"), so that ranges such as opening hours ("Mo-Fr 0-7 9-12") do not
/// count.
fn phone_in(words: &[&str]) -> bool {
    let code = |w: &str| {
        (w.starts_with('0') || w.starts_with('+') || w.starts_with("(0"))
            && w.bytes().filter(u8::is_ascii_digit).count() >= 3
    };
    (2..=3).any(|n| words.windows(n).any(|w| code(w[0]) && phone(&w.join(" "))))
}

/// An IBAN written in groups of four ("DE89 3704 0044 0532 0130 00").
fn compact_iban_in(words: &[&str]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        w.len() == 4
            && w.as_bytes()[..2].iter().all(u8::is_ascii_uppercase)
            && (5..=8).any(|n| i + n <= words.len() && iban(&words[i..i + n].concat()))
    })
}

pub fn email(v: &str) -> bool {
    let Some((local, domain)) = v.rsplit_once('@') else {
        return false;
    };
    let local = local.strip_prefix("mailto:").unwrap_or(local);
    !local.is_empty()
        && local.len() <= 64
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._%+-'".contains(&c))
        && domain.len() >= 4
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'-')
        && domain
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()))
}

/// German and international phone numbers: `+49 7361 52-0`, `07361/52-0`, `(07361) 520`,
/// `0151 12345678`, `0049 …`. A run of digits alone (an ID) does not count: it needs a leading
/// `+`, or a leading 0 and the separators people write numbers with.
pub fn phone(v: &str) -> bool {
    let b = v.as_bytes();
    let plus = b[0] == b'+';
    let mut digits = 0usize;
    let mut separators = 0usize;
    let mut first_digit = None;
    let mut second_digit = None;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                if first_digit.is_none() {
                    first_digit = Some(c);
                } else if second_digit.is_none() {
                    second_digit = Some(c);
                }
                digits += 1;
            }
            b' ' | b'/' | b'-' | b'(' | b')' => separators += 1,
            b'+' if plus && digits == 0 => {}
            _ => return false,
        }
    }
    if !(7..=15).contains(&digits) {
        return false;
    }
    if plus {
        return first_digit != Some(b'0');
    }
    // National form: a trunk 0 and an area code that does not start with 0 (or 00 + country).
    first_digit == Some(b'0') && separators > 0 && (second_digit != Some(b'0') || digits >= 11)
}

/// IBAN: country, check digits, up to 30 characters, and the ISO 7064 mod-97 checksum.
pub fn iban(v: &str) -> bool {
    let mut s = [0u8; 34];
    let mut n = 0;
    for c in v.bytes() {
        if c == b' ' {
            continue;
        }
        if n == 34 || !c.is_ascii_alphanumeric() {
            return false;
        }
        s[n] = c.to_ascii_uppercase();
        n += 1;
    }
    if n < 15 || !s[0].is_ascii_uppercase() || !s[1].is_ascii_uppercase() {
        return false;
    }
    if !s[2].is_ascii_digit() || !s[3].is_ascii_digit() {
        return false;
    }
    if &s[..2] == b"DE" && n != 22 {
        return false;
    }
    let mut rem: u32 = 0;
    for &c in s[4..n].iter().chain(&s[..4]) {
        let d = if c.is_ascii_digit() {
            (c - b'0') as u32
        } else {
            (c - b'A') as u32 + 10
        };
        rem = if d >= 10 {
            (rem * 100 + d) % 97
        } else {
            (rem * 10 + d) % 97
        };
    }
    rem == 1
}

/// Steuerliche Identifikationsnummer: 11 digits, no leading 0, in the first ten one digit occurs
/// two or three times and the others at most once, and the ISO 7064 MOD 11,10 check digit.
pub fn tax_id(v: &str) -> bool {
    if !(11..=14).contains(&v.len()) {
        return false;
    }
    let d: Vec<u32> = v
        .chars()
        .filter(|c| *c != ' ' && *c != '/')
        .map(|c| c.to_digit(10))
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    if d.len() != 11 || d[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[x as usize] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c >= 2).count();
    if repeated != 1 || counts.iter().any(|&c| c > 3) {
        return false;
    }
    let mut product = 10;
    for &x in &d[..10] {
        let mut sum = (x + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = (11 - product) % 10;
    check == d[10]
}

/// Rentenversicherungsnummer (Sozialversicherungsnummer): area (2 digits), birth date ddmmyy,
/// the initial of the birth name, serial (2 digits), check digit.
pub fn pension_number(v: &str) -> bool {
    if !(12..=15).contains(&v.len()) {
        return false;
    }
    let s: Vec<u8> = v.bytes().filter(|c| *c != b' ').collect();
    if s.len() != 12
        || !s[..8].iter().all(u8::is_ascii_digit)
        || !s[8].is_ascii_alphabetic()
        || !s[9..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let day = (s[2] - b'0') * 10 + (s[3] - b'0');
    let month = (s[4] - b'0') * 10 + (s[5] - b'0');
    // Serial numbers above 49 mark women; days may carry +50 for a second number.
    let day = if day > 50 { day - 50 } else { day };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return false;
    }
    let letter = (s[8].to_ascii_uppercase() - b'A' + 1) as u32;
    let mut digits: Vec<u32> = s[..8].iter().map(|c| (c - b'0') as u32).collect();
    digits.push(letter / 10);
    digits.push(letter % 10);
    digits.extend(s[9..11].iter().map(|c| (c - b'0') as u32));
    const WEIGHTS: [u32; 12] = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| {
            let p = d * w;
            p / 10 + p % 10
        })
        .sum();
    sum % 10 == (s[11] - b'0') as u32
}

/// Krankenversichertennummer: a letter, eight digits and a check digit (weights 1,2 over the
/// letter's two-digit number and the digits, digit sums, modulo 10).
pub fn health_insurance_number(v: &str) -> bool {
    let s = v.as_bytes();
    if s.len() != 10 || !s[0].is_ascii_uppercase() || !s[1..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let letter = (s[0] - b'A' + 1) as u32;
    let mut digits = vec![letter / 10, letter % 10];
    digits.extend(s[1..9].iter().map(|c| (c - b'0') as u32));
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let p = d * if i % 2 == 0 { 1 } else { 2 };
            p / 10 + p % 10
        })
        .sum();
    sum % 10 == (s[9] - b'0') as u32
}

/// Personalausweis or Reisepass number: nine characters of the documents' alphabet (no vowels
/// but for no letters that look like digits) and the ICAO 9303 check digit.
pub fn id_document(v: &str) -> bool {
    let s = v.as_bytes();
    if s.len() != 10 || !s[9].is_ascii_digit() {
        return false;
    }
    const ALLOWED: &[u8] = b"CFGHJKLMNPRTVWXYZ0123456789";
    if !b"CFGHJKLMNPRTVWXYZ".contains(&s[0]) || !s[..9].iter().all(|c| ALLOWED.contains(c)) {
        return false;
    }
    // Mostly letters is a word, not a document number.
    if s[..9].iter().filter(|c| c.is_ascii_digit()).count() < 3 {
        return false;
    }
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = s[..9]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let value = if c.is_ascii_digit() {
                (c - b'0') as u32
            } else {
                (c - b'A') as u32 + 10
            };
            value * WEIGHTS[i % 3]
        })
        .sum();
    sum % 10 == (s[9] - b'0') as u32
}

/// Kfz-Kennzeichen: district code (1–3 letters), 1–2 letters, 1–4 digits, optional E or H.
pub fn licence_plate(v: &str) -> bool {
    let v = v.trim();
    let (district, rest) = match v.split_once(['-', ' ', ':']) {
        Some(p) => p,
        None => return false,
    };
    let district_ok = (1..=3).contains(&district.chars().count())
        && district
            .chars()
            .all(|c| c.is_ascii_uppercase() || matches!(c, 'Ä' | 'Ö' | 'Ü'));
    if !district_ok {
        return false;
    }
    let rest = rest.trim_start();
    let letters: String = rest
        .chars()
        .take_while(|c| c.is_ascii_uppercase())
        .collect();
    if !(1..=2).contains(&letters.len()) {
        return false;
    }
    let tail = rest[letters.len()..].trim_start();
    let tail = tail
        .strip_suffix('E')
        .or_else(|| tail.strip_suffix('H'))
        .unwrap_or(tail);
    (1..=4).contains(&tail.len())
        && tail.bytes().all(|c| c.is_ascii_digit())
        && !tail.starts_with('0')
}

pub fn ip(v: &str) -> bool {
    if v.len() > 45 || v.contains(' ') {
        return false;
    }
    if v.contains(':') {
        return v.parse::<Ipv6Addr>().is_ok() && v.matches(':').count() >= 2;
    }
    v.bytes().filter(|&c| c == b'.').count() == 3 && v.parse::<Ipv4Addr>().is_ok()
}

/// A street with a house number: "Marktplatz 30", "Bahnhofstr. 12a", "Am Stadtgraben 3/1".
pub fn street_address(v: &str) -> bool {
    let Some((street, number)) = v.rsplit_once(' ') else {
        return false;
    };
    let number = number.trim();
    let digits = number.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 4 || number.starts_with('0') {
        return false;
    }
    let suffix = &number[digits..];
    let suffix_ok = suffix.is_empty()
        || (suffix.len() <= 2 && suffix.bytes().all(|c| c.is_ascii_lowercase()))
        || suffix
            .strip_prefix('/')
            .or_else(|| suffix.strip_prefix('-'))
            .is_some_and(|s| {
                !s.is_empty() && s.len() <= 4 && s.bytes().all(|c| c.is_ascii_alphanumeric())
            });
    if !suffix_ok {
        return false;
    }
    const ENDINGS: &[&str] = &[
        "straße",
        "strasse",
        "str.",
        "weg",
        "platz",
        "gasse",
        "allee",
        "ring",
        "damm",
        "ufer",
        "steige",
        "steig",
        "pfad",
        "markt",
        "graben",
        "berg",
        "hof",
        "garten",
        "wall",
        "chaussee",
        "promenade",
        "kamp",
        "stieg",
        "tor",
        "brücke",
        "zeile",
        "twiete",
        "winkel",
        "anger",
    ];
    const STARTS: &[&str] = &[
        "am ",
        "an der ",
        "an den ",
        "auf dem ",
        "auf der ",
        "im ",
        "in der ",
        "in den ",
        "unter den ",
        "zum ",
        "zur ",
        "hinter der ",
        "vor dem ",
    ];
    let first_upper = street.chars().next().is_some_and(char::is_uppercase);
    // Case-insensitive without lowering the whole value: suffixes and prefixes are compared
    // byte-wise on their own length.
    let ends_with = |w: &str, e: &str| {
        w.len() >= e.len()
            && w.is_char_boundary(w.len() - e.len())
            && w[w.len() - e.len()..].eq_ignore_ascii_case(e)
    };
    let starts_with = |s: &str| {
        street
            .get(..s.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(s))
    };
    first_upper
        && street.chars().count() >= 4
        && (street
            .split([' ', '-'])
            .any(|w| ENDINGS.iter().any(|e| ends_with(w, e)))
            || STARTS.iter().any(|s| starts_with(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(v: &str) -> Vec<Rule> {
        let mut out = Vec::new();
        classify(v, &Lists::new(&[], &[]), &mut out);
        out
    }

    #[test]
    fn identifiers_with_check_digits() {
        assert!(iban("DE89 3704 0044 0532 0130 00"));
        assert!(iban("DE89370400440532013000"));
        assert!(!iban("DE89370400440532013001"));
        assert!(iban("GB82WEST12345698765432"));
        // Steuer-ID examples from the Bundeszentralamt's description.
        assert!(tax_id("86095742719"));
        assert!(tax_id("47036892816"));
        assert!(!tax_id("86095742718"));
        assert!(!tax_id("12345678901"));
        assert!(pension_number("15070649C103"));
        assert!(pension_number("15 070649 C 103"));
        assert!(!pension_number("15070649C104"));
        assert!(health_insurance_number("A123456780"));
        assert!(!health_insurance_number("A123456781"));
        assert!(id_document("T220001293"));
        assert!(!id_document("T220001294"));
    }

    #[test]
    fn contacts() {
        assert!(email("max.mustermann@example.org"));
        assert!(!email("@example.org"));
        assert!(!email("a@b"));
        for p in [
            "+49 7361 52-0",
            "07361/52-0",
            "(07361) 52 10",
            "0151 12345678",
            "0049 7321 327-0",
        ] {
            assert!(phone(p), "{p}");
        }
        for p in [
            "73430",
            "01067",
            "31.12.2024",
            "0123456789",
            "1.234.567",
            "2024-12-31",
        ] {
            assert!(!phone(p), "{p}");
        }
        assert!(licence_plate("AA-AB 1234"));
        assert!(licence_plate("HDH X 12E"));
        assert!(!licence_plate("B-Plan 12"));
        assert!(ip("192.168.1.20"));
        assert!(ip("2001:db8::1"));
        assert!(!ip("10:30"));
        assert!(!ip("1.2.3"));
    }

    #[test]
    fn addresses_and_free_text() {
        for a in [
            "Marktplatz 30",
            "Bahnhofstr. 12a",
            "Am Stadtgraben 3/1",
            "Klosterstr. 10",
        ] {
            assert!(street_address(a), "{a}");
        }
        for a in [
            "Parkhaus Stadtmitte",
            "Linie 12",
            "Haushalt 2024",
            "Wahlbezirk 12",
        ] {
            assert!(!street_address(a), "{a}");
        }
        assert_eq!(
            rules(
                "Bitte melden Sie sich bei Frau Maier unter 07361 52-1234 oder maier@example.org"
            ),
            vec![Rule::FreeText]
        );
        assert_eq!(rules("Parkhaus Stadtmitte"), Vec::<Rule>::new());
        // A long note is read up to its bound, not to its end.
        let near = format!("Kontakt maier@example.org {}", "Text ".repeat(100_000));
        assert_eq!(rules(&near), vec![Rule::FreeText]);
        let far = format!("{}Kontakt maier@example.org", "Text ".repeat(100_000));
        assert_eq!(rules(&far), Vec::<Rule>::new());
        assert_eq!(
            rules("Geschäftszeiten: Mo-Fr 0-7 9-12 14-24 Sa-So 0-24; Parkdauer: Mo-Fr 2 Stunden"),
            Vec::<Rule>::new()
        );
        assert_eq!(rules("01.01.2024 00:15"), Vec::<Rule>::new());
        assert_eq!(rules("45,6"), Vec::<Rule>::new());
    }
}
