//! Every node's nearest source 最近设施, over the graph's [`Skeleton`]: the unbounded
//! multi-source search a facility rule's coverage needs (every gate and building of a city),
//! the same distances as [`Walk`](super::Walk) with a heap over the junctions only.
//!
//! 1. Each source starts both ends of its segment (its joining distance plus the metres along).
//! 2. Trees, leaves first: each node offers its best to its parent, so a tree's root holds the
//!    nearest source inside its tree.
//! 3. Chains, a sweep each way: a source inside a chain reaches the chain's ends.
//! 4. Dijkstra over the junction graph from every junction reached so far, block by block.
//! 5. Chains, a sweep each way: every inner node from its nearer end (or a source inside).
//! 6. Trees, root first: each node from its parent unless its own subtree was nearer.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use radix_heap::RadixHeapMap;

use super::graph::Graph;
use super::search::{best_way, sources_by_edge, Reach};
use super::skeleton::{Skeleton, NONE};
use super::snap::Join;

/// Junctions are searched in blocks of `2^BLOCK_BITS` consecutive numbers (the graph numbers
/// nodes in space order, so a block is a patch of the city): a block's own Dijkstra runs with
/// its arrays in the core's cache, and what it improves in a neighbouring block waits there
/// until that block's turn (blocks are taken least pending distance first, and taken again
/// while anything in them falls). Label-correcting across blocks, Dijkstra within: the same
/// distances as one global Dijkstra, which with thousands of facilities starting at once
/// settles junctions all over the city in turn and waits on memory for each.
const BLOCK_BITS: u32 = 11;

/// The nearest source of every node of a graph, and of any joined target.
#[derive(Debug, Clone)]
pub struct Nearest {
    /// Per node: metres to the nearest source (`∞`: unreachable).
    dist: Vec<f64>,
    /// Per node: that source, or `NONE`.
    source: Vec<u32>,
    sources: Vec<Join>,
    /// `(edge, source)` for every source, sorted.
    on_edge: Vec<(u32, u32)>,
    /// A bit per edge: whether a source lies on it (most targets' edges hold none, and one
    /// bit answers that without searching `on_edge`).
    edges_with_sources: Vec<u64>,
}

impl Nearest {
    /// The nearest of `sources` (joined to `graph`, whose skeleton is `skeleton`) for every node.
    pub fn from_sources(graph: &Graph, skeleton: &Skeleton, sources: &[Join]) -> Nearest {
        Nearest::in_blocks(graph, skeleton, sources, BLOCK_BITS)
    }

    /// [`Nearest::from_sources`] with blocks of `2^block_bits` junctions (tests take small
    /// blocks, so that small networks cross many).
    pub(super) fn in_blocks(
        graph: &Graph,
        skeleton: &Skeleton,
        sources: &[Join],
        block_bits: u32,
    ) -> Nearest {
        let n = graph.node_count();
        let mut search = Nearest {
            dist: vec![f64::INFINITY; n],
            source: vec![NONE; n],
            sources: sources.to_vec(),
            on_edge: sources_by_edge(sources),
            edges_with_sources: vec![0; graph.edge_count().div_ceil(64)],
        };
        for s in sources {
            search.edges_with_sources[s.edge as usize / 64] |= 1 << (s.edge % 64);
        }
        for (i, s) in sources.iter().enumerate() {
            let [a, b] = graph.edge_nodes(s.edge);
            search.offer(a, s.distance_m + s.along_m[0], i as u32);
            search.offer(b, s.distance_m + s.along_m[1], i as u32);
        }
        for k in 0..skeleton.peeled.len() {
            let v = skeleton.peeled[k] as usize;
            let d = search.dist[v] + skeleton.parent_m[k];
            search.offer(skeleton.parent[k], d, search.source[v]);
        }
        search.sweep_chains(skeleton);
        search.junction_dijkstra(skeleton, block_bits);
        search.sweep_chains(skeleton);
        for k in (0..skeleton.peeled.len()).rev() {
            let p = skeleton.parent[k] as usize;
            let d = search.dist[p] + skeleton.parent_m[k];
            search.offer(skeleton.peeled[k], d, search.source[p]);
        }
        search
    }

    /// Takes `dist` for `node` when it is nearer than what the node has.
    fn offer(&mut self, node: u32, dist: f64, source: u32) {
        let n = node as usize;
        if dist < self.dist[n] {
            self.dist[n] = dist;
            self.source[n] = source;
        }
    }

    /// Every chain swept from its first end to its last and back: each node takes the nearer
    /// of what it has and what comes along the chain.
    fn sweep_chains(&mut self, skeleton: &Skeleton) {
        for (c, &[first, last]) in skeleton.chain_ends.iter().enumerate() {
            let (inner, steps) = (skeleton.chain_inner(c), skeleton.chain_steps(c));
            let mut carried = (self.dist[first as usize], self.source[first as usize]);
            for (&v, &step) in inner.iter().chain([&last]).zip(steps) {
                carried = self.carry(v, carried, step);
            }
            let mut carried = (self.dist[last as usize], self.source[last as usize]);
            for (&v, &step) in inner.iter().rev().chain([&first]).zip(steps.iter().rev()) {
                carried = self.carry(v, carried, step);
            }
        }
    }

    /// One step of a sweep: `carried` walks `step` metres to `v`; returns what `v` then holds.
    fn carry(&mut self, v: u32, (dist, source): (f64, u32), step: f64) -> (f64, u32) {
        self.offer(v, dist + step, source);
        (self.dist[v as usize], self.source[v as usize])
    }

    /// Shortest walks over the junction graph from every junction with a distance, block by
    /// block of `2^block_bits` junctions: see [`BLOCK_BITS`].
    fn junction_dijkstra(&mut self, skeleton: &Skeleton, block_bits: u32) {
        let junctions = &skeleton.junctions;
        let block_of = |j: u32| (j >> block_bits) as usize;
        let blocks = junctions.len().div_ceil(1 << block_bits);
        let mut dist: Vec<f64> = junctions.iter().map(|&v| self.dist[v as usize]).collect();
        let mut source: Vec<u32> = junctions.iter().map(|&v| self.source[v as usize]).collect();
        // Per block: the junctions whose distance fell since the block was last searched, and
        // the least such distance; the blocks waiting, least distance first.
        let mut pending: Vec<Vec<u32>> = vec![Vec::new(); blocks];
        let mut least = vec![f64::INFINITY; blocks];
        let mut waiting: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        for (j, d) in dist.iter().enumerate() {
            if d.is_finite() {
                let b = block_of(j as u32);
                pending[b].push(j as u32);
                least[b] = least[b].min(*d);
            }
        }
        for (b, d) in least.iter().enumerate() {
            if d.is_finite() {
                waiting.push(Reverse((d.to_bits(), b as u32)));
            }
        }
        // A radix heap within a block: distances never go below the last one taken, and never
        // negative, so their bits order as they do.
        let mut heap: RadixHeapMap<Reverse<u64>, u32> = RadixHeapMap::new();
        while let Some(Reverse((bits, b))) = waiting.pop() {
            let b = b as usize;
            if bits != least[b].to_bits() {
                continue;
            }
            least[b] = f64::INFINITY;
            heap.clear();
            for j in pending[b].drain(..) {
                heap.push(Reverse(dist[j as usize].to_bits()), j);
            }
            while let Some((Reverse(bits), j)) = heap.pop() {
                let d = dist[j as usize];
                if bits != d.to_bits() {
                    continue;
                }
                let s = source[j as usize];
                let range = skeleton.offsets[j as usize] as usize
                    ..skeleton.offsets[j as usize + 1] as usize;
                for (&next, &len) in skeleton.targets[range.clone()]
                    .iter()
                    .zip(&skeleton.lengths[range])
                {
                    let nd = d + len;
                    if nd < dist[next as usize] {
                        dist[next as usize] = nd;
                        source[next as usize] = s;
                        let nb = block_of(next);
                        if nb == b {
                            heap.push(Reverse(nd.to_bits()), next);
                        } else {
                            pending[nb].push(next);
                            if nd < least[nb] {
                                least[nb] = nd;
                                waiting.push(Reverse((nd.to_bits(), nb as u32)));
                            }
                        }
                    }
                }
            }
        }
        for (j, &v) in junctions.iter().enumerate() {
            self.dist[v as usize] = dist[j];
            self.source[v as usize] = source[j];
        }
    }

    /// A node's walking distance, metres, and its nearest source; `None` when unreachable.
    pub fn node(&self, node: u32) -> Option<(f64, usize)> {
        let d = self.dist[node as usize];
        d.is_finite()
            .then(|| (d, self.source[node as usize] as usize))
    }

    /// Every reachable node with its distance, metres.
    pub fn reached(&self) -> impl Iterator<Item = (u32, f64)> + '_ {
        self.dist
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_finite())
            .map(|(n, &d)| (n as u32, d))
    }

    /// A joined target's walking distance to its nearest source, joining distances included
    /// (as [`Walk::to`](super::Walk::to)); `None` when no source is reachable.
    pub fn to(&self, graph: &Graph, target: &Join) -> Option<Reach> {
        let e = target.edge as usize;
        let shared = self.edges_with_sources[e / 64] & (1 << (e % 64)) != 0;
        best_way(
            graph,
            target,
            |n| self.node(n),
            &self.sources,
            if shared { &self.on_edge } else { &[] },
            f64::INFINITY,
        )
        .map(|(reach, _)| reach)
    }
}
