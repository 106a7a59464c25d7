//! Detects a file's format from its content, using the file name only to tell apart formats
//! that share a container (ZIP, OLE, plain text).

use allmende_core::vocab::{self, FileType};

fn by_ext(name: &str) -> Option<&'static FileType> {
    let ext = name.rsplit_once('.')?.1;
    vocab::file_type_by_extension(ext)
}

fn ft(code: &str) -> Option<&'static FileType> {
    vocab::file_type(code)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `head` is the start of the file (a few KiB are enough).
pub fn detect(head: &[u8], file_name: &str) -> Option<&'static FileType> {
    let ext = by_ext(file_name);
    let ext_code = ext.map(|e| e.code).unwrap_or("");
    if head.starts_with(b"PAR1") {
        return ft("PARQUET");
    }
    if head.starts_with(b"%PDF-") {
        return ft("PDF");
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return ft("PNG");
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return ft("JPEG");
    }
    if head.starts_with(b"\x00\x00\x27\x0a") {
        return ft("SHP");
    }
    if head.starts_with(b"SQLite format 3\0") {
        return ft("GPKG").filter(|_| ext_code == "GPKG").or(ft("BIN"));
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // OLE compound file: legacy Excel (or Word, which we do not list).
        return ft("XLS");
    }
    if head.starts_with(b"PK\x03\x04") {
        if contains(head, b"application/vnd.oasis.opendocument.spreadsheet") {
            return ft("ODS");
        }
        if contains(head, b"xl/") || (ext_code == "XLSX" && contains(head, b"[Content_Types].xml"))
        {
            return ft("XLSX");
        }
        if contains(head, b"word/") || ext_code == "DOCX" {
            return ft("DOCX");
        }
        if ext_code == "KMZ" || contains(head, b".kml") {
            return ft("KMZ");
        }
        if contains(head, b".shp") || contains(head, b".dbf") {
            return ft("SHP");
        }
        if ext_code == "XLSX" {
            return ft("XLSX");
        }
        return ft("ZIP");
    }
    sniff_text(head, ext_code).or(ext).or(ft("BIN"))
}

fn sniff_text(head: &[u8], ext_code: &str) -> Option<&'static FileType> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.is_empty() {
        return None;
    }
    // Binary if it has NUL bytes (UTF-16 text is rare enough to fall back to the extension).
    if head.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("\"type\":\"FeatureCollection\"")
            || compact.contains("\"type\":\"Feature\"")
            || ext_code == "GEOJSON"
        {
            return ft("GEOJSON");
        }
        if ext_code == "JSON_LD" || compact.contains("\"@context\"") {
            return ft("JSON_LD");
        }
        return ft("JSON");
    }
    if trimmed.starts_with('<') {
        let lower = trimmed[..trimmed.len().min(2048)].to_ascii_lowercase();
        if lower.contains("<kml") {
            return ft("KML");
        }
        if lower.contains("<rdf:rdf") {
            return ft("RDF_XML");
        }
        if lower.contains("<html") || lower.starts_with("<!doctype html") {
            return ft("HTML");
        }
        if lower.contains("<svg") {
            return ft("SVG");
        }
        if lower.contains("gml") && ext_code == "GML" {
            return ft("GML");
        }
        return ft("XML");
    }
    if ext_code == "RDF_TURTLE" {
        return ft("RDF_TURTLE");
    }
    if let Some(delim) = sniff_delimiter(&text) {
        return if delim == '\t' { ft("TSV") } else { ft("CSV") };
    }
    ft("TXT")
}

/// A delimiter that appears as often on most lines as on the header line. "Most", not "all":
/// free-text fields with quoted delimiters or multi-line values must not hide a real CSV.
fn sniff_delimiter(text: &str) -> Option<char> {
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .collect();
    // The last line of a truncated head may be cut off.
    let lines = if lines.len() > 2 {
        &lines[..lines.len() - 1]
    } else {
        &lines[..]
    };
    if lines.is_empty() {
        return None;
    }
    [';', ',', '\t', '|']
        .into_iter()
        .filter_map(|d| {
            let counts: Vec<usize> = lines.iter().map(|l| l.matches(d).count()).collect();
            let header = counts[0];
            if header == 0 {
                return None;
            }
            let agreeing = counts.iter().filter(|c| **c == header).count();
            // Share of agreeing lines in percent; one line alone is accepted as it is.
            let share = agreeing * 100 / counts.len();
            (share >= 80 || lines.len() == 1).then_some((d, share, header))
        })
        .max_by_key(|(_, share, header)| (*share, *header))
        .map(|(d, _, _)| d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_beats_extension() {
        assert_eq!(
            detect(b"a;b;c\n1;2;3\n4;5;6\n", "daten.txt").unwrap().code,
            "CSV"
        );
        assert_eq!(
            detect(
                b"{\"type\": \"FeatureCollection\", \"features\": []}",
                "x.json"
            )
            .unwrap()
            .code,
            "GEOJSON"
        );
        assert_eq!(detect(b"[{\"a\": 1}]", "x.csv").unwrap().code, "JSON");
        assert_eq!(detect(b"%PDF-1.7 ...", "bericht.csv").unwrap().code, "PDF");
        assert_eq!(
            detect(
                b"PK\x03\x04....[Content_Types].xml....xl/workbook.xml",
                "a.zip"
            )
            .unwrap()
            .code,
            "XLSX"
        );
        assert_eq!(
            detect(b"\xef\xbb\xbfjahr;anzahl\n2020;5\n2021;7\n", "owi.csv")
                .unwrap()
                .code,
            "CSV"
        );
        assert_eq!(detect(b"a\tb\n1\t2\n3\t4\n", "x").unwrap().code, "TSV");
        assert_eq!(detect(b"\x00\x01\x02garbage", "x.csv").unwrap().code, "CSV");
        assert_eq!(detect(b"\x00\x01\x02garbage", "blob").unwrap().code, "BIN");
        let mut ragged = String::from("a;b;c\n");
        for i in 0..9 {
            ragged.push_str(&format!("{i};Text, mit Komma;3\n"));
        }
        ragged.push_str("9;\"mit ; im Feld\";3\n10;x;y\n");
        assert_eq!(detect(ragged.as_bytes(), "x").unwrap().code, "CSV");
    }
}
