//! The immutable in-memory snapshot of the store: every layer with a packed R-tree, a version
//! number, and lookups by id and code. Readers share it through an `Arc`; an edit builds a new
//! snapshot and swaps it in, so readers never block writers.

use std::collections::HashMap;
use std::sync::Arc;

use geo::BoundingRect;
use geo_types::{Geometry, Rect};

use crate::box_index::BoxIndex;
use crate::feature::{DomainFeature, Feature};
use crate::memo::Touched;
use crate::model::{
    Building, Community, Compound, Gate, Grid, Layer, ServiceSpace, Station, Street, Way,
};
pub use crate::shared::Shared;

/// Every feature of the atlas, by layer.
///
/// Each layer is [`Shared`]: a copy of a dataset shares every piece of every layer with it
/// until one is changed, so the snapshot after an edit of a building copies that building's
/// piece alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataset {
    pub streets: Shared<Street>,
    pub communities: Shared<Community>,
    pub grids: Shared<Grid>,
    pub compounds: Shared<Compound>,
    pub buildings: Shared<Building>,
    pub gates: Shared<Gate>,
    pub stations: Shared<Station>,
    pub service_spaces: Shared<ServiceSpace>,
    pub ways: Shared<Way>,
}

impl Dataset {
    /// Adds every feature of `other`, layer by layer (ids are the caller's to keep apart).
    pub fn append(&mut self, other: Dataset) {
        self.streets.extend(other.streets);
        self.communities.extend(other.communities);
        self.grids.extend(other.grids);
        self.compounds.extend(other.compounds);
        self.buildings.extend(other.buildings);
        self.gates.extend(other.gates);
        self.stations.extend(other.stations);
        self.service_spaces.extend(other.service_spaces);
        self.ways.extend(other.ways);
    }

    /// Adds a feature to its layer.
    pub fn push(&mut self, feature: Feature) {
        match feature {
            Feature::Street(f) => self.streets.push(f),
            Feature::Community(f) => self.communities.push(f),
            Feature::Grid(f) => self.grids.push(f),
            Feature::Compound(f) => self.compounds.push(f),
            Feature::Building(f) => self.buildings.push(f),
            Feature::Gate(f) => self.gates.push(f),
            Feature::Station(f) => self.stations.push(f),
            Feature::ServiceSpace(f) => self.service_spaces.push(f),
            Feature::Way(f) => self.ways.push(f),
        }
    }

    /// Replaces the `i`-th feature of the feature's layer.
    pub fn set(&mut self, i: usize, feature: Feature) {
        match feature {
            Feature::Street(f) => self.streets[i] = f,
            Feature::Community(f) => self.communities[i] = f,
            Feature::Grid(f) => self.grids[i] = f,
            Feature::Compound(f) => self.compounds[i] = f,
            Feature::Building(f) => self.buildings[i] = f,
            Feature::Gate(f) => self.gates[i] = f,
            Feature::Station(f) => self.stations[i] = f,
            Feature::ServiceSpace(f) => self.service_spaces[i] = f,
            Feature::Way(f) => self.ways[i] = f,
        }
    }

    /// Keeps the features for which `keep(layer, id)` holds (a layer that loses none stays
    /// shared).
    pub fn retain(&mut self, keep: impl Fn(Layer, i64) -> bool) {
        fn layer<T: DomainFeature>(features: &mut Shared<T>, keep: impl Fn(i64) -> bool) {
            features.retain(|f| keep(f.id()));
        }
        layer(&mut self.streets, |id| keep(Layer::Streets, id));
        layer(&mut self.communities, |id| keep(Layer::Communities, id));
        layer(&mut self.grids, |id| keep(Layer::Grids, id));
        layer(&mut self.compounds, |id| keep(Layer::Compounds, id));
        layer(&mut self.buildings, |id| keep(Layer::Buildings, id));
        layer(&mut self.gates, |id| keep(Layer::Gates, id));
        layer(&mut self.stations, |id| keep(Layer::Stations, id));
        layer(&mut self.service_spaces, |id| {
            keep(Layer::ServiceSpaces, id)
        });
        layer(&mut self.ways, |id| keep(Layer::Ways, id));
    }

    /// Number of features in a layer.
    pub fn len(&self, layer: Layer) -> usize {
        match layer {
            Layer::Streets => self.streets.len(),
            Layer::Communities => self.communities.len(),
            Layer::Grids => self.grids.len(),
            Layer::Compounds => self.compounds.len(),
            Layer::Buildings => self.buildings.len(),
            Layer::Gates => self.gates.len(),
            Layer::Stations => self.stations.len(),
            Layer::ServiceSpaces => self.service_spaces.len(),
            Layer::Ways => self.ways.len(),
        }
    }

    /// Total number of features.
    pub fn total(&self) -> usize {
        Layer::ALL.iter().map(|l| self.len(*l)).sum()
    }

    /// The `i`-th feature of a layer, as a [`Feature`] (cloned).
    pub fn get(&self, layer: Layer, i: usize) -> Option<Feature> {
        Some(match layer {
            Layer::Streets => Feature::Street(self.streets.get(i)?.clone()),
            Layer::Communities => Feature::Community(self.communities.get(i)?.clone()),
            Layer::Grids => Feature::Grid(self.grids.get(i)?.clone()),
            Layer::Compounds => Feature::Compound(self.compounds.get(i)?.clone()),
            Layer::Buildings => Feature::Building(self.buildings.get(i)?.clone()),
            Layer::Gates => Feature::Gate(self.gates.get(i)?.clone()),
            Layer::Stations => Feature::Station(self.stations.get(i)?.clone()),
            Layer::ServiceSpaces => Feature::ServiceSpace(self.service_spaces.get(i)?.clone()),
            Layer::Ways => Feature::Way(self.ways.get(i)?.clone()),
        })
    }

    /// The community code 社区代码 of the `i`-th feature of a layer whose features name one
    /// (grids, compounds, buildings, gates, stations, service spaces), read in place; `None` for
    /// the other layers or past the end.
    pub fn community_code_at(&self, layer: Layer, i: usize) -> Option<&str> {
        Some(match layer {
            Layer::Grids => &self.grids.get(i)?.community_code,
            Layer::Compounds => &self.compounds.get(i)?.community_code,
            Layer::Buildings => &self.buildings.get(i)?.community_code,
            Layer::Gates => &self.gates.get(i)?.community_code,
            Layer::Stations => &self.stations.get(i)?.community_code,
            Layer::ServiceSpaces => &self.service_spaces.get(i)?.community_code,
            Layer::Streets | Layer::Communities | Layer::Ways => return None,
        })
    }

    /// The exact bounding box of the `i`-th feature of a layer, read in place; `None` for an
    /// empty geometry or past the end.
    pub fn bbox_at(&self, layer: Layer, i: usize) -> Option<Rect> {
        match layer {
            Layer::Streets => self.streets.get(i)?.geometry.bounding_rect(),
            Layer::Communities => self.communities.get(i)?.geometry.bounding_rect(),
            Layer::Grids => self.grids.get(i)?.geometry.bounding_rect(),
            Layer::Compounds => self.compounds.get(i)?.geometry.bounding_rect(),
            Layer::Buildings => self.buildings.get(i)?.geometry.bounding_rect(),
            Layer::Gates => Some(self.gates.get(i)?.geometry.bounding_rect()),
            Layer::Stations => Some(self.stations.get(i)?.geometry.bounding_rect()),
            Layer::ServiceSpaces => self.service_spaces.get(i)?.geometry.bounding_rect(),
            Layer::Ways => self.ways.get(i)?.geometry.bounding_rect(),
        }
    }

    /// Every feature of every layer, in layer order.
    pub fn features(&self) -> impl Iterator<Item = Feature> + '_ {
        Layer::ALL
            .into_iter()
            .flat_map(move |l| (0..self.len(l)).filter_map(move |i| self.get(l, i)))
    }
}

/// One layer's indexes.
#[derive(Debug, Default)]
pub struct LayerIndex {
    pub boxes: BoxIndex,
    pub by_id: IdLookup,
}

/// Positions of a layer's features by id: the ids in ascending order, searched by bisection.
/// A layer read from a store is in id order already, so the positions are the order itself
/// and cost nothing (8 bytes a feature, where a hash map took about 35).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IdLookup {
    ids: Vec<i64>,
    /// The position of each id of `ids`; empty when the layer is in id order.
    positions: Vec<u32>,
}

impl IdLookup {
    /// The lookup of ids given in layer order.
    fn build(ids: Vec<i64>) -> IdLookup {
        if ids.windows(2).all(|w| w[0] < w[1]) {
            return IdLookup {
                ids,
                positions: Vec::new(),
            };
        }
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        // Stable, so of two equal ids the later is found last, as a map would keep it.
        order.sort_by_key(|&i| ids[i as usize]);
        IdLookup {
            ids: order.iter().map(|&i| ids[i as usize]).collect(),
            positions: order,
        }
    }

    /// The position of the feature with this id.
    pub fn get(&self, id: i64) -> Option<usize> {
        let found = self.ids.partition_point(|&x| x <= id).checked_sub(1)?;
        if self.ids[found] != id {
            return None;
        }
        Some(if self.positions.is_empty() {
            found
        } else {
            self.positions[found] as usize
        })
    }

    /// Bytes the lookup holds.
    pub fn memory_bytes(&self) -> usize {
        self.ids.capacity() * 8 + self.positions.capacity() * 4
    }

    /// This lookup with features appended at the end of a layer in id order, each id above
    /// every id before (how new features get their ids); `None` otherwise.
    fn with_appended(&self, appended: &[(i64, usize)]) -> Option<IdLookup> {
        let mut last = self.ids.last().copied().unwrap_or(i64::MIN);
        let mut ids = self.ids.clone();
        for &(id, position) in appended {
            if id <= last || !self.positions.is_empty() || position != ids.len() {
                return None;
            }
            ids.push(id);
            last = id;
        }
        Some(IdLookup {
            ids,
            positions: Vec::new(),
        })
    }

    /// Whether a feature has this id.
    pub fn contains(&self, id: i64) -> bool {
        self.get(id).is_some()
    }
}

/// A layer's features given new boxes by an edit: `(position, old box, new box)`, and the
/// features appended as `(id, position)`.
#[derive(Debug, Default)]
struct Reboxed {
    boxes: Vec<(usize, Option<Rect>, Option<Rect>)>,
    appended: Vec<(i64, usize)>,
}

impl LayerIndex {
    /// This layer's indexes after `reboxed`: the packed tree kept with the new boxes beside it
    /// ([`BoxIndex::with_moved`]) when it can be, else the layer indexed again.
    fn updated(&self, data: &Dataset, layer: Layer, reboxed: &Reboxed) -> LayerIndex {
        let by_id = if reboxed.appended.is_empty() {
            Some(self.by_id.clone())
        } else {
            self.by_id.with_appended(&reboxed.appended)
        };
        match (self.boxes.with_moved(&reboxed.boxes), by_id) {
            (Some(boxes), Some(by_id)) => LayerIndex { boxes, by_id },
            _ => LayerIndex::of(data, layer),
        }
    }

    /// The indexes of one layer of a dataset.
    fn of(data: &Dataset, layer: Layer) -> Self {
        match layer {
            Layer::Streets => LayerIndex::build(&data.streets),
            Layer::Communities => LayerIndex::build(&data.communities),
            Layer::Grids => LayerIndex::build(&data.grids),
            Layer::Compounds => LayerIndex::build(&data.compounds),
            Layer::Buildings => LayerIndex::build(&data.buildings),
            Layer::Gates => LayerIndex::build(&data.gates),
            Layer::Stations => LayerIndex::build(&data.stations),
            Layer::ServiceSpaces => LayerIndex::build(&data.service_spaces),
            Layer::Ways => LayerIndex::build(&data.ways),
        }
    }

    fn build<T: DomainFeature>(items: &Shared<T>) -> Self {
        let boxes: Vec<Option<Rect>> = items.iter().map(|f| bbox(&f.geometry())).collect();
        LayerIndex {
            boxes: BoxIndex::build(&boxes),
            by_id: IdLookup::build(items.iter().map(DomainFeature::id).collect()),
        }
    }
}

fn bbox(g: &Geometry) -> Option<Rect> {
    g.bounding_rect()
}

/// Whether two rectangles share a point (edges included).
fn meets(a: Rect, b: Rect) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// A stored row the loader could not read (a GeoPackage edited by hand, an older version):
/// kept untouched in the store, left out of the snapshot and reported until a write repairs or
/// deletes its feature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unreadable {
    pub layer: Layer,
    pub id: i64,
    /// The stored version, when that much of the row could be read.
    pub version: Option<i64>,
    /// The field at fault (the first one, when several are), when the reason names one.
    pub field: Option<String>,
    /// Every problem found, naming the field.
    pub reason: String,
    /// The same in Chinese (原因), for the admin's 数据问题 panel.
    pub reason_zh: String,
}

/// The atlas at one version, with a packed R-tree and id lookup per layer.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The store's data version this snapshot reflects; grows with every committed write.
    pub version: i64,
    pub data: Dataset,
    /// Shared with the snapshot before an edit for every layer whose positions and boxes the
    /// edit left alone (a renamed building does not rebuild the buildings' R-tree).
    indexes: HashMap<Layer, Arc<LayerIndex>>,
    /// Shared, like the lookups below, with the snapshot before an edit that left the layer
    /// alone.
    community_by_code: Arc<HashMap<String, usize>>,
    grid_by_code: Arc<HashMap<String, usize>>,
    /// Positions of each compound's gates in the gates layer, by compound id.
    gates_by_compound: Arc<HashMap<i64, Vec<usize>>>,
    /// Stored rows left out because they could not be read.
    pub unreadable: Vec<Unreadable>,
    /// Results derived from this snapshot (coverage, planning contexts, heatmaps).
    pub memo: crate::memo::Memo,
}

impl Snapshot {
    /// Indexes a dataset at a version.
    pub fn new(version: i64, data: Dataset) -> Self {
        let indexes = Layer::ALL
            .into_iter()
            .map(|l| (l, Arc::new(LayerIndex::of(&data, l))))
            .collect();
        Snapshot::with_indexes(version, data, indexes, None)
    }

    /// A snapshot of `data` with its layers' indexes already built, and the lookups by code:
    /// those of `before` for the layers it shares with `data`, the others built.
    fn with_indexes(
        version: i64,
        data: Dataset,
        indexes: HashMap<Layer, Arc<LayerIndex>>,
        before: Option<&Snapshot>,
    ) -> Self {
        fn kept_or<T, L>(
            before: Option<(&Shared<T>, &Arc<L>)>,
            layer: &Shared<T>,
            build: impl FnOnce() -> L,
        ) -> Arc<L> {
            match before {
                Some((was, lookup)) if was.same(layer) => Arc::clone(lookup),
                _ => Arc::new(build()),
            }
        }
        let community_by_code = kept_or(
            before.map(|b| (&b.data.communities, &b.community_by_code)),
            &data.communities,
            || {
                (data.communities.iter().enumerate())
                    .map(|(i, c)| (c.code.clone(), i))
                    .collect()
            },
        );
        let grid_by_code = kept_or(
            before.map(|b| (&b.data.grids, &b.grid_by_code)),
            &data.grids,
            || {
                (data.grids.iter().enumerate())
                    .map(|(i, g)| (g.code.clone(), i))
                    .collect()
            },
        );
        let gates_by_compound = kept_or(
            before.map(|b| (&b.data.gates, &b.gates_by_compound)),
            &data.gates,
            || {
                let mut by: HashMap<i64, Vec<usize>> = HashMap::new();
                for (i, g) in data.gates.iter().enumerate() {
                    by.entry(g.compound_id).or_default().push(i);
                }
                by
            },
        );
        Snapshot {
            version,
            data,
            indexes,
            community_by_code,
            grid_by_code,
            gates_by_compound,
            unreadable: Vec::new(),
            memo: crate::memo::Memo::default(),
        }
    }

    /// The snapshot with the stored rows that could not be read, for reporting.
    #[must_use]
    pub fn with_unreadable(mut self, unreadable: Vec<Unreadable>) -> Self {
        self.unreadable = unreadable;
        self
    }

    /// The unreadable row of a feature, if its stored row could not be read.
    pub fn unreadable(&self, layer: Layer, id: i64) -> Option<&Unreadable> {
        self.unreadable
            .iter()
            .find(|u| u.layer == layer && u.id == id)
    }

    /// The packed R-tree and id lookup of a layer.
    pub fn index(&self, layer: Layer) -> &LayerIndex {
        static EMPTY: std::sync::OnceLock<LayerIndex> = std::sync::OnceLock::new();
        self.indexes
            .get(&layer)
            .map_or_else(|| EMPTY.get_or_init(LayerIndex::default), |i| i)
    }

    /// The exact box around every feature of `layers`; `None` when they are all empty.
    pub fn extent(&self, layers: &[Layer]) -> Option<Rect> {
        layers
            .iter()
            .filter_map(|&l| self.index(l).boxes.extent())
            .reduce(crate::box_index::union)
    }

    /// Positions (in the layer's vector) of the features whose bounding boxes meet `rect`, in
    /// order: the index's candidates, decided on each one's exact box.
    pub fn in_rect(&self, layer: Layer, rect: Rect) -> Vec<usize> {
        let mut hits = self.index(layer).boxes.candidates(rect);
        hits.retain(|&i| self.data.bbox_at(layer, i).is_some_and(|b| meets(b, rect)));
        hits.sort_unstable();
        hits
    }

    /// A feature by layer and id.
    pub fn feature(&self, layer: Layer, id: i64) -> Option<Feature> {
        let i = self.index(layer).by_id.get(id)?;
        self.data.get(layer, i)
    }

    /// A community by its 12-digit code.
    pub fn community(&self, code: &str) -> Option<&Community> {
        self.community_by_code
            .get(code)
            .map(|&i| &self.data.communities[i])
    }

    /// The snapshot after committed changes: features written replace those with the same id
    /// (or are appended), deleted ones are removed; the indexes of a layer with deletions are
    /// built again, those of a layer whose boxes changed are updated. It starts with the derived results that read nothing the changes
    /// touched ([`crate::memo::Memo::carried`]).
    #[must_use]
    pub fn with_changes(
        &self,
        version: i64,
        written: &[Feature],
        deleted: &[(Layer, i64)],
    ) -> Snapshot {
        let mut data = self.data.clone();
        let mut appended: HashMap<(Layer, i64), usize> = HashMap::new();
        // Layers whose features moved in their vector are indexed again; those whose features
        // changed their box or were appended have their indexes updated; every other layer
        // keeps its own.
        let reindexed: std::collections::HashSet<Layer> = deleted.iter().map(|(l, _)| *l).collect();
        let mut reboxed: HashMap<Layer, Reboxed> = HashMap::new();
        let mut touched = Touched::default();
        for &(layer, id) in deleted {
            touched.feature(layer, id, true);
            touched.reorder(layer);
            if let Some(Feature::Gate(g)) = (layer == Layer::Gates)
                .then(|| self.feature(layer, id))
                .flatten()
            {
                touched.gate_of(g.compound_id);
            }
        }
        for f in written {
            let layer = f.layer();
            let slot = self
                .index(layer)
                .by_id
                .get(f.id())
                .or_else(|| appended.get(&(layer, f.id())).copied());
            match slot {
                Some(i) => {
                    let new = appended.contains_key(&(layer, f.id()));
                    let old = data.get(layer, i);
                    let in_place = !new && old.as_ref().is_some_and(|old| old.same_place(f));
                    if !in_place {
                        if let (Some(Feature::Building(a)), Feature::Building(b)) = (&old, f) {
                            if a.scattered() != b.scattered() {
                                touched.reorder(layer);
                            }
                        }
                        for g in [old.as_ref(), Some(f)] {
                            if let Some(Feature::Gate(g)) = g {
                                touched.gate_of(g.compound_id);
                            }
                        }
                        // In its place it has its box; moved, it may still have it.
                        let (before, after) =
                            (old.and_then(|o| bbox(&o.geometry())), bbox(&f.geometry()));
                        if before != after {
                            let layer_boxes = &mut reboxed.entry(layer).or_default().boxes;
                            layer_boxes.push((i, if new { None } else { before }, after));
                        }
                    }
                    touched.feature(layer, f.id(), !in_place);
                    data.set(i, f.clone());
                }
                None => {
                    let at = data.len(layer);
                    appended.insert((layer, f.id()), at);
                    let r = reboxed.entry(layer).or_default();
                    r.boxes.push((at, None, bbox(&f.geometry())));
                    r.appended.push((f.id(), at));
                    touched.feature(layer, f.id(), true);
                    touched.reorder(layer);
                    if let Feature::Gate(g) = f {
                        touched.gate_of(g.compound_id);
                    }
                    data.push(f.clone());
                }
            }
        }
        if !deleted.is_empty() {
            let gone: std::collections::HashSet<(Layer, i64)> = deleted.iter().copied().collect();
            data.retain(|layer, id| !gone.contains(&(layer, id)));
        }
        let indexes = Layer::ALL
            .into_iter()
            .map(|l| {
                let index = match (self.indexes.get(&l), reboxed.get(&l)) {
                    _ if reindexed.contains(&l) => Arc::new(LayerIndex::of(&data, l)),
                    (Some(kept), None) => Arc::clone(kept),
                    (Some(kept), Some(r)) => Arc::new(kept.updated(&data, l, r)),
                    (None, _) => Arc::new(LayerIndex::of(&data, l)),
                };
                (l, index)
            })
            .collect();
        let repaired = |u: &Unreadable| {
            written
                .iter()
                .any(|f| f.layer() == u.layer && f.id() == u.id)
                || deleted.contains(&(u.layer, u.id))
        };
        let unreadable = self
            .unreadable
            .iter()
            .filter(|u| !repaired(u))
            .cloned()
            .collect();
        let mut next =
            Snapshot::with_indexes(version, data, indexes, Some(self)).with_unreadable(unreadable);
        next.memo = self.memo.carried(touched);
        next
    }

    /// The gates 小区出入口 of a compound, in snapshot order (empty when it has none).
    pub fn gates_of(&self, compound_id: i64) -> impl Iterator<Item = &Gate> + '_ {
        self.gates_by_compound
            .get(&compound_id)
            .into_iter()
            .flatten()
            .map(|&i| &self.data.gates[i])
    }

    /// A grid by its code.
    pub fn grid(&self, code: &str) -> Option<&Grid> {
        self.grid_by_code.get(code).map(|&i| &self.data.grids[i])
    }

    /// A compound by its id.
    pub fn compound(&self, id: i64) -> Option<&Compound> {
        let i = self.index(Layer::Compounds).by_id.get(id)?;
        self.data.compounds.get(i)
    }

    /// A building by its id.
    pub fn building(&self, id: i64) -> Option<&Building> {
        let i = self.index(Layer::Buildings).by_id.get(id)?;
        self.data.buildings.get(i)
    }

    /// Whether a service space with this id exists.
    pub fn has_service_space(&self, id: i64) -> bool {
        self.index(Layer::ServiceSpaces).by_id.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FacilityLevel, StationKind};
    use geo_types::{point, Point};
    use rand::{Rng, SeedableRng};

    fn station(id: i64, p: Point) -> Station {
        Station {
            id,
            version: 1,
            name: format!("站点{id}"),
            kind: StationKind::GridPost,
            community_code: "510504003004".into(),
            level: FacilityLevel::Community,
            floor_area: None,
            geometry: p,
        }
    }

    #[test]
    fn rect_query_equals_brute_force_on_random_points() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut data = Dataset::default();
        for id in 1..=2000 {
            data.stations.push(station(
                id,
                point! { x: rng.random_range(105.3..105.6), y: rng.random_range(28.8..29.0) },
            ));
        }
        let snap = Snapshot::new(3, data);
        for _ in 0..50 {
            let (x, y) = (rng.random_range(105.3..105.6), rng.random_range(28.8..29.0));
            let rect = Rect::new((x, y), (x + 0.03, y + 0.02));
            let fast = snap.in_rect(Layer::Stations, rect);
            let brute: Vec<usize> = snap
                .data
                .stations
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    rect.min().x <= s.geometry.x()
                        && s.geometry.x() <= rect.max().x
                        && rect.min().y <= s.geometry.y()
                        && s.geometry.y() <= rect.max().y
                })
                .map(|(i, _)| i)
                .collect();
            assert_eq!(fast, brute);
        }
        assert_eq!(snap.feature(Layer::Stations, 17).map(|f| f.id()), Some(17));
        assert!(snap.feature(Layer::Stations, 99_999).is_none());
    }

    #[test]
    fn the_id_lookup_finds_what_a_map_finds_in_order_or_not() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let in_order: Vec<i64> = (1..=300).map(|i| i * 3).collect();
        let mut shuffled = in_order.clone();
        shuffled.swap(10, 200);
        shuffled.push(5); // added after a load, below the largest
        for ids in [in_order, shuffled, Vec::new()] {
            let lookup = IdLookup::build(ids.clone());
            let map: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, &id)| (id, i)).collect();
            for _ in 0..2_000 {
                let id = rng.random_range(-5..1_000);
                assert_eq!(lookup.get(id), map.get(&id).copied(), "id {id}");
            }
            for (i, &id) in ids.iter().enumerate() {
                assert_eq!(lookup.get(id), Some(i));
            }
        }
    }

    /// Every station a rectangle query finds, by id, sorted.
    fn found(snap: &Snapshot, rect: Rect) -> Vec<i64> {
        let mut ids: Vec<i64> = snap
            .in_rect(Layer::Stations, rect)
            .into_iter()
            .map(|i| snap.data.stations[i].id)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn an_edit_keeps_or_rebuilds_each_layers_index_and_answers_as_a_fresh_snapshot() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut data = Dataset::default();
        for id in 1..=500 {
            data.stations.push(station(
                id,
                point! { x: rng.random_range(105.3..105.6), y: rng.random_range(28.8..29.0) },
            ));
        }
        let before = Snapshot::new(1, data);
        let shared = |a: &Snapshot, b: &Snapshot| {
            Arc::ptr_eq(&a.indexes[&Layer::Stations], &b.indexes[&Layer::Stations])
        };
        // A rename keeps the stations' index.
        let mut renamed = before.data.stations[4].clone();
        renamed.name = "改名站点".into();
        let after = before.with_changes(2, &[Feature::Station(renamed)], &[]);
        assert!(shared(&before, &after));
        assert_eq!(after.data.stations[4].name, "改名站点");
        // The edited layer is a copy (the snapshot before is unchanged); every other layer is
        // the same one, not a copy.
        assert_eq!(before.data.stations[4].name, "站点5");
        assert!(!after.data.stations.same(&before.data.stations));
        assert!(after.data.buildings.same(&before.data.buildings));
        assert!(after.data.ways.same(&before.data.ways));
        // A move, a new station and a deletion rebuild it; every query answers as a snapshot
        // built from scratch.
        let mut moved = before.data.stations[9].clone();
        moved.geometry = point! { x: 105.45, y: 28.9 };
        let added = station(1_000, point! { x: 105.46, y: 28.91 });
        for (written, deleted) in [
            (vec![Feature::Station(moved)], vec![]),
            (vec![Feature::Station(added)], vec![]),
            (vec![], vec![(Layer::Stations, 3)]),
        ] {
            let after = before.with_changes(2, &written, &deleted);
            assert!(!shared(&before, &after));
            assert!(
                after.data.compounds.same(&before.data.compounds),
                "a deletion of a station copies no other layer"
            );
            let fresh = Snapshot::new(2, after.data.clone());
            for _ in 0..30 {
                let (x, y) = (rng.random_range(105.3..105.6), rng.random_range(28.8..29.0));
                let rect = Rect::new((x, y), (x + 0.05, y + 0.04));
                assert_eq!(found(&after, rect), found(&fresh, rect));
            }
            assert_eq!(
                after.index(Layer::Stations).by_id,
                fresh.index(Layer::Stations).by_id
            );
        }
    }
}
