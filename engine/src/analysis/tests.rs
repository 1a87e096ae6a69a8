//! The analyses against brute force (all pairs, exact distances) on random data with fixed
//! seeds, and the rules on small hand-made cases.

#![allow(clippy::many_single_char_names, clippy::float_cmp)]

use std::collections::HashMap;

use geo::{BoundingRect, Distance, Euclidean, Geodesic, Intersects, MapCoords};
use geo_types::{coord, Coord, Geometry, LineString, MultiPoint, MultiPolygon, Point, Polygon};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::siting::candidates;
use super::*;
use crate::crs::LocalFrame;
use crate::feature::Feature;
use crate::model::*;
use crate::snapshot::{Dataset, Snapshot};

pub(super) const ORIGIN: Coord = Coord {
    x: 105.44,
    y: 28.90,
};
const HALF_M: f64 = 2000.0;

fn place() -> LocalFrame {
    LocalFrame::new(ORIGIN)
}

fn at(x: f64, y: f64) -> Coord {
    place().to_lonlat(coord! { x: x, y: y })
}

fn rect_m(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    Polygon::new(
        LineString::from(vec![
            at(x0, y0),
            at(x1, y0),
            at(x1, y1),
            at(x0, y1),
            at(x0, y0),
        ]),
        vec![],
    )
}

/// A star-shaped (so simple) polygon around (cx, cy), metres.
fn blob(rng: &mut ChaCha8Rng, cx: f64, cy: f64, r: f64) -> Polygon {
    let n = rng.random_range(4..=8);
    let mut angles: Vec<f64> = (0..n)
        .map(|_| rng.random_range(0.0..std::f64::consts::TAU))
        .collect();
    angles.sort_by(f64::total_cmp);
    angles.dedup_by(|a, b| (*a - *b).abs() < 0.05);
    let mut ring: Vec<Coord> = angles
        .iter()
        .map(|a| {
            let rr = r * rng.random_range(0.5..1.0);
            at(cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect();
    if ring.len() < 3 {
        return rect_m(cx - r, cy - r, cx + r, cy + r);
    }
    ring.push(ring[0]);
    Polygon::new(LineString::from(ring), vec![])
}

fn quadrant(x: f64, y: f64) -> usize {
    usize::from(x >= 0.0) + 2 * usize::from(y >= 0.0)
}

fn community_code(q: usize) -> String {
    format!("51050400{}00{}", 1 + q / 2, q + 1)
}

fn grid_code(x: f64, y: f64) -> String {
    let gx = ((x + HALF_M) / 1000.0).floor().clamp(0.0, 3.0) as usize;
    let gy = ((y + HALF_M) / 1000.0).floor().clamp(0.0, 3.0) as usize;
    format!("G{gx}{gy}")
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, all: &[T]) -> T {
    all[rng.random_range(0..all.len())]
}

/// A random district: 2 streets, 4 communities, 16 grids, compounds of 4–8 vertices, scattered
/// buildings (points and footprints), buildings in some compounds, stations and spaces (points
/// and polygons, some overlapping compounds) of random kinds, levels and services.
pub(super) fn random_dataset(seed: u64, compounds: usize, facilities: usize) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut d = Dataset::default();
    add_random_areas(&mut rng, &mut d);
    let centres = add_random_compounds(&mut rng, &mut d, compounds);
    add_random_scattered(&mut rng, &mut d, compounds / 3);
    add_random_stations(&mut rng, &mut d, facilities);
    add_random_spaces(&mut rng, &mut d, facilities, &centres);
    add_random_gates(&mut d, seed);
    d
}

/// The 2 streets (south, north), 4 communities (quadrants) and 16 grids (1 km squares, 1–3
/// workers) of the random district.
fn add_random_areas(rng: &mut ChaCha8Rng, d: &mut Dataset) {
    for (i, (y0, y1)) in [(-HALF_M, 0.0), (0.0, HALF_M)].into_iter().enumerate() {
        d.streets.push(Street {
            id: i as i64 + 1,
            version: 1,
            code: format!("51050400{}", i + 1),
            name: format!("街道{i}"),
            geometry: MultiPolygon(vec![rect_m(-HALF_M, y0, HALF_M, y1)]),
        });
    }
    for q in 0..4 {
        let (x0, y0) = (
            if q % 2 == 0 { -HALF_M } else { 0.0 },
            if q / 2 == 0 { -HALF_M } else { 0.0 },
        );
        d.communities.push(Community {
            id: q as i64 + 1,
            version: 1,
            code: community_code(q),
            name: format!("社区{q}"),
            street_code: format!("51050400{}", 1 + q / 2),
            kind: CommunityKind::Old,
            residents_groups: 5,
            geometry: MultiPolygon(vec![rect_m(x0, y0, x0 + HALF_M, y0 + HALF_M)]),
        });
    }
    for gx in 0..4_u8 {
        for gy in 0..4_u8 {
            let (x0, y0) = (
                -HALF_M + 1000.0 * f64::from(gx),
                -HALF_M + 1000.0 * f64::from(gy),
            );
            d.grids.push(Grid {
                id: i64::from(gx * 4 + gy) + 1,
                version: 1,
                code: format!("G{gx}{gy}"),
                name: format!("网格{gx}{gy}"),
                community_code: community_code(quadrant(x0 + 1.0, y0 + 1.0)).into(),
                workers: rng.random_range(1..=3),
                locked: false,
                geometry: rect_m(x0, y0, x0 + 1000.0, y0 + 1000.0),
            });
        }
    }
}

/// `count` compounds of 4–8 vertices, some with 1–4 buildings; the compounds' centres.
fn add_random_compounds(rng: &mut ChaCha8Rng, d: &mut Dataset, count: usize) -> Vec<(f64, f64)> {
    let mut centres = Vec::new();
    let mut building_id = 1;
    for i in 0..count {
        let (x, y) = (
            rng.random_range(-1900.0..1900.0),
            rng.random_range(-1900.0..1900.0),
        );
        let r = rng.random_range(20.0..120.0);
        centres.push((x, y));
        let households = rng.random_range(20..600);
        let population = (households as f64 * rng.random_range(2.0..3.2)) as i64;
        let pm = pick(rng, PropertyManagement::ALL);
        let id = i as i64 + 1;
        d.compounds.push(Compound {
            id,
            version: 1,
            name: format!("小区{i}"),
            community_code: community_code(quadrant(x, y)).into(),
            grid_code: Some(grid_code(x, y).into()),
            households,
            population,
            elderly: (population as f64 * rng.random_range(0.05..0.35)) as i64,
            build_year: rng.random_bool(0.8).then(|| rng.random_range(1975..2022)),
            class: pick(rng, CompoundClass::ALL),
            property_management: pm,
            owners_committee: rng.random_bool(0.3),
            competent_unit: rng.random_bool(0.3),
            geometry: blob(rng, x, y, r),
        });
        if rng.random_bool(0.4) {
            let n = rng.random_range(1..=4);
            for _ in 0..n {
                d.buildings.push(Building {
                    id: building_id,
                    version: 1,
                    name: None,
                    community_code: community_code(quadrant(x, y)).into(),
                    compound_id: Some(id),
                    grid_code: None,
                    households: rng.random_range(0..80),
                    floors: Some(6),
                    build_year: None,
                    location_approximate: false,
                    geometry: Geometry::Point(Point(at(
                        x + rng.random_range(-r * 0.3..r * 0.3),
                        y + rng.random_range(-r * 0.3..r * 0.3),
                    ))),
                });
                building_id += 1;
            }
        }
    }
    centres
}

/// `count` scattered buildings: every fourth a footprint, the others points.
fn add_random_scattered(rng: &mut ChaCha8Rng, d: &mut Dataset, count: usize) {
    for i in 0..count {
        let (x, y) = (
            rng.random_range(-1950.0..1950.0),
            rng.random_range(-1950.0..1950.0),
        );
        let geometry = if i % 4 == 0 {
            Geometry::Polygon(blob(rng, x, y, 12.0))
        } else {
            Geometry::Point(Point(at(x, y)))
        };
        d.buildings.push(Building {
            id: d.buildings.len() as i64 + 1,
            version: 1,
            name: Some(format!("散居{i}")),
            community_code: community_code(quadrant(x, y)).into(),
            compound_id: None,
            grid_code: Some(grid_code(x, y).into()),
            households: rng.random_range(4..60),
            floors: Some(5),
            build_year: None,
            location_approximate: false,
            geometry,
        });
    }
}

/// `count` stations of random kinds and levels, most with a floor area.
fn add_random_stations(rng: &mut ChaCha8Rng, d: &mut Dataset, count: usize) {
    for i in 0..count {
        let (x, y) = (
            rng.random_range(-1990.0..1990.0),
            rng.random_range(-1990.0..1990.0),
        );
        d.stations.push(Station {
            id: i as i64 + 1,
            version: 1,
            name: format!("站点{i}"),
            kind: pick(rng, StationKind::ALL),
            community_code: community_code(quadrant(x, y)).into(),
            level: pick(rng, FacilityLevel::ALL),
            floor_area: rng
                .random_bool(0.8)
                .then(|| rng.random_range(10.0..1500.0_f64).round()),
            geometry: Point(at(x, y)),
        });
    }
}

/// `count` service spaces (every third a polygon, every tenth on a compound centre) of random
/// services and levels, some hosted by one of the `count` stations.
fn add_random_spaces(rng: &mut ChaCha8Rng, d: &mut Dataset, count: usize, centres: &[(f64, f64)]) {
    for i in 0..count {
        // Every tenth space sits on a compound (distance 0).
        let (x, y) = if i % 10 == 0 && !centres.is_empty() {
            centres[rng.random_range(0..centres.len())]
        } else {
            (
                rng.random_range(-1950.0..1950.0),
                rng.random_range(-1950.0..1950.0),
            )
        };
        let mut services: Vec<ServiceType> = (0..rng.random_range(1..=4))
            .map(|_| pick(rng, ServiceType::ALL))
            .collect();
        services.sort_unstable();
        services.dedup();
        let geometry = if i % 3 == 0 {
            let r = rng.random_range(10.0..60.0);
            Geometry::Polygon(blob(rng, x, y, r))
        } else {
            Geometry::Point(Point(at(x, y)))
        };
        d.service_spaces.push(ServiceSpace {
            id: i as i64 + 1,
            version: 1,
            name: format!("阵地{i}"),
            community_code: community_code(quadrant(x, y)).into(),
            services,
            floor_area: rng.random_range(20.0..1000.0_f64).round(),
            operating_model: OperatingModel::PublicBenefit,
            level: pick(rng, FacilityLevel::ALL),
            station_id: rng
                .random_bool(0.3)
                .then(|| rng.random_range(1..=count as i64)),
            capacity: None,
            opening_hours: None,
            geometry,
        });
    }
}

/// Gates 小区出入口 for about half the compounds, 1–3 each, at a corner of the polygon moved up to
/// 30 m in any direction (so on, inside or outside the edge). A stream of its own, so the rest
/// of the data does not depend on it.
fn add_random_gates(d: &mut Dataset, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6a7e);
    let frame = place();
    for c in &d.compounds {
        if !rng.random_bool(0.5) {
            continue;
        }
        let corners = &c.geometry.exterior().0;
        for _ in 0..rng.random_range(1..=3) {
            let v = frame.to_metres(corners[rng.random_range(0..corners.len() - 1)]);
            let (dx, dy) = if rng.random_bool(0.3) {
                (0.0, 0.0)
            } else {
                (rng.random_range(-21.0..21.0), rng.random_range(-21.0..21.0))
            };
            d.gates.push(Gate {
                id: d.gates.len() as i64 + 1,
                version: 1,
                name: None,
                community_code: c.community_code.clone(),
                compound_id: c.id,
                kind: pick(&mut rng, GateKind::ALL),
                geometry: Point(at(v.x + dx, v.y + dy)),
            });
        }
    }
}

/// Every unit's geometry (lon/lat), in coverage order (compounds — their gates when they have
/// any, else their polygon —, then scattered buildings).
pub(super) fn unit_geometries(snapshot: &Snapshot) -> Vec<Geometry> {
    let m = |g: &Geometry| g.clone();
    snapshot
        .data
        .compounds
        .iter()
        .map(|c| {
            let gates: Vec<Point> = snapshot
                .data
                .gates
                .iter()
                .filter(|g| g.compound_id == c.id)
                .map(|g| g.geometry)
                .collect();
            if gates.is_empty() {
                m(&Geometry::Polygon(c.geometry.clone()))
            } else {
                m(&Geometry::MultiPoint(MultiPoint(gates)))
            }
        })
        .chain(
            snapshot
                .data
                .buildings
                .iter()
                .filter(|b| b.compound_id.is_none())
                .map(|b| m(&b.geometry)),
        )
        .collect()
}

/// The oracle's distance between two lon/lat geometries: Euclidean (geo) in the analyses'
/// metric frame centred between the two bounding boxes' centres — the pair's own local frame,
/// within 10⁻⁶ of the geodesic at these distances (the analyses measure every pair at its
/// mid-latitude; the geodesic itself is the oracle of `distances_across_1000_km`). A compound's
/// gates (a multipoint) count gate by gate.
fn pair_m(a: &Geometry, b: &Geometry) -> f64 {
    if let Geometry::MultiPoint(gates) = a {
        return gates
            .iter()
            .map(|g| pair_m(&Geometry::Point(*g), b))
            .fold(f64::INFINITY, f64::min);
    }
    let centre = |g: &Geometry| g.bounding_rect().expect("not empty").center();
    let (ca, cb) = (centre(a), centre(b));
    let frame = metric_frame(coord! { x: f64::midpoint(ca.x, cb.x), y: f64::midpoint(ca.y, cb.y) });
    let m = |g: &Geometry| g.map_coords(|c| frame.to_metres(c));
    Euclidean.distance(&m(a), &m(b))
}

/// Brute force: every unit against every counting facility, exact distance.
fn brute_distance(
    snapshot: &Snapshot,
    unit: &Geometry,
    selector: &FacilitySelector,
    life_circle: LifeCircle,
) -> Option<f64> {
    let m = |g: &Geometry| g.clone();
    let stations = snapshot
        .data
        .stations
        .iter()
        .filter(|s| life_circle.admits(s.level) && selector.selects_station(s))
        .map(|s| m(&Geometry::Point(s.geometry)));
    let spaces = snapshot
        .data
        .service_spaces
        .iter()
        .filter(|s| life_circle.admits(s.level) && selector.selects_space(s))
        .map(|s| m(&s.geometry));
    stations
        .chain(spaces)
        .map(|f| pair_m(unit, &f))
        .min_by(f64::total_cmp)
}

/// Equal up to rounding and the engine's tabulated stretch (10⁻⁸ relative).
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 + 1e-8 * b,
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn distances_equal_brute_force_on_random_data() {
    for seed in [1, 2, 3] {
        let snapshot = Snapshot::new(1, random_dataset(seed, 220, 140));
        let standards = Standards::default();
        let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
        let geoms = unit_geometries(&snapshot);
        assert_eq!(coverage.units.len(), geoms.len());
        let (mut zero, mut none, mut covered) = (0, 0, 0);
        // Compounds whose gates are farther from a facility than their polygon is.
        let mut gates_farther = 0;
        for (i, (u, g)) in coverage.units.iter().zip(&geoms).enumerate() {
            assert_eq!(
                u.gates,
                snapshot
                    .data
                    .gates
                    .iter()
                    .filter(|g| u.kind == UnitKind::Compound && g.compound_id == u.id)
                    .count()
            );
            for (reach, rule) in u.services.iter().zip(&standards.services) {
                let brute = brute_distance(&snapshot, g, &rule.facilities, rule.life_circle);
                if u.gates > 0 {
                    let polygon = Geometry::Polygon(snapshot.data.compounds[i].geometry.clone());
                    let from_polygon =
                        brute_distance(&snapshot, &polygon, &rule.facilities, rule.life_circle);
                    gates_farther +=
                        usize::from(brute.zip(from_polygon).is_some_and(|(a, b)| a > b + 1.0));
                }
                assert!(
                    close(reach.distance_m, brute),
                    "seed {seed} unit {:?} {} {}: {:?} vs brute {:?}",
                    u.kind,
                    u.id,
                    rule.service.name(),
                    reach.distance_m,
                    brute
                );
                assert_eq!(reach.covered, brute.is_some_and(|d| d <= rule.threshold_m));
                zero += usize::from(brute == Some(0.0));
                none += usize::from(brute.is_none());
                covered += usize::from(reach.covered);
            }
            for (reach, rule) in u.checklist.iter().zip(&standards.checklist) {
                let brute = brute_distance(&snapshot, g, &rule.facilities, rule.life_circle);
                assert!(close(reach.distance_m, brute), "checklist {:?}", rule.item);
                assert_eq!(reach.within, brute.is_some_and(|d| d <= rule.threshold_m));
            }
        }
        // The data exercises overlaps, misses, hits and gates.
        assert!(
            zero > 0 && covered > 0 && gates_farther > 0,
            "seed {seed}: zero {zero}, covered {covered}, gates farther {gates_farther}"
        );
        let _ = none;
    }
}

#[test]
fn nearest_facility_named_is_at_the_reported_distance() {
    let snapshot = Snapshot::new(1, random_dataset(4, 120, 80));
    let coverage = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
    let geoms = unit_geometries(&snapshot);
    for (u, g) in coverage.units.iter().zip(&geoms) {
        for r in &u.services {
            let (Some(d), Some(f)) = (r.distance_m, r.nearest) else {
                assert!(r.distance_m.is_none() && r.nearest.is_none());
                continue;
            };
            let geom = match snapshot.feature(f.layer, f.id) {
                Some(Feature::Station(s)) => Geometry::Point(s.geometry),
                Some(Feature::ServiceSpace(s)) => s.geometry,
                other => panic!("nearest is not a facility: {other:?}"),
            };
            assert!(close(Some(d), Some(pair_m(g, &geom))));
        }
    }
}

#[test]
fn area_summaries_equal_brute_force_sums() {
    let snapshot = Snapshot::new(1, random_dataset(5, 200, 120));
    let standards = Standards::default();
    let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
    let geoms = unit_geometries(&snapshot);
    let data = &snapshot.data;
    for community in &data.communities {
        let area = coverage
            .area(AreaLevel::Community, &community.code)
            .expect("community summary");
        let mine: Vec<usize> = coverage
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.community_code == community.code)
            .map(|(i, _)| i)
            .collect();
        let households: i64 = mine.iter().map(|&i| coverage.units[i].households).sum();
        assert_eq!(area.governance.households, households);
        for (s, rule) in area.services.iter().zip(&standards.services) {
            let covered: Vec<usize> = mine
                .iter()
                .copied()
                .filter(|&i| {
                    brute_distance(&snapshot, &geoms[i], &rule.facilities, rule.life_circle)
                        .is_some_and(|d| d <= rule.threshold_m)
                })
                .collect();
            let hh: i64 = covered.iter().map(|&i| coverage.units[i].households).sum();
            assert_eq!(s.households_covered, hh, "{}", rule.service.name());
            let target: f64 = covered
                .iter()
                .map(|&i| coverage.units[i].target(rule.target_group))
                .sum();
            assert!((s.target_covered - target).abs() < 1e-6);
        }
        // Governance from the compounds themselves.
        let compounds: Vec<&Compound> = data
            .compounds
            .iter()
            .filter(|c| c.community_code == community.code)
            .collect();
        assert_eq!(area.governance.compounds, compounds.len());
        assert_eq!(
            area.governance.three_no_compounds,
            compounds.iter().filter(|c| c.three_no()).count()
        );
        assert_eq!(
            area.governance.three_no_households,
            compounds
                .iter()
                .filter(|c| c.three_no())
                .map(|c| c.households)
                .sum::<i64>()
        );
        assert_eq!(
            area.governance.grids,
            data.grids
                .iter()
                .filter(|g| g.community_code == community.code)
                .count()
        );
        // Floor area: counted stations plus spaces not hosted by a counted station.
        let fa = &standards.floor_area;
        let counted: HashMap<i64, bool> = data
            .stations
            .iter()
            .map(|s| (s.id, fa.station_area(s).is_some()))
            .collect();
        let stations: f64 = data
            .stations
            .iter()
            .filter(|s| s.community_code == community.code)
            .filter_map(|s| fa.station_area(s))
            .sum();
        let spaces: f64 = data
            .service_spaces
            .iter()
            .filter(|s| s.community_code == community.code)
            .filter(|s| fa.levels.contains(&s.level))
            .filter(|s| !s.station_id.is_some_and(|id| counted[&id]))
            .map(|s| s.floor_area)
            .sum();
        assert!((area.floor_area.floor_area_m2 - stations - spaces).abs() < 1e-6);
    }
    // Grids and the whole add up.
    let grid_households: i64 = coverage.grids.iter().map(|g| g.governance.households).sum();
    assert_eq!(grid_households, coverage.all.governance.households);
    let street_households: i64 = coverage
        .streets
        .iter()
        .map(|g| g.governance.households)
        .sum();
    assert_eq!(street_households, coverage.all.governance.households);
    let floor: f64 = coverage
        .grids
        .iter()
        .map(|g| g.floor_area.floor_area_m2)
        .sum();
    assert!((floor - coverage.all.floor_area.floor_area_m2).abs() < 1e-6);
}

#[test]
fn changing_a_threshold_changes_coverage() {
    let snapshot = Snapshot::new(1, random_dataset(6, 200, 120));
    let mut standards = Standards::default();
    let covered = |standards: &Standards| {
        let c = Coverage::compute(&snapshot, standards).expect("coverage");
        c.all
            .service(ServiceType::ElderlyCare)
            .expect("elderly care")
            .households_covered
    };
    let at_500 = covered(&standards);
    standards
        .set_threshold(ServiceType::ElderlyCare, 300.0)
        .expect("threshold");
    let at_300 = covered(&standards);
    standards
        .set_threshold(ServiceType::ElderlyCare, 1500.0)
        .expect("threshold");
    let at_1500 = covered(&standards);
    assert!(
        at_300 < at_500 && at_500 < at_1500,
        "{at_300} {at_500} {at_1500}"
    );
    assert!(standards
        .set_threshold(ServiceType::ElderlyCare, -5.0)
        .is_err());
}

/// One square compound 100 m wide centred on the origin, and the given facilities.
fn one_compound(spaces: Vec<(FacilityLevel, Geometry)>) -> Snapshot {
    let mut d = Dataset::default();
    d.compounds.push(Compound {
        id: 1,
        version: 1,
        name: "试验小区".into(),
        community_code: community_code(0).into(),
        grid_code: None,
        households: 100,
        population: 260,
        elderly: 80,
        build_year: Some(1990),
        class: CompoundClass::Old,
        property_management: PropertyManagement::None,
        owners_committee: false,
        competent_unit: false,
        geometry: rect_m(-50.0, -50.0, 50.0, 50.0),
    });
    for (i, (level, geometry)) in spaces.into_iter().enumerate() {
        d.service_spaces.push(ServiceSpace {
            id: i as i64 + 1,
            version: 1,
            name: format!("阵地{i}"),
            community_code: community_code(0).into(),
            services: vec![ServiceType::ElderlyCare],
            floor_area: 200.0,
            operating_model: OperatingModel::LowCost,
            level,
            station_id: None,
            capacity: None,
            opening_hours: None,
            geometry,
        });
    }
    Snapshot::new(1, d)
}

fn elderly_reach(snapshot: &Snapshot) -> ServiceReach {
    let c = Coverage::compute(snapshot, &Standards::default()).expect("coverage");
    c.units[0]
        .reach(ServiceType::ElderlyCare)
        .expect("elderly care")
        .clone()
}

#[test]
fn distance_is_measured_from_the_compound_polygon_in_metres() {
    // 150 m east of the centre = 100 m from the east edge.
    let east = one_compound(vec![(
        FacilityLevel::Community,
        Geometry::Point(Point(at(150.0, 0.0))),
    )]);
    let d = elderly_reach(&east).distance_m.expect("a facility");
    assert!((d - 100.0).abs() < 0.2, "{d}");
    // Inside the compound: 0.
    let inside = one_compound(vec![(
        FacilityLevel::Community,
        Geometry::Point(Point(at(10.0, 10.0))),
    )]);
    assert_eq!(elderly_reach(&inside).distance_m, Some(0.0));
    // A polygon facility 30 m north of the north edge.
    let north = one_compound(vec![(
        FacilityLevel::Compound,
        Geometry::Polygon(rect_m(-20.0, 80.0, 20.0, 120.0)),
    )]);
    let d = elderly_reach(&north).distance_m.expect("a facility");
    assert!((d - 30.0).abs() < 0.1, "{d}");
}

#[test]
fn a_compound_with_gates_is_measured_from_its_nearest_gate() {
    // Facility 150 m east of the centre: 100 m from the polygon's east edge.
    let mut snapshot = one_compound(vec![(
        FacilityLevel::Community,
        Geometry::Point(Point(at(150.0, 0.0))),
    )]);
    let gate = |id: i64, x: f64, y: f64| Gate {
        id,
        version: 1,
        name: Some("西门".into()),
        community_code: community_code(0).into(),
        compound_id: 1,
        kind: GateKind::Pedestrian,
        geometry: Point(at(x, y)),
    };
    let mut d = snapshot.data.clone();
    // Only a west gate: 200 m.
    d.gates.push(gate(1, -50.0, 0.0));
    snapshot = Snapshot::new(2, d.clone());
    let reach = elderly_reach(&snapshot);
    let m = reach.distance_m.expect("a facility");
    // (The test frame is spherical, the analyses' ellipsoidal: 0.3 % apart at most.)
    assert!((m - 200.0).abs() < 0.6, "{m}");
    // A north gate at (0, 50) is nearer: √(150² + 50²) ≈ 158.1 m.
    d.gates.push(gate(2, 0.0, 50.0));
    let reach = elderly_reach(&Snapshot::new(3, d.clone()));
    let m = reach.distance_m.expect("a facility");
    assert!((m - 150f64.hypot(50.0)).abs() < 0.5, "{m}");
    // A gate on the east edge: back to the polygon's 100 m.
    d.gates.push(gate(3, 50.0, 0.0));
    let reach = elderly_reach(&Snapshot::new(4, d));
    let m = reach.distance_m.expect("a facility");
    assert!((m - 100.0).abs() < 0.3, "{m}");
}

#[test]
fn a_higher_tier_facility_does_not_stand_in_for_a_lower_one() {
    // Elderly care is a 10-minute (community) need: a street-level centre 100 m away does not
    // count, a community-level or compound-level one does.
    let street = one_compound(vec![(
        FacilityLevel::Street,
        Geometry::Point(Point(at(150.0, 0.0))),
    )]);
    let r = elderly_reach(&street);
    assert_eq!(r.distance_m, None);
    assert!(!r.covered);
    for level in [FacilityLevel::Community, FacilityLevel::Compound] {
        let s = one_compound(vec![(level, Geometry::Point(Point(at(150.0, 0.0))))]);
        assert!(elderly_reach(&s).covered, "{level:?}");
    }
    // Raise the need to the 15-minute tier and the street-level centre counts.
    let mut standards = Standards::default();
    for s in &mut standards.services {
        if s.service == ServiceType::ElderlyCare {
            s.life_circle = LifeCircle::FifteenMinutes;
        }
    }
    let c = Coverage::compute(&street, &standards).expect("coverage");
    assert!(c.units[0].services[0].covered);
    assert!(LifeCircle::FiveMinutes.admits(FacilityLevel::Compound));
    assert!(!LifeCircle::FiveMinutes.admits(FacilityLevel::Community));
}

#[test]
fn adding_a_service_space_changes_results() {
    let snapshot = Snapshot::new(1, random_dataset(7, 150, 60));
    let standards = Standards::default();
    let before = Coverage::compute(&snapshot, &standards).expect("coverage");
    // The compound farthest from elderly care gets a community-level day-care centre.
    let (far, _) = before
        .units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.kind == UnitKind::Compound)
        .map(|(i, u)| {
            (
                i,
                u.reach(ServiceType::ElderlyCare)
                    .and_then(|r| r.distance_m)
                    .unwrap_or(f64::INFINITY),
            )
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("a compound");
    assert!(!before.units[far].services[0].covered);
    let [x, y] = before.units[far].centroid;
    let space = ServiceSpace {
        id: 10_000,
        version: 1,
        name: "新建日间照料中心".into(),
        community_code: before.units[far].community_code.clone().into(),
        services: vec![ServiceType::ElderlyCare, ServiceType::MealHelp],
        floor_area: 300.0,
        operating_model: OperatingModel::LowCost,
        level: FacilityLevel::Community,
        station_id: None,
        capacity: Some(40),
        opening_hours: None,
        geometry: Geometry::Point(Point(coord! { x: x, y: y })),
    };
    let after_snapshot = snapshot.with_changes(2, &[Feature::ServiceSpace(space)], &[]);
    let after = Coverage::compute(&after_snapshot, &standards).expect("coverage");
    assert!(after.units[far].services[0].covered);
    let hh = |c: &Coverage| {
        c.all
            .service(ServiceType::ElderlyCare)
            .expect("elderly care")
            .households_covered
    };
    assert!(hh(&after) > hh(&before));
    // Analyses refuse a coverage of another snapshot.
    assert!(matches!(
        heatmap(&after_snapshot, &before, ServiceType::ElderlyCare, 9, None),
        Err(AnalysisError::StaleCoverage { .. })
    ));
}

#[test]
fn lazy_greedy_siting_equals_plain_greedy_on_brute_force_reach() {
    for (seed, service) in [
        (8, ServiceType::ElderlyCare),
        (9, ServiceType::Childcare),
        (10, ServiceType::Fitness),
    ] {
        let snapshot = Snapshot::new(1, random_dataset(seed, 200, 60));
        let coverage = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
        let request = SitingRequest {
            service,
            k: 6,
            vacant_sites: vec![VacantSite {
                name: "闲置厂房".into(),
                lonlat: [at(0.0, 0.0).x, at(0.0, 0.0).y],
                floor_area_m2: Some(400.0),
            }],
            ..SitingRequest::default()
        };
        let result = suggest_sites(&snapshot, &coverage, &request).expect("siting");
        assert!(!result.sites.is_empty());

        // Plain greedy over brute-force reach (every candidate × every unit).
        let pos = coverage.service_position(service).expect("analysed");
        let rule = &coverage.standards.services[pos];
        let t = rule.threshold_m;
        let geoms = unit_geometries(&snapshot);
        let cands = candidates(&snapshot, &request, rule).expect("candidates");
        assert_eq!(result.candidates, cands.len());
        let target: Vec<f64> = coverage
            .units
            .iter()
            .map(|u| u.target(rule.target_group))
            .collect();
        let covered: Vec<bool> = coverage
            .units
            .iter()
            .map(|u| u.services[pos].covered)
            .collect();
        let reach: Vec<Vec<usize>> = cands
            .iter()
            .map(|c| {
                let q = Geometry::Point(Point(c.lonlat));
                (0..geoms.len())
                    .filter(|&u| !covered[u] && pair_m(&geoms[u], &q) <= t)
                    .collect()
            })
            .collect();
        let mut newly = vec![false; geoms.len()];
        let mut picks = Vec::new();
        for _ in 0..request.k {
            let gains: Vec<f64> = reach
                .iter()
                .map(|r| r.iter().filter(|&&u| !newly[u]).map(|&u| target[u]).sum())
                .collect();
            let best = (0..gains.len())
                .max_by(|&a, &b| gains[a].total_cmp(&gains[b]).then(b.cmp(&a)))
                .expect("candidates");
            if gains[best] <= 0.0 {
                break;
            }
            for &u in &reach[best] {
                newly[u] = true;
            }
            picks.push((best, gains[best]));
        }
        assert_eq!(result.sites.len(), picks.len(), "seed {seed}");
        for (site, (c, gain)) in result.sites.iter().zip(&picks) {
            assert_eq!(site.id, cands[*c].id);
            assert_eq!(site.kind, cands[*c].kind);
            assert!((site.gain_target - gain).abs() < 1e-6);
        }
        let gained: f64 = result.sites.iter().map(|s| s.gain_target).sum();
        assert!((result.target_covered_after - result.target_covered_before - gained).abs() < 1e-6);
        assert!(result.target_covered_after <= result.target_total + 1e-6);
        for w in result.sites.windows(2) {
            assert!(w[0].gain_target >= w[1].gain_target);
        }
    }
}

#[test]
fn heatmap_totals_equal_unit_totals() {
    let snapshot = Snapshot::new(1, random_dataset(11, 200, 100));
    let coverage = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
    let pos = coverage
        .service_position(ServiceType::Health)
        .expect("analysed");
    let households: f64 = coverage.units.iter().map(|u| u.households as f64).sum();
    let uncovered: f64 = coverage
        .units
        .iter()
        .filter(|u| !u.services[pos].covered)
        .map(|u| u.households as f64)
        .sum();
    for res in [9, 10] {
        let cells = heatmap(&snapshot, &coverage, ServiceType::Health, res, None).expect("heatmap");
        assert!(cells.len() > 10);
        let h: f64 = cells.iter().map(|c| c.households).sum();
        let u: f64 = cells.iter().map(|c| c.households_uncovered).sum();
        assert!(
            (h - households).abs() < 1e-6,
            "res {res}: {h} vs {households}"
        );
        assert!(
            (u - uncovered).abs() < 1e-6,
            "res {res}: {u} vs {uncovered}"
        );
        for c in &cells {
            assert_eq!(c.polygon.exterior().0.len(), 7, "a closed hexagon");
            assert!(c.households_uncovered <= c.households + 1e-9);
        }
        // A scattered building's point lies in its cell's hexagon.
        let b = snapshot
            .data
            .buildings
            .iter()
            .find(|b| b.compound_id.is_none() && matches!(b.geometry, Geometry::Point(_)))
            .expect("a scattered point building");
        let Geometry::Point(p) = b.geometry else {
            unreachable!()
        };
        assert!(cells.iter().any(|c| c.polygon.intersects(&p)));
    }
    // A stricter threshold leaves more households uncovered.
    let strict =
        heatmap(&snapshot, &coverage, ServiceType::Health, 9, Some(100.0)).expect("heatmap");
    let u: f64 = strict.iter().map(|c| c.households_uncovered).sum();
    assert!(u > uncovered);
    assert!(matches!(
        heatmap(&snapshot, &coverage, ServiceType::Health, 16, None),
        Err(AnalysisError::Resolution(16))
    ));
}

#[test]
fn underserved_tiers_follow_the_rules() {
    let snapshot = Snapshot::new(1, random_dataset(12, 300, 50));
    let standards = Standards::default();
    let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
    let rows = underserved(&coverage, &UnderservedFilter::default()).expect("list");
    assert!(rows.iter().any(|r| r.tier == Some(UnderservedTier::Tier1)));
    assert!(rows.iter().any(|r| r.tier == Some(UnderservedTier::Tier2)));
    let rules = &standards.underserved;
    let by_id: HashMap<i64, &Compound> =
        snapshot.data.compounds.iter().map(|c| (c.id, c)).collect();
    let covered = |r: &UnderservedRow, s: ServiceType| {
        r.services
            .iter()
            .find(|e| e.service == s)
            .is_some_and(|e| e.distance_m.is_some_and(|d| d <= e.threshold_m))
    };
    let mut listed = 0;
    for u in coverage
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Compound)
    {
        let c = by_id[&u.id];
        let gaps = rules
            .priority_services
            .iter()
            .filter(|&&s| !u.reach(s).expect("analysed").covered)
            .count();
        let tier1 = c.three_no()
            && c.elderly >= rules.min_elderly
            && rules
                .tier1_services
                .iter()
                .all(|&s| !u.reach(s).expect("analysed").covered);
        let tier2 = !tier1 && c.missing_flags() >= 1 && gaps >= rules.tier2_min_gaps;
        let row = rows.iter().find(|r| r.compound_id == u.id);
        match row {
            Some(r) => {
                listed += 1;
                assert_eq!(r.tier == Some(UnderservedTier::Tier1), tier1);
                assert_eq!(r.tier == Some(UnderservedTier::Tier2), tier2);
                assert_eq!(r.gaps.len(), gaps);
                for &s in &r.gaps {
                    assert!(!covered(r, s));
                }
            }
            None => assert!(!tier1 && !tier2, "compound {} missing", u.id),
        }
    }
    assert_eq!(listed, rows.len());
    // Ranked: tier 1 first, then by target population left without service.
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(a.tier <= b.tier);
        if a.tier == b.tier {
            assert!(a.unserved_target >= b.unserved_target);
        }
        assert_eq!(a.rank + 1, b.rank);
    }
    // Filters.
    let three_no = underserved(
        &coverage,
        &UnderservedFilter {
            three_no_only: true,
            build_year_min: Some(1980),
            build_year_max: Some(2000),
            min_elderly: Some(60),
            out_of_reach: vec![ServiceType::Health],
            out_of_reach_threshold_m: Some(300.0),
            ..UnderservedFilter::default()
        },
    )
    .expect("list");
    for r in &three_no {
        assert!(r.flags.three_no);
        assert!(r
            .flags
            .build_year
            .is_some_and(|y| (1980..=2000).contains(&y)));
        assert!(r.elderly >= 60.0);
        let h = r
            .services
            .iter()
            .find(|e| e.service == ServiceType::Health)
            .expect("health");
        assert!(h.distance_m.is_none_or(|d| d > 300.0));
    }
    assert!(three_no.len() < rows.len());
    let all = underserved(
        &coverage,
        &UnderservedFilter {
            include_untiered: true,
            ..UnderservedFilter::default()
        },
    )
    .expect("list");
    assert_eq!(all.len(), snapshot.data.compounds.len());
}

#[test]
fn standards_round_trip_through_json_and_bad_ones_are_refused() {
    let standards = Standards::default();
    assert!(standards.validate().is_ok());
    for s in &standards.services {
        assert!(!s.source.is_empty());
        assert_eq!(s.threshold_m, s.life_circle.default_walk_m());
    }
    let json = serde_json::to_string(&standards).expect("json");
    let back: Standards = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, standards);
    assert!(json.contains("\"10min\"") && json.contains("\"elderly_60_plus\""));

    let mut twice = standards.clone();
    twice.services.push(twice.services[0].clone());
    assert!(matches!(
        twice.validate(),
        Err(AnalysisError::InvalidStandards { .. })
    ));
    let mut nan = standards.clone();
    nan.checklist[0].threshold_m = f64::NAN;
    let err = nan.validate().expect_err("NaN threshold");
    assert!(err
        .to_string()
        .contains("checklist.community_service_station.threshold_m"));
    let mut missing = standards.clone();
    missing
        .services
        .retain(|s| s.service != ServiceType::MealHelp);
    assert!(
        missing.validate().is_err(),
        "underserved rules name meal help"
    );
    assert!(Coverage::compute(&Snapshot::default(), &missing).is_err());
}

#[test]
fn complexes_and_floor_area_follow_the_standard() {
    let c = ComplexStandard {
        ..Standards::default().complex
    };
    let mut space = ServiceSpace {
        id: 1,
        version: 1,
        name: "邻里中心".into(),
        community_code: community_code(0).into(),
        services: vec![
            ServiceType::ElderlyCare,
            ServiceType::Childcare,
            ServiceType::Fitness,
        ],
        floor_area: 650.0,
        operating_model: OperatingModel::LowCost,
        level: FacilityLevel::Community,
        station_id: None,
        capacity: None,
        opening_hours: None,
        geometry: Geometry::Point(Point(ORIGIN)),
    };
    assert!(c.qualifies(&space));
    space.floor_area = 500.0;
    assert!(!c.qualifies(&space), "below 600 m²");
    space.floor_area = 650.0;
    space.services = vec![
        ServiceType::ElderlyCare,
        ServiceType::Culture,
        ServiceType::Fitness,
    ];
    assert!(!c.qualifies(&space), "one care function only");
}

#[test]
fn metric_frame_agrees_with_geodesic_distance_within_0_1_percent() {
    let frame = metric_frame(ORIGIN);
    for (dx, dy) in [(0.05, 0.0), (0.0, 0.05), (0.04, -0.03), (-0.02, 0.045)] {
        let a = coord! { x: ORIGIN.x - dx / 2.0, y: ORIGIN.y - dy / 2.0 };
        let b = coord! { x: ORIGIN.x + dx / 2.0, y: ORIGIN.y + dy / 2.0 };
        let (ma, mb) = (frame.to_metres(a), frame.to_metres(b));
        let local = (ma.x - mb.x).hypot(ma.y - mb.y);
        let geodesic = Geodesic.distance(Point(a), Point(b));
        assert!(
            (local - geodesic).abs() / geodesic < 1e-4,
            "{local} vs {geodesic}"
        );
    }
}

#[test]
fn new_thresholds_reuse_the_distances_and_equal_a_fresh_compute() {
    let snapshot = Snapshot::new(1, random_dataset(13, 150, 80));
    let base = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
    let mut official = Standards::default();
    official
        .set_threshold(ServiceType::ElderlyCare, 300.0)
        .expect("threshold");
    official.demography.infants_share = 0.03;
    official.underserved.min_elderly = 30;
    let reused = base.with_standards(&snapshot, &official).expect("coverage");
    assert!(std::sync::Arc::ptr_eq(&reused.measured, &base.measured));
    let fresh = Coverage::compute(&snapshot, &official).expect("coverage");
    assert_eq!(reused.units, fresh.units);
    assert_eq!(reused.grids, fresh.grids);
    assert_eq!(reused.communities, fresh.communities);
    assert_eq!(reused.all, fresh.all);
    assert_ne!(reused.all, base.all);

    // A tier change needs other facilities: measured anew.
    let mut tiers = Standards::default();
    tiers.services[0].life_circle = LifeCircle::FifteenMinutes;
    let remeasured = base.with_standards(&snapshot, &tiers).expect("coverage");
    assert!(!std::sync::Arc::ptr_eq(
        &remeasured.measured,
        &base.measured
    ));
    assert_eq!(
        remeasured.units,
        Coverage::compute(&snapshot, &tiers)
            .expect("coverage")
            .units
    );
}
