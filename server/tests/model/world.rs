//! The system under test and the model side by side: a store (`GeoPackage` file or `PostGIS`
//! database) served by the real HTTP app, each step sent as a request, its outcome checked
//! against the model's expectation, and restarts that reopen the store as `gridatlas serve`
//! does and compare it with the model.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use engine::crs::Crs;
use engine::{Dataset, Feature, Layer};
use gridatlas_server::api::{app, AppState, Config};
use gridatlas_server::atlas::Atlas;
use gridatlas_server::commands;
use gridatlas_server::store;
use serde_json::{json, Map, Value};
use tower::ServiceExt;

use super::oracle::{self, Invalid};
use super::publication;
use super::state::{authorized, close, AccountModel, DraftModel, Model, Stored, Verdict};
use super::steps::{Geom, Op, Row, Step, COMMUNITY, STREET};

/// Which store a case runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GeoPackage,
    PostGis,
}

/// Why a case failed: the step (none for the setup and the final check), a kind that stays
/// the same while the sequence is shrunk, and the story.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: Option<usize>,
    pub kind: String,
    pub message: String,
}

/// The password of the test's own accounts.
const PASSWORD: &str = "correct horse battery staple";
/// The test's accounts: an admin of the district, a planner of the street, a viewer.
const ROLES: [(&str, &str, &str); 3] = [
    ("admin", "admin", "district"),
    ("planner", "planner", "street:510504003"),
    ("viewer", "viewer", "district"),
];

/// What the model expects of a request.
#[derive(Debug, Clone)]
enum Expect {
    Accept,
    /// One of these statuses (any 4xx when empty), naming `field` when given.
    Refuse {
        statuses: Vec<u16>,
        field: Option<String>,
        why: String,
    },
    Either,
}

fn refuse(statuses: &[u16], why: impl Into<String>) -> Expect {
    Expect::Refuse {
        statuses: statuses.to_vec(),
        field: None,
        why: why.into(),
    }
}

fn invalid(i: &Invalid, unparseable: bool) -> Expect {
    Expect::Refuse {
        statuses: if unparseable {
            vec![400, 422]
        } else {
            vec![422]
        },
        field: Some(i.field.clone()),
        why: format!("{}: {}", i.field, i.reason),
    }
}

struct Reply {
    status: StatusCode,
    etag: Option<i64>,
    body: Value,
}

/// 红星街道 with 奥体社区 and everything in it (a small part of the demo district), built once.
pub fn dataset() -> Dataset {
    static DATASET: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
    DATASET.get_or_init(small_demo).clone()
}

fn small_demo() -> Dataset {
    let demo = data::demo_district();
    let mut out = Dataset::default();
    let stations: BTreeSet<i64> = demo
        .stations
        .iter()
        .filter(|s| s.community_code == COMMUNITY)
        .map(|s| s.id)
        .collect();
    for mut f in demo.features() {
        let keep = match &f {
            Feature::Street(s) => s.code == STREET,
            Feature::Community(c) => c.code == COMMUNITY,
            other => {
                other
                    .properties()
                    .get("community_code")
                    .and_then(Value::as_str)
                    == Some(COMMUNITY)
            }
        };
        if let Feature::ServiceSpace(s) = &mut f {
            s.station_id = s.station_id.filter(|id| stations.contains(id));
        }
        if keep {
            f.set_meta(f.id(), 1);
            out.push(f);
        }
    }
    out
}

pub struct World {
    kind: Kind,
    location: String,
    _dir: Option<tempfile::TempDir>,
    atlas: Option<Arc<Atlas>>,
    app: Option<Router>,
    tokens: BTreeMap<String, String>,
    failed_logins: BTreeMap<String, usize>,
    pub model: Model,
    /// Steps that ran (not skipped for want of a target), and their statuses.
    pub statuses: BTreeMap<String, usize>,
    step: Option<usize>,
}

impl World {
    /// A fresh store of `kind` holding the small dataset and the test's accounts, served.
    pub async fn new(kind: Kind) -> Result<World, Failure> {
        let (location, dir) = match kind {
            Kind::GeoPackage => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("atlas.gpkg").display().to_string();
                (path, Some(dir))
            }
            Kind::PostGis => (super::common::fresh_pg_url().await, None),
        };
        let s = store::open(&location).await.expect("a new store");
        let data = dataset();
        let version = commands::load_dataset(s.as_ref(), data.clone())
            .await
            .expect("load the dataset");
        let mut model = Model::from_dataset(version, &data);
        for (name, role, scope) in ROLES {
            commands::add_user(
                s.as_ref(),
                name,
                role.parse().expect("role"),
                scope.parse().expect("scope"),
                false,
                PASSWORD,
            )
            .await
            .expect("account");
            model.accounts.insert(
                name.into(),
                AccountModel {
                    role: role.into(),
                    scope: scope.into(),
                    disabled: false,
                    password: PASSWORD.into(),
                },
            );
        }
        s.close().await;
        let mut w = World {
            kind,
            location,
            _dir: dir,
            atlas: None,
            app: None,
            tokens: BTreeMap::new(),
            failed_logins: BTreeMap::new(),
            model,
            statuses: BTreeMap::new(),
            step: None,
        };
        w.start().await?;
        Ok(w)
    }

    fn fail(&self, kind: &str, message: impl Into<String>) -> Failure {
        Failure {
            step: self.step,
            kind: kind.into(),
            message: message.into(),
        }
    }

    /// Opens the store from its location as `gridatlas serve` does, compares it with the model,
    /// starts the app and signs the test's accounts in.
    async fn start(&mut self) -> Result<(), Failure> {
        let s = store::open(&self.location).await.map_err(|e| {
            self.fail(
                "store-does-not-open",
                format!("the {:?} store does not open: {e}", self.kind),
            )
        })?;
        let loaded = s.load_all().await.map_err(|e| {
            self.fail(
                "store-does-not-open",
                format!("the {:?} store opens but does not load: {e}", self.kind),
            )
        })?;
        if !loaded.unreadable.is_empty() {
            return Err(self.fail(
                "store-has-unreadable-rows",
                format!(
                    "the {:?} store opens but {} row(s) are unreadable (left out of the map): {}",
                    self.kind,
                    loaded.unreadable.len(),
                    unreadable(&loaded.unreadable)
                ),
            ));
        }
        let (version, data) = (loaded.version, loaded.data);
        let accounts = s
            .accounts()
            .await
            .map_err(|e| self.fail("store-does-not-open", format!("accounts do not load: {e}")))?;
        let drafts = s
            .drafts(None)
            .await
            .map_err(|e| self.fail("store-does-not-open", format!("drafts do not load: {e}")))?;
        let diffs = self.model.differences(version, &data, &accounts, &drafts);
        if !diffs.is_empty() {
            let first: String = diffs[0]
                .split(':')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_ascii_digit())
                .collect();
            return Err(self.fail(
                &format!("store-differs-from-model:{}", first.replace(' ', "")),
                format!(
                    "after the restart the store differs from the model in {} way(s):\n  {}",
                    diffs.len(),
                    diffs
                        .iter()
                        .take(12)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join("\n  ")
                ),
            ));
        }
        let atlas = Arc::new(Atlas::open(s).await.map_err(|e| {
            self.fail(
                "store-does-not-open",
                format!("the server does not start on the store: {e}"),
            )
        })?);
        let app = app(AppState::new(Arc::clone(&atlas), Config::default()));
        self.atlas = Some(atlas);
        self.app = Some(app);
        for (name, _, _) in ROLES {
            let body = json!({ "name": name, "password": PASSWORD });
            let r = self
                .call(Method::POST, "/api/session", None, None, Some(body))
                .await;
            let Some(token) = r.body["token"].as_str() else {
                return Err(self.fail(
                    "sign-in",
                    format!(
                        "{name} cannot sign in after the restart: {} {}",
                        r.status, r.body
                    ),
                ));
            };
            self.tokens.insert(name.into(), token.into());
        }
        Ok(())
    }

    /// Stops the server: the app dropped, the store closed.
    async fn stop(&mut self) {
        self.app = None;
        if let Some(atlas) = self.atlas.take() {
            atlas.store().close().await;
        }
    }

    /// The check after the last step: a restart outside any step.
    pub async fn finish(&mut self) -> Result<(), Failure> {
        self.step = None;
        self.restart().await
    }

    /// Stops the server and, on `PostGIS`, drops the case's database (a `GeoPackage` goes with its
    /// temporary directory).
    pub async fn discard(mut self) {
        self.stop().await;
        if self.kind == Kind::PostGis {
            let name = self
                .location
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            if let Ok(pool) = sqlx::PgPool::connect(&super::common::pg_admin_url()).await {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&pool)
                    .await
                    .ok();
                pool.close().await;
            }
        }
    }

    /// A restart: stop, reopen, compare.
    pub async fn restart(&mut self) -> Result<(), Failure> {
        // Sessions live in the store: a token answers after the restart as it did before.
        let old = self.tokens.get("admin").cloned();
        let before = match &old {
            Some(t) => Some(
                self.call(Method::GET, "/api/session", Some(t), None, None)
                    .await
                    .status,
            ),
            None => None,
        };
        self.stop().await;
        self.start().await?;
        if let (Some(old), Some(before)) = (old, before) {
            let r = self
                .call(Method::GET, "/api/session", Some(&old), None, None)
                .await;
            if r.status != before {
                return Err(self.fail(
                    "session-changes-over-restart",
                    format!(
                        "a token that answered {before} before the restart answers {}",
                        r.status
                    ),
                ));
            }
        }
        Ok(())
    }

    async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        if_match: Option<i64>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(v) = if_match {
            req = req.header("if-match", format!("\"{v}\""));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        let app = self.app.clone().expect("the server runs");
        let resp = app.oneshot(req).await.expect("response");
        let status = resp.status();
        let etag = resp
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.trim_matches('"').parse().ok());
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            etag,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    fn token(&self, who: &str) -> Option<String> {
        self.tokens.get(who).cloned()
    }

    /// Checks a reply against the expectation; `Ok(true)` when the request was accepted.
    fn judge(&mut self, what: &str, expect: &Expect, r: &Reply) -> Result<bool, Failure> {
        let code = r.status.as_u16();
        *self.statuses.entry(format!("{what} {code}")).or_default() += 1;
        if code >= 500 {
            return Err(self.fail(
                &format!("server-error:{what}"),
                format!("{what}: the server answered {code}: {}", brief(&r.body)),
            ));
        }
        let accepted = code < 400;
        match expect {
            Expect::Accept if !accepted => Err(self.fail(
                &format!("refused-but-valid:{what}"),
                format!(
                    "{what}: the model expects acceptance, the server answered {code}: {}",
                    brief(&r.body)
                ),
            )),
            Expect::Refuse { why, .. } if accepted => Err(self.fail(
                &format!("accepted-but-invalid:{what}"),
                format!(
                    "{what}: the model expects a refusal ({why}), the server answered {code}: {}",
                    brief(&r.body)
                ),
            )),
            Expect::Refuse {
                statuses,
                field,
                why,
            } => {
                if !statuses.is_empty() && !statuses.contains(&code) {
                    return Err(self.fail(
                        &format!("wrong-status:{what}"),
                        format!("{what}: refused as expected ({why}) but with {code}, not {statuses:?}: {}", brief(&r.body)),
                    ));
                }
                if let Some(f) = field.as_deref().filter(|_| code == 422) {
                    if !names_field(&r.body, f) && !breaks_grid_rules(&r.body) {
                        return Err(self.fail(
                            &format!("refusal-does-not-name-field:{what}"),
                            format!("{what}: refused with {code} as expected ({why}) but the answer does not name the field `{f}`: {}", brief(&r.body)),
                        ));
                    }
                }
                Ok(false)
            }
            _ => Ok(accepted),
        }
    }

    /// Runs one step.
    pub async fn exec(&mut self, i: usize, step: &Step) -> Result<(), Failure> {
        self.step = Some(i);
        match step {
            Step::Create {
                layer,
                template,
                set,
                geometry,
                who,
            } => self.create(layer, *template, set, geometry, who).await,
            Step::Replace {
                layer,
                target,
                set,
                geometry,
                stale,
                who,
            } => {
                self.replace(layer, *target, set, geometry, *stale, who)
                    .await
            }
            Step::Delete {
                layer,
                target,
                stale,
                who,
            } => self.delete(layer, *target, *stale, who).await,
            Step::Import { layer, csv, rows } => self.import(layer, *csv, rows).await,
            Step::AddAccount {
                name,
                role,
                scope,
                disabled,
                password,
            } => {
                self.add_account(name, role, scope, *disabled, password)
                    .await
            }
            Step::SignIn { name } => self.sign_in(name).await,
            Step::CreateDraft {
                community,
                name,
                who,
            } => self.create_draft(community, name.as_deref(), who).await,
            Step::Operate {
                draft,
                ops,
                stale,
                who,
            } => self.operate(*draft, ops, *stale, who).await,
            Step::RenameDraft { draft, name, stale } => {
                self.rename_draft(*draft, name, *stale).await
            }
            Step::Propose {
                draft,
                seed,
                accept,
            } => self.propose(*draft, *seed, *accept).await,
            Step::DeleteDraft { draft, stale } => self.delete_draft(*draft, *stale).await,
            Step::Publish { draft, stale, who } => self.publish(*draft, *stale, who).await,
            Step::Restart => self.restart().await,
        }
    }

    /// The properties a write sends: the base feature's stored ones with `set` over them.
    fn props_with(base: &Stored, layer: Layer, set: &Map<String, Value>) -> Map<String, Value> {
        let mut p = base.props.clone();
        for d in engine::schema::derived_fields(layer) {
            p.remove(d.name);
        }
        for (k, v) in set {
            if v.is_null() {
                p.remove(k);
            } else {
                p.insert(k.clone(), v.clone());
            }
        }
        p
    }

    /// What the model expects of writing `props`/`geometry` as feature `id` (0 = new) of
    /// `layer`, made from `base`; with the stored form when it may be accepted.
    fn expect_write(
        &self,
        layer: Layer,
        id: i64,
        base: &Stored,
        props: &Map<String, Value>,
        geom: &Geom,
        who: &str,
    ) -> (Expect, Option<Stored>) {
        let (g, known_bad) = oracle::derive_geometry(layer, &base.geometry, geom);
        let (p, g) = match oracle::feature(layer, props, &g, known_bad) {
            Ok(pg) => pg,
            Err((i, unparseable)) => return (invalid(&i, unparseable), None),
        };
        let stored = Stored {
            version: 0,
            props: p.clone(),
            geometry: g,
        };
        if !authorized(who, layer, &p) || (id > 0 && !authorized(who, layer, &base.props)) {
            return (
                refuse(&[403], format!("a {who} may not write this {layer}")),
                None,
            );
        }
        match self.model.integrity(layer, id, &p, base, geom) {
            Verdict::Ok => (Expect::Accept, Some(stored)),
            Verdict::Bad(why) => (refuse(&[422], why), None),
            Verdict::Unknown => (Expect::Either, Some(stored)),
        }
    }

    /// Checks an accepted feature's answer against the model's stored form and records it.
    fn record(
        &mut self,
        what: &str,
        layer: Layer,
        id: i64,
        version: i64,
        want: Stored,
        answer: &Value,
    ) -> Result<(), Failure> {
        let got_id = answer["id"].as_i64();
        let got_version = answer["properties"]["version"].as_i64();
        if got_id != Some(id) || got_version != Some(version) {
            return Err(self.fail(
                &format!("answer-differs:{what}"),
                format!("{what}: expected {layer} {id} version {version}, the answer says id {got_id:?} version {got_version:?}"),
            ));
        }
        for (k, v) in &want.props {
            let g = &answer["properties"][k];
            if !close(v, g) {
                return Err(self.fail(
                    &format!("answer-differs:{what}"),
                    format!("{what}: {layer} {id}.{k}: the model expects {v}, the answer says {g}"),
                ));
            }
        }
        if !close(&want.geometry, &answer["geometry"]) {
            return Err(self.fail(
                &format!("answer-differs:{what}"),
                format!("{what}: {layer} {id}: the geometry answered differs from the one sent"),
            ));
        }
        self.model
            .layers
            .entry(layer)
            .or_default()
            .insert(id, Stored { version, ..want });
        self.model.data_version += 1;
        Ok(())
    }

    async fn create(
        &mut self,
        layer: &str,
        template: usize,
        set: &Map<String, Value>,
        geom: &Geom,
        who: &str,
    ) -> Result<(), Failure> {
        let l = Layer::from_name(layer).expect("layer");
        let Some((_, base)) = self.model.pick(l, template) else {
            return Ok(());
        };
        let base = base.clone();
        let props = Self::props_with(&base, l, set);
        let (expect, stored) = self.expect_write(l, 0, &base, &props, geom, who);
        let (g, _) = oracle::derive_geometry(l, &base.geometry, geom);
        let body = json!({ "type": "Feature", "properties": props, "geometry": g });
        let id = self.model.next_id(l);
        let r = self
            .call(
                Method::POST,
                &format!("/ogc/collections/{layer}/items"),
                self.token(who).as_deref(),
                None,
                Some(body),
            )
            .await;
        if self.judge("create", &expect, &r)? {
            let want = stored.expect("an accepted feature is valid");
            self.record("create", l, id, 1, want, &r.body)?;
        }
        Ok(())
    }

    async fn replace(
        &mut self,
        layer: &str,
        target: usize,
        set: &Map<String, Value>,
        geom: &Geom,
        stale: bool,
        who: &str,
    ) -> Result<(), Failure> {
        let l = Layer::from_name(layer).expect("layer");
        let Some((id, base)) = self.model.pick(l, target) else {
            return Ok(());
        };
        let base = base.clone();
        let props = Self::props_with(&base, l, set);
        let (mut expect, stored) = self.expect_write(l, id, &base, &props, geom, who);
        match &mut expect {
            Expect::Refuse { statuses, .. } if stale => statuses.push(409),
            _ if stale => expect = refuse(&[409], "stale If-Match"),
            _ => {}
        }
        let (g, _) = oracle::derive_geometry(l, &base.geometry, geom);
        let body = json!({ "type": "Feature", "properties": props, "geometry": g });
        let if_match = base.version + i64::from(stale);
        let r = self
            .call(
                Method::PUT,
                &format!("/ogc/collections/{layer}/items/{id}"),
                self.token(who).as_deref(),
                Some(if_match),
                Some(body),
            )
            .await;
        if self.judge("replace", &expect, &r)? {
            let want = stored.expect("an accepted feature is valid");
            self.record("replace", l, id, base.version + 1, want, &r.body)?;
        }
        Ok(())
    }

    async fn delete(
        &mut self,
        layer: &str,
        target: usize,
        stale: bool,
        who: &str,
    ) -> Result<(), Failure> {
        let l = Layer::from_name(layer).expect("layer");
        let Some((id, base)) = self.model.pick(l, target) else {
            return Ok(());
        };
        let version = base.version;
        let referrers = self.model.referrers(l, id);
        let expect = if !authorized(who, l, &base.props) {
            refuse(&[403], format!("a {who} may not delete this {layer}"))
        } else if referrers > 0 {
            refuse(
                &[422],
                format!("{referrers} feature(s) refer to {layer} {id}"),
            )
        } else if stale {
            refuse(&[409], "stale If-Match")
        } else {
            Expect::Accept
        };
        let r = self
            .call(
                Method::DELETE,
                &format!("/ogc/collections/{layer}/items/{id}"),
                self.token(who).as_deref(),
                Some(version + i64::from(stale)),
                None,
            )
            .await;
        if self.judge("delete", &expect, &r)? {
            self.model.layers.entry(l).or_default().remove(&id);
            self.model.data_version += 1;
        }
        Ok(())
    }

    /// Writes the import file of `rows` (`GeoJSON` or CSV) and what the model expects of it.
    fn import_file(
        &self,
        l: Layer,
        csv: bool,
        rows: &[Row],
        path: &std::path::Path,
    ) -> (Expect, Vec<(i64, Stored)>) {
        let mut expect = Expect::Accept;
        let mut written = Vec::new();
        let mut replaced = BTreeSet::new();
        let mut codes = BTreeSet::new();
        let mut next = self.model.next_id(l);
        let mut features = Vec::new();
        let mut lines = vec![];
        // An id replaces a feature only beside its version, as the atlas's own exports write them
        // (an id column alone is another system's numbering and is left out).
        let header: Vec<&str> = ["id", "version"]
            .into_iter()
            .chain(engine::schema::fields(l).iter().map(|d| d.name))
            .chain(std::iter::once("wkt"))
            .collect();
        for row in rows {
            let Some((tid, base)) = self.model.pick(l, row.template) else {
                continue;
            };
            if row.replace && !replaced.insert(tid) {
                continue;
            }
            let props = Self::props_with(base, l, &row.set);
            let (g, known_bad) = oracle::derive_geometry(l, &base.geometry, &row.geometry);
            let seen = if csv {
                let mut p = Map::new();
                for d in engine::schema::fields(l) {
                    if let Some(v) = props.get(d.name) {
                        p.insert(d.name.into(), v.clone());
                    }
                }
                let cells: Vec<String> = header
                    .iter()
                    .map(|h| match *h {
                        "id" if row.replace => tid.to_string(),
                        "version" if row.replace => base.version.to_string(),
                        "id" | "version" => String::new(),
                        "wkt" => oracle::wkt(&g),
                        k => p.get(k).map(oracle::cell).unwrap_or_default(),
                    })
                    .collect();
                lines.push(cells);
                oracle::through_csv(l, &p)
            } else {
                let mut f = json!({ "type": "Feature", "properties": props, "geometry": g });
                if row.replace {
                    f["id"] = json!(tid);
                }
                features.push(f);
                props
            };
            let id = if row.replace { tid } else { 0 };
            let verdict = match oracle::feature(l, &seen, &g, known_bad) {
                Err((i, _)) => Verdict::Bad(format!("{}: {}", i.field, i.reason)),
                Ok((p, g)) => {
                    let v = self.model.integrity(l, id, &p, base, &row.geometry);
                    let code = p.get("code").and_then(Value::as_str).map(str::to_owned);
                    let (new_id, version) = if row.replace {
                        (tid, base.version + 1)
                    } else {
                        next += 1;
                        (next - 1, 1)
                    };
                    written.push((
                        new_id,
                        Stored {
                            version,
                            props: p,
                            geometry: g,
                        },
                    ));
                    match code {
                        Some(c) if !codes.insert(c.clone()) => {
                            Verdict::Bad(format!("code {c} twice in the file"))
                        }
                        _ => v,
                    }
                }
            };
            match verdict {
                Verdict::Ok => {}
                Verdict::Unknown => {
                    if matches!(expect, Expect::Accept) {
                        expect = Expect::Either;
                    }
                }
                Verdict::Bad(why) => expect = refuse(&[], why),
            }
        }
        let text = import_text(csv, &header, &lines, &features);
        std::fs::write(path, text).expect("write the import file");
        (expect, written)
    }

    /// `gridatlas import` while the server is stopped, then the server restarted.
    async fn import(&mut self, layer: &str, csv: bool, rows: &[Row]) -> Result<(), Failure> {
        let l = Layer::from_name(layer).expect("layer");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir
            .path()
            .join(format!("{layer}.{}", if csv { "csv" } else { "geojson" }));
        let (expect, written) = self.import_file(l, csv, rows, &path);
        if written.is_empty() && matches!(expect, Expect::Accept) {
            return Ok(());
        }
        self.stop().await;
        let s = store::open(&self.location)
            .await
            .map_err(|e| self.fail("store-does-not-open", format!("before the import: {e}")))?;
        let result = commands::import(s, &[(path, Some(l))], Crs::Wgs84, false).await;
        let accepted = result.is_ok();
        let (ok_expected, bad_expected) = match &expect {
            Expect::Accept => (true, false),
            Expect::Refuse { .. } => (false, true),
            Expect::Either => (false, false),
        };
        *self
            .statuses
            .entry(format!(
                "import {}",
                if accepted { "ok" } else { "refused" }
            ))
            .or_default() += 1;
        match &result {
            Err(commands::CommandError::Problems(_)) | Ok(_) => {}
            Err(e) => return Err(self.fail("import-error", format!("import failed: {e}"))),
        }
        if ok_expected && !accepted {
            return Err(self.fail(
                "refused-but-valid:import",
                format!(
                    "import of {} {layer} row(s): refused: {}",
                    rows.len(),
                    result.err().map(|e| e.to_string()).unwrap_or_default()
                ),
            ));
        }
        if bad_expected && accepted {
            let why = match &expect {
                Expect::Refuse { why, .. } => why.clone(),
                _ => String::new(),
            };
            return Err(self.fail(
                "accepted-but-invalid:import",
                format!("import of {layer}: the model expects a refusal ({why}), it was accepted"),
            ));
        }
        if let Ok(report) = result {
            if report.data_version != self.model.data_version + 1 {
                return Err(self.fail(
                    "answer-differs:import",
                    format!(
                        "import: data version {}, the model expects {}",
                        report.data_version,
                        self.model.data_version + 1
                    ),
                ));
            }
            self.model.data_version += 1;
            for (id, s) in written {
                self.model.layers.entry(l).or_default().insert(id, s);
            }
        }
        self.start().await
    }

    async fn add_account(
        &mut self,
        name: &str,
        role: &str,
        scope: &str,
        disabled: bool,
        password: &str,
    ) -> Result<(), Failure> {
        let valid = (2..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.@-".contains(&b))
            && password.chars().count() >= 10;
        let atlas = Arc::clone(self.atlas.as_ref().expect("the server runs"));
        let result = commands::add_user(
            atlas.store(),
            name,
            role.parse().expect("role"),
            scope.parse().expect("scope"),
            disabled,
            password,
        )
        .await;
        *self
            .statuses
            .entry(format!("add_account {}", result.is_ok()))
            .or_default() += 1;
        match (valid, result) {
            (true, Ok(())) => {
                self.model.accounts.insert(
                    name.into(),
                    AccountModel {
                        role: role.into(),
                        scope: scope.into(),
                        disabled,
                        password: password.into(),
                    },
                );
                Ok(())
            }
            (false, Err(_)) => Ok(()),
            (true, Err(e)) => Err(self.fail(
                "refused-but-valid:add_account",
                format!("account {name:?}: refused: {e}"),
            )),
            (false, Ok(())) => Err(self.fail(
                "accepted-but-invalid:add_account",
                format!(
                    "account {name:?} (password of {} characters) was accepted",
                    password.chars().count()
                ),
            )),
        }
    }

    async fn sign_in(&mut self, name: &str) -> Result<(), Failure> {
        let account = self.model.accounts.get(name).cloned();
        let failures = self.failed_logins.get(name).copied().unwrap_or(0);
        let expect = match &account {
            _ if name.len() > 64 => refuse(&[400], "name too long"),
            _ if failures >= 5 => refuse(&[429], "too many failed sign-ins"),
            Some(a) if !a.disabled => Expect::Accept,
            _ => refuse(&[401], "no such account or disabled"),
        };
        let password = account.map_or_else(|| PASSWORD.to_owned(), |a| a.password);
        let body = json!({ "name": name, "password": password });
        let r = self
            .call(Method::POST, "/api/session", None, None, Some(body))
            .await;
        if r.status == StatusCode::UNAUTHORIZED {
            *self.failed_logins.entry(name.into()).or_default() += 1;
        }
        self.judge("sign_in", &expect, &r).map(drop)
    }

    fn community_name(&self, code: &str) -> Option<String> {
        self.model
            .layer(Layer::Communities)
            .values()
            .find(|c| c.str("code") == Some(code))
            .and_then(|c| c.str("name").map(str::to_owned))
    }

    async fn create_draft(
        &mut self,
        community: &str,
        name: Option<&str>,
        who: &str,
    ) -> Result<(), Failure> {
        let name_ok = name.is_none_or(|n| {
            let t = n.trim();
            draft_name_ok(t)
        });
        let twelve = community.len() == 12 && community.bytes().all(|b| b.is_ascii_digit());
        let community_name = self.community_name(community);
        let expect = if !twelve {
            refuse(&[400], "not a 12-digit community code")
        } else if who == "viewer" || (who == "planner" && !community.starts_with(STREET)) {
            refuse(&[403], format!("a {who} may not plan {community}"))
        } else if community_name.is_none() {
            refuse(&[404], format!("no community {community}"))
        } else if !name_ok {
            refuse(
                &[400],
                "draft name must be 1 to 200 characters without control characters",
            )
        } else {
            // Whatever valid features the community holds, planning must take it in.
            Expect::Accept
        };
        let mut body = json!({ "community_code": community });
        if let Some(n) = name {
            body["name"] = json!(n);
        }
        let r = self
            .call(
                Method::POST,
                "/api/planning/drafts",
                self.token(who).as_deref(),
                None,
                Some(body),
            )
            .await;
        if self.judge("create_draft", &expect, &r)? {
            let want_name = name.map_or_else(
                || format!("{}网格方案", community_name.unwrap_or_default()),
                |n| n.trim().to_owned(),
            );
            let id = r.body["id"].as_i64().unwrap_or(0);
            if r.etag != Some(1)
                || r.body["name"] != json!(want_name)
                || r.body["status"] != "draft"
            {
                return Err(self.fail(
                    "answer-differs:create_draft",
                    format!("a new draft: expected version 1, name {want_name:?}, status draft; got {:?}, {}, {}", r.etag, r.body["name"], r.body["status"]),
                ));
            }
            self.model.drafts.insert(
                id,
                DraftModel {
                    version: 1,
                    published: false,
                    community: community.into(),
                    name: want_name,
                    plan: r.body["plan"].clone(),
                },
            );
        }
        Ok(())
    }

    /// A draft change's refusal by the draft's state, if any.
    fn draft_state(d: &DraftModel, stale: bool, who: &str) -> Option<Expect> {
        if who == "viewer" {
            Some(refuse(&[403], "a viewer does not plan"))
        } else if d.published {
            Some(refuse(&[409], "the draft is published"))
        } else if stale {
            Some(refuse(&[409], "stale If-Match"))
        } else {
            None
        }
    }

    async fn operate(
        &mut self,
        k: usize,
        ops: &[Op],
        stale: bool,
        who: &str,
    ) -> Result<(), Failure> {
        let Some((id, d)) = self.model.pick_draft(k) else {
            return Ok(());
        };
        let d = d.clone();
        let (body, certain_refusal) = resolve_ops(&d.plan, ops);
        let expect = Self::draft_state(&d, stale, who)
            .unwrap_or_else(|| certain_refusal.map_or(Expect::Either, |why| refuse(&[], why)));
        let r = self
            .call(
                Method::POST,
                &format!("/api/planning/drafts/{id}/operations"),
                self.token(who).as_deref(),
                Some(d.version + i64::from(stale)),
                Some(Value::Array(body.clone())),
            )
            .await;
        if self.judge("operate", &expect, &r)? {
            if r.etag != Some(d.version + 1) {
                return Err(self.fail(
                    "answer-differs:operate",
                    format!(
                        "draft {id}: version {:?} after a change of version {}",
                        r.etag, d.version
                    ),
                ));
            }
            if let [op] = body.as_slice() {
                if op["op"] == "set_grid" && op.get("name").is_some() {
                    let code = &op["code"];
                    let want = op["name"].as_str().unwrap_or("").trim();
                    let got = plan_grids(&r.body["plan"])
                        .into_iter()
                        .find(|g| g["code"] == *code)
                        .map(|g| g["name"].clone());
                    if got != Some(json!(want)) {
                        return Err(self.fail(
                            "answer-differs:operate",
                            format!("set_grid {code} name {want:?}: the plan says {got:?}"),
                        ));
                    }
                }
            }
            let m = self.model.drafts.get_mut(&id).expect("draft");
            m.version += 1;
            m.plan = r.body["plan"].clone();
        }
        Ok(())
    }

    async fn rename_draft(&mut self, k: usize, name: &str, stale: bool) -> Result<(), Failure> {
        let Some((id, d)) = self.model.pick_draft(k) else {
            return Ok(());
        };
        let d = d.clone();
        let t = name.trim();
        let expect = Self::draft_state(&d, stale, "admin").unwrap_or_else(|| {
            if !draft_name_ok(t) {
                refuse(
                    &[400],
                    "draft name must be 1 to 200 characters without control characters",
                )
            } else {
                Expect::Accept
            }
        });
        let r = self
            .call(
                Method::PUT,
                &format!("/api/planning/drafts/{id}"),
                self.token("admin").as_deref(),
                Some(d.version + i64::from(stale)),
                Some(json!({ "name": name })),
            )
            .await;
        if self.judge("rename_draft", &expect, &r)? {
            if r.etag != Some(d.version + 1)
                || r.body["name"] != json!(t)
                || !close(&r.body["plan"], &d.plan)
            {
                return Err(self.fail(
                    "answer-differs:rename_draft",
                    format!(
                        "draft {id} renamed {t:?}: got version {:?}, name {}, plan kept: {}",
                        r.etag,
                        r.body["name"],
                        close(&r.body["plan"], &d.plan)
                    ),
                ));
            }
            let m = self.model.drafts.get_mut(&id).expect("draft");
            m.version += 1;
            m.name = t.into();
        }
        Ok(())
    }

    async fn propose(&mut self, k: usize, seed: u64, accept: bool) -> Result<(), Failure> {
        let Some((id, d)) = self.model.pick_draft(k) else {
            return Ok(());
        };
        let d = d.clone();
        let r = self
            .call(
                Method::POST,
                &format!("/api/planning/drafts/{id}/proposal"),
                self.token("admin").as_deref(),
                None,
                Some(json!({ "seed": seed })),
            )
            .await;
        if !self.judge("propose", &Expect::Either, &r)? || !accept {
            return Ok(());
        }
        let plan = r.body["plan"].clone();
        let names_ok = plan_grids(&plan)
            .iter()
            .all(|g| oracle::grid_name(&g["name"]).is_ok());
        let expect = Self::draft_state(&d, false, "admin").unwrap_or(if names_ok {
            Expect::Accept
        } else {
            refuse(&[], "a grid name the grid schema refuses")
        });
        let put = self
            .call(
                Method::PUT,
                &format!("/api/planning/drafts/{id}"),
                self.token("admin").as_deref(),
                Some(d.version),
                Some(json!({ "plan": plan })),
            )
            .await;
        if self.judge("accept_proposal", &expect, &put)? {
            let m = self.model.drafts.get_mut(&id).expect("draft");
            m.version += 1;
            m.plan = put.body["plan"].clone();
        }
        Ok(())
    }

    async fn delete_draft(&mut self, k: usize, stale: bool) -> Result<(), Failure> {
        let Some((id, d)) = self.model.pick_draft(k) else {
            return Ok(());
        };
        let expect = Self::draft_state(d, stale, "admin").unwrap_or(Expect::Accept);
        let version = d.version;
        let r = self
            .call(
                Method::DELETE,
                &format!("/api/planning/drafts/{id}"),
                self.token("admin").as_deref(),
                Some(version + i64::from(stale)),
                None,
            )
            .await;
        if self.judge("delete_draft", &expect, &r)? {
            self.model.drafts.remove(&id);
        }
        Ok(())
    }

    async fn publish(&mut self, k: usize, stale: bool, who: &str) -> Result<(), Failure> {
        let Some((id, d)) = self.model.pick_draft(k) else {
            return Ok(());
        };
        let d = d.clone();
        let long = plan_grids(&d.plan).into_iter().find_map(|g| {
            oracle::grid_name(&g["name"])
                .err()
                .map(|why| format!("grid {}: name {why}", g["code"]))
        });
        // Refused it must be; for the long name (422 naming `name`) unless the plan also
        // breaks a grid rule or the current grids changed since the draft began (409).
        let expect = Self::draft_state(&d, stale, who).unwrap_or_else(|| match long {
            Some(why) => Expect::Refuse {
                statuses: vec![409, 422],
                field: Some("name".into()),
                why,
            },
            None => Expect::Either,
        });
        let r = self
            .call(
                Method::POST,
                &format!("/api/planning/drafts/{id}/publish"),
                self.token(who).as_deref(),
                Some(d.version + i64::from(stale)),
                None,
            )
            .await;
        let accepted = match self.judge("publish", &expect, &r) {
            Ok(a) => a,
            Err(mut f) => {
                if f.kind.starts_with("accepted-but-invalid") {
                    f.message += &self.after_wrong_acceptance().await;
                }
                return Err(f);
            }
        };
        if !accepted {
            return Ok(());
        }
        if r.body["data_version"].as_i64() != Some(self.model.data_version + 1)
            || r.etag != Some(d.version + 1)
        {
            return Err(self.fail(
                "answer-differs:publish",
                format!("publication of draft {id}: data version {} (model {}), draft version {:?} (model {})", r.body["data_version"], self.model.data_version + 1, r.etag, d.version + 1),
            ));
        }
        self.model.data_version += 1;
        let m = self.model.drafts.get_mut(&id).expect("draft");
        m.version += 1;
        m.published = true;
        self.take_publication(&d).await
    }

    /// What a restart makes of a store after a write that should have been refused.
    async fn after_wrong_acceptance(&mut self) -> String {
        self.stop().await;
        match store::open(&self.location).await {
            Err(e) => format!("; after it the store does not open: {e}"),
            Ok(s) => {
                let loaded = s.load_all().await;
                s.close().await;
                match loaded {
                    Err(e) => format!("; after it the server refuses to start on the store: {e}"),
                    Ok(l) if !l.unreadable.is_empty() => format!(
                        "; after it the store holds unreadable rows: {}",
                        unreadable(&l.unreadable)
                    ),
                    Ok(_) => "; the store still opens after it".into(),
                }
            }
        }
    }

    /// After a publication: reads the community's grids, compounds and buildings back, checks
    /// them against the plan (see [`publication`]) and takes them into the model.
    async fn take_publication(&mut self, d: &DraftModel) -> Result<(), Failure> {
        let expected = publication::Expected::of(&d.plan);
        let mut problems = Vec::new();
        for l in [Layer::Grids, Layer::Compounds, Layer::Buildings] {
            let uri = format!(
                "/ogc/collections/{}/items?community_code={}&limit=10000",
                l.name(),
                d.community
            );
            let r = self.call(Method::GET, &uri, None, None, None).await;
            let fetched = publication::features(&r.body);
            let before: BTreeMap<i64, Stored> = self
                .model
                .layer(l)
                .iter()
                .filter(|(_, s)| s.str("community_code") == Some(d.community.as_str()))
                .map(|(id, s)| (*id, s.clone()))
                .collect();
            problems.extend(if l == Layer::Grids {
                expected.grids(&fetched)
            } else {
                expected.units(l, &before, &fetched)
            });
            let layer = self.model.layers.entry(l).or_default();
            layer.retain(|_, s| s.str("community_code") != Some(d.community.as_str()));
            layer.extend(fetched);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(self.fail(
                "publication-differs-from-plan",
                format!(
                    "the publication does not hold the plan:\n  {}",
                    problems.join("\n  ")
                ),
            ))
        }
    }
}

/// The text of an import file: CSV rows under `header`, or a `GeoJSON` `FeatureCollection`.
fn import_text(csv: bool, header: &[&str], lines: &[Vec<String>], features: &[Value]) -> String {
    if !csv {
        return json!({ "type": "FeatureCollection", "features": features }).to_string();
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("csv");
    for l in lines {
        w.write_record(l).expect("csv");
    }
    String::from_utf8(w.into_inner().expect("csv")).expect("utf-8")
}

/// Unreadable stored rows, named.
fn unreadable(rows: &[engine::snapshot::Unreadable]) -> String {
    rows.iter()
        .take(5)
        .map(|u| format!("{} {}: {}", u.layer, u.id, u.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A (trimmed) draft name the planning API keeps: 1 to 200 characters, no control characters.
fn draft_name_ok(t: &str) -> bool {
    !t.is_empty() && t.chars().count() <= 200 && !t.chars().any(char::is_control)
}

/// A reply body cut to a readable length.
pub fn brief(body: &Value) -> String {
    let s = body.to_string();
    if s.chars().count() > 400 {
        format!("{}…", s.chars().take(400).collect::<String>())
    } else {
        s
    }
}

/// The grids of a plan (JSON).
pub fn plan_grids(plan: &Value) -> Vec<Value> {
    plan["grids"].as_array().cloned().unwrap_or_default()
}

/// Whether a refusal says the plan breaks a grid rule (an error, not a warning): another
/// reason to refuse a publication than the one the model looks for.
fn breaks_grid_rules(body: &Value) -> bool {
    body["code"] == "invalid_plan"
        && body["violations"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x["severity"] == "error"))
}

/// Whether a refusal's answer names `field` (a problem's field, or the message), or one of the
/// `|`-separated alternatives.
fn names_field(body: &Value, fields: &str) -> bool {
    fields.split('|').any(|f| names_one_field(body, f))
}

fn names_one_field(body: &Value, field: &str) -> bool {
    let in_problems = body["problems"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|p| p["field"] == field);
    let in_message = body["message"].as_str().is_some_and(|m| {
        m.contains(&format!("{field}:"))
            || m.contains(&format!("`{field}`"))
            || m.contains(&format!("{field} "))
    });
    in_problems || in_message
}

fn text_ok(s: &str, max: usize) -> bool {
    let t = s.trim();
    !t.is_empty() && t.chars().count() <= max
}

/// The operations as the API takes them (positions resolved against the draft's plan), and a
/// reason when the model knows one of them must be refused.
fn resolve_ops(plan: &Value, ops: &[Op]) -> (Vec<Value>, Option<String>) {
    let grids: Vec<String> = plan_grids(plan)
        .iter()
        .map(|g| g["code"].as_str().unwrap_or("").to_owned())
        .collect();
    let units: Vec<String> = plan_grids(plan)
        .iter()
        .flat_map(|g| g["units"].as_array().cloned().unwrap_or_default())
        .filter_map(|u| u.as_str().map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let grid = |k: usize| {
        grids
            .get(k % grids.len().max(1))
            .cloned()
            .unwrap_or_else(|| "none".into())
    };
    let unit = |k: usize| {
        units
            .get(k % units.len().max(1))
            .cloned()
            .unwrap_or_else(|| "compound:1".into())
    };
    let mut refusal = None;
    let out = ops
        .iter()
        .map(|op| match op {
            Op::SetGrid {
                grid: g,
                name,
                workers,
                locked,
            } => {
                let mut v = json!({ "op": "set_grid", "code": grid(*g) });
                if let Some(n) = name {
                    if !text_ok(n, 200) {
                        refusal = Some(format!(
                            "set_grid name of {} characters",
                            n.trim().chars().count()
                        ));
                    }
                    v["name"] = json!(n);
                }
                if let Some(w) = workers {
                    if !(0..=100).contains(w) {
                        refusal = Some(format!("set_grid workers {w}"));
                    }
                    v["workers"] = json!(w);
                }
                if let Some(l) = locked {
                    v["locked"] = json!(l);
                }
                v
            }
            Op::CreateGrid { code, name } => {
                if let Some(c) = code {
                    let n = c.chars().count();
                    if !(1..=40).contains(&n) || c.trim() != c || c.chars().any(char::is_control) {
                        refusal = Some(format!("create_grid code {c:?}"));
                    }
                }
                json!({ "op": "create_grid", "code": code, "name": name })
            }
            Op::Move { unit: u, to } => {
                json!({ "op": "move", "units": [unit(*u)], "to": grid(*to) })
            }
            Op::Unassign { unit: u } => json!({ "op": "unassign", "units": [unit(*u)] }),
            Op::DeleteGrid { grid: g, move_to } => {
                json!({ "op": "delete_grid", "code": grid(*g), "move_to": move_to.map(grid) })
            }
            Op::MergeGrids { into, from } => {
                json!({ "op": "merge_grids", "into": grid(*into), "from": grid(*from) })
            }
            Op::SplitGrid { grid: g } => json!({ "op": "split_grid", "code": grid(*g) }),
            Op::ReplaceGrid {
                grid: g,
                code,
                name,
            } => json!([
                { "op": "create_grid", "code": code, "name": name },
                { "op": "delete_grid", "code": grid(*g), "move_to": code },
            ]),
        })
        .flat_map(|v| match v {
            Value::Array(pair) => pair,
            one => vec![one],
        })
        .collect();
    (out, refusal)
}
