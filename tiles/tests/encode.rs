//! Tiles of a small hand-built district, decoded twice: by GDAL's MVT driver (the independent
//! reader) and by a decoder written here on the crate's prost messages.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

mod common;

use common::*;
use engine::{Dataset, Feature, Layer, Snapshot};
use geo::{Area, BoundingRect, Validation};
use geo_types::{Geometry, MultiPolygon, Polygon};
use gridatlas_tiles as tiles;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use tiles::proto::GeomType;
use tiles::{encode, encode_with, EncodeOptions, LayerSet, TileId};

fn east() -> TileId {
    TileId::new(14, 12991, 6817).unwrap()
}

/// What the properties of a feature must decode to: the engine's own attributes (stored and
/// derived) that tiles carry, without nulls, lists joined by commas, plus `version`.
fn expected_properties(f: &Feature) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    let carried = tiles::property_names(f.layer());
    for (k, v) in f.properties() {
        if !carried.contains(&k.as_str()) {
            continue;
        }
        match v {
            Value::Null => {}
            Value::Array(items) => {
                let names: Vec<&str> = items.iter().map(|i| i.as_str().unwrap()).collect();
                out.insert(k, Value::from(names.join(",")));
            }
            v => {
                out.insert(k, v);
            }
        }
    }
    out.insert("version".into(), Value::from(f.version()));
    out
}

#[test]
fn composite_tile_holds_every_layer_with_typed_properties() {
    let snap = snapshot();
    let layers = decode(&encode(&snap, &Layer::ALL, home()));
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "streets",
            "communities",
            "grids",
            "compounds",
            "buildings",
            "stations",
            "service_spaces",
            "ways"
        ]
    );
    for l in &layers {
        assert_eq!((l.version, l.extent), (2, 4096), "{}", l.name);
    }
    // Every individual feature carries its id and exactly the engine's properties.
    for l in layers.iter().filter(|l| l.name != "buildings") {
        let layer = Layer::from_name(&l.name).unwrap();
        for f in &l.features {
            let id = f.id.expect("features have their atlas id") as i64;
            let feature = snap.feature(layer, id).unwrap();
            assert_eq!(f.props, expected_properties(&feature), "{} {id}", l.name);
        }
    }
    let compounds = layer(&layers, "compounds");
    assert_eq!(compounds.features.len(), 4);
    let jingui = compounds.by_id(1).unwrap();
    assert_eq!(jingui.props["name"], "金桂小区");
    assert_eq!(jingui.props["three_no"], true);
    assert_eq!(jingui.props["missing_flags"], 3);
    assert!(
        !compounds.by_id(2).unwrap().props.contains_key("grid_code"),
        "null attributes are left out"
    );
    let spaces = layer(&layers, "service_spaces");
    assert_eq!(
        spaces.by_id(1).unwrap().props["services"],
        "meal_help,elderly_care"
    );
    assert_eq!(spaces.by_id(2).unwrap().kind, GeomType::Polygon);
    assert_eq!(
        layer(&layers, "stations").by_id(1).unwrap().props["floor_area"],
        350.5
    );
    // The wire types: whole numbers as int_value, reals as double_value, booleans as bool_value.
    let raw = <tiles::proto::Tile as prost::Message>::decode(
        &encode(&snap, &[Layer::Stations], home())[..],
    )
    .unwrap();
    let values = &raw.layers[0].values;
    assert!(values.iter().any(|v| v.double_value == Some(350.5)));
    assert!(values.iter().any(|v| v.int_value == Some(4)));
    assert!(values
        .iter()
        .all(|v| v.float_value.is_none() && v.uint_value.is_none()));
}

#[test]
fn layer_order_and_repeats_in_the_request_do_not_change_the_tile() {
    let snap = snapshot();
    let a = encode(
        &snap,
        &[Layer::Stations, Layer::Compounds, Layer::Stations],
        home(),
    );
    let b = encode(&snap, &[Layer::Compounds, Layer::Stations], home());
    assert_eq!(a, b);
    let names: Vec<String> = decode(&a).into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["compounds", "stations"]);
}

/// Parses `ogrinfo -so` output into (layer name, feature count, field lines).
fn ogrinfo_summary(path: &str, tile: TileId) -> Vec<(String, usize, Vec<String>)> {
    let opts = tile_options(tile, true);
    let mut args: Vec<&str> = vec!["-ro", "-al", "-so", "-nomd"];
    args.extend(opts.iter().map(String::as_str));
    args.push(path);
    let text = gdal("ogrinfo", &args);
    let mut out: Vec<(String, usize, Vec<String>)> = Vec::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("Layer name: ") {
            out.push((name.to_owned(), 0, Vec::new()));
        } else if let Some(n) = line.strip_prefix("Feature Count: ") {
            out.last_mut().unwrap().1 = n.trim().parse().unwrap();
        } else if let Some(last) = out.last_mut() {
            if line.contains(": ")
                && !line.starts_with(' ')
                && !line.contains("Extent")
                && !line.contains("Geometry")
            {
                last.2.push(line.to_owned());
            }
        }
    }
    out
}

/// One layer of a tile as `GeoJSON` in WGS84, read by GDAL without clipping the buffer.
fn ogr_geojson(path: &str, tile: TileId, layer: &str) -> geojson::FeatureCollection {
    let opts = tile_options(tile, false);
    let mut args: Vec<&str> = vec!["-f", "GeoJSON", "/vsistdout/", "-t_srs", "EPSG:4326"];
    args.extend(opts.iter().map(String::as_str));
    args.extend([path, layer]);
    gdal("ogr2ogr", &args)
        .parse::<geojson::GeoJson>()
        .map(geojson::FeatureCollection::try_from)
        .unwrap()
        .unwrap()
}

fn feature_by_mvt_id(fc: &geojson::FeatureCollection, id: u64) -> &geojson::Feature {
    fc.features
        .iter()
        .find(|f| f.property("mvt_id").and_then(Value::as_u64) == Some(id))
        .unwrap_or_else(|| panic!("feature {id} missing"))
}

#[test]
fn gdal_reads_layers_counts_types_and_chinese_attributes() {
    let snap = snapshot();
    let dir = temp_dir("gdal-home");
    let path = write_tile(&dir, home(), &encode(&snap, &Layer::ALL, home()));
    let path = path.to_str().unwrap();
    let summary = ogrinfo_summary(path, home());
    let counts: Vec<(&str, usize)> = summary.iter().map(|(n, c, _)| (n.as_str(), *c)).collect();
    assert_eq!(
        counts,
        [
            ("streets", 1),
            ("communities", 1),
            ("grids", 2),
            ("compounds", 4),
            ("buildings", 5),
            ("stations", 2),
            ("service_spaces", 2),
            ("ways", 5)
        ]
    );
    let compound_fields = &summary[3].2;
    for expected in [
        "households: Integer",
        "three_no: Integer(Boolean)",
        "name: String",
        "build_year: Integer",
    ] {
        assert!(
            compound_fields.iter().any(|f| f.starts_with(expected)),
            "{expected} in {compound_fields:?}"
        );
    }
    assert!(summary[5]
        .2
        .iter()
        .any(|f| f.starts_with("floor_area: Real")));

    let compounds = ogr_geojson(path, home(), "compounds");
    let jingui = feature_by_mvt_id(&compounds, 1);
    assert_eq!(jingui.property("name"), Some(&json!("金桂小区")));
    assert_eq!(jingui.property("households"), Some(&json!(120)));
    assert_eq!(jingui.property("three_no"), Some(&json!(true)));
    assert_eq!(jingui.property("missing_flags"), Some(&json!(3)));
    assert_eq!(jingui.property("class"), Some(&json!("old")));
    assert_eq!(jingui.property("version"), Some(&json!(3)));
    assert_eq!(
        feature_by_mvt_id(&compounds, 2).property("grid_code"),
        None,
        "null attributes are left out"
    );
    let stations = ogr_geojson(path, home(), "stations");
    let centre = feature_by_mvt_id(&stations, 1);
    assert_eq!(
        centre.property("name"),
        Some(&json!("金桂社区党群服务中心"))
    );
    assert_eq!(centre.property("floor_area"), Some(&json!(350.5)));
    let spaces = ogr_geojson(path, home(), "service_spaces");
    let canteen = feature_by_mvt_id(&spaces, 1);
    assert_eq!(
        canteen.property("services"),
        Some(&json!("meal_help,elderly_care"))
    );
    assert_eq!(
        canteen.property("opening_hours"),
        Some(&json!("07:00-19:00"))
    );
    let communities = ogr_geojson(path, home(), "communities");
    assert_eq!(
        feature_by_mvt_id(&communities, 1).property("name"),
        Some(&json!("金桂社区"))
    );
    let buildings = ogr_geojson(path, home(), "buildings");
    let households: i64 = buildings
        .features
        .iter()
        .map(|f| f.property("households").unwrap().as_i64().unwrap())
        .sum();
    assert_eq!(households, 5 * 24);
}

/// Metres per tile unit at zoom 14 near the fixture, in degrees (with margin for rounding).
const UNIT_DEG_Z14: f64 = 360.0 / (16384.0 * 4096.0);

#[test]
fn gdal_geometries_are_valid_wound_and_in_place() {
    let snap = snapshot();
    let dir = temp_dir("gdal-geometry");
    let path = write_tile(&dir, home(), &encode(&snap, &Layer::ALL, home()));
    let path = path.to_str().unwrap();
    for name in [
        "streets",
        "communities",
        "grids",
        "compounds",
        "service_spaces",
    ] {
        for f in ogr_geojson(path, home(), name).features {
            let g = Geometry::<f64>::try_from(f.geometry.clone().unwrap()).unwrap();
            assert!(
                g.is_valid(),
                "{name} {:?} invalid: {:?}",
                f.property("mvt_id"),
                g.validation_errors()
            );
        }
    }
    // Unclipped features sit where the snapshot has them, to within a tile unit.
    let compounds = ogr_geojson(path, home(), "compounds");
    for id in [1u64, 4] {
        let got =
            Geometry::<f64>::try_from(feature_by_mvt_id(&compounds, id).geometry.clone().unwrap())
                .unwrap();
        let want = snap
            .feature(Layer::Compounds, id as i64)
            .unwrap()
            .geometry();
        let (a, b) = (got.bounding_rect().unwrap(), want.bounding_rect().unwrap());
        for (x, y) in [
            (a.min().x, b.min().x),
            (a.min().y, b.min().y),
            (a.max().x, b.max().x),
            (a.max().y, b.max().y),
        ] {
            assert!((x - y).abs() < UNIT_DEG_Z14, "compound {id}: {x} vs {y}");
        }
        // GDAL found the courtyard of 天井院 as a hole, so the winding was read as the spec says.
        let holes: usize = match &got {
            Geometry::MultiPolygon(m) => m.0.iter().map(|p| p.interiors().len()).sum(),
            Geometry::Polygon(p) => p.interiors().len(),
            _ => panic!("compound is not a polygon"),
        };
        assert_eq!(holes, usize::from(id == 4));
        assert!((got.unsigned_area() - want.unsigned_area()).abs() / want.unsigned_area() < 0.01);
    }
    // The arch cut by the buffer is two valid parts.
    let arch =
        Geometry::<f64>::try_from(feature_by_mvt_id(&compounds, 3).geometry.clone().unwrap())
            .unwrap();
    assert!(
        matches!(&arch, Geometry::MultiPolygon(m) if m.0.len() == 2),
        "{arch:?}"
    );
}

#[test]
fn a_feature_crossing_the_tile_edge_is_in_both_tiles_clipped_to_the_buffer() {
    let snap = snapshot();
    let west = decode(&encode(&snap, &Layer::ALL, home()));
    let east_layers = decode(&encode(&snap, &Layer::ALL, east()));
    // 翠湖苑 spans x 3800..4400 of the home tile, i.e. -296..304 of its east neighbour.
    let w = polygons(layer(&west, "compounds").by_id(2).unwrap());
    let e = polygons(layer(&east_layers, "compounds").by_id(2).unwrap());
    let (wb, eb) = (w.bounding_rect().unwrap(), e.bounding_rect().unwrap());
    assert_eq!(
        (wb.min().x, wb.max().x),
        (3800.0, 4160.0),
        "clipped at the buffer, 64 units past the edge"
    );
    assert_eq!((eb.min().x, eb.max().x), (-64.0, 304.0));
    assert_eq!((wb.min().y, wb.max().y), (eb.min().y, eb.max().y));
    // Inside each tile proper the two pieces add up to the whole compound.
    let inside = |m: &MultiPolygon, from: f64, to: f64| {
        let r = m.bounding_rect().unwrap();
        (r.max().x.min(to) - r.min().x.max(from)) * r.height()
    };
    assert_eq!(
        inside(&w, 0.0, 4096.0) + inside(&e, 0.0, 4096.0),
        600.0 * 600.0
    );
    // A station 6 units west of the edge is in the east tile's buffer too; the building whose
    // centre lies east of the edge is counted only there.
    assert!(layer(&east_layers, "stations").by_id(2).is_some());
    let east_cells = layer(&east_layers, "buildings");
    assert_eq!(east_cells.features.len(), 1);
    assert_eq!(east_cells.features[0].paths[0][0], [4, 1115]);
    // GDAL agrees: the compound is in both tiles.
    let dir = temp_dir("gdal-edge");
    for t in [home(), east()] {
        let path = write_tile(&dir, t, &encode(&snap, &[Layer::Compounds], t));
        let fc = ogr_geojson(path.to_str().unwrap(), t, "compounds");
        assert_eq!(
            feature_by_mvt_id(&fc, 2).property("name"),
            Some(&json!("翠湖苑")),
            "{t}"
        );
    }
}

/// Every polygon of every layer decodes as valid, exteriors first with positive area, holes
/// negative, all within the buffered tile.
fn assert_valid_polygons(bytes: &[u8], what: &str) -> usize {
    let mut n = 0;
    for l in decode(bytes) {
        for f in l.features.iter().filter(|f| f.kind == GeomType::Polygon) {
            let m = polygons(f);
            assert!(
                m.is_valid(),
                "{what}: {} {:?} invalid: {:?}\n{:?}",
                l.name,
                f.id,
                m.validation_errors(),
                f.paths
            );
            for p in f.paths.iter().flatten() {
                assert!(
                    (-64..=4160).contains(&p[0]) && (-64..=4160).contains(&p[1]),
                    "{what}: {p:?} outside the buffer"
                );
            }
            n += 1;
        }
    }
    n
}

/// A seeded star-shaped polygon around `(cx, cy)` in home-tile units, with an optional hole.
fn star(rng: &mut impl Rng, cx: f64, cy: f64, radius: f64, vertices: usize, hole: bool) -> Polygon {
    let pts: Vec<(f64, f64)> = (0..vertices)
        .map(|i| {
            let a = i as f64 / vertices as f64 * std::f64::consts::TAU;
            let r = radius * rng.random_range(0.35..1.0);
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    let holes = if hole {
        let h = radius * 0.2;
        vec![rect(cx - h, cy - h, cx + h, cy + h)]
    } else {
        vec![]
    };
    poly(ring(&pts), holes)
}

#[test]
fn polygons_stay_valid_after_clipping_simplification_and_rounding() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut data = Dataset::default();
    for id in 1..=300 {
        let (cx, cy) = (
            rng.random_range(-2000.0..6000.0),
            rng.random_range(-2000.0..6000.0),
        );
        let radius = [3.0, 30.0, 300.0, 3000.0][id % 4];
        let vertices = rng.random_range(3..120);
        let mut c = compound(
            id as i64,
            &format!("小区{id}"),
            star(&mut rng, cx, cy, radius, vertices, id % 3 == 0),
        );
        c.version = 1;
        data.compounds.push(c);
    }
    let snap = Snapshot::new(1, data);
    let mut checked = 0;
    for z in [13u8, 14, 15, 16, 18, 20] {
        for _ in 0..8 {
            let c = at(
                home(),
                rng.random_range(-2000.0..6000.0),
                rng.random_range(-2000.0..6000.0),
            );
            let t = TileId::containing(c.x, c.y, z).unwrap();
            checked +=
                assert_valid_polygons(&encode(&snap, &[Layer::Compounds], t), &t.to_string());
        }
    }
    assert!(checked > 300, "only {checked} polygons checked");
}

#[test]
fn a_deep_zoom_tile_keeps_footprints_to_the_unit() {
    let snap = snapshot();
    // Building 1 spans home-tile units 250..290 × 300..330; at zoom 19 a home unit is 32 units
    // and the tile holding its centre starts at home unit 256 × 256, so the footprint runs from
    // -192 (clipped to the buffer at -64) to 1088 across and from 1408 to 2368 down.
    let t = TileId::containing(at(home(), 270.0, 315.0).x, at(home(), 270.0, 315.0).y, 19).unwrap();
    assert_eq!((t.x(), t.y()), (home().x() * 32 + 2, home().y() * 32 + 2));
    let layers = decode(&encode(&snap, &Layer::ALL, t));
    let b = layer(&layers, "buildings")
        .by_id(1)
        .expect("individual buildings from zoom 15");
    assert_eq!(b.props["name"], "1栋1号楼");
    assert_eq!(b.props["scattered"], false);
    let m = polygons(b);
    assert!(m.is_valid());
    let r = m.bounding_rect().unwrap();
    assert_eq!((r.min().x, r.max().x), (-64.0, 1088.0));
    assert!(
        (r.min().y - 1408.0).abs() <= 1.0 && (r.max().y - 2368.0).abs() <= 1.0,
        "{r:?}"
    );
    // Every layer whose zoom range covers 19 and has data there is present.
    let names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["streets", "communities", "grids", "compounds", "buildings"]
    );
    let dir = temp_dir("gdal-deep");
    let path = write_tile(&dir, t, &encode(&snap, &Layer::ALL, t));
    let fc = ogr_geojson(path.to_str().unwrap(), t, "buildings");
    assert_eq!(
        feature_by_mvt_id(&fc, 1).property("floors"),
        Some(&json!(6))
    );
}

#[test]
fn an_empty_tile_is_a_valid_tile_without_layers() {
    let snap = snapshot();
    let far = TileId::new(14, 100, 100).unwrap();
    let bytes = encode(&snap, &Layer::ALL, far);
    assert!(bytes.is_empty());
    assert!(decode(&bytes).is_empty());
    let empty = Snapshot::new(1, Dataset::default());
    assert!(encode(&empty, &Layer::ALL, home()).is_empty());
    assert!(encode(&snap, &[], home()).is_empty());
    // A tile with one point is the smallest non-empty tile GDAL must also read.
    let dir = temp_dir("gdal-small");
    let path = write_tile(&dir, home(), &encode(&snap, &[Layer::Stations], home()));
    assert_eq!(ogrinfo_summary(path.to_str().unwrap(), home()).len(), 1);
}

#[test]
fn zoom_rules_decide_the_layers_and_buildings_aggregate_below_15() {
    let snap = snapshot();
    let names_at = |t: TileId| -> Vec<String> {
        decode(&encode(&snap, &Layer::ALL, t))
            .into_iter()
            .map(|l| l.name)
            .collect()
    };
    let p = home().parent(); // 13
    assert_eq!(
        names_at(TileId::new(9, home().x() >> 5, home().y() >> 5).unwrap()),
        ["streets"]
    );
    assert_eq!(
        names_at(p.parent().parent().parent()),
        ["streets", "communities"]
    ); // 10
    assert_eq!(
        names_at(p.parent()),
        [
            "streets",
            "communities",
            "grids",
            "buildings",
            "stations",
            "service_spaces",
            "ways"
        ]
    ); // 12
    assert_eq!(
        names_at(p),
        [
            "streets",
            "communities",
            "grids",
            "compounds",
            "buildings",
            "stations",
            "service_spaces",
            "ways"
        ]
    );
    // Cells: every building counted once at each aggregated zoom.
    for z in [12u8, 13, 14] {
        let shift = 14 - z;
        let t = TileId::new(z, home().x() >> shift, home().y() >> shift).unwrap();
        let mut count = 0;
        for dx in 0..2 {
            let n = TileId::new(z, t.x() + dx, t.y()).unwrap();
            for f in &layer_or_empty(&encode(&snap, &[Layer::Buildings], n), "buildings") {
                assert_eq!(f.id, None);
                assert_eq!(f.props.keys().collect::<Vec<_>>(), ["count", "households"]);
                count += f.props["count"].as_i64().unwrap();
            }
        }
        assert_eq!(count, 6, "zoom {z}");
    }
    // Individual buildings from zoom 15: polygons and the scattered point.
    let z15: Vec<Decoded> = (0..2)
        .flat_map(|dx| {
            layer_or_empty(
                &encode(
                    &snap,
                    &[Layer::Buildings],
                    TileId::new(15, home().x() * 2 + dx, home().y() * 2).unwrap(),
                ),
                "buildings",
            )
        })
        .collect();
    assert!(z15
        .iter()
        .any(|f| f.id == Some(5) && f.kind == GeomType::Point && f.props["scattered"] == true));
    assert!(z15
        .iter()
        .all(|f| f.id.is_some() && !f.props.contains_key("count")));
}

fn layer_or_empty(bytes: &[u8], name: &str) -> Vec<Decoded> {
    decode(bytes)
        .into_iter()
        .find(|l| l.name == name)
        .map(|l| l.features)
        .unwrap_or_default()
}

#[test]
fn an_oversized_tile_is_simplified_then_trimmed_to_the_budget() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let mut data = Dataset::default();
    for id in 1..=200 {
        let (cx, cy) = (
            rng.random_range(100.0..4000.0),
            rng.random_range(100.0..4000.0),
        );
        let radius = if id == 1 {
            1500.0
        } else {
            rng.random_range(5.0..60.0)
        };
        data.compounds.push(compound(
            id,
            &format!("小区{id}"),
            star(&mut rng, cx, cy, radius, 100, false),
        ));
    }
    let snap = Snapshot::new(1, data);
    let full = encode(&snap, &[Layer::Compounds], home());
    let budget = full.len() / 4;
    let trimmed = encode_with(
        &snap,
        LayerSet::single(Layer::Compounds),
        home(),
        &EncodeOptions { max_bytes: budget },
    );
    assert!(trimmed.len() <= budget, "{} > {budget}", trimmed.len());
    let layers = decode(&trimmed);
    let kept = &layer(&layers, "compounds").features;
    assert!(!kept.is_empty() && kept.len() < 200);
    assert!(
        kept.iter().any(|f| f.id == Some(1)),
        "the largest compound is kept"
    );
    assert_valid_polygons(&trimmed, "trimmed");
    // Within the default budget nothing changes.
    assert_eq!(
        encode_with(
            &snap,
            LayerSet::single(Layer::Compounds),
            home(),
            &EncodeOptions::default()
        ),
        full
    );
}

#[test]
fn large_rings_are_simplified_by_about_a_unit_at_each_zoom() {
    // A circle of 5000 vertices (radius 1000 home-tile units).
    let pts: Vec<(f64, f64)> = (0..5000)
        .map(|i| {
            let a = f64::from(i) / 5000.0 * std::f64::consts::TAU;
            (2000.0 + 1000.0 * a.cos(), 2000.0 + 1000.0 * a.sin())
        })
        .collect();
    let mut data = Dataset::default();
    data.compounds
        .push(compound(1, "圆形小区", poly(ring(&pts), vec![])));
    let snap = Snapshot::new(1, data);
    let vertices = |t: TileId| -> usize {
        layer_or_empty(&encode(&snap, &[Layer::Compounds], t), "compounds")[0].paths[0].len()
    };
    let (z13, z14) = (vertices(home().parent()), vertices(home()));
    assert!(z13 < z14 && z14 < 400, "z13 {z13}, z14 {z14}");
    let zoomed = TileId::containing(
        at(home(), 2000.0, 1000.0).x,
        at(home(), 2000.0, 1000.0).y,
        18,
    )
    .unwrap();
    assert_valid_polygons(&encode(&snap, &[Layer::Compounds], zoomed), "z18 arc");
}

#[test]
fn bad_tile_addresses_are_refused_with_the_value_named() {
    for (z, x, y, needle) in [
        (23u8, 0u32, 0u32, "zoom 23"),
        (14, 16384, 0, "x=16384"),
        (14, 0, 99_999, "y=99999"),
        (0, 1, 0, "x=1"),
    ] {
        let e = TileId::new(z, x, y).unwrap_err();
        assert!(e.to_string().contains(needle), "{e}");
    }
}

#[test]
fn data_bounds_cover_the_district() {
    let snap = snapshot();
    let b = tiles::data_bounds(&snap).unwrap();
    let street = snap.data.streets[0].geometry.bounding_rect().unwrap();
    assert_eq!(
        b,
        [
            street.min().x,
            street.min().y,
            street.max().x,
            street.max().y
        ]
    );
    assert_eq!(
        tiles::data_bounds(&Snapshot::new(1, Dataset::default())),
        None
    );
}

fn way_paths(ways: &[Decoded], id: u64) -> Vec<Vec<[i64; 2]>> {
    let f = ways
        .iter()
        .find(|f| f.id == Some(id))
        .unwrap_or_else(|| panic!("way {id} missing"));
    assert_eq!(f.kind, GeomType::Linestring, "way {id}");
    f.paths.clone()
}

#[test]
fn ways_are_lines_cut_at_the_buffer_into_parts() {
    let snap = snapshot();
    let ways = layer_or_empty(&encode(&snap, &[Layer::Ways], home()), "ways");
    let mut ids: Vec<u64> = ways.iter().filter_map(|f| f.id).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [1, 2, 3, 4, 6],
        "the motorway passes outside the corner"
    );
    assert_eq!(
        way_paths(&ways, 1),
        [vec![[300, 400], [700, 400], [700, 650]]]
    );
    // Crossing the east edge: cut 64 units past it, in this tile and its neighbour.
    assert_eq!(
        way_paths(&ways, 2),
        [vec![[2500, 1800], [3500, 1800], [4160, 1833]]]
    );
    let east_ways = layer_or_empty(&encode(&snap, &[Layer::Ways], east()), "ways");
    assert_eq!(way_paths(&east_ways, 2), [vec![[-64, 1827], [1404, 1900]]]);
    // Out across the south edge and back in: two parts, each ending on the buffer.
    assert_eq!(
        way_paths(&ways, 3),
        [
            vec![[2000, 4000], [2000, 4160]],
            vec![[2400, 4160], [2400, 4000]]
        ]
    );
    // A multi-part way: one MoveTo run per part.
    assert_eq!(
        way_paths(&ways, 6),
        [
            vec![[3000, 3000], [3000, 3100]],
            vec![[3050, 3000], [3050, 3100]]
        ]
    );
    // The motorway is in the tile whose corner it does cross.
    let nw = TileId::new(14, home().x() - 1, home().y() - 1).unwrap();
    let nw_ways = layer_or_empty(&encode(&snap, &[Layer::Ways], nw), "ways");
    assert_eq!(way_paths(&nw_ways, 5), [vec![[3632, 4160], [4160, 3632]]]);
    // Properties: the engine's, `walkable` derived, `no_walking` and `osm_way` left out.
    for f in ways.iter().chain(&nw_ways) {
        let id = f.id.unwrap() as i64;
        let feature = snap.feature(Layer::Ways, id).unwrap();
        assert_eq!(f.props, expected_properties(&feature), "way {id}");
        assert!(!f.props.contains_key("no_walking") && !f.props.contains_key("osm_way"));
    }
    let by_id = |ways: &[Decoded], id: u64| ways.iter().find(|f| f.id == Some(id)).cloned();
    let path = by_id(&ways, 1).unwrap().props;
    assert_eq!(
        (path["kind"].clone(), path["compound_id"].clone()),
        (json!("footway"), json!(1))
    );
    assert!(!path.contains_key("name"), "null attributes are left out");
    assert_eq!(by_id(&ways, 6).unwrap().props["walkable"], false);
    assert_eq!(by_id(&ways, 6).unwrap().props["tunnel"], true);
    assert_eq!(by_id(&nw_ways, 5).unwrap().props["walkable"], false);
    assert_eq!(by_id(&ways, 2).unwrap().props["walkable"], true);
}

#[test]
fn gdal_reads_ways_as_lines_in_place_with_their_properties() {
    let snap = snapshot();
    let dir = temp_dir("gdal-ways");
    let path = write_tile(&dir, home(), &encode(&snap, &Layer::ALL, home()));
    let path = path.to_str().unwrap();
    let fc = ogr_geojson(path, home(), "ways");
    assert_eq!(fc.features.len(), 5);
    // Unclipped ways sit where the snapshot has them, vertex by vertex, to within a unit.
    for id in [1u64, 2, 4, 6] {
        let got = Geometry::<f64>::try_from(feature_by_mvt_id(&fc, id).geometry.clone().unwrap())
            .unwrap();
        let want = snap.data.ways.iter().find(|w| w.id == id as i64).unwrap();
        let parts: Vec<Vec<(f64, f64)>> = match &got {
            Geometry::LineString(l) => vec![l.0.iter().map(|c| (c.x, c.y)).collect()],
            Geometry::MultiLineString(m) => {
                m.0.iter()
                    .map(|l| l.0.iter().map(|c| (c.x, c.y)).collect())
                    .collect()
            }
            other => panic!("way {id} is not a line: {other:?}"),
        };
        assert_eq!(parts.len(), want.geometry.0.len(), "way {id}");
        if id == 2 {
            // Cut at the buffer: its first two vertices are the snapshot's.
            let w = &want.geometry.0[0].0;
            for (g, c) in parts[0].iter().zip(&w[..2]) {
                assert!((g.0 - c.x).abs() < UNIT_DEG_Z14 && (g.1 - c.y).abs() < UNIT_DEG_Z14);
            }
            assert!(parts[0][2].0 > w[1].x && parts[0][2].0 < w[2].x);
            continue;
        }
        for (g, w) in parts.iter().zip(&want.geometry.0) {
            assert_eq!(g.len(), w.0.len(), "way {id}");
            for (g, c) in g.iter().zip(&w.0) {
                assert!(
                    (g.0 - c.x).abs() < UNIT_DEG_Z14 && (g.1 - c.y).abs() < UNIT_DEG_Z14,
                    "way {id}: {g:?} vs {c:?}"
                );
            }
        }
    }
    let lane =
        Geometry::<f64>::try_from(feature_by_mvt_id(&fc, 3).geometry.clone().unwrap()).unwrap();
    assert!(
        matches!(&lane, Geometry::MultiLineString(m) if m.0.len() == 2),
        "{lane:?}"
    );
    let road = feature_by_mvt_id(&fc, 2);
    assert_eq!(road.property("name"), Some(&json!("蓝田路")));
    assert_eq!(road.property("kind"), Some(&json!("secondary")));
    assert_eq!(road.property("walkable"), Some(&json!(true)));
    assert_eq!(road.property("bridge"), Some(&json!(false)));
    assert_eq!(road.property("street_code"), Some(&json!(STREET)));
    assert_eq!(road.property("version"), Some(&json!(3)));
    assert_eq!(road.property("osm_way"), None);
    let underpass = feature_by_mvt_id(&fc, 6);
    assert_eq!(underpass.property("walkable"), Some(&json!(false)));
    assert_eq!(underpass.property("tunnel"), Some(&json!(true)));
    assert_eq!(
        feature_by_mvt_id(&fc, 4).property("name"),
        Some(&json!("人行天桥"))
    );
}

#[test]
fn below_z14_the_ways_are_the_major_roads_and_bridges_alone_simplified_at_their_zoom() {
    let snap = snapshot();
    let at_z14 = layer_or_empty(&encode(&snap, &[Layer::Ways], home()), "ways");
    for z in [11u8, 12, 13] {
        let shift = 14 - z;
        let t = TileId::new(z, home().x() >> shift, home().y() >> shift).unwrap();
        let ways = layer_or_empty(&encode(&snap, &Layer::ALL, t), "ways");
        let mut ids: Vec<u64> = ways.iter().filter_map(|f| f.id).collect();
        ids.sort_unstable();
        assert_eq!(ids, [2, 4, 5], "secondary, bridge, motorway at zoom {z}");
        for f in &ways {
            assert_eq!(f.kind, GeomType::Linestring);
            if let Some(same) = at_z14.iter().find(|g| g.id == f.id) {
                assert_eq!(f.props, same.props, "the same properties at zoom {z}");
            }
        }
    }
    let z10 = TileId::new(10, home().x() >> 4, home().y() >> 4).unwrap();
    assert!(layer_or_empty(&encode(&snap, &Layer::ALL, z10), "ways").is_empty());
    // A winding secondary road: its bends of 1.5 home units vanish where a unit is larger.
    let winding: Vec<(f64, f64)> = (0..2000)
        .map(|i| {
            let x = 100.0 + f64::from(i) * 2.0;
            (x, 1000.0 + 1.5 * (x / 20.0).sin())
        })
        .collect();
    let mut data = Dataset::default();
    data.ways
        .push(way(1, engine::WayKind::Secondary, vec![line(&winding)]));
    let snap = Snapshot::new(1, data);
    let vertices = |z: u8| -> usize {
        let shift = 14 - z;
        let t = TileId::new(z, home().x() >> shift, home().y() >> shift).unwrap();
        layer_or_empty(&encode(&snap, &[Layer::Ways], t), "ways")[0].paths[0].len()
    };
    let counts: Vec<usize> = [11u8, 12, 13, 14].into_iter().map(vertices).collect();
    assert!(
        counts[0] == 2
            && counts[1] == 2
            && counts[1] < counts[2]
            && counts[2] <= counts[3]
            && counts[3] < 200,
        "{counts:?}"
    );
}
