// The analysis workspaces' rules in node (src/sorting.js, src/underserved.js, src/coverageRows.js,
// src/standards.js, src/heat.js): tables sorted by any column with missing values last, the
// underserved filters checked with their reasons, the request they make, the coverage and
// governance rows, the standards in words, the heatmap's cells clipped at the swipe line and a
// hexagon's figures.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { coverageColumns, coverageRows, governanceColumns, governanceRows } from '../../src/coverageRows.js';
import { cellLines, cellsBbox, clipRing, coloursIn, facilityFilters, heatColor, HEAT_STEPS } from '../../src/heat.js';
import { ariaSort, nextSort, sortRows } from '../../src/sorting.js';
import { documentsOf, lifeCircleMinutes, serviceRule, tierRules } from '../../src/standards.js';
import { chosenArea, conditionsText, filterErrors, initialFilters, underservedUrl } from '../../src/underserved.js';

const t = (key, vars = {}) => `${key}${Object.keys(vars).length ? JSON.stringify(vars) : ''}`;

describe('sorting a table', () => {
  const cols = [{ key: 'n', value: (r) => r.n }, { key: 'name', value: (r) => r.name }];
  const rows = [{ n: 3, name: '龙南社区' }, { n: null, name: '奥体社区' }, { n: 1, name: '春晖社区' }, { n: 3, name: '双桂社区' }];

  test('a header click sorts from its worse end, a second click turns round', () => {
    const first = nextSort(null, 'n', 'desc');
    assert.deepEqual(first, { key: 'n', dir: 'desc' });
    assert.deepEqual(nextSort(first, 'n'), { key: 'n', dir: 'asc' });
    assert.deepEqual(nextSort(first, 'name'), { key: 'name', dir: 'asc' });
    assert.equal(ariaSort(first, 'n'), 'descending');
    assert.equal(ariaSort(first, 'name'), 'none');
  });

  test('numbers by value, ties in the given order, missing values last either way', () => {
    assert.deepEqual(sortRows(rows, cols, { key: 'n', dir: 'asc' }).map((r) => r.n), [1, 3, 3, null]);
    assert.deepEqual(sortRows(rows, cols, { key: 'n', dir: 'desc' }).map((r) => r.name), ['龙南社区', '双桂社区', '春晖社区', '奥体社区']);
  });

  test('Chinese names by pinyin', () => {
    assert.deepEqual(sortRows(rows, cols, { key: 'name', dir: 'asc' }, 'zh').map((r) => r.name), ['奥体社区', '春晖社区', '龙南社区', '双桂社区']);
  });
});

describe('the underserved filters', () => {
  const f = (over) => ({ ...initialFilters(), ...over });

  test('a year range the wrong way round, a negative count, a year out of range and a fraction are refused with their reason', () => {
    assert.deepEqual(filterErrors(f({ build_year_min: '2010', build_year_max: '1990' }), { thisYear: 2025 }),
      { years: { key: 'us.err.year_order', vars: { from: 2010, to: 1990 } } });
    assert.deepEqual(filterErrors(f({ min_elderly: '-5' })), { min_elderly: { key: 'us.err.negative', vars: { v: -5 } } });
    assert.deepEqual(filterErrors(f({ build_year_min: '-5' })), { build_year_min: { key: 'us.err.negative', vars: { v: -5 } } });
    assert.deepEqual(filterErrors(f({ build_year_max: '3000' }), { thisYear: 2025 }),
      { build_year_max: { key: 'us.err.year_range', vars: { v: 3000, min: 1900, max: 2025 } } });
    assert.equal(filterErrors(f({ min_elderly: '12.5' })).min_elderly.key, 'us.err.whole');
    assert.deepEqual(filterErrors(f({ build_year_min: '１９９０', build_year_max: '2000', min_elderly: '50' })), {}, 'full-width digits are read');
    assert.deepEqual(filterErrors(f({})), {});
  });

  test('the request names the narrowest area chosen and only the filters given', () => {
    const url = underservedUrl(f({ street: '510504003', community: '510504003004', min_elderly: '50' }), 'straight');
    const p = new URL(url, 'http://x').searchParams;
    assert.equal(p.get('community_code'), '510504003004');
    assert.equal(p.get('street_code'), null);
    assert.equal(p.get('min_elderly'), '50');
    assert.equal(p.get('build_year_min'), null);
    assert.equal(p.get('metric'), 'straight');
    assert.match(underservedUrl(f({}), 'walk', 'csv'), /format=csv$/);
    assert.deepEqual(chosenArea(f({ street: 'S', community: 'C', grid: 'G' })), { level: 'grid', code: 'G' });
    assert.equal(chosenArea(f({})), null);
  });

  test('the conditions in force in words', () => {
    const text = conditionsText(f({ min_elderly: '100' }), 'straight', t, (s) => s);
    assert.equal(text, 'us.three_no_only · us.cond.elderly{"n":"100"} · walk.metric.straight');
  });
});

describe('the coverage and governance rows', () => {
  const area = (code, pct, pm, hh = 100) => ({
    code, name: code, level: 'community', floor_area: {},
    governance: { households: hh, compounds: 4, three_no_compounds: 1, three_no_households: 20, property_management_pct: pm, managed_compounds: 3,
      owners_committee_pct: null, owners_committee_compounds: 0, grids: 2, grid_workers: 2 },
    services: [{ service: 'elderly_care', households: hh, households_covered: Math.round(hh * pct / 100), households_pct: pct, target_pct: pct }],
  });
  test('areas without households are left out; the second radius sits beside the first', () => {
    const rows = coverageRows([area('a', 50, 75), area('b', 10, 25), area('c', null, null, 0)], 'elderly_care', [area('a', 30, 75), area('b', 5, 25)]);
    assert.deepEqual(rows.map((r) => [r.code, r.hh_pct, r.hh_pct_b, r.uncovered]), [['a', 50, 30, 50], ['b', 10, 5, 90]]);
    assert.deepEqual(coverageColumns(true).map((c) => c.key), ['name', 'households', 'hh_pct', 'hh_pct_b', 'target_pct', 'fa']);
    assert.deepEqual(sortRows(rows, coverageColumns(), { key: 'hh_pct', dir: 'asc' }).map((r) => r.code), ['b', 'a'], 'worst covered first');
  });
  test('governance: three-no, coverages and households per grid worker', () => {
    const [g] = governanceRows([area('a', 50, 75)]);
    assert.deepEqual([g.three_no, g.pm_pct, g.oc_pct, g.per_worker], [1, 75, null, 50]);
    assert.deepEqual(governanceColumns().map((c) => c.key), ['name', 'three_no', 'pm_pct', 'oc_pct', 'per_worker']);
  });
});

describe('the standards in words', () => {
  const source = '国办函〔2023〕121号《城市社区嵌入式服务设施建设工程实施方案》 养老服务; GB 50180-2018《城市居住区规划设计标准》 10分钟生活圈(步行约500 m); community-level (社区级) embedded services; GB 50180-2018《城市居住区规划设计标准》 lists …';
  test('the documents a rule cites, each once', () => {
    assert.deepEqual(documentsOf(source), ['国办函〔2023〕121号《城市社区嵌入式服务设施建设工程实施方案》', 'GB 50180-2018《城市居住区规划设计标准》']);
    assert.equal(lifeCircleMinutes('15min'), 15);
  });
  test('a service\'s rule and the tiers', () => {
    const std = { service: 'elderly_care', life_circle: '10min', threshold_m: 500, target_group: 'elderly_60_plus', source };
    const words = (key, vars) => (key === 'std.target.elderly_60_plus' ? '60岁及以上老年人' : t(key, vars));
    assert.equal(serviceRule(std, words, (s) => s), 'std.service{"svc":"elderly_care","circle":"std.circle{\\"min\\":10}","m":500,"group":"60岁及以上老年人"}');
    assert.match(serviceRule({ ...std, target_group: 'new_group' }, t, (s) => s), /"group":"new_group"/, 'a group without words shows its name');
    const tiers = tierRules({ min_elderly: 50, tier1_services: ['elderly_care', 'meal_help'], priority_services: ['a', 'b'], tier2_min_gaps: 2 }, t, (s) => s);
    assert.match(tiers.tier1, /"eld":50/);
    assert.match(tiers.tier2, /"n":2/);
  });
});

describe('the heatmap', () => {
  test('its colours, and those of a style value', () => {
    assert.deepEqual(coloursIn(heatColor()).filter((c) => c.startsWith('#')), HEAT_STEPS.map(([, c]) => c));
    assert.deepEqual(coloursIn(['case', ['get', 'x'], '#D7191C', 'rgba(0,0,0,0)']), ['#d7191c', 'rgba(0,0,0,0)']);
  });

  test('a cell cut at the swipe line keeps its side; the two sides make the whole', () => {
    const id = (p) => p;
    const square = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
    const area = (ring) => Math.abs(ring.slice(0, -1).reduce((a, [x, y], i, r) => a + x * r[(i + 1) % r.length][1] - r[(i + 1) % r.length][0] * y, 0)) / 2;
    const left = clipRing(square, 4, 'left', id, id);
    const right = clipRing(square, 4, 'right', id, id);
    assert.equal(area(left), 40);
    assert.equal(area(right), 60);
    assert.ok(left.every(([x]) => x <= 4) && right.every(([x]) => x >= 4));
    assert.equal(clipRing(square, -1, 'left', id, id), null, 'nothing left of the line');
    assert.deepEqual(clipRing(square, 20, 'left', id, id), square, 'all of it');
  });

  test('the view fits the cells with households; a hexagon\'s figures', () => {
    const cell = (x, hh) => ({ type: 'Feature', properties: { households: hh }, geometry: { type: 'Polygon', coordinates: [[[x, 0], [x + 1, 0], [x + 1, 1], [x, 0]]] } });
    assert.deepEqual(cellsBbox({ features: [cell(0, 5), cell(5, 0), cell(2, 1)] }), [0, 0, 3, 1]);
    assert.equal(cellsBbox({ features: [cell(0, 0)] }), null);
    const lines = cellLines({ households: 99, households_uncovered: 40, mean_distance_m: 512.4 }, { threshold: 500, metric: 'walk', minutes: (m) => Math.round(m / 60) }, t);
    assert.deepEqual(lines, ['heat.cell.households{"n":99}', 'heat.cell.uncovered{"n":40,"m":500,"metric":"heat.metric.walk"}', 'heat.cell.mean.walk{"m":512,"min":9}']);
  });

  test('the facilities that count: a service\'s spaces and stations of a level its life circle admits', () => {
    const f = facilityFilters({ life_circle: '10min', facilities: { services: ['elderly_care'], station_kinds: [] } });
    assert.deepEqual(f.spaces[1], ['in', ['to-string', ['get', 'level']], ['literal', ['compound', 'community']]]);
    assert.deepEqual(f.stations, ['boolean', false]);
  });
});
