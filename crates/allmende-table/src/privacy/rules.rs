//! What an operator may change about the check (`privacy_rules_file`, see
//! `docs/privacy-check.md`): the severity of each rule (down to "off"), more column names per
//! rule, and more given names and surnames. The built-in lists stay; the configuration adds to
//! them. A fingerprint of the configuration goes into every report, so that tables checked under
//! other rules are checked again.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use super::names::{self, Lists};
use super::{Rule, Severity};

/// The severity a rule's findings get, or none at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Off,
    Low,
    Medium,
    High,
}

/// The configuration as written (the rules file, after its name files were read in).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<Rule, Level>,
    /// Column names that announce a rule, compared like the built-in ones (case, umlauts and
    /// separators ignored; a name counts when the column's name contains it).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<Rule, Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub first_names: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub surnames: Vec<String>,
    /// Files with one name per line (`#` starts a comment), relative to the rules file. Read by
    /// the loader into the lists above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_names_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surnames_file: Option<String>,
}

impl RulesConfig {
    /// Names of a name file: one per line, blank lines and `#` comments skipped.
    pub fn names_from_text(text: &str) -> Vec<String> {
        text.lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// What is wrong with it, in words for the operator.
    pub fn validate(&self) -> Result<(), String> {
        for (rule, hs) in &self.headers {
            for h in hs {
                if names::normalise(h).len() < 3 {
                    return Err(format!(
                        "headers.{}: {h:?} is too short to announce a column (3 letters at least)",
                        rule.code()
                    ));
                }
            }
        }
        for n in self.first_names.iter().chain(&self.surnames) {
            if n.split_whitespace().count() != 1 || n.chars().any(|c| c.is_ascii_digit()) {
                return Err(format!(
                    "{n:?} is not a name: one word without digits per entry"
                ));
            }
        }
        Ok(())
    }
}

/// The rules a scan applies: built once per process (or per configuration), shared by scans.
#[derive(Debug)]
pub struct PrivacyRules {
    severity: BTreeMap<Rule, Level>,
    /// Normalised column names with their rule, longest first (the most specific wins).
    headers: Vec<(String, Rule)>,
    pub(super) lists: Lists,
    fingerprint: String,
}

impl PartialEq for PrivacyRules {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl PrivacyRules {
    /// The built-in rules and lists, unchanged.
    pub fn builtin() -> Arc<PrivacyRules> {
        static RULES: OnceLock<Arc<PrivacyRules>> = OnceLock::new();
        RULES
            .get_or_init(|| {
                Arc::new(PrivacyRules {
                    severity: BTreeMap::new(),
                    headers: Vec::new(),
                    lists: Lists::new(&[], &[]),
                    fingerprint: String::new(),
                })
            })
            .clone()
    }

    /// Rules from a configuration; `fingerprint` names it in reports (the loader hashes what
    /// it read; empty means the built-in rules).
    pub fn new(config: &RulesConfig, fingerprint: String) -> Result<Self, String> {
        config.validate()?;
        let mut headers: Vec<(String, Rule)> = config
            .headers
            .iter()
            .flat_map(|(r, hs)| hs.iter().map(move |h| (names::normalise(h), *r)))
            .collect();
        headers.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        Ok(Self {
            severity: config.severity.clone(),
            headers,
            lists: Lists::new(&config.first_names, &config.surnames),
            fingerprint,
        })
    }

    /// Names this configuration in reports ("" for the built-in one).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The rule a column's name announces: the configured names first, then the built-in.
    pub fn header_rule(&self, header: &str) -> Option<Rule> {
        if !self.headers.is_empty() {
            let n = names::normalise(header);
            if let Some((_, r)) = self.headers.iter().find(|(h, _)| n.contains(h.as_str())) {
                return Some(*r);
            }
        }
        names::header_rule(header)
    }

    /// The severity a finding ends with; `None` drops it.
    pub fn severity(&self, rule: Rule, found: Severity) -> Option<Severity> {
        match self.severity.get(&rule) {
            None => Some(found),
            Some(Level::Off) => None,
            Some(Level::Low) => Some(Severity::Low),
            Some(Level::Medium) => Some(Severity::Medium),
            Some(Level::High) => Some(Severity::High),
        }
    }
}
