// The import page's state and words (src/imports.js), without a browser.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { useEnums } from '../../src/enums.js';
import * as I from '../../src/imports.js';

const check = {
  id: 'abc', ready: false, features: 2, created: 1, updated: 1, needs_layer: false,
  files: [{ file: '台账.xlsx', format: 'xlsx', layer: 'compounds', sheet: '龙南', sheets: ['龙南', '五星'],
    columns: [{ header: '户数', field: 'households', how: 'field' }, { header: '备注', how: 'unknown', closest: ['name'] }] }],
  problems: [{ file: '台账.xlsx', row: 3, column: '户数', value: '约30户', field: 'households', reason: '"约30户" is not a whole number', reason_zh: '“约30户”不是整数' }],
  preview: { type: 'FeatureCollection', features: [] },
};

test('options sent to the server leave out what the user did not choose', () => {
  assert.deepEqual(I.requestOptions(I.emptyOptions()), {});
  const o = I.mapColumn({ ...I.emptyOptions(), crs: ' EPSG:4524 ' }, '备注', '');
  assert.deepEqual(I.requestOptions(o), { crs: 'EPSG:4524', columns: { 备注: '' } });
  assert.deepEqual(I.requestOptions(I.mapColumn(o, '备注', null)), { crs: 'EPSG:4524' }, 'back to what was detected');
});

test('after a check the layer and the sheet read are kept for the next one', () => {
  const o = I.optionsAfter(I.emptyOptions(), check);
  assert.equal(o.layer, 'compounds');
  assert.equal(o.sheet, '龙南');
  assert.equal(I.optionsAfter(I.emptyOptions(), { ...check, needs_layer: true }).layer, '', 'a layer the server could not tell is asked for');
});

test('problems read in the page\'s language, and unknown columns are listed until mapped', () => {
  assert.equal(I.problemRows(check, 'zh')[0].reason, '“约30户”不是整数');
  assert.equal(I.problemRows(check, 'en')[0].reason, '"约30户" is not a whole number');
  assert.equal(I.problemRows(check, 'zh')[0].row, 3);
  assert.equal(I.problemRows(check, 'zh')[0].value, '约30户');
  assert.deepEqual(I.unknownColumns(check, I.emptyOptions()).map((c) => c.header), ['备注']);
  assert.deepEqual(I.unknownColumns(check, I.mapColumn(I.emptyOptions(), '备注', '')), []);
  assert.equal(I.canCommit(check), false);
  assert.equal(I.canCommit({ ...check, ready: true, problems: [] }), true);
  assert.equal(I.canCommit({ ...check, ready: true, problems: [], features: 0 }), false);
});

test('a column may be read as any stored field, coordinates or ids, not as a computed field', () => {
  useEnums({ enums: [], layers: [{ layer: 'compounds', fields: [
    { name: 'name', label_zh: '名称', label_en: 'Name' },
    { name: 'households', label_zh: '户数', label_en: 'Households' },
    { name: 'three_no', label_zh: '三无小区', label_en: 'Three-no', derived: true },
  ] }] });
  assert.deepEqual(I.columnTargets('compounds'), ['name', 'households', 'lon', 'lat', 'wkt', 'id', 'version']);
  assert.equal(I.targetLabel('compounds', 'households', 'zh'), '户数（households）');
  assert.equal(I.targetLabel('compounds', 'lon', 'zh', { lon: '经度（lon）' }), '经度（lon）');
});
