//! Following a dataset: its Atom feed names every file version; by e-mail through a real SMTP
//! conversation (a minimal relay in this test) with double opt-in — nothing is mailed before
//! the link is used, opening the link changes nothing, the button does — one mail per quiet
//! change, none for a private dataset, and a one-click unsubscribe that deletes the address.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use allmende_core::Role;
use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::{Backend, TestServer};
use crate::privacy::visitor_post;

/// One mail as the relay received it.
#[derive(Debug, Clone)]
struct Received {
    to: Vec<String>,
    headers: String,
    body: String,
}

type Mailbox = Arc<Mutex<Vec<Received>>>;

/// An SMTP relay that accepts everything (RFC 5321's minimal command set, no TLS, no auth).
async fn relay() -> (u16, Mailbox) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mailbox: Mailbox = Arc::default();
    let boxed = mailbox.clone();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let boxed = boxed.clone();
            tokio::spawn(async move {
                let (r, mut w) = conn.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 relay.test ESMTP\r\n").await;
                let mut to = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-relay.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        let _ = w.write_all(b"354 go ahead\r\n").await;
                        let mut data = Vec::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
                        }
                        let data = data.join("\n");
                        let (headers, body) = data.split_once("\n\n").unwrap_or((&data, ""));
                        let body = decode(headers, body);
                        boxed.lock().unwrap().push(Received {
                            to: std::mem::take(&mut to),
                            headers: headers.to_string(),
                            body,
                        });
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    (port, mailbox)
}

/// The body as text, from quoted-printable or base64 as the headers say.
fn decode(headers: &str, body: &str) -> String {
    let h = headers.to_ascii_lowercase();
    if h.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if bytes[i] == b'='
                && let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8(out).unwrap()
    } else if h.contains("content-transfer-encoding: base64") {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u32, 0);
        for c in body.bytes() {
            let Some(v) = A.iter().position(|a| *a == c) else {
                continue;
            };
            acc = (acc << 6) | v as u32;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_string()
    }
}

/// Waits until the relay holds `n` mails (the worker sends them in the background).
async fn mails(mailbox: &Mailbox, n: usize) -> Vec<Received> {
    for _ in 0..100 {
        if mailbox.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    mailbox.lock().unwrap().clone()
}

/// Gives the worker time to send what it would (for asserting that nothing comes).
async fn settle(s: &TestServer) {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.app().send_follower_mails().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn follow(s: &TestServer, slug: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    visitor_post(s, &format!("/dataset/{slug}/follow"), fields).await
}

fn link(body: &str, what: &str) -> String {
    body.split_whitespace()
        .find(|w| w.starts_with("http") && w.ends_with(what))
        .unwrap_or_else(|| panic!("no {what} link in {body}"))
        .to_string()
}

async fn change(s: &TestServer, token: &str, slug: &str, n: usize) {
    let res = s
        .upload(
            token,
            slug,
            &format!("v{n}.csv"),
            format!("a;b\n{n};x\n").into_bytes(),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

async fn followers_hear_of_changes_by_mail(backend: Backend) {
    let (port, mailbox) = relay().await;
    let s = TestServer::start_with(backend, |c| {
        c.smtp_url = format!("smtp://127.0.0.1:{port}");
        c.mail_from = "Offene Daten Test <daten@example.org>".into();
        c.follower_mail_secs = 1;
    })
    .await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    s.dataset(&ed, "stadt-aalen", "intern", "private").await;

    // The page offers the feed and the form; a private dataset cannot be followed.
    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    assert!(page.contains("href=\"/dataset/baeume/feed.atom\""));
    assert!(page.contains("action=\"/dataset/baeume/follow\""));
    let res = follow(&s, "intern", &[("email", "anna@example.org")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // A bad address is shown beside its field; a robot is thanked; a forged form refused.
    let res = follow(&s, "baeume", &[("email", "anna@")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("aria-invalid=\"true\""));
    let res = follow(
        &s,
        "baeume",
        &[
            ("email", "robot@example.org"),
            ("website", "https://spam.example"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = s
        .client
        .post(s.url("/dataset/baeume/follow"))
        .form(&[("csrf", "forged"), ("email", "eve@example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The request: one confirmation mail, also when asked twice.
    let res = follow(&s, "baeume", &[("email", "Anna@Example.org")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/dataset/baeume?done=follow_requested"),
        "{location}"
    );
    let page = s.get(&location).await.text().await.unwrap();
    assert!(page.contains("Bitte bestätigen Sie"), "the notice shows");
    let res = follow(&s, "baeume", &[("email", "anna@example.org")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let got = mails(&mailbox, 1).await;
    assert_eq!(got.len(), 1, "{got:?}");
    let confirm = &got[0];
    assert_eq!(confirm.to, ["anna@example.org"]);
    assert!(
        confirm
            .headers
            .contains("From: \"Offene Daten Test\" <daten@example.org>"),
        "{}",
        confirm.headers
    );
    assert!(confirm.headers.contains("Auto-Submitted: auto-generated"));
    assert!(confirm.body.contains("„Titel baeume“"), "{}", confirm.body);
    assert!(!confirm.headers.contains("List-Unsubscribe"));
    let confirm_link = link(&confirm.body, "/confirm");
    let confirm_path = confirm_link
        .strip_prefix(&s.base)
        .expect("an absolute portal link");

    // Unconfirmed, a change mails nothing; opening the link (a mail scanner) confirms nothing.
    change(&s, &ed, "baeume", 1).await;
    let page = s.get(confirm_path).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Ja, per E-Mail folgen"));
    settle(&s).await;
    assert_eq!(
        mailbox.lock().unwrap().len(),
        1,
        "nothing before the confirmation"
    );
    let res = s.client.post(s.url(confirm_path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Bestätigt"));
    // Confirming starts after the present state: the earlier change is not mailed.
    settle(&s).await;
    assert_eq!(mailbox.lock().unwrap().len(), 1);

    // A change, once quiet: one mail with the dataset and a one-click unsubscribe.
    change(&s, &ed, "baeume", 2).await;
    let got = mails(&mailbox, 2).await;
    assert_eq!(got.len(), 2, "{got:?}");
    let update = &got[1];
    assert_eq!(update.to, ["anna@example.org"]);
    assert!(
        update
            .headers
            .contains("Subject: Aktualisiert: Titel baeume\n"),
        "{}",
        update.headers
    );
    assert!(
        update.body.contains(&format!("{}/dataset/baeume", s.base)),
        "{}",
        update.body
    );
    let unsubscribe = link(&update.body, "/unsubscribe");
    assert!(
        update
            .headers
            .contains(&format!("List-Unsubscribe: <{unsubscribe}>")),
        "{}",
        update.headers
    );
    assert!(
        update
            .headers
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    settle(&s).await;
    assert_eq!(mailbox.lock().unwrap().len(), 2, "one mail per change");

    // A second follower, then the dataset turns private: nothing about it leaves any more.
    let res = follow(&s, "baeume", &[("email", "bob@example.org")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let got = mails(&mailbox, 3).await;
    let bob_confirm = link(&got[2].body, "/confirm");
    let res = s.client.post(&bob_confirm).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // One-click unsubscribe (RFC 8058) from Anna's mail client: her address is gone.
    let res = s
        .client
        .post(&unsubscribe)
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Abbestellt"));
    assert_eq!(
        s.client.get(&unsubscribe).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM subscriptions WHERE email = $1")
        .bind("anna@example.org")
        .fetch_one(s.catalog.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);

    let res = s
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/datasets/baeume",
            Some(&ed),
            &json!({"visibility": "private"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    change(&s, &ed, "baeume", 3).await;
    settle(&s).await;
    assert_eq!(
        mailbox.lock().unwrap().len(),
        3,
        "a private dataset mails no one"
    );
}

/// Without a relay the page offers the feed only; the feed lists the files, and a new file
/// is a new entry; a private dataset has no feed.
async fn the_feed_follows_files(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "baeume", "public").await;
    s.dataset(&ed, "stadt-aalen", "intern", "private").await;
    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    assert!(page.contains("href=\"/dataset/baeume/feed.atom\""));
    assert!(
        !page.contains("/dataset/baeume/follow"),
        "no mail form without SMTP"
    );
    assert_eq!(
        s.get("/dataset/baeume/follow").await.status(),
        StatusCode::NOT_FOUND
    );
    let res = follow(&s, "baeume", &[("email", "anna@example.org")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.get("/dataset/intern/feed.atom").await.status(),
        StatusCode::NOT_FOUND
    );

    change(&s, &ed, "baeume", 1).await;
    let res = s
        .client
        .get(s.url("/dataset/baeume/feed.atom"))
        .header("origin", "https://app.example.org")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let feed = res.text().await.unwrap();
    let ids = |feed: &str| -> Vec<String> {
        feed.split("<id>")
            .skip(2)
            .map(|p| p.split("</id>").next().unwrap().to_string())
            .collect()
    };
    let first = ids(&feed);
    assert_eq!(first.len(), 2, "the dataset and its file: {feed}");
    assert!(feed.contains("<title>Datei v1.csv</title>"));
    // Replacing the file gives its entry a new id.
    let rid = first[1]
        .split("/resource/")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let part = reqwest::multipart::Part::bytes(b"a;b\n9;y\n".to_vec()).file_name("v1.csv");
    let res = s
        .client
        .put(s.url(&format!("/api/v1/resources/{rid}/file")))
        .bearer_auth(&ed)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    // The new file replaces the old once it has been read and checked.
    let mut second = first.clone();
    for _ in 0..100 {
        second = ids(&s
            .get("/dataset/baeume/feed.atom")
            .await
            .text()
            .await
            .unwrap());
        if second != first {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(second.len(), 2);
    assert_ne!(first[1], second[1], "a new file version is a new entry");
}

crate::both_backends!(followers_hear_of_changes_by_mail, the_feed_follows_files);
