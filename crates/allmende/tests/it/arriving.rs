//! Uploads of tables read while they arrive: the reader process starts with the first bytes
//! (the upload is held half-way here, over a raw connection), the worker takes it over once the
//! upload is stored, and the table is the file's; an upload that breaks off or stalls stops its
//! reader and leaves nothing behind.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{Backend, TestServer};

const BOUNDARY: &str = "----allmendeNachUndNach";

fn counts_csv(rows: usize) -> Vec<u8> {
    let mut csv = String::from("Zählstelle;Zeitpunkt;Fahrräder\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "Radweg Kocher {};{:02}.{:02}.2025 {:02}:00;{}\n",
            i % 5,
            i % 28 + 1,
            i % 12 + 1,
            i % 24,
            i % 311
        ));
    }
    encoding_rs::WINDOWS_1252.encode(&csv).0.into_owned()
}

/// The files in the scratch folder (staging files, outputs, early readers' links).
fn scratch_files(data_dir: &Path) -> Vec<String> {
    std::fs::read_dir(data_dir.join("tmp"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The early readers' links in the scratch folder.
fn early_links(data_dir: &Path) -> Vec<String> {
    let mut files = scratch_files(data_dir);
    files.retain(|n| n.starts_with("early-"));
    files
}

/// How many resources the test's dataset has.
async fn resources(s: &TestServer) -> usize {
    let ds = s
        .get("/api/v1/datasets/radverkehr")
        .await
        .json::<Value>()
        .await
        .unwrap();
    ds["resources"].as_array().map_or(0, Vec::len)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} never happened");
}

/// A multipart upload over a raw connection: the head of the request and the first `held`
/// bytes of the file, nothing more until the returned writer is told to go on.
async fn start_upload(
    s: &TestServer,
    token: &str,
    dataset: &str,
    file: &[u8],
    held: usize,
) -> (tokio::net::TcpStream, Vec<u8>) {
    let part = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"zaehlung.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    let end = format!("\r\n--{BOUNDARY}--\r\n");
    let addr = s.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/datasets/{dataset}/resources HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{part}",
        part.len() + file.len() + end.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&file[..held]).await.unwrap();
    tcp.flush().await.unwrap();
    let mut rest = file[held..].to_vec();
    rest.extend_from_slice(end.as_bytes());
    (tcp, rest)
}

/// Uploads `csv` in two halves, the second once its early reader runs; the new resource's id
/// and its table, once its latest version is done (or failed).
async fn upload_in_halves(s: &TestServer, token: &str, csv: &[u8]) -> (String, Value) {
    let (mut tcp, rest) = start_upload(s, token, "radverkehr", csv, csv.len() / 2).await;
    // Half the file is there, the upload is not finished, and its reader runs.
    let dir = s.data_dir();
    until("an early reader", || early_links(&dir).len() == 1).await;
    tcp.write_all(&rest).await.unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let json = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    let resource: Value = serde_json::from_str(json).unwrap();
    let rid = resource["id"].as_str().unwrap();
    let mut table = Value::Null;
    for _ in 0..600 {
        table = s
            .get(&format!("/api/v1/resources/{rid}/table"))
            .await
            .json()
            .await
            .unwrap_or(Value::Null);
        let latest = &table["versions"][0];
        if latest["status"] == "failed" || (latest["status"] == "done" && latest["serving"] == true)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (rid.to_string(), table)
}

async fn a_table_upload_is_read_while_it_arrives(backend: Backend) {
    // Larger than the tests' usual upload limit: reading must be under way before the end.
    let s = TestServer::start_with(backend, |c| c.max_upload_bytes = 64 << 20).await;
    let ed = s.editor_with_dataset("radverkehr", "public").await;
    let csv = counts_csv(150_000);
    let dir = s.data_dir();
    let (rid, table) = upload_in_halves(&s, &ed, &csv).await;
    let rid = rid.as_str();
    assert_eq!(table["versions"][0]["status"], "done", "{table}");
    assert_eq!(table["rows"], 150_000, "{table}");
    // The worker took the early reader over (a reader started after the upload says false).
    assert_eq!(table["read_during_upload"], true, "{table}");
    let types: Vec<(&str, &str)> = table["schema"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("Zählstelle", "string"),
            ("Zeitpunkt", "datetime"),
            ("Fahrräder", "integer")
        ],
        "{table}"
    );
    // The last row is there, read from the half that arrived later.
    let last = s
        .get(&format!(
            "/api/v1/resources/{rid}/records?offset=149999&limit=1&total=false"
        ))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(last["records"][0]["Fahrräder"], 149_999 % 311, "{last}");
    until("the early reader's link removed", || {
        early_links(&dir).is_empty()
    })
    .await;

    // The same file once more, as a resource of its own: its bytes are stored already, so the
    // early reader's link is the last name of the new upload's copy. The table is served as
    // the first was, and the link (with the copy) goes afterwards.
    let (again, table) = upload_in_halves(&s, &ed, &csv).await;
    assert_ne!(again, rid);
    assert_eq!(table["versions"][0]["status"], "done", "{table}");
    assert_eq!(table["rows"], 150_000, "{table}");
    assert_eq!(table["read_during_upload"], true, "{table}");
    until("the second early reader's link removed", || {
        early_links(&dir).is_empty()
    })
    .await;
    assert_eq!(resources(&s).await, 2);

    // An upload that breaks off half-way: its reader is stopped, nothing is stored.
    let (tcp, _) = start_upload(&s, &ed, "radverkehr", &csv, csv.len() / 2).await;
    until("an early reader", || early_links(&dir).len() == 1).await;
    drop(tcp);
    until("the broken-off upload's reader stopped", || {
        early_links(&dir).is_empty()
    })
    .await;
    assert_eq!(resources(&s).await, 2);
    let left = scratch_files(&dir);
    assert!(left.is_empty(), "{left:?}");
}

/// An upload that stops sending half-way is given up after `upload_idle_secs` with 408: its
/// staged bytes and its early reader are gone, nothing is stored.
async fn a_stalled_upload_is_given_up(backend: Backend) {
    let s = TestServer::start_with(backend, |c| {
        c.max_upload_bytes = 64 << 20;
        c.upload_idle_secs = 1;
    })
    .await;
    let ed = s.editor_with_dataset("radverkehr", "public").await;
    let csv = counts_csv(150_000);
    let (mut tcp, _) = start_upload(&s, &ed, "radverkehr", &csv, csv.len() / 2).await;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut answer))
        .await
        .expect("an answer to a stalled upload")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    let dir = s.data_dir();
    until("the stalled upload's files removed", || {
        scratch_files(&dir).is_empty()
    })
    .await;
    assert_eq!(resources(&s).await, 0);
}

crate::both_backends!(
    a_table_upload_is_read_while_it_arrives,
    a_stalled_upload_is_given_up,
);
