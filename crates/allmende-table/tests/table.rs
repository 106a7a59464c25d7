//! Ingestion on German dialect fixtures and on real municipal files: asserted types and values,
//! read back from the Parquet snapshot with an independent reader (parquet's own).

use std::path::{Path, PathBuf};

use allmende_table::{ColumnType, IngestOptions, IngestReport, Limits, ingest};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Float64Type, Int64Type, TimestampMicrosecondType};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

/// A real municipal file: the test fixtures, or the demo's files (both in the repository).
fn real(name: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fixture = crate_dir.join("tests/fixtures/real").join(name);
    if fixture.exists() {
        fixture
    } else {
        crate_dir.join("../allmende/demo").join(name)
    }
}

struct Loaded {
    report: IngestReport,
    batch: RecordBatch,
    /// The Parquet file's key-value metadata, as readers see it in the schema.
    metadata: std::collections::HashMap<String, String>,
    _dir: tempfile::TempDir,
}

fn load_path(
    path: &Path,
    name: &str,
    opts: &IngestOptions,
) -> Result<Loaded, allmende_table::IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.parquet");
    let report = ingest(path, Some(name), opts, Limits::default(), &out, &|_, _| {})?;
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap()).unwrap();
    let metadata = builder.schema().metadata().clone();
    let reader = builder.build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches.first().map(|b| b.schema()).unwrap();
    let batch = datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap();
    assert_eq!(batch.num_rows() as u64, report.rows);
    Ok(Loaded {
        report,
        batch,
        metadata,
        _dir: dir,
    })
}

fn load_bytes(bytes: &[u8], name: &str) -> Loaded {
    try_bytes(bytes, name, &IngestOptions::default()).unwrap()
}

fn try_bytes(
    bytes: &[u8],
    name: &str,
    opts: &IngestOptions,
) -> Result<Loaded, allmende_table::IngestError> {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    let l = load_path(&p, name, opts);
    drop(dir);
    l
}

impl Loaded {
    fn kind(&self, col: &str) -> ColumnType {
        self.report
            .columns
            .iter()
            .find(|c| c.name == col)
            .unwrap_or_else(|| panic!("no column {col}: {:?}", self.names()))
            .kind
    }
    fn names(&self) -> Vec<String> {
        self.report.columns.iter().map(|c| c.name.clone()).collect()
    }
    fn idx(&self, col: &str) -> usize {
        // Column 0 of the snapshot is the row id.
        self.report
            .columns
            .iter()
            .position(|c| c.name == col)
            .unwrap()
            + 1
    }
    fn meta(&self, col: &str) -> &allmende_table::Column {
        self.report.columns.iter().find(|c| c.name == col).unwrap()
    }
    fn int(&self, col: &str, row: usize) -> Option<i64> {
        let a = self.batch.column(self.idx(col)).as_primitive::<Int64Type>();
        a.is_valid(row).then(|| a.value(row))
    }
    fn num(&self, col: &str, row: usize) -> Option<f64> {
        let a = self
            .batch
            .column(self.idx(col))
            .as_primitive::<Float64Type>();
        a.is_valid(row).then(|| a.value(row))
    }
    fn text(&self, col: &str, row: usize) -> Option<String> {
        let a = self.batch.column(self.idx(col)).as_string::<i32>();
        a.is_valid(row).then(|| a.value(row).to_string())
    }
    fn date(&self, col: &str, row: usize) -> Option<String> {
        let a = self
            .batch
            .column(self.idx(col))
            .as_primitive::<Date32Type>();
        a.is_valid(row)
            .then(|| a.value_as_date(row).unwrap().to_string())
    }
    fn ts(&self, col: &str, row: usize) -> Option<String> {
        let a = self
            .batch
            .column(self.idx(col))
            .as_primitive::<TimestampMicrosecondType>();
        a.is_valid(row)
            .then(|| a.value_as_datetime(row).unwrap().to_string())
    }
    fn boolean(&self, col: &str, row: usize) -> Option<bool> {
        let a = self.batch.column(self.idx(col)).as_boolean();
        a.is_valid(row).then(|| a.value(row))
    }
}

#[test]
fn german_dialect_windows_1252_semicolon_decimal_comma() {
    let (text, _, _) = encoding_rs::WINDOWS_1252.encode(
        "Straße;Einwohner;Fläche (km²);Stichtag;Erfasst;Barrierefrei;Bemerkung\r\n\
         Bahnhofstraße;1.234;3,5;31.12.2024;31.12.2024 14:30;ja;„gut“\r\n\
         Hauptstraße;23.456;1.234,56;01.01.2023;2023-01-01T08:00:00;nein;k.A.\r\n\
         Marktplatz;k.A.;-;;;n.v.;€ 5\r\n",
    );
    let l = load_bytes(&text, "daten.csv");
    assert_eq!(l.report.dialect["encoding"], "windows-1252");
    assert_eq!(l.report.dialect["delimiter"], ";");
    assert_eq!(l.report.rows, 3);
    assert_eq!(l.kind("Einwohner"), ColumnType::Integer);
    assert_eq!(l.int("Einwohner", 1), Some(23_456));
    assert_eq!(l.int("Einwohner", 2), None);
    assert_eq!(l.kind("Fläche (km²)"), ColumnType::Decimal);
    assert_eq!(l.num("Fläche (km²)", 1), Some(1234.56));
    assert_eq!(l.kind("Stichtag"), ColumnType::Date);
    assert_eq!(l.date("Stichtag", 0).as_deref(), Some("2024-12-31"));
    assert_eq!(l.kind("Erfasst"), ColumnType::Timestamp);
    assert_eq!(l.ts("Erfasst", 0).as_deref(), Some("2024-12-31 14:30:00"));
    assert_eq!(l.kind("Barrierefrei"), ColumnType::Boolean);
    assert_eq!(l.boolean("Barrierefrei", 1), Some(false));
    assert_eq!(l.boolean("Barrierefrei", 2), None);
    assert_eq!(l.kind("Straße"), ColumnType::Text);
    assert_eq!(l.text("Straße", 0).as_deref(), Some("Bahnhofstraße"));
    assert_eq!(l.text("Bemerkung", 0).as_deref(), Some("„gut“"));
    assert_eq!(l.text("Bemerkung", 2).as_deref(), Some("€ 5"));
    let m = l.meta("Fläche (km²)");
    assert_eq!(m.machine_name, "flaeche_km2");
    let stats = l.meta("Einwohner").stats.clone().unwrap();
    assert_eq!(stats.nulls, 1);
    assert_eq!(stats.min, Some(1234.into()));
    assert_eq!(stats.max, Some(23456.into()));
}

#[test]
fn utf8_bom_utf16_and_tabs() {
    let l = load_bytes("\u{feff}jahr;anzahl\n2020;5\n2021;7".as_bytes(), "a.csv");
    assert_eq!(l.names(), ["jahr", "anzahl"]);
    assert_eq!(l.int("anzahl", 1), Some(7));
    let mut utf16 = vec![0xFF, 0xFE];
    for u in "Name\tWert\r\nÄpfel\t1,5\r\nBirnen\t2\r\n".encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let l = load_bytes(&utf16, "b.txt");
    assert_eq!(l.report.dialect["encoding"], "utf-16le");
    assert_eq!(l.text("Name", 0).as_deref(), Some("Äpfel"));
    assert_eq!(l.kind("Wert"), ColumnType::Decimal);
    assert_eq!(l.num("Wert", 0), Some(1.5));
}

#[test]
fn title_rows_footnotes_late_na_and_codes() {
    let mut csv = String::from(
        "Bevölkerung nach Stadtteilen;;\nStand: 31.12.2024;;\n;;\nAGS;Stadtteil;Einwohner\n",
    );
    for i in 0..5000 {
        csv.push_str(&format!("08136088;Teil {i};{}\n", i * 3));
    }
    csv.push_str("08136088;Spät;N/A\n");
    csv.push_str("Quelle: Statistisches Landesamt;;\n* vorläufige Werte;;\n");
    let l = load_bytes(csv.as_bytes(), "c.csv");
    assert_eq!(l.report.dialect["header_row"], 3);
    assert_eq!(l.names(), ["AGS", "Stadtteil", "Einwohner"]);
    assert_eq!(l.report.rows, 5001);
    assert_eq!(l.kind("AGS"), ColumnType::Text, "leading zeros stay");
    assert_eq!(l.text("AGS", 0).as_deref(), Some("08136088"));
    assert_eq!(
        l.kind("Einwohner"),
        ColumnType::Integer,
        "late N/A is a missing value"
    );
    assert_eq!(l.int("Einwohner", 5000), None);
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("Fußzeile")),
        "{:?}",
        l.report.warnings
    );
}

/// The privacy check (on the reading thread) looks at the rows the table keeps: a row shaped
/// like a footnote with data below it is data, the footnotes at the end are not.
#[test]
fn the_privacy_check_sees_the_rows_of_the_table() {
    let csv = "E-Mail;Ort;Wert\na@example.org;Aalen;1\nb@example.org;Aalen;2\n\
               c@example.org;;\nd@example.org;Aalen;4\ne@example.org;;\n";
    let l = load_bytes(csv.as_bytes(), "p.csv");
    assert_eq!(l.report.rows, 4);
    let privacy = l.report.privacy.as_ref().expect("checked");
    assert_eq!(privacy.rows, 4);
    let email: Vec<_> = privacy
        .findings
        .iter()
        .filter(|f| f.rule == allmende_table::privacy::Rule::Email)
        .collect();
    assert_eq!(email.len(), 1, "{:?}", privacy.findings);
    assert_eq!(
        email[0].matched, 4,
        "the footnote at the end is not a value"
    );
}

#[test]
fn mismatching_value_keeps_text_with_reason() {
    let l = load_bytes(b"a,b\n1,x1\n2,2\n3,drei\n4,4\n5,5\n", "d.csv");
    assert_eq!(l.kind("b"), ColumnType::Text);
    let reason = l.report.columns[1].reason.clone().unwrap();
    assert!(reason.to_string().contains("x1"), "{reason}");
    let en = reason.render("en");
    assert!(en.contains("number") && en.contains("x1"), "{en}");
}

#[test]
fn booleans_ticks_and_point_decimals() {
    let l = load_bytes(
        b"Name,Rampe,Lat,Wahr\nA,x,48.8373,wahr\nB,,48.1,falsch\nC,x,-9.5e-1,\n",
        "e.csv",
    );
    assert_eq!(l.kind("Rampe"), ColumnType::Boolean);
    assert_eq!(l.boolean("Rampe", 1), Some(false));
    assert_eq!(l.boolean("Rampe", 2), Some(true));
    assert_eq!(l.kind("Lat"), ColumnType::Decimal);
    assert_eq!(l.num("Lat", 0), Some(48.8373));
    assert_eq!(l.num("Lat", 2), Some(-0.95));
    assert_eq!(l.kind("Wahr"), ColumnType::Boolean);
}

#[test]
fn duplicate_empty_headers_ragged_rows_and_trailing_separators() {
    let l = load_bytes(
        b"Name;;Name;Wert;;\nA;1;2;3;;\nB;4;5\nC;6;7;8;9;x\n",
        "f.csv",
    );
    assert_eq!(
        l.names(),
        [
            "Name", "Spalte 2", "Name (2)", "Wert", "Spalte 5", "Spalte 6"
        ]
    );
    assert_eq!(l.int("Wert", 1), None);
    let l = load_bytes(b"a;b;;\n1;2;;\n3;4;;\n", "g.csv");
    assert_eq!(l.names(), ["a", "b"]);
    let l = load_bytes(b"a;b\n1;2\n3;4;5\n", "h.csv");
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("mehr Felder"))
    );
}

#[test]
fn overrides() {
    let opts = IngestOptions {
        delimiter: Some(",".into()),
        decimal: Some(allmende_table::NumberStyle::Point),
        ..Default::default()
    };
    let l = try_bytes(b"a;b,c\n1.234,x\n", "i.csv", &opts).unwrap();
    assert_eq!(l.names(), ["a;b", "c"]);
    assert_eq!(l.num("a;b", 0), Some(1.234));
    let bad = IngestOptions {
        encoding: Some("klingon".into()),
        ..Default::default()
    };
    assert!(bad.validate().is_err());
}

/// One detector for every path: content decides, so a GeoJSON, an XML or a ZIP file is never
/// read as a CSV of garbage columns, whatever its name, and a forced format must fit the content.
#[test]
fn what_is_not_a_table_says_so() {
    use allmende_table::IngestError;
    let geojson = br#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"art": "Linde"}, "geometry": {"type": "Point", "coordinates": [10.09, 48.83]}}]}"#;
    let xml = b"<?xml version=\"1.0\"?>\n<baeume>\n<baum art=\"Linde\">1;2</baum>\n</baeume>\n";
    let zip = {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        z.start_file("liesmich.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(b"a;b\n1;2\n").unwrap();
        z.finish().unwrap();
        out.into_inner()
    };
    // GeoJSON is a spatial table whatever its name (see `geo.rs`), never a CSV.
    for name in ["baeume.geojson", "baeume.csv", "baeume.json"] {
        let l = try_bytes(geojson, name, &IngestOptions::default()).unwrap();
        assert_eq!(
            l.report.format,
            allmende_table::InputFormat::GeoJson,
            "{name}"
        );
        assert_eq!(l.names(), ["art", "geometry"], "{name}");
    }
    for (bytes, name, label) in [
        (&xml[..], "baeume.csv", "XML"),
        (&zip[..], "baeume.csv", "ZIP"),
        (b"%PDF-1.7\n", "bericht.csv", "PDF"),
    ] {
        match try_bytes(bytes, name, &IngestOptions::default()) {
            Err(e @ IngestError::NotATable(_)) => {
                assert!(e.is_permanent());
                assert_eq!(
                    e.to_string(),
                    format!("Die Datei ist keine Tabelle, sondern {label}.")
                );
            }
            Err(e) => panic!("{name}: {e}"),
            Ok(l) => panic!("{name} read as a table: {:?}", l.names()),
        }
    }
    // Forcing CSV does not turn a spreadsheet or GeoJSON into text.
    let forced = IngestOptions {
        format: Some(allmende_table::InputFormat::Csv),
        ..Default::default()
    };
    match try_bytes(geojson, "baeume.csv", &forced) {
        Err(IngestError::Data(m)) => assert_eq!(m.to_string(), "Die Datei ist GeoJSON, nicht CSV."),
        other => panic!("{:?}", other.map(|l| l.names())),
    }
    let xlsx = std::fs::read(real("muenster_wetter_taeglich_serialdates.xlsx")).unwrap();
    match try_bytes(&xlsx, "wetter.csv", &forced) {
        Err(IngestError::Data(m)) => {
            assert_eq!(m.to_string(), "Die Datei ist Excel (XLSX), nicht CSV.");
            assert_eq!(m.render("en"), "The file is Excel (XLSX), not CSV.");
        }
        other => panic!("{:?}", other.map(|l| l.names())),
    }
    // A spreadsheet named .csv is read as what it is.
    let l = try_bytes(&xlsx, "wetter.csv", &IngestOptions::default()).unwrap();
    assert_eq!(l.report.format, allmende_table::InputFormat::Xlsx);
    // NDJSON and JSON are layouts of one format: either may be forced.
    let lines = b"{\"a\": 1}\n{\"a\": 2}\n";
    let l = try_bytes(lines, "x.json", &IngestOptions::default()).unwrap();
    assert_eq!(l.report.format, allmende_table::InputFormat::Ndjson);
    assert_eq!(l.report.rows, 2);
}

#[test]
fn json_and_ndjson() {
    let l = load_path(
        &real("aalen_parking_occupancy.json"),
        "x.json",
        &IngestOptions::default(),
    )
    .unwrap();
    assert_eq!(l.names(), ["name", "status", "free", "max", "occupied"]);
    assert_eq!(l.kind("free"), ColumnType::Integer);
    assert_eq!(l.text("name", 0).as_deref(), Some("P1 Rathaus"));
    let l = load_bytes(
        b"{\"a\":1,\"b\":\"31.12.2024\"}\n{\"a\":2.5,\"c\":{\"x\":1}}\n",
        "y.ndjson",
    );
    assert_eq!(l.kind("a"), ColumnType::Decimal);
    assert_eq!(l.kind("b"), ColumnType::Date);
    assert_eq!(l.text("c", 1).as_deref(), Some("{\"x\":1}"));
    let l = load_bytes(b"{\"data\": [{\"k\": \"v\"}, {\"k\": \"w\"}]}", "z.json");
    assert_eq!(l.report.rows, 2);
}

#[test]
fn real_files() {
    // Köln: thousands dots are integers.
    let l = load_path(
        &real("koeln_gesamtergebnisplan_thousands_dots.csv"),
        "k.csv",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.kind("Ergebnis 2010"), ColumnType::Integer);
    assert_eq!(l.int("Ergebnis 2010", 0), Some(1_596_852_249));
    // Moers: Latin-1, thousands dots and decimal commas, padded text.
    let l = load_path(
        &real("moers_haushalt_latin1_decimalcomma_thousands.csv"),
        "m.csv",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.report.dialect["encoding"], "windows-1252");
    assert!(
        l.report
            .columns
            .iter()
            .any(|c| c.kind == ColumnType::Decimal)
    );
    // Brandenburg: embedded newlines, duplicate header, codes with zeros.
    let l = load_path(
        &real("brandenburg_haushalt_2017_2018_embedded_newlines.csv"),
        "b.csv",
        &Default::default(),
    )
    .unwrap();
    assert!(
        l.names().contains(&"Bezeichnung (2)".to_string()),
        "{:?}",
        l.names()
    );
    assert!(
        l.report
            .columns
            .iter()
            .filter(|c| c.kind == ColumnType::Text)
            .count()
            >= 2
    );
    // Münster bicycles: sparse columns, dd/mm/yyyy, an empty header.
    let l = load_path(
        &real("muenster_fahrradzaehlstellen_taeglich.csv"),
        "f.csv",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.kind("Datum"), ColumnType::Date);
    assert_eq!(l.date("Datum", 0).as_deref(), Some("2016-07-13"));
    assert_eq!(l.names()[1], "Spalte 2");
    assert_eq!(l.kind("Weseler Straße stadtauswärts"), ColumnType::Integer);
    // Münster candidates: Windows-1252 with an en dash.
    let l = load_path(
        &real("muenster_bewerber_rat_cp1252_semicolon.csv"),
        "r.csv",
        &Default::default(),
    )
    .unwrap();
    assert!(
        l.names().contains(&"Straße und Hausnummer".to_string()),
        "{:?}",
        l.names()
    );
    // Spreadsheets: the data sheet of a multi-sheet workbook, Excel serial dates.
    let l = load_path(
        &real("muenster_wetter_taeglich_serialdates.xlsx"),
        "w.xlsx",
        &Default::default(),
    )
    .unwrap();
    assert!(
        l.report
            .columns
            .iter()
            .any(|c| matches!(c.kind, ColumnType::Date | ColumnType::Timestamp)),
        "{:?}",
        l.report.columns
    );
    // Münster's statistics sheet: a stacked header (category, age bands, unit "Anzahl") over
    // merged cells, cells with line breaks ("Ins-⏎gesamt"), footnotes below.
    let l = load_path(
        &real("muenster_bevoelkerung_arbeitsmarkt_multisheet.xlsx"),
        "m.xlsx",
        &Default::default(),
    )
    .unwrap();
    assert!(l.report.rows > 0);
    assert_eq!(l.report.dialect["header_rows"], 3, "{}", l.report.dialect);
    assert_eq!(
        l.kind("Insgesamt – Anzahl"),
        ColumnType::Integer,
        "{:?}",
        l.names()
    );
    assert_eq!(
        l.kind("davon im Alter von … bis … Jahren – 0 - 9"),
        ColumnType::Integer
    );
    // Bietigheim: Latin-1 and epoch milliseconds as integers.
    let l = load_path(
        &real("bietigheim_bissingen_parking_latin1_epochms.csv"),
        "bb.csv",
        &Default::default(),
    )
    .unwrap();
    assert_eq!(l.report.dialect["encoding"], "windows-1252");
}

#[test]
fn bad_input_fails_clearly() {
    let garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let err = try_bytes(&garbage, "garbage.csv", &Default::default())
        .err()
        .expect("garbage must fail");
    assert!(err.is_permanent(), "{err}");
    let xlsx = std::fs::read(real("muenster_wetter_taeglich_serialdates.xlsx")).unwrap();
    let err = try_bytes(&xlsx[..xlsx.len() / 2], "t.xlsx", &Default::default())
        .err()
        .expect("truncated xlsx must fail");
    assert!(err.is_permanent(), "{err}");
    let err = try_bytes(b"", "e.csv", &Default::default()).err().unwrap();
    assert!(err.to_string().contains("leer"));
    let wide: String = (0..5000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(";")
        + "\n";
    let err = try_bytes(wide.as_bytes(), "w.csv", &Default::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("Spalten"), "{err}");
    // A 10 MB line is read (below the record limit).
    let long = format!("a;b\n1;{}\n", "x".repeat(10 * 1024 * 1024));
    let l = try_bytes(long.as_bytes(), "l.csv", &Default::default()).unwrap();
    assert_eq!(l.text("b", 0).map(|s| s.len()), Some(10 * 1024 * 1024));
    // Mixed encodings: UTF-8 with a stray Windows-1252 byte.
    let mut mixed = "Ort;Wert\nMünchen;1\n".as_bytes().to_vec();
    mixed.extend_from_slice(b"K\xf6ln;2\n");
    let l = try_bytes(&mixed, "x.csv", &Default::default()).unwrap();
    assert_eq!(l.text("Ort", 1).as_deref(), Some("Köln"));
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("gemischte"))
    );
}

#[test]
fn xlsx_zip_bomb_is_refused() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..1100 {
        zip.write_all(&block).unwrap();
    }
    zip.finish().unwrap();
    let err = load_path(&p, "bomb.xlsx", &Default::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("entpackt"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Queries and exports

use allmende_table::export::{ExportBody, ExportFormat, ExportOptions, export};
use allmende_table::query::{Engine, QueryError, QueryLimits, RecordsQuery, TableLookup, TableRef};

struct Table {
    t: TableRef,
    _dir: tempfile::TempDir,
}

fn table(csv: &str, alias: &str) -> Table {
    table_of(csv.as_bytes(), "in.csv", alias)
}

/// A queryable table of a file named `name` (its format found as uploads find it).
fn table_of(bytes: &[u8], name: &str, alias: &str) -> Table {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join(name);
    std::fs::write(&src, bytes).unwrap();
    let out = dir.path().join(format!("{alias}.parquet"));
    let report = ingest(
        &src,
        Some(name),
        &Default::default(),
        Limits::default(),
        &out,
        &|_, _| {},
    )
    .unwrap();
    Table {
        t: TableRef {
            alias: alias.into(),
            key: alias.into(),
            path: out,
            columns: report.columns,
            rows: report.rows,
        },
        _dir: dir,
    }
}

fn staedte() -> Table {
    table(
        "Stadt;Stadtteil;Einwohner gesamt;Fläche (km²);Stichtag\n\
         Aalen;Mitte;12.000;10,5;31.12.2024\n\
         Aalen;Wasseralfingen;11.500;12,25;31.12.2024\n\
         Aalen;Unterkochen;4.800;8,0;31.12.2023\n\
         Heidenheim;Mitte;20.100;15,5;31.12.2024\n\
         Heidenheim;Schnaitheim;9.000;;31.12.2024\n",
        "staedte",
    )
}

fn rows(page: &allmende_table::query::RecordsPage) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let keys = allmende_table::query::json::keys(&page.schema);
    let mut first = true;
    out.push(b'[');
    for b in &page.batches {
        allmende_table::query::json::write_rows(&mut out, b, &keys, false, b",", &mut first);
    }
    out.push(b']');
    serde_json::from_slice(&out).unwrap()
}

fn q(
    select: Option<&str>,
    filter: Option<&str>,
    group: Option<&str>,
    order: Option<&str>,
) -> RecordsQuery {
    RecordsQuery {
        select: select.map(str::to_string),
        filter: filter.map(str::to_string),
        group_by: group.map(str::to_string),
        order_by: order.map(str::to_string),
        limit: Some(100),
        total: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn records_filters_aggregates_and_paging() {
    let s = staedte();
    let engine = Engine::new(QueryLimits::default());
    let page = engine
        .records(
            &s.t,
            &q(
                None,
                Some("\"Einwohner gesamt\" >= 10000 and Stadt = 'Aalen'"),
                None,
                None,
            ),
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(2));
    let r = rows(&page);
    assert_eq!(r[0]["Stadtteil"], "Mitte");
    assert_eq!(r[0]["Einwohner gesamt"], 12000);
    assert_eq!(r[0]["Fläche (km²)"], 10.5);
    assert_eq!(r[0]["Stichtag"], "2024-12-31");
    // machine names, German date literals, in, like, is null
    let page = engine
        .records(
            &s.t,
            &q(
                Some("stadtteil"),
                Some("stichtag < '01.01.2024' or flaeche_km2 is null"),
                None,
                Some("stadtteil"),
            ),
        )
        .await
        .unwrap();
    let r = rows(&page);
    assert_eq!(r.len(), 2);
    assert_eq!(r[0]["Stadtteil"], "Schnaitheim");
    assert_eq!(r[1]["Stadtteil"], "Unterkochen");
    let page = engine
        .records(
            &s.t,
            &q(
                None,
                Some("Stadtteil in ('Mitte') and Stadt like 'Heid%'"),
                None,
                None,
            ),
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    // group by with aggregates, checked against sums computed here
    let page = engine.records(&s.t, &q(Some("Stadt, sum(\"Einwohner gesamt\") as summe, count(*) as n, avg(\"Fläche (km²)\")"), None, Some("Stadt"), Some("summe desc"))).await.unwrap();
    let r = rows(&page);
    assert_eq!(page.total, Some(2));
    assert_eq!(r[0]["Stadt"], "Heidenheim");
    assert_eq!(r[0]["summe"], 20100 + 9000);
    assert_eq!(r[0]["n"], 2);
    assert_eq!(r[0]["avg(\"Fläche (km²)\")"], 15.5);
    assert_eq!(r[1]["summe"], 12000 + 11500 + 4800);
    assert_eq!(r[1]["n"], 3);
    // year() on dates
    let page = engine
        .records(
            &s.t,
            &q(
                Some("year(Stichtag) as jahr, count(*) as n"),
                None,
                Some("year(Stichtag) as jahr"),
                Some("jahr"),
            ),
        )
        .await
        .unwrap();
    let r = rows(&page);
    assert_eq!(r[0]["jahr"], 2023);
    assert_eq!(r[1]["n"], 4);
    // an aliased group column, ordered by its alias
    let page = engine
        .records(
            &s.t,
            &q(
                Some("Stadt as x, count(*) as y"),
                None,
                Some("Stadt"),
                Some("x desc"),
            ),
        )
        .await
        .unwrap();
    let r = rows(&page);
    assert_eq!(r[0], serde_json::json!({"x": "Heidenheim", "y": 2}));
    // full text
    let page = engine
        .records(
            &s.t,
            &RecordsQuery {
                q: Some("wasser".into()),
                limit: Some(10),
                total: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, Some(1));
    // bbox needs a geometry
    let bbox = engine
        .records(
            &s.t,
            &RecordsQuery {
                bbox: Some([10.0, 48.0, 11.0, 49.0]),
                limit: Some(10),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(bbox, Err(QueryError::Invalid(_))));
    // keyset paging visits every row once
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = engine
            .records(
                &s.t,
                &RecordsQuery {
                    limit: Some(2),
                    cursor: cursor.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        seen.extend(
            rows(&page)
                .into_iter()
                .map(|r| r["Stadtteil"].as_str().unwrap().to_string()),
        );
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "Mitte",
            "Wasseralfingen",
            "Unterkochen",
            "Mitte",
            "Schnaitheim"
        ]
    );
    // offset paging with an order
    let page = engine
        .records(
            &s.t,
            &RecordsQuery {
                order_by: Some("\"Einwohner gesamt\" desc".into()),
                limit: Some(2),
                offset: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let r = rows(&page);
    assert_eq!(r[0]["Einwohner gesamt"], 12000);
    assert_eq!(page.next.as_deref(), Some("o:3"));
    // Offset paging in file order (row ids instead of skipping), with and without a filter,
    // from an offset cursor too: the same rows as the order of the file says.
    let all = [
        "Mitte",
        "Wasseralfingen",
        "Unterkochen",
        "Mitte",
        "Schnaitheim",
    ];
    for (filter, expected) in [
        (None, all.to_vec()),
        (
            Some("Stadtteil <> 'Mitte'"),
            vec!["Wasseralfingen", "Unterkochen", "Schnaitheim"],
        ),
    ] {
        for offset in 0..=expected.len() {
            for cursor in [None, Some(format!("o:{offset}"))] {
                let page = engine
                    .records(
                        &s.t,
                        &RecordsQuery {
                            filter: filter.map(str::to_string),
                            limit: Some(2),
                            offset: if cursor.is_some() { 0 } else { offset },
                            cursor: cursor.clone(),
                            total: true,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                let got: Vec<String> = rows(&page)
                    .iter()
                    .map(|r| r["Stadtteil"].as_str().unwrap().to_string())
                    .collect();
                let want = &expected[offset..(offset + 2).min(expected.len())];
                assert_eq!(got, want, "{filter:?} offset {offset} cursor {cursor:?}");
                assert_eq!(page.total, Some(expected.len() as u64));
                assert_eq!(
                    page.next.is_some(),
                    offset + 2 < expected.len(),
                    "{:?}",
                    page.next
                );
            }
        }
        // An offset no row id reaches (a stranger's `offset`) is past the end (or refused as
        // out of range), never the start.
        let far = engine
            .records(
                &s.t,
                &RecordsQuery {
                    filter: filter.map(str::to_string),
                    limit: Some(2),
                    offset: usize::MAX,
                    ..Default::default()
                },
            )
            .await;
        match far {
            Ok(page) => assert!(rows(&page).is_empty(), "{filter:?}"),
            Err(QueryError::Invalid(_)) => assert!(filter.is_some(), "unfiltered: past the end"),
            Err(e) => panic!("{filter:?}: {e}"),
        }
    }
}

#[tokio::test]
async fn records_reject_bad_input() {
    let s = staedte();
    let engine = Engine::new(QueryLimits::default());
    for (sel, filter, group) in [
        (None, Some("nope = 1"), None),
        (None, Some("Stadt = "), None),
        (None, Some("1; drop table x"), None),
        (None, Some("sum(\"Einwohner gesamt\") > 1"), None),
        (
            Some("Stadtteil, sum(\"Einwohner gesamt\")"),
            None,
            Some("Stadt"),
        ),
        (Some("read_parquet('/etc/passwd')"), None, None),
        (Some("sum(sum(\"Einwohner gesamt\"))"), None, None),
    ] {
        match engine.records(&s.t, &q(sel, filter, group, None)).await {
            Err(QueryError::Invalid(m)) => assert!(!m.to_string().is_empty()),
            Err(other) => panic!("{sel:?} {filter:?}: expected Invalid, got {other}"),
            Ok(_) => panic!("{sel:?} {filter:?}: accepted"),
        }
    }
}

#[derive(Debug)]
struct Lookup(Vec<TableRef>);
impl TableLookup for Lookup {
    fn names(&self) -> Vec<String> {
        self.0.iter().map(|t| t.alias.clone()).collect()
    }
    fn get(&self, alias: &str) -> Option<TableRef> {
        self.0.iter().find(|t| t.alias == alias).cloned()
    }
}

#[tokio::test]
async fn sql_joins_and_sandbox() {
    let s = staedte();
    let k = table(
        "Stadt,Kreis\nAalen,Ostalbkreis\nHeidenheim,Landkreis Heidenheim\n",
        "kreise",
    );
    let lookup = std::sync::Arc::new(Lookup(vec![s.t.clone(), k.t.clone()]));
    let engine = Engine::new(QueryLimits {
        memory_bytes: 32 << 20,
        timeout: std::time::Duration::from_secs(3),
        max_rows: 3,
        cache_bytes: 0,
        ..QueryLimits::default()
    });
    let page = engine
        .sql(lookup.clone(), "SELECT k.\"Kreis\", sum(s.\"Einwohner gesamt\") AS e FROM staedte s JOIN kreise k ON s.\"Stadt\" = k.\"Stadt\" GROUP BY k.\"Kreis\" ORDER BY e DESC")
        .await
        .unwrap();
    let r = rows(&page);
    assert_eq!(r[0]["Kreis"], "Landkreis Heidenheim");
    assert_eq!(r[0]["e"], 29100);
    assert_eq!(r[1]["e"], 28300);
    let page = engine
        .sql(lookup.clone(), "select * from staedte")
        .await
        .unwrap();
    assert!(page.truncated);
    assert_eq!(rows(&page).len(), 3);
    for bad in [
        "CREATE TABLE x AS SELECT 1",
        "INSERT INTO staedte VALUES (1)",
        "COPY staedte TO '/tmp/x.csv'",
        "CREATE EXTERNAL TABLE p STORED AS CSV LOCATION '/etc/passwd'",
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM generate_series(1, 100000000000)",
        "SET datafusion.execution.batch_size = 1",
        "DROP TABLE staedte",
        "SELECT * FROM secret_private_table",
        "SELECT 1; SELECT 2",
    ] {
        match engine.sql(lookup.clone(), bad).await {
            Err(QueryError::Invalid(_)) => {}
            Err(other) => panic!("{bad}: expected Invalid, got {other}"),
            Ok(_) => panic!("{bad}: accepted"),
        }
    }
    // A runaway cross join is stopped by the memory or the time limit (the deadline is the
    // pool's, as every query of the portal runs).
    let big = table(
        &("n\n".to_string() + &(0..3000).map(|i| format!("{i}\n")).collect::<String>()),
        "big",
    );
    let lookup = std::sync::Arc::new(Lookup(vec![big.t.clone()]));
    let pool = allmende_work::Pool::new(allmende_work::PoolConfig::default()).unwrap();
    let queries = allmende_table::query::Queries::new(
        QueryLimits {
            memory_bytes: 32 << 20,
            timeout: std::time::Duration::from_secs(3),
            max_rows: 3,
            cache_bytes: 0,
            ..QueryLimits::default()
        },
        pool.clone(),
    );
    let permit = || async {
        pool.admit(allmende_work::Lane::Query, "test")
            .await
            .unwrap()
    };
    let res = queries
        .sql(
            permit().await,
            lookup.clone(),
            "SELECT count(*) FROM big a, big b, big c WHERE a.n + b.n + c.n = -1",
        )
        .await;
    assert!(
        matches!(res, Err(QueryError::Timeout(_) | QueryError::TooLarge(_))),
        "{:?}",
        res.err()
    );
    let res = queries
        .sql(
            permit().await,
            lookup,
            "SELECT a.n, string_agg(repeat('x', 1000), ',') FROM big a, big b GROUP BY a.n",
        )
        .await;
    assert!(
        matches!(res, Err(QueryError::Timeout(_) | QueryError::TooLarge(_))),
        "{:?}",
        res.err()
    );
}

async fn collect(mut rx: ExportBody) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = rx.next().await {
        out.extend_from_slice(&c.unwrap());
    }
    out
}

#[tokio::test]
async fn exports_round_trip() {
    let s = staedte();
    let engine = Engine::new(QueryLimits::default());
    let all = RecordsQuery::default();
    let csv = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::Csv,
        ExportOptions::default(),
    ))
    .await;
    let text = String::from_utf8(csv).unwrap();
    assert!(
        text.starts_with("Stadt,Stadtteil,Einwohner gesamt,Fläche (km²),Stichtag\r\n"),
        "{text}"
    );
    assert!(text.contains("Aalen,Mitte,12000,10.5,2024-12-31\r\n"));
    let de = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::CsvExcelDe,
        ExportOptions::default(),
    ))
    .await;
    assert!(de.starts_with(b"\xEF\xBB\xBFStadt;"));
    assert!(String::from_utf8_lossy(&de).contains("Aalen;Mitte;12000;10,5;31.12.2024\r\n"));
    let json = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::Json,
        ExportOptions::default(),
    ))
    .await;
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    assert_eq!(v[4]["Fläche (km²)"], serde_json::Value::Null);
    let nd = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::Ndjson,
        ExportOptions::default(),
    ))
    .await;
    assert_eq!(String::from_utf8(nd).unwrap().lines().count(), 5);
    let pq = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::Parquet,
        ExportOptions::default(),
    ))
    .await;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(pq))
        .unwrap()
        .build()
        .unwrap();
    let n: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(n, 5);
    let xlsx = collect(export(
        engine.records_stream(&s.t, &all).await.unwrap(),
        ExportFormat::Xlsx,
        ExportOptions::default(),
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.xlsx");
    std::fs::write(&p, &xlsx).unwrap();
    let l = load_path(&p, "x.xlsx", &Default::default()).unwrap();
    assert_eq!(l.kind("Einwohner gesamt"), ColumnType::Integer);
    assert_eq!(l.kind("Stichtag"), ColumnType::Date);
    assert_eq!(l.date("Stichtag", 2).as_deref(), Some("2023-12-31"));
    assert_eq!(l.num("Fläche (km²)", 1), Some(12.25));
}

/// A hot table is decoded into memory in the background; every kind of query answers the
/// same from memory as from the Parquet file, and a table over the budget stays on disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_tables_answer_the_same_from_memory() {
    let mut csv = String::from("Nr;Stadt;Wert;Tag\n");
    for i in 0..40_000u32 {
        let city = ["Aalen", "Heidenheim", "Ulm"][(i % 3) as usize];
        csv.push_str(&format!(
            "{i};{city};{},{};{:02}.01.2024\n",
            i % 997,
            i % 10,
            i % 28 + 1
        ));
    }
    let t = table(&csv, "werte");
    let disk = Engine::new(QueryLimits {
        cache_bytes: 0,
        ..QueryLimits::default()
    });
    let hot = Engine::new(QueryLimits::default());
    let tiny = Engine::new(QueryLimits {
        cache_bytes: 4096,
        ..QueryLimits::default()
    });
    let _ = hot.records(&t.t, &q(None, None, None, None)).await.unwrap();
    let _ = tiny
        .records(&t.t, &q(None, None, None, None))
        .await
        .unwrap();
    for _ in 0..200 {
        if hot.in_memory(&t.t.key) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        hot.in_memory(&t.t.key),
        "the table was not loaded into memory"
    );
    assert!(
        !tiny.in_memory(&t.t.key),
        "a table over the budget must stay on disk"
    );
    let mut queries = vec![
        q(
            None,
            Some("Wert > 500.5 and Stadt <> 'Ulm'"),
            None,
            Some("Wert desc, Nr"),
        ),
        q(
            // Integer sums: float sums may differ in the last digit with the summation order.
            Some("Stadt, count(*) as n, sum(Nr) as s, max(Wert) as w, max(Tag) as t"),
            None,
            Some("Stadt"),
            Some("Stadt"),
        ),
        q(Some("Nr, Tag"), Some("Tag = '05.01.2024'"), None, None),
    ];
    // Keyset paging across the boundary between the two in-memory partitions.
    let mut deep = q(None, None, None, None);
    deep.cursor = Some("k:19990".into());
    deep.limit = Some(50);
    queries.push(deep);
    for query in &queries {
        let a = disk.records(&t.t, query).await.unwrap();
        let b = hot.records(&t.t, query).await.unwrap();
        assert_eq!(a.total, b.total);
        assert_eq!(rows(&a), rows(&b), "{query:?}");
        assert!(!rows(&b).is_empty());
    }
    // Exports read a table once: they do not pull it into memory.
    let exporter = Engine::new(QueryLimits::default());
    let stream = exporter
        .records_stream(&t.t, &RecordsQuery::default())
        .await
        .unwrap();
    let csv = collect(export(stream, ExportFormat::Csv, ExportOptions::default())).await;
    assert!(csv.len() > 100_000);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!exporter.in_memory(&t.t.key), "an export warmed the cache");
    // The page after row 19,990 starts with the 19,991st row (Nr counts from 0).
    let a = hot.records(&t.t, &queries[3]).await.unwrap();
    assert_eq!(rows(&a)[0]["Nr"], 19990);
}

/// Types are guessed from a sample to convert in the same pass; a value far below the sample
/// that breaks the guess (a late `abc` in a number column, a late decimal comma) sends the
/// file through a second pass with the final types: nothing is lost or mistyped.
#[test]
fn late_values_overrule_the_sample() {
    let mut csv = String::from("Nr;Menge;Anteil;Zeitpunkt\n");
    for i in 0..9000u32 {
        let menge = if i == 8500 {
            "abc".to_string()
        } else {
            i.to_string()
        };
        let anteil = if i == 8700 {
            "0,5".to_string()
        } else {
            "1".to_string()
        };
        csv.push_str(&format!("{i};{menge};{anteil};01.02.2024\n"));
    }
    csv.push_str("Quelle: Stadt Aalen\n");
    let l = load_bytes(csv.as_bytes(), "spaet.csv");
    assert_eq!(l.report.rows, 9000);
    assert_eq!(l.kind("Nr"), ColumnType::Integer);
    assert_eq!(l.kind("Menge"), ColumnType::Text);
    assert_eq!(l.kind("Anteil"), ColumnType::Decimal);
    assert_eq!(l.kind("Zeitpunkt"), ColumnType::Date);
    let menge = l.batch.column(l.idx("Menge")).as_string::<i32>();
    assert_eq!(menge.value(8500), "abc");
    assert_eq!(menge.value(8499), "8499");
    let anteil = l
        .batch
        .column(l.idx("Anteil"))
        .as_primitive::<datafusion::arrow::datatypes::Float64Type>();
    assert_eq!(anteil.value(8700), 0.5);
    assert_eq!(anteil.value(0), 1.0);
    assert!(
        l.report
            .warnings
            .iter()
            .any(|w| w.to_string().contains("Fußzeile"))
    );
    // The same file with the sample's guess right all along converts in one pass.
    let fine = csv.replace(";abc;", ";8500;").replace(";0,5;", ";1;");
    let l = load_bytes(fine.as_bytes(), "gut.csv");
    assert_eq!(l.report.rows, 9000);
    assert_eq!(l.kind("Menge"), ColumnType::Integer);
    assert_eq!(l.kind("Anteil"), ColumnType::Integer);
}

/// Whole numbers, days and time stamps are written as deltas without a dictionary, decimals
/// and text through one; every value reads back as it was (with parquet's own reader).
#[test]
fn whole_numbers_days_and_time_stamps_are_stored_as_deltas() {
    use parquet::basic::Encoding;
    let mut csv = String::from("Nr;Belegt;Tag;Zeitpunkt;Anteil;Ort\n");
    for i in 0..5000i64 {
        // Counts up and down, a negative value, a gap of a year, days and minutes in order.
        let belegt = if i == 4000 { -7 } else { (i * 37) % 550 };
        let day = 1 + i / 200;
        let minute = i % 60;
        let year = if i >= 4500 { 2025 } else { 2024 };
        csv.push_str(&format!(
            "{i};{belegt};{:02}.01.{year};{:02}.01.{year} 10:{minute:02};{},5;{}\n",
            day,
            day,
            i % 100,
            ["Aalen", "Heidenheim", "Wasseralfingen"][(i % 3) as usize]
        ));
    }
    let l = load_bytes(csv.as_bytes(), "deltas.csv");
    assert_eq!(l.report.rows, 5000);
    let file = std::fs::File::open(l._dir.path().join("out.parquet")).unwrap();
    let meta = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .metadata()
        .clone();
    let mut seen = 0;
    for group in meta.row_groups() {
        for chunk in group.columns() {
            let name = chunk.column_path().string();
            let encodings: Vec<Encoding> = chunk.encodings().collect();
            let deltas = encodings.contains(&Encoding::DELTA_BINARY_PACKED);
            let dictionary = chunk.dictionary_page_offset().is_some();
            match name.as_str() {
                "_id" | "Nr" | "Belegt" | "Tag" | "Zeitpunkt" => {
                    assert!(deltas && !dictionary, "{name}: {encodings:?}")
                }
                "Anteil" | "Ort" => assert!(!deltas && dictionary, "{name}: {encodings:?}"),
                other => panic!("unexpected column {other}"),
            }
            seen += 1;
        }
    }
    assert_eq!(seen, 7);
    assert_eq!(l.kind("Nr"), ColumnType::Integer);
    assert_eq!(l.kind("Tag"), ColumnType::Date);
    assert_eq!(l.kind("Zeitpunkt"), ColumnType::Timestamp);
    for i in [0usize, 1, 199, 200, 3999, 4000, 4001, 4499, 4500, 4999] {
        let n = i as i64;
        let day = 1 + n / 200;
        let year = if n >= 4500 { 2025 } else { 2024 };
        assert_eq!(l.int("Nr", i), Some(n));
        let belegt = if n == 4000 { -7 } else { (n * 37) % 550 };
        assert_eq!(l.int("Belegt", i), Some(belegt), "row {i}");
        assert_eq!(
            l.date("Tag", i).as_deref(),
            Some(format!("{year}-01-{day:02}").as_str())
        );
        assert_eq!(
            l.ts("Zeitpunkt", i).as_deref(),
            Some(format!("{year}-01-{day:02} 10:{:02}:00", n % 60).as_str())
        );
        assert_eq!(l.num("Anteil", i), Some((n % 100) as f64 + 0.5));
    }
    let belegt = l.meta("Belegt").stats.clone().unwrap();
    assert_eq!(belegt.min, Some((-7).into()));
    assert_eq!(belegt.max, Some(549.into()));
    // Deltas between the extremes overflow i64: they wrap, and read back as they were.
    let extremes = [i64::MAX, i64::MIN, 0, i64::MAX, -1, i64::MIN, i64::MIN];
    let ndjson: String = extremes
        .iter()
        .map(|v| format!("{{\"n\":{v}}}\n"))
        .collect();
    let l = load_bytes(ndjson.as_bytes(), "extreme.ndjson");
    assert_eq!(l.kind("n"), ColumnType::Integer);
    for (i, v) in extremes.iter().enumerate() {
        assert_eq!(l.int("n", i), Some(*v), "row {i}");
    }
}

#[path = "table/cql2.rs"]
mod cql2;
#[path = "table/geo.rs"]
mod geo;
#[path = "table/geo_formats.rs"]
mod geo_formats;
#[path = "table/growing.rs"]
mod growing;
