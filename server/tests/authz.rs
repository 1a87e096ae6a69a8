//! The authorization matrix: every mutating endpoint (create, replace, delete on every layer) ×
//! every role × inside / outside the caller's scope, each with the expected status; unauthenticated
//! writes are 401, out-of-scope or out-of-role writes 403 — and a refused write changes nothing.
//! Also: sign-in rate limiting and session expiry on sign-out.

use crate::common;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use engine::access::Role;
use engine::{Feature, Layer};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands::load_dataset;
use serde_json::Value;

const LONGNAN: &str = "510504003004";

use common::send;

/// A new feature of `layer` placed in 龙南社区 (or, for streets and communities, under new codes
/// in 红星街道's district), unique by `n`.
fn fixture(snap: &engine::Snapshot, layer: Layer, n: usize) -> Value {
    let d = &snap.data;
    let mut f = match layer {
        Layer::Streets => {
            let mut s = d
                .streets
                .iter()
                .find(|s| s.code == "510504003")
                .expect("红星")
                .clone();
            s.code = format!("510504{}", 900 + n % 100);
            Feature::Street(s)
        }
        Layer::Communities => {
            let mut c = snap.community(LONGNAN).expect("龙南").clone();
            c.code = format!("510504003{}", 900 + n % 100);
            Feature::Community(c)
        }
        Layer::Grids => {
            let mut g = d
                .grids
                .iter()
                .find(|g| g.community_code == LONGNAN)
                .expect("grid")
                .clone();
            g.code = format!("AUTHZ-{n}");
            Feature::Grid(g)
        }
        Layer::Compounds => Feature::Compound(
            d.compounds
                .iter()
                .find(|c| c.community_code == LONGNAN)
                .expect("compound")
                .clone(),
        ),
        Layer::Buildings => Feature::Building(
            d.buildings
                .iter()
                .find(|b| b.community_code == LONGNAN)
                .expect("building")
                .clone(),
        ),
        Layer::Gates => Feature::Gate(
            d.gates
                .iter()
                .find(|g| g.community_code == LONGNAN)
                .expect("gate")
                .clone(),
        ),
        Layer::Stations => Feature::Station(
            d.stations
                .iter()
                .find(|s| s.community_code == LONGNAN)
                .expect("station")
                .clone(),
        ),
        // A footway across 龙南社区, in 红星街道.
        Layer::Ways => {
            let c = snap.community(LONGNAN).expect("龙南");
            let at = geo::InteriorPoint::interior_point(&c.geometry).expect("inside");
            let line = geo_types::LineString::from(vec![(at.x(), at.y()), (at.x() + 2e-4, at.y())]);
            Feature::Way(engine::Way {
                name: Some(format!("测试步道{n}")),
                street_code: Some("510504003".into()),
                ..engine::Way::new(
                    engine::WayKind::Footway,
                    geo_types::MultiLineString(vec![line]),
                )
            })
        }
        Layer::ServiceSpaces => {
            let mut s = d
                .service_spaces
                .iter()
                .find(|s| s.community_code == LONGNAN)
                .expect("space")
                .clone();
            s.station_id = None;
            Feature::ServiceSpace(s)
        }
    };
    f.set_meta(0, 0);
    let mut v = serde_json::to_value(f.to_geojson()).expect("json");
    v.as_object_mut().map(|o| o.remove("id"));
    v
}

/// The scopes that hold / do not hold the fixture of a layer.
fn scopes(layer: Layer) -> (&'static str, &'static str) {
    match layer {
        Layer::Streets => ("district", "street:510504001"),
        Layer::Communities | Layer::Ways => ("street:510504003", "street:510504004"),
        _ => ("community:510504003004", "community:510504003001"),
    }
}

#[tokio::test]
async fn every_mutating_endpoint_by_role_and_scope_answers_as_expected() {
    let (mut m, _dir) = Matrix::new().await;
    let mut checked = 0;
    for layer in Layer::ALL {
        m.assert_unauthenticated_writes_are_refused(layer).await;
        for role in Role::ALL {
            for (in_scope, suffix) in [(true, "in"), (false, "out")] {
                let who = format!("{}-{}-{suffix}", role.name(), layer.name());
                let token = common::sign_in(&m.app, &who).await;
                let allowed = role.edits(layer) && in_scope;
                let case = format!("{who} on {layer}");
                m.assert_create(layer, &token, allowed, &case).await;
                m.assert_replace_and_delete(layer, &token, allowed, &case)
                    .await;
                checked += 3;
            }
        }
        // A grid worker's account (staff scoped to grids): the units placed in its grid.
        for (in_scope, suffix) in [(true, "in"), (false, "out")] {
            let who = format!("grid-{}-{suffix}", layer.name());
            let token = common::sign_in(&m.app, &who).await;
            let allowed = Role::Staff.edits(layer) && in_scope && grid_placed(layer);
            let case = format!("{who} on {layer}");
            m.assert_create(layer, &token, allowed, &case).await;
            m.assert_replace_and_delete(layer, &token, allowed, &case)
                .await;
            checked += 3;
        }
    }
    assert_eq!(
        checked,
        Layer::ALL.len() * (Role::ALL.len() + 1) * 2 * 3,
        "every endpoint × role × scope, and a grid scope"
    );
}

/// Whether the layer's fixture is placed in a grid (a compound names its grid; buildings in a
/// compound, gates and facilities lie in the community only).
fn grid_placed(layer: Layer) -> bool {
    layer == Layer::Compounds
}

/// The grid of 龙南's first compound (the compounds' fixture) and another 龙南 grid.
fn grid_scopes(snap: &engine::Snapshot) -> (String, String) {
    let c = snap
        .data
        .compounds
        .iter()
        .find(|c| c.community_code == LONGNAN)
        .expect("compound");
    let g = c
        .grid_code
        .clone()
        .expect("the fixture compound lies in a grid");
    let other = snap
        .data
        .grids
        .iter()
        .find(|x| x.community_code == LONGNAN && x.code != g)
        .expect("another grid");
    (format!("grid:{g}"), format!("grid:{}", other.code))
}

/// The demo district with a root admin and, per layer and role, an account inside and one
/// outside the scope holding the layer's fixtures; `n` numbers the fixtures.
struct Matrix {
    app: axum::Router,
    atlas: Arc<Atlas>,
    root: String,
    n: usize,
}

impl Matrix {
    /// Loads the demo district and creates and signs in the accounts.
    async fn new() -> (Self, tempfile::TempDir) {
        let (store, dir) = common::fresh_gpkg().await;
        load_dataset(&store, data::demo_district())
            .await
            .expect("demo");
        common::add_account(&store, "root", "admin", "district").await;
        let (grid_in, grid_out) = grid_scopes(&engine::Snapshot::new(0, data::demo_district()));
        for layer in Layer::ALL {
            let (inside, outside) = scopes(layer);
            for (scope, suffix) in [(&grid_in, "in"), (&grid_out, "out")] {
                common::add_account(
                    &store,
                    &format!("grid-{}-{suffix}", layer.name()),
                    "staff",
                    scope,
                )
                .await;
            }
            for role in Role::ALL {
                common::add_account(
                    &store,
                    &format!("{}-{}-in", role.name(), layer.name()),
                    role.name(),
                    inside,
                )
                .await;
                common::add_account(
                    &store,
                    &format!("{}-{}-out", role.name(), layer.name()),
                    role.name(),
                    outside,
                )
                .await;
            }
        }
        let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
        let app = app(AppState::new(atlas.clone(), Config::default()));
        let root = common::sign_in(&app, "root").await;
        let matrix = Matrix {
            app,
            atlas,
            root,
            n: 0,
        };
        (matrix, dir)
    }

    /// The next fixture of `layer`.
    fn next_fixture(&mut self, layer: Layer) -> Value {
        self.n += 1;
        fixture(&self.atlas.snapshot(), layer, self.n)
    }

    /// Unauthenticated: 401 on every verb, nothing written.
    async fn assert_unauthenticated_writes_are_refused(&mut self, layer: Layer) {
        let items = format!("/ogc/collections/{}/items", layer.name());
        let body = self.next_fixture(layer);
        let (app, atlas) = (&self.app, &self.atlas);
        let version = atlas.snapshot().version;
        assert_eq!(
            send(app, Method::POST, &items, None, None, Some(&body))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(
                app,
                Method::PUT,
                &format!("{items}/1"),
                None,
                Some(1),
                Some(&body)
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(
                app,
                Method::DELETE,
                &format!("{items}/1"),
                None,
                Some(1),
                None
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            send(
                app,
                Method::POST,
                &items,
                Some("forged-token"),
                None,
                Some(&body)
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(atlas.snapshot().version, version);
    }

    /// A create by `token` succeeds when `allowed`, else is refused (403) and writes nothing.
    async fn assert_create(&mut self, layer: Layer, token: &str, allowed: bool, case: &str) {
        let items = format!("/ogc/collections/{}/items", layer.name());
        let body = self.next_fixture(layer);
        let (app, atlas) = (&self.app, &self.atlas);
        let before = atlas.snapshot().version;
        let (status, reply) = send(app, Method::POST, &items, Some(token), None, Some(&body)).await;
        if allowed {
            assert_eq!(status, StatusCode::CREATED, "create, {case}: {reply}");
        } else {
            assert_eq!(status, StatusCode::FORBIDDEN, "create, {case}: {reply}");
            assert!(
                reply["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("scope") || m.contains("does not change")),
                "{case}: {reply}"
            );
            assert_eq!(
                atlas.snapshot().version,
                before,
                "a refused create writes nothing"
            );
        }
    }

    /// Replace and delete by `token` of a feature the root admin creates for the purpose: both
    /// succeed when `allowed`, else are refused (403) and the feature stays.
    async fn assert_replace_and_delete(
        &mut self,
        layer: Layer,
        token: &str,
        allowed: bool,
        case: &str,
    ) {
        let items = format!("/ogc/collections/{}/items", layer.name());
        let body = self.next_fixture(layer);
        let n = self.n;
        let (app, atlas) = (&self.app, &self.atlas);
        let (s, created) = send(
            app,
            Method::POST,
            &items,
            Some(&self.root),
            None,
            Some(&body),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "fixture for {case}: {created}");
        let id = created["id"].as_i64().expect("id");
        let mut renamed = body.clone();
        renamed["properties"]["name"] = Value::from(format!("改名{n}"));
        let (status, reply) = send(
            app,
            Method::PUT,
            &format!("{items}/{id}"),
            Some(token),
            Some(1),
            Some(&renamed),
        )
        .await;
        assert_eq!(
            status,
            if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            },
            "replace, {case}: {reply}"
        );
        let version = if allowed { 2 } else { 1 };
        let (status, reply) = send(
            app,
            Method::DELETE,
            &format!("{items}/{id}"),
            Some(token),
            Some(version),
            None,
        )
        .await;
        assert_eq!(
            status,
            if allowed {
                StatusCode::NO_CONTENT
            } else {
                StatusCode::FORBIDDEN
            },
            "delete, {case}: {reply}"
        );
        assert_eq!(
            atlas.snapshot().feature(layer, id).is_none(),
            allowed,
            "{case}: the feature is gone exactly when the delete was allowed"
        );
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_and_sign_out_ends_the_session() {
    let (store, _dir) = common::fresh_gpkg().await;
    common::add_account(&store, "wang", "staff", "community:510504003004").await;
    let atlas = Arc::new(Atlas::open(Box::new(store)).await.expect("atlas"));
    let app = app(AppState::new(atlas, Config::default()));
    let token = common::sign_in(&app, "wang").await;
    let (s, me) = send(&app, Method::GET, "/api/session", Some(&token), None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (me["role"].as_str(), me["scope"].as_str()),
        (Some("staff"), Some("community:510504003004"))
    );
    assert_eq!(
        send(
            &app,
            Method::DELETE,
            "/api/session",
            Some(&token),
            None,
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        send(&app, Method::GET, "/api/session", Some(&token), None, None)
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "signed out"
    );

    let wrong = serde_json::json!({ "name": "wang", "password": "not the password" });
    for _ in 0..gridatlas_server::accounts::MAX_FAILED_LOGINS {
        let (s, reply) = send(&app, Method::POST, "/api/session", None, None, Some(&wrong)).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(reply["message"], "wrong name or password");
    }
    let right = serde_json::json!({ "name": "wang", "password": common::PASSWORD });
    let (s, reply) = send(&app, Method::POST, "/api/session", None, None, Some(&right)).await;
    assert_eq!(
        s,
        StatusCode::TOO_MANY_REQUESTS,
        "locked out for a while even with the right password: {reply}"
    );
    let unknown = serde_json::json!({ "name": "nobody", "password": "whatever-long" });
    assert_eq!(
        send(
            &app,
            Method::POST,
            "/api/session",
            None,
            None,
            Some(&unknown)
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    let junk = serde_json::json!({ "user": "wang" });
    assert_eq!(
        send(&app, Method::POST, "/api/session", None, None, Some(&junk))
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
}
