//! Hardening: every finding of the attack on a release build (issue #11), as a test that the
//! old code fails. Heavy work runs under deadlines, stops with its client and at shutdown,
//! files cannot take the server's memory, and what is half-done is never shown as done.

use std::io::Write;
use std::time::Duration;

use allmende::Config;
use allmende_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::data::{get_json, percent_encode, records_url, wait_table};
use crate::harness::{Backend, TestServer, json as body, problem};

/// 400 rows, as in the attack's five-way self join.
fn rows_csv(n: usize) -> Vec<u8> {
    let mut csv = String::from("Nr;Name;Wert\n");
    for i in 0..n {
        csv.push_str(&format!("{i};Eintrag {i};{}\n", i * 7 % 101));
    }
    csv.into_bytes()
}

/// An editor's token and a public table `werte` of 400 rows.
async fn public_table(s: &TestServer) -> (String, String) {
    let ed = s.editor_with_dataset("werte", "public").await;
    let r = body(s.upload(&ed, "werte", "werte.csv", rows_csv(400)).await).await;
    let rid = r["id"].as_str().expect("resource id").to_string();
    let t = wait_table(s, &rid, 1).await;
    assert_eq!(t["table_name"], "werte", "{t}");
    (ed, rid)
}

fn sql_url(sql: &str, format: Option<&str>) -> String {
    let mut u = format!("/api/v1/sql?sql={}", percent_encode(sql));
    if let Some(f) = format {
        u.push_str(&format!("&format={f}"));
    }
    u
}

/// Counting needs every one of the 10^13 combinations (a bare `count(*)` would be answered
/// from the tables' statistics).
const CROSS_COUNT: &str = "SELECT count(*) FROM werte a, werte b, werte c, werte d, werte e \
     WHERE a.\"Nr\" + b.\"Nr\" + c.\"Nr\" + d.\"Nr\" + e.\"Nr\" = -1";
const CROSS_ROWS: &str =
    "SELECT a.\"Name\", b.\"Wert\" FROM werte a, werte b, werte c, werte d, werte e";

/// One slot per kind, so that a query that keeps running after its client left blocks the
/// next one.
fn one_slot(c: &mut Config) {
    c.query_slots = 1;
    c.export_slots = 1;
    c.heavy_queue = 4;
    c.heavy_queue_wait_secs = 1;
    c.heavy_per_client = 4;
}

/// Whether a cheap request of this kind gets through within a few seconds (its slot is free).
async fn slot_frees(s: &TestServer, path: &str) -> bool {
    for _ in 0..40 {
        let res = s.get(path).await;
        if res.status() == StatusCode::OK {
            let _ = res.bytes().await;
            return true;
        }
        assert!(
            matches!(
                res.status(),
                StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
            ),
            "{}",
            res.status()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

/// #1: SQL in an export format runs under the query deadline, and a query stops when its
/// client hangs up — as JSON and as a file.
async fn heavy_queries_stop_with_their_client(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        one_slot(c);
        c.query_timeout_secs = 120;
    })
    .await;
    public_table(&s).await;
    // As JSON: the client gives up after half a second.
    let gone = tokio::time::timeout(
        Duration::from_millis(500),
        s.client.get(s.url(&sql_url(CROSS_COUNT, None))).send(),
    )
    .await;
    assert!(gone.is_err(), "a 10^13-row join cannot answer in 0.5 s");
    assert!(
        slot_frees(&s, &sql_url("SELECT 1 AS eins", None)).await,
        "the abandoned query still holds the only query slot"
    );
    // As a file: the client reads the first bytes, then hangs up.
    let mut res = s
        .client
        .get(s.url(&sql_url(CROSS_ROWS, Some("csv"))))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let first = res.chunk().await.unwrap().unwrap();
    assert!(first.starts_with(b"Name,Wert"), "{first:?}");
    drop(res);
    assert!(
        slot_frees(&s, &sql_url("SELECT 1 AS eins", Some("csv"))).await,
        "the abandoned export still holds the only export slot"
    );
    // An export whose query produces nothing (an aggregate over the join) notices too.
    let gone = tokio::time::timeout(
        Duration::from_millis(500),
        s.client
            .get(s.url(&sql_url(CROSS_COUNT, Some("ndjson"))))
            .send(),
    )
    .await;
    assert!(gone.is_err());
    assert!(slot_frees(&s, &sql_url("SELECT 2 AS zwei", Some("ndjson"))).await);
}

/// #1: the deadline applies to SQL in every output format and to table exports.
async fn every_query_path_has_the_deadline(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.query_timeout_secs = 2;
    })
    .await;
    let (_, rid) = public_table(&s).await;
    for format in [
        None,
        Some("csv"),
        Some("csv-de"),
        Some("json"),
        Some("xlsx"),
        Some("parquet"),
    ] {
        let p = problem(
            s.get(&sql_url(CROSS_COUNT, format)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(p["type"], "/problems/query-limit", "{format:?}: {p}");
        assert!(p["detail"].as_str().unwrap().contains("Zeitlimit"), "{p}");
    }
    // CKAN's SQL goes the same way.
    let res = s
        .get(&format!(
            "/api/3/action/datastore_search_sql?sql={}",
            percent_encode(CROSS_COUNT)
        ))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let v = body(res).await;
    assert!(
        v["error"]["query"][0]
            .as_str()
            .unwrap()
            .contains("Zeitlimit"),
        "{v}"
    );
    // The server answered all along and still does (a busy machine may need a second try
    // at a query with a two-second limit).
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
    let mut page = Value::Null;
    for _ in 0..5 {
        let res = s.get(&records_url(&rid, &[("limit", "1")])).await;
        if res.status() == StatusCode::OK {
            page = body(res).await;
            break;
        }
    }
    assert_eq!(page["total"], 400, "{page}");
}

/// #4: what string functions build counts: no query can make the server allocate gigabytes.
async fn string_functions_are_bounded(backend: Backend) {
    let s = TestServer::start(backend).await;
    public_table(&s).await;
    for sql in [
        "SELECT repeat('x', 1000000000) AS r",
        "SELECT lpad('a', 2147483647) AS r",
        "SELECT rpad(\"Name\", 100000000) AS r FROM werte",
        "SELECT length(repeat(\"Name\", 200000)) AS n FROM werte",
        "SELECT replace(repeat('a', 1000000), 'a', repeat('b', 1000)) AS r",
        "SELECT to_char(now(), repeat('%Y', 100000)) AS r FROM werte",
        // Doubling through a chain of `||`, each step on its own small.
        "WITH a AS (SELECT repeat('x', 4000000) AS s), b AS (SELECT s || s AS s FROM a), \
         c AS (SELECT s || s AS s FROM b), d AS (SELECT s || s AS s FROM c), \
         e AS (SELECT s || s AS s FROM d), f AS (SELECT s || s AS s FROM e), \
         g AS (SELECT s || s AS s FROM f) SELECT length(s) FROM g, werte",
    ] {
        let res = s.get(&sql_url(sql, None)).await;
        let status = res.status();
        let text = res.text().await.unwrap();
        let shown: String = text.chars().take(300).collect();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{sql}: {shown}");
        assert!(text.contains("/problems/query-limit"), "{sql}: {shown}");
    }
    // Array builders are not public SQL at all.
    for sql in [
        "SELECT range(1, 1000000000) AS r",
        "SELECT array_repeat(1, 1000000000) AS r",
    ] {
        problem(s.get(&sql_url(sql, None)).await, StatusCode::BAD_REQUEST).await;
    }
    // Ordinary use still works, `||` included (missing if a side is missing, as in SQL).
    let v = get_json(
        &s,
        &sql_url(
            "SELECT 'Nr. ' || \"Nr\" AS a, upper(\"Name\") AS b, NULL || 'x' AS c, \
             lpad(\"Nr\", 5, '0') AS d, repeat('ab', 3) AS e FROM werte ORDER BY \"Nr\" LIMIT 1",
            None,
        ),
    )
    .await;
    assert_eq!(
        v["records"],
        json!([{"a": "Nr. 0", "b": "EINTRAG 0", "c": null, "d": "00000", "e": "ababab"}]),
        "{v}"
    );
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

/// #5: heavy queries queue on their own threads; cheap requests are answered meanwhile, and
/// what cannot run is refused as 503/429 with `Retry-After`, never 5xx otherwise.
async fn heavy_queries_do_not_starve_the_server(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.query_timeout_secs = 3;
        c.query_slots = 2;
        c.heavy_queue = 2;
        c.heavy_queue_wait_secs = 1;
        c.heavy_per_client = 2;
    })
    .await;
    public_table(&s).await;
    let mut heavy = Vec::new();
    for _ in 0..6 {
        let client = s.client.clone();
        let url = s.url(&sql_url(CROSS_COUNT, None));
        heavy.push(tokio::spawn(async move {
            let res = client.get(url).send().await.unwrap();
            let retry = res.headers().get("retry-after").is_some();
            (res.status(), retry)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..5 {
        assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
        assert_eq!(
            s.get("/api/v1/datasets/werte").await.status(),
            StatusCode::OK
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut seen = Vec::new();
    for h in heavy {
        let (status, retry) = h.await.unwrap();
        match status {
            StatusCode::UNPROCESSABLE_ENTITY => {}
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry, "{status} without Retry-After")
            }
            other => panic!("heavy query answered {other}"),
        }
        seen.push(status);
    }
    assert!(
        seen.iter().any(|s| *s != StatusCode::UNPROCESSABLE_ENTITY),
        "six queries on two slots with a queue of two: some must be refused ({seen:?})"
    );
}

/// A minimal XLSX with the given cells (reference, value) in its first sheet.
fn xlsx(cells: &[(&str, &str)], dimension: &str) -> Vec<u8> {
    let mut sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <dimension ref=\"{dimension}\"/><sheetData>"
    );
    let mut rows: Vec<(u32, Vec<(&str, &str)>)> = Vec::new();
    for (r, v) in cells {
        let n: u32 = r
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .unwrap();
        match rows.last_mut() {
            Some((m, cs)) if *m == n => cs.push((r, v)),
            _ => rows.push((n, vec![(r, v)])),
        }
    }
    for (n, cs) in rows {
        sheet.push_str(&format!("<row r=\"{n}\">"));
        for (r, v) in cs {
            if v.parse::<f64>().is_ok() {
                sheet.push_str(&format!("<c r=\"{r}\"><v>{v}</v></c>"));
            } else {
                sheet.push_str(&format!(
                    "<c r=\"{r}\" t=\"inlineStr\"><is><t>{v}</t></is></c>"
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let o = zip::write::SimpleFileOptions::default();
    for (name, text) in [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>",
        ),
        (
            "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>",
        ),
        (
            "xl/workbook.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
             <sheets><sheet name=\"Daten\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
             <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>",
        ),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ] {
        zip.start_file(name, o).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

fn big_uploads(c: &mut Config) {
    c.max_upload_bytes = 96 << 20;
    c.ingest_memory_mb = 160;
}

async fn upload_table(s: &TestServer, token: &str, name: &str, bytes: Vec<u8>) -> Value {
    let res = s.upload(token, "dateien", name, bytes).await;
    assert_eq!(res.status(), StatusCode::CREATED, "upload {name}");
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    wait_long(s, &rid).await
}

/// Waits for a large file's first version (a debug build reads tens of MB slowly).
async fn wait_long(s: &TestServer, rid: &str) -> Value {
    for _ in 0..1800 {
        let res = s.get(&format!("/api/v1/resources/{rid}/table")).await;
        if res.status() == StatusCode::OK {
            let t = body(res).await;
            let v = &t["versions"][0];
            if v["status"] == "failed" || (v["status"] == "done" && v["serving"] == true) {
                return t;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("table of {rid} did not finish");
}

/// #2, #3: a file cannot take the server's memory: sparse spreadsheets are read by their filled
/// cells, JSON record by record, and whatever a reader needs is bounded by the ingestion
/// process's limit — a file over it fails with a message, the server lives on.
async fn files_cannot_take_the_servers_memory(backend: Backend) {
    let s = TestServer::start_with(backend, big_uploads).await;
    let ed = s.editor_with_dataset("dateien", "public").await;
    let limit = 160u64 << 20;
    // Two cells, 17 billion in between (1.6 KB).
    let t = upload_table(
        &s,
        &ed,
        "duenn.xlsx",
        xlsx(&[("A1", "Wert"), ("XFD1048576", "7")], "A1:XFD1048576"),
    )
    .await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["columns"].as_array().unwrap().len(), 2, "{t}");
    assert_eq!(t["rows"], 1);
    let peak = t["peak_memory_bytes"].as_u64().unwrap();
    assert!(peak > 0 && peak < limit, "peak {peak}");
    let t = upload_table(
        &s,
        &ed,
        "lang.xlsx",
        xlsx(
            &[("A1", "Nr"), ("B1", "Wert"), ("A2", "1"), ("Z1000000", "9")],
            "A1:Z1000000",
        ),
    )
    .await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["rows"], 2);
    assert!(t["peak_memory_bytes"].as_u64().unwrap() < limit);

    // 30 MB of `{"data": [...]}` (read whole, its JSON tree alone would pass the limit).
    let mut wrapped =
        String::from("{\"meta\": {\"quelle\": \"Stadt Aalen\", \"liste\": [1, 2]}, \"data\": [");
    let mut n = 0;
    while wrapped.len() < 30 << 20 {
        if n > 0 {
            wrapped.push(',');
        }
        wrapped.push_str(&format!(
            "{{\"nr\": {n}, \"name\": \"Baum {n}\", \"art\": \"Quercus robur\", \"höhe\": {}.5, \"ort\": {{\"x\": 3.1, \"y\": 48.8}}}}",
            n % 40
        ));
        n += 1;
    }
    wrapped.push_str("]}");
    let t = upload_table(&s, &ed, "baeume.json", wrapped.into_bytes()).await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["rows"], n);
    let peak = t["peak_memory_bytes"].as_u64().unwrap();
    assert!(peak < limit, "peak {peak} of a 30 MB JSON");

    // One NDJSON line larger than a record may be (an eighth of the limit).
    let mut nd = String::from("{\"a\": 1}\n{\"a\": \"");
    nd.push_str(&"x".repeat(24 << 20));
    nd.push_str("\"}\n");
    let t = upload_table(&s, &ed, "zeile.ndjson", nd.into_bytes()).await;
    assert_eq!(t["versions"][0]["status"], "failed", "{t}");
    assert!(
        t["versions"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Zeile 2"),
        "{t}"
    );
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

/// #2: a reader that needs more than the ingestion process may have ends that process, not the
/// server; the job fails for good with a message (no retry loop).
async fn a_reader_over_the_memory_limit_fails_alone(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.max_upload_bytes = 64 << 20;
        c.ingest_memory_mb = 64;
    })
    .await;
    let ed = s.editor_with_dataset("dateien", "public").await;
    // 2,000 columns of long text: the type sample alone needs far more than 64 MB.
    let mut csv = (0..2000)
        .map(|i| format!("Spalte {i}"))
        .collect::<Vec<_>>()
        .join(";");
    csv.push('\n');
    let cell = "Ein längerer Text in jeder Zelle".repeat(2);
    for _ in 0..300 {
        csv.push_str(&vec![cell.as_str(); 2000].join(";"));
        csv.push('\n');
    }
    let res = s
        .upload(&ed, "dateien", "breit.csv", csv.into_bytes())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = body(res).await["id"].as_str().unwrap().to_string();
    let t = wait_long(&s, &rid).await;
    assert_eq!(t["versions"][0]["status"], "failed", "{t}");
    let msg = t["versions"][0]["message"].as_str().unwrap();
    assert!(msg.contains("64 MB"), "{msg}");
    let job = get_json(
        &s,
        t["versions"][0]["job"]
            .as_str()
            .unwrap()
            .trim_start_matches(&s.base),
    )
    .await;
    assert_eq!(
        (job["status"].as_str(), job["attempts"].as_i64()),
        (Some("failed"), Some(1)),
        "{job}"
    );
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

/// #8: CSV exports neutralise cells a spreadsheet would run as formulas; XLSX keeps text as
/// text; the switch turns the guard off.
async fn csv_exports_neutralise_formulas(backend: Backend) {
    for guard in [true, false] {
        let s = TestServer::start_with(backend, |c| c.csv_formula_guard = guard).await;
        let ed = s.editor_with_dataset("formeln", "public").await;
        // (No phone numbers: a public file with one would be held back by the privacy check.)
        let csv = "Name;Änderung;Wert\n\
                   \"=HYPERLINK(\"\"http://boese.example\"\",\"\"klick\"\")\";+1 Stufe;-5\n\
                   @SUM(1+1);-2+3;7\n\
                   Aalen;07361;8\n";
        let r = body(
            s.upload(&ed, "formeln", "formeln.csv", csv.as_bytes().to_vec())
                .await,
        )
        .await;
        let rid = r["id"].as_str().unwrap().to_string();
        wait_table(&s, &rid, 1).await;
        for (format, sep) in [("csv", ','), ("csv-de", ';')] {
            let text = s
                .get(&format!("/api/v1/resources/{rid}/export/{format}"))
                .await
                .text()
                .await
                .unwrap();
            let q = |cell: &str| {
                if guard {
                    format!("\"'{}\"", cell.replace('"', "\"\""))
                } else if cell.contains(sep) || cell.contains('"') {
                    format!("\"{}\"", cell.replace('"', "\"\""))
                } else {
                    cell.to_string()
                }
            };
            for cell in [
                "=HYPERLINK(\"http://boese.example\",\"klick\")",
                "@SUM(1+1)",
                "+1 Stufe",
                "-2+3",
            ] {
                assert!(
                    text.contains(&q(cell)),
                    "{format} guard={guard}: {cell} in {text}"
                );
            }
            // Numbers stay numbers.
            assert!(text.contains(&format!("{sep}-5\r\n")), "{text}");
        }
        // The same query as SQL export is guarded the same way.
        let sql = s
            .get(&sql_url("SELECT \"Name\" FROM formeln", Some("csv")))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(sql.contains("\"'@SUM(1+1)\""), guard, "{sql}");
    }
}

/// #9: whatever SQL a stranger sends is a 4xx problem, never a 500.
async fn sql_errors_are_client_errors(backend: Backend) {
    let s = TestServer::start(backend).await;
    let (ed, _) = public_table(&s).await;
    s.dataset(&ed, "stadt-aalen", "zweite", "public").await;
    let r = body(
        s.upload(
            &ed,
            "zweite",
            "zweite.csv",
            b"Nr;Stadt;Datum\n1;Aalen;31.12.2024\n2;Ulm;01.01.2025\n".to_vec(),
        )
        .await,
    )
    .await;
    wait_table(&s, r["id"].as_str().unwrap(), 1).await;
    // Joins and unions across tables of different shapes and metadata.
    for sql in [
        "SELECT w.\"Name\", z.\"Stadt\" FROM werte w JOIN zweite z ON w.\"Nr\" = z.\"Nr\" ORDER BY w.\"Nr\"",
        "SELECT * FROM werte w JOIN zweite z ON w.\"Nr\" = z.\"Nr\"",
        "SELECT \"Nr\" FROM werte UNION ALL SELECT \"Nr\" FROM zweite",
        "SELECT * FROM werte w, zweite z WHERE w.\"Nr\" < 2",
        "SELECT z.*, w.* FROM zweite z LEFT JOIN werte w USING (\"Nr\")",
    ] {
        let res = s.get(&sql_url(sql, None)).await;
        let status = res.status();
        let text: String = res.text().await.unwrap().chars().take(300).collect();
        assert_eq!(status, StatusCode::OK, "{sql}: {text}");
    }
    // An endless recursion stops at the row limit.
    let v = get_json(
        &s,
        &sql_url(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
            None,
        ),
    )
    .await;
    assert_eq!(v["truncated"], true);
    for sql in [
        "EXPLAIN SELECT * FROM werte",
        "EXPLAIN ANALYZE SELECT * FROM werte",
        "SELECT * FROM werte WHERE",
        "SELECT nichts FROM werte",
        "SELECT 1/0",
        "SELECT CAST('abc' AS INT)",
        "DROP TABLE werte",
        "COPY werte TO '/tmp/x.csv'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM '/etc/passwd'",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        "SET datafusion.execution.batch_size = 1",
        "SELECT array_agg(\"Name\")[1000000000] FROM werte",
    ] {
        let res = s.get(&sql_url(sql, None)).await;
        let status = res.status();
        let text: String = res.text().await.unwrap().chars().take(300).collect();
        assert!(status.is_client_error(), "{sql}: {status} {text}");
    }
}

/// #10: Strict-Transport-Security when the public URL is https, not otherwise.
async fn hsts_when_public_url_is_https(backend: Backend) {
    let s =
        TestServer::start_with(backend, |c| c.public_url = "https://daten.aalen.de".into()).await;
    for path in ["/", "/api/v1/datasets", "/healthz", "/gibt-es-nicht"] {
        let res = s.get(path).await;
        assert_eq!(
            res.headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
    }
    let plain = TestServer::start(backend).await;
    assert!(
        plain
            .get("/")
            .await
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

/// #12: CKAN `resource_create` takes uploads beyond 2 MB (up to `max_upload_bytes`), and
/// `datastore_search` with `fields` answers field dicts.
async fn ckan_uploads_and_datastore_fields(backend: Backend) {
    let s = TestServer::start_with(backend, |c| c.max_upload_bytes = 16 << 20).await;
    let ed = s.editor_with_dataset("gross", "public").await;
    let csv = rows_csv(200_000);
    assert!(csv.len() > 3 << 20);
    let form = reqwest::multipart::Form::new()
        .text("package_id", "gross")
        .text("name", "Große Datei")
        .part(
            "upload",
            reqwest::multipart::Part::bytes(csv.clone()).file_name("gross.csv"),
        );
    let res = s
        .client
        .post(s.url("/api/3/action/resource_create"))
        .bearer_auth(&ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );
    let v = body(res).await;
    assert_eq!(v["result"]["size"], csv.len());
    let rid = v["result"]["id"].as_str().unwrap().to_string();
    wait_long(&s, &rid).await;
    let res = s
        .get(&format!(
            "/api/3/action/datastore_search?resource_id={rid}&fields=Nr,Name&limit=2"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let v = body(res).await;
    let fields: Vec<(&str, &str)> = v["result"]["fields"]
        .as_array()
        .unwrap_or_else(|| panic!("fields is not a list: {v}"))
        .iter()
        .map(|f| (f["id"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(fields, [("Nr", "int"), ("Name", "text")], "{v}");
    assert_eq!(
        v["result"]["records"][1],
        json!({"Nr": 1, "Name": "Eintrag 1"})
    );
    // Over the limit: the limit is named, not "0 bytes". The server answers before it has
    // read the body (the declared length is enough) and closes; a client still writing may
    // see the closed connection instead of the answer, so it asks again.
    let mut attempt = 0;
    let res = loop {
        attempt += 1;
        let form = reqwest::multipart::Form::new()
            .text("package_id", "gross")
            .part(
                "upload",
                reqwest::multipart::Part::bytes(vec![b'x'; 17 << 20]).file_name("zu-gross.csv"),
            );
        match s
            .client
            .post(s.url("/api/3/action/resource_create"))
            .bearer_auth(&ed)
            .multipart(form)
            .send()
            .await
        {
            Ok(res) => break res,
            Err(e) if attempt < 5 && e.is_request() => continue,
            Err(e) => panic!("{e:?}"),
        }
    };
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let v = body(res).await;
    assert!(
        v["error"]["upload"][0]
            .as_str()
            .unwrap()
            .contains(&(16u64 << 20).to_string()),
        "{v}"
    );
}

/// Abuse limits: per address and per token for the APIs, tighter for SQL; 429 with
/// `Retry-After`; pages are not counted.
async fn api_and_sql_are_rate_limited(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.rate_limit_per_minute = 600;
        c.rate_limit_burst = 60;
        c.rate_limit_token_per_minute = 600;
        c.rate_limit_token_burst = 30;
        c.rate_limit_sql_per_minute = 6;
        c.rate_limit_sql_burst = 3;
    })
    .await;
    let (ed, _) = public_table(&s).await;
    // SQL: three at once, then wait.
    for _ in 0..3 {
        assert_eq!(
            s.get(&sql_url("SELECT 1 AS a", None)).await.status(),
            StatusCode::OK
        );
    }
    let res = s.get(&sql_url("SELECT 1 AS a", None)).await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    let p = problem(res, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(p["type"], "/problems/too-many-requests");
    // CKAN's SQL shares the SQL share.
    let res = s
        .get(&format!(
            "/api/3/action/datastore_search_sql?sql={}",
            percent_encode("SELECT 1 AS a")
        ))
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The anonymous API share is used up after its burst ...
    let mut statuses = Vec::new();
    for _ in 0..80 {
        statuses.push(s.get("/api/v1/datasets/werte").await.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // ... while a token holder has a share of its own, and pages are not counted.
    assert_eq!(
        s.get_as("/api/v1/datasets/werte", &ed).await.status(),
        StatusCode::OK
    );
    assert_eq!(s.get("/dataset/werte").await.status(), StatusCode::OK);
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

crate::both_backends!(
    api_and_sql_are_rate_limited,
    heavy_queries_stop_with_their_client,
    every_query_path_has_the_deadline,
    string_functions_are_bounded,
    heavy_queries_do_not_starve_the_server,
    files_cannot_take_the_servers_memory,
    a_reader_over_the_memory_limit_fails_alone,
    csv_exports_neutralise_formulas,
    sql_errors_are_client_errors,
    hsts_when_public_url_is_https,
    ckan_uploads_and_datastore_fields,
);

/// A real `allmende serve` process on its own port (the tests above run the server inside
/// the test binary, which cannot be killed or sent a signal).
struct Process {
    child: std::process::Child,
    base: String,
    log: std::path::PathBuf,
}

impl Process {
    fn start(dir: &std::path::Path, database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join(format!("serve-{port}.log"));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_allmende"));
        cmd.args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(dir)
        .env("ALLMENDE_DATABASE_URL", database_url)
        .env("ALLMENDE_LOG_LEVEL", "info")
        .env("ALLMENDE_MAX_UPLOAD_BYTES", (64u64 << 20).to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("start allmende serve");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    async fn ready(&mut self) {
        for _ in 0..300 {
            if let Ok(r) = reqwest::get(format!("{}/readyz", self.base)).await
                && r.status() == StatusCode::OK
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("server exited: {status}\n{}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("server not ready:\n{}", self.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits up to `limit` for the process to end.
    async fn exited_within(&mut self, limit: Duration) -> bool {
        let t = std::time::Instant::now();
        while t.elapsed() < limit {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data directory and database with organization `stadt-aalen` and an editor's token, for a
/// server process to run on.
async fn process_fixture(backend: Backend) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::harness::database_url(backend, dir.path()).await;
    let config = Config {
        database_url: url.clone(),
        ..Config::default()
    };
    let catalog = allmende::open_catalog(&config, dir.path()).await.unwrap();
    let token = editor_token(&catalog).await;
    (dir, url, token)
}

async fn editor_token(catalog: &allmende_catalog::Catalog) -> String {
    let f = allmende_core::validate::OrganizationInput {
        slug: Some("stadt-aalen".into()),
        name: Some("Stadt Aalen".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let org = catalog.create_organization(&f).await.unwrap();
    let user = catalog
        .create_user("ed", "", None, "ein-langes-passwort", false)
        .await
        .unwrap();
    catalog
        .set_membership(user.id, org.id, Role::Editor)
        .await
        .unwrap();
    catalog.create_token(user.id, "test", None).await.unwrap().1
}

async fn upload_to(base: &str, token: &str, dataset: &str, name: &str, bytes: Vec<u8>) -> Value {
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/v1/datasets"))
        .bearer_auth(token)
        .json(
            &json!({"slug": dataset, "title": "Titel", "description": "Beschreibung",
            "organization": "stadt-aalen", "license": "dl-by-de/2.0", "visibility": "public",
            "release_checklist": crate::harness::release()}),
        )
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status() == StatusCode::CONFLICT);
    let res = send_file(
        client.post(format!("{base}/api/v1/datasets/{dataset}/resources")),
        token,
        bytes,
        name,
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

async fn table_of(base: &str, rid: &str) -> Value {
    reqwest::get(format!("{base}/api/v1/resources/{rid}/table"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// The job of a table's latest version.
async fn latest_job(table: &Value) -> Value {
    let url = table["versions"][0]["job"].as_str().expect("a job link");
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// Sends `bytes` as a form's `file` field.
async fn send_file(
    request: reqwest::RequestBuilder,
    token: &str,
    bytes: Vec<u8>,
    name: &str,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    request
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Replaces a resource's file with a new `werte.csv` (accepted for ingestion).
async fn replace_file(base: &str, token: &str, rid: &str, csv: Vec<u8>) {
    let put = reqwest::Client::new().put(format!("{base}/api/v1/resources/{rid}/file"));
    let res = send_file(put, token, csv, "werte.csv").await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
}

async fn wait_version(base: &str, rid: &str, version: i64, status: &str) -> Value {
    // Up to five minutes: a taken-up job waits a minute for its stale claim, then a debug
    // build reads 1.5M rows on a machine the whole suite keeps busy.
    for _ in 0..3000 {
        let t = table_of(base, rid).await;
        let latest = &t["versions"][0];
        // A finished version is read together with the switch to it (the version list may be
        // read a moment before the switch).
        let switched = status != "done" || latest["serving"] == true;
        if latest["version"] == version && latest["status"] == status && switched {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("version {version} of {rid} never became {status}");
}

/// #7: a failed login logs the user name escaped: newlines and escape codes cannot forge log
/// lines.
async fn failed_logins_cannot_forge_log_lines(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::harness::database_url(backend, dir.path()).await;
    let mut p = Process::start(dir.path(), &url, &[]);
    p.ready().await;
    let client = reqwest::Client::new();
    let res = client
        .get(format!("{}/login", p.base))
        .send()
        .await
        .unwrap();
    let csrf = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("allmende_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let forged = "bob\n2026-11-30T12:00:00.000000Z  INFO allmende: login user=admin\x1b[2J";
    let res = client
        .post(format!("{}/login", p.base))
        .header("cookie", format!("allmende_csrf={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("username", forged),
            ("password", "falsch"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let mut log = String::new();
    for _ in 0..50 {
        log = p.log_text();
        if log.contains("failed login") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let line = log
        .lines()
        .find(|l| l.contains("failed login"))
        .unwrap_or_else(|| panic!("no failed-login line in\n{log}"));
    assert!(line.contains("bob\\n2026-11-30T12:00:00.000000Z"), "{line}");
    assert!(!log.contains("\x1b[2J"), "the escape code reached the log");
    assert!(
        !log.contains('\x1b'),
        "colour codes in a log that is not a terminal"
    );
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-11-30T12:00:00.000000Z  INFO allmende: login")),
        "a forged line:\n{log}"
    );
}

/// #11: SIGTERM stops a server whose queries run away, within seconds: running work is
/// cancelled, open requests get an answer or a closed connection.
async fn sigterm_stops_runaway_queries(backend: Backend) {
    let (dir, url, token) = process_fixture(backend).await;
    let mut p = Process::start(
        dir.path(),
        &url,
        &[
            ("ALLMENDE_QUERY_TIMEOUT_SECS", "3600"),
            ("ALLMENDE_EXPORT_TIMEOUT_SECS", "3600"),
        ],
    );
    p.ready().await;
    let r = upload_to(&p.base, &token, "werte", "werte.csv", rows_csv(400)).await;
    wait_version(&p.base, r["id"].as_str().unwrap(), 1, "done").await;
    // Two runaway queries whose clients never give up.
    let mut runaway = Vec::new();
    for format in ["json", "csv"] {
        let u = format!("{}{}", p.base, sql_url(CROSS_COUNT, Some(format)));
        runaway.push(tokio::spawn(async move {
            reqwest::get(u).await.map(|r| r.status())
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    p.signal("TERM");
    assert!(
        p.exited_within(Duration::from_secs(20)).await,
        "still running 20 s after SIGTERM:\n{}",
        p.log_text()
    );
    for h in runaway {
        // An error answer (503) or a closed connection; never a hang.
        if let Ok(Ok(status)) = tokio::time::timeout(Duration::from_secs(5), h)
            .await
            .unwrap()
        {
            assert!(
                status.is_server_error() || status.is_client_error(),
                "{status}"
            );
        }
    }
}

/// #6: a table's new file and its table switch together; a server killed while reading a
/// file takes the job up again within a minute of its restart, and until then serves the old
/// file and table, consistently.
async fn a_killed_ingestion_is_taken_up_and_never_half_shown(backend: Backend) {
    let (dir, url, token) = process_fixture(backend).await;
    let mut p = Process::start(dir.path(), &url, &[]);
    p.ready().await;
    let v1 = rows_csv(10);
    let r = upload_to(&p.base, &token, "werte", "werte.csv", v1.clone()).await;
    let rid = r["id"].as_str().unwrap().to_string();
    wait_version(&p.base, &rid, 1, "done").await;
    let v1_sha = r["sha256"].as_str().unwrap().to_string();
    // Version 2: large enough to be still reading when the server is killed.
    let v2 = rows_csv(1_500_000);
    replace_file(&p.base, &token, &rid, v2.clone()).await;
    wait_version(&p.base, &rid, 2, "running").await;
    // Meanwhile the resource still describes the file its table was made from.
    let consistent = |res: &Value, t: &Value| {
        assert_eq!(res["sha256"], v1_sha.as_str(), "{res}");
        assert_eq!(res["byte_size"], v1.len(), "{res}");
        assert_eq!(t["version"], 1, "{t}");
        assert_eq!(t["rows"], 10, "{t}");
    };
    let res: Value = reqwest::get(format!("{}/api/v1/resources/{rid}", p.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    consistent(&res, &table_of(&p.base, &rid).await);
    p.signal("KILL");
    assert!(p.exited_within(Duration::from_secs(5)).await);
    drop(p);

    let mut p = Process::start(dir.path(), &url, &[]);
    p.ready().await;
    let res: Value = reqwest::get(format!("{}/api/v1/resources/{rid}", p.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    consistent(&res, &table_of(&p.base, &rid).await);
    let download = reqwest::get(format!("{}/api/v1/resources/{rid}/download", p.base))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(download.as_ref(), v1.as_slice());
    // Taken up again and finished (a minute for the stale claim to show, plus the reading).
    let t = wait_version(&p.base, &rid, 2, "done").await;
    assert_eq!(t["rows"], 1_500_000);
    let res: Value = reqwest::get(format!("{}/api/v1/resources/{rid}", p.base))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["byte_size"], v2.len(), "{res}");
    assert_ne!(res["sha256"], v1_sha.as_str());
    let job = latest_job(&t).await;
    assert_eq!(job["attempts"], 2, "{job}");
}

/// A file that takes longer than `ingest_timeout_secs` to read: its reader process is stopped,
/// the version fails with a message that says so (not retried: the same file would take as
/// long again), and the previous version keeps serving.
async fn an_ingestion_over_its_time_limit_is_stopped(backend: Backend) {
    let (dir, url, token) = process_fixture(backend).await;
    let mut p = Process::start(dir.path(), &url, &[("ALLMENDE_INGEST_TIMEOUT_SECS", "1")]);
    p.ready().await;
    let r = upload_to(&p.base, &token, "werte", "werte.csv", rows_csv(10)).await;
    let rid = r["id"].as_str().unwrap().to_string();
    wait_version(&p.base, &rid, 1, "done").await;
    // Several seconds of reading for this build; the limit is one.
    replace_file(&p.base, &token, &rid, rows_csv(1_500_000)).await;
    let t = wait_version(&p.base, &rid, 2, "failed").await;
    let message = t["versions"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("länger als 1 s"), "{t}");
    assert_eq!(t["rows"], 10, "the previous version serves: {t}");
    let job = latest_job(&t).await;
    assert_eq!(job["attempts"], 1, "{job}");
    // The stopped reader left no output behind.
    let scratch = dir.path().join("tmp");
    let left: Vec<_> = std::fs::read_dir(&scratch)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

mod process {
    use super::*;
    crate::both_backends!(
        failed_logins_cannot_forge_log_lines,
        sigterm_stops_runaway_queries,
        a_killed_ingestion_is_taken_up_and_never_half_shown,
        an_ingestion_over_its_time_limit_is_stopped,
    );
}

/// Multipart bodies from strangers: a valid upload with random damage (broken boundaries,
/// headers, lengths, cut-off ends). Every answer is a client error or a success, never a
/// 5xx, and nothing is left half-written. Cases: `PROPTEST_CASES` (default 32).
async fn damaged_multipart_uploads_are_refused_cleanly(backend: Backend) {
    use proptest::prelude::*;
    let s = TestServer::start(backend).await;
    let ed = s.editor_with_dataset("uploads", "public").await;
    const BOUNDARY: &str = "----allmendeFuzzGrenze";
    let valid = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nMesswerte\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"werte.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nNr;Wert\r\n1;2,5\r\n2;3,25\r\n\r\n--{BOUNDARY}--\r\n"
    )
    .into_bytes();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(32u32);
    let strategy = (
        prop::collection::vec((any::<u16>(), any::<u8>(), 0u8..5), 0..16),
        prop::option::of(any::<u16>()),
    );
    let handle = tokio::runtime::Handle::current();
    let url = s.url("/api/v1/datasets/uploads/resources");
    let client = s.client.clone();
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..Default::default()
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(&strategy, |(edits, cut)| {
            let mut b = valid.clone();
            for (pos, byte, op) in edits {
                let p = pos as usize % b.len().max(1);
                match op {
                    0 if !b.is_empty() => b[p] = byte,
                    1 => b.insert(p, byte),
                    2 if !b.is_empty() => {
                        b.remove(p);
                    }
                    3 => b.splice(p..p, b"\r\n--".iter().copied()).for_each(drop),
                    _ => b
                        .splice(p..p, std::iter::repeat_n(b'a', 70_000))
                        .for_each(drop),
                }
            }
            if let Some(c) = cut {
                b.truncate(c as usize % (b.len() + 1));
            }
            let status = handle.block_on(async {
                client
                    .post(&url)
                    .bearer_auth(&ed)
                    .header(
                        "content-type",
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .body(b.clone())
                    .send()
                    .await
                    .map(|r| r.status())
            });
            let status = match status {
                Ok(status) => status,
                // Refused before the whole body was read: the server answers early and closes,
                // and a client still writing sees the closed connection. Not a hang (timeout)
                // and not a server that is gone (connect): checked after the run.
                Err(e) if e.is_request() && !e.is_connect() && !e.is_timeout() => {
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            };
            prop_assert!(
                status.is_success() || status.is_client_error(),
                "{status} for {:?}",
                String::from_utf8_lossy(&b[..b.len().min(300)])
            );
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Nothing half-written: no staging file stays once ingestion is idle.
    assert_eq!(s.scratch_files_when_idle().await, 0);
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

mod fuzz {
    use super::*;
    crate::both_backends!(damaged_multipart_uploads_are_refused_cleanly);
}
