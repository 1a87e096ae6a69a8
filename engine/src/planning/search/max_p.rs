//! Max-p regions on any graph: as many contiguous regions as possible, each with at least a
//! floor of weight (the search behind joint-management clusters, [`crate::planning::clusters`]).
//!
//! The search ([`max_p_regions`], on any graph): per connected component of the eligible units,
//! random spanning trees are cut greedily bottom-up (a subtree whose weight reaches the floor
//! becomes a region; the root's leftover joins a region below it — optimal for a tree); the best
//! tree is kept, then local search re-cuts each region with its neighbouring regions on random
//! spanning trees of their union, accepting more regions. Components lighter than the floor
//! stay unassigned. Upper bound: Σ over components of ⌊weight / floor⌋.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]
use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::planning::graph::{Forest, Scratch, UnitGraph};
use crate::planning::rng::Rng;

/// Effort and seed of the max-p search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MaxPParams {
    pub seed: u64,
    /// Random spanning trees cut per component to construct (default 48).
    pub trees: usize,
    /// Spanning trees per local re-cut of a region and its neighbours (default 8).
    pub local_trees: usize,
    /// Local-search passes over the regions (default 12).
    pub rounds: usize,
}

impl Default for MaxPParams {
    fn default() -> Self {
        MaxPParams {
            seed: 1,
            trees: 48,
            local_trees: 8,
            rounds: 12,
        }
    }
}

/// Contiguous regions of a graph, each with weight ≥ the floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regions {
    /// The region of each unit; `None` for ineligible and unassigned units.
    pub region_of: Vec<Option<u32>>,
    pub regions: usize,
    /// Eligible units in no region (their component is lighter than the floor).
    pub unassigned: Vec<usize>,
    /// Σ over components of ⌊weight / floor⌋: no solution has more regions.
    pub upper_bound: usize,
}

/// One component's regions: (unit, region) pairs, the count and the component's upper bound.
type ComponentRegions = (Vec<(usize, u32)>, usize, usize);

/// Max-p regions: as many contiguous regions of weight ≥ `floor` as found, over the units
/// with `eligible[u]` (all when `None`). Deterministic for `params.seed`.
pub fn max_p_regions(
    graph: &UnitGraph,
    weights: &[u64],
    floor: u64,
    eligible: Option<&[bool]>,
    params: &MaxPParams,
) -> Regions {
    let n = graph.len().min(weights.len());
    let floor = floor.max(1);
    let nodes: Vec<usize> = (0..n)
        .filter(|&u| eligible.is_none_or(|e| e.get(u).copied().unwrap_or(false)))
        .collect();
    let sub = graph.induced(&nodes);
    let w: Vec<u64> = nodes.iter().map(|&u| weights[u]).collect();
    let all: Vec<usize> = (0..nodes.len()).collect();
    let comps = sub.components_of(&all);
    let root = Rng::new(params.seed);
    let solved: Vec<ComponentRegions> = comps
        .par_iter()
        .enumerate()
        .map(|(ci, comp)| {
            let total: u64 = comp.iter().map(|&u| w[u]).sum();
            if total < floor {
                return (Vec::new(), 0, 0);
            }
            let mut rng = root.fork(ci as u64 + 1);
            let (part, count) = solve_component(&sub, &w, floor, comp, &mut rng, params);
            let labels = comp.iter().zip(part).map(|(&u, p)| (u, p)).collect();
            (labels, count, (total / floor) as usize)
        })
        .collect();
    let mut region_of: Vec<Option<u32>> = vec![None; n];
    let mut regions = 0usize;
    let mut upper_bound = 0usize;
    let mut unassigned = Vec::new();
    for (comp, (labels, count, ub)) in comps.iter().zip(solved) {
        if count == 0 {
            unassigned.extend(comp.iter().map(|&u| nodes[u]));
            continue;
        }
        for (u, p) in labels {
            region_of[nodes[u]] = Some(regions as u32 + p);
        }
        regions += count;
        upper_bound += ub;
    }
    unassigned.sort_unstable();
    Regions {
        region_of,
        regions,
        unassigned,
        upper_bound,
    }
}

/// Regions of one component (weight ≥ floor): best random tree, then local re-cuts. Returns
/// the region of each unit of `comp` (in order) and the count.
fn solve_component(
    g: &UnitGraph,
    w: &[u64],
    floor: u64,
    comp: &[usize],
    rng: &mut Rng,
    params: &MaxPParams,
) -> (Vec<u32>, usize) {
    let nodes: Vec<u32> = comp.iter().map(|&u| u as u32).collect();
    let local_w: Vec<u64> = comp.iter().map(|&u| w[u]).collect();
    let ub = (local_w.iter().sum::<u64>() / floor) as usize;
    let mut scratch = Scratch::new(g.len());
    let mut best: Option<(Vec<u32>, usize)> = None;
    for t in 0..params.trees.max(1) {
        let f = Forest::mixed(g, &nodes, rng, &mut scratch, t);
        let (part, count) = f.cut_to_floor(&local_w, floor);
        if best.as_ref().is_none_or(|b| count > b.1) {
            best = Some((part, count));
            if count == ub {
                break;
            }
        }
    }
    let Some((part, count)) = best else {
        return (vec![0; comp.len()], 1);
    };
    if count >= ub {
        return (part, count);
    }
    let mut search = LocalSearch::new(g, w, floor, comp, &part, count);
    let mut live = count;
    for _ in 0..params.rounds {
        let mut improved = false;
        for r in search.heaviest_first() {
            if search.members[r as usize].is_empty() {
                continue;
            }
            let (group, one_hop) = search.neighbour_group(r);
            // Alone first (cheap), then with the neighbours, then two steps out.
            for (reach, size) in [1, one_hop, group.len()].into_iter().enumerate() {
                if reach > 0 && size <= [1, one_hop][reach - 1] {
                    continue;
                }
                let recut = search.recut(&group[..size], rng, &mut scratch, params.local_trees);
                if let Some(gained) = recut {
                    live += gained;
                    improved = true;
                    break;
                }
            }
            if live >= ub {
                break;
            }
        }
        if !improved || live >= ub {
            break;
        }
    }
    search.renumber(comp)
}

/// Local search on the regions of one component, on global node ids.
struct LocalSearch<'a> {
    g: &'a UnitGraph,
    w: &'a [u64],
    floor: u64,
    /// The region of each node (`u32::MAX` outside the component).
    region: Vec<u32>,
    /// The nodes of each region (empty once a region is gone).
    members: Vec<Vec<u32>>,
    /// Σ weight of each region.
    weight: Vec<u64>,
}

impl<'a> LocalSearch<'a> {
    /// The search state from the region `part[i]` of each node `comp[i]`, `count` regions.
    fn new(
        g: &'a UnitGraph,
        w: &'a [u64],
        floor: u64,
        comp: &[usize],
        part: &[u32],
        count: usize,
    ) -> Self {
        let mut region: Vec<u32> = vec![u32::MAX; g.len()];
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); count];
        let mut weight: Vec<u64> = vec![0; count];
        for (i, &u) in comp.iter().enumerate() {
            region[u] = part[i];
            members[part[i] as usize].push(u as u32);
            weight[part[i] as usize] += w[u];
        }
        LocalSearch {
            g,
            w,
            floor,
            region,
            members,
            weight,
        }
    }

    /// The non-empty regions, heaviest first (ties: lower id).
    fn heaviest_first(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.members.len() as u32)
            .filter(|&r| !self.members[r as usize].is_empty())
            .collect();
        order.sort_by_key(|&r| (std::cmp::Reverse(self.weight[r as usize]), r));
        order
    }

    /// Region `r`, its neighbouring regions, then theirs (up to 20 regions in all); and how
    /// many of them are `r` and its neighbours.
    fn neighbour_group(&self, r: u32) -> (Vec<u32>, usize) {
        let mut group: Vec<u32> = vec![r];
        for &u in &self.members[r as usize] {
            for &v in self.g.targets(u as usize) {
                let b = self.region[v as usize];
                if b != u32::MAX && !group.contains(&b) {
                    group.push(b);
                }
            }
        }
        let one_hop = group.len();
        for i in 1..one_hop {
            for &u in &self.members[group[i] as usize] {
                for &v in self.g.targets(u as usize) {
                    let b = self.region[v as usize];
                    if b != u32::MAX && !group.contains(&b) && group.len() < 20 {
                        group.push(b);
                    }
                }
            }
        }
        (group, one_hop)
    }

    /// Re-cuts the union of the regions `sub_group` on `trees` random spanning trees; when a cut
    /// makes more regions than the group had, applies the best one (the group's ids first, new
    /// ones appended) and returns how many regions it gained.
    fn recut(
        &mut self,
        sub_group: &[u32],
        rng: &mut Rng,
        scratch: &mut Scratch,
        trees: usize,
    ) -> Option<usize> {
        let (g, w, floor) = (self.g, self.w, self.floor);
        let total: u64 = sub_group.iter().map(|&p| self.weight[p as usize]).sum();
        if (total / floor) as usize <= sub_group.len() {
            return None;
        }
        let gnodes: Vec<u32> = sub_group
            .iter()
            .flat_map(|&p| self.members[p as usize].iter().copied())
            .collect();
        let gw: Vec<u64> = gnodes.iter().map(|&u| w[u as usize]).collect();
        let mut found: Option<(Vec<u32>, usize)> = None;
        for t in 0..trees.max(1) {
            let f = Forest::mixed(g, &gnodes, rng, scratch, t);
            let (p, k) = f.cut_to_floor(&gw, floor);
            if k > sub_group.len() && found.as_ref().is_none_or(|b| k > b.1) {
                found = Some((p, k));
            }
        }
        let (p, k) = found?;
        let mut ids: Vec<u32> = sub_group.to_vec();
        while ids.len() < k {
            self.members.push(Vec::new());
            self.weight.push(0);
            ids.push((self.members.len() - 1) as u32);
        }
        for &id in &ids {
            self.members[id as usize].clear();
            self.weight[id as usize] = 0;
        }
        for (i, &u) in gnodes.iter().enumerate() {
            let id = ids[p[i] as usize];
            self.region[u as usize] = id;
            self.members[id as usize].push(u);
            self.weight[id as usize] += w[u as usize];
        }
        Some(k - sub_group.len())
    }

    /// The region of each node of `comp` (in order), renumbered by first appearance, and the
    /// count.
    fn renumber(&self, comp: &[usize]) -> (Vec<u32>, usize) {
        let mut remap: BTreeMap<u32, u32> = BTreeMap::new();
        let mut out = Vec::with_capacity(comp.len());
        for &u in comp {
            let next = remap.len() as u32;
            out.push(*remap.entry(self.region[u]).or_insert(next));
        }
        let k = remap.len();
        (out, k)
    }
}
