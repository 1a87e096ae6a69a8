// The grid-planning workspace's requests to the server: loading the lists, the current grids and
// drafts, and every change (operations, undo/redo, new/rename/delete draft, proposal, publish).
// Changes run one at a time, in order; each answer goes into the state (./state.js), then
// `refresh()` redraws. Messages are built here, in the language of the moment.

import { fetchItems } from '../api.js';
import { count } from '../format.js';
import { getLang, t } from '../i18n.js';
import * as api from '../planningApi.js';
import { getSession } from '../session.js';
import * as S from './state.js';

const { M } = S;
const num = (n) => count(n, getLang());
const byCode = (a, b) => String(a.code).localeCompare(String(b.code));

/**
 * The commands on `state`. `refresh()`: redraw panel and map; `fitTo(bbox, maxZoom)`;
 * `bboxOf(view)`: the bounding box of a plan's grids; `askSignIn()`; `refreshTiles(version)`:
 * reload the atlas tiles after a publish; `errors`: where load failures are noted for the tests.
 */
export function createCommands(state, { refresh, fitTo, bboxOf, askSignIn, refreshTiles, errors }) {
  const editable = () => S.isEditable(state, getSession());
  const gridName = (code, v) => S.gridName(state, code, v);
  const say = (kind, msg) => S.say(state, kind, msg);

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
      state.listError = e;
      errors.push(String(e));
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
      if (e.status !== 403) say('error', S.errorMessage(e, state));
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
      const bbox = bboxOf(current);
      if (bbox) fitTo(bbox, 17);
    } catch (e) {
      if (seq === state.seq) say('error', S.errorMessage(e, state));
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
    say('error', S.errorMessage(e, state));
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

  return {
    loadLists, loadDrafts, chooseCommunity, chooseDraft, needTarget, apply, moveUnits, undo, redo,
    newDraft, deleteDraft, rename, askProposal, acceptProposal, publish,
  };
}
