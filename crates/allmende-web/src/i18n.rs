//! The translation catalog: every user-facing text by key, German first, English second.
//! Files are `key = text` lines (`locales/de.txt`, `locales/en.txt`), embedded in the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

pub const LANGS: &[&str] = &["de", "en"];
pub const DEFAULT_LANG: &str = "de";

struct Catalog {
    by_lang: HashMap<&'static str, HashMap<&'static str, &'static str>>,
}

fn parse(src: &'static str) -> HashMap<&'static str, &'static str> {
    src.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog {
        by_lang: HashMap::from([
            ("de", parse(include_str!("../locales/de.txt"))),
            ("en", parse(include_str!("../locales/en.txt"))),
        ]),
    })
}

/// The text for `key` in `lang`, falling back to German, then to the key itself (so a missing
/// translation is visible rather than blank).
pub fn t<'a>(lang: &str, key: &'a str) -> &'a str
where
    'static: 'a,
{
    let c = catalog();
    c.by_lang
        .get(lang)
        .and_then(|m| m.get(key))
        .or_else(|| c.by_lang.get(DEFAULT_LANG).and_then(|m| m.get(key)))
        .copied()
        .unwrap_or(key)
}

/// `t` with `{arg}` replaced.
pub fn t_arg(lang: &str, key: &str, arg: Option<&str>) -> String {
    let text = t(lang, key);
    match arg {
        Some(a) => text.replace("{arg}", a),
        None => text.replace(" ({arg})", "").replace("{arg}", ""),
    }
}

/// Picks a supported language from an `Accept-Language` header.
pub fn negotiate(accept_language: &str) -> &'static str {
    let mut best: Option<(&'static str, f32)> = None;
    for part in accept_language.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        if let Some(lang) = LANGS.iter().find(|l| **l == primary)
            && best.is_none_or(|(_, bq)| q > bq)
        {
            best = Some((lang, q));
        }
    }
    best.map_or(DEFAULT_LANG, |(l, _)| l)
}

pub fn supported(lang: &str) -> Option<&'static str> {
    LANGS.iter().find(|l| **l == lang).copied()
}

tokio::task_local! {
    /// The language of the request being served, so that error responses built far from the
    /// handler speak it too.
    pub static REQUEST_LANG: &'static str;
}

pub fn current_lang() -> &'static str {
    REQUEST_LANG.try_with(|l| *l).unwrap_or(DEFAULT_LANG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_german_key_has_an_english_text() {
        let c = catalog();
        let de = &c.by_lang["de"];
        let en = &c.by_lang["en"];
        let missing: Vec<_> = de.keys().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "missing in en: {missing:?}");
        let extra: Vec<_> = en.keys().filter(|k| !de.contains_key(*k)).collect();
        assert!(extra.is_empty(), "missing in de: {extra:?}");
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate("en-US,en;q=0.9,de;q=0.8"), "en");
        assert_eq!(negotiate("fr-FR, de;q=0.5"), "de");
        assert_eq!(negotiate("fr"), "de");
        assert_eq!(negotiate(""), "de");
    }
}
