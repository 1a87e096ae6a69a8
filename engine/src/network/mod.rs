//! The walking network 步行路网: a graph of the ways people walk, the joining of gates
//! 小区出入口, buildings and facilities to it, and shortest walking distances over it.
//!
//! - [`graph`]: the graph of way polylines ([`WayInput`]): a node at every distinct vertex (ways
//!   meet where they share one), an edge per straight segment between consecutive vertices, in
//!   compact arrays (about 64 bytes per edge).
//! - [`snap`]: joining a point (a gate, a facility point, a building point) or a polygon (a
//!   compound without gates, a facility's outline) to the nearest walkable segment, with its
//!   joining distance 接入距离; farther than a limit it stays unjoined.
//! - [`search`]: multi-source Dijkstra from joined sources, the walking distance of a joined
//!   target, bounded searches (isochrones, siting) and routes.
//! - [`skeleton`] and [`nearest`]: every node's nearest facility in one unbounded search, the
//!   heap over the graph's junctions only (trees and chains settled by linear passes).
//!
//! A walking distance is the target's joining distance, plus along its segment to a node, plus
//! the network between nodes, plus along the source's segment, plus the source's joining
//! distance (or along one segment when both lie on it). Its ratio to the straight-line distance
//! is the detour factor 绕行系数. Every length is ellipsoidal (WGS84) metres, [`metres`]: the
//! analyses' promise (within 0.1 % of `PostGIS` `geography`; here within 10⁻⁸ of the Karney
//! geodesic per segment).
//!
//! ```
//! use geo_types::{coord, LineString};
//! use gridatlas_engine::network::{Graph, SegmentIndex, Walk, WayInput};
//!
//! // Two streets meeting at a corner, and a gate 30 m off the first.
//! let street = |id, a: (f64, f64), b: (f64, f64)| WayInput {
//!     id,
//!     geometry: LineString::from(vec![a, b]),
//!     walkable: true,
//! };
//! let graph = Graph::build(&[
//!     street(1, (105.440, 28.900), (105.445, 28.900)),
//!     street(2, (105.445, 28.900), (105.445, 28.905)),
//! ]);
//! let index = SegmentIndex::new(&graph);
//! let gate = index.point(&graph, coord! { x: 105.441, y: 28.9003 }, 500.0).unwrap();
//! let clinic = index.point(&graph, coord! { x: 105.4452, y: 28.904 }, 500.0).unwrap();
//! assert!((gate.distance_m - 33.3).abs() < 0.1);
//! let walk = Walk::from_sources(&graph, &[clinic], f64::INFINITY);
//! let reach = walk.to(&graph, &gate).unwrap();
//! // 33 m out of the gate, 390 m east, 443 m north, 20 m into the clinic.
//! assert!((reach.distance_m - 886.2).abs() < 0.1);
//! ```

pub mod graph;
pub mod isochrone;
pub mod nearest;
pub mod search;
pub mod skeleton;
pub mod snap;
pub mod topology;

use geo::{Distance, Geodesic};
use geo_types::{Coord, Point};

pub use graph::{BuildReport, Graph, WayInput, MERGE_DEG};
pub use isochrone::isochrones;
pub use nearest::Nearest;
pub use search::{Reach, Route, Walk};
pub use skeleton::Skeleton;
pub use snap::{Join, SegmentIndex};
pub use topology::{snap_to_ways, VERTEX_SNAP_M};

/// Beyond this chord, metres, [`metres`] takes the geodesic itself: the mid-latitude plane is
/// within 10⁻⁸ of it below.
const GEODESIC_BEYOND_M: f64 = 1_000.0;

/// Metres per degree of longitude and of latitude at a latitude: the WGS84 radii of curvature
/// there, as the analyses' [`metric_frame`](crate::analysis::metric_frame) has them (tested
/// equal), without its `powf`: joining a million points calls this tens of millions of times.
pub(crate) fn scales(lat: f64) -> (f64, f64) {
    const A: f64 = 6_378_137.0;
    const E2: f64 = 0.006_694_379_990_14;
    let (sin, cos) = lat.to_radians().sin_cos();
    let w = 1.0 - E2 * sin * sin;
    let r = w.sqrt();
    let k = std::f64::consts::PI / 180.0;
    (A * cos / r * k, A * (1.0 - E2) / (w * r) * k)
}

/// The ellipsoidal (WGS84) distance, metres, between two lon/lat points: the chord in the plane
/// of the radii of curvature at their mid-latitude, which is the Karney geodesic to 10⁻⁸ for a
/// segment up to 1 km (tested in `network::tests`); longer chords take the geodesic itself
/// (`geo::Geodesic`).
///
/// ```
/// use geo::{Distance, Geodesic, Point};
/// use geo_types::coord;
/// use gridatlas_engine::network::metres;
/// let (a, b) = (coord! { x: 105.44, y: 28.90 }, coord! { x: 105.445, y: 28.903 });
/// let geodesic = Geodesic.distance(Point(a), Point(b));
/// assert!((metres(a, b) - geodesic).abs() < 1e-6 * geodesic);
/// ```
pub fn metres(a: Coord, b: Coord) -> f64 {
    let (kx, ky) = scales(f64::midpoint(a.y, b.y));
    let d = (kx * (b.x - a.x)).hypot(ky * (b.y - a.y));
    if d > GEODESIC_BEYOND_M {
        Geodesic.distance(Point(a), Point(b))
    } else {
        d
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod skeleton_tests;
