//! Showcases: anyone proposes without an account; robots, floods and unknown or private
//! datasets are refused; only a sysadmin or an admin of a publishing organization approves;
//! approved ones show on the list, the dataset page and the API — without the e-mail address.

use allmende_core::Role;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer};
use crate::privacy::{csrf_token, form_post, visitor_post};

async fn propose(s: &TestServer, fields: &[(&str, &str)]) -> reqwest::Response {
    visitor_post(s, "/showcases/new", fields).await
}

const GOOD: &[(&str, &str)] = &[
    ("title", "Baumkarte Aalen"),
    ("url", "https://example.org/baumkarte"),
    (
        "description",
        "Eine Karte aller Straßenbäume mit Baumart und Pflanzjahr, für Schulklassen.",
    ),
    ("submitter_name", "Code for Ostalb"),
    ("submitter_email", "kontakt@example.org"),
    ("datasets", "baeume"),
];

async fn proposals_and_moderation(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim").await;
    let admin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    let editor = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let other = s
        .user("fremd", false, Some(("stadt-heidenheim", Role::Admin)))
        .await;
    s.dataset(&editor, "stadt-aalen", "baeume", "public").await;
    s.dataset(&editor, "stadt-aalen", "intern", "private").await;

    // Refused: missing fields, a bad address, a private or unknown dataset.
    let res = propose(
        &s,
        &[
            ("title", "X"),
            ("url", "javascript:alert(1)"),
            ("description", "kurz"),
            ("datasets", "intern"),
            ("datasets", "gibt-es-nicht"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    for expected in [
        "Zu kurz",
        "Keine gültige http(s)-Adresse",
        "Kein öffentlicher Datensatz „intern“",
        "Kein öffentlicher Datensatz „gibt-es-nicht“",
        "aria-invalid=\"true\"",
    ] {
        assert!(html.contains(expected), "{expected}: {html}");
    }
    // Without this browser's CSRF token: refused.
    let res = s
        .client
        .post(s.url("/showcases/new"))
        .form(GOOD)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A robot fills the hidden field: thanked, nothing kept.
    let mut robot = GOOD.to_vec();
    robot.push(("website", "https://spam.example"));
    let res = propose(&s, &robot).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A person: waits for approval, not public yet.
    let res = propose(&s, GOOD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/showcases?done=showcase_proposed"
    );
    let listed: serde_json::Value = s.get("/api/v1/showcases").await.json().await.unwrap();
    assert_eq!(listed, serde_json::json!([]), "pending is not public");

    // Moderation: the organization's admin sees it (with the address), others do not.
    let page = |token: String| {
        let s = &s;
        async move {
            s.client
                .get(s.url("/showcases/review"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let review = page(admin.clone()).await;
    assert!(review.contains("Baumkarte Aalen") && review.contains("kontakt@example.org"));
    assert_eq!(
        review
            .matches("href=\"https://example.org/baumkarte\"")
            .count(),
        1,
        "the robot's copy is not there"
    );
    assert!(!page(other.clone()).await.contains("Baumkarte Aalen"));
    assert!(!page(editor.clone()).await.contains("Baumkarte Aalen"));
    let id = review
        .split("/showcases/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .to_string();
    let path = format!("/showcases/{id}/review");
    let res = s
        .client
        .post(s.url(&path))
        .form(&[("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "anonymous: to the login"
    );
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    for token in [&other, &editor] {
        let res = form_post(&s, token, &path, vec![("decision", "approve".into())]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    let res = form_post(&s, &admin, &path, vec![("decision", "approve".into())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Approved: on the list, the dataset page and in the API, never with the address.
    let listed: serde_json::Value = s.get("/api/v1/showcases").await.json().await.unwrap();
    assert_eq!(listed[0]["title"], "Baumkarte Aalen");
    assert_eq!(listed[0]["datasets"][0]["slug"], "baeume");
    assert!(!listed.to_string().contains("kontakt@example.org"));
    let by_dataset: serde_json::Value = s
        .get("/api/v1/showcases?dataset=baeume")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_dataset.as_array().map(Vec::len), Some(1));
    assert_eq!(
        s.get("/api/v1/showcases?dataset=intern").await.status(),
        StatusCode::NOT_FOUND,
        "a private dataset is not there"
    );
    for path in ["/showcases", "/dataset/baeume"] {
        let html = s.get(path).await.text().await.unwrap();
        assert!(html.contains("https://example.org/baumkarte"), "{path}");
        assert!(!html.contains("kontakt@example.org"), "{path}");
    }

    // A flood from one client is cut off after a few proposals an hour.
    let mut last = StatusCode::OK;
    for _ in 0..6 {
        last = propose(&s, GOOD).await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// A proposal in a multipart form, with a picture.
async fn propose_with_image(
    s: &TestServer,
    title: &str,
    image: &[u8],
    name: &str,
) -> reqwest::Response {
    let csrf = csrf_token(s).await;
    let mut form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("title", title.to_string());
    for (k, v) in GOOD.iter().filter(|(k, _)| *k != "title") {
        form = form.text(k.to_string(), v.to_string());
    }
    form = form.text("datasets", "karten").part(
        "image",
        reqwest::multipart::Part::bytes(image.to_vec()).file_name(name.to_string()),
    );
    s.client
        .post(s.url("/showcases/new"))
        .header("cookie", format!("allmende_csrf={csrf}"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A proposal's picture: taken by content (not by name), kept from everyone but the
/// moderators until approved, dropped with a rejected proposal; too large or not a picture is
/// refused and leaves nothing behind.
async fn showcase_pictures(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let admin = s
        .user("chefin", false, Some(("stadt-aalen", Role::Admin)))
        .await;
    s.dataset(&admin, "stadt-aalen", "baeume", "public").await;
    s.dataset(&admin, "stadt-aalen", "karten", "public").await;
    let blobs = s.stored_files().0;

    // Not a picture (an SVG can carry script), whatever its name says: the form again.
    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    let res = propose_with_image(&s, "Mit SVG", svg, "bild.png").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("PNG, JPEG oder WebP") && html.contains("Mit SVG"),
        "the form keeps its values"
    );
    // Over 2 MB: refused while reading.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(2 * 1024 * 1024 + 10, 0);
    let res = propose_with_image(&s, "Zu groß", &big, "gross.png").await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        s.stored_files(),
        (blobs, 0),
        "nothing kept of refused pictures"
    );

    // A PNG with a proposal using two datasets (both selected in one multipart form); the
    // text chunk with its author's name does not get out.
    let png = crate::harness::PIXEL_PNG;
    let res = propose_with_image(
        &s,
        "Baumkarte mit Bild",
        &crate::harness::pixel_png_with_author(),
        "screenshot.bin",
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let review = s
        .get_as("/showcases/review", &admin)
        .await
        .text()
        .await
        .unwrap();
    let id = review
        .split("/api/v1/showcases/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .expect("the review shows the picture")
        .to_string();
    let image = format!("/api/v1/showcases/{id}/image");
    assert_eq!(
        s.get(&image).await.status(),
        StatusCode::NOT_FOUND,
        "not before approval"
    );
    let res = s.get_as(&image, &admin).await;
    assert_eq!(res.status(), StatusCode::OK, "the moderator sees it");
    let res = form_post(
        &s,
        &admin,
        &format!("/showcases/{id}/review"),
        vec![("decision", "approve".into())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = s.get(&image).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert!(
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(res.bytes().await.unwrap().as_ref(), png);
    let listed: serde_json::Value = s.get("/api/v1/showcases").await.json().await.unwrap();
    assert_eq!(listed[0]["image_url"], s.url(&image));
    assert_eq!(listed[0]["datasets"].as_array().map(Vec::len), Some(2));
    assert!(
        s.get("/showcases")
            .await
            .text()
            .await
            .unwrap()
            .contains(&format!("src=\"{image}\""))
    );

    // A rejected proposal's picture is deleted from the file store.
    let jpeg =
        b"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xda\0\x02\x12\x34\xff\xd9";
    let res = propose_with_image(&s, "Werbung", jpeg, "w.jpg").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(s.stored_files().0, blobs + 2);
    let review = s
        .get_as("/showcases/review", &admin)
        .await
        .text()
        .await
        .unwrap();
    let id2 = review
        .split("/showcases/")
        .filter_map(|r| r.split('/').next())
        .find(|i| i.len() == 36 && *i != id)
        .unwrap()
        .to_string();
    let res = form_post(
        &s,
        &admin,
        &format!("/showcases/{id2}/review"),
        vec![("decision", "reject".into())],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.stored_files().0,
        blobs + 1,
        "the rejected picture is gone"
    );
    assert_eq!(
        s.get_as(&format!("/api/v1/showcases/{id2}/image"), &admin)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

crate::both_backends!(proposals_and_moderation, showcase_pictures);
