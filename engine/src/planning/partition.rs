//! Automatic partition 自动划分: grids within the cap (load ≤ 1) and contiguous, minimizing
//! first the number of grids (lower bound ⌈Σ load⌉), then the households moved from the
//! current plan, then the length of boundary between grids (a compactness proxy: for fixed
//! areas, less perimeter).
//!
//! The search ([`partition_graph`]), on any graph with integer loads; every step keeps each
//! grid contiguous:
//! 1. **Seeds.** Random spanning trees (depth-first ones, which cut like next-fit along a path,
//!    and Kruskal ones) cut by Kundu–Misra — bottom-up, a unit whose subtree exceeds the cap
//!    cuts off its heaviest child subtrees: the fewest parts for that tree — and the current
//!    plan with its overloaded grids cut the same way. The best tree seed and the current-plan
//!    seed are both improved; the better result wins.
//! 2. **Fewer grids**, until the lower bound or the search gives up:
//!    - local re-partition: a grid and its neighbouring grids re-cut by Kundu–Misra on random
//!      spanning trees of their union, accepted when they need fewer grids;
//!    - slack gathering: units move from lighter to fuller adjacent grids (raising Σ load²), so
//!      light grids empty out;
//!    - elimination: a grid whose neighbours have the most room is dissolved into them, then the
//!      overload is pushed out along ejection chains (Dijkstra over grids: single-unit moves
//!      A → P₁ → … → Q ending in a grid with room), else by a tabu search of boundary-unit moves
//!      with pair recombinations (two adjacent grids re-cut along a spanning tree);
//!    - kicks: when no grid can be eliminated, a tenth of the grids are re-cut with a neighbour
//!      at a random feasible spanning-tree edge (a recombination-chain step) and the search
//!      resumes, up to `kicks` times in a row.
//! 3. **Polish.** Boundary-unit moves that keep caps and contiguity and reduce the households
//!    moved from the current plan (grids matched to current codes by overlap), then the shared
//!    boundary between grids.
//!
//! Units heavier than the cap are infeasible: each is a grid of its own, reported.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::context::PlanningContext;
use super::graph::{Forest, Scratch, UnitGraph};
use super::plan::{Plan, PlanDiff, PlanGrid};
use super::rng::Rng;
use super::units::{Caps, UnitKind, UnitRef};
use super::PlanningError;

/// Effort and seed of the partition search. The same parameters always give the same result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionParams {
    pub seed: u64,
    /// Random spanning trees cut by Kundu–Misra to seed the search (default 32).
    pub seed_trees: usize,
    /// Spanning trees per local re-partition of a grid and its neighbours (default 6).
    pub local_trees: usize,
    /// Grids tried for elimination per round when local re-partition stalls (default 6).
    pub repair_attempts: usize,
    /// Tabu moves per elimination attempt (default 3,000).
    pub repair_moves: usize,
    /// Rounds of the final polish (default 6).
    pub polish_rounds: usize,
    /// Times in a row the search reshapes grids (random feasible recombinations) and tries
    /// again when no grid can be eliminated, before it stops (default 4).
    pub kicks: usize,
}

impl Default for PartitionParams {
    fn default() -> Self {
        PartitionParams {
            seed: 1,
            seed_trees: 32,
            local_trees: 6,
            repair_attempts: 6,
            repair_moves: 3000,
            polish_rounds: 6,
            kicks: 4,
        }
    }
}

/// The current assignment the partition should stay close to: a label per unit (its current
/// grid) and the weight of moving it (households).
#[derive(Debug, Clone, Copy)]
pub struct CurrentAssignment<'a> {
    pub labels: &'a [Option<u32>],
    pub weights: &'a [u64],
}

/// A partition of a graph's units into contiguous parts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphPartition {
    /// The part of each unit, `0..parts`.
    pub part_of: Vec<u32>,
    pub parts: usize,
    /// ⌈Σ load / cap⌉ over the feasible units, plus one per infeasible unit.
    pub lower_bound: usize,
    /// Units heavier than the cap, each alone in its part.
    pub infeasible: Vec<usize>,
    /// The current label each part was matched to (by overlap), if any.
    pub labels: Vec<Option<u32>>,
    /// Σ weight of the units whose part's label differs from their current label.
    pub changed: u64,
    /// Σ shared length of the edges between parts (metres for a tessellation).
    pub cut_length: f64,
}

/// Partitions `graph` into contiguous parts of load ≤ `cap` (loads are integers; a unit
/// heavier than the cap is a part of its own), with as few parts as the search finds, then as
/// little change from `current` as possible, then as little shared boundary between parts.
pub fn partition_graph(
    graph: &UnitGraph,
    loads: &[u64],
    cap: u64,
    current: Option<&CurrentAssignment<'_>>,
    params: &PartitionParams,
) -> GraphPartition {
    let n = graph.len().min(loads.len());
    let cap = cap.max(1);
    let feasible: Vec<usize> = (0..n).filter(|&u| loads[u] <= cap).collect();
    let infeasible: Vec<usize> = (0..n).filter(|&u| loads[u] > cap).collect();
    let induced;
    let sub: &UnitGraph = if infeasible.is_empty() && n == graph.len() {
        graph
    } else {
        induced = graph.induced(&feasible);
        &induced
    };
    let w: Vec<u64> = feasible.iter().map(|&u| loads[u]).collect();
    let cur_labels: Option<Vec<Option<u32>>> = current.map(|c| {
        feasible
            .iter()
            .map(|&u| c.labels.get(u).copied().flatten())
            .collect()
    });
    let cw: Vec<u64> = match current {
        Some(c) => feasible
            .iter()
            .map(|&u| c.weights.get(u).copied().unwrap_or(0))
            .collect(),
        None => vec![0; feasible.len()],
    };
    let problem = Problem {
        g: sub,
        w: &w,
        cap,
        cur: cur_labels.as_deref(),
        cw: &cw,
    };
    let solved = problem.solve(params);

    // Assemble: feasible parts, then one part per infeasible unit.
    let mut part_of = vec![0u32; n];
    for (i, &u) in feasible.iter().enumerate() {
        part_of[u] = solved.part[i];
    }
    let mut parts = solved.count;
    for &u in &infeasible {
        part_of[u] = parts as u32;
        parts += 1;
    }
    // Match labels over every part (infeasible singletons included).
    let (labels, changed) = match current {
        Some(c) => match_labels(&part_of, parts, c.labels, c.weights),
        None => (vec![None; parts], 0),
    };
    let cut_length = graph
        .edges()
        .filter(|&(a, b, _)| a < n && b < n && part_of[a] != part_of[b])
        .map(|(_, _, l)| l)
        .sum();
    let total: u64 = w.iter().sum();
    GraphPartition {
        part_of,
        parts,
        lower_bound: total.div_ceil(cap) as usize + infeasible.len(),
        infeasible,
        labels,
        changed,
        cut_length,
    }
}

/// Greedy maximum-overlap matching of parts to current labels (by moved weight, then units);
/// returns each part's label and the weight of units not in their current label.
fn match_labels(
    part_of: &[u32],
    parts: usize,
    labels: &[Option<u32>],
    weights: &[u64],
) -> (Vec<Option<u32>>, u64) {
    let mut overlap: HashMap<(u32, u32), (u64, u64)> = HashMap::new();
    for (u, &p) in part_of.iter().enumerate() {
        if let Some(Some(l)) = labels.get(u) {
            let e = overlap.entry((p, *l)).or_default();
            e.0 += weights.get(u).copied().unwrap_or(0);
            e.1 += 1;
        }
    }
    let mut pairs: Vec<((u32, u32), (u64, u64))> = overlap.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = vec![None; parts];
    let mut used = BTreeSet::new();
    for ((p, l), _) in pairs {
        if out[p as usize].is_none() && !used.contains(&l) {
            out[p as usize] = Some(l);
            used.insert(l);
        }
    }
    let changed = part_of
        .iter()
        .enumerate()
        .filter(|&(u, &p)| labels.get(u).copied().flatten() != out[p as usize])
        .map(|(u, _)| weights.get(u).copied().unwrap_or(0))
        .sum();
    (out, changed)
}

struct Problem<'a> {
    g: &'a UnitGraph,
    w: &'a [u64],
    cap: u64,
    cur: Option<&'a [Option<u32>]>,
    cw: &'a [u64],
}

struct Solved {
    part: Vec<u32>,
    count: usize,
}

/// A partition under search: parts may be empty (dead) until compacted.
#[derive(Debug, Clone)]
struct State {
    part: Vec<u32>,
    members: Vec<Vec<u32>>,
    pos: Vec<u32>,
    load: Vec<u64>,
}

impl State {
    fn new(part: Vec<u32>, w: &[u64]) -> State {
        let parts = part.iter().map(|&p| p as usize + 1).max().unwrap_or(0);
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); parts];
        let mut pos = vec![0u32; part.len()];
        let mut load = vec![0u64; parts];
        for (u, &p) in part.iter().enumerate() {
            pos[u] = members[p as usize].len() as u32;
            members[p as usize].push(u as u32);
            load[p as usize] += w[u];
        }
        State {
            part,
            members,
            pos,
            load,
        }
    }

    fn count(&self) -> usize {
        self.members.iter().filter(|m| !m.is_empty()).count()
    }

    fn move_node(&mut self, u: usize, to: u32, w: &[u64]) {
        let from = self.part[u] as usize;
        let i = self.pos[u] as usize;
        let m = &mut self.members[from];
        m.swap_remove(i);
        if i < m.len() {
            let moved = m[i] as usize;
            self.pos[moved] = i as u32;
        }
        self.load[from] -= w[u];
        let t = to as usize;
        self.pos[u] = self.members[t].len() as u32;
        self.members[t].push(u as u32);
        self.load[t] += w[u];
        self.part[u] = to;
    }

    /// A new empty part.
    fn push_part(&mut self) -> u32 {
        self.members.push(Vec::new());
        self.load.push(0);
        (self.members.len() - 1) as u32
    }

    /// Whether `part[u]` stays connected without `u` (true when `u` is its only unit).
    fn connected_without(&self, g: &UnitGraph, u: usize, s: &mut Scratch) -> bool {
        let a = self.part[u];
        let size = self.members[a as usize].len();
        if size <= 2 {
            return true;
        }
        let mut start = None;
        let mut inside_nbrs = 0;
        for &v in g.targets(u) {
            if self.part[v as usize] == a {
                inside_nbrs += 1;
                start.get_or_insert(v);
            }
        }
        let Some(start) = start else {
            return true;
        };
        if inside_nbrs == 1 {
            return true;
        }
        s.next_epoch();
        s.mark(u);
        s.mark(start as usize);
        s.queue.clear();
        s.queue.push(start);
        let mut reached = 1;
        let mut i = 0;
        while i < s.queue.len() {
            let x = s.queue[i] as usize;
            i += 1;
            for &y in g.targets(x) {
                if self.part[y as usize] == a && !s.marked(y as usize) {
                    s.mark(y as usize);
                    s.queue.push(y);
                    reached += 1;
                }
            }
        }
        reached == size - 1
    }

    fn compact(&self) -> Solved {
        let mut remap = vec![u32::MAX; self.members.len()];
        let mut next = 0u32;
        // Number parts by their smallest unit, so equal partitions print equally.
        for &p in &self.part {
            if remap[p as usize] == u32::MAX {
                remap[p as usize] = next;
                next += 1;
            }
        }
        Solved {
            part: self.part.iter().map(|&p| remap[p as usize]).collect(),
            count: next as usize,
        }
    }
}

impl Problem<'_> {
    fn n(&self) -> usize {
        self.w.len()
    }

    fn over(&self, load: u64) -> u64 {
        load.saturating_sub(self.cap)
    }

    fn lower_bound(&self) -> usize {
        self.w.iter().sum::<u64>().div_ceil(self.cap) as usize
    }

    /// (parts, changed weight, cut length) of a state, for choosing between solutions.
    fn score(&self, s: &State) -> (usize, u64, f64) {
        let solved = s.compact();
        let changed = match self.cur {
            Some(cur) => match_labels(&solved.part, solved.count, cur, self.cw).1,
            None => 0,
        };
        (solved.count, changed, self.cut(&s.part))
    }

    fn cut(&self, part: &[u32]) -> f64 {
        self.g
            .edges()
            .filter(|&(a, b, _)| part[a] != part[b])
            .map(|(_, _, l)| l)
            .sum()
    }

    fn solve(&self, params: &PartitionParams) -> Solved {
        let n = self.n();
        if n == 0 {
            return Solved {
                part: Vec::new(),
                count: 0,
            };
        }
        let root = Rng::new(params.seed);
        let all: Vec<u32> = (0..n as u32).collect();
        let trees = params.seed_trees.max(1);
        let seeds: Vec<(usize, u64, f64, usize, Vec<u32>)> = (0..trees)
            .into_par_iter()
            .map(|t| {
                let mut rng = root.fork(t as u64 + 1);
                let mut scratch = Scratch::new(n);
                let f = Forest::mixed(self.g, &all, &mut rng, &mut scratch, t);
                let (local_part, _) = f.cut_to_cap(self.w, self.cap);
                let state = State::new(local_part, self.w);
                let (k, ch, cut) = self.score(&state);
                (k, ch, cut, t, state.part)
            })
            .collect();
        let mut seeds = seeds;
        seeds.sort_by(|a, b| {
            (a.0, a.1)
                .cmp(&(b.0, b.1))
                .then(a.2.total_cmp(&b.2))
                .then(a.3.cmp(&b.3))
        });
        // The best tree seed, and the current plan's seed or else the second-best tree seed:
        // two searches, one per core.
        let second = if self.cur.is_some() { 1 } else { 2 };
        let mut starts: Vec<State> = seeds
            .into_iter()
            .take(second)
            .map(|s| State::new(s.4, self.w))
            .collect();
        if self.cur.is_some() {
            let mut rng = root.fork(0xC0DE);
            starts.push(self.seed_from_current(&mut rng, params));
        }
        let finished: Vec<State> = starts
            .into_par_iter()
            .enumerate()
            .map(|(i, mut s)| {
                let mut rng = root.fork(0x5EA5 + i as u64);
                let mut scratch = Scratch::new(n);
                self.reduce(&mut s, &mut rng, &mut scratch, params);
                self.polish(&mut s, &mut rng, &mut scratch, params.polish_rounds);
                s
            })
            .collect();
        let best = finished
            .into_iter()
            .map(|s| (self.score(&s), s))
            .min_by(|a, b| {
                (a.0 .0, a.0 .1)
                    .cmp(&(b.0 .0, b.0 .1))
                    .then(a.0 .2.total_cmp(&b.0 .2))
            })
            .map(|(_, s)| s);
        match best {
            Some(s) => s.compact(),
            None => Solved {
                part: vec![0; n],
                count: 1,
            },
        }
    }

    /// The current plan as parts: each label's connected groups, unlabeled units joined to an
    /// adjacent part (breadth-first), overloaded parts cut by Kundu–Misra.
    fn seed_from_current(&self, rng: &mut Rng, params: &PartitionParams) -> State {
        let n = self.n();
        let cur = self.cur.unwrap_or(&[]);
        let label = |u: usize| cur.get(u).copied().flatten();
        let mut part = vec![u32::MAX; n];
        let mut next = 0u32;
        let mut queue: Vec<u32> = Vec::new();
        for s in 0..n {
            if part[s] != u32::MAX || label(s).is_none() {
                continue;
            }
            part[s] = next;
            queue.clear();
            queue.push(s as u32);
            let mut i = 0;
            while i < queue.len() {
                let x = queue[i] as usize;
                i += 1;
                for &y in self.g.targets(x) {
                    if part[y as usize] == u32::MAX && label(y as usize) == label(s) {
                        part[y as usize] = next;
                        queue.push(y);
                    }
                }
            }
            next += 1;
        }
        let mut frontier: Vec<u32> = (0..n as u32)
            .filter(|&u| part[u as usize] != u32::MAX)
            .collect();
        let mut i = 0;
        while i < frontier.len() {
            let x = frontier[i] as usize;
            i += 1;
            for &y in self.g.targets(x) {
                if part[y as usize] == u32::MAX {
                    part[y as usize] = part[x];
                    frontier.push(y);
                }
            }
        }
        for s in 0..n {
            if part[s] != u32::MAX {
                continue;
            }
            part[s] = next;
            let mut q = vec![s as u32];
            let mut i = 0;
            while i < q.len() {
                let x = q[i] as usize;
                i += 1;
                for &y in self.g.targets(x) {
                    if part[y as usize] == u32::MAX {
                        part[y as usize] = next;
                        q.push(y);
                    }
                }
            }
            next += 1;
        }
        let mut state = State::new(part, self.w);
        let mut scratch = Scratch::new(n);
        let over: Vec<u32> = (0..state.members.len() as u32)
            .filter(|&p| state.load[p as usize] > self.cap)
            .collect();
        for p in over {
            let nodes = state.members[p as usize].clone();
            let local_w: Vec<u64> = nodes.iter().map(|&u| self.w[u as usize]).collect();
            let mut best: Option<(usize, Vec<u32>)> = None;
            for t in 0..params.local_trees.max(1) {
                let f = Forest::mixed(self.g, &nodes, rng, &mut scratch, t);
                let (lp, k) = f.cut_to_cap(&local_w, self.cap);
                if best.as_ref().is_none_or(|b| k < b.0) {
                    best = Some((k, lp));
                }
            }
            if let Some((k, lp)) = best {
                let mut ids = vec![p];
                ids.extend((1..k).map(|_| state.push_part()));
                for (i, &u) in nodes.iter().enumerate() {
                    let to = ids[lp[i] as usize];
                    if state.part[u as usize] != to {
                        state.move_node(u as usize, to, self.w);
                    }
                }
            }
        }
        state
    }

    /// Fewer parts: local re-partition passes, then dissolve-and-repair rounds.
    fn reduce(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        params: &PartitionParams,
    ) {
        let lb = self.lower_bound();
        let mut kicks = 0;
        loop {
            if s.count() <= lb {
                return;
            }
            if self.local_repartition_pass(s, rng, scratch, params.local_trees) {
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
                    let mut nbrs: Vec<u32> = Vec::new();
                    for &u in &s.members[p as usize] {
                        for &v in self.g.targets(u as usize) {
                            let b = s.part[v as usize];
                            if b != p && !nbrs.contains(&b) {
                                nbrs.push(b);
                            }
                        }
                    }
                    let slack: i64 = nbrs
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
            let mut nbrs: Vec<u32> = Vec::new();
            for &u in &s.members[a as usize] {
                for &v in self.g.targets(u as usize) {
                    let b = s.part[v as usize];
                    if b != a && !nbrs.contains(&b) {
                        nbrs.push(b);
                    }
                }
            }
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
    ) -> bool {
        let mut order: Vec<u32> = (0..s.members.len() as u32)
            .filter(|&p| !s.members[p as usize].is_empty())
            .collect();
        order.sort_by_key(|&p| (s.load[p as usize], p));
        let mut improved = false;
        for a in order {
            if s.members[a as usize].is_empty() {
                continue;
            }
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

    /// Ejection chains: for each overloaded grid, the cheapest chain of single-unit moves
    /// A → P₁ → … → Q that ends in a grid with room, every grid on the way staying within the
    /// cap and contiguous (Dijkstra over grids by the load pushed into them). Each chain lowers
    /// the total overload. True when no grid is overloaded any more.
    fn chains(&self, s: &mut State, scratch: &mut Scratch, rounds: usize) -> bool {
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
    fn repair(&self, s: &mut State, rng: &mut Rng, scratch: &mut Scratch, moves: usize) -> bool {
        let n = self.n();
        let mut total: u64 = s.load.iter().map(|&l| self.over(l)).sum();
        let mut best = total;
        let mut since_best = 0usize;
        let stall = 200 + moves / 10;
        let mut tabu_until = vec![0usize; n];
        let mut cands: Vec<(i64, i64, u32, u32, u32)> = Vec::new();
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
            for &a in &sources {
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
            cands.sort_unstable();
            if cands.first().is_none_or(|c| c.0 >= 0) {
                // No improving move: try re-cutting an overloaded grid with a neighbour.
                let a = sources[rng.below(sources.len())];
                let mut nbrs: Vec<u32> = Vec::new();
                for &u in &s.members[a as usize] {
                    for &v in self.g.targets(u as usize) {
                        let b = s.part[v as usize];
                        if b != a && !nbrs.contains(&b) {
                            nbrs.push(b);
                        }
                    }
                }
                rng.shuffle(&mut nbrs);
                let mut recut = false;
                for b in nbrs.into_iter().take(3) {
                    if self.recombine(s, a, b, rng, scratch, 2) {
                        total = s.load.iter().map(|&l| self.over(l)).sum();
                        recut = true;
                        break;
                    }
                }
                if recut {
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
                    let mut nbrs: Vec<u32> = Vec::new();
                    for &u in &s.members[a as usize] {
                        for &v in self.g.targets(u as usize) {
                            let b = s.part[v as usize];
                            if b != a && !nbrs.contains(&b) {
                                nbrs.push(b);
                            }
                        }
                    }
                    rng.shuffle(&mut nbrs);
                    for b in nbrs.into_iter().take(4) {
                        if self.recombine(s, a, b, rng, scratch, 3) {
                            total = s.load.iter().map(|&l| self.over(l)).sum();
                            break;
                        }
                    }
                }
            }
            if since_best > stall {
                return total == 0;
            }
        }
        total == 0
    }

    /// Re-cuts the union of parts `a` and `b` along one edge of a random spanning tree, taking
    /// the cut with the least overload (then the most balanced); applied when it lowers the
    /// pair's overload.
    fn recombine(
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

    /// Moves that keep caps and contiguity and reduce (changed weight, cut length).
    fn polish(&self, s: &mut State, rng: &mut Rng, scratch: &mut Scratch, rounds: usize) {
        let n = self.n();
        let mut order: Vec<u32> = (0..n as u32).collect();
        for _ in 0..rounds {
            let labels: Vec<Option<u32>> = match self.cur {
                Some(cur) => {
                    let mut l = match_labels(&s.part, s.members.len(), cur, self.cw).0;
                    l.resize(s.members.len(), None);
                    l
                }
                None => vec![None; s.members.len()],
            };
            let cur_of = |u: usize| self.cur.and_then(|c| c.get(u).copied().flatten());
            rng.shuffle(&mut order);
            let mut moved = 0usize;
            for &u in &order {
                let u = u as usize;
                let a = s.part[u];
                let wu = self.w[u];
                let mut to_a = 0.0;
                let mut by_part: Vec<(u32, f64)> = Vec::new();
                for (v, l) in self.g.neighbours(u) {
                    let b = s.part[v];
                    if b == a {
                        to_a += l;
                    } else if let Some(e) = by_part.iter_mut().find(|e| e.0 == b) {
                        e.1 += l;
                    } else {
                        by_part.push((b, l));
                    }
                }
                let mut best: Option<(i64, f64, u32)> = None;
                for &(b, to_b) in &by_part {
                    if s.load[b as usize] + wu > self.cap {
                        continue;
                    }
                    let cu = cur_of(u);
                    let miss = |p: u32| i64::from(labels.get(p as usize).copied().flatten() != cu);
                    let dchg = (miss(b) - miss(a)) * self.cw[u] as i64;
                    let dcut = to_a - to_b;
                    let better = dchg < 0 || (dchg == 0 && dcut < -1e-9);
                    if better && best.is_none_or(|(bc, bl, _)| (dchg, dcut) < (bc, bl)) {
                        best = Some((dchg, dcut, b));
                    }
                }
                if let Some((_, _, b)) = best {
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
    }
}

/// Which units an automatic partition redraws.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "items", rename_all = "snake_case")]
pub enum PartitionScope {
    /// Every unit outside locked grids, unassigned units included.
    #[default]
    Community,
    /// The units of these grids (locked ones excepted).
    Grids(Vec<String>),
    /// These units (those in locked grids excepted).
    Units(Vec<UnitRef>),
}

/// Options of [`auto_partition`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PartitionOptions {
    pub caps: Caps,
    pub scope: PartitionScope,
    pub params: PartitionParams,
}

/// A compound above the cap split along its buildings by the partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitCompound {
    pub compound: i64,
    pub name: String,
    pub households: i64,
    pub load: f64,
    pub buildings: usize,
}

/// A unit no grid can hold within the cap; it is left alone in a grid of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfeasibleUnit {
    pub unit: UnitRef,
    pub name: String,
    pub households: i64,
    pub load: f64,
    pub reason: String,
}

/// An automatic partition: the proposed plan and how good it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionResult {
    /// The proposal, a draft of the whole community.
    pub plan: Plan,
    /// Units redrawn.
    pub units: usize,
    /// Grids made for the redrawn units.
    pub grids: usize,
    /// ⌈Σ load⌉ of the redrawn units (+1 per infeasible unit): no partition has fewer grids.
    pub lower_bound: usize,
    /// `grids − lower_bound`.
    pub gap: usize,
    /// `grids / lower_bound` (1 when both are 0).
    pub ratio: f64,
    /// Grids kept as they were: locked ones and those outside the scope.
    pub kept_grids: Vec<String>,
    pub locked_grids: Vec<String>,
    pub split_compounds: Vec<SplitCompound>,
    pub infeasible: Vec<InfeasibleUnit>,
    pub units_moved: usize,
    pub households_moved: i64,
    /// Boundary shared between the redrawn grids, metres.
    pub shared_boundary_m: f64,
    /// The proposal against the current plan.
    pub diff: PlanDiff,
}

/// The result with the context of its plan (a new one when compounds were split).
#[derive(Debug, Clone)]
pub struct PartitionOutcome {
    pub result: PartitionResult,
    pub context: Arc<PlanningContext>,
}

/// Proposes grids for the community of `ctx` starting from `current`: within the caps and
/// contiguous, as few as found (reported against the lower bound), then as few households moved
/// as possible, then compact. Locked grids (and grids outside the scope) are kept as they are;
/// a compound above the cap is split along its buildings (or reported infeasible if it has
/// none). Grids matched to current grids keep their codes, names and workers; new grids get the
/// next codes and ⌈load⌉ workers; current grids left empty are deleted.
pub fn auto_partition(
    ctx: &Arc<PlanningContext>,
    current: &Plan,
    opts: &PartitionOptions,
) -> Result<PartitionOutcome, PlanningError> {
    current.check_context(ctx)?;
    opts.caps.validate()?;
    let caps = opts.caps;
    let scale = caps.scale();
    let unknown = |u: UnitRef| PlanningError::UnknownUnit {
        unit: u,
        community: ctx.community_code().to_owned(),
    };

    let locked: BTreeSet<String> = current
        .grids
        .iter()
        .filter(|g| g.locked)
        .map(|g| g.code.clone())
        .collect();
    let in_locked =
        |plan: &Plan, u: UnitRef| plan.grids.iter().any(|g| g.locked && g.units.contains(&u));
    let mut free: BTreeSet<UnitRef> = match &opts.scope {
        PartitionScope::Community => ctx.units.iter().map(|u| u.unit).collect(),
        PartitionScope::Grids(codes) => {
            let mut set = BTreeSet::new();
            for c in codes {
                let g = current
                    .grid(c)
                    .ok_or_else(|| PlanningError::UnknownGrid(c.clone()))?;
                set.extend(
                    g.units
                        .iter()
                        .copied()
                        .filter(|&u| ctx.position(u).is_some()),
                );
            }
            set
        }
        PartitionScope::Units(list) => {
            for &u in list {
                ctx.position(u).ok_or_else(|| unknown(u))?;
            }
            list.iter().copied().collect()
        }
    };
    free.retain(|&u| !in_locked(current, u));

    // Compounds above the cap are split along their buildings.
    let mut plan = current.clone();
    let mut split_report = Vec::new();
    let mut to_split = Vec::new();
    for &u in &free {
        if let Some(pu) = ctx.unit(u) {
            if pu.kind == UnitKind::Compound && scale.units(pu.households, pu.class) > scale.cap {
                if let Some(c) = pu.compound_id {
                    let buildings = ctx.catalog.buildings_of(c).count();
                    if buildings > 0 {
                        to_split.push(c);
                        split_report.push(SplitCompound {
                            compound: c,
                            name: pu.name.clone(),
                            households: pu.households,
                            load: pu.load(&caps),
                            buildings,
                        });
                    }
                }
            }
        }
    }
    let ctx: Arc<PlanningContext> = if to_split.is_empty() {
        Arc::clone(ctx)
    } else {
        for &c in &to_split {
            plan.split_compound(&ctx.catalog, c)?;
            free.remove(&UnitRef::Compound(c));
            free.extend(ctx.catalog.buildings_of(c).map(|b| UnitRef::Building(b.id)));
        }
        Arc::new(PlanningContext::new(
            Arc::clone(&ctx.catalog),
            &plan.split_compounds,
            ctx.options,
        )?)
    };

    // Grids whose every unit is redrawn (and not locked) lend their codes to the new grids.
    // (An empty grid counts when the whole community or that grid is redrawn.)
    let free_grids: Vec<usize> = plan
        .grids
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let empty_in_scope = match &opts.scope {
                PartitionScope::Community => true,
                PartitionScope::Grids(codes) => codes.contains(&g.code),
                PartitionScope::Units(_) => false,
            };
            !g.locked
                && (if g.units.is_empty() {
                    empty_in_scope
                } else {
                    g.units.iter().all(|u| free.contains(u))
                })
        })
        .map(|(i, _)| i)
        .collect();
    let label_of_grid: BTreeMap<String, u32> = free_grids
        .iter()
        .enumerate()
        .map(|(l, &gi)| (plan.grids[gi].code.clone(), l as u32))
        .collect();
    let positions: Vec<usize> = {
        let mut p: Vec<usize> = free.iter().filter_map(|&u| ctx.position(u)).collect();
        p.sort_unstable();
        p
    };
    let sub = ctx.graph().induced(&positions);
    let loads: Vec<u64> = positions
        .iter()
        .map(|&i| scale.units(ctx.units[i].households, ctx.units[i].class))
        .collect();
    let labels: Vec<Option<u32>> = positions
        .iter()
        .map(|&i| {
            plan.grids_of(ctx.units[i].unit)
                .first()
                .and_then(|c| label_of_grid.get(*c).copied())
        })
        .collect();
    let weights: Vec<u64> = positions
        .iter()
        .map(|&i| ctx.units[i].households.max(0) as u64)
        .collect();
    let result = partition_graph(
        &sub,
        &loads,
        scale.cap,
        Some(&CurrentAssignment {
            labels: &labels,
            weights: &weights,
        }),
        &opts.params,
    );

    // The new plan: redrawn units out of every grid, matched grids refilled, others removed,
    // new grids appended.
    let redrawn: BTreeSet<UnitRef> = positions.iter().map(|&i| ctx.units[i].unit).collect();
    plan.unassign_units(&redrawn.iter().copied().collect::<Vec<_>>());
    let mut part_units: Vec<Vec<usize>> = vec![Vec::new(); result.parts];
    for (local, &p) in result.part_of.iter().enumerate() {
        part_units[p as usize].push(positions[local]);
    }
    let matched: BTreeMap<u32, usize> = result
        .labels
        .iter()
        .enumerate()
        .filter_map(|(p, l)| l.map(|l| (l, p)))
        .collect();
    let mut new_grids: Vec<PlanGrid> = Vec::new();
    for g in &plan.grids {
        match label_of_grid.get(g.code.as_str()) {
            Some(l) => {
                if let Some(&p) = matched.get(l) {
                    let mut g = g.clone();
                    g.units = part_units[p].iter().map(|&i| ctx.units[i].unit).collect();
                    new_grids.push(g);
                }
            }
            None => new_grids.push(g.clone()),
        }
    }
    plan.grids = new_grids;
    for (p, units) in part_units.iter().enumerate() {
        if result.labels[p].is_some() {
            continue;
        }
        let load: u64 = units
            .iter()
            .map(|&i| scale.units(ctx.units[i].households, ctx.units[i].class))
            .sum();
        let code = plan.create_grid(None, None)?;
        if let Some(g) = plan.grids.iter_mut().find(|g| g.code == code) {
            g.workers = scale.grids_needed(load).max(1) as i64;
            g.units = units.iter().map(|&i| ctx.units[i].unit).collect();
        }
    }

    let infeasible = result
        .infeasible
        .iter()
        .map(|&local| {
            let u = &ctx.units[positions[local]];
            let cap = u.cap(&caps);
            let reason = match u.kind {
                UnitKind::Compound => format!(
                    "the compound's {} households exceed the cap of {cap} and it has no buildings to split along",
                    u.households
                ),
                UnitKind::CompoundBuilding | UnitKind::ScatteredBuilding => format!(
                    "the building alone holds {} households, above the cap of {cap}",
                    u.households
                ),
            };
            InfeasibleUnit {
                unit: u.unit,
                name: u.name.clone(),
                households: u.households,
                load: u.load(&caps),
                reason,
            }
        })
        .collect();
    let kept_grids: Vec<String> = plan
        .grids
        .iter()
        .filter(|g| !label_of_grid.contains_key(g.code.as_str()) && current.grid(&g.code).is_some())
        .map(|g| g.code.clone())
        .collect();
    let diff = plan.diff(current, &ctx.catalog);
    let grids = result.parts;
    let lower_bound = result.lower_bound;
    Ok(PartitionOutcome {
        result: PartitionResult {
            units: positions.len(),
            grids,
            lower_bound,
            gap: grids.saturating_sub(lower_bound),
            ratio: if lower_bound == 0 {
                1.0
            } else {
                grids as f64 / lower_bound as f64
            },
            kept_grids,
            locked_grids: locked.into_iter().collect(),
            split_compounds: split_report,
            infeasible,
            units_moved: diff.units_moved,
            households_moved: diff.households_moved,
            shared_boundary_m: result.cut_length,
            diff,
            plan,
        },
        context: ctx,
    })
}
