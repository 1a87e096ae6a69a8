//! Ledgers that update what exists 台账更新. Community staff keep their compounds and buildings in
//! spreadsheets without coordinates: a row names its community (by code or name), its compound and,
//! for a building, its number (楼栋号). Such rows update the features they name — households,
//! residents, residents aged 60+, flags — keeping each feature's id, version and shape, so the
//! write is checked like any edit. A row that names nothing or several features is reported with
//! the nearest candidates; the ledger changes nothing unless the caller skips those rows. A
//! building number its compound lacks is a building the map has not got: it is created as a point
//! at the compound's interior point and marked 位置待核实 (approximate location).

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::columns::name_key;
use crate::model::{Building, Community, Compound, Layer};
use crate::reason::{listed, quoted, Reason};
use crate::snapshot::Snapshot;
use crate::{Feature, Problem};

/// One row of a ledger without coordinates.
#[derive(Debug, Clone, Default)]
pub struct LedgerRow {
    /// The row as the file numbers it.
    pub row: usize,
    /// The community as written: a 12-digit code or a name (龙南社区, 龙南).
    pub community: Option<String>,
    /// The compound's name.
    pub compound: Option<String>,
    /// A building's number or name (1栋, 3号楼, 滨江路17号), for the buildings layer.
    pub building: Option<String>,
    /// The values to set, by field name, already typed.
    pub values: Map<String, Value>,
}

/// What a ledger does: the updated and created features, how many were created, and the rows
/// skipped (when asked to skip).
#[derive(Debug, Default)]
pub struct LedgerUpdate {
    pub features: Vec<Feature>,
    pub created: usize,
    pub skipped: Vec<Problem>,
}

/// What a row names.
enum Target {
    Existing(Feature),
    /// A building number its compound lacks.
    NewBuilding(Compound),
}

/// Matches every row of a ledger of `layer` (compounds or buildings) to the feature it names in
/// `snapshot` and applies its values. Unmatched or ambiguous rows refuse the whole ledger unless
/// `skip_unmatched`, when they are returned as skipped.
pub fn apply(
    snapshot: &Snapshot,
    layer: Layer,
    rows: &[LedgerRow],
    skip_unmatched: bool,
) -> Result<LedgerUpdate, Vec<Problem>> {
    if !matches!(layer, Layer::Compounds | Layer::Buildings) {
        return Err(vec![Problem::new(
            "geometry",
            format!(
                "a {layer} file needs coordinates; only compound and building ledgers update \
                 features by name"
            ),
            format!(
                "{}文件需要坐标；只有小区和楼栋台账可以不带坐标、按名称更新已有要素",
                layer.title_zh()
            ),
        )]);
    }
    let index = Index::new(snapshot, layer);
    let mut out = LedgerUpdate::default();
    let mut refused = Vec::new();
    for row in rows {
        let target = index.find(layer, row);
        let feature = match target {
            Ok(f) => f,
            Err(p) => {
                let p = (*p).in_table(row.row, None);
                if skip_unmatched {
                    out.skipped.push(p);
                } else {
                    refused.push(p);
                }
                continue;
            }
        };
        let created = matches!(feature, Target::NewBuilding(_));
        let mut gj = match feature {
            Target::Existing(f) => f.to_geojson(),
            Target::NewBuilding(compound) => new_building(&compound, row),
        };
        let props = gj.properties.get_or_insert_with(Map::new);
        for (k, v) in &row.values {
            props.insert(k.clone(), v.clone());
        }
        match Feature::from_geojson(layer, &gj) {
            Ok(f) => {
                out.created += usize::from(created);
                out.features.push(f);
            }
            Err(ps) => refused.extend(ps.into_iter().map(|p| p.in_table(row.row, None))),
        }
    }
    if refused.is_empty() {
        Ok(out)
    } else {
        Err(refused)
    }
}

/// A building number as ledgers write it: `3`, `3栋`, `3号楼`, `3幢`, `3#` are one building.
fn building_key(name: &str) -> String {
    let key = name_key(name);
    let digits: String = key.chars().take_while(char::is_ascii_digit).collect();
    let rest = &key[digits.len()..];
    if !digits.is_empty() && ["", "栋", "号楼", "幢", "#", "号", "楼"].contains(&rest) {
        digits.trim_start_matches('0').to_owned()
    } else {
        key
    }
}

/// A building the ledger names and the map lacks: a point at its compound's interior point,
/// marked approximate, in the compound's community.
fn new_building(compound: &Compound, row: &LedgerRow) -> geojson::Feature {
    use geo::InteriorPoint;
    let at = compound
        .geometry
        .interior_point()
        .map(|p| vec![p.x(), p.y()]);
    let mut props = Map::new();
    props.insert("name".into(), Value::from(row.building.clone()));
    props.insert(
        "community_code".into(),
        Value::from(compound.community_code.as_str()),
    );
    props.insert("compound_id".into(), Value::from(compound.id));
    props.insert("location_approximate".into(), Value::Bool(true));
    geojson::Feature {
        bbox: None,
        geometry: at.map(|p| geojson::Geometry::new(geojson::Value::Point(p))),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

/// The store's communities, compounds and buildings by the keys ledgers name them with, built
/// once per ledger (a city's ledger has a million rows; each looks its feature up, not scans).
struct Index<'a> {
    snapshot: &'a Snapshot,
    /// Communities by [`name_key`] of their name, and of their name without 社区.
    communities: HashMap<String, Vec<&'a Community>>,
    /// Compounds by community code and [`name_key`] of their name.
    compounds: HashMap<(&'a str, String), Vec<&'a Compound>>,
    /// Compounds by [`name_key`] alone, for rows that name no community.
    compounds_anywhere: HashMap<String, Vec<&'a Compound>>,
    /// Buildings by compound id and [`building_key`].
    buildings: HashMap<(i64, String), Vec<&'a Building>>,
}

impl<'a> Index<'a> {
    fn new(snapshot: &'a Snapshot, layer: Layer) -> Self {
        let data = &snapshot.data;
        let mut communities: HashMap<String, Vec<&Community>> = HashMap::new();
        for c in &data.communities {
            let key = name_key(&c.name);
            if let Some(short) = key.strip_suffix("社区").filter(|s| !s.is_empty()) {
                communities.entry(short.to_owned()).or_default().push(c);
            }
            communities.entry(key).or_default().push(c);
        }
        let mut compounds: HashMap<(&str, String), Vec<&Compound>> = HashMap::new();
        let mut compounds_anywhere: HashMap<String, Vec<&Compound>> = HashMap::new();
        for c in &data.compounds {
            let key = name_key(&c.name);
            compounds
                .entry((c.community_code.as_str(), key.clone()))
                .or_default()
                .push(c);
            compounds_anywhere.entry(key).or_default().push(c);
        }
        let mut buildings: HashMap<(i64, String), Vec<&Building>> = HashMap::new();
        if layer == Layer::Buildings {
            for b in &data.buildings {
                if let (Some(compound), Some(name)) = (b.compound_id, b.name.as_deref()) {
                    buildings
                        .entry((compound, building_key(name)))
                        .or_default()
                        .push(b);
                }
            }
        }
        Index {
            snapshot,
            communities,
            compounds,
            compounds_anywhere,
            buildings,
        }
    }

    /// The feature a row names, or why none can be told.
    fn find(&self, layer: Layer, row: &LedgerRow) -> Result<Target, Box<Problem>> {
        let community = match row
            .community
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None => None,
            Some(c) => Some(
                self.community(c)
                    .map_err(|reason| Problem::because("community_code", reason).with_value(c))?,
            ),
        };
        let compound_field = if layer == Layer::Compounds {
            "name"
        } else {
            "compound_id"
        };
        let compound_name = row
            .compound
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Problem::new(
                    compound_field,
                    "names no compound (小区名称)",
                    "没有填写小区名称",
                )
            })?;
        let compound = self
            .compound(community, compound_name)
            .map_err(|reason| Problem::because(compound_field, reason).with_value(compound_name))?;
        if layer == Layer::Compounds {
            return Ok(Target::Existing(Feature::Compound(compound.clone())));
        }
        self.building(compound, row)
    }

    /// The compound called `name` (in `community`, when the row names one), or why none or
    /// several are.
    fn compound(&self, community: Option<&Community>, name: &str) -> Result<&'a Compound, Reason> {
        let place = community.map_or("the atlas", |c| c.name.as_str());
        let place_zh = community.map_or("地图中", |c| c.name.as_str());
        let key = name_key(name);
        let found = match community {
            Some(c) => self.compounds.get(&(c.code.as_str(), key)),
            None => self.compounds_anywhere.get(&key),
        };
        match found.map_or(&[][..], Vec::as_slice) {
            [one] => Ok(*one),
            [] => {
                let names = self
                    .snapshot
                    .data
                    .compounds
                    .iter()
                    .filter(|c| community.is_none_or(|k| c.community_code == k.code))
                    .map(|c| c.name.as_str());
                let near = closest(name, names);
                Err(Reason::new(
                    format!(
                        "no compound \"{name}\" in {place}; closest: {}",
                        near_en(&near)
                    ),
                    format!(
                        "{place_zh}没有名为{}的小区；最接近的：{}",
                        quoted(name),
                        near_zh(&near)
                    ),
                ))
            }
            many => {
                let ids = ids(many.iter().map(|c| c.id));
                Err(Reason::new(
                    format!(
                        "{} compounds are called \"{name}\" in {place} (ids {ids}): name the \
                         community (社区) to tell them apart",
                        many.len(),
                    ),
                    format!(
                        "{place_zh}有 {} 个小区都叫{}（编号 {ids}）：请填写社区以区分",
                        many.len(),
                        quoted(name),
                    ),
                ))
            }
        }
    }

    /// The building of `compound` a row numbers: one the map has, or a new one.
    fn building(&self, compound: &Compound, row: &LedgerRow) -> Result<Target, Box<Problem>> {
        let number = row
            .building
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| Problem::new("name", "names no building (楼栋号)", "没有填写楼栋号"))?;
        let found = self.buildings.get(&(compound.id, building_key(number)));
        match found.map_or(&[][..], Vec::as_slice) {
            [one] => Ok(Target::Existing(Feature::Building((*one).clone()))),
            [] => Ok(Target::NewBuilding(compound.clone())),
            many => Err(Box::new(
                Problem::new(
                    "name",
                    format!(
                        "{} buildings of {} are numbered \"{number}\" (ids {})",
                        many.len(),
                        compound.name,
                        ids(many.iter().map(|b| b.id))
                    ),
                    format!(
                        "{}有 {} 栋楼的楼栋号都是{}（编号 {}）",
                        compound.name,
                        many.len(),
                        quoted(number),
                        ids(many.iter().map(|b| b.id))
                    ),
                )
                .with_value(number),
            )),
        }
    }

    /// The community a ledger names by code or name (龙南社区, or 龙南 without 社区).
    fn community(&self, written: &str) -> Result<&'a Community, Reason> {
        if written.len() == 12 && written.bytes().all(|b| b.is_ascii_digit()) {
            return self.snapshot.community(written).ok_or_else(|| {
                Reason::new(
                    format!("no community has code {written}"),
                    format!("没有代码为 {written} 的社区"),
                )
            });
        }
        match self
            .communities
            .get(&name_key(written))
            .map_or(&[][..], Vec::as_slice)
        {
            [one] => Ok(one),
            [] => {
                let near = closest(
                    written,
                    self.snapshot
                        .data
                        .communities
                        .iter()
                        .map(|c| c.name.as_str()),
                );
                Err(Reason::new(
                    format!(
                        "no community is called \"{written}\"; closest: {}",
                        near_en(&near)
                    ),
                    format!(
                        "没有名为{}的社区；最接近的：{}",
                        quoted(written),
                        near_zh(&near)
                    ),
                ))
            }
            many => {
                let codes = many
                    .iter()
                    .map(|c| c.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(Reason::new(
                    format!(
                        "{} communities are called \"{written}\" (codes {codes}): write the 12-digit code",
                        many.len(),
                    ),
                    format!(
                        "有 {} 个社区都叫{}（代码 {codes}）：请填写 12 位社区代码",
                        many.len(),
                        quoted(written),
                    ),
                ))
            }
        }
    }
}

/// Feature ids for a message: `3, 17`.
fn ids(ids: impl Iterator<Item = i64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// The three names closest to `written` (edit distance over the normalized names).
fn closest<'a>(written: &str, names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let key = name_key(written);
    let mut scored: Vec<(usize, &str)> = names
        .map(|n| (strsim::levenshtein(&key, &name_key(n)), n))
        .collect();
    scored.sort_unstable();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.iter().take(3).map(|(_, n)| *n).collect()
}

/// Closest names for an English message: `"a", "b"`.
fn near_en(names: &[&str]) -> String {
    if names.is_empty() {
        return "none (no features there)".to_owned();
    }
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Closest names for a Chinese message: `“a”、“b”`.
fn near_zh(names: &[&str]) -> String {
    if names.is_empty() {
        return "无（那里还没有任何要素）".to_owned();
    }
    listed(names.iter().map(|n| quoted(n)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_building_numbers_match_as_people_vary_them() {
        assert_eq!(name_key(" 枫林苑 "), name_key("枫林　苑"));
        assert_eq!(name_key("ＡＢＣ小区"), "abc小区");
        for n in ["3", "3栋", "3号楼", "3幢", "3#", "03栋", "３栋"] {
            assert_eq!(building_key(n), "3", "{n}");
        }
        assert_ne!(building_key("3单元"), "3");
        assert_eq!(building_key("滨江路17号"), name_key("滨江路17号"));
    }
}
