//! A layer's bounding boxes as a packed, static R-tree (geo-index's flatbush layout, Hilbert
//! sorted, 16 entries a node) in `f32`: about 21 bytes a feature, where an rstar tree of `f64`
//! boxes took 56.
//!
//! Each box is rounded outwards to `f32` (at most about a metre at China's longitudes), so a
//! search finds every feature whose box meets the query and, near its edges, a few more: the
//! candidates. Callers decide on the exact geometry ([`crate::snapshot::Snapshot::in_rect`]
//! keeps only those whose exact box meets it). The layer's extent is kept exactly.

use geo_index::rtree::sort::HilbertSort;
use geo_index::rtree::{RTree, RTreeBuilder, RTreeIndex};
use geo_types::Rect;

/// The packed boxes of one layer, by position in the layer's vector.
#[derive(Debug, Default)]
pub struct BoxIndex {
    tree: Option<RTree<f32>>,
    /// The position of each box added, when some features had no box (an empty geometry);
    /// empty when the n-th box is the n-th feature's.
    positions: Vec<u32>,
    extent: Option<Rect>,
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
            tree: Some(builder.finish::<HilbertSort>()),
            positions,
            extent,
        }
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
        if self.positions.is_empty() {
            found.into_iter().map(|i| i as usize).collect()
        } else {
            found
                .into_iter()
                .map(|i| self.positions[i as usize] as usize)
                .collect()
        }
    }

    /// The exact box around every feature's box; `None` for a layer without boxes.
    pub fn extent(&self) -> Option<Rect> {
        self.extent
    }

    /// How many features have a box.
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
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    fn meets(a: Rect, b: Rect) -> bool {
        a.min().x <= b.max().x
            && b.min().x <= a.max().x
            && a.min().y <= b.max().y
            && b.min().y <= a.max().y
    }

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
}
