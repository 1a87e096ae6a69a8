// An error shown in a panel: the sentence of ../errors.js (what failed, why, what to do) in the
// UI's language, optional parts under it (a list of problems), and the server's own message
// folded away as technical detail.

import { el } from '../dom.js';
import { describeError } from '../errors.js';
import { t } from '../i18n.js';

/**
 * `<div class="error-box" role="alert">` for error `e`. `what`: what could not be done, in words;
 * `extra`: nodes shown under the sentence; `id`, `cls`: the box's id and extra class.
 */
export function errorView(e, { what = null, extra = [], id = undefined, cls = '' } = {}) {
  const d = describeError(e, t, { what });
  return el('div', { class: `error-box ${cls}`.trim(), role: 'alert', id, dataset: { code: d.code } },
    el('p', { class: 'err-reason' }, d.reason),
    extra,
    d.detail ? el('details', { class: 'err-detail' }, el('summary', {}, t('err.detail.toggle')), el('code', {}, d.detail)) : null);
}
