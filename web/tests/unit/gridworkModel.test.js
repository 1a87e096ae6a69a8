// The grid worker's view (src/gridwork/model.js) and photo sizes (src/gridwork/photo.js) in node:
// who gets the workspace, their grids and worker record, units oldest visit first, needs nearest
// first, the record bodies sent to the server, the server's reasons in both languages; and every
// grid-work UI string in both languages.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as M from '../../src/gridwork/model.js';
import { dataUrlBytes, fitWithin } from '../../src/gridwork/photo.js';
import { GRIDWORK_STRINGS } from '../../src/gridwork/strings.js';

const grid = (code, community) => ({ type: 'Feature', properties: { code, name: `网格${code.slice(-3)}`, community_code: community }, geometry: { type: 'Polygon', coordinates: [] } });
const GRIDS = [grid('510504003004002', '510504003004'), grid('510504003004001', '510504003004'), grid('510504003006001', '510504003006')];

describe('who gets the workspace, and which grids', () => {
  test('grid workers, and staff or admins of one community', () => {
    assert.equal(M.mayDoGridWork({ role: 'staff', scope: 'grid:510504003004001' }), true);
    assert.equal(M.mayDoGridWork({ role: 'staff', scope: 'community:510504003004' }), true);
    assert.equal(M.mayDoGridWork({ role: 'admin', scope: 'community:510504003004' }), true);
    for (const a of [null, { role: 'viewer', scope: 'grid:510504003004001' }, { role: 'planner', scope: 'community:510504003004' }, { role: 'staff', scope: 'district' }, { role: 'staff', scope: 'street:510504003' }]) {
      assert.equal(M.mayDoGridWork(a), false, JSON.stringify(a));
    }
  });

  test('a grid scope lists its grids in order; a community scope its grids by code', () => {
    assert.deepEqual(M.scopeGrids('grid:510504003004002, 510504003004001'), ['510504003004002', '510504003004001']);
    assert.deepEqual(M.scopeGrids('community:510504003004'), []);
    assert.deepEqual(M.gridsOf({ scope: 'grid:510504003004002,510504003004001' }, GRIDS).map((g) => g.code), ['510504003004002', '510504003004001']);
    assert.deepEqual(M.gridsOf({ scope: 'community:510504003004' }, GRIDS).map((g) => g.code), ['510504003004001', '510504003004002']);
    assert.deepEqual(M.gridsOf({ scope: 'grid:999' }, GRIDS), []);
  });

  test("the account's worker record: its own, else the first serving its grid", () => {
    const records = [
      { id: 1, body: { name: '王丽', grids: ['510504003004002'] } },
      { id: 2, body: { name: '陈军', grids: ['510504003004001'] } },
      { id: 3, body: { name: '李娜', grids: ['510504003004001'], account: 'gw' } },
    ];
    assert.equal(M.workerFor(records, { name: 'gw' }, '510504003004002').id, 3);
    assert.equal(M.workerFor(records, { name: 'other' }, '510504003004001').id, 2);
    assert.equal(M.workerFor(records, { name: 'other' }, '510504003009001'), null);
  });
});

describe('units and needs', () => {
  const last = {
    type: 'FeatureCollection',
    features: [
      { properties: { layer: 'compounds', id: 69, name: '丝绸厂宿舍', households: 168, last_visit: '2026-11-20', days_since: 14 } },
      { properties: { layer: 'buildings', id: 402, name: '1栋', compound_id: 69, households: 25, last_visit: '2026-11-04', days_since: 30 } },
      { properties: { layer: 'buildings', id: 415, name: '龙南巷138号', compound_id: null, households: 7, last_visit: null, days_since: null } },
      { properties: { layer: 'compounds', id: 65, name: '巴士天福苑', households: 268, last_visit: '2026-11-28', days_since: 6 } },
    ],
  };

  test('oldest visit first: never visited, then the longest since; buildings named with their compound', () => {
    const units = M.unitsOldestFirst(last);
    assert.deepEqual(units.map((u) => [u.key, u.name, u.staleness]), [
      ['buildings:415', '龙南巷138号', 'never'],
      ['buildings:402', '丝绸厂宿舍 1栋', 'overdue'],
      ['compounds:69', '丝绸厂宿舍', 'due'],
      ['compounds:65', '巴士天福苑', 'recent'],
    ]);
    assert.deepEqual(M.unitsByPlace(units).map((u) => u.key), ['compounds:65', 'compounds:69', 'buildings:402', 'buildings:415']);
  });

  test('needs nearest first from a position; in the server order without one', () => {
    const needs = {
      type: 'FeatureCollection',
      features: [
        { id: 1, geometry: { type: 'Point', coordinates: [105.440, 28.911] }, properties: { id: 1, title: '远', category: 'repair', due_date: '2026-11-01' } },
        { id: 2, geometry: { type: 'Point', coordinates: [105.4381, 28.9111] }, properties: { id: 2, title: '近', category: 'meals' } },
        { id: 3, geometry: null, properties: { id: 3, title: '无位置' } },
      ],
    };
    const here = [105.438, 28.911];
    const near = M.needsNearestFirst(needs, here);
    assert.deepEqual(near.map((n) => n.title), ['近', '远']);
    assert.ok(near[0].distance_m > 10 && near[0].distance_m < 20, String(near[0].distance_m));
    assert.ok(Math.abs(near[1].distance_m - M.distanceM(here, [105.440, 28.911])) < 1e-9);
    assert.deepEqual(M.needsNearestFirst(needs, null).map((n) => n.title), ['远', '近']);
    assert.equal(M.isOverdue(near[1], '2026-12-04'), true);
    assert.equal(M.isOverdue(near[0], '2026-12-04'), false);
  });

  test('distance: one degree of latitude is about 111 km', () => {
    assert.ok(Math.abs(M.distanceM([105, 28], [105, 29]) - 111_195) < 50);
  });

  test('local dates', () => {
    assert.equal(M.localDate(new Date(2026, 0, 5, 23, 59)), '2026-01-05');
  });
});

describe('what is sent', () => {
  const building = { layer: 'buildings', id: 413, compound_id: 70 };
  const compound = { layer: 'compounds', id: 70 };
  const scattered = { layer: 'buildings', id: 415, compound_id: null };

  test('a unit: a compound by id; a building with its compound and household number', () => {
    assert.deepEqual(M.unitBody(compound, '3-2'), { compound_id: 70 });
    assert.deepEqual(M.unitBody(building, ' 3-2 '), { building_id: 413, compound_id: 70, household: '3-2' });
    assert.deepEqual(M.unitBody(scattered, ''), { building_id: 415 });
  });

  test('a visit or errand', () => {
    assert.deepEqual(M.visitBody({ worker: { id: 1 }, kind: 'errand', unit: building, household: '3-2', date: '2026-12-04', notes: '  代缴水费 ', position: [105.4, 28.9], photo: 'data:image/jpeg;base64,AA==', clientId: 'c1' }), {
      worker_id: 1, date: '2026-12-04', kind: 'errand', unit: { building_id: 413, compound_id: 70, household: '3-2' }, households: 1,
      client_id: 'c1', notes: '代缴水费', position: [105.4, 28.9], photo: 'data:image/jpeg;base64,AA==',
    });
    assert.deepEqual(M.visitBody({ worker: { id: 2 }, kind: 'visit', unit: compound, date: '2026-12-04', notes: ' ', position: null, clientId: 'c2' }), {
      worker_id: 2, date: '2026-12-04', kind: 'visit', unit: { compound_id: 70 }, households: 1, client_id: 'c2',
    });
  });

  test('a need: on a unit, or in the grid without one', () => {
    assert.deepEqual(M.needBody({ title: ' 下水道堵塞 ', category: 'repair', raisedBy: '王丽', date: '2026-12-04', dueDate: '2026-12-10', unit: compound, notes: '三单元', clientId: 'n1' }), {
      title: '下水道堵塞', category: 'repair', raised_by: '王丽', raised_on: '2026-12-04', client_id: 'n1', due_date: '2026-12-10', unit: { compound_id: 70 }, description: '三单元',
    });
    assert.deepEqual(M.needBody({ title: '路灯坏了', category: 'safety', raisedBy: '王丽', date: '2026-12-04', grid: { code: '510504003004001', community_code: '510504003004' }, position: [105.4, 28.9], clientId: 'n2' }), {
      title: '路灯坏了', category: 'safety', raised_by: '王丽', raised_on: '2026-12-04', client_id: 'n2', community_code: '510504003004', grid_code: '510504003004001', position: [105.4, 28.9],
    });
  });

  test("the server's reasons: Chinese in Chinese, English in English, else its message", () => {
    const refusal = { status: 422, message: 'unit.household: …', problems: [{ field: 'unit.household', reason: 'a household number needs its building (building_id)', reason_zh: '户号须指明所在楼栋（building_id）' }] };
    assert.deepEqual(M.refusalReasons(refusal, 'zh'), ['户号须指明所在楼栋（building_id）']);
    assert.deepEqual(M.refusalReasons(refusal, 'en'), ['a household number needs its building (building_id)']);
    // Without problems: the refusal in words by its code, the server's message as detail.
    const t = (key, vars = {}) => ({ 'err.forbidden': '当前账号无权执行此操作。', 'err.detail_inline': '（服务器说明：{detail}）' }[key] ?? key)
      .replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
    assert.deepEqual(M.refusalReasons({ status: 403, code: 'forbidden', message: 'outside your scope', problems: [] }, 'zh', t),
      ['当前账号无权执行此操作。（服务器说明：outside your scope）']);
  });
});

describe('photos', () => {
  test('fit within 1280 px on the longer side, never enlarged', () => {
    assert.deepEqual(fitWithin(4032, 3024), { width: 1280, height: 960 });
    assert.deepEqual(fitWithin(3024, 4032), { width: 960, height: 1280 });
    assert.deepEqual(fitWithin(800, 600), { width: 800, height: 600 });
  });

  test('the bytes of a data URL', () => {
    assert.equal(dataUrlBytes(`data:image/jpeg;base64,${Buffer.alloc(1000).toString('base64')}`), 1000);
    assert.equal(dataUrlBytes(`data:image/jpeg;base64,${Buffer.alloc(1001).toString('base64')}`), 1001);
  });
});

describe('strings', () => {
  test('every grid-work string in both languages, with the same placeholders', () => {
    const zh = Object.keys(GRIDWORK_STRINGS.zh).sort();
    const en = Object.keys(GRIDWORK_STRINGS.en).sort();
    assert.deepEqual(en, zh);
    const vars = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of zh) {
      assert.ok(GRIDWORK_STRINGS.zh[k] && GRIDWORK_STRINGS.en[k], k);
      assert.deepEqual(vars(GRIDWORK_STRINGS.en[k]), vars(GRIDWORK_STRINGS.zh[k]), k);
    }
  });
});
