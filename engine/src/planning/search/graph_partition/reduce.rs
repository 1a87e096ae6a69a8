//! Fewer parts: local re-partition (on spanning trees, then exact), slack gathering,
//! elimination of a part and kicks.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use crate::planning::graph::{Forest, Scratch};
use crate::planning::rng::Rng;

use super::state::State;
use super::{PartitionParams, Problem};

impl Problem<'_> {
    /// Fewer parts: local re-partition passes, then dissolve-and-repair rounds.
    pub(super) fn reduce(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        params: &PartitionParams,
    ) {
        let lb = self.lower_bound();
        let mut kicks = 0;
        let (mut seen_local, mut seen_exact) = (Vec::new(), Vec::new());
        loop {
            if s.count() <= lb {
                return;
            }
            if self.local_repartition_pass(s, rng, scratch, params.local_trees, &mut seen_local) {
                continue;
            }
            if self.exact_pass(s, rng, &mut seen_exact) {
                continue;
            }
            if self.concentrate(s, rng, scratch, 8) {
                continue;
            }
            let live: Vec<u32> = (0..s.members.len() as u32)
                .filter(|&p| !s.members[p as usize].is_empty())
                .collect();
            // Grids whose neighbours have the most room for them first, then a few random ones
            // from the best quarter.
            let room: Vec<i64> = live
                .iter()
                .map(|&p| {
                    let slack: i64 = s
                        .neighbour_parts(self.g, p)
                        .iter()
                        .map(|&b| self.cap as i64 - s.load[b as usize] as i64)
                        .sum();
                    slack - s.load[p as usize] as i64
                })
                .collect();
            let mut by_room: Vec<usize> = (0..live.len()).collect();
            by_room.sort_by_key(|&i| (std::cmp::Reverse(room[i]), live[i]));
            let live: Vec<u32> = by_room.iter().map(|&i| live[i]).collect();
            let mut candidates: Vec<u32> = live
                .iter()
                .take(params.repair_attempts.div_ceil(2))
                .copied()
                .collect();
            let pool = live.len().min(4 * params.repair_attempts.max(1));
            while candidates.len() < params.repair_attempts.min(live.len()) {
                let c = live[rng.below(pool)];
                if !candidates.contains(&c) {
                    candidates.push(c);
                }
            }
            let mut done = false;
            for p in candidates {
                let mut trial = s.clone();
                if !self.dissolve(&mut trial, p) {
                    continue;
                }
                if self.chains(&mut trial, scratch, 64)
                    || self.repair(&mut trial, rng, scratch, params.repair_moves)
                {
                    *s = trial;
                    done = true;
                    kicks = 0;
                    break;
                }
            }
            if !done {
                if kicks >= params.kicks {
                    return;
                }
                kicks += 1;
                self.shake(s, rng, scratch);
            }
        }
    }

    /// Re-cuts a tenth of the grids with a random neighbour at a random feasible edge of a
    /// random spanning tree of the pair (a step of the recombination chain): the number of
    /// grids stays, their shapes change.
    fn shake(&self, s: &mut State, rng: &mut Rng, scratch: &mut Scratch) {
        let live: Vec<u32> = (0..s.members.len() as u32)
            .filter(|&p| !s.members[p as usize].is_empty())
            .collect();
        for _ in 0..(live.len() / 10).max(1) {
            let a = live[rng.below(live.len())];
            if s.members[a as usize].is_empty() {
                continue;
            }
            let nbrs = s.neighbour_parts(self.g, a);
            let Some(&b) = nbrs.get(rng.below(nbrs.len().max(1))) else {
                continue;
            };
            let nodes: Vec<u32> = s.members[a as usize]
                .iter()
                .chain(&s.members[b as usize])
                .copied()
                .collect();
            let local_w: Vec<u64> = nodes.iter().map(|&u| self.w[u as usize]).collect();
            let total: u64 = local_w.iter().sum();
            let f = Forest::random(self.g, &nodes, rng, scratch);
            if f.parent.iter().filter(|&&p| p == u32::MAX).count() != 1 {
                continue;
            }
            let mut sub = local_w.clone();
            for &v in f.order.iter().rev() {
                let p = f.parent[v as usize];
                if p != u32::MAX {
                    sub[p as usize] += sub[v as usize];
                }
            }
            let cuts: Vec<usize> = (0..nodes.len())
                .filter(|&v| {
                    f.parent[v] != u32::MAX && sub[v] <= self.cap && total - sub[v] <= self.cap
                })
                .collect();
            let Some(&v) = cuts.get(rng.below(cuts.len().max(1))) else {
                continue;
            };
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
        }
    }

    /// Re-cuts each grid with its neighbours by Kundu–Misra on random spanning trees of their
    /// union; accepts when fewer grids result. Returns whether any grid was saved.
    fn local_repartition_pass(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        trees: usize,
        seen: &mut Vec<u64>,
    ) -> bool {
        let mut order: Vec<u32> = (0..s.members.len() as u32)
            .filter(|&p| !s.members[p as usize].is_empty())
            .collect();
        order.sort_by_key(|&p| (s.load[p as usize], p));
        seen.resize(s.members.len(), 0);
        let mut improved = false;
        for a in order {
            if s.members[a as usize].is_empty() || !s.changed_around(self.g, a, seen[a as usize]) {
                continue;
            }
            seen[a as usize] = s.clock();
            let mut group: Vec<u32> = vec![a];
            for &u in &s.members[a as usize] {
                for &v in self.g.targets(u as usize) {
                    let b = s.part[v as usize];
                    if !group.contains(&b) {
                        group.push(b);
                    }
                }
            }
            let total: u64 = group.iter().map(|&p| s.load[p as usize]).sum();
            if total.div_ceil(self.cap) as usize >= group.len() {
                continue;
            }
            let nodes: Vec<u32> = group
                .iter()
                .flat_map(|&p| s.members[p as usize].iter().copied())
                .collect();
            let local_w: Vec<u64> = nodes.iter().map(|&u| self.w[u as usize]).collect();
            let mut best: Option<(usize, Vec<u32>)> = None;
            for t in 0..trees.max(1) {
                let f = Forest::mixed(self.g, &nodes, rng, scratch, t);
                let (lp, k) = f.cut_to_cap(&local_w, self.cap);
                if k < group.len() && best.as_ref().is_none_or(|b| k < b.0) {
                    best = Some((k, lp));
                }
            }
            if let Some((_, lp)) = best {
                for (i, &u) in nodes.iter().enumerate() {
                    let to = group[lp[i] as usize];
                    if s.part[u as usize] != to {
                        s.move_node(u as usize, to, self.w);
                    }
                }
                improved = true;
            }
        }
        improved
    }

    /// Empties part `a` into adjacent parts, unit by unit, each to the neighbour left with the
    /// most slack. False when `a` touches no other part.
    fn dissolve(&self, s: &mut State, a: u32) -> bool {
        while !s.members[a as usize].is_empty() {
            let mut best: Option<(i64, u32, u32)> = None;
            for &u in &s.members[a as usize] {
                for &v in self.g.targets(u as usize) {
                    let b = s.part[v as usize];
                    if b == a {
                        continue;
                    }
                    let slack = self.cap as i64 - (s.load[b as usize] + self.w[u as usize]) as i64;
                    if best.is_none_or(|(bs, bu, bb)| {
                        (slack, std::cmp::Reverse((u, b))) > (bs, std::cmp::Reverse((bu, bb)))
                    }) {
                        best = Some((slack, u, b));
                    }
                }
            }
            let Some((_, u, b)) = best else {
                return false;
            };
            s.move_node(u as usize, b, self.w);
        }
        true
    }

    /// Moves units from lighter to fuller adjacent grids (within the cap, keeping contiguity)
    /// while that raises Σ load²: slack gathers in the light grids, which empty out or become
    /// easy to dissolve. Returns whether the number of grids fell.
    fn concentrate(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        passes: usize,
    ) -> bool {
        let before = s.count();
        let mut order: Vec<u32> = (0..self.n() as u32).collect();
        for _ in 0..passes {
            rng.shuffle(&mut order);
            let mut moved = 0usize;
            for &u in &order {
                let u = u as usize;
                let a = s.part[u];
                let (la, wu) = (s.load[a as usize], self.w[u]);
                let mut best: Option<(u64, u32)> = None;
                for &v in self.g.targets(u) {
                    let b = s.part[v as usize];
                    let lb = s.load[b as usize];
                    if b == a || lb + wu > self.cap || lb + wu <= la {
                        continue;
                    }
                    if best.is_none_or(|(l, _)| lb > l) {
                        best = Some((lb, b));
                    }
                }
                if let Some((_, b)) = best {
                    if s.connected_without(self.g, u, scratch) {
                        s.move_node(u, b, self.w);
                        moved += 1;
                    }
                }
            }
            if moved == 0 {
                break;
            }
        }
        s.count() < before
    }
}
