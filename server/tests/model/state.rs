//! What the test believes the store holds — features per layer with their versions, accounts,
//! drafts, the data version — and what it expects of a write: which references must exist,
//! who may write, what a deletion leaves dangling. Compared with the store after each restart.

use std::collections::BTreeMap;

use engine::{Dataset, Feature, Layer};
use gridatlas_server::store::{Account, DraftRecord};
use serde_json::{Map, Value};

use super::steps::{Geom, NEWEST, STREET};

/// A feature as the model holds it: stored properties (with derived ones) and `GeoJSON` geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub version: i64,
    pub props: Map<String, Value>,
    pub geometry: Value,
}

impl Stored {
    pub fn of(f: &Feature) -> (i64, Stored) {
        let g = f.to_geojson();
        let mut props = g.properties.unwrap_or_default();
        props.remove("version");
        let geometry = serde_json::to_value(g.geometry).unwrap_or(Value::Null);
        (
            f.id(),
            Stored {
                version: f.version(),
                props,
                geometry,
            },
        )
    }

    pub fn str(&self, key: &str) -> Option<&str> {
        self.props.get(key).and_then(Value::as_str)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DraftModel {
    pub version: i64,
    pub published: bool,
    pub community: String,
    pub name: String,
    /// The plan as the API last answered it.
    pub plan: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccountModel {
    pub role: String,
    pub scope: String,
    pub disabled: bool,
    pub password: String,
}

/// What the model expects of a write's references.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Ok,
    Bad(String),
    /// The model cannot tell (e.g. a gate's distance to another compound); either outcome is
    /// accepted, and the store is still compared after it.
    Unknown,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub data_version: i64,
    pub layers: BTreeMap<Layer, BTreeMap<i64, Stored>>,
    pub accounts: BTreeMap<String, AccountModel>,
    pub drafts: BTreeMap<i64, DraftModel>,
}

impl Model {
    pub fn from_dataset(version: i64, data: &Dataset) -> Model {
        let mut m = Model {
            data_version: version,
            ..Model::default()
        };
        for l in Layer::ALL {
            m.layers.insert(l, BTreeMap::new());
        }
        for f in data.features() {
            let (id, s) = Stored::of(&f);
            m.layers.entry(f.layer()).or_default().insert(id, s);
        }
        m
    }

    pub fn layer(&self, l: Layer) -> &BTreeMap<i64, Stored> {
        &self.layers[&l]
    }

    /// The `k`-th feature of a layer (modulo its size).
    pub fn pick(&self, l: Layer, k: usize) -> Option<(i64, &Stored)> {
        let layer = self.layer(l);
        if layer.is_empty() {
            return None;
        }
        layer.iter().nth(k % layer.len()).map(|(id, s)| (*id, s))
    }

    /// The `k`-th draft (modulo how many there are); from [`NEWEST`] on, counted from the
    /// newest.
    pub fn pick_draft(&self, k: usize) -> Option<(i64, &DraftModel)> {
        let n = self.drafts.len();
        if n == 0 {
            return None;
        }
        let i = if k >= NEWEST {
            n - 1 - (k - NEWEST) % n
        } else {
            k % n
        };
        self.drafts.iter().nth(i).map(|(id, d)| (*id, d))
    }

    /// The id a store gives the next new feature of a layer (largest id + 1).
    pub fn next_id(&self, l: Layer) -> i64 {
        self.layer(l).keys().next_back().copied().unwrap_or(0) + 1
    }

    fn find(&self, l: Layer, key: &str, value: &str) -> Option<(i64, &Stored)> {
        self.layer(l)
            .iter()
            .find(|(_, s)| s.str(key) == Some(value))
            .map(|(id, s)| (*id, s))
    }

    /// Features of `l` whose `key` is `value` (referrers).
    fn count(&self, l: Layer, key: &str, value: &Value) -> usize {
        self.layer(l)
            .values()
            .filter(|s| s.props.get(key) == Some(value))
            .count()
    }

    /// How many features refer to feature `id` of `l` (its deletion must be refused if any).
    pub fn referrers(&self, l: Layer, id: i64) -> usize {
        let Some(s) = self.layer(l).get(&id) else {
            return 0;
        };
        let code = s.props.get("code").cloned().unwrap_or(Value::Null);
        let idv = Value::from(id);
        match l {
            Layer::Streets => {
                self.count(Layer::Communities, "street_code", &code)
                    + self.count(Layer::Ways, "street_code", &code)
            }
            Layer::Communities => [
                Layer::Grids,
                Layer::Compounds,
                Layer::Buildings,
                Layer::Gates,
                Layer::Stations,
                Layer::ServiceSpaces,
            ]
            .into_iter()
            .map(|r| self.count(r, "community_code", &code))
            .sum(),
            Layer::Grids => {
                self.count(Layer::Compounds, "grid_code", &code)
                    + self.count(Layer::Buildings, "grid_code", &code)
            }
            Layer::Compounds => {
                self.count(Layer::Buildings, "compound_id", &idv)
                    + self.count(Layer::Gates, "compound_id", &idv)
                    + self.count(Layer::Ways, "compound_id", &idv)
            }
            Layer::Stations => self.count(Layer::ServiceSpaces, "station_id", &idv),
            _ => 0,
        }
    }

    /// Whether the references of a feature written as `id` (0 = new) hold after the write.
    /// `before` is the feature it replaces or the template it was made from.
    pub fn integrity(
        &self,
        l: Layer,
        id: i64,
        p: &Map<String, Value>,
        before: &Stored,
        geometry: &Geom,
    ) -> Verdict {
        let text = |k: &str| p.get(k).and_then(Value::as_str);
        if let Some(code) = text("code") {
            if let Some((owner, _)) = self.find(l, "code", code) {
                if owner != id {
                    return Verdict::Bad(format!("code {code} already belongs to {l} {owner}"));
                }
            }
            let renamed = id > 0 && before.str("code") != Some(code);
            if renamed && self.referrers(l, id) > 0 {
                return Verdict::Unknown;
            }
        }
        let community = text("community_code");
        if let Some(c) = community {
            if self.find(Layer::Communities, "code", c).is_none() {
                return Verdict::Bad(format!("no community {c}"));
            }
        }
        if let Some(s) = text("street_code") {
            if self.find(Layer::Streets, "code", s).is_none() {
                return Verdict::Bad(format!("no street {s}"));
            }
        }
        if let Some(g) = text("grid_code") {
            match self.find(Layer::Grids, "code", g) {
                Some((_, grid)) if grid.str("community_code") == community => {}
                _ => return Verdict::Bad(format!("no grid {g} in the community")),
            }
        }
        if let Some(cid) = p.get("compound_id").and_then(Value::as_i64) {
            match self.layer(Layer::Compounds).get(&cid) {
                Some(c) if c.str("community_code") == community => {}
                _ => return Verdict::Bad(format!("no compound {cid} in the community")),
            }
            let same = before.props.get("compound_id") == p.get("compound_id");
            let near = matches!(geometry, Geom::Same | Geom::Shift { .. });
            if l == Layer::Gates && !(same && near) {
                return Verdict::Unknown;
            }
        }
        if let Some(sid) = p.get("station_id").and_then(Value::as_i64) {
            if !self.layer(Layer::Stations).contains_key(&sid) {
                return Verdict::Bad(format!("no station {sid}"));
            }
        }
        let moved = !matches!(geometry, Geom::Same | Geom::Shift { .. });
        if l == Layer::Compounds
            && id > 0
            && moved
            && self.count(Layer::Gates, "compound_id", &Value::from(id)) > 0
        {
            return Verdict::Unknown;
        }
        Verdict::Ok
    }

    /// Compares the model with what a reopened store holds; every difference, named.
    pub fn differences(
        &self,
        version: i64,
        data: &Dataset,
        accounts: &[Account],
        drafts: &[DraftRecord],
    ) -> Vec<String> {
        let mut out = Vec::new();
        if version != self.data_version {
            out.push(format!(
                "data version: model {}, store {version}",
                self.data_version
            ));
        }
        let stored = Model::from_dataset(version, data);
        for l in Layer::ALL {
            let (m, s) = (self.layer(l), stored.layer(l));
            for (id, want) in m {
                match s.get(id) {
                    None => out.push(format!("{l} {id}: in the model, missing from the store")),
                    Some(got) => {
                        if got.version != want.version {
                            out.push(format!(
                                "{l} {id}: version model {}, store {}",
                                want.version, got.version
                            ));
                        }
                        let keys: std::collections::BTreeSet<&String> =
                            want.props.keys().chain(got.props.keys()).collect();
                        for k in keys {
                            let v = want.props.get(k).unwrap_or(&Value::Null);
                            let g = got.props.get(k).unwrap_or(&Value::Null);
                            if !close(v, g) {
                                out.push(format!("{l} {id}.{k}: model {v}, store {g}"));
                            }
                        }
                        if !close(&want.geometry, &got.geometry) {
                            out.push(format!("{l} {id}: geometry differs"));
                        }
                    }
                }
            }
            for id in s.keys().filter(|id| !m.contains_key(id)) {
                out.push(format!("{l} {id}: in the store, not in the model"));
            }
        }
        let accounts: BTreeMap<&str, (&str, String, bool)> = accounts
            .iter()
            .map(|a| {
                (
                    a.name.as_str(),
                    (a.role.name(), a.scope.to_string(), a.disabled),
                )
            })
            .collect();
        let model_accounts: BTreeMap<&str, (&str, String, bool)> = self
            .accounts
            .iter()
            .map(|(n, a)| (n.as_str(), (a.role.as_str(), a.scope.clone(), a.disabled)))
            .collect();
        if accounts != model_accounts {
            out.push(format!(
                "accounts: model {model_accounts:?}, store {accounts:?}"
            ));
        }
        let drafts: BTreeMap<i64, &DraftRecord> = drafts.iter().map(|d| (d.id, d)).collect();
        for (id, want) in &self.drafts {
            let Some(got) = drafts.get(id) else {
                out.push(format!("draft {id}: in the model, missing from the store"));
                continue;
            };
            let seen = (
                got.version,
                got.status == "published",
                got.community_code.as_str(),
                got.name.as_str(),
            );
            let wanted = (
                want.version,
                want.published,
                want.community.as_str(),
                want.name.as_str(),
            );
            if seen != wanted {
                out.push(format!(
                    "draft {id}: model (version, published, community, name) {wanted:?}, store {seen:?}"
                ));
            }
            if !close(&want.plan, &got.body["plan"]) {
                out.push(format!(
                    "draft {id}: the stored plan differs from the last one answered"
                ));
            }
        }
        for id in drafts.keys().filter(|id| !self.drafts.contains_key(id)) {
            out.push(format!("draft {id}: in the store, not in the model"));
        }
        out
    }
}

/// Whether a role (the test's accounts: admin of the district, planner of the street, viewer)
/// may write a feature of `l` with these (valid) properties.
pub fn authorized(who: &str, l: Layer, p: &Map<String, Value>) -> bool {
    match who {
        "admin" => true,
        "planner" => {
            let edits = !matches!(l, Layer::Streets | Layer::Communities);
            edits
                && p.get("community_code")
                    .and_then(Value::as_str)
                    .is_some_and(|c| c.starts_with(STREET))
        }
        _ => false,
    }
}

/// JSON equality with numbers compared as numbers (an integer and the same float are equal;
/// coordinates within 1e-9).
#[allow(clippy::float_cmp)] // equal first (infinities), then within the tolerance
pub fn close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(1.0)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| close(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| close(v, w)))
        }
        _ => a == b,
    }
}
