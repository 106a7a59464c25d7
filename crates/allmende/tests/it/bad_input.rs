//! Bad input gets the documented 4xx problem response; nothing half-written is left behind.

use std::time::Duration;

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::harness::{Backend, TestServer, json, problem};

async fn setup(backend: Backend) -> (TestServer, String) {
    let s = TestServer::start_with(backend, |c| c.max_upload_bytes = 1024 * 1024).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "ziel", "public").await;
    (s, ed)
}

async fn malformed_requests(backend: Backend) {
    let (s, ed) = setup(backend).await;
    let post_raw = |ct: &'static str, body: &'static str| {
        let s = &s;
        let ed = ed.clone();
        async move {
            s.client
                .post(s.url("/api/v1/datasets"))
                .bearer_auth(ed)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    problem(
        post_raw("application/json", "{\"title\": ").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        post_raw("text/plain", "{}").await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        post_raw("application/json", "[1, 2]").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let p = problem(
        post_raw("application/json", "{\"titel\": \"Tippfehler\"}").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        p["errors"]["body"].is_array(),
        "unknown field reported: {p}"
    );

    // Every missing and invalid field is reported at once, in German by default …
    let p = problem(
        s.post_json("/api/v1/datasets", &ed, &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    for field in ["title", "description", "license", "organization"] {
        assert!(p["errors"][field].is_array(), "{field} in {p}");
    }
    assert_eq!(p["errors"]["title"][0], "Pflichtangabe fehlt.");
    // … or in English when asked.
    let res = s
        .client
        .post(s.url("/api/v1/datasets"))
        .bearer_auth(&ed)
        .header("accept-language", "en")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"]["title"][0], "This field is required.");

    let p = problem(
        s.post_json(
            "/api/v1/datasets",
            &ed,
            &json!({"slug": "Ungültig!", "title": "T", "description": "D", "organization": "stadt-aalen",
                "license": "proprietaer", "themes": ["ENVI", "SPORT"], "contact": {"email": "keine-mail"},
                "issued": "2024-02-30", "landing_page": "javascript:alert(1)", "frequency": "manchmal",
                "spatial": {"ags": "123", "bbox": [200, 0, 0, 0]}, "visibility": "geheim",
                "temporal": {"start": "2025-01-01", "end": "2024-01-01"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    for field in [
        "slug",
        "license",
        "themes",
        "contact.email",
        "issued",
        "landing_page",
        "frequency",
        "spatial.ags",
        "spatial.bbox",
        "visibility",
        "temporal.end",
    ] {
        assert!(p["errors"][field].is_array(), "{field} in {p}");
    }
    assert!(p["errors"]["themes"][0].as_str().unwrap().contains("SPORT"));
    let p = problem(
        s.post_json("/api/v1/datasets", &ed, &json!({"title": "T", "description": "D", "organization": "gibt-es-nicht", "license": "cc-zero"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(p["errors"]["organization"].is_array());

    // Duplicate slug → 409, on create and on rename.
    let dup = json!({"slug": "ziel", "title": "Nochmal", "description": "D", "organization": "stadt-aalen", "license": "cc-zero", "release_checklist": crate::harness::release()});
    let p = problem(
        s.post_json("/api/v1/datasets", &ed, &dup).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(p["errors"]["slug"].is_array());
    s.dataset(&ed, "stadt-aalen", "zweites", "public").await;
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/zweites",
            Some(&ed),
            &json!({"slug": "ziel"}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    problem(
        s.send_json(
            Method::PATCH,
            "/api/v1/datasets/zweites",
            Some(&ed),
            &json!("nicht-objekt"),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Query and path garbage.
    problem(
        s.get("/api/v1/datasets?page=abc").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?per_page=100000").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?page=0").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?sort=zufall").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/datasets?unbekannt=1").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.get("/api/v1/resources/keine-uuid").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        s.get("/api/v1/resources/3f2504e0-4f89-41d3-9a0c-0305e82c3301")
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(s.get("/api/v1/gibt-es-nicht").await, StatusCode::NOT_FOUND).await;
    problem(
        s.get("/api/v1/datasets/..%2F..%2Fetc%2Fpasswd").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let res = s
        .client
        .request(Method::DELETE, s.url("/api/v1/licenses"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let big = "x".repeat(3 * 1024 * 1024);
    let res = s
        .client
        .post(s.url("/api/v1/datasets"))
        .bearer_auth(&ed)
        .header("content-type", "application/json")
        // The server answers before reading the whole body and closes the connection; the
        // client must not reuse it for the next request (that race is not what this tests).
        .header("connection", "close")
        .body(format!("{{\"title\": \"{big}\"}}"))
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;

    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(json(s.get("/api/v1/datasets").await).await["total"], 2);
}

async fn bad_uploads_leave_nothing_behind(backend: Backend) {
    let (s, ed) = setup(backend).await;
    let before_files = s.stored_files();
    let before_rows = s.resource_rows().await;

    // Too large: refused with 413, nothing stored.
    let res = s
        .upload(&ed, "ziel", "gross.csv", vec![b'a'; 1024 * 1024 + 1])
        .await;
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;
    // A declared length over the limit is refused before the body is read.
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .header("content-length", "999999999")
        .body(vec![0u8; 10])
        .send()
        .await;
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    // Many text fields, each under its own cap, together over the form's text cap: refused
    // before they pile up in memory (upload routes have no overall body limit).
    let mut form = reqwest::multipart::Form::new();
    for i in 0..8 {
        form = form.text(format!("description{i}"), "x".repeat(180 * 1024));
    }
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::PAYLOAD_TOO_LARGE).await;

    // Path traversal and control characters in file names.
    for name in ["../../etc/passwd", "..\\..\\boot.ini", "a/b.csv"] {
        let res = s.upload(&ed, "ziel", name, b"a;b\n1;2\n".to_vec()).await;
        let p = problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(p["errors"]["file"].is_array(), "{name}: {p}");
    }
    // A control character breaks the part's headers themselves: a 400 for the framing.
    let res = s.upload(&ed, "ziel", "x\u{7}.csv", b"a;b\n".to_vec()).await;
    problem(res, StatusCode::BAD_REQUEST).await;
    // A file and a URL together, neither, and a wrong content type.
    let part = reqwest::multipart::Part::bytes(b"a\n".to_vec()).file_name("a.csv");
    let form = reqwest::multipart::Form::new()
        .text("url", "https://example.org/a.csv")
        .part("file", part);
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let form = reqwest::multipart::Form::new().text("title", "leer");
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .multipart(form)
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .header("content-type", "text/csv")
        .body("a;b")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    problem(
        s.post_json(
            "/api/v1/datasets/ziel/resources",
            &ed,
            &json!({"title": "x", "url": "file:///etc/passwd"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Broken multipart framing.
    let res = s
        .client
        .post(s.url("/api/v1/datasets/ziel/resources"))
        .bearer_auth(&ed)
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(
            "--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nabc",
        )
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::BAD_REQUEST).await;

    // Aborted mid-stream: the client sends half the body and hangs up.
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/datasets/ziel/resources HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ed}\r\n\
         Content-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 500000\r\n\r\n\
         --XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"halb.csv\"\r\nContent-Type: text/csv\r\n\r\n"
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&vec![b'x'; 200_000]).await.unwrap();
    tcp.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(tcp);

    // The server notices the hang-up and removes the staging file.
    let mut left = s.stored_files();
    for _ in 0..50 {
        if left == before_files {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = s.stored_files();
    }
    assert_eq!(
        left, before_files,
        "(blobs, staging files) after failed uploads"
    );
    assert_eq!(
        s.resource_rows().await,
        before_rows,
        "no resource rows were written"
    );
    assert_eq!(s.get("/readyz").await.status(), StatusCode::OK);
}

crate::both_backends!(malformed_requests, bad_uploads_leave_nothing_behind);
