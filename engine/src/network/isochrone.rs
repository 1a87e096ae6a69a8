//! Walking isochrones 步行等时圈: the area within a walking distance of a walk's sources, as
//! polygons.
//!
//! Every point of a reached way within the distance `D` stands for the ground beside it: the
//! cells of a 20 m grid within `min(BESIDE_M, D − d)` of it (`d`: its walking distance) are in
//! the area, so the area follows the ways, stops at rivers and walls the ways do not cross, and
//! thins out at its frontier. The cells are merged into polygons ([`geo::unary_union`]) and
//! their staircase edges smoothed to half a cell.

use geo::{unary_union, Simplify};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

use super::graph::Graph;
use super::scales;
use super::search::Walk;

/// Metres of ground beside a way that belong to its area (half a street block's depth).
pub const BESIDE_M: f64 = 60.0;
/// Grid cell, metres.
const CELL_M: f64 = 20.0;
/// Spacing of the points sampled along a way, metres.
const STEP_M: f64 = 10.0;

/// The areas within each of `bands_m` (metres, ascending) of the walk's sources, lon/lat; one
/// (possibly empty) multipolygon per band. The walk must have been run with a bound of at
/// least the largest band.
pub fn isochrones(graph: &Graph, walk: &Walk, bands_m: &[f64]) -> Vec<MultiPolygon> {
    let Some(&max_band) = bands_m.iter().max_by(|a, b| a.total_cmp(b)) else {
        return Vec::new();
    };
    // Reached edge pieces: (a, b, walking distance at a, at b), each end's distance as reached
    // through that end or along the edge from the other.
    let origin = walk
        .sources()
        .first()
        .map_or(Coord { x: 0.0, y: 0.0 }, |s| s.at);
    let (kx, ky) = scales(origin.y);
    let to_plane = |c: Coord| Coord {
        x: (c.x - origin.x) * kx,
        y: (c.y - origin.y) * ky,
    };
    let mut samples: Vec<(Coord, f64)> = Vec::new();
    let mut on_edge = |a: Coord, b: Coord, da: f64, db: f64, length: f64| {
        let (pa, pb) = (to_plane(a), to_plane(b));
        let n = (length / STEP_M).ceil().max(1.0) as usize;
        for i in 0..=n {
            let s = i as f64 / n as f64;
            let d = (da + s * length).min(db + (1.0 - s) * length);
            if d <= max_band {
                samples.push((
                    Coord {
                        x: pa.x + (pb.x - pa.x) * s,
                        y: pa.y + (pb.y - pa.y) * s,
                    },
                    d,
                ));
            }
        }
    };
    // Every half-edge out of a reached node; an edge between two reached nodes once.
    for (n, dn) in walk.reached() {
        if dn > max_band {
            continue;
        }
        for (m, length) in graph.neighbours(n) {
            let dm = walk.node(m).map_or(f64::INFINITY, |(d, _)| d);
            if dm <= max_band && m < n {
                continue;
            }
            on_edge(graph.coord(n), graph.coord(m), dn, dm, length);
        }
    }
    // The sources' own segments, from their joining points.
    for s in walk.sources() {
        let [a, b] = graph.edge_nodes(s.edge);
        on_edge(
            s.at,
            graph.coord(a),
            s.distance_m,
            f64::INFINITY,
            s.along_m[0],
        );
        on_edge(
            s.at,
            graph.coord(b),
            s.distance_m,
            f64::INFINITY,
            s.along_m[1],
        );
    }
    let back = |c: Coord| Coord {
        x: origin.x + c.x / kx,
        y: origin.y + c.y / ky,
    };
    bands_m
        .iter()
        .map(|&band| {
            let cells = cells_within(&samples, band);
            let area = polygonize(&cells);
            let smooth = area.simplify(CELL_M / 2.0);
            geo::MapCoords::map_coords(&smooth, back)
        })
        .collect()
}

/// Grid cells `(column, row)` within reach of a sample of walking distance at most `band`.
fn cells_within(samples: &[(Coord, f64)], band: f64) -> Vec<(i32, i32)> {
    let mut cells = Vec::new();
    for &(p, d) in samples {
        if d > band {
            continue;
        }
        let r = BESIDE_M.min(band - d).max(CELL_M / 2.0);
        let (c0, c1) = (
            ((p.x - r) / CELL_M).floor() as i32,
            ((p.x + r) / CELL_M).floor() as i32,
        );
        let (r0, r1) = (
            ((p.y - r) / CELL_M).floor() as i32,
            ((p.y + r) / CELL_M).floor() as i32,
        );
        for row in r0..=r1 {
            for col in c0..=c1 {
                let cx = (f64::from(col) + 0.5) * CELL_M;
                let cy = (f64::from(row) + 0.5) * CELL_M;
                if (cx - p.x).hypot(cy - p.y) <= r {
                    cells.push((col, row));
                }
            }
        }
    }
    cells.sort_unstable_by_key(|&(c, r)| (r, c));
    cells.dedup();
    cells
}

/// The union of grid cells, in plane metres: runs of a row as rectangles, merged.
fn polygonize(cells: &[(i32, i32)]) -> MultiPolygon {
    let mut runs: Vec<Polygon> = Vec::new();
    let mut i = 0;
    while i < cells.len() {
        let (start, row) = cells[i];
        let mut end = start;
        while i + 1 < cells.len() && cells[i + 1] == (end + 1, row) {
            end += 1;
            i += 1;
        }
        i += 1;
        let (x0, x1) = (f64::from(start) * CELL_M, f64::from(end + 1) * CELL_M);
        let (y0, y1) = (f64::from(row) * CELL_M, f64::from(row + 1) * CELL_M);
        runs.push(Polygon::new(
            LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
            vec![],
        ));
    }
    if runs.is_empty() {
        return MultiPolygon(Vec::new());
    }
    unary_union(&runs)
}
