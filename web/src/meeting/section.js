// The coverage workspace's meeting section (会议用): the area chosen in a table (or the street of
// the table when none), its print menu — notice boards and the coverage report as PDF, the
// report's first page as PNG — and its monthly trend.

import { el } from '../dom.js';
import { errorLine } from '../errors.js';
import { onLangChange, t } from '../i18n.js';
import { getSession } from '../session.js';
import { reportPng, trend } from './api.js';
import { createPrintMenu } from './printMenu.js';
import { trendChart } from './trendChart.js';

/**
 * `areas`: the district's areas (../areas.js); `coverage()`: `{ service, threshold, metric }`;
 * `fallback()`: the area `{ level, code }` to print when none was chosen.
 */
export function createMeetingSection({ areas, coverage, fallback }) {
  let focus = null; // { level, code }
  let trendData = null;
  let trendError = null;
  let loading = false;
  let shownKey = '';
  let seq = 0;
  const title = el('h3', { class: 'meeting-title' });
  const trendBox = el('div', { class: 'trend-box' });

  /** The chosen (or fallback) area with the codes of itself and the areas above it. */
  const area = () => {
    const a = focus || fallback();
    if (!a?.code) return null;
    const codes = { [a.level]: a.code };
    let parent = areas.get(a.code)?.parent;
    for (const level of a.level === 'grid' ? ['community', 'street'] : a.level === 'community' ? ['street'] : []) {
      if (!parent) break;
      codes[level] = parent;
      parent = areas.get(parent)?.parent;
    }
    return { ...a, codes, name: areas.name(a.code) };
  };

  const newMenu = () => createPrintMenu({ area, coverage, signedIn: () => Boolean(getSession()) });
  let menu = newMenu();
  const root = el('section', { class: 'meeting', id: 'meeting' }, title, menu, trendBox);
  onLangChange(() => {
    const next = newMenu();
    menu.replaceWith(next);
    menu = next;
    fill();
  });

  function fill() {
    const a = area();
    title.textContent = a ? t('meeting.area', { name: a.name }) : t('print.pick');
    trendBox.replaceChildren();
    if (trendError) trendBox.append(el('p', { class: 'trend-missing' }, t('trend.failed', { reason: errorLine(trendError, t) })));
    else if (!trendData) trendBox.append(el('p', { class: 'trend-loading' }, a ? t('trend.loading') : ''));
    else trendBox.append(trendChart(trendData, coverage().service));
  }

  async function loadTrend() {
    const a = area();
    const mine = ++seq;
    trendData = null;
    trendError = null;
    shownKey = a ? `${a.level}:${a.code}` : '';
    fill();
    if (!a) return;
    loading = true;
    try {
      const d = await trend(a.level, a.code, 12);
      if (mine !== seq) return;
      trendData = d;
    } catch (e) {
      if (mine !== seq) return;
      trendError = e;
    } finally {
      if (mine === seq) loading = false;
    }
    fill();
  }

  return {
    element: root,
    /** Chooses the area printed and charted. */
    setFocus(level, code) {
      focus = level && code ? { level, code } : null;
      loadTrend();
    },
    /** Draws again (the service or language changed); `reload`: the data changed. */
    refresh({ reload = false } = {}) {
      const a = area();
      const key = a ? `${a.level}:${a.code}` : '';
      if (reload || key !== shownKey || (!trendData && !trendError && !loading)) loadTrend();
      else fill();
    },
    /** The report's first page as a PNG Blob, with its file name. */
    async reportPng() {
      const a = area();
      const level = a?.codes?.community ? 'community' : 'street';
      const code = a?.codes?.[level];
      if (!code) throw new Error(t('print.pick'));
      return { blob: await reportPng({ [level]: code }, coverage()), name: `覆盖报告-${code}-${coverage().service}.png` };
    },
    area,
  };
}
