//! One conformance suite, run against both stores: the embedded GeoPackage and PostGIS.

mod common;

use engine::{Feature, Layer};
use gridatlas_server::atlas::{Atlas, AtlasError};
use gridatlas_server::commands::load_dataset;
use gridatlas_server::store::{
    Actor, AuditQuery, Change, Operation, OperationKind, Store, StoreError,
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
                layer: Some(Layer::Compounds),
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
        expected.push("geom".into());
        assert_eq!(cols, expected, "{layer}");
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
    // Back to schema 3: no gates table.
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .expect("sqlite");
    sqlx::raw_sql(
        "DROP TABLE gates;
         DELETE FROM gpkg_geometry_columns WHERE table_name = 'gates';
         DELETE FROM gpkg_contents WHERE table_name = 'gates';
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
    assert_eq!(registered, ("features".to_owned(), 4));
}
