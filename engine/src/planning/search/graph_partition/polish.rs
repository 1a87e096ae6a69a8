//! The final polish: moves that keep caps and contiguity and reduce the weight moved from the
//! current assignment, then the boundary between parts.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use crate::planning::graph::Scratch;
use crate::planning::rng::Rng;

use super::state::State;
use super::{match_labels, Problem};

impl Problem<'_> {
    /// Moves that keep caps and contiguity and reduce (changed weight, cut length).
    pub(super) fn polish(
        &self,
        s: &mut State,
        rng: &mut Rng,
        scratch: &mut Scratch,
        rounds: usize,
    ) {
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
