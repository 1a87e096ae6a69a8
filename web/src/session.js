// The signed-in account: `POST /api/session` gives a bearer token, kept in sessionStorage (gone when
// the tab closes; the server forgets sessions on restart too). Every write the map makes sends it
// (the HTTP client asks here for the header, and tells here when the server refused the token).

import { mayPlan } from './access.js';
import { configureClient, request } from './http.js';

export { PLANNING_ROLES, scopeCovers } from './access.js';

const KEY = 'gridatlas.session';
const listeners = new Set();
let session = load();

function load() {
  try {
    const s = JSON.parse(window.sessionStorage.getItem(KEY) || 'null');
    return s && typeof s.token === 'string' ? s : null;
  } catch {
    return null;
  }
}

function store(next) {
  session = next;
  try {
    if (next) window.sessionStorage.setItem(KEY, JSON.stringify(next));
    else window.sessionStorage.removeItem(KEY);
  } catch {
    // storage unavailable: the session lasts as long as the page
  }
  for (const fn of listeners) fn(session);
}

/** `{ token, name, role, scope }` of the signed-in account, or null. */
export function getSession() {
  return session;
}

export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** `Authorization` header for the signed-in account (empty when signed out). */
export function authHeaders() {
  return session ? { Authorization: `Bearer ${session.token}` } : {};
}

export function canPlan() {
  return mayPlan(session);
}

/** Signs in; resolves to the session or throws the server's refusal (an ApiError). */
export async function signIn(name, password) {
  const body = await request('POST', '/api/session', { body: { name, password } });
  store({ token: body.token, name: body.name, role: body.role, scope: body.scope });
  return session;
}

/** Signs out here and on the server (which forgets the token). */
export async function signOut() {
  const headers = authHeaders();
  store(null);
  try {
    await request('DELETE', '/api/session', { headers });
  } catch {
    // signed out locally all the same
  }
}

/** Checks a remembered token with the server; drops it when the server no longer knows it. */
export async function verifySession() {
  if (!session) return null;
  try {
    const me = await request('GET', '/api/session', { auth: true });
    if (me) store({ ...session, name: me.name, role: me.role, scope: me.scope });
  } catch {
    // a 401 has signed it out (below); offline: keep it, the next write will tell
  }
  return session;
}

/** The server refused the token (expired, or the server restarted): forget it. */
export function sessionExpired() {
  store(null);
}

configureClient({ auth: { headers: authHeaders, expired: sessionExpired } });
