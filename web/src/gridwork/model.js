// The grid worker's view of their grid (网格工作), no DOM, map or HTTP: who gets the workspace and
// which grids, the worker record of an account, the units oldest visit first, the open needs
// nearest first, and the bodies of the records sent to the server. Unit-tested in node.

import { errorLine } from '../errors.js';

/** Roles that record grid work on the phone. */
export const GRIDWORK_ROLES = ['staff', 'admin'];

/** Visits within this many days are recent; from it on, due; from `OVERDUE_DAYS` on, overdue. */
export const DUE_DAYS = 14;
export const OVERDUE_DAYS = 30;

/** The grid codes of a `grid:<code>[,<code>…]` scope (empty for any other scope). */
export function scopeGrids(scope) {
  const s = String(scope || '');
  if (!s.startsWith('grid:')) return [];
  return s.slice('grid:'.length).split(',').map((c) => c.trim()).filter(Boolean);
}

/** The community of a `community:<code>` scope, or null. */
export function scopeCommunity(scope) {
  const s = String(scope || '');
  return s.startsWith('community:') ? s.slice('community:'.length) : null;
}

/** Whether an account (`{ role, scope }`, or null) gets the grid-work workspace: a grid worker, or staff/admin of one community. */
export function mayDoGridWork(account) {
  if (!account || !GRIDWORK_ROLES.includes(account.role)) return false;
  return scopeGrids(account.scope).length > 0 || scopeCommunity(account.scope) !== null;
}

/**
 * The account's grids among the grid features (`/ogc/collections/grids/items`): a grid worker's
 * in the scope's order, a community's by code. `[{ code, name, community_code, geometry }]`.
 */
export function gridsOf(account, features) {
  const all = (features || []).map((f) => ({
    code: String(f.properties?.code ?? ''),
    name: f.properties?.name ?? '',
    community_code: String(f.properties?.community_code ?? ''),
    geometry: f.geometry ?? null,
  }));
  const codes = scopeGrids(account?.scope);
  if (codes.length) return codes.map((c) => all.find((g) => g.code === c)).filter(Boolean);
  const community = scopeCommunity(account?.scope);
  if (community) return all.filter((g) => g.community_code === community).sort((a, b) => a.code.localeCompare(b.code));
  return [];
}

/**
 * The worker record an account records as: the one whose `body.account` is the account's name,
 * else the first serving `grid` (the account's first grid).
 */
export function workerFor(records, account, grid) {
  const list = records || [];
  const own = list.find((r) => r.body?.account && r.body.account === account?.name);
  if (own) return own;
  return list.find((r) => (r.body?.grids || []).includes(grid)) || null;
}

/** `compounds` + 69 → `compounds:69`: a unit's key, unique across both layers. */
export const unitKey = (layer, id) => `${layer}:${id}`;

/** How long ago a unit was visited: `never`, `overdue` (≥ 30 days), `due` (≥ 14) or `recent`. */
export function staleness(daysSince) {
  if (daysSince === null || daysSince === undefined) return 'never';
  if (daysSince >= OVERDUE_DAYS) return 'overdue';
  if (daysSince >= DUE_DAYS) return 'due';
  return 'recent';
}

/**
 * The units of `GET /api/work/visits/last` (compounds and buildings) oldest visit first: never
 * visited, then the longest since, then by name. A building of a compound is named with it
 * (丝绸厂宿舍 1栋). `[{ key, layer, id, name, compound_id, households, last_visit, days_since,
 * staleness, geometry }]`.
 */
export function unitsOldestFirst(collection) {
  const features = collection?.features || [];
  const compoundNames = new Map(features
    .filter((f) => f.properties?.layer === 'compounds')
    .map((f) => [f.properties.id, f.properties.name]));
  const units = features.map((f) => {
    const p = f.properties || {};
    const own = p.name || `#${p.id}`;
    const compound = p.layer === 'buildings' && p.compound_id != null ? compoundNames.get(p.compound_id) : null;
    return {
      key: unitKey(p.layer, p.id),
      layer: p.layer,
      id: p.id,
      name: compound ? `${compound} ${own}` : own,
      compound_id: p.compound_id ?? null,
      households: p.households ?? null,
      last_visit: p.last_visit ?? null,
      days_since: p.days_since ?? null,
      staleness: staleness(p.days_since),
      geometry: f.geometry ?? null,
    };
  });
  const age = (u) => (u.days_since === null ? Infinity : u.days_since);
  return units.sort((a, b) => age(b) - age(a) || a.name.localeCompare(b.name, 'zh-CN') || a.key.localeCompare(b.key));
}

/** The units in the order a chooser lists them: each compound followed by its buildings, then the scattered buildings, by name. */
export function unitsByPlace(units) {
  const byName = (a, b) => a.name.localeCompare(b.name, 'zh-CN', { numeric: true });
  const compounds = units.filter((u) => u.layer === 'compounds').sort(byName);
  const known = new Set(compounds.map((c) => c.id));
  const out = [];
  for (const c of compounds) out.push(c, ...units.filter((u) => u.layer === 'buildings' && u.compound_id === c.id).sort(byName));
  out.push(...units.filter((u) => u.layer === 'buildings' && !known.has(u.compound_id)).sort(byName));
  return out;
}

/** Great-circle distance in metres between two `[lon, lat]`. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b[1] - a[1]) * rad;
  const dLon = (b[0] - a[0]) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The needs of `GET /api/work/needs/map` nearest first from `from` (`[lon, lat]`; without it, in
 * the server's order). `[{ id, title, category, status, raised_on, due_date, unit, at, distance_m }]`.
 */
export function needsNearestFirst(collection, from) {
  const needs = (collection?.features || [])
    .filter((f) => f.geometry?.type === 'Point')
    .map((f) => {
      const p = f.properties || {};
      const at = f.geometry.coordinates;
      return {
        id: p.id ?? f.id, title: p.title ?? '', category: p.category ?? null, status: p.status ?? null,
        raised_on: p.raised_on ?? null, due_date: p.due_date ?? null, unit: p.unit ?? null,
        at, distance_m: from ? distanceM(from, at) : null,
      };
    });
  if (!from) return needs;
  return needs.sort((a, b) => a.distance_m - b.distance_m || String(a.id).localeCompare(String(b.id)));
}

/** Whether a need is past its due date on `today` (both `YYYY-MM-DD`). */
export function isOverdue(need, today) {
  return Boolean(need?.due_date) && need.due_date < today;
}

/** `YYYY-MM-DD` of a date in the phone's time zone (today by default). */
export function localDate(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The `unit` of a record: a compound by its id; a building by its id and compound, with the household number (户号) when given. */
export function unitBody(unit, household = '') {
  if (!unit) return null;
  if (unit.layer === 'compounds') return { compound_id: unit.id };
  const body = { building_id: unit.id };
  if (unit.compound_id !== null && unit.compound_id !== undefined) body.compound_id = unit.compound_id;
  const h = String(household || '').trim();
  if (h) body.household = h;
  return body;
}

/** Copies the optional fields that have a value: notes, position `[lon, lat]`, photo data URL. */
function extras(body, { notes, position, photo }, notesField = 'notes') {
  const n = String(notes || '').trim();
  if (n) body[notesField] = n;
  if (Array.isArray(position) && position.length === 2 && position.every(Number.isFinite)) body.position = position;
  if (photo) body.photo = photo;
  return body;
}

/**
 * The body of `POST /api/work/visits` (入户走访 `visit`, 代办服务 `errand`): `{ worker_id, date,
 * kind, unit, households: 1, notes?, client_id, position?, photo? }`.
 */
export function visitBody({ worker, kind, unit, household, date, notes, position, photo, clientId }) {
  return extras({ worker_id: worker?.id ?? null, date, kind, unit: unitBody(unit, household), households: 1, client_id: clientId }, { notes, position, photo });
}

/**
 * The body of `POST /api/work/needs` (需求): `{ title, category, raised_by, raised_on, due_date?,
 * unit? | community_code + grid_code, description?, client_id, position?, photo? }`. Without a
 * unit the need lies in the grid.
 */
export function needBody({ title, category, raisedBy, date, dueDate, unit, household, grid, notes, position, photo, clientId }) {
  const body = { title: String(title || '').trim(), category, raised_by: String(raisedBy || '').trim(), raised_on: date, client_id: clientId };
  if (dueDate) body.due_date = dueDate;
  if (unit) body.unit = unitBody(unit, household);
  else if (grid) Object.assign(body, { community_code: grid.community_code, grid_code: grid.code });
  return extras(body, { notes, position, photo }, 'description');
}

/**
 * The server's reasons for refusing a record, in `lang` (`reason_zh` in Chinese); without
 * problems, the refusal in words by its code (../errors.js, through `t`) with the server's own
 * message as detail.
 */
export function refusalReasons(refusal, lang, t) {
  const problems = refusal?.problems || [];
  const reasons = problems.map((p) => (lang === 'zh' ? p.reason_zh || p.reason : p.reason || p.reason_zh)).filter(Boolean);
  if (reasons.length) return reasons;
  return refusal ? [errorLine(refusal, t)] : [];
}
