// The monthly trend of an area (月度趋势) as a small SVG line chart: coverage of the workspace's
// service, property-management and owners'-committee coverage at each month's end and now; the
// months without data named with the reason; the change since last month and the month's grid
// work in words.

import { el } from '../dom.js';
import { enumLabel, getLang, t } from '../i18n.js';
import { signed, trendSeries, yOf } from './model.js';

const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...kids) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  e.append(...kids);
  return e;
};

const LINES = [
  ['coverage', '#c2410c'],
  ['property', '#1f4e79'],
  ['owners', '#2f855a'],
];

/** The chart of `trend` (from `/api/trends`) for `service`. */
export function trendChart(trend, service) {
  const svc = enumLabel('service_type', service, getLang());
  const { series, missing } = trendSeries(trend, service);
  const w = 320;
  const h = 120;
  const left = 28;
  const step = series.length > 1 ? (w - left - 8) / (series.length - 1) : 0;
  const x = (i) => left + i * step;
  const chart = svg('svg', { viewBox: `0 0 ${w} ${h + 28}`, class: 'trend-svg', role: 'img', 'aria-label': t('trend.title') });
  for (const v of [0, 50, 100]) {
    chart.append(svg('line', { x1: left, x2: w - 4, y1: yOf(v, h) + 4, y2: yOf(v, h) + 4, stroke: '#d9e2ec' }));
    chart.append(svg('text', { x: left - 4, y: yOf(v, h) + 8, 'text-anchor': 'end', 'font-size': 9, fill: '#52606d' }, `${v}%`));
  }
  series.forEach((p, i) => {
    if (i % 2 === series.length % 2 || i === series.length - 1) {
      chart.append(svg('text', { x: x(i), y: h + 22, 'text-anchor': 'middle', 'font-size': 9, fill: '#52606d' }, p.label ? p.label.slice(2) : t('trend.now')));
    }
  });
  for (const [key, colour] of LINES) {
    let d = '';
    series.forEach((p, i) => {
      const v = p.values?.[key];
      if (v === null || v === undefined) return;
      d += `${d ? 'L' : 'M'}${x(i).toFixed(1)} ${(yOf(v, h) + 4).toFixed(1)} `;
      chart.append(svg('circle', { cx: x(i), cy: yOf(v, h) + 4, r: 2.5, fill: colour, class: `trend-point trend-${key}`, 'data-value': v.toFixed(1) }));
    });
    if (d) chart.prepend(svg('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2, class: `trend-line trend-${key}` }));
  }
  const legend = el(
    'ul',
    { class: 'trend-legend' },
    LINES.map(([key, colour]) => el('li', { style: `--c:${colour}` }, key === 'coverage' ? t('trend.coverage', { svc }) : t(`trend.${key}`))),
  );
  const notes = [];
  const change = trend.change_since_last_month;
  if (change) {
    const cov = signed(change.coverage_pct?.[service]);
    notes.push(
      el(
        'p',
        { class: 'trend-change' },
        t('trend.change', {
          svc,
          cov: cov === null ? '—' : cov === '0' ? t('trend.flat') : `${cov} pp`,
          three: change.three_no_compounds > 0 ? `+${change.three_no_compounds}` : String(change.three_no_compounds),
          hh: change.households > 0 ? `+${change.households}` : String(change.households),
        }),
      ),
    );
  }
  if (missing.length === (trend.months || []).length && missing.length > 0) notes.push(el('p', { class: 'trend-missing' }, t('trend.none')));
  else for (const m of missing) notes.push(el('p', { class: 'trend-missing' }, t('trend.unavailable', { month: m.month, reason: t(`trend.why.${m.why}`) })));
  const last = (trend.months || []).at(-1);
  if (last?.work) notes.push(el('p', { class: 'trend-work' }, t('trend.work', { month: last.month, visits: last.work.visits, raised: last.work.needs_raised, done: last.work.needs_done, open: last.work.needs_open_at_end })));
  return el('figure', { class: 'trend' }, el('figcaption', {}, `${t('trend.title')} · ${trend.name}`), chart, legend, ...notes);
}
