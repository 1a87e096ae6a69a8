// The coverage workspace's two tables, no DOM: per street / community / grid (`/api/coverage`
// areas) the chosen service's coverage — households, % households covered (at a second radius
// too when two are compared), % of the target group, floor area per 100 households against the
// standard — and the governance indicators 治理指标 — three-no compounds, property-management
// and owners'-committee coverage, households per grid worker. Areas without households are left
// out. Each column's value sorts it; `first` is the direction of a first click, the worse end first.

/** The coverage row of each area with households (`compare`: the areas at the second radius, or null). */
export function coverageRows(areas, service, compare = null) {
  const pctAt = new Map((compare || []).map((a) => [a.code, (a.services || []).find((x) => x.service === service)?.households_pct ?? null]));
  return (areas || []).map((a) => {
    const s = (a.services || []).find((x) => x.service === service) || {};
    const households = s.households ?? a.governance?.households ?? 0;
    return {
      code: a.code, name: a.name, level: a.level, households,
      uncovered: s.households_covered === undefined ? null : households - s.households_covered,
      hh_pct: s.households_pct ?? null, hh_pct_b: compare ? pctAt.get(a.code) ?? null : null,
      target_pct: s.target_pct ?? null, target_group: s.target_group, threshold_m: s.threshold_m, fa: a.floor_area || {},
    };
  }).filter((r) => r.households > 0);
}

/** The coverage table's columns (`compare`: whether the second radius has its column). */
export function coverageColumns(compare = false) {
  return [
    { key: 'name', value: (r) => r.name, first: 'asc' },
    { key: 'households', value: (r) => r.households, first: 'desc' },
    { key: 'hh_pct', value: (r) => r.hh_pct, first: 'asc' },
    ...(compare ? [{ key: 'hh_pct_b', value: (r) => r.hh_pct_b, first: 'asc' }] : []),
    { key: 'target_pct', value: (r) => r.target_pct, first: 'asc' },
    { key: 'fa', value: (r) => r.fa.per_100_households ?? null, first: 'asc' },
  ];
}

/** Households per grid worker, or null without workers. */
const perWorker = (g) => (g.grid_workers > 0 ? g.households / g.grid_workers : null);

/** The governance row of each area with households. */
export function governanceRows(areas) {
  return (areas || []).filter((a) => (a.governance?.households ?? 0) > 0).map((a) => {
    const g = a.governance;
    return {
      code: a.code, name: a.name, level: a.level, households: g.households, compounds: g.compounds,
      three_no: g.three_no_compounds, three_no_households: g.three_no_households,
      pm_pct: g.property_management_pct ?? null, managed: g.managed_compounds,
      oc_pct: g.owners_committee_pct ?? null, oc: g.owners_committee_compounds,
      grids: g.grids, workers: g.grid_workers, per_worker: perWorker(g),
    };
  });
}

/** The governance table's columns. */
export function governanceColumns() {
  return [
    { key: 'name', value: (r) => r.name, first: 'asc' },
    { key: 'three_no', value: (r) => r.three_no, first: 'desc' },
    { key: 'pm_pct', value: (r) => r.pm_pct, first: 'asc' },
    { key: 'oc_pct', value: (r) => r.oc_pct, first: 'asc' },
    { key: 'per_worker', value: (r) => r.per_worker, first: 'desc' },
  ];
}

/** The worst-first order each table opens in. */
export const WORST_FIRST = {
  coverage: { key: 'hh_pct', dir: 'asc' },
  governance: { key: 'pm_pct', dir: 'asc' },
  underserved: { key: 'rank', dir: 'asc' },
};
