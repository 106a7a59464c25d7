//! Turning what people type into a query: words, `"quoted phrases"`, `-exclusions`, prefix
//! matching of the last word while typing, synonyms, and typo tolerance ranked below exact hits.
//! There is no query syntax to get wrong: anything else is treated as text.

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::analyzer;
use crate::schema::{Fields, text_fields};
use crate::synonyms::Synonyms;

/// At most this many words are used; longer input is cut (it is text, not a query language).
const MAX_WORDS: usize = 24;

#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub words: Vec<String>,
    pub phrases: Vec<String>,
    pub excluded: Vec<String>,
    /// The last word is still being typed (no trailing space).
    pub last_is_prefix: bool,
}

#[cfg(test)]
impl Parsed {
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty() && self.excluded.is_empty()
    }
}

pub fn parse(input: &str) -> Parsed {
    let mut p = Parsed::default();
    let input: String = input.chars().take(2000).collect();
    let mut rest = input.as_str();
    while let Some(start) = rest.find(|c: char| !c.is_whitespace()) {
        rest = &rest[start..];
        if let Some(after) = rest.strip_prefix('"') {
            // An unbalanced quote runs to the end.
            let (phrase, tail) = after.split_once('"').unwrap_or((after, ""));
            if !phrase.trim().is_empty() {
                p.phrases.push(phrase.trim().to_string());
            }
            rest = tail;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        rest = &rest[end..];
        let (excluded, word) = match word.strip_prefix('-') {
            Some(w) if !w.is_empty() => (true, w),
            _ => (false, word),
        };
        let word: String = word
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '\''))
            .collect();
        let word = word.trim_matches(['-', '.', '\'']).to_string();
        if word.is_empty() {
            continue;
        }
        if excluded {
            p.excluded.push(word);
        } else {
            p.words.push(word);
        }
    }
    p.last_is_prefix = !input.ends_with(char::is_whitespace)
        && !input.trim_end().ends_with('"')
        && !p.words.is_empty()
        && input
            .split_whitespace()
            .last()
            .is_some_and(|w| !w.starts_with('-'));
    p.words.truncate(MAX_WORDS);
    p.phrases.truncate(MAX_WORDS);
    p.excluded.truncate(MAX_WORDS);
    p
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON {
        q
    } else {
        Box::new(BoostQuery::new(q, boost))
    }
}

fn term_on_fields(f: &Fields, token: &str, weight: f32) -> Vec<(Occur, Box<dyn Query>)> {
    text_fields(f)
        .into_iter()
        .map(|(field, boost)| {
            let q: Box<dyn Query> = Box::new(TermQuery::new(
                Term::from_field_text(field, token),
                IndexRecordOption::WithFreqs,
            ));
            (Occur::Should, boosted(q, boost * weight))
        })
        .collect()
}

/// Builds the text part of a search; `None` when the input has nothing to search for.
pub fn build(
    f: &Fields,
    analyzer: &mut TextAnalyzer,
    synonyms: &Synonyms,
    parsed: &Parsed,
) -> Option<Box<dyn Query>> {
    let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let n = parsed.words.len();
    for (i, word) in parsed.words.iter().enumerate() {
        let tokens = analyzer::tokens(analyzer, word);
        let prefix = parsed.last_is_prefix && i + 1 == n;
        for token in tokens {
            let mut alternatives = term_on_fields(f, &token, 1.0);
            for syn in synonyms.alternatives(&token) {
                match syn.as_slice() {
                    [one] => alternatives.extend(term_on_fields(f, one, 0.8)),
                    many => {
                        let positioned: Vec<(usize, String)> =
                            many.iter().cloned().enumerate().collect();
                        alternatives.extend(phrase_on_fields(f, &positioned, 0.8))
                    }
                }
            }
            if prefix {
                for field in [f.title, f.keywords_text, f.description, f.org_name] {
                    let q =
                        FuzzyTermQuery::new_prefix(Term::from_field_text(field, &token), 0, true);
                    alternatives.push((Occur::Should, boosted(Box::new(q), 0.5)));
                }
            }
            // Typos: one edit for words of five letters or more, ranked well below exact.
            if word.chars().count() >= 5 && token.chars().count() >= 4 {
                for field in [f.title, f.keywords_text, f.description] {
                    let q = FuzzyTermQuery::new(Term::from_field_text(field, &token), 1, true);
                    alternatives.push((Occur::Should, boosted(Box::new(q), 0.2)));
                }
            }
            must.push((Occur::Must, Box::new(BooleanQuery::new(alternatives))));
        }
    }
    for phrase in &parsed.phrases {
        let tokens = analyzer::tokens_with_positions(analyzer, phrase);
        match tokens.as_slice() {
            [] => {}
            [(_, one)] => must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(term_on_fields(f, one, 1.0))),
            )),
            many => must.push((
                Occur::Must,
                Box::new(BooleanQuery::new(phrase_on_fields(f, many, 1.0))),
            )),
        }
    }
    let positive = !must.is_empty();
    for word in &parsed.excluded {
        for token in analyzer::tokens(analyzer, word) {
            must.push((
                Occur::MustNot,
                Box::new(BooleanQuery::new(term_on_fields(f, &token, 1.0))),
            ));
        }
    }
    if must.is_empty() {
        return None;
    }
    if !positive {
        must.push((Occur::Must, Box::new(AllQuery)));
    }
    Some(Box::new(BooleanQuery::new(must)))
}

/// A phrase on the phrase-bearing fields; positions keep the gaps stop words left.
fn phrase_on_fields(
    f: &Fields,
    tokens: &[(usize, String)],
    weight: f32,
) -> Vec<(Occur, Box<dyn Query>)> {
    let fields: [(Field, f32); 3] = [(f.title, 3.0), (f.description, 1.0), (f.keywords_text, 2.0)];
    let first = tokens.first().map_or(0, |(p, _)| *p);
    fields
        .into_iter()
        .map(|(field, boost)| {
            let terms: Vec<(usize, Term)> = tokens
                .iter()
                .map(|(p, t)| (p - first, Term::from_field_text(field, t)))
                .collect();
            (
                Occur::Should,
                boosted(
                    Box::new(PhraseQuery::new_with_offset(terms)),
                    boost * weight,
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let p = parse("Bäume \"Stadt Aalen\" -Eiche park");
        assert_eq!(p.words, vec!["Bäume", "park"]);
        assert_eq!(p.phrases, vec!["Stadt Aalen"]);
        assert_eq!(p.excluded, vec!["Eiche"]);
        assert!(p.last_is_prefix);
        assert!(!parse("park ").last_is_prefix);
        let p = parse("\"offen");
        assert_eq!(p.phrases, vec!["offen"]);
        let p = parse("a:b AND (c) ^2 ~ * + title:x");
        assert_eq!(p.words, vec!["ab", "AND", "c", "2", "titlex"]);
        assert!(parse("   ").is_empty());
        assert!(parse(&"x".repeat(10_000)).words.len() == 1);
    }
}
