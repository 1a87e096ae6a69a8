//! Walking analyses: a river crossed by one far bridge (hand-made, with the numbers a planner
//! would check by hand), and random districts on random street lattices against a plain
//! Dijkstra written here with brute-force joining.

#![allow(clippy::float_cmp)]

use std::collections::{BinaryHeap, HashMap};

use geo::Contains;
use geo_types::{coord, Coord, Geometry, LineString, MultiLineString, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::tests::random_dataset;
use super::*;
use crate::crs::LocalFrame;
use crate::feature::Feature;
use crate::model::*;
use crate::network::metres;
use crate::snapshot::{Dataset, Snapshot};

const ORIGIN: Coord = Coord {
    x: 105.44,
    y: 28.90,
};

fn at(x: f64, y: f64) -> Coord {
    LocalFrame::new(ORIGIN).to_lonlat(coord! { x: x, y: y })
}

fn way(id: i64, points: &[(f64, f64)], kind: WayKind) -> Way {
    let line = LineString::from(points.iter().map(|&(x, y)| at(x, y)).collect::<Vec<_>>());
    Way {
        id,
        version: 1,
        ..Way::new(kind, MultiLineString(vec![line]))
    }
}

fn square(cx: f64, cy: f64, r: f64) -> Polygon {
    Polygon::new(
        LineString::from(vec![
            at(cx - r, cy - r),
            at(cx + r, cy - r),
            at(cx + r, cy + r),
            at(cx - r, cy + r),
            at(cx - r, cy - r),
        ]),
        vec![],
    )
}

fn compound(id: i64, polygon: Polygon) -> Compound {
    Compound {
        id,
        version: 1,
        name: format!("小区{id}"),
        community_code: "510504003004".into(),
        grid_code: None,
        households: 100,
        population: 300,
        elderly: 90,
        build_year: Some(1990),
        class: CompoundClass::Old,
        property_management: PropertyManagement::None,
        owners_committee: false,
        competent_unit: false,
        geometry: polygon,
    }
}

fn elderly_care(id: i64, p: Coord) -> ServiceSpace {
    ServiceSpace {
        id,
        version: 1,
        name: format!("养老服务站{id}"),
        community_code: "510504003004".into(),
        services: vec![ServiceType::ElderlyCare],
        floor_area: 300.0,
        operating_model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Community,
        station_id: None,
        capacity: None,
        opening_hours: None,
        geometry: Geometry::Point(Point(p)),
    }
}

/// Two banks of a river (streets at y = ±100 m from x = −2 km to 2 km), one bridge at x =
/// 1,500 m. Compound 1 on the north bank with its gate at (0, 110); compound 2 on the south bank
/// beside the centre; compound 3 1 km north of every way (not joined). An elderly-care space on
/// the south bank at (0, −110).
fn river() -> Dataset {
    let ways = vec![
        way(
            1,
            &[
                (-2000.0, 100.0),
                (-300.0, 100.0),
                (0.0, 100.0),
                (1500.0, 100.0),
                (2000.0, 100.0),
            ],
            WayKind::Residential,
        ),
        way(
            2,
            &[
                (-2000.0, -100.0),
                (-300.0, -100.0),
                (0.0, -100.0),
                (1500.0, -100.0),
                (2000.0, -100.0),
            ],
            WayKind::Residential,
        ),
        Way {
            bridge: true,
            ..way(3, &[(1500.0, 100.0), (1500.0, -100.0)], WayKind::Tertiary)
        },
        // A motorway straight across: pedestrians may not use it.
        way(4, &[(-300.0, 100.0), (-300.0, -100.0)], WayKind::Motorway),
    ];
    let compounds = vec![
        compound(1, square(0.0, 160.0, 50.0)),
        compound(2, square(200.0, -160.0, 50.0)),
        compound(3, square(0.0, 1200.0, 50.0)),
    ];
    let gates = vec![Gate {
        id: 1,
        version: 1,
        name: Some("南门".into()),
        community_code: "510504003004".into(),
        compound_id: 1,
        kind: GateKind::Pedestrian,
        geometry: Point(at(0.0, 110.0)),
    }];
    Dataset {
        ways: ways.into(),
        compounds: compounds.into(),
        gates: gates.into(),
        service_spaces: vec![elderly_care(1, at(0.0, -110.0))].into(),
        ..Dataset::default()
    }
}

fn elderly(cov: &Coverage, id: i64) -> &ServiceReach {
    cov.unit(UnitKind::Compound, id)
        .and_then(|u| u.reach(ServiceType::ElderlyCare))
        .expect("elderly care reach")
}

#[test]
fn across_the_river_a_compound_covered_in_a_straight_line_is_not_on_foot() {
    let snap = Snapshot::new(1, river());
    let cov = Coverage::compute(&snap, &Standards::default()).expect("coverage");
    assert_eq!(
        cov.metric,
        DistanceMetric::Walk,
        "walking once there are ways"
    );
    let north = elderly(&cov, 1);
    // Straight: gate (0, 110) to the space (0, −110).
    let straight = metres(at(0.0, 110.0), at(0.0, -110.0));
    assert!((north.straight_m.expect("straight") - straight).abs() < 0.01);
    assert!(north.covered_straight, "220 m ≤ 500 m in a straight line");
    // On foot: 10 m to the street, 1,500 m east, the bridge, 1,500 m back west, 10 m.
    let walk = metres(at(0.0, 110.0), at(0.0, 100.0))
        + metres(at(0.0, 100.0), at(1500.0, 100.0))
        + metres(at(1500.0, 100.0), at(1500.0, -100.0))
        + metres(at(1500.0, -100.0), at(0.0, -100.0))
        + metres(at(0.0, -100.0), at(0.0, -110.0));
    assert!(
        (north.walk_m.expect("walk") - walk).abs() < 0.01,
        "{north:?} vs {walk}"
    );
    assert_eq!(north.distance_m, north.walk_m);
    assert!(!north.covered && north.covered_walk == Some(false));
    let detour = north.detour.expect("detour");
    assert!((detour - walk / straight).abs() < 1e-9 && detour > 10.0);
    assert!(
        (north.minutes.expect("minutes") - walk / 60.0).abs() < 1e-9,
        "1.0 m/s"
    );
    // The south-bank compound walks along its own street.
    assert!(elderly(&cov, 2).covered && elderly(&cov, 2).covered_walk == Some(true));

    // Straight-line coverage of the same measurement: covered again.
    let straight_cov = cov.by_metric(&snap, DistanceMetric::Straight);
    assert!(elderly(&straight_cov, 1).covered);
    assert_eq!(elderly(&straight_cov, 1).distance_m, north.straight_m);
    assert_eq!(elderly(&straight_cov, 1).walk_m, north.walk_m);

    // The compound 1 km from every way is listed, and not covered on foot.
    let far = cov.unit(UnitKind::Compound, 3).expect("far");
    assert_eq!(far.joined, Some(false));
    assert!(elderly(&cov, 3).walk_m.is_none() && !elderly(&cov, 3).covered);
    assert!(cov
        .unjoined(&snap)
        .iter()
        .any(|u| u.layer == Layer::Compounds && u.id == 3));
    let report = cov.network().expect("network");
    assert_eq!((report.ways, report.walkable_ways), (4, 3));
}

#[test]
fn a_new_bridge_is_walked_by_the_next_snapshot() {
    let snap = Snapshot::new(1, river());
    let before = Coverage::compute(&snap, &Standards::default()).expect("coverage");
    assert!(!elderly(&before, 1).covered);
    let bridge = Feature::Way(Way {
        bridge: true,
        ..way(0, &[(0.0, 100.0), (0.0, -100.0)], WayKind::Footway)
    });
    let next = snap.with_changes(2, &[bridge], &[]);
    let after = Coverage::compute(&next, &Standards::default()).expect("coverage");
    let north = elderly(&after, 1);
    assert!(north.covered, "{north:?}");
    // Straight over the new footbridge: the walk is the straight line.
    let (walk, straight) = (
        north.walk_m.expect("walk"),
        north.straight_m.expect("straight"),
    );
    assert!((walk - straight).abs() < 1e-6, "{north:?}");
}

#[test]
fn isochrones_stop_at_the_river_and_routes_cross_the_bridge() {
    let snap = Snapshot::new(1, river());
    let cov = Coverage::compute(&snap, &Standards::default()).expect("coverage");
    let isos =
        isochrones(&snap, &cov, ServiceType::ElderlyCare, None, &[5.0, 10.0]).expect("isochrones");
    assert_eq!(isos.len(), 2);
    let (five, ten) = (&isos[0].area, &isos[1].area);
    assert_eq!(isos[1].distance_m, 600.0);
    let inside = |area: &geo_types::MultiPolygon, x: f64, y: f64| area.contains(&Point(at(x, y)));
    // Along the south street, within 300 m on foot and beside it.
    assert!(inside(five, 0.0, -110.0) && inside(five, 200.0, -120.0));
    assert!(!inside(five, 450.0, -100.0) && inside(ten, 450.0, -100.0));
    // Not across the river: the north street is 1,500 m away on foot.
    assert!(!inside(ten, 0.0, 100.0) && !inside(ten, 0.0, 110.0));
    // One facility at a time.
    let one = isochrones(
        &snap,
        &cov,
        ServiceType::ElderlyCare,
        Some(FacilityRef {
            layer: Layer::ServiceSpaces,
            id: 1,
        }),
        &[5.0],
    )
    .expect("one");
    assert_eq!(one[0].area, *five);
    assert!(isochrones(&snap, &cov, ServiceType::ElderlyCare, None, &[0.0]).is_err());

    let routes = routes(&snap, &cov, UnitKind::Compound, 1).expect("routes");
    let route = routes
        .iter()
        .find(|r| r.service == ServiceType::ElderlyCare)
        .expect("elderly care route");
    assert_eq!(route.facility.id, 1);
    assert_eq!(Some(route.distance_m), elderly(&cov, 1).walk_m);
    let line = &route.line.0;
    let near = |c: Coord, x: f64, y: f64| metres(c, at(x, y)) < 0.01;
    assert!(near(line[0], 0.0, 110.0) && near(*line.last().expect("end"), 0.0, -110.0));
    assert!(
        line.iter().any(|&c| near(c, 1500.0, 100.0)),
        "over the bridge"
    );
    let length: f64 = line.windows(2).map(|w| metres(w[0], w[1])).sum();
    assert!((length - route.distance_m).abs() < 0.01);
}

#[test]
fn siting_on_foot_reaches_only_what_the_ways_reach() {
    let snap = Snapshot::new(1, river());
    let cov = Coverage::compute(&snap, &Standards::default()).expect("coverage");
    let request = SitingRequest {
        service: ServiceType::ElderlyCare,
        k: 1,
        include_stations: false,
        include_service_spaces: false,
        include_compound_centroids: false,
        vacant_sites: vec![
            // Across the river from compound 1: near in a straight line, far on foot.
            VacantSite {
                name: "南岸空房".into(),
                lonlat: {
                    let c = at(50.0, -105.0);
                    [c.x, c.y]
                },
                floor_area_m2: None,
            },
            VacantSite {
                name: "北岸空房".into(),
                lonlat: {
                    let c = at(300.0, 105.0);
                    [c.x, c.y]
                },
                floor_area_m2: None,
            },
        ],
        ..SitingRequest::default()
    };
    let walk = suggest_sites(&snap, &cov, &request).expect("walk");
    assert_eq!(walk.metric, DistanceMetric::Walk);
    assert_eq!(walk.sites[0].name, "北岸空房");
    assert_eq!(walk.sites[0].gain_units, 1);
    let straight = suggest_sites(
        &snap,
        &cov.by_metric(&snap, DistanceMetric::Straight),
        &request,
    )
    .expect("straight");
    // In a straight line compound 1 is covered already: nothing to gain.
    assert!(straight.sites.is_empty(), "{straight:?}");
}

#[test]
fn without_walkable_ways_coverage_stays_straight_and_walking_analyses_say_why() {
    let mut d = river();
    d.ways.retain(|w| w.kind == WayKind::Motorway);
    let snap = Snapshot::new(1, d);
    let cov = Coverage::compute_by(&snap, &Standards::default(), Some(DistanceMetric::Walk))
        .expect("coverage");
    assert_eq!(cov.metric, DistanceMetric::Straight);
    assert!(!cov.has_walking() && cov.network().is_none());
    assert!(elderly(&cov, 1).covered && elderly(&cov, 1).covered_walk.is_none());
    assert_eq!(
        isochrones(&snap, &cov, ServiceType::ElderlyCare, None, &[5.0]),
        Err(AnalysisError::NoWalkingNetwork)
    );
}

/// A plain Dijkstra from scratch: nodes at exactly equal vertices, every walkable segment an
/// edge; a point joins its nearest segment by brute force over all of them.
struct Brute {
    coords: Vec<Coord>,
    adj: Vec<Vec<(usize, f64)>>,
    segments: Vec<(usize, usize)>,
}

impl Brute {
    fn new(ways: &[Way]) -> Brute {
        let mut ids: HashMap<(u64, u64), usize> = HashMap::new();
        let mut b = Brute {
            coords: Vec::new(),
            adj: Vec::new(),
            segments: Vec::new(),
        };
        for w in ways.iter().filter(|w| w.walkable()) {
            for line in &w.geometry.0 {
                let mut prev: Option<usize> = None;
                for &c in &line.0 {
                    let n = *ids
                        .entry((c.x.to_bits(), c.y.to_bits()))
                        .or_insert_with(|| {
                            b.coords.push(c);
                            b.adj.push(Vec::new());
                            b.coords.len() - 1
                        });
                    if let Some(p) = prev.filter(|&p| p != n) {
                        let len = metres(b.coords[p], c);
                        b.adj[p].push((n, len));
                        b.adj[n].push((p, len));
                        b.segments.push((p, n));
                    }
                    prev = Some(n);
                }
            }
        }
        b
    }

    /// The nearest point of any segment: (segment, point, metres), by the local plane at `p`.
    fn join(&self, p: Coord, limit: f64) -> Option<(usize, Coord, f64)> {
        let frame = LocalFrame::new(p);
        let mut best: Option<(usize, Coord, f64)> = None;
        for (s, &(a, b)) in self.segments.iter().enumerate() {
            let (pa, pb) = (
                frame.to_metres(self.coords[a]),
                frame.to_metres(self.coords[b]),
            );
            let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
            let t = ((-pa.x * dx - pa.y * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            let q = frame.to_lonlat(coord! { x: pa.x + t * dx, y: pa.y + t * dy });
            let d = metres(p, q);
            if d <= limit && best.is_none_or(|(_, _, bd)| d < bd) {
                best = Some((s, q, d));
            }
        }
        best
    }

    fn dijkstra(&self, starts: &[(usize, f64)]) -> Vec<f64> {
        #[derive(PartialEq)]
        struct Item(f64, usize);
        impl Eq for Item {}
        impl Ord for Item {
            fn cmp(&self, o: &Self) -> std::cmp::Ordering {
                o.0.total_cmp(&self.0)
            }
        }
        impl PartialOrd for Item {
            fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(o))
            }
        }
        let mut dist = vec![f64::INFINITY; self.coords.len()];
        let mut heap = BinaryHeap::new();
        for &(n, d) in starts {
            if d < dist[n] {
                dist[n] = d;
                heap.push(Item(d, n));
            }
        }
        while let Some(Item(d, n)) = heap.pop() {
            if d > dist[n] {
                continue;
            }
            for &(m, len) in &self.adj[n] {
                if d + len < dist[m] {
                    dist[m] = d + len;
                    heap.push(Item(d + len, m));
                }
            }
        }
        dist
    }
}

/// A lattice of streets every 250 m over the random district (some blocks' sides left out),
/// with footways of random length poking into blocks.
fn lattice(seed: u64) -> Vec<Way> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ways = Vec::new();
    let mut id = 1;
    let step = 250.0;
    for i in -8..=8 {
        for j in -8..8 {
            let v = f64::from(i) * step;
            let (a, b) = (f64::from(j) * step, f64::from(j + 1) * step);
            for (p, q) in [((v, a), (v, b)), ((a, v), (b, v))] {
                if rng.random_bool(0.15) {
                    continue;
                }
                let kind = if rng.random_bool(0.05) {
                    WayKind::Motorway
                } else {
                    WayKind::Residential
                };
                ways.push(way(id, &[p, q], kind));
                id += 1;
            }
        }
    }
    ways
}

#[test]
fn walking_distances_equal_a_plain_dijkstra_on_random_districts() {
    for seed in 0..6_u64 {
        let mut d = random_dataset(seed, 60, 25);
        d.ways = lattice(seed).into();
        let snap = Snapshot::new(1, d);
        let standards = Standards::default();
        let cov = Coverage::compute(&snap, &standards).expect("coverage");
        let brute = Brute::new(&snap.data.ways.to_vec());
        let limit = standards.walking.join_limit_m;
        let data = &snap.data;
        let mut checked = 0;
        for (k, standard) in standards.services.iter().enumerate() {
            // Every counting point facility joined, as brute-force sources.
            let sources: Vec<(usize, Coord, f64)> = super::metric::counting_facilities(
                data,
                &standard.facilities,
                standard.life_circle,
            )
            .into_iter()
            .filter_map(|i| {
                let p = if i < data.stations.len() {
                    data.stations[i].geometry.0
                } else {
                    match &data.service_spaces[i - data.stations.len()].geometry {
                        Geometry::Point(p) => p.0,
                        _ => return None,
                    }
                };
                brute.join(p, limit)
            })
            .collect();
            let starts: Vec<(usize, f64)> = sources
                .iter()
                .flat_map(|&(s, q, d)| {
                    let (a, b) = brute.segments[s];
                    [
                        (a, d + metres(q, brute.coords[a])),
                        (b, d + metres(q, brute.coords[b])),
                    ]
                })
                .collect();
            let dist = brute.dijkstra(&starts);
            for u in cov
                .units
                .iter()
                .filter(|u| u.gates > 0 && u.joined == Some(true))
            {
                let r = &u.services[k];
                let best = snap
                    .gates_of(u.id)
                    .filter_map(|g| brute.join(g.geometry.0, limit))
                    .map(|(s, q, d)| {
                        let (a, b) = brute.segments[s];
                        let mut via = (d + metres(q, brute.coords[a]) + dist[a])
                            .min(d + metres(q, brute.coords[b]) + dist[b]);
                        for &(_, fq, fd) in sources.iter().filter(|f| f.0 == s) {
                            via = via.min(d + metres(q, fq) + fd);
                        }
                        via
                    })
                    .fold(f64::INFINITY, f64::min);
                let point_nearest = r.nearest.is_some_and(|f| {
                    f.layer == Layer::Stations
                        || data
                            .service_spaces
                            .iter()
                            .any(|s| s.id == f.id && matches!(s.geometry, Geometry::Point(_)))
                });
                match r.walk_m {
                    // Never farther than the nearest point facility; equal when a point
                    // facility is the nearest (polygons are beyond this brute force).
                    Some(walk) => {
                        assert!(
                            walk <= best + 1e-6 * best.max(1.0),
                            "seed {seed} unit {} {:?}: {walk} > {best}",
                            u.id,
                            r.service
                        );
                        if point_nearest {
                            assert!(
                                (walk - best).abs() <= 1e-6 * best.max(1.0),
                                "seed {seed} unit {} {:?}: {walk} vs {best}",
                                u.id,
                                r.service
                            );
                            checked += 1;
                        }
                    }
                    None => assert!(
                        best.is_infinite(),
                        "seed {seed} unit {}: none reached, brute {best}",
                        u.id
                    ),
                }
            }
        }
        assert!(checked > 20, "seed {seed}: only {checked} checked");
    }
}

/// Whether two coverages say the same of every unit and area.
fn same_coverage(a: &Coverage, b: &Coverage) -> bool {
    a.units == b.units
        && a.grids == b.grids
        && a.communities == b.communities
        && a.streets == b.streets
        && a.all == b.all
}

#[test]
fn an_edit_that_moves_nothing_keeps_the_distances_and_any_other_measures_again() {
    let mut d = random_dataset(4, 60, 25);
    d.ways = lattice(4).into();
    let snap = Snapshot::new(1, d);
    let before = Coverage::memoized(&snap).expect("coverage");
    let distances = |c: &Coverage| std::sync::Arc::as_ptr(&c.measured);
    let scattered = (snap.data.buildings.iter())
        .position(Building::scattered)
        .expect("a scattered building");

    // A renamed building with more households: the distances are the same ones, the rows and
    // summaries are redone, and all of it equals a coverage computed afresh.
    let mut renamed = snap.data.buildings[scattered].clone();
    renamed.name = Some("改名楼栋".into());
    renamed.households += 40;
    let next = snap.with_changes(2, &[Feature::Building(renamed.clone())], &[]);
    let after = Coverage::memoized(&next).expect("coverage");
    assert_eq!(distances(&after), distances(&before));
    let unit = after
        .unit(UnitKind::ScatteredBuilding, renamed.id)
        .expect("the unit");
    assert_eq!(unit.name.as_deref(), Some("改名楼栋"));
    assert_eq!(unit.households, renamed.households);
    let fresh = Coverage::compute(&next, &Standards::default()).expect("coverage");
    assert!(same_coverage(&after, &fresh));
    assert_eq!(
        after.all.governance.households,
        before.all.governance.households + 40
    );
    // Updated, not assembled again.
    let updated_from = |a: &Coverage, b: &Coverage| std::sync::Arc::ptr_eq(&a.by_key, &b.by_key);
    assert!(updated_from(&after, &before));
    // And updated again on the snapshot after that, still equal to a fresh one.
    let mut compound = next.data.compounds[2].clone();
    compound.households += 7;
    compound.owners_committee = !compound.owners_committee;
    compound.population += 20;
    let third = next.with_changes(3, &[Feature::Compound(compound)], &[]);
    let updated = Coverage::memoized(&third).expect("coverage");
    assert!(updated_from(&updated, &after));
    let fresh = Coverage::compute(&third, &Standards::default()).expect("coverage");
    assert!(same_coverage(&updated, &fresh));

    // Two edits with no coverage asked in between: the later snapshot updates the earlier
    // coverage with both.
    let mut compound = snap.data.compounds[1].clone();
    compound.households += 3;
    let first = snap.with_changes(2, &[Feature::Compound(compound)], &[]);
    let second = first.with_changes(3, &[Feature::Building(renamed.clone())], &[]);
    let chained = Coverage::memoized(&second).expect("coverage");
    assert!(updated_from(&chained, &before));
    let fresh = Coverage::compute(&second, &Standards::default()).expect("coverage");
    assert!(same_coverage(&chained, &fresh));

    // Moving the building, attaching it to a compound, changing a facility, a way or a gate:
    // measured again, and the same as afresh.
    let mut moved = renamed.clone();
    moved.geometry = Geometry::Point(Point(at(400.0, -300.0)));
    let mut attached = renamed.clone();
    attached.compound_id = Some(snap.data.compounds[0].id);
    let mut space = snap.data.service_spaces[0].clone();
    space.services = vec![ServiceType::Fitness];
    let mut closed = snap.data.ways[3].clone();
    closed.kind = WayKind::Motorway;
    let mut edits = vec![
        Feature::Building(moved),
        Feature::Building(attached),
        Feature::ServiceSpace(space),
        Feature::Way(closed),
    ];
    if let Some(g) = snap.data.gates.first() {
        let mut gate = g.clone();
        gate.geometry = Point(at(-250.0, 250.0));
        edits.push(Feature::Gate(gate));
    }
    for edit in edits {
        let next = snap.with_changes(2, std::slice::from_ref(&edit), &[]);
        let after = Coverage::memoized(&next).expect("coverage");
        assert_ne!(distances(&after), distances(&before), "{:?}", edit.layer());
        let fresh = Coverage::compute(&next, &Standards::default()).expect("coverage");
        assert!(same_coverage(&after, &fresh), "{:?}", edit.layer());
    }
}

/// A point geometry `dx` degrees of longitude east of `p`.
fn shifted(p: Point, dx: f64) -> Point {
    Point::new(p.x() + dx, p.y())
}

#[test]
fn an_edit_that_moves_units_or_facilities_measures_only_what_it_reaches_and_equals_afresh() {
    let mut d = random_dataset(7, 80, 30);
    d.ways = lattice(4).into();
    let snap = Snapshot::new(1, d);
    let before = Coverage::memoized(&snap).expect("coverage");
    let updated_from = |a: &Coverage, b: &Coverage| {
        a.measured
            .updated_from
            .as_ref()
            .is_some_and(|(from, _)| *from == std::sync::Arc::as_ptr(&b.measured) as usize)
    };
    let scattered = (snap.data.buildings.iter())
        .find(|b| b.scattered() && matches!(b.geometry, Geometry::Point(_)))
        .expect("a scattered building on a point")
        .clone();
    let Geometry::Point(p) = scattered.geometry else {
        unreachable!()
    };
    let mut building = scattered.clone();
    building.geometry = Geometry::Point(shifted(p, 0.0004));
    let mut station = snap.data.stations[1].clone();
    station.geometry = shifted(station.geometry, -0.0003);
    let mut space = snap.data.service_spaces[0].clone();
    space.services = vec![ServiceType::Fitness, ServiceType::ElderlyCare];
    let mut edits = vec![
        vec![Feature::Building(building.clone())],
        vec![Feature::Station(station.clone())],
        vec![Feature::ServiceSpace(space)],
        vec![Feature::Building(building), Feature::Station(station)],
    ];
    if let Some(g) = snap.data.gates.get(1) {
        let mut gate = g.clone();
        gate.geometry = shifted(gate.geometry, 0.0001);
        edits.push(vec![Feature::Gate(gate)]);
    }
    for edit in edits {
        let layers: Vec<_> = edit.iter().map(Feature::layer).collect();
        let next = snap.with_changes(2, &edit, &[]);
        let after = Coverage::memoized(&next).expect("coverage");
        assert!(
            updated_from(&after, &before),
            "{layers:?}: updated, not measured afresh"
        );
        let fresh = Coverage::compute(&next, &Standards::default()).expect("coverage");
        assert!(
            same_coverage(&after, &fresh),
            "{layers:?}: the same as afresh"
        );
        // And a moved unit again on the snapshot after, still the same as afresh.
        let mut again = scattered.clone();
        again.geometry = Geometry::Point(shifted(p, -0.0002));
        let third = next.with_changes(3, &[Feature::Building(again)], &[]);
        let updated = Coverage::memoized(&third).expect("coverage");
        assert!(updated_from(&updated, &after), "{layers:?}: updated twice");
        let fresh = Coverage::compute(&third, &Standards::default()).expect("coverage");
        assert!(
            same_coverage(&updated, &fresh),
            "{layers:?}, then a move: the same as afresh"
        );
    }
    // A station deleted, or a building added: measured afresh, the same as afresh.
    let gone = snap.with_changes(2, &[], &[(Layer::Stations, snap.data.stations[0].id)]);
    let after = Coverage::memoized(&gone).expect("coverage");
    assert!(!updated_from(&after, &before));
    let fresh = Coverage::compute(&gone, &Standards::default()).expect("coverage");
    assert!(same_coverage(&after, &fresh));
}
