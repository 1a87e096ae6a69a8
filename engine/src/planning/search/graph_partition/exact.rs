//! Exact re-partition of a few adjacent parts: can their units (at most [`MAX_NODES`]) be cut
//! into one part fewer, each connected and within the cap? A branch and bound over connected
//! subsets on bitmasks, with a node budget. Spanning-tree cuts miss such re-cuts when units are
//! the size of a grid (a compound of 0.3–1 of the cap): few units, and few trees cut well.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use crate::planning::rng::Rng;

use super::state::State;
use super::Problem;

/// Units an exact re-partition takes at most (bitmasks of a `u64`).
pub(super) const MAX_NODES: usize = 24;
/// Branch-and-bound nodes (subsets tried) per exact re-partition.
const BUDGET: usize = 4000;

/// The subproblem: local adjacency bitmasks, loads and the cap.
struct Local<'a> {
    adj: &'a [u64],
    w: &'a [u64],
    cap: u64,
    budget: usize,
}

impl Local<'_> {
    fn load(&self, mut set: u64) -> u64 {
        let mut total = 0;
        while set != 0 {
            let i = set.trailing_zeros() as usize;
            set &= set - 1;
            total += self.w[i];
        }
        total
    }

    /// Σ over the connected components of `free` of ⌈load / cap⌉: parts `free` needs at least.
    fn parts_needed(&self, free: u64) -> usize {
        let mut left = free;
        let mut needed = 0;
        while left != 0 {
            let mut comp = left & left.wrapping_neg();
            let mut frontier = comp;
            while frontier != 0 {
                let i = frontier.trailing_zeros() as usize;
                frontier &= frontier - 1;
                let new = self.adj[i] & left & !comp;
                comp |= new;
                frontier |= new;
            }
            left &= !comp;
            needed += self.load(comp).div_ceil(self.cap) as usize;
        }
        needed
    }

    /// Connected subsets of `free` containing `set` (of load `load`), grown from `ext`, none
    /// with a unit of `banned`, each within the cap; each subset once (at most 512).
    fn subsets(
        &self,
        (set, load): (u64, u64),
        ext: u64,
        banned: u64,
        free: u64,
        out: &mut Vec<(u64, u64)>,
    ) {
        out.push((set, load));
        let mut ext = ext & !banned;
        let mut banned = banned;
        while ext != 0 && out.len() < 512 {
            let i = ext.trailing_zeros() as usize;
            ext &= ext - 1;
            banned |= 1 << i;
            let l = load + self.w[i];
            if l > self.cap {
                continue;
            }
            let grown = set | 1 << i;
            let next = (ext | (self.adj[i] & free & !grown)) & !banned;
            self.subsets((grown, l), next, banned, free, out);
        }
    }

    /// Cuts `free` into at most `k` parts: fills `part` (one mask per part) and returns true.
    fn solve(&mut self, free: u64, k: usize, parts: &mut Vec<u64>) -> bool {
        if free == 0 {
            return true;
        }
        if k == 0 || self.budget == 0 || self.parts_needed(free) > k {
            return false;
        }
        let r = free.trailing_zeros() as usize;
        let mut options = Vec::new();
        self.subsets(
            (1 << r, self.w[r]),
            self.adj[r] & free,
            0,
            free,
            &mut options,
        );
        // Fullest parts first: they leave the least slack behind.
        options.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (set, _) in options {
            if self.budget == 0 {
                return false;
            }
            self.budget -= 1;
            parts.push(set);
            if self.solve(free & !set, k - 1, parts) {
                return true;
            }
            parts.pop();
        }
        false
    }
}

impl Problem<'_> {
    /// For each part (lightest first), a group of adjacent parts grown from it at random up to
    /// [`MAX_NODES`] units, re-cut exactly into one part fewer when it can be (parts whose
    /// neighbourhood is unchanged since they were last tried, per `seen`, are skipped). Returns
    /// whether any part was saved.
    pub(super) fn exact_pass(&self, s: &mut State, rng: &mut Rng, seen: &mut Vec<u64>) -> bool {
        let mut order: Vec<u32> = (0..s.members.len() as u32)
            .filter(|&p| !s.members[p as usize].is_empty())
            .collect();
        order.sort_by_key(|&p| (s.load[p as usize], p));
        seen.resize(s.members.len(), 0);
        let mut improved = false;
        for a in order {
            let size = s.members[a as usize].len();
            if size == 0 || size > MAX_NODES || !s.changed_around(self.g, a, seen[a as usize]) {
                continue;
            }
            seen[a as usize] = s.clock();
            let group = self.grown_group(s, a, rng);
            if group.len() < 2 {
                continue;
            }
            let total: u64 = group.iter().map(|&p| s.load[p as usize]).sum();
            if total.div_ceil(self.cap) as usize >= group.len() {
                continue;
            }
            if let Some(cut) = self.exact_recut(s, &group) {
                for (u, p) in cut {
                    if s.part[u as usize] != p {
                        s.move_node(u as usize, p, self.w);
                    }
                }
                improved = true;
            }
        }
        improved
    }

    /// Part `a` and adjacent parts, breadth-first in random order, while the units fit.
    fn grown_group(&self, s: &State, a: u32, rng: &mut Rng) -> Vec<u32> {
        let mut group = vec![a];
        let mut size = s.members[a as usize].len();
        let mut i = 0;
        while i < group.len() {
            let p = group[i];
            i += 1;
            let mut nbrs: Vec<u32> = Vec::new();
            for &u in &s.members[p as usize] {
                for &v in self.g.targets(u as usize) {
                    let b = s.part[v as usize];
                    if !group.contains(&b) && !nbrs.contains(&b) {
                        nbrs.push(b);
                    }
                }
            }
            rng.shuffle(&mut nbrs);
            for b in nbrs {
                let more = s.members[b as usize].len();
                if size + more <= MAX_NODES {
                    size += more;
                    group.push(b);
                }
            }
        }
        group
    }

    /// The units of `group` cut into `group.len() − 1` connected parts within the cap, as
    /// (unit, part) with the group's part ids; `None` when none is found within the budget.
    fn exact_recut(&self, s: &State, group: &[u32]) -> Option<Vec<(u32, u32)>> {
        let nodes: Vec<u32> = group
            .iter()
            .flat_map(|&p| s.members[p as usize].iter().copied())
            .collect();
        if nodes.len() > MAX_NODES {
            return None;
        }
        let adj: Vec<u64> = nodes
            .iter()
            .map(|&u| {
                self.g.targets(u as usize).iter().fold(0u64, |m, &v| {
                    nodes.iter().position(|&x| x == v).map_or(m, |j| m | 1 << j)
                })
            })
            .collect();
        let w: Vec<u64> = nodes.iter().map(|&u| self.w[u as usize]).collect();
        let mut local = Local {
            adj: &adj,
            w: &w,
            cap: self.cap,
            budget: BUDGET,
        };
        let all = if nodes.len() == 64 {
            u64::MAX
        } else {
            (1u64 << nodes.len()) - 1
        };
        let mut parts = Vec::new();
        if !local.solve(all, group.len() - 1, &mut parts) {
            return None;
        }
        let mut out = Vec::with_capacity(nodes.len());
        for (set, &p) in parts.iter().zip(group) {
            let mut m = *set;
            while m != 0 {
                let i = m.trailing_zeros() as usize;
                m &= m - 1;
                out.push((nodes[i], p));
            }
        }
        Some(out)
    }
}
