// The grid-planning workspace 网格规划 (`/api/planning/…`): choose a community, open its current
// grids or a draft, pick a target grid and click, box (shift-drag) or encircle compounds and
// scattered buildings into it; each grid's households, load against its cap (150 old / 300 new),
// contiguity, compactness and workers are shown as the server recomputes them after every change.
// Undo/redo replace the draft's plan with the one before/after (kept in the state); 对比现状
// outlines the current grids and lists what the draft moves; 自动方案 asks for a proposal (with
// its lower bound and gap) to accept or not; 发布 publishes after a confirmation. Writes need a
// planner or admin.
//
// This file wires things: user actions and map events → server requests (one at a time, in
// order) → the state (./state.js) → the panel (./panel.js) and the map layers (./map.js).

import { fetchItems } from '../api.js';
import { count } from '../format.js';
import { getLang, onLangChange, t } from '../i18n.js';
import * as api from '../planningApi.js';
import { getSession, onSessionChange } from '../session.js';
import { installBrush } from './brush.js';
import { createPlanningMap } from './map.js';
import { renderPanel } from './panel.js';
import * as S from './state.js';

const { M } = S;
const num = (n) => count(n, getLang());
const byCode = (a, b) => String(a.code).localeCompare(String(b.code));

export function createPlanning({ map, app, fitTo, openFeature, askSignIn, refreshTiles }) {
  const state = S.createPlanningState();
  app.planning = { state };
  const pmap = createPlanningMap(map);
  let body = null;

  const editable = () => S.isEditable(state, getSession());
  const gridName = (code, v) => S.gridName(state, code, v);
  const say = (kind, msg) => S.say(state, kind, msg);

  // ---- drawing --------------------------------------------------------------------------------

  function syncMap() {
    const on = state.active && Boolean(state.community);
    pmap.setVisible(on);
    pmap.update({
      view: on ? S.shownPlan(state) : null,
      current: state.current,
      compare: state.compare,
      target: state.target,
      unit: state.unit,
      drawing: state.drawing,
      community: state.community,
      gridLabel: (code, g) => `${String(code).slice(-3)}\n${t('pl.map.hh', { n: g.households ?? 0 })}`,
    });
    if (on) map.boxZoom.disable();
    else map.boxZoom.enable();
    if (state.drawing) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = state.drawing ? 'crosshair' : '';
  }

  function refresh() {
    syncMap();
    if (!body || !body.isConnected) return;
    const scroller = body.closest('.workspace-panel');
    const top = scroller?.scrollTop ?? 0;
    renderPanel(body, state, { account: getSession(), actions });
    if (scroller) scroller.scrollTop = top;
  }

  // ---- loading --------------------------------------------------------------------------------

  async function loadLists() {
    if (state.communities) return;
    try {
      const [streets, communities] = await Promise.all([fetchItems('streets'), fetchItems('communities')]);
      state.streets = streets.map((f) => f.properties).sort(byCode);
      state.communities = communities.map((f) => f.properties).sort(byCode);
      state.listError = null;
      const mine = state.community ? null : S.preselectedCommunity(getSession(), state.communities);
      if (mine) {
        refresh();
        await chooseCommunity(mine);
        return;
      }
    } catch (e) {
      state.listError = e.message;
      app.errors.push(String(e));
    }
    refresh();
  }

  async function loadDrafts({ closeMissing = false } = {}) {
    if (!S.seesDrafts(getSession(), state.community)) {
      S.setDrafts(state, [], { closeMissing });
      return;
    }
    try {
      S.setDrafts(state, (await api.listDrafts(state.community)).drafts || [], { closeMissing });
    } catch (e) {
      S.setDrafts(state, [], { closeMissing });
      if (e.status !== 403) say('error', S.errorMessage(e));
    }
  }

  async function chooseCommunity(code) {
    const seq = S.openCommunity(state, code);
    refresh();
    if (!code) return;
    state.busy++;
    refresh();
    try {
      const [current] = await Promise.all([api.currentPlan(code), loadDrafts()]);
      if (seq !== state.seq) return;
      S.showCurrentGrids(state, current);
      const bbox = pmap.bboxOf(current);
      if (bbox) fitTo(bbox, 17);
    } catch (e) {
      if (seq === state.seq) say('error', S.errorMessage(e));
    } finally {
      state.busy--;
      refresh();
    }
  }

  async function chooseDraft(id) {
    state.seq++;
    S.resetEditing(state);
    say(null);
    if (id === null) {
      S.closeDraft(state);
      refresh();
      return;
    }
    await run(async (stale) => {
      const v = await api.getDraft(id);
      if (stale()) return;
      S.openDraft(state, v);
      if (v.base_changed && v.status === 'draft') say('info', M('pl.base_changed'));
    });
  }

  // ---- writes: one at a time, in order --------------------------------------------------------

  // A task is given `stale()`: true once another community or draft was opened since it was queued,
  // when its answer must not be shown.
  let chain = Promise.resolve();
  function run(task) {
    const epoch = state.seq;
    const stale = () => epoch !== state.seq;
    state.busy++;
    refresh();
    const p = chain.then(() => (stale() ? undefined : task(stale))).catch((e) => (stale() ? undefined : handleError(e))).finally(() => {
      state.busy--;
      refresh();
    });
    chain = p;
    return p;
  }

  async function handleError(e) {
    console.warn('planning:', e);
    say('error', S.errorMessage(e));
    if (S.isStaleDraft(e, state)) {
      // Someone else changed the draft: show theirs (our undo history still applies to it).
      try {
        S.setView(state, await api.getDraft(state.draftId));
      } catch {
        // keep the message
      }
    }
  }

  function needTarget() {
    if (state.target) return true;
    say('info', M('pl.need_target'));
    refresh();
    return false;
  }

  /** Applies operations to the draft; the plan before goes on the undo stack. `done`: the message, or a function of the new view giving it. */
  function apply(ops, done) {
    if (!editable()) return Promise.resolve();
    return run(async (stale) => {
      const before = state.view.plan;
      const v = await api.operate(state.draftId, state.view.version, ops);
      if (stale()) return;
      S.recordChange(state, before, v);
      say('ok', typeof done === 'function' ? done(v) : done);
    });
  }

  /** Moves units into the target grid (those already there are left alone). */
  function moveUnits(keys, to = state.target) {
    if (!to) return Promise.resolve();
    const moving = S.unitsToMove(state, keys, to);
    if (!moving.keys.length) {
      say('info', M('pl.nothing_moved'));
      refresh();
      return Promise.resolve();
    }
    const what = moving.keys.length === 1 ? S.unitName(state, moving.keys[0], state.view) : t('pl.n_units', { n: moving.keys.length });
    return apply({ op: 'move', units: moving.keys, to }, M('pl.moved', { what, hh: num(moving.households), grid: gridName(to) }));
  }

  /** Undo / redo: PUTs the plan on top of its stack and keeps the one it replaces on the other. */
  function step(dir) {
    if (!editable() || !S.stepTarget(state, dir)) return Promise.resolve();
    return run(async (stale) => {
      const plan = S.stepTarget(state, dir);
      if (!plan || !editable()) return;
      const before = state.view.plan;
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan });
      if (stale()) return;
      S.recordStep(state, dir, before, v);
      say('ok', M(dir === 'undo' ? 'pl.undone' : 'pl.redone'));
    });
  }
  const undo = () => step('undo');
  const redo = () => step('redo');

  function newDraft() {
    if (!getSession()) {
      askSignIn();
      return Promise.resolve();
    }
    return run(async (stale) => {
      const v = await api.createDraft(state.community);
      if (stale()) return;
      S.resetEditing(state);
      await loadDrafts();
      S.openDraft(state, v);
      say('ok', M('pl.created', { name: v.name }));
    });
  }

  function deleteDraft() {
    state.confirm = null;
    return run(async (stale) => {
      const rec = state.view;
      await api.deleteDraft(state.draftId, state.view.version);
      if (stale()) return;
      S.closeDraft(state);
      await loadDrafts();
      say('ok', M('pl.deleted', { name: rec.name }));
    });
  }

  function rename(name) {
    if (!editable() || !name.trim() || name.trim() === state.view.name) return Promise.resolve();
    return run(async (stale) => {
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan: state.view.plan, name: name.trim() });
      if (stale()) return;
      S.setView(state, v);
      say('ok', M('pl.renamed'));
    });
  }

  function askProposal() {
    if (state.draftId === null) return Promise.resolve();
    return run(async (stale) => {
      const p = await api.propose(state.draftId, { seed: 1 });
      if (stale()) return;
      state.proposal = p;
      state.unit = null;
      say('info', M('pl.proposal.ready'));
    });
  }

  function acceptProposal() {
    const p = state.proposal;
    if (!S.canAcceptProposal(state, getSession())) return Promise.resolve();
    return run(async (stale) => {
      const before = state.view.plan;
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan: p.plan });
      if (stale()) return;
      S.recordAcceptedProposal(state, before, v);
      say('ok', M('pl.proposal.accepted'));
    });
  }

  function publish() {
    state.confirm = null;
    return run(async (stale) => {
      const r = await api.publish(state.draftId, state.view.version);
      if (stale()) return;
      S.recordPublished(state, r);
      state.current = await api.currentPlan(state.community);
      await loadDrafts();
      refreshTiles?.(r.data_version);
      say('ok', M('pl.published', { v: r.data_version, units: r.diff?.units_moved ?? 0, hh: num(r.diff?.households_moved ?? 0) }));
    });
  }

  // ---- map interaction ------------------------------------------------------------------------

  /** A map click while planning: a unit is moved into the target grid or selected. True when handled. */
  function handleClick(e) {
    if (!state.active || !state.community || !S.shownPlan(state)) return false;
    if (state.drawing) {
      state.drawing = [...state.drawing, [e.lngLat.lng, e.lngLat.lat]];
      syncMap();
      return true;
    }
    const pad = 3;
    const [key] = pmap.unitsIn([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]]);
    const what = key ? S.clickOnUnit(state, getSession(), key) : null;
    if (!what) return false;
    if (what === 'move') {
      state.unit = null;
      moveUnits([key]);
      return true;
    }
    state.unit = key;
    if (editable() && !state.target) say('info', M('pl.need_target'));
    refresh();
    return true;
  }

  function finishDrawing() {
    const ring = state.drawing;
    state.drawing = null;
    if (!ring || ring.length < 3) {
      say('info', M('pl.draw.short'));
      refresh();
      return Promise.resolve();
    }
    const keys = S.unitsInside(state.view, ring);
    refresh();
    return moveUnits(keys);
  }

  function toggleDrawing() {
    if (state.drawing) {
      finishDrawing();
      return;
    }
    if (!needTarget()) return;
    state.drawing = [];
    say(null);
    refresh();
  }

  // Double-click finishes the boundary.
  map.on('dblclick', (e) => {
    if (!state.drawing) return;
    e.preventDefault();
    state.drawing = S.closeBoundary(state.drawing);
    finishDrawing();
  });

  // Shift-drag: a box; every unit in it goes to the target grid.
  installBrush(map, {
    accepts: () => state.active && editable() && !state.drawing,
    blocked: () => !needTarget(),
    onBox: (box) => moveUnits(pmap.unitsIn(box)),
  });

  document.addEventListener('keydown', (e) => {
    if (!state.active || !state.community) return;
    const tag = e.target?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    const command = S.shortcut(e, state.drawing);
    if (!command) return;
    if (command !== 'escape') e.preventDefault();
    if (command === 'undo') undo();
    else if (command === 'redo') redo();
    else if (command === 'finish') finishDrawing();
    else {
      S.escape(state);
      refresh();
    }
  });

  // ---- what the panel's controls do -----------------------------------------------------------

  const grid = (code) => gridName(code);
  const actions = {
    askSignIn: () => askSignIn(),
    chooseCommunity,
    chooseDraft,
    newDraft,
    deleteDraft,
    rename,
    undo,
    redo,
    askProposal,
    acceptProposal,
    publish,
    moveUnits,
    toggleDrawing,
    openFeature: (layer, id) => openFeature(layer, id),
    confirm: (what) => { state.confirm = what; refresh(); },
    setCompare: (on) => { state.compare = on; refresh(); },
    toggleTarget: (code, { clearMessage = false } = {}) => {
      S.toggleTarget(state, code);
      if (clearMessage) say(null);
      refresh();
    },
    selectGrid: (code) => { state.target = code; refresh(); },
    closeUnit: () => { state.unit = null; refresh(); },
    discardProposal: () => { state.proposal = null; say(null); refresh(); },
    addGrid: () => apply({ op: 'create_grid' }, (v) => {
      const g = S.newestGrid(v);
      if (g) state.target = g.code;
      return M('pl.grid_added', { grid: g ? gridName(g.code, v) : '' });
    }),
    lockGrid: (code, locked) => apply({ op: 'set_grid', code, locked }, M(locked ? 'pl.locked' : 'pl.unlocked', { grid: grid(code) })),
    setWorkers: (code, n) => apply({ op: 'set_grid', code, workers: n }, M('pl.workers.set', { grid: grid(code), n })),
    splitGrid: (code) => apply({ op: 'split_grid', code }, M('pl.split.done', { grid: grid(code) })),
    mergeGrid: (from, into) => {
      state.target = into;
      return apply({ op: 'merge_grids', into, from }, M('pl.merged', { from: grid(from), into: grid(into) }));
    },
    deleteGrid: (code) => apply({ op: 'delete_grid', code }, M('pl.grid_deleted', { grid: grid(code) })),
    splitCompound: (compound, name) => apply({ op: 'split_compound', compound }, M('pl.unit.split.done', { name })),
    joinCompound: (compound, into) => apply({ op: 'join_compound', compound, into }, M('pl.unit.join.done')),
  };

  function render(panelBody) {
    body = panelBody;
    body.classList.add('pl-body');
    renderPanel(body, state, { account: getSession(), actions });
    loadLists();
    syncMap();
  }

  function setActive(on) {
    state.active = on;
    if (!on) state.drawing = null;
    syncMap();
  }

  onSessionChange(async () => {
    if (state.community) await loadDrafts({ closeMissing: true });
    refresh();
  });
  onLangChange(() => syncMap());

  Object.assign(app.planning, { undo, redo, chooseCommunity, moveUnits, refresh });
  return { render, setActive, handleClick, state };
}
