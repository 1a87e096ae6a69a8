//! The adjacency graph of planning units, and the spanning-tree machinery the partition and
//! cluster searches share.

use serde::{Deserialize, Serialize};

use super::rng::Rng;

/// An undirected graph over units `0..n` in compressed adjacency form; every edge carries the
/// length, in metres, of the boundary the two units' cells share (1.0 on a lattice).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitGraph {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    shared: Vec<f64>,
}

impl UnitGraph {
    /// A graph on `n` units from undirected edges `(a, b, shared_m)`. Self-loops and edges to
    /// units `≥ n` are dropped; an edge given more than once (either way round) keeps the sum of
    /// its lengths.
    pub fn from_edges(n: usize, edges: impl IntoIterator<Item = (usize, usize, f64)>) -> Self {
        let mut list: Vec<(u32, u32, f64)> = Vec::new();
        for (a, b, len) in edges {
            if a == b || a >= n || b >= n {
                continue;
            }
            list.push((a as u32, b as u32, len));
            list.push((b as u32, a as u32, len));
        }
        list.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let mut offsets = vec![0usize; n + 1];
        let mut targets = Vec::with_capacity(list.len());
        let mut shared: Vec<f64> = Vec::with_capacity(list.len());
        let mut last: Option<(u32, u32)> = None;
        for (a, b, len) in list {
            if last == Some((a, b)) {
                if let Some(s) = shared.last_mut() {
                    *s += len;
                }
                continue;
            }
            last = Some((a, b));
            offsets[a as usize + 1] += 1;
            targets.push(b);
            shared.push(len);
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        UnitGraph {
            offsets,
            targets,
            shared,
        }
    }

    /// A `width × height` square lattice with rook adjacency (shared length 1); unit
    /// `y * width + x` is at column `x`, row `y`.
    pub fn lattice(width: usize, height: usize) -> Self {
        let mut edges = Vec::with_capacity(2 * width * height);
        for y in 0..height {
            for x in 0..width {
                let i = y * width + x;
                if x + 1 < width {
                    edges.push((i, i + 1, 1.0));
                }
                if y + 1 < height {
                    edges.push((i, i + width, 1.0));
                }
            }
        }
        UnitGraph::from_edges(width * height, edges)
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.targets.len() / 2
    }

    /// The neighbours of `u` with the shared boundary length (m), in increasing order.
    pub fn neighbours(&self, u: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.offsets[u]..self.offsets[u + 1];
        self.targets[r.clone()]
            .iter()
            .zip(&self.shared[r])
            .map(|(&t, &l)| (t as usize, l))
    }

    pub(crate) fn targets(&self, u: usize) -> &[u32] {
        &self.targets[self.offsets[u]..self.offsets[u + 1]]
    }

    pub fn degree(&self, u: usize) -> usize {
        self.offsets[u + 1] - self.offsets[u]
    }

    /// The boundary length `a` and `b` share, if they are adjacent.
    pub fn shared_length(&self, a: usize, b: usize) -> Option<f64> {
        let r = self.offsets[a]..self.offsets[a + 1];
        let t = &self.targets[r.clone()];
        t.binary_search(&(b as u32))
            .ok()
            .map(|i| self.shared[r.start + i])
    }

    /// Every undirected edge once, as `(a, b, shared_m)` with `a < b`.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, f64)> + '_ {
        (0..self.len()).flat_map(move |a| {
            self.neighbours(a)
                .filter(move |&(b, _)| a < b)
                .map(move |(b, l)| (a, b, l))
        })
    }

    /// The connected components of the subgraph induced by `nodes`, each sorted, ordered by
    /// their smallest unit.
    pub fn components_of(&self, nodes: &[usize]) -> Vec<Vec<usize>> {
        let mut inside = vec![false; self.len()];
        for &u in nodes {
            inside[u] = true;
        }
        let mut seen = vec![false; self.len()];
        let mut sorted = nodes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut out = Vec::new();
        for &start in &sorted {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut comp = vec![start];
            let mut i = 0;
            while i < comp.len() {
                let u = comp[i];
                i += 1;
                for &v in self.targets(u) {
                    let v = v as usize;
                    if inside[v] && !seen[v] {
                        seen[v] = true;
                        comp.push(v);
                    }
                }
            }
            comp.sort_unstable();
            out.push(comp);
        }
        out
    }

    /// The subgraph induced by `nodes` (unit `i` of the result is `nodes[i]`).
    #[must_use]
    pub fn induced(&self, nodes: &[usize]) -> UnitGraph {
        let mut local = vec![u32::MAX; self.len()];
        for (i, &u) in nodes.iter().enumerate() {
            local[u] = i as u32;
        }
        let mut edges = Vec::new();
        for (i, &u) in nodes.iter().enumerate() {
            for (v, l) in self.neighbours(u) {
                let j = local[v];
                if j != u32::MAX && (i as u32) < j {
                    edges.push((i, j as usize, l));
                }
            }
        }
        UnitGraph::from_edges(nodes.len(), edges)
    }
}

/// Reusable scratch space for searches over subsets of one graph.
#[derive(Debug, Clone)]
pub(crate) struct Scratch {
    stamp: Vec<u32>,
    epoch: u32,
    pub local: Vec<u32>,
    pub queue: Vec<u32>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Self {
        Scratch {
            stamp: vec![0; n],
            epoch: 0,
            local: vec![u32::MAX; n],
            queue: Vec::new(),
        }
    }

    /// Starts a new marking round; every unit is unmarked.
    pub(crate) fn next_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.fill(0);
            self.epoch = 1;
        }
    }

    pub(crate) fn mark(&mut self, u: usize) {
        self.stamp[u] = self.epoch;
    }

    pub(crate) fn marked(&self, u: usize) -> bool {
        self.stamp[u] == self.epoch
    }
}

/// A rooted spanning forest of a unit subset, in local indices `0..nodes.len()`.
#[derive(Debug, Clone)]
pub(crate) struct Forest {
    /// Local indices top-down (every parent before its children); roots start components.
    pub order: Vec<u32>,
    /// Parent of each local index (`u32::MAX` for roots).
    pub parent: Vec<u32>,
}

impl Forest {
    /// A random spanning forest of the subgraph induced by `nodes` (Kruskal over randomly
    /// ordered edges, so every spanning tree can occur), rooted at a random unit per component.
    pub(crate) fn random(
        g: &UnitGraph,
        nodes: &[u32],
        rng: &mut Rng,
        scratch: &mut Scratch,
    ) -> Forest {
        /// Union-find root with path halving.
        fn find(uf: &mut [u32], mut x: u32) -> u32 {
            while uf[x as usize] != x {
                let p = uf[uf[x as usize] as usize];
                uf[x as usize] = p;
                x = p;
            }
            x
        }
        let n = nodes.len();
        for (i, &u) in nodes.iter().enumerate() {
            scratch.local[u as usize] = i as u32;
        }
        scratch.next_epoch();
        for &u in nodes {
            scratch.mark(u as usize);
        }
        let mut edges: Vec<(u32, u32, u32)> = Vec::with_capacity(3 * n);
        for (i, &u) in nodes.iter().enumerate() {
            for &v in g.targets(u as usize) {
                if scratch.marked(v as usize) {
                    let j = scratch.local[v as usize];
                    if (i as u32) < j {
                        edges.push((rng.next_u32(), i as u32, j));
                    }
                }
            }
        }
        edges.sort_unstable();
        let mut uf: Vec<u32> = (0..n as u32).collect();
        let mut adj_count = vec![0u32; n + 1];
        let mut tree: Vec<(u32, u32)> = Vec::with_capacity(n);
        for &(_, a, b) in &edges {
            let (ra, rb) = (find(&mut uf, a), find(&mut uf, b));
            if ra != rb {
                uf[ra as usize] = rb;
                tree.push((a, b));
                adj_count[a as usize + 1] += 1;
                adj_count[b as usize + 1] += 1;
            }
        }
        for i in 0..n {
            adj_count[i + 1] += adj_count[i];
        }
        let mut fill = adj_count.clone();
        let mut adj = vec![0u32; 2 * tree.len()];
        for &(a, b) in &tree {
            adj[fill[a as usize] as usize] = b;
            fill[a as usize] += 1;
            adj[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        let mut parent = vec![u32::MAX; n];
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let start = if n == 0 { 0 } else { rng.below(n) };
        for k in 0..n {
            let root = ((start + k) % n) as u32;
            if done[root as usize] {
                continue;
            }
            done[root as usize] = true;
            let first = order.len();
            order.push(root);
            let mut i = first;
            while i < order.len() {
                let v = order[i] as usize;
                i += 1;
                for &w in &adj[adj_count[v] as usize..adj_count[v + 1] as usize] {
                    if !done[w as usize] {
                        done[w as usize] = true;
                        parent[w as usize] = v as u32;
                        order.push(w);
                    }
                }
            }
        }
        Forest { order, parent }
    }

    /// A random depth-first spanning forest of the subgraph induced by `nodes` (random root and
    /// neighbour order): long paths, so a cap cut along it fills parts like next-fit.
    pub(crate) fn random_dfs(
        g: &UnitGraph,
        nodes: &[u32],
        rng: &mut Rng,
        scratch: &mut Scratch,
    ) -> Forest {
        let n = nodes.len();
        for (i, &u) in nodes.iter().enumerate() {
            scratch.local[u as usize] = i as u32;
        }
        scratch.next_epoch();
        for &u in nodes {
            scratch.mark(u as usize);
        }
        let mut parent = vec![u32::MAX; n];
        let mut done = vec![false; n];
        let mut order = Vec::with_capacity(n);
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let start = if n == 0 { 0 } else { rng.below(n) };
        let mut nbrs: Vec<u32> = Vec::new();
        for k in 0..n {
            let root = ((start + k) % n) as u32;
            if done[root as usize] {
                continue;
            }
            stack.push((root, u32::MAX));
            while let Some((v, p)) = stack.pop() {
                if done[v as usize] {
                    continue;
                }
                done[v as usize] = true;
                parent[v as usize] = p;
                order.push(v);
                nbrs.clear();
                for &w in g.targets(nodes[v as usize] as usize) {
                    if scratch.marked(w as usize) {
                        let j = scratch.local[w as usize];
                        if !done[j as usize] {
                            nbrs.push(j);
                        }
                    }
                }
                rng.shuffle(&mut nbrs);
                stack.extend(nbrs.iter().map(|&j| (j, v)));
            }
        }
        Forest { order, parent }
    }

    /// Depth-first for even `i`, Kruskal for odd: the searches draw from both kinds.
    pub(crate) fn mixed(
        g: &UnitGraph,
        nodes: &[u32],
        rng: &mut Rng,
        scratch: &mut Scratch,
        i: usize,
    ) -> Forest {
        if i & 1 == 0 {
            Forest::random_dfs(g, nodes, rng, scratch)
        } else {
            Forest::random(g, nodes, rng, scratch)
        }
    }

    /// Kundu–Misra: the fewest subtrees of load ≤ `cap` the forest can be cut into (optimal for
    /// the tree; every weight must be ≤ `cap`). Bottom-up, a unit whose remaining subtree
    /// exceeds the cap cuts off its heaviest child subtrees until it fits. Returns the part of
    /// each local index (`0..count`) and the count.
    pub(crate) fn cut_to_cap(&self, weights: &[u64], cap: u64) -> (Vec<u32>, usize) {
        let n = self.parent.len();
        let mut rem: Vec<u64> = weights.to_vec();
        let mut cut = vec![false; n];
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
        for &v in &self.order {
            let p = self.parent[v as usize];
            if p == u32::MAX {
                cut[v as usize] = true;
            } else {
                children[p as usize].push(v);
            }
        }
        for &v in self.order.iter().rev() {
            let v = v as usize;
            let mut acc = weights[v] + children[v].iter().map(|&c| rem[c as usize]).sum::<u64>();
            if acc > cap {
                let mut kids = children[v].clone();
                kids.sort_unstable_by(|&a, &b| {
                    rem[b as usize].cmp(&rem[a as usize]).then(a.cmp(&b))
                });
                for c in kids {
                    if acc <= cap {
                        break;
                    }
                    cut[c as usize] = true;
                    acc -= rem[c as usize];
                }
            }
            rem[v] = acc;
        }
        self.label_cuts(&cut)
    }

    /// Greedy max-p cut: bottom-up, a subtree whose remaining weight reaches `floor` becomes a
    /// region; each component's leftover at its root joins an adjacent region of the tree (or
    /// is a region of its own if nothing was cut). Optimal for the number of regions of a tree.
    /// Returns the region of each local index and the count; a component lighter than the
    /// floor yields one region below the floor (callers filter those).
    pub(crate) fn cut_to_floor(&self, weights: &[u64], floor: u64) -> (Vec<u32>, usize) {
        let n = self.parent.len();
        let mut rem: Vec<u64> = weights.to_vec();
        let mut cut = vec![false; n];
        for &v in self.order.iter().rev() {
            let v = v as usize;
            let p = self.parent[v];
            if rem[v] >= floor {
                cut[v] = true;
            } else if p != u32::MAX {
                rem[p as usize] += rem[v];
            }
        }
        let mut starts = cut.clone();
        for &v in &self.order {
            if self.parent[v as usize] == u32::MAX {
                starts[v as usize] = true;
            }
        }
        let (mut part, count) = self.label_cuts(&starts);
        // A root whose leftover stays below the floor joins a region cut right below its piece.
        let mut gone = vec![false; count];
        for &r in &self.order {
            let r = r as usize;
            if self.parent[r] != u32::MAX || cut[r] {
                continue;
            }
            let piece = part[r];
            let target = self.order.iter().find_map(|&c| {
                let p = self.parent[c as usize];
                (cut[c as usize] && p != u32::MAX && part[p as usize] == piece)
                    .then_some(part[c as usize])
            });
            if let Some(t) = target {
                gone[piece as usize] = true;
                for x in &mut part {
                    if *x == piece {
                        *x = t;
                    }
                }
            }
        }
        let mut remap = vec![u32::MAX; count];
        let mut next = 0u32;
        for (i, g) in gone.iter().enumerate() {
            if !g {
                remap[i] = next;
                next += 1;
            }
        }
        for x in &mut part {
            *x = remap[*x as usize];
        }
        (part, next as usize)
    }

    fn label_cuts(&self, cut: &[bool]) -> (Vec<u32>, usize) {
        let n = self.parent.len();
        let mut part = vec![0u32; n];
        let mut count = 0u32;
        for &v in &self.order {
            let v = v as usize;
            if cut[v] {
                part[v] = count;
                count += 1;
            } else {
                part[v] = part[self.parent[v] as usize];
            }
        }
        (part, count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lattice_edges_and_components() {
        let g = UnitGraph::lattice(3, 2);
        assert_eq!(g.len(), 6);
        assert_eq!(g.edge_count(), 7);
        assert_eq!(g.shared_length(0, 1), Some(1.0));
        assert_eq!(g.shared_length(0, 4), None);
        assert_eq!(g.components_of(&[0, 2, 5]), vec![vec![0], vec![2, 5]]);
        let twice = UnitGraph::from_edges(2, [(0, 1, 2.0), (1, 0, 3.0), (1, 1, 9.0)]);
        assert_eq!(twice.shared_length(1, 0), Some(5.0));
    }

    #[test]
    fn kundu_misra_on_a_path_is_first_fit() {
        // A path 0-1-2-3-4-5 with weights 3 each and cap 7: 3 parts of two.
        let g = UnitGraph::lattice(6, 1);
        let nodes: Vec<u32> = (0..6).collect();
        let mut rng = Rng::new(1);
        let mut s = Scratch::new(6);
        let f = Forest::random(&g, &nodes, &mut rng, &mut s);
        let (part, count) = f.cut_to_cap(&[3; 6], 7);
        assert_eq!(count, 3);
        let mut sizes = [0; 3];
        for p in part {
            sizes[p as usize] += 1;
        }
        assert_eq!(sizes, [2, 2, 2]);
    }

    #[test]
    fn floor_cut_covers_every_unit_and_meets_the_floor() {
        let g = UnitGraph::lattice(5, 4);
        let nodes: Vec<u32> = (0..20).collect();
        let mut rng = Rng::new(3);
        let mut s = Scratch::new(20);
        for _ in 0..20 {
            let f = Forest::random(&g, &nodes, &mut rng, &mut s);
            let w: Vec<u64> = (0..20).map(|i| 1 + (i * 7 % 5) as u64).collect();
            let (part, count) = f.cut_to_floor(&w, 9);
            assert!(count >= 1);
            let mut sums = vec![0u64; count];
            for (i, &p) in part.iter().enumerate() {
                sums[p as usize] += w[i];
            }
            assert!(sums.iter().all(|&s| s >= 9), "{sums:?}");
            for p in 0..count as u32 {
                let members: Vec<usize> = (0..20).filter(|&i| part[i] == p).collect();
                assert_eq!(g.components_of(&members).len(), 1, "region {p} contiguous");
            }
        }
    }
}
