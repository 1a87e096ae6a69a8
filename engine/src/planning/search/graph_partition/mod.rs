//! Contiguous partition of a graph under a cap: parts (grids) of integer load ≤ the cap, each
//! connected, minimizing first the number of parts (lower bound ⌈Σ load / cap⌉), then the
//! weight moved from a current assignment, then the length of boundary between parts (a
//! compactness proxy: for fixed areas, less perimeter). Nothing here knows communities; the
//! planning glue is [`crate::planning::partition`].
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
//!      spanning trees of their union, accepted when they need fewer grids; then exactly: a grid
//!      and adjacent grids (up to 24 units) re-cut into one grid fewer by a branch and bound over
//!      connected subsets, which finds the re-cuts trees miss when units are the size of a grid.
//!      Both passes skip grids whose neighbourhood has not changed since they last failed;
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

mod exact;
mod polish;
mod reduce;
mod repair;
mod state;

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::planning::graph::{Forest, Scratch, UnitGraph};
use crate::planning::rng::Rng;
use state::{Solved, State};

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
}
