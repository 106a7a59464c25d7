//! The request's language: negotiation and the task-local that error responses read. The
//! catalog itself is `allmende_core::i18n`, shared with the data plane.

pub use allmende_core::i18n::{DEFAULT_LANG, LANGS, Msg, render_stored, render_value, t, t_arg};

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

/// An API operation's description in `lang` from the catalog (`apidoc.get /datasets`), for
/// the developer page where the OpenAPI document's English is not the page's language.
pub fn api_operation_text(lang: &str, method: &str, path: &str) -> Option<&'static str> {
    allmende_core::i18n::lookup_in(lang, &format!("apidoc.{method} {path}"))
}

/// An API parameter's description in `lang`: the operation's own (`apidoc.get /sql ?format`),
/// else the one for every parameter of that name (`apidoc.?format`).
pub fn api_parameter_text(
    lang: &str,
    method: &str,
    path: &str,
    name: &str,
) -> Option<&'static str> {
    allmende_core::i18n::lookup_in(lang, &format!("apidoc.{method} {path} ?{name}"))
        .or_else(|| allmende_core::i18n::lookup_in(lang, &format!("apidoc.?{name}")))
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
    fn negotiation() {
        assert_eq!(negotiate("en-US,en;q=0.9,de;q=0.8"), "en");
        assert_eq!(negotiate("fr-FR, de;q=0.5"), "de");
        assert_eq!(negotiate("fr"), "de");
        assert_eq!(negotiate(""), "de");
    }
}
