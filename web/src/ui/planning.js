// The grid-planning workspace 网格规划 (`/api/planning/…`): choose a community, open its current
// grids or a draft, pick a target grid and click, box (shift-drag) or encircle compounds and
// scattered buildings into it; each grid's households, load against its cap (150 old / 300 new),
// contiguity, compactness and workers are shown as the server recomputes them after every change.
// Undo/redo replace the draft's plan with the one before/after (kept here); 对比现状 outlines the
// current grids and lists what the draft moves; 自动方案 asks for a proposal (with its lower bound
// and gap) to accept or not; 发布 publishes after a confirmation. Writes need a planner or admin.

import { fetchItems } from '../api.js';
import { el } from '../dom.js';
import { enumLabel } from '../enums.js';
import { getLang, onLangChange, t } from '../i18n.js';
import * as api from '../planningApi.js';
import { canPlan, getSession, onSessionChange, scopeCovers } from '../session.js';
import { createPlanningMap, gridColor, unitFeature } from './planningMap.js';

const num = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en'));
const fixed = (n, d = 2) => (n === null || n === undefined || Number.isNaN(n) ? '—' : Number(n).toFixed(d));

export function createPlanning({ map, app, fitTo, openFeature, askSignIn, refreshTiles }) {
  const state = {
    active: false,
    streets: null,
    communities: null,
    listError: null,
    community: '',
    current: null, // PlanView of the current grids
    drafts: [],
    draftId: null, // null: the current grids are shown (read-only)
    view: null, // the PlanView shown and edited
    proposal: null, // { …, view } from /proposal, previewed until accepted or dropped
    target: null, // target grid code
    unit: null, // selected unit key
    compare: false,
    undo: [],
    redo: [],
    busy: 0,
    message: null, // { kind: 'info' | 'ok' | 'error', text }
    drawing: null, // [[lon, lat], …] while drawing a boundary
    confirm: null, // 'publish' | 'delete'
    lastPublish: null,
    seq: 0,
  };
  app.planning = { state };
  const pmap = createPlanningMap(map);
  let body = null;

  // ---- helpers --------------------------------------------------------------------------------

  const shown = () => state.proposal?.view || state.view;
  const draftRecord = () => state.drafts.find((d) => d.id === state.draftId) || null;
  const editable = () => Boolean(state.view && state.draftId !== null && state.view.status === 'draft' && canPlan() && !state.proposal);
  const gridsOf = (v) => v?.plan?.grids || [];
  const unitsByKey = (v) => new Map((v?.units || []).map((u) => [u.unit, u]));

  function gridName(code, v = shown()) {
    const g = gridsOf(v).find((x) => x.code === code) || gridsOf(state.current).find((x) => x.code === code);
    const community = v?.community_name || state.current?.community_name || '';
    let name = g?.name || '';
    if (name && community && name.startsWith(community) && name.length > community.length) name = name.slice(community.length);
    return name || String(code);
  }

  function unitName(key, v = shown()) {
    const u = unitsByKey(v).get(key) || unitsByKey(state.current).get(key);
    return u?.name || key;
  }

  function say(kind, msg) {
    state.message = msg ? { kind, ...msg } : null;
  }

  /** A message to show: a UI string key and its values (translated when shown). */
  const M = (key, vars = {}) => ({ key, vars });

  function errorText(e) {
    const msg = e.message || String(e);
    if (e instanceof api.ApiError) {
      if (e.status === 401) return M('pl.err.signin');
      if (e.status === 403) return M('pl.err.forbidden', { msg });
      if (e.status === 409) return M('pl.err.conflict', { msg });
      if (e.status === 422) return M('pl.err.invalid', { msg });
    }
    return M('pl.err.other', { msg });
  }

  // ---- map ------------------------------------------------------------------------------------

  function gridLabel(code, g) {
    return `${String(code).slice(-3)}\n${t('pl.map.hh', { n: g.households ?? 0 })}`;
  }

  function syncMap() {
    pmap.setVisible(state.active && Boolean(state.community));
    pmap.update({
      view: state.active && state.community ? shown() : null,
      current: state.current,
      compare: state.compare,
      target: state.target,
      unit: state.unit,
      drawing: state.drawing,
      community: state.community,
      gridLabel,
    });
    if (state.active && state.community) {
      map.boxZoom.disable();
    } else {
      map.boxZoom.enable();
    }
    if (state.drawing) map.doubleClickZoom.disable();
    else map.doubleClickZoom.enable();
    map.getCanvas().style.cursor = state.drawing ? 'crosshair' : '';
  }

  function refresh() {
    syncMap();
    if (!body || !body.isConnected) return;
    const scroller = body.closest('.workspace-panel');
    const top = scroller?.scrollTop ?? 0;
    fill(body);
    if (scroller) scroller.scrollTop = top;
  }

  // ---- loading --------------------------------------------------------------------------------

  async function loadLists() {
    if (state.communities) return;
    try {
      const [streets, communities] = await Promise.all([fetchItems('streets'), fetchItems('communities')]);
      state.streets = streets.map((f) => f.properties).sort((a, b) => String(a.code).localeCompare(String(b.code)));
      state.communities = communities.map((f) => f.properties).sort((a, b) => String(a.code).localeCompare(String(b.code)));
      state.listError = null;
      const s = getSession();
      if (!state.community && s?.scope?.startsWith('community:')) {
        const code = s.scope.slice('community:'.length);
        if (state.communities.some((c) => c.code === code)) {
          refresh();
          await chooseCommunity(code);
          return;
        }
      }
    } catch (e) {
      state.listError = e.message;
      app.errors.push(String(e));
    }
    refresh();
  }

  async function loadDrafts() {
    if (!getSession() || !state.community || !scopeCovers(getSession().scope, state.community)) {
      state.drafts = [];
      return;
    }
    try {
      state.drafts = (await api.listDrafts(state.community)).drafts || [];
    } catch (e) {
      state.drafts = [];
      if (!(e instanceof api.ApiError && e.status === 403)) say('error', errorText(e));
    }
  }

  function resetEditing() {
    state.undo = [];
    state.redo = [];
    state.proposal = null;
    state.unit = null;
    state.drawing = null;
    state.confirm = null;
  }

  function setView(v) {
    state.view = v;
    if (state.target && !gridsOf(v).some((g) => g.code === state.target)) state.target = null;
    if (state.unit && !unitsByKey(v).has(state.unit)) state.unit = null;
    const rec = state.drafts.find((d) => d.id === v.id);
    if (rec) Object.assign(rec, { version: v.version, status: v.status, name: v.name, updated_at: v.updated_at, updated_by: v.updated_by });
  }

  async function chooseCommunity(code) {
    const seq = ++state.seq;
    state.community = code;
    state.current = null;
    state.view = null;
    state.draftId = null;
    state.target = null;
    state.drafts = [];
    resetEditing();
    say(null);
    refresh();
    if (!code) return;
    state.busy++;
    refresh();
    try {
      const [current] = await Promise.all([api.currentPlan(code), loadDrafts()]);
      if (seq !== state.seq) return;
      state.current = current;
      state.view = current;
      const bbox = pmap.bboxOf(current);
      if (bbox) fitTo(bbox, 17);
    } catch (e) {
      if (seq === state.seq) say('error', errorText(e));
    } finally {
      state.busy--;
      refresh();
    }
  }

  async function chooseDraft(id) {
    state.seq++;
    resetEditing();
    say(null);
    if (id === null) {
      state.draftId = null;
      state.view = state.current;
      refresh();
      return;
    }
    await run(async (stale) => {
      const v = await api.getDraft(id);
      if (stale()) return;
      state.draftId = v.id;
      setView(v);
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
    say('error', errorText(e));
    if (e instanceof api.ApiError && e.status === 409 && e.code === 'conflict' && state.draftId !== null) {
      // Someone else changed the draft: show theirs (our undo history still applies to it).
      try {
        setView(await api.getDraft(state.draftId));
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

  /** Applies operations to the draft; the plan before goes on the undo stack. */
  function apply(ops, done) {
    if (!editable()) return Promise.resolve();
    return run(async (stale) => {
      const before = state.view.plan;
      const v = await api.operate(state.draftId, state.view.version, ops);
      if (stale()) return;
      state.undo.push(before);
      state.redo = [];
      setView(v);
      say('ok', typeof done === 'function' ? done(v) : done);
    });
  }

  /** Moves units into the target grid (those already there are left alone). */
  function moveUnits(keys, to = state.target) {
    if (!to) return Promise.resolve();
    const units = unitsByKey(state.view);
    const moving = keys.filter((k) => units.has(k) && !(units.get(k).grids?.length === 1 && units.get(k).grids[0] === to));
    if (!moving.length) {
      say('info', M('pl.nothing_moved'));
      refresh();
      return Promise.resolve();
    }
    const hh = moving.reduce((s, k) => s + (units.get(k).households || 0), 0);
    const names = moving.length === 1 ? unitName(moving[0], state.view) : t('pl.n_units', { n: moving.length });
    return apply({ op: 'move', units: moving, to }, M('pl.moved', { what: names, hh: num(hh), grid: gridName(to) }));
  }

  /** Undo / redo: PUTs the plan on top of `from` and keeps the one it replaces on `to`. */
  function step(from, to, message) {
    if (!editable() || !from.length) return Promise.resolve();
    return run(async (stale) => {
      if (!from.length || !editable()) return;
      const plan = from[from.length - 1];
      const before = state.view.plan;
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan });
      if (stale()) return;
      from.pop();
      to.push(before);
      setView(v);
      say('ok', message);
    });
  }

  const undo = () => step(state.undo, state.redo, M('pl.undone'));
  const redo = () => step(state.redo, state.undo, M('pl.redone'));

  function newDraft() {
    if (!getSession()) {
      askSignIn();
      return Promise.resolve();
    }
    return run(async (stale) => {
      const v = await api.createDraft(state.community);
      if (stale()) return;
      resetEditing();
      await loadDrafts();
      state.draftId = v.id;
      setView(v);
      say('ok', M('pl.created', { name: v.name }));
    });
  }

  function deleteDraft() {
    return run(async (stale) => {
      const rec = state.view;
      await api.deleteDraft(state.draftId, state.view.version);
      if (stale()) return;
      resetEditing();
      state.draftId = null;
      state.view = state.current;
      await loadDrafts();
      say('ok', M('pl.deleted', { name: rec.name }));
    });
  }

  function rename(name) {
    if (!editable() || !name.trim() || name.trim() === state.view.name) return Promise.resolve();
    return run(async (stale) => {
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan: state.view.plan, name: name.trim() });
      if (stale()) return;
      setView(v);
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
    if (!p || state.draftId === null || state.view?.status !== 'draft' || !canPlan()) return Promise.resolve();
    return run(async (stale) => {
      const before = state.view.plan;
      const v = await api.replaceDraft(state.draftId, state.view.version, { plan: p.plan });
      if (stale()) return;
      state.proposal = null;
      state.undo.push(before);
      state.redo = [];
      setView(v);
      say('ok', M('pl.proposal.accepted'));
    });
  }

  function doPublish() {
    state.confirm = null;
    return run(async (stale) => {
      const r = await api.publish(state.draftId, state.view.version);
      if (stale()) return;
      state.lastPublish = r;
      resetEditing();
      setView(r.draft);
      state.current = await api.currentPlan(state.community);
      await loadDrafts();
      refreshTiles?.(r.data_version);
      say('ok', M('pl.published', { v: r.data_version, units: r.diff?.units_moved ?? 0, hh: num(r.diff?.households_moved ?? 0) }));
    });
  }

  // ---- map interaction ------------------------------------------------------------------------

  /** A map click while planning: a unit is moved into the target grid or selected. True when handled. */
  function handleClick(e) {
    if (!state.active || !state.community || !shown()) return false;
    if (state.drawing) {
      state.drawing = [...state.drawing, [e.lngLat.lng, e.lngLat.lat]];
      syncMap();
      return true;
    }
    const pad = 3;
    const keys = pmap.unitsIn([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]]);
    if (!keys.length) return false;
    const key = keys[0];
    const unit = unitsByKey(shown()).get(key);
    if (!unit) return false;
    if (editable() && state.target && !(unit.grids?.length === 1 && unit.grids[0] === state.target)) {
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
    const keys = pmap.unitsInside(state.view, ring);
    refresh();
    return moveUnits(keys);
  }

  // Double-click finishes the boundary (the two clicks of it already added the last point twice).
  map.on('dblclick', (e) => {
    if (!state.drawing) return;
    e.preventDefault();
    const pts = state.drawing;
    if (pts.length >= 2) {
      const [a, b] = pts.slice(-2);
      if (Math.abs(a[0] - b[0]) < 1e-9 && Math.abs(a[1] - b[1]) < 1e-9) pts.pop();
    }
    finishDrawing();
  });

  // Shift-drag: a box; every unit in it goes to the target grid.
  const container = map.getCanvasContainer();
  let brush = null;
  container.addEventListener('mousedown', (e) => {
    if (!e.shiftKey || e.button !== 0 || !state.active || !editable() || state.drawing) return;
    if (!state.target) {
      needTarget();
      return;
    }
    e.preventDefault();
    e.stopPropagation();
    const rect = container.getBoundingClientRect();
    const start = [e.clientX - rect.left, e.clientY - rect.top];
    const box = el('div', { class: 'pl-brush' });
    container.append(box);
    brush = { start, box, rect };
    const move = (ev) => {
      const p = [ev.clientX - rect.left, ev.clientY - rect.top];
      const [x0, y0] = [Math.min(start[0], p[0]), Math.min(start[1], p[1])];
      Object.assign(box.style, { left: `${x0}px`, top: `${y0}px`, width: `${Math.abs(p[0] - start[0])}px`, height: `${Math.abs(p[1] - start[1])}px` });
    };
    const up = (ev) => {
      window.removeEventListener('mousemove', move, true);
      window.removeEventListener('mouseup', up, true);
      box.remove();
      brush = null;
      const p = [ev.clientX - rect.left, ev.clientY - rect.top];
      if (Math.abs(p[0] - start[0]) < 4 && Math.abs(p[1] - start[1]) < 4) return;
      const keys = pmap.unitsIn([[Math.min(start[0], p[0]), Math.min(start[1], p[1])], [Math.max(start[0], p[0]), Math.max(start[1], p[1])]]);
      moveUnits(keys);
    };
    window.addEventListener('mousemove', move, true);
    window.addEventListener('mouseup', up, true);
  }, true);

  document.addEventListener('keydown', (e) => {
    if (!state.active || !state.community) return;
    const tag = e.target?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key.toLowerCase();
    if (mod && k === 'z' && !e.shiftKey) { e.preventDefault(); undo(); } else if (mod && (k === 'y' || (k === 'z' && e.shiftKey))) { e.preventDefault(); redo(); } else if (e.key === 'Enter' && state.drawing) { e.preventDefault(); finishDrawing(); } else if (e.key === 'Escape') {
      if (state.drawing) state.drawing = null;
      else if (state.confirm) state.confirm = null;
      else if (state.unit) state.unit = null;
      else state.target = null;
      refresh();
    }
  });

  // ---- the panel ------------------------------------------------------------------------------

  function roleName(role) {
    const key = `role.${role}`;
    const s = t(key);
    return s === key ? role : s;
  }

  function accessNote() {
    const s = getSession();
    if (!s) {
      return el('div', { class: 'pl-access', id: 'pl-access' }, t('pl.access.signin'), ' ',
        el('button', { type: 'button', class: 'linkish', onclick: () => askSignIn() }, t('account.signin')));
    }
    if (!canPlan()) return el('div', { class: 'pl-access readonly', id: 'pl-access' }, t('pl.access.readonly', { name: s.name, role: roleName(s.role) }));
    return null;
  }

  function communitySelect() {
    const sel = el('select', { id: 'pl-community', onchange: (e) => chooseCommunity(e.target.value) },
      el('option', { value: '' }, state.communities ? t('pl.choose_community') : t('feature.loading')));
    for (const street of state.streets || []) {
      const members = (state.communities || []).filter((c) => c.street_code === street.code);
      if (!members.length) continue;
      sel.append(el('optgroup', { label: street.name }, ...members.map((c) => el('option', { value: c.code }, c.name))));
    }
    sel.value = state.community;
    return el('div', { class: 'pl-row' }, el('label', { for: 'pl-community' }, t('zoomto.community')), sel);
  }

  function statusName(status) {
    return t(`pl.status.${status}`);
  }

  function draftBar() {
    const sel = el('select', { id: 'pl-draft', onchange: (e) => chooseDraft(e.target.value === '' ? null : Number(e.target.value)) },
      el('option', { value: '' }, t('pl.current_plan')),
      ...state.drafts.map((d) => el('option', { value: String(d.id) }, `${d.name} · ${statusName(d.status)} · ${d.updated_by || d.author}`)));
    sel.value = state.draftId === null ? '' : String(state.draftId);
    const signedIn = Boolean(getSession());
    const buttons = el('div', { class: 'pl-buttons' },
      el('button', { type: 'button', id: 'pl-new', disabled: state.busy > 0 || (signedIn && !canPlan()), onclick: () => newDraft(),
        title: t('pl.new.title') }, t('pl.new')),
      state.draftId !== null && state.view?.status === 'draft'
        ? el('button', { type: 'button', id: 'pl-delete', class: 'danger-light', disabled: !editable(), onclick: () => { state.confirm = 'delete'; refresh(); } }, t('pl.delete'))
        : null);
    const row = el('div', { class: 'pl-row' }, el('label', { for: 'pl-draft' }, t('pl.plan')), sel);
    const out = [row, buttons];
    const v = state.view;
    if (state.draftId !== null && v) {
      const name = el('input', { id: 'pl-name', value: v.name || '', disabled: !editable(), 'aria-label': t('pl.name'),
        onchange: (e) => rename(e.target.value) });
      out.push(el('div', { class: 'pl-meta', id: 'pl-meta' },
        el('span', { class: `pl-status st-${v.status}` }, statusName(v.status)), ' ', name,
        el('div', { class: 'pl-meta-line' }, t('pl.meta', { author: v.author, by: v.updated_by, at: new Date(v.updated_at).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }), v: v.version }))));
    }
    return out;
  }

  function toolbar() {
    const ed = editable();
    const busy = state.busy > 0;
    const btn = (id, label, title, onclick, disabled, cls = '') => el('button', { type: 'button', id, class: cls, title, disabled, onclick }, label);
    const valid = state.view?.report?.valid;
    return el('div', { class: 'pl-toolbar', role: 'toolbar' },
      btn('pl-undo', `↶ ${t('pl.undo')}`, t('pl.undo.title'), () => undo(), !ed || !state.undo.length || busy),
      btn('pl-redo', `↷ ${t('pl.redo')}`, t('pl.redo.title'), () => redo(), !ed || !state.redo.length || busy),
      btn('pl-add-grid', `＋ ${t('pl.add_grid')}`, t('pl.add_grid.title'), () => apply({ op: 'create_grid' }, (v) => {
        const g = gridsOf(v)[gridsOf(v).length - 1];
        if (g) state.target = g.code;
        return M('pl.grid_added', { grid: g ? gridName(g.code, v) : '' });
      }), !ed || busy),
      btn('pl-draw', state.drawing ? t('pl.draw.finish') : `✎ ${t('pl.draw')}`, t('pl.draw.title'), () => {
        if (state.drawing) { finishDrawing(); return; }
        if (!needTarget()) return;
        state.drawing = [];
        say(null);
        refresh();
      }, !ed || busy, state.drawing ? 'on' : ''),
      btn('pl-propose', `⚙ ${t('pl.propose')}`, t('pl.propose.title'), () => askProposal(), state.draftId === null || !getSession() || busy || Boolean(state.proposal)),
      btn('pl-publish', `⇪ ${t('pl.publish')}`, valid === false ? t('pl.publish.invalid') : t('pl.publish.title'), () => { state.confirm = 'publish'; refresh(); },
        !ed || busy, 'primary'),
      el('label', { class: 'chk pl-compare' }, el('input', { type: 'checkbox', id: 'pl-compare', checked: state.compare,
        onchange: (e) => { state.compare = e.target.checked; refresh(); } }), t('pl.compare')));
  }

  function hint() {
    if (!editable()) {
      if (state.draftId === null && state.view) return el('p', { class: 'pl-hint' }, t('pl.hint.current'));
      if (state.view?.status === 'published') return el('p', { class: 'pl-hint' }, t('pl.hint.published'));
      return null;
    }
    if (state.drawing) return el('p', { class: 'pl-hint on' }, t('pl.draw.hint'));
    if (!state.target) return el('p', { class: 'pl-hint' }, t('pl.hint.no_target'));
    return el('p', { class: 'pl-hint on', id: 'pl-target-hint' },
      el('i', { class: 'pl-swatch', style: `background:${gridColor(state.target)}` }), t('pl.hint.target', { grid: gridName(state.target) }));
  }

  function message() {
    const m = state.message;
    return el('div', { class: `pl-message ${m ? m.kind : ''}`, id: 'pl-message', role: 'status', 'aria-live': 'polite' },
      state.busy > 0 ? el('span', { class: 'pl-spinner', 'aria-hidden': 'true' }) : null,
      state.busy > 0 && !m ? t('pl.working') : (m ? t(m.key, m.vars) : ''));
  }

  function summary(v) {
    const r = v.report || {};
    const errors = (r.violations || []).filter((x) => x.severity === 'error').length;
    const warnings = (r.violations || []).filter((x) => x.severity === 'warning').length;
    return el('div', { class: 'pl-summary', id: 'pl-summary' },
      el('div', {}, el('b', {}, num(r.households)), ` ${t('pl.households')}`),
      el('div', {}, el('b', { id: 'pl-grid-count' }, String(r.grid_count ?? gridsOf(v).length)), ` ${t('pl.grids')}`,
        el('span', { class: 'pl-sub' }, t('pl.lower_bound', { n: r.lower_bound ?? '—' }))),
      el('div', { class: r.valid ? 'ok' : 'bad', id: 'pl-valid' }, r.valid ? `✓ ${t('pl.valid')}` : `✗ ${t('pl.invalid', { n: errors })}`,
        warnings ? el('span', { class: 'pl-sub' }, t('pl.warnings', { n: warnings })) : null),
      r.unassigned ? el('div', { class: 'bad' }, t('pl.unassigned', { n: r.unassigned })) : null);
  }

  function loadBar(g) {
    const load = g.load ?? 0;
    const over = load > 1 + 1e-9;
    const scale = Math.max(1.5, Math.min(load, 4));
    const pct = Math.min(100, (load / scale) * 100);
    return el('div', { class: `pl-load ${over ? 'over' : ''}`, title: t('pl.load.title', { old: g.households_old ?? 0, new: g.households_new ?? 0 }) },
      el('div', { class: 'pl-load-track' },
        el('div', { class: 'pl-load-fill', style: `width:${pct.toFixed(1)}%` }),
        el('div', { class: 'pl-load-cap', style: `left:${((1 / scale) * 100).toFixed(1)}%` })),
      el('span', { class: 'pl-load-text' }, `${t('pl.load')} ${fixed(load)}`));
  }

  function gridActions(g) {
    const others = gridsOf(state.view).filter((x) => x.code !== g.code);
    const pg = gridsOf(state.view).find((x) => x.code === g.code) || {};
    const mergeSel = el('select', { class: 'pl-merge-into', 'aria-label': t('pl.merge.into') },
      ...others.map((o) => el('option', { value: o.code }, gridName(o.code, state.view))));
    const busy = state.busy > 0;
    const workers = pg.workers ?? g.workers ?? 1;
    return el('div', { class: 'pl-grid-actions', onclick: (e) => e.stopPropagation() },
      el('button', { type: 'button', class: 'pl-lock', disabled: busy, onclick: () => apply({ op: 'set_grid', code: g.code, locked: !pg.locked },
        pg.locked ? M('pl.unlocked', { grid: gridName(g.code) }) : M('pl.locked', { grid: gridName(g.code) })) }, pg.locked ? t('pl.unlock') : t('pl.lock')),
      el('span', { class: 'pl-workers-edit' }, t('pl.workers'),
        el('button', { type: 'button', disabled: busy || workers <= 1, 'aria-label': '−', onclick: () => apply({ op: 'set_grid', code: g.code, workers: workers - 1 }, M('pl.workers.set', { grid: gridName(g.code), n: workers - 1 })) }, '−'),
        el('b', {}, String(workers)),
        el('button', { type: 'button', disabled: busy, 'aria-label': '+', onclick: () => apply({ op: 'set_grid', code: g.code, workers: workers + 1 }, M('pl.workers.set', { grid: gridName(g.code), n: workers + 1 })) }, '+')),
      el('button', { type: 'button', class: 'pl-split', disabled: busy || (g.units?.length ?? 0) < 2, onclick: () => apply({ op: 'split_grid', code: g.code }, M('pl.split.done', { grid: gridName(g.code) })) }, t('pl.split')),
      others.length ? el('span', { class: 'pl-merge' }, mergeSel,
        el('button', { type: 'button', disabled: busy, onclick: () => {
          const into = mergeSel.value;
          state.target = into;
          apply({ op: 'merge_grids', into, from: g.code }, M('pl.merged', { from: gridName(g.code), into: gridName(into) }));
        } }, t('pl.merge'))) : null,
      (g.units?.length ?? 0) === 0 ? el('button', { type: 'button', class: 'danger-light', disabled: busy, onclick: () => apply({ op: 'delete_grid', code: g.code }, M('pl.grid_deleted', { grid: gridName(g.code) })) }, t('pl.delete_grid')) : null);
  }

  function gridList(v) {
    const rows = v.report?.grids || [];
    const planGrids = new Map(gridsOf(v).map((g) => [g.code, g]));
    const list = el('ol', { class: 'pl-grids', id: 'pl-grids' });
    for (const g of rows) {
      const pg = planGrids.get(g.code) || {};
      const selected = state.target === g.code;
      const pp = g.polsby_popper;
      const workersShort = (g.workers_needed ?? 0) > (g.workers ?? 0);
      const li = el('li', {
        class: `pl-grid ${selected ? 'selected' : ''} ${g.within_cap === false ? 'over' : ''}`,
        dataset: { code: g.code }, tabindex: 0, role: 'button', 'aria-pressed': String(selected),
        title: editable() ? t('pl.grid.pick') : '',
        onclick: () => { state.target = selected ? null : g.code; say(null); refresh(); },
        onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); state.target = selected ? null : g.code; refresh(); } },
      },
      el('div', { class: 'pl-grid-head' },
        el('i', { class: 'pl-swatch', style: `background:${gridColor(g.code)}` }),
        el('span', { class: 'pl-grid-name', title: g.code }, gridName(g.code, v)),
        pg.locked || g.locked ? el('span', { class: 'pl-locked', title: t('pl.locked.title') }, t('pl.locked.badge')) : null,
        el('span', { class: 'pl-hh', dataset: { households: String(g.households) } }, num(g.households)), el('span', { class: 'pl-unit' }, t('pl.hh'))),
      loadBar(g),
      el('div', { class: 'pl-grid-stats' },
        el('span', { class: `pl-contig ${g.contiguous ? 'ok' : 'bad'}`, title: t('pl.contig.title', { n: g.components ?? 1 }) },
          `${g.contiguous ? '✓' : '✗'} ${t('pl.contig')}`),
        el('span', { class: 'pl-pp', title: t('pl.pp.title') }, `${t('pl.pp')} ${pp === null || pp === undefined ? '—' : fixed(pp)}`),
        el('span', { class: `pl-workers ${workersShort ? 'bad' : ''}`, title: t('pl.workers.title') }, `${t('pl.workers')} ${g.workers ?? '—'}/${g.workers_needed ?? '—'}`),
        el('span', { class: 'pl-units-n' }, t('pl.units_n', { n: g.units?.length ?? 0 }))),
      selected && editable() ? gridActions(g) : null);
      list.append(li);
    }
    return list;
  }

  function violationText(x, v) {
    const g = x.grid ? gridName(x.grid, v) : '';
    const vars = { grid: g, households: num(x.households), load: fixed(x.load), n: '', needed: x.needed, workers: x.workers,
      hpw: fixed(x.households_per_worker, 0), limit: x.limit, area: num(Math.round(x.area_m2 ?? 0)), unit: x.unit ? unitName(x.unit, v) : '',
      name: x.name || (x.unit ? unitName(x.unit, v) : ''), grids: (x.grids || []).map((c) => gridName(c, v)).join('、') };
    if (x.rule === 'not_contiguous') vars.n = (x.components || []).length;
    if (x.rule === 'multi_part') vars.n = (x.areas_m2 || []).length;
    const key = `pl.rule.${x.rule}`;
    const s = t(key, vars);
    return s === key ? x.message : s;
  }

  function violations(v) {
    const list = v.report?.violations || [];
    if (!list.length) return null;
    const sorted = [...list].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    return el('details', { class: 'pl-violations', id: 'pl-violations', open: sorted.some((x) => x.severity === 'error') },
      el('summary', {}, t('pl.violations', { n: list.length })),
      el('ul', {}, ...sorted.map((x) => el('li', { class: x.severity, dataset: { rule: x.rule, grid: x.grid || '' }, title: x.message,
        onclick: () => { if (x.grid) { state.target = x.grid; refresh(); } } },
      el('span', { class: 'sev' }, x.severity === 'error' ? t('pl.error') : t('pl.warning')), ' ', violationText(x, v)))));
  }

  function diffSummary(v) {
    const d = v.diff || {};
    const box = el('div', { class: 'pl-diff', id: 'pl-diff' },
      el('div', { class: 'pl-diff-title' }, t('pl.diff.title')),
      el('div', {}, t('pl.diff.moved', { units: d.units_moved ?? 0, hh: num(d.households_moved ?? 0) })),
      d.grids_added?.length ? el('div', {}, t('pl.diff.added', { grids: d.grids_added.map((c) => gridName(c, v)).join('、') })) : null,
      d.grids_removed?.length ? el('div', {}, t('pl.diff.removed', { grids: d.grids_removed.map((c) => gridName(c, state.current)).join('、') })) : null,
      d.compounds_split?.length ? el('div', {}, t('pl.diff.split', { n: d.compounds_split.length })) : null,
      d.compounds_joined?.length ? el('div', {}, t('pl.diff.joined', { n: d.compounds_joined.length })) : null);
    if (d.moved?.length) {
      const ul = el('ul', { class: 'pl-moved' });
      for (const m of d.moved.slice(0, 30)) {
        ul.append(el('li', { dataset: { unit: m.unit } }, el('b', {}, m.name || m.unit), ` ${num(m.households)} ${t('pl.hh')}: `,
          (m.from || []).map((c) => gridName(c, state.current)).join('、') || '—', ' → ', (m.to || []).map((c) => gridName(c, v)).join('、') || '—'));
      }
      if (d.moved.length > 30) ul.append(el('li', {}, t('pl.diff.more', { n: d.moved.length - 30 })));
      box.append(ul);
    }
    box.append(el('div', { class: 'pl-legend' }, el('i', { class: 'dash' }), t('pl.legend.current'), el('i', { class: 'moved' }), t('pl.legend.moved')));
    return box;
  }

  function proposalBox() {
    const p = state.proposal;
    if (!p) return null;
    const canAccept = state.view?.status === 'draft' && canPlan() && state.draftId !== null;
    return el('div', { class: 'pl-proposal', id: 'pl-proposal' },
      el('div', { class: 'pl-diff-title' }, t('pl.proposal.title')),
      el('dl', { class: 'pl-kv' },
        el('dt', {}, t('pl.proposal.grids')), el('dd', { id: 'pl-prop-grids' }, String(p.grids)),
        el('dt', {}, t('pl.proposal.lower_bound')), el('dd', { id: 'pl-prop-lb' }, String(p.lower_bound)),
        el('dt', {}, t('pl.proposal.gap')), el('dd', { id: 'pl-prop-gap' }, String(p.gap)),
        el('dt', {}, t('pl.proposal.moved')), el('dd', {}, t('pl.diff.moved', { units: p.units_moved ?? 0, hh: num(p.households_moved ?? 0) })),
        p.split_compounds?.length ? [el('dt', {}, t('pl.proposal.split')), el('dd', {}, p.split_compounds.map((c) => c.name).join('、'))] : null,
        p.locked_grids?.length ? [el('dt', {}, t('pl.proposal.locked')), el('dd', {}, p.locked_grids.map((c) => gridName(c, state.view)).join('、'))] : null),
      p.infeasible?.length ? el('p', { class: 'bad' }, t('pl.proposal.infeasible', { n: p.infeasible.length })) : null,
      el('p', { class: 'pl-sub' }, t('pl.proposal.note')),
      el('div', { class: 'pl-buttons' },
        el('button', { type: 'button', id: 'pl-accept', class: 'primary', disabled: !canAccept || state.busy > 0, onclick: () => acceptProposal() }, t('pl.proposal.accept')),
        el('button', { type: 'button', id: 'pl-discard', onclick: () => { state.proposal = null; say(null); refresh(); } }, t('pl.proposal.discard'))));
  }

  function unitCard() {
    const v = shown();
    const u = state.unit ? unitsByKey(v).get(state.unit) : null;
    if (!u) return null;
    const kind = t(`pl.kind.${u.kind}`);
    const ed = editable();
    const grids = gridsOf(state.view);
    const moveSel = el('select', { id: 'pl-unit-to', 'aria-label': t('pl.unit.move_to') },
      ...grids.map((g) => el('option', { value: g.code, selected: u.grids?.[0] === g.code }, gridName(g.code, state.view))));
    const { layer, id } = unitFeature(u.unit);
    return el('div', { class: 'pl-unit-card', id: 'pl-unit', dataset: { unit: u.unit } },
      el('div', { class: 'pl-unit-head' }, el('b', {}, u.name), el('span', { class: 'pl-sub' }, kind),
        el('button', { type: 'button', class: 'icon-button', title: t('feature.close'), onclick: () => { state.unit = null; refresh(); } }, '×')),
      el('div', {}, t('pl.unit.line', { hh: num(u.households), cls: enumLabel('compound_class', u.class, getLang()), cap: u.class === 'new' ? 300 : 150 }),
        u.three_no ? el('span', { class: 'badge badge-three-no' }, t('feature.three_no.badge')) : null),
      el('div', {}, t('pl.unit.grid', { grid: (u.grids || []).map((c) => gridName(c, v)).join('、') || t('pl.unit.none') })),
      ed ? el('div', { class: 'pl-buttons' }, moveSel,
        el('button', { type: 'button', id: 'pl-unit-move', disabled: state.busy > 0, onclick: () => moveUnits([u.unit], moveSel.value) }, t('pl.unit.move')),
        u.kind === 'compound' ? el('button', { type: 'button', disabled: state.busy > 0, title: t('pl.unit.split.title'),
          onclick: () => apply({ op: 'split_compound', compound: u.compound_id ?? id }, M('pl.unit.split.done', { name: u.name })) }, t('pl.unit.split')) : null,
        u.kind === 'compound_building' && u.compound_id ? el('button', { type: 'button', disabled: state.busy > 0,
          onclick: () => apply({ op: 'join_compound', compound: u.compound_id, into: u.grids?.[0] }, M('pl.unit.join.done')) }, t('pl.unit.join')) : null) : null,
      el('button', { type: 'button', class: 'linkish', onclick: () => openFeature(layer, id) }, t('pl.unit.details')));
  }

  function confirmBox() {
    if (!state.confirm || !state.view) return null;
    const v = state.view;
    if (state.confirm === 'delete') {
      return el('div', { class: 'pl-confirm', id: 'pl-confirm', role: 'dialog', 'aria-modal': 'false' },
        el('p', {}, t('pl.delete.confirm', { name: v.name })),
        el('div', { class: 'pl-buttons' },
          el('button', { type: 'button', id: 'pl-confirm-yes', class: 'danger', onclick: () => { state.confirm = null; deleteDraft(); } }, t('pl.delete')),
          el('button', { type: 'button', id: 'pl-confirm-no', onclick: () => { state.confirm = null; refresh(); } }, t('pl.cancel'))));
    }
    const d = v.diff || {};
    const r = v.report || {};
    const errors = (r.violations || []).filter((x) => x.severity === 'error');
    return el('div', { class: 'pl-confirm', id: 'pl-confirm', role: 'dialog', 'aria-modal': 'false' },
      el('p', { class: 'pl-confirm-title' }, t('pl.publish.confirm', { name: v.name, community: v.community_name })),
      el('ul', {},
        el('li', {}, t('pl.diff.moved', { units: d.units_moved ?? 0, hh: num(d.households_moved ?? 0) })),
        el('li', {}, t('pl.publish.grids', { n: r.grid_count ?? gridsOf(v).length, added: d.grids_added?.length ?? 0, removed: d.grids_removed?.length ?? 0 })),
        errors.length ? el('li', { class: 'bad' }, t('pl.publish.errors', { n: errors.length })) : el('li', { class: 'ok' }, `✓ ${t('pl.valid')}`)),
      el('p', { class: 'pl-sub' }, t('pl.publish.note')),
      el('div', { class: 'pl-buttons' },
        el('button', { type: 'button', id: 'pl-confirm-yes', class: 'primary', onclick: () => doPublish() }, t('pl.publish.do')),
        el('button', { type: 'button', id: 'pl-confirm-no', onclick: () => { state.confirm = null; refresh(); } }, t('pl.cancel'))));
  }

  function fill(target) {
    target.replaceChildren();
    target.append(accessNote() || '');
    if (state.listError) target.append(el('p', { class: 'error' }, t('ws.error', { msg: state.listError })));
    target.append(communitySelect());
    if (!state.community) {
      target.append(el('p', { class: 'pl-hint' }, t('pl.hint.choose')));
      return;
    }
    target.append(...draftBar(), toolbar(), message());
    const h = hint();
    if (h) target.append(h);
    target.append(confirmBox() || '', proposalBox() || '', unitCard() || '');
    const v = shown();
    if (!v) return;
    if (state.proposal) target.append(el('div', { class: 'pl-preview-note' }, t('pl.proposal.preview')));
    target.append(summary(v));
    if (state.compare) target.append(diffSummary(v));
    target.append(gridList(v), violations(v) || '',
      el('p', { class: 'pending-note' }, t('pl.rules', { old: v.rules?.caps?.old ?? 150, new: v.rules?.caps?.new ?? 300 })));
  }

  function render(panelBody) {
    body = panelBody;
    body.classList.add('pl-body');
    fill(body);
    loadLists();
    syncMap();
  }

  function setActive(on) {
    state.active = on;
    if (!on) state.drawing = null;
    syncMap();
  }

  onSessionChange(async () => {
    if (!state.community) { refresh(); return; }
    await loadDrafts();
    if (state.draftId !== null && !state.drafts.some((d) => d.id === state.draftId)) {
      resetEditing();
      state.draftId = null;
      state.view = state.current;
    }
    refresh();
  });
  onLangChange(() => syncMap());

  Object.assign(app.planning, { undo, redo, chooseCommunity, moveUnits, refresh });
  return { render, setActive, handleClick, state };
}
