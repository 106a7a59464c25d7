//! Markdown descriptions rendered to HTML that is safe to embed (sanitised with ammonia).

use pulldown_cmark::{Options, Parser, html};

pub fn render(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let parser = Parser::new_ext(markdown, options);
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&out)
        .to_string()
}

/// Plain text of the first paragraph, for list teasers and meta descriptions.
pub fn teaser(markdown: &str, max_chars: usize) -> String {
    let first = markdown
        .split("\n\n")
        .find(|p| !p.trim().is_empty() && !p.trim_start().starts_with('#'))
        .unwrap_or("");
    let plain: String = first
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`' | '#' | '[' | ']'))
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if plain.chars().count() > max_chars {
        let cut: String = plain.chars().take(max_chars).collect();
        format!("{}…", cut.trim_end())
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_are_removed() {
        let html = render("Hallo <script>alert(1)</script> [x](javascript:alert(1)) **fett**");
        assert!(!html.contains("<script"));
        assert!(!html.contains("javascript:"));
        assert!(html.contains("<strong>fett</strong>"));
    }
}
