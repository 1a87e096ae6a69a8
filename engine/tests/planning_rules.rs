//! Grid rules and plan operations on hand-made communities and on the demo district.

use std::collections::BTreeSet;
use std::sync::Arc;

use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use gridatlas_engine::crs::LocalFrame;
use gridatlas_engine::planning::{
    check_plan, Caps, Catalog, Plan, PlanReport, PlanningContext, PlanningError, RuleOptions,
    Severity, TessellationOptions, UnitRef, Violation,
};
use gridatlas_engine::{Building, Compound, CompoundClass, Grid, PropertyManagement, Snapshot};

const CODE: &str = "510504999001";

/// The planning context's kind of frame (WGS84 radii), so metres here are its metres.
fn frame() -> LocalFrame {
    gridatlas_engine::analysis::metric_frame(Coord {
        x: 105.44,
        y: 28.90,
    })
}

/// A rectangle given in metres east/north of the frame's origin, as WGS84.
fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon {
    let f = frame();
    let ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
        .iter()
        .map(|&(x, y)| f.to_lonlat(Coord { x, y }))
        .collect();
    Polygon::new(LineString(ring), vec![])
}

fn compound(
    id: i64,
    households: i64,
    class: CompoundClass,
    grid: &str,
    at: (f64, f64, f64, f64),
) -> Compound {
    Compound {
        id,
        version: 1,
        name: format!("小区{id}"),
        community_code: CODE.into(),
        grid_code: Some(grid.into()),
        households,
        population: households * 3,
        elderly: households / 2,
        build_year: Some(1990),
        class,
        property_management: PropertyManagement::None,
        owners_committee: false,
        competent_unit: false,
        geometry: rect(at.0, at.1, at.2, at.3),
    }
}

fn grid(n: u32, workers: i64) -> Grid {
    Grid {
        id: i64::from(n),
        version: 1,
        code: format!("{CODE}{n:03}"),
        name: format!("测试社区第{n}网格"),
        community_code: CODE.into(),
        workers,
        locked: false,
        geometry: rect(0.0, 0.0, 1.0, 1.0),
    }
}

fn building(
    id: i64,
    compound: Option<i64>,
    grid: Option<&str>,
    households: i64,
    at: (f64, f64),
) -> Building {
    Building {
        id,
        version: 1,
        name: Some(format!("{id}栋")),
        community_code: CODE.into(),
        compound_id: compound,
        grid_code: grid.map(str::to_owned).map(Into::into),
        households,
        floors: Some(6),
        build_year: Some(1990),
        location_approximate: false,
        geometry: Geometry::Point(Point::from(frame().to_lonlat(Coord { x: at.0, y: at.1 }))),
    }
}

fn g(n: u32) -> String {
    format!("{CODE}{n:03}")
}

/// Three compounds in a row in a 200 m × 60 m community: 1 and 3 in grid 001, 2 in grid 002.
fn row() -> Arc<Catalog> {
    Arc::new(Catalog::new(
        CODE,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 200.0, 60.0)]),
        vec![grid(1, 1), grid(2, 1)],
        vec![
            compound(1, 60, CompoundClass::Old, &g(1), (10.0, 10.0, 50.0, 50.0)),
            compound(2, 50, CompoundClass::Old, &g(2), (80.0, 10.0, 120.0, 50.0)),
            compound(3, 40, CompoundClass::Old, &g(1), (150.0, 10.0, 190.0, 50.0)),
        ],
        vec![],
    ))
}

fn context(catalog: &Arc<Catalog>, plan: &Plan) -> PlanningContext {
    PlanningContext::new(
        Arc::clone(catalog),
        &plan.split_compounds,
        TessellationOptions::default(),
    )
    .expect("context")
}

fn check(catalog: &Arc<Catalog>, plan: &Plan) -> PlanReport {
    check_plan(&context(catalog, plan), plan, &RuleOptions::default()).expect("report")
}

#[test]
fn a_non_contiguous_grid_is_reported_with_its_components() {
    let catalog = row();
    let plan = Plan::current(&catalog);
    let ctx = context(&catalog, &plan);
    assert!(ctx.adjacent(UnitRef::Compound(1), UnitRef::Compound(2)));
    assert!(ctx.adjacent(UnitRef::Compound(2), UnitRef::Compound(3)));
    assert!(!ctx.adjacent(UnitRef::Compound(1), UnitRef::Compound(3)));
    let report = check_plan(&ctx, &plan, &RuleOptions::default()).expect("report");
    assert!(!report.valid);
    assert!(report.violations.contains(&Violation::NotContiguous {
        grid: g(1),
        components: vec![vec![UnitRef::Compound(1)], vec![UnitRef::Compound(3)]],
    }));
    assert!(report
        .violations
        .iter()
        .any(|v| matches!(v, Violation::MultiPart { grid, areas_m2 } if *grid == g(1) && areas_m2.len() == 2)));
    let g1 = &report.grids[0];
    assert_eq!(
        (g1.components, g1.contiguous, g1.polygon_parts),
        (2, false, 2)
    );
    let g2 = &report.grids[1];
    assert_eq!(
        (g2.components, g2.contiguous, g2.polygon_parts),
        (1, true, 1)
    );
    // The derived grid polygons tile the community: no gap, no overlap.
    assert!(report.coverage.gap_m2 < 1.0 && report.coverage.overlap_m2 < 1.0);
    assert!((report.coverage.community_area_m2 - 12_000.0).abs() < 1.0);
    assert!((g1.area_m2 + g2.area_m2 - 12_000.0).abs() < 1.0);
    // The violation names both groups of units.
    let text = report
        .violations
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("[compound:1] [compound:3]"), "{text}");
}

#[test]
fn an_over_cap_grid_is_named_with_its_load() {
    let catalog = Arc::new(Catalog::new(
        CODE,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 200.0, 60.0)]),
        vec![grid(1, 2), grid(2, 1)],
        vec![
            compound(1, 120, CompoundClass::Old, &g(1), (10.0, 10.0, 50.0, 50.0)),
            compound(
                2,
                90,
                CompoundClass::UnitOwned,
                &g(1),
                (80.0, 10.0, 120.0, 50.0),
            ),
            compound(
                3,
                280,
                CompoundClass::Commodity,
                &g(2),
                (150.0, 10.0, 190.0, 50.0),
            ),
        ],
        vec![],
    ));
    let report = check(&catalog, &Plan::current(&catalog));
    let over: Vec<&Violation> = report
        .violations
        .iter()
        .filter(|v| matches!(v, Violation::OverCap { .. }))
        .collect();
    assert_eq!(over.len(), 1, "{:?}", report.violations);
    match over[0] {
        Violation::OverCap {
            grid,
            load,
            households,
            units,
        } => {
            assert_eq!(grid, &g(1));
            assert!(
                (load - 1.4).abs() < 1e-9,
                "210 old households / 150 = 1.4, got {load}"
            );
            assert_eq!(*households, 210);
            assert_eq!(units, &vec![UnitRef::Compound(1), UnitRef::Compound(2)]);
        }
        _ => unreachable!(),
    }
    // 280 households of a commodity compound against the new cap of 300: within the rule.
    assert!(report.grids[1].within_cap);
    assert!((report.grids[1].load - 280.0 / 300.0).abs() < 1e-12);
    assert_eq!(
        report.lower_bound, 3,
        "1.4 + 0.933 = 2.33 → 3 grids at least"
    );
    // With larger caps the same plan is within the rule.
    let ctx = context(&catalog, &Plan::current(&catalog));
    let relaxed = RuleOptions {
        caps: Caps { old: 250, new: 300 },
        ..RuleOptions::default()
    };
    let report = check_plan(&ctx, &Plan::current(&catalog), &relaxed).expect("report");
    assert!(report
        .violations
        .iter()
        .all(|v| !matches!(v, Violation::OverCap { .. })));
}

#[test]
fn a_unit_in_two_grids_or_in_none_is_reported() {
    let catalog = row();
    let mut plan = Plan::current(&catalog);
    // By hand (as a stored draft could be): compound 2 in both grids, compound 3 in none.
    plan.grids[0].units.insert(UnitRef::Compound(2));
    plan.grids[0].units.remove(&UnitRef::Compound(3));
    let report = check(&catalog, &plan);
    assert!(report.violations.contains(&Violation::InSeveralGrids {
        unit: UnitRef::Compound(2),
        grids: vec![g(1), g(2)],
    }));
    assert!(report.violations.iter().any(|v| matches!(
        v,
        Violation::Unassigned {
            unit: UnitRef::Compound(3),
            households: 40,
            recorded_grid: None,
            ..
        }
    )));
    assert!(report.violations.iter().any(|v| matches!(v, Violation::Overlap { area_m2, grids } if *area_m2 > 100.0 && grids == &vec![g(1), g(2)])));
    assert!(report
        .violations
        .iter()
        .any(|v| matches!(v, Violation::Gap { area_m2 } if *area_m2 > 100.0)));
    assert_eq!(report.unassigned, 1);
    // A unit that is not one of the community's, and a recorded grid that is not the plan's.
    plan.grids[1].units.insert(UnitRef::Compound(99));
    plan.grids.remove(0);
    let report = check(&catalog, &plan);
    assert!(report.violations.contains(&Violation::UnknownUnit {
        grid: g(2),
        unit: UnitRef::Compound(99),
    }));
    assert!(report.violations.iter().any(|v| matches!(v,
        Violation::Unassigned { unit: UnitRef::Compound(1), recorded_grid: Some(r), .. } if *r == g(1))));
}

#[test]
fn workers_against_need_and_monthly_visits_are_shown() {
    let catalog = Arc::new(Catalog::new(
        CODE,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 120.0, 60.0)]),
        vec![grid(1, 1)],
        vec![
            compound(1, 160, CompoundClass::Old, &g(1), (10.0, 10.0, 50.0, 50.0)),
            compound(2, 140, CompoundClass::Old, &g(1), (70.0, 10.0, 110.0, 50.0)),
        ],
        vec![],
    ));
    let report = check(&catalog, &Plan::current(&catalog));
    let grid = &report.grids[0];
    assert_eq!((grid.workers, grid.workers_needed), (1, 2));
    assert_eq!(grid.households_per_worker, Some(300.0));
    assert!(!grid.visiting_within_limit);
    assert!(report.violations.contains(&Violation::WorkersShort {
        grid: g(1),
        workers: 1,
        needed: 2
    }));
    let visiting = report
        .violations
        .iter()
        .find(|v| matches!(v, Violation::VisitingOverLimit { .. }))
        .expect("visiting load shown");
    assert_eq!(visiting.severity(), Severity::Warning);
    // A rectangle twice as wide as high: Polsby-Popper 4π·2/36 = 0.698.
    let pp = grid.polsby_popper.expect("compactness");
    assert!(
        (pp - 4.0 * std::f64::consts::PI * 7200.0 / 360.0f64.powi(2)).abs() < 1e-3,
        "{pp}"
    );
}

#[test]
fn plan_operations_keep_units_once_and_the_diff_names_what_changed() {
    let catalog = Arc::new(Catalog::new(
        CODE,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 300.0, 60.0)]),
        vec![grid(1, 1), grid(2, 1)],
        vec![
            compound(1, 60, CompoundClass::Old, &g(1), (10.0, 10.0, 50.0, 50.0)),
            compound(2, 50, CompoundClass::Old, &g(1), (70.0, 10.0, 110.0, 50.0)),
            compound(3, 40, CompoundClass::Old, &g(1), (130.0, 10.0, 170.0, 50.0)),
            compound(4, 70, CompoundClass::Old, &g(2), (190.0, 10.0, 230.0, 50.0)),
            compound(5, 30, CompoundClass::Old, &g(2), (250.0, 10.0, 290.0, 50.0)),
        ],
        vec![],
    ));
    let current = Plan::current(&catalog);
    let ctx = context(&catalog, &current);
    let mut draft = current.clone();
    assert!(draft.diff(&current, &catalog).is_empty());

    // Move compound 3 (40 households) from grid 1 to grid 2.
    draft
        .move_units(&ctx, &[UnitRef::Compound(3)], &g(2))
        .expect("move");
    let diff = draft.diff(&current, &catalog);
    assert_eq!(diff.units_moved, 1);
    assert_eq!(diff.households_moved, 40);
    assert_eq!(
        (diff.moved[0].from.clone(), diff.moved[0].to.clone()),
        (vec![g(1)], vec![g(2)])
    );
    assert_eq!(diff.grids_changed.len(), 2);
    assert_eq!(
        (
            diff.grids_changed[0].households_before,
            diff.grids_changed[0].households_after
        ),
        (150, 110)
    );
    let report = check_plan(&ctx, &draft, &RuleOptions::default()).expect("report");
    assert!((report.grids[1].load - 140.0 / 150.0).abs() < 1e-12);
    assert!(report.valid);

    // Split grid 2 (3, 4, 5 in a row) into two contiguous grids.
    let new = draft
        .split_grid(&ctx, &g(2), &Caps::default(), None)
        .expect("split");
    assert_eq!(new, g(3));
    let (a, b) = (
        draft.grid(&g(2)).expect("kept").units.clone(),
        draft.grid(&new).expect("new").units.clone(),
    );
    assert!(!a.is_empty() && !b.is_empty());
    assert_eq!(a.len() + b.len(), 3);
    let report = check_plan(&ctx, &draft, &RuleOptions::default()).expect("report");
    assert!(
        report.grids.iter().all(|g| g.contiguous),
        "{:?}",
        report.violations
    );
    assert!(report.valid, "{:?}", report.violations);

    // Merge needs adjacency: grid 1 (compounds 1, 2) touches only the grid holding compound 3.
    let far = if b.contains(&UnitRef::Compound(3)) {
        g(2)
    } else {
        new.clone()
    };
    let near = if far == g(2) { new.clone() } else { g(2) };
    assert!(matches!(
        draft.merge_grids(&ctx, &g(1), &far),
        Err(PlanningError::NotAdjacent { .. })
    ));
    draft
        .merge_grids(&ctx, &g(1), &near)
        .expect("merge adjacent grids");
    assert!(draft.grid(&near).is_none());
    assert_eq!(
        draft.grid(&g(1)).expect("merged").workers,
        2,
        "workers add up"
    );

    // Create and delete.
    let created = draft.create_grid(None, Some("新网格")).expect("create");
    assert!(matches!(
        draft.create_grid(Some(&created), None),
        Err(PlanningError::DuplicateGrid(_))
    ));
    let moved = draft.delete_grid(&far, Some(&created)).expect("delete");
    assert!(!moved.is_empty());
    let diff = draft.diff(&current, &catalog);
    assert_eq!(diff.grids_added, vec![created.clone()]);
    assert_eq!(diff.grids_removed, vec![g(2)]);
    let report = check_plan(&ctx, &draft, &RuleOptions::default()).expect("report");
    assert_eq!(report.unassigned, 0);
    assert!(report
        .violations
        .iter()
        .all(|v| !matches!(v, Violation::InSeveralGrids { .. })));

    // Drafts are stored as JSON and come back equal.
    let json = serde_json::to_string(&draft).expect("serialize");
    assert!(json.contains("\"compound:1\""), "{json}");
    let back: Plan = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, draft);
    assert!(matches!(
        draft.move_units(&ctx, &[UnitRef::Building(7)], &g(1)),
        Err(PlanningError::UnknownUnit { .. })
    ));
}

#[test]
fn a_compound_splits_along_its_buildings_and_joins_back() {
    let catalog = Arc::new(Catalog::new(
        CODE,
        "测试社区",
        MultiPolygon(vec![rect(0.0, 0.0, 200.0, 60.0)]),
        vec![grid(1, 1), grid(2, 1)],
        vec![
            compound(1, 200, CompoundClass::Old, &g(1), (10.0, 10.0, 90.0, 50.0)),
            compound(2, 50, CompoundClass::Old, &g(2), (120.0, 10.0, 190.0, 50.0)),
        ],
        vec![
            building(11, Some(1), None, 80, (25.0, 30.0)),
            building(12, Some(1), None, 70, (50.0, 30.0)),
            building(13, Some(1), None, 50, (75.0, 30.0)),
            building(21, None, Some(&g(2)), 12, (150.0, 5.0)),
        ],
    ));
    let current = Plan::current(&catalog);
    assert!(
        current
            .grid(&g(2))
            .expect("grid 2")
            .units
            .contains(&UnitRef::Building(21)),
        "scattered building"
    );
    let mut draft = current.clone();
    draft.split_compound(&catalog, 1).expect("split");
    assert!(
        draft.split_compound(&catalog, 2).is_err(),
        "compound 2 has no buildings"
    );
    let ctx = context(&catalog, &draft);
    assert!(
        check_plan(
            &context(&catalog, &current),
            &draft,
            &RuleOptions::default()
        )
        .is_err(),
        "stale split"
    );
    assert_eq!(ctx.units.len(), 5);
    draft
        .move_units(&ctx, &[UnitRef::Building(13)], &g(2))
        .expect("move a building");
    let report = check_plan(&ctx, &draft, &RuleOptions::default()).expect("report");
    assert!(
        report.grids.iter().all(|g| g.within_cap && g.contiguous),
        "{:?}",
        report.violations
    );
    let diff = draft.diff(&current, &catalog);
    assert_eq!(diff.compounds_split, vec![1]);
    assert_eq!(diff.units_moved, 1);
    assert_eq!(diff.moved[0].unit, UnitRef::Building(13));
    assert_eq!(diff.households_moved, 50);
    // Published: the split compound's buildings carry their own grid codes, the compound the
    // grid holding most of its households; read back, the catalog gives the same plan.
    let codes = draft.grid_codes(&catalog);
    assert_eq!(codes.buildings[&13], Some(g(2)));
    assert_eq!(codes.buildings[&11], Some(g(1)));
    assert_eq!(codes.compounds[&1], Some(g(1)));
    assert_eq!(codes.buildings[&21], Some(g(2)));
    let mut published = (*catalog).clone();
    for c in &mut published.compounds {
        c.grid_code = codes.compounds[&c.id].clone().map(Into::into);
    }
    for b in &mut published.buildings {
        b.grid_code = codes.buildings[&b.id].clone().map(Into::into);
    }
    let published = Catalog::new(
        CODE,
        "测试社区",
        published.boundary,
        published.grids,
        published.compounds,
        published.buildings,
    );
    assert_eq!(Plan::current(&published), draft);
    // Joined back: into the grid holding most of its households.
    assert_eq!(
        draft.join_compound(&catalog, 1, None).expect("join"),
        Some(g(1))
    );
    assert!(draft.diff(&current, &catalog).is_empty());
}

#[test]
fn every_rule_for_every_grid_of_the_demo() {
    let snapshot = Snapshot::new(1, data::demo_district());
    // 龙南社区: four grids, each far above the cap of 150 old households.
    let catalog =
        Arc::new(Catalog::from_snapshot(&snapshot, data::LONGNAN_COMMUNITY).expect("catalog"));
    let plan = Plan::current(&catalog);
    assert_eq!(plan.grids.len(), 4);
    let report = check(&catalog, &plan);
    assert_eq!(
        report.households, 3056,
        "the report's total, scattered buildings counted"
    );
    assert_eq!(
        report.lower_bound, 21,
        "3,056 old households / 150 → 21 grids at least"
    );
    let over: BTreeSet<&str> = report
        .violations
        .iter()
        .filter_map(|v| match v {
            Violation::OverCap { grid, load, .. } if *load > 3.0 => Some(grid.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(over.len(), 4, "{:?}", report.violations);
    assert!(report
        .grids
        .iter()
        .all(|g| g.contiguous && g.polygon_parts == 1));
    assert!(report.coverage.gap_m2 < 1.0 && report.coverage.overlap_m2 < 1.0);
    // 奥体社区 is laid out within the rule.
    let catalog =
        Arc::new(Catalog::from_snapshot(&snapshot, data::AOTI_COMMUNITY).expect("catalog"));
    let report = check(&catalog, &Plan::current(&catalog));
    assert!(report.valid, "{:?}", report.violations);
    assert_eq!(report.grid_count, report.lower_bound);
    assert!(report
        .grids
        .iter()
        .all(|g| g.load <= 1.0 && g.polsby_popper.is_some_and(|p| p > 0.2)));
    assert!(matches!(
        Catalog::from_snapshot(&snapshot, "510504999999"),
        Err(PlanningError::UnknownCommunity(_))
    ));
}
