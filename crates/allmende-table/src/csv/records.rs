//! CSV records: lines split at their delimiters (csv_core for what that cannot read) and
//! their fields decoded to text.

use allmende_core::i18n::Msg;

use crate::IngestError;
use crate::infer::Cell;
use serde::{Deserialize, Serialize};

/// The text encoding of a delimited file, as detected or given.
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

pub(super) fn decode<'a>(
    enc: TextEncoding,
    field: &'a [u8],
    mixed: &mut u64,
) -> std::borrow::Cow<'a, str> {
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

/// A line read without csv_core: in place (its fields' ends, how many) or copied to `out`
/// (the length there, how many fields).
enum Plain<'i> {
    InPlace(&'i [u8], usize),
    Copied(usize, usize),
}

/// Reads records one at a time from successive input slices.
pub(super) struct RecordReader {
    pub(super) inner: csv_core::Reader,
    out: Vec<u8>,
    pub(super) out_len: usize,
    ends: Vec<usize>,
    pub(super) ends_len: usize,
    max_record_bytes: usize,
    max_columns: usize,
    pub(super) record: u64,
    /// csv_core stands between two records: a plain line may be read without it.
    pub(super) between: bool,
    delimiter: u8,
}

/// A record's fields: each ends at its entry of `ends` in `out`, and the next starts `gap`
/// bytes later.
pub(super) struct Fields<'a> {
    pub(super) out: &'a [u8],
    pub(super) ends: &'a [usize],
    /// 0 where the fields were copied one after another (csv_core's output, a line with
    /// quotes), 1 where they are read in place from their line, the delimiter between them.
    pub(super) gap: usize,
}

impl<'a> Fields<'a> {
    pub(super) fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let f = &self.out[start..end];
            start = end + self.gap;
            f
        })
    }
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Decodes every field into `out`, as a text cell. A record read in place from `text`
    /// (decoded text the bytes were read from) is cut into borrowed fields as it is; one that
    /// reads as text as a whole (valid UTF-8, or ASCII in Windows-1252: nearly every other
    /// record) after one check of its bytes; any other is decoded field by field into
    /// `scratch` and cut there.
    pub(super) fn decode_into(
        &self,
        enc: TextEncoding,
        text: Option<&'a str>,
        mixed: &mut u64,
        scratch: &'a mut Scratch,
        out: &mut Vec<Cell<'a>>,
    ) {
        if let Some(line) = text.and_then(|t| super::decoding::within(t, self.out))
            && cut_fields(line, self.ends, self.gap, out)
        {
            return;
        }
        if (enc != TextEncoding::Windows1252 || self.out.is_ascii())
            && let Ok(text) = std::str::from_utf8(self.out)
            && cut_fields(text, self.ends, self.gap, out)
        {
            return;
        }
        scratch.text.clear();
        scratch.ends.clear();
        for f in self.iter() {
            scratch.text.push_str(&decode(enc, f, mixed));
            scratch.ends.push(scratch.text.len());
        }
        let scratch: &'a Scratch = scratch;
        // Each field ends where its own decoded text does: the cut succeeds.
        let cut = cut_fields(&scratch.text, &scratch.ends, 0, out);
        debug_assert!(cut);
    }
}

/// Cuts `text` at `ends` (each field starting `gap` bytes after the one before ends) into
/// borrowed text cells pushed onto `out`; `false` (and `out` as it was) when a cut falls
/// inside a character.
fn cut_fields<'a>(text: &'a str, ends: &[usize], gap: usize, out: &mut Vec<Cell<'a>>) -> bool {
    let before = out.len();
    let mut start = 0;
    let cut = ends.iter().all(|&end| {
        let field = text.get(start..end);
        start = end + gap;
        field.map(|f| out.push(Cell::Text(f))).is_some()
    });
    if !cut {
        out.truncate(before);
    }
    cut
}

/// Room for decoding one record, reused from record to record.
#[derive(Default)]
pub(super) struct Scratch {
    text: String,
    ends: Vec<usize>,
}

impl RecordReader {
    pub(super) fn new(delimiter: u8, max_record_bytes: usize, max_columns: usize) -> Self {
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

    /// The next record when its whole line is in `input` (most lines of most files): split at
    /// its delimiters, which is what csv_core makes of such a line, at a fraction of the cost
    /// of its state machine. A quoted field is taken when its closing quote ends it on the same
    /// line (`"Veranstaltung „Reichsstädter Tage“"`). `None` leaves the line to csv_core: a
    /// quote inside a field or a doubled one, a line break inside quotes, a line not complete
    /// yet, or one beyond the buffers (which csv_core grows or refuses).
    fn plain<'i>(&mut self, input: &mut &'i [u8]) -> Option<Plain<'i>> {
        if !self.between {
            return None;
        }
        // Empty lines and the `\n` of a `\r\n` are skipped, as csv_core skips them.
        let start = input
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .unwrap_or(input.len());
        let rest = &input[start..];
        let found = super::split::line(rest, self.delimiter, &mut self.ends);
        let Some(super::split::Line {
            end,
            fields,
            quoted,
        }) = found
        else {
            // No line end yet, or more fields than `ends` holds: csv_core reads it.
            return None;
        };
        let line = &rest[..end];
        if line.len() > self.out.len() {
            return None;
        }
        let plain = if quoted || !self.delimiter.is_ascii() {
            let (out_len, n) = self.split_quoted(line)?;
            Plain::Copied(out_len, n)
        } else {
            Plain::InPlace(line, fields)
        };
        *input = &rest[end..];
        self.record += 1;
        Some(plain)
    }

    /// A line with quotes (or a delimiter beyond ASCII, which decoding may widen), its fields
    /// copied to `out`: a field that starts with a quote ends at the next quote, which a
    /// delimiter or the line's end must follow (else csv_core reads the line); a quote inside
    /// an unquoted field is a character like any other, as csv_core takes it.
    fn split_quoted(&mut self, line: &[u8]) -> Option<(usize, usize)> {
        let delimiter = self.delimiter;
        let (mut at, mut out_len, mut n) = (0, 0, 0);
        loop {
            let (field, next) = if line.get(at) == Some(&b'"') {
                let close = at + 1 + memchr::memchr(b'"', line.get(at + 1..)?)?;
                match line.get(close + 1) {
                    None => (&line[at + 1..close], None),
                    Some(&b) if b == delimiter => (&line[at + 1..close], Some(close + 2)),
                    Some(_) => return None,
                }
            } else {
                let rest = line.get(at..)?;
                match memchr::memchr(delimiter, rest) {
                    Some(d) => (&rest[..d], Some(at + d + 1)),
                    None => (rest, None),
                }
            };
            out_len = self.put(n, out_len, field)?;
            n += 1;
            match next {
                Some(next) => at = next,
                None => return Some((out_len, n)),
            }
        }
    }

    /// Copies field number `n` to `out` at `out_len`; the new length, or `None` when `ends`
    /// is full (csv_core grows it or refuses the line).
    fn put(&mut self, n: usize, out_len: usize, field: &[u8]) -> Option<usize> {
        if n == self.ends.len() {
            return None;
        }
        let end = out_len + field.len();
        self.out.get_mut(out_len..end)?.copy_from_slice(field);
        self.ends[n] = end;
        Some(end)
    }

    /// The next complete record, or `None` when `input` is used up (more input may follow
    /// unless `eof`).
    pub(super) fn next<'s, 'i: 's>(
        &'s mut self,
        input: &mut &'i [u8],
        eof: bool,
    ) -> Result<Option<Fields<'s>>, IngestError> {
        use csv_core::ReadRecordResult as R;
        loop {
            match self.plain(input) {
                Some(Plain::InPlace(line, n)) => {
                    return Ok(Some(Fields {
                        out: line,
                        ends: &self.ends[..n],
                        gap: 1,
                    }));
                }
                Some(Plain::Copied(len, n)) => {
                    return Ok(Some(Fields {
                        out: &self.out[..len],
                        ends: &self.ends[..n],
                        gap: 0,
                    }));
                }
                None => {}
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
                        gap: 0,
                    }));
                }
                R::End => return Ok(None),
            }
        }
    }
}
