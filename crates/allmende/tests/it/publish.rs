//! The full publish flow through the API with a token.

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::harness::{Backend, TestServer, json, problem};

async fn publish_flow_with_token(backend: Backend) {
    let s = TestServer::start(backend).await;
    let admin = s.user("root", true, None).await;

    // A sysadmin creates the organization, an editor publishes.
    let res = s
        .post_json(
            "/api/v1/organizations",
            &admin,
            &json!({"slug": "stadt-aalen", "name": "Stadt Aalen", "ags": "08136088", "type": "municipality"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let editor = s
        .user("redaktion", false, Some(("stadt-aalen", Role::Editor)))
        .await;

    let res = s
        .post_json(
            "/api/v1/datasets",
            &editor,
            &json!({"slug": "baumkataster", "title": "Baumkataster", "description": "Alle **Bäume**",
                "organization": "stadt-aalen", "license": "dl-by-de/2.0", "visibility": "public",
                "keywords": ["Bäume"], "themes": ["ENVI"], "release_checklist": crate::harness::release(),
                "contact": {"name": "Grünflächenamt", "email": "gruen@aalen.de"},
                "temporal": {"start": "2024-01-01", "end": "31.12.2024"},
                "spatial": {"name": "Aalen", "ags": "08136088", "bbox": [10.0, 48.8, 10.2, 48.9]},
                "frequency": "ANNUAL", "landing_page": "https://www.aalen.de/baeume",
                "extras": {"Quelle": "Grünflächenamt"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("location").is_some());
    let ds = json(res).await;
    let id = ds["id"].as_str().unwrap().to_string();
    assert_eq!(ds["slug"], "baumkataster");
    assert_eq!(ds["organization"], "stadt-aalen");
    assert_eq!(ds["temporal"]["end"], "2024-12-31");
    assert_eq!(ds["languages"], json!(["DEU"]));

    // Upload a CSV; format and media type come from the content.
    let csv = "Baumart;Anzahl\nLinde;12\nAhorn;7\nEiche;3\n"
        .as_bytes()
        .to_vec();
    let res = s
        .upload(&editor, "baumkataster", "bäume.txt", csv.clone())
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let r = json(res).await;
    assert_eq!(r["format"], "CSV");
    assert_eq!(r["media_type"], "text/csv");
    assert_eq!(r["byte_size"], csv.len());
    assert_eq!(r["sha256"], hex::encode(Sha256::digest(&csv)));
    assert_eq!(r["file_name"], "bäume.txt");

    // A link resource.
    let res = s
        .post_json(
            &format!("/api/v1/datasets/{id}/resources"),
            &editor,
            &json!({"title": "Karte", "url": "https://geoportal.aalen.de/baeume.geojson"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let link = json(res).await;
    assert_eq!(link["format"], "GEOJSON");

    // Anyone reads it, by slug and by id, with both resources in order.
    let got = json(s.get("/api/v1/datasets/baumkataster").await).await;
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["resources"].as_array().unwrap().len(), 2);
    assert_eq!(got["resources"][0]["position"], 0);
    let by_id = json(s.get(&format!("/api/v1/datasets/{id}")).await).await;
    assert_eq!(by_id["slug"], "baumkataster");
    let list = json(s.get("/api/v1/datasets").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["page"], 1);
    assert_eq!(list["items"][0]["slug"], "baumkataster");

    // The download is the upload (once the privacy check has let the table's file out).
    crate::data::wait_table(&s, r["id"].as_str().unwrap(), 1).await;
    let res = s
        .get(&format!(
            "/api/v1/resources/{}/download",
            r["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), csv);
    let res = s
        .get(&format!(
            "/api/v1/resources/{}/download",
            link["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // PATCH merges, PUT replaces.
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/datasets/baumkataster",
            Some(&editor),
            &json!({"title": "Baumkataster Aalen", "version": "2"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let patched = json(res).await;
    assert_eq!(patched["title"], "Baumkataster Aalen");
    assert_eq!(patched["keywords"], json!(["Bäume"]));
    assert_eq!(patched["version"], "2");
    let res = s
        .send_json(Method::PUT, "/api/v1/datasets/baumkataster", Some(&editor),
            &json!({"title": "Bäume", "description": "neu", "organization": "stadt-aalen", "license": "cc-by/4.0", "release_checklist": crate::harness::release()}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let replaced = json(res).await;
    assert_eq!(replaced["slug"], "baeume");
    assert_eq!(replaced["keywords"], json!([]));
    assert!(replaced["version"].is_null());

    // Resource metadata can change; the file stays.
    let res = s
        .send_json(
            Method::PATCH,
            &format!("/api/v1/resources/{}", r["id"].as_str().unwrap()),
            Some(&editor),
            &json!({"title": "Baumliste", "license": "cc-zero"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let r2 = json(res).await;
    assert_eq!(r2["title"], "Baumliste");
    assert_eq!(r2["sha256"], r["sha256"]);

    // Soft delete hides it from everyone but editors; restore brings it back.
    let res = s
        .send_json(
            Method::DELETE,
            "/api/v1/datasets/baeume",
            Some(&editor),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        s.get("/api/v1/datasets/baeume").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(json(s.get("/api/v1/datasets").await).await["total"], 0);
    assert_eq!(
        s.get_as("/api/v1/datasets/baeume", &editor).await.status(),
        StatusCode::OK
    );
    let res = s
        .post_json("/api/v1/datasets/baeume/restore", &editor, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        s.get("/api/v1/datasets/baeume").await.status(),
        StatusCode::OK
    );

    // Deleting a resource removes it from the dataset.
    let res = s
        .send_json(
            Method::DELETE,
            &format!("/api/v1/resources/{}", link["id"].as_str().unwrap()),
            Some(&editor),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let got = json(s.get("/api/v1/datasets/baeume").await).await;
    assert_eq!(got["resources"].as_array().unwrap().len(), 1);

    // The change log recorded every step, in order.
    let changes = json(s.get_as("/api/v1/changes?since=0&limit=1000", &admin).await).await;
    let actions: Vec<String> = changes
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["entity"] == "dataset")
        .map(|c| c["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions.first().map(String::as_str), Some("create"));
    assert!(actions.contains(&"delete".to_string()) && actions.contains(&"restore".to_string()));
    let seqs: Vec<i64> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["seq"].as_i64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    problem(
        s.get_as("/api/v1/changes", &editor).await,
        StatusCode::FORBIDDEN,
    )
    .await;
}

async fn organizations_members_and_vocabularies(backend: Backend) {
    let s = TestServer::start(backend).await;
    let admin = s.user("root", true, None).await;
    s.org("stadt-heidenheim", "Stadt Heidenheim an der Brenz")
        .await;
    let org_admin = s
        .user("hdh-admin", false, Some(("stadt-heidenheim", Role::Admin)))
        .await;
    s.user("neu", false, None).await;

    let list = json(s.get("/api/v1/organizations").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["slug"], "stadt-heidenheim");

    // Org admins manage members and the organization, not other orgs or new orgs.
    let res = s
        .send_json(
            Method::PUT,
            "/api/v1/organizations/stadt-heidenheim/members/neu",
            Some(&org_admin),
            &json!({"role": "editor"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let members = json(
        s.get_as("/api/v1/organizations/stadt-heidenheim/members", &org_admin)
            .await,
    )
    .await;
    assert_eq!(members.as_array().unwrap().len(), 2);
    let res = s
        .send_json(
            Method::PATCH,
            "/api/v1/organizations/stadt-heidenheim",
            Some(&org_admin),
            &json!({"ags": "08135019", "website": "https://www.heidenheim.de"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json(res).await["ags"], "08135019");
    problem(
        s.post_json(
            "/api/v1/organizations",
            &org_admin,
            &json!({"slug": "x-org", "name": "X"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        s.send_json(
            Method::PUT,
            "/api/v1/organizations/stadt-heidenheim/members/neu",
            Some(&org_admin),
            &json!({"role": "king"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let res = s
        .send_json(
            Method::DELETE,
            "/api/v1/organizations/stadt-heidenheim/members/neu",
            Some(&org_admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    problem(
        s.get("/api/v1/organizations/stadt-heidenheim/members")
            .await,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Logo: PNG accepted (without the text chunk naming its author), anything else refused,
    // and so is a PNG cut short.
    let res = s
        .client
        .put(s.url("/api/v1/organizations/stadt-heidenheim/logo"))
        .bearer_auth(&admin)
        .header("content-type", "image/png")
        .body(crate::harness::pixel_png_with_author())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = s.get("/api/v1/organizations/stadt-heidenheim/logo").await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(
        res.bytes().await.unwrap().as_ref(),
        crate::harness::PIXEL_PNG
    );
    let res = s
        .client
        .put(s.url("/api/v1/organizations/stadt-heidenheim/logo"))
        .bearer_auth(&admin)
        .body(crate::harness::PIXEL_PNG[..40].to_vec())
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    let res = s
        .client
        .put(s.url("/api/v1/organizations/stadt-heidenheim/logo"))
        .bearer_auth(&admin)
        .body("<svg onload=alert(1)>")
        .send()
        .await
        .unwrap();
    problem(res, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let licenses = json(s.get("/api/v1/licenses").await).await;
    assert!(
        licenses
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == "dl-by-de/2.0" && l["open"] == true)
    );
    assert_eq!(
        json(s.get("/api/v1/themes").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        13
    );
    let me = json(s.get_as("/api/v1/me", &org_admin).await).await;
    assert_eq!(me["user"]["name"], "hdh-admin");
    assert_eq!(me["roles"]["stadt-heidenheim"], "admin");
    problem(s.get("/api/v1/me").await, StatusCode::UNAUTHORIZED).await;
}

async fn openapi_document_is_generated(backend: Backend) {
    let s = TestServer::start(backend).await;
    let doc = json(s.get("/api/v1/openapi.json").await).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/datasets",
        "/datasets/{id}",
        "/datasets/{id}/resources",
        "/resources/{id}/download",
        "/organizations",
        "/licenses",
        "/themes",
    ] {
        assert!(
            doc["paths"][path].is_object(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["schemas"]["Dataset"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Path parameters are the path's own; everything else is a query parameter. Operation ids
    // are unique. (CI also runs openapi-spec-validator on the served document.)
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    p["in"],
                    if in_path { "path" } else { "query" },
                    "{method} {path}: {name}"
                );
            }
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "operationId {id} twice");
            }
        }
    }
    assert!(ids.contains("getDatasetsIdPublication") && ids.contains("records"));
    let page = s.get("/api").await.text().await.unwrap();
    assert!(page.contains("/api/v1/datasets/{id}/resources"));
    // A newcomer's order: public reads first, the sysadmins' change feed late; locations in
    // words, code in descriptions as code.
    let at = |needle: &str| page.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("<code>/api/v1/datasets</code>") < at("<code>/api/v1/changes</code>"));
    assert!(!page.contains("<td>path</td>") && page.contains("<td>Abfrage (?…)</td>"));
    assert!(!page.contains('`'), "backticks left on the page");
    // Described in the page's language: German by default, the document's English on the
    // English page.
    assert!(page.contains("Legt einen Datensatz an.") && !page.contains("Create a dataset."));
    assert!(page.contains("Zeilen je Seite") && !page.contains("Rows per page"));
    let english = s
        .client
        .get(s.url("/api"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("Create a dataset.") && !english.contains("Legt einen Datensatz an."));
}

crate::both_backends!(
    publish_flow_with_token,
    organizations_members_and_vocabularies,
    openapi_document_is_generated
);
