//! Delimited text: encoding and dialect sniffing on a sample, then a streaming record reader
//! (csv-core) that decodes fields as it goes, so memory stays bounded by the longest record.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::infer::Cell;
use crate::source::Source;

mod decoding;
mod records;
mod split;
pub use records::TextEncoding;
use records::{RecordReader, Scratch, decode};

const SAMPLE_BYTES: usize = 256 * 1024;
const SAMPLE_RECORDS: usize = 60;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CsvOverrides {
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    /// Number of records above the header row (0 = header on the first line).
    pub header_row: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CsvDialect {
    pub encoding: TextEncoding,
    pub delimiter: String,
    pub header_row: usize,
    /// Stacked header rows merged into the column names (1 for an ordinary header).
    pub header_rows: usize,
    pub has_header: bool,
}

pub struct CsvSource {
    path: std::path::PathBuf,
    /// Whether the file is complete or still arriving.
    input: crate::growing::Input,
    encoding: TextEncoding,
    delimiter: u8,
    header_row: usize,
    header_rows: usize,
    has_header: bool,
    headers: Vec<String>,
    max_record_bytes: usize,
    max_columns: usize,
    /// Fields that were not valid UTF-8 in a UTF-8 file and were read as Windows-1252.
    pub mixed_fields: u64,
}

impl CsvSource {
    /// `path` must hold UTF-8 or Windows-1252; UTF-16 input is transcoded before (see
    /// `transcode_utf16`).
    pub fn open(
        path: &Path,
        overrides: &CsvOverrides,
        max_record_bytes: usize,
        max_columns: usize,
    ) -> Result<Self, IngestError> {
        Self::open_input(
            path,
            crate::growing::Input::Whole,
            overrides,
            max_record_bytes,
            max_columns,
        )
    }

    /// [`CsvSource::open`] for a file that may still be growing.
    pub(crate) fn open_input(
        path: &Path,
        input: crate::growing::Input,
        overrides: &CsvOverrides,
        max_record_bytes: usize,
        max_columns: usize,
    ) -> Result<Self, IngestError> {
        let mut sample = Vec::with_capacity(SAMPLE_BYTES);
        input
            .open(path)?
            .take(SAMPLE_BYTES as u64)
            .read_to_end(&mut sample)?;
        let encoding = overrides
            .encoding
            .unwrap_or_else(|| sniff_encoding(&sample));
        let mut src = Self {
            path: path.to_path_buf(),
            input,
            encoding,
            delimiter: b',',
            header_row: 0,
            header_rows: 1,
            has_header: true,
            headers: Vec::new(),
            max_record_bytes,
            max_columns,
            mixed_fields: 0,
        };
        if sample.iter().take(4096).filter(|&&b| b == 0).count() > 8 {
            return Err(IngestError::Data(Msg::new("ingest.binary")));
        }
        src.delimiter = overrides
            .delimiter
            .unwrap_or_else(|| sniff_delimiter(&sample));
        let records = src.sample_records(&sample)?;
        if records.is_empty() {
            return Err(IngestError::Data(Msg::new("ingest.no_rows")));
        }
        let block = crate::header::header_block(&records, overrides.header_row);
        let header = records
            .get(block.first + block.rows - 1)
            .cloned()
            .unwrap_or_default();
        src.has_header = header.iter().filter(|h| !h.trim().is_empty()).any(|h| {
            !crate::values::number_shape(h.trim()).de
                && crate::values::parse_date(h.trim()).is_none()
        }) || block.rows > 1;
        src.header_row = block.first;
        src.header_rows = if src.has_header { block.rows } else { 0 };
        src.headers = if src.has_header {
            block.names
        } else {
            let width = records.iter().map(Vec::len).max().unwrap_or(0);
            vec![String::new(); width]
        };
        if src.headers.len() > max_columns {
            return Err(IngestError::Data(
                Msg::new("ingest.too_many_columns")
                    .arg("n", src.headers.len())
                    .arg("max", max_columns),
            ));
        }
        Ok(src)
    }

    pub fn dialect(&self) -> CsvDialect {
        CsvDialect {
            encoding: self.encoding,
            delimiter: match self.delimiter {
                b'\t' => "\\t".into(),
                d => (d as char).to_string(),
            },
            header_row: self.header_row,
            header_rows: self.header_rows,
            has_header: self.has_header,
        }
    }

    fn sample_records(&mut self, sample: &[u8]) -> Result<Vec<Vec<String>>, IngestError> {
        let mut out = Vec::new();
        let complete = sample.len() < SAMPLE_BYTES;
        let mut reader = RecordReader::new(self.delimiter, self.max_record_bytes, self.max_columns);
        let mut input: &[u8] = sample;
        while out.len() < SAMPLE_RECORDS {
            match reader.next(&mut input, complete)? {
                Some(fields) => {
                    let mut row = Vec::with_capacity(fields.len());
                    for f in fields.iter() {
                        row.push(decode(self.encoding, f, &mut self.mixed_fields).into_owned());
                    }
                    out.push(row);
                }
                None => break,
            }
        }
        self.mixed_fields = 0;
        Ok(out)
    }
}

impl Source for CsvSource {
    fn headers(&self) -> Vec<String> {
        self.headers.clone()
    }

    fn scan(
        &mut self,
        f: &mut dyn FnMut(&[Cell<'_>]) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let file = self.input.open(&self.path)?;
        let mut encoding = self.encoding;
        // An ASCII delimiter stays one byte when decoded: the file is read as UTF-8 text.
        let mut input = if encoding == TextEncoding::Windows1252 && self.delimiter.is_ascii() {
            encoding = TextEncoding::Utf8;
            ScanInput::Decoded(decoding::DecodedText::new(file))
        } else {
            ScanInput::Bytes(BufReader::with_capacity(1 << 20, file))
        };
        let mut reader = RecordReader::new(self.delimiter, self.max_record_bytes, self.max_columns);
        let skip = self.header_row + self.header_rows;
        let mut index = 0usize;
        let mut first = true;
        let mut mixed = 0u64;
        let mut scratch = Scratch::default();
        let mut spare_cells: Vec<Cell<'static>> = Vec::new();
        loop {
            let (chunk, text) = input.fill()?;
            let eof = chunk.is_empty();
            let before = chunk.len();
            let mut rest: &[u8] = chunk;
            if first && !eof {
                rest = rest.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(rest);
                first = false;
            }
            while let Some(fields) = reader.next(&mut rest, eof)? {
                if index >= skip {
                    // The row's vector is recycled: emptied, then reused for the next row.
                    let mut cells = recycle_cells(&mut spare_cells);
                    fields.decode_into(encoding, text, &mut mixed, &mut scratch, &mut cells);
                    f(&cells)?;
                    spare_cells = recycle_cells(&mut cells);
                }
                index += 1;
            }
            let consumed = before - rest.len();
            input.consume(consumed);
            self.mixed_fields = mixed;
            if eof {
                return Ok(());
            }
        }
    }
}

/// Where a scan's bytes come from: the file as it is, or Windows-1252 decoded to text.
enum ScanInput {
    Bytes(BufReader<Box<dyn Read + Send>>),
    Decoded(decoding::DecodedText<Box<dyn Read + Send>>),
}

impl ScanInput {
    /// The bytes not consumed yet (none at the end), and when they are decoded text, the text
    /// they lie in.
    fn fill(&mut self) -> std::io::Result<(&[u8], Option<&str>)> {
        match self {
            Self::Bytes(b) => Ok((b.fill_buf()?, None)),
            Self::Decoded(d) => d.fill().map(|(bytes, text)| (bytes, Some(text))),
        }
    }

    fn consume(&mut self, n: usize) {
        match self {
            Self::Bytes(b) => b.consume(n),
            Self::Decoded(d) => d.consume(n),
        }
    }
}

/// The allocation of an emptied vector, for cells of another lifetime (the standard library
/// collects in place when the element layout stays the same, and nothing is left to map).
fn recycle_cells<'b>(v: &mut Vec<Cell<'_>>) -> Vec<Cell<'b>> {
    v.clear();
    std::mem::take(v).into_iter().map(|_| Cell::Empty).collect()
}

fn sniff_encoding(sample: &[u8]) -> TextEncoding {
    if sample.starts_with(b"\xEF\xBB\xBF") {
        return TextEncoding::Utf8;
    }
    // Count well-formed multi-byte characters against invalid bytes: Windows-1252 text almost
    // never forms valid UTF-8 sequences, while a UTF-8 file with a few stray Windows-1252
    // bytes (mixed encodings) is still mostly UTF-8 and is read field by field.
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut rest = sample;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                valid += s.chars().filter(|c| !c.is_ascii()).count();
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                valid += std::str::from_utf8(good)
                    .map_or(0, |s| s.chars().filter(|c| !c.is_ascii()).count());
                match e.error_len() {
                    // A character cut off by the end of the sample.
                    None => break,
                    Some(n) => {
                        invalid += 1;
                        rest = &bad[n..];
                    }
                }
            }
        }
    }
    if invalid == 0 || (valid > 0 && valid >= invalid) {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1252
    }
}

/// Detects UTF-16 by its byte order mark or by the zero bytes of ASCII text.
pub fn sniff_utf16(sample: &[u8]) -> Option<TextEncoding> {
    if sample.starts_with(b"\xFF\xFE") {
        return Some(TextEncoding::Utf16le);
    }
    if sample.starts_with(b"\xFE\xFF") {
        return Some(TextEncoding::Utf16be);
    }
    let n = sample.len().min(4096) / 2 * 2;
    if n < 8 {
        return None;
    }
    let odd_zero = sample[..n]
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&b| b == 0)
        .count();
    let even_zero = sample[..n].iter().step_by(2).filter(|&&b| b == 0).count();
    if odd_zero * 10 > n / 2 * 8 && even_zero == 0 {
        Some(TextEncoding::Utf16le)
    } else if even_zero * 10 > n / 2 * 8 && odd_zero == 0 {
        Some(TextEncoding::Utf16be)
    } else {
        None
    }
}

/// Streams UTF-16 text into a UTF-8 file next to it.
pub fn transcode_utf16(
    src: &Path,
    enc: TextEncoding,
    dest: &mut impl std::io::Write,
) -> Result<(), IngestError> {
    let encoding = if enc == TextEncoding::Utf16be {
        encoding_rs::UTF_16BE
    } else {
        encoding_rs::UTF_16LE
    };
    let mut decoder = encoding.new_decoder_with_bom_removal();
    let mut input = BufReader::new(File::open(src)?);
    let mut inbuf = vec![0u8; 64 * 1024];
    let mut outbuf = String::with_capacity(200 * 1024);
    loop {
        let n = input.read(&mut inbuf)?;
        let last = n == 0;
        let mut consumed = 0;
        loop {
            outbuf.clear();
            let (res, read, _) = decoder.decode_to_string(&inbuf[consumed..n], &mut outbuf, last);
            consumed += read;
            dest.write_all(outbuf.as_bytes())?;
            if res == encoding_rs::CoderResult::InputEmpty {
                break;
            }
        }
        if last {
            return Ok(());
        }
    }
}

fn field_counts(sample: &[u8], delimiter: u8) -> Vec<usize> {
    let mut reader = RecordReader::new(delimiter, 1 << 20, 10_000);
    let complete = sample.len() < SAMPLE_BYTES;
    let mut input = sample;
    let mut counts = Vec::new();
    while counts.len() < SAMPLE_RECORDS {
        match reader.next(&mut input, complete) {
            Ok(Some(fields)) => {
                if fields.len() == 1 && fields.iter().all(<[u8]>::is_empty) {
                    continue;
                }
                counts.push(fields.len());
            }
            _ => break,
        }
    }
    counts
}

/// Picks the delimiter that splits the sample into the most rows of equal width.
fn sniff_delimiter(sample: &[u8]) -> u8 {
    let mut best = (b',', 0usize);
    for d in [b';', b',', b'\t', b'|'] {
        let counts = field_counts(sample, d);
        let mut freq = std::collections::HashMap::new();
        for &c in &counts {
            if c > 1 {
                *freq.entry(c).or_insert(0usize) += 1;
            }
        }
        let score = freq.values().max().copied().unwrap_or(0);
        if score > best.1 {
            best = (d, score);
        }
    }
    best.0
}

#[cfg(test)]
#[path = "csv_tests.rs"]
mod tests;
