//! Clients that hold connections without using them: a request head that never ends, idle
//! connections from one address or from many, a body that stops half-way, a response nobody
//! reads. Each is cut off by its limit, and the server keeps answering everyone else. The
//! connection layer does not touch the catalog, so these run on SQLite only.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::{Backend, TestServer};

async fn connect(s: &TestServer) -> TcpStream {
    TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// A new connection that has sent `bytes`.
async fn sent(s: &TestServer, bytes: &[u8]) -> TcpStream {
    let mut tcp = connect(s).await;
    tcp.write_all(bytes).await.expect("write");
    tcp
}

/// Everything the server sends until it closes the connection, or `None` if it does not
/// close it within `within`.
async fn until_closed(tcp: &mut TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    match tokio::time::timeout(within, tcp.read_to_end(&mut answer)).await {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(_) => None,
    }
}

/// An answer that is the given status, or nothing (the server may close without one).
fn closed_or(answer: &str, status: &str) -> bool {
    answer.is_empty() || answer.starts_with(&format!("HTTP/1.1 {status}"))
}

/// Whether a fresh connection gets `/healthz` answered within `within`.
async fn answered(tcp: &mut TcpStream, within: Duration) -> bool {
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    until_closed(tcp, within)
        .await
        .is_some_and(|a| a.starts_with("HTTP/1.1 200"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_head_must_arrive_in_time() {
    let s = TestServer::start_with(Backend::Sqlite, |c| c.request_header_secs = 1).await;
    // Slowloris: a request line and a header, then nothing.
    let mut tcp = sent(&s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
    let answer = until_closed(&mut tcp, Duration::from_secs(30))
        .await
        .expect("a head that never ends is cut off");
    assert!(closed_or(&answer, "408"), "{answer}");
    // A kept-alive connection that asks nothing more is closed after the same time.
    let mut tcp = sent(&s, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    let answer = until_closed(&mut tcp, Duration::from_secs(30))
        .await
        .expect("an idle kept-alive connection is closed");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A client that sends its head in pieces, but in time, is answered.
    let mut tcp = connect(&s).await;
    for piece in [
        "GET /hea",
        "lthz HTTP/1.1\r\nHo",
        "st: x\r\nConnection: close\r\n\r\n",
    ] {
        tcp.write_all(piece.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let answer = until_closed(&mut tcp, Duration::from_secs(30)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
}

/// A head may be large (cookies), not unbounded: each connection's buffer counts.
#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_head_is_refused() {
    let s = TestServer::start(Backend::Sqlite).await;
    let head = |size: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Viel: {}\r\nConnection: close\r\n\r\n",
            "a".repeat(size)
        )
    };
    let mut tcp = sent(&s, head(20_000).as_bytes()).await;
    let answer = until_closed(&mut tcp, Duration::from_secs(30)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
    // The server stops reading at the limit and closes; with bytes still unread, the kernel
    // may reset the connection before the 431 arrives.
    let mut tcp = connect(&s).await;
    let _ = tcp.write_all(head(100_000).as_bytes()).await;
    let answer = until_closed(&mut tcp, Duration::from_secs(30))
        .await
        .expect("the connection ends");
    assert!(closed_or(&answer, "431"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_cannot_hold_every_connection() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.max_connections_per_client = 4;
        c.request_header_secs = 120;
    })
    .await;
    // Idle connections from this address (the test client may hold one of the four too).
    let mut idle = Vec::new();
    let mut refused = None;
    for _ in 0..6 {
        let mut tcp = sent(&s, b"GET /heal").await;
        match until_closed(&mut tcp, Duration::from_secs(2)).await {
            Some(answer) => {
                refused = Some(answer);
                break;
            }
            None => idle.push(tcp),
        }
    }
    let refused = refused.expect("a fifth connection is refused");
    assert!(refused.is_empty(), "{refused}");
    assert!((3..=4).contains(&idle.len()), "{} held", idle.len());
    // The address gets its connections back as it closes them.
    drop(idle);
    let mut ok = false;
    for _ in 0..50 {
        if answered(&mut connect(&s).await, Duration::from_secs(5)).await {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "connections are given back");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_node_answers_when_a_connection_frees() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.max_connections = 4;
        c.max_connections_per_client = 0;
        c.request_header_secs = 120;
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(sent(&s, b"GET /heal").await);
    }
    // The node is full: the next request waits (in the kernel's queue, not refused).
    let mut waiting = sent(
        &s,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(
        until_closed(&mut waiting, Duration::from_secs(1))
            .await
            .is_none(),
        "no answer while the node is full"
    );
    drop(idle);
    let answer = until_closed(&mut waiting, Duration::from_secs(30))
        .await
        .expect("answered once connections are free");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_is_given_up() {
    let s = TestServer::start_with(Backend::Sqlite, |c| c.upload_idle_secs = 1).await;
    let ed = s.editor_with_dataset("radverkehr", "public").await;
    // Anonymous, CKAN: a JSON body of 200 bytes announced, 20 sent.
    let mut tcp = sent(
        &s,
        b"POST /api/3/action/package_search HTTP/1.1\r\nHost: x\r\n\
          Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"q\": \"Radverkehr\",",
    )
    .await;
    let answer = until_closed(&mut tcp, Duration::from_secs(60))
        .await
        .expect("a stalled body is given up");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("/problems/request-timeout"), "{answer}");
    // With a token, the native API, a body sent in chunks that stop.
    let mut tcp = sent(
        &s,
        format!(
            "PATCH /api/v1/datasets/radverkehr HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {ed}\r\nContent-Type: application/json\r\n\
             Transfer-Encoding: chunked\r\n\r\n5\r\n{{\"tit\r\n"
        )
        .as_bytes(),
    )
    .await;
    let answer = until_closed(&mut tcp, Duration::from_secs(60))
        .await
        .expect("a stalled chunked body is given up");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A slow body that keeps coming is read.
    let body = br#"{"title": "Radverkehr in Aalen"}"#;
    let mut tcp = sent(
        &s,
        format!(
            "PATCH /api/v1/datasets/radverkehr HTTP/1.1\r\nHost: x\r\n\
             Authorization: Bearer {ed}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )
    .await;
    for piece in body.chunks(8) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tcp.write_all(piece).await.unwrap();
    }
    let answer = until_closed(&mut tcp, Duration::from_secs(60)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 200")));
    let ds = s.get("/api/v1/datasets/radverkehr").await;
    assert_eq!(ds.status(), StatusCode::OK);
    let ds: serde_json::Value = ds.json().await.unwrap();
    assert_eq!(ds["title"], "Radverkehr in Aalen");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_response_nobody_reads_is_cut_off() {
    let s = TestServer::start_with(Backend::Sqlite, |c| {
        c.response_stall_secs = 1;
        c.max_upload_bytes = 32 << 20;
    })
    .await;
    let ed = s.editor_with_dataset("luftbilder", "public").await;
    // A file far larger than what the kernel's buffers on both ends take in.
    let mut file = Vec::with_capacity(24 << 20);
    let mut x = 0x2545_f491_4f6c_dd1d_u64;
    while file.len() < 24 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        file.extend_from_slice(&x.to_le_bytes());
    }
    let res = s
        .upload(&ed, "luftbilder", "messreihe.bin", file.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let rid = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A client with a small window that asks and reads nothing.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let addr = s.base.trim_start_matches("http://").parse().unwrap();
    let mut tcp = socket.connect(addr).await.unwrap();
    tcp.write_all(
        format!("GET /api/v1/resources/{rid}/download HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    // By now the server has given up: what arrives is what the buffers held, then the end.
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the connection ends");
    assert!(
        got.len() < file.len() / 2,
        "{} of {} bytes came although nobody read for seconds",
        got.len(),
        file.len()
    );
    // A client that reads gets the whole file.
    assert_eq!(s.download(&rid).await, file);
}
