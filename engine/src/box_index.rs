//! A layer's bounding boxes as a packed, static R-tree (geo-index's flatbush layout, Hilbert
//! sorted, 16 entries a node) in `f32`: about 21 bytes a feature, where an rstar tree of `f64`
//! boxes took 56.
//!
//! Each box is rounded outwards to `f32` (at most about a metre at China's longitudes), so a
//! search finds every feature whose box meets the query and, near its edges, a few more: the
//! candidates. Callers decide on the exact geometry ([`crate::snapshot::Snapshot::in_rect`]
//! keeps only those whose exact box meets it). The layer's extent is kept exactly.
//!
//! A packed tree cannot change, so an edit that moves or appends a few features keeps the tree
//! (shared with the snapshot before) and lists their new boxes beside it, searched one by one;
//! a moved feature's old box stays in the tree and only makes it a candidate more. Past
//! [`MOVED_KEPT`] listed boxes, or when the extent would shrink, the layer is packed again.

use std::sync::Arc;

use geo_index::rtree::sort::HilbertSort;
use geo_index::rtree::{RTree, RTreeBuilder, RTreeIndex};
use geo_types::Rect;

/// Boxes listed beside the packed tree at most, before the layer is packed again.
pub const MOVED_KEPT: usize = 4096;

/// The packed boxes of one layer, by position in the layer's vector.
#[derive(Debug, Default, Clone)]
pub struct BoxIndex {
    tree: Option<Arc<RTree<f32>>>,
    /// The position of each box added, when some features had no box (an empty geometry);
    /// empty when the n-th box is the n-th feature's.
    positions: Arc<Vec<u32>>,
    /// Boxes of the features moved or appended since the tree was packed, by position.
    moved: Vec<(u32, Rect)>,
    extent: Option<Rect>,
}

/// Whether `r` lies on an edge of `extent` (so moving it away could shrink the extent).
fn on_edge(r: Rect, extent: Rect) -> bool {
    r.min().x <= extent.min().x
        || r.min().y <= extent.min().y
        || r.max().x >= extent.max().x
        || r.max().y >= extent.max().y
}

fn meets(a: Rect, b: Rect) -> bool {
    a.min().x <= b.max().x
        && b.min().x <= a.max().x
        && a.min().y <= b.max().y
        && b.min().y <= a.max().y
}

/// The smallest rectangle holding both.
pub fn union(a: Rect, b: Rect) -> Rect {
    Rect::new(
        (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
        (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
    )
}

/// The largest `f32` at or below `v`.
fn down(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        f.next_down()
    } else {
        f
    }
}

/// The smallest `f32` at or above `v`.
fn up(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        f.next_up()
    } else {
        f
    }
}

impl BoxIndex {
    /// The index of `boxes`, one per feature in layer order (`None`: the feature has no box).
    pub fn build(boxes: &[Option<Rect>]) -> Self {
        let present = boxes.iter().flatten().count();
        if present == 0 {
            return BoxIndex::default();
        }
        let positions = if present == boxes.len() {
            Vec::new()
        } else {
            (0..boxes.len() as u32)
                .filter(|&i| boxes[i as usize].is_some())
                .collect()
        };
        let mut builder = RTreeBuilder::<f32>::new(present as u32);
        let mut extent: Option<Rect> = None;
        for r in boxes.iter().flatten() {
            builder.add(
                down(r.min().x),
                down(r.min().y),
                up(r.max().x),
                up(r.max().y),
            );
            extent = Some(extent.map_or(*r, |e| union(e, *r)));
        }
        BoxIndex {
            tree: Some(Arc::new(builder.finish::<HilbertSort>())),
            positions: Arc::new(positions),
            moved: Vec::new(),
            extent,
        }
    }

    /// This index after features were given new boxes: `(position, old box, new box)` for a
    /// feature moved in place (old box `None`: appended at the end, or it had none). The tree
    /// is shared; `None` when the layer must be packed again (too many boxes listed beside
    /// it, or an old box on the extent's edge, which may shrink it).
    pub fn with_moved(&self, changed: &[(usize, Option<Rect>, Option<Rect>)]) -> Option<BoxIndex> {
        if self.tree.is_none() || self.moved.len() + changed.len() > MOVED_KEPT {
            return None;
        }
        let extent = self.extent?;
        if changed
            .iter()
            .any(|(_, old, _)| old.is_some_and(|o| on_edge(o, extent)))
        {
            return None;
        }
        let mut next = self.clone();
        for &(position, _, new) in changed {
            next.moved.retain(|(p, _)| *p as usize != position);
            if let Some(r) = new {
                next.moved.push((position as u32, r));
                next.extent = next.extent.map(|e| union(e, r));
            }
        }
        Some(next)
    }

    /// Positions of the features whose boxes may meet `rect`: every one whose box does, and
    /// possibly some within the rounding of the boxes (about a metre) of it; in no set order.
    pub fn candidates(&self, rect: Rect) -> Vec<usize> {
        let Some(tree) = &self.tree else {
            return Vec::new();
        };
        let found = tree.search(
            down(rect.min().x),
            down(rect.min().y),
            up(rect.max().x),
            up(rect.max().y),
        );
        let mut found: Vec<usize> = if self.positions.is_empty() {
            found.into_iter().map(|i| i as usize).collect()
        } else {
            found
                .into_iter()
                .map(|i| self.positions[i as usize] as usize)
                .collect()
        };
        if !self.moved.is_empty() {
            found.extend(
                (self.moved.iter())
                    .filter(|(_, r)| meets(*r, rect))
                    .map(|&(p, _)| p as usize),
            );
            // A moved feature may be found at its old box too.
            found.sort_unstable();
            found.dedup();
        }
        found
    }

    /// The exact box around every feature's box; `None` for a layer without boxes.
    pub fn extent(&self) -> Option<Rect> {
        self.extent
    }

    /// How many boxes the packed tree holds (moved features' old boxes included).
    pub fn len(&self) -> usize {
        self.tree.as_ref().map_or(0, |t| t.num_items() as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the index holds.
    pub fn memory_bytes(&self) -> usize {
        self.tree
            .as_ref()
            .map_or(0, |t| t.metadata().data_buffer_length())
            + self.positions.capacity() * 4
            + self.moved.capacity() * std::mem::size_of::<(u32, Rect)>()
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    #[test]
    fn candidates_hold_every_box_that_meets_and_only_boxes_within_rounding() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for n in [0usize, 1, 2, 15, 16, 17, 300, 5_000] {
            let boxes: Vec<Option<Rect>> = (0..n)
                .map(|i| {
                    if i % 97 == 5 {
                        return None; // an empty geometry
                    }
                    let (x, y) = (rng.random_range(105.3..105.6), rng.random_range(28.8..29.0));
                    let (w, h) = if i % 3 == 0 {
                        (0.0, 0.0)
                    } else {
                        (rng.random_range(0.0..0.002), rng.random_range(0.0..0.002))
                    };
                    Some(Rect::new((x, y), (x + w, y + h)))
                })
                .collect();
            let index = BoxIndex::build(&boxes);
            assert_eq!(index.len(), boxes.iter().flatten().count());
            for _ in 0..200 {
                let (x, y) = (
                    rng.random_range(105.29..105.61),
                    rng.random_range(28.79..29.01),
                );
                let (w, h) = (rng.random_range(0.0..0.03), rng.random_range(0.0..0.03));
                let q = Rect::new((x, y), (x + w, y + h));
                let mut got = index.candidates(q);
                got.sort_unstable();
                let exact: Vec<usize> = (0..n)
                    .filter(|&i| boxes[i].is_some_and(|b| meets(b, q)))
                    .collect();
                // Every box that meets the query is found …
                assert!(
                    exact.iter().all(|i| got.binary_search(i).is_ok()),
                    "n {n}: missed one of {exact:?}"
                );
                // … and any other found lies within the rounding of f32 (under 2e-5°).
                let grown = Rect::new(
                    (q.min().x - 2e-5, q.min().y - 2e-5),
                    (q.max().x + 2e-5, q.max().y + 2e-5),
                );
                for &i in &got {
                    assert!(
                        boxes[i].is_some_and(|b| meets(b, grown)),
                        "n {n}: {i} is far from the query"
                    );
                }
            }
            let extent = boxes.iter().flatten().copied().reduce(union);
            assert_eq!(index.extent(), extent, "the extent is exact");
        }
    }

    #[test]
    fn boxes_moved_or_appended_beside_the_tree_are_found_as_if_packed_again() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut random_box = |rng: &mut rand_chacha::ChaCha8Rng| {
            let (x, y) = (rng.random_range(105.3..105.6), rng.random_range(28.8..29.0));
            Rect::new((x, y), (x + 0.001, y + 0.001))
        };
        let mut boxes: Vec<Option<Rect>> = (0..500).map(|_| Some(random_box(&mut rng))).collect();
        let mut index = BoxIndex::build(&boxes);
        for step in 0..300 {
            // Moves stay inside the extent, away from its edges; every tenth step appends.
            let (at, old) = if step % 10 == 0 {
                boxes.push(None);
                (boxes.len() - 1, None)
            } else {
                let at = rng.random_range(0..boxes.len());
                (at, boxes[at])
            };
            let extent = index.extent().expect("an extent");
            let mut new = random_box(&mut rng);
            while on_edge(new, extent) {
                new = random_box(&mut rng);
            }
            match index.with_moved(&[(at, old, Some(new))]) {
                Some(next) => index = next,
                None => {
                    assert!(
                        old.is_some_and(|o| on_edge(o, extent)),
                        "refused only on the edge"
                    );
                    boxes[at] = Some(new);
                    index = BoxIndex::build(&boxes);
                    continue;
                }
            }
            boxes[at] = Some(new);
            for _ in 0..5 {
                let q = random_box(&mut rng);
                let q = Rect::new((q.min().x, q.min().y), (q.max().x + 0.02, q.max().y + 0.02));
                let mut got = index.candidates(q);
                let found = got.len();
                got.sort_unstable();
                got.dedup();
                assert_eq!(got.len(), found, "no position twice");
                let exact: Vec<usize> = (0..boxes.len())
                    .filter(|&i| boxes[i].is_some_and(|b| meets(b, q)))
                    .collect();
                assert!(
                    exact.iter().all(|i| got.binary_search(i).is_ok()),
                    "step {step}"
                );
            }
            let extent = boxes.iter().flatten().copied().reduce(union);
            assert_eq!(index.extent(), extent, "the extent stays exact");
        }
    }
}
