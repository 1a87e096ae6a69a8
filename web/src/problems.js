// The store's data problems as an admin sees them (`GET /api/problems`): stored rows the server
// could not read, left out of the map until a write repairs them. Pure state and the text made
// from it, no DOM or requests: the unit tests run it in node; src/ui/problems.js draws it.

import { mayReviewProblems } from './access.js';

/**
 * The state: `phase` is `hidden` (not an admin, or the server refused the list), `loading`,
 * `ready` or `error`; `problems` as the server listed them; `open`: the panel is shown.
 */
export function initialProblems() {
  return { phase: 'hidden', dataVersion: null, problems: [], error: null, open: false };
}

/** The account changed: an admin's list is (re)loaded, anyone else sees nothing. */
export function forAccount(state, account) {
  if (!mayReviewProblems(account)) return initialProblems();
  return { ...state, phase: 'loading', error: null };
}

/** Whether the list should be fetched for this state. */
export function wantsList(state) {
  return state.phase !== 'hidden';
}

/** A request for the list started (the panel's 重新检查, or opening it). */
export function loading(state) {
  return state.phase === 'hidden' ? state : { ...state, phase: 'loading', error: null };
}

/** The server's answer `{ data_version, problems }`. */
export function applyList(state, body) {
  if (state.phase === 'hidden') return state;
  const problems = Array.isArray(body?.problems) ? body.problems : [];
  return { ...state, phase: 'ready', dataVersion: body?.data_version ?? null, problems, error: null };
}

/** A refused or failed request: 401/403 hide everything (not, or no longer, an admin); otherwise the error is kept (put in words when shown) and the last list stays. */
export function applyError(state, err) {
  if (err?.status === 401 || err?.status === 403) return initialProblems();
  if (state.phase === 'hidden') return state;
  return { ...state, phase: 'error', error: err };
}

export function setOpen(state, open) {
  return { ...state, open: Boolean(open) && state.phase !== 'hidden' };
}

/** The number on the top bar's badge; 0 means no badge. */
export function badgeCount(state) {
  return state.phase === 'hidden' ? 0 : state.problems.length;
}

/** Whether the top bar shows the notice: an admin with problems listed, or whose list failed to load (so the failure is not silent). */
export function showsNotice(state) {
  return badgeCount(state) > 0 || state.phase === 'error';
}

/** A text the server gives in English and Chinese (`reason` / `reason_zh`), in the map's language; English when the server sent no Chinese. */
function said(p, key, lang) {
  return (lang === 'zh' && p[`${key}_zh`]) || p[key] || '';
}

/**
 * One row per problem: `{ key, layer, layerTitle, id, version, field, reason, repair }`, ordered by layer title then id.
 * `reason` and `repair` are in `lang` (`zh`: the server's `reason_zh`, `repair_zh`; `en`: its English).
 */
export function problemRows(state, layerTitle = (l) => l, lang = 'zh') {
  return state.problems
    .map((p) => ({
      key: `${p.layer}:${p.id}`,
      layer: p.layer,
      layerTitle: layerTitle(p.layer),
      id: p.id,
      version: p.version ?? null,
      field: p.field ?? null,
      reason: said(p, 'reason', lang),
      repair: said(p, 'repair', lang),
    }))
    .sort((a, b) => a.layerTitle.localeCompare(b.layerTitle) || a.id - b.id);
}

/** The list as a JSON document to download: the server's answer, with each layer's title added. */
export function problemsJson(state, layerTitle = (l) => l) {
  const problems = state.problems.map((p) => ({ ...p, layer_title: layerTitle(p.layer) }));
  return `${JSON.stringify({ data_version: state.dataVersion, problems }, null, 2)}\n`;
}

/** The list as plain text to copy: one line per row, tab-separated (layer title, layer, id, version, reason, repair request), in `lang`. */
export function problemsText(state, layerTitle = (l) => l, lang = 'zh') {
  return problemRows(state, layerTitle, lang)
    .map((r) => [r.layerTitle, r.layer, r.id, r.version ?? '', r.reason, r.repair].join('\t'))
    .join('\n');
}

/** The downloaded file's name. */
export function problemsFileName(state) {
  return `gridatlas-problems-v${state.dataVersion ?? 'unknown'}.json`;
}
