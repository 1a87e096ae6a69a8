//! Repair after a part is dissolved: ejection chains, then a tabu search of boundary moves with
//! pair recombinations, until no part is over the cap.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use std::collections::{BTreeSet, HashMap};

use crate::planning::graph::{Forest, Scratch};
use crate::planning::rng::Rng;

use super::state::State;
use super::Problem;

/// A boundary move candidate: (change of total overload, − slack left in the target part,
/// random tie-break, unit, target part); sorted ascending, the best first.
type BoundaryMove = (i64, i64, u32, u32, u32);

impl Problem<'_> {
    /// Ejection chains: for each overloaded grid, the cheapest chain of single-unit moves
    /// A → P₁ → … → Q that ends in a grid with room, every grid on the way staying within the
    /// cap and contiguous (Dijkstra over grids by the load pushed into them). Each chain lowers
    /// the total overload. True when no grid is overloaded any more.
    pub(super) fn chains(&self, s: &mut State, scratch: &mut Scratch, rounds: usize) -> bool {
        for _ in 0..rounds {
            let over: Vec<u32> = (0..s.members.len() as u32)
                .filter(|&p| s.load[p as usize] > self.cap)
                .collect();
            if over.is_empty() {
                return true;
            }
            let mut found = false;
            for a in over {
                if s.load[a as usize] <= self.cap {
                    continue;
                }
                if let Some(chain) = self.find_chain(s, a, scratch) {
                    for (u, to) in chain {
                        s.move_node(u as usize, to, self.w);
                    }
                    found = true;
                }
            }
            if !found {
                return false;
            }
        }
        s.load.iter().all(|&l| l <= self.cap)
    }

    /// The cheapest ejection chain out of overloaded grid `a`, as moves `(unit, to grid)`.
    fn find_chain(&self, s: &State, a: u32, scratch: &mut Scratch) -> Option<Vec<(u32, u32)>> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        // Per reached grid: (pushed load, previous grid, unit moved in).
        let mut reached: HashMap<u32, (u64, u32, u32)> = HashMap::new();
        let mut done: BTreeSet<u32> = BTreeSet::new();
        let mut heap: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        heap.push(Reverse((0, a)));
        let mut end: Option<u32> = None;
        while let Some(Reverse((x, p))) = heap.pop() {
            if !done.insert(p) {
                continue;
            }
            let incoming = reached.get(&p).map(|r| r.2);
            let lp = s.load[p as usize] + x;
            // What p must give away to stay within the cap (a: anything helps).
            let need = if p == a {
                1
            } else {
                lp.saturating_sub(self.cap).max(1)
            };
            let mut units: Vec<u32> = s.members[p as usize].clone();
            if let Some(v) = incoming {
                units.push(v);
            }
            for &u in &units {
                let wu = self.w[u as usize];
                if wu < need || (p != a && lp - wu > self.cap) {
                    continue;
                }
                let mut ok_checked: Option<bool> = None;
                for &v in self.g.targets(u as usize) {
                    let q = s.part[v as usize];
                    if q == p || q == a || done.contains(&q) || Some(v) == incoming {
                        continue;
                    }
                    if reached.get(&q).is_some_and(|r| r.0 <= wu) {
                        continue;
                    }
                    let ok = *ok_checked.get_or_insert_with(|| match incoming {
                        Some(inc) if inc == u => true,
                        Some(inc) => {
                            s.connected_without(self.g, u as usize, scratch)
                                && self
                                    .g
                                    .targets(inc as usize)
                                    .iter()
                                    .any(|&y| y != u && s.part[y as usize] == p)
                        }
                        None => {
                            s.members[p as usize].len() > 1
                                && s.connected_without(self.g, u as usize, scratch)
                        }
                    });
                    if !ok {
                        break;
                    }
                    reached.insert(q, (wu, p, u));
                    if s.load[q as usize] + wu <= self.cap {
                        end = Some(q);
                        break;
                    }
                    heap.push(Reverse((wu, q)));
                }
                if end.is_some() {
                    break;
                }
            }
            if end.is_some() {
                break;
            }
        }
        let mut q = end?;
        let mut chain = Vec::new();
        while q != a {
            let &(_, p, u) = reached.get(&q)?;
            chain.push((u, q));
            q = p;
        }
        chain.reverse();
        Some(chain)
    }

    /// Tabu search on total overload Σ max(0, load − cap) with contiguity-preserving boundary
    /// moves out of overloaded parts and pair recombinations. True when the overload reaches 0.
    pub(super) fn repair(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        moves: usize,
    ) -> bool {
        let n = self.n();
        let mut total: u64 = s.load.iter().map(|&l| self.over(l)).sum();
        let mut best = total;
        let mut since_best = 0usize;
        let stall = 200 + moves / 10;
        let mut tabu_until = vec![0usize; n];
        let mut cands: Vec<BoundaryMove> = Vec::new();
        for it in 1..=moves {
            if total == 0 {
                return true;
            }
            let over_parts: Vec<u32> = (0..s.members.len() as u32)
                .filter(|&p| s.load[p as usize] > self.cap)
                .collect();
            let sources: Vec<u32> = if over_parts.len() <= 3 {
                over_parts.clone()
            } else {
                let mut v = over_parts.clone();
                rng.shuffle(&mut v);
                v.truncate(3);
                v
            };
            cands.clear();
            self.boundary_moves(s, &sources, &tabu_until, it, rng, &mut cands);
            cands.sort_unstable();
            if cands.first().is_none_or(|c| c.0 >= 0) {
                // No improving move: try re-cutting an overloaded grid with a neighbour.
                let a = sources[rng.below(sources.len())];
                if self.recut_with_neighbour(s, a, rng, scratch, (3, 2)) {
                    total = s.load.iter().map(|&l| self.over(l)).sum();
                    if total < best {
                        best = total;
                        since_best = 0;
                    }
                    continue;
                }
            }
            let mut applied = false;
            for &(delta, _, _, u, b) in cands.iter().take(24) {
                if !s.connected_without(self.g, u as usize, scratch) {
                    continue;
                }
                s.move_node(u as usize, b, self.w);
                total = (total as i64 + delta) as u64;
                tabu_until[u as usize] = it + 4 + rng.below(8);
                applied = true;
                break;
            }
            if total < best {
                best = total;
                since_best = 0;
            } else {
                since_best += 1;
            }
            if !applied || since_best > stall / 4 && since_best.trailing_zeros() >= 4 {
                // Recombine an overloaded part with a neighbour.
                if let Some(&a) = over_parts.get(rng.below(over_parts.len().max(1))) {
                    if self.recut_with_neighbour(s, a, rng, scratch, (4, 3)) {
                        total = s.load.iter().map(|&l| self.over(l)).sum();
                    }
                }
            }
            if since_best > stall {
                return total == 0;
            }
        }
        total == 0
    }

    /// Appends every boundary move out of the `sources` parts of a unit not tabu at iteration
    /// `it`: into each distinct neighbouring part, with its change of total overload.
    fn boundary_moves(
        &self,
        s: &State,
        sources: &[u32],
        tabu_until: &[usize],
        it: usize,
        rng: &mut Rng,
        cands: &mut Vec<BoundaryMove>,
    ) {
        for &a in sources {
            let la = s.load[a as usize];
            for &u in &s.members[a as usize] {
                let wu = self.w[u as usize];
                if tabu_until[u as usize] > it {
                    continue;
                }
                let mut seen: [u32; 8] = [u32::MAX; 8];
                let mut k = 0;
                for &v in self.g.targets(u as usize) {
                    let b = s.part[v as usize];
                    if b == a || seen[..k.min(8)].contains(&b) {
                        continue;
                    }
                    if k < 8 {
                        seen[k] = b;
                    }
                    k += 1;
                    let lb = s.load[b as usize];
                    let delta = self.over(la - wu) as i64 - self.over(la) as i64
                        + self.over(lb + wu) as i64
                        - self.over(lb) as i64;
                    let slack_after = self.cap as i64 - (lb + wu) as i64;
                    cands.push((delta, -slack_after, rng.next_u32(), u, b));
                }
            }
        }
    }

    /// Recombines part `a` with one of its neighbouring parts (in random order, at most `tries`
    /// of them, `trees` spanning trees each) until one recombination applies; true if one did.
    fn recut_with_neighbour(
        &self,
        s: &mut State,
        a: u32,
        rng: &mut Rng,
        scratch: &mut Scratch,
        (tries, trees): (usize, usize),
    ) -> bool {
        let mut nbrs = s.neighbour_parts(self.g, a);
        rng.shuffle(&mut nbrs);
        nbrs.into_iter()
            .take(tries)
            .any(|b| self.recombine(s, a, b, rng, scratch, trees))
    }

    /// Re-cuts the union of parts `a` and `b` along one edge of a random spanning tree, taking
    /// the cut with the least overload (then the most balanced); applied when it lowers the
    /// pair's overload.
    pub(super) fn recombine(
        &self,
        s: &mut State,
        a: u32,
        b: u32,
        rng: &mut Rng,
        scratch: &mut Scratch,
        trees: usize,
    ) -> bool {
        let nodes: Vec<u32> = s.members[a as usize]
            .iter()
            .chain(&s.members[b as usize])
            .copied()
            .collect();
        let total = s.load[a as usize] + s.load[b as usize];
        let before = self.over(s.load[a as usize]) + self.over(s.load[b as usize]);
        let local_w: Vec<u64> = nodes.iter().map(|&u| self.w[u as usize]).collect();
        let mut best: Option<(u64, u64, Forest, usize)> = None;
        for _ in 0..trees {
            let f = Forest::random(self.g, &nodes, rng, scratch);
            if f.parent.iter().filter(|&&p| p == u32::MAX).count() != 1 {
                return false;
            }
            let mut sub = local_w.clone();
            for &v in f.order.iter().rev() {
                let p = f.parent[v as usize];
                if p != u32::MAX {
                    sub[p as usize] += sub[v as usize];
                }
            }
            let mut local_best: Option<(u64, u64, usize)> = None;
            for (v, &below) in sub.iter().enumerate() {
                if f.parent[v] == u32::MAX {
                    continue;
                }
                let (x, y) = (below, total - below);
                let key = (self.over(x) + self.over(y), x.abs_diff(y), v);
                if local_best.is_none_or(|b| key < b) {
                    local_best = Some(key);
                }
            }
            if let Some((ov, imb, v)) = local_best {
                if best.as_ref().is_none_or(|b| (ov, imb) < (b.0, b.1)) {
                    best = Some((ov, imb, f, v));
                }
            }
        }
        let Some((ov, _, f, v)) = best else {
            return false;
        };
        if ov >= before {
            return false;
        }
        let mut inside = vec![false; nodes.len()];
        for &x in &f.order {
            let x = x as usize;
            inside[x] = x == v || (f.parent[x] != u32::MAX && inside[f.parent[x] as usize]);
        }
        for (i, &u) in nodes.iter().enumerate() {
            let to = if inside[i] { a } else { b };
            if s.part[u as usize] != to {
                s.move_node(u as usize, to, self.w);
            }
        }
        true
    }
}
