// Walking distances in the analysis workspaces (src/walking.js) in node: the metric in force, a
// unit's reach in words, the units that lose coverage on foot, route labels, the isochrone legend,
// the unjoined features — and every UI string in both languages.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as W from '../../src/walking.js';

// The Chinese strings the map uses (src/i18n.js), enough for the texts under test.
const ZH = {
  'walk.reach.walk': '步行 {m} 米（约 {min} 分钟）',
  'walk.reach.straight': '直线 {m} 米',
  'walk.reach.detour': '绕行系数 {d}',
  'walk.reach.unjoined': '未接入路网，无步行距离',
  'walk.reach.unreachable': '步行无法到达',
  'walk.reach.none': '全区没有该服务的设施',
  'walk.sep': ' · ',
};
const t = (key, vars = {}) => (ZH[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));

const MEASURED_WALK = { metric: 'walk', walking_available: true, walking_speed_mps: 1.0, network: { ways: 10 } };
const MEASURED_NONE = { metric: 'straight', walking_available: false, walking_speed_mps: 1.0, network: null };

/** A `services[]` entry as `/api/coverage/units` sends it. */
function reach(over = {}) {
  return {
    service: 'elderly_care', distance_m: 820, nearest: { layer: 'service_spaces', id: 3 }, threshold_m: 500, covered: false,
    straight_m: 240, walk_m: 820, detour: 3.4166, minutes: 13.7, covered_straight: true, covered_walk: false, ...over,
  };
}

function unit(id, services, over = {}) {
  return { kind: 'compound', id, name: `小区${id}`, community_code: '510504003001', households: 100 + id, joined: true, centroid: [105.4, 28.9], services, ...over };
}

describe('the metric in force', () => {
  test('walking unless the server said it has no walking network', () => {
    assert.equal(W.effectiveMetric('walk', null), 'walk');
    assert.equal(W.effectiveMetric('straight', null), 'straight');
    assert.equal(W.effectiveMetric('walk', MEASURED_WALK), 'walk');
    assert.equal(W.effectiveMetric('straight', MEASURED_WALK), 'straight');
    assert.equal(W.effectiveMetric('walk', MEASURED_NONE), 'straight');
    assert.equal(W.effectiveMetric('nonsense', MEASURED_WALK), 'walk');
    assert.equal(W.walkingUsable(null), true);
    assert.equal(W.walkingUsable(MEASURED_WALK), true);
    assert.equal(W.walkingUsable(MEASURED_NONE), false);
  });

  test('what the server said of its measuring', () => {
    assert.deepEqual(W.measuredOf(MEASURED_WALK), { metric: 'walk', walkingAvailable: true, speed: 1, network: { ways: 10 } });
    assert.deepEqual(W.measuredOf(null), { metric: null, walkingAvailable: null, speed: W.DEFAULT_SPEED_MPS, network: null });
    assert.equal(W.measuredOf({ ...MEASURED_WALK, walking_speed_mps: 0 }).speed, W.DEFAULT_SPEED_MPS);
  });

  test('minutes on foot', () => {
    assert.equal(W.minutesFor(820, 1), 14);
    assert.equal(W.minutesFor(820, 1.2), 11);
    assert.equal(W.minutesFor(10, 1), 1, 'a short walk is a minute, not none');
    assert.equal(W.minutesFor(0, 1), 0);
    assert.equal(W.minutesFor(null, 1), null);
  });
});

describe('a unit\'s reach in words', () => {
  test('both distances, minutes and the detour factor', () => {
    assert.equal(W.reachText(reach(), { metric: 'walk', speed: 1 }, t), '步行 820 米（约 14 分钟） · 直线 240 米 · 绕行系数 3.4');
  });

  test('covered by the metric in force', () => {
    assert.equal(W.reachParts(reach(), { metric: 'walk' }).covered, false);
    assert.equal(W.reachParts(reach(), { metric: 'straight' }).covered, true);
    // Without a walking network a unit is judged by the straight line whatever was asked.
    assert.equal(W.reachParts(reach({ walk_m: null, covered_walk: null }), { metric: 'walk', walkingAvailable: false }).covered, true);
    // An older answer without the verdicts: the distances against the threshold.
    const bare = reach({ covered_straight: undefined, covered_walk: undefined });
    assert.equal(W.reachParts(bare, { metric: 'walk' }).covered, false);
    assert.equal(W.reachParts(bare, { metric: 'straight' }).covered, true);
  });

  test('no walking distance: not joined, or not reachable; no network: the straight line only', () => {
    const none = reach({ walk_m: null, detour: null, covered_walk: false });
    assert.equal(W.reachText(none, { metric: 'walk', joined: false }, t), '未接入路网，无步行距离 · 直线 240 米');
    assert.equal(W.reachText(none, { metric: 'walk', joined: true }, t), '步行无法到达 · 直线 240 米');
    assert.equal(W.reachText(reach({ walk_m: null, detour: null, covered_walk: null }), { metric: 'straight', walkingAvailable: false }, t), '直线 240 米');
    assert.equal(W.reachText(reach({ walk_m: null, straight_m: null, detour: null }), { metric: 'walk' }, t), '全区没有该服务的设施');
  });

  test('a large detour factor is shown without decimals', () => {
    assert.match(W.reachText(reach({ detour: 11.06 }), { metric: 'walk' }, t), /绕行系数 11$/);
  });
});

describe('the units that lose coverage on foot', () => {
  const units = [
    unit(1, [reach({ detour: 1.4, walk_m: 560, straight_m: 400 })]),
    unit(2, [reach({ covered_walk: true, walk_m: 480 })]), // covered both ways
    unit(3, [reach({ covered_straight: false, straight_m: 700 })]), // covered neither way
    unit(4, [reach({ detour: 3.4 })]),
    unit(5, [reach({ walk_m: null, detour: null })], { joined: false }),
    unit(6, [reach({ service: 'meal_help' })]), // another service
    unit(7, [reach({ covered_walk: null, walk_m: null })]), // no network
    { ...unit(8, [reach({ detour: 2 })]), kind: 'scattered_building', name: null },
  ];

  test('covered in a straight line, not on foot; no walking distance first, then the largest detour', () => {
    const lost = W.lostOnFoot(units, 'elderly_care');
    assert.deepEqual(lost.map((r) => r.id), [5, 4, 8, 1]);
    assert.deepEqual(lost[1], {
      kind: 'compound', id: 4, name: '小区4', community_code: '510504003001', households: 104, straight_m: 240, walk_m: 820,
      detour: 3.4, threshold_m: 500, joined: true, centroid: [105.4, 28.9],
    });
    assert.equal(lost[0].joined, false);
    assert.equal(lost[2].kind, 'scattered_building');
    assert.equal(W.householdsOf(lost), 105 + 104 + 108 + 101);
    assert.deepEqual(W.lostOnFoot(units, 'meal_help').map((r) => r.id), [6]);
    assert.deepEqual(W.lostOnFoot(null, 'elderly_care'), []);
  });
});

describe('routes, isochrones and the network', () => {
  const line = (service, end, minutes) => ({ type: 'Feature', properties: { service, minutes, distance_m: minutes * 60, facility: { layer: 'stations', id: 1 } },
    geometry: { type: 'LineString', coordinates: [[105.4, 28.9], end] } });
  const label = (s, min) => `${s} ${min}分钟`;

  test('one label per facility reached, the chosen service first', () => {
    const features = [line('meal_help', [105.41, 28.91], 13.7), line('elderly_care', [105.41, 28.91], 13.7), line('health', [105.42, 28.9], 0.2)];
    const labels = W.routeLabels(features, label, 'elderly_care');
    assert.equal(labels.length, 2);
    assert.deepEqual(labels[0].geometry.coordinates, [105.41, 28.91]);
    assert.equal(labels[0].properties.label, 'elderly_care 14分钟\nmeal_help 14分钟');
    assert.equal(labels[0].properties.chosen, true);
    assert.equal(labels[1].properties.label, 'health 1分钟');
    assert.equal(labels[1].properties.chosen, false);
    const drawn = W.routeFeatures(features, 'elderly_care');
    assert.equal(drawn.at(-1).properties.service, 'elderly_care', 'the chosen route is drawn last, on top');
    assert.equal(drawn.at(-1).properties.chosen, true);
    assert.equal(features[1].properties.chosen, undefined, 'the features given are left as they were');
  });

  test('the isochrone legend at the walking speed', () => {
    assert.deepEqual(W.isoLegend([5, 10, 15], 1.2).map((b) => [b.minutes, b.metres]), [[5, 360], [10, 720], [15, 1080]]);
    assert.equal(W.isoLegend()[0].color, W.ISO_COLORS[5]);
  });

  test('unjoined units and facilities apart', () => {
    const list = [{ layer: 'compounds', id: 1 }, { layer: 'stations', id: 2 }, { layer: 'buildings', id: 3 }, { layer: 'service_spaces', id: 4 }];
    const s = W.unjoinedSummary(list);
    assert.equal(s.total, 4);
    assert.deepEqual(s.units.map((u) => u.id), [1, 3]);
    assert.deepEqual(s.facilities.map((u) => u.id), [2, 4]);
    assert.deepEqual(W.unjoinedSummary(undefined), { total: 0, units: [], facilities: [] });
  });

  test('which map hits are units, and their routes\' query', () => {
    assert.deepEqual(W.unitOfHit('compounds', {}, 7), { kind: 'compound', id: 7, layer: 'compounds' });
    assert.deepEqual(W.unitOfHit('buildings', { scattered: true }, 9), { kind: 'scattered_building', id: 9, layer: 'buildings' });
    assert.equal(W.unitOfHit('buildings', { scattered: false }, 9), null);
    assert.equal(W.unitOfHit('buildings', { scattered: true, count: 3 }, 9), null, 'a tile\'s building cell is no unit');
    assert.equal(W.unitOfHit('compounds', {}, undefined), null);
    assert.equal(W.unitOfHit('stations', {}, 1), null);
    assert.equal(W.routesQuery({ kind: 'compound', id: 7 }), 'compound=7');
    assert.equal(W.routesQuery({ kind: 'scattered_building', id: 9 }), 'building=9');
  });
});

describe('the UI strings', () => {
  test('every string in Chinese has an English one and the other way round, with the same placeholders', async () => {
    globalThis.window ??= { location: { search: '' }, localStorage: { getItem: () => null, setItem: () => {} } };
    const { STRINGS } = await import('../../src/i18n.js');
    const zh = Object.keys(STRINGS.zh);
    const en = Object.keys(STRINGS.en);
    assert.deepEqual(zh.filter((k) => !(k in STRINGS.en)), [], 'missing in English');
    assert.deepEqual(en.filter((k) => !(k in STRINGS.zh)), [], 'missing in Chinese');
    const holes = (s) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]))].sort().join(',');
    for (const k of zh.filter((x) => x.startsWith('walk.') || x.startsWith('legend.way.') || x.startsWith('cov.'))) {
      assert.equal(holes(STRINGS.en[k]), holes(STRINGS.zh[k]), `placeholders of ${k}`);
    }
    for (const k of ['walk.metric.walk', 'walk.metric.straight', 'cov.view.lost', 'walk.unjoined.title', 'walk.covered', 'walk.uncovered']) {
      assert.match(STRINGS.zh[k], /[\u4e00-\u9fff]/, `${k} in Chinese`);
    }
    assert.equal(STRINGS.zh['walk.metric.walk'], '步行距离');
    assert.equal(STRINGS.zh['walk.metric.straight'], '直线距离');
    assert.equal(STRINGS.zh['cov.view.lost'], '步行后失去覆盖');
  });
});
