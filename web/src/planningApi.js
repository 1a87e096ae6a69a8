// The grid-planning API (`/api/planning/…`). Writes carry the signed-in account's bearer token and
// the draft's version as `If-Match`; a stale version is a 409 and changes nothing.

import { authHeaders, sessionExpired } from './session.js';

/** An API refusal: HTTP `status`, the stable `code`, the server's `message`, and `violations` (publish). */
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || body?.description || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code || null;
    this.violations = body?.violations || null;
  }
}

async function request(method, url, { body, ifMatch, signal } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
  const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  let parsed = null;
  const text = await res.text();
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
  }
  if (!res.ok) {
    if (res.status === 401 && headers.Authorization) sessionExpired();
    throw new ApiError(res.status, parsed);
  }
  return parsed;
}

const enc = encodeURIComponent;

/** The current grids of a community as a PlanView (`id` null, `status` "current"). */
export const currentPlan = (code, opts) => request('GET', `/api/planning/communities/${enc(code)}`, opts);
/** Drafts of a community the account may read. */
export const listDrafts = (code) => request('GET', `/api/planning/drafts?community=${enc(code)}`);
/** A new draft, a copy of the current grids. */
export const createDraft = (code, name) => request('POST', '/api/planning/drafts', { body: name ? { community_code: code, name } : { community_code: code } });
export const getDraft = (id) => request('GET', `/api/planning/drafts/${enc(id)}`);
/** One operation or an array of them, all or nothing. */
export const operate = (id, version, ops) => request('POST', `/api/planning/drafts/${enc(id)}/operations`, { body: ops, ifMatch: version });
/** Replaces the draft's plan (undo, redo, accepting a proposal) and/or its name. */
export const replaceDraft = (id, version, { plan, name }) => request('PUT', `/api/planning/drafts/${enc(id)}`, {
  body: name === undefined ? { plan } : { plan, name }, ifMatch: version,
});
export const deleteDraft = (id, version) => request('DELETE', `/api/planning/drafts/${enc(id)}`, { ifMatch: version });
/** An automatic partition starting from the draft (not saved). */
export const propose = (id, opts = {}) => request('POST', `/api/planning/drafts/${enc(id)}/proposal`, { body: opts });
export const publish = (id, version) => request('POST', `/api/planning/drafts/${enc(id)}/publish`, { ifMatch: version });
