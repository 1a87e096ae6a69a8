//! The walking graph: way polylines turned into compact arrays.
//!
//! - Nodes: one per distinct vertex of the walkable ways. Vertices are one node when they lie
//!   within [`MERGE_DEG`] of each other in both longitude and latitude: exactly equal
//!   coordinates in particular, as OSM ways share nodes, and also the floating-point noise of
//!   lines drawn by hand or converted (`GeoJSON` or Shapefile lines, a Gauss-Krüger survey) whose ends
//!   were snapped together. The tolerance is half of OSM's coordinate step (10⁻⁷°), so
//!   distinct OSM nodes stay distinct. A vertex joins a node already within the tolerance
//!   (when several are, the one in its own grid cell first, so the outcome depends only on the
//!   input order: ways in order, vertices along each); merges are not chained.
//!   Ways crossing without a shared vertex (a bridge over a road) do not meet.
//! - Edges: one per straight segment between consecutive vertices of a walkable way, with its
//!   ellipsoidal length in metres ([`metres`]) and the way it belongs to. A segment whose ends
//!   fell on one node is dropped. Walking ignores one-way rules, so the graph is undirected:
//!   each edge is two half-edges in the adjacency arrays.
//! - Adjacency in CSR form: the half-edges leaving node `n` are `offsets[n]..offsets[n + 1]` of
//!   `targets` and `lengths`.
//!
//! Ways that are not walkable are left out entirely.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use geo_types::{Coord, LineString};
use rayon::prelude::*;

use super::metres;

/// Vertices within this many degrees of a node, in both longitude and latitude, are that node
/// (about 5 mm; half of OSM's 10⁻⁷° coordinate step).
pub const MERGE_DEG: f64 = 5e-8;

/// A way as the graph takes it: a footway, lane, street or compound path 小区内部道路.
#[derive(Debug, Clone, PartialEq)]
pub struct WayInput {
    /// The way's id (the OSM way id for OpenStreetMap data).
    pub id: i64,
    /// The way's line, WGS84 lon/lat.
    pub geometry: LineString<f64>,
    /// Whether pedestrians may walk it; ways that are not walkable are left out of the graph.
    pub walkable: bool,
}

impl Graph {
    /// The graph of the atlas's ways: each part of each way an input, walkable as the way is.
    pub fn of_ways<'a>(ways: impl IntoIterator<Item = &'a crate::model::Way>) -> Graph {
        let inputs: Vec<WayInput> = ways
            .into_iter()
            .flat_map(|w| {
                w.geometry.0.iter().map(|part| WayInput {
                    id: w.id,
                    geometry: part.clone(),
                    walkable: w.walkable(),
                })
            })
            .collect();
        Graph::build(&inputs)
    }
}

/// The nodes renumbered along a Z-order (Morton) curve of their positions, and the edges with
/// them: nodes near on the ground are near in memory, so a search touches a few cache lines
/// where input order scattered it over the arrays (about twice as fast on a city's graph). Ties
/// keep the input order, so the numbering depends only on the input.
fn in_space_order(
    coords: Vec<Coord>,
    mut edge_nodes: Vec<[u32; 2]>,
) -> (Vec<Coord>, Vec<[u32; 2]>) {
    let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for c in &coords {
        min = [min[0].min(c.x), min[1].min(c.y)];
        max = [max[0].max(c.x), max[1].max(c.y)];
    }
    let scale = |v: f64, lo: f64, hi: f64| -> u32 {
        if hi > lo {
            ((v - lo) / (hi - lo) * f64::from(u16::MAX)) as u32
        } else {
            0
        }
    };
    // Interleaves the bits of two 16-bit numbers.
    let spread = |mut v: u32| -> u32 {
        v &= 0xFFFF;
        v = (v | (v << 8)) & 0x00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333;
        (v | (v << 1)) & 0x5555_5555
    };
    let mut order: Vec<u32> = (0..coords.len() as u32).collect();
    let keys: Vec<u32> = coords
        .iter()
        .map(|c| spread(scale(c.x, min[0], max[0])) | (spread(scale(c.y, min[1], max[1])) << 1))
        .collect();
    order.sort_by_key(|&i| (keys[i as usize], i));
    let mut rank = vec![0u32; coords.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old as usize] = new as u32;
    }
    for e in &mut edge_nodes {
        *e = [rank[e[0] as usize], rank[e[1] as usize]];
    }
    let coords = order.iter().map(|&old| coords[old as usize]).collect();
    (coords, edge_nodes)
}

/// What a build took and left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildReport {
    /// Walkable ways that gave at least one edge.
    pub ways: usize,
    /// Ways left out as not walkable.
    pub not_walkable: usize,
    /// Walkable ways without a segment of positive length (fewer than two distinct vertices,
    /// or a coordinate that is not a number).
    pub degenerate: usize,
    /// Vertices that joined a node at a different position within [`MERGE_DEG`] (not exactly
    /// equal coordinates).
    pub near_merges: usize,
}

/// The walking graph in compact arrays (CSR); see the [module](self) for what a node and an
/// edge are.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Node positions, lon/lat.
    coords: Vec<Coord>,
    /// `n + 1` offsets into the half-edge arrays.
    offsets: Vec<u32>,
    /// Each half-edge's target node.
    targets: Vec<u32>,
    /// Each half-edge's length, metres.
    lengths: Vec<f64>,
    /// Each edge's nodes, in the way's direction.
    edge_nodes: Vec<[u32; 2]>,
    /// Each edge's length, metres.
    edge_lengths: Vec<f64>,
    /// Each edge's way, as a position in `way_ids`.
    edge_ways: Vec<u32>,
    /// The ids of the ways that gave edges.
    way_ids: Vec<i64>,
    report: BuildReport,
}

impl Graph {
    /// Builds the graph of the walkable ways. Lengths are computed in parallel.
    pub fn build(ways: &[WayInput]) -> Graph {
        let mut nodes = NodeMerger::default();
        let mut edge_nodes: Vec<[u32; 2]> = Vec::new();
        let mut edge_ways: Vec<u32> = Vec::new();
        let mut way_ids: Vec<i64> = Vec::new();
        let mut report = BuildReport::default();
        for way in ways {
            if !way.walkable {
                report.not_walkable += 1;
                continue;
            }
            let before = edge_nodes.len();
            let way_index = way_ids.len() as u32;
            let mut previous: Option<u32> = None;
            for &c in &way.geometry.0 {
                if !(c.x.is_finite() && c.y.is_finite()) {
                    // A hole in the line: the way resumes at its next valid vertex.
                    previous = None;
                    continue;
                }
                let node = nodes.node(c);
                if let Some(p) = previous.filter(|&p| p != node) {
                    edge_nodes.push([p, node]);
                    edge_ways.push(way_index);
                }
                previous = Some(node);
            }
            if edge_nodes.len() > before {
                way_ids.push(way.id);
                report.ways += 1;
            } else {
                report.degenerate += 1;
            }
        }
        report.near_merges = nodes.near_merges;
        let (coords, edge_nodes) = in_space_order(nodes.coords, edge_nodes);
        let edge_lengths: Vec<f64> = edge_nodes
            .par_iter()
            .map(|&[a, b]| metres(coords[a as usize], coords[b as usize]))
            .collect();
        let (offsets, targets, lengths) = adjacency(coords.len(), &edge_nodes, &edge_lengths);
        Graph {
            coords,
            offsets,
            targets,
            lengths,
            edge_nodes,
            edge_lengths,
            edge_ways,
            way_ids,
            report,
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// Number of edges (segments; each is two half-edges).
    pub fn edge_count(&self) -> usize {
        self.edge_nodes.len()
    }

    /// A node's position, lon/lat.
    pub fn coord(&self, node: u32) -> Coord {
        self.coords[node as usize]
    }

    /// Every node's position, lon/lat.
    pub fn coords(&self) -> &[Coord] {
        &self.coords
    }

    /// The CSR offsets: node `n`'s half-edges are `offsets[n]..offsets[n + 1]`.
    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// Each half-edge's target node.
    pub fn targets(&self) -> &[u32] {
        &self.targets
    }

    /// Each half-edge's length, metres.
    pub fn lengths(&self) -> &[f64] {
        &self.lengths
    }

    /// The neighbours of a node with the length of the edge to each (parallel edges repeat).
    pub fn neighbours(&self, node: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize;
        self.targets[range.clone()]
            .iter()
            .copied()
            .zip(self.lengths[range].iter().copied())
    }

    /// An edge's two nodes, in its way's direction.
    pub fn edge_nodes(&self, edge: u32) -> [u32; 2] {
        self.edge_nodes[edge as usize]
    }

    /// An edge's length, metres.
    pub fn edge_length(&self, edge: u32) -> f64 {
        self.edge_lengths[edge as usize]
    }

    /// The id of the way an edge belongs to.
    pub fn edge_way(&self, edge: u32) -> i64 {
        self.way_ids[self.edge_ways[edge as usize] as usize]
    }

    /// What the build took and left out.
    pub fn report(&self) -> BuildReport {
        self.report
    }

    /// Bytes held by the graph's arrays (capacity, not counting the struct itself).
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.coords.capacity() * size_of::<Coord>()
            + self.offsets.capacity() * size_of::<u32>()
            + self.targets.capacity() * size_of::<u32>()
            + self.lengths.capacity() * size_of::<f64>()
            + self.edge_nodes.capacity() * size_of::<[u32; 2]>()
            + self.edge_lengths.capacity() * size_of::<f64>()
            + self.edge_ways.capacity() * size_of::<u32>()
            + self.way_ids.capacity() * size_of::<i64>()
    }
}

/// The CSR arrays of an undirected edge list: offsets, targets and lengths, each edge once from
/// either end (in edge order within a node).
fn adjacency(nodes: usize, edges: &[[u32; 2]], lengths: &[f64]) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let mut offsets = vec![0u32; nodes + 1];
    for &[a, b] in edges {
        offsets[a as usize + 1] += 1;
        offsets[b as usize + 1] += 1;
    }
    for i in 0..nodes {
        offsets[i + 1] += offsets[i];
    }
    let half_edges = offsets[nodes] as usize;
    let mut next: Vec<u32> = offsets[..nodes].to_vec();
    let mut targets = vec![0u32; half_edges];
    let mut out_lengths = vec![0.0f64; half_edges];
    for (&[a, b], &len) in edges.iter().zip(lengths) {
        for (from, to) in [(a, b), (b, a)] {
            let slot = next[from as usize] as usize;
            targets[slot] = to;
            out_lengths[slot] = len;
            next[from as usize] += 1;
        }
    }
    (offsets, targets, out_lengths)
}

/// Gives each vertex its node: a hash grid of [`MERGE_DEG`] cells holding at most one node each
/// (two nodes in one cell would be within the tolerance of each other).
#[derive(Default)]
struct NodeMerger {
    cells: HashMap<(i64, i64), u32, BuildHasherDefault<CellHasher>>,
    coords: Vec<Coord>,
    near_merges: usize,
}

impl NodeMerger {
    fn node(&mut self, c: Coord) -> u32 {
        let cell = (
            (c.x / MERGE_DEG).floor() as i64,
            (c.y / MERGE_DEG).floor() as i64,
        );
        if let Some(&n) = self.cells.get(&cell) {
            if self.coords[n as usize] != c {
                self.near_merges += 1;
            }
            return n;
        }
        for dx in -1..=1 {
            for dy in -1..=1 {
                let Some(&n) = self.cells.get(&(cell.0 + dx, cell.1 + dy)) else {
                    continue;
                };
                let at = self.coords[n as usize];
                if (at.x - c.x).abs() <= MERGE_DEG && (at.y - c.y).abs() <= MERGE_DEG {
                    self.near_merges += 1;
                    return n;
                }
            }
        }
        let n = self.coords.len() as u32;
        self.coords.push(c);
        self.cells.insert(cell, n);
        n
    }
}

/// A fast hasher for grid cells (the multiply-rotate of rustc's `FxHasher`); the keys are not
/// chosen by an adversary.
#[derive(Default)]
struct CellHasher(u64);

impl Hasher for CellHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_i64(&mut self, v: i64) {
        self.write_u64(v as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
