//! Automatic partition and joint-management clusters: the demo's communities, hand-made edge
//! cases, and random lattices checked against brute force with fixed seeds.

// Graph and geometry notation: u, v units; a, b, p, q grids or points; w loads.
#![allow(clippy::many_single_char_names)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use gridatlas_engine::crs::LocalFrame;
use gridatlas_engine::planning::{
    auto_partition, check_plan, joint_management_clusters, max_p_regions, partition_graph, Catalog,
    ClusterOptions, CurrentAssignment, MaxPParams, PartitionOptions, PartitionParams,
    PartitionScope, Plan, PlanningContext, RuleOptions, TessellationOptions, UnitGraph, UnitKind,
    UnitRef, Violation,
};
use gridatlas_engine::{Compound, CompoundClass, Grid, PropertyManagement, Snapshot};
use rand::{Rng, SeedableRng};

fn demo(code: &str) -> (Arc<Catalog>, Plan, Arc<PlanningContext>) {
    let snapshot = Snapshot::new(1, data::demo_district());
    let catalog = Arc::new(Catalog::from_snapshot(&snapshot, code).expect("catalog"));
    let plan = Plan::current(&catalog);
    let ctx = Arc::new(
        PlanningContext::new(
            Arc::clone(&catalog),
            &plan.split_compounds,
            TessellationOptions::default(),
        )
        .expect("context"),
    );
    (catalog, plan, ctx)
}

/// Every unit in exactly one grid, every grid within the caps and contiguous.
fn assert_valid(ctx: &PlanningContext, plan: &Plan) {
    let report = check_plan(ctx, plan, &RuleOptions::default()).expect("report");
    let errors: Vec<String> = report
        .violations
        .iter()
        .filter(|v| v.severity() == gridatlas_engine::planning::Severity::Error)
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(report
        .grids
        .iter()
        .all(|g| g.load <= 1.0 + 1e-12 && g.contiguous && g.polygon_parts == 1));
    let mut seen = BTreeSet::new();
    for g in &plan.grids {
        for u in &g.units {
            assert!(seen.insert(*u), "{u} twice");
        }
    }
    assert_eq!(seen.len(), ctx.units.len());
}

#[test]
fn longnan_is_redrawn_within_the_caps_with_the_bound_and_gap_reported() {
    let (catalog, current, ctx) = demo(data::LONGNAN_COMMUNITY);
    let out = auto_partition(&ctx, &current, &PartitionOptions::default()).expect("partition");
    let r = &out.result;
    assert_valid(&out.context, &r.plan);
    assert_eq!(r.lower_bound, 21);
    assert_eq!(r.grids, r.plan.grids.len());
    assert_eq!(r.gap, r.grids - r.lower_bound);
    assert!(r.gap <= 2, "{} grids for a bound of 21", r.grids);
    assert!(r.infeasible.is_empty());
    // The compounds above the cap (巴士天福苑 268, 聚福苑 236, … households) are split along
    // their buildings, and every building of theirs is in exactly one grid.
    let split: BTreeSet<i64> = r.split_compounds.iter().map(|s| s.compound).collect();
    let over: BTreeSet<i64> = catalog
        .compounds
        .iter()
        .filter(|c| c.households > 150)
        .map(|c| c.id)
        .collect();
    assert_eq!(split, over);
    assert_eq!(r.plan.split_compounds, over);
    for &c in &over {
        for b in catalog.buildings_of(c) {
            assert_eq!(r.plan.grids_of(UnitRef::Building(b.id)).len(), 1);
        }
        assert!(r.plan.grids_of(UnitRef::Compound(c)).is_empty());
    }
    assert!(out
        .context
        .units
        .iter()
        .any(|u| u.kind == UnitKind::CompoundBuilding));
    // The four current grids keep their codes (matched by overlap); the rest are new.
    for g in &current.grids {
        assert!(r.plan.grid(&g.code).is_some(), "{} kept", g.code);
    }
    assert_eq!(r.diff.grids_added.len(), r.grids - 4);
    assert!(r.diff.compounds_split.len() == over.len());
    // New grids get ⌈load⌉ workers.
    let report = check_plan(&out.context, &r.plan, &RuleOptions::default()).expect("report");
    assert!(report
        .grids
        .iter()
        .filter(|g| r.diff.grids_added.contains(&g.code))
        .all(|g| g.workers == 1));
    // Deterministic.
    let again = auto_partition(&ctx, &current, &PartitionOptions::default()).expect("partition");
    assert_eq!(again.result.plan, r.plan);
}

#[test]
fn aoti_keeps_its_locked_grid_and_its_plan_within_the_rule() {
    let (_, current, ctx) = demo(data::AOTI_COMMUNITY);
    let locked = current
        .grids
        .iter()
        .find(|g| g.locked)
        .expect("a locked grid")
        .clone();
    let out = auto_partition(&ctx, &current, &PartitionOptions::default()).expect("partition");
    let r = &out.result;
    assert_valid(&out.context, &r.plan);
    assert_eq!(
        r.plan.grid(&locked.code),
        Some(&locked),
        "locked grid untouched"
    );
    assert_eq!(r.locked_grids, vec![locked.code.clone()]);
    assert_eq!(r.units, ctx.units.len() - locked.units.len());
    assert_eq!(r.gap, 0, "{} grids, bound {}", r.grids, r.lower_bound);
    assert_eq!(
        r.households_moved, 0,
        "the current plan is already optimal: {:?}",
        r.diff
    );
    assert!(r.diff.is_empty());
    // An empty grid in the draft is dropped.
    let mut draft = current.clone();
    let empty = draft.create_grid(None, None).expect("create");
    let out = auto_partition(&ctx, &draft, &PartitionOptions::default()).expect("partition");
    assert!(out.result.plan.grid(&empty).is_none());
    assert_eq!(out.result.diff.grids_removed, vec![empty]);
    assert_eq!(out.result.households_moved, 0);
}

#[test]
fn a_scope_redraws_only_its_grids() {
    let (_, current, ctx) = demo(data::LONGNAN_COMMUNITY);
    let target = current.grids[1].code.clone();
    let opts = PartitionOptions {
        scope: PartitionScope::Grids(vec![target.clone()]),
        ..PartitionOptions::default()
    };
    let out = auto_partition(&ctx, &current, &opts).expect("partition");
    for g in current.grids.iter().filter(|g| g.code != target) {
        assert_eq!(
            out.result.plan.grid(&g.code).map(|x| &x.units),
            Some(&g.units),
            "{} kept",
            g.code
        );
    }
    assert_eq!(out.result.kept_grids.len(), 3);
    let report =
        check_plan(&out.context, &out.result.plan, &RuleOptions::default()).expect("report");
    let redrawn: Vec<_> = report
        .grids
        .iter()
        .filter(|g| g.code == target || out.result.diff.grids_added.contains(&g.code))
        .collect();
    assert_eq!(redrawn.len(), out.result.grids);
    assert!(redrawn.iter().all(|g| g.within_cap && g.contiguous));
    let json = serde_json::to_string(&opts).expect("options serialize");
    assert_eq!(
        serde_json::from_str::<PartitionOptions>(&json).expect("parse"),
        opts
    );
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    let f = LocalFrame::new(Coord {
        x: 105.44,
        y: 28.90,
    });
    let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        .iter()
        .map(|&(x, y)| f.to_lonlat(Coord { x, y }))
        .collect();
    Polygon::new(LineString(ring), vec![])
}

#[test]
fn a_compound_above_the_cap_without_buildings_is_reported_infeasible() {
    let code = "510504999002";
    let compound = |id: i64, households: i64, x: f64| Compound {
        id,
        version: 1,
        name: format!("小区{id}"),
        community_code: code.into(),
        grid_code: Some(format!("{code}001").into()),
        households,
        population: 3 * households,
        elderly: households / 3,
        build_year: Some(1995),
        class: CompoundClass::Old,
        property_management: PropertyManagement::None,
        owners_committee: false,
        competent_unit: false,
        geometry: rect(x, 10.0, x + 40.0, 50.0),
    };
    let grid = Grid {
        id: 1,
        version: 1,
        code: format!("{code}001"),
        name: "第1网格".into(),
        community_code: code.into(),
        workers: 1,
        locked: false,
        geometry: rect(0.0, 0.0, 180.0, 60.0),
    };
    let catalog = Arc::new(Catalog::new(
        code,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 180.0, 60.0)]),
        vec![grid],
        vec![
            compound(1, 400, 10.0),
            compound(2, 60, 70.0),
            compound(3, 70, 130.0),
        ],
        vec![],
    ));
    let current = Plan::current(&catalog);
    let ctx = Arc::new(
        PlanningContext::new(
            Arc::clone(&catalog),
            &BTreeSet::new(),
            TessellationOptions::default(),
        )
        .expect("ctx"),
    );
    let out = auto_partition(&ctx, &current, &PartitionOptions::default()).expect("partition");
    let r = &out.result;
    assert_eq!(r.infeasible.len(), 1);
    assert_eq!(r.infeasible[0].unit, UnitRef::Compound(1));
    assert!(
        r.infeasible[0].reason.contains("no buildings"),
        "{}",
        r.infeasible[0].reason
    );
    assert_eq!(
        r.grids, 2,
        "the infeasible compound alone, the other two together"
    );
    assert_eq!(r.lower_bound, 2);
    let alone = r.plan.grids_of(UnitRef::Compound(1));
    assert_eq!(r.plan.grid(alone[0]).expect("grid").units.len(), 1);
    let report = check_plan(&out.context, &r.plan, &RuleOptions::default()).expect("report");
    assert_eq!(
        report
            .violations
            .iter()
            .filter(|v| matches!(v, Violation::OverCap { .. }))
            .count(),
        1
    );
}

#[test]
fn longnan_joint_clusters_meet_the_floor_and_are_contiguous() {
    let (catalog, _, _) = demo(data::LONGNAN_COMMUNITY);
    let ctx = PlanningContext::new(
        Arc::clone(&catalog),
        &BTreeSet::new(),
        TessellationOptions::default(),
    )
    .expect("ctx");
    let opts = ClusterOptions::default();
    let result = joint_management_clusters(&ctx, &opts).expect("clusters");
    assert_eq!(result.three_no_compounds, 19);
    // The report's 3,056 households less the scattered buildings' 100 and the joint pair's.
    assert_eq!(result.three_no_households, 3056 - 100 - 268 - 236);
    assert!(
        result.clusters.len() >= 6,
        "{} clusters",
        result.clusters.len()
    );
    assert!(result.clusters.len() <= result.upper_bound);
    let mut seen = BTreeSet::new();
    for c in &result.clusters {
        assert!(c.households >= opts.floor_households, "{c:?}");
        for &id in &c.compounds {
            assert!(catalog.compound(id).expect("compound").three_no());
            assert!(seen.insert(id));
        }
        let positions: Vec<usize> = c.units.iter().filter_map(|&u| ctx.position(u)).collect();
        assert_eq!(
            ctx.graph().components_of(&positions).len(),
            1,
            "{:?} contiguous",
            c.names
        );
    }
    assert_eq!(seen.len() + result.unclustered.len(), 19);
    // A floor above every group's households leaves everything unclustered, with the reason.
    let high = ClusterOptions {
        floor_households: 100_000,
        ..opts
    };
    let none = joint_management_clusters(&ctx, &high).expect("clusters");
    assert!(none.clusters.is_empty());
    assert_eq!(none.unclustered.len(), 19);
    assert!(none.unclustered[0].reason.contains("below the floor"));
    // 奥体: one three-no compound (龙腾小区, 78 households), alone.
    let (aoti, _, _) = demo(data::AOTI_COMMUNITY);
    let ctx =
        PlanningContext::new(aoti, &BTreeSet::new(), TessellationOptions::default()).expect("ctx");
    let r = joint_management_clusters(&ctx, &opts).expect("clusters");
    assert_eq!((r.clusters.len(), r.unclustered.len()), (0, 1));
}

/// Random lattice with holes (missing cells), so components and odd shapes occur.
fn random_lattice(rng: &mut rand_chacha::ChaCha8Rng, w: usize, h: usize) -> UnitGraph {
    let keep: Vec<bool> = (0..w * h).map(|_| rng.random_bool(0.85)).collect();
    let mut edges = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if x + 1 < w && keep[i] && keep[i + 1] {
                edges.push((i, i + 1, 1.0));
            }
            if y + 1 < h && keep[i] && keep[i + w] {
                edges.push((i, i + w, 1.0));
            }
        }
    }
    UnitGraph::from_edges(w * h, edges)
}

fn parts_of(part_of: &[u32], parts: usize) -> Vec<Vec<usize>> {
    let mut members = vec![Vec::new(); parts];
    for (u, &p) in part_of.iter().enumerate() {
        members[p as usize].push(u);
    }
    members
}

/// The fewest contiguous parts of load ≤ cap, by enumerating set partitions (n ≤ 9).
fn brute_force_min_parts(g: &UnitGraph, loads: &[u64], cap: u64) -> usize {
    fn go(
        u: usize,
        g: &UnitGraph,
        loads: &[u64],
        cap: u64,
        blocks: &mut Vec<Vec<usize>>,
        best: &mut usize,
    ) {
        if blocks.len() >= *best {
            return;
        }
        if u == loads.len() {
            let ok = blocks.iter().all(|b| {
                (b.len() == 1 || b.iter().map(|&x| loads[x]).sum::<u64>() <= cap)
                    && g.components_of(b).len() == 1
            });
            if ok {
                *best = blocks.len();
            }
            return;
        }
        for i in 0..blocks.len() {
            blocks[i].push(u);
            go(u + 1, g, loads, cap, blocks, best);
            blocks[i].pop();
        }
        blocks.push(vec![u]);
        go(u + 1, g, loads, cap, blocks, best);
        blocks.pop();
    }
    let mut best = loads.len() + 1;
    go(0, g, loads, cap, &mut Vec::new(), &mut best);
    best
}

#[test]
fn random_lattices_partition_validly_and_tiny_ones_optimally() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_240_601);
    let cap = 300;
    for case in 0..40 {
        let (w, h) = if case < 16 {
            (3, 3)
        } else {
            (rng.random_range(3..14), rng.random_range(2..12))
        };
        let g = random_lattice(&mut rng, w, h);
        let n = g.len();
        // Loads of 8–60 old households (×2 load units) or a few heavy units, some above the cap.
        let loads: Vec<u64> = (0..n)
            .map(|_| {
                if rng.random_bool(0.03) {
                    rng.random_range(250..400)
                } else {
                    2 * rng.random_range(8..61)
                }
            })
            .collect();
        let labels: Vec<Option<u32>> = (0..n).map(|u| Some((u % 4) as u32)).collect();
        let current = CurrentAssignment {
            labels: &labels,
            weights: &loads,
        };
        // Less effort than the default keeps the debug-build test quick.
        let params = PartitionParams {
            seed: case,
            repair_moves: 500,
            kicks: 1,
            ..PartitionParams::default()
        };
        let p = partition_graph(&g, &loads, cap, Some(&current), &params);
        assert_eq!(p.part_of.len(), n);
        assert!(p.part_of.iter().all(|&x| (x as usize) < p.parts));
        let members = parts_of(&p.part_of, p.parts);
        for (i, m) in members.iter().enumerate() {
            assert!(!m.is_empty(), "case {case}: part {i} empty");
            let load: u64 = m.iter().map(|&u| loads[u]).sum();
            assert!(
                m.len() == 1 || load <= cap,
                "case {case}: part {i} load {load} > {cap}"
            );
            assert_eq!(
                g.components_of(m).len(),
                1,
                "case {case}: part {i} not contiguous: {m:?}"
            );
        }
        let heavy = loads.iter().filter(|&&l| l > cap).count();
        assert_eq!(p.infeasible.len(), heavy);
        let feasible_total: u64 = loads.iter().filter(|&&l| l <= cap).sum();
        assert_eq!(p.lower_bound, feasible_total.div_ceil(cap) as usize + heavy);
        assert!(p.parts >= p.lower_bound);
        if n <= 9 {
            assert_eq!(
                p.parts,
                brute_force_min_parts(&g, &loads, cap),
                "case {case}: optimum"
            );
        }
        // Labels are matched one-to-one.
        let used: Vec<u32> = p.labels.iter().flatten().copied().collect();
        assert_eq!(used.iter().collect::<BTreeSet<_>>().len(), used.len());
        // Same seed, same partition.
        assert_eq!(partition_graph(&g, &loads, cap, Some(&current), &params), p);
    }
}

#[test]
fn compound_sized_units_on_small_lattices_partition_optimally() {
    // Units the size of real compounds: 20–150 old households (×2 load units) or 20–300 new
    // ones, cap 300 load units: two or three to a grid, where spanning-tree cuts go wrong.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_203);
    let cap = 300;
    for case in 0..24 {
        let (w, h) = [(2, 5), (3, 3), (5, 2), (2, 4)][case % 4];
        let g = random_lattice(&mut rng, w, h);
        let n = g.len();
        let loads: Vec<u64> = (0..n)
            .map(|_| {
                if rng.random_bool(0.7) {
                    2 * rng.random_range(20..=150)
                } else {
                    rng.random_range(20..=300)
                }
            })
            .collect();
        let params = PartitionParams {
            seed: case as u64,
            repair_moves: 500,
            kicks: 1,
            ..PartitionParams::default()
        };
        let p = partition_graph(&g, &loads, cap, None, &params);
        for (i, m) in parts_of(&p.part_of, p.parts).iter().enumerate() {
            let load: u64 = m.iter().map(|&u| loads[u]).sum();
            assert!(load <= cap, "case {case}: part {i} load {load} > {cap}");
            assert_eq!(g.components_of(m).len(), 1, "case {case}: part {i}");
        }
        assert_eq!(
            p.parts,
            brute_force_min_parts(&g, &loads, cap),
            "case {case}: optimum of {n} compound-sized units"
        );
    }
}

/// The most regions of weight ≥ floor, contiguous, by enumerating set partitions of the
/// eligible units (n ≤ 9); units may stay unassigned.
fn brute_force_max_regions(g: &UnitGraph, w: &[u64], floor: u64) -> usize {
    fn go(
        u: usize,
        g: &UnitGraph,
        w: &[u64],
        floor: u64,
        blocks: &mut Vec<Vec<usize>>,
        best: &mut usize,
    ) {
        if u == w.len() {
            let ok = blocks.iter().all(|b| {
                b.iter().map(|&x| w[x]).sum::<u64>() >= floor && g.components_of(b).len() == 1
            });
            if ok {
                *best = (*best).max(blocks.len());
            }
            return;
        }
        go(u + 1, g, w, floor, blocks, best); // unassigned
        for i in 0..blocks.len() {
            blocks[i].push(u);
            go(u + 1, g, w, floor, blocks, best);
            blocks[i].pop();
        }
        blocks.push(vec![u]);
        go(u + 1, g, w, floor, blocks, best);
        blocks.pop();
    }
    let mut best = 0;
    go(0, g, w, floor, &mut Vec::new(), &mut best);
    best
}

#[test]
fn random_lattices_max_p_regions_meet_the_floor_and_tiny_ones_are_optimal() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(77);
    for case in 0..30 {
        let (w, h) = if case < 12 {
            (3, 3)
        } else {
            (rng.random_range(3..16), rng.random_range(2..12))
        };
        let g = random_lattice(&mut rng, w, h);
        let n = g.len();
        let weights: Vec<u64> = (0..n).map(|_| rng.random_range(20..200)).collect();
        let eligible: Vec<bool> = (0..n).map(|_| case < 12 || rng.random_bool(0.8)).collect();
        let floor = 300;
        let params = MaxPParams {
            seed: case,
            ..MaxPParams::default()
        };
        let r = max_p_regions(&g, &weights, floor, Some(&eligible), &params);
        let mut members: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (u, reg) in r.region_of.iter().enumerate() {
            if let Some(reg) = reg {
                assert!(eligible[u], "case {case}: ineligible unit {u} in a region");
                members.entry(*reg).or_default().push(u);
            }
        }
        assert_eq!(members.len(), r.regions);
        for (reg, m) in &members {
            let sum: u64 = m.iter().map(|&u| weights[u]).sum();
            assert!(
                sum >= floor,
                "case {case}: region {reg} holds {sum} < {floor}"
            );
            assert_eq!(
                g.components_of(m).len(),
                1,
                "case {case}: region {reg} not contiguous"
            );
        }
        // Unassigned units are exactly those of eligible components lighter than the floor.
        let nodes: Vec<usize> = (0..n).filter(|&u| eligible[u]).collect();
        let mut light = Vec::new();
        for comp in g
            .induced(&nodes)
            .components_of(&(0..nodes.len()).collect::<Vec<_>>())
        {
            if comp.iter().map(|&i| weights[nodes[i]]).sum::<u64>() < floor {
                light.extend(comp.iter().map(|&i| nodes[i]));
            }
        }
        light.sort_unstable();
        assert_eq!(r.unassigned, light, "case {case}");
        assert!(r.regions <= r.upper_bound);
        if n <= 9 && eligible.iter().all(|&e| e) {
            assert_eq!(
                r.regions,
                brute_force_max_regions(&g, &weights, floor),
                "case {case}: optimum"
            );
        }
        assert_eq!(
            max_p_regions(&g, &weights, floor, Some(&eligible), &params),
            r
        );
    }
}
