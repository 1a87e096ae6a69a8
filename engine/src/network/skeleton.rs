//! The graph's skeleton 骨架, for searches that must reach every node (a facility rule's nearest
//! facility for every gate and building of a city): the part of the graph a shortest walk can
//! pass through, with the rest hung off it.
//!
//! - Trees: a dead end, and everything that hangs off the rest by one node only (a compound's
//!   paths 小区内部道路 behind its one way out, a cul-de-sac), is peeled off leaves first. A
//!   walk within a tree is its one path, so a search settles trees by two linear passes (up to
//!   the root, then down) instead of a heap.
//! - The core left (every node on a cycle, and the paths between cycles) is cut into chains:
//!   runs of nodes with two core neighbours between two junctions (a node with another number
//!   of core neighbours; one node of a cycle without any). A chain is one edge of the junction
//!   graph, as long as its steps together; its nodes are settled by a sweep each way.
//! - The heap search runs on the junction graph alone ([`Nearest`](super::Nearest)). On the
//!   synthetic 1,000,000-building city trees hold two thirds of the nodes, chains an eighth and
//!   junctions a fifth; on OpenStreetMap data the chains' share is larger (a way's shape
//!   points).

use super::graph::Graph;

/// No node (no junction, no parent).
pub(super) const NONE: u32 = u32::MAX;

/// The skeleton of a [`Graph`]; see the [module](self).
#[derive(Debug, Clone, Default)]
pub struct Skeleton {
    /// Nodes peeled off as trees, each before its parent (leaves first).
    pub(super) peeled: Vec<u32>,
    /// Per peeled node (same positions): its parent, and the metres of the edge to it.
    pub(super) parent: Vec<u32>,
    pub(super) parent_m: Vec<f64>,
    /// Junctions, as graph nodes; a junction's position here is its junction number.
    pub(super) junctions: Vec<u32>,
    /// The junction graph (CSR over junction numbers): half-edges to junction numbers, metres.
    pub(super) offsets: Vec<u32>,
    pub(super) targets: Vec<u32>,
    pub(super) lengths: Vec<f64>,
    /// Per chain with nodes inside: its end junctions (graph nodes), its inner nodes
    /// `inner[inner_at[c]..inner_at[c + 1]]` from the first end, and its steps
    /// `steps[inner_at[c] + c..=inner_at[c + 1] + c]` (one more than its inner nodes).
    pub(super) chain_ends: Vec<[u32; 2]>,
    pub(super) inner_at: Vec<u32>,
    pub(super) inner: Vec<u32>,
    pub(super) steps: Vec<f64>,
}

impl Skeleton {
    /// The skeleton of a graph: linear in its size.
    pub fn of(graph: &Graph) -> Skeleton {
        let n = graph.node_count();
        let offsets = graph.offsets();
        let (targets, lengths) = (graph.targets(), graph.lengths());
        let half_edges = |v: u32| offsets[v as usize] as usize..offsets[v as usize + 1] as usize;

        // Peel leaves until every node left has two core neighbours or more (or none). A node
        // that becomes a leaf is peeled next, so a tree's nodes follow one another (the passes
        // over them read nearby memory).
        let mut degree: Vec<u32> = (0..n).map(|v| offsets[v + 1] - offsets[v]).collect();
        let mut in_core = vec![true; n];
        let mut stack: Vec<u32> = (0..n as u32).filter(|&v| degree[v as usize] == 1).collect();
        let (mut peeled, mut parent, mut parent_m) = (Vec::new(), Vec::new(), Vec::new());
        while let Some(v) = stack.pop() {
            if degree[v as usize] != 1 {
                continue;
            }
            let Some(h) = half_edges(v).find(|&h| in_core[targets[h] as usize]) else {
                continue;
            };
            let p = targets[h];
            in_core[v as usize] = false;
            degree[v as usize] = 0;
            peeled.push(v);
            parent.push(p);
            parent_m.push(lengths[h]);
            degree[p as usize] -= 1;
            if degree[p as usize] == 1 {
                stack.push(p);
            }
        }

        // Junctions: core nodes without exactly two core neighbours.
        let mut junction_of = vec![NONE; n];
        let mut junctions = Vec::new();
        for v in 0..n as u32 {
            if in_core[v as usize] && degree[v as usize] != 2 {
                junction_of[v as usize] = junctions.len() as u32;
                junctions.push(v);
            }
        }

        let mut skeleton = Skeleton {
            peeled,
            parent,
            parent_m,
            inner_at: vec![0],
            ..Skeleton::default()
        };
        // Junction half-edges (from, to, metres), by junction number.
        let mut links: Vec<(u32, u32, f64)> = Vec::new();
        let mut walked = vec![false; n];
        let (mut next_junction, mut cycle_scan) = (0, 0u32);
        loop {
            // Every chain out of the junctions so far; then a cycle without one gets one.
            while next_junction < junctions.len() {
                let j = junctions[next_junction];
                next_junction += 1;
                for h in half_edges(j) {
                    let (w, len) = (targets[h], lengths[h]);
                    if !in_core[w as usize] {
                        continue;
                    }
                    let (jw, jj) = (junction_of[w as usize], junction_of[j as usize]);
                    if jw != NONE {
                        // A direct edge; its other half comes from `w`.
                        links.push((jj, jw, len));
                        continue;
                    }
                    if walked[w as usize] {
                        continue;
                    }
                    let end = skeleton.walk_chain(graph, &in_core, &junction_of, j, h, &mut walked);
                    let c = skeleton.chain_ends.len() - 1;
                    let total: f64 = skeleton.chain_steps(c).iter().sum();
                    let je = junction_of[end as usize];
                    links.push((jj, je, total));
                    links.push((je, jj, total));
                }
            }
            let Some(v) = (cycle_scan..n as u32).find(|&v| {
                in_core[v as usize] && junction_of[v as usize] == NONE && !walked[v as usize]
            }) else {
                break;
            };
            cycle_scan = v + 1;
            junction_of[v as usize] = junctions.len() as u32;
            junctions.push(v);
        }

        let mut offsets = vec![0u32; junctions.len() + 1];
        for &(from, _, _) in &links {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..junctions.len() {
            offsets[i + 1] += offsets[i];
        }
        let mut next: Vec<u32> = offsets[..junctions.len()].to_vec();
        skeleton.targets = vec![0; links.len()];
        skeleton.lengths = vec![0.0; links.len()];
        for (from, to, len) in links {
            let slot = next[from as usize] as usize;
            skeleton.targets[slot] = to;
            skeleton.lengths[slot] = len;
            next[from as usize] += 1;
        }
        skeleton.offsets = offsets;
        skeleton.junctions = junctions;
        skeleton
    }

    /// Walks the chain leaving junction `from` by half-edge `h` to the next junction, records it
    /// and returns that junction.
    fn walk_chain(
        &mut self,
        graph: &Graph,
        in_core: &[bool],
        junction_of: &[u32],
        from: u32,
        h: usize,
        walked: &mut [bool],
    ) -> u32 {
        let (offsets, targets, lengths) = (graph.offsets(), graph.targets(), graph.lengths());
        let (mut previous, mut back) = (from, lengths[h]);
        let mut at = targets[h];
        self.steps.push(back);
        loop {
            walked[at as usize] = true;
            self.inner.push(at);
            // The core half-edge out of `at` other than the one just walked (a parallel edge
            // of the same length is the same step either way).
            let mut skipped = false;
            let (next, len) = (offsets[at as usize] as usize..offsets[at as usize + 1] as usize)
                .map(|k| (targets[k], lengths[k]))
                .filter(|&(w, _)| in_core[w as usize])
                .find(|&(w, len)| {
                    if !skipped && w == previous && len.to_bits() == back.to_bits() {
                        skipped = true;
                        false
                    } else {
                        true
                    }
                })
                .expect("a chain's inner node has two core neighbours");
            self.steps.push(len);
            if junction_of[next as usize] != NONE {
                self.chain_ends.push([from, next]);
                self.inner_at.push(self.inner.len() as u32);
                return next;
            }
            (previous, back, at) = (at, len, next);
        }
    }

    /// A chain's inner nodes, from its first end.
    pub(super) fn chain_inner(&self, c: usize) -> &[u32] {
        &self.inner[self.inner_at[c] as usize..self.inner_at[c + 1] as usize]
    }

    /// A chain's steps, from its first end (one more than its inner nodes).
    pub(super) fn chain_steps(&self, c: usize) -> &[f64] {
        &self.steps[self.inner_at[c] as usize + c..=self.inner_at[c + 1] as usize + c]
    }

    /// Number of junctions, of nodes inside chains, and of nodes peeled off as trees.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.junctions.len(), self.inner.len(), self.peeled.len())
    }

    /// Bytes held by the skeleton's arrays.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        (self.peeled.capacity()
            + self.parent.capacity()
            + self.junctions.capacity()
            + self.offsets.capacity()
            + self.targets.capacity()
            + self.inner_at.capacity()
            + self.inner.capacity())
            * size_of::<u32>()
            + (self.parent_m.capacity() + self.lengths.capacity() + self.steps.capacity())
                * size_of::<f64>()
            + self.chain_ends.capacity() * size_of::<[u32; 2]>()
    }
}
