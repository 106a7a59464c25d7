//! The data plane through HTTP: uploads become tables in the background, records and SQL
//! answer with typed values, exports stream every format, a broken re-upload keeps the previous
//! version serving, and private tables stay invisible.

use allmende_core::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer, json as body, problem};

const BEVOELKERUNG: &str = "Stadt;Stadtteil;Einwohner gesamt;Fläche (km²);Stichtag\r\n\
    Aalen;Mitte;12.000;10,5;31.12.2024\r\n\
    Aalen;Wasseralfingen;11.500;12,25;31.12.2024\r\n\
    Aalen;Unterkochen;4.800;8,0;31.12.2023\r\n\
    Heidenheim;Mitte;20.100;15,5;31.12.2024\r\n\
    Heidenheim;Schnaitheim;9.000;k.A.;31.12.2024\r\n";

fn windows_1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

/// Waits for the resource's latest table version to finish; returns `/table`.
pub(crate) async fn wait_table(s: &TestServer, rid: &str, version: i64) -> Value {
    for _ in 0..200 {
        let res = s.get(&format!("/api/v1/resources/{rid}/table")).await;
        if res.status() == StatusCode::OK {
            let t = body(res).await;
            let latest = &t["versions"][0];
            // Done and switched to (the version list may be read a moment before the switch).
            let finished = match latest["status"].as_str() {
                Some("failed") => true,
                Some("done") => latest["serving"] == true,
                _ => false,
            };
            if latest["version"] == version && finished {
                return t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("table version {version} of {rid} did not finish");
}

pub(crate) async fn get_json(s: &TestServer, path: &str) -> Value {
    let res = s.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "GET {path}");
    body(res).await
}

pub(crate) fn records_url(rid: &str, params: &[(&str, &str)]) -> String {
    let q: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("/api/v1/resources/{rid}/records?{}", q.join("&"))
}

pub(crate) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn upload_becomes_queryable_table(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "bevoelkerung", "public")
        .await;
    s.dataset(&ed, "stadt-aalen", "ohne-tabelle", "public")
        .await;
    let res = s
        .upload(
            &ed,
            "bevoelkerung",
            "bevölkerung.csv",
            windows_1252(BEVOELKERUNG),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = body(res).await;
    // The upload answers before the table is ready (the worker may have started already).
    assert!(
        matches!(r["status"].as_str(), Some("pending" | "running")),
        "{r}"
    );
    let rid = r["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &rid, 1).await;
    assert_eq!(t["status"], "done", "{t}");
    assert_eq!(t["rows"], 5);
    // The served table puts the dataset under the "queryable table" facet, in API and page.
    let found = s.wait_for_search("/api/v1/datasets?data=table", 1).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["items"][0]["slug"], "bevoelkerung");
    let all = get_json(&s, "/api/v1/datasets").await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        all["facets"]["data"],
        json!([{"value": "table", "label": "Als Tabelle abfragbar (API)", "count": 1, "selected": false}]),
        "{all}"
    );
    let page = s.get("/datasets?lang=en").await.text().await.unwrap();
    assert!(
        page.contains("Queryable table (API)"),
        "facet label on the search page"
    );
    assert_eq!(t["dialect"]["encoding"], "windows-1252");
    assert_eq!(t["dialect"]["delimiter"], ";");
    let types: Vec<(&str, &str)> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["type"].as_str().unwrap()))
        .collect();
    assert_eq!(
        types,
        [
            ("Stadt", "text"),
            ("Stadtteil", "text"),
            ("Einwohner gesamt", "integer"),
            ("Fläche (km²)", "decimal"),
            ("Stichtag", "date")
        ]
    );
    assert_eq!(t["columns"][2]["stats"]["max"], 20100);
    assert_eq!(t["schema"]["fields"][2]["type"], "integer");
    assert_eq!(t["table_name"], "bevoelkerung");
    // The job is visible with its outcome.
    let job = get_json(
        &s,
        t["versions"][0]["job"]
            .as_str()
            .unwrap()
            .trim_start_matches(&s.base),
    )
    .await;
    assert_eq!(job["status"], "done");
    assert_eq!(job["rows"], 5);

    // Records: filter, typed values, total.
    let page = get_json(
        &s,
        &records_url(
            &rid,
            &[("where", "\"Einwohner gesamt\" >= 10000 and Stadt = 'Aalen'")],
        ),
    )
    .await;
    assert_eq!(page["total"], 2);
    assert_eq!(
        page["fields"][2],
        json!({"name": "Einwohner gesamt", "type": "integer"})
    );
    assert_eq!(
        page["records"][0],
        json!({"Stadt": "Aalen", "Stadtteil": "Mitte", "Einwohner gesamt": 12000, "Fläche (km²)": 10.5, "Stichtag": "2024-12-31"})
    );
    // Aggregates checked against sums computed here.
    let page = get_json(
        &s,
        &records_url(
            &rid,
            &[
                (
                    "select",
                    "Stadt, sum(\"Einwohner gesamt\") as summe, count(*) as n",
                ),
                ("group_by", "Stadt"),
                ("order_by", "Stadt"),
            ],
        ),
    )
    .await;
    assert_eq!(
        page["records"],
        json!([{"Stadt": "Aalen", "summe": 28300, "n": 3}, {"Stadt": "Heidenheim", "summe": 29100, "n": 2}])
    );
    // Cursor paging visits every row once.
    let mut url = records_url(&rid, &[("limit", "2")]);
    let mut seen = 0;
    loop {
        let page = get_json(&s, &url).await;
        seen += page["records"].as_array().unwrap().len();
        match page["next"].as_str() {
            Some(next) => url = next.trim_start_matches(&s.base).to_string(),
            None => break,
        }
    }
    assert_eq!(seen, 5);
    // Bad queries are 400 problems, never 500.
    for (k, v) in [
        ("where", "nope = 1"),
        ("where", "Stadt = "),
        ("select", "read_csv('/etc/passwd')"),
        ("limit", "10001"),
        ("order_by", "1; drop table x"),
    ] {
        problem(
            s.get(&records_url(&rid, &[(k, v)])).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    problem(
        s.get(&format!("/api/v1/resources/{rid}/records?unknown=1"))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Exports.
    let res = s.get(&format!("/api/v1/resources/{rid}/export/csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("bev%C3%B6lkerung.csv")
    );
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("Stadt,Stadtteil,Einwohner gesamt,Fläche (km²),Stichtag\r\nAalen,Mitte,12000,10.5,2024-12-31\r\n"), "{csv}");
    let de = s
        .get(&format!("/api/v1/resources/{rid}/export/csv-de"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&de).contains("Heidenheim;Mitte;20100;15,5;31.12.2024\r\n"));
    let filtered = s
        .get(&records_url(
            &rid,
            &[("where", "Stadt = 'Heidenheim'"), ("format", "ndjson")],
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(filtered.lines().count(), 2);
    for f in ["json", "xlsx", "parquet"] {
        let res = s.get(&format!("/api/v1/resources/{rid}/export/{f}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{f}");
        assert!(!res.bytes().await.unwrap().is_empty());
    }
    problem(
        s.get(&format!("/api/v1/resources/{rid}/export/docx")).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // The resource page previews the table without JavaScript: filter, sort, chart.
    let html = s
        .get(&format!(
            "/dataset/bevoelkerung/resource/{rid}?f.stadt=heid&sort=einwohner_gesamt&dir=desc"
        ))
        .await
        .text()
        .await
        .unwrap();
    let preview = html
        .split("class=\"data-table\"")
        .nth(1)
        .unwrap_or_default();
    let body_rows = preview
        .split("<tbody>")
        .nth(1)
        .and_then(|b| b.split("</tbody>").next())
        .unwrap_or_default();
    assert!(
        body_rows.contains("Schnaitheim") && !body_rows.contains("Wasseralfingen"),
        "{html}"
    );
    assert!(body_rows.find("20100").unwrap() < body_rows.find("9000").unwrap());
    assert!(html.contains("aria-sort=\"descending\""));
    assert!(html.contains("/api/v1/resources/") && html.contains("/export/csv-de"));
    let html = s
        .get(&format!(
            "/dataset/bevoelkerung/resource/{rid}?f.einwohner_gesamt=zwölf"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("keine Zahl"),
        "a bad filter value is explained"
    );
    // A bad field is reported beside itself and left out; the good one beside it still filters.
    let html = s
        .get(&format!(
            "/dataset/bevoelkerung/resource/{rid}?f.einwohner_gesamt=zw%C3%B6lf&f.stadt=heid"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("aria-describedby=\"fe-einwohner_gesamt filter-hint\""),
        "{html}"
    );
    assert!(html.contains("id=\"fe-einwohner_gesamt\""));
    let rows = |html: &str| {
        html.split("class=\"data-table\"")
            .nth(1)
            .unwrap_or_default()
            .split("<tbody>")
            .nth(1)
            .and_then(|b| b.split("</tbody>").next())
            .unwrap_or_default()
            .to_string()
    };
    let body = rows(&html);
    assert!(
        body.contains("Schnaitheim") && !body.contains("Wasseralfingen"),
        "{body}"
    );
    // Comparisons and ranges; exports and the API link carry the filter and the order.
    let html = s
        .get(&format!(
            "/dataset/bevoelkerung/resource/{rid}?f.einwohner_gesamt=%3E10000&sort=einwohner_gesamt&dir=asc"
        ))
        .await
        .text()
        .await
        .unwrap();
    let body = rows(&html);
    assert!(
        body.contains("Wasseralfingen") && !body.contains("Schnaitheim"),
        "{body}"
    );
    let csv_link = html
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("/export/csv?"))
        .expect("a CSV export link with the filter")
        .replace("&amp;", "&");
    assert!(
        csv_link.contains("where=") && csv_link.contains("order_by="),
        "{csv_link}"
    );
    let csv = s.get(&csv_link).await.text().await.unwrap();
    assert_eq!(
        csv.lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap_or(""))
            .collect::<Vec<_>>(),
        ["Wasseralfingen", "Mitte", "Mitte"],
        "{csv}"
    );
    let api_link = html
        .split("href=\"")
        .filter_map(|h| h.split('"').next())
        .find(|h| h.contains("/records?"))
        .expect("an API link with the filter")
        .replace("&amp;", "&");
    let page: serde_json::Value = s.get(&api_link).await.json().await.unwrap();
    assert_eq!(page["total"], 3, "{page}");
    // The API panel's curl code runs as written: records, CSV and SQL keep the filter.
    let curl = html
        .split("<code class=\"language-curl\">")
        .nth(1)
        .and_then(|c| c.split("</code>").next())
        .expect("the curl snippet")
        .replace("&amp;", "&")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'");
    let urls: Vec<&str> = curl
        .lines()
        .filter(|l| l.starts_with("curl "))
        .filter_map(|l| l.split('"').nth(1))
        .collect();
    assert_eq!(urls.len(), 3, "{curl}");
    for url in urls {
        let path = &url[url.find("/api/").expect("an API URL")..];
        let res = s.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        let body = res.text().await.unwrap();
        if path.contains("/export/csv") {
            assert_eq!(body.lines().count(), 4, "{body}");
        } else {
            let v: serde_json::Value = serde_json::from_str(&body).unwrap();
            assert_eq!(v["records"].as_array().map(Vec::len), Some(3), "{url}: {v}");
        }
    }
    let res = s.get(&format!("/dataset/bevoelkerung/resource/{rid}/chart.svg?chart_x=stadt&chart_agg=sum&chart_y=einwohner_gesamt")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let svg = res.text().await.unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("Heidenheim: 29.100"),
        "{svg}"
    );
    assert!(
        svg.contains("Summe von Einwohner gesamt nach Stadt"),
        "{svg}"
    );
    // Without a choice the page draws what fits: the sum of the measure over the date column.
    let html = s
        .get(&format!("/dataset/bevoelkerung/resource/{rid}"))
        .await
        .text()
        .await
        .unwrap();
    let chart = html
        .split("id=\"chart\"")
        .nth(1)
        .expect("a chart by default");
    assert!(
        chart.contains("Summe von Einwohner gesamt nach Stichtag") && chart.contains("<polyline"),
        "{chart}"
    );
    let svg_url = |q: &str| format!("/dataset/bevoelkerung/resource/{rid}/chart.svg?{q}");
    let pie = s
        .get(&svg_url(
            "chart_x=stadt&chart_type=pie&chart_agg=sum&chart_y=einwohner_gesamt",
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(pie.matches("<path").count(), 2, "{pie}");
    assert!(pie.contains("Aalen: 28.300 (49,3 %)"), "{pie}");
    let stacked = s
        .get(&svg_url(
            "chart_x=stichtag&chart_type=stacked&chart_series=stadt&chart_agg=sum&chart_y=einwohner_gesamt",
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        stacked.contains("aufgeteilt nach Stadt") && stacked.contains("Heidenheim – "),
        "{stacked}"
    );
    // Embeds: other sites may frame them (and only them), with the source and the licence.
    let res = s
        .get(&format!(
            "/embed/dataset/bevoelkerung/resource/{rid}/table?f.stadt=aalen"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(!res.headers().contains_key("x-frame-options"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!("/dataset/bevoelkerung/resource/{rid}\"")),
        "links back"
    );
    assert!(html.contains("rel=\"license noopener\""), "{html}");
    let body = rows(&html);
    assert!(
        body.contains("Wasseralfingen") && !body.contains("Schnaitheim"),
        "{body}"
    );
    let chart = s
        .get(&format!(
            "/embed/dataset/bevoelkerung/resource/{rid}/chart?chart_x=stadt"
        ))
        .await;
    assert_eq!(chart.status(), StatusCode::OK);
    assert!(chart.text().await.unwrap().contains("<svg"));
    for wrong in ["map", "admin"] {
        let res = s
            .get(&format!(
                "/embed/dataset/bevoelkerung/resource/{rid}/{wrong}"
            ))
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{wrong}");
    }
    let page = s
        .get(&format!("/dataset/bevoelkerung/resource/{rid}"))
        .await;
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"embed-table\"") && html.contains("&lt;iframe src="),
        "the Einbetten dialog"
    );
    // The code goes into other sites: a crafted link's parameters do not reach it as written.
    let html = s
        .get(&format!(
            "/dataset/bevoelkerung/resource/{rid}?f.stadt=%22%3E%3Cscript%3Ealert(1)%3C/script%3E&x=%22%3E%3Cb%3E"
        ))
        .await
        .text()
        .await
        .unwrap();
    let code = html
        .split("id=\"embed-table\"")
        .nth(1)
        .and_then(|t| t.split_once('>').map(|(_, rest)| rest))
        .and_then(|t| t.split("</textarea").next())
        .expect("the table's embed code")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    assert!(code.starts_with("<iframe src=\""), "{code}");
    let src = code.split('"').nth(1).unwrap_or_default();
    assert!(src.contains("f.stadt=%22%3E%3Cscript%3E"), "{src}");
    assert!(
        !src.contains("x=") && !code.contains("<script") && !code.contains("<b>"),
        "{code}"
    );
    // The original stays downloadable unchanged.
    let original = s
        .get(&format!("/api/v1/resources/{rid}/download"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(original.as_ref(), windows_1252(BEVOELKERUNG).as_slice());
}

async fn sql_over_public_tables_only(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "bevoelkerung", "public")
        .await;
    s.dataset(&ed, "stadt-aalen", "kreise", "public").await;
    s.dataset(&ed, "stadt-aalen", "geheim", "private").await;
    let a = body(
        s.upload(
            &ed,
            "bevoelkerung",
            "b.csv",
            BEVOELKERUNG.as_bytes().to_vec(),
        )
        .await,
    )
    .await;
    let k = body(
        s.upload(
            &ed,
            "kreise",
            "k.csv",
            b"Stadt,Kreis\nAalen,Ostalbkreis\nHeidenheim,Landkreis Heidenheim\n".to_vec(),
        )
        .await,
    )
    .await;
    let g = body(
        s.upload(
            &ed,
            "geheim",
            "g.csv",
            b"Name,Gehalt\nMeier,5000\n".to_vec(),
        )
        .await,
    )
    .await;
    for r in [&a, &k, &g] {
        let rid = r["id"].as_str().unwrap();
        // Members see the private table's status; anonymous readers do not.
        for _ in 0..200 {
            let t = s
                .get_as(&format!("/api/v1/resources/{rid}/table"), &ed)
                .await;
            if t.status() == StatusCode::OK && body(t).await["status"] == "done" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    let sql = "SELECT k.\"Kreis\", sum(b.\"Einwohner gesamt\") AS e FROM bevoelkerung b JOIN kreise k ON b.\"Stadt\" = k.\"Stadt\" GROUP BY k.\"Kreis\" ORDER BY e DESC";
    let res = s
        .send_json(
            reqwest::Method::POST,
            "/api/v1/sql",
            None,
            &json!({"sql": sql}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = body(res).await;
    assert_eq!(
        page["records"],
        json!([{"Kreis": "Landkreis Heidenheim", "e": 29100}, {"Kreis": "Ostalbkreis", "e": 28300}])
    );
    let csv = s
        .get(&format!(
            "/api/v1/sql?format=csv&sql={}",
            percent_encode(sql)
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        csv,
        "Kreis,e\r\nLandkreis Heidenheim,29100\r\nOstalbkreis,28300\r\n"
    );
    // The private table does not exist for SQL, not even for its editor.
    let p = problem(
        s.get(&format!(
            "/api/v1/sql?sql={}",
            percent_encode("SELECT * FROM geheim")
        ))
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("geheim"), "{p}");
    let gid = g["id"].as_str().unwrap();
    problem(
        s.get(&format!("/api/v1/resources/{gid}/records")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        s.get(&format!("/api/v1/resources/{gid}/export/csv")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        s.get(&format!("/api/v1/resources/{gid}/table")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        s.get_as(&format!("/api/v1/resources/{gid}/records"), &ed)
            .await
            .status(),
        StatusCode::OK
    );
    // The sandbox refuses writes, DDL, file access and runaway queries with problems.
    for bad in [
        "DROP TABLE kreise",
        "COPY kreise TO '/tmp/x.csv'",
        "SELECT * FROM '/etc/passwd'",
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
        "",
    ] {
        problem(
            s.send_json(
                reqwest::Method::POST,
                "/api/v1/sql",
                None,
                &json!({"sql": bad}),
            )
            .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
}

async fn broken_reupload_keeps_previous_version(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "zahlen", "public").await;
    let r = body(
        s.upload(&ed, "zahlen", "zahlen.csv", b"a;b\n1;2\n3;4\n".to_vec())
            .await,
    )
    .await;
    let rid = r["id"].as_str().unwrap().to_string();
    assert_eq!(wait_table(&s, &rid, 1).await["status"], "done");

    // Version 2: a truncated spreadsheet fails with a readable message.
    let xlsx = include_bytes!("../../demo/muenster_wetter_taeglich_serialdates.xlsx");
    let part =
        reqwest::multipart::Part::bytes(xlsx[..xlsx.len() / 2].to_vec()).file_name("zahlen.xlsx");
    let res = s
        .client
        .put(s.url(&format!("/api/v1/resources/{rid}/file")))
        .bearer_auth(&ed)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let t = wait_table(&s, &rid, 2).await;
    assert_eq!(t["versions"][0]["status"], "failed");
    assert!(
        t["versions"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Tabellendatei"),
        "{t}"
    );
    let res = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(res["status"], "failed");
    let german = res["status_message"].as_str().unwrap().to_string();
    assert!(german.contains("Tabellendatei"), "{res}");
    // The data plane's messages are stored as keys and shown in the reader's language.
    let english = |path: String| {
        let s = &s;
        async move {
            let r = s
                .client
                .get(s.url(&path))
                .header("accept-language", "en")
                .send()
                .await
                .unwrap();
            body(r).await
        }
    };
    let t_en = english(format!("/api/v1/resources/{rid}/table")).await;
    let m = t_en["versions"][0]["message"].as_str().unwrap();
    assert!(m.contains("spreadsheet file"), "{t_en}");
    assert!(!m.contains('{'), "a stored message leaks as JSON: {m}");
    let res_en = english(format!("/api/v1/resources/{rid}")).await;
    assert!(
        res_en["status_message"]
            .as_str()
            .unwrap()
            .contains("spreadsheet file"),
        "{res_en}"
    );
    let bad_where = english(records_url(&rid, &[("where", "b >")])).await;
    assert!(
        bad_where["detail"]
            .as_str()
            .unwrap()
            .starts_with("where: the expression ends"),
        "{bad_where}"
    );
    // The previous version keeps serving, and the resource still describes the file it was
    // made from (download, checksum, size): file and table change together or not at all.
    assert_eq!(t["version"], 1);
    assert_eq!(res["sha256"], r["sha256"], "{res}");
    assert_eq!(res["byte_size"], 12, "{res}");
    assert_eq!(res["format"], "CSV", "{res}");
    assert_eq!(s.download(&rid).await, b"a;b\n1;2\n3;4\n");
    let page = get_json(&s, &records_url(&rid, &[])).await;
    assert_eq!(page["records"], json!([{"a": 1, "b": 2}, {"a": 3, "b": 4}]));
    // The failed file was never checked nor served: its organization reads it, nobody else.
    let src_path = format!("/api/v1/resources/{rid}/versions/2/source");
    assert_eq!(s.get(&src_path).await.status(), StatusCode::NOT_FOUND);
    let src = s.get_as(&src_path, &ed).await.bytes().await.unwrap();
    assert_eq!(src.len(), xlsx.len() / 2);
    // A version that is no number, or beyond any, is a bad request in the API's own words.
    for bad in ["zwei", "9223372036854775808"] {
        crate::harness::problem(
            s.get(&format!("/api/v1/resources/{rid}/versions/{bad}/source"))
                .await,
            StatusCode::BAD_REQUEST,
        )
        .await;
    }

    // Version 3: a good file switches over; version 1 stays readable.
    let part = reqwest::multipart::Part::bytes(b"a;b\n5;6\n".to_vec()).file_name("zahlen.csv");
    let res = s
        .client
        .put(s.url(&format!("/api/v1/resources/{rid}/file")))
        .bearer_auth(&ed)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    assert_eq!(wait_table(&s, &rid, 3).await["version"], 3);
    assert_eq!(
        get_json(&s, &records_url(&rid, &[])).await["records"],
        json!([{"a": 5, "b": 6}])
    );
    // Now the resource is the new file.
    let res = body(s.get(&format!("/api/v1/resources/{rid}")).await).await;
    assert_eq!(res["byte_size"], 8, "{res}");
    assert_ne!(res["sha256"], r["sha256"]);
    assert_eq!(s.download(&rid).await, b"a;b\n5;6\n");
    let old = s
        .get(&format!("/api/v1/resources/{rid}/records?version=1"))
        .await;
    assert_eq!(body(old).await["total"], 2);

    // Publisher overrides: read `;` as part of the value with `,` as delimiter.
    let res = s
        .post_json(
            &format!("/api/v1/resources/{rid}/ingest"),
            &ed,
            &json!({"delimiter": ","}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let t = wait_table(&s, &rid, 4).await;
    assert_eq!(t["columns"][0]["name"], "a;b", "{t}");
    problem(
        s.post_json(
            &format!("/api/v1/resources/{rid}/ingest"),
            &ed,
            &json!({"encoding": "klingonisch"}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        s.post_json(
            &format!("/api/v1/resources/{rid}/ingest"),
            &ed,
            &json!({"unknown": 1}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    // Outsiders cannot trigger ingestion.
    let anon = s
        .send_json(
            reqwest::Method::POST,
            &format!("/api/v1/resources/{rid}/ingest"),
            None,
            &json!({}),
        )
        .await;
    assert!(
        matches!(
            anon.status(),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        ),
        "{}",
        anon.status()
    );
}

async fn garbage_fails_with_message(backend: Backend) {
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "kaputt", "public").await;
    let garbage: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let r = body(s.upload(&ed, "kaputt", "daten.csv", garbage.clone()).await).await;
    let rid = r["id"].as_str().unwrap().to_string();
    let t = wait_table(&s, &rid, 1).await;
    assert_eq!(t["versions"][0]["status"], "failed");
    assert!(
        t["versions"][0]["message"]
            .as_str()
            .unwrap()
            .contains("keine Tabelle, sondern Binärdatei"),
        "{t}"
    );
    problem(
        s.get(&format!("/api/v1/resources/{rid}/records")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let original = s
        .get(&format!("/api/v1/resources/{rid}/download"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(original.as_ref(), garbage.as_slice());
    // A job that failed because of its input is not retried.
    let job = get_json(
        &s,
        t["versions"][0]["job"]
            .as_str()
            .unwrap()
            .trim_start_matches(&s.base),
    )
    .await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["attempts"], 1);
}

/// A tiny web server for links: `/daten.csv`, `/weiter` (302 to it), `/fehlt.csv` (404) and
/// `/gross.csv` (2 MiB).
pub(crate) async fn file_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (head, body): (String, Vec<u8>) = match path.as_str() {
                    "/daten.csv" => (
                        "200 OK\r\nContent-Type: text/csv".into(),
                        windows_1252(BEVOELKERUNG),
                    ),
                    "/weiter" => ("302 Found\r\nLocation: /daten.csv".into(), Vec::new()),
                    "/gross.csv" => ("200 OK".into(), vec![b'1'; 2 << 20]),
                    _ => ("404 Not Found".into(), b"nope".to_vec()),
                };
                let head = format!(
                    "HTTP/1.1 {head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
            });
        }
    });
    format!("http://{addr}")
}

async fn link(s: &TestServer, token: &str, dataset: &str, url: &str) -> String {
    let r = body(
        s.post_json(
            &format!("/api/v1/datasets/{dataset}/resources"),
            token,
            &json!({"title": "Verlinkt", "url": url, "format": "CSV"}),
        )
        .await,
    )
    .await;
    r["id"].as_str().expect("resource id").to_string()
}

async fn ingest_link(s: &TestServer, token: &str, rid: &str) -> Value {
    let res = s
        .post_json(
            &format!("/api/v1/resources/{rid}/ingest"),
            token,
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let v = body(res).await["version"].as_i64().expect("version");
    wait_table(s, rid, v).await
}

async fn links_are_fetched_behind_an_ssrf_guard(backend: Backend) {
    let files = file_server().await;
    // Default settings: loopback and private networks are never fetched.
    let s = TestServer::start(backend).await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "verlinkt", "public").await;
    for url in [format!("{files}/daten.csv"), "http://[::1]:9/x.csv".into()] {
        let rid = link(&s, &ed, "verlinkt", &url).await;
        let t = ingest_link(&s, &ed, &rid).await;
        assert_eq!(t["versions"][0]["status"], "failed", "{t}");
        let msg = t["versions"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains("nicht öffentlich"), "{msg}");
    }
    // Names are checked after resolving: `localhost` is loopback.
    let port = files.rsplit(':').next().unwrap_or_default();
    let rid = link(
        &s,
        &ed,
        "verlinkt",
        &format!("http://localhost:{port}/daten.csv"),
    )
    .await;
    let t = ingest_link(&s, &ed, &rid).await;
    assert_eq!(t["versions"][0]["status"], "failed", "{t}");
    drop(s);

    // A portal inside a city network may allow private addresses.
    let s = TestServer::start_with(backend, |c| {
        c.fetch_allow_private = true;
        c.fetch_max_mb = 1;
    })
    .await;
    s.org("stadt-aalen", "Stadt Aalen").await;
    let ed = s
        .user("ed", false, Some(("stadt-aalen", Role::Editor)))
        .await;
    s.dataset(&ed, "stadt-aalen", "verlinkt", "public").await;
    let rid = link(&s, &ed, "verlinkt", &format!("{files}/weiter")).await;
    let t = ingest_link(&s, &ed, &rid).await;
    assert_eq!(t["versions"][0]["status"], "done", "{t}");
    assert_eq!(t["rows"], 5);
    let page = get_json(
        &s,
        &records_url(&rid, &[("where", "\"Stadtteil\" = 'Schnaitheim'")]),
    )
    .await;
    assert_eq!(page["records"][0]["Einwohner gesamt"], 9000);
    // The fetched original is kept, byte for byte, as the version's source.
    let src = s
        .get(&format!("/api/v1/resources/{rid}/versions/1/source"))
        .await;
    assert_eq!(src.status(), StatusCode::OK);
    assert_eq!(
        src.bytes().await.unwrap().as_ref(),
        windows_1252(BEVOELKERUNG).as_slice()
    );
    for (path, expected) in [("/fehlt.csv", "404"), ("/gross.csv", "größer")] {
        let rid = link(&s, &ed, "verlinkt", &format!("{files}{path}")).await;
        let t = ingest_link(&s, &ed, &rid).await;
        assert_eq!(t["versions"][0]["status"], "failed", "{t}");
        let msg = t["versions"][0]["message"].as_str().unwrap_or_default();
        assert!(msg.contains(expected), "{path}: {msg}");
        problem(
            s.get(&format!("/api/v1/resources/{rid}/versions/1/source"))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
    }
}

/// The home page features a public dataset with its table's chart: the configured one, else
/// the one changed last; a private one never, even when configured.
async fn home_page_features_a_public_dataset(backend: Backend) {
    for (configured, expected) in [
        ("", Some("Titel neu")),
        ("intern", None),
        ("alt", Some("Titel alt")),
    ] {
        let s = TestServer::start_with(backend, |c| c.featured_dataset = configured.into()).await;
        s.org("stadt-aalen", "Stadt Aalen").await;
        let ed = s
            .user("ed", false, Some(("stadt-aalen", Role::Editor)))
            .await;
        for (slug, vis) in [("alt", "public"), ("intern", "private"), ("neu", "public")] {
            s.dataset(&ed, "stadt-aalen", slug, vis).await;
            let res = s
                .upload(
                    &ed,
                    slug,
                    "werte.csv",
                    b"Jahr;Wert\n2023;1\n2024;2\n".to_vec(),
                )
                .await;
            let rid = body(res).await["id"].as_str().unwrap().to_string();
            if vis == "public" {
                wait_table(&s, &rid, 1).await;
            }
        }
        let html = s.get("/").await.text().await.unwrap();
        let featured = html
            .split("id=\"featured-h\"")
            .nth(1)
            .and_then(|f| f.split("</section>").next());
        match expected {
            None => assert!(featured.is_none(), "{html}"),
            Some(title) => {
                let f = featured.expect("a featured dataset");
                assert!(
                    f.contains(title) && f.contains("/chart.svg"),
                    "{configured}: {f}"
                );
                let src = f
                    .split("src=\"")
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap();
                let svg = s.get(src).await;
                assert_eq!(svg.status(), StatusCode::OK);
                assert!(svg.text().await.unwrap().contains("<svg"));
            }
        }
    }
}

crate::both_backends!(
    home_page_features_a_public_dataset,
    links_are_fetched_behind_an_ssrf_guard,
    upload_becomes_queryable_table,
    sql_over_public_tables_only,
    broken_reupload_keeps_previous_version,
    garbage_fails_with_message,
);
