// The grid-work panel (网格工作): a bar (the grid, 定位, the outbox badge, 收起/展开 on a phone),
// tabs for the grid's units (oldest visit first), the form recording a visit, errand or need, the
// open needs nearest first, and the outbox (待发送) with the server's reasons for what it refused.
// Draws the controller's state; every control calls one of `actions`.

import { el } from '../dom.js';
import { enumLabel, enumValues } from '../enums.js';
import { count } from '../format.js';
import { errorLine } from '../errors.js';
import { t } from '../i18n.js';
import { isOverdue, refusalReasons, unitsByPlace } from './model.js';
import { REFUSED } from './outbox.js';
import { NEED_COLOR, STALENESS_COLORS } from './map.js';

/** The need categories when the server does not list them (their wire names; labels from `/api/enums`). */
const NEED_CATEGORIES = ['elderly_care', 'childcare', 'meals', 'health', 'repair', 'environment', 'safety', 'employment', 'dispute', 'errand', 'other'];

const KINDS = ['visit', 'errand', 'need'];

/** The need categories in the engine's order. */
function categories() {
  const served = enumValues('need_category');
  return served.length ? served : NEED_CATEGORIES;
}

/** A distance in words: 80 米, 1.2 公里. */
export function distanceText(m) {
  if (m === null || m === undefined) return '';
  return m < 1000 ? t('gw.distance.m', { n: Math.round(m) }) : t('gw.distance.km', { n: (m / 1000).toFixed(1) });
}

/** A unit's last visit in words. */
export function lastVisitText(unit) {
  if (!unit.last_visit) return t('gw.last.never');
  if (unit.days_since === 0) return t('gw.last.today', { date: unit.last_visit });
  return t('gw.last.days', { date: unit.last_visit, n: unit.days_since });
}

/** What an outbox entry is, in words: 入户走访 · 丝绸厂宿舍 1栋 · 2026-12-04. */
export function entryText(entry) {
  const kind = entry.kind === 'need' ? t('gw.entry.need', { title: entry.body?.title || '' }) : t(`gw.kind.${entry.kind}`);
  return t('gw.entry', { kind, unit: entry.label || '', date: entry.body?.date || entry.body?.raised_on || '' });
}

/** The badge's words for the outbox's waiting and refused entries ('' when empty). */
export function badgeText(waiting, refused) {
  const parts = [];
  if (waiting) parts.push(t('gw.outbox.badge', { n: waiting }));
  if (refused) parts.push(t('gw.outbox.badge_refused', { n: refused }));
  return parts.join(' · ');
}

function bar(state, ctx) {
  const { actions } = ctx;
  const grids = state.grids || [];
  // Among several grids a chooser; a single grid is named above its units.
  const gridPart = grids.length > 1
    ? el('select', { id: 'gw-grid', class: 'gw-grid', 'aria-label': t('gw.grid'), onchange: (e) => actions.chooseGrid(e.target.value) },
      grids.map((g) => el('option', { value: g.code, selected: g.code === state.grid }, g.name || g.code)))
    : null;
  const waiting = ctx.outbox.waiting.length;
  const refused = ctx.outbox.refused.length;
  const badge = el('button', {
    type: 'button', id: 'gw-outbox', class: `gw-badge${refused ? ' refused' : ''}`, hidden: !(waiting || refused),
    'data-count': String(waiting), 'aria-pressed': String(state.section === 'outbox'), onclick: () => actions.showSection('outbox'),
  }, badgeText(waiting, refused));
  return el('div', { class: 'gw-bar' },
    gridPart,
    el('button', { type: 'button', id: 'gw-locate', class: 'gw-locate', title: t('gw.locate.title'), disabled: state.locating, onclick: () => actions.locate() },
      el('span', { class: 'gw-locate-dot', 'aria-hidden': 'true' }), state.locating ? t('gw.locating') : t('gw.locate')),
    badge);
}

function tabs(state, ctx) {
  const folded = state.sheet === 'peek';
  return el('div', { class: 'gw-tabs' },
    el('div', { class: 'gw-tablist', role: 'tablist' },
      ['units', 'record', 'needs'].map((s) => el('button', {
        type: 'button', role: 'tab', id: `gw-tab-${s}`, class: 'gw-tab', 'data-section': s, 'aria-selected': String(state.section === s),
        onclick: () => ctx.actions.showSection(s),
      }, t(`gw.tab.${s}`)))),
    // On a phone the sheet folds to its bar and tabs (a tab unfolds it again).
    el('button', {
      type: 'button', id: 'gw-sheet', class: 'gw-sheet-toggle', 'aria-expanded': String(!folded),
      'aria-label': folded ? t('gw.sheet.expand') : t('gw.sheet.collapse'), title: folded ? t('gw.sheet.expand') : t('gw.sheet.collapse'),
      onclick: () => ctx.actions.toggleSheet(),
    }, folded ? '▴' : '▾'));
}

function notices(state) {
  return [
    !state.online && el('p', { class: 'gw-note gw-offline', id: 'gw-offline' }, t('gw.offline')),
    state.loading && el('p', { class: 'gw-note' }, t('gw.loading')),
    state.error && el('p', { class: 'gw-note error', role: 'alert' }, t('gw.error', { reason: errorLine(state.error, t) })),
    state.locateError && el('p', { class: 'gw-note error', role: 'alert' }, state.locateError),
    state.outboxNote && el('p', { class: 'gw-note done', id: 'gw-outbox-note', role: 'status' }, state.outboxNote),
  ];
}

function legend() {
  return el('div', { class: 'gw-legend' },
    Object.entries(STALENESS_COLORS).map(([k, c]) => el('span', {}, el('i', { style: `background:${c}` }), t(`gw.legend.${k}`))),
    el('span', {}, el('i', { class: 'gw-legend-need', style: `background:${NEED_COLOR}` }), t('gw.tab.needs')));
}

function unitsSection(state, ctx) {
  const units = state.units || [];
  if (!units.length) return el('div', { class: 'gw-section', 'data-section': 'units' }, state.loading ? null : el('p', { class: 'gw-note' }, t('gw.units.none')));
  const overdue = units.filter((u) => u.staleness === 'never' || u.staleness === 'overdue').length;
  return el('div', { class: 'gw-section', 'data-section': 'units' },
    el('p', { class: 'gw-summary', id: 'gw-units-summary' },
      el('b', { id: 'gw-grid-name', title: state.grid || '' }, (state.grids || []).find((g) => g.code === state.grid)?.name || state.grid || ''), ' · ',
      t('gw.units.summary', { n: units.length, overdue })),
    legend(),
    el('ul', { class: 'gw-units', id: 'gw-units' }, units.map((u) => el('li', {
      class: `gw-unit${u.key === state.selected ? ' selected' : ''}`, 'data-key': u.key, 'data-staleness': u.staleness,
    },
    el('button', { type: 'button', class: 'gw-unit-main', onclick: () => ctx.actions.selectUnit(u.key, { zoom: true }) },
      el('i', { class: 'gw-chip', style: `background:${STALENESS_COLORS[u.staleness]}`, 'aria-hidden': 'true' }),
      el('span', { class: 'gw-unit-text' },
        el('span', { class: 'gw-unit-name' }, u.name),
        el('span', { class: 'gw-unit-meta' }, lastVisitText(u),
          u.households != null ? ` · ${t('gw.units.households', { n: count(u.households, ctx.lang) })}` : ''))),
    el('button', { type: 'button', class: 'gw-unit-record', onclick: () => ctx.actions.recordAt(u.key) }, t('gw.units.record'))))));
}

/** A labelled field of the form. */
const field = (id, label, control, hint) => el('div', { class: 'gw-field', 'data-field': id },
  el('label', { for: id }, label), control, hint ? el('div', { class: 'gw-hint' }, hint) : null);

function recordSection(state, ctx) {
  const { actions } = ctx;
  const f = state.form;
  const need = f.kind === 'need';
  const unit = (state.units || []).find((u) => u.key === f.unitKey) || null;
  const building = unit?.layer === 'buildings';
  const input = (id, name, props = {}) => el('input', {
    id, name, value: f[name] ?? '', oninput: (e) => actions.setField(name, e.target.value), ...props,
  });

  const kindButtons = el('div', { class: 'gw-kinds', role: 'radiogroup', 'aria-label': t('gw.kind') },
    KINDS.map((k) => el('button', {
      type: 'button', role: 'radio', id: `gw-kind-${k}`, class: 'gw-kind', 'aria-checked': String(f.kind === k), onclick: () => actions.setKind(k),
    }, t(`gw.kind.${k}`))));

  const unitSelect = el('select', { id: 'gw-unit', name: 'unit', onchange: (e) => actions.selectUnit(e.target.value || null, { zoom: true }) },
    el('option', { value: '', selected: !f.unitKey }, need ? t('gw.unit.grid') : t('gw.unit.choose')),
    unitsByPlace(state.units || []).map((u) => el('option', { value: u.key, selected: u.key === f.unitKey },
      `${u.layer === 'buildings' && u.compound_id != null ? '　' : ''}${u.name}`)));

  const message = f.message ? el('div', { class: `gw-message ${f.message.kind}`, id: 'gw-form-message', role: f.message.kind === 'refused' || f.message.kind === 'error' ? 'alert' : 'status' },
    f.message.text,
    f.message.reasons?.length ? el('ul', {}, f.message.reasons.map((r) => el('li', {}, r))) : null) : null;

  const position = state.position;
  const photo = el('div', { class: 'gw-photo' },
    el('label', { class: 'gw-photo-button', for: 'gw-photo' },
      el('span', {}, f.photoBusy ? t('gw.photo.busy') : t('gw.photo.take')),
      el('input', { type: 'file', id: 'gw-photo', name: 'photo', accept: 'image/*', capture: 'environment', onchange: (e) => actions.takePhoto(e.target.files?.[0] || null) })),
    f.photo ? el('div', { class: 'gw-photo-preview' },
      el('img', { src: f.photo, alt: '' }),
      el('span', { id: 'gw-photo-size' }, t('gw.photo.size', { kb: Math.round(f.photoBytes / 1024) })),
      el('button', { type: 'button', id: 'gw-photo-remove', onclick: () => actions.removePhoto() }, t('gw.photo.remove'))) : null,
    f.photoError ? el('div', { class: 'gw-hint error' }, f.photoError) : null);

  const form = el('form', { id: 'gw-form', class: 'gw-form', novalidate: true },
    state.worker ? el('p', { class: 'gw-note', id: 'gw-worker' }, t('gw.worker', { name: state.worker.body?.name || '' }))
      : !state.loading && el('p', { class: 'gw-note warn', id: 'gw-worker' }, t('gw.worker.none')),
    field('gw-kind-visit', t('gw.kind'), kindButtons),
    need && field('gw-title', t('gw.title'), input('gw-title', 'title', { maxlength: 100, placeholder: t('gw.title.placeholder'), autocomplete: 'off' })),
    need && field('gw-category', t('gw.category'), el('select', { id: 'gw-category', name: 'category', onchange: (e) => actions.setField('category', e.target.value) },
      categories().map((c) => el('option', { value: c, selected: c === f.category }, enumLabel('need_category', c, ctx.lang))))),
    field('gw-unit', t('gw.unit'), unitSelect),
    field('gw-household', t('gw.household'), input('gw-household', 'household', {
      disabled: !building, placeholder: building ? t('gw.household.placeholder') : t('gw.household.building_only'), maxlength: 30, autocomplete: 'off',
    })),
    need && field('gw-raised-by', t('gw.raised_by'), input('gw-raised-by', 'raisedBy', { maxlength: 50, autocomplete: 'off' })),
    field('gw-date', t('gw.date'), input('gw-date', 'date', { type: 'date', max: ctx.today, required: true })),
    need && field('gw-due', t('gw.due_date'), input('gw-due', 'dueDate', { type: 'date', min: f.date || ctx.today })),
    field('gw-notes', need ? t('gw.description') : t('gw.notes'), el('textarea', {
      id: 'gw-notes', name: 'notes', rows: 3, maxlength: 1000, oninput: (e) => actions.setField('notes', e.target.value),
    }, f.notes || '')),
    el('div', { class: 'gw-field', 'data-field': 'position' },
      el('div', { class: 'gw-label' }, t('gw.position')),
      el('div', { class: 'gw-position' },
        el('span', { id: 'gw-position' }, position ? t('gw.position.at', { m: Math.round(position.accuracy || 0) }) : t('gw.position.none')),
        position ? null : el('button', { type: 'button', id: 'gw-form-locate', disabled: state.locating, onclick: () => actions.locate() }, state.locating ? t('gw.locating') : t('gw.locate')))),
    el('div', { class: 'gw-field', 'data-field': 'photo' }, el('div', { class: 'gw-label' }, t('gw.photo')), photo),
    message,
    el('button', { type: 'submit', id: 'gw-submit', class: 'gw-submit primary', disabled: f.busy || f.photoBusy }, f.busy ? t('gw.submitting') : t('gw.submit')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    actions.submit();
  });
  return el('div', { class: 'gw-section', 'data-section': 'record' }, form);
}

function needsSection(state, ctx) {
  const needs = ctx.needs;
  return el('div', { class: 'gw-section', 'data-section': 'needs' },
    el('p', { class: 'gw-summary' }, state.position ? t('gw.needs.from_me') : t('gw.needs.from_centre')),
    needs.length ? el('ul', { class: 'gw-needs', id: 'gw-needs' }, needs.map((n) => el('li', { 'data-id': String(n.id) },
      el('button', { type: 'button', class: 'gw-need', onclick: () => ctx.actions.showNeed(n.id) },
        el('span', { class: 'gw-need-head' },
          el('b', { class: 'gw-need-title' }, n.title),
          el('span', { class: 'gw-need-distance' }, distanceText(n.distance_m))),
        el('span', { class: 'gw-need-meta' },
          enumLabel('need_category', n.category, ctx.lang), ' · ', t('gw.needs.raised', { date: n.raised_on || '' }),
          n.due_date ? el('span', { class: isOverdue(n, ctx.today) ? 'gw-overdue' : '' },
            ' · ', isOverdue(n, ctx.today) ? t('gw.needs.overdue', { date: n.due_date }) : t('gw.needs.due', { date: n.due_date })) : null))))) : el('p', { class: 'gw-note' }, t('gw.needs.none')));
}

function outboxSection(state, ctx) {
  const { entries } = ctx.outbox;
  const waiting = ctx.outbox.waiting.length;
  return el('div', { class: 'gw-section', 'data-section': 'outbox' },
    el('p', { class: 'gw-summary' }, entries.length ? t('gw.outbox.intro') : t('gw.outbox.empty')),
    el('ul', { class: 'gw-entries', id: 'gw-entries' }, entries.map((e) => el('li', { class: 'gw-entry', 'data-client-id': e.client_id, 'data-state': e.state },
      el('div', { class: 'gw-entry-what' }, entryText(e)),
      el('div', { class: 'gw-entry-state' }, e.state === REFUSED ? t('gw.outbox.refused') : t('gw.outbox.waiting')),
      e.state === REFUSED ? el('ul', { class: 'gw-reasons' }, refusalReasons(e.refusal, ctx.lang, t).map((r) => el('li', {}, r))) : null,
      e.state === REFUSED ? el('button', { type: 'button', class: 'gw-discard', onclick: () => ctx.actions.discard(e.client_id) }, t('gw.outbox.discard')) : null))),
    waiting ? el('button', { type: 'button', id: 'gw-send-now', class: 'primary', disabled: ctx.outbox.sending || !state.online, onclick: () => ctx.actions.sendNow() },
      ctx.outbox.sending ? t('gw.outbox.sending') : t('gw.outbox.send_now')) : null);
}

const SECTIONS = { units: unitsSection, record: recordSection, needs: needsSection, outbox: outboxSection };

/**
 * Draws the panel into `body` (the workspace's body). `ctx`: `{ actions, lang, today, needs
 * (nearest first), outbox }`.
 */
export function renderPanel(body, state, ctx) {
  const root = el('div', { class: 'gw', id: 'gw', 'data-sheet': state.sheet, 'data-section': state.section });
  if (!state.grids?.length) {
    // Before the grids arrive: loading; after: the account's scope names no grid.
    const none = state.gridsLoaded && !state.loading && !state.error;
    root.append(...notices(state).filter(Boolean), none ? el('p', { class: 'gw-note' }, t('gw.grid.none')) : null);
    if (!state.gridsLoaded && !state.loading && !state.error) root.append(el('p', { class: 'gw-note' }, t('gw.loading')));
    body.replaceChildren(root);
    return;
  }
  root.append(
    bar(state, ctx),
    tabs(state, ctx),
    el('div', { class: 'gw-scroll' }, ...notices(state).filter(Boolean), SECTIONS[state.section](state, ctx)),
  );
  body.replaceChildren(root);
}
