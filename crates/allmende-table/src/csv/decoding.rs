//! Windows-1252 input read as UTF-8: decoded a buffer at a time, before its records are split.
//! Every byte of Windows-1252 is one character and the delimiter, the quote and the line
//! breaks are ASCII, which decodes to itself: the decoded text splits into the same records
//! and fields. One decoder call per megabyte (its ASCII runs copied a word at a time) replaces
//! one per record, and every record is then text already.

use std::io::Read;

/// Reads `inner` (Windows-1252) and yields its text as UTF-8.
pub(super) struct Utf8From1252<R> {
    inner: R,
    raw: Vec<u8>,
    /// The undecoded bytes of `raw`: `raw[pos..len]`.
    pos: usize,
    len: usize,
    /// One decoded character that did not fit the caller's buffer (`held[..held_len]`).
    held: [u8; 4],
    held_len: usize,
    decoder: encoding_rs::Decoder,
}

const RAW_BYTES: usize = 256 * 1024;

impl<R: Read> Utf8From1252<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            raw: vec![0; RAW_BYTES],
            pos: 0,
            len: 0,
            held: [0; 4],
            held_len: 0,
            decoder: encoding_rs::WINDOWS_1252.new_decoder_without_bom_handling(),
        }
    }
}

impl<R: Read> Read for Utf8From1252<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.held_len > 0 {
            let n = self.held_len.min(out.len());
            out[..n].copy_from_slice(&self.held[..n]);
            self.held.copy_within(n..self.held_len, 0);
            self.held_len -= n;
            return Ok(n);
        }
        if self.pos == self.len {
            self.len = loop {
                match self.inner.read(&mut self.raw) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            self.pos = 0;
            if self.len == 0 {
                return Ok(0);
            }
        }
        // Single-byte decoding keeps no state between calls: `last` changes nothing, and
        // every byte maps to a character (the WHATWG table has no holes).
        let (_, read, written, _) =
            self.decoder
                .decode_to_utf8(&self.raw[self.pos..self.len], out, false);
        self.pos += read;
        if written > 0 || read > 0 {
            return Ok(written);
        }
        // `out` is shorter than the next character: decode it aside and hand out its start.
        let (_, read, written, _) =
            self.decoder
                .decode_to_utf8(&self.raw[self.pos..self.pos + 1], &mut self.held, false);
        self.pos += read;
        self.held_len = written;
        self.read(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `r` through buffers of `size` bytes.
    fn read_all(mut r: impl Read, size: usize) -> Vec<u8> {
        let mut all = Vec::new();
        let mut buf = vec![0; size];
        loop {
            let n = r.read(&mut buf).expect("read");
            if n == 0 {
                return all;
            }
            all.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn every_byte_decodes_as_the_whole_file_would_through_any_buffer() {
        // All 256 bytes, several times over, across the raw buffer's end.
        let input: Vec<u8> = (0..RAW_BYTES + 1000).map(|i| (i * 7 % 256) as u8).collect();
        let (expected, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&input);
        for size in [1, 2, 3, 5, 64, 1 << 20] {
            let got = read_all(Utf8From1252::new(&input[..]), size);
            assert_eq!(got, expected.as_bytes(), "buffer of {size}");
        }
    }
}
