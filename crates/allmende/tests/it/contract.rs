//! The catalog's contract, method by method, on SQLite and PostgreSQL alike: what each
//! `Catalog` method returns, refuses and records, below the HTTP layer.

use allmende_catalog::{Catalog, DatasetFilter, DatasetSort, JobStatus, NewFile, NewResource};
use allmende_core::authz::ReadScope;
use allmende_core::validate::{DatasetInput, OrganizationInput, ResourceInput};
use allmende_core::{ProcessingStatus, Role};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{Backend, database_url, test_config};

/// A fresh, migrated catalog of its own (no server).
async fn catalog(backend: Backend) -> (tempfile::TempDir, Catalog) {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(database_url(backend, dir.path()).await);
    let c = allmende::open_catalog(&config, dir.path()).await.unwrap();
    (dir, c)
}

async fn org(c: &Catalog, slug: &str) -> allmende_core::Organization {
    let f = OrganizationInput {
        slug: Some(slug.into()),
        name: Some(format!("Stadt {slug}")),
        org_type: Some("municipality".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    c.create_organization(&f).await.unwrap()
}

fn dataset_input(slug: &str, org: &str, visibility: &str) -> DatasetInput {
    DatasetInput {
        slug: Some(slug.into()),
        title: Some(format!("Daten {slug}")),
        description: Some("Beschreibung".into()),
        license: Some("dl-by-de/2.0".into()),
        organization: Some(org.into()),
        themes: Some(vec!["ENVI".into()]),
        keywords: Some(vec!["Bäume".into()]),
        visibility: Some(visibility.into()),
        ..Default::default()
    }
}

async fn dataset(
    c: &Catalog,
    org: &allmende_core::Organization,
    slug: &str,
    visibility: &str,
) -> allmende_core::Dataset {
    let f = dataset_input(slug, &org.slug, visibility)
        .validate()
        .unwrap();
    c.create_dataset(&f, org.id).await.unwrap()
}

async fn file_resource(c: &Catalog, ds: Uuid, name: &str, bytes: &[u8]) -> allmende_core::Resource {
    let mut staged = c.files.stage(u64::MAX).await.unwrap();
    staged.write(bytes).await.unwrap();
    let (sha256, size, _) = c.files.commit(staged).await.unwrap();
    let fields = ResourceInput {
        title: Some(name.into()),
        ..Default::default()
    }
    .validate(Some(name))
    .unwrap();
    c.create_resource(
        ds,
        &NewResource {
            fields,
            file: Some(NewFile {
                sha256,
                size: size as i64,
                file_name: name.into(),
            }),
            format: Some("CSV".into()),
            media_type: Some("text/csv".into()),
            status: ProcessingStatus::None,
            withheld: false,
        },
    )
    .await
    .unwrap()
}

async fn organizations_and_members(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    assert_eq!(aalen.slug, "stadt-aalen");
    // Slugs are unique.
    let again = OrganizationInput {
        slug: Some("stadt-aalen".into()),
        name: Some("Doppelt".into()),
        org_type: Some("municipality".into()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert!(matches!(
        c.create_organization(&again).await,
        Err(allmende_catalog::CatalogError::Conflict(_))
    ));
    // By slug and by id; the scope does not hide organizations.
    let by_id = c
        .organization(&aalen.id.to_string(), &ReadScope::PublicAnd(vec![]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_id.id, aalen.id);
    assert!(
        c.organization("gibt-es-nicht", &ReadScope::All)
            .await
            .unwrap()
            .is_none()
    );
    let renamed = OrganizationInput {
        name: Some("Stadt Aalen".into()),
        ..OrganizationInput::from(&aalen)
    }
    .validate()
    .unwrap();
    let updated = c.update_organization(aalen.id, &renamed).await.unwrap();
    assert_eq!(updated.name, "Stadt Aalen");
    assert_eq!(updated.slug, "stadt-aalen");
    c.set_organization_logo(aalen.id, Some(("ab".repeat(32).as_str(), "image/png")))
        .await
        .unwrap();
    let names = c.organization_names().await.unwrap();
    assert!(
        names.contains(&("stadt-aalen".into(), "Stadt Aalen".into())),
        "{names:?}"
    );
    org(&c, "stadt-heidenheim").await;
    let page = c.organizations(&ReadScope::All, 1, 1).await.unwrap();
    assert_eq!((page.total, page.items.len()), (2, 1));

    // Users, memberships and the actor they make.
    let u = c
        .create_user(
            "redaktion",
            "Redaktion",
            Some("r@aalen.de"),
            "geheim-123456",
            false,
        )
        .await
        .unwrap();
    assert!(
        c.create_user("redaktion", "x", None, "geheim-123456", false)
            .await
            .is_err()
    );
    assert_eq!(c.user("redaktion").await.unwrap().unwrap().id, u.id);
    assert_eq!(
        c.user(&u.id.to_string()).await.unwrap().unwrap().name,
        "redaktion"
    );
    assert_eq!(c.users().await.unwrap().len(), 1);
    assert!(
        c.verify_login("redaktion", "geheim-123456")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        c.verify_login("redaktion", "falsch")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        c.verify_login("niemand", "geheim-123456")
            .await
            .unwrap()
            .is_none()
    );
    c.set_password("redaktion", "neu-und-lang-genug")
        .await
        .unwrap();
    assert!(
        c.verify_login("redaktion", "geheim-123456")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        c.verify_login("redaktion", "neu-und-lang-genug")
            .await
            .unwrap()
            .is_some()
    );

    c.set_membership(u.id, aalen.id, Role::Member)
        .await
        .unwrap();
    c.set_membership(u.id, aalen.id, Role::Editor)
        .await
        .unwrap();
    let members = c.members(aalen.id).await.unwrap();
    assert_eq!(members.len(), 1, "setting a role again replaces it");
    assert_eq!(members[0].role, Role::Editor);
    let actor = c.actor_for_user(&u).await.unwrap();
    assert_eq!(actor.role_in(aalen.id), Some(Role::Editor));
    assert!(!actor.sysadmin);
    assert!(c.remove_membership(u.id, aalen.id).await.unwrap());
    assert!(!c.remove_membership(u.id, aalen.id).await.unwrap());
    assert_eq!(c.actor_for_user(&u).await.unwrap().role_in(aalen.id), None);
}

async fn tokens_and_sessions(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let u = c
        .create_user("api", "API", None, "geheim-123456", true)
        .await
        .unwrap();
    let (info, secret) = c.create_token(u.id, "skript", None).await.unwrap();
    assert_eq!(info.name, "skript");
    let actor = c.actor_for_token(&secret).await.unwrap().unwrap();
    assert_eq!(actor.user_id, Some(u.id));
    assert!(actor.sysadmin);
    assert!(c.actor_for_token("alm_falsch").await.unwrap().is_none());
    // Only a hash is stored: the listing never shows the secret.
    let listed = c.tokens(u.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(!format!("{listed:?}").contains(&secret));
    // An expired token is no token.
    let (_, old) = c
        .create_token(
            u.id,
            "alt",
            Some(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .await
        .unwrap();
    assert!(c.actor_for_token(&old).await.unwrap().is_none());
    assert_eq!(c.revoke_token(u.id, "skript").await.unwrap(), 1);
    assert_eq!(c.revoke_token(u.id, "skript").await.unwrap(), 0);
    assert!(c.actor_for_token(&secret).await.unwrap().is_none());
    assert!(c.tokens(u.id).await.unwrap().iter().any(|t| t.revoked));

    let session = c
        .create_session(u.id, chrono::Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(
        c.actor_for_session(&session)
            .await
            .unwrap()
            .unwrap()
            .user_id,
        Some(u.id)
    );
    c.delete_session(&session).await.unwrap();
    assert!(c.actor_for_session(&session).await.unwrap().is_none());
    let expired = c
        .create_session(u.id, chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert!(c.actor_for_session(&expired).await.unwrap().is_none());
}

async fn datasets_lists_and_the_change_log(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    let hdh = org(&c, "stadt-heidenheim").await;
    let seq0 = c.last_change_seq().await.unwrap();
    let public = dataset(&c, &aalen, "baeume", "public").await;
    let private = dataset(&c, &aalen, "intern", "private").await;
    let draft = dataset(&c, &hdh, "entwurf", "draft").await;
    assert!(
        c.create_dataset(
            &dataset_input("baeume", "stadt-aalen", "public")
                .validate()
                .unwrap(),
            aalen.id
        )
        .await
        .is_err(),
        "slugs are unique"
    );
    assert_eq!(c.dataset("baeume").await.unwrap().unwrap().id, public.id);
    assert_eq!(
        c.dataset(&public.id.to_string())
            .await
            .unwrap()
            .unwrap()
            .slug,
        "baeume"
    );
    assert!(c.dataset("nichts").await.unwrap().is_none());

    // Scopes: anonymous sees public only; members see their organization's too; all is all.
    let anonymous = ReadScope::PublicAnd(vec![]);
    let aalen_member = ReadScope::PublicAnd(vec![aalen.id]);
    let count = |scope: ReadScope| {
        let c = c.clone();
        async move {
            c.datasets(&DatasetFilter::new(scope), DatasetSort::Modified, 1, 100)
                .await
                .unwrap()
                .total
        }
    };
    assert_eq!(count(anonymous.clone()).await, 1);
    assert_eq!(count(aalen_member.clone()).await, 2);
    assert_eq!(count(ReadScope::All).await, 3);
    let mut by_org = DatasetFilter::new(ReadScope::All);
    by_org.organization = Some("stadt-heidenheim".into());
    let page = c
        .datasets(&by_org, DatasetSort::Created, 1, 10)
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|d| d.id).collect::<Vec<_>>(),
        [draft.id]
    );
    assert_eq!(
        c.dataset_slugs(&anonymous, 10, 0).await.unwrap(),
        ["baeume".to_string()]
    );
    assert_eq!(
        c.theme_counts(&anonymous).await.unwrap().get("ENVI"),
        Some(&1)
    );
    assert_eq!(
        c.theme_counts(&ReadScope::All).await.unwrap().get("ENVI"),
        Some(&3)
    );
    let totals = c.totals(&anonymous).await.unwrap();
    assert_eq!((totals.datasets, totals.resources), (1, 0));
    assert!(
        c.datasets_last_modified(&anonymous)
            .await
            .unwrap()
            .is_some()
    );

    // Keyset paging over every dataset, in id order, without repeats.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let batch = c.datasets_after(after, 2).await.unwrap();
        if batch.is_empty() {
            break;
        }
        after = batch.last().map(|d| d.id);
        seen.extend(batch.into_iter().map(|d| d.id));
    }
    let mut expected = vec![public.id, private.id, draft.id];
    expected.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, expected);
    assert_eq!(seen.len(), 3);

    // Update keeps the id and moves updated_at; delete hides, restore shows.
    let mut input = dataset_input("baeume", "stadt-aalen", "public");
    input.title = Some("Baumkataster".into());
    let updated = c
        .update_dataset(public.id, &input.validate().unwrap(), aalen.id)
        .await
        .unwrap();
    assert_eq!(
        (updated.id, updated.title.as_str()),
        (public.id, "Baumkataster")
    );
    assert!(updated.updated_at >= public.updated_at);
    c.set_dataset_deleted(public.id, true).await.unwrap();
    assert!(c.dataset("baeume").await.unwrap().unwrap().deleted);
    assert_eq!(count(anonymous.clone()).await, 0);
    assert_eq!(
        count(ReadScope::All).await,
        2,
        "deleted datasets leave the lists"
    );
    c.set_dataset_deleted(public.id, false).await.unwrap();
    assert_eq!(count(anonymous.clone()).await, 1);

    // Every write is in the change log, in order.
    let changes = c.changes_since(seq0, 100).await.unwrap();
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(changes.iter().any(|ch| ch.entity_id == public.id));
    assert_eq!(
        c.last_change_seq().await.unwrap(),
        changes.last().unwrap().seq
    );
    assert_eq!(c.changes_since(seq0, 2).await.unwrap().len(), 2);
}

async fn resources_and_blobs(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    let ds = dataset(&c, &aalen, "baeume", "public").await;
    let a = file_resource(&c, ds.id, "a.csv", b"x;y\n1;2\n").await;
    let b = file_resource(&c, ds.id, "b.csv", b"x;y\n1;2\n").await;
    assert_eq!(a.sha256, b.sha256, "identical content is one blob");
    assert_eq!(c.resources_of(ds.id).await.unwrap().len(), 2);
    assert_eq!(
        c.resource(a.id)
            .await
            .unwrap()
            .unwrap()
            .file_name
            .as_deref(),
        Some("a.csv")
    );
    let sha = a.sha256.clone().unwrap();
    assert!(c.blob_in_use(&sha).await.unwrap());
    let fields = ResourceInput {
        title: Some("Bäume".into()),
        description: Some("Alle Bäume".into()),
        ..Default::default()
    }
    .validate(Some("a.csv"))
    .unwrap();
    let changed = c
        .update_resource(a.id, ds.id, &fields, Some("text/csv"))
        .await
        .unwrap();
    assert_eq!(changed.title, "Bäume");
    // A resource belongs to its dataset: another dataset's id does not reach it.
    let other = dataset(&c, &aalen, "anderes", "public").await;
    assert!(matches!(
        c.delete_resource(a.id, other.id).await,
        Err(allmende_catalog::CatalogError::NotFound)
    ));
    assert!(matches!(
        c.update_resource(a.id, other.id, &fields, None).await,
        Err(allmende_catalog::CatalogError::NotFound)
    ));
    assert!(c.resource(a.id).await.unwrap().is_some());
    c.delete_resource(a.id, ds.id).await.unwrap();
    assert!(c.resource(a.id).await.unwrap().is_none());
    assert!(c.blob_in_use(&sha).await.unwrap(), "b still uses it");
    c.delete_resource(b.id, ds.id).await.unwrap();
    assert!(!c.blob_in_use(&sha).await.unwrap());
}

async fn table_versions(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    let ds = dataset(&c, &aalen, "baeume", "public").await;
    let r = file_resource(&c, ds.id, "baeume.csv", b"art;hoehe\nLinde;12\n").await;
    let sha = r.sha256.clone().unwrap();
    let v1 = c
        .schedule_ingest(r.id, &sha, Some("baeume.csv"), &json!({}))
        .await
        .unwrap();
    assert_eq!((v1.version, v1.status.as_str()), (1, "queued"));
    let job = v1.job_id.expect("a job per version");
    assert_eq!(
        c.table_version_by_job(job).await.unwrap().unwrap().id,
        v1.id
    );
    assert!(c.serving_table(r.id).await.unwrap().is_none());
    c.start_table_version(v1.id).await.unwrap();
    c.table_progress(v1.id, 1).await.unwrap();
    assert_eq!(
        c.table_version(v1.id).await.unwrap().unwrap().progress_rows,
        1
    );
    // The snapshot is a blob like any other.
    let mut staged = c.files.stage(u64::MAX).await.unwrap();
    staged.write(b"PAR1 not really").await.unwrap();
    let (parquet, size, _) = c.files.commit(staged).await.unwrap();
    let report = json!({"columns": []});
    c.finish_table_version(v1.id, &parquet, size as i64, 1, &report, None, false)
        .await
        .unwrap();
    let serving = c.serving_table(r.id).await.unwrap().unwrap();
    assert_eq!((serving.id, serving.row_count), (v1.id, Some(1)));
    let resource = c.resource(r.id).await.unwrap().unwrap();
    assert!(
        resource.table_name.is_some(),
        "a served table has its SQL name"
    );
    let served = c
        .served_tables(&ReadScope::PublicAnd(vec![]))
        .await
        .unwrap();
    assert_eq!(served.len(), 1);
    assert_eq!(served[0].dataset_slug, "baeume");

    // A failed version leaves the previous one serving.
    let v2 = c
        .schedule_ingest(r.id, &sha, Some("baeume.csv"), &json!({"delimiter": ";"}))
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    c.fail_table_version(v2.id, "Die Datei ist leer.")
        .await
        .unwrap();
    let failed = c.table_version(v2.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status.as_str(), failed.message.as_deref()),
        ("failed", Some("Die Datei ist leer."))
    );
    assert_eq!(c.serving_table(r.id).await.unwrap().unwrap().id, v1.id);
    let versions = c.table_versions_of(r.id).await.unwrap();
    // The resource and its versions as of one moment.
    let (res, state) = c.table_state(r.id).await.unwrap().unwrap();
    assert_eq!(res.table_version, Some(v1.id));
    assert_eq!(state.iter().map(|v| v.version).collect::<Vec<_>>(), [2, 1]);
    assert!(c.table_state(Uuid::new_v4()).await.unwrap().is_none());
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [2, 1]
    );

    // A replacement file becomes the resource's file only with its table.
    let mut staged = c.files.stage(u64::MAX).await.unwrap();
    staged.write(b"art;hoehe\nEiche;20\n").await.unwrap();
    let (new_sha, new_size, _) = c.files.commit(staged).await.unwrap();
    let file = NewFile {
        sha256: new_sha.clone(),
        size: new_size as i64,
        file_name: "neu.csv".into(),
    };
    let v3 = c
        .schedule_replacement(r.id, &file, Some("CSV"), Some("text/csv"))
        .await
        .unwrap();
    assert_eq!(
        c.resource(r.id).await.unwrap().unwrap().sha256.as_deref(),
        Some(sha.as_str())
    );
    c.finish_table_version(v3.id, &parquet, size as i64, 1, &report, None, false)
        .await
        .unwrap();
    assert_eq!(
        c.resource(r.id).await.unwrap().unwrap().sha256.as_deref(),
        Some(new_sha.as_str())
    );

    // A link's version learns its source when the worker has fetched it.
    let link = c
        .create_resource(
            ds.id,
            &NewResource {
                fields: ResourceInput {
                    title: Some("Link".into()),
                    url: Some("https://example.org/daten.csv".into()),
                    ..Default::default()
                }
                .validate(None)
                .unwrap(),
                file: None,
                format: Some("CSV".into()),
                media_type: None,
                status: ProcessingStatus::None,
                withheld: false,
            },
        )
        .await
        .unwrap();
    let lv = c
        .schedule_fetch_ingest(link.id, "https://example.org/daten.csv", &json!({}))
        .await
        .unwrap();
    assert!(lv.source_sha256.is_empty());
    c.set_table_source(lv.id, &new_sha, Some("daten.csv"))
        .await
        .unwrap();
    let lv = c.table_version(lv.id).await.unwrap().unwrap();
    assert_eq!(
        (lv.source_sha256.as_str(), lv.source_name.as_deref()),
        (new_sha.as_str(), Some("daten.csv"))
    );

    // A plain file replaced at once.
    let doc = file_resource(&c, ds.id, "bericht.csv", b"a\n1\n").await;
    c.replace_resource_file(doc.id, ds.id, &file, Some("CSV"), Some("text/csv"))
        .await
        .unwrap();
    assert_eq!(
        c.resource(doc.id)
            .await
            .unwrap()
            .unwrap()
            .file_name
            .as_deref(),
        Some("neu.csv")
    );
}

/// New data moves a stated `modified` date forward; metadata edits and links do not, and a
/// dataset without one keeps none.
async fn new_data_moves_modified(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    let old = chrono::NaiveDate::from_ymd_opt(2020, 1, 1);
    let stated = |slug: &str| DatasetInput {
        modified: Some("2020-01-01".into()),
        ..dataset_input(slug, "stadt-aalen", "public")
    };
    let f = stated("pegel").validate().unwrap();
    let ds = c.create_dataset(&f, aalen.id).await.unwrap();
    let modified = |c: &Catalog| {
        let c = c.clone();
        async move { c.dataset("pegel").await.unwrap().unwrap().modified }
    };
    let link = ResourceInput {
        title: Some("Dienst".into()),
        url: Some("https://example.org/wms".into()),
        ..Default::default()
    }
    .validate(None)
    .unwrap();
    c.create_resource(
        ds.id,
        &NewResource {
            fields: link,
            file: None,
            format: None,
            media_type: None,
            status: ProcessingStatus::None,
            withheld: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(modified(&c).await, old, "a link is not new data");
    let r = file_resource(&c, ds.id, "pegel.csv", b"tag;cm\n1;80\n").await;
    let today = chrono::Utc::now().date_naive();
    assert_eq!(modified(&c).await, Some(today));

    c.update_dataset(ds.id, &f, aalen.id).await.unwrap();
    assert_eq!(modified(&c).await, old);
    let fields = ResourceInput {
        title: Some("Pegel".into()),
        ..Default::default()
    }
    .validate(Some("pegel.csv"))
    .unwrap();
    c.update_resource(r.id, ds.id, &fields, None).await.unwrap();
    assert_eq!(modified(&c).await, old, "a new title is not new data");
    let mut staged = c.files.stage(u64::MAX).await.unwrap();
    staged.write(b"tag;cm\n2;95\n").await.unwrap();
    let (sha256, size, _) = c.files.commit(staged).await.unwrap();
    let file = NewFile {
        sha256,
        size: size as i64,
        file_name: "pegel2.csv".into(),
    };
    c.replace_resource_file(r.id, ds.id, &file, Some("CSV"), Some("text/csv"))
        .await
        .unwrap();
    assert_eq!(modified(&c).await, Some(today));

    let plain = dataset(&c, &aalen, "ohne-datum", "public").await;
    file_resource(&c, plain.id, "x.csv", b"a\n1\n").await;
    let plain = c.dataset("ohne-datum").await.unwrap().unwrap();
    assert_eq!(plain.modified, None, "no date is made up");
}

async fn held_versions_and_acknowledgements(backend: Backend) {
    use allmende_catalog::{AuditActor, Finished, NewAcknowledgement};
    let (_d, c) = catalog(backend).await;
    let aalen = org(&c, "stadt-aalen").await;
    let public = dataset(&c, &aalen, "bewerber", "public").await;
    let draft = dataset(&c, &aalen, "entwurf", "draft").await;
    let mut staged = c.files.stage(u64::MAX).await.unwrap();
    staged.write(b"PAR1 not really").await.unwrap();
    let (parquet, size, _) = c.files.commit(staged).await.unwrap();
    let report = json!({"columns": []});

    // On a draft, findings do not hold a version back (the gate checks at publication).
    let r = file_resource(&c, draft.id, "a.csv", b"name\nMax\n").await;
    let v = c
        .schedule_ingest(r.id, r.sha256.as_deref().unwrap(), None, &json!({}))
        .await
        .unwrap();
    let done = c
        .finish_table_version(v.id, &parquet, size as i64, 1, &report, None, true)
        .await
        .unwrap();
    assert_eq!(done, Finished::Served);

    // On a public dataset they do: complete, not served, the resource says so.
    let r = file_resource(&c, public.id, "b.csv", b"name\nErika\n").await;
    let sha = r.sha256.clone().unwrap();
    let v = c
        .schedule_ingest(r.id, &sha, None, &json!({}))
        .await
        .unwrap();
    let held = c
        .finish_table_version(v.id, &parquet, size as i64, 1, &report, None, true)
        .await
        .unwrap();
    assert_eq!(held, Finished::Held);
    assert!(c.serving_table(r.id).await.unwrap().is_none());
    let res = c.resource(r.id).await.unwrap().unwrap();
    assert_eq!(res.status, ProcessingStatus::Held);
    assert_eq!(c.table_version(v.id).await.unwrap().unwrap().status, "held");

    // An acknowledgement is per file, column and rule; given again, its reason is replaced.
    let who = AuditActor {
        id: None,
        name: Some("admin"),
    };
    let ack = NewAcknowledgement {
        resource_id: r.id,
        source_sha256: &sha,
        column: "name",
        rule: "person_name",
        reason: "Wahlbewerber, § 19 KomWG",
    };
    c.acknowledge_finding(&ack, &who).await.unwrap();
    let again = c
        .acknowledge_finding(
            &NewAcknowledgement {
                reason: "Wahlbewerber nach Kommunalwahlgesetz",
                ..ack.clone()
            },
            &who,
        )
        .await
        .unwrap();
    assert_eq!(again.reason, "Wahlbewerber nach Kommunalwahlgesetz");
    assert_eq!(c.acknowledgements(r.id).await.unwrap().len(), 1);

    assert!(c.release_held_version(v.id, &who).await.unwrap());
    assert!(
        !c.release_held_version(v.id, &who).await.unwrap(),
        "only a held version is released"
    );
    assert_eq!(c.serving_table(r.id).await.unwrap().unwrap().id, v.id);
    assert_eq!(
        c.resource(r.id).await.unwrap().unwrap().status,
        ProcessingStatus::Done
    );

    // Both acknowledgements and the release are in the audit log, newest first.
    let log = c.audit_log(Some(r.id), 10, 0).await.unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "resource.release",
            "privacy.acknowledge",
            "privacy.acknowledge"
        ]
    );
    assert_eq!(
        log[1].detail["reason"],
        "Wahlbewerber nach Kommunalwahlgesetz"
    );
    assert_eq!(log[1].actor_name.as_deref(), Some("admin"));
    assert!(
        c.audit_log(Some(Uuid::new_v4()), 10, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(c.audit_log(None, 10, 0).await.unwrap().len(), 3);
    assert_eq!(c.audit_log(None, 10, 2).await.unwrap().len(), 1);
}

async fn job_queue(backend: Backend) {
    let (_d, c) = catalog(backend).await;
    assert!(c.claim_job("w1").await.unwrap().is_none());
    let id = c.enqueue_job("ingest", &json!({"n": 1}), 2).await.unwrap();
    assert_eq!(
        c.job_status(id).await.unwrap().unwrap().0,
        JobStatus::Queued
    );
    let job = c.claim_job("w1").await.unwrap().unwrap();
    assert_eq!((job.id, job.attempts), (id, 1));
    assert_eq!(job.payload["n"], 1);
    assert!(
        c.claim_job("w2").await.unwrap().is_none(),
        "a claimed job is taken"
    );
    c.renew_job(id).await.unwrap();
    // A transient failure queues it again (after the backoff); the last attempt fails it.
    assert_eq!(
        c.fail_job(id, "Netz weg", chrono::Duration::zero())
            .await
            .unwrap(),
        JobStatus::Queued
    );
    let again = c.claim_job("w1").await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    assert_eq!(
        c.fail_job(id, "Netz weg", chrono::Duration::zero())
            .await
            .unwrap(),
        JobStatus::Failed
    );
    let (status, attempts, error) = c.job_status(id).await.unwrap().unwrap();
    assert_eq!(
        (status, attempts, error.as_deref()),
        (JobStatus::Failed, 2, Some("Netz weg"))
    );
    assert!(c.claim_job("w1").await.unwrap().is_none());

    let done = c.enqueue_job("ingest", &json!({}), 3).await.unwrap();
    c.claim_job("w1").await.unwrap().unwrap();
    c.complete_job(done).await.unwrap();
    assert_eq!(
        c.job_status(done).await.unwrap().unwrap().0,
        JobStatus::Done
    );

    let hopeless = c.enqueue_job("ingest", &json!({}), 3).await.unwrap();
    c.claim_job("w1").await.unwrap().unwrap();
    c.give_up_job(hopeless, "kaputt").await.unwrap();
    assert_eq!(
        c.job_status(hopeless).await.unwrap().unwrap().0,
        JobStatus::Failed
    );

    // A claim nobody renews is reaped: queued again, or failed after its last attempt.
    let stale = c.enqueue_job("ingest", &json!({}), 2).await.unwrap();
    c.claim_job("gone").await.unwrap().unwrap();
    let reaped = c
        .reap_stale_jobs(chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(reaped.requeued, 1);
    c.claim_job("gone").await.unwrap().unwrap();
    let reaped = c
        .reap_stale_jobs(chrono::Duration::seconds(-1))
        .await
        .unwrap();
    assert_eq!(
        reaped.failed.iter().map(|j| j.id).collect::<Vec<_>>(),
        [stale]
    );
    assert!(c.job_status(Uuid::new_v4()).await.unwrap().is_none());
}

/// Followers by e-mail: requests, the confirmation mail claimed once, confirmation, which
/// changes are due (quiet ones, or a restless dataset's once a day), claims, forgetting
/// unconfirmed requests, unsubscribing; a private dataset's request is never due.
async fn subscriptions_and_their_mails(backend: Backend) {
    use allmende_catalog::Subscribed;
    use allmende_core::time;
    let (_dir, c) = catalog(backend).await;
    let o = org(&c, "aalen").await;
    let public = dataset(&c, &o, "baeume", "public").await;
    let private = dataset(&c, &o, "intern", "private").await;
    let (a, b) = ("a".repeat(48), "b".repeat(48));
    assert_eq!(
        c.subscribe(public.id, "anna@example.org", "de", &a)
            .await
            .unwrap(),
        Subscribed::Requested
    );
    assert_eq!(
        c.subscribe(public.id, "anna@example.org", "de", "c".repeat(48).as_str())
            .await
            .unwrap(),
        Subscribed::Unchanged
    );
    assert_eq!(
        c.subscribe(private.id, "bob@example.org", "en", &b)
            .await
            .unwrap(),
        Subscribed::Requested
    );
    let due = c.confirmations_due(10).await.unwrap();
    assert_eq!(due.len(), 1, "not the private dataset's");
    assert_eq!(
        (due[0].token.as_str(), due[0].lang.as_str()),
        (a.as_str(), "de")
    );
    assert!(c.claim_confirmation(due[0].id).await.unwrap());
    assert!(
        !c.claim_confirmation(due[0].id).await.unwrap(),
        "claimed once"
    );
    assert!(c.confirmations_due(10).await.unwrap().is_empty());
    assert!(!c.subscription(&a).await.unwrap().unwrap().confirmed);
    assert!(c.confirm_subscription(&a).await.unwrap());
    assert!(!c.confirm_subscription(&a).await.unwrap());
    assert!(c.subscription(&a).await.unwrap().unwrap().confirmed);

    let now = time::now();
    let (past, future) = (
        now - chrono::Duration::days(30),
        now + chrono::Duration::minutes(5),
    );
    assert!(
        c.notifications_due(future, future, 10)
            .await
            .unwrap()
            .is_empty(),
        "nothing changed since"
    );
    sqlx::query("UPDATE datasets SET updated_at = $1 WHERE id = $2")
        .bind(time::to_db(&now))
        .bind(public.id.to_string())
        .execute(c.db.pool())
        .await
        .unwrap();
    assert!(
        c.notifications_due(past, past, 10)
            .await
            .unwrap()
            .is_empty(),
        "not quiet, heard lately"
    );
    assert_eq!(
        c.notifications_due(future, past, 10).await.unwrap().len(),
        1,
        "quiet"
    );
    let due = c.notifications_due(past, future, 10).await.unwrap();
    assert_eq!(due.len(), 1, "restless, but last heard long ago");
    assert!(c.claim_notification(&due[0]).await.unwrap());
    assert!(
        !c.claim_notification(&due[0]).await.unwrap(),
        "claimed once"
    );
    assert!(
        c.notifications_due(future, future, 10)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(c.follower_count(public.id).await.unwrap(), 1);
    assert_eq!(
        c.forget_unconfirmed(future).await.unwrap(),
        1,
        "bob never confirmed"
    );
    assert!(c.subscription(&b).await.unwrap().is_none());
    assert!(c.unsubscribe(&a).await.unwrap());
    assert!(!c.unsubscribe(&a).await.unwrap());
    assert!(c.subscription(&a).await.unwrap().is_none());
    assert_eq!(c.follower_count(public.id).await.unwrap(), 0);
}

crate::both_backends!(
    subscriptions_and_their_mails,
    organizations_and_members,
    tokens_and_sessions,
    datasets_lists_and_the_change_log,
    resources_and_blobs,
    new_data_moves_modified,
    table_versions,
    held_versions_and_acknowledgements,
    job_queue,
);
