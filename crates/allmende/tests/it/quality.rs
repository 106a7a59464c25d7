//! The metadata quality score through HTTP, and the link checker that feeds it.

use std::time::Duration;

use allmende_app::ingest::FetchLimits;
use allmende_app::links::LinkCheck;
use reqwest::StatusCode;
use serde_json::json;

use crate::data::file_server;
use crate::harness::{Backend, TestServer, json as body};

fn check(allow_private: bool) -> LinkCheck {
    LinkCheck {
        limits: FetchLimits {
            max_bytes: 1 << 20,
            timeout: Duration::from_secs(10),
            allow_private,
        },
        interval: Duration::ZERO,
        per_round: 10,
        pause: Duration::ZERO,
    }
}

async fn link_statuses(s: &TestServer) -> Vec<i64> {
    let r = body(s.get("/api/v1/datasets/berichte/resources").await).await;
    r.as_array()
        .unwrap()
        .iter()
        .map(|r| r["link_status"].as_i64().unwrap_or(-1))
        .collect()
}

fn indicator<'a>(q: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    q["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {q}"))
}

/// A dataset with keywords and a theme and two links (one answers, one is gone): its score by
/// the MQA indicators, before and after the link checker asked the links; hints for what is
/// missing; our own checks for its publishers only.
async fn quality_score_and_link_checks(backend: Backend) {
    let base = file_server().await;
    let s = TestServer::start(backend).await;
    let ed = s.editor_with_dataset("berichte", "public").await;
    for (title, url, format) in [
        ("Bericht", format!("{base}/weiter"), "HTML"),
        ("Anhang", format!("{base}/fehlt.pdf"), "PDF"),
    ] {
        let res = s
            .post_json(
                "/api/v1/datasets/berichte/resources",
                &ed,
                &json!({"title": title, "url": url, "format": format}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let path = "/api/v1/datasets/berichte/quality";
    let q = body(s.get(path).await).await;
    // Findability 60 (keywords, themes; no spatial, no temporal), accessibility 0 (links not
    // checked yet, nothing to download), interoperability 90 (HTML and PDF: formats and media
    // types from the vocabularies, open but not machine-readable), reusability 55 (no
    // contact), contextuality 5 (rights).
    assert_eq!(q["score"], 210, "{q}");
    assert_eq!(q["rating"], "sufficient", "{q}");
    assert_eq!(indicator(&q, "access_url")["share"], 0.0, "{q}");
    let spatial = indicator(&q, "spatial");
    assert_eq!(spatial["gain"], 20);
    assert!(
        spatial["hint"]
            .as_str()
            .unwrap()
            .contains("räumlichen Bezug"),
        "{q}"
    );
    assert!(indicator(&q, "keywords")["hint"].is_null());
    assert!(
        q.get("checks").is_none(),
        "own checks are for publishers: {q}"
    );

    // The guard refuses this machine's own addresses: nothing answers.
    assert_eq!(s.app().check_links(&check(false)).await.unwrap(), 2);
    assert_eq!(link_statuses(&s).await, [0, 0]);
    // Allowed (as configured for a city network): one answers after a redirect, one is gone.
    assert_eq!(s.app().check_links(&check(true)).await.unwrap(), 2);
    assert_eq!(link_statuses(&s).await, [200, 404]);
    // Checked links are not due again within the interval.
    let later = LinkCheck {
        interval: Duration::from_secs(3600),
        ..check(true)
    };
    assert_eq!(s.app().check_links(&later).await.unwrap(), 0);

    let q = body(s.get(path).await).await;
    assert_eq!(indicator(&q, "access_url")["share"], 0.5, "{q}");
    assert_eq!(q["score"], 235, "{q}");
    assert_eq!(q["rating"], "good", "{q}");

    // Publishers see our own checks too, and the score on the dataset page.
    let q = body(s.get_as(path, &ed).await).await;
    let checks: Vec<(&str, bool)> = q["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["passed"].as_bool().unwrap()))
        .collect();
    assert!(checks.contains(&("description_length", false)), "{q}");
    assert!(checks.contains(&("contact_reachable", false)), "{q}");
    assert!(checks.contains(&("privacy_clear", true)), "{q}");
    let page = s
        .get_as("/dataset/berichte", &ed)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"quality-h\""), "{page}");
    assert!(page.contains("235 von 405 Punkten"), "{page}");
    assert!(page.contains("+20 Punkte"), "{page}");
    let public = s.get("/dataset/berichte").await.text().await.unwrap();
    assert!(!public.contains("quality-h"));
    // The dashboard ranks the organization's datasets by score, lowest first.
    let dashboard = s.get_as("/dashboard", &ed).await.text().await.unwrap();
    assert!(
        dashboard.contains("Niedrigste Metadatenqualität"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("#quality-h\">Titel berichte</a>: 235 / 405 (gut)"),
        "{dashboard}"
    );

    // The catalog-wide average on the about page.
    let about = s.get("/ueber").await.text().await.unwrap();
    assert!(
        about.contains("Durchschnittliche Metadatenqualität aller öffentlichen Datensätze: 235 von 405 Punkten (gut)"),
        "{about}"
    );
    // A dataset nobody may see has no score for them.
    s.dataset(&ed, "stadt-aalen", "intern", "private").await;
    assert_eq!(
        s.get("/api/v1/datasets/intern/quality").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::both_backends!(quality_score_and_link_checks);
