//! Reading the operator's privacy rules (`privacy_rules_file`): a TOML file with severities,
//! column names and name lists, plus the name files it points to. The server reads it at start
//! (a mistake stops the start with the file and the reason), each ingestion child reads it again.

use std::path::Path;
use std::sync::Arc;

use allmende_table::privacy::{PrivacyRules, RulesConfig};
use anyhow::Context;
use sha2::{Digest, Sha256};

pub fn load(path: &Path) -> anyhow::Result<Arc<PrivacyRules>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut config: RulesConfig =
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let read_names = |file: &str| -> anyhow::Result<Vec<String>> {
        let p = dir.join(file);
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
        Ok(RulesConfig::names_from_text(&text))
    };
    if let Some(f) = config.first_names_file.take() {
        let names = read_names(&f)?;
        config.first_names.extend(names);
    }
    if let Some(f) = config.surnames_file.take() {
        let names = read_names(&f)?;
        config.surnames.extend(names);
    }
    // What the rules are, not how the file spells them: the same rules give the same
    // fingerprint, and a changed name list a new one.
    let canonical = serde_json::to_vec(&config)?;
    let fingerprint: String = Sha256::digest(&canonical)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    let rules = PrivacyRules::new(&config, fingerprint)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Arc::new(rules))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_with_name_files_and_a_stable_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("vornamen.txt"),
            "# Ostalb\nJolanda\n\nWendelin # oft\n",
        )
        .unwrap();
        let rules = dir.path().join("privacy.toml");
        std::fs::write(
            &rules,
            "first_names_file = \"vornamen.txt\"\nsurnames = [\"Kocherthaler\"]\n\
             [severity]\nlicence_plate = \"medium\"\n[headers]\nperson_name = [\"Fahrzeugführer\"]\n",
        )
        .unwrap();
        let a = load(&rules).unwrap();
        assert_eq!(a.fingerprint().len(), 16);
        let person = Some(allmende_table::privacy::Rule::PersonName);
        assert_eq!(a.header_rule("Fahrzeugführer/in"), person);
        assert_eq!(
            PrivacyRules::builtin().header_rule("Fahrzeugführer/in"),
            None
        );
        assert_eq!(load(&rules).unwrap().fingerprint(), a.fingerprint());
        std::fs::write(dir.path().join("vornamen.txt"), "Jolanda\n").unwrap();
        assert_ne!(load(&rules).unwrap().fingerprint(), a.fingerprint());

        std::fs::write(&rules, "[severity]\nlicence_plate = \"sometimes\"\n").unwrap();
        let e = format!("{:#}", load(&rules).unwrap_err());
        assert!(e.contains("privacy.toml"), "{e}");
        std::fs::write(&rules, "first_names_file = \"missing.txt\"\n").unwrap();
        let e = format!("{:#}", load(&rules).unwrap_err());
        assert!(e.contains("missing.txt"), "{e}");
    }
}
