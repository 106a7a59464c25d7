//! The privacy check (Datenschutz-Prüfung): every value of every column is looked at while the
//! file is read, in the same pass as type inference, and each column gets findings — which
//! rule, how many rows, how severe, and masked examples. Nothing here keeps or reports a whole
//! value.
//!
//! Severity: `high` marks direct identifiers of persons (what the publication gate acts on);
//! `medium` and `low` are notes for the publisher.

mod names;
mod rules;
mod scan;
mod shapes;
mod values;

use serde::{Deserialize, Serialize};

pub use rules::{Level, PrivacyRules, RulesConfig};
pub use scan::Scan;

/// Raised whenever rules or lists change, so that stored results of an older scanner are
/// recognised and everything is scanned again.
pub const SCANNER_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    PersonName,
    BirthDate,
    Email,
    Phone,
    StreetAddress,
    Iban,
    TaxId,
    PensionNumber,
    HealthInsuranceNumber,
    IdDocument,
    LicencePlate,
    IpAddress,
    /// Free text with an identifier in it.
    FreeText,
    /// Exact coordinates in a table about persons.
    Coordinates,
    /// Contacts of an office (role addresses, the desk's phone): lawful to publish, still shown.
    BusinessContact,
}

impl Rule {
    pub const ALL: [Rule; 15] = [
        Self::PersonName,
        Self::BirthDate,
        Self::Email,
        Self::Phone,
        Self::StreetAddress,
        Self::Iban,
        Self::TaxId,
        Self::PensionNumber,
        Self::HealthInsuranceNumber,
        Self::IdDocument,
        Self::LicencePlate,
        Self::IpAddress,
        Self::FreeText,
        Self::Coordinates,
        Self::BusinessContact,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PersonName => "person_name",
            Self::BirthDate => "birth_date",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::StreetAddress => "street_address",
            Self::Iban => "iban",
            Self::TaxId => "tax_id",
            Self::PensionNumber => "pension_number",
            Self::HealthInsuranceNumber => "health_insurance_number",
            Self::IdDocument => "id_document",
            Self::LicencePlate => "licence_plate",
            Self::IpAddress => "ip_address",
            Self::FreeText => "free_text",
            Self::Coordinates => "coordinates",
            Self::BusinessContact => "business_contact",
        }
    }

    /// Whether a high finding of this rule identifies someone, which makes the table one about
    /// persons (their addresses, IP addresses and coordinates then count as theirs).
    pub fn identifies(self) -> bool {
        matches!(
            self,
            Self::PersonName
                | Self::BirthDate
                | Self::Email
                | Self::Phone
                | Self::Iban
                | Self::TaxId
                | Self::PensionNumber
                | Self::HealthInsuranceNumber
                | Self::IdDocument
                | Self::LicencePlate
                | Self::FreeText
        )
    }

    /// Identifiers with a check digit: a handful of valid ones is already a finding.
    fn checksummed(self) -> bool {
        matches!(
            self,
            Self::Iban
                | Self::TaxId
                | Self::PensionNumber
                | Self::HealthInsuranceNumber
                | Self::IdDocument
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// What a finding rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The column's name alone.
    Header,
    /// The values.
    Values,
    /// Name and values agree.
    HeaderAndValues,
    /// Other columns make it personal (an address beside a name).
    Context,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The column as the file names it.
    pub column: String,
    /// Position of the column in the file (0-based).
    pub position: usize,
    pub rule: Rule,
    pub severity: Severity,
    pub basis: Basis,
    /// Non-empty values that matched the rule.
    pub matched: u64,
    /// Their share of the column's non-empty values (0–1).
    pub share: f64,
    /// At most three, masked: never a whole value.
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PrivacyReport {
    pub scanner: u32,
    /// The configuration's fingerprint (absent: the built-in rules).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub rules: String,
    pub rows: u64,
    pub findings: Vec<Finding>,
}

impl PrivacyReport {
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::High)
    }

    pub fn is_clean(&self) -> bool {
        self.blocking().next().is_none()
    }
}

/// Keeps a value's shape and the first character of each run of letters or digits; masks the
/// rest ("Max Mustermann" → "M•• M•••••••••", "max@example.org" → "m••@e••••••.o••").
pub fn mask(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut in_run = false;
    for c in v.trim().chars().take(60) {
        if c.is_alphanumeric() {
            out.push(if in_run { '•' } else { c });
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule has a label in both languages (pages, problems and CKAN messages show it).
    #[test]
    fn every_rule_has_a_label() {
        for r in Rule::ALL {
            let key = format!("privacy.rule.{}", r.code());
            assert!(allmende_core::i18n::has_key(&key), "{key}");
            // The serialised name is the code.
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }

    #[test]
    fn masking_never_shows_a_whole_value() {
        assert_eq!(mask("Max Mustermann"), "M•• M•••••••••");
        assert_eq!(mask("max@example.org"), "m••@e••••••.o••");
        for v in [
            "DE89 3704 0044 0532 0130 00",
            "07361 52-0",
            "Klosterstr. 10",
            "1967",
        ] {
            assert_ne!(mask(v), v);
        }
    }
}
