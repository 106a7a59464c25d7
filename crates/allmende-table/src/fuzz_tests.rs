//! Property tests that feed every reader what a stranger could upload: real municipal files
//! with random damage, German-CSV-shaped noise, raw bytes, and expressions for the records
//! API. No input may panic, hang or crash a reader; what is read must be a valid table. The
//! number of cases follows `PROPTEST_CASES` (CI: the default; `scripts/fuzz`: many more);
//! proptest keeps failing inputs in `proptest-regressions/`, which run first every time.

use std::path::Path;

use proptest::prelude::*;

use crate::{IngestOptions, Limits, ingest};

/// Real files as cities publish them (the demo's copies, with their sources).
const CORPUS: &[(&str, &[u8])] = &[
    (
        "parken.csv",
        include_bytes!("../../allmende/demo/bietigheim_bissingen_parking_latin1_epochms.csv"),
    ),
    (
        "haushalt.csv",
        include_bytes!("../../allmende/demo/koeln_gesamtergebnisplan_thousands_dots.csv"),
    ),
    (
        "owi.csv",
        include_bytes!("../../allmende/demo/muenster_owi_ruhender_verkehr_bom_semicolon.csv"),
    ),
    (
        "wetter.xlsx",
        include_bytes!("../../allmende/demo/muenster_wetter_taeglich_serialdates.xlsx"),
    ),
    (
        "parken.json",
        include_bytes!("../../allmende/demo/aalen_parking_occupancy.json"),
    ),
    (
        "sensoren.json",
        include_bytes!("../../allmende/demo/ulm_sensors_realtime_parking_sites.json"),
    ),
];

/// Reads `bytes` as an upload named `name`; panics (the failure proptest reports) only when a
/// reader panics or a table it reports is not what it wrote.
fn read(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("eingabe");
    std::fs::write(&input, bytes).expect("write input");
    let out = dir.path().join("ausgabe.parquet");
    let limits = Limits {
        max_columns: 300,
        max_record_bytes: 1 << 20,
        max_unpacked_bytes: 64 << 20,
    };
    if let Ok(report) = ingest(
        &input,
        Some(name),
        &IngestOptions::default(),
        limits,
        &out,
        &|_, _| {},
    ) {
        let rows = parquet_rows(&out);
        assert_eq!(rows, report.rows, "{name}: report and snapshot disagree");
        assert!(!report.columns.is_empty());
    }
}

fn parquet_rows(path: &Path) -> u64 {
    let file = std::fs::File::open(path).expect("snapshot written");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("valid parquet");
    reader.metadata().file_metadata().num_rows() as u64
}

/// Random damage: byte flips, insertions, deletions, a cut-off end.
fn mutated() -> impl Strategy<Value = (String, Vec<u8>)> {
    (
        0..CORPUS.len(),
        prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 1..24),
        prop::option::of(any::<u16>()),
    )
        .prop_map(|(i, edits, cut)| {
            let (name, bytes) = CORPUS[i];
            let mut b = bytes.to_vec();
            for (pos, byte, op) in edits {
                if b.is_empty() {
                    b.push(byte);
                    continue;
                }
                let p = pos as usize % b.len();
                match op {
                    0 => b[p] = byte,
                    1 => b.insert(p, byte),
                    2 => {
                        b.remove(p);
                    }
                    _ => b[p] ^= 1 << (byte % 8),
                }
            }
            if let Some(c) = cut {
                let keep = c as usize % (b.len() + 1);
                b.truncate(keep.max(1));
            }
            (name.to_string(), b)
        })
}

/// Text shaped like German CSV: delimiters, quotes, line ends, decimal commas, dates, umlauts
/// in UTF-8 and Latin-1, BOMs, markers for missing values.
fn csv_like() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b";".to_vec()),
        Just(b",".to_vec()),
        Just(b"\t".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"1.234,56".to_vec()),
        Just(b"-7".to_vec()),
        Just(b"31.12.2024".to_vec()),
        Just(b"2024-12-31 23:59".to_vec()),
        Just("Straße".as_bytes().to_vec()),
        Just(b"Stra\xdfe".to_vec()),
        Just(b"\xef\xbb\xbf".to_vec()),
        Just(b"k.A.".to_vec()),
        Just(b"WAHR".to_vec()),
        Just(b"Quelle: Stadt Aalen".to_vec()),
        "[A-Za-z0-9 äöü]{1,12}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop::collection::vec(pieces, 0..400).prop_map(|v| v.concat())
}

/// JSON-shaped text: nesting, wrappers, long strings, broken tails.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        "[a-zäöü ]{0,20}".prop_map(serde_json::Value::from),
    ];
    let value = leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..8)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    (value, 0u8..4, any::<u16>()).prop_map(|(v, shape, cut)| {
        let mut text = match shape {
            0 => serde_json::json!([v, {"a": 1}]).to_string(),
            1 => serde_json::json!({"meta": v, "data": [{"a": 1}, {"b": "x"}]}).to_string(),
            2 => format!("{{\"a\": 1}}\n{v}\n{{\"b\": 2}}\n"),
            _ => v.to_string(),
        }
        .into_bytes();
        if cut % 3 == 0 {
            let keep = cut as usize % (text.len() + 1);
            text.truncate(keep);
        }
        text
    })
}

/// Cases per property: `PROPTEST_CASES`, or a quick default for every test run.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(48), ..ProptestConfig::default() })]

    #[test]
    fn damaged_real_files_never_crash_a_reader((name, bytes) in mutated()) {
        read(&name, &bytes);
        // The same bytes under another name: the content decides, the name only hints.
        read("umbenannt.csv", &bytes);
    }

    #[test]
    fn csv_shaped_noise_never_crashes_the_csv_reader(bytes in csv_like()) {
        read("daten.csv", &bytes);
        read("daten.txt", &bytes);
    }

    #[test]
    fn json_shaped_noise_never_crashes_the_json_readers(bytes in json_like()) {
        read("daten.json", &bytes);
        read("daten.ndjson", &bytes);
    }

    #[test]
    fn raw_bytes_never_crash_any_reader(bytes in prop::collection::vec(any::<u8>(), 0..2048), hint in 0usize..6) {
        let name = ["a.csv", "a.xlsx", "a.ods", "a.xls", "a.json", "a.parquet"][hint];
        read(name, &bytes);
    }

    #[test]
    fn expressions_never_crash_the_parser(text in "[ -~äöüß]{0,200}") {
        let _ = crate::query::expr::parse(&text);
        let _ = crate::query::expr::parse_list(&text, true);
        let _ = crate::query::expr::parse_list(&text, false);
    }

    #[test]
    fn expression_shaped_text_never_crashes_the_parser(
        parts in prop::collection::vec(prop_oneof![
            Just("("), Just(")"), Just(","), Just(" and "), Just(" or "), Just(" not "),
            Just(" = "), Just(" <> "), Just(" >= "), Just(" + "), Just(" * "), Just(" / "),
            Just(" in "), Just(" like "), Just(" between "), Just(" is null"), Just(" desc"),
            Just(" as x"), Just("\"Spalte\""), Just("'Text'"), Just("''"), Just("'"),
            Just("1.5e308"), Just("-9223372036854775808"), Just("31.12.2024"), Just("sum("),
            Just("count(*)"), Just("lower("), Just("year("), Just("*"), Just("\""),
        ], 0..60)
    ) {
        let text = parts.concat();
        let _ = crate::query::expr::parse(&text);
        let _ = crate::query::expr::parse_list(&text, true);
        let _ = crate::query::expr::parse_list(&text, false);
    }
}
