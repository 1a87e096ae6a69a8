// The data-problems notice in the top bar (admins only): a 数据问题 N badge while the store has
// unreadable rows, opening a panel that lists each one (layer, id, reason) with what to do, and
// offers the list as JSON or as text to copy. Reasons and repair requests are shown in the map's
// language (the server sends both). The state and its text are in ../problems.js.

import { fetchProblems } from '../api.js';
import { el } from '../dom.js';
import { fieldLabel } from '../enums.js';
import { errorLine } from '../errors.js';
import { getLang, onLangChange, t } from '../i18n.js';
import * as P from '../problems.js';
import { getSession, onSessionChange } from '../session.js';

export function createProblems({ el: root, layerTitle }) {
  let state = P.forAccount(P.initialProblems(), getSession());
  let note = ''; // an i18n key, so the note follows a language change
  let request = 0;

  async function reload() {
    if (!P.wantsList(state)) return;
    const mine = ++request;
    state = P.loading(state);
    render();
    try {
      const body = await fetchProblems();
      if (mine === request) state = P.applyList(state, body);
    } catch (e) {
      if (mine === request) state = P.applyError(state, e);
    }
    if (mine === request) render();
  }

  function toggle() {
    state = P.setOpen(state, !state.open);
    note = '';
    render();
    if (state.open) reload();
  }

  function download() {
    const blob = new Blob([P.problemsJson(state, layerTitle)], { type: 'application/json' });
    const a = el('a', { href: URL.createObjectURL(blob), download: P.problemsFileName(state) });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(P.problemsText(state, layerTitle, getLang()));
      note = 'problems.copied';
    } catch {
      note = 'problems.copy_failed';
    }
    render();
  }

  /** The field at fault by its label, with the stored column name in brackets. */
  function fieldText(r) {
    const label = r.field === 'geometry' ? t('problems.geometry') : fieldLabel(r.layer, r.field, getLang());
    return label && label !== r.field ? t('problems.field.text', { label, field: r.field }) : r.field;
  }

  function row(r) {
    return el('li', { class: 'problem', dataset: { layer: r.layer, id: String(r.id) } },
      el('dl', { class: 'problem-kv' },
        el('dt', {}, t('problems.layer')), el('dd', { class: 'problem-layer' }, r.layerTitle),
        el('dt', {}, t('problems.id')), el('dd', { class: 'problem-id' }, String(r.id)),
        el('dt', {}, t('problems.version')), el('dd', { class: 'problem-version' }, r.version === null ? '—' : String(r.version)),
        r.field ? el('dt', {}, t('problems.field')) : null,
        r.field ? el('dd', { class: 'problem-field' }, fieldText(r)) : null,
        el('dt', {}, t('problems.reason')), el('dd', { class: 'problem-reason' }, r.reason)),
      el('div', { class: 'problem-todo' },
        el('b', {}, t('problems.todo.label')), t('problems.todo.text'),
        r.repair ? el('code', { class: 'problem-repair' }, r.repair) : null));
  }

  function panel() {
    const rows = P.problemRows(state, layerTitle, getLang());
    let status = null;
    if (state.phase === 'loading' && rows.length === 0) status = t('problems.loading');
    else if (state.phase === 'error') status = t('problems.error', { reason: errorLine(state.error, t) });
    else if (state.phase === 'ready' && rows.length === 0) status = t('problems.none');
    return el('section', { class: 'problems-panel', id: 'problems-panel', role: 'dialog', 'aria-label': t('problems.title') },
      el('header', { class: 'problems-head' },
        el('h2', {}, t('problems.title')),
        el('button', { type: 'button', class: 'icon-button', id: 'problems-close', 'aria-label': t('problems.close'), onclick: toggle }, '×')),
      rows.length ? el('p', { class: 'problems-intro' }, t('problems.intro')) : null,
      rows.length ? el('div', { class: 'problems-count' }, t('problems.count', { n: rows.length, v: state.dataVersion ?? '—' })) : null,
      status ? el('div', { class: 'problems-status', role: 'status' }, status) : null,
      rows.length ? el('ol', { class: 'problems-list' }, rows.map(row)) : null,
      el('div', { class: 'problems-actions' },
        el('button', { type: 'button', id: 'problems-reload', onclick: reload, disabled: state.phase === 'loading' }, t('problems.reload')),
        el('button', { type: 'button', id: 'problems-download', onclick: download, disabled: rows.length === 0 }, t('problems.download')),
        el('button', { type: 'button', id: 'problems-copy', onclick: copy, disabled: rows.length === 0 }, t('problems.copy')),
        note ? el('span', { class: 'problems-note', role: 'status' }, t(note)) : null));
  }

  function badgeText(n) {
    if (n > 0) return t('problems.badge', { n });
    return state.phase === 'error' ? t('problems.badge.error') : t('problems.title');
  }

  function render() {
    root.replaceChildren();
    const shown = P.showsNotice(state) || state.open;
    root.hidden = !shown;
    if (!shown) return;
    const n = P.badgeCount(state);
    root.append(el('button', {
      type: 'button', id: 'problems-badge', class: 'problems-badge', 'aria-expanded': String(state.open),
      'aria-controls': 'problems-panel', title: t('problems.badge.title'), dataset: { count: String(n) }, onclick: toggle,
    }, badgeText(n)));
    if (!state.open) return;
    // On a narrow screen the panel is fixed under the (wrapped) top bar, across the screen.
    const bar = root.closest('header') || root;
    root.style.setProperty('--problems-top', `${Math.round(bar.getBoundingClientRect().bottom + 6)}px`);
    root.append(panel());
  }

  onSessionChange((account) => {
    state = P.forAccount(state, account);
    render();
    reload();
  });
  onLangChange(render);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.open) toggle();
  });
  render();
  reload();
  return { reload, get state() { return state; } };
}
