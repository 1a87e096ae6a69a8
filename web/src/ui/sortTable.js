// A table sortable by every column: each header is a button (Enter or Space sorts, a second press
// turns the order round) with `aria-sort` on its cell; each row is a button too (click, Enter or
// Space leads to what it stands for). The order itself comes from ../sorting.js.

import { el } from '../dom.js';
import { getLang, t } from '../i18n.js';
import { ariaSort, nextSort, sortRows } from '../sorting.js';

/** The order in force in words: 按“户数”降序排列 (`columns` with their labels). */
export function sortNote(columns, sort) {
  const col = columns.find((c) => c.key === sort?.key);
  return col ? t(sort.dir === 'desc' ? 'sort.now.desc' : 'sort.now.asc', { col: col.label }) : '';
}

/**
 * A `<table>` of `rows`. `columns`: `[{ key, label, title?, value(row), cell(row) → node|string,
 * cls?, first? }]` (`first`: the direction of a first click, `asc` or `desc`). `sort`: `{ key, dir }`;
 * `onSort(next)` is called with the new sort (the caller keeps it and draws again). `rowProps(row)`:
 * extra attributes of a row (`dataset`, `class`); `onRow(row)`: what choosing a row does.
 */
export function sortTable({ id, columns, rows, sort, onSort, onRow, rowProps = () => ({}), caption = null }) {
  const head = el('tr', {}, columns.map((c) => {
    const state = ariaSort(sort, c.key);
    const arrow = state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕';
    return el('th', { scope: 'col', 'aria-sort': state, class: c.cls || '', dataset: { key: c.key } },
      el('button', { type: 'button', class: 'sort-head', title: c.title || t('sort.by', { col: c.label }),
        onclick: () => onSort(nextSort(sort, c.key, c.first || 'asc')) },
      c.label, el('span', { class: `sort-arrow ${state}`, 'aria-hidden': 'true' }, arrow)));
  }));
  const ordered = sortRows(rows, columns, sort, getLang());
  const body = el('tbody', {}, ordered.map((r) => {
    const props = rowProps(r);
    const choose = () => onRow?.(r);
    return el('tr', { ...props, class: `${props.class || ''} go-row`.trim(), tabindex: 0, title: t('sort.row'),
      onclick: choose, onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); choose(); } } },
    columns.map((c) => el('td', { class: c.cls || '' }, c.cell(r))));
  }));
  const table = el('table', { id, class: 'sort-table' }, caption ? el('caption', {}, caption) : null, el('thead', {}, head), body);
  table.columns = columns;
  return table;
}
