//! Geometry in the analyses' metric frame, facility indexes and the exact nearest-facility
//! query (distances by [`Metric`]: ellipsoidal, wherever the data lies).

use geo::{BoundingRect, MapCoords};
use geo_types::{Coord, Geometry, MultiPoint, Point, Polygon, Rect};
use rayon::prelude::*;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;

use crate::crs::LocalFrame;
use crate::model::{FacilityLevel, Layer};
use crate::snapshot::{Dataset, Snapshot};

use super::distance::Metric;
use super::standards::{FacilitySelector, LifeCircle};

/// Slack, metres, on the lower bound that ends a nearest search, against rounding.
const SLACK_M: f64 = 1e-6;

/// A geometry in metres east/north of the frame's origin.
#[derive(Debug, Clone)]
pub(crate) enum Shape {
    Point(Point),
    Polygon(Polygon),
    /// A compound's gates 小区出入口: the distance is the nearest gate's.
    Gates(MultiPoint),
    Other(Geometry),
}

impl Shape {
    /// Projects a lon/lat geometry; `None` when it is empty.
    pub(crate) fn project(g: &Geometry, frame: &LocalFrame) -> Option<Shape> {
        g.bounding_rect()?;
        let to = |c: Coord| frame.to_metres(c);
        Some(match g {
            Geometry::Point(p) => Shape::Point(Point(to(p.0))),
            Geometry::Polygon(p) => Shape::Polygon(p.map_coords(to)),
            other => Shape::Other(other.map_coords(to)),
        })
    }

    /// Projects a lon/lat polygon; `None` when it is empty.
    pub(crate) fn project_polygon(p: &Polygon, frame: &LocalFrame) -> Option<Shape> {
        p.bounding_rect()?;
        Some(Shape::Polygon(p.map_coords(|c| frame.to_metres(c))))
    }

    /// Projects a compound's gate points (lon/lat); `None` when there are none.
    pub(crate) fn project_gates(gates: &[Point], frame: &LocalFrame) -> Option<Shape> {
        (!gates.is_empty()).then(|| {
            Shape::Gates(MultiPoint(
                gates.iter().map(|g| Point(frame.to_metres(g.0))).collect(),
            ))
        })
    }

    pub(crate) fn bbox(&self) -> Option<Rect> {
        match self {
            Shape::Point(p) => Some(Rect::new(p.0, p.0)),
            Shape::Polygon(p) => p.bounding_rect(),
            Shape::Gates(g) => g.bounding_rect(),
            Shape::Other(g) => g.bounding_rect(),
        }
    }

    pub(crate) fn geometry(&self) -> Geometry {
        match self {
            Shape::Point(p) => Geometry::Point(*p),
            Shape::Polygon(p) => Geometry::Polygon(p.clone()),
            Shape::Gates(g) => Geometry::MultiPoint(g.clone()),
            Shape::Other(g) => g.clone(),
        }
    }
}

/// A residential unit's shape with a ball that holds it: every point of the shape lies within
/// `radius` metres of `centre`.
#[derive(Debug, Clone)]
pub(crate) struct UnitShape {
    pub(crate) shape: Shape,
    pub(crate) centre: [f64; 2],
    pub(crate) radius: f64,
}

impl UnitShape {
    pub(crate) fn new(shape: Shape) -> Option<UnitShape> {
        let bbox = shape.bbox()?;
        let c = bbox.center();
        let radius = match &shape {
            Shape::Point(_) => 0.0,
            Shape::Polygon(p) => p
                .exterior()
                .0
                .iter()
                .map(|v| (v.x - c.x).hypot(v.y - c.y))
                .fold(0.0, f64::max),
            Shape::Gates(g) => g
                .iter()
                .map(|p| (p.x() - c.x).hypot(p.y() - c.y))
                .fold(0.0, f64::max),
            Shape::Other(_) => (bbox.width() / 2.0).hypot(bbox.height() / 2.0),
        };
        Some(UnitShape {
            shape,
            centre: [c.x, c.y],
            radius,
        })
    }
}

/// Every station and service space of a snapshot in the metric frame: stations first, then
/// spaces, each at its position in its layer.
#[derive(Debug, Clone)]
pub(crate) struct Facilities {
    pub(crate) shapes: Vec<Option<Shape>>,
    /// Each shape's bounding-box centre (its latitude sets the pair's stretch).
    centres: Vec<Coord>,
}

impl Facilities {
    pub(crate) fn project(data: &Dataset, frame: &LocalFrame) -> Facilities {
        let shapes = data
            .stations
            .par_iter()
            .map(|s| Shape::project(&Geometry::Point(s.geometry), frame))
            .chain(
                data.service_spaces
                    .par_iter()
                    .map(|s| Shape::project(&s.geometry, frame)),
            )
            .collect::<Vec<_>>();
        let centres = shapes
            .iter()
            .map(|s| {
                s.as_ref()
                    .and_then(Shape::bbox)
                    .map_or(Coord { x: 0.0, y: 0.0 }, geo_types::Rect::center)
            })
            .collect();
        Facilities { shapes, centres }
    }
}

impl Facilities {
    /// Projects facility `i` (stations first, then spaces) again, after an edit changed it.
    pub(crate) fn reproject(&mut self, data: &Dataset, i: usize, frame: &LocalFrame) {
        let shape = match data.stations.get(i) {
            Some(s) => Shape::project(&Geometry::Point(s.geometry), frame),
            None => Shape::project(
                &data.service_spaces[i - data.stations.len()].geometry,
                frame,
            ),
        };
        self.centres[i] = (shape.as_ref().and_then(Shape::bbox))
            .map_or(Coord { x: 0.0, y: 0.0 }, geo_types::Rect::center);
        self.shapes[i] = shape;
    }

    /// Facility `i`'s frame box.
    pub(crate) fn bbox(&self, i: usize) -> Option<Rect> {
        self.shapes[i].as_ref().and_then(Shape::bbox)
    }

    /// The exact distance from a unit to facility `i`, unless it cannot be below `below`
    /// (the metric's lower bound over the frame box says so).
    pub(crate) fn distance_below(
        &self,
        unit: &UnitShape,
        i: usize,
        metric: &Metric,
        below: f64,
    ) -> Option<f64> {
        let (shape, r) = (self.shapes[i].as_ref()?, self.bbox(i)?);
        let (cx, cy) = (unit.centre[0], unit.centre[1]);
        let dx = (r.min().x - cx).max(cx - r.max().x).max(0.0);
        let dy = (r.min().y - cy).max(cy - r.max().y).max(0.0);
        if metric.lower_bound(dx.hypot(dy) - unit.radius) - SLACK_M > below {
            return None;
        }
        let centre = Coord { x: cx, y: cy };
        Some(metric.distance(&unit.shape, centre, shape, self.centres[i]))
    }
}

/// Whether facility `i` (stations first, then spaces) counts for a rule.
pub(crate) fn counts_for(
    data: &Dataset,
    selector: &FacilitySelector,
    life_circle: LifeCircle,
    i: usize,
) -> bool {
    match data.stations.get(i) {
        Some(s) => life_circle.admits(s.level) && selector.selects_station(s),
        None => data
            .service_spaces
            .get(i - data.stations.len())
            .is_some_and(|s| life_circle.admits(s.level) && selector.selects_space(s)),
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The facilities that count for a rule, as positions among stations then service spaces.
pub(crate) fn counting_facilities(
    data: &Dataset,
    selector: &FacilitySelector,
    life_circle: LifeCircle,
) -> Vec<usize> {
    let counts = |level: FacilityLevel| life_circle.admits(level);
    let stations = data
        .stations
        .iter()
        .enumerate()
        .filter(|(_, s)| counts(s.level) && selector.selects_station(s))
        .map(|(i, _)| i);
    let spaces = data
        .service_spaces
        .iter()
        .enumerate()
        .filter(|(_, s)| counts(s.level) && selector.selects_space(s))
        .map(|(i, _)| i + data.stations.len());
    stations.chain(spaces).collect()
}

/// The facilities that count for one rule (selector and life circle), in an rstar tree of their
/// metric bounding boxes.
#[derive(Debug)]
pub(crate) struct FacilityIndex {
    tree: RTree<Entry>,
    /// The counting facilities (stations first, then spaces), in order.
    pub(crate) members: Vec<usize>,
}

impl FacilityIndex {
    pub(crate) fn build(
        data: &Dataset,
        facilities: &Facilities,
        selector: &FacilitySelector,
        life_circle: LifeCircle,
    ) -> FacilityIndex {
        let members = counting_facilities(data, selector, life_circle);
        let entries = members
            .iter()
            .copied()
            .filter_map(|i| {
                let r = facilities.shapes[i].as_ref()?.bbox()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners(r.min().into(), r.max().into()),
                    i,
                ))
            })
            .collect();
        FacilityIndex {
            tree: RTree::bulk_load(entries),
            members,
        }
    }

    /// The exact distance (metres) from the unit to its nearest counting facility, and which
    /// facility. Walks facilities outward from the unit's centre in order of their bounding
    /// boxes' frame distance `b`; no facility further along can be nearer than the metric's
    /// lower bound of `b − radius`, so the walk ends as soon as that bound reaches the best
    /// distance found.
    pub(crate) fn nearest(
        &self,
        unit: &UnitShape,
        facilities: &Facilities,
        metric: &Metric,
    ) -> Option<(f64, usize)> {
        let centre = Coord {
            x: unit.centre[0],
            y: unit.centre[1],
        };
        let mut best = f64::INFINITY;
        let mut who = None;
        for (entry, d2) in self
            .tree
            .nearest_neighbor_iter_with_distance_2(&unit.centre)
        {
            if best == 0.0 || metric.lower_bound(d2.sqrt() - unit.radius) - SLACK_M > best {
                break;
            }
            let Some(shape) = facilities.shapes[entry.data].as_ref() else {
                continue;
            };
            let d = metric.distance(&unit.shape, centre, shape, facilities.centres[entry.data]);
            if d < best {
                best = d;
                who = Some(entry.data);
            }
        }
        who.map(|w| (best, w))
    }
}

/// The analyses' metric for a snapshot: its frame is centred on the middle of the residential,
/// gate and facility layers' extent, and bounds its distortion over that extent.
pub(crate) fn snapshot_metric(snapshot: &Snapshot) -> Metric {
    let env = snapshot.extent(&[
        Layer::Compounds,
        Layer::Buildings,
        Layer::Gates,
        Layer::Stations,
        Layer::ServiceSpaces,
    ]);
    let (lo, hi) = env.map_or(([0.0, 0.0], [0.0, 0.0]), |e| {
        ([e.min().x, e.min().y], [e.max().x, e.max().y])
    });
    let origin = Coord {
        x: f64::midpoint(lo[0], hi[0]),
        y: f64::midpoint(lo[1], hi[1]),
    };
    Metric::new(super::metric_frame(origin), lo[1], hi[1])
}
