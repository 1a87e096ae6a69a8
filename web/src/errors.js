// Refusals and failures in words: every error the map can show, by the server's stable code
// (server/src/api/error.rs: bad_request, unauthorized, forbidden, not_found, conflict,
// invalid_feature, invalid_plan, invalid_operation, no_walking_network, precondition_required,
// internal, …) or, without one, by its HTTP status (0: no answer). The sentence says what
// happened and what to do, in the UI's language; the server's own message (English, with
// internal ids) is kept apart as secondary detail. Pure: the words come through the `t` passed
// in, so the unit tests run it in node.

/** The codes with a sentence of their own (`err.<code>` in ./errorStrings.js). */
export const ERROR_CODES = [
  'bad_request', 'unauthorized', 'forbidden', 'not_found', 'method_not_allowed', 'conflict', 'no_walking_network',
  'precondition_required', 'invalid_feature', 'invalid_operation', 'invalid_plan', 'invalid_import', 'too_many_requests',
  'internal', 'network', 'unexpected',
];
const KNOWN = new Set(ERROR_CODES);

const BY_STATUS = {
  0: 'network', 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  409: 'conflict', 413: 'bad_request', 422: 'invalid_feature', 428: 'precondition_required', 429: 'too_many_requests',
};

/**
 * The stable code of an error: the server's `code` when it is one of ours, else one read from
 * the HTTP status (`network` for no answer, `internal` for 5xx), else `unexpected` (a failure in
 * the page itself, not a refusal).
 */
export function errorCode(e) {
  if (e?.code === 'network') return 'network';
  if (typeof e?.code === 'string' && KNOWN.has(e.code)) return e.code;
  const status = e?.status;
  if (typeof status !== 'number') return 'unexpected';
  if (status in BY_STATUS) return BY_STATUS[status];
  if (status >= 500) return 'internal';
  return status >= 400 ? 'bad_request' : 'unexpected';
}

/**
 * The server's own message, to show as secondary detail, or null: none for no answer, and
 * none when it only repeats the status line ("HTTP 400 Bad Request").
 */
export function errorDetail(e) {
  if (!e || errorCode(e) === 'network') return null;
  const msg = String(e.message ?? '').trim();
  if (!msg || /^HTTP \d{3}\b/.test(msg)) return null;
  return msg;
}

/**
 * An error in words: `{ code, reason, detail }`. `reason` is one sentence by the code (what
 * happened and what to do), prefixed by `what` (what could not be done, already in words:
 * "无法加载覆盖分析") when given; `detail` is the server's message or null.
 */
export function describeError(e, t, { what = null } = {}) {
  const code = errorCode(e);
  const sentence = t(`err.${code}`);
  return {
    code,
    reason: what ? t('err.what', { what, reason: sentence }) : sentence,
    detail: errorDetail(e),
  };
}

/** The reason and the detail in one line (for a tooltip or a list). */
export function errorLine(e, t, opts) {
  const d = describeError(e, t, opts);
  return d.detail ? `${d.reason}${t('err.detail_inline', { detail: d.detail })}` : d.reason;
}

/** Whether an error is a request given up on purpose (a newer one replaced it): nothing to say. */
export const isAbort = (e) => e?.name === 'AbortError';
