//! RDF serializations: which one a request asks for, and writing triples in it.

use oxrdf::Triple;
use oxrdfio::{RdfFormat, RdfSerializer};

use super::ns::PREFIXES;

/// The serialization for a file ending or a media type.
pub fn format_for(name: &str) -> Option<RdfFormat> {
    Some(match name {
        "ttl" | "text/turtle" | "application/x-turtle" => RdfFormat::Turtle,
        "rdf" | "xml" | "application/rdf+xml" => RdfFormat::RdfXml,
        "jsonld" | "application/ld+json" => RdfFormat::JsonLd {
            profile: oxrdfio::JsonLdProfileSet::empty(),
        },
        "nt" | "application/n-triples" => RdfFormat::NTriples,
        _ => return None,
    })
}

/// The RDF serialization an `Accept` header asks for (first listed that we write).
pub fn negotiate(accept: &str) -> Option<(RdfFormat, &'static str)> {
    let mut best: Option<(f32, RdfFormat, &'static str)> = None;
    for part in accept.split(',') {
        let mut bits = part.split(';');
        let mt = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q: f32 = bits
            .find_map(|b| b.trim().strip_prefix("q=").and_then(|v| v.parse().ok()))
            .unwrap_or(1.0);
        let Some(f) = format_for(&mt) else { continue };
        let ext = match f {
            RdfFormat::Turtle => "ttl",
            RdfFormat::RdfXml => "rdf",
            RdfFormat::NTriples => "nt",
            _ => "jsonld",
        };
        if q > 0.0 && best.as_ref().is_none_or(|(bq, _, _)| q > *bq) {
            best = Some((q, f, ext));
        }
    }
    best.map(|(_, f, e)| (f, e))
}

pub fn media_type(format: RdfFormat) -> &'static str {
    match format {
        RdfFormat::Turtle => "text/turtle; charset=utf-8",
        RdfFormat::RdfXml => "application/rdf+xml; charset=utf-8",
        RdfFormat::NTriples => "application/n-triples",
        _ => "application/ld+json",
    }
}

pub fn serialize(triples: &[Triple], format: RdfFormat) -> std::io::Result<Vec<u8>> {
    let mut s = RdfSerializer::from_format(format);
    for (prefix, iri) in PREFIXES {
        s = s
            .with_prefix(*prefix, *iri)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    }
    let mut w = s.for_writer(Vec::with_capacity(triples.len() * 96));
    for t in triples {
        w.serialize_triple(t)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers() {
        assert!(matches!(
            negotiate("text/turtle"),
            Some((RdfFormat::Turtle, "ttl"))
        ));
        assert!(matches!(
            negotiate("application/rdf+xml;q=0.5, application/ld+json"),
            Some((RdfFormat::JsonLd { .. }, "jsonld"))
        ));
        assert!(negotiate("text/html,application/xhtml+xml").is_none());
        assert!(negotiate("text/turtle;q=0").is_none());
    }
}
