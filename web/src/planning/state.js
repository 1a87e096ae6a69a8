// The grid-planning workspace's state and its rules, with no DOM, map or network: which community
// and plan are open (the current grids or a draft), the proposal being previewed, the target grid
// and the selected unit, the undo/redo stacks of plans, the boundary being drawn, and what the
// signed-in account may edit. The controller (./controller.js) calls the server and feeds the
// answers in here; the panel (./panel.js) draws what is here. Unit-tested in node.

import { mayPlan, scopeCovers, scopedCommunity } from '../access.js';
import { errorCode } from '../errors.js';
import { pointInRing } from '../geometry.js';

/** A fresh state; the browser tests read `busy`, `community`, `view`, `draftId`, `undo`, `redo`, `drawing`. */
export function createPlanningState() {
  return {
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
    undo: [], // plans before each change, newest last
    redo: [], // plans undone, newest last
    busy: 0,
    message: null, // { kind: 'info' | 'ok' | 'error', key, vars, error?, violations?, problems? }
    drawing: null, // [[lon, lat], …] while drawing a boundary
    confirm: null, // 'publish' | 'delete'
    lastPublish: null,
    seq: 0, // bumped when another community or plan is opened: answers to older requests are dropped
  };
}

// ---- reading a plan ----------------------------------------------------------------------------

/** The PlanView on the map and in the panel: the proposal while one is previewed, else the plan. */
export const shownPlan = (s) => s.proposal?.view || s.view;
export const gridsOf = (v) => v?.plan?.grids || [];
export const unitsByKey = (v) => new Map((v?.units || []).map((u) => [u.unit, u]));

/** A grid's name without its community's name in front ("奥体社区第3网格" → "第3网格"), or its code. */
export function gridName(s, code, v = shownPlan(s)) {
  const g = gridsOf(v).find((x) => x.code === code) || gridsOf(s.current).find((x) => x.code === code);
  const community = v?.community_name || s.current?.community_name || '';
  let name = g?.name || '';
  if (name && community && name.startsWith(community) && name.length > community.length) name = name.slice(community.length);
  return name || String(code);
}

export function unitName(s, key, v = shownPlan(s)) {
  const u = unitsByKey(v).get(key) || unitsByKey(s.current).get(key);
  return u?.name || key;
}

/** Whether a unit lies wholly in grid `code`. */
const isIn = (unit, code) => unit?.grids?.length === 1 && unit.grids[0] === code;

// ---- who may do what ---------------------------------------------------------------------------

/** Whether the account may change the open draft: a planner or admin whose scope covers the community, on a draft (not published), with no proposal previewed. */
export function isEditable(s, account) {
  return Boolean(s.view && s.draftId !== null && s.view.status === 'draft' && !s.proposal && mayChange(s, account));
}

function mayChange(s, account) {
  return mayPlan(account) && scopeCovers(account.scope, s.community);
}

/** Whether the previewed proposal may be taken into the draft. */
export function canAcceptProposal(s, account) {
  return Boolean(s.proposal && s.draftId !== null && s.view?.status === 'draft' && mayChange(s, account));
}

/** Whether the account sees the community's drafts (the server lists only those in its scope). */
export function seesDrafts(account, community) {
  return Boolean(account && community && scopeCovers(account.scope, community));
}

/** 新建草稿 stays enabled when signed out (it asks to sign in); a signed-in viewer or staff member cannot. The server still refuses a planner outside their scope, with its reason. */
export function mayStartDraft(account) {
  return !account || mayPlan(account);
}

/** The community to open for an account limited to one (when the list has it), or null. */
export function preselectedCommunity(account, communities) {
  const code = scopedCommunity(account);
  return code && (communities || []).some((c) => c.code === code) ? code : null;
}

// ---- messages ----------------------------------------------------------------------------------

/** A message to show: a UI string key and its values (translated when shown). */
export const M = (key, vars = {}) => ({ key, vars });

export function say(s, kind, msg) {
  s.message = msg ? { kind, ...msg } : null;
}

/** The name of community `code` from the lists, or the code. */
export const communityName = (s, code) => (s.communities || []).find((c) => c.code === code)?.name || code;

/**
 * A refusal to show: a heading by the server's code (../errors.js), in words and naming the
 * community, with the error kept (its sentence and the server's own message are put in words when
 * shown) and, for a refused publication, the broken rules (`violations`) and for a refused grid
 * its problems (`problems`), to be listed with the units' and grids' names.
 */
export function errorMessage(e, s = null) {
  const code = errorCode(e);
  const community = s?.community ? communityName(s, s.community) : '';
  if (code === 'unauthorized') return M('pl.err.signin');
  const msg = (key, vars = {}) => ({ key, vars, error: e });
  if (code === 'forbidden') return msg(community ? 'pl.err.forbidden' : 'pl.err.forbidden_any', { community });
  if (code === 'conflict') return msg('pl.err.conflict');
  if (code === 'invalid_plan') {
    const violations = e.violations || [];
    return { ...msg(violations.length ? 'pl.err.plan' : 'pl.err.plan_shape', { n: violations.length }), violations };
  }
  if (code === 'invalid_feature') return { ...msg('pl.err.grid'), problems: e.problems || [] };
  if (code === 'invalid_operation') return msg('pl.err.operation');
  return msg('pl.err.other');
}

/** A 409 on the draft's version: someone else changed it, so it is reloaded. */
export const isStaleDraft = (e, s) => e?.status === 409 && e.code === 'conflict' && s.draftId !== null;

// ---- opening communities and plans -------------------------------------------------------------

/** Forgets everything tied to the plan shown: undo/redo, proposal, selection, drawing, dialogs. */
export function resetEditing(s) {
  s.undo = [];
  s.redo = [];
  s.proposal = null;
  s.unit = null;
  s.drawing = null;
  s.confirm = null;
}

/** Opens a community (or none with ''): nothing of the previous one is kept. Returns the new epoch. */
export function openCommunity(s, code) {
  s.seq += 1;
  s.community = code;
  s.current = null;
  s.view = null;
  s.draftId = null;
  s.target = null;
  s.drafts = [];
  resetEditing(s);
  say(s, null);
  return s.seq;
}

/** The community's current grids arrived: they are shown until a draft is opened. */
export function showCurrentGrids(s, current) {
  s.current = current;
  s.view = current;
}

/** Back to the current grids (read-only). */
export function closeDraft(s) {
  resetEditing(s);
  s.draftId = null;
  s.view = s.current;
}

/** A draft arrived from the server (opened, created, reloaded). */
export function openDraft(s, v) {
  s.draftId = v.id;
  setView(s, v);
}

/** Shows a new answer for the plan; a target or unit it no longer has is dropped, and the draft list follows its version, status and name. */
export function setView(s, v) {
  s.view = v;
  if (s.target && !gridsOf(v).some((g) => g.code === s.target)) s.target = null;
  if (s.unit && !unitsByKey(v).has(s.unit)) s.unit = null;
  const rec = s.drafts.find((d) => d.id === v.id);
  if (rec) Object.assign(rec, { version: v.version, status: v.status, name: v.name, updated_at: v.updated_at, updated_by: v.updated_by });
}

/** The drafts list arrived; the open draft is closed when it is no longer listed (signed out, another account). */
export function setDrafts(s, drafts, { closeMissing = false } = {}) {
  s.drafts = drafts;
  if (closeMissing && s.draftId !== null && !drafts.some((d) => d.id === s.draftId)) closeDraft(s);
}

// ---- changes and undo/redo ---------------------------------------------------------------------

/** A change was applied (`before`: the plan it replaced): it can be undone, and what was undone can no longer be redone. */
export function recordChange(s, before, v) {
  s.undo.push(before);
  s.redo = [];
  setView(s, v);
}

/** The plan undo (`'undo'`) or redo (`'redo'`) would put back, or null. */
export function stepTarget(s, dir) {
  const from = dir === 'undo' ? s.undo : s.redo;
  return from.length ? from[from.length - 1] : null;
}

/** An undo or redo was applied: its plan leaves its stack and the one it replaced (`before`) goes on the other. */
export function recordStep(s, dir, before, v) {
  const [from, to] = dir === 'undo' ? [s.undo, s.redo] : [s.redo, s.undo];
  from.pop();
  to.push(before);
  setView(s, v);
}

/** The proposal was taken into the draft: an ordinary, undoable change. */
export function recordAcceptedProposal(s, before, v) {
  s.proposal = null;
  recordChange(s, before, v);
}

/** The draft was published (`r`: the server's answer): read-only from now on. */
export function recordPublished(s, r) {
  s.lastPublish = r;
  resetEditing(s);
  setView(s, r.draft);
}

/** Of `keys`, the units of the plan not already wholly in grid `to`, and their households. */
export function unitsToMove(s, keys, to) {
  const units = unitsByKey(s.view);
  const moving = keys.filter((k) => units.has(k) && !isIn(units.get(k), to));
  return { keys: moving, households: moving.reduce((sum, k) => sum + (units.get(k).households || 0), 0) };
}

/** The grid a new grid got: the last of the plan's grids. */
export function newestGrid(v) {
  const grids = gridsOf(v);
  return grids[grids.length - 1] || null;
}

// ---- selection and the map ---------------------------------------------------------------------

/** Clicking a grid's row makes it the target, or no target when it already was. */
export function toggleTarget(s, code) {
  s.target = s.target === code ? null : code;
}

/** What a click on unit `key` does: `'move'` it into the target grid, `'select'` it (its card opens), or null (not a unit of the plan). */
export function clickOnUnit(s, account, key) {
  const unit = unitsByKey(shownPlan(s)).get(key);
  if (!unit) return null;
  if (isEditable(s, account) && s.target && !isIn(unit, s.target)) return 'move';
  return 'select';
}

/** Escape closes the innermost thing open: the boundary being drawn, a dialog, the unit card, the target. */
export function escape(s) {
  if (s.drawing) s.drawing = null;
  else if (s.confirm) s.confirm = null;
  else if (s.unit) s.unit = null;
  else s.target = null;
}

/** A keyboard shortcut: `'undo'` (Ctrl+Z), `'redo'` (Ctrl+Y, Ctrl+Shift+Z), `'finish'` (Enter while drawing), `'escape'`, or null. */
export function shortcut({ key, ctrlKey, metaKey, shiftKey }, drawing) {
  const mod = ctrlKey || metaKey;
  const k = key.toLowerCase();
  if (mod && k === 'z' && !shiftKey) return 'undo';
  if (mod && (k === 'y' || (k === 'z' && shiftKey))) return 'redo';
  if (key === 'Enter' && drawing) return 'finish';
  if (key === 'Escape') return 'escape';
  return null;
}

/** The boundary after a double-click: its two clicks added the last point twice. */
export function closeBoundary(points) {
  const pts = [...points];
  if (pts.length >= 2) {
    const [a, b] = pts.slice(-2);
    if (Math.abs(a[0] - b[0]) < 1e-9 && Math.abs(a[1] - b[1]) < 1e-9) pts.pop();
  }
  return pts;
}

/** Units of `view` whose representative point lies inside the ring `[[lon, lat], …]` (a boundary of at least three points). */
export function unitsInside(view, ring) {
  if (!ring || ring.length < 3) return [];
  const closed = [...ring, ring[0]];
  return (view?.units || []).filter((u) => pointInRing([u.lon, u.lat], closed)).map((u) => u.unit);
}

// ---- reading the report ------------------------------------------------------------------------

/** Violations with the errors first. */
export function sortedViolations(v) {
  return [...(v?.report?.violations || [])].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
}

/** Error and warning counts of a plan's rule check. */
export function violationCounts(v) {
  const list = v?.report?.violations || [];
  return { errors: list.filter((x) => x.severity === 'error').length, warnings: list.filter((x) => x.severity === 'warning').length };
}

/** Where a grid's load bar ends and where its cap (load 1) sits, in % of the bar: the bar spans at least 1.5 and at most 4 times the cap. */
export function loadBar(load = 0) {
  const scale = Math.max(1.5, Math.min(load, 4));
  return { over: load > 1 + 1e-9, fill: Math.min(100, (load / scale) * 100), cap: (1 / scale) * 100 };
}
