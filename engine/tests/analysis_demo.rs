//! The coverage analyses on the demo district 龙马潭区: the deliberately underserved communities
//! (龙桥子, 玉带桥) show up as such, with their evidence, and edits change the results.

use data::{LONGNAN_COMMUNITY, LONGNAN_HOUSEHOLDS, UNDERSERVED_COMMUNITIES, UNDERSERVED_RADIUS_M};
use geo_types::{Geometry, Point};
use gridatlas_engine::analysis::{
    heatmap, suggest_sites, underserved, AreaLevel, CandidateKind, Coverage, DistanceMetric,
    SitingRequest, Standards, UnderservedFilter, UnderservedTier, UnitKind,
};
use gridatlas_engine::{
    FacilityLevel, Feature, OperatingModel, ServiceSpace, ServiceType, Snapshot,
};

fn demo() -> Snapshot {
    Snapshot::new(1, data::demo_district())
}

fn underserved_community(code: &str) -> bool {
    UNDERSERVED_COMMUNITIES.contains(&code)
}

#[test]
fn three_no_compounds_of_the_underserved_communities_are_listed_with_their_evidence() {
    let snapshot = demo();
    let standards = Standards::default();
    let coverage = Coverage::compute(&snapshot, &standards).expect("coverage");
    let rows = underserved(&coverage, &UnderservedFilter::default()).expect("list");
    let three_no: Vec<_> = snapshot
        .data
        .compounds
        .iter()
        .filter(|c| underserved_community(&c.community_code) && c.three_no())
        .collect();
    assert!(
        three_no.len() >= 20,
        "{} three-no compounds",
        three_no.len()
    );
    for c in three_no {
        let row = rows
            .iter()
            .find(|r| r.compound_id == c.id)
            .unwrap_or_else(|| panic!("{} ({}) is not listed", c.name, c.community_code));
        assert!(row.tier.is_some());
        if c.elderly >= standards.underserved.min_elderly {
            assert_eq!(row.tier, Some(UnderservedTier::Tier1), "{}", c.name);
        }
        assert!(row.flags.three_no && row.flags.missing_flags == 3);
        for service in [ServiceType::ElderlyCare, ServiceType::MealHelp] {
            let e = row
                .services
                .iter()
                .find(|e| e.service == service)
                .expect("evidence for every service");
            // The demo keeps these services farther than its radius; measured here in metres.
            let d = e.distance_m.expect("some facility in the district");
            assert!(
                d > UNDERSERVED_RADIUS_M,
                "{}: {} at {d} m",
                c.name,
                service.name()
            );
            assert!(!e.within && (e.threshold_m - 500.0).abs() < 1e-9 && e.priority);
            assert!(e.source.contains("GB 50180-2018"));
            assert!(row.gaps.contains(&service));
        }
        assert!(row.unserved_target >= row.elderly * 2.0);
    }
    // Tier 1 leads the list, and its first rows are all in the underserved communities.
    assert_eq!(rows[0].tier, Some(UnderservedTier::Tier1));
    for r in rows.iter().take(10) {
        assert!(underserved_community(&r.community_code), "{:?}", r.name);
    }
    // The staff's filter: three-no, built before 2000, no elderly care within 1 km.
    let visit = underserved(
        &coverage,
        &UnderservedFilter {
            three_no_only: true,
            build_year_max: Some(2000),
            out_of_reach: vec![ServiceType::ElderlyCare],
            out_of_reach_threshold_m: Some(1000.0),
            ..UnderservedFilter::default()
        },
    )
    .expect("list");
    assert!(!visit.is_empty());
    assert!(visit
        .iter()
        .all(|r| underserved_community(&r.community_code)));
}

#[test]
fn every_area_is_summarised_and_the_underserved_communities_trail_their_neighbours() {
    let snapshot = demo();
    let coverage = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
    let d = &snapshot.data;
    assert_eq!(coverage.grids.len(), d.grids.len());
    assert_eq!(coverage.communities.len(), d.communities.len());
    assert_eq!(coverage.streets.len(), d.streets.len());
    let households: i64 = coverage.units.iter().map(|u| u.households).sum();
    assert_eq!(coverage.all.governance.households, households);
    assert!(coverage
        .units
        .iter()
        .any(|u| u.kind == UnitKind::ScatteredBuilding && u.estimated && u.elderly > 0.0));

    // 龙南社区 as the field reports describe it: 4 grids, 21 compounds of which 19 three-no,
    // 3,056 households and 10,398 residents.
    let longnan = coverage
        .area(AreaLevel::Community, LONGNAN_COMMUNITY)
        .expect("龙南社区");
    let g = &longnan.governance;
    assert_eq!((g.grids, g.compounds, g.three_no_compounds), (4, 21, 19));
    // The report's totals, with its scattered buildings counted.
    assert_eq!(g.households, LONGNAN_HOUSEHOLDS);
    assert!(
        (g.population - data::LONGNAN_POPULATION as f64).abs() < 1e-6,
        "{}",
        g.population
    );
    assert!(g.scattered_buildings >= 3);
    assert!(g
        .property_management_pct
        .is_some_and(|p| (p - 200.0 / 21.0).abs() < 1e-9));
    // Each kind of property management apart: the joint pilot, the community's fallback for the
    // other 19 (still three-no), none of the rest.
    let by_kind: Vec<(&str, usize)> = g
        .property_management
        .iter()
        .map(|(k, n)| (k.name(), *n))
        .collect();
    assert_eq!(
        by_kind,
        [
            ("professional", 0),
            ("community_hosted", 0),
            ("joint", 2),
            ("community_fallback", 19),
            ("none", 0)
        ]
    );

    // The demo is laid out in straight-line metres; on foot (the default) the river divides.
    assert_eq!(coverage.metric, DistanceMetric::Walk);
    let straight = coverage.by_metric(&snapshot, DistanceMetric::Straight);
    let elderly_pct = |coverage: &Coverage, code: &str| {
        coverage
            .area(AreaLevel::Community, code)
            .and_then(|a| a.service(ServiceType::ElderlyCare))
            .and_then(|s| s.households_pct)
            .expect("elderly care coverage")
    };
    for code in UNDERSERVED_COMMUNITIES {
        for c in [&coverage, &straight] {
            let a = c.area(AreaLevel::Community, code).expect("community");
            assert!(
                elderly_pct(c, code) < 10.0,
                "{code}: {}",
                elderly_pct(c, code)
            );
            let station = a
                .checklist
                .iter()
                .find(|c| c.item.name() == "elderly_service_station")
                .expect("checklist item");
            assert!(!station.present);
        }
    }
    for neighbour in ["510504003003", "510504003004", "510504003009"] {
        assert!(elderly_pct(&straight, neighbour) > 80.0, "{neighbour}");
    }
    // Across 沱江 the elderly care of the other bank is near in a straight line, far on foot.
    for code in data::RIVER_DIVIDED_COMMUNITIES {
        let (walk, line) = (elderly_pct(&coverage, code), elderly_pct(&straight, code));
        assert!(
            walk < line,
            "{code}: {walk} % on foot, {line} % in a straight line"
        );
    }
    let street = coverage
        .area(AreaLevel::Street, data::HONGXING_STREET)
        .expect("红星街道");
    assert!(street.floor_area.per_100_households.is_some());
    assert!(street.governance.grid_workers >= street.governance.grids as i64);
}

#[test]
fn an_official_lowering_a_threshold_sees_coverage_drop() {
    let snapshot = demo();
    let mut standards = Standards::default();
    let at = |standards: &Standards| {
        Coverage::compute(&snapshot, standards)
            .expect("coverage")
            .all
            .service(ServiceType::ElderlyCare)
            .and_then(|s| s.households_pct)
            .expect("pct")
    };
    let at_500 = at(&standards);
    standards
        .set_threshold(ServiceType::ElderlyCare, 300.0)
        .expect("threshold");
    assert!(at(&standards) < at_500);
}

#[test]
fn a_new_service_space_changes_coverage_heatmap_and_list() {
    let snapshot = demo();
    let standards = Standards::default();
    let before = Coverage::compute(&snapshot, &standards).expect("coverage");
    let rows = underserved(&before, &UnderservedFilter::default()).expect("list");
    let first = &rows[0];
    let unit = before
        .unit(UnitKind::Compound, first.compound_id)
        .expect("unit");
    let [x, y] = unit.centroid;
    let id = snapshot
        .data
        .service_spaces
        .iter()
        .map(|s| s.id)
        .max()
        .unwrap_or(0)
        + 1;
    let space = ServiceSpace {
        id,
        version: 1,
        name: "新建社区养老服务站".into(),
        community_code: first.community_code.clone().into(),
        services: vec![ServiceType::ElderlyCare, ServiceType::MealHelp],
        floor_area: 260.0,
        operating_model: OperatingModel::LowCost,
        level: FacilityLevel::Community,
        station_id: None,
        capacity: Some(40),
        opening_hours: None,
        geometry: Geometry::Point(Point::new(x, y)),
    };
    let edited = snapshot.with_changes(2, &[Feature::ServiceSpace(space)], &[]);
    let after = Coverage::compute(&edited, &standards).expect("coverage");

    let uncovered = |snap: &Snapshot, c: &Coverage| -> f64 {
        heatmap(snap, c, ServiceType::ElderlyCare, 10, None)
            .expect("heatmap")
            .iter()
            .map(|c| c.households_uncovered)
            .sum()
    };
    assert!(uncovered(&edited, &after) < uncovered(&snapshot, &before) - 100.0);
    let row_after = underserved(&after, &UnderservedFilter::default())
        .expect("list")
        .into_iter()
        .find(|r| r.compound_id == first.compound_id);
    assert!(row_after.is_none_or(|r| r.tier != Some(UnderservedTier::Tier1)));
    let community = |c: &Coverage| {
        c.area(AreaLevel::Community, &first.community_code)
            .and_then(|a| a.service(ServiceType::ElderlyCare))
            .map(|s| s.households_covered)
    };
    assert!(community(&after) > community(&before));
}

#[test]
fn siting_puts_elderly_care_in_the_underserved_communities() {
    let snapshot = demo();
    let coverage = Coverage::compute(&snapshot, &Standards::default()).expect("coverage");
    let result = suggest_sites(
        &snapshot,
        &coverage,
        &SitingRequest {
            service: ServiceType::ElderlyCare,
            k: 2,
            ..SitingRequest::default()
        },
    )
    .expect("siting");
    assert_eq!(result.sites.len(), 2);
    assert!(result.target_covered_after > result.target_covered_before);
    for site in &result.sites {
        assert!(site.gain_target > 500.0, "{site:?}");
        if site.kind == CandidateKind::CompoundCentroid {
            let unit = coverage
                .unit(UnitKind::Compound, site.id.expect("compound id"))
                .expect("compound");
            assert!(underserved_community(&unit.community_code), "{site:?}");
        }
    }
}
