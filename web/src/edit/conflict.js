// A conflict (409: the feature changed since the form began): the stored version and mine side
// by side, field by field, the differences highlighted and the fields I changed marked, with
// the two ways on: keep editing on top of theirs (their version, my changed fields kept) or
// discard mine.

import { el } from '../dom.js';
import { t } from '../i18n.js';
import { conflictRows } from './state.js';

/**
 * `conflict`: `{ theirs, deleted, actor, at }`. `label(field)` and `value(field, v)` put a field
 * and a value in words, `shape(geometry)` a geometry, `time(at)` a time. Returns `{ body, actions }`.
 */
export function conflictView({ session: s, conflict, label, value, shape, time, onKeep, onDiscard }) {
  const box = el('div', { class: 'edit-conflict', role: 'alert' });
  const discard = el('button', { type: 'button', id: 'edit-conflict-discard', onclick: onDiscard }, t('edit.conflict.discard'));
  if (conflict.deleted) {
    box.append(el('p', { class: 'conflict-text' }, t('edit.conflict.deleted')));
    return { body: box, actions: el('footer', { class: 'edit-actions' }, discard) };
  }
  const v = conflict.theirs.properties?.version;
  box.append(el('p', { class: 'conflict-text' }, conflict.actor
    ? t('edit.conflict.text', { actor: conflict.actor, at: time(conflict.at), v })
    : t('edit.conflict.text_unknown', { v })));
  const rows = conflictRows(s, conflict.theirs);
  const cell = (row, which) => {
    if (row.field === 'geometry') return shape(row[which]);
    return value(row.field, row[which]);
  };
  const table = el('table', { class: 'conflict-table', id: 'edit-conflict-table' },
    el('thead', {}, el('tr', {},
      el('th', {}, t('edit.conflict.field')),
      el('th', {}, t('edit.conflict.theirs', { v })),
      el('th', {}, t('edit.conflict.mine')))),
    el('tbody', {}, ...rows.map((r) => el('tr', { dataset: { field: r.field }, class: r.differs ? 'differs' : '' },
      el('th', { scope: 'row' }, r.field === 'geometry' ? t('edit.geom.title') : label(r.field)),
      el('td', { class: 'theirs' }, cell(r, 'theirs')),
      el('td', { class: r.mineChanged ? 'mine changed' : 'mine', title: r.mineChanged ? t('edit.conflict.changed') : '' },
        cell(r, 'mine'), r.mineChanged ? el('span', { class: 'mine-mark', 'aria-label': t('edit.conflict.changed') }, ' ✎') : null)))));
  box.append(el('div', { class: 'conflict-scroll' }, table), el('p', { class: 'conflict-note' }, t('edit.conflict.note')));
  const keep = el('button', { type: 'button', class: 'primary', id: 'edit-conflict-keep', onclick: onKeep }, t('edit.conflict.keep'));
  return { body: box, actions: el('footer', { class: 'edit-actions conflict-actions' }, discard, keep) };
}
