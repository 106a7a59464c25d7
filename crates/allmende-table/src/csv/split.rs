//! One line's end and its fields' ends, found in one pass over its bytes, sixteen at a time.
//! A search per field (memchr) pays its setup for every few bytes of a short field, and the
//! line end and the quotes cost a pass each; here each block of the line is compared with the
//! delimiter, the quote and the line breaks at once, and the matches come out as bit masks.

/// What one pass found in a line.
pub(super) struct Line {
    /// Where the line ends (at its `\n` or `\r`).
    pub(super) end: usize,
    /// How many fields it has: their ends are the first entries of the `ends` given.
    pub(super) fields: usize,
    /// Whether a quote occurs: then the delimiters found may lie inside a quoted field.
    pub(super) quoted: bool,
}

/// Bit `i` set where byte `i` of `block` is the delimiter, a quote, a line break.
#[derive(Debug, PartialEq)]
struct Masks {
    delimiters: u32,
    quotes: u32,
    breaks: u32,
}

/// The masks with SSE2, which every x86_64 processor has: one compare per byte sought and one
/// instruction to gather each result's bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(block: &[u8; 16], delimiter: u8) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 belongs to every x86_64 processor (the target's baseline), and the
    // unaligned load reads exactly the 16 bytes `block` holds.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let delimiters = _mm_cmpeq_epi8(v, _mm_set1_epi8(delimiter as i8));
        let quotes = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let breaks = _mm_or_si128(
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
            _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8)),
        );
        // The sign bits of 16 bytes: the upper half of the result is zero.
        Masks {
            delimiters: _mm_movemask_epi8(delimiters) as u32,
            quotes: _mm_movemask_epi8(quotes) as u32,
            breaks: _mm_movemask_epi8(breaks) as u32,
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn masks(block: &[u8; 16], delimiter: u8) -> Masks {
    bytewise_masks(block, delimiter)
}

/// The masks byte by byte: elsewhere, and the reference for the fast ones.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn bytewise_masks(block: &[u8; 16], delimiter: u8) -> Masks {
    let mut m = Masks {
        delimiters: 0,
        quotes: 0,
        breaks: 0,
    };
    for (i, &b) in block.iter().enumerate() {
        m.delimiters |= u32::from(b == delimiter) << i;
        m.quotes |= u32::from(b == b'"') << i;
        m.breaks |= u32::from(b == b'\n' || b == b'\r') << i;
    }
    m
}

/// The line starting at `rest[0]`: its end, and the end of each field (split at every
/// `delimiter`) in `ends`. `None` when `rest` holds no line break (the line may not be
/// complete yet) or the line has more fields than `ends` has room for.
pub(super) fn line(rest: &[u8], delimiter: u8, ends: &mut [usize]) -> Option<Line> {
    let (mut n, mut quoted, mut base) = (0, false, 0);
    loop {
        let (block, len) = match rest.get(base..base + 16) {
            Some(b) => (<[u8; 16]>::try_from(b).ok()?, 16),
            None => {
                let tail = rest.get(base..)?;
                if tail.is_empty() {
                    return None;
                }
                let mut block = [0u8; 16];
                block[..tail.len()].copy_from_slice(tail);
                (block, tail.len())
            }
        };
        let m = masks(&block, delimiter);
        // The bytes that belong to `rest` (the padding beyond a short tail does not).
        let valid = (1u32 << len) - 1;
        let breaks = m.breaks & valid;
        // The bytes before the line break, if there is one in this block.
        let before = if breaks == 0 {
            valid
        } else {
            (1u32 << breaks.trailing_zeros()) - 1
        };
        quoted |= m.quotes & before != 0;
        let mut delimiters = m.delimiters & before;
        while delimiters != 0 {
            *ends.get_mut(n)? = base + delimiters.trailing_zeros() as usize;
            n += 1;
            delimiters &= delimiters - 1;
        }
        if breaks != 0 {
            let end = base + breaks.trailing_zeros() as usize;
            *ends.get_mut(n)? = end;
            return Some(Line {
                end,
                fields: n + 1,
                quoted,
            });
        }
        if len < 16 {
            return None;
        }
        base += 16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same line read byte by byte.
    fn reference(rest: &[u8], delimiter: u8) -> Option<(usize, Vec<usize>, bool)> {
        let end = rest.iter().position(|&b| b == b'\n' || b == b'\r')?;
        let line = &rest[..end];
        let mut ends: Vec<usize> = (0..end).filter(|&i| line[i] == delimiter).collect();
        ends.push(end);
        Some((end, ends, line.contains(&b'"')))
    }

    #[test]
    fn every_short_line_splits_like_a_byte_by_byte_reading() {
        // All strings of up to 5 symbols over an alphabet with the delimiter, a quote, both
        // line breaks, a byte beyond ASCII and a zero byte (the padding's value), at every
        // offset within a block, so each lands at every position of a block and of a short tail.
        let alphabet = [b';', b'"', b'\n', b'\r', 0xE4, 0, b'a'];
        let mut checked = 0;
        for len in 0..=5u32 {
            for code in 0..alphabet.len().pow(len) {
                let mut s = Vec::new();
                let mut c = code;
                for _ in 0..len {
                    s.push(alphabet[c % alphabet.len()]);
                    c /= alphabet.len();
                }
                for prefix in 0..17 {
                    let mut input = vec![b'x'; prefix];
                    input.extend_from_slice(&s);
                    for delimiter in [b';', 0u8] {
                        let mut ends = vec![0; 16];
                        let got = line(&input, delimiter, &mut ends)
                            .map(|l| (l.end, ends[..l.fields].to_vec(), l.quoted));
                        assert_eq!(got, reference(&input, delimiter), "{input:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 300_000);
    }

    #[test]
    fn the_fast_masks_are_the_bytewise_ones() {
        // Every byte value at every position, beside each of the bytes sought.
        for delimiter in [b';', b',', b'\t', 0, 0xa7] {
            for at in 0..16 {
                for b in 0..=255u8 {
                    let mut block = [b; 16];
                    block[at] = [delimiter, b'"', b'\n', b'\r'][usize::from(b) % 4];
                    assert_eq!(masks(&block, delimiter), bytewise_masks(&block, delimiter));
                }
            }
        }
    }

    #[test]
    fn a_line_with_more_fields_than_room_is_left_alone() {
        let mut ends = vec![0; 3];
        assert!(line(b"a;b;c;d\n", b';', &mut ends).is_none());
        assert_eq!(line(b"a;b;c\n", b';', &mut ends).map(|l| l.fields), Some(3));
    }
}
