//! Synonym groups: a word of a group also finds the other words of its group. Groups are
//! compared after German analysis, so inflected forms match too.

use std::collections::HashMap;

use tantivy::tokenizer::TextAnalyzer;

use crate::analyzer;

pub const DEFAULT: &str = include_str!("../synonyms.txt");

#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    /// Analysed token → analysed alternatives (each one or more tokens).
    map: HashMap<String, Vec<Vec<String>>>,
}

impl Synonyms {
    pub fn parse(text: &str) -> Self {
        let mut analyzer: TextAnalyzer = analyzer::german();
        let mut map: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let group: Vec<Vec<String>> = line
                .split(',')
                .map(|w| analyzer::tokens(&mut analyzer, w.trim()))
                .filter(|t| !t.is_empty())
                .collect();
            for member in &group {
                if let [single] = member.as_slice() {
                    let entry = map.entry(single.clone()).or_default();
                    for other in &group {
                        if other != member && !entry.contains(other) {
                            entry.push(other.clone());
                        }
                    }
                }
            }
        }
        Self { map }
    }

    pub fn alternatives(&self, token: &str) -> &[Vec<String>] {
        self.map.get(token).map(Vec::as_slice).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_match_inflected_forms() {
        let s = Synonyms::parse(DEFAULT);
        let kita = analyzer::tokens(&mut analyzer::german(), "Kita");
        let alts = s.alternatives(&kita[0]);
        let kts = analyzer::tokens(&mut analyzer::german(), "Kindertagesstätte");
        assert!(alts.contains(&kts), "{alts:?}");
    }
}
