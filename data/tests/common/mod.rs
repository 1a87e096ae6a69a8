//! Checks shared by the demo and synthetic-city tests.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};

use engine::{CompoundClass, Dataset, Feature, Layer};
use geo::{Area, Contains, Relate};
use geo_types::{Geometry, MultiPolygon, Polygon};

/// Every feature survives a `GeoJSON` round trip and the engine's validation unchanged.
pub fn assert_all_valid(data: &Dataset) {
    let mut count = 0;
    for f in data.features() {
        let json = f.to_geojson();
        match Feature::from_geojson(f.layer(), &json) {
            Ok(back) => assert_eq!(
                back,
                f,
                "{} {} changed on the round trip",
                f.layer(),
                f.id()
            ),
            Err(problems) => panic!("{} {} is invalid: {problems:?}", f.layer(), f.id()),
        }
        count += 1;
    }
    assert_eq!(count, data.total());
}

/// Ids are positive, unique per layer, and every feature is at version 1.
pub fn assert_ids(data: &Dataset) {
    for layer in Layer::ALL {
        let mut seen = HashSet::new();
        for i in 0..data.len(layer) {
            let f = data.get(layer, i).expect("feature");
            assert!(f.id() > 0, "{layer} id {}", f.id());
            assert!(seen.insert(f.id()), "{layer} id {} twice", f.id());
            assert_eq!(f.version(), 1);
        }
    }
}

/// Every code and id refers to an existing feature of the same community.
pub fn assert_references(data: &Dataset) {
    assert_division_references(data);
    assert_compound_and_building_references(data);
    assert_gate_and_facility_references(data);
    assert_way_references(data);
}

/// Ways name existing streets and compounds (a compound's paths lie in its street).
fn assert_way_references(data: &Dataset) {
    let streets: HashSet<&str> = data.streets.iter().map(|s| s.code.as_str()).collect();
    let compounds = compound_communities(data);
    for w in &data.ways {
        if let Some(street) = &w.street_code {
            assert!(
                streets.contains(street.as_str()),
                "way {} in {street}",
                w.id
            );
        }
        if let Some(id) = w.compound_id {
            let community = compounds.get(&id).expect("the path's compound");
            if let Some(street) = &w.street_code {
                assert!(
                    community.starts_with(street.as_str()),
                    "way {} of compound {id}",
                    w.id
                );
            }
        }
    }
}

/// Each community's street code, by community code.
fn community_streets(data: &Dataset) -> HashMap<&str, &str> {
    data.communities
        .iter()
        .map(|c| (c.code.as_str(), c.street_code.as_str()))
        .collect()
}

/// Each grid's community code, by grid code.
fn grid_communities(data: &Dataset) -> HashMap<&str, &str> {
    data.grids
        .iter()
        .map(|g| (g.code.as_str(), g.community_code.as_str()))
        .collect()
}

/// Each compound's community code, by compound id.
fn compound_communities(data: &Dataset) -> HashMap<i64, &str> {
    data.compounds
        .iter()
        .map(|c| (c.id, c.community_code.as_str()))
        .collect()
}

/// Street, community and grid codes are unique; communities name their street, grids their
/// community.
fn assert_division_references(data: &Dataset) {
    let streets: HashSet<&str> = data.streets.iter().map(|s| s.code.as_str()).collect();
    assert_eq!(streets.len(), data.streets.len(), "street codes are unique");
    let communities = community_streets(data);
    assert_eq!(
        communities.len(),
        data.communities.len(),
        "community codes are unique"
    );
    for c in &data.communities {
        assert!(
            streets.contains(c.street_code.as_str()),
            "community {} names street {}",
            c.code,
            c.street_code
        );
        assert!(c.code.starts_with(&c.street_code));
    }
    let grids = grid_communities(data);
    assert_eq!(grids.len(), data.grids.len(), "grid codes are unique");
    for g in &data.grids {
        assert!(
            communities.contains_key(g.community_code.as_str()),
            "grid {}",
            g.code
        );
    }
}

/// Compounds lie in a grid of their community; buildings in a compound or (scattered) a grid of
/// their community.
fn assert_compound_and_building_references(data: &Dataset) {
    let communities = community_streets(data);
    let grids = grid_communities(data);
    let compounds = compound_communities(data);
    for c in &data.compounds {
        let grid = c.grid_code.as_deref().expect("every compound has a grid");
        assert_eq!(
            grids.get(grid),
            Some(&c.community_code.as_str()),
            "compound {} in grid {grid}",
            c.id
        );
        assert!(c.elderly <= c.population && c.households > 0 && c.population >= c.households);
    }
    for b in &data.buildings {
        assert!(communities.contains_key(b.community_code.as_str()));
        match (b.compound_id, &b.grid_code) {
            (Some(id), None) => assert_eq!(
                compounds.get(&id),
                Some(&b.community_code.as_str()),
                "building {}",
                b.id
            ),
            (None, Some(grid)) => assert_eq!(
                grids.get(grid.as_str()),
                Some(&b.community_code.as_str()),
                "scattered building {}",
                b.id
            ),
            other => panic!("building {} has compound/grid {other:?}", b.id),
        }
    }
}

/// Gates belong to a compound of their community; stations and service spaces to an existing
/// community, hosted spaces to a station of theirs.
fn assert_gate_and_facility_references(data: &Dataset) {
    let communities = community_streets(data);
    let compounds = compound_communities(data);
    for g in &data.gates {
        assert_eq!(
            compounds.get(&g.compound_id),
            Some(&g.community_code.as_str()),
            "gate {} of compound {}",
            g.id,
            g.compound_id
        );
    }
    let stations: HashMap<i64, &str> = data
        .stations
        .iter()
        .map(|s| (s.id, s.community_code.as_str()))
        .collect();
    for s in &data.stations {
        assert!(
            communities.contains_key(s.community_code.as_str()),
            "station {}",
            s.id
        );
    }
    for s in &data.service_spaces {
        assert!(
            communities.contains_key(s.community_code.as_str()),
            "space {}",
            s.id
        );
        if let Some(host) = s.station_id {
            assert_eq!(
                stations.get(&host),
                Some(&s.community_code.as_str()),
                "space {} hosted by {host}",
                s.id
            );
        }
    }
}

/// Households of each compound equal the sum over its buildings.
pub fn assert_building_households(data: &Dataset) {
    let mut sums: HashMap<i64, i64> = HashMap::new();
    for b in &data.buildings {
        assert!(b.households > 0);
        if let Some(c) = b.compound_id {
            *sums.entry(c).or_default() += b.households;
        }
    }
    for c in &data.compounds {
        assert_eq!(
            sums.get(&c.id).copied(),
            Some(c.households),
            "compound {} {}",
            c.id,
            c.name
        );
    }
}

fn relative_gap(whole: f64, parts: f64) -> f64 {
    (whole - parts).abs() / whole
}

/// Children cover their parent: areas agree within 0.1 %, and no two siblings overlap.
pub fn assert_tiles<'a>(
    parent: &MultiPolygon,
    children: impl IntoIterator<Item = &'a Polygon>,
    what: &str,
    check_overlaps: bool,
) {
    let children: Vec<&Polygon> = children.into_iter().collect();
    assert!(!children.is_empty(), "{what} has no parts");
    let whole = parent.unsigned_area();
    let parts: f64 = children.iter().map(|p| p.unsigned_area()).sum();
    assert!(
        relative_gap(whole, parts) < 1e-3,
        "{what}: area {whole} vs parts {parts}"
    );
    if check_overlaps {
        for (i, a) in children.iter().enumerate() {
            for b in &children[i + 1..] {
                let m = a.relate(*b);
                assert!(
                    !m.is_intersects() || m.is_touches(),
                    "{what}: two parts overlap"
                );
            }
        }
    }
}

/// Grids tile their community, communities their street.
pub fn assert_hierarchy_tiles(data: &Dataset, check_overlaps: bool) {
    for c in &data.communities {
        let grids: Vec<&Polygon> = data
            .grids
            .iter()
            .filter(|g| g.community_code == c.code)
            .map(|g| &g.geometry)
            .collect();
        if !grids.is_empty() {
            assert_tiles(&c.geometry, grids, &c.code, check_overlaps);
        }
    }
    for s in &data.streets {
        let parts: Vec<&Polygon> = data
            .communities
            .iter()
            .filter(|c| c.street_code == s.code)
            .flat_map(|c| &c.geometry.0)
            .collect();
        assert_tiles(&s.geometry, parts, &s.code, check_overlaps);
    }
}

/// Compounds lie in their grid, buildings in their compound (scattered ones in their grid),
/// stations and service spaces in their community.
pub fn assert_containment(data: &Dataset) {
    let grids: HashMap<&str, &Polygon> = data
        .grids
        .iter()
        .map(|g| (g.code.as_str(), &g.geometry))
        .collect();
    let compounds: HashMap<i64, &Polygon> =
        data.compounds.iter().map(|c| (c.id, &c.geometry)).collect();
    let communities: HashMap<&str, &MultiPolygon> = data
        .communities
        .iter()
        .map(|c| (c.code.as_str(), &c.geometry))
        .collect();
    for c in &data.compounds {
        let grid = grids[c.grid_code.as_deref().expect("grid")];
        assert!(
            grid.contains(&c.geometry),
            "compound {} {} outside its grid",
            c.id,
            c.name
        );
    }
    for b in &data.buildings {
        let container = match (b.compound_id, &b.grid_code) {
            (Some(id), _) => compounds[&id],
            (None, Some(g)) => grids[g.as_str()],
            (None, None) => panic!("building {} belongs nowhere", b.id),
        };
        assert!(
            container.contains(&b.geometry),
            "building {} outside its compound/grid",
            b.id
        );
        if b.compound_id.is_none() {
            for c in data
                .compounds
                .iter()
                .filter(|c| c.community_code == b.community_code)
            {
                assert!(
                    !c.geometry.contains(&b.geometry),
                    "scattered building {} inside compound {}",
                    b.id,
                    c.id
                );
            }
        }
    }
    for s in &data.stations {
        assert!(
            communities[s.community_code.as_str()].contains(&s.geometry),
            "station {} {} outside its community",
            s.id,
            s.name
        );
    }
    for s in &data.service_spaces {
        assert!(
            communities[s.community_code.as_str()].contains(&s.geometry),
            "space {} {} outside its community",
            s.id,
            s.name
        );
        assert!(matches!(
            s.geometry,
            Geometry::Point(_) | Geometry::Polygon(_)
        ));
    }
}

/// A grid's load under the 150/300 rule.
pub fn grid_load(data: &Dataset, grid: &str) -> f64 {
    let compounds: f64 = data
        .compounds
        .iter()
        .filter(|c| c.grid_code.as_deref() == Some(grid))
        .map(|c| {
            let cap = match c.class {
                CompoundClass::New | CompoundClass::Commodity => 300.0,
                CompoundClass::Old | CompoundClass::UnitOwned | CompoundClass::Resettlement => {
                    150.0
                }
            };
            c.households as f64 / cap
        })
        .sum();
    let scattered: f64 = data
        .buildings
        .iter()
        .filter(|b| b.grid_code.as_deref() == Some(grid))
        .map(|b| b.households as f64 / 150.0)
        .sum();
    compounds + scattered
}
