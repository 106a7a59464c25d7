//! The translation catalog: every user-facing text by key, German first, English second.
//! Files are `key = text` lines (`locales/de.txt`, `locales/en.txt`), embedded in the binary.
//!
//! It lives in the core so that the data plane (ingestion, queries, the worker) can say what
//! went wrong as a [`Msg`] — a key with arguments — and each front door renders it in the
//! language of whoever reads it, also later: stored messages keep the key, not the text.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

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
    lookup(lang, key).unwrap_or(key)
}

fn lookup(lang: &str, key: &str) -> Option<&'static str> {
    let c = catalog();
    c.by_lang
        .get(lang)
        .and_then(|m| m.get(key))
        .or_else(|| c.by_lang.get(DEFAULT_LANG).and_then(|m| m.get(key)))
        .copied()
}

/// The text for `key` in exactly `lang`, without falling back: for texts whose other
/// language lives elsewhere (the API reference's German, beside the OpenAPI document's
/// English).
pub fn lookup_in(lang: &str, key: &str) -> Option<&'static str> {
    catalog()
        .by_lang
        .get(lang)
        .and_then(|m| m.get(key))
        .copied()
}

/// Every key of `lang` that starts with `prefix`.
pub fn keys_with_prefix(lang: &str, prefix: &str) -> Vec<&'static str> {
    catalog()
        .by_lang
        .get(lang)
        .map(|m| {
            m.keys()
                .copied()
                .filter(|k| k.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// The API reference's German (`apidoc.…`): its English is the OpenAPI document itself.
pub const GERMAN_ONLY_PREFIX: &str = "apidoc.";

/// Whether the catalog has `key` in every language.
pub fn has_key(key: &str) -> bool {
    catalog().by_lang.values().all(|m| m.contains_key(key))
}

/// `t` with `{arg}` replaced.
pub fn t_arg(lang: &str, key: &str, arg: Option<&str>) -> String {
    let text = t(lang, key);
    match arg {
        Some(a) => text.replace("{arg}", a),
        None => text.replace(" ({arg})", "").replace("{arg}", ""),
    }
}

/// A user-facing message as data: a catalog key and named arguments, rendered in the reader's
/// language when shown. Arguments that are messages themselves are rendered in the same
/// language; plain arguments (a column name, a number, an engine's own words) stay as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredMsg")]
pub struct Msg {
    pub key: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, Arg>,
}

/// What a stored message may look like: this version's key and arguments, or the plain text an
/// older version kept (shown as it is, through the `detail` key).
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredMsg {
    Keyed(Keyed),
    Plain(String),
}

/// Exactly a message's fields, so that another object (a column, a report) is never taken
/// for one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keyed {
    key: String,
    #[serde(default)]
    args: BTreeMap<String, Arg>,
}

impl From<StoredMsg> for Msg {
    fn from(s: StoredMsg) -> Self {
        match s {
            StoredMsg::Keyed(Keyed { key, args }) => Self { key, args },
            StoredMsg::Plain(text) => Self::plain(text),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Text(String),
    Msg(Msg),
}

impl Msg {
    pub fn new(key: &str) -> Self {
        Self {
            key: key.to_owned(),
            args: BTreeMap::new(),
        }
    }

    /// Text that is the same in every language (an engine's own words, a value).
    pub fn plain(text: impl fmt::Display) -> Self {
        Self::new("detail").arg("detail", text)
    }

    pub fn arg(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.args
            .insert(name.to_owned(), Arg::Text(value.to_string()));
        self
    }

    pub fn msg(mut self, name: &str, value: Msg) -> Self {
        self.args.insert(name.to_owned(), Arg::Msg(value));
        self
    }

    pub fn render(&self, lang: &str) -> String {
        let Some(template) = lookup(lang, &self.key) else {
            // A key this build does not know (a message stored by a newer version): show the
            // key and its arguments rather than nothing.
            let args: Vec<String> = self.args.values().map(|a| a.render(lang)).collect();
            return if args.is_empty() {
                self.key.clone()
            } else {
                format!("{} ({})", self.key, args.join(", "))
            };
        };
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) if self.args.contains_key(&after[..close]) => {
                    out.push_str(&self.args[&after[..close]].render(lang));
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The form kept in the catalog (a version's message, a report's warnings).
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.key.clone())
    }
}

impl Arg {
    fn render(&self, lang: &str) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Msg(m) => m.render(lang),
        }
    }
}

/// German, the default language: what logs, the CLI and `to_string()` show.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(DEFAULT_LANG))
    }
}

static LANG_SOURCE: OnceLock<fn() -> &'static str> = OnceLock::new();

/// Where the reader's language comes from while a response is written (the web layer's
/// per-request language); set once at start-up.
pub fn set_lang_source(source: fn() -> &'static str) {
    let _ = LANG_SOURCE.set(source);
}

/// The language of whoever reads what is being written now.
pub fn reader_lang() -> &'static str {
    LANG_SOURCE.get().map_or(DEFAULT_LANG, |f| f())
}

/// For model fields that keep a stored message: written out in the reader's language.
pub fn serialize_stored<S: serde::Serializer>(
    stored: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::Serialize as _;
    stored
        .as_deref()
        .map(|m| render_stored(reader_lang(), m))
        .serialize(s)
}

/// A stored message in `lang`: a [`Msg`] (or a list of them) kept as JSON by this version, or
/// the plain text an older version stored, shown as it is.
pub fn render_stored(lang: &str, stored: &str) -> String {
    if stored.starts_with('{')
        && let Ok(m) = serde_json::from_str::<Msg>(stored)
    {
        return m.render(lang);
    }
    if stored.starts_with('[')
        && let Ok(list) = serde_json::from_str::<Vec<Msg>>(stored)
    {
        return list
            .iter()
            .map(|m| m.render(lang))
            .collect::<Vec<_>>()
            .join(" ");
    }
    stored.to_owned()
}

/// Stored JSON (warnings, columns with their notes) with every message in it rendered in
/// `lang`; plain strings stay as they are.
pub fn render_value(lang: &str, v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| render_value(lang, i)).collect()),
        Value::Object(map) => match serde_json::from_value::<Keyed>(v.clone()) {
            Ok(Keyed { key, args }) => Value::String(Msg { key, args }.render(lang)),
            Err(_) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), render_value(lang, v)))
                    .collect(),
            ),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_german_key_has_an_english_text() {
        let c = catalog();
        let de = &c.by_lang["de"];
        let en = &c.by_lang["en"];
        let missing: Vec<_> = de
            .keys()
            .filter(|k| !k.starts_with(GERMAN_ONLY_PREFIX) && !en.contains_key(*k))
            .collect();
        assert!(missing.is_empty(), "missing in en: {missing:?}");
        let extra: Vec<_> = en.keys().filter(|k| !de.contains_key(*k)).collect();
        assert!(extra.is_empty(), "missing in de: {extra:?}");
    }

    #[test]
    fn placeholders_agree_between_languages() {
        let c = catalog();
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            v.sort();
            v
        };
        for (key, de) in &c.by_lang["de"] {
            if let Some(en) = c.by_lang["en"].get(key) {
                assert_eq!(names(de), names(en), "placeholders of {key}");
            }
        }
    }

    /// Every `Msg::new("…")` in the workspace's sources names a key of the catalog, so a
    /// message never reaches a reader as its bare key.
    #[test]
    fn every_message_key_in_the_code_is_in_the_catalog() {
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut missing = Vec::new();
        let mut seen = 0;
        let mut stack = vec![crates];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    if p.file_name().is_some_and(|n| n != "target") {
                        stack.push(p);
                    }
                } else if p.extension().is_some_and(|x| x == "rs")
                    && !p.ends_with("allmende-core/src/i18n.rs")
                {
                    let src = std::fs::read_to_string(&p).unwrap_or_default();
                    for part in src.split("Msg::new(\"").skip(1) {
                        if let Some((key, _)) = part.split_once('"') {
                            seen += 1;
                            if !has_key(key) {
                                missing.push(format!("{}: {key}", p.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(
            seen > 40,
            "found only {seen} message keys; is the scan looking in the right place?"
        );
        assert!(
            missing.is_empty(),
            "keys missing from locales/*.txt: {missing:#?}"
        );
    }

    #[test]
    fn messages_render_per_language_and_survive_storage() {
        let m = Msg::new("ingest.empty_file");
        assert_ne!(m.render("de"), m.render("en"));
        let nested = Msg::new("job.failed").msg("reason", m.clone());
        let stored = nested.to_stored();
        assert_eq!(render_stored("en", &stored), nested.render("en"));
        assert!(render_stored("en", &stored).contains(&m.render("en")));
        assert_eq!(render_stored("en", "alter Text"), "alter Text");
        let list = serde_json::to_string(&[m.clone(), m.clone()]).unwrap();
        assert_eq!(
            render_stored("en", &list),
            format!("{0} {0}", m.render("en"))
        );
        let old: Msg = serde_json::from_str("\"alter Text\"").unwrap();
        assert_eq!(old.render("en"), "alter Text");
        let unknown = Msg::new("no.such.key").arg("n", 3);
        assert_eq!(unknown.render("de"), "no.such.key (3)");
        let column = serde_json::json!([{"name": "a", "reason": nested}]);
        let shown = render_value("en", &column);
        assert_eq!(shown[0]["name"], "a");
        assert_eq!(shown[0]["reason"], nested.render("en"));
        let braces = Msg::new("query.failed").arg("detail", "{x}");
        assert!(braces.render("de").contains("{x}"));
    }
}
