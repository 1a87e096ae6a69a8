//! The benchmark's instances: square lattices, polygon sets of the synthetic city (tessellated
//! within their communities), single communities, and the demo district's communities.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use geo::{BooleanOps, Centroid};
use geo_types::MultiPolygon;
use gridatlas_engine::planning::{
    CapClass, Caps, Catalog, PlanningContext, TessellationOptions, UnitGraph,
};
use gridatlas_engine::Compound;
use rand::{Rng, SeedableRng};

pub struct Instance {
    pub name: String,
    pub graph: UnitGraph,
    pub households: Vec<i64>,
    pub classes: Vec<CapClass>,
    /// Representative points (lon/lat for polygon sets, lattice coordinates otherwise).
    pub points: Vec<(f64, f64)>,
    /// Seconds spent tessellating (polygon sets).
    pub tessellation_s: Option<f64>,
}

pub fn lattice(side: usize, seed: u64) -> Instance {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = side * side;
    let households = (0..n).map(|_| rng.random_range(8..=40)).collect();
    let classes = (0..n)
        .map(|_| {
            if rng.random_bool(0.7) {
                CapClass::Old
            } else {
                CapClass::New
            }
        })
        .collect();
    Instance {
        name: format!("lattice_{n}"),
        graph: UnitGraph::lattice(side, side),
        households,
        classes,
        points: (0..n)
            .map(|i| ((i % side) as f64, (i / side) as f64))
            .collect(),
        tessellation_s: None,
    }
}

/// Compounds of a synthetic city, community by community, until exactly `target` units (a
/// compound above the cap counts its buildings; the last one may contribute only some).
pub fn polygon_set(city: &gridatlas_engine::Dataset, target: usize, caps: Caps) -> Instance {
    let scale_over =
        |c: &Compound| c.households as f64 / f64::from(caps.cap(CapClass::of(c.class))) > 1.0;
    let mut compounds: Vec<Compound> = Vec::new();
    let mut split = BTreeSet::new();
    let mut keep_buildings: Vec<i64> = Vec::new();
    let mut communities: BTreeSet<String> = BTreeSet::new();
    let mut units = 0usize;
    let mut by_compound: std::collections::HashMap<i64, Vec<i64>> =
        std::collections::HashMap::new();
    for b in &city.buildings {
        if let Some(c) = b.compound_id {
            by_compound.entry(c).or_default().push(b.id);
        }
    }
    for c in &city.compounds {
        if units == target {
            break;
        }
        let buildings: Vec<i64> = by_compound.get(&c.id).cloned().unwrap_or_default();
        let over = scale_over(c) && !buildings.is_empty();
        let contributes = if over { buildings.len() } else { 1 };
        if units + contributes <= target {
            units += contributes;
            keep_buildings.extend(&buildings);
        } else if over {
            let take = target - units;
            units += take;
            keep_buildings.extend(&buildings[..take]);
        } else {
            continue;
        }
        if over {
            split.insert(c.id);
        }
        communities.insert(c.community_code.to_string());
        compounds.push(c.clone());
    }
    let keep: BTreeSet<i64> = keep_buildings.into_iter().collect();
    let buildings = city
        .buildings
        .iter()
        .filter(|b| keep.contains(&b.id))
        .cloned()
        .collect();
    let boundary = city
        .communities
        .iter()
        .filter(|c| communities.contains(&c.code))
        .fold(MultiPolygon(vec![]), |acc, c| acc.union(&c.geometry));
    let catalog = Arc::new(Catalog::new(
        "bench",
        "bench",
        boundary,
        vec![],
        compounds,
        buildings,
    ));
    let t = Instant::now();
    let ctx =
        PlanningContext::new(catalog, &split, TessellationOptions::default()).expect("context");
    let tessellation_s = t.elapsed().as_secs_f64();
    assert_eq!(ctx.units.len(), target, "instance size");
    Instance {
        name: format!("polygons_{target}"),
        graph: ctx.graph().clone(),
        households: ctx.units.iter().map(|u| u.households).collect(),
        classes: ctx.units.iter().map(|u| u.class).collect(),
        points: ctx
            .units
            .iter()
            .map(|u| {
                let p = u.geometry.centroid().unwrap_or(u.centroid);
                (p.x(), p.y())
            })
            .collect(),
        tessellation_s: Some(tessellation_s),
    }
}

/// A square lattice of compound-sized units: compounds of 20–300 households (70 % old, cap 150;
/// 30 % new, cap 300) laid out cell by cell; a compound above its cap is split along its
/// buildings (40–90 households each) over a block of adjacent cells, as the partition splits
/// it, so its buildings' cells stay together.
// Lattice notation: n cells, c a cell, x and y its coordinates, d a neighbour, h households.
#[allow(clippy::many_single_char_names)]
pub fn compound_lattice(side: usize, seed: u64, caps: Caps) -> Instance {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let n = side * side;
    let mut households = vec![0i64; n];
    let mut classes = vec![CapClass::Old; n];
    let mut taken = vec![false; n];
    for start in 0..n {
        if taken[start] {
            continue;
        }
        let class = if rng.random_bool(0.7) {
            CapClass::Old
        } else {
            CapClass::New
        };
        let total: i64 = rng.random_range(20..=300);
        let cap = i64::from(caps.cap(class));
        let wanted = if total <= cap {
            1
        } else {
            (total as f64 / rng.random_range(40.0..90.0)).ceil() as usize
        };
        // The compound's block: breadth-first over free cells from `start`.
        let mut cells = vec![start];
        taken[start] = true;
        let mut i = 0;
        while i < cells.len() && cells.len() < wanted {
            let c = cells[i];
            i += 1;
            let (x, y) = (c % side, c / side);
            let around = [
                (x + 1 < side).then(|| c + 1),
                (y + 1 < side).then(|| c + side),
                (x > 0).then(|| c - 1),
                (y > 0).then(|| c - side),
            ];
            for d in around.into_iter().flatten() {
                if !taken[d] && cells.len() < wanted {
                    taken[d] = true;
                    cells.push(d);
                }
            }
        }
        let total = if cells.len() == 1 {
            total.min(cap)
        } else {
            total
        };
        let shares: Vec<f64> = cells.iter().map(|_| rng.random_range(0.5..1.5)).collect();
        let sum: f64 = shares.iter().sum();
        let mut left = total;
        for (k, (&c, s)) in cells.iter().zip(&shares).enumerate() {
            let h = if k + 1 == cells.len() {
                left
            } else {
                ((total as f64 * s / sum).round() as i64).clamp(1, left - 1)
            };
            left -= h;
            households[c] = h.min(cap);
            classes[c] = class;
        }
    }
    Instance {
        name: format!("compounds_lattice_{n}"),
        graph: UnitGraph::lattice(side, side),
        households,
        classes,
        points: (0..n)
            .map(|i| ((i % side) as f64, (i / side) as f64))
            .collect(),
        tessellation_s: None,
    }
}

/// An instance from a planning context's units.
fn from_context(name: String, ctx: &PlanningContext, tessellation_s: f64) -> Instance {
    Instance {
        name,
        graph: ctx.graph().clone(),
        households: ctx.units.iter().map(|u| u.households).collect(),
        classes: ctx.units.iter().map(|u| u.class).collect(),
        points: ctx
            .units
            .iter()
            .map(|u| {
                let p = u.geometry.centroid().unwrap_or(u.centroid);
                (p.x(), p.y())
            })
            .collect(),
        tessellation_s: Some(tessellation_s),
    }
}

/// The compounds of `catalog` above their cap (with buildings to split along).
fn over_cap(catalog: &Catalog, caps: Caps) -> BTreeSet<i64> {
    catalog
        .compounds
        .iter()
        .filter(|c| caps.load(c.households, CapClass::of(c.class)) > 1.0)
        .filter(|c| catalog.buildings_of(c.id).next().is_some())
        .map(|c| c.id)
        .collect()
}

/// Single communities of the synthetic city as they would be planned: their compounds, those
/// above the cap split along their buildings, tessellated within the community's boundary;
/// the first `count` (in code order) with `units` planning units.
pub fn communities(
    city: &gridatlas_engine::Dataset,
    units: std::ops::RangeInclusive<usize>,
    count: usize,
    caps: Caps,
) -> Vec<Instance> {
    let mut by_community: BTreeMap<&str, Vec<&Compound>> = BTreeMap::new();
    for c in &city.compounds {
        by_community.entry(&c.community_code).or_default().push(c);
    }
    let mut out = Vec::new();
    for community in &city.communities {
        if out.len() == count {
            break;
        }
        let Some(compounds) = by_community.get(community.code.as_str()) else {
            continue;
        };
        let ids: BTreeSet<i64> = compounds.iter().map(|c| c.id).collect();
        let buildings = city
            .buildings
            .iter()
            .filter(|b| b.compound_id.is_some_and(|c| ids.contains(&c)))
            .cloned()
            .collect();
        let catalog = Arc::new(Catalog::new(
            &community.code,
            &community.name,
            community.geometry.clone(),
            vec![],
            compounds.iter().map(|&c| c.clone()).collect(),
            buildings,
        ));
        let split = over_cap(&catalog, caps);
        let planned = catalog.compounds.len() - split.len()
            + split
                .iter()
                .map(|&c| catalog.buildings_of(c).count())
                .sum::<usize>();
        if !units.contains(&planned) {
            continue;
        }
        let t = Instant::now();
        let Ok(ctx) = PlanningContext::new(catalog, &split, TessellationOptions::default()) else {
            continue;
        };
        let secs = t.elapsed().as_secs_f64();
        let name = format!("community_{}", &community.code[community.code.len() - 4..]);
        out.push(from_context(name, &ctx, secs));
    }
    out
}

/// A community of the demo district, its compounds above the cap split along their buildings.
pub fn demo(code: &str, name: &str, caps: Caps) -> Instance {
    let snapshot = gridatlas_engine::Snapshot::new(1, data::demo_district());
    let catalog = Arc::new(Catalog::from_snapshot(&snapshot, code).expect("catalog"));
    let split = over_cap(&catalog, caps);
    let t = Instant::now();
    let ctx =
        PlanningContext::new(catalog, &split, TessellationOptions::default()).expect("context");
    let secs = t.elapsed().as_secs_f64();
    from_context(format!("demo_{name}"), &ctx, secs)
}
