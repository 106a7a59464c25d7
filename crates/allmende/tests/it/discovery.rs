//! schema.org JSON-LD, sitemap, robots.txt and Atom feeds: public data only.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer};

fn json_ld(html: &str) -> Option<Value> {
    let start = html.find("<script type=\"application/ld+json\">")?
        + "<script type=\"application/ld+json\">".len();
    let end = start + html[start..].find("</script>")?;
    serde_json::from_str(&html[start..end]).ok()
}

async fn discovery_shows_public_data_only(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    let res = s
        .post_json(
            "/api/v1/datasets",
            &ed,
            &json!({"slug": "baeume", "title": "Bäume & Sträucher <Aalen>", "description": "Alle </script> Bäume",
                "organization": "stadt-aalen", "license": "cc-by/4.0", "keywords": ["Bäume"],
                "spatial": {"name": "Aalen", "bbox": [10.0, 48.8, 10.2, 48.9]}, "temporal": {"start": "2024-01-01", "end": "2024-12-31"}, "release_checklist": crate::harness::release()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = crate::harness::json(
        s.upload(&ed, "baeume", "baeume.csv", b"a;b\n1;2\n".to_vec())
            .await,
    )
    .await;
    // A table's new file on a public dataset is offered once its privacy check is through.
    crate::data::wait_table(&s, r["id"].as_str().unwrap(), 1).await;
    s.dataset(&ed, "stadt-aalen", "intern", "private").await;
    s.dataset(&ed, "stadt-aalen", "entwurf", "draft").await;
    s.dataset(&ed, "stadt-aalen", "weg", "public").await;
    s.send_json(
        Method::DELETE,
        "/api/v1/datasets/weg",
        Some(&ed),
        &json!({}),
    )
    .await;

    let page = s.get("/dataset/baeume").await.text().await.unwrap();
    let ld = json_ld(&page).expect("JSON-LD on the dataset page");
    assert_eq!(ld["@type"], "Dataset");
    assert_eq!(ld["name"], "Bäume & Sträucher <Aalen>");
    assert_eq!(ld["description"], "Alle </script> Bäume");
    assert_eq!(
        ld["license"],
        "https://creativecommons.org/licenses/by/4.0/deed.de"
    );
    assert_eq!(ld["creator"]["name"], "Stadt Aalen");
    assert_eq!(ld["spatialCoverage"]["name"], "Aalen");
    assert_eq!(ld["temporalCoverage"], "2024-01-01/2024-12-31");
    assert_eq!(ld["distribution"][0]["encodingFormat"], "text/csv");
    assert!(
        ld["distribution"][0]["contentUrl"]
            .as_str()
            .unwrap()
            .contains("/download")
    );
    assert!(page.contains("rel=\"alternate\" type=\"application/json\""));
    // A member sees the private page, but it does not describe itself to search engines.
    let member_page = s
        .client
        .get(s.url("/dataset/intern"))
        .bearer_auth(&ed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(json_ld(&member_page).is_none());

    let res = s.get("/sitemap.xml").await;
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let sitemap = res.text().await.unwrap();
    assert!(sitemap.starts_with("<?xml"));
    assert!(sitemap.contains("/dataset/baeume</loc>"));
    assert!(sitemap.contains("/organization/stadt-aalen</loc>"));
    for hidden in ["intern", "entwurf", "weg"] {
        assert!(
            !sitemap.contains(&format!("/dataset/{hidden}<")),
            "{hidden} in sitemap"
        );
    }
    let robots = s.get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains(&format!("Sitemap: {}/sitemap.xml", s.base)));

    for path in ["/feed.atom", "/organization/stadt-aalen/feed.atom"] {
        let res = s
            .client
            .get(s.url(path))
            .bearer_auth(&ed)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let feed = res.text().await.unwrap();
        assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
        assert!(
            feed.contains("Bäume &amp; Sträucher &lt;Aalen&gt;"),
            "escaped title in {path}"
        );
        for hidden in ["Titel intern", "Titel entwurf", "Titel weg"] {
            assert!(
                !feed.contains(hidden),
                "{hidden} in {path}, even for a member"
            );
        }
    }
    assert_eq!(
        s.get("/organization/gibt-es-nicht/feed.atom")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let home = s.get("/").await.text().await.unwrap();
    assert!(home.contains("type=\"application/atom+xml\""));
}

crate::both_backends!(discovery_shows_public_data_only);
