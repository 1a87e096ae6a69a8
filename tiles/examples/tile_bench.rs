//! Cold encoding time and size of composite tiles over a synthetic city.
//!
//! `cargo run --release -p gridatlas-tiles --example tile_bench -- [buildings]` (default 1,000,000).
//! The city is a lattice of 150 m compounds around 泸州 with about 39 buildings each; 2 × 2
//! compounds make a grid, 8 × 8 a community and 40 × 40 a street. Prints, per zoom, how many
//! tiles were encoded and the mean / largest time and size.
#![allow(
    clippy::unwrap_used,
    clippy::cast_lossless,
    clippy::manual_midpoint,
    clippy::format_push_string,
    clippy::uninlined_format_args
)]

use std::time::Instant;

use engine::{
    Building, Community, CommunityKind, Compound, CompoundClass, Dataset, FacilityLevel, Grid,
    Layer, OperatingModel, PropertyManagement, ServiceSpace, ServiceType, Snapshot, Station,
    StationKind, Street,
};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use gridatlas_tiles::{encode, TileId};
use rand::{Rng, SeedableRng};

const ORIGIN: Coord = Coord {
    x: 105.30,
    y: 28.78,
};
const BLOCK_M: f64 = 150.0;

fn lonlat(mx: f64, my: f64) -> Coord {
    Coord {
        x: ORIGIN.x + mx / (111_320.0 * ORIGIN.y.to_radians().cos()),
        y: ORIGIN.y + my / 110_540.0,
    }
}

/// A rectangle in metres with `per_side` vertices on each side.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64, per_side: usize) -> Polygon {
    let mut pts = Vec::new();
    let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
    for i in 0..4 {
        let (a, b) = (corners[i], corners[(i + 1) % 4]);
        for k in 0..per_side {
            let t = k as f64 / per_side as f64;
            pts.push(lonlat(a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t));
        }
    }
    pts.push(pts[0]);
    Polygon::new(LineString(pts), vec![])
}

/// Six digits numbering the cell of `div` × `div` blocks that holds lattice position (`i`, `j`).
fn code(i: usize, j: usize, div: usize) -> String {
    format!("{:03}{:03}", i / div, j / div)
}

fn city(buildings: usize) -> Dataset {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let side = ((buildings as f64 / 39.0).sqrt().ceil() as usize).max(1);
    let mut d = Dataset::default();
    add_divisions(&mut d, side);
    let mut building_id = 0i64;
    'blocks: for i in 0..side {
        for j in 0..side {
            let compound_id = add_compound(&mut d, &mut rng, i, j);
            if !add_buildings(
                &mut d,
                &mut rng,
                (i, j),
                compound_id,
                &mut building_id,
                buildings,
            ) {
                break 'blocks;
            }
            if (i + j) % 4 == 0 {
                add_facilities(&mut d, i, j);
            }
        }
    }
    d
}

/// Streets of 40 × 40 blocks, communities of 8 × 8 and grids of 2 × 2 over a `side` × `side`
/// lattice.
fn add_divisions(d: &mut Dataset, side: usize) {
    for si in 0..side.div_ceil(40) {
        for sj in 0..side.div_ceil(40) {
            let (x0, y0) = (si as f64 * 40.0 * BLOCK_M, sj as f64 * 40.0 * BLOCK_M);
            d.streets.push(Street {
                id: d.streets.len() as i64 + 1,
                version: 1,
                code: format!("510{}", code(si * 40, sj * 40, 40)),
                name: format!("第{}街道", d.streets.len() + 1),
                geometry: MultiPolygon(vec![rect(
                    x0,
                    y0,
                    x0 + 40.0 * BLOCK_M,
                    y0 + 40.0 * BLOCK_M,
                    400,
                )]),
            });
        }
    }
    for ci in 0..side.div_ceil(8) {
        for cj in 0..side.div_ceil(8) {
            let (x0, y0) = (ci as f64 * 8.0 * BLOCK_M, cj as f64 * 8.0 * BLOCK_M);
            d.communities.push(Community {
                id: d.communities.len() as i64 + 1,
                version: 1,
                code: format!("510504{}", code(ci * 8, cj * 8, 8)),
                name: format!("第{}社区", d.communities.len() + 1),
                street_code: format!("510{}", code(ci * 8, cj * 8, 40)),
                kind: CommunityKind::Urban,
                residents_groups: 6,
                geometry: MultiPolygon(vec![rect(
                    x0,
                    y0,
                    x0 + 8.0 * BLOCK_M,
                    y0 + 8.0 * BLOCK_M,
                    80,
                )]),
            });
        }
    }
    for gi in 0..side.div_ceil(2) {
        for gj in 0..side.div_ceil(2) {
            let (x0, y0) = (gi as f64 * 2.0 * BLOCK_M, gj as f64 * 2.0 * BLOCK_M);
            d.grids.push(Grid {
                id: d.grids.len() as i64 + 1,
                version: 1,
                code: format!("G{}-{}", gi, gj),
                name: format!("第{}网格", d.grids.len() + 1),
                community_code: format!("510504{}", code(gi * 2, gj * 2, 8)).into(),
                workers: 1,
                locked: false,
                geometry: rect(x0, y0, x0 + 2.0 * BLOCK_M, y0 + 2.0 * BLOCK_M, 8),
            });
        }
    }
}

/// The compound filling block (`i`, `j`); returns its id.
fn add_compound(d: &mut Dataset, rng: &mut rand_chacha::ChaCha8Rng, i: usize, j: usize) -> i64 {
    let (x0, y0) = (i as f64 * BLOCK_M, j as f64 * BLOCK_M);
    let compound_id = d.compounds.len() as i64 + 1;
    d.compounds.push(Compound {
        id: compound_id,
        version: 1,
        name: format!("小区{compound_id}"),
        community_code: format!("510504{}", code(i, j, 8)).into(),
        grid_code: Some(format!("G{}-{}", i / 2, j / 2).into()),
        households: 300,
        population: 800,
        elderly: 150,
        build_year: Some(rng.random_range(1980..2020)),
        class: CompoundClass::Old,
        property_management: PropertyManagement::None,
        owners_committee: rng.random_bool(0.5),
        competent_unit: false,
        geometry: rect(
            x0 + 5.0,
            y0 + 5.0,
            x0 + BLOCK_M - 5.0,
            y0 + BLOCK_M - 5.0,
            2,
        ),
    });
    compound_id
}

/// Up to 39 buildings of block `(i, j)` (38 in the compound, one scattered), numbered on from
/// `building_id`; false when the city's `buildings` ran out first.
fn add_buildings(
    d: &mut Dataset,
    rng: &mut rand_chacha::ChaCha8Rng,
    (i, j): (usize, usize),
    compound_id: i64,
    building_id: &mut i64,
    buildings: usize,
) -> bool {
    let (x0, y0) = (i as f64 * BLOCK_M, j as f64 * BLOCK_M);
    for k in 0..39 {
        if *building_id as usize >= buildings {
            return false;
        }
        *building_id += 1;
        let (bx, by) = (
            x0 + 10.0 + (k % 6) as f64 * 22.0,
            y0 + 10.0 + (k / 6) as f64 * 20.0,
        );
        let scattered = k == 38;
        d.buildings.push(Building {
            id: *building_id,
            version: 1,
            name: Some(format!("{}栋", k + 1)),
            community_code: format!("510504{}", code(i, j, 8)).into(),
            compound_id: (!scattered).then_some(compound_id),
            grid_code: scattered
                .then(|| format!("G{}-{}", i / 2, j / 2))
                .map(Into::into),
            households: rng.random_range(8..40),
            floors: Some(rng.random_range(2..30)),
            build_year: None,
            location_approximate: false,
            geometry: if scattered {
                Geometry::Point(Point(lonlat(bx + 7.0, by + 5.0)))
            } else {
                Geometry::Polygon(rect(bx, by, bx + 15.0, by + 10.0, 1))
            },
        });
    }
    true
}

/// A grid post and a canteen for the elderly in the corners of block (`i`, `j`).
fn add_facilities(d: &mut Dataset, i: usize, j: usize) {
    let (x0, y0) = (i as f64 * BLOCK_M, j as f64 * BLOCK_M);
    let community_code = format!("510504{}", code(i, j, 8));
    d.stations.push(Station {
        id: d.stations.len() as i64 + 1,
        version: 1,
        name: format!("网格驿站{}", d.stations.len() + 1),
        kind: StationKind::GridPost,
        community_code: community_code.clone().into(),
        level: FacilityLevel::Compound,
        floor_area: Some(60.0),
        geometry: Point(lonlat(x0 + 3.0, y0 + 3.0)),
    });
    d.service_spaces.push(ServiceSpace {
        id: d.service_spaces.len() as i64 + 1,
        version: 1,
        name: format!("长者食堂{}", d.service_spaces.len() + 1),
        community_code: community_code.into(),
        services: vec![ServiceType::MealHelp, ServiceType::ElderlyCare],
        floor_area: 200.0,
        operating_model: OperatingModel::PublicBenefit,
        level: FacilityLevel::Community,
        station_id: None,
        capacity: Some(50),
        opening_hours: None,
        geometry: Geometry::Point(Point(lonlat(x0 + 140.0, y0 + 140.0))),
    });
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t = Instant::now();
    let snap = Snapshot::new(1, city(n));
    println!(
        "city: {} buildings, {} compounds, {} grids, {} communities, {} streets (built in {:.1} s)",
        snap.data.buildings.len(),
        snap.data.compounds.len(),
        snap.data.grids.len(),
        snap.data.communities.len(),
        snap.data.streets.len(),
        t.elapsed().as_secs_f64()
    );
    let b = gridatlas_tiles::data_bounds(&snap).unwrap_or([0.0; 4]);
    // Per-layer time of the tile at the city's centre, per zoom.
    for z in [10u8, 12, 13, 14, 15] {
        let centre = TileId::containing((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, z).unwrap();
        let mut line = format!("z{z:>2} centre by layer:");
        for layer in Layer::ALL {
            let t = Instant::now();
            let out = encode(&snap, &[layer], centre);
            line += &format!(
                " {layer} {:.1} ms/{} B;",
                t.elapsed().as_secs_f64() * 1000.0,
                out.len()
            );
        }
        println!("{line}");
    }
    for z in [8u8, 10, 11, 12, 13, 14, 15, 16, 18] {
        let lo = TileId::containing(b[0], b[3], z).unwrap();
        let hi = TileId::containing(b[2], b[1], z).unwrap();
        let mut tiles = Vec::new();
        for x in lo.x()..=hi.x() {
            for y in lo.y()..=hi.y() {
                tiles.push(TileId::new(z, x, y).unwrap());
            }
        }
        // At most 60 tiles per zoom, spread over the city.
        let step = tiles.len().div_ceil(60).max(1);
        let tiles: Vec<TileId> = tiles.into_iter().step_by(step).collect();
        let (mut total, mut worst, mut bytes, mut largest) = (0.0f64, 0.0f64, 0usize, 0usize);
        for &tile in &tiles {
            let t = Instant::now();
            let out = encode(&snap, &Layer::ALL, tile);
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            total += ms;
            worst = worst.max(ms);
            bytes += out.len();
            largest = largest.max(out.len());
        }
        println!(
            "z{z:>2}: {:>3} tiles, mean {:>7.2} ms, max {:>7.2} ms, mean {:>7} B, max {:>7} B",
            tiles.len(),
            total / tiles.len() as f64,
            worst,
            bytes / tiles.len(),
            largest
        );
    }
}
