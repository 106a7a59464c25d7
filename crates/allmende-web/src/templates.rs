//! The page templates: built in, or a theme's overrides, with the filters pages use. Shared
//! infrastructure (the server state holds them); the HTML front door renders with them.

use std::path::PathBuf;

use allmende_core::vocab;
use minijinja::Environment;
use minijinja::value::Value;

use crate::error::ApiError;
use crate::i18n;

/// Where a theme keeps its overrides.
pub(crate) fn theme_path(theme: &Option<PathBuf>, sub: &str, name: &str) -> Option<PathBuf> {
    let dir = theme.as_ref()?;
    // Names come from our own routes, but stay inside the theme folder regardless.
    if name.contains("..") || name.starts_with('/') || name.contains('\\') {
        return None;
    }
    Some(dir.join(sub).join(name))
}

#[derive(Debug, thiserror::Error)]
#[error("template: {0}")]
pub struct TemplateError(pub String);

const EMBEDDED: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("datasets.html", include_str!("../templates/datasets.html")),
    ("dataset.html", include_str!("../templates/dataset.html")),
    ("follow.html", include_str!("../templates/follow.html")),
    (
        "follow_form.html",
        include_str!("../templates/follow_form.html"),
    ),
    ("resource.html", include_str!("../templates/resource.html")),
    ("embed.html", include_str!("../templates/embed.html")),
    (
        "feedback_form.html",
        include_str!("../templates/feedback_form.html"),
    ),
    (
        "feedback_inbox.html",
        include_str!("../templates/feedback_inbox.html"),
    ),
    (
        "showcases.html",
        include_str!("../templates/showcases.html"),
    ),
    (
        "showcase_form.html",
        include_str!("../templates/showcase_form.html"),
    ),
    (
        "showcase_review.html",
        include_str!("../templates/showcase_review.html"),
    ),
    (
        "organizations.html",
        include_str!("../templates/organizations.html"),
    ),
    (
        "organization.html",
        include_str!("../templates/organization.html"),
    ),
    ("login.html", include_str!("../templates/login.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("api.html", include_str!("../templates/api.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "dataset_form.html",
        include_str!("../templates/dataset_form.html"),
    ),
    (
        "resource_form.html",
        include_str!("../templates/resource_form.html"),
    ),
    ("audit.html", include_str!("../templates/audit.html")),
    ("account.html", include_str!("../templates/account.html")),
    ("members.html", include_str!("../templates/members.html")),
    ("history.html", include_str!("../templates/history.html")),
    ("invite.html", include_str!("../templates/invite.html")),
    ("resume.html", include_str!("../templates/resume.html")),
    (
        "resource_edit.html",
        include_str!("../templates/resource_edit.html"),
    ),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("ogc.html", include_str!("../templates/ogc.html")),
];

pub struct Templates {
    env: Environment<'static>,
}

fn lang_of(state: &minijinja::State) -> &'static str {
    state
        .lookup("lang")
        .and_then(|v| v.as_str().and_then(i18n::supported))
        .unwrap_or(i18n::DEFAULT_LANG)
}

/// `1234567` → `1,2 MB` (German) / `1.2 MB` (English).
pub fn human_size(bytes: i64, lang: &str) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1000.0 && u < units.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    let s = if u == 0 {
        format!("{bytes}")
    } else {
        format!("{v:.1}")
    };
    let s = if lang == "de" { s.replace('.', ",") } else { s };
    format!("{s} {}", units[u])
}

impl Templates {
    pub fn new(theme: Option<PathBuf>) -> Result<Self, TemplateError> {
        let mut env = Environment::new();
        env.set_loader(move |name| {
            if let Some(path) = theme_path(&theme, "templates", name)
                && path.is_file()
            {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, e.to_string())
                });
            }
            Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, src)| (*src).to_string()))
        });
        // Escape like HTML needs, but keep `/` readable in URLs (minijinja escapes it too).
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && !value.is_none()
                && !value.is_undefined()
            {
                let text = value.to_string();
                let mut escaped = String::with_capacity(text.len());
                for c in text.chars() {
                    match c {
                        '&' => escaped.push_str("&amp;"),
                        '<' => escaped.push_str("&lt;"),
                        '>' => escaped.push_str("&gt;"),
                        '"' => escaped.push_str("&quot;"),
                        '\'' => escaped.push_str("&#x27;"),
                        c => escaped.push(c),
                    }
                }
                out.write_str(&escaped).map_err(minijinja::Error::from)
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        env.add_function("t", |state: &minijinja::State, key: &str| -> String {
            i18n::t(lang_of(state), key).to_string()
        });
        env.add_function(
            "theme_label",
            |state: &minijinja::State, code: &str| -> String {
                vocab::theme(code)
                    .map_or_else(|| code.to_string(), |t| t.label(lang_of(state)).to_string())
            },
        );
        env.add_function(
            "frequency_label",
            |state: &minijinja::State, code: &str| -> String {
                vocab::frequency(code)
                    .map_or_else(|| code.to_string(), |t| t.label(lang_of(state)).to_string())
            },
        );
        env.add_function(
            "language_label",
            |state: &minijinja::State, code: &str| -> String {
                vocab::language(code)
                    .map_or_else(|| code.to_string(), |t| t.label(lang_of(state)).to_string())
            },
        );
        env.add_function(
            "org_type_label",
            |state: &minijinja::State, code: &str| -> String {
                vocab::org_type(code).map_or_else(
                    || code.to_string(),
                    |t| {
                        if lang_of(state) == "en" {
                            t.label_en
                        } else {
                            t.label_de
                        }
                        .to_string()
                    },
                )
            },
        );
        env.add_function("license", |id: &str| -> Value {
            vocab::license(id).map_or(Value::UNDEFINED, Value::from_serialize)
        });
        env.add_function("format_label", |code: &str| -> String {
            vocab::file_type(code).map_or_else(|| code.to_string(), |t| t.label.to_string())
        });
        // A message the data plane stored (a key with arguments, or older plain text), or a
        // list of them, in the page's language.
        env.add_filter("msg", |state: &minijinja::State, v: Value| -> Value {
            let lang = lang_of(state);
            match v.as_str() {
                Some(s) => Value::from(i18n::render_stored(lang, s)),
                None => serde_json::to_value(&v)
                    .map(|j| Value::from_serialize(i18n::render_value(lang, &j)))
                    .unwrap_or(v),
            }
        });
        env.add_filter("markdown", |s: &str| -> Value {
            Value::from_safe_string(crate::markdown::render(s))
        });
        env.add_filter("teaser", |s: &str, n: Option<usize>| -> String {
            crate::markdown::teaser(s, n.unwrap_or(220))
        });
        env.add_filter("filesize", |state: &minijinja::State, n: i64| -> String {
            human_size(n, lang_of(state))
        });
        env.add_filter("date", |state: &minijinja::State, s: &str| -> String {
            // Accepts dates and RFC 3339 timestamps; shows what the reader is used to.
            let day = s.get(..10).unwrap_or(s);
            match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
                Ok(d) if lang_of(state) == "de" => d.format("%d.%m.%Y").to_string(),
                Ok(d) => d.format("%Y-%m-%d").to_string(),
                Err(_) => s.to_string(),
            }
        });
        env.add_filter("urlencode_component", |s: &str| -> String {
            url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
        });
        env.add_global("themes", Value::from_serialize(vocab::THEMES));
        env.add_global("licenses", Value::from_serialize(vocab::LICENSES));
        env.add_global("frequencies", Value::from_serialize(vocab::FREQUENCIES));
        env.add_global("languages", Value::from_serialize(vocab::LANGUAGES));
        env.add_global("file_types", Value::from_serialize(vocab::FILE_TYPES));
        // Parse every built-in template once so a broken one fails at start, not on a request.
        for (name, _) in EMBEDDED {
            env.get_template(name)
                .map_err(|e| TemplateError(format!("{name}: {e:#}")))?;
        }
        Ok(Self { env })
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, ApiError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| ApiError::Internal(format!("template {name}: {e:#}")))
    }
}
