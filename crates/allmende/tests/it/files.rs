//! Uploads and downloads: identical bytes and SHA-256, ranges, validators, file names.

use allmende_core::Role;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};

use crate::harness::{Backend, TestServer, json, problem};

fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e3779b97f4a7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn upload_download_identical_with_ranges(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "binaer", "public").await;

    let data = pseudo_random(3 * 1024 * 1024 + 17);
    let sha = hex::encode(Sha256::digest(&data));
    let res = s
        .upload(&ed, "binaer", "Messwerte März 2024.bin", data.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json(res).await;
    assert_eq!(r["sha256"], sha);
    assert_eq!(r["byte_size"], data.len());
    let url = format!("/api/v1/resources/{}/download", r["id"].as_str().unwrap());

    let res = s.get(&url).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["content-length"], data.len().to_string().as_str());
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["etag"], format!("\"{sha}\"").as_str());
    assert!(h.contains_key("last-modified"));
    let disposition = h["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''Messwerte%20M%C3%A4rz%202024.bin"),
        "{disposition}"
    );
    let body = res.bytes().await.unwrap();
    assert_eq!(hex::encode(Sha256::digest(&body)), sha);

    // Ranges: start-end, suffix, open end.
    let range = |spec: &'static str| {
        let s = &s;
        let url = url.clone();
        async move {
            s.client
                .get(s.url(&url))
                .header("range", spec)
                .send()
                .await
                .unwrap()
        }
    };
    let res = range("bytes=0-9").await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes 0-9/{}", data.len()).as_str()
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), data[..10].to_vec());
    let res = range("bytes=-5").await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        data[data.len() - 5..].to_vec()
    );
    let res = range("bytes=1048576-").await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        res.bytes().await.unwrap().to_vec(),
        data[1048576..].to_vec()
    );
    let res = range("bytes=99999999-").await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        res.headers()["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );

    // If-Range with a stale validator returns the whole file.
    let res = s
        .client
        .get(s.url(&url))
        .header("range", "bytes=0-9")
        .header("if-range", "\"stale\"")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // Conditional requests.
    let res = s
        .client
        .get(s.url(&url))
        .header("if-none-match", format!("\"{sha}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    // HEAD answers the headers without the body.
    let res = s.client.head(s.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["content-length"],
        data.len().to_string().as_str()
    );

    // The same content uploaded twice is stored once.
    let (before, _) = s.stored_files();
    let res = s.upload(&ed, "binaer", "kopie.bin", data.clone()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(s.stored_files().0, before);
}

async fn formats_are_detected_from_content(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "formate", "public").await;
    let real =
        |name: &str| std::fs::read(format!("{}/demo/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        (
            "wetter.xlsx",
            real("muenster_wetter_taeglich_serialdates.xlsx"),
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        (
            "owi.csv",
            real("muenster_owi_ruhender_verkehr_bom_semicolon.csv"),
            "CSV",
            "text/csv",
        ),
        (
            "parken.json",
            real("aalen_parking_occupancy.json"),
            "JSON",
            "application/json",
        ),
        (
            "karte.json",
            br#"{"type":"FeatureCollection","features":[]}"#.to_vec(),
            "GEOJSON",
            "application/geo+json",
        ),
        (
            "bericht.csv",
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec(),
            "PDF",
            "application/pdf",
        ),
        (
            "latin1.csv",
            real("bietigheim_bissingen_parking_latin1_epochms.csv"),
            "CSV",
            "text/csv",
        ),
    ];
    let mut ids = Vec::new();
    for (name, bytes, format, media) in cases {
        let r = json(s.upload(&ed, "formate", name, bytes).await).await;
        assert_eq!(r["format"], format, "{name}");
        assert_eq!(r["media_type"], media, "{name}");
        ids.push((name, r["id"].as_str().unwrap().to_string()));
    }
    // What the detector calls a table is read; a GeoJSON named .json or a PDF named .csv is
    // never read as garbage columns.
    for (name, rid) in &ids {
        let t = crate::data::wait_table(&s, rid, 1).await;
        let v = &t["versions"][0];
        match *name {
            // GeoJSON is a spatial table (geo.rs); one without features says so.
            "karte.json" => {
                assert_eq!(v["status"], "failed", "{t}");
                assert_eq!(
                    v["message"], "Die Datei enthält keine Geo-Objekte (Features).",
                    "{t}"
                );
            }
            "bericht.csv" => {
                assert_eq!(v["status"], "failed", "{t}");
                assert_eq!(
                    v["message"], "Die Datei ist keine Tabelle, sondern PDF.",
                    "{t}"
                );
            }
            _ => assert_eq!(v["status"], "done", "{name}: {t}"),
        }
    }
    // The publisher can override the detected format.
    let part = reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec()).file_name("x.txt");
    let form = reqwest::multipart::Form::new()
        .text("format", "TXT")
        .part("file", part);
    let res = s
        .client
        .post(s.url("/api/v1/datasets/formate/resources"))
        .bearer_auth(&ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let r = json(res).await;
    assert_eq!(r["format"], "TXT");
    assert_eq!(r["title"], "x.txt");
    let _ = problem;
}

crate::both_backends!(
    upload_download_identical_with_ranges,
    formats_are_detected_from_content
);
