//! Distances anywhere: two cities 1,011 km apart (泸州 and 郑州) in one snapshot. Every distance
//! the coverage reports, and the distances behind the heatmap and siting, are within 0.1 % of the
//! WGS84 geodesic (geo's `Geodesic`, Karney's algorithm), found by brute force over every
//! counting facility.

#![allow(clippy::float_cmp)]

use std::collections::HashSet;

use geo::{BoundingRect, Distance, Euclidean, Geodesic, Intersects, MapCoords};
use geo_types::{coord, Coord, Geometry, LineString, Point, Polygon};
use rayon::prelude::*;

use super::tests::{random_dataset, unit_geometries, ORIGIN};
use super::*;
use crate::feature::Feature;
use crate::model::{Layer, ServiceType};
use crate::snapshot::{Dataset, Snapshot};

/// 郑州, 1,011 km from 泸州 ([`ORIGIN`]) on the ellipsoid, 5.85° further north.
const FAR: Coord = Coord {
    x: 113.65,
    y: 34.75,
};
/// The accuracy the analyses promise, relative.
const TOLERANCE: f64 = 1e-3;

fn geodesic(a: Coord, b: Coord) -> f64 {
    Geodesic.distance(Point(a), Point(b))
}

/// Geodesic metres from `p` to the lon/lat segment `a`–`b` (straight in lon/lat, as the data
/// draws it): golden-section search on the segment, along which the distance is unimodal.
fn to_segment(p: Coord, a: Coord, b: Coord) -> f64 {
    let at = |t: f64| {
        geodesic(
            p,
            coord! { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) },
        )
    };
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let (mut lo, mut hi) = (0.0, 1.0);
    for _ in 0..48 {
        let (m1, m2) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if at(m1) < at(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    at(f64::midpoint(lo, hi)).min(at(0.0)).min(at(1.0))
}

fn rings(p: &Polygon) -> impl Iterator<Item = &LineString> {
    std::iter::once(p.exterior()).chain(p.interiors())
}

/// Geodesic metres from `p` to a polygon's boundary. An edge is searched only when the triangle
/// inequality lets it hold a nearer point than the nearest vertex found.
fn to_boundary(p: Coord, polygon: &Polygon) -> f64 {
    let edges: Vec<(Coord, Coord)> = rings(polygon)
        .flat_map(|r| r.0.windows(2).map(|w| (w[0], w[1])))
        .collect();
    let ends: Vec<(f64, f64)> = edges
        .iter()
        .map(|&(a, b)| (geodesic(p, a), geodesic(p, b)))
        .collect();
    let mut best = ends
        .iter()
        .map(|&(da, db)| da.min(db))
        .fold(f64::INFINITY, f64::min);
    for (&(a, b), &(da, db)) in edges.iter().zip(&ends) {
        if (da + db - geodesic(a, b)) / 2.0 - 1e-3 < best {
            best = best.min(to_segment(p, a, b));
        }
    }
    best
}

/// The oracle: geodesic metres between two lon/lat geometries (points, polygons, a compound's
/// gates as a multipoint, nearest gate counting); 0 when they touch or overlap.
fn oracle_m(a: &Geometry, b: &Geometry) -> f64 {
    match (a, b) {
        (Geometry::MultiPoint(g), o) | (o, Geometry::MultiPoint(g)) => g
            .iter()
            .map(|p| oracle_m(&Geometry::Point(*p), o))
            .fold(f64::INFINITY, f64::min),
        (Geometry::Point(p), Geometry::Point(q)) => geodesic(p.0, q.0),
        (Geometry::Point(p), Geometry::Polygon(poly))
        | (Geometry::Polygon(poly), Geometry::Point(p)) => {
            if poly.intersects(p) {
                0.0
            } else {
                to_boundary(p.0, poly)
            }
        }
        (Geometry::Polygon(x), Geometry::Polygon(y)) => {
            if x.intersects(y) {
                return 0.0;
            }
            let one_way = |from: &Polygon, to: &Polygon| {
                rings(from)
                    .flat_map(|r| r.0.iter())
                    .map(|&v| to_boundary(v, to))
                    .fold(f64::INFINITY, f64::min)
            };
            one_way(x, y).min(one_way(y, x))
        }
        other => panic!("the oracle measures points and polygons: {other:?}"),
    }
}

/// A ball holding the geometry: its bounding box's centre and the geodesic to the farthest
/// vertex (plus a metre for the edges' curvature in lon/lat).
fn ball(g: &Geometry) -> (Coord, f64) {
    let c = g.bounding_rect().expect("not empty").center();
    let vertices: Vec<Coord> = match g {
        Geometry::Point(p) => vec![p.0],
        Geometry::MultiPoint(m) => m.iter().map(|p| p.0).collect(),
        Geometry::Polygon(p) => rings(p).flat_map(|r| r.0.iter().copied()).collect(),
        other => panic!("the oracle measures points and polygons: {other:?}"),
    };
    let r = vertices.iter().map(|&v| geodesic(c, v)).fold(0.0, f64::max);
    (c, r + 1.0)
}

struct Facility {
    geometry: Geometry,
    ball: (Coord, f64),
    reference: FacilityRef,
}

fn counting(snapshot: &Snapshot, selector: &FacilitySelector, lc: LifeCircle) -> Vec<Facility> {
    let d = &snapshot.data;
    let stations = d
        .stations
        .iter()
        .filter(|s| lc.admits(s.level) && selector.selects_station(s))
        .map(|s| (Geometry::Point(s.geometry), Layer::Stations, s.id));
    let spaces = d
        .service_spaces
        .iter()
        .filter(|s| lc.admits(s.level) && selector.selects_space(s))
        .map(|s| (s.geometry.clone(), Layer::ServiceSpaces, s.id));
    stations
        .chain(spaces)
        .map(|(geometry, layer, id)| Facility {
            ball: ball(&geometry),
            geometry,
            reference: FacilityRef { layer, id },
        })
        .collect()
}

/// Brute force: the geodesic distance to every counting facility (skipping one only when the
/// balls prove it farther than the best found), the least, and which facility.
fn nearest(unit: &Geometry, facilities: &[Facility]) -> Option<(f64, FacilityRef)> {
    let (cu, ru) = ball(unit);
    let mut order: Vec<(f64, &Facility)> = facilities
        .iter()
        .map(|f| (geodesic(cu, f.ball.0) - ru - f.ball.1, f))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut best: Option<(f64, FacilityRef)> = None;
    for (bound, f) in order {
        if best.is_some_and(|(d, _)| bound > d) {
            break;
        }
        let d = oracle_m(unit, &f.geometry);
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, f.reference));
        }
    }
    best
}

/// Moves a dataset by whole degrees and renames it: ids shifted by `offset`, codes suffixed.
fn relocate(d: &mut Dataset, shift: Coord, offset: i64) {
    let mv = |c: Coord| c + shift;
    fn code<S: std::ops::Deref<Target = str> + From<String>>(c: &mut S) {
        *c = S::from(format!("{}-far", &**c));
    }
    for s in &mut d.streets {
        s.id += offset;
        code(&mut s.code);
        s.geometry = s.geometry.map_coords(mv);
    }
    for c in &mut d.communities {
        c.id += offset;
        code(&mut c.code);
        code(&mut c.street_code);
        c.geometry = c.geometry.map_coords(mv);
    }
    for g in &mut d.grids {
        g.id += offset;
        code(&mut g.code);
        code(&mut g.community_code);
        g.geometry = g.geometry.map_coords(mv);
    }
    for c in &mut d.compounds {
        c.id += offset;
        code(&mut c.community_code);
        if let Some(g) = &mut c.grid_code {
            code(g);
        }
        c.geometry = c.geometry.map_coords(mv);
    }
    for b in &mut d.buildings {
        b.id += offset;
        code(&mut b.community_code);
        if let Some(g) = &mut b.grid_code {
            code(g);
        }
        b.compound_id = b.compound_id.map(|i| i + offset);
        b.geometry = b.geometry.map_coords(mv);
    }
    for g in &mut d.gates {
        g.id += offset;
        code(&mut g.community_code);
        g.compound_id += offset;
        g.geometry = g.geometry.map_coords(mv);
    }
    for s in &mut d.stations {
        s.id += offset;
        code(&mut s.community_code);
        s.geometry = s.geometry.map_coords(mv);
    }
    for s in &mut d.service_spaces {
        s.id += offset;
        code(&mut s.community_code);
        s.station_id = s.station_id.map(|i| i + offset);
        s.geometry = s.geometry.map_coords(mv);
    }
}

/// 泸州 and 郑州, random compounds (most with gates), scattered buildings (points and
/// footprints) and facilities (points and polygons) in each; childcare only in 郑州, so 泸州's
/// childcare distances cross the 1,000 km.
fn two_cities() -> Dataset {
    let mut d = random_dataset(21, 120, 50);
    let childcare = FacilitySelector::service(ServiceType::Childcare, &[]);
    d.stations.retain(|s| !childcare.selects_station(s));
    d.service_spaces.retain(|s| !childcare.selects_space(s));
    let stations: HashSet<i64> = d.stations.iter().map(|s| s.id).collect();
    for s in &mut d.service_spaces {
        s.station_id = s.station_id.filter(|id| stations.contains(id));
    }
    let mut far = random_dataset(22, 120, 50);
    relocate(&mut far, FAR - ORIGIN, 100_000);
    d.append(far);
    d
}

/// How a unit's row reports a rule: distance, nearest facility, within the threshold.
type Reported<'a> =
    Box<dyn Fn(&UnitCoverage) -> (Option<f64>, Option<FacilityRef>, bool) + Sync + 'a>;

/// One rule of the standards and how a unit's row reports it.
struct Rule<'a> {
    name: String,
    selector: &'a FacilitySelector,
    life_circle: LifeCircle,
    threshold_m: f64,
    reported: Reported<'a>,
}

fn rules(standards: &Standards) -> Vec<Rule<'_>> {
    let services = standards.services.iter().enumerate().map(|(i, s)| Rule {
        name: s.service.name().to_owned(),
        selector: &s.facilities,
        life_circle: s.life_circle,
        threshold_m: s.threshold_m,
        reported: Box::new(move |u: &UnitCoverage| {
            let r = &u.services[i];
            (r.distance_m, r.nearest, r.covered)
        }),
    });
    let checklist = standards.checklist.iter().enumerate().map(|(i, c)| Rule {
        name: format!("{:?}", c.item),
        selector: &c.facilities,
        life_circle: c.life_circle,
        threshold_m: c.threshold_m,
        reported: Box::new(move |u: &UnitCoverage| {
            let r = &u.checklist[i];
            (r.distance_m, r.nearest, r.within)
        }),
    });
    services.chain(checklist).collect()
}

/// What the comparison of one rule saw.
#[derive(Default, Clone, Copy)]
struct Seen {
    pairs: usize,
    zero: usize,
    far: usize,
    /// Pairs the snapshot's own frame, read as it is, gets wrong by more than 1 %.
    frame_off: usize,
    /// The largest error relative to the geodesic.
    worst: f64,
}

impl Seen {
    fn add(mut self, o: Seen) -> Seen {
        self.pairs += o.pairs;
        self.zero += o.zero;
        self.far += o.far;
        self.frame_off += o.frame_off;
        self.worst = self.worst.max(o.worst);
        self
    }
}

fn compare_rule(snapshot: &Snapshot, coverage: &Coverage, geoms: &[Geometry], rule: &Rule) -> Seen {
    let facilities = counting(snapshot, rule.selector, rule.life_circle);
    let frame = super::metric::snapshot_metric(snapshot).frame;
    let in_frame = |g: &Geometry| g.map_coords(|c| frame.to_metres(c));
    let facility = |f: FacilityRef| match snapshot.feature(f.layer, f.id) {
        Some(Feature::Station(s)) => Geometry::Point(s.geometry),
        Some(Feature::ServiceSpace(s)) => s.geometry,
        other => panic!("nearest is not a facility: {other:?}"),
    };
    coverage
        .units
        .par_iter()
        .zip(geoms)
        .map(|(u, g)| {
            let (reported, named, covered) = (rule.reported)(u);
            let Some((truth, _)) = nearest(g, &facilities) else {
                assert!(reported.is_none() && named.is_none(), "{}", rule.name);
                return Seen::default();
            };
            let d = reported.expect("a distance");
            let what = format!("{:?} {} {}", u.kind, u.id, rule.name);
            assert!(
                (d - truth).abs() <= TOLERANCE * truth,
                "{what}: reported {d} m, geodesic {truth} m"
            );
            let to_named = oracle_m(g, &facility(named.expect("a facility")));
            assert!(
                to_named <= truth * (1.0 + TOLERANCE),
                "{what}: the named facility is {to_named} m away, the nearest {truth} m"
            );
            if (truth - rule.threshold_m).abs() > TOLERANCE * truth {
                assert_eq!(covered, truth <= rule.threshold_m, "{what}: {truth} m");
            }
            let flat =
                Euclidean.distance(&in_frame(g), &in_frame(&facility(named.expect("named"))));
            Seen {
                pairs: 1,
                zero: usize::from(truth == 0.0),
                far: usize::from(truth > 900_000.0),
                frame_off: usize::from((flat - to_named).abs() > 0.01 * to_named),
                worst: if truth > 0.0 {
                    (d - truth).abs() / truth
                } else {
                    0.0
                },
            }
        })
        .reduce(Seen::default, Seen::add)
}

#[test]
fn distances_across_1000_km_are_within_0_1_percent_of_the_geodesic() {
    assert!((geodesic(ORIGIN, FAR) - 1_011_675.0).abs() < 1.0);
    let snapshot = Snapshot::new(1, two_cities());
    let standards = Standards::default();
    let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
    let geoms = unit_geometries(&snapshot);
    assert_eq!(coverage.units.len(), geoms.len());
    let seen = rules(&standards)
        .iter()
        .map(|rule| compare_rule(&snapshot, &coverage, &geoms, rule))
        .fold(Seen::default(), Seen::add);
    // Every kind of case was met: touching, across the country, and pairs a frame centred
    // between the cities would have measured wrong by more than 1 %.
    let summary = format!(
        "pairs {}, zero {}, far {}, frame off {}, worst error {:.1e}",
        seen.pairs, seen.zero, seen.far, seen.frame_off, seen.worst
    );
    println!("{summary}");
    assert!(
        seen.pairs > 4000 && seen.zero > 0 && seen.far > 100 && seen.frame_off > 1000,
        "{summary}"
    );
}

#[test]
fn heatmap_and_siting_across_1000_km_measure_by_the_geodesic() {
    let snapshot = Snapshot::new(1, two_cities());
    let standards = Standards::default();
    let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
    let geoms = unit_geometries(&snapshot);
    let in_luzhou = |lon: f64| lon < f64::midpoint(ORIGIN.x, FAR.x);

    // Household-weighted distance of each city's heatmap cells against the geodesic: childcare
    // crosses the country from 泸州, elderly care stays in town.
    for service in [ServiceType::Childcare, ServiceType::ElderlyCare] {
        let pos = coverage.service_position(service).expect("analysed");
        let rule = &standards.services[pos];
        let facilities = counting(&snapshot, &rule.facilities, rule.life_circle);
        let truth: Vec<f64> = geoms
            .par_iter()
            .map(|g| nearest(g, &facilities).map_or(0.0, |(d, _)| d))
            .collect();
        let cells = heatmap(&snapshot, &coverage, service, 9, None).expect("heatmap");
        for luzhou in [true, false] {
            let weighted: f64 = cells
                .iter()
                .filter(|c| in_luzhou(c.polygon.exterior().0[0].x) == luzhou)
                .map(|c| {
                    c.mean_distance_m.unwrap_or(0.0)
                        * (c.households - c.households_without_facility)
                })
                .sum();
            let expected: f64 = coverage
                .units
                .iter()
                .zip(&truth)
                .filter(|(u, _)| in_luzhou(u.centroid[0]) == luzhou)
                .map(|(u, d)| u.households as f64 * d)
                .sum();
            assert!(
                expected > 0.0 && (weighted - expected).abs() <= TOLERANCE * expected,
                "{service:?}, 泸州 {luzhou}: heatmap {weighted}, geodesic {expected}"
            );
        }
    }

    // A vacant site in each city: the households it would newly cover within 300 m.
    let pos = coverage
        .service_position(ServiceType::ElderlyCare)
        .expect("analysed");
    let threshold = 300.0;
    for (name, centre) in [("泸州", ORIGIN), ("郑州", FAR)] {
        let at = coord! { x: centre.x + 0.004, y: centre.y - 0.003 };
        let request = SitingRequest {
            service: ServiceType::ElderlyCare,
            k: 1,
            threshold_m: Some(threshold),
            include_stations: false,
            include_service_spaces: false,
            include_compound_centroids: false,
            vacant_sites: vec![VacantSite {
                name: name.into(),
                lonlat: [at.x, at.y],
                floor_area_m2: None,
            }],
            ..SitingRequest::default()
        };
        let result = suggest_sites(&snapshot, &coverage, &request).expect("siting");
        let gain = result.sites.first().map_or(0, |s| s.gain_households);
        let site = Geometry::Point(Point(at));
        let within = |limit: f64| -> i64 {
            coverage
                .units
                .iter()
                .zip(&geoms)
                .filter(|(u, g)| {
                    !u.services[pos].distance_m.is_some_and(|d| d <= threshold)
                        && oracle_m(g, &site) <= limit
                })
                .map(|(u, _)| u.households)
                .sum()
        };
        let (surely, perhaps) = (
            within(threshold * (1.0 - TOLERANCE)),
            within(threshold * (1.0 + TOLERANCE)),
        );
        assert!(
            gain > 0 && (surely..=perhaps).contains(&gain),
            "{name}: siting gains {gain} households, the geodesic {surely}–{perhaps}"
        );
    }
}
