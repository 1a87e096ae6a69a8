// The grid-planning workspace's panel: draws the state (./state.js) into the DOM — access note,
// community and plan selectors, toolbar, message, hint, dialogs, proposal, unit card, summary,
// diff, grid list and rule check — and hands every user action to the controller's `actions`.
// Holds no state of its own.

import { el } from '../dom.js';
import { enumLabel } from '../enums.js';
import { count, fixed } from '../format.js';
import { describeError, errorDetail } from '../errors.js';
import { getLang, t } from '../i18n.js';
import { errorView } from '../ui/errorView.js';
import { gridColor, unitFeature } from './map.js';
import {
  canAcceptProposal, gridName, gridsOf, isEditable, loadBar, mayStartDraft, shownPlan, sortedViolations, unitName,
  unitsByKey, violationCounts,
} from './state.js';

const num = (n) => count(n, getLang());

/**
 * Fills `target` with the panel for state `s`. `account`: the signed-in account or null.
 * `actions`: the controller's handlers (see ./controller.js).
 */
export function renderPanel(target, s, { account, actions }) {
  const ctx = { s, account, actions, editable: isEditable(s, account), busy: s.busy > 0 };
  target.replaceChildren();
  target.append(accessNote(ctx) || '');
  if (s.listError) target.append(errorView(s.listError, { what: t('pl.err.lists') }));
  target.append(communitySelect(ctx));
  if (!s.community) {
    target.append(el('p', { class: 'pl-hint' }, t('pl.hint.choose')));
    return;
  }
  target.append(...draftBar(ctx), toolbar(ctx), message(s));
  const h = hint(ctx);
  if (h) target.append(h);
  target.append(confirmBox(ctx) || '', proposalBox(ctx) || '', unitCard(ctx) || '');
  const v = shownPlan(s);
  if (!v) return;
  if (s.proposal) target.append(el('div', { class: 'pl-preview-note' }, t('pl.proposal.preview')));
  target.append(summary(v));
  if (s.compare) target.append(diffSummary(s, v));
  target.append(gridList(ctx, v), violations(ctx, v) || '',
    el('p', { class: 'pending-note' }, t('pl.rules', { old: v.rules?.caps?.old ?? 150, new: v.rules?.caps?.new ?? 300 })));
}

function roleName(role) {
  const key = `role.${role}`;
  const s = t(key);
  return s === key ? role : s;
}

function accessNote({ account, actions }) {
  if (!account) {
    return el('div', { class: 'pl-access', id: 'pl-access' }, t('pl.access.signin'), ' ',
      el('button', { type: 'button', class: 'linkish', onclick: () => actions.askSignIn() }, t('account.signin')));
  }
  if (!mayStartDraft(account)) {
    return el('div', { class: 'pl-access readonly', id: 'pl-access' }, t('pl.access.readonly', { name: account.name, role: roleName(account.role) }));
  }
  return null;
}

function communitySelect({ s, actions }) {
  const sel = el('select', { id: 'pl-community', onchange: (e) => actions.chooseCommunity(e.target.value) },
    el('option', { value: '' }, s.communities ? t('pl.choose_community') : t('feature.loading')));
  for (const street of s.streets || []) {
    const members = (s.communities || []).filter((c) => c.street_code === street.code);
    if (!members.length) continue;
    sel.append(el('optgroup', { label: street.name }, ...members.map((c) => el('option', { value: c.code }, c.name))));
  }
  sel.value = s.community;
  return el('div', { class: 'pl-row' }, el('label', { for: 'pl-community' }, t('zoomto.community')), sel);
}

const statusName = (status) => t(`pl.status.${status}`);

function draftBar({ s, account, actions, editable, busy }) {
  const sel = el('select', { id: 'pl-draft', onchange: (e) => actions.chooseDraft(e.target.value === '' ? null : Number(e.target.value)) },
    el('option', { value: '' }, t('pl.current_plan')),
    ...s.drafts.map((d) => el('option', { value: String(d.id) }, `${d.name} · ${statusName(d.status)} · ${d.updated_by || d.author}`)));
  sel.value = s.draftId === null ? '' : String(s.draftId);
  const buttons = el('div', { class: 'pl-buttons' },
    el('button', { type: 'button', id: 'pl-new', disabled: busy || !mayStartDraft(account), onclick: () => actions.newDraft(),
      title: t('pl.new.title') }, t('pl.new')),
    s.draftId !== null && s.view?.status === 'draft'
      ? el('button', { type: 'button', id: 'pl-delete', class: 'danger-light', disabled: !editable, onclick: () => actions.confirm('delete') }, t('pl.delete'))
      : null);
  const out = [el('div', { class: 'pl-row' }, el('label', { for: 'pl-draft' }, t('pl.plan')), sel), buttons];
  const v = s.view;
  if (s.draftId !== null && v) {
    const name = el('input', { id: 'pl-name', value: v.name || '', disabled: !editable, 'aria-label': t('pl.name'),
      onchange: (e) => actions.rename(e.target.value) });
    const at = new Date(v.updated_at).toLocaleString(getLang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false });
    out.push(el('div', { class: 'pl-meta', id: 'pl-meta' },
      el('span', { class: `pl-status st-${v.status}` }, statusName(v.status)), ' ', name,
      el('div', { class: 'pl-meta-line' }, t('pl.meta', { author: v.author, by: v.updated_by, at, v: v.version }))));
  }
  return out;
}

function toolbar({ s, account, actions, editable: ed, busy }) {
  const btn = (id, label, title, onclick, disabled, cls = '') => el('button', { type: 'button', id, class: cls, title, disabled, onclick }, label);
  const valid = s.view?.report?.valid;
  return el('div', { class: 'pl-toolbar', role: 'toolbar' },
    btn('pl-undo', `↶ ${t('pl.undo')}`, t('pl.undo.title'), () => actions.undo(), !ed || !s.undo.length || busy),
    btn('pl-redo', `↷ ${t('pl.redo')}`, t('pl.redo.title'), () => actions.redo(), !ed || !s.redo.length || busy),
    btn('pl-add-grid', `＋ ${t('pl.add_grid')}`, t('pl.add_grid.title'), () => actions.addGrid(), !ed || busy),
    btn('pl-draw', s.drawing ? t('pl.draw.finish') : `✎ ${t('pl.draw')}`, t('pl.draw.title'), () => actions.toggleDrawing(),
      !ed || busy, s.drawing ? 'on' : ''),
    btn('pl-propose', `⚙ ${t('pl.propose')}`, t('pl.propose.title'), () => actions.askProposal(),
      s.draftId === null || !account || busy || Boolean(s.proposal)),
    btn('pl-publish', `⇪ ${t('pl.publish')}`, valid === false ? t('pl.publish.invalid') : t('pl.publish.title'), () => actions.confirm('publish'),
      !ed || busy, 'primary'),
    el('label', { class: 'chk pl-compare' }, el('input', { type: 'checkbox', id: 'pl-compare', checked: s.compare,
      onchange: (e) => actions.setCompare(e.target.checked) }), t('pl.compare')));
}

function hint({ s, editable }) {
  if (!editable) {
    if (s.draftId === null && s.view) return el('p', { class: 'pl-hint' }, t('pl.hint.current'));
    if (s.view?.status === 'published') return el('p', { class: 'pl-hint' }, t('pl.hint.published'));
    return null;
  }
  if (s.drawing) return el('p', { class: 'pl-hint on' }, t('pl.draw.hint'));
  if (!s.target) return el('p', { class: 'pl-hint' }, t('pl.hint.no_target'));
  return el('p', { class: 'pl-hint on', id: 'pl-target-hint' },
    el('i', { class: 'pl-swatch', style: `background:${gridColor(s.target)}` }), t('pl.hint.target', { grid: gridName(s, s.target) }));
}

/** The last message: its sentence, a refusal's broken rules or problems by name, and the server's own words folded away. */
function message(s) {
  const m = s.message;
  const kids = [];
  if (s.busy > 0) kids.push(el('span', { class: 'pl-spinner', 'aria-hidden': 'true' }));
  if (s.busy > 0 && !m) kids.push(t('pl.working'));
  else if (m) {
    const reason = m.error ? describeError(m.error, t).reason : '';
    kids.push(el('span', { class: 'pl-message-text' }, t(m.key, { ...m.vars, reason })));
    if (m.violations?.length) {
      const v = shownPlan(s);
      kids.push(el('ul', { class: 'pl-message-list', id: 'pl-message-violations' },
        m.violations.map((x) => el('li', { dataset: { rule: x.rule, grid: x.grid || '' } }, violationText(s, x, v)))));
    }
    if (m.problems?.length) {
      const zh = getLang() === 'zh';
      kids.push(el('ul', { class: 'pl-message-list' }, m.problems.map((p) => el('li', {},
        `${p.id ? `${gridName(s, p.id)}${zh ? '：' : ': '}` : ''}${(zh ? p.reason_zh || p.reason : p.reason || p.reason_zh) || ''}`))));
    }
    const detail = m.error ? errorDetail(m.error) : null;
    if (detail) kids.push(el('details', { class: 'err-detail' }, el('summary', {}, t('err.detail.toggle')), el('code', {}, detail)));
  }
  return el('div', { class: `pl-message ${m ? m.kind : ''}`, id: 'pl-message', role: 'status', 'aria-live': 'polite' }, kids);
}

function summary(v) {
  const r = v.report || {};
  const { errors, warnings } = violationCounts(v);
  return el('div', { class: 'pl-summary', id: 'pl-summary' },
    el('div', {}, el('b', {}, num(r.households)), ` ${t('pl.households')}`),
    el('div', {}, el('b', { id: 'pl-grid-count' }, String(r.grid_count ?? gridsOf(v).length)), ` ${t('pl.grids')}`,
      el('span', { class: 'pl-sub' }, t('pl.lower_bound', { n: r.lower_bound ?? '—' }))),
    el('div', { class: r.valid ? 'ok' : 'bad', id: 'pl-valid' }, r.valid ? `✓ ${t('pl.valid')}` : `✗ ${t('pl.invalid', { n: errors })}`,
      warnings ? el('span', { class: 'pl-sub' }, t('pl.warnings', { n: warnings })) : null),
    r.unassigned ? el('div', { class: 'bad' }, t('pl.unassigned', { n: r.unassigned })) : null);
}

function loadMeter(g) {
  const load = g.load ?? 0;
  const bar = loadBar(load);
  return el('div', { class: `pl-load ${bar.over ? 'over' : ''}`, title: t('pl.load.title', { old: g.households_old ?? 0, new: g.households_new ?? 0 }) },
    el('div', { class: 'pl-load-track' },
      el('div', { class: 'pl-load-fill', style: `width:${bar.fill.toFixed(1)}%` }),
      el('div', { class: 'pl-load-cap', style: `left:${bar.cap.toFixed(1)}%` })),
    el('span', { class: 'pl-load-text' }, `${t('pl.load')} ${fixed(load)}`));
}

function gridActions({ s, actions, busy }, g) {
  const others = gridsOf(s.view).filter((x) => x.code !== g.code);
  const pg = gridsOf(s.view).find((x) => x.code === g.code) || {};
  const mergeSel = el('select', { class: 'pl-merge-into', 'aria-label': t('pl.merge.into') },
    ...others.map((o) => el('option', { value: o.code }, gridName(s, o.code, s.view))));
  const workers = pg.workers ?? g.workers ?? 1;
  return el('div', { class: 'pl-grid-actions', onclick: (e) => e.stopPropagation() },
    el('button', { type: 'button', class: 'pl-lock', disabled: busy, onclick: () => actions.lockGrid(g.code, !pg.locked) },
      pg.locked ? t('pl.unlock') : t('pl.lock')),
    el('span', { class: 'pl-workers-edit' }, t('pl.workers'),
      el('button', { type: 'button', disabled: busy || workers <= 1, 'aria-label': '−', onclick: () => actions.setWorkers(g.code, workers - 1) }, '−'),
      el('b', {}, String(workers)),
      el('button', { type: 'button', disabled: busy, 'aria-label': '+', onclick: () => actions.setWorkers(g.code, workers + 1) }, '+')),
    el('button', { type: 'button', class: 'pl-split', disabled: busy || (g.units?.length ?? 0) < 2, onclick: () => actions.splitGrid(g.code) }, t('pl.split')),
    others.length ? el('span', { class: 'pl-merge' }, mergeSel,
      el('button', { type: 'button', disabled: busy, onclick: () => actions.mergeGrid(g.code, mergeSel.value) }, t('pl.merge'))) : null,
    (g.units?.length ?? 0) === 0
      ? el('button', { type: 'button', class: 'danger-light', disabled: busy, onclick: () => actions.deleteGrid(g.code) }, t('pl.delete_grid'))
      : null);
}

function gridRow(ctx, v, g, planGrid) {
  const { s, actions, editable } = ctx;
  const selected = s.target === g.code;
  const pp = g.polsby_popper;
  const workersShort = (g.workers_needed ?? 0) > (g.workers ?? 0);
  return el('li', {
    class: `pl-grid ${selected ? 'selected' : ''} ${g.within_cap === false ? 'over' : ''}`,
    dataset: { code: g.code }, tabindex: 0, role: 'button', 'aria-pressed': String(selected),
    title: editable ? t('pl.grid.pick') : '',
    onclick: () => actions.toggleTarget(g.code, { clearMessage: true }),
    onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); actions.toggleTarget(g.code); } },
  },
  el('div', { class: 'pl-grid-head' },
    el('i', { class: 'pl-swatch', style: `background:${gridColor(g.code)}` }),
    el('span', { class: 'pl-grid-name', title: g.code }, gridName(s, g.code, v)),
    planGrid.locked || g.locked ? el('span', { class: 'pl-locked', title: t('pl.locked.title') }, t('pl.locked.badge')) : null,
    el('span', { class: 'pl-hh', dataset: { households: String(g.households) } }, num(g.households)), el('span', { class: 'pl-unit' }, t('pl.hh'))),
  loadMeter(g),
  el('div', { class: 'pl-grid-stats' },
    el('span', { class: `pl-contig ${g.contiguous ? 'ok' : 'bad'}`, title: t('pl.contig.title', { n: g.components ?? 1 }) },
      `${g.contiguous ? '✓' : '✗'} ${t('pl.contig')}`),
    el('span', { class: 'pl-pp', title: t('pl.pp.title') }, `${t('pl.pp')} ${pp === null || pp === undefined ? '—' : fixed(pp)}`),
    el('span', { class: `pl-workers ${workersShort ? 'bad' : ''}`, title: t('pl.workers.title') }, `${t('pl.workers')} ${g.workers ?? '—'}/${g.workers_needed ?? '—'}`),
    el('span', { class: 'pl-units-n' }, t('pl.units_n', { n: g.units?.length ?? 0 }))),
  selected && editable ? gridActions(ctx, g) : null);
}

function gridList(ctx, v) {
  const planGrids = new Map(gridsOf(v).map((g) => [g.code, g]));
  return el('ol', { class: 'pl-grids', id: 'pl-grids' },
    ...(v.report?.grids || []).map((g) => gridRow(ctx, v, g, planGrids.get(g.code) || {})));
}

/** A unit in words: its name, or "编号 65 的小区" when the plan does not know it (never `compound:65`). */
function unitLabel(s, key, v) {
  const name = unitName(s, key, v);
  if (name !== key) return name;
  const [kind, id] = String(key).split(':');
  return t(kind === 'building' ? 'pl.unit.building_id' : 'pl.unit.compound_id', { id });
}

/** Units in words, the first few by name and the rest counted. */
function unitsText(s, keys, v, most = 4) {
  const list = keys || [];
  const names = list.slice(0, most).map((k) => unitLabel(s, k, v)).join('、');
  return list.length > most ? t('pl.units_more', { names, n: list.length }) : names;
}

function violationText(s, x, v) {
  const vars = { grid: x.grid ? gridName(s, x.grid, v) : '', households: num(x.households), load: fixed(x.load), n: '', needed: x.needed, workers: x.workers,
    hpw: fixed(x.households_per_worker, 0), limit: x.limit, area: num(Math.round(x.area_m2 ?? 0)), unit: x.unit ? unitLabel(s, x.unit, v) : '',
    name: x.name || (x.unit ? unitLabel(s, x.unit, v) : ''), grids: (x.grids || []).map((c) => gridName(s, c, v)).join('、'),
    units: unitsText(s, x.units, v), parts: (x.components || []).map((c) => unitsText(s, c, v, 3)).join(' ｜ ') };
  if (x.rule === 'not_contiguous') vars.n = (x.components || []).length;
  if (x.rule === 'multi_part') vars.n = x.parts ?? (x.areas_m2 || []).length;
  const key = `pl.rule.${x.rule}`;
  const text = t(key, vars);
  return text === key ? t('pl.rule.unknown') : text;
}

function violations({ s, actions }, v) {
  const sorted = sortedViolations(v);
  if (!sorted.length) return null;
  return el('details', { class: 'pl-violations', id: 'pl-violations', open: sorted.some((x) => x.severity === 'error') },
    el('summary', {}, t('pl.violations', { n: sorted.length })),
    el('ul', {}, ...sorted.map((x) => el('li', { class: x.severity, dataset: { rule: x.rule, grid: x.grid || '' },
      onclick: () => { if (x.grid) actions.selectGrid(x.grid); } },
    el('span', { class: 'sev' }, x.severity === 'error' ? t('pl.error') : t('pl.warning')), ' ', violationText(s, x, v)))));
}

function diffSummary(s, v) {
  const d = v.diff || {};
  const names = (codes, plan) => codes.map((c) => gridName(s, c, plan)).join('、');
  const box = el('div', { class: 'pl-diff', id: 'pl-diff' },
    el('div', { class: 'pl-diff-title' }, t('pl.diff.title')),
    el('div', {}, t('pl.diff.moved', { units: d.units_moved ?? 0, hh: num(d.households_moved ?? 0) })),
    d.grids_added?.length ? el('div', {}, t('pl.diff.added', { grids: names(d.grids_added, v) })) : null,
    d.grids_removed?.length ? el('div', {}, t('pl.diff.removed', { grids: names(d.grids_removed, s.current) })) : null,
    d.compounds_split?.length ? el('div', {}, t('pl.diff.split', { n: d.compounds_split.length })) : null,
    d.compounds_joined?.length ? el('div', {}, t('pl.diff.joined', { n: d.compounds_joined.length })) : null);
  if (d.moved?.length) {
    const ul = el('ul', { class: 'pl-moved' });
    for (const m of d.moved.slice(0, 30)) {
      ul.append(el('li', { dataset: { unit: m.unit } }, el('b', {}, m.name || m.unit), ` ${num(m.households)} ${t('pl.hh')}: `,
        names(m.from || [], s.current) || '—', ' → ', names(m.to || [], v) || '—'));
    }
    if (d.moved.length > 30) ul.append(el('li', {}, t('pl.diff.more', { n: d.moved.length - 30 })));
    box.append(ul);
  }
  box.append(el('div', { class: 'pl-legend' }, el('i', { class: 'dash' }), t('pl.legend.current'), el('i', { class: 'moved' }), t('pl.legend.moved')));
  return box;
}

function proposalBox({ s, account, actions, busy }) {
  const p = s.proposal;
  if (!p) return null;
  return el('div', { class: 'pl-proposal', id: 'pl-proposal' },
    el('div', { class: 'pl-diff-title' }, t('pl.proposal.title')),
    el('dl', { class: 'pl-kv' },
      el('dt', {}, t('pl.proposal.grids')), el('dd', { id: 'pl-prop-grids' }, String(p.grids)),
      el('dt', {}, t('pl.proposal.lower_bound')), el('dd', { id: 'pl-prop-lb' }, String(p.lower_bound)),
      el('dt', {}, t('pl.proposal.gap')), el('dd', { id: 'pl-prop-gap' }, String(p.gap)),
      el('dt', {}, t('pl.proposal.moved')), el('dd', {}, t('pl.diff.moved', { units: p.units_moved ?? 0, hh: num(p.households_moved ?? 0) })),
      p.split_compounds?.length ? [el('dt', {}, t('pl.proposal.split')), el('dd', {}, p.split_compounds.map((c) => c.name).join('、'))] : null,
      p.locked_grids?.length ? [el('dt', {}, t('pl.proposal.locked')), el('dd', {}, p.locked_grids.map((c) => gridName(s, c, s.view)).join('、'))] : null),
    p.infeasible?.length ? el('p', { class: 'bad' }, t('pl.proposal.infeasible', { n: p.infeasible.length })) : null,
    el('p', { class: 'pl-sub' }, t('pl.proposal.note')),
    el('div', { class: 'pl-buttons' },
      el('button', { type: 'button', id: 'pl-accept', class: 'primary', disabled: !canAcceptProposal(s, account) || busy, onclick: () => actions.acceptProposal() },
        t('pl.proposal.accept')),
      el('button', { type: 'button', id: 'pl-discard', onclick: () => actions.discardProposal() }, t('pl.proposal.discard'))));
}

function unitCard({ s, actions, editable, busy }) {
  const v = shownPlan(s);
  const u = s.unit ? unitsByKey(v).get(s.unit) : null;
  if (!u) return null;
  const moveSel = el('select', { id: 'pl-unit-to', 'aria-label': t('pl.unit.move_to') },
    ...gridsOf(s.view).map((g) => el('option', { value: g.code, selected: u.grids?.[0] === g.code }, gridName(s, g.code, s.view))));
  const { layer, id } = unitFeature(u.unit);
  const grids = (u.grids || []).map((c) => gridName(s, c, v)).join('、') || t('pl.unit.none');
  return el('div', { class: 'pl-unit-card', id: 'pl-unit', dataset: { unit: u.unit } },
    el('div', { class: 'pl-unit-head' }, el('b', {}, u.name), el('span', { class: 'pl-sub' }, t(`pl.kind.${u.kind}`)),
      el('button', { type: 'button', class: 'icon-button', title: t('feature.close'), onclick: () => actions.closeUnit() }, '×')),
    el('div', {}, t('pl.unit.line', { hh: num(u.households), cls: enumLabel('compound_class', u.class, getLang()), cap: u.class === 'new' ? 300 : 150 }),
      u.three_no ? el('span', { class: 'badge badge-three-no' }, t('feature.three_no.badge')) : null),
    el('div', {}, t('pl.unit.grid', { grid: grids })),
    editable ? el('div', { class: 'pl-buttons' }, moveSel,
      el('button', { type: 'button', id: 'pl-unit-move', disabled: busy, onclick: () => actions.moveUnits([u.unit], moveSel.value) }, t('pl.unit.move')),
      u.kind === 'compound' ? el('button', { type: 'button', disabled: busy, title: t('pl.unit.split.title'),
        onclick: () => actions.splitCompound(u.compound_id ?? id, u.name) }, t('pl.unit.split')) : null,
      u.kind === 'compound_building' && u.compound_id ? el('button', { type: 'button', disabled: busy,
        onclick: () => actions.joinCompound(u.compound_id, u.grids?.[0]) }, t('pl.unit.join')) : null) : null,
    el('button', { type: 'button', class: 'linkish', onclick: () => actions.openFeature(layer, id) }, t('pl.unit.details')));
}

function confirmBox({ s, actions }) {
  if (!s.confirm || !s.view) return null;
  const v = s.view;
  const no = el('button', { type: 'button', id: 'pl-confirm-no', onclick: () => actions.confirm(null) }, t('pl.cancel'));
  if (s.confirm === 'delete') {
    return el('div', { class: 'pl-confirm', id: 'pl-confirm', role: 'dialog', 'aria-modal': 'false' },
      el('p', {}, t('pl.delete.confirm', { name: v.name })),
      el('div', { class: 'pl-buttons' },
        el('button', { type: 'button', id: 'pl-confirm-yes', class: 'danger', onclick: () => actions.deleteDraft() }, t('pl.delete')), no));
  }
  const d = v.diff || {};
  const r = v.report || {};
  const { errors } = violationCounts(v);
  return el('div', { class: 'pl-confirm', id: 'pl-confirm', role: 'dialog', 'aria-modal': 'false' },
    el('p', { class: 'pl-confirm-title' }, t('pl.publish.confirm', { name: v.name, community: v.community_name })),
    el('ul', {},
      el('li', {}, t('pl.diff.moved', { units: d.units_moved ?? 0, hh: num(d.households_moved ?? 0) })),
      el('li', {}, t('pl.publish.grids', { n: r.grid_count ?? gridsOf(v).length, added: d.grids_added?.length ?? 0, removed: d.grids_removed?.length ?? 0 })),
      errors ? el('li', { class: 'bad' }, t('pl.publish.errors', { n: errors })) : el('li', { class: 'ok' }, `✓ ${t('pl.valid')}`)),
    el('p', { class: 'pl-sub' }, t('pl.publish.note')),
    el('div', { class: 'pl-buttons' },
      el('button', { type: 'button', id: 'pl-confirm-yes', class: 'primary', onclick: () => actions.publish() }, t('pl.publish.do')), no));
}
