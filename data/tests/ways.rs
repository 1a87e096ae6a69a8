//! The demo district's ways 道路/步行路径 and rivers.

mod common;

use std::collections::{HashMap, HashSet};

use engine::network::{Graph, Join, SegmentIndex, Walk};
use engine::{Dataset, FacilityLevel, Feature, ServiceType, Way, WayKind};
use geo::{
    Closest, ClosestPoint, Contains, Distance, Euclidean, Geodesic, InterpolateLine, Intersects,
};
use geo_types::{Coord, Geometry, Point};
use gridatlas_data::{
    demo_district, demo_rivers, HONGXING_STREET, RIVER_DIVIDED_COMMUNITIES,
    RIVER_EXAMPLE_COMMUNITY, RIVER_EXAMPLE_COMPOUND, RIVER_FACILITIES, RIVER_FACILITY,
};

/// The engine's default join limit, metres (`WalkingStandard::join_limit_m`).
const JOIN_LIMIT_M: f64 = 300.0;

/// The walking graph of the given ways, a part per input as the engine builds it.
fn graph<'a>(ways: impl Iterator<Item = &'a Way>) -> Graph {
    Graph::of_ways(ways)
}

/// The sizes of a graph's connected parts, largest first.
fn components(g: &Graph) -> Vec<usize> {
    let mut seen = vec![false; g.node_count()];
    let mut sizes = Vec::new();
    for start in 0..g.node_count() as u32 {
        if seen[start as usize] {
            continue;
        }
        seen[start as usize] = true;
        let (mut stack, mut size) = (vec![start], 0);
        while let Some(n) = stack.pop() {
            size += 1;
            for (m, _) in g.neighbours(n) {
                if !seen[m as usize] {
                    seen[m as usize] = true;
                    stack.push(m);
                }
            }
        }
        sizes.push(size);
    }
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

#[test]
fn the_demo_has_ways_of_every_common_kind_and_each_passes_the_write_path_checks() {
    let d = demo_district();
    assert!(d.ways.len() > 500, "{} ways", d.ways.len());
    for w in &d.ways {
        Feature::Way(w.clone())
            .storable()
            .unwrap_or_else(|p| panic!("way {} {:?}: {p:?}", w.id, w.name));
        assert_eq!(w.geometry.0.len(), 1, "way {} has one part", w.id);
    }
    // The one write path's check over the whole district, as a load into an empty store.
    let features: Vec<Feature> = d.features().collect();
    let written: Vec<&Feature> = features.iter().collect();
    let problems = engine::integrity::check(
        &engine::Snapshot::default(),
        &engine::integrity::ChangeView {
            written: &written,
            deleted: &[],
        },
    );
    assert!(problems.is_empty(), "{problems:?}");
    let kinds: HashSet<WayKind> = d.ways.iter().map(|w| w.kind).collect();
    for k in [
        WayKind::Primary,
        WayKind::Secondary,
        WayKind::Tertiary,
        WayKind::Residential,
        WayKind::Service,
        WayKind::Footway,
        WayKind::Motorway,
    ] {
        assert!(kinds.contains(&k), "{k:?}");
    }
    // Main roads are named, e.g. 蜀泸大道 and 龙南路; a motorway is no place to walk.
    assert!(d
        .ways
        .iter()
        .filter(|w| matches!(w.kind, WayKind::Primary | WayKind::Secondary))
        .all(|w| w.name.is_some()));
    for name in ["蜀泸大道", "龙南路", "长桥"] {
        assert!(
            d.ways.iter().any(|w| w.name.as_deref() == Some(name)),
            "{name}"
        );
    }
    assert!(d
        .ways
        .iter()
        .filter(|w| w.kind == WayKind::Motorway)
        .all(|w| !w.walkable()));
}

#[test]
fn every_way_lies_in_the_street_holding_its_middle() {
    let d = demo_district();
    let near = |s: &engine::Street, p: &Point| {
        s.geometry.contains(p) || Euclidean.distance(p, &s.geometry) <= 1e-6
    };
    let mut in_streets = HashSet::new();
    for w in &d.ways {
        let mid = Euclidean
            .point_at_ratio_from_start(&w.geometry.0[0], 0.5)
            .expect("a middle");
        match &w.street_code {
            Some(code) => {
                let s = d.streets.iter().find(|s| &s.code == code).expect("street");
                assert!(
                    near(s, &mid),
                    "way {} {:?} lies outside {code}",
                    w.id,
                    w.name
                );
                in_streets.insert(code.as_str());
            }
            None => assert!(
                d.streets.iter().all(|s| !near(s, &mid)),
                "way {} lies in a street",
                w.id
            ),
        }
    }
    assert!(in_streets.len() >= 10, "{in_streets:?}");
}

#[test]
fn compound_paths_belong_to_hongxing_compounds_and_every_gate_is_a_vertex_of_a_walkable_way() {
    let d = demo_district();
    let compounds: HashMap<i64, &engine::Compound> =
        d.compounds.iter().map(|c| (c.id, c)).collect();
    let mut with_paths = HashSet::new();
    for w in &d.ways {
        if let Some(id) = w.compound_id {
            let c = compounds.get(&id).expect("the path's compound");
            assert!(c.community_code.starts_with(HONGXING_STREET));
            assert!(matches!(w.kind, WayKind::Footway | WayKind::Service));
            with_paths.insert(id);
        }
    }
    let hongxing = d
        .compounds
        .iter()
        .filter(|c| c.community_code.starts_with(HONGXING_STREET))
        .count();
    assert_eq!(
        with_paths.len(),
        hongxing,
        "every 红星街道 compound has paths"
    );
    let vertices: HashSet<(u64, u64)> = d
        .ways
        .iter()
        .filter(|w| w.walkable())
        .flat_map(|w| w.geometry.0.iter().flat_map(|l| l.0.iter()))
        .map(|c| (c.x.to_bits(), c.y.to_bits()))
        .collect();
    for g in &d.gates {
        let c = g.geometry.0;
        assert!(
            vertices.contains(&(c.x.to_bits(), c.y.to_bits())),
            "gate {} of compound {}",
            g.id,
            g.compound_id
        );
        // A path of its own compound passes through it.
        assert!(d
            .ways
            .iter()
            .any(|w| w.compound_id == Some(g.compound_id) && w.geometry.0[0].0.contains(&c)));
    }
}

#[test]
fn only_bridges_cross_the_rivers_and_nothing_is_built_in_them() {
    let d = demo_district();
    let rivers = demo_rivers();
    assert_eq!(
        rivers.iter().map(|r| r.name).collect::<Vec<_>>(),
        ["沱江", "长江"]
    );
    let bridges: Vec<&Way> = d.ways.iter().filter(|w| w.bridge).collect();
    assert!(bridges.len() >= 3, "{} bridges", bridges.len());
    for r in &rivers {
        assert!(geo::Validation::is_valid(&r.area), "{}", r.name);
        for w in d.ways.iter().filter(|w| !w.bridge) {
            assert!(
                !w.geometry.intersects(&r.centre),
                "way {} {:?} crosses the {}",
                w.id,
                w.name,
                r.name
            );
        }
        let built = d
            .compounds
            .iter()
            .map(|c| Geometry::Polygon(c.geometry.clone()))
            .chain(d.buildings.iter().map(|b| b.geometry.clone()))
            .chain(d.gates.iter().map(|g| Geometry::Point(g.geometry)))
            .chain(d.stations.iter().map(|s| Geometry::Point(s.geometry)))
            .chain(d.service_spaces.iter().map(|s| s.geometry.clone()));
        for g in built {
            assert!(!g.intersects(&r.area), "{g:?} lies in the {}", r.name);
        }
    }
    // Each bridge crosses the 沱江, and both its ends are vertices of other walkable ways.
    let tuojiang = &rivers[0];
    let mut ends: HashMap<(u64, u64), usize> = HashMap::new();
    for w in d.ways.iter().filter(|w| !w.bridge && w.walkable()) {
        for c in w.geometry.0.iter().flat_map(|l| l.0.iter()) {
            *ends.entry((c.x.to_bits(), c.y.to_bits())).or_default() += 1;
        }
    }
    for b in bridges {
        assert!(b.geometry.intersects(&tuojiang.centre), "{:?}", b.name);
        let line = &b.geometry.0[0].0;
        for c in [line[0], line[line.len() - 1]] {
            assert!(
                ends.contains_key(&(c.x.to_bits(), c.y.to_bits())),
                "bridge {:?} ends nowhere",
                b.name
            );
        }
    }
}

#[test]
fn the_walking_network_is_connected_in_hongxing_and_across_the_district() {
    let d = demo_district();
    let all = graph(d.ways.iter());
    assert_eq!(components(&all).len(), 1);
    let hongxing = graph(
        d.ways
            .iter()
            .filter(|w| w.street_code.as_deref() == Some(HONGXING_STREET)),
    );
    assert!(hongxing.edge_count() > 1000);
    assert_eq!(components(&hongxing).len(), 1);
}

/// Elderly care counting for the 10-minute service (community and compound level).
fn elderly_care(d: &Dataset) -> Vec<&engine::ServiceSpace> {
    d.service_spaces
        .iter()
        .filter(|s| {
            s.services.contains(&ServiceType::ElderlyCare) && s.level != FacilityLevel::Street
        })
        .collect()
}

fn point_of(g: &Geometry) -> Coord {
    match g {
        Geometry::Point(p) => p.0,
        Geometry::Polygon(p) => p.exterior().0[0],
        other => panic!("{other:?}"),
    }
}

/// A compound's straight-line metres to a point: from its nearest gate, else its outline.
fn straight_m(d: &Dataset, c: &engine::Compound, to: Coord) -> f64 {
    let to = Point(to);
    let gates: Vec<Point> = d
        .gates
        .iter()
        .filter(|g| g.compound_id == c.id)
        .map(|g| g.geometry)
        .collect();
    if gates.is_empty() {
        match c.geometry.exterior().closest_point(&to) {
            Closest::Intersection(p) | Closest::SinglePoint(p) => Geodesic.distance(p, to),
            Closest::Indeterminate => f64::INFINITY,
        }
    } else {
        gates
            .iter()
            .map(|g| Geodesic.distance(*g, to))
            .fold(f64::INFINITY, f64::min)
    }
}

/// A compound's joins to the network: its gates, else its outline.
fn joins(d: &Dataset, g: &Graph, index: &SegmentIndex, c: &engine::Compound) -> Vec<Join> {
    let gates: Vec<Join> = d
        .gates
        .iter()
        .filter(|x| x.compound_id == c.id)
        .filter_map(|x| index.point(g, x.geometry.0, JOIN_LIMIT_M))
        .collect();
    if d.gates.iter().any(|x| x.compound_id == c.id) {
        gates
    } else {
        index
            .polygon(g, &c.geometry, JOIN_LIMIT_M)
            .into_iter()
            .collect()
    }
}

fn walk_m(g: &Graph, walk: &Walk, joins: &[Join]) -> f64 {
    joins
        .iter()
        .filter_map(|j| walk.to(g, j))
        .map(|r| r.distance_m)
        .fold(f64::INFINITY, f64::min)
}

/// Walks from one point, joined to the network.
fn walk_from(g: &Graph, index: &SegmentIndex, at: Coord) -> Walk {
    let source = index.point(g, at, JOIN_LIMIT_M).expect("joined");
    Walk::from_sources(g, &[source], f64::INFINITY)
}

#[test]
fn across_the_river_elderly_care_covers_in_a_straight_line_but_not_on_foot() {
    let d = demo_district();
    let g = graph(d.ways.iter());
    let index = SegmentIndex::new(&g);
    let care = elderly_care(&d);
    let at = |name: &str| {
        let s = care.iter().find(|s| s.name == name).expect(name);
        point_of(&s.geometry)
    };
    let sources: Vec<Join> = care
        .iter()
        .map(|s| {
            index
                .point(&g, point_of(&s.geometry), JOIN_LIMIT_M)
                .expect("joined")
        })
        .collect();
    let to_any = Walk::from_sources(&g, &sources, f64::INFINITY);

    // The example: 130 m across the river, 1.9 km over the nearest bridge, over 500 m to any
    // other elderly care: covered at 300 m (and 500 m) in a straight line, not on foot.
    let facility = at(RIVER_FACILITY);
    let to_facility = walk_from(&g, &index, facility);
    let c = d
        .compounds
        .iter()
        .find(|c| c.name == RIVER_EXAMPLE_COMPOUND && c.community_code == RIVER_EXAMPLE_COMMUNITY)
        .expect("the example compound");
    let j = joins(&d, &g, &index, c);
    let straight = straight_m(&d, c, facility);
    let walk = walk_m(&g, &to_facility, &j);
    let nearest = walk_m(&g, &to_any, &j);
    assert!(straight <= 300.0, "{straight} m straight");
    assert!(walk > 1000.0, "{walk} m on foot");
    assert!(
        nearest > 500.0,
        "{nearest} m to the nearest elderly care on foot"
    );
    let nearest_straight = care
        .iter()
        .map(|s| straight_m(&d, c, point_of(&s.geometry)))
        .fold(f64::INFINITY, f64::min);
    assert!(
        (nearest_straight - straight).abs() < 1e-6,
        "the river facility is the nearest"
    );

    // In each river-divided community some compound switches the same way, with the elderly
    // care across from it.
    assert_eq!(RIVER_DIVIDED_COMMUNITIES.len(), RIVER_FACILITIES.len());
    for (code, name) in RIVER_DIVIDED_COMMUNITIES.iter().zip(RIVER_FACILITIES) {
        let facility = at(name);
        let to_facility = walk_from(&g, &index, facility);
        let switching = d
            .compounds
            .iter()
            .filter(|c| c.community_code == *code)
            .filter(|c| {
                let j = joins(&d, &g, &index, c);
                straight_m(&d, c, facility) <= 300.0
                    && walk_m(&g, &to_facility, &j) > 1000.0
                    && walk_m(&g, &to_any, &j) > 500.0
            })
            .count();
        assert!(switching >= 1, "{code}");
    }
}

#[test]
fn demo_rivers_are_deterministic_and_the_tuojiang_runs_through_hongxing() {
    let rivers = demo_rivers();
    assert_eq!(rivers, demo_rivers());
    let d = demo_district();
    let hongxing = d
        .streets
        .iter()
        .find(|s| s.code == HONGXING_STREET)
        .expect("红星街道");
    assert!(rivers[0].centre.intersects(&hongxing.geometry));
    assert!((rivers[0].width_m - 80.0).abs() < 1e-9);
    // The 长江 runs along the district's southern edge, outside it.
    assert!(!rivers[1]
        .area
        .intersects(&gridatlas_data::district_boundary()));
    common::assert_all_valid(&d);
}
