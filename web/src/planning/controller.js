// The grid-planning workspace 网格规划 (`/api/planning/…`): choose a community, open its current
// grids or a draft, pick a target grid and click, box (shift-drag) or encircle compounds and
// scattered buildings into it; each grid's households, load against its cap (150 old / 300 new),
// contiguity, compactness and workers are shown as the server recomputes them after every change.
// Undo/redo replace the draft's plan with the one before/after (kept in the state); 对比现状
// outlines the current grids and lists what the draft moves; 自动方案 asks for a proposal (with
// its lower bound and gap) to accept or not; 发布 publishes after a confirmation. Writes need a
// planner or admin.
//
// This file wires the parts: the state (./state.js), the requests (./commands.js), map and
// keyboard input (./input.js), the panel (./panel.js) and the map layers (./map.js); and says
// what each of the panel's controls does.

import { onLangChange, t } from '../i18n.js';
import { getSession, onSessionChange } from '../session.js';
import { createCommands } from './commands.js';
import { installInput } from './input.js';
import { createPlanningMap } from './map.js';
import { renderPanel } from './panel.js';
import * as S from './state.js';

const { M } = S;

export function createPlanning({ map, app, fitTo, openFeature, askSignIn, refreshTiles }) {
  const state = S.createPlanningState();
  app.planning = { state };
  const pmap = createPlanningMap(map);
  let body = null;

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

  const commands = createCommands(state, {
    refresh, fitTo, bboxOf: (v) => pmap.bboxOf(v), askSignIn, refreshTiles, errors: app.errors,
  });
  const { apply } = commands;
  const input = installInput(map, state, { pmap, commands, refresh, syncMap });

  // ---- what the panel's controls do -----------------------------------------------------------

  const grid = (code) => gridName(code);
  const actions = {
    ...commands,
    toggleDrawing: input.toggleDrawing,
    askSignIn: () => askSignIn(),
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
    commands.loadLists();
    syncMap();
  }

  function setActive(on) {
    state.active = on;
    if (!on) state.drawing = null;
    syncMap();
  }

  onSessionChange(async () => {
    if (state.community) await commands.loadDrafts({ closeMissing: true });
    refresh();
  });
  onLangChange(() => syncMap());

  const { undo, redo, chooseCommunity, moveUnits } = commands;
  Object.assign(app.planning, { undo, redo, chooseCommunity, moveUnits, refresh });
  return { render, setActive, handleClick: input.handleClick, state };
}
