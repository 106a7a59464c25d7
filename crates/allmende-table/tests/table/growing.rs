//! Reading an upload while it arrives (`ingest_growing`): the table must be the one the whole
//! file gives, whatever the writer's pace, and a broken-off upload must fail, not end early.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use allmende_table::growing::Growth;
use allmende_table::{IngestOptions, Limits, ingest, ingest_growing};
use datafusion::arrow::array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn read_back(path: &Path) -> RecordBatch {
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    datafusion::arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
}

/// A German CSV large enough that the reader guesses types from a sample, converts while it
/// reads, and waits for bytes more than once; `late` puts a value at the very end that makes
/// `belegt` text (so the guess fails and the file is read a second time).
fn parking_csv(rows: usize, late: bool) -> Vec<u8> {
    let mut out = String::from("messstelle;zeitpunkt;belegt;auslastung\n");
    for i in 0..rows {
        out.push_str(&format!(
            "Parkhaus Süd {};{:02}.{:02}.2024 {:02}:{:02};{};{},{}\n",
            i % 7,
            i % 28 + 1,
            i % 12 + 1,
            i % 24,
            i % 60,
            i % 500,
            i % 100,
            i % 10
        ));
    }
    if late {
        out.push_str("Parkhaus Nord;01.01.2025 00:00;gesperrt;0,0\n");
    }
    encoding_rs::WINDOWS_1252.encode(&out).0.into_owned()
}

/// Writes `bytes` to `path` in pieces with pauses, then says it is complete (or breaks off
/// after half when `break_off`).
fn write_slowly(path: &Path, bytes: Vec<u8>, growth: Arc<Growth>, break_off: bool) {
    let mut f = std::fs::File::create(path).unwrap();
    let end = if break_off {
        bytes.len() / 2
    } else {
        bytes.len()
    };
    for piece in bytes[..end].chunks(48 * 1024) {
        f.write_all(piece).unwrap();
        f.flush().unwrap();
        std::thread::sleep(Duration::from_millis(3));
    }
    if break_off {
        growth.abort();
    } else {
        growth.complete(bytes.len() as u64);
    }
}

fn whole_and_growing(bytes: Vec<u8>, name: &str) -> (RecordBatch, RecordBatch) {
    let dir = tempfile::tempdir().unwrap();
    let whole_in = dir.path().join("whole");
    std::fs::write(&whole_in, &bytes).unwrap();
    let whole_out = dir.path().join("whole.parquet");
    let whole = ingest(
        &whole_in,
        Some(name),
        &IngestOptions::default(),
        Limits::default(),
        &whole_out,
        &|_, _| {},
    )
    .unwrap();

    let growing_in = dir.path().join("growing");
    std::fs::File::create(&growing_in).unwrap();
    let growth = Growth::new();
    let writer = {
        let (p, g) = (growing_in.clone(), growth.clone());
        std::thread::spawn(move || write_slowly(&p, bytes, g, false))
    };
    let growing_out = dir.path().join("growing.parquet");
    let growing = ingest_growing(
        &growing_in,
        growth,
        Some(name),
        &IngestOptions::default(),
        Limits::default(),
        &growing_out,
        &|_, _| {},
    )
    .unwrap();
    writer.join().unwrap();
    assert_eq!(growing.rows, whole.rows);
    assert_eq!(
        serde_json::to_value(&growing.columns).unwrap(),
        serde_json::to_value(&whole.columns).unwrap(),
        "the same columns, types and statistics"
    );
    assert_eq!(growing.dialect, whole.dialect);
    (read_back(&whole_out), read_back(&growing_out))
}

#[test]
fn an_upload_read_while_it_arrives_gives_the_table_of_the_whole_file() {
    let (whole, growing) = whole_and_growing(parking_csv(40_000, false), "belegung.csv");
    assert_eq!(whole.num_rows(), 40_000);
    assert_eq!(whole, growing);
    // The sample's guess broken by the last row: read again, still the same table.
    let (whole, growing) = whole_and_growing(parking_csv(40_000, true), "belegung.csv");
    assert_eq!(whole.num_rows(), 40_001);
    assert_eq!(whole, growing);
    // JSON is not read as it grows: it waits for the whole file, with the same result.
    let mut json = String::from("[");
    for i in 0..3000 {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&format!(r#"{{"stelle":"P{}","belegt":{}}}"#, i % 9, i));
    }
    json.push(']');
    let (whole, growing) = whole_and_growing(json.into_bytes(), "belegung.json");
    assert_eq!(whole.num_rows(), 3000);
    assert_eq!(whole, growing);
}

#[test]
fn a_broken_off_upload_fails_instead_of_ending_early() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("growing");
    std::fs::File::create(&input).unwrap();
    let growth = Growth::new();
    let writer = {
        let (p, g) = (input.clone(), growth.clone());
        std::thread::spawn(move || write_slowly(&p, parking_csv(40_000, false), g, true))
    };
    let result = ingest_growing(
        &input,
        growth,
        Some("belegung.csv"),
        &IngestOptions::default(),
        Limits::default(),
        &dir.path().join("out.parquet"),
        &|_, _| {},
    );
    writer.join().unwrap();
    let e = result.expect_err("half a file is not a table");
    assert!(matches!(e, allmende_table::IngestError::Io(_)), "{e:?}");
}
