// The map's one HTTP client: every request to the server goes through `request`, and every
// refusal becomes an `ApiError` with the server's status, stable code, message and details
// (server/src/api/error.rs answers `{ code, message, problems | violations }`). No DOM: it runs
// in node too (the unit tests point it at a real server with `configureClient({ baseUrl })`).

/** A refused or failed request: HTTP `status` (0: no answer), the server's stable `code`, its `message`, and `details` (the rest of its error body: `problems`, `violations`, …). */
export class ApiError extends Error {
  constructor(status, body, fallback = '') {
    super(body?.message || body?.description || body?.detail || fallback || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = body?.code || null;
    const { code: _code, message: _message, ...details } = body && typeof body === 'object' ? body : {};
    this.details = details;
  }

  /** The broken grid rules of a refused publish (422 `invalid_plan`), or null. */
  get violations() {
    return this.details.violations || null;
  }

  /** The problems of a refused feature (422 `invalid_feature`), or null. */
  get problems() {
    return this.details.problems || null;
  }
}

let baseUrl = null;
// The signed-in account, registered by session.js: its `Authorization` header, and what to do
// when the server no longer knows the token.
let auth = { headers: () => ({}), expired: () => {} };

/** `baseUrl`: where relative URLs point (node; the browser uses the page's origin). `auth`: `{ headers(), expired() }`. */
export function configureClient(opts) {
  if ('baseUrl' in opts) baseUrl = opts.baseUrl;
  if (opts.auth) auth = opts.auth;
}

async function parseBody(res) {
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return res.ok ? text : { message: text };
  }
}

/**
 * One request. `body` is sent as JSON, `form` (a FormData: file uploads) as multipart; `ifMatch`
 * as `If-Match: "<version>"`; `auth: true` adds the signed-in account's token (a 401 then signs
 * it out); `headers` are added as given. Resolves to the parsed JSON reply (null when empty), or
 * with `blob: true` to the reply's Blob (a download); rejects with an ApiError (or the
 * AbortError of `signal`).
 */
export async function request(method, url, { body, form, ifMatch, signal, blob = false, auth: withAuth = false, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json, application/geo+json', ...(withAuth ? auth.headers() : {}), ...extra };
  if (blob) headers.Accept = '*/*';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
  const target = baseUrl ? new URL(url, baseUrl).href : url;
  const sent = form ?? (body === undefined ? undefined : JSON.stringify(body));
  let res;
  try {
    res = await fetch(target, { method, headers, body: sent, signal });
  } catch (e) {
    if (e?.name === 'AbortError') throw e;
    throw new ApiError(0, { code: 'network', message: e?.message || String(e) });
  }
  if (blob && res.ok) return res.blob();
  const parsed = await parseBody(res);
  if (!res.ok) {
    if (res.status === 401 && headers.Authorization) auth.expired();
    throw new ApiError(res.status, typeof parsed === 'object' ? parsed : null, `HTTP ${res.status} ${res.statusText}`.trim());
  }
  return parsed;
}

/** `GET url` → JSON. */
export const getJson = (url, opts) => request('GET', url, opts);
