// The editing form's state (src/edit/state.js), where a drawn feature lies (src/edit/places.js) and
// who may edit what (src/access.js), in node: the schema's checks, the feature sent, the server's
// problems placed by field, a conflict's rows and merge — no browser, no server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { creatableLayers, mayEdit } from '../../src/access.js';
import { layerFields, useEnums } from '../../src/enums.js';
import * as P from '../../src/edit/places.js';
import * as S from '../../src/edit/state.js';

// The part of `GET /api/enums` these tests need, as the server serves it.
useEnums({
  enums: [{ name: 'property_management', values: ['professional', 'community_hosted', 'joint', 'none'].map((name) => ({ name, label_zh: name, label_en: name })) },
    { name: 'service_type', values: ['elderly_care', 'housekeeping'].map((name) => ({ name, label_zh: name, label_en: name })) }],
  layers: [{
    layer: 'compounds', geometry: ['Polygon'], fields: [
      { name: 'name', label_zh: '名称', label_en: 'Name', kind: 'text', required: true, max_chars: 10 },
      { name: 'community_code', label_zh: '所属社区', label_en: 'Community', kind: 'code', required: true, digits: 12, references: { layer: 'communities', key: 'code' } },
      { name: 'households', label_zh: '户数', label_en: 'Households', kind: 'integer', required: true, min: 0, max: 1000000 },
      { name: 'build_year', label_zh: '建成年份', label_en: 'Build year', kind: 'year', required: false, min: 1800, max: 2100 },
      { name: 'property_management', label_zh: '物业管理', label_en: 'Property management', kind: 'enum', enum: 'property_management', required: true },
      { name: 'owners_committee', label_zh: '业委会', label_en: "Owners' committee", kind: 'boolean', required: true },
      { name: 'three_no', label_zh: '三无小区', label_en: 'Three-no', kind: 'boolean', derived: true, required: false },
    ],
  }, {
    layer: 'service_spaces', geometry: ['Point', 'Polygon'], fields: [
      { name: 'services', label_zh: '服务类型', label_en: 'Services', kind: 'enum_list', list: true, enum: 'service_type', required: true },
      { name: 'floor_area', label_zh: '面积', label_en: 'Floor area', kind: 'number', required: true, min: 0, max: 1000000 },
    ],
  }],
});

const square = { type: 'Polygon', coordinates: [[[105.4, 28.9], [105.401, 28.9], [105.401, 28.901], [105.4, 28.901], [105.4, 28.9]]] };
const compound = {
  type: 'Feature', id: 65, geometry: square,
  properties: { name: '巴士天福苑', community_code: '510504003004', households: 268, build_year: 1998, property_management: 'professional', owners_committee: true, three_no: false, version: 4 },
};
const session = () => S.createSession({ mode: 'edit', layer: 'compounds', feature: compound, fields: layerFields('compounds') });
const field = (layer, name) => layerFields(layer).find((f) => f.name === name);

describe('the schema\'s checks', () => {
  test('whole numbers, ranges and years', () => {
    const hh = field('compounds', 'households');
    assert.deepEqual(S.parseField(hh, ' 300 '), { value: 300 });
    assert.deepEqual(S.parseField(hh, '-5'), { error: { key: 'edit.err.min', vars: { min: 0 } } });
    assert.deepEqual(S.parseField(hh, '12.5'), { error: { key: 'edit.err.whole' } });
    assert.deepEqual(S.parseField(hh, '约30户'), { error: { key: 'edit.err.integer' } });
    assert.deepEqual(S.parseField(hh, ''), { error: { key: 'edit.err.required' } });
    assert.deepEqual(S.parseField(hh, '３００'), { value: 300 }, 'full-width digits of a Chinese input method');
    const year = field('compounds', 'build_year');
    assert.deepEqual(S.parseField(year, ''), { value: null }, 'optional');
    assert.deepEqual(S.parseField(year, '2200'), { error: { key: 'edit.err.max', vars: { max: 2100 } } });
  });

  test('numbers, text, codes, choices and lists', () => {
    assert.deepEqual(S.parseField(field('service_spaces', 'floor_area'), '120.5'), { value: 120.5 });
    assert.deepEqual(S.parseField(field('service_spaces', 'floor_area'), 'abc'), { error: { key: 'edit.err.number' } });
    assert.deepEqual(S.parseField(field('compounds', 'name'), '一二三四五六七八九十一'), { error: { key: 'edit.err.chars', vars: { n: 10 } } });
    assert.deepEqual(S.parseField(field('compounds', 'community_code'), '51050400300'), { error: { key: 'edit.err.digits', vars: { n: 12 } } });
    assert.deepEqual(S.parseField(field('compounds', 'property_management'), 'joint'), { value: 'joint' });
    assert.deepEqual(S.parseField(field('compounds', 'property_management'), 'x'), { error: { key: 'edit.err.choice' } });
    assert.deepEqual(S.parseField(field('compounds', 'owners_committee'), 'false'), { value: false });
    const services = field('service_spaces', 'services');
    assert.deepEqual(S.parseField(services, []), { error: { key: 'edit.err.list' } });
    assert.deepEqual(S.parseField(services, ['housekeeping', 'housekeeping']), { value: ['housekeeping'] });
  });
});

describe('a form session', () => {
  test('shows the stored fields only, sends every one with the version it changes', () => {
    const s = session();
    assert.deepEqual(s.fields.map((f) => f.name), ['name', 'community_code', 'households', 'build_year', 'property_management', 'owners_committee']);
    assert.equal(s.raw.owners_committee, 'true');
    assert.equal(S.isDirty(s), false);
    S.setRaw(s, 'households', '300');
    S.setRaw(s, 'build_year', '');
    assert.deepEqual(S.changedFields(s), ['households', 'build_year']);
    assert.ok(S.validateAll(s));
    const f = S.toFeature(s);
    assert.equal(f.id, 65);
    assert.deepEqual(f.properties, {
      name: '巴士天福苑', community_code: '510504003004', households: 300, build_year: null, property_management: 'professional', owners_committee: true, version: 4,
    });
    assert.equal('three_no' in f.properties, false, 'derived fields are not sent');
  });

  test('a wrong value is kept as typed with its message; the server\'s problems go beside their fields', () => {
    const s = session();
    S.setRaw(s, 'households', '-5');
    assert.deepEqual(s.errors.households, { key: 'edit.err.min', vars: { min: 0 } });
    assert.equal(S.validateAll(s), false);
    S.setRaw(s, 'households', '5');
    assert.equal(S.validateAll(s), true);
    S.applyProblems(s, [
      { field: 'households', reason: 'must be ≥ 0', reason_zh: '不能小于 0' },
      { field: 'geometry', reason: 'gate lies 871 m from compound 65' },
      { field: 'elsewhere', reason: 'other' },
    ]);
    assert.deepEqual(s.errors.households, { reason: 'must be ≥ 0', reason_zh: '不能小于 0' });
    assert.deepEqual(s.errors.geometry, { reason: 'gate lies 871 m from compound 65', reason_zh: null });
    assert.deepEqual(s.general, [{ field: 'elsewhere', reason: 'other', reason_zh: null }]);
    S.setGeometry(s, square);
    assert.equal(s.errors.geometry, undefined, 'a new shape clears the shape\'s problem');
  });

  test('a new feature needs its shape and is dirty once drawn', () => {
    const s = S.createSession({ mode: 'create', layer: 'service_spaces', feature: null, fields: layerFields('service_spaces') });
    assert.equal(S.isDirty(s), false);
    assert.equal(S.validateAll(s), false);
    assert.deepEqual(s.errors.geometry, { key: 'edit.err.geometry' });
    S.setGeometry(s, { type: 'Point', coordinates: [105.4, 28.9] });
    assert.equal(S.isDirty(s), true);
    S.setRaw(s, 'services', ['housekeeping']);
    S.setRaw(s, 'floor_area', '60');
    assert.equal(S.validateAll(s), true);
    assert.deepEqual(S.toFeature(s), { type: 'Feature', geometry: { type: 'Point', coordinates: [105.4, 28.9] }, properties: { services: ['housekeeping'], floor_area: 60 } });
  });

  test('a conflict: rows side by side; going on on top of theirs keeps only what I changed', () => {
    const s = session();
    S.setRaw(s, 'households', '300');
    const theirs = structuredClone(compound);
    theirs.properties.version = 5;
    theirs.properties.property_management = 'joint';
    theirs.properties.households = 270;
    const rows = Object.fromEntries(S.conflictRows(s, theirs).map((r) => [r.field, r]));
    assert.deepEqual(rows.households, { field: 'households', theirs: 270, mine: 300, differs: true, mineChanged: true });
    assert.deepEqual(rows.property_management, { field: 'property_management', theirs: 'joint', mine: 'professional', differs: true, mineChanged: false });
    assert.equal(rows.name.differs, false);
    assert.equal(rows.geometry.differs, false);
    S.rebaseOnTheirs(s, theirs);
    assert.equal(s.version, 5);
    assert.equal(s.raw.households, '300', 'mine');
    assert.equal(s.raw.property_management, 'joint', 'theirs');
    assert.deepEqual(S.changedFields(s), ['households']);
  });
});

describe('where a drawn feature lies', () => {
  test('inside, near and the area of a polygon', () => {
    assert.ok(P.contains(square, [105.4005, 28.9005]));
    assert.ok(!P.contains(square, [105.402, 28.9005]));
    // 0.0001° of longitude at 28.9° N is about 9.7 m.
    const d = P.distanceTo(square, [105.4011, 28.9005]);
    assert.ok(Math.abs(d - 9.74) < 0.1, `${d}`);
    const a = P.areaOf(square);
    assert.ok(Math.abs(a - 97.35 * 111.2) / a < 0.01, `${a}`);
    const far = { geometry: { ...square, coordinates: [square.coordinates[0].map(([x, y]) => [x + 0.01, y])] } };
    assert.equal(P.featureAt([far, { geometry: square }], [105.4011, 28.9005], P.GATE_REACH_M).geometry, square, 'the nearest within 50 m');
    assert.equal(P.featureAt([{ geometry: square }], [105.4011, 28.9005]), null, 'only one holding it when no reach is given');
    const [x, y] = P.anchorOf(square);
    assert.ok(Math.abs(x - 105.4005) < 1e-9 && Math.abs(y - 28.9005) < 1e-9, 'the middle of a square');
  });
});

describe('who may edit', () => {
  test('by role and scope, as engine::access says', () => {
    const staff = { role: 'staff', scope: 'community:510504003004' };
    assert.ok(mayEdit(staff, 'compounds', { community_code: '510504003004' }));
    assert.ok(!mayEdit(staff, 'compounds', { community_code: '510504003006' }), 'another community');
    assert.ok(!mayEdit(staff, 'grids', { community_code: '510504003004' }), 'staff do not change grids');
    assert.ok(mayEdit({ role: 'planner', scope: 'street:510504003' }, 'grids', { community_code: '510504003004' }));
    assert.ok(!mayEdit({ role: 'viewer', scope: 'district' }, 'stations', { community_code: '510504003004' }));
    assert.ok(!mayEdit(null, 'stations', { community_code: '510504003004' }), 'signed out');
    assert.ok(mayEdit({ role: 'admin', scope: 'street:510504003' }, 'streets', { code: '510504003' }));
    assert.ok(!mayEdit({ role: 'admin', scope: 'community:510504003004' }, 'streets', { code: '510504003' }));
    assert.deepEqual(creatableLayers(staff), ['compounds', 'buildings', 'gates', 'stations', 'service_spaces']);
    assert.deepEqual(creatableLayers({ role: 'viewer', scope: 'district' }), []);
    // Ways: a planner of their street or of the district; beyond every street the district only.
    const streetPlanner = { role: 'planner', scope: 'street:510504003' };
    assert.deepEqual(creatableLayers(streetPlanner).at(-1), 'ways');
    assert.ok(mayEdit(streetPlanner, 'ways', { street_code: '510504003' }));
    assert.ok(!mayEdit(streetPlanner, 'ways', { street_code: '510504004' }), 'another street');
    assert.ok(!mayEdit(streetPlanner, 'ways', { street_code: null }), 'beyond the streets');
    assert.ok(mayEdit({ role: 'planner', scope: 'district' }, 'ways', {}));
    assert.ok(!mayEdit(staff, 'ways', { street_code: '510504003' }), 'staff do not change ways');
  });
});
