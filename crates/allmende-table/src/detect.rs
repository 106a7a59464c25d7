//! The one answer to "what is this file?" for every path that meets a file (upload, link
//! fetch, `allmende ingest`, the ingestion worker). The content decides: magic numbers, the
//! entries of a ZIP container, the shape of JSON and XML; only text that is none of those is
//! sniffed for a CSV delimiter. The file name only separates formats that share a container
//! or that content cannot tell apart (Turtle from plain text).

use std::io::Read;
use std::path::Path;

use allmende_core::vocab::{self, FileType};

use crate::InputFormat;

/// How much of a file detection reads: enough for ZIP entries that follow a small first entry
/// and for twenty lines of a wide CSV.
pub const HEAD_BYTES: usize = 64 * 1024;
/// How a ZIP container (XLSX, Shapefile sets, KMZ) starts.
pub const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

#[derive(Debug, Clone, Copy)]
pub struct Detected {
    pub file_type: &'static FileType,
    /// How the data plane reads it; `None` for a file that is not a table.
    pub table: Option<InputFormat>,
}

impl Detected {
    fn of(code: &str, table: Option<InputFormat>) -> Self {
        let file_type = vocab::file_type(code)
            .or_else(|| vocab::file_type("BIN"))
            .unwrap_or(&vocab::FILE_TYPES[0]);
        Self { file_type, table }
    }

    pub fn code(&self) -> &'static str {
        self.file_type.code
    }
}

/// The table format that a file-type code (the resource's `format`) is read as.
pub fn table_format(code: &str) -> Option<InputFormat> {
    Some(match code.to_ascii_uppercase().as_str() {
        "CSV" | "TSV" | "TXT" => InputFormat::Csv,
        "XLSX" => InputFormat::Xlsx,
        "XLS" => InputFormat::Xls,
        "ODS" => InputFormat::Ods,
        "JSON" => InputFormat::Json,
        "NDJSON" => InputFormat::Ndjson,
        "PARQUET" => InputFormat::Parquet,
        "GEOJSON" => InputFormat::GeoJson,
        "SHP" => InputFormat::Shapefile,
        "GPKG" => InputFormat::GeoPackage,
        "KML" | "KMZ" => InputFormat::Kml,
        "GPX" => InputFormat::Gpx,
        _ => return None,
    })
}

/// Detects a file on disk: the head, and for a ZIP container its central directory.
pub fn detect_file(path: &Path, file_name: &str) -> std::io::Result<Detected> {
    let head = read_head(path)?;
    detect_with_head(path, &head, file_name)
}

/// The first `HEAD_BYTES` of a file: what detection and the readers' sniffing look at.
pub fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    std::fs::File::open(path)?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

/// [`detect_file`] with the head already read (`read_head`), so a caller that needs the head
/// too reads it once.
pub fn detect_with_head(path: &Path, head: &[u8], file_name: &str) -> std::io::Result<Detected> {
    if head.starts_with(ZIP_MAGIC) {
        let names = std::fs::File::open(path)
            .ok()
            .and_then(|f| zip::ZipArchive::new(std::io::BufReader::new(f)).ok())
            .map(|z| {
                z.file_names()
                    .take(10_000)
                    .filter_map(|n| n.ok().map(|n| n.into_owned()))
                    .collect::<Vec<String>>()
            });
        if let Some(names) = names {
            return Ok(classify_zip(head, &names, true, ext_code(file_name)));
        }
    }
    Ok(detect(head, file_name))
}

/// Detects from the start of a file (`HEAD_BYTES` are enough) and its name.
pub fn detect(head: &[u8], file_name: &str) -> Detected {
    let ext = ext_code(file_name);
    if head.starts_with(b"PAR1") {
        return Detected::of("PARQUET", Some(InputFormat::Parquet));
    }
    if head.starts_with(b"%PDF-") {
        return Detected::of("PDF", None);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Detected::of("PNG", None);
    }
    if head.starts_with(b"\xff\xd8\xff") {
        return Detected::of("JPEG", None);
    }
    if head.starts_with(b"\x00\x00\x27\x0a") {
        // A lone .shp has no attributes and no CRS: not a table until it comes as a ZIP.
        return Detected::of("SHP", None);
    }
    if head.starts_with(b"SQLite format 3\0") {
        // GeoPackage sets the application id (offset 68) to "GPKG" (1.2+) or "GP10"/"GP11".
        let gpkg = head.get(68..70) == Some(b"GP") || ext == "GPKG";
        return match gpkg {
            true => Detected::of("GPKG", Some(InputFormat::GeoPackage)),
            false => Detected::of("BIN", None),
        };
    }
    if head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        // An OLE compound file is legacy Excel, or a Word/PowerPoint file we do not list.
        let raw_ext = file_name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase());
        return match raw_ext.as_deref() {
            Some("doc" | "dot" | "ppt" | "pps" | "msg" | "msi") => Detected::of("BIN", None),
            _ => Detected::of("XLS", Some(InputFormat::Xls)),
        };
    }
    if head.starts_with(b"PK\x03\x04") {
        let (names, complete) = local_entry_names(head);
        return classify_zip(head, &names, complete, ext);
    }
    if let Some(e) = crate::csv::sniff_utf16(head) {
        let encoding = match e {
            crate::csv::TextEncoding::Utf16be => encoding_rs::UTF_16BE,
            _ => encoding_rs::UTF_16LE,
        };
        let (text, _, _) = encoding.decode(head);
        return sniff_text(text.as_bytes(), ext);
    }
    sniff_text(head, ext)
}

fn ext_code(file_name: &str) -> &'static str {
    file_name
        .rsplit_once('.')
        .and_then(|(_, ext)| vocab::file_type_by_extension(ext))
        .map(|f| f.code)
        .unwrap_or("")
}

/// Entry names from the local headers inside `head` (a streamed upload has no central
/// directory yet), and whether that is all of them (the central directory follows). Stops at
/// the first entry whose size the header does not give.
fn local_entry_names(head: &[u8]) -> (Vec<String>, bool) {
    let mut names = Vec::new();
    let mut at = 0usize;
    let u16_at = |i: usize| {
        head.get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
    };
    let u32_at = |i: usize| {
        head.get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    while head.get(at..at + 4) == Some(b"PK\x03\x04") && names.len() < 1000 {
        let (Some(flags), Some(size), Some(name_len), Some(extra_len)) = (
            u16_at(at + 6),
            u32_at(at + 18),
            u16_at(at + 26),
            u16_at(at + 28),
        ) else {
            break;
        };
        let Some(name) = head.get(at + 30..at + 30 + name_len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        // Bit 3: sizes follow the data, so the next header cannot be found from here.
        if flags & 0x08 != 0 {
            break;
        }
        at += 30 + name_len + extra_len + size;
    }
    let complete = head.get(at..at + 4) == Some(b"PK\x01\x02");
    (names, complete)
}

fn classify_zip(head: &[u8], names: &[String], complete: bool, ext: &str) -> Detected {
    let has = |pred: &dyn Fn(&str) -> bool| names.iter().any(|n| pred(&n.to_ascii_lowercase()));
    // ODF stores its media type uncompressed in the first entry, "mimetype".
    if contains(head, b"application/vnd.oasis.opendocument.spreadsheet") {
        return Detected::of("ODS", Some(InputFormat::Ods));
    }
    if has(&|n| n.starts_with("xl/")) || (ext == "XLSX" && has(&|n| n == "[content_types].xml")) {
        return Detected::of("XLSX", Some(InputFormat::Xlsx));
    }
    if has(&|n| n.starts_with("word/")) {
        return Detected::of("DOCX", None);
    }
    if has(&|n| n.ends_with(".kml")) {
        return Detected::of("KMZ", Some(InputFormat::Kml));
    }
    if has(&|n| n.ends_with(".shp")) {
        return Detected::of("SHP", Some(InputFormat::Shapefile));
    }
    // Entries not all seen (a head that ends inside the archive): the name may say more.
    match ext {
        "XLSX" if !complete => Detected::of("XLSX", Some(InputFormat::Xlsx)),
        "DOCX" if !complete => Detected::of(ext, None),
        "KMZ" if !complete => Detected::of(ext, Some(InputFormat::Kml)),
        _ => Detected::of("ZIP", None),
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn sniff_text(head: &[u8], ext: &str) -> Detected {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    // NUL bytes: binary (UTF-16 text was decoded before).
    if head.contains(&0) {
        return Detected::of("BIN", None);
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Detected::of("TXT", Some(InputFormat::Csv));
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return sniff_json(trimmed, ext);
    }
    if trimmed.starts_with('<') {
        return sniff_xml(trimmed, ext);
    }
    if ext == "RDF_TURTLE" {
        return Detected::of("RDF_TURTLE", None);
    }
    match sniff_delimiter(&text) {
        Some('\t') => Detected::of("TSV", Some(InputFormat::Csv)),
        Some(_) => Detected::of("CSV", Some(InputFormat::Csv)),
        // One column, or prose: read as a one-column table, shown as text.
        None => Detected::of("TXT", Some(InputFormat::Csv)),
    }
}

fn sniff_json(trimmed: &str, ext: &str) -> Detected {
    let compact: String = trimmed
        .chars()
        .take(HEAD_BYTES)
        .filter(|c| !c.is_whitespace())
        .collect();
    if compact.contains("\"type\":\"FeatureCollection\"")
        || compact.contains("\"type\":\"Feature\"")
        || ext == "GEOJSON"
    {
        return Detected::of("GEOJSON", Some(InputFormat::GeoJson));
    }
    if ext == "JSON_LD" || compact.contains("\"@context\"") {
        return Detected::of("JSON_LD", None);
    }
    let layout = if looks_like_lines(trimmed) {
        InputFormat::Ndjson
    } else {
        InputFormat::Json
    };
    Detected::of("JSON", Some(layout))
}

/// NDJSON: the first line is a whole object and another object follows on the next line.
fn looks_like_lines(trimmed: &str) -> bool {
    let mut lines = trimmed.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("");
    let second = lines.next().unwrap_or("");
    first.starts_with('{') && first.ends_with('}') && second.starts_with('{')
}

fn sniff_xml(trimmed: &str, ext: &str) -> Detected {
    let end = trimmed
        .char_indices()
        .nth(2048)
        .map_or(trimmed.len(), |(i, _)| i);
    let lower = trimmed[..end].to_ascii_lowercase();
    if lower.contains("<kml") {
        return Detected::of("KML", Some(InputFormat::Kml));
    }
    if lower.contains("<gpx") {
        return Detected::of("GPX", Some(InputFormat::Gpx));
    }
    let code = if lower.contains("<rdf:rdf") {
        "RDF_XML"
    } else if lower.contains("<html") || lower.starts_with("<!doctype html") {
        "HTML"
    } else if lower.contains("<svg") {
        "SVG"
    } else if ext == "GML" || lower.contains("<gml:") || lower.contains("featurecollection") {
        "GML"
    } else {
        "XML"
    };
    Detected::of(code, None)
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

    fn code(head: &[u8], name: &str) -> &'static str {
        detect(head, name).code()
    }

    #[test]
    fn content_beats_extension() {
        assert_eq!(code(b"a;b;c\n1;2;3\n4;5;6\n", "daten.txt"), "CSV");
        let geo = b"{\"type\": \"FeatureCollection\", \"features\": []}";
        assert_eq!(code(geo, "x.json"), "GEOJSON");
        assert_eq!(code(geo, "baeume.csv"), "GEOJSON");
        assert_eq!(detect(geo, "baeume.csv").table, Some(InputFormat::GeoJson));
        assert_eq!(code(b"[{\"a\": 1}]", "x.csv"), "JSON");
        assert_eq!(code(b"%PDF-1.7 ...", "bericht.csv"), "PDF");
        assert_eq!(
            code(b"<?xml version=\"1.0\"?><a><b>1;2</b></a>", "x.csv"),
            "XML"
        );
        assert_eq!(
            code(b"\xef\xbb\xbfjahr;anzahl\n2020;5\n2021;7\n", "owi.csv"),
            "CSV"
        );
        assert_eq!(code(b"a\tb\n1\t2\n3\t4\n", "x"), "TSV");
        assert_eq!(code(b"\x00\x01\x02garbage", "x.csv"), "BIN");
        assert_eq!(code(b"\x00\x01\x02garbage", "blob"), "BIN");
        let mut ragged = String::from("a;b;c\n");
        for i in 0..9 {
            ragged.push_str(&format!("{i};Text, mit Komma;3\n"));
        }
        ragged.push_str("9;\"mit ; im Feld\";3\n10;x;y\n");
        assert_eq!(code(ragged.as_bytes(), "x"), "CSV");
    }

    #[test]
    fn json_layouts() {
        let lines = b"{\"a\": 1}\n{\"a\": 2}\n";
        assert_eq!(detect(lines, "x.json").table, Some(InputFormat::Ndjson));
        let array = b"{\"data\": [\n{\"a\": 1},\n{\"a\": 2}]}";
        assert_eq!(detect(array, "x.json").table, Some(InputFormat::Json));
        assert_eq!(
            code(b"{\"@context\": {}, \"@id\": \"x\"}", "x.json"),
            "JSON_LD"
        );
    }

    #[test]
    fn utf16_text_is_text() {
        let text: Vec<u8> = "\u{feff}Jahr;Anzahl\n2020;5\n2021;7\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detect(&text, "x.csv").table, Some(InputFormat::Csv));
        assert_eq!(code(&text, "x.csv"), "CSV");
    }

    fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        for (name, data) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn zip_entries_decide() {
        let filler = vec![b'x'; 8000];
        let xlsx = zip_with(&[
            ("[Content_Types].xml", &filler),
            ("_rels/.rels", b"<r/>"),
            ("xl/workbook.xml", b"<w/>"),
        ]);
        assert_eq!(code(&xlsx, "daten.zip"), "XLSX");
        let shp = zip_with(&[("gebiete.shp", b"\x00\x00\x27\x0a"), ("gebiete.dbf", b"")]);
        assert_eq!(code(&shp, "gebiete.zip"), "SHP");
        assert_eq!(
            detect(&shp, "gebiete.zip").table,
            Some(InputFormat::Shapefile)
        );
        assert!(
            detect(b"\x00\x00\x27\x0a\x00", "gebiete.shp")
                .table
                .is_none()
        );
        let kmz = zip_with(&[("doc.kml", b"<kml/>")]);
        assert_eq!(code(&kmz, "x.zip"), "KMZ");
        let other = zip_with(&[("liesmich.txt", b"Hallo")]);
        assert_eq!(code(&other, "daten.xlsx"), "ZIP");
        // A whole file: the central directory lists every entry.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zip");
        let mut big = vec![("a.bin", vec![b'y'; 200_000])];
        big.push(("xl/workbook.xml", b"<w/>".to_vec()));
        let entries: Vec<(&str, &[u8])> = big.iter().map(|(n, d)| (*n, &d[..])).collect();
        std::fs::write(&path, zip_with(&entries)).unwrap();
        assert_eq!(detect_file(&path, "x.zip").unwrap().code(), "XLSX");
    }
}
