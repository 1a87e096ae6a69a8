// The grid-planning state (src/planning/state.js) in node: who may edit, undo/redo, applying the
// server's answers, selection, drawing and shortcuts — no browser, no server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import * as S from '../../src/planning/state.js';

const PLANNER = { name: 'p', role: 'planner', scope: 'street:510504003' };

/** A draft PlanView as the server sends it (only the parts the state reads). */
function draft({ id = 7, version = 1, status = 'draft', moves = {} } = {}) {
  const where = { 'compound:1': ['g1'], 'compound:2': ['g1'], 'building:3': ['g2'], 'compound:4': ['g1', 'g2'], ...moves };
  const at = { 'compound:1': [105.0, 28.0], 'compound:2': [105.2, 28.2], 'building:3': [105.8, 28.8], 'compound:4': [105.5, 28.5] };
  return {
    id, version, status, name: `草稿${version}`, community_code: '510504003006', community_name: '奥体社区',
    plan: { version, grids: [{ code: 'g1', name: '奥体社区第1网格' }, { code: 'g2', name: '奥体社区第2网格' }] },
    units: Object.entries(where).map(([unit, grids], i) => ({ unit, name: `单元${i + 1}`, grids, households: 100 + i, lon: at[unit][0], lat: at[unit][1] })),
  };
}

function opened(v = draft()) {
  const s = S.createPlanningState();
  S.openCommunity(s, '510504003006');
  S.showCurrentGrids(s, { ...draft(), id: null, status: 'current' });
  s.drafts = [{ id: v.id, version: v.version, status: v.status, name: v.name }];
  S.openDraft(s, v);
  return s;
}

describe('who may edit', () => {
  test('a planner whose scope covers the community edits an open draft', () => {
    assert.equal(S.isEditable(opened(), PLANNER), true);
    assert.equal(S.isEditable(opened(), { role: 'admin', scope: 'district' }), true);
  });

  test('viewers, staff, the signed-out and planners of another street only look', () => {
    for (const account of [null, { role: 'viewer', scope: 'district' }, { role: 'staff', scope: 'district' }, { role: 'planner', scope: 'street:510504004' }, { role: 'planner', scope: 'community:510504003001' }]) {
      assert.equal(S.isEditable(opened(), account), false, JSON.stringify(account));
    }
  });

  test('the current grids, a published draft and a previewed proposal are read-only', () => {
    const s = opened();
    S.closeDraft(s);
    assert.equal(s.view.status, 'current');
    assert.equal(S.isEditable(s, PLANNER), false);
    const p = opened();
    p.proposal = { view: draft({ version: 9 }), plan: {} };
    assert.equal(S.isEditable(p, PLANNER), false);
    assert.equal(S.canAcceptProposal(p, PLANNER), true, 'but the proposal can be accepted');
    assert.equal(S.canAcceptProposal(p, { role: 'viewer', scope: 'district' }), false);
    const pub = opened();
    S.recordPublished(pub, { draft: draft({ status: 'published', version: 2 }), data_version: 5 });
    assert.equal(S.isEditable(pub, PLANNER), false);
    assert.equal(pub.lastPublish.data_version, 5);
  });

  test('drafts are listed only within the scope; 新建草稿 is for planners (or asks to sign in)', () => {
    assert.equal(S.seesDrafts(PLANNER, '510504003006'), true);
    assert.equal(S.seesDrafts(PLANNER, '510504004001'), false);
    assert.equal(S.seesDrafts(null, '510504003006'), false);
    assert.equal(S.mayStartDraft(null), true);
    assert.equal(S.mayStartDraft({ role: 'viewer' }), false);
    assert.equal(S.mayStartDraft(PLANNER), true);
  });

  test('an account limited to one community opens it', () => {
    const list = [{ code: '510504003006' }, { code: '510504003004' }];
    assert.equal(S.preselectedCommunity({ role: 'planner', scope: 'community:510504003004' }, list), '510504003004');
    assert.equal(S.preselectedCommunity({ role: 'planner', scope: 'community:999' }, list), null);
    assert.equal(S.preselectedCommunity(PLANNER, list), null);
  });
});

describe('changes, undo and redo', () => {
  test('each change can be undone and redone in order; a new change drops what was undone', () => {
    const s = opened();
    const plans = [s.view.plan];
    for (const version of [2, 3]) {
      const v = draft({ version });
      S.recordChange(s, s.view.plan, v);
      plans.push(v.plan);
    }
    assert.deepEqual(s.undo, plans.slice(0, 2));
    assert.equal(S.stepTarget(s, 'redo'), null);
    // Undo: the server gets the plan before the last change and answers with version 4.
    assert.equal(S.stepTarget(s, 'undo'), plans[1]);
    S.recordStep(s, 'undo', s.view.plan, { ...draft({ version: 4 }), plan: plans[1] });
    assert.deepEqual(s.undo, [plans[0]]);
    assert.deepEqual(s.redo, [plans[2]]);
    // Redo puts the undone plan back.
    assert.equal(S.stepTarget(s, 'redo'), plans[2]);
    S.recordStep(s, 'redo', s.view.plan, { ...draft({ version: 5 }), plan: plans[2] });
    assert.deepEqual(s.redo, []);
    assert.deepEqual(s.undo, [plans[0], plans[1]]);
    // Undo, then a new change: nothing to redo any more.
    S.recordStep(s, 'undo', s.view.plan, { ...draft({ version: 6 }), plan: plans[1] });
    assert.equal(s.redo.length, 1);
    S.recordChange(s, s.view.plan, draft({ version: 7 }));
    assert.deepEqual(s.redo, []);
    assert.equal(s.undo.length, 2);
  });

  test('accepting a proposal is an ordinary change that undo takes back', () => {
    const s = opened();
    const before = s.view.plan;
    s.proposal = { view: draft({ version: 9 }) };
    S.recordAcceptedProposal(s, before, draft({ version: 2 }));
    assert.equal(s.proposal, null);
    assert.equal(S.stepTarget(s, 'undo'), before);
  });

  test('opening another community or plan forgets the undo history, selection and dialogs', () => {
    const s = opened();
    S.recordChange(s, s.view.plan, draft({ version: 2 }));
    Object.assign(s, { target: 'g1', unit: 'compound:1', confirm: 'publish', drawing: [[1, 2]] });
    const seq = s.seq;
    assert.equal(S.openCommunity(s, '510504003004'), seq + 1);
    for (const k of ['view', 'current', 'target', 'unit', 'confirm', 'drawing', 'proposal', 'message']) assert.equal(s[k], null, k);
    assert.deepEqual([s.undo, s.redo, s.drafts, s.draftId], [[], [], [], null]);
  });
});

describe('applying the server answers', () => {
  test('a new plan keeps the target and unit it still has and drops the others', () => {
    const s = opened();
    Object.assign(s, { target: 'g2', unit: 'compound:2' });
    S.setView(s, draft({ version: 2 }));
    assert.deepEqual([s.target, s.unit], ['g2', 'compound:2']);
    const without = draft({ version: 3 });
    without.plan.grids = without.plan.grids.filter((g) => g.code !== 'g2');
    without.units = without.units.filter((u) => u.unit !== 'compound:2');
    S.setView(s, without);
    assert.deepEqual([s.target, s.unit], [null, null]);
  });

  test('the drafts list follows the open draft’s version, status and name', () => {
    const s = opened();
    S.setView(s, { ...draft({ version: 4 }), name: '新名字' });
    assert.deepEqual(s.drafts[0], { id: 7, version: 4, status: 'draft', name: '新名字', updated_at: undefined, updated_by: undefined });
  });

  test('a draft no longer listed (signed out) closes; the current grids show', () => {
    const s = opened();
    S.setDrafts(s, [{ id: 7 }], { closeMissing: true });
    assert.equal(s.draftId, 7);
    S.setDrafts(s, [], { closeMissing: true });
    assert.equal(s.draftId, null);
    assert.equal(s.view, s.current);
  });

  test('refusals read by the server\'s code, naming the community; only a stale version of an open draft reloads it', () => {
    const err = (status, code, message = 'why', body = {}) => Object.assign(new Error(message), { status, code, ...body });
    assert.deepEqual(S.errorMessage(err(401, 'unauthorized')), { key: 'pl.err.signin', vars: {} });
    const lists = { ...S.createPlanningState(), community: '510504003004', communities: [{ code: '510504003004', name: '龙南社区' }] };
    const forbidden = err(403, 'forbidden', 'not yours');
    assert.deepEqual(S.errorMessage(forbidden, lists), { key: 'pl.err.forbidden', vars: { community: '龙南社区' }, error: forbidden });
    assert.equal(S.errorMessage(forbidden).key, 'pl.err.forbidden_any');
    assert.equal(S.errorMessage(err(409, 'conflict')).key, 'pl.err.conflict');
    const violations = [{ rule: 'over_cap', grid: 'G1', units: ['compound:65'] }];
    const plan = S.errorMessage(err(422, 'invalid_plan', 'the plan breaks 1 grid rule(s): … compound:65', { violations }));
    assert.equal(plan.key, 'pl.err.plan');
    assert.deepEqual(plan.vars, { n: 1 });
    assert.equal(plan.violations, violations, 'the broken rules are kept to be listed by name');
    assert.equal(S.errorMessage(err(422, 'invalid_plan', 'one polygon', { violations: [] })).key, 'pl.err.plan_shape');
    assert.equal(S.errorMessage(err(422, 'invalid_operation')).key, 'pl.err.operation');
    assert.deepEqual(S.errorMessage(err(422, 'invalid_feature', 'x', { problems: [{ field: 'name' }] })).problems, [{ field: 'name' }]);
    assert.equal(S.errorMessage(new TypeError('x is undefined')).key, 'pl.err.other');
    const s = opened();
    assert.equal(S.isStaleDraft(err(409, 'conflict'), s), true);
    assert.equal(S.isStaleDraft(err(422, 'invalid_plan'), s), false);
    S.closeDraft(s);
    assert.equal(S.isStaleDraft(err(409, 'conflict'), s), false);
  });

  test('grid names drop the community name in front', () => {
    const s = opened();
    assert.equal(S.gridName(s, 'g2'), '第2网格');
    assert.equal(S.gridName(s, 'g9'), 'g9', 'unknown: the code');
    assert.equal(S.unitName(s, 'building:3'), '单元3');
  });
});

describe('picking units', () => {
  test('units already wholly in the target stay; split units and others move, with their households', () => {
    const s = opened();
    const m = S.unitsToMove(s, ['compound:1', 'compound:4', 'building:3', 'compound:99'], 'g1');
    assert.deepEqual(m, { keys: ['compound:4', 'building:3'], households: 103 + 102 });
    assert.deepEqual(S.unitsToMove(s, ['compound:1'], 'g1').keys, []);
  });

  test('a click moves a unit into the target when editing, else selects it', () => {
    const s = opened();
    assert.equal(S.clickOnUnit(s, PLANNER, 'compound:1'), 'select', 'no target');
    s.target = 'g2';
    assert.equal(S.clickOnUnit(s, PLANNER, 'compound:1'), 'move');
    assert.equal(S.clickOnUnit(s, PLANNER, 'building:3'), 'select', 'already there');
    assert.equal(S.clickOnUnit(s, { role: 'viewer', scope: 'district' }, 'compound:1'), 'select');
    assert.equal(S.clickOnUnit(s, PLANNER, 'compound:99'), null);
  });

  test('a boundary takes the units whose point lies inside, concave rings included', () => {
    const v = draft();
    // An L-shaped ring: the corner square (105.4–106, 28.4–29) is cut out.
    const ring = [[104.9, 27.9], [106, 27.9], [106, 28.4], [105.4, 28.4], [105.4, 29], [104.9, 29]];
    assert.deepEqual(S.unitsInside(v, ring), ['compound:1', 'compound:2']);
    assert.deepEqual(S.unitsInside(v, ring.slice(0, 2)), [], 'two points are no boundary');
    const square = [[104.9, 27.9], [106, 27.9], [106, 29], [104.9, 29]];
    assert.deepEqual(S.unitsInside(v, square).sort(), v.units.map((u) => u.unit).sort());
  });

  test('a double-click does not leave its point twice', () => {
    assert.deepEqual(S.closeBoundary([[1, 1], [2, 2], [3, 1], [3, 1]]), [[1, 1], [2, 2], [3, 1]]);
    assert.deepEqual(S.closeBoundary([[1, 1], [2, 2], [3, 1]]), [[1, 1], [2, 2], [3, 1]]);
  });

  test('clicking a grid row toggles the target', () => {
    const s = opened();
    S.toggleTarget(s, 'g1');
    assert.equal(s.target, 'g1');
    S.toggleTarget(s, 'g2');
    assert.equal(s.target, 'g2');
    S.toggleTarget(s, 'g2');
    assert.equal(s.target, null);
  });
});

describe('keys', () => {
  test('Ctrl+Z undoes, Ctrl+Y and Ctrl+Shift+Z redo, Enter finishes a boundary', () => {
    const k = (key, mods = {}) => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, ...mods });
    assert.equal(S.shortcut(k('z', { ctrlKey: true }), null), 'undo');
    assert.equal(S.shortcut(k('Z', { metaKey: true }), null), 'undo');
    assert.equal(S.shortcut(k('y', { ctrlKey: true }), null), 'redo');
    assert.equal(S.shortcut(k('Z', { ctrlKey: true, shiftKey: true }), null), 'redo');
    assert.equal(S.shortcut(k('Enter'), [[1, 2]]), 'finish');
    assert.equal(S.shortcut(k('Enter'), null), null);
    assert.equal(S.shortcut(k('z'), null), null);
    assert.equal(S.shortcut(k('Escape'), null), 'escape');
  });

  test('Escape closes the innermost thing: boundary, dialog, unit card, then the target', () => {
    const s = opened();
    Object.assign(s, { drawing: [], confirm: 'publish', unit: 'compound:1', target: 'g1' });
    const left = [];
    for (let i = 0; i < 4; i++) {
      S.escape(s);
      left.push(['drawing', 'confirm', 'unit', 'target'].filter((k) => s[k] !== null));
    }
    assert.deepEqual(left, [['confirm', 'unit', 'target'], ['unit', 'target'], ['target'], []]);
  });
});

describe('the report', () => {
  test('errors come before warnings and are counted', () => {
    const v = { report: { violations: [{ severity: 'warning', rule: 'a' }, { severity: 'error', rule: 'b' }, { severity: 'warning', rule: 'c' }, { severity: 'error', rule: 'd' }] } };
    assert.deepEqual(S.sortedViolations(v).map((x) => x.rule), ['b', 'd', 'a', 'c']);
    assert.deepEqual(S.violationCounts(v), { errors: 2, warnings: 2 });
    assert.deepEqual(S.violationCounts({}), { errors: 0, warnings: 0 });
  });

  test('the load bar marks the cap and stretches for heavy loads', () => {
    assert.deepEqual(S.loadBar(0.75), { over: false, fill: 50, cap: (1 / 1.5) * 100 });
    const heavy = S.loadBar(3);
    assert.equal(heavy.over, true);
    assert.equal(heavy.fill, 100);
    assert.ok(Math.abs(heavy.cap - 100 / 3) < 1e-9);
    assert.equal(S.loadBar(10).fill, 100);
    assert.equal(S.loadBar(10).cap, 25);
  });
});
