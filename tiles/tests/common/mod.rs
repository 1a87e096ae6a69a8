//! Shared fixtures: a small district around one zoom-14 tile, a test-side MVT decoder and the
//! GDAL (ogrinfo / ogr2ogr) harness.
#![allow(clippy::unwrap_used, dead_code)]

use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::Command;

use engine::{
    Building, Community, CommunityKind, Compound, CompoundClass, Dataset, FacilityLevel, Grid,
    OperatingModel, PropertyManagement, ServiceSpace, ServiceType, Snapshot, Station, StationKind,
    Street, Way, WayKind,
};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use gridatlas_tiles as tiles;
use prost::Message;
use serde_json::{Map, Value};
use tiles::proto::{self, GeomType};
use tiles::TileId;

/// The fixture's home tile (泸州 Luzhou, zoom 14).
pub fn home() -> TileId {
    TileId::new(14, 12990, 6817).unwrap()
}

/// WGS84 position of tile units `(ux, uy)` of `tile` (units may fall outside 0..4096).
pub fn at(tile: TileId, ux: f64, uy: f64) -> Coord {
    let n = f64::from(1u32 << tile.z());
    let mx = (f64::from(tile.x()) + ux / 4096.0) / n;
    let my = (f64::from(tile.y()) + uy / 4096.0) / n;
    Coord {
        x: mx * 360.0 - 180.0,
        y: (PI * (1.0 - 2.0 * my)).sinh().atan().to_degrees(),
    }
}

/// A ring through home-tile units, closed, counter-clockwise in lon/lat when given clockwise
/// on screen (the order `GeoJSON` expects for the usual inputs below).
pub fn ring(points: &[(f64, f64)]) -> LineString {
    let mut coords: Vec<Coord> = points.iter().map(|&(x, y)| at(home(), x, y)).collect();
    coords.push(coords[0]);
    LineString(coords)
}

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> LineString {
    ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
}

pub fn poly(exterior: LineString, holes: Vec<LineString>) -> Polygon {
    Polygon::new(exterior, holes)
}

pub const STREET: &str = "510504003";
pub const COMMUNITY: &str = "510504003004";

pub fn compound(id: i64, name: &str, geometry: Polygon) -> Compound {
    Compound {
        id,
        version: 3,
        name: name.into(),
        community_code: COMMUNITY.into(),
        grid_code: Some("510504003004-01".into()),
        households: 120,
        population: 300,
        elderly: 90,
        build_year: Some(1995),
        class: CompoundClass::Old,
        property_management: PropertyManagement::None,
        owners_committee: false,
        competent_unit: false,
        geometry,
    }
}

pub fn building(id: i64, compound_id: Option<i64>, geometry: Geometry) -> Building {
    Building {
        id,
        version: 1,
        name: compound_id.map(|c| format!("{c}栋{id}号楼")),
        community_code: COMMUNITY.into(),
        compound_id,
        grid_code: if compound_id.is_none() {
            Some("510504003004-02".into())
        } else {
            None
        },
        households: 24,
        floors: Some(6),
        build_year: None,
        location_approximate: false,
        geometry,
    }
}

/// The fixture district, in home-tile units (0..4096 is the home tile).
pub fn district() -> Dataset {
    let mut d = Dataset::default();
    add_divisions(&mut d);
    add_compounds(&mut d);
    add_buildings(&mut d);
    add_facilities(&mut d);
    add_ways(&mut d);
    d
}

/// The street (with a detached second part), the community (with a hole) and its two grids.
fn add_divisions(d: &mut Dataset) {
    d.streets.push(Street {
        id: 1,
        version: 1,
        code: STREET.into(),
        name: "蓝田街道".into(),
        geometry: MultiPolygon(vec![
            poly(rect(-3000.0, -3000.0, 7000.0, 7000.0), vec![]),
            poly(rect(9000.0, 0.0, 10000.0, 1000.0), vec![]),
        ]),
    });
    d.communities.push(Community {
        id: 1,
        version: 2,
        code: COMMUNITY.into(),
        name: "金桂社区".into(),
        street_code: STREET.into(),
        kind: CommunityKind::Old,
        residents_groups: 6,
        geometry: MultiPolygon(vec![poly(
            rect(-500.0, -500.0, 4600.0, 4600.0),
            vec![rect(1800.0, 1800.0, 2200.0, 2200.0)],
        )]),
    });
    for (id, x0, x1, locked) in [(1, 100.0, 3000.0, true), (2, 3000.0, 5000.0, false)] {
        d.grids.push(Grid {
            id,
            version: 1,
            code: format!("510504003004-0{id}"),
            name: format!("金桂社区第{id}网格"),
            community_code: COMMUNITY.into(),
            workers: 2,
            locked,
            geometry: poly(rect(x0, 100.0, x1, 3000.0), vec![]),
        });
    }
}

/// Four compounds: a plain one, one crossing the tile's east edge, an arch and one with a hole.
fn add_compounds(d: &mut Dataset) {
    d.compounds.push(compound(
        1,
        "金桂小区",
        poly(rect(200.0, 200.0, 800.0, 700.0), vec![]),
    ));
    let mut crossing = compound(
        2,
        "翠湖苑",
        poly(rect(3800.0, 1000.0, 4400.0, 1600.0), vec![]),
    );
    crossing.class = CompoundClass::Commodity;
    crossing.property_management = PropertyManagement::Professional;
    crossing.owners_committee = true;
    crossing.grid_code = None;
    crossing.build_year = None;
    d.compounds.push(crossing);
    // An arch whose legs reach into the home tile across its bottom edge while the band joining
    // them lies beyond the buffer: clipping must split it into two valid parts.
    let arch = ring(&[
        (1000.0, 4000.0),
        (1000.0, 4500.0),
        (1600.0, 4500.0),
        (1600.0, 4000.0),
        (1400.0, 4000.0),
        (1400.0, 4300.0),
        (1200.0, 4300.0),
        (1200.0, 4000.0),
    ]);
    d.compounds
        .push(compound(3, "拱形院落", poly(arch, vec![])));
    d.compounds.push(compound(
        4,
        "天井院",
        poly(
            rect(2000.0, 2400.0, 2600.0, 3000.0),
            vec![rect(2200.0, 2600.0, 2400.0, 2800.0)],
        ),
    ));
}

/// Four footprints in the first compound, a scattered point and a footprint in the crossing one.
fn add_buildings(d: &mut Dataset) {
    for i in 0..4 {
        let x = 250.0 + f64::from(i) * 120.0;
        d.buildings.push(building(
            i64::from(i) + 1,
            Some(1),
            Geometry::Polygon(poly(rect(x, 300.0, x + 40.0, 330.0), vec![])),
        ));
    }
    d.buildings.push(building(
        5,
        None,
        Geometry::Point(Point(at(home(), 1500.0, 1500.0))),
    ));
    d.buildings.push(building(
        6,
        Some(2),
        Geometry::Polygon(poly(rect(4080.0, 1100.0, 4120.0, 1130.0), vec![])),
    ));
}

/// Two stations and two service spaces (a hosted point and an outlined one).
fn add_facilities(d: &mut Dataset) {
    d.stations.push(Station {
        id: 1,
        version: 1,
        name: "金桂社区党群服务中心".into(),
        kind: StationKind::PartyMassCentre,
        community_code: COMMUNITY.into(),
        level: FacilityLevel::Community,
        floor_area: Some(350.5),
        geometry: Point(at(home(), 600.0, 900.0)),
    });
    d.stations.push(Station {
        id: 2,
        version: 4,
        name: "网格驿站".into(),
        kind: StationKind::GridPost,
        community_code: COMMUNITY.into(),
        level: FacilityLevel::Compound,
        floor_area: None,
        geometry: Point(at(home(), 4090.0, 2000.0)),
    });
    d.service_spaces.push(ServiceSpace {
        id: 1,
        version: 1,
        name: "金桂长者食堂".into(),
        community_code: COMMUNITY.into(),
        services: vec![ServiceType::MealHelp, ServiceType::ElderlyCare],
        floor_area: 220.0,
        operating_model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Community,
        station_id: Some(1),
        capacity: Some(60),
        opening_hours: Some("07:00-19:00".into()),
        geometry: Geometry::Point(Point(at(home(), 650.0, 950.0))),
    });
    d.service_spaces.push(ServiceSpace {
        id: 2,
        version: 1,
        name: "托育园".into(),
        community_code: COMMUNITY.into(),
        services: vec![ServiceType::Childcare],
        floor_area: 180.0,
        operating_model: OperatingModel::Market,
        level: FacilityLevel::Compound,
        station_id: None,
        capacity: None,
        opening_hours: None,
        geometry: Geometry::Polygon(poly(rect(1000.0, 1000.0, 1100.0, 1080.0), vec![])),
    });
}

/// A line through home-tile units.
pub fn line(points: &[(f64, f64)]) -> LineString {
    LineString(points.iter().map(|&(x, y)| at(home(), x, y)).collect())
}

pub fn way(id: i64, kind: WayKind, parts: Vec<LineString>) -> Way {
    Way {
        id,
        version: 1,
        street_code: Some(STREET.into()),
        ..Way::new(kind, MultiLineString(parts))
    }
}

/// Six ways: a footway in the first compound, a secondary road crossing the east edge, a lane
/// dipping out of the tile across its south edge and back, a footbridge, a motorway passing
/// outside the home tile's corner and an underpass of two parts.
fn add_ways(d: &mut Dataset) {
    let mut path = way(
        1,
        WayKind::Footway,
        vec![line(&[(300.0, 400.0), (700.0, 400.0), (700.0, 650.0)])],
    );
    path.compound_id = Some(1);
    d.ways.push(path);
    let mut road = way(
        2,
        WayKind::Secondary,
        vec![line(&[
            (2500.0, 1800.0),
            (3500.0, 1800.0),
            (5500.0, 1900.0),
        ])],
    );
    road.name = Some("蓝田路".into());
    road.osm_way = Some(4_242_424);
    road.version = 3;
    d.ways.push(road);
    let mut lane = way(
        3,
        WayKind::Residential,
        vec![line(&[
            (2000.0, 4000.0),
            (2000.0, 4600.0),
            (2400.0, 4600.0),
            (2400.0, 4000.0),
        ])],
    );
    lane.name = Some("梧桐巷".into());
    d.ways.push(lane);
    let mut bridge = way(
        4,
        WayKind::Footway,
        vec![line(&[(1200.0, 2000.0), (1200.0, 2300.0)])],
    );
    bridge.name = Some("人行天桥".into());
    bridge.bridge = true;
    d.ways.push(bridge);
    let mut motorway = way(
        5,
        WayKind::Motorway,
        vec![line(&[(-600.0, 200.0), (200.0, -600.0)])],
    );
    motorway.street_code = None;
    d.ways.push(motorway);
    let mut underpass = way(
        6,
        WayKind::Footway,
        vec![
            line(&[(3000.0, 3000.0), (3000.0, 3100.0)]),
            line(&[(3050.0, 3000.0), (3050.0, 3100.0)]),
        ],
    );
    underpass.tunnel = true;
    underpass.no_walking = true;
    d.ways.push(underpass);
}

pub fn snapshot() -> Snapshot {
    Snapshot::new(42, district())
}

/// A decoded feature: id, geometry type, typed properties and its paths in tile units.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub id: Option<u64>,
    pub kind: GeomType,
    pub props: Map<String, Value>,
    /// Points (one per path), lines, or rings (closed implicitly).
    pub paths: Vec<Vec<[i64; 2]>>,
}

#[derive(Debug, Clone)]
pub struct DecodedLayer {
    pub name: String,
    pub version: u32,
    pub extent: u32,
    pub features: Vec<Decoded>,
}

impl DecodedLayer {
    pub fn by_id(&self, id: u64) -> Option<&Decoded> {
        self.features.iter().find(|f| f.id == Some(id))
    }
}

/// Decodes a tile with the crate's prost messages and a command decoder written for the tests.
pub fn decode(bytes: &[u8]) -> Vec<DecodedLayer> {
    let tile = proto::Tile::decode(bytes).expect("tile decodes as vector_tile.Tile");
    tile.layers
        .into_iter()
        .map(|l| {
            let features = l
                .features
                .iter()
                .map(|f| {
                    assert_eq!(f.tags.len() % 2, 0, "tags come in pairs");
                    let mut props = Map::new();
                    for pair in f.tags.chunks(2) {
                        let key = l.keys[pair[0] as usize].clone();
                        let v = &l.values[pair[1] as usize];
                        let value = if let Some(s) = &v.string_value {
                            Value::from(s.clone())
                        } else if let Some(n) = v.int_value {
                            Value::from(n)
                        } else if let Some(n) = v.sint_value {
                            Value::from(n)
                        } else if let Some(n) = v.uint_value {
                            Value::from(n)
                        } else if let Some(x) = v.double_value {
                            Value::from(x)
                        } else if let Some(x) = v.float_value {
                            Value::from(f64::from(x))
                        } else if let Some(b) = v.bool_value {
                            Value::from(b)
                        } else {
                            panic!("value without a type")
                        };
                        assert!(
                            props.insert(key, value).is_none(),
                            "a key appears twice in one feature"
                        );
                    }
                    Decoded {
                        id: f.id,
                        kind: GeomType::try_from(f.r#type.unwrap_or(0)).unwrap(),
                        props,
                        paths: decode_commands(&f.geometry),
                    }
                })
                .collect();
            DecodedLayer {
                name: l.name,
                version: l.version,
                extent: l.extent.unwrap_or(4096),
                features,
            }
        })
        .collect()
}

fn unzigzag(v: u32) -> i64 {
    i64::from((v >> 1) as i32 ^ -((v & 1) as i32))
}

/// Decodes `MoveTo` / `LineTo` / `ClosePath` commands into paths.
pub fn decode_commands(cmds: &[u32]) -> Vec<Vec<[i64; 2]>> {
    let mut paths: Vec<Vec<[i64; 2]>> = Vec::new();
    let (mut x, mut y) = (0i64, 0i64);
    let mut i = 0;
    while i < cmds.len() {
        let (id, count) = (cmds[i] & 7, cmds[i] >> 3);
        i += 1;
        match id {
            1 | 2 => {
                for _ in 0..count {
                    x += unzigzag(cmds[i]);
                    y += unzigzag(cmds[i + 1]);
                    i += 2;
                    if id == 1 {
                        paths.push(vec![[x, y]]);
                    } else {
                        paths.last_mut().expect("LineTo after MoveTo").push([x, y]);
                    }
                }
            }
            7 => assert_eq!(count, 1, "ClosePath has count 1"),
            other => panic!("unknown command {other}"),
        }
    }
    paths
}

/// Twice the ring's area by the surveyor's formula in tile units (y down).
pub fn area2(ring: &[[i64; 2]]) -> i64 {
    (0..ring.len())
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Groups rings into polygons by the MVT 2.1 rule (positive area starts a polygon, negative is
/// one of its holes), asserting none has zero area and the first is an exterior.
pub fn polygons(f: &Decoded) -> MultiPolygon {
    let mut out: Vec<Polygon> = Vec::new();
    for (i, r) in f.paths.iter().enumerate() {
        let a = area2(r);
        assert_ne!(a, 0, "ring without area in {:?}", f.id);
        let mut coords: Vec<Coord> = r
            .iter()
            .map(|p| Coord {
                x: p[0] as f64,
                y: p[1] as f64,
            })
            .collect();
        coords.push(coords[0]);
        if a > 0 {
            out.push(Polygon::new(LineString(coords), vec![]));
        } else {
            assert!(i > 0, "the first ring of feature {:?} is an exterior", f.id);
            out.last_mut().unwrap().interiors_push(LineString(coords));
        }
    }
    MultiPolygon(out)
}

pub fn layer<'a>(layers: &'a [DecodedLayer], name: &str) -> &'a DecodedLayer {
    layers
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("layer {name} missing"))
}

/// Writes a tile as `{dir}/{z}/{x}/{y}.pbf`, the layout GDAL's MVT driver georeferences.
pub fn write_tile(dir: &Path, tile: TileId, bytes: &[u8]) -> PathBuf {
    let folder = dir.join(tile.z().to_string()).join(tile.x().to_string());
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join(format!("{}.pbf", tile.y()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A fresh temporary folder for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("gridatlas-tiles-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// Runs a GDAL tool, failing the test when it is missing (CI installs gdal-bin).
pub fn gdal(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} (GDAL) is required for this test; install gdal-bin: {e}")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("GDAL prints UTF-8")
}

/// The open options that place a tile file at its address.
pub fn tile_options(tile: TileId, clip: bool) -> Vec<String> {
    vec![
        "-oo".into(),
        format!("Z={}", tile.z()),
        "-oo".into(),
        format!("X={}", tile.x()),
        "-oo".into(),
        format!("Y={}", tile.y()),
        "-oo".into(),
        format!("CLIP={}", if clip { "YES" } else { "NO" }),
    ]
}
