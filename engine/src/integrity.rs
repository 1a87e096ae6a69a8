//! Integrity of a change set against a snapshot: every feature written passes the schema exactly
//! as the store's loader applies it ([`Feature::storable`]); every code and id a feature names
//! exists (in the snapshot or the same change set) and agrees on the community; codes stay
//! unique; nothing deleted is still referred to; a compound's gates 小区出入口 lie within
//! [`GATE_MAX_OFFSET_M`] of its polygon.

use std::collections::{HashMap, HashSet};

use geo_types::Polygon;

use crate::analysis::distance::point_to_polygon_m;
use crate::feature::{Feature, Problem};
use crate::model::{Gate, Layer, GATE_MAX_OFFSET_M};
use crate::reason::Reason;
use crate::snapshot::Snapshot;

/// What a change set does: features written (inserted or replaced; id 0 means new) and features
/// deleted.
#[derive(Debug, Clone, Copy)]
pub struct ChangeView<'a> {
    pub written: &'a [&'a Feature],
    pub deleted: &'a [(Layer, i64)],
}

/// The owners of codes and ids among a change's written features, read in place: (layer, id)
/// and, for grids and compounds, their community.
#[derive(Default)]
struct Owners<'a> {
    streets: HashMap<&'a str, i64>,
    communities: HashMap<&'a str, (i64, &'a str)>,
    grids: HashMap<&'a str, (i64, &'a str)>,
    /// Each compound's id, community and grid, by id.
    compounds: HashMap<i64, (i64, &'a str, Option<&'a str>)>,
    stations: HashMap<i64, i64>,
    /// Names of communities and grids (by code) and compounds (by id), to say in reasons.
    names: HashMap<(Layer, &'a str), &'a str>,
    compound_names: HashMap<i64, &'a str>,
}

impl<'a> Owners<'a> {
    /// The owners among `features`; of two with the same code or id, the later one.
    fn of(features: &[&'a Feature]) -> Owners<'a> {
        let mut o = Owners::default();
        for f in features {
            match f {
                Feature::Street(s) => {
                    o.streets.insert(&s.code, s.id);
                }
                Feature::Community(c) => {
                    o.communities.insert(&c.code, (c.id, &c.street_code));
                    o.names.insert((Layer::Communities, &c.code), &c.name);
                }
                Feature::Grid(g) => {
                    o.grids.insert(&g.code, (g.id, &g.community_code));
                    o.names.insert((Layer::Grids, &g.code), &g.name);
                }
                Feature::Compound(c) if c.id > 0 => {
                    o.compounds
                        .insert(c.id, (c.id, &c.community_code, c.grid_code.as_deref()));
                    o.compound_names.insert(c.id, &c.name);
                }
                Feature::Station(s) if s.id > 0 => {
                    o.stations.insert(s.id, s.id);
                }
                _ => {}
            }
        }
        o
    }
}

/// The owners of codes and ids after a change: the snapshot's (found through its own lookups,
/// nothing copied) less the features the change deletes or replaces, with the features it
/// writes on top.
struct Registry<'a> {
    snapshot: &'a Snapshot,
    /// Features of the snapshot the change deletes or replaces.
    gone: HashSet<(Layer, i64)>,
    written: Owners<'a>,
}

impl<'a> Registry<'a> {
    fn after(snapshot: &'a Snapshot, change: &ChangeView<'a>) -> Registry<'a> {
        let mut gone: HashSet<(Layer, i64)> = change.deleted.iter().copied().collect();
        gone.extend(
            change
                .written
                .iter()
                .filter(|f| f.id() > 0)
                .map(|f| (f.layer(), f.id())),
        );
        Registry {
            snapshot,
            gone,
            written: Owners::of(change.written),
        }
    }

    /// The owner in `written`, else the snapshot's owner unless the change deletes or replaces
    /// it.
    fn pick<V: Copy>(
        &self,
        layer: Layer,
        written: Option<&V>,
        base: Option<V>,
        id: impl Fn(&V) -> i64,
    ) -> Option<V> {
        written
            .copied()
            .or_else(|| base.filter(|v| !self.gone.contains(&(layer, id(v)))))
    }

    fn has_street(&self, code: &str) -> bool {
        // Of two streets with one code, the later one owns it (as a lookup built in order).
        let base = (self.snapshot.data.streets.iter().rev())
            .find(|s| s.code == code)
            .map(|s| s.id);
        self.pick(Layer::Streets, self.written.streets.get(code), base, |id| {
            *id
        })
        .is_some()
    }

    fn has_community(&self, code: &str) -> bool {
        let base = (self.snapshot.community(code)).map(|c| (c.id, c.street_code.as_str()));
        (self.pick(
            Layer::Communities,
            self.written.communities.get(code),
            base,
            |v| v.0,
        ))
        .is_some()
    }

    /// A grid's id and community.
    fn grid(&self, code: &str) -> Option<(i64, &'a str)> {
        let base = (self.snapshot.grid(code)).map(|g| (g.id, g.community_code.as_str()));
        self.pick(Layer::Grids, self.written.grids.get(code), base, |v| v.0)
    }

    /// A compound's community and grid.
    fn compound(&self, id: i64) -> Option<(&'a str, Option<&'a str>)> {
        let base = (self.snapshot.compound(id))
            .map(|c| (c.id, c.community_code.as_str(), c.grid_code.as_deref()));
        self.pick(
            Layer::Compounds,
            self.written.compounds.get(&id),
            base,
            |v| v.0,
        )
        .map(|(_, community, grid)| (community, grid))
    }

    fn has_station(&self, id: i64) -> bool {
        let base = (self.snapshot.index(Layer::Stations).by_id.get(id)).map(|_| id);
        self.pick(
            Layer::Stations,
            self.written.stations.get(&id),
            base,
            |id| *id,
        )
        .is_some()
    }

    /// Whether a street, community or grid holds `code` after the change.
    fn holds(&self, layer: Layer, code: &str) -> bool {
        match layer {
            Layer::Streets => self.has_street(code),
            Layer::Communities => self.has_community(code),
            Layer::Grids => self.grid(code).is_some(),
            _ => false,
        }
    }

    /// A community, grid or compound in words: its name and, in brackets, its code or id (the
    /// code or id alone when it has no name).
    fn named(&self, layer: Layer, key: &str) -> String {
        let snapshot = self.snapshot;
        let name = match layer {
            Layer::Compounds => key.parse::<i64>().ok().and_then(|id| {
                (self.written.compound_names.get(&id).copied())
                    .or_else(|| snapshot.compound(id).map(|c| c.name.as_str()))
            }),
            _ => (self.written.names.get(&(layer, key)).copied()).or_else(|| match layer {
                Layer::Communities => snapshot.community(key).map(|c| c.name.as_str()),
                Layer::Grids => snapshot.grid(key).map(|g| g.name.as_str()),
                _ => None,
            }),
        };
        match name {
            Some(name) if !name.is_empty() => format!("{name}（{key}）"),
            _ => key.to_owned(),
        }
    }
}

/// Checks a change set; each problem carries the position of the feature in `written` (or of
/// the deletion in `deleted`, after all written ones) and its id.
pub fn check<'a>(snapshot: &'a Snapshot, change: &ChangeView<'a>) -> Vec<Problem> {
    let reg = Registry::after(snapshot, change);
    let mut problems = unstorable(change.written);
    let mut codes_seen: HashMap<(Layer, &str), usize> = HashMap::new();
    for (i, f) in change.written.iter().enumerate() {
        let id = (f.id() > 0).then(|| f.id().to_string());
        let mut push = |field: &str, reason: Reason| {
            problems.push(Problem::because(field, reason).at(Some(i), id.clone()));
        };
        check_code(snapshot, change, &mut codes_seen, (i, *f), &mut push);
        check_references(snapshot, change, &reg, f, &mut push);
    }
    check_moved_compounds(snapshot, change, &mut problems);
    check_deletions(snapshot, change, &reg, &mut problems);
    problems
}

/// Checks the code of a written street, community or grid (feature `i` of the change): given
/// once in the change, and not already held by another feature the change keeps.
fn check_code<'a>(
    snapshot: &Snapshot,
    change: &ChangeView<'a>,
    codes_seen: &mut HashMap<(Layer, &'a str), usize>,
    (i, f): (usize, &'a Feature),
    push: &mut dyn FnMut(&str, Reason),
) {
    let code = match f {
        Feature::Street(s) => s.code.as_str(),
        Feature::Community(c) => c.code.as_str(),
        Feature::Grid(g) => g.code.as_str(),
        _ => return,
    };
    if let Some(first) = codes_seen.insert((f.layer(), code), i) {
        push(
            "code",
            Reason::new(
                format!("code {code} is given twice in this change (also feature {first})"),
                format!("代码 {code} 在这次修改中出现了两次（另见要素序号 {first}）"),
            ),
        );
    }
    let owner = match f {
        Feature::Street(_) => snapshot
            .data
            .streets
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.id),
        Feature::Community(_) => snapshot.community(code).map(|c| c.id),
        _ => snapshot.grid(code).map(|g| g.id),
    };
    if let Some(owner) = owner {
        let owner_kept = !change.deleted.contains(&(f.layer(), owner));
        if owner != f.id()
            && owner_kept
            && !change
                .written
                .iter()
                .any(|w| w.layer() == f.layer() && w.id() == owner)
        {
            push(
                "code",
                Reason::new(
                    format!("code {code} already belongs to {} {owner}", f.layer()),
                    format!(
                        "代码 {code} 已被{}（编号 {owner}）使用",
                        f.layer().title_zh()
                    ),
                ),
            );
        }
    }
}

/// Checks what a written feature refers to: its street, community, grid, compound and station
/// exist after the change and agree on the community; a gate lies near its compound.
fn check_references(
    snapshot: &Snapshot,
    change: &ChangeView,
    reg: &Registry,
    f: &Feature,
    push: &mut dyn FnMut(&str, Reason),
) {
    let community = |code: &str, push: &mut dyn FnMut(&str, Reason)| {
        if !reg.has_community(code) {
            push(
                "community_code",
                Reason::new(
                    format!("no community has code {code}"),
                    format!("没有代码为 {code} 的社区"),
                ),
            );
        }
    };
    match f {
        Feature::Street(_) => {}
        Feature::Community(c) => {
            if !reg.has_street(&c.street_code) {
                push(
                    "street_code",
                    Reason::new(
                        format!("no street has code {}", c.street_code),
                        format!("没有代码为 {} 的街道", c.street_code),
                    ),
                );
            }
        }
        Feature::Grid(g) => community(&g.community_code, push),
        Feature::Compound(c) => {
            community(&c.community_code, push);
            if let Some(grid) = &c.grid_code {
                check_grid(reg, grid, &c.community_code, push);
            }
        }
        Feature::Building(b) => {
            community(&b.community_code, push);
            if let Some(cid) = b.compound_id {
                check_compound(reg, cid, &b.community_code, push);
            }
            if let Some(grid) = &b.grid_code {
                check_grid(reg, grid, &b.community_code, push);
            }
        }
        Feature::Gate(g) => {
            community(&g.community_code, push);
            if check_compound(reg, g.compound_id, &g.community_code, push) {
                if let Some(polygon) = compound_polygon(snapshot, change, g.compound_id) {
                    let name = reg.named(Layer::Compounds, &g.compound_id.to_string());
                    if let Some(reason) = gate_too_far(g, polygon, &name) {
                        push("geometry", reason);
                    }
                }
            }
        }
        Feature::Way(w) => {
            if let Some(street) = w.street_code.as_deref() {
                if !reg.has_street(street) {
                    push(
                        "street_code",
                        Reason::new(
                            format!("no street has code {street}"),
                            format!("没有代码为 {street} 的街道"),
                        ),
                    );
                }
            }
            if let Some(cid) = w.compound_id {
                if reg.compound(cid).is_none() {
                    push(
                        "compound_id",
                        Reason::new(
                            format!("no compound has id {cid}"),
                            format!("没有编号为 {cid} 的小区"),
                        ),
                    );
                }
            }
        }
        Feature::Station(s) => community(&s.community_code, push),
        Feature::ServiceSpace(s) => {
            community(&s.community_code, push);
            if let Some(sid) = s.station_id {
                if !reg.has_station(sid) {
                    push(
                        "station_id",
                        Reason::new(
                            format!("no station has id {sid}"),
                            format!("没有编号为 {sid} 的站点"),
                        ),
                    );
                }
            }
        }
    }
}

/// Checks that grid `grid` exists after the change and belongs to community `community_code`.
fn check_grid(
    reg: &Registry,
    grid: &str,
    community_code: &str,
    push: &mut dyn FnMut(&str, Reason),
) {
    match reg.grid(grid) {
        None => push(
            "grid_code",
            Reason::new(
                format!("no grid has code {grid}"),
                format!("没有编码为 {grid} 的网格"),
            ),
        ),
        Some((_, gc)) if gc != community_code => push(
            "grid_code",
            Reason::new(
                format!("grid {grid} belongs to community {gc}, not {community_code}"),
                format!(
                    "网格{}属于{}，不属于{}",
                    reg.named(Layer::Grids, grid),
                    reg.named(Layer::Communities, gc),
                    reg.named(Layer::Communities, community_code)
                ),
            ),
        ),
        Some(_) => {}
    }
}

/// Checks that compound `cid` exists after the change and belongs to community
/// `community_code`; true when it does.
fn check_compound(
    reg: &Registry,
    cid: i64,
    community_code: &str,
    push: &mut dyn FnMut(&str, Reason),
) -> bool {
    match reg.compound(cid) {
        None => {
            push(
                "compound_id",
                Reason::new(
                    format!("no compound has id {cid}"),
                    format!("没有编号为 {cid} 的小区"),
                ),
            );
            false
        }
        Some((cc, _)) if cc != community_code => {
            push(
                "compound_id",
                Reason::new(
                    format!("compound {cid} belongs to community {cc}, not {community_code}"),
                    format!(
                        "小区{}属于{}，不属于{}",
                        reg.named(Layer::Compounds, &cid.to_string()),
                        reg.named(Layer::Communities, cc),
                        reg.named(Layer::Communities, community_code)
                    ),
                ),
            );
            false
        }
        Some(_) => true,
    }
}

/// The polygon of compound `id` after the change (written in it, or kept from the snapshot).
fn compound_polygon<'a>(
    snapshot: &'a Snapshot,
    change: &ChangeView<'a>,
    id: i64,
) -> Option<&'a Polygon> {
    let written = change.written.iter().rev().find_map(|f| match f {
        Feature::Compound(c) if c.id == id => Some(&c.geometry),
        _ => None,
    });
    written.or_else(|| {
        let i = snapshot.index(Layer::Compounds).by_id.get(id)?;
        Some(&snapshot.data.compounds.get(i)?.geometry)
    })
}

/// Why a gate lies too far from its compound's polygon, or `None` when it is close enough
/// (ellipsoidal metres, as the analyses measure).
fn gate_too_far(gate: &Gate, polygon: &Polygon, compound_name: &str) -> Option<Reason> {
    let metres = point_to_polygon_m(gate.geometry, polygon);
    let compound = gate.compound_id;
    (metres > GATE_MAX_OFFSET_M).then(|| {
        Reason::new(
            format!(
                "gate lies {metres:.0} m from compound {compound}'s polygon; a gate must lie within {GATE_MAX_OFFSET_M} m of its compound",
            ),
            format!(
                "出入口距小区{compound_name}的边界 {metres:.0} 米；出入口应在所属小区边界 {GATE_MAX_OFFSET_M} 米以内，请把出入口移到小区边上，或改选它所属的小区",
            ),
        )
    })
}

/// A compound whose polygon the change moves must keep its kept gates within reach.
fn check_moved_compounds(snapshot: &Snapshot, change: &ChangeView, problems: &mut Vec<Problem>) {
    let rewritten: HashSet<i64> = change
        .written
        .iter()
        .filter_map(|f| match f {
            Feature::Gate(g) if g.id > 0 => Some(g.id),
            _ => None,
        })
        .collect();
    for (i, f) in change.written.iter().enumerate() {
        let Feature::Compound(c) = f else { continue };
        if c.id <= 0 {
            continue;
        }
        let unchanged = snapshot
            .index(Layer::Compounds)
            .by_id
            .get(c.id)
            .and_then(|k| snapshot.data.compounds.get(k))
            .is_some_and(|old| old.geometry == c.geometry);
        if unchanged {
            continue;
        }
        for gate in snapshot.gates_of(c.id) {
            if rewritten.contains(&gate.id) || change.deleted.contains(&(Layer::Gates, gate.id)) {
                continue;
            }
            let name = format!("{}（{}）", c.name, c.id);
            if let Some(reason) = gate_too_far(gate, &c.geometry, &name) {
                problems.push(
                    Problem::because(
                        "geometry",
                        reason.prefixed(
                            &format!("moving the compound would leave gate {}: ", gate.id),
                            &format!("移动小区后，出入口 {} 将不合要求：", gate.id),
                        ),
                    )
                    .at(Some(i), Some(c.id.to_string())),
                );
            }
        }
    }
}

/// Refuses to delete a feature that something kept still refers to.
fn check_deletions(
    snapshot: &Snapshot,
    change: &ChangeView,
    reg: &Registry,
    problems: &mut Vec<Problem>,
) {
    let d = &snapshot.data;
    let gone: HashSet<(Layer, i64)> = change.deleted.iter().copied().collect();
    let written: HashMap<(Layer, i64), &Feature> = change
        .written
        .iter()
        .filter(|f| f.id() > 0)
        .map(|f| ((f.layer(), f.id()), *f))
        .collect();
    // Every feature after the change: the snapshot's (kept or replaced) plus the new ones.
    let after = |layer: Layer| -> Vec<Feature> {
        let len = d.len(layer);
        let mut v: Vec<Feature> = (0..len)
            .filter_map(|i| d.get(layer, i))
            .filter(|f| !gone.contains(&(layer, f.id())))
            .map(|f| written.get(&(layer, f.id())).map_or(f, |w| (*w).clone()))
            .collect();
        v.extend(
            change
                .written
                .iter()
                .filter(|f| f.layer() == layer && f.id() == 0)
                .map(|f| (*f).clone()),
        );
        v
    };
    let base = change.written.len();
    for (k, &(layer, id)) in change.deleted.iter().enumerate() {
        let at = |reason: Reason| {
            Problem::because("id", reason).at(Some(base + k), Some(id.to_string()))
        };
        let referrers: Vec<(Layer, i64)> = match layer {
            Layer::Streets | Layer::Communities | Layer::Grids => {
                match code_of(snapshot, layer, id) {
                    Some(code) if !reg.holds(layer, &code) => code_referrers(layer, &code, &after),
                    _ => vec![],
                }
            }
            Layer::Compounds => after(Layer::Buildings)
                .iter()
                .chain(&after(Layer::Gates))
                .chain(&after(Layer::Ways))
                .filter(|f| match f {
                    Feature::Building(b) => b.compound_id == Some(id),
                    Feature::Gate(g) => g.compound_id == id,
                    Feature::Way(w) => w.compound_id == Some(id),
                    _ => false,
                })
                .map(|f| (f.layer(), f.id()))
                .collect(),
            Layer::Stations => after(Layer::ServiceSpaces)
                .iter()
                .filter(|f| matches!(f, Feature::ServiceSpace(s) if s.station_id == Some(id)))
                .map(|f| (f.layer(), f.id()))
                .collect(),
            Layer::Buildings | Layer::Gates | Layer::ServiceSpaces | Layer::Ways => vec![],
        };
        if let Some((rl, rid)) = referrers.first() {
            problems.push(at(Reason::new(
                format!(
                    "{layer} {id} is still referred to by {} feature(s), e.g. {rl} {rid}",
                    referrers.len()
                ),
                format!(
                    "{} {id} 仍被 {} 个要素引用，例如{} {rid}：请先删除或改正它们",
                    layer.title_zh(),
                    referrers.len(),
                    rl.title_zh()
                ),
            )));
        }
    }
    // A street, community or grid whose code changes leaves its old code behind: refused while
    // anything kept still names the old code (the referrers must change in the same change).
    for (i, f) in change.written.iter().enumerate() {
        let Some(old) = code_of(snapshot, f.layer(), f.id()) else {
            continue;
        };
        if reg.holds(f.layer(), &old) {
            continue;
        }
        let referrers = code_referrers(f.layer(), &old, &after);
        if let Some((rl, rid)) = referrers.first() {
            problems.push(
                Problem::new(
                    "code",
                    format!(
                        "code {old} of {} {} is still referred to by {} feature(s), e.g. {rl} {rid}; change their codes in the same change, or keep this code",
                        f.layer(),
                        f.id(),
                        referrers.len()
                    ),
                    format!(
                        "{} {} 的原代码 {old} 仍被 {} 个要素引用，例如{} {rid}；请在同一次修改中一并改正它们的代码，或保留原代码",
                        f.layer().title_zh(),
                        f.id(),
                        referrers.len(),
                        rl.title_zh()
                    ),
                )
                .at(Some(i), Some(f.id().to_string())),
            );
        }
    }
}

/// The code of the street, community or grid `id` in the snapshot.
fn code_of(snapshot: &Snapshot, layer: Layer, id: i64) -> Option<String> {
    let i = snapshot.index(layer).by_id.get(id)?;
    match snapshot.data.get(layer, i)? {
        Feature::Street(s) => Some(s.code),
        Feature::Community(c) => Some(c.code),
        Feature::Grid(g) => Some(g.code),
        _ => None,
    }
}

/// The features (after the change) that name a street's, community's or grid's `code`.
fn code_referrers(
    layer: Layer,
    code: &str,
    after: &dyn Fn(Layer) -> Vec<Feature>,
) -> Vec<(Layer, i64)> {
    let (field, layers): (&str, &[Layer]) = match layer {
        Layer::Streets => ("street_code", &[Layer::Communities, Layer::Ways]),
        Layer::Communities => (
            "community_code",
            &[
                Layer::Grids,
                Layer::Compounds,
                Layer::Buildings,
                Layer::Gates,
                Layer::Stations,
                Layer::ServiceSpaces,
            ],
        ),
        Layer::Grids => ("grid_code", &[Layer::Compounds, Layer::Buildings]),
        _ => return vec![],
    };
    layers
        .iter()
        .flat_map(|l| after(*l))
        .filter(|f| f.properties().get(field).and_then(|v| v.as_str()) == Some(code))
        .map(|f| (f.layer(), f.id()))
        .collect()
}

/// Problems of written features that the store's loader would refuse, in feature order.
fn unstorable(written: &[&Feature]) -> Vec<Problem> {
    use rayon::prelude::*;
    written
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, f)| {
            let id = (f.id() > 0).then(|| f.id().to_string());
            f.storable()
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(move |p| p.at(Some(i), id.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use geo_types::{coord, LineString, MultiPolygon, Point, Polygon};

    use super::*;
    use crate::analysis::metric_frame;
    use crate::model::{
        Community, CommunityKind, Compound, CompoundClass, GateKind, PropertyManagement, Street,
    };
    use crate::snapshot::Dataset;

    const ORIGIN: geo_types::Coord = coord! { x: 105.44, y: 28.9 };

    fn at(x: f64, y: f64) -> geo_types::Coord {
        metric_frame(ORIGIN).to_lonlat(coord! { x: x, y: y })
    }

    fn square(x0: f64, y0: f64, side: f64) -> Polygon {
        let ring = [
            (0.0, 0.0),
            (side, 0.0),
            (side, side),
            (0.0, side),
            (0.0, 0.0),
        ]
        .map(|(dx, dy)| at(x0 + dx, y0 + dy));
        Polygon::new(LineString::from(ring.to_vec()), vec![])
    }

    fn gate(id: i64, compound_id: i64, community: &str, x: f64, y: f64) -> Feature {
        Feature::Gate(Gate {
            id,
            version: 1,
            name: Some("北门".into()),
            community_code: community.into(),
            compound_id,
            kind: GateKind::Mixed,
            geometry: Point(at(x, y)),
        })
    }

    /// Two communities; compound 1 (a 100 m square at the origin) in the first, with gate 1 on
    /// its north edge.
    fn snapshot() -> Snapshot {
        let mut d = Dataset::default();
        d.streets.push(Street {
            id: 1,
            version: 1,
            code: "510504003".into(),
            name: "红星街道".into(),
            geometry: MultiPolygon(vec![square(-1000.0, -1000.0, 2000.0)]),
        });
        for (id, code) in [(1, "510504003004"), (2, "510504003005")] {
            d.communities.push(Community {
                id,
                version: 1,
                code: code.into(),
                name: format!("社区{id}"),
                street_code: "510504003".into(),
                kind: CommunityKind::Old,
                residents_groups: 3,
                geometry: MultiPolygon(vec![square(-1000.0, -1000.0, 1000.0)]),
            });
        }
        d.compounds.push(Compound {
            id: 1,
            version: 1,
            name: "试验小区".into(),
            community_code: "510504003004".into(),
            grid_code: None,
            households: 100,
            population: 250,
            elderly: 60,
            build_year: None,
            class: CompoundClass::Old,
            property_management: PropertyManagement::None,
            owners_committee: false,
            competent_unit: false,
            geometry: square(0.0, 0.0, 100.0),
        });
        if let Feature::Gate(g) = gate(1, 1, "510504003004", 50.0, 100.0) {
            d.gates.push(g);
        }
        Snapshot::new(1, d)
    }

    fn problems(snap: &Snapshot, written: &[Feature], deleted: &[(Layer, i64)]) -> Vec<String> {
        let written: Vec<&Feature> = written.iter().collect();
        check(
            snap,
            &ChangeView {
                written: &written,
                deleted,
            },
        )
        .iter()
        .map(ToString::to_string)
        .collect()
    }

    #[test]
    fn a_gate_names_an_existing_compound_of_its_community_within_50_m() {
        let snap = snapshot();
        // 40 m outside the east edge: accepted.
        assert_eq!(
            problems(&snap, &[gate(0, 1, "510504003004", 140.0, 50.0)], &[]),
            Vec::<String>::new()
        );
        let far = problems(&snap, &[gate(0, 1, "510504003004", 180.0, 50.0)], &[]);
        assert_eq!(far.len(), 1, "{far:?}");
        assert!(
            far[0].contains("geometry") && far[0].contains("80 m") && far[0].contains("50 m"),
            "{far:?}"
        );
        let missing = problems(&snap, &[gate(0, 9, "510504003004", 50.0, 0.0)], &[]);
        assert!(
            missing[0].contains("compound_id: no compound has id 9"),
            "{missing:?}"
        );
        let other = problems(&snap, &[gate(0, 1, "510504003005", 50.0, 0.0)], &[]);
        assert!(
            other[0].contains("compound 1 belongs to community 510504003004"),
            "{other:?}"
        );
    }

    #[test]
    fn a_compound_keeps_its_gates_deleting_or_moving_it_away_is_refused() {
        let snap = snapshot();
        let deleted = problems(&snap, &[], &[(Layer::Compounds, 1)]);
        assert!(
            deleted[0].contains("compounds 1 is still referred to by 1 feature(s), e.g. gates 1"),
            "{deleted:?}"
        );
        // Deleting the gate with it is fine.
        assert!(problems(&snap, &[], &[(Layer::Gates, 1), (Layer::Compounds, 1)]).is_empty());
        let Some(Feature::Compound(mut moved)) = snap.feature(Layer::Compounds, 1) else {
            panic!("compound 1");
        };
        moved.geometry = square(500.0, 0.0, 100.0);
        let refused = problems(&snap, &[Feature::Compound(moved.clone())], &[]);
        assert!(
            refused.len() == 1 && refused[0].contains("would leave gate 1"),
            "{refused:?}"
        );
        // Moving its gate along in the same change is fine.
        assert!(problems(
            &snap,
            &[
                Feature::Compound(moved),
                gate(1, 1, "510504003004", 550.0, 100.0)
            ],
            &[]
        )
        .is_empty());
    }
}
