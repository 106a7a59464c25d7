//! German text analysis: tokenize, lower-case, drop stop words, normalise umlaut spellings,
//! stem (Snowball German), fold what is left to ASCII. The same analyzer runs on documents and
//! on queries, so `Straße`/`Strasse`, `Bäume`/`Baeume`/`Baum` and `Parkplätze`/`Parkplatz` meet.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};

pub const GERMAN: &str = "de";
/// Lower-cased words, unstemmed: the vocabulary for "did you mean".
pub const WORDS: &str = "words";

/// Maps the spellings German allows for the same word onto one: `ß` → `ss`, and the digraphs
/// `ae`/`oe`/`ue` (not after `q`/`e`/`a`/`o` as in `Quelle`, `Feuer`, `Bauer`) to umlauts, which
/// the stemmer then reduces to plain vowels.
#[derive(Clone)]
pub struct GermanNormalizer;

impl TokenFilter for GermanNormalizer {
    type Tokenizer<T: Tokenizer> = GermanNormalizerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> GermanNormalizerFilter<T> {
        GermanNormalizerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct GermanNormalizerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for GermanNormalizerFilter<T> {
    type TokenStream<'a> = GermanNormalizerStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        GermanNormalizerStream {
            tail: self.inner.token_stream(text),
        }
    }
}

pub struct GermanNormalizerStream<T> {
    tail: T,
}

pub fn normalize_german(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len() + 2);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let blocked = matches!(prev, Some('q' | 'e' | 'a' | 'o'));
        match (c, next) {
            ('ß', _) => {
                out.push_str("ss");
                i += 1;
            }
            ('a', Some('e')) if !blocked => {
                out.push('ä');
                i += 2;
            }
            ('o', Some('e')) if !blocked => {
                out.push('ö');
                i += 2;
            }
            ('u', Some('e')) if !blocked => {
                out.push('ü');
                i += 2;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

impl<T: TokenStream> TokenStream for GermanNormalizerStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if token.text.contains(['ß', 'e']) {
            token.text = normalize_german(&token.text);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

pub fn german() -> TextAnalyzer {
    let builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser);
    match StopWordFilter::new(Language::German) {
        Some(stop) => builder
            .filter(stop)
            .filter(GermanNormalizer)
            .filter(Stemmer::new(Language::German))
            .filter(AsciiFoldingFilter)
            .build(),
        None => builder
            .filter(GermanNormalizer)
            .filter(Stemmer::new(Language::German))
            .filter(AsciiFoldingFilter)
            .build(),
    }
}

pub fn words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// The tokens with their positions (stop words leave gaps, which phrases must respect).
pub fn tokens_with_positions(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

/// The tokens `analyzer` makes of `text`.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Vec<String> {
        tokens(&mut german(), text)
    }

    #[test]
    fn spellings_and_inflections_meet() {
        assert_eq!(one("Straße"), one("Strasse"));
        assert_eq!(one("Bäume"), one("Baum"));
        assert_eq!(one("Baeume"), one("Baum"));
        assert_eq!(one("Parkplätze"), one("Parkplatz"));
        assert_eq!(one("Ärzte"), one("Aerzte"));
        assert_eq!(one("die und der"), Vec::<String>::new());
        assert_eq!(one("Quelle"), vec!["quell".to_string()]);
    }
}
