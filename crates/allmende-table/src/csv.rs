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

const SAMPLE_BYTES: usize = 256 * 1024;
const SAMPLE_RECORDS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextEncoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "utf-16le")]
    Utf16le,
    #[serde(rename = "utf-16be")]
    Utf16be,
}

impl TextEncoding {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Self::Utf8,
            "windows-1252" | "cp1252" | "iso-8859-1" | "latin1" | "latin-1" | "iso-8859-15" => {
                Self::Windows1252
            }
            "utf-16le" | "utf-16" => Self::Utf16le,
            "utf-16be" => Self::Utf16be,
            _ => return None,
        })
    }
}

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
        let mut buf = BufReader::with_capacity(1 << 20, file);
        let mut reader = RecordReader::new(self.delimiter, self.max_record_bytes, self.max_columns);
        let skip = self.header_row + self.header_rows;
        let mut index = 0usize;
        let mut first = true;
        let encoding = self.encoding;
        let mut mixed = 0u64;
        let mut spare_decoded: Vec<std::borrow::Cow<'static, str>> = Vec::new();
        let mut scratch = Scratch::default();
        let mut spare_cells: Vec<Cell<'static>> = Vec::new();
        loop {
            let chunk = buf.fill_buf()?;
            let eof = chunk.is_empty();
            let before = chunk.len();
            let mut input: &[u8] = chunk;
            if first && !eof {
                input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
                first = false;
            }
            while let Some(fields) = reader.next(&mut input, eof)? {
                if index >= skip {
                    // The row vectors are recycled: emptied, then reused for the next row.
                    let mut decoded = recycle_texts(&mut spare_decoded);
                    fields.decode_into(encoding, &mut mixed, &mut scratch, &mut decoded);
                    let mut cells = recycle_cells(&mut spare_cells);
                    cells.extend(decoded.iter().map(|s| Cell::Text(s.as_ref())));
                    f(&cells)?;
                    spare_cells = recycle_cells(&mut cells);
                    spare_decoded = recycle_texts(&mut decoded);
                }
                index += 1;
            }
            let consumed = before - input.len();
            buf.consume(consumed);
            self.mixed_fields = mixed;
            if eof {
                return Ok(());
            }
        }
    }
}

fn decode<'a>(enc: TextEncoding, field: &'a [u8], mixed: &mut u64) -> std::borrow::Cow<'a, str> {
    // One scan per field: both decoders borrow ASCII (and, for UTF-8, valid) input as it is.
    match enc {
        TextEncoding::Utf8 | TextEncoding::Utf16le | TextEncoding::Utf16be => {
            match std::str::from_utf8(field) {
                Ok(s) => std::borrow::Cow::Borrowed(s),
                Err(_) => {
                    *mixed += 1;
                    encoding_rs::WINDOWS_1252
                        .decode_without_bom_handling(field)
                        .0
                }
            }
        }
        TextEncoding::Windows1252 => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(field)
                .0
        }
    }
}

/// The allocation of an emptied vector, for cells of another lifetime (the standard library
/// collects in place when the element layout stays the same, and nothing is left to map).
fn recycle_cells<'b>(v: &mut Vec<Cell<'_>>) -> Vec<Cell<'b>> {
    v.clear();
    std::mem::take(v).into_iter().map(|_| Cell::Empty).collect()
}

fn recycle_texts<'b>(v: &mut Vec<std::borrow::Cow<'_, str>>) -> Vec<std::borrow::Cow<'b, str>> {
    v.clear();
    std::mem::take(v)
        .into_iter()
        .map(|_| std::borrow::Cow::Borrowed(""))
        .collect()
}

/// Reads records one at a time from successive input slices.
struct RecordReader {
    inner: csv_core::Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    max_record_bytes: usize,
    max_columns: usize,
    record: u64,
    /// csv_core stands between two records: a plain line may be read without it.
    between: bool,
    delimiter: u8,
}

struct Fields<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let f = &self.out[start..end];
            start = end;
            f
        })
    }
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Decodes every field into `out`. A record that reads as text as a whole (ASCII for
    /// Windows-1252, valid UTF-8 otherwise: most records) is cut into borrowed fields after
    /// one check of its bytes, instead of one decoder call per field; any other
    /// Windows-1252 record is decoded in one pass into `scratch` and cut there.
    fn decode_into(
        &self,
        enc: TextEncoding,
        mixed: &mut u64,
        scratch: &'a mut Scratch,
        out: &mut Vec<std::borrow::Cow<'a, str>>,
    ) {
        let cut = if enc == TextEncoding::Windows1252 && !self.out.is_ascii() {
            self.decode_1252(scratch)
                .is_some_and(|(text, ends)| cut_fields(text, ends, out))
        } else {
            std::str::from_utf8(self.out).is_ok_and(|text| cut_fields(text, self.ends, out))
        };
        if !cut {
            out.extend(self.iter().map(|f| decode(enc, f, mixed)));
        }
    }

    /// Windows-1252 maps every byte to one character: the record is decoded in one pass, and
    /// each field ends where its last byte's character does. The text and those ends.
    fn decode_1252(&self, scratch: &'a mut Scratch) -> Option<(&'a str, &'a [usize])> {
        let high = high_1252();
        let Scratch { text, ends } = scratch;
        text.clear();
        ends.clear();
        let mut start = 0;
        for &end in self.ends {
            let field = &self.out[start..end];
            // Most fields of such a record are ASCII still: copied whole.
            if field.is_ascii() {
                text.extend_from_slice(field);
            } else {
                text.reserve(field.len() * 3);
                for &b in field {
                    if b.is_ascii() {
                        text.push(b);
                    } else {
                        let (utf8, len) = &high[usize::from(b & 0x7f)];
                        text.extend_from_slice(&utf8[..usize::from(*len)]);
                    }
                }
            }
            ends.push(text.len());
            start = end;
        }
        // ASCII bytes and whole characters' UTF-8: always text.
        let (text, ends): (&'a [u8], &'a [usize]) = (text, ends);
        Some((std::str::from_utf8(text).ok()?, ends))
    }
}

/// Cuts `text` at `ends` into borrowed fields pushed onto `out`; `false` (and `out` as it was)
/// when an end falls inside a character.
fn cut_fields<'a>(text: &'a str, ends: &[usize], out: &mut Vec<std::borrow::Cow<'a, str>>) -> bool {
    let before = out.len();
    let mut start = 0;
    let cut = ends.iter().all(|&end| {
        let field = text.get(start..end);
        start = end;
        field
            .map(|f| out.push(std::borrow::Cow::Borrowed(f)))
            .is_some()
    });
    if !cut {
        out.truncate(before);
    }
    cut
}

/// Room for decoding one record, reused from record to record.
#[derive(Default)]
struct Scratch {
    text: Vec<u8>,
    ends: Vec<usize>,
}

/// The UTF-8 of the Windows-1252 bytes 0x80–0xFF (bytes, length), as the decoder of every
/// other path (encoding_rs, the WHATWG mapping) gives them.
fn high_1252() -> &'static [([u8; 3], u8); 128] {
    static HIGH: std::sync::LazyLock<[([u8; 3], u8); 128]> = std::sync::LazyLock::new(|| {
        std::array::from_fn(|i| {
            let byte = [0x80 | i as u8];
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&byte);
            let mut utf8 = [0u8; 3];
            let c = text.chars().next().unwrap_or(char::REPLACEMENT_CHARACTER);
            let len = c.encode_utf8(&mut utf8).len();
            (utf8, len as u8)
        })
    });
    &HIGH
}

impl RecordReader {
    fn new(delimiter: u8, max_record_bytes: usize, max_columns: usize) -> Self {
        Self {
            inner: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 64 * 1024],
            out_len: 0,
            ends: vec![0; 256],
            ends_len: 0,
            max_record_bytes,
            max_columns,
            record: 0,
            between: false,
            delimiter,
        }
    }

    /// The next record when its whole line is in `input` and holds no quote (most lines of
    /// most files): split at its delimiters, which is what csv_core makes of such a line, at
    /// a fraction of the cost of its state machine. `None` leaves the line to csv_core: a
    /// quote, a line not complete yet, or one beyond the buffers (which csv_core grows or
    /// refuses).
    fn plain(&mut self, input: &mut &[u8]) -> Option<(usize, usize)> {
        if !self.between {
            return None;
        }
        // Empty lines and the `\n` of a `\r\n` are skipped, as csv_core skips them.
        let start = input
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(input.len());
        let rest = &input[start..];
        let end = memchr::memchr2(b'\n', b'\r', rest)?;
        let line = &rest[..end];
        if line.len() > self.out.len() || memchr::memchr(b'"', line).is_some() {
            return None;
        }
        let delimiter = self.delimiter;
        let (mut field_start, mut out_len, mut n) = (0, 0, 0);
        for at in memchr::memchr_iter(delimiter, line).chain(std::iter::once(line.len())) {
            if n == self.ends.len() {
                return None;
            }
            let field = &line[field_start..at];
            self.out[out_len..out_len + field.len()].copy_from_slice(field);
            out_len += field.len();
            self.ends[n] = out_len;
            n += 1;
            field_start = at + 1;
        }
        *input = &rest[end..];
        self.record += 1;
        Some((out_len, n))
    }

    /// The next complete record, or `None` when `input` is used up (more input may follow
    /// unless `eof`).
    fn next(&mut self, input: &mut &[u8], eof: bool) -> Result<Option<Fields<'_>>, IngestError> {
        use csv_core::ReadRecordResult as R;
        loop {
            if let Some((len, n)) = self.plain(input) {
                return Ok(Some(Fields {
                    out: &self.out[..len],
                    ends: &self.ends[..n],
                }));
            }
            if input.is_empty() && !eof {
                return Ok(None);
            }
            self.between = false;
            let (res, nin, nout, nend) = self.inner.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            *input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match res {
                R::InputEmpty => {
                    if !eof {
                        return Ok(None);
                    }
                }
                R::OutputFull => {
                    if self.out.len() >= self.max_record_bytes {
                        return Err(IngestError::Data(
                            Msg::new("ingest.line_too_long")
                                .arg("line", self.record + 1)
                                .arg("mb", self.max_record_bytes / (1024 * 1024)),
                        ));
                    }
                    let new_len = (self.out.len() * 2).min(self.max_record_bytes);
                    self.out.resize(new_len, 0);
                }
                R::OutputEndsFull => {
                    if self.ends.len() > self.max_columns {
                        return Err(IngestError::Data(
                            Msg::new("ingest.line_too_wide")
                                .arg("line", self.record + 1)
                                .arg("max", self.max_columns),
                        ));
                    }
                    let new_len = self.ends.len() * 2;
                    self.ends.resize(new_len, 0);
                }
                R::Record => {
                    self.record += 1;
                    self.between = true;
                    let (len, n) = (self.out_len, self.ends_len);
                    self.out_len = 0;
                    self.ends_len = 0;
                    return Ok(Some(Fields {
                        out: &self.out[..len],
                        ends: &self.ends[..n],
                    }));
                }
                R::End => return Ok(None),
            }
        }
    }
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
