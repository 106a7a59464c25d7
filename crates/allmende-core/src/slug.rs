//! Slugs are the readable identifiers in URLs (`/dataset/baumkataster`).

/// Rules: 2–100 characters, lower-case ASCII letters, digits and single hyphens, starting with
/// a letter or digit and not ending with a hyphen. Not a UUID, so `{id-or-slug}` stays unambiguous.
pub fn is_valid(slug: &str) -> bool {
    let len = slug.len();
    if !(2..=100).contains(&len) {
        return false;
    }
    if slug.starts_with('-') || slug.ends_with('-') || slug.contains("--") {
        return false;
    }
    if uuid::Uuid::parse_str(slug).is_ok() {
        return false;
    }
    slug.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Builds a slug from a German title: umlauts and ß transliterated, everything else folded to
/// hyphens.
pub fn from_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for ch in title.chars().flat_map(char::to_lowercase) {
        let piece: &str = match ch {
            'ä' => "ae",
            'ö' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'é' | 'è' | 'ê' => "e",
            'á' | 'à' | 'â' => "a",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        out.push_str(piece);
    }
    let mut slug = String::with_capacity(out.len());
    for part in out.split('-').filter(|p| !p.is_empty()) {
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(part);
    }
    slug.truncate(100);
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(is_valid("baumkataster"));
        assert!(is_valid("haushalt-2025"));
        assert!(!is_valid("a"));
        assert!(!is_valid("Baum"));
        assert!(!is_valid("-baum"));
        assert!(!is_valid("baum--kataster"));
        assert!(!is_valid("bäume"));
        assert!(!is_valid("../etc"));
        assert!(!is_valid("3f2504e0-4f89-41d3-9a0c-0305e82c3301"));
    }

    #[test]
    fn from_german_title() {
        assert_eq!(
            from_title("Straßenbäume in Aalen"),
            "strassenbaeume-in-aalen"
        );
        assert_eq!(
            from_title("  Haushalt 2025 (Entwurf) "),
            "haushalt-2025-entwurf"
        );
    }
}
