// The grid-planning API (`/api/planning/…`), through the one HTTP client (./http.js). Requests
// carry the signed-in account's bearer token, writes the draft's version as `If-Match`; a stale
// version is a 409 and changes nothing.

import { request as send } from './http.js';

// Every planning request carries the account's token.
const request = (method, url, opts = {}) => send(method, url, { ...opts, auth: true });

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
