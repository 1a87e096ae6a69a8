//! Where a drawn way meets the network 道路连接: ways meet only at shared vertices, and a vertex
//! clicked on a map lies a few centimetres off the vertex meant. A way's vertex within
//! [`VERTEX_SNAP_M`] of another way's vertex takes that vertex's exact position, so a footbridge
//! drawn onto a street corner joins it, as a GIS's vertex snapping does. Vertices farther away
//! stay where they were drawn: a way is never joined across a gap a person can see.

use geo_types::{Coord, Rect};

use crate::feature::Feature;
use crate::model::Layer;
use crate::snapshot::Snapshot;

use super::{metres, scales};

/// Metres within which a way's vertex takes the position of another way's vertex.
pub const VERTEX_SNAP_M: f64 = 1.0;

/// A way with each vertex moved onto the nearest vertex of another way of the snapshot within
/// [`VERTEX_SNAP_M`]; any other feature as it is. Says how many vertices moved.
pub fn snap_to_ways(snapshot: &Snapshot, mut feature: Feature) -> (Feature, usize) {
    let Feature::Way(way) = &mut feature else {
        return (feature, 0);
    };
    if snapshot.data.ways.is_empty() {
        return (feature, 0);
    }
    let index = snapshot.index(Layer::Ways);
    let mut moved = 0;
    for line in &mut way.geometry.0 {
        for c in &mut line.0 {
            let (kx, ky) = scales(c.y);
            let (dx, dy) = (VERTEX_SNAP_M / kx, VERTEX_SNAP_M / ky);
            let near = Rect::new((c.x - dx, c.y - dy), (c.x + dx, c.y + dy));
            let mut best: Option<(f64, Coord)> = None;
            for i in index.boxes.candidates(near) {
                let other = &snapshot.data.ways[i];
                if other.id == way.id {
                    continue;
                }
                for &v in other.geometry.0.iter().flat_map(|l| l.0.iter()) {
                    let d = metres(*c, v);
                    if d <= VERTEX_SNAP_M && best.is_none_or(|(bd, _)| d < bd) {
                        best = Some((d, v));
                    }
                }
            }
            if let Some((d, v)) = best {
                if d > 0.0 {
                    *c = v;
                    moved += 1;
                }
            }
        }
    }
    (feature, moved)
}

#[cfg(test)]
mod tests {
    use geo_types::{LineString, MultiLineString};

    use super::*;
    use crate::model::{Way, WayKind};
    use crate::snapshot::Dataset;

    fn way(id: i64, points: &[(f64, f64)]) -> Way {
        let line = LineString::from(points.to_vec());
        Way {
            id,
            version: 1,
            ..Way::new(WayKind::Footway, MultiLineString(vec![line]))
        }
    }

    #[test]
    fn a_drawn_end_within_a_metre_of_a_corner_takes_it_and_farther_ones_stay() {
        let street = way(1, &[(105.44, 28.90), (105.441, 28.90)]);
        let snap = Snapshot::new(
            1,
            Dataset {
                ways: vec![street].into(),
                ..Dataset::default()
            },
        );
        // 0.5 m east of the corner (105.441, 28.90), and a second end 3 m from the first.
        let drawn = way(0, &[(105.441_005, 28.90), (105.441_005, 28.900_027)]);
        let (snapped, moved) = snap_to_ways(&snap, Feature::Way(drawn));
        assert_eq!(moved, 1);
        let Feature::Way(w) = snapped else {
            panic!("a way")
        };
        assert_eq!(
            w.geometry.0[0].0[0],
            Coord {
                x: 105.441,
                y: 28.90
            }
        );
        assert_eq!(
            w.geometry.0[0].0[1],
            Coord {
                x: 105.441_005,
                y: 28.900_027
            }
        );
        // Its own vertices are no target when it is rewritten.
        let (_, moved) = snap_to_ways(
            &snap,
            Feature::Way(way(1, &[(105.440_005, 28.90), (105.441, 28.90)])),
        );
        assert_eq!(moved, 0);
    }
}
