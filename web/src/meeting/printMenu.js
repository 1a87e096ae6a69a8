// The print menu (打印): a grid's, community's or street's notice boards (A4/A3) and the coverage
// report of a community or street, made on the server as PDF and opened in a new tab, with a link
// to save it. What it prints follows the area the workspace shows.

import { el } from '../dom.js';
import { errorLine } from '../errors.js';
import { t } from '../i18n.js';
import { boardsPdf, reportPdf } from './api.js';

/**
 * `area()`: `{ level: 'grid'|'community'|'street', code, name }` or null; `coverage()`:
 * `{ service, threshold, metric }`; `signedIn()`: whether an account is signed in.
 */
export function createPrintMenu({ area, coverage, signedIn }) {
  const status = el('p', { class: 'print-status', role: 'status', 'aria-live': 'polite' });
  const paper = el('select', { class: 'print-paper', 'aria-label': t('print.paper') }, el('option', { value: 'A4' }, 'A4'), el('option', { value: 'A3' }, 'A3'));
  const link = el('a', { class: 'print-link', hidden: true, target: '_blank', rel: 'noopener' });
  let lastUrl = null;

  const show = (blob, name) => {
    if (lastUrl) URL.revokeObjectURL(lastUrl);
    lastUrl = URL.createObjectURL(blob);
    link.href = lastUrl;
    link.download = `${name}.pdf`;
    link.textContent = t('print.done', { name: `${name}.pdf`, size: `${Math.round(blob.size / 1024)} KB` });
    link.hidden = false;
    status.textContent = '';
    window.open(lastUrl, '_blank', 'noopener');
  };

  const run = async (make, name) => {
    link.hidden = true;
    status.textContent = t('print.working');
    try {
      show(await make(), name);
    } catch (e) {
      status.textContent = t('print.failed', { reason: errorLine(e, t) });
    }
  };

  const boards = (level) => () => {
    const a = area();
    if (!signedIn()) {
      status.textContent = t('print.signin');
      return;
    }
    if (!a || !a.codes?.[level]) {
      status.textContent = t('print.pick');
      return;
    }
    run(() => boardsPdf({ [level]: a.codes[level] }, paper.value), `网格公示牌-${a.codes[level]}`);
  };

  const report = () => {
    const a = area();
    const level = a?.codes?.community ? 'community' : a?.codes?.street ? 'street' : null;
    if (!level) {
      status.textContent = t('print.pick');
      return;
    }
    const c = coverage();
    run(() => reportPdf({ [level]: a.codes[level] }, c), `覆盖报告-${a.codes[level]}`);
  };

  const button = (key, onclick, cls) => el('button', { type: 'button', class: `print-button ${cls}`, onclick }, t(key));
  const root = el(
    'section',
    { class: 'print-menu', 'aria-label': t('print.title') },
    el('h3', {}, t('print.title')),
    el('div', { class: 'print-row' }, button('print.report', report, 'print-report')),
    el(
      'div',
      { class: 'print-row' },
      button('print.boards.grid', boards('grid'), 'print-boards-grid'),
      button('print.boards.community', boards('community'), 'print-boards-community'),
      button('print.boards.street', boards('street'), 'print-boards-street'),
      el('label', { class: 'print-paper-label' }, t('print.paper'), ' ', paper),
    ),
    status,
    link,
  );
  return root;
}
