//! Shortest walks over the graph: multi-source Dijkstra (binary heap) from joined sources.
//!
//! - All facilities of a service type as sources at once give every node its distance to the
//!   nearest one and which one it is; a joined target (a gate 小区出入口, a compound, a building)
//!   then reads its walking distance off the two ends of its segment ([`Walk::to`]).
//! - A source starts both ends of its segment at its joining distance 接入距离 plus the metres
//!   along the segment to that end. A target on the same segment as a source may also walk
//!   straight along it.
//! - A bound stops the search at a distance: only what lies within it is settled (isochrones,
//!   thresholds); a [`Walk`] can be rerun from other sources without reallocating.
//! - Predecessors give the route to the nearest source ([`Walk::route`]).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo_types::LineString;

use super::graph::Graph;
use super::metres;
use super::snap::Join;

/// No node (no predecessor, no source).
const NONE: u32 = u32::MAX;

/// A target's walking distance and the source it walks to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Metres, joining distances included.
    pub distance_m: f64,
    /// The source, as its position in the sources given to the search.
    pub source: usize,
}

/// A walking route from a target to its nearest source.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub reach: Reach,
    /// The graph nodes passed, from the target's end (empty when the route stays on one
    /// segment).
    pub nodes: Vec<u32>,
    /// The route, lon/lat: from the target's `from` to its joining point, along the network to
    /// the source's joining point and on to the source's `from`.
    pub line: LineString,
}

/// A heap entry: a node at a tentative distance (min-heap by distance, then node).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Item {
    pub(super) dist: f64,
    pub(super) node: u32,
}

impl Eq for Item {}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .dist
            .total_cmp(&self.dist)
            .then_with(|| other.node.cmp(&self.node))
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Shortest walks from a set of joined sources to every node, possibly bounded; the arrays are
/// kept between runs and only what a run touched is reset.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Per node: metres from the nearest source (`∞` when not reached).
    dist: Vec<f64>,
    /// Per node: that source, or `NONE`.
    source: Vec<u32>,
    /// Per node: the previous node on the walk, or `NONE` at a source's segment.
    pred: Vec<u32>,
    /// Nodes whose entries a run set.
    touched: Vec<u32>,
    heap: BinaryHeap<Item>,
    sources: Vec<Join>,
    /// `(edge, source)` for every source, sorted: the sources on a target's own segment.
    on_edge: Vec<(u32, u32)>,
    bound: f64,
}

impl Walk {
    /// An empty walk for a graph (nothing reached).
    pub fn new(graph: &Graph) -> Walk {
        let n = graph.node_count();
        Walk {
            dist: vec![f64::INFINITY; n],
            source: vec![NONE; n],
            pred: vec![NONE; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            sources: Vec::new(),
            on_edge: Vec::new(),
            bound: f64::INFINITY,
        }
    }

    /// The walks from `sources` up to `bound` metres (`f64::INFINITY`: all of them).
    pub fn from_sources(graph: &Graph, sources: &[Join], bound: f64) -> Walk {
        let mut walk = Walk::new(graph);
        walk.run(graph, sources, bound);
        walk
    }

    /// Runs the search again from other sources (joined to the same graph), up to `bound`
    /// metres. Costs the nodes the previous run touched, not the whole graph.
    pub fn run(&mut self, graph: &Graph, sources: &[Join], bound: f64) {
        assert_eq!(
            self.dist.len(),
            graph.node_count(),
            "a walk of another graph"
        );
        for &n in &self.touched {
            self.dist[n as usize] = f64::INFINITY;
            self.source[n as usize] = NONE;
            self.pred[n as usize] = NONE;
        }
        self.touched.clear();
        self.heap.clear();
        self.sources = sources.to_vec();
        self.on_edge = sources_by_edge(sources);
        self.bound = bound;
        for (i, s) in sources.iter().enumerate() {
            let [a, b] = graph.edge_nodes(s.edge);
            let [to_a, to_b] = s.along_m;
            self.relax(a, s.distance_m + to_a, i as u32, NONE);
            self.relax(b, s.distance_m + to_b, i as u32, NONE);
        }
        while let Some(Item { dist, node }) = self.heap.pop() {
            if dist > self.dist[node as usize] {
                continue;
            }
            if dist > bound {
                break;
            }
            let source = self.source[node as usize];
            let range = graph.offsets()[node as usize] as usize
                ..graph.offsets()[node as usize + 1] as usize;
            for (&next, &len) in graph.targets()[range.clone()]
                .iter()
                .zip(&graph.lengths()[range])
            {
                self.relax(next, dist + len, source, node);
            }
        }
    }

    fn relax(&mut self, node: u32, dist: f64, source: u32, pred: u32) {
        let n = node as usize;
        if dist < self.dist[n] {
            if self.source[n] == NONE {
                self.touched.push(node);
            }
            self.dist[n] = dist;
            self.source[n] = source;
            self.pred[n] = pred;
            self.heap.push(Item { dist, node });
        }
    }

    /// The sources of the last run.
    pub fn sources(&self) -> &[Join] {
        &self.sources
    }

    /// A node's walking distance, metres, and its nearest source; `None` when it lies beyond
    /// the bound or cannot be reached.
    pub fn node(&self, node: u32) -> Option<(f64, usize)> {
        let d = self.dist[node as usize];
        (d.is_finite() && d <= self.bound).then(|| (d, self.source[node as usize] as usize))
    }

    /// Every node within the bound with its distance, metres (in no particular order).
    pub fn reached(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.touched
            .iter()
            .map(|&n| (n, self.dist[n as usize]))
            .filter(|&(_, d)| d <= self.bound)
    }

    /// A joined target's walking distance to its nearest source, joining distances included:
    /// through either end of its segment, or straight along the segment to a source on it.
    /// `None` when no source is reachable within the bound.
    pub fn to(&self, graph: &Graph, target: &Join) -> Option<Reach> {
        self.best_way(graph, target).map(|(reach, _)| reach)
    }

    /// The best of the target's ways out: its reach, and the node it leaves its segment by
    /// (`None`: straight along the segment to the source).
    fn best_way(&self, graph: &Graph, target: &Join) -> Option<(Reach, Option<u32>)> {
        best_way(
            graph,
            target,
            |n| self.node(n),
            &self.sources,
            &self.on_edge,
            self.bound,
        )
    }

    /// The route from a joined target to its nearest source ([`Walk::to`]), or `None`.
    pub fn route(&self, graph: &Graph, target: &Join) -> Option<Route> {
        let (reach, via) = self.best_way(graph, target)?;
        let mut nodes = Vec::new();
        let mut node = via.unwrap_or(NONE);
        while node != NONE {
            nodes.push(node);
            node = self.pred[node as usize];
        }
        let source = &self.sources[reach.source];
        let mut line = vec![target.from, target.at];
        line.extend(nodes.iter().map(|&n| graph.coord(n)));
        line.extend([source.at, source.from]);
        line.dedup();
        Some(Route {
            reach,
            nodes,
            line: LineString::from(line),
        })
    }
}

/// `(edge, source)` for every source, sorted: the sources on a target's own segment.
pub(super) fn sources_by_edge(sources: &[Join]) -> Vec<(u32, u32)> {
    let mut on_edge: Vec<(u32, u32)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (s.edge, i as u32))
        .collect();
    on_edge.sort_unstable();
    on_edge
}

/// The best of a joined target's ways out within `bound`: through either end of its segment
/// (each end's distance and source from `node`), or straight along the segment to a source on
/// it; its reach, and the node it leaves its segment by (`None`: along the segment).
pub(super) fn best_way(
    graph: &Graph,
    target: &Join,
    node: impl Fn(u32) -> Option<(f64, usize)>,
    sources: &[Join],
    on_edge: &[(u32, u32)],
    bound: f64,
) -> Option<(Reach, Option<u32>)> {
    let [a, b] = graph.edge_nodes(target.edge);
    let [to_a, to_b] = target.along_m;
    let mut best: Option<(Reach, Option<u32>)> = None;
    let mut consider = |distance_m: f64, source: usize, via: Option<u32>| {
        if distance_m <= bound && best.is_none_or(|(r, _)| distance_m < r.distance_m) {
            best = Some((Reach { distance_m, source }, via));
        }
    };
    for (end, along) in [(a, to_a), (b, to_b)] {
        if let Some((d, source)) = node(end) {
            consider(d + along + target.distance_m, source, Some(end));
        }
    }
    let first = on_edge.partition_point(|&(e, _)| e < target.edge);
    for &(_, i) in on_edge[first..]
        .iter()
        .take_while(|&&(e, _)| e == target.edge)
    {
        let s = &sources[i as usize];
        let along = metres(s.at, target.at);
        consider(s.distance_m + along + target.distance_m, i as usize, None);
    }
    best
}
