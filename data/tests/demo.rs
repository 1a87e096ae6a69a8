//! The demo district 龙马潭区.

mod common;

use std::collections::HashSet;

use engine::crs::LocalFrame;
use engine::{
    CommunityKind, CompoundClass, FacilityLevel, OperatingModel, PropertyManagement, ServiceType,
    StationKind,
};
use geo::{Area, Distance, Euclidean, MapCoords};
use geo_types::Geometry;
use gridatlas_data::{
    demo_district, district_boundary, AOTI_COMMUNITY, DEMO_CENTRE, HONGXING_STREET,
    LONGNAN_COMMUNITY, LONGNAN_HOUSEHOLDS, LONGNAN_POPULATION, UNDERSERVED_COMMUNITIES,
    UNDERSERVED_RADIUS_M,
};

#[test]
fn two_calls_give_the_same_district() {
    assert_eq!(demo_district(), demo_district());
}

#[test]
fn every_feature_passes_the_engines_validation() {
    let d = demo_district();
    common::assert_all_valid(&d);
    common::assert_ids(&d);
}

#[test]
fn codes_and_ids_refer_to_existing_features_of_the_same_community() {
    let d = demo_district();
    common::assert_references(&d);
    common::assert_building_households(&d);
}

#[test]
fn all_11_streets_and_92_communities_carry_their_real_codes_and_names() {
    let d = demo_district();
    assert_eq!(d.streets.len(), 11);
    assert_eq!(d.communities.len(), 92);
    let hongxing = d
        .streets
        .iter()
        .find(|s| s.code == HONGXING_STREET)
        .expect("红星街道");
    assert_eq!(hongxing.name, "红星街道");
    assert!(d
        .streets
        .iter()
        .any(|s| s.code == "510504103" && s.name == "胡市镇"));
    let longnan = d
        .communities
        .iter()
        .find(|c| c.code == LONGNAN_COMMUNITY)
        .expect("龙南");
    assert_eq!(
        (longnan.name.as_str(), longnan.street_code.as_str()),
        ("龙南社区", HONGXING_STREET)
    );
    assert!(d
        .communities
        .iter()
        .any(|c| c.code == "510504005202" && c.name == "群丰村"));
    assert!(d.communities.iter().all(|c| !c.name.contains("委员会")));
}

#[test]
fn streets_tile_the_district_communities_their_street_and_grids_their_community() {
    let d = demo_district();
    common::assert_hierarchy_tiles(&d, true);
    let boundary = district_boundary();
    assert!(geo::Validation::is_valid(&boundary));
    common::assert_tiles(
        &boundary,
        d.streets.iter().flat_map(|s| &s.geometry.0),
        "district",
        true,
    );
    // About the size of 龙马潭区 (≈ 333 km²), centred near the given point.
    let frame = LocalFrame::new(DEMO_CENTRE);
    let km2 = boundary.map_coords(|c| frame.to_metres(c)).unsigned_area() / 1e6;
    assert!((300.0..370.0).contains(&km2), "{km2} km²");
}

#[test]
fn compounds_buildings_and_facilities_lie_inside_their_containers() {
    common::assert_containment(&demo_district());
}

#[test]
fn every_hongxing_community_has_grids_compounds_buildings_stations_and_service_spaces() {
    let d = demo_district();
    let members: Vec<_> = d
        .communities
        .iter()
        .filter(|c| c.street_code == HONGXING_STREET)
        .collect();
    assert_eq!(members.len(), 11);
    for c in members {
        let code = c.code.as_str();
        assert!(
            d.grids.iter().any(|g| g.community_code == code),
            "{} grids",
            c.name
        );
        assert!(
            d.compounds.iter().any(|g| g.community_code == code),
            "{} compounds",
            c.name
        );
        assert!(
            d.buildings.iter().any(|g| g.community_code == code),
            "{} buildings",
            c.name
        );
        assert!(
            d.stations.iter().any(|g| g.community_code == code),
            "{} stations",
            c.name
        );
        assert!(
            d.service_spaces.iter().any(|g| g.community_code == code),
            "{} spaces",
            c.name
        );
    }
}

#[test]
fn compound_gates_lie_on_their_compounds_edges_one_to_three_each_on_distinct_sides() {
    let d = demo_district();
    let frame = LocalFrame::new(DEMO_CENTRE);
    let m = |c| frame.to_metres(c);
    let mut per_compound: std::collections::HashMap<i64, Vec<&str>> =
        std::collections::HashMap::default();
    for g in &d.gates {
        let c = d
            .compounds
            .iter()
            .find(|c| c.id == g.compound_id)
            .expect("the gate's compound");
        let edge = geo_types::LineString(c.geometry.exterior().0.iter().map(|p| m(*p)).collect());
        let off = Euclidean.distance(&geo_types::Point(m(g.geometry.0)), &edge);
        assert!(
            off < 0.5,
            "gate {} lies {off:.2} m off its compound's edge",
            g.id
        );
        per_compound
            .entry(g.compound_id)
            .or_default()
            .push(g.name.as_deref().expect("named"));
    }
    for (id, names) in &per_compound {
        assert!((1..=3).contains(&names.len()), "compound {id}: {names:?}");
        let distinct: HashSet<&&str> = names.iter().collect();
        assert_eq!(distinct.len(), names.len(), "compound {id}: {names:?}");
    }
    let longnan: Vec<i64> = d
        .compounds
        .iter()
        .filter(|c| c.community_code == LONGNAN_COMMUNITY)
        .map(|c| c.id)
        .collect();
    assert!(longnan.iter().all(|id| per_compound.contains_key(id)));
    let hongxing = d
        .compounds
        .iter()
        .filter(|c| c.community_code.starts_with(HONGXING_STREET))
        .count();
    assert!(
        per_compound.len() > longnan.len() && per_compound.len() < hongxing,
        "{} of {hongxing} compounds have gates",
        per_compound.len()
    );
}

#[test]
fn longnan_matches_the_case_study() {
    let d = demo_district();
    let c = d
        .communities
        .iter()
        .find(|c| c.code == LONGNAN_COMMUNITY)
        .expect("龙南");
    assert_eq!(c.kind, CommunityKind::Old);
    assert_eq!(c.residents_groups, 6);
    let frame = LocalFrame::new(DEMO_CENTRE);
    let km2 = c
        .geometry
        .map_coords(|p| frame.to_metres(p))
        .unsigned_area()
        / 1e6;
    assert!((0.35..0.45).contains(&km2), "龙南 {km2} km²");
    let grids: Vec<_> = d
        .grids
        .iter()
        .filter(|g| g.community_code == LONGNAN_COMMUNITY)
        .collect();
    assert_eq!(grids.len(), 4);
    let compounds: Vec<_> = d
        .compounds
        .iter()
        .filter(|c| c.community_code == LONGNAN_COMMUNITY)
        .collect();
    assert_eq!(compounds.len(), 21);
    assert_eq!(compounds.iter().filter(|c| c.three_no()).count(), 19);
    // The report's totals with everything counted: compounds and scattered buildings (whose
    // residents the analyses estimate at 2.62 a household).
    let scattered: Vec<_> = d
        .buildings
        .iter()
        .filter(|b| b.community_code == LONGNAN_COMMUNITY && b.scattered())
        .collect();
    let scattered_households: i64 = scattered.iter().map(|b| b.households).sum();
    assert_eq!(
        compounds.iter().map(|c| c.households).sum::<i64>() + scattered_households,
        LONGNAN_HOUSEHOLDS
    );
    let residents = compounds.iter().map(|c| c.population).sum::<i64>() as f64
        + scattered_households as f64 * 2.62;
    assert!(
        (residents - LONGNAN_POPULATION as f64).abs() < 1e-6,
        "{residents}"
    );
    let elderly: i64 = compounds.iter().map(|c| c.elderly).sum();
    let share = elderly as f64 / LONGNAN_POPULATION as f64;
    assert!(
        (0.18..=0.25).contains(&share) && elderly > 300,
        "elderly {elderly} ({share})"
    );
    for name in ["巴士天福苑", "聚福苑"] {
        let c = compounds.iter().find(|c| c.name == name).expect(name);
        assert_eq!(
            c.property_management,
            PropertyManagement::Joint,
            "the joint-management pilot"
        );
        assert!(
            c.build_year.is_some_and(|y| y <= 2001),
            "20+ years old in 2022"
        );
    }
    assert!(compounds.iter().any(|c| c.owners_committee));
    let fallback: Vec<_> = compounds
        .iter()
        .filter(|c| c.property_management == PropertyManagement::CommunityFallback)
        .collect();
    assert_eq!(fallback.len(), 19, "the community takes on the other 19");
    assert!(
        fallback.iter().all(|c| c.three_no()),
        "under the community's fallback they stay three-no"
    );
    assert!(compounds
        .iter()
        .all(|c| c.build_year.is_some_and(|y| (1980..=2005).contains(&y))));
    let scattered = d
        .buildings
        .iter()
        .filter(|b| b.community_code == LONGNAN_COMMUNITY && b.scattered())
        .count();
    assert!(scattered >= 3, "{scattered} scattered buildings");
    // Four grids for 3,056 households in old compounds: far over the 150-household rule.
    for g in grids {
        assert!(common::grid_load(&d, &g.code) > 3.0, "{} load", g.code);
    }
    // The party-mass centre hosts the elderly care centre with meal help.
    let centre = d
        .stations
        .iter()
        .find(|s| s.community_code == LONGNAN_COMMUNITY && s.kind == StationKind::PartyMassCentre)
        .expect("centre");
    assert!(d
        .service_spaces
        .iter()
        .any(|s| s.station_id == Some(centre.id)
            && s.services.contains(&ServiceType::ElderlyCare)
            && s.services.contains(&ServiceType::MealHelp)));
}

#[test]
fn aoti_grids_are_within_the_150_300_rule() {
    let d = demo_district();
    let c = d
        .communities
        .iter()
        .find(|c| c.code == AOTI_COMMUNITY)
        .expect("奥体");
    assert_eq!(c.kind, CommunityKind::NewBuild);
    let grids: Vec<_> = d
        .grids
        .iter()
        .filter(|g| g.community_code == AOTI_COMMUNITY)
        .collect();
    assert!(grids.len() >= 6);
    let classes: HashSet<CompoundClass> = d
        .compounds
        .iter()
        .filter(|c| c.community_code == AOTI_COMMUNITY)
        .map(|c| c.class)
        .collect();
    assert!(classes.contains(&CompoundClass::Old) && classes.contains(&CompoundClass::New));
    for g in grids {
        let load = common::grid_load(&d, &g.code);
        assert!(load > 0.0 && load <= 1.0, "{} load {load}", g.code);
    }
}

#[test]
fn compounds_vary_in_class_management_governance_and_age() {
    let d = demo_district();
    let pm: HashSet<PropertyManagement> =
        d.compounds.iter().map(|c| c.property_management).collect();
    assert_eq!(pm.len(), PropertyManagement::ALL.len());
    let classes: HashSet<CompoundClass> = d.compounds.iter().map(|c| c.class).collect();
    assert_eq!(classes.len(), CompoundClass::ALL.len());
    let missing: HashSet<u8> = d
        .compounds
        .iter()
        .map(engine::Compound::missing_flags)
        .collect();
    assert_eq!(missing, HashSet::from([0, 1, 2, 3]));
    for c in d.compounds.iter().filter(|c| c.class == CompoundClass::Old) {
        assert!(
            c.build_year.is_some_and(|y| (1980..=2010).contains(&y)),
            "{} {:?}",
            c.name,
            c.build_year
        );
    }
}

#[test]
fn every_station_kind_service_type_model_and_level_is_present() {
    let d = demo_district();
    let kinds: HashSet<StationKind> = d.stations.iter().map(|s| s.kind).collect();
    assert_eq!(kinds.len(), StationKind::ALL.len(), "{kinds:?}");
    let types: HashSet<ServiceType> = d
        .service_spaces
        .iter()
        .flat_map(|s| s.services.iter().copied())
        .collect();
    assert_eq!(types.len(), ServiceType::ALL.len(), "{types:?}");
    let models: HashSet<OperatingModel> =
        d.service_spaces.iter().map(|s| s.operating_model).collect();
    assert_eq!(models.len(), 3);
    for levels in [
        d.stations.iter().map(|s| s.level).collect::<HashSet<_>>(),
        d.service_spaces.iter().map(|s| s.level).collect(),
    ] {
        assert_eq!(levels.len(), FacilityLevel::ALL.len());
    }
    assert!(d
        .service_spaces
        .iter()
        .any(|s| matches!(s.geometry, Geometry::Polygon(_))));
    // An embedded service complex: ≥ 600 m², ≥ 3 functions, ≥ 2 of them for the old and young.
    let core = [
        ServiceType::ElderlyCare,
        ServiceType::Childcare,
        ServiceType::AfterSchool,
        ServiceType::MealHelp,
    ];
    assert!(d.service_spaces.iter().any(|s| s.floor_area >= 600.0
        && s.services.len() >= 3
        && s.services.iter().filter(|t| core.contains(t)).count() >= 2));
    for s in &d.service_spaces {
        assert!(
            (10.0..=2000.0).contains(&s.floor_area),
            "{} {}",
            s.name,
            s.floor_area
        );
    }
}

#[test]
fn the_underserved_communities_three_no_compounds_have_no_elderly_care_within_1000_m() {
    let d = demo_district();
    let frame = LocalFrame::new(DEMO_CENTRE);
    let elderly_spaces: Vec<Geometry> = d
        .service_spaces
        .iter()
        .filter(|s| {
            s.services
                .iter()
                .any(|t| matches!(t, ServiceType::ElderlyCare | ServiceType::MealHelp))
        })
        .map(|s| s.geometry.map_coords(|c| frame.to_metres(c)))
        .collect();
    assert!(elderly_spaces.len() >= 5);
    for code in UNDERSERVED_COMMUNITIES {
        let three_no: Vec<_> = d
            .compounds
            .iter()
            .filter(|c| c.community_code == *code && c.three_no())
            .collect();
        assert!(
            three_no.len() >= 8,
            "{code} has {} three-no compounds",
            three_no.len()
        );
        let (elderly, population) = three_no
            .iter()
            .fold((0, 0), |(e, p), c| (e + c.elderly, p + c.population));
        assert!(
            elderly as f64 / population as f64 > 0.25,
            "{code}: many elderly residents"
        );
        for c in three_no {
            let poly = Geometry::Polygon(c.geometry.map_coords(|p| frame.to_metres(p)));
            for s in &elderly_spaces {
                let m = Euclidean.distance(s, &poly);
                assert!(
                    m > UNDERSERVED_RADIUS_M,
                    "{} is {m:.0} m from elderly care",
                    c.name
                );
            }
        }
    }
}
