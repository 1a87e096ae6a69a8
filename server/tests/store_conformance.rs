//! One conformance suite, run against both stores: the embedded GeoPackage and PostGIS.

use crate::common;

use engine::{Feature, Layer};
use gridatlas_server::atlas::{Atlas, AtlasError};
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::{
    Actor, AuditQuery, Change, DraftPublication, DraftRecord, Operation, OperationKind, Store,
    StoreError,
};

fn edit(changes: Vec<Change>) -> Operation {
    Operation {
        kind: OperationKind::Edit,
        changes,
        publishes: None,
    }
}

fn first_compound(store_data: &engine::Dataset) -> engine::Compound {
    store_data.compounds[0].clone()
}

async fn audit_count(store: &dyn Store) -> usize {
    store
        .audit(&AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
        .len()
}

#[tokio::test]
async fn the_demo_district_round_trips_exactly_through_both_stores() {
    let (stores, _dir) = common::both_stores().await;
    let demo = data::demo_district();
    for store in stores {
        let version = load_dataset(store.as_ref(), demo.clone())
            .await
            .expect("load demo");
        assert_eq!(version, 1, "{}", store.kind());
        let (v, back) = store.load().await.expect("reload");
        assert_eq!(v, 1);
        assert_eq!(
            back,
            demo,
            "{}: every feature, attribute and coordinate comes back unchanged",
            store.kind()
        );
        // Loading again into a non-empty store is refused and changes nothing.
        let err = load_dataset(store.as_ref(), demo.clone())
            .await
            .expect_err("second load refused");
        assert!(err.to_string().contains("already holds"), "{err}");
        assert_eq!(store.load().await.expect("reload").0, 1);
    }
}

#[tokio::test]
async fn versions_guard_every_update_and_delete() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        load_dataset(store.as_ref(), data::demo_district())
            .await
            .expect("demo");
        let (_, data) = store.load().await.expect("load");
        let mut c = first_compound(&data);
        c.households += 7;
        let actor = Actor::new("planner-a");
        let ok = store
            .commit(
                &edit(vec![Change::Update {
                    feature: Feature::Compound(c.clone()),
                    expected_version: 1,
                }]),
                &actor,
            )
            .await
            .expect("first update");
        assert_eq!(ok.data_version, 2);
        assert_eq!(ok.written[0].version(), 2, "{kind}: version grows");

        // A second writer still holding version 1 gets a conflict and changes nothing.
        c.households += 100;
        let stale = store
            .commit(
                &edit(vec![Change::Update {
                    feature: Feature::Compound(c.clone()),
                    expected_version: 1,
                }]),
                &Actor::new("planner-b"),
            )
            .await;
        assert!(
            matches!(
                stale,
                Err(StoreError::Conflict {
                    expected: 1,
                    actual: 2,
                    ..
                })
            ),
            "{kind}: {stale:?}"
        );
        let (v, after) = store.load().await.expect("load");
        assert_eq!(v, 2, "{kind}: data version unchanged by the refused write");
        assert_eq!(
            after.compounds[0].households,
            data.compounds[0].households + 7
        );

        let missing = store
            .commit(
                &edit(vec![Change::Delete {
                    layer: Layer::Stations,
                    id: 987_654,
                    expected_version: None,
                }]),
                &actor,
            )
            .await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{kind}: {missing:?}"
        );
        let stale_delete = store
            .commit(
                &edit(vec![Change::Delete {
                    layer: Layer::Compounds,
                    id: c.id,
                    expected_version: Some(1),
                }]),
                &actor,
            )
            .await;
        assert!(
            matches!(stale_delete, Err(StoreError::Conflict { .. })),
            "{kind}: {stale_delete:?}"
        );
    }
}

#[tokio::test]
async fn a_failing_operation_leaves_the_store_exactly_as_it_was() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        load_dataset(store.as_ref(), data::demo_district())
            .await
            .expect("demo");
        let before = store.load().await.expect("load");
        let audits = audit_count(store.as_ref()).await;
        // A valid update followed by a building that names a compound that does not exist: the
        // store's own foreign key refuses it at commit, and the valid update must not survive.
        let mut c = first_compound(&before.1);
        c.name = "改名小区".into();
        let mut b = before.1.buildings[0].clone();
        b.id = 0;
        b.compound_id = Some(999_999);
        b.grid_code = None;
        let result = store
            .commit(
                &edit(vec![
                    Change::Update {
                        feature: Feature::Compound(c),
                        expected_version: 1,
                    },
                    Change::Upsert(Feature::Building(b)),
                ]),
                &Actor::new("x"),
            )
            .await;
        assert!(
            matches!(result, Err(StoreError::Integrity(_))),
            "{kind}: {result:?}"
        );
        assert_eq!(
            store.load().await.expect("load"),
            before,
            "{kind}: nothing half-written"
        );
        assert_eq!(
            audit_count(store.as_ref()).await,
            audits,
            "{kind}: no audit entry for a failed write"
        );
    }
}

#[tokio::test]
async fn new_features_get_fresh_ids_and_every_change_is_audited_with_before_and_after() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        load_dataset(store.as_ref(), data::demo_district())
            .await
            .expect("demo");
        let (_, data) = store.load().await.expect("load");
        let max_id = data.stations.iter().map(|s| s.id).max().expect("stations");
        let mut s = data.stations[0].clone();
        s.id = 0;
        s.name = "新建网格驿站".into();
        let committed = store
            .commit(
                &edit(vec![Change::Upsert(Feature::Station(s))]),
                &Actor::new("staff-1"),
            )
            .await
            .expect("insert");
        let new_id = committed.written[0].id();
        assert_eq!(new_id, max_id + 1, "{kind}");
        let mut c = first_compound(&data);
        let old_households = c.households;
        c.households = old_households + 1;
        store
            .commit(
                &edit(vec![Change::Update {
                    feature: Feature::Compound(c.clone()),
                    expected_version: 1,
                }]),
                &Actor::new("planner-a"),
            )
            .await
            .expect("update");

        let by_feature = store
            .audit(&AuditQuery {
                layer: Some(Layer::Compounds.name().into()),
                feature_id: Some(c.id),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(by_feature.len(), 2, "{kind}: the demo import and the edit");
        assert_eq!(by_feature[1].operation, "import");
        assert!(by_feature[1].before.is_none() && by_feature[1].after.is_some());
        let e = &by_feature[0];
        assert_eq!(
            (e.actor.as_str(), e.operation.as_str(), e.data_version),
            ("planner-a", "edit", 3)
        );
        assert_eq!(
            e.before
                .as_ref()
                .and_then(|b| b["properties"]["households"].as_i64()),
            Some(old_households)
        );
        assert_eq!(
            e.after
                .as_ref()
                .and_then(|a| a["properties"]["households"].as_i64()),
            Some(old_households + 1)
        );

        let by_actor = store
            .audit(&AuditQuery {
                actor: Some("staff-1".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert_eq!(by_actor.len(), 1);
        assert_eq!(by_actor[0].feature_id, Some(new_id));
        assert!(by_actor[0].before.is_none());
        let future = store
            .audit(&AuditQuery {
                since: Some("2999-01-01T00:00:00.000Z".into()),
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .expect("audit");
        assert!(future.is_empty(), "{kind}: time filter");
    }
}

#[tokio::test]
async fn the_atlas_refuses_broken_references_by_name_before_touching_the_store() {
    let (stores, _dir) = common::both_stores().await;
    for store in stores {
        let kind = store.kind();
        load_dataset(store.as_ref(), data::demo_district())
            .await
            .expect("demo");
        let atlas = Atlas::open(store).await.expect("atlas");
        let snap = atlas.snapshot();
        let mut c = snap.data.compounds[0].clone();
        c.grid_code = Some("NO-SUCH-GRID".into());
        let err = atlas
            .commit(
                edit(vec![Change::Update {
                    feature: Feature::Compound(c),
                    expected_version: 1,
                }]),
                &Actor::new("p"),
            )
            .await
            .expect_err("refused");
        let AtlasError::Invalid(problems) = err else {
            panic!("{kind}: expected problems")
        };
        assert_eq!(problems[0].field, "grid_code");
        assert!(
            problems[0].reason.contains("NO-SUCH-GRID"),
            "{}",
            problems[0]
        );

        // Deleting a compound that still has buildings is refused with the reason.
        let with_buildings = snap
            .data
            .buildings
            .iter()
            .find_map(|b| b.compound_id)
            .expect("a compound with buildings");
        let err = atlas
            .commit(
                edit(vec![Change::Delete {
                    layer: Layer::Compounds,
                    id: with_buildings,
                    expected_version: None,
                }]),
                &Actor::new("p"),
            )
            .await
            .expect_err("refused");
        assert!(
            err.to_string().contains("still referred to"),
            "{kind}: {err}"
        );
        assert_eq!(atlas.snapshot().version, 1, "{kind}: nothing committed");

        // A committed edit is visible in the next snapshot, with a higher version.
        let mut s = snap.data.stations[0].clone();
        s.name = "更名后的站点".into();
        atlas
            .commit(
                edit(vec![Change::Update {
                    feature: Feature::Station(s.clone()),
                    expected_version: 1,
                }]),
                &Actor::new("p"),
            )
            .await
            .expect("edit");
        let next = atlas.snapshot();
        assert_eq!(next.version, 2);
        assert_eq!(
            next.feature(Layer::Stations, s.id)
                .map(|f| f.properties()["name"].clone()),
            Some(serde_json::json!("更名后的站点"))
        );
        assert_eq!(
            snap.feature(Layer::Stations, s.id).map(|f| f.version()),
            Some(1),
            "{kind}: old readers keep their snapshot"
        );
    }
}

#[tokio::test]
async fn postgis_tables_mirror_the_engine_schema_and_carry_gist_indexes() {
    let store = common::fresh_postgis().await;
    for layer in Layer::ALL {
        let cols: Vec<String> = sqlx::query_scalar("SELECT column_name::text FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position")
            .bind(layer.name())
            .fetch_all(store.pool())
            .await
            .expect("columns");
        let mut expected = vec!["id".to_owned(), "version".to_owned()];
        expected.extend(
            engine::schema::fields(layer)
                .iter()
                .map(|d| d.name.to_owned()),
        );
        // A column a later migration added comes after geom; the stores name their columns.
        let (geom, attributes): (Vec<String>, Vec<String>) =
            cols.into_iter().partition(|c| c == "geom");
        assert_eq!(attributes, expected, "{layer}");
        assert_eq!(geom.len(), 1, "{layer}: one geometry column");
        let srid: i32 =
            sqlx::query_scalar("SELECT srid FROM geometry_columns WHERE f_table_name = $1")
                .bind(layer.name())
                .fetch_one(store.pool())
                .await
                .expect("srid");
        assert_eq!(srid, 4326, "{layer}");
        let gist: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING gist%'",
        )
        .bind(layer.name())
        .fetch_one(store.pool())
        .await
        .expect("indexes");
        assert_eq!(gist, 1, "{layer} has a GIST index");
    }
}

/// A `GeoPackage` written before gates 小区出入口 existed (atlas schema 3) opens with an empty
/// `gates` layer registered as `GeoPackage` features, and takes gates from then on.
#[tokio::test]
async fn a_geopackage_from_before_gates_is_upgraded_in_place() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("old.gpkg");
    let mut data = data::demo_district();
    let gates = std::mem::take(&mut data.gates);
    {
        let store = gridatlas_server::store::gpkg::GeoPackage::open(&path)
            .await
            .expect("gpkg");
        load_dataset(&store, data).await.expect("demo");
    }
    // Back to schema 3: no gates or ways tables, no buildings' approximate-location flag.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    sqlx::raw_sql(
        "DROP TABLE gates;
         DROP TABLE ways;
         DROP TABLE grid_work;
         DROP TABLE sessions;
         DROP TABLE login_failures;
         DELETE FROM gpkg_geometry_columns WHERE table_name IN ('gates', 'ways');
         DELETE FROM gpkg_contents WHERE table_name IN ('gates', 'ways', 'grid_work');
         ALTER TABLE buildings DROP COLUMN location_approximate;
         UPDATE atlas_meta SET value = 3 WHERE key = 'schema_version';",
    )
    .execute(&mut conn)
    .await
    .expect("downgrade");
    conn.close().await.expect("close");

    let store = gridatlas_server::store::gpkg::GeoPackage::open(&path)
        .await
        .expect("the old file opens");
    let (_, loaded) = store.load().await.expect("load");
    assert!(loaded.gates.is_empty() && !loaded.compounds.is_empty());
    assert!(
        !loaded.buildings.is_empty() && loaded.buildings.iter().all(|b| !b.location_approximate),
        "the buildings of the old file read back, none approximate"
    );
    let atlas = Atlas::open(Box::new(store)).await.expect("atlas");
    let gate = gates[0].clone();
    let changes = vec![Change::Upsert(Feature::Gate(engine::Gate {
        id: 0,
        version: 0,
        ..gate
    }))];
    atlas
        .commit(edit(changes), &Actor::new("test"))
        .await
        .expect("a gate in the upgraded file");
    assert_eq!(atlas.snapshot().data.gates.len(), 1);
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    let registered: (String, i64) = sqlx::query_as(
        "SELECT c.data_type, (SELECT value FROM atlas_meta WHERE key = 'schema_version')
         FROM gpkg_contents c JOIN gpkg_geometry_columns g USING (table_name) WHERE table_name = 'gates'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("registered");
    assert_eq!(registered, ("features".to_owned(), 8));
    let work: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM gpkg_contents WHERE table_name = 'grid_work' AND data_type = 'attributes'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("grid work registered");
    assert_eq!(work, 1, "the upgrade adds the grid-work table");
    let sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'login_failures')",
    )
    .fetch_one(&mut conn)
    .await
    .expect("session tables");
    assert_eq!(sessions, 2, "the upgrade adds the shared sessions");
}

/// A stored time as the API shows it: RFC 3339 UTC with milliseconds.
fn assert_utc_millis(at: &str, what: &str) {
    assert!(
        at.len() == 24 && at.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(at).is_ok(),
        "{what}: {at} is not RFC 3339 UTC with milliseconds"
    );
}

#[tokio::test]
async fn accounts_are_checked_audited_and_read_back_alike_in_both_stores() {
    use gridatlas_server::store::Account;
    let (stores, _dir) = common::both_stores().await;
    let admin = Actor::new("admin");
    for store in stores {
        let kind = store.kind();
        let mut account = Account {
            name: "planner.wang".into(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: "planner".parse().expect("role"),
            scope: "community:110105001001".parse().expect("scope"),
            disabled: false,
        };
        let plain = Account {
            password_hash: "hunter2".into(),
            ..account.clone()
        };
        let err = store.put_account(&plain, &admin).await.expect_err(kind);
        assert!(matches!(err, StoreError::Integrity(_)), "{kind}: {err}");
        assert!(store.accounts().await.expect(kind).is_empty(), "{kind}");
        assert_eq!(audit_count(store.as_ref()).await, 0, "{kind}");

        store.put_account(&account, &admin).await.expect(kind);
        account.disabled = true;
        account.role = "viewer".parse().expect("role");
        store.put_account(&account, &admin).await.expect(kind);
        let other = Account {
            name: "admin".into(),
            role: "admin".parse().expect("role"),
            scope: "district".parse().expect("scope"),
            ..account.clone()
        };
        store.put_account(&other, &admin).await.expect(kind);

        assert_eq!(
            store.account("planner.wang").await.expect(kind),
            Some(account.clone()),
            "{kind}"
        );
        assert_eq!(store.account("nobody").await.expect(kind), None, "{kind}");
        let names: Vec<String> = store
            .accounts()
            .await
            .expect(kind)
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["admin", "planner.wang"], "{kind}: by name");

        let audit = store
            .audit(&AuditQuery {
                limit: 10,
                ..AuditQuery::default()
            })
            .await
            .expect(kind);
        assert_eq!(audit.len(), 3, "{kind}");
        let change = &audit[1];
        assert_eq!(
            (
                change.operation.as_str(),
                change.layer.as_deref(),
                change.actor.as_str()
            ),
            ("account", Some("accounts"), "admin"),
            "{kind}"
        );
        assert_eq!(change.data_version, 0, "{kind}");
        assert_utc_millis(&change.at, kind);
        assert_eq!(
            change.before,
            Some(
                serde_json::json!({ "name": "planner.wang", "role": "planner", "scope": "community:110105001001", "disabled": false })
            ),
            "{kind}: the account as it was"
        );
        assert_eq!(
            change.after,
            Some(
                serde_json::json!({ "name": "planner.wang", "role": "viewer", "scope": "community:110105001001", "disabled": true })
            ),
            "{kind}: the account as it is, without its password hash"
        );
        assert_eq!(audit[2].before, None, "{kind}: a new account has no before");
    }
}

/// A draft write refused as a conflict: the expected and stored versions, and whether the
/// draft is published.
fn refusal<T: std::fmt::Debug>(result: Result<T, StoreError>) -> (i64, i64, bool) {
    match result {
        Err(StoreError::DraftConflict {
            expected,
            actual,
            published,
            ..
        }) => (expected, actual, published),
        other => panic!("expected a draft conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn drafts_keep_versions_times_and_refusals_alike_in_both_stores() {
    let (stores, _dir) = common::both_stores().await;
    let (wang, li) = (Actor::new("wang"), Actor::new("li"));
    for store in stores {
        let store = store.as_ref();
        let (first, second) = save_two_drafts(store, &wang).await;
        edit_a_draft_and_refuse_stale_writes(store, &first, &li).await;
        assert_drafts_listed_newest_first(store, &first, &second).await;
        publish_a_draft_and_refuse_late_writes(store, &first, &li).await;
        delete_a_draft(store, &second).await;
    }
}

/// A new draft record of `community` named `name`, with a fixed plan.
fn new_draft(community: &str, name: &str) -> DraftRecord {
    DraftRecord {
        id: 0,
        version: 0,
        community_code: community.into(),
        name: name.into(),
        status: String::new(),
        author: String::new(),
        updated_by: String::new(),
        created_at: String::new(),
        updated_at: String::new(),
        published_data_version: None,
        body: serde_json::json!({ "plan": [{ "grid": "A", "compounds": [1, 2] }], "名": "草案" }),
    }
}

/// Two new drafts by wang: version 1, wang's, times in UTC milliseconds, the plan unchanged,
/// ids increasing.
async fn save_two_drafts(store: &dyn Store, wang: &Actor) -> (DraftRecord, DraftRecord) {
    let kind = store.kind();
    let first = store
        .save_draft(&new_draft("110105001001", "方案一"), None, wang)
        .await
        .expect(kind);
    assert_eq!(
        (
            first.version,
            first.status.as_str(),
            first.author.as_str(),
            first.updated_by.as_str()
        ),
        (1, "draft", "wang", "wang"),
        "{kind}"
    );
    assert_utc_millis(&first.created_at, kind);
    assert_eq!(first.created_at, first.updated_at, "{kind}");
    assert_eq!(
        first.body,
        new_draft("", "").body,
        "{kind}: the plan comes back unchanged"
    );
    let second = store
        .save_draft(&new_draft("110105001002", "方案二"), None, wang)
        .await
        .expect(kind);
    assert!(second.id > first.id, "{kind}");
    (first, second)
}

/// li's edit of the first draft makes version 2 (author kept, creation time kept); a stale save
/// or delete at version 1 is refused.
async fn edit_a_draft_and_refuse_stale_writes(store: &dyn Store, first: &DraftRecord, li: &Actor) {
    let kind = store.kind();
    let mut edited = first.clone();
    edited.name = "方案一改".into();
    edited.body = serde_json::json!({ "plan": [] });
    let saved = store.save_draft(&edited, Some(1), li).await.expect(kind);
    assert_eq!(
        (
            saved.version,
            saved.name.as_str(),
            saved.author.as_str(),
            saved.updated_by.as_str()
        ),
        (2, "方案一改", "wang", "li"),
        "{kind}"
    );
    assert_eq!(saved.created_at, first.created_at, "{kind}");
    assert!(saved.updated_at >= first.updated_at, "{kind}");
    assert_eq!(
        store.draft(first.id).await.expect(kind),
        Some(saved.clone()),
        "{kind}"
    );

    let stale = store.save_draft(&edited, Some(1), li).await;
    assert_eq!(refusal(stale), (1, 2, false), "{kind}: a stale save");
    let stale = store.delete_draft(first.id, 1).await;
    assert_eq!(refusal(stale), (1, 2, false), "{kind}: a stale delete");
}

/// Drafts list newest first, or only a community's.
async fn assert_drafts_listed_newest_first(
    store: &dyn Store,
    first: &DraftRecord,
    second: &DraftRecord,
) {
    let kind = store.kind();
    let ids = |drafts: Vec<DraftRecord>| drafts.into_iter().map(|d| d.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.drafts(None).await.expect(kind)),
        [second.id, first.id],
        "{kind}: newest first"
    );
    assert_eq!(
        ids(store.drafts(Some("110105001001")).await.expect(kind)),
        [first.id],
        "{kind}"
    );
}

/// Publishing the first draft with a commit marks it published at the new data version;
/// publishing it again, saving or deleting it afterwards are refused.
async fn publish_a_draft_and_refuse_late_writes(
    store: &dyn Store,
    first: &DraftRecord,
    li: &Actor,
) {
    let kind = store.kind();
    let publish = Operation {
        kind: OperationKind::Publish,
        changes: Vec::new(),
        publishes: Some(DraftPublication {
            id: first.id,
            expected_version: 2,
            summary: serde_json::json!({ "draft": first.id }),
        }),
    };
    let committed = store.commit(&publish, li).await.expect(kind);
    let published = store.draft(first.id).await.expect(kind).expect(kind);
    assert_eq!(
        (
            published.version,
            published.status.as_str(),
            published.published_data_version
        ),
        (3, "published", Some(committed.data_version)),
        "{kind}"
    );
    assert_utc_millis(&published.updated_at, kind);
    let again = store.commit(&publish, li).await.map(|_| ());
    assert_eq!(refusal(again), (2, 3, true), "{kind}: a second publication");
    let late = store.save_draft(&published, Some(3), li).await;
    assert_eq!(
        refusal(late),
        (3, 3, true),
        "{kind}: a save after publication"
    );
    let late = store.delete_draft(first.id, 3).await;
    assert_eq!(
        refusal(late),
        (3, 3, true),
        "{kind}: a delete after publication"
    );
}

/// A draft deleted at its version is gone; deleting it again is "not found".
async fn delete_a_draft(store: &dyn Store, second: &DraftRecord) {
    let kind = store.kind();
    store.delete_draft(second.id, 1).await.expect(kind);
    assert_eq!(store.draft(second.id).await.expect(kind), None, "{kind}");
    let gone = store.delete_draft(second.id, 1).await.expect_err(kind);
    assert!(
        matches!(gone, StoreError::DraftNotFound(id) if id == second.id),
        "{kind}: {gone}"
    );
}

/// The extent GIS tools read from `gpkg_contents` covers what a commit wrote, whether inserted or
/// updated in place (the extent is widened once per layer at the end of the transaction).
#[tokio::test]
async fn a_geopackage_layer_extent_covers_inserted_and_updated_features() {
    use sqlx::Connection as _;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("extent.gpkg");
    let data = data::demo_district();
    let store = gridatlas_server::store::gpkg::GeoPackage::open(&path)
        .await
        .expect("gpkg");
    let mut moved = data.stations[0].clone();
    let mut added = data.stations[1].clone();
    load_dataset(&store, data).await.expect("demo");
    let atlas = Atlas::open(Box::new(store)).await.expect("atlas");
    moved.geometry = geo_types::Point::new(106.5, 28.9);
    added.id = 0;
    added.version = 0;
    added.geometry = geo_types::Point::new(105.4, 27.5);
    atlas
        .commit(
            edit(vec![
                Change::Upsert(Feature::Station(moved)),
                Change::Upsert(Feature::Station(added)),
            ]),
            &Actor::new("test"),
        )
        .await
        .expect("commit");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    let (max_x, min_y): (f64, f64) =
        sqlx::query_as("SELECT max_x, min_y FROM gpkg_contents WHERE table_name = 'stations'")
            .fetch_one(&mut conn)
            .await
            .expect("extent");
    assert!(
        max_x >= 106.5,
        "the moved station is inside the extent: max_x {max_x}"
    );
    assert!(
        min_y <= 27.5,
        "the added station is inside the extent: min_y {min_y}"
    );
}

/// The indexes and foreign keys of the PostGIS layer tables, as the catalogue lists them.
async fn postgis_keys_and_indexes(pool: &sqlx::PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema()
         UNION ALL
         SELECT conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype = 'f'
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("catalogue")
}

/// A bulk insert into PostGIS sets a layer's indexes and foreign keys aside and puts them back
/// (checking every row at once): the catalogue is the same afterwards, a row naming a missing
/// compound refuses the whole operation, and a good bulk load reads back whole.
#[tokio::test]
async fn a_bulk_insert_into_postgis_checks_every_row_and_keeps_its_indexes_and_keys() {
    let store = common::fresh_postgis().await;
    load_dataset(&store, data::demo_district())
        .await
        .expect("demo");
    let catalogue = postgis_keys_and_indexes(store.pool()).await;
    let (_, demo) = store.load().await.expect("load");
    let template = demo.buildings[0].clone();
    let many = |compound: Option<i64>| -> Vec<Change> {
        (0..60_000)
            .map(|i| {
                let mut b = template.clone();
                b.id = 0;
                b.name = Some(format!("批量楼栋{i}"));
                b.compound_id = compound;
                Change::Upsert(Feature::Building(b))
            })
            .collect()
    };
    let op = |changes| Operation::new(OperationKind::Import, changes);

    let mut bad = many(template.compound_id);
    if let Change::Upsert(Feature::Building(b)) = &mut bad[59_999] {
        b.compound_id = Some(999_999);
    }
    let result = store.commit(&op(bad), &Actor::new("bulk")).await;
    match result {
        Err(StoreError::Integrity(reason)) => {
            assert!(reason.contains("foreign key"), "{reason}");
        }
        other => panic!("a missing compound is refused: {other:?}"),
    }
    assert_eq!(store.load().await.expect("load").1, demo, "nothing written");
    assert_eq!(postgis_keys_and_indexes(store.pool()).await, catalogue);

    let committed = store
        .commit(&op(many(template.compound_id)), &Actor::new("bulk"))
        .await
        .expect("bulk insert");
    assert_eq!(committed.written.len(), 60_000);
    assert_eq!(postgis_keys_and_indexes(store.pool()).await, catalogue);
    let (_, after) = store.load().await.expect("load");
    assert_eq!(after.buildings.len(), demo.buildings.len() + 60_000);
    // The rebuilt spatial index answers: every new building is found by its box through it.
    let mut tx = store.pool().begin().await.expect("tx");
    sqlx::query("SET LOCAL enable_seqscan = off")
        .execute(&mut *tx)
        .await
        .expect("set");
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM buildings b, (SELECT geom FROM buildings WHERE id = $1) t
         WHERE b.geom && t.geom AND b.name LIKE '批量楼栋%'",
    )
    .bind(template.id)
    .fetch_one(&mut *tx)
    .await
    .expect("count");
    assert_eq!(found, 60_000);
}
