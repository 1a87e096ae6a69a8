// The data-problems state (src/problems.js) in node: who sees the notice, the server's answers
// and refusals, the rows, and the JSON / text the admin takes away — no browser, no server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as P from '../../src/problems.js';

const ADMIN = { name: 'a', role: 'admin', scope: 'district' };
const PLANNER = { name: 'p', role: 'planner', scope: 'district' };
const TITLES = { compounds: '小区', buildings: '楼栋' };
const title = (l) => TITLES[l] ?? l;

const LIST = {
  data_version: 42,
  problems: [
    {
      layer: 'compounds', id: 17, version: 3, field: 'households',
      reason: 'households: must be a whole number, the stored value is the text "about 300"',
      reason_zh: '户数（households）：应为整数，存储的值却是文字“about 300”',
      repair: 'PUT /ogc/collections/compounds/items/17 with If-Match: "3"',
      repair_zh: 'PUT /ogc/collections/compounds/items/17，请求头 If-Match: "3"',
    },
    {
      layer: 'buildings', id: 5, version: null, reason: 'geometry: bad WKB', reason_zh: 'geometry（几何图形）：无法读取（bad WKB）',
      repair: 'PUT /ogc/collections/buildings/items/5 with If-Match: "0"', repair_zh: 'PUT /ogc/collections/buildings/items/5，请求头 If-Match: "0"',
    },
    // As an older server lists it: English only.
    { layer: 'compounds', id: 2, version: 1, reason: 'name: missing', repair: 'PUT /ogc/collections/compounds/items/2 with If-Match: "1"' },
  ],
};

const loaded = (account = ADMIN, body = LIST) => P.applyList(P.forAccount(P.initialProblems(), account), body);

describe('who sees the data problems', () => {
  test('signed out, a planner, staff or viewer: nothing, whatever the server would say', () => {
    for (const account of [null, PLANNER, { role: 'staff' }, { role: 'viewer' }]) {
      const s = loaded(account);
      assert.equal(P.wantsList(s), false);
      assert.equal(P.badgeCount(s), 0);
      assert.equal(P.showsNotice(s), false);
      assert.equal(P.setOpen(s, true).open, false, 'the panel cannot be opened');
    }
  });

  test('an admin with unreadable rows: a badge with their number', () => {
    const s = loaded();
    assert.equal(P.wantsList(P.forAccount(P.initialProblems(), ADMIN)), true);
    assert.equal(s.phase, 'ready');
    assert.equal(s.dataVersion, 42);
    assert.equal(P.badgeCount(s), 3);
    assert.equal(P.showsNotice(s), true);
  });

  test('an admin on a healthy store: no badge', () => {
    const s = loaded(ADMIN, { data_version: 7, problems: [] });
    assert.equal(P.badgeCount(s), 0);
    assert.equal(P.showsNotice(s), false);
  });

  test('signing out (or in as a planner) hides the list an admin had', () => {
    const s = P.setOpen(loaded(), true);
    assert.equal(s.open, true);
    for (const next of [null, PLANNER]) {
      const after = P.forAccount(s, next);
      assert.equal(P.badgeCount(after), 0);
      assert.equal(after.open, false);
      assert.deepEqual(after.problems, []);
    }
  });
});

describe('the server refusing or failing', () => {
  test('403 or 401 hide the notice (the token is no admin’s, or expired)', () => {
    for (const status of [401, 403]) {
      const s = P.applyError(P.setOpen(loaded(), true), { status, message: 'no' });
      assert.equal(P.showsNotice(s), false);
      assert.equal(s.open, false);
    }
  });

  test('another failure keeps the last list and says why; the notice stays so it is not silent', () => {
    const failure = { status: 0, message: 'connection refused' };
    const s = P.applyError(P.loading(loaded()), failure);
    assert.equal(s.phase, 'error');
    assert.equal(s.error, failure, 'the failure kept, to be put in words in the UI\'s language');
    assert.equal(P.badgeCount(s), 3);
    const first = P.applyError(P.forAccount(P.initialProblems(), ADMIN), { status: 500, message: 'boom' });
    assert.equal(P.badgeCount(first), 0);
    assert.equal(P.showsNotice(first), true);
  });

  test('an answer arriving after signing out changes nothing', () => {
    const s = P.forAccount(loaded(), null);
    assert.deepEqual(P.applyList(s, LIST), s);
  });

  test('a repaired store answers an empty list: the badge goes', () => {
    const s = P.applyList(P.loading(loaded()), { data_version: 43, problems: [] });
    assert.equal(P.badgeCount(s), 0);
    assert.equal(s.dataVersion, 43);
  });
});

describe('rows and what the admin takes away', () => {
  test('rows carry the layer’s title, id, version, reason and repair request, by layer title then id', () => {
    const rows = P.problemRows(loaded(), title);
    assert.equal(rows.length, 3);
    assert.deepEqual(rows.filter((r) => r.layer === 'compounds').map((r) => r.id), [2, 17], 'ids ascending within a layer');
    const layers = rows.map((r) => r.layer);
    assert.ok(layers.indexOf('buildings') === 0 || layers.indexOf('buildings') === 2, 'one layer’s rows together');
    const r = rows.find((x) => x.id === 17);
    assert.equal(r.layerTitle, '小区');
    assert.equal(r.version, 3);
    assert.equal(r.reason, LIST.problems[0].reason_zh, 'the reason in Chinese by default');
    assert.equal(r.field, 'households', 'the field at fault, for its label');
    assert.equal(rows.find((x) => x.id === 2).field, null, 'no field when the server names none');
    assert.equal(r.repair, LIST.problems[0].repair_zh);
    assert.equal(rows.find((x) => x.id === 5).version, null, 'a version the server could not read stays unknown');
  });

  test('the JSON download is the server’s list with each layer’s title', () => {
    const s = loaded();
    const doc = JSON.parse(P.problemsJson(s, title));
    assert.equal(doc.data_version, 42);
    assert.equal(doc.problems.length, 3);
    assert.deepEqual(doc.problems[0], { ...LIST.problems[0], layer_title: '小区' });
    assert.equal(P.problemsFileName(s), 'gridatlas-problems-v42.json');
  });

  test('reason and repair follow the map’s language; English stands in where the server sent no Chinese', () => {
    const byId = (lang) => Object.fromEntries(P.problemRows(loaded(), title, lang).map((r) => [r.id, r]));
    const zh = byId('zh');
    const en = byId('en');
    assert.equal(zh[17].reason, '户数（households）：应为整数，存储的值却是文字“about 300”');
    assert.equal(zh[5].repair, LIST.problems[1].repair_zh);
    assert.equal(en[17].reason, LIST.problems[0].reason);
    assert.equal(en[17].repair, LIST.problems[0].repair);
    assert.equal(en[5].reason, 'geometry: bad WKB');
    assert.equal(zh[2].reason, 'name: missing', 'no reason_zh: the English, not an empty cell');
    assert.equal(zh[2].repair, LIST.problems[2].repair);
  });

  test('the copied text has one tab-separated line per row, in the map’s language', () => {
    const lines = P.problemsText(loaded(), title).split('\n');
    assert.equal(lines.length, 3);
    const line = lines.find((l) => l.includes('\t17\t')).split('\t');
    assert.deepEqual(line, ['小区', 'compounds', '17', '3', LIST.problems[0].reason_zh, LIST.problems[0].repair_zh]);
    const english = P.problemsText(loaded(), title, 'en').split('\n').find((l) => l.includes('\t17\t')).split('\t');
    assert.deepEqual(english.slice(4), [LIST.problems[0].reason, LIST.problems[0].repair]);
  });
});
