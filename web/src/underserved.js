// The 薄弱小区 list's filters and words, no DOM or map: every input range-checked with its reason
// (a year range the wrong way round, a negative count, a year out of range — nothing is asked of
// the server until all are right), the request built from the filters, the area it is narrowed
// to (street, community or grid), the conditions in force in words, and the table's columns.
// Pure: the words come through the `t` passed in.

/** The earliest build year accepted (older ones are typing mistakes). */
export const YEAR_MIN = 1900;

/** The filters as the workspace starts: three-no only, the whole district. */
export function initialFilters() {
  return {
    three_no_only: true, any_flag_missing: false, build_year_min: '', build_year_max: '', min_elderly: '',
    out_of_reach: [], out_of_reach_threshold: 500, street: '', community: '', grid: '',
  };
}

/** Full-width digits and minus (as a Chinese input method types them) as ASCII, trimmed. */
export function normalizeNumber(text) {
  return String(text ?? '').trim()
    .replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0))
    .replace(/[－—–]/g, '-');
}

/** A whole number typed, `{ value }` or `{ error: { key, vars } }`; empty is `{ value: null }`. */
function wholeNumber(text) {
  const s = normalizeNumber(text);
  if (s === '') return { value: null };
  if (!/^-?\d+$/.test(s)) return { error: { key: 'us.err.whole', vars: { v: s } } };
  return { value: Number(s) };
}

function year(text, thisYear) {
  const n = wholeNumber(text);
  if (n.error || n.value === null) return n;
  if (n.value < 0) return { error: { key: 'us.err.negative', vars: { v: n.value } } };
  if (n.value < YEAR_MIN || n.value > thisYear) return { error: { key: 'us.err.year_range', vars: { v: n.value, min: YEAR_MIN, max: thisYear } } };
  return n;
}

/**
 * What is wrong with the filters: `{ build_year_min?, build_year_max?, years?, min_elderly? }`,
 * each `{ key, vars }` (a UI string and its values); `years` is a range the wrong way round.
 * Empty when all are right.
 */
export function filterErrors(f, { thisYear = new Date().getFullYear() } = {}) {
  const errors = {};
  const from = year(f.build_year_min, thisYear);
  const to = year(f.build_year_max, thisYear);
  if (from.error) errors.build_year_min = from.error;
  if (to.error) errors.build_year_max = to.error;
  if (!from.error && !to.error && from.value !== null && to.value !== null && from.value > to.value) {
    errors.years = { key: 'us.err.year_order', vars: { from: from.value, to: to.value } };
  }
  const eld = wholeNumber(f.min_elderly);
  if (eld.error) errors.min_elderly = eld.error;
  else if (eld.value !== null && eld.value < 0) errors.min_elderly = { key: 'us.err.negative', vars: { v: eld.value } };
  return errors;
}

/** The area the list is narrowed to: the grid, else the community, else the street chosen, or null. */
export function chosenArea(f) {
  if (f.grid) return { level: 'grid', code: f.grid };
  if (f.community) return { level: 'community', code: f.community };
  if (f.street) return { level: 'street', code: f.street };
  return null;
}

/** `/api/underserved?…` for the filters (assumed right: see `filterErrors`), `metric`, and `format` (csv) when given. */
export function underservedUrl(f, metric, format = null) {
  const p = new URLSearchParams({ three_no_only: String(f.three_no_only) });
  if (f.any_flag_missing) p.set('any_flag_missing', 'true');
  const num = (k) => normalizeNumber(f[k]);
  if (num('build_year_min')) p.set('build_year_min', num('build_year_min'));
  if (num('build_year_max')) p.set('build_year_max', num('build_year_max'));
  if (num('min_elderly')) p.set('min_elderly', num('min_elderly'));
  if (f.out_of_reach.length) {
    p.set('out_of_reach', f.out_of_reach.join(','));
    p.set('out_of_reach_threshold', String(f.out_of_reach_threshold));
  }
  const area = chosenArea(f);
  if (area) p.set(`${area.level}_code`, area.code);
  p.set('metric', metric);
  if (format) p.set('format', format);
  return `/api/underserved?${p}`;
}

/**
 * The conditions in force in words, joined: "仅三无小区 · 直线距离 · 60岁以上 ≥ 100 人" (`svc(name)`:
 * a service's label).
 */
export function conditionsText(f, metric, t, svc) {
  const parts = [];
  if (f.three_no_only) parts.push(t('us.three_no_only'));
  if (f.any_flag_missing) parts.push(t('us.any_flag_missing'));
  const from = normalizeNumber(f.build_year_min);
  const to = normalizeNumber(f.build_year_max);
  if (from && to) parts.push(t('us.cond.years', { from, to }));
  else if (from) parts.push(t('us.cond.year_from', { from }));
  else if (to) parts.push(t('us.cond.year_to', { to }));
  if (normalizeNumber(f.min_elderly)) parts.push(t('us.cond.elderly', { n: normalizeNumber(f.min_elderly) }));
  if (f.out_of_reach.length) parts.push(t('us.cond.reach', { svcs: f.out_of_reach.map(svc).join(t('std.list_sep')), m: f.out_of_reach_threshold }));
  parts.push(t(`walk.metric.${metric}`));
  return parts.join(' · ');
}

/**
 * The table's columns' values (`name(code)` gives a community's name): rank (the server's order:
 * tier, then the target population left without service), name, community, households, 60+.
 * `first`: the direction a first click sorts in, the neediest end first.
 */
export function underservedColumns(name) {
  return [
    { key: 'rank', value: (r) => r.rank, first: 'asc' },
    { key: 'name', value: (r) => r.name || '', first: 'asc' },
    { key: 'community', value: (r) => name(r.community_code), first: 'asc' },
    { key: 'households', value: (r) => r.households, first: 'desc' },
    { key: 'elderly', value: (r) => r.elderly, first: 'desc' },
  ];
}
