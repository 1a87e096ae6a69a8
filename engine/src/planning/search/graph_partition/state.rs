//! A partition under search: each unit's part, each part's members and load, with the moves
//! and the contiguity test every step of the search uses.

use crate::planning::graph::{Scratch, UnitGraph};

pub(super) struct Solved {
    pub(super) part: Vec<u32>,
    pub(super) count: usize,
}

/// A partition under search: parts may be empty (dead) until compacted.
#[derive(Debug, Clone)]
pub(super) struct State {
    pub(super) part: Vec<u32>,
    pub(super) members: Vec<Vec<u32>>,
    pos: Vec<u32>,
    pub(super) load: Vec<u64>,
    /// When each part last changed (a move in or out), on the clock of moves: passes skip
    /// parts whose neighbourhood has not changed since they last found nothing there.
    changed: Vec<u64>,
    clock: u64,
}

impl State {
    pub(super) fn new(part: Vec<u32>, w: &[u64]) -> State {
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
            changed: vec![1; load.len()],
            load,
            clock: 1,
        }
    }

    pub(super) fn count(&self) -> usize {
        self.members.iter().filter(|m| !m.is_empty()).count()
    }

    pub(super) fn move_node(&mut self, u: usize, to: u32, w: &[u64]) {
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
        self.clock += 1;
        self.changed[from] = self.clock;
        self.changed[t] = self.clock;
    }

    /// The clock of moves: it advances with every move.
    pub(super) fn clock(&self) -> u64 {
        self.clock
    }

    /// Whether part `a` or a part adjacent to it changed after `since`.
    pub(super) fn changed_around(&self, g: &UnitGraph, a: u32, since: u64) -> bool {
        self.changed[a as usize] > since
            || self.members[a as usize].iter().any(|&u| {
                g.targets(u as usize)
                    .iter()
                    .any(|&v| self.changed[self.part[v as usize] as usize] > since)
            })
    }

    /// The parts adjacent to part `a`, in order of first appearance over its units' edges.
    pub(super) fn neighbour_parts(&self, g: &UnitGraph, a: u32) -> Vec<u32> {
        let mut nbrs: Vec<u32> = Vec::new();
        for &u in &self.members[a as usize] {
            for &v in g.targets(u as usize) {
                let b = self.part[v as usize];
                if b != a && !nbrs.contains(&b) {
                    nbrs.push(b);
                }
            }
        }
        nbrs
    }

    /// A new empty part.
    pub(super) fn push_part(&mut self) -> u32 {
        self.members.push(Vec::new());
        self.load.push(0);
        self.changed.push(self.clock);
        (self.members.len() - 1) as u32
    }

    /// Whether `part[u]` stays connected without `u` (true when `u` is its only unit).
    pub(super) fn connected_without(&self, g: &UnitGraph, u: usize, s: &mut Scratch) -> bool {
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

    pub(super) fn compact(&self) -> Solved {
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
