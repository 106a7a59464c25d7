//! Tests of the CSV reader: dialect sniffing, plain lines against csv-core, decoding.

use super::records::Fields;
use super::*;

#[test]
fn delimiters() {
    assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n4;5,5;6\n"), b';');
    assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n"), b',');
    assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n"), b'\t');
    assert_eq!(sniff_delimiter(b"a|b\n1|2\n"), b'|');
}

#[test]
fn encodings() {
    assert_eq!(sniff_encoding("Straße".as_bytes()), TextEncoding::Utf8);
    assert_eq!(sniff_encoding(b"Stra\xdfe"), TextEncoding::Windows1252);
    assert_eq!(sniff_utf16(b"\xFF\xFEa\0b\0"), Some(TextEncoding::Utf16le));
    assert_eq!(
        sniff_utf16(b"a\0;\0b\0\n\0c\0;\0"),
        Some(TextEncoding::Utf16le)
    );
}

fn records(r: &mut RecordReader, input: &[u8], chunk: usize) -> Vec<Vec<Vec<u8>>> {
    let mut got = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut fed = 0;
    loop {
        let eof = fed >= input.len();
        if !eof {
            let to = (fed + chunk).min(input.len());
            pending.extend_from_slice(&input[fed..to]);
            fed = to;
        }
        let mut rest: &[u8] = &pending;
        while let Some(f) = r.next(&mut rest, eof).unwrap() {
            got.push(f.iter().map(<[u8]>::to_vec).collect());
        }
        let used = pending.len() - rest.len();
        pending.drain(..used);
        if eof {
            return got;
        }
    }
}

/// What csv_core reads from `input` (with `;` as the delimiter): the reference.
fn csv_core_records(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
    csv_core_records_with(
        &mut csv_core::ReaderBuilder::new().delimiter(b';').build(),
        input,
    )
}

/// The same with a reader built once (building one costs more than reading a short input).
fn csv_core_records_with(reference: &mut csv_core::Reader, input: &[u8]) -> Vec<Vec<Vec<u8>>> {
    reference.reset();
    let (mut out, mut ends) = (vec![0u8; 1024], vec![0usize; 64]);
    let mut expected = Vec::new();
    let (mut rest, mut out_len, mut ends_len) = (input, 0, 0);
    loop {
        let (res, nin, nout, nend) =
            reference.read_record(rest, &mut out[out_len..], &mut ends[ends_len..]);
        rest = &rest[nin..];
        out_len += nout;
        ends_len += nend;
        match res {
            csv_core::ReadRecordResult::Record => {
                let fields = Fields {
                    out: &out[..out_len],
                    ends: &ends[..ends_len],
                    gap: 0,
                };
                expected.push(fields.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
                (out_len, ends_len) = (0, 0);
            }
            csv_core::ReadRecordResult::End => return expected,
            _ => {}
        }
    }
}

/// Every input of up to seven bytes over a letter, the delimiter, a quote and both line
/// breaks reads as csv_core reads it, whole and in pieces: quoted fields, doubled quotes,
/// quotes inside fields and line breaks inside quotes in every arrangement that short.
#[test]
fn every_short_input_reads_like_csv_core() {
    const ALPHABET: [u8; 5] = [b'a', b';', b'"', b'\n', b'\r'];
    let mut inputs: Vec<Vec<u8>> = vec![Vec::new()];
    let mut last: Vec<Vec<u8>> = vec![Vec::new()];
    for _ in 0..7 {
        last = last
            .iter()
            .flat_map(|s| {
                ALPHABET.iter().map(move |&b| {
                    let mut s = s.clone();
                    s.push(b);
                    s
                })
            })
            .collect();
        inputs.extend(last.iter().cloned());
    }
    let mut reference = csv_core::ReaderBuilder::new().delimiter(b';').build();
    let mut r = RecordReader::new(b';', 1 << 20, 100);
    for input in &inputs {
        let expected = csv_core_records_with(&mut reference, input);
        for chunk in [1, 3, 64] {
            // As new: at the start of a file, between no records yet.
            r.inner.reset();
            (r.out_len, r.ends_len, r.record, r.between) = (0, 0, 0, false);
            assert_eq!(
                records(&mut r, input, chunk),
                expected,
                "{:?} in pieces of {chunk}",
                String::from_utf8_lossy(input)
            );
        }
    }
}

/// Lines read without the state machine give what csv_core gives, wherever the input is
/// cut into pieces: empty lines, `\r\n` and lone `\r`, quotes (inside a field, around a
/// separator or a line break), empty fields and a last line without its line break.
#[test]
fn plain_lines_read_like_csv_core() {
    let inputs: [&[u8]; 8] = [
        b"a;b\r\nc;d\r\n",
        b"a;b\n\n\nc;\"d;e\"\nf;g",
        b"\"q\";x\r\ny;z\r",
        b"h\r\n;;\r\n x ;y\r\n\r\n",
        b"k;v\na;b\"c;d\n",
        b"k\ra\rb\r\rc",
        b"k;v\na;\"x\ny\"\nz;w\n",
        b"k;v\n1;2\n\"3\";4\n5;6",
    ];
    for input in inputs {
        let expected = csv_core_records(input);
        for chunk in [1, 2, 3, 5, 64] {
            let mut r = RecordReader::new(b';', 1 << 20, 100);
            assert_eq!(
                records(&mut r, input, chunk),
                expected,
                "{input:?} in pieces of {chunk}"
            );
        }
    }
}

/// The text of text cells (and what other cells there are, which `decode_into` never gives).
fn texts(cells: &[Cell<'_>]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c {
            Cell::Text(s) => s.to_string(),
            other => format!("{other:?}"),
        })
        .collect()
}

/// A delimiter beyond ASCII (`§` in Windows-1252), which decoding widens: its lines read as
/// csv_core reads them, and their records decode like their fields one by one.
#[test]
fn a_delimiter_beyond_ascii_reads_like_csv_core() {
    let input: &[u8] = b"k\xa7v\nStra\xdfe\xa71,5\n\xa7\n\"a\xa7b\"\xa7c\n";
    let expected = csv_core_records_with(
        &mut csv_core::ReaderBuilder::new().delimiter(0xa7).build(),
        input,
    );
    assert_eq!(expected.len(), 4);
    for chunk in [1, 5, 64] {
        let mut r = RecordReader::new(0xa7, 1 << 20, 100);
        assert_eq!(records(&mut r, input, chunk), expected, "pieces of {chunk}");
    }
    let mut r = RecordReader::new(0xa7, 1 << 20, 100);
    let mut rest = input;
    while let Some(fields) = r.next(&mut rest, true).unwrap() {
        let (mut a, mut b) = (0, 0);
        let (mut whole, mut scratch) = (Vec::new(), Scratch::default());
        let enc = TextEncoding::Windows1252;
        fields.decode_into(enc, None, &mut a, &mut scratch, &mut whole);
        let one_by_one: Vec<_> = fields.iter().map(|f| decode(enc, f, &mut b)).collect();
        assert_eq!(texts(&whole), one_by_one);
    }
}

/// A record's cells equal its fields decoded one by one, whether the record is text as a
/// whole (cut in place) or not (decoded field by field).
#[test]
fn records_decode_like_their_fields() {
    // Every byte above ASCII, with fields of one byte, of several and empty ones between.
    let high: Vec<u8> = (0x80..=0xff).collect();
    let high_ends: Vec<usize> = (1..=high.len()).step_by(7).chain([high.len(); 2]).collect();
    let records: [(&[u8], &[usize], usize); 12] = [
        // csv_core's output: the fields one after another, without separators.
        (b"Parkhaus1245,3", &[8, 10, 14], 0),
        (b"Schlo\xdfstra\xdfex", &[12, 13], 0),
        (b"\x84Reichsst\xe4dter Tage\x93;\x80", &[0, 20, 22, 22], 0),
        ("Rötenberg„gut“".as_bytes(), &[10, 19], 0),
        // Valid UTF-8 as a whole, but the boundary cuts `ö` in two.
        ("aö".as_bytes(), &[2, 3], 0),
        (b"", &[], 0),
        (&high, &high_ends, 0),
        // Lines read in place: the delimiter between the fields.
        (b"Parkhaus;12;45,3", &[8, 11, 16], 1),
        (b"Schlo\xdfstra\xdfe;x", &[12, 14], 1),
        (
            b"\x84Reichsst\xe4dter Tage\x93;;\x80;",
            &[20, 21, 23, 24],
            1,
        ),
        ("Rötenberg;„gut“".as_bytes(), &[10, 20], 1),
        (b";", &[0, 1], 1),
    ];
    for enc in [TextEncoding::Utf8, TextEncoding::Windows1252] {
        for (out, ends, gap) in records {
            let fields = Fields { out, ends, gap };
            let (mut a, mut b) = (0, 0);
            let mut whole = Vec::new();
            let mut scratch = Scratch::default();
            fields.decode_into(enc, None, &mut a, &mut scratch, &mut whole);
            let one_by_one: Vec<_> = fields.iter().map(|f| decode(enc, f, &mut b)).collect();
            assert_eq!(texts(&whole), one_by_one, "{enc:?} {out:?}");
            assert_eq!(a, b);
            // Read in place from decoded text (a copy of the record that is text): cut as it
            // is, or (a cut inside a character) decoded as without the text.
            if enc == TextEncoding::Utf8
                && let Ok(text) = std::str::from_utf8(out)
            {
                let text = text.to_string();
                let fields = Fields {
                    out: text.as_bytes(),
                    ends,
                    gap,
                };
                let mut c = 0;
                let (mut in_text, mut scratch) = (Vec::new(), Scratch::default());
                fields.decode_into(enc, Some(&text), &mut c, &mut scratch, &mut in_text);
                assert_eq!(texts(&in_text), one_by_one, "in text: {out:?}");
                assert_eq!(c, b);
            }
        }
    }
}

/// Every row of a file, as text.
fn scanned(path: &std::path::Path, overrides: &CsvOverrides) -> Vec<Vec<String>> {
    let mut src = CsvSource::open(path, overrides, 1 << 20, 100).expect("open");
    let mut rows = Vec::new();
    src.scan(&mut |cells| {
        rows.push(texts(cells));
        Ok(())
    })
    .expect("scan");
    rows
}

/// A Windows-1252 file is decoded before its records are split (when its delimiter is ASCII):
/// it reads as its UTF-8 copy does, across the buffers' ends, with quoted fields, line breaks
/// inside quotes, `\r\n` and empty lines; with a delimiter beyond ASCII it is decoded as its
/// records are read and gives the same rows again.
#[test]
fn a_windows_1252_file_reads_like_its_utf8_copy() {
    let mut text = String::from("Messstelle;Straße;Wert;Bemerkung\r\n");
    let notes = [
        "",
        "\"Veranstaltung „Reichsstädter Tage“\"",
        "\"zwei\r\nZeilen\"",
        "Größe ½ ‰",
        "\"a \"\"b\"\" c\"",
    ];
    let mut i = 0usize;
    while text.len() < 3 << 20 {
        let note = notes[i % notes.len()];
        text.push_str(&format!(
            "Parkhaus Nr. {i};Schloßstraße {};{},{};{note}\n",
            i % 97,
            i % 1000,
            i % 10
        ));
        if i.is_multiple_of(1000) {
            text.push('\n');
        }
        i += 1;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (utf8, cp1252, section) = (
        dir.path().join("u.csv"),
        dir.path().join("w.csv"),
        dir.path().join("s.csv"),
    );
    std::fs::write(&utf8, &text).expect("write");
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    std::fs::write(&cp1252, &bytes).expect("write");
    let expected = scanned(&utf8, &CsvOverrides::default());
    assert!(expected.len() > 30_000);
    assert!(expected.iter().any(|r| r[3] == "zwei\r\nZeilen"));
    let got = scanned(&cp1252, &CsvOverrides::default());
    assert!(got == expected, "the Windows-1252 file reads differently");
    // `§` (0xA7) as the delimiter: no longer one byte once decoded.
    let sections = text.replace(';', "§");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&sections);
    std::fs::write(&section, &bytes).expect("write");
    let overrides = CsvOverrides {
        encoding: Some(TextEncoding::Windows1252),
        delimiter: Some(0xa7),
        header_row: None,
    };
    assert!(
        scanned(&section, &overrides) == expected,
        "with § between the fields"
    );
}
