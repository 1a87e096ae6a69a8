//! The synthetic city generator.

mod common;

use std::collections::{HashMap, HashSet};

use engine::{ServiceType, StationKind};
use gridatlas_data::synthetic_city;

#[test]
fn the_city_has_exactly_the_buildings_asked_for() {
    for n in [0, 1, 7, 31, 20_000] {
        let city = synthetic_city(n, 3);
        assert_eq!(city.buildings.len(), n);
        assert!(!city.streets.is_empty() && !city.communities.is_empty() && !city.grids.is_empty());
    }
}

#[test]
fn the_same_seed_gives_the_same_city_and_another_seed_another() {
    assert_eq!(synthetic_city(3000, 5), synthetic_city(3000, 5));
    assert_ne!(synthetic_city(3000, 5), synthetic_city(3000, 6));
}

#[test]
fn a_20000_building_city_is_valid_consistent_and_tiled() {
    let city = synthetic_city(20_000, 1);
    common::assert_all_valid(&city);
    common::assert_ids(&city);
    common::assert_references(&city);
    common::assert_building_households(&city);
    common::assert_hierarchy_tiles(&city, true);
    common::assert_containment(&city);
}

#[test]
fn densities_and_services_are_realistic() {
    let city = synthetic_city(20_000, 1);
    let mut per_compound: HashMap<i64, usize> = HashMap::new();
    for b in city.buildings.iter().filter_map(|b| b.compound_id) {
        *per_compound.entry(b).or_default() += 1;
    }
    let small = city
        .compounds
        .iter()
        .filter(|c| per_compound[&c.id] < 5)
        .count();
    assert!(small <= 1, "only the last compound may be cut short");
    for c in &city.compounds {
        assert!(per_compound[&c.id] <= 30);
        assert!(
            (100..=600).contains(&c.households),
            "{} households",
            c.households
        );
    }
    let households: i64 = city.buildings.iter().map(|b| b.households).sum();
    let per_space = households as f64 / city.service_spaces.len() as f64;
    assert!(
        (200.0..400.0).contains(&per_space),
        "{per_space} households per service space"
    );
    let kinds: HashSet<StationKind> = city.stations.iter().map(|s| s.kind).collect();
    assert_eq!(kinds.len(), StationKind::ALL.len());
    let types: HashSet<ServiceType> = city
        .service_spaces
        .iter()
        .flat_map(|s| s.services.iter().copied())
        .collect();
    assert_eq!(types.len(), ServiceType::ALL.len());
    assert!(city.buildings.iter().any(engine::Building::scattered));
}
