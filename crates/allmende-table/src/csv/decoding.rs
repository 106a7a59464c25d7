//! Windows-1252 input read as UTF-8 text: decoded a buffer at a time, before its records are
//! split. Every byte of Windows-1252 is one character and the delimiter, the quote and the line
//! breaks are ASCII, which decodes to itself: the decoded text splits into the same records
//! and fields. One decoder call per buffer (its ASCII runs copied a word at a time) replaces
//! one per record, and the buffer is a `str`: a record read in place from it is text without
//! a UTF-8 check of its bytes.

use std::io::Read;

/// Reads `inner` (Windows-1252) as UTF-8 text, a buffer at a time, for a reader that takes
/// what it is given and says how much of it it consumed (as from a `BufRead`).
pub(super) struct DecodedText<R> {
    inner: R,
    raw: Vec<u8>,
    text: String,
    /// Bytes of `text` consumed.
    pos: usize,
    decoder: encoding_rs::Decoder,
}

const RAW_BYTES: usize = 256 * 1024;

impl<R: Read> DecodedText<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            raw: vec![0; RAW_BYTES],
            text: String::new(),
            pos: 0,
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
        }
    }

    /// The decoded bytes not consumed yet (none at the end of the input), and the text of the
    /// whole buffer they are the end of.
    pub(super) fn fill(&mut self) -> std::io::Result<(&[u8], &str)> {
        if self.pos >= self.text.len() {
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            self.text.clear();
            self.pos = 0;
            // Single-byte decoding keeps no state between calls (`last` changes nothing) and
            // maps every byte to a character (the WHATWG table has no holes). With room for the
            // longest decoding reserved, one call takes all of `raw`.
            let mut read = 0;
            while read < n {
                let rest = &self.raw[read..n];
                self.text.reserve(
                    self.decoder
                        .max_utf8_buffer_length(rest.len())
                        .unwrap_or(rest.len() * 3),
                );
                let (_, taken, _) = self.decoder.decode_to_string(rest, &mut self.text, false);
                read += taken;
            }
        }
        Ok((&self.text.as_bytes()[self.pos..], &self.text))
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.text.len());
    }
}

/// `part` as text, when it lies inside `text` and starts and ends between characters there.
pub(super) fn within<'t>(text: &'t str, part: &[u8]) -> Option<&'t str> {
    let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    text.get(start..start.checked_add(part.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `r` to its end, consuming at most `step` bytes at a time.
    fn read_all(mut r: DecodedText<&[u8]>, step: usize) -> Vec<u8> {
        let mut all = Vec::new();
        loop {
            let (bytes, text) = r.fill().expect("read");
            if bytes.is_empty() {
                return all;
            }
            let n = step.min(bytes.len());
            // What is handed out is the end of the text handed out with it.
            let rest = &text.as_bytes()[text.len() - bytes.len()..];
            assert!(std::ptr::eq(rest, bytes));
            all.extend_from_slice(&bytes[..n]);
            r.consume(n);
        }
    }

    #[test]
    fn every_byte_decodes_as_the_whole_file_would_however_it_is_consumed() {
        // All 256 bytes, several times over, across the raw buffer's end.
        let input: Vec<u8> = (0..RAW_BYTES + 1000).map(|i| (i * 7 % 256) as u8).collect();
        let (expected, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&input);
        for step in [1, 2, 3, 5, 64, 1 << 20] {
            let got = read_all(DecodedText::new(&input[..]), step);
            assert_eq!(got, expected.as_bytes(), "consumed {step} at a time");
        }
    }

    #[test]
    fn only_a_part_of_the_text_between_characters_is_text() {
        let text = "Straße;Größe";
        let bytes = text.as_bytes();
        assert_eq!(within(text, &bytes[..6]), Some("Straß"));
        assert_eq!(within(text, &bytes[8..]), Some("Größe"));
        // Inside the two bytes of "ß": not text.
        assert_eq!(within(text, &bytes[..5]), None);
        assert_eq!(within(text, &bytes[5..8]), None);
        // Bytes elsewhere, though equal: not a part of this text.
        let copy = bytes.to_vec();
        assert_eq!(within(text, &copy[..6]), None);
    }
}
