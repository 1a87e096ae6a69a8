// The signed-in account: `POST /api/session` gives a bearer token, kept in sessionStorage (gone when
// the tab closes; the server forgets sessions on restart too). Every write the map makes sends it.

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

/** Roles that may change grids (the server decides; the map only hides what would be refused). */
export const PLANNING_ROLES = ['admin', 'planner'];

export function canPlan() {
  return Boolean(session && PLANNING_ROLES.includes(session.role));
}

async function errorText(res) {
  try {
    const body = await res.json();
    return body.message || body.description || `${res.status}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/** Signs in; resolves to the session or throws an Error with the server's reason. */
export async function signIn(name, password) {
  const res = await fetch('/api/session', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (!res.ok) {
    const err = new Error(await errorText(res));
    err.status = res.status;
    throw err;
  }
  const body = await res.json();
  store({ token: body.token, name: body.name, role: body.role, scope: body.scope });
  return session;
}

/** Signs out here and on the server (which forgets the token). */
export async function signOut() {
  const headers = authHeaders();
  store(null);
  try {
    await fetch('/api/session', { method: 'DELETE', headers });
  } catch {
    // signed out locally all the same
  }
}

/** Checks a remembered token with the server; drops it when the server no longer knows it. */
export async function verifySession() {
  if (!session) return null;
  try {
    const res = await fetch('/api/session', { headers: { ...authHeaders(), Accept: 'application/json' } });
    if (res.status === 401) {
      store(null);
      return null;
    }
    if (res.ok) {
      const me = await res.json();
      store({ ...session, name: me.name, role: me.role, scope: me.scope });
    }
  } catch {
    // offline: keep it; the next write will tell
  }
  return session;
}

/** The server refused the token (expired, or the server restarted): forget it. */
export function sessionExpired() {
  store(null);
}

/** Whether an account scope (`district`, `street:<code>`, `community:<code>`) covers a community. */
export function scopeCovers(scope, community) {
  if (!scope || scope === 'district') return true;
  const [kind, code] = scope.split(':');
  if (kind === 'street') return String(community).startsWith(code);
  if (kind === 'community') return community === code;
  return false;
}
