//! What a publication must leave, checked independently of how the server computed it: the
//! grids of the community are the plan's (code, name as the grid schema stores it, workers,
//! lock), every compound and scattered building carries the grid code of the plan grid holding
//! its unit, and nothing else about them changed (a new version exactly when the grid code did).

use std::collections::{BTreeMap, BTreeSet};

use engine::Layer;
use serde_json::Value;

use super::oracle;
use super::state::{close, Stored};
use super::world::{brief, plan_grids};

/// The features of a `GeoJSON` `FeatureCollection` as the model holds them.
pub fn features(collection: &Value) -> BTreeMap<i64, Stored> {
    collection["features"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let mut props = f["properties"].as_object().cloned().unwrap_or_default();
            let version = props
                .remove("version")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            (
                f["id"].as_i64().unwrap_or(0),
                Stored {
                    version,
                    props,
                    geometry: f["geometry"].clone(),
                },
            )
        })
        .collect()
}

type GridRow = (Value, Value, Value);

/// What a plan says the community's features become.
pub struct Expected {
    /// Grid code → (name as stored, workers, locked).
    grids: BTreeMap<String, GridRow>,
    /// Unit (`compound:ID`, `building:ID`) → its grid's code.
    grid_of: BTreeMap<String, String>,
    split: BTreeSet<i64>,
}

impl Expected {
    pub fn of(plan: &Value) -> Expected {
        let mut grid_of = BTreeMap::new();
        let mut grids = BTreeMap::new();
        for g in plan_grids(plan) {
            let code = g["code"].as_str().unwrap_or("").to_owned();
            for u in g["units"].as_array().into_iter().flatten() {
                grid_of.insert(u.as_str().unwrap_or("").to_owned(), code.clone());
            }
            let name = oracle::grid_name(&g["name"]).unwrap_or(Value::Null);
            grids.insert(code, (name, g["workers"].clone(), g["locked"].clone()));
        }
        let split = plan["split_compounds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect();
        Expected {
            grids,
            grid_of,
            split,
        }
    }

    /// Differences between the plan's grids and the published ones.
    pub fn grids(&self, published: &BTreeMap<i64, Stored>) -> Vec<String> {
        let got: BTreeMap<String, GridRow> = published
            .values()
            .map(|s| {
                let row = (
                    s.props["name"].clone(),
                    s.props["workers"].clone(),
                    s.props["locked"].clone(),
                );
                (s.str("code").unwrap_or("").to_owned(), row)
            })
            .collect();
        let codes: BTreeSet<&String> = self.grids.keys().chain(got.keys()).collect();
        codes
            .into_iter()
            .filter(|c| self.grids.get(*c) != got.get(*c))
            .map(|code| {
                format!(
                    "grid {code} (name, workers, locked): the plan stored by the grid schema {:?}, published {:?}",
                    self.grids.get(code),
                    got.get(code)
                )
            })
            .collect()
    }

    /// Differences of the community's compounds or buildings before and after: only the grid
    /// code may change (and then the version by one), and it must be the plan's.
    pub fn units(
        &self,
        l: Layer,
        before: &BTreeMap<i64, Stored>,
        after: &BTreeMap<i64, Stored>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        if after.keys().collect::<Vec<_>>() != before.keys().collect::<Vec<_>>() {
            problems.push(format!("{l}: the publication added or removed features"));
        }
        for (id, got) in after {
            let Some(old) = before.get(id) else { continue };
            problems.extend(only_grid_code_changed(l, *id, old, got));
            let unit = if l == Layer::Compounds {
                format!("compound:{id}")
            } else {
                format!("building:{id}")
            };
            let expected = self.grid_of.get(&unit);
            let follows = l == Layer::Compounds && !self.split.contains(id)
                || l == Layer::Buildings && got.props["compound_id"].is_null();
            if follows && got.props["grid_code"].as_str() != expected.map(String::as_str) {
                problems.push(format!(
                    "{unit}: grid code {} but the plan puts it in {expected:?}",
                    got.props["grid_code"]
                ));
            }
        }
        problems
    }
}

fn only_grid_code_changed(l: Layer, id: i64, old: &Stored, got: &Stored) -> Vec<String> {
    let mut problems = Vec::new();
    let changed = got.props["grid_code"] != old.props["grid_code"];
    let keys: BTreeSet<&String> = old.props.keys().chain(got.props.keys()).collect();
    for k in keys.into_iter().filter(|k| *k != "grid_code") {
        let v = old.props.get(k).unwrap_or(&Value::Null);
        let now = got.props.get(k).unwrap_or(&Value::Null);
        if !close(v, now) {
            problems.push(format!(
                "{l} {id}.{k}: the publication changed it from {v} to {now}"
            ));
        }
    }
    if !close(&got.geometry, &old.geometry) {
        problems.push(format!(
            "{l} {id}: the publication changed its geometry from {} to {}",
            brief(&old.geometry),
            brief(&got.geometry)
        ));
    }
    if got.version != old.version + i64::from(changed) {
        problems.push(format!(
            "{l} {id}: version {} after a publication that {} its grid code (was {})",
            got.version,
            if changed { "changed" } else { "kept" },
            old.version
        ));
    }
    problems
}
