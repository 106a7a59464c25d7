//! The authorization matrix: every route the router has (from `allmende_web::routes()`) ×
//! every method it answers (from its `Allow` header) × {anonymous, member of another
//! organization, editor, admin, sysadmin} × {public, private, draft, deleted}, each with the
//! outcome the access policy states. A route without an entry here fails the test, so a new
//! route cannot go live without deciding who may use it.

use std::collections::BTreeMap;

use allmende_core::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Backend, TestServer, json as body};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Actor {
    Anonymous,
    Outsider,
    Editor,
    Admin,
    Sysadmin,
}

const ACTORS: [Actor; 5] = [
    Actor::Anonymous,
    Actor::Outsider,
    Actor::Editor,
    Actor::Admin,
    Actor::Sysadmin,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Vis {
    Public,
    Private,
    Draft,
    Deleted,
}

const VISES: [Vis; 4] = [Vis::Public, Vis::Private, Vis::Draft, Vis::Deleted];

impl Vis {
    fn slug(self) -> &'static str {
        match self {
            Vis::Public => "oeffentlich",
            Vis::Private => "privat",
            Vis::Draft => "entwurf",
            Vis::Deleted => "geloescht",
        }
    }
}

/// The policy, stated on its own (not taken from the code under test).
fn may_read(a: Actor, v: Vis) -> bool {
    match v {
        Vis::Public => true,
        // Members of the organization and sysadmins.
        Vis::Private | Vis::Draft => matches!(a, Actor::Editor | Actor::Admin | Actor::Sysadmin),
        // Only those who could restore it.
        Vis::Deleted => matches!(a, Actor::Editor | Actor::Admin | Actor::Sysadmin),
    }
}

fn may_edit(a: Actor) -> bool {
    matches!(a, Actor::Editor | Actor::Admin | Actor::Sysadmin)
}

/// What an answer must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    /// 2xx or 3xx.
    Ok,
    /// Past authorization: anything but 401, 403, 404 and 5xx (a write without a body may
    /// well be a 400 or 422).
    Allowed,
    Unauthorized,
    Forbidden,
    NotFound,
    /// A page that sends visitors to the login form.
    Login,
    /// Not refused: anything but 401, 403 and 5xx (a 404 for something that is not there,
    /// such as a logo never uploaded).
    NotDenied,
}

impl Want {
    fn check(self, status: StatusCode, location: Option<&str>) -> bool {
        let s = status.as_u16();
        match self {
            Want::Ok => status.is_success() || status.is_redirection(),
            Want::Allowed => !matches!(s, 401 | 403 | 404) && s < 500,
            Want::Unauthorized => s == 401,
            Want::Forbidden => s == 403,
            Want::NotFound => s == 404,
            // Sent to the login form, or (a form post with this browser's CSRF token whose
            // input is kept) shown it with 401.
            Want::Login => {
                (status == StatusCode::SEE_OTHER
                    && location.is_some_and(|l| l.starts_with("/login")))
                    || (s == 401 && location.is_none())
            }
            Want::NotDenied => !matches!(s, 401 | 403) && s < 500,
        }
    }
}

/// Kinds of routes and how the policy applies to them.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, any time (pages and lists without private content, health, vocabularies).
    Open,
    /// Anyone; the thing may not exist (404).
    OpenMaybeAbsent,
    /// A login without credentials: 401 for everyone.
    LoginAttempt,
    /// Deleting a dataset: like `WriteDataset`, and a deleted one is gone (404) for all.
    DeleteDataset,
    /// Reading a dataset or what belongs to it.
    ReadDataset,
    /// What other sites frame (embeds): public datasets for everyone, nothing else for anyone,
    /// whoever is signed in.
    PublicOnly,
    /// Changing a dataset or what belongs to it (API).
    WriteDataset,
    /// Reading a dataset's table: like `ReadDataset`.
    ReadTable,
    /// Acknowledging a privacy finding: the organization's admins and sysadmins.
    AcknowledgeFindings,
    /// Creating in an organization (API).
    CreateInOrg,
    /// Any signed-in caller (API).
    SignedIn,
    Sysadmin,
    /// Changing an organization: its admins and sysadmins.
    ManageOrg,
    /// Seeing an organization's members: its members and sysadmins.
    ReadMembers,
    /// A publisher page without a dataset: sign-in first.
    PageSignedIn,
    /// A moderator's form action on something that may not exist: sign-in first, then not
    /// refused (a 404 for an unknown showcase).
    PageSignedInMaybeAbsent,
    /// A publisher page of a dataset (form or form action).
    PageWriteDataset,
    /// A publisher page to create in an organization.
    PageCreate,
    /// A page for sysadmins: sign-in first.
    PageSysadmin,
    /// An organization's members page: sign-in first, then its members.
    PageReadMembers,
    /// Changing an organization's members from a page: sign-in first, then its admins.
    PageManageOrg,
}

fn want(rule: Rule, a: Actor, v: Vis) -> Want {
    use Actor::*;
    match rule {
        Rule::Open => Want::Ok,
        Rule::OpenMaybeAbsent => Want::NotDenied,
        Rule::LoginAttempt => Want::Unauthorized,
        Rule::DeleteDataset if v == Vis::Deleted => Want::NotFound,
        Rule::DeleteDataset => want(Rule::WriteDataset, a, v),
        Rule::PublicOnly if v == Vis::Public => Want::Ok,
        Rule::PublicOnly => Want::NotFound,
        Rule::ReadDataset | Rule::ReadTable => {
            if may_read(a, v) {
                Want::Ok
            } else {
                Want::NotFound
            }
        }
        Rule::WriteDataset => {
            if !may_read(a, v) {
                Want::NotFound
            } else if may_edit(a) {
                Want::Allowed
            } else if a == Anonymous {
                Want::Unauthorized
            } else {
                Want::Forbidden
            }
        }
        Rule::AcknowledgeFindings => {
            if !may_read(a, v) {
                Want::NotFound
            } else if matches!(a, Admin | Sysadmin) {
                Want::Allowed
            } else if a == Anonymous {
                Want::Unauthorized
            } else {
                Want::Forbidden
            }
        }
        Rule::CreateInOrg => match a {
            Anonymous => Want::Unauthorized,
            Outsider => Want::Forbidden,
            _ => Want::Allowed,
        },
        Rule::SignedIn => match a {
            Anonymous => Want::Unauthorized,
            _ => Want::Allowed,
        },
        Rule::Sysadmin => match a {
            Anonymous => Want::Unauthorized,
            Sysadmin => Want::Allowed,
            _ => Want::Forbidden,
        },
        Rule::ManageOrg => match a {
            Anonymous => Want::Unauthorized,
            Outsider | Editor => Want::Forbidden,
            Admin | Sysadmin => Want::Allowed,
        },
        Rule::ReadMembers => match a {
            Anonymous => Want::Unauthorized,
            Outsider => Want::Forbidden,
            _ => Want::Allowed,
        },
        Rule::PageSignedIn => match a {
            Anonymous => Want::Login,
            _ => Want::Allowed,
        },
        Rule::PageSignedInMaybeAbsent => match a {
            Anonymous => Want::Login,
            _ => Want::NotDenied,
        },
        Rule::PageWriteDataset => {
            if a == Anonymous {
                Want::Login
            } else if !may_read(a, v) {
                Want::NotFound
            } else if may_edit(a) {
                Want::Allowed
            } else {
                Want::Forbidden
            }
        }
        Rule::PageCreate => match a {
            Anonymous => Want::Login,
            _ => Want::Allowed,
        },
        Rule::PageSysadmin => match a {
            Anonymous => Want::Login,
            Sysadmin => Want::Allowed,
            _ => Want::Forbidden,
        },
        Rule::PageReadMembers => match a {
            Anonymous => Want::Login,
            Outsider => Want::Forbidden,
            _ => Want::Allowed,
        },
        Rule::PageManageOrg => match a {
            Anonymous => Want::Login,
            Outsider | Editor => Want::Forbidden,
            Admin | Sysadmin => Want::Allowed,
        },
    }
}

/// The matrix itself: (method, route) → rule, and whether a request changes what later
/// requests see (then it runs against a fresh dataset of its own).
fn entry(method: &str, path: &str) -> Option<(Rule, bool)> {
    use Rule::*;
    let e = |r: Rule| Some((r, false));
    let destructive = |r: Rule| Some((r, true));
    match (method, path) {
        ("GET", "/healthz" | "/readyz") => e(Open),
        // The native API.
        ("GET", "/api/v1/datasets") => e(Open),
        ("POST", "/api/v1/datasets") => e(CreateInOrg),
        ("GET", "/api/v1/datasets/{id}" | "/api/v1/datasets/{id}/quality") => e(ReadDataset),
        // The metadata history: for those who may change the dataset.
        ("GET", "/api/v1/datasets/{id}/history") => e(WriteDataset),
        // A planned publication: for those who may change the dataset.
        ("GET" | "PUT" | "DELETE", "/api/v1/datasets/{id}/publication") => {
            destructive(WriteDataset)
        }
        ("POST", "/api/v1/datasets/{id}/history/{revision}/restore") => destructive(WriteDataset),
        ("PUT" | "PATCH", "/api/v1/datasets/{id}") => e(WriteDataset),
        ("DELETE", "/api/v1/datasets/{id}") => destructive(DeleteDataset),
        ("POST", "/api/v1/datasets/{id}/restore") => destructive(WriteDataset),
        ("GET", "/api/v1/datasets/{id}/resources") => e(ReadDataset),
        ("POST", "/api/v1/datasets/{id}/resources") => e(WriteDataset),
        ("GET", "/api/v1/resources/{id}" | "/api/v1/resources/{id}/download") => e(ReadDataset),
        ("PATCH", "/api/v1/resources/{id}") => e(WriteDataset),
        ("DELETE", "/api/v1/resources/{id}") => destructive(WriteDataset),
        (
            "GET",
            "/api/v1/resources/{id}/table"
            | "/api/v1/resources/{id}/records"
            | "/api/v1/resources/{id}/map"
            | "/api/v1/resources/{id}/overview.png"
            | "/api/v1/resources/{id}/export/{format}"
            | "/api/v1/resources/{id}/versions/{version}/source"
            | "/api/v1/jobs/{id}",
        ) => e(ReadTable),
        ("POST", "/api/v1/resources/{id}/ingest") => e(WriteDataset),
        // The privacy check's findings: for those who may change the resource.
        ("GET", "/api/v1/resources/{id}/privacy") => e(WriteDataset),
        // Letting a finding out: organization admins (an empty body is refused after that).
        ("POST", "/api/v1/resources/{id}/privacy/acknowledgements") => e(AcknowledgeFindings),
        ("POST", "/dataset/{slug}/resource/{id}/acknowledge") => e(AcknowledgeFindings),
        ("PUT", "/api/v1/resources/{id}/file") => destructive(WriteDataset),
        // Public tables only, for everyone (a private table is simply not there).
        ("GET" | "POST", "/api/v1/sql") => e(Open),
        ("GET", "/api/v1/organizations" | "/api/v1/organizations/{slug}") => e(Open),
        ("POST", "/api/v1/organizations") => e(Sysadmin),
        ("PATCH", "/api/v1/organizations/{slug}") => e(ManageOrg),
        ("GET", "/api/v1/organizations/{slug}/logo") => e(OpenMaybeAbsent),
        ("PUT" | "DELETE", "/api/v1/organizations/{slug}/logo") => e(ManageOrg),
        ("GET", "/api/v1/organizations/{slug}/members") => e(ReadMembers),
        ("PUT" | "DELETE", "/api/v1/organizations/{slug}/members/{user}") => destructive(ManageOrg),
        (
            "GET",
            "/api/v1/licenses"
            | "/api/v1/themes"
            | "/api/v1/formats"
            | "/api/v1/frequencies"
            | "/api/v1/organization-types"
            | "/api/v1/openapi.json",
        ) => e(Open),
        ("GET", "/api/v1/me") => e(SignedIn),
        ("GET", "/api/v1/showcases") => e(Open),
        // An approved showcase's picture for anyone, a proposal's for its moderators only.
        ("GET", "/api/v1/showcases/{id}/image") => e(OpenMaybeAbsent),
        // Following by e-mail: anyone, for public datasets, when the portal has a relay
        // (without one, and for any other dataset, not there); the links in the mails work
        // for whoever holds them.
        ("GET" | "POST", "/dataset/{slug}/follow") => e(OpenMaybeAbsent),
        ("GET" | "POST", "/follow/{token}/{action}") => e(OpenMaybeAbsent),
        ("GET", "/showcases" | "/showcases/new") => e(Open),
        // Anyone may propose; the empty proposal is refused for its fields (422).
        ("POST", "/showcases/new") => e(OpenMaybeAbsent),
        ("GET", "/showcases/review") => e(PageSignedIn),
        ("GET", "/feedback") => e(Open),
        // Anyone may write; the empty message is refused for its fields (422).
        ("POST", "/feedback") => e(OpenMaybeAbsent),
        ("GET", "/feedback/inbox") => e(PageSignedIn),
        ("POST", "/feedback/{id}") => e(PageSignedInMaybeAbsent),
        ("POST", "/showcases/{id}/review") => e(PageSignedInMaybeAbsent),
        ("GET", "/api/v1/changes" | "/api/v1/audit") => e(Sysadmin),
        // Pages.
        (
            "GET",
            "/"
            | "/datasets"
            | "/organizations"
            | "/organization/{slug}"
            | "/api"
            | "/impressum"
            | "/imprint"
            | "/datenschutz"
            | "/privacy"
            | "/about"
            | "/ueber"
            | "/sprache/{lang}"
            | "/static/{*path}"
            | "/sitemap.xml"
            | "/robots.txt"
            | "/feed.atom"
            | "/organization/{slug}/feed.atom"
            | "/login"
            | "/ogc"
            | "/ogc/"
            | "/ogc/conformance"
            | "/ogc/api"
            | "/ogc/collections",
        ) => e(Open),
        // Collections are public spatial tables only: anything else is not there.
        (
            "GET",
            "/ogc/collections/{id}"
            | "/ogc/collections/{id}/items"
            | "/ogc/collections/{id}/queryables"
            | "/ogc/collections/{id}/items/{feature}",
        ) => e(OpenMaybeAbsent),
        ("POST", "/login") => e(LoginAttempt),
        ("POST", "/logout") => e(Open),
        ("GET", "/dashboard") => e(PageSignedIn),
        ("GET", "/audit") => e(PageSysadmin),
        ("GET", "/account") => e(PageSignedIn),
        ("POST", "/account/tokens" | "/account/tokens/{id}/revoke") => e(PageSignedIn),
        ("GET", "/organization/{slug}/members") => e(PageReadMembers),
        (
            "POST",
            "/organization/{slug}/members"
            | "/organization/{slug}/members/{user}/remove"
            | "/organization/{slug}/invite"
            | "/organization/{slug}/members/{user}/invite",
        ) => destructive(PageManageOrg),
        // An invitation link: anyone holding it; an unknown one is not there.
        ("GET" | "POST", "/invite/{secret}") => e(OpenMaybeAbsent),
        ("GET" | "POST", "/datasets/new") => e(PageCreate),
        (
            "GET",
            "/dataset/{slug}"
            | "/dataset/{slug}/resource/{id}"
            | "/dataset/{slug}/resource/{id}/chart.svg",
        ) => e(ReadDataset),
        ("GET", "/embed/dataset/{slug}/resource/{id}/{view}") => e(PublicOnly),
        ("GET", "/dataset/{slug}/feed.atom") => e(PublicOnly),
        (
            "GET" | "POST",
            "/dataset/{slug}/edit"
            | "/dataset/{slug}/resources/new"
            | "/dataset/{slug}/resource/{id}/edit",
        ) => e(PageWriteDataset),
        ("GET", "/dataset/{slug}/history") => e(PageWriteDataset),
        ("POST", "/dataset/{slug}/resource/{id}/file") => e(PageWriteDataset),
        // Form actions answer like the API (no redirect after a POST); deleting from the page
        // is idempotent.
        (
            "POST",
            "/dataset/{slug}/visibility"
            | "/dataset/{slug}/delete"
            | "/dataset/{slug}/restore"
            | "/dataset/{slug}/resource/{id}/reread"
            | "/dataset/{slug}/history/{revision}/restore"
            | "/dataset/{slug}/schedule/cancel"
            | "/dataset/{slug}/resource/{id}/delete",
        ) => destructive(WriteDataset),
        // Interoperability: public data only, to everyone.
        (
            "GET",
            "/catalog" | "/catalog.ttl" | "/catalog.rdf" | "/catalog.xml" | "/catalog.jsonld",
        ) => e(Open),
        // Data packages are for the public only (see `public_only_route`).
        ("GET", "/dataset/{slug}/datapackage.json" | "/dataset/{slug}/datapackage.zip") => {
            e(ReadDataset)
        }
        ("GET", "/api/3" | "/api/3/openapi.json") => e(Open),
        // CKAN actions are one route; their calls are checked one by one below.
        ("GET" | "POST", "/api/3/action/{name}" | "/api/action/{name}") => e(Open),
        _ => None,
    }
}

/// Routes whose answer is for the public only, even for members.
fn public_only_route(path: &str) -> bool {
    path.ends_with("/datapackage.json") || path.ends_with("/datapackage.zip")
}

struct Fixture {
    tokens: BTreeMap<Actor, Option<String>>,
    /// Dataset id and slug, a resource with a table, its job, per visibility.
    datasets: BTreeMap<Vis, (String, String, String)>,
}

async fn dataset_with_table(
    s: &TestServer,
    token: &str,
    slug: &str,
    vis: Vis,
) -> (String, String, String) {
    let visibility = match vis {
        Vis::Private => "private",
        Vis::Draft => "draft",
        _ => "public",
    };
    let ds = s.dataset(token, "stadt-aalen", slug, visibility).await;
    let r = body(
        // With coordinates, so that the spatial routes (map views) have a spatial table.
        s.upload(
            token,
            slug,
            "werte.csv",
            b"Nr;Wert;lat;lon\n1;2;48,84;10,09\n3;4;48,85;10,1\n".to_vec(),
        )
        .await,
    )
    .await;
    let rid = r["id"].as_str().unwrap().to_string();
    let t = wait_table_as(s, &rid, token).await;
    let job = t["versions"][0]["job"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    if vis == Vis::Deleted {
        let res = s
            .client
            .delete(s.url(&format!("/api/v1/datasets/{slug}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    (ds["id"].as_str().unwrap().to_string(), rid, job)
}

/// Waits for the first version of a resource the editor can see, whatever its visibility.
async fn wait_table_as(s: &TestServer, rid: &str, token: &str) -> serde_json::Value {
    for _ in 0..400 {
        let res = s
            .get_as(&format!("/api/v1/resources/{rid}/table"), token)
            .await;
        if res.status() == StatusCode::OK {
            let t = body(res).await;
            if t["versions"][0]["status"] == "done" && t["versions"][0]["serving"] == true {
                return t;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the table of {rid} did not finish");
}

async fn fixture(s: &TestServer) -> Fixture {
    s.org("stadt-aalen", "Stadt Aalen").await;
    s.org("stadt-heidenheim", "Stadt Heidenheim an der Brenz")
        .await;
    let mut tokens = BTreeMap::new();
    tokens.insert(Actor::Anonymous, None);
    tokens.insert(
        Actor::Outsider,
        Some(
            s.user("fremd", false, Some(("stadt-heidenheim", Role::Editor)))
                .await,
        ),
    );
    tokens.insert(
        Actor::Editor,
        Some(
            s.user("ed", false, Some(("stadt-aalen", Role::Editor)))
                .await,
        ),
    );
    tokens.insert(
        Actor::Admin,
        Some(
            s.user("chefin", false, Some(("stadt-aalen", Role::Admin)))
                .await,
        ),
    );
    tokens.insert(Actor::Sysadmin, Some(s.user("root", true, None).await));
    s.user("mitglied", false, Some(("stadt-aalen", Role::Member)))
        .await;
    let ed = tokens[&Actor::Editor].clone().unwrap();
    let mut datasets = BTreeMap::new();
    for v in VISES {
        datasets.insert(v, dataset_with_table(s, &ed, v.slug(), v).await);
    }
    Fixture { tokens, datasets }
}

/// Query strings and bodies a route needs to get past parsing to its authorization check.
fn query_for(pattern: &str) -> &'static str {
    match pattern {
        "/api/v1/sql" => "?sql=SELECT%201%20AS%20eins",
        "/api/v1/resources/{id}/map" => "?bbox=10,48,11,49",
        "/dataset/{slug}/resource/{id}/chart.svg" => "?chart_x=nr",
        "/embed/dataset/{slug}/resource/{id}/{view}" => "?chart_x=nr",
        _ => "",
    }
}

fn body_for(pattern: &str) -> serde_json::Value {
    match pattern {
        "/api/v1/datasets" => json!({"organization": "stadt-aalen"}),
        "/api/v1/sql" => json!({"sql": "SELECT 1 AS eins"}),
        "/api/v1/organizations/{slug}/members/{user}" => json!({"role": "member"}),
        _ => json!({}),
    }
}

/// The concrete URL of a route pattern for a dataset of visibility `v`.
fn fill(pattern: &str, slug: &str, ids: &(String, String, String)) -> String {
    let (_, rid, job) = ids;
    let mut p = pattern.to_string();
    if p.starts_with("/api/v1/jobs/") {
        p = p.replace("{id}", job);
    } else if p.starts_with("/api/v1/resources/")
        || p.starts_with("/dataset/{slug}/resource/")
        || p.starts_with("/embed/")
    {
        p = p.replace("{id}", rid);
    } else {
        p = p.replace("{id}", slug);
    }
    let p = p
        .replace(
            "{slug}",
            if pattern.contains("organization") {
                "stadt-aalen"
            } else {
                slug
            },
        )
        .replace("{format}", "csv")
        .replace("{version}", "1")
        .replace("{revision}", "1")
        .replace("{user}", "mitglied")
        .replace("{secret}", &"0".repeat(64))
        .replace("{lang}", "en")
        .replace("{*path}", "style.css")
        .replace("{name}", "status_show")
        .replace("{view}", "chart");
    format!("{p}{}", query_for(pattern))
}

/// The methods a route answers, from the `Allow` header of a 405.
async fn methods(s: &TestServer, url: &str) -> Vec<String> {
    let res = s
        .client
        .request(Method::from_bytes(b"PURGE").unwrap(), s.url(url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED, "{url}");
    let allow = res
        .headers()
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{url}: 405 without Allow"))
        .to_string();
    allow
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| m != "HEAD")
        .collect()
}

const CSRF: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

async fn request(
    s: &TestServer,
    method: &str,
    url: &str,
    json_body: &serde_json::Value,
    token: Option<&str>,
) -> (StatusCode, Option<String>) {
    let m = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = s.client.request(m, s.url(url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let page_form = method == "POST" && !url.starts_with("/api/");
    req = if page_form {
        // Pages check their own CSRF token: send a matching pair, so that the request reaches
        // the authorization check.
        req.header("cookie", format!("allmende_csrf={CSRF}"))
            .form(&[("csrf", CSRF)])
    } else if matches!(method, "POST" | "PUT" | "PATCH") {
        req.json(json_body)
    } else {
        req
    };
    let res = req.send().await.unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (res.status(), location)
}

/// A dataset of its own for a request that changes it.
async fn fresh(
    s: &TestServer,
    ed: &str,
    n: &mut usize,
    v: Vis,
) -> (String, (String, String, String)) {
    *n += 1;
    let slug = format!("wegwerf-{n}");
    let ids = dataset_with_table(s, ed, &slug, v).await;
    (slug, ids)
}

async fn authorization_matrix(backend: Backend) {
    let s = TestServer::start(backend).await;
    let f = fixture(&s).await;
    let ed = f.tokens[&Actor::Editor].clone().unwrap();
    let mut failures = Vec::new();
    let mut missing = Vec::new();
    let mut checked = 0usize;
    let mut n = 0usize;
    let paths: Vec<String> = allmende_web::routes().paths().to_vec();
    assert!(paths.len() > 50, "{paths:?}");
    for pattern in &paths {
        let per_dataset = pattern.contains("{id}") && !pattern.contains("organizations")
            || pattern.starts_with("/dataset/");
        let probe = fill(pattern, Vis::Public.slug(), &f.datasets[&Vis::Public]);
        for method in methods(&s, &probe).await {
            let Some((rule, destructive)) = entry(&method, pattern) else {
                missing.push(format!("{method} {pattern}"));
                continue;
            };
            for actor in ACTORS {
                let vises: &[Vis] = if per_dataset { &VISES } else { &[Vis::Public] };
                for &v in vises {
                    let url = if destructive {
                        let (slug, ids) = fresh(&s, &ed, &mut n, v).await;
                        fill(pattern, &slug, &ids)
                    } else {
                        fill(pattern, v.slug(), &f.datasets[&v])
                    };
                    let mut expected = want(rule, actor, v);
                    // Public data for the public: members get no data package of a private
                    // dataset either.
                    if public_only_route(pattern) && v != Vis::Public {
                        expected = Want::NotFound;
                    }
                    let token = f.tokens[&actor].as_deref();
                    let (status, location) =
                        request(&s, &method, &url, &body_for(pattern), token).await;
                    checked += 1;
                    if !expected.check(status, location.as_deref()) {
                        failures.push(format!(
                            "{method} {pattern} as {actor:?} on {v:?}: {status} (want {expected:?}) [{url}]"
                        ));
                    }
                    if pattern.contains("/members/{user}") && destructive {
                        // Put the member back for the next check.
                        let root = f.tokens[&Actor::Sysadmin].as_deref().unwrap();
                        s.client
                            .put(s.url("/api/v1/organizations/stadt-aalen/members/mitglied"))
                            .bearer_auth(root)
                            .json(&json!({"role": "member"}))
                            .send()
                            .await
                            .unwrap();
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorization matrix:\n{}",
        missing.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ckan_calls(&s, &f).await;
}

/// CKAN's actions share one route; who may call which, on which dataset.
async fn ckan_calls(s: &TestServer, f: &Fixture) {
    let mut failures = Vec::new();
    for actor in ACTORS {
        let token = f.tokens[&actor].as_deref();
        for v in VISES {
            let slug = v.slug();
            let rid = &f.datasets[&v].1;
            for (call, body, expected) in [
                (
                    format!("/api/3/action/package_show?id={slug}"),
                    None,
                    if may_read(actor, v) { 200 } else { 404 },
                ),
                (
                    format!("/api/3/action/resource_show?id={rid}"),
                    None,
                    if may_read(actor, v) { 200 } else { 404 },
                ),
                (
                    format!("/api/3/action/datastore_search?resource_id={rid}"),
                    None,
                    if may_read(actor, v) { 200 } else { 404 },
                ),
                (
                    "/api/3/action/package_patch".to_string(),
                    Some(json!({"id": slug, "notes": "Geändert über CKAN"})),
                    // As in CKAN: an anonymous write is refused before anything is looked up
                    // (so it tells nothing about what exists).
                    if actor == Actor::Anonymous {
                        403
                    } else if !may_read(actor, v) {
                        404
                    } else if may_edit(actor) {
                        200
                    } else {
                        403
                    },
                ),
            ] {
                let mut req = match &body {
                    Some(b) => s.client.post(s.url(&call)).json(b),
                    None => s.client.get(s.url(&call)),
                };
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let status = req.send().await.unwrap().status().as_u16();
                if status != expected {
                    failures.push(format!(
                        "{call} as {actor:?} on {v:?}: {status} (want {expected})"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "CKAN:\n{}", failures.join("\n"));
}

crate::both_backends!(authorization_matrix);
