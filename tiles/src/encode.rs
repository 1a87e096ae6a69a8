//! MVT 2.1 encoding of a snapshot's layers for one tile.
//!
//! Each atlas layer becomes one MVT layer named by [`Layer::name`], in drawing order; layers with
//! no feature in the tile are left out, so an empty tile is zero bytes (a valid, layer-less tile).
//! A feature's MVT `id` is its atlas id. Its properties are every stored attribute that is not
//! null, the derived ones (`three_no`, `missing_flags` of compounds; `scattered` of buildings) and
//! `version`, typed: whole numbers as `int_value` (`sint_value` when negative), reals as
//! `double_value`, booleans as `bool_value`, text, codes and enum wire names as `string_value`,
//! and lists (a service space's `services`) as one string of wire names joined by commas.
//! Ways carry `walkable` in place of `no_walking` and leave out `osm_way`.

use std::borrow::Cow;
use std::collections::HashMap;

use engine::{
    Building, Community, Compound, Gate, Grid, Layer, ServiceSpace, Snapshot, Station, Street, Way,
};
use geo_types::{Coord, Geometry, LineString, Polygon};
use prost::Message;

use crate::geometry::{
    quantize_point, write_point, LineEncoder, PolygonEncoder, Projector, Shaping, BUFFER, EXTENT,
};
use crate::layers::{
    aggregate_zoom_range, generalized_zoom_range, major_way, zoom_range, LayerSet,
};
use crate::proto::{self, GeomType};
use crate::TileId;

/// The default size limit of one tile (uncompressed), in bytes.
pub const MAX_TILE_BYTES: usize = 500_000;
/// Side of a building aggregation cell, in tile units (64 × 64 cells per tile).
pub const BUILDING_CELL: u32 = 64;

/// Douglas–Peucker tolerance, in tile units: about one unit at the tile's own zoom.
const TOLERANCE: f64 = 1.0;
/// Polygon parts smaller than this on both sides are dropped, in tile units.
const MIN_SIZE: f64 = 2.0;
/// How much coarser the second try of an oversized tile is.
const COARSER: f64 = 4.0;
/// Rank of points for trimming an oversized tile: kept after every polygon.
const POINT_RANK: f64 = 1e15;

/// Settings of [`encode_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Size limit of the uncompressed tile. An oversized tile is encoded again with four times
    /// the simplification tolerance and minimum size, then, if still too large, its smallest
    /// features (by area in the tile; points last) are left out until it fits.
    pub max_bytes: usize,
}

impl Default for EncodeOptions {
    fn default() -> Self {
        EncodeOptions {
            max_bytes: MAX_TILE_BYTES,
        }
    }
}

/// Encodes `layers` of `snapshot` at `tile` as an uncompressed MVT 2.1 tile (extent 4096,
/// buffer 64), with the default [`EncodeOptions`]. The composite tile is
/// `encode(&snapshot, &Layer::ALL, tile)`.
pub fn encode(snapshot: &Snapshot, layers: &[Layer], tile: TileId) -> Vec<u8> {
    encode_with(
        snapshot,
        LayerSet::of(layers),
        tile,
        &EncodeOptions::default(),
    )
}

/// Encodes a layer set of `snapshot` at `tile` with explicit options.
pub fn encode_with(
    snapshot: &Snapshot,
    layers: LayerSet,
    tile: TileId,
    options: &EncodeOptions,
) -> Vec<u8> {
    let shaping = Shaping {
        tolerance: TOLERANCE,
        min_size: MIN_SIZE,
    };
    let mut built = build(snapshot, layers, tile, shaping);
    let bytes = built.tile.encode_to_vec();
    if bytes.len() <= options.max_bytes {
        return bytes;
    }
    let coarser = Shaping {
        tolerance: TOLERANCE * COARSER,
        min_size: MIN_SIZE * COARSER,
    };
    built = build(snapshot, layers, tile, coarser);
    if built.tile.encoded_len() > options.max_bytes {
        built.trim(options.max_bytes);
    }
    built.tile.encode_to_vec()
}

/// A tile being built, with each feature's rank for trimming (bigger is kept longer).
struct Built {
    tile: proto::Tile,
    ranks: Vec<Vec<f64>>,
}

fn build(snapshot: &Snapshot, layers: LayerSet, tile: TileId, shaping: Shaping) -> Built {
    let projector = Projector::new(tile, shaping.tolerance / 2.0);
    let mut ctx = Ctx {
        projector,
        polygons: PolygonEncoder::new(),
        lines: LineEncoder::new(),
        shaping,
        query: tile.buffered_bounds(f64::from(BUFFER) / f64::from(EXTENT)),
    };
    let z = tile.z();
    let data = &snapshot.data;
    let mut out = Built {
        tile: proto::Tile::default(),
        ranks: Vec::new(),
    };
    for layer in layers.layers() {
        let (min, max) = zoom_range(layer);
        let detailed = (min..=max).contains(&z);
        let aggregated = aggregate_zoom_range(layer).is_some_and(|(a, b)| (a..=b).contains(&z));
        let generalized = generalized_zoom_range(layer).is_some_and(|(a, b)| (a..=b).contains(&z));
        if !detailed && !aggregated && !generalized {
            continue;
        }
        let built = if aggregated {
            building_cells(snapshot, tile, &ctx.projector)
        } else {
            let mut at = snapshot.in_rect(layer, ctx.query);
            if generalized && layer == Layer::Ways {
                at.retain(|&i| data.ways.get(i).is_some_and(major_way));
            }
            match layer {
                Layer::Streets => features(&data.streets, &at, &mut ctx),
                Layer::Communities => features(&data.communities, &at, &mut ctx),
                Layer::Grids => features(&data.grids, &at, &mut ctx),
                Layer::Compounds => features(&data.compounds, &at, &mut ctx),
                Layer::Buildings => features(&data.buildings, &at, &mut ctx),
                Layer::Gates => features(&data.gates, &at, &mut ctx),
                Layer::Stations => features(&data.stations, &at, &mut ctx),
                Layer::ServiceSpaces => features(&data.service_spaces, &at, &mut ctx),
                Layer::Ways => features(&data.ways, &at, &mut ctx),
            }
        };
        if !built.features.is_empty() {
            let (layer, ranks) = built.finish(layer);
            out.tile.layers.push(layer);
            out.ranks.push(ranks);
        }
    }
    out
}

impl Built {
    /// Leaves out the lowest-ranked features until the tile fits in `max_bytes`.
    fn trim(&mut self, max_bytes: usize) {
        loop {
            let size = self.tile.encoded_len();
            if size <= max_bytes {
                return;
            }
            let mut order: Vec<(f64, usize, usize, usize)> = Vec::new();
            for (li, layer) in self.tile.layers.iter().enumerate() {
                for (fi, f) in layer.features.iter().enumerate() {
                    let len = f.encoded_len();
                    order.push((
                        self.ranks[li][fi],
                        li,
                        fi,
                        len + prost::length_delimiter_len(len) + 1,
                    ));
                }
            }
            if order.is_empty() {
                return;
            }
            order.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut excess = size - max_bytes;
            let mut drop: Vec<Vec<bool>> = self
                .tile
                .layers
                .iter()
                .map(|l| vec![false; l.features.len()])
                .collect();
            for (_, li, fi, len) in order {
                drop[li][fi] = true;
                if len >= excess {
                    break;
                }
                excess -= len;
            }
            for (li, layer) in self.tile.layers.iter_mut().enumerate() {
                let mut i = 0;
                layer.features.retain(|_| {
                    i += 1;
                    !drop[li][i - 1]
                });
                let mut i = 0;
                self.ranks[li].retain(|_| {
                    i += 1;
                    !drop[li][i - 1]
                });
                compact_values(layer);
            }
            let keep: Vec<bool> = self
                .tile
                .layers
                .iter()
                .map(|l| !l.features.is_empty())
                .collect();
            let mut i = 0;
            self.tile.layers.retain(|_| {
                i += 1;
                keep[i - 1]
            });
            let mut i = 0;
            self.ranks.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
    }
}

/// Drops the values no feature refers to any more and renumbers the rest.
fn compact_values(layer: &mut proto::Layer) {
    let mut map = vec![u32::MAX; layer.values.len()];
    let mut values = Vec::new();
    for f in &mut layer.features {
        for pair in f.tags.chunks_exact_mut(2) {
            let v = pair[1] as usize;
            if map[v] == u32::MAX {
                map[v] = values.len() as u32;
                values.push(std::mem::take(&mut layer.values[v]));
            }
            pair[1] = map[v];
        }
    }
    layer.values = values;
}

/// Per-tile state shared by the layers.
struct Ctx {
    projector: Projector,
    polygons: PolygonEncoder,
    lines: LineEncoder,
    shaping: Shaping,
    query: geo_types::Rect,
}

/// A typed value as a key of the layer's value table; strings borrow from the snapshot.
#[derive(Debug, PartialEq, Eq, Hash)]
enum ValueKey<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    Double(u64),
    Bool(bool),
}

/// One MVT layer being built: its keys, deduplicated values, features and their ranks.
struct LayerBuilder<'a> {
    keys: &'static [&'static str],
    values: Vec<proto::Value>,
    index: HashMap<ValueKey<'a>, u32>,
    features: Vec<proto::Feature>,
    ranks: Vec<f64>,
}

impl<'a> LayerBuilder<'a> {
    fn new(keys: &'static [&'static str]) -> Self {
        LayerBuilder {
            keys,
            values: Vec::new(),
            index: HashMap::new(),
            features: Vec::new(),
            ranks: Vec::new(),
        }
    }

    fn value(&mut self, key: ValueKey<'a>) -> u32 {
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let value = match &key {
            ValueKey::Str(s) => proto::Value {
                string_value: Some(s.to_string()),
                ..Default::default()
            },
            ValueKey::Int(n) if *n < 0 => proto::Value {
                sint_value: Some(*n),
                ..Default::default()
            },
            ValueKey::Int(n) => proto::Value {
                int_value: Some(*n),
                ..Default::default()
            },
            ValueKey::Double(bits) => proto::Value {
                double_value: Some(f64::from_bits(*bits)),
                ..Default::default()
            },
            ValueKey::Bool(b) => proto::Value {
                bool_value: Some(*b),
                ..Default::default()
            },
        };
        let i = self.values.len() as u32;
        self.values.push(value);
        self.index.insert(key, i);
        i
    }

    fn push(
        &mut self,
        id: Option<u64>,
        kind: GeomType,
        geometry: Vec<u32>,
        tags: Vec<u32>,
        rank: f64,
    ) {
        self.features.push(proto::Feature {
            id,
            tags,
            r#type: Some(kind as i32),
            geometry,
        });
        self.ranks.push(rank);
    }

    fn finish(self, layer: Layer) -> (proto::Layer, Vec<f64>) {
        let l = proto::Layer {
            version: 2,
            name: layer.name().to_owned(),
            features: self.features,
            keys: self.keys.iter().map(|k| (*k).to_owned()).collect(),
            values: self.values,
            extent: Some(EXTENT),
        };
        (l, self.ranks)
    }
}

/// Writes a feature's properties in the order of its layer's keys; a null skips its key.
struct Props<'a, 'b> {
    layer: &'b mut LayerBuilder<'a>,
    tags: Vec<u32>,
    key: u32,
}

impl<'a> Props<'a, '_> {
    fn put(&mut self, v: ValueKey<'a>) {
        let i = self.layer.value(v);
        self.tags.push(self.key);
        self.tags.push(i);
        self.key += 1;
    }
    fn skip(&mut self) {
        self.key += 1;
    }
    fn str(&mut self, v: &'a str) {
        self.put(ValueKey::Str(Cow::Borrowed(v)));
    }
    fn opt_str(&mut self, v: Option<&'a str>) {
        match v {
            Some(v) => self.str(v),
            None => self.skip(),
        }
    }
    fn int(&mut self, v: i64) {
        self.put(ValueKey::Int(v));
    }
    fn opt_int(&mut self, v: Option<i64>) {
        match v {
            Some(v) => self.int(v),
            None => self.skip(),
        }
    }
    fn real(&mut self, v: f64) {
        self.put(ValueKey::Double(v.to_bits()));
    }
    fn opt_real(&mut self, v: Option<f64>) {
        match v {
            Some(v) => self.real(v),
            None => self.skip(),
        }
    }
    fn bool(&mut self, v: bool) {
        self.put(ValueKey::Bool(v));
    }
}

/// The geometry of a feature as the encoder sees it.
enum Shape<'g> {
    Point(Coord),
    Polygons(&'g [Polygon]),
    Lines(&'g [LineString]),
    Unsupported,
}

impl<'g> From<&'g Geometry> for Shape<'g> {
    fn from(g: &'g Geometry) -> Self {
        match g {
            Geometry::Point(p) => Shape::Point(p.0),
            Geometry::Polygon(p) => Shape::Polygons(std::slice::from_ref(p)),
            Geometry::MultiPolygon(m) => Shape::Polygons(&m.0),
            Geometry::LineString(l) => Shape::Lines(std::slice::from_ref(l)),
            Geometry::MultiLineString(m) => Shape::Lines(&m.0),
            _ => Shape::Unsupported,
        }
    }
}

/// A typed atlas feature that can go into a tile.
trait TileFeature {
    /// Property names in the order [`TileFeature::props`] writes them.
    const KEYS: &'static [&'static str];
    fn feature_id(&self) -> i64;
    fn shape(&self) -> Shape<'_>;
    fn props<'a>(&'a self, p: &mut Props<'a, '_>);
}

/// Encodes the features at positions `at` of a layer's vector.
fn features<'a, T: TileFeature>(
    items: &'a engine::snapshot::Shared<T>,
    at: &[usize],
    ctx: &mut Ctx,
) -> LayerBuilder<'a> {
    let mut layer = LayerBuilder::new(T::KEYS);
    let mut geometry = Vec::new();
    for &i in at {
        let Some(f) = items.get(i) else { continue };
        let (kind, rank) = match f.shape() {
            Shape::Point(c) => {
                let Some(p) = quantize_point(ctx.projector.project(c)) else {
                    continue;
                };
                geometry.clear();
                write_point(p, &mut geometry);
                (GeomType::Point, POINT_RANK)
            }
            Shape::Polygons(parts) => {
                match ctx
                    .polygons
                    .encode(parts, &ctx.projector, ctx.shaping, &mut geometry)
                {
                    Some(area) => (GeomType::Polygon, area),
                    None => continue,
                }
            }
            Shape::Lines(parts) => {
                match ctx
                    .lines
                    .encode(parts, &ctx.projector, ctx.shaping, &mut geometry)
                {
                    // Ranked with polygons of the same extent.
                    Some(length) => (GeomType::Linestring, length * length),
                    None => continue,
                }
            }
            Shape::Unsupported => continue,
        };
        let mut props = Props {
            layer: &mut layer,
            tags: Vec::with_capacity(T::KEYS.len() * 2),
            key: 0,
        };
        f.props(&mut props);
        debug_assert_eq!(
            props.key as usize,
            T::KEYS.len(),
            "properties out of step with keys"
        );
        let tags = props.tags;
        let id = u64::try_from(f.feature_id()).ok().filter(|id| *id > 0);
        layer.push(id, kind, std::mem::take(&mut geometry), tags, rank);
    }
    layer
}

const CELL_KEYS: &[&str] = &["count", "households"];

/// Buildings aggregated into points, one per cell of [`BUILDING_CELL`] units that has any:
/// `count` buildings and their `households`, placed at the mean of their bounding-box centres.
/// A building belongs to the tile holding its centre (without buffer), so each is counted once
/// per zoom.
#[allow(clippy::many_single_char_names)]
fn building_cells<'a>(
    snapshot: &'a Snapshot,
    tile: TileId,
    projector: &Projector,
) -> LayerBuilder<'a> {
    #[derive(Clone, Copy, Default)]
    struct Cell {
        count: u32,
        households: i64,
        lon: f64,
        lat: f64,
    }
    let per_side = (EXTENT / BUILDING_CELL) as usize;
    let mut cells = vec![Cell::default(); per_side * per_side];
    let b = tile.bounds();
    let (west, east) = (b.min().x, b.max().x);
    // Latitudes of the cell rows' northern edges and the tile's southern edge, north to south.
    let rows: Vec<f64> = (0..=per_side)
        .map(|r| row_edge(tile, r, per_side))
        .collect();
    let col_scale = per_side as f64 / (east - west);
    let buildings = &snapshot.data.buildings;
    for i in snapshot.index(Layer::Buildings).boxes.candidates(b) {
        let Some(e) = snapshot.data.bbox_at(Layer::Buildings, i) else {
            continue;
        };
        let (lon, lat) = (
            f64::midpoint(e.min().x, e.max().x),
            f64::midpoint(e.min().y, e.max().y),
        );
        if !(west..east).contains(&lon) || lat > rows[0] || lat <= rows[per_side] {
            continue;
        }
        let col = (((lon - west) * col_scale) as usize).min(per_side - 1);
        let row = (rows.partition_point(|edge| *edge >= lat) - 1).min(per_side - 1);
        let Some(building) = buildings.get(i) else {
            continue;
        };
        let cell = &mut cells[row * per_side + col];
        cell.count += 1;
        cell.households += building.households;
        cell.lon += lon;
        cell.lat += lat;
    }
    let mut layer = LayerBuilder::new(CELL_KEYS);
    let max = f64::from(EXTENT) - 1.0;
    for cell in cells.iter().filter(|c| c.count > 0) {
        let n = f64::from(cell.count);
        let [x, y] = projector.project(Coord {
            x: cell.lon / n,
            y: cell.lat / n,
        });
        let p = [
            x.round().clamp(0.0, max) as i32,
            y.round().clamp(0.0, max) as i32,
        ];
        let mut geometry = Vec::with_capacity(3);
        write_point(p, &mut geometry);
        let mut props = Props {
            layer: &mut layer,
            tags: Vec::with_capacity(4),
            key: 0,
        };
        props.int(i64::from(cell.count));
        props.int(cell.households);
        let tags = props.tags;
        layer.push(None, GeomType::Point, geometry, tags, n);
    }
    layer
}

/// Latitude of the northern edge of cell row `r` of `per_side` rows (`r = per_side`: the
/// tile's southern edge).
fn row_edge(tile: TileId, r: usize, per_side: usize) -> f64 {
    let n = f64::from(1u32 << tile.z());
    let y = (f64::from(tile.y()) + r as f64 / per_side as f64) / n;
    (std::f64::consts::PI * (1.0 - 2.0 * y))
        .sinh()
        .atan()
        .to_degrees()
}

impl TileFeature for Street {
    const KEYS: &'static [&'static str] = &["code", "name", "version"];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Polygons(&self.geometry.0)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.code);
        p.str(&self.name);
        p.int(self.version);
    }
}

impl TileFeature for Community {
    const KEYS: &'static [&'static str] = &[
        "code",
        "name",
        "street_code",
        "kind",
        "residents_groups",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Polygons(&self.geometry.0)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.code);
        p.str(&self.name);
        p.str(&self.street_code);
        p.str(self.kind.name());
        p.int(self.residents_groups);
        p.int(self.version);
    }
}

impl TileFeature for Grid {
    const KEYS: &'static [&'static str] = &[
        "code",
        "name",
        "community_code",
        "workers",
        "locked",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Polygons(std::slice::from_ref(&self.geometry))
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.code);
        p.str(&self.name);
        p.str(&self.community_code);
        p.int(self.workers);
        p.bool(self.locked);
        p.int(self.version);
    }
}

impl TileFeature for Compound {
    const KEYS: &'static [&'static str] = &[
        "name",
        "community_code",
        "grid_code",
        "households",
        "population",
        "elderly",
        "build_year",
        "class",
        "property_management",
        "owners_committee",
        "competent_unit",
        "three_no",
        "missing_flags",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Polygons(std::slice::from_ref(&self.geometry))
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.name);
        p.str(&self.community_code);
        p.opt_str(self.grid_code.as_deref());
        p.int(self.households);
        p.int(self.population);
        p.int(self.elderly);
        p.opt_int(self.build_year);
        p.str(self.class.name());
        p.str(self.property_management.name());
        p.bool(self.owners_committee);
        p.bool(self.competent_unit);
        p.bool(self.three_no());
        p.int(i64::from(self.missing_flags()));
        p.int(self.version);
    }
}

impl TileFeature for Building {
    const KEYS: &'static [&'static str] = &[
        "name",
        "community_code",
        "compound_id",
        "grid_code",
        "households",
        "floors",
        "build_year",
        "location_approximate",
        "scattered",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::from(&self.geometry)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.opt_str(self.name.as_deref());
        p.str(&self.community_code);
        p.opt_int(self.compound_id);
        p.opt_str(self.grid_code.as_deref());
        p.int(self.households);
        p.opt_int(self.floors);
        p.opt_int(self.build_year);
        p.bool(self.location_approximate);
        p.bool(self.scattered());
        p.int(self.version);
    }
}

impl TileFeature for Gate {
    const KEYS: &'static [&'static str] =
        &["name", "community_code", "compound_id", "kind", "version"];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.geometry.0)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.opt_str(self.name.as_deref());
        p.str(&self.community_code);
        p.int(self.compound_id);
        p.str(self.kind.name());
        p.int(self.version);
    }
}

impl TileFeature for Station {
    const KEYS: &'static [&'static str] = &[
        "name",
        "kind",
        "community_code",
        "level",
        "floor_area",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Point(self.geometry.0)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.name);
        p.str(self.kind.name());
        p.str(&self.community_code);
        p.str(self.level.name());
        p.opt_real(self.floor_area);
        p.int(self.version);
    }
}

impl TileFeature for ServiceSpace {
    const KEYS: &'static [&'static str] = &[
        "name",
        "community_code",
        "services",
        "floor_area",
        "operating_model",
        "level",
        "station_id",
        "capacity",
        "opening_hours",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::from(&self.geometry)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.str(&self.name);
        p.str(&self.community_code);
        let services: Vec<&str> = self.services.iter().map(|s| s.name()).collect();
        p.put(ValueKey::Str(Cow::Owned(services.join(","))));
        p.real(self.floor_area);
        p.str(self.operating_model.name());
        p.str(self.level.name());
        p.opt_int(self.station_id);
        p.opt_int(self.capacity);
        p.opt_str(self.opening_hours.as_deref());
        p.int(self.version);
    }
}

impl TileFeature for Way {
    const KEYS: &'static [&'static str] = &[
        "name",
        "kind",
        "walkable",
        "bridge",
        "tunnel",
        "compound_id",
        "street_code",
        "version",
    ];
    fn feature_id(&self) -> i64 {
        self.id
    }
    fn shape(&self) -> Shape<'_> {
        Shape::Lines(&self.geometry.0)
    }
    fn props<'a>(&'a self, p: &mut Props<'a, '_>) {
        p.opt_str(self.name.as_deref());
        p.str(self.kind.name());
        p.bool(self.walkable());
        p.bool(self.bridge);
        p.bool(self.tunnel);
        p.opt_int(self.compound_id);
        p.opt_str(self.street_code.as_deref());
        p.int(self.version);
    }
}

/// The property names a layer's individual features carry in tiles, in key order.
pub fn property_names(layer: Layer) -> &'static [&'static str] {
    match layer {
        Layer::Streets => Street::KEYS,
        Layer::Communities => Community::KEYS,
        Layer::Grids => Grid::KEYS,
        Layer::Compounds => Compound::KEYS,
        Layer::Buildings => Building::KEYS,
        Layer::Gates => Gate::KEYS,
        Layer::Stations => Station::KEYS,
        Layer::ServiceSpaces => ServiceSpace::KEYS,
        Layer::Ways => Way::KEYS,
    }
}

/// The property names of aggregated features of a layer (buildings below z15: `count`,
/// `households`), if it is aggregated at some zoom.
pub fn aggregate_property_names(layer: Layer) -> Option<&'static [&'static str]> {
    aggregate_zoom_range(layer).map(|_| CELL_KEYS)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn property_names_are_the_schema_fields_then_derived_then_version() {
        for layer in Layer::ALL {
            let mut expected: Vec<&str> = engine::schema::fields(layer)
                .iter()
                .map(|f| f.name)
                .collect();
            expected.extend(engine::schema::derived_fields(layer).iter().map(|f| f.name));
            expected.push("version");
            if layer == Layer::Ways {
                // `walkable` says what `no_walking` and the kind mean together; `osm_way` is
                // bookkeeping, not for the map.
                expected.retain(|n| !matches!(*n, "no_walking" | "osm_way" | "walkable"));
                expected.insert(2, "walkable");
            }
            assert_eq!(property_names(layer), expected.as_slice(), "{layer}");
        }
    }
}

/// A property value of an overlay feature.
#[derive(Debug, Clone, PartialEq)]
pub enum OverlayValue {
    Int(i64),
    Real(f64),
    Text(String),
    /// Leaves the property out.
    Null,
}

/// One polygon feature of an overlay layer (an analysis result such as the coverage heatmap);
/// `values` follow the layer's keys.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlayFeature<'a> {
    pub id: u64,
    pub polygon: &'a Polygon,
    pub values: Vec<OverlayValue>,
}

/// Encodes one overlay layer named `name` (properties `keys`) at `tile`, with the same clipping,
/// simplification, repair and winding as the atlas layers; features not meeting the buffered tile
/// are left out, and a tile with none is zero bytes.
pub fn encode_overlay(
    name: &str,
    keys: &'static [&'static str],
    features: &[OverlayFeature<'_>],
    tile: TileId,
) -> Vec<u8> {
    use geo::BoundingRect;
    let shaping = Shaping {
        tolerance: TOLERANCE,
        min_size: MIN_SIZE,
    };
    let mut ctx = Ctx {
        projector: Projector::new(tile, shaping.tolerance / 2.0),
        polygons: PolygonEncoder::new(),
        lines: LineEncoder::new(),
        shaping,
        query: tile.buffered_bounds(f64::from(BUFFER) / f64::from(EXTENT)),
    };
    let q = ctx.query;
    let mut layer = LayerBuilder::new(keys);
    let mut geometry = Vec::new();
    for f in features {
        let meets = f.polygon.bounding_rect().is_some_and(|r| {
            r.min().x <= q.max().x
                && q.min().x <= r.max().x
                && r.min().y <= q.max().y
                && q.min().y <= r.max().y
        });
        if !meets {
            continue;
        }
        let Some(area) = ctx.polygons.encode(
            std::slice::from_ref(f.polygon),
            &ctx.projector,
            ctx.shaping,
            &mut geometry,
        ) else {
            continue;
        };
        let mut props = Props {
            layer: &mut layer,
            tags: Vec::with_capacity(keys.len() * 2),
            key: 0,
        };
        for v in &f.values {
            match v {
                OverlayValue::Int(n) => props.int(*n),
                OverlayValue::Real(x) => props.real(*x),
                OverlayValue::Text(s) => props.put(ValueKey::Str(Cow::Owned(s.clone()))),
                OverlayValue::Null => props.skip(),
            }
        }
        let tags = props.tags;
        layer.push(
            Some(f.id),
            GeomType::Polygon,
            std::mem::take(&mut geometry),
            tags,
            area,
        );
    }
    if layer.features.is_empty() {
        return Vec::new();
    }
    let l = proto::Layer {
        version: 2,
        name: name.to_owned(),
        features: layer.features,
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        values: layer.values,
        extent: Some(EXTENT),
    };
    proto::Tile { layers: vec![l] }.encode_to_vec()
}
