//! Examples for the operations that need a token (and the few public ones that need what
//! those create) on the developer page: one workflow on the demo, step by step — an
//! organization, a dataset in it, a file with a privacy finding, a planned publication, the
//! deletions last. Each carries its step, so that CI runs them in that order as written
//! (`tests/docs/api_examples.sh`). They read the token from `$TOKEN` and upload `daten.csv`
//! and `logo.png` from the current directory.

const AUTH: &str = r#"-H "Authorization: Bearer $TOKEN""#;
const JSON: &str = r#"-H "Content-Type: application/json""#;
const MERGE: &str = r#"-H "Content-Type: application/merge-patch+json""#;
const ORG: &str = "mein-verein";
const DATASET: &str = "mein-datensatz";
/// The demo's administrator, the one account every demo has.
const MEMBER: &str = "admin";

/// The step and the command for `method path`, with `api` the API's base URL
/// (`https://…/api/v1`); `None` for operations without one here.
pub(super) fn token_example(api: &str, method: &str, path: &str) -> Option<(u32, String)> {
    let org = format!("{api}/organizations/{ORG}");
    let ds = format!("{api}/datasets/{DATASET}");
    // The resource examples find the dataset's file first.
    let rid = format!(
        "RID=$(curl -fsS {AUTH} \"{ds}\" | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"resources\"][0][\"id\"])')\n"
    );
    let res = format!("{api}/resources/$RID");
    let dataset_body = |title: &str| {
        format!(
            r#"'{{"slug": "{DATASET}", "title": "{title}", "description": "Tageswerte der Messstellen des Vereins", "organization": "{ORG}", "license": "dl-by-de/2.0", "visibility": "draft"}}'"#
        )
    };
    // A month ahead, at eight in the morning: always in the planning window.
    let publish_at = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%dT08:00:00Z");
    let example = match (method, path) {
        ("get", "/me") => (1, format!("curl -fsS {AUTH} \"{api}/me\"")),
        ("get", "/audit") => (2, format!("curl -fsS {AUTH} \"{api}/audit?limit=5\"")),
        ("get", "/changes") => (3, format!("curl -fsS {AUTH} \"{api}/changes?limit=5\"")),
        ("post", "/organizations") => (
            10,
            format!(
                r#"curl -fsS {AUTH} {JSON} -d '{{"slug": "{ORG}", "name": "Mein Verein"}}' "{api}/organizations""#
            ),
        ),
        ("patch", "/organizations/{slug}") => (
            11,
            format!(
                r#"curl -fsS -X PATCH {AUTH} {MERGE} -d '{{"description": "Offene Daten aus dem Verein"}}' "{org}""#
            ),
        ),
        ("put", "/organizations/{slug}/logo") => (
            12,
            format!(
                r#"curl -fsS -X PUT {AUTH} -H "Content-Type: image/png" --data-binary @logo.png "{org}/logo""#
            ),
        ),
        ("get", "/organizations/{slug}/logo") => {
            (13, format!("curl -fsS -o logo-zurueck.png \"{org}/logo\""))
        }
        ("put", "/organizations/{slug}/members/{user}") => (
            14,
            format!(
                r#"curl -fsS -X PUT {AUTH} {JSON} -d '{{"role": "editor"}}' "{org}/members/{MEMBER}""#
            ),
        ),
        ("get", "/organizations/{slug}/members") => {
            (15, format!("curl -fsS {AUTH} \"{org}/members\""))
        }
        ("delete", "/organizations/{slug}/members/{user}") => (
            16,
            format!("curl -fsS -X DELETE {AUTH} \"{org}/members/{MEMBER}\""),
        ),
        ("post", "/datasets") => (
            20,
            format!(
                "curl -fsS {AUTH} {JSON} -d {} \"{api}/datasets\"",
                dataset_body("Messwerte")
            ),
        ),
        ("put", "/datasets/{id}") => (
            21,
            format!(
                "curl -fsS -X PUT {AUTH} {JSON} -d {} \"{ds}\"",
                dataset_body("Messwerte des Vereins")
            ),
        ),
        ("patch", "/datasets/{id}") => (
            22,
            format!(
                r#"curl -fsS -X PATCH {AUTH} {MERGE} -d '{{"keywords": ["Messwerte", "Verein"]}}' "{ds}""#
            ),
        ),
        ("get", "/datasets/{id}/history") => (23, format!("curl -fsS {AUTH} \"{ds}/history\"")),
        ("post", "/datasets/{id}/history/{revision}/restore") => (
            24,
            format!("curl -fsS -X POST {AUTH} \"{ds}/history/1/restore\""),
        ),
        ("put", "/datasets/{id}/publication") => (
            25,
            format!(
                r#"curl -fsS -X PUT {AUTH} {JSON} -d '{{"publish_at": "{publish_at}", "release_checklist": {{"no_personal_data": true, "no_secrets": true, "rights_cleared": true, "licence_applicable": true}}}}' "{ds}/publication""#
            ),
        ),
        ("get", "/datasets/{id}/publication") => {
            (26, format!("curl -fsS {AUTH} \"{ds}/publication\""))
        }
        ("delete", "/datasets/{id}/publication") => (
            27,
            format!("curl -fsS -X DELETE {AUTH} \"{ds}/publication\""),
        ),
        ("post", "/datasets/{id}/resources") => (
            30,
            format!(
                r#"curl -fsS {AUTH} -F title="Messwerte 2026" -F file=@daten.csv "{ds}/resources""#
            ),
        ),
        ("patch", "/resources/{id}") => (
            31,
            format!(
                r#"{rid}curl -fsS -X PATCH {AUTH} {MERGE} -d '{{"description": "Tageswerte, gemessen um 12 Uhr"}}' "{res}""#
            ),
        ),
        ("get", "/resources/{id}/privacy") => {
            (32, format!("{rid}curl -fsS {AUTH} \"{res}/privacy\""))
        }
        ("post", "/resources/{id}/privacy/acknowledgements") => (
            33,
            format!(
                r#"{rid}curl -fsS {AUTH} {JSON} -d '{{"column": "E-Mail", "rule": "email", "reason": "Dienstliche Adressen der Messstellen, zur Veröffentlichung bestimmt"}}' "{res}/privacy/acknowledgements""#
            ),
        ),
        ("put", "/resources/{id}/file") => (
            34,
            format!("{rid}curl -fsS -X PUT {AUTH} -F file=@daten.csv \"{res}/file\""),
        ),
        ("post", "/resources/{id}/ingest") => (
            35,
            format!(
                r#"{rid}curl -fsS -X POST {AUTH} {JSON} -d '{{"delimiter": ";", "decimal": "german"}}' "{res}/ingest""#
            ),
        ),
        ("get", "/jobs/{id}") => (
            36,
            format!(
                "{rid}JOB=$(curl -fsS -X POST {AUTH} {JSON} -d '{{}}' \"{res}/ingest\" | python3 -c 'import json, sys; print(json.load(sys.stdin)[\"job\"])')\ncurl -fsS {AUTH} \"$JOB\""
            ),
        ),
        ("delete", "/resources/{id}") => (40, format!("{rid}curl -fsS -X DELETE {AUTH} \"{res}\"")),
        ("delete", "/datasets/{id}") => (41, format!("curl -fsS -X DELETE {AUTH} \"{ds}\"")),
        ("post", "/datasets/{id}/restore") => {
            (42, format!("curl -fsS -X POST {AUTH} \"{ds}/restore\""))
        }
        _ => return None,
    };
    Some(example)
}
