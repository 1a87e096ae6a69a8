// Sorting the analysis tables by any column: the order a header click gives, the `aria-sort` it
// announces, and the rows in that order (numbers by value, names by pinyin in Chinese, missing
// values always last, ties in the order given). Pure: no DOM.

/**
 * The sort after a click on column `key` (`{ key, dir }`, `dir` `asc` or `desc`): the same column
 * turns round; another starts at its `first` direction (the worse end first, e.g. `asc` for a
 * coverage percentage, `desc` for households uncovered).
 */
export function nextSort(current, key, first = 'asc') {
  if (current?.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: first };
}

/** `aria-sort` of column `key` under `sort`. */
export function ariaSort(sort, key) {
  if (sort?.key !== key) return 'none';
  return sort.dir === 'desc' ? 'descending' : 'ascending';
}

const missing = (v) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '';

/** Compares two values of one column: numbers by value, text by the language's collation. */
function compareValues(a, b, collator) {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/**
 * `rows` ordered by `sort` (`{ key, dir }`) with each column's `value(row)` (`columns`: `[{ key,
 * value }]`): missing values last in either direction, ties kept in the given order. `lang`
 * (`zh`, `en`) decides how names compare (pinyin in Chinese).
 */
export function sortRows(rows, columns, sort, lang = 'zh') {
  const col = columns.find((c) => c.key === sort?.key);
  if (!col) return [...rows];
  const collator = new Intl.Collator(lang === 'zh' ? 'zh-Hans-CN-u-co-pinyin' : 'en', { numeric: true });
  const sign = sort.dir === 'desc' ? -1 : 1;
  return rows
    .map((row, i) => ({ row, i, v: col.value(row) }))
    .sort((a, b) => {
      const ma = missing(a.v);
      const mb = missing(b.v);
      if (ma || mb) return ma === mb ? a.i - b.i : ma ? 1 : -1;
      return sign * compareValues(a.v, b.v, collator) || a.i - b.i;
    })
    .map((x) => x.row);
}
