// Walking distances in the analysis workspaces 步行距离: which metric is in force, a unit's reach
// of a service in words (步行 820 米（约 14 分钟）· 直线 240 米 · 绕行系数 3.4), the units that
// lose coverage on foot (步行后失去覆盖), the isochrone legend, route labels, the units and
// facilities not joined to the ways (未接入路网). Pure: no DOM, map or requests, and the words come
// through the `t` passed in, so the unit tests run it in node. Refusals are put in words by ../errors.js.

/** The two ways of measuring a distance, in the order the switch shows them. */
export const METRICS = ['walk', 'straight'];

/** Walking times drawn as isochrones 步行等时圈, minutes. */
export const ISO_MINUTES = [5, 10, 15];

/** Isochrone colour per walking time (the legend uses the same). */
export const ISO_COLORS = { 5: '#08519c', 10: '#3182bd', 15: '#6baed6' };

/** The walking speed when the server did not say, metres per second. */
export const DEFAULT_SPEED_MPS = 1.0;

/** Layers whose features count as units (compounds, scattered buildings) or facilities. */
const UNIT_LAYERS = ['compounds', 'buildings'];

/**
 * What a coverage response says about how it measured (`measured`), in the map's terms:
 * `{ metric, walkingAvailable, speed, network }`; before any answer, walking is assumed.
 */
export function measuredOf(measured) {
  if (!measured) return { metric: null, walkingAvailable: null, speed: DEFAULT_SPEED_MPS, network: null };
  return {
    metric: measured.metric === 'walk' ? 'walk' : 'straight',
    walkingAvailable: Boolean(measured.walking_available),
    speed: Number(measured.walking_speed_mps) > 0 ? Number(measured.walking_speed_mps) : DEFAULT_SPEED_MPS,
    network: measured.network ?? null,
  };
}

/**
 * The metric the switch shows: the one chosen, unless the server said there is no walking
 * network (then straight lines, the walking choice disabled).
 */
export function effectiveMetric(chosen, measured) {
  if (measured && measured.walking_available === false) return 'straight';
  return METRICS.includes(chosen) ? chosen : 'walk';
}

/** Whether the walking choice (and isochrones, routes, the loses-coverage view) can be used. */
export function walkingUsable(measured) {
  return !measured || measured.walking_available !== false;
}

/** Minutes on foot for `metres` at `speed` m/s, rounded to a whole minute (at least 1 when above 0). */
export function minutesFor(metres, speed = DEFAULT_SPEED_MPS) {
  if (metres === null || metres === undefined || !Number.isFinite(metres)) return null;
  const min = metres / (speed > 0 ? speed : DEFAULT_SPEED_MPS) / 60;
  return metres > 0 ? Math.max(1, Math.round(min)) : 0;
}

const round = (x) => Math.round(x);
const detourText = (d) => (d >= 10 ? d.toFixed(0) : d.toFixed(1));

/**
 * A unit's reach of one service (a `services[]` entry of `/api/coverage/units` or an
 * underserved row) in parts: `walk` (`{ m, min }`, or null), `straight` (metres or null),
 * `detour`, `noWalk` (why there is no walking distance: `unjoined`, `unreachable`, or null) and
 * `covered` by `metric` (the server's `covered_walk` / `covered_straight`, else the distance
 * against the threshold).
 */
export function reachParts(s, { metric = 'walk', speed = DEFAULT_SPEED_MPS, joined = null, walkingAvailable = true } = {}) {
  const walk = s.walk_m === null || s.walk_m === undefined ? null : { m: round(s.walk_m), min: minutesFor(s.walk_m, speed) };
  const straight = s.straight_m === null || s.straight_m === undefined ? null : round(s.straight_m);
  let noWalk = null;
  if (!walk && walkingAvailable) noWalk = joined === false ? 'unjoined' : 'unreachable';
  let covered;
  if (metric === 'walk' && walkingAvailable) {
    if (typeof s.covered_walk === 'boolean') covered = s.covered_walk;
    else covered = walk !== null && s.walk_m <= s.threshold_m;
  } else if (typeof s.covered_straight === 'boolean') {
    covered = s.covered_straight;
  } else {
    covered = straight !== null && s.straight_m <= s.threshold_m;
  }
  const detour = Number.isFinite(s.detour) ? s.detour : null;
  return { walk, straight, detour, noWalk, covered, threshold: round(s.threshold_m ?? 0), none: walk === null && straight === null };
}

/**
 * The reach in words, e.g. "步行 820 米（约 14 分钟）· 直线 240 米 · 绕行系数 3.4": `t` is the
 * UI's translation function. Without a walking network only the straight line is given.
 */
export function reachText(s, opts, t) {
  const p = reachParts(s, opts);
  if (p.none) return t('walk.reach.none');
  const parts = [];
  if (opts?.walkingAvailable !== false) {
    if (p.walk) parts.push(t('walk.reach.walk', { m: p.walk.m, min: p.walk.min }));
    else parts.push(t(p.noWalk === 'unjoined' ? 'walk.reach.unjoined' : 'walk.reach.unreachable'));
  }
  if (p.straight !== null) parts.push(t('walk.reach.straight', { m: p.straight }));
  if (p.detour !== null && p.walk) parts.push(t('walk.reach.detour', { d: detourText(p.detour) }));
  return parts.join(t('walk.sep'));
}

/**
 * The units that lose coverage of `service` on foot (步行后失去覆盖): covered in a straight
 * line, not on foot. Each `{ kind, id, name, community_code, households, straight_m, walk_m,
 * detour, threshold_m, joined, centroid }`; those with no walking distance first, then by
 * detour factor, largest first.
 */
export function lostOnFoot(units, service) {
  const out = [];
  for (const u of units || []) {
    const s = (u.services || []).find((x) => x.service === service);
    if (!s || s.covered_straight !== true || s.covered_walk !== false) continue;
    out.push({
      kind: u.kind, id: u.id, name: u.name ?? null, community_code: u.community_code, households: u.households ?? 0,
      straight_m: s.straight_m ?? null, walk_m: s.walk_m ?? null, detour: Number.isFinite(s.detour) ? s.detour : null,
      threshold_m: s.threshold_m, joined: u.joined ?? null, centroid: u.centroid ?? null,
    });
  }
  const key = (r) => (r.walk_m === null ? Infinity : r.detour ?? r.walk_m / Math.max(1, r.straight_m ?? 1));
  return out.sort((a, b) => key(b) - key(a) || (b.households - a.households) || (a.id - b.id));
}

/** Households of a list of units. */
export function householdsOf(rows) {
  return (rows || []).reduce((sum, r) => sum + (Number(r.households) || 0), 0);
}

/** The isochrone legend: one `{ minutes, metres, color }` per walking time. */
export function isoLegend(minutes = ISO_MINUTES, speed = DEFAULT_SPEED_MPS) {
  return minutes.map((m) => ({ minutes: m, metres: round(m * 60 * speed), color: ISO_COLORS[m] || '#6baed6' }));
}

/**
 * Labels of a unit's routes (`/api/routes` features): one point per facility reached, at the
 * route's far end, its text the services reached there with their minutes on foot, e.g.
 * "养老服务 14分钟\n助餐服务 14分钟" (`label(service, minutes)` gives one line). The chosen
 * `service`'s label is marked `chosen` and listed first.
 */
export function routeLabels(features, label, service = null) {
  const byEnd = new Map();
  for (const f of features || []) {
    const c = f.geometry?.coordinates;
    if (!c?.length) continue;
    const end = c[c.length - 1];
    const key = `${end[0].toFixed(7)},${end[1].toFixed(7)}`;
    let e = byEnd.get(key);
    if (!e) {
      e = { end, lines: [], chosen: false };
      byEnd.set(key, e);
    }
    const p = f.properties || {};
    const minutes = Math.max(1, Math.round(p.minutes ?? 0));
    const mine = p.service === service;
    e.lines.push({ text: label(p.service, minutes), mine });
    if (mine) e.chosen = true;
  }
  return [...byEnd.values()].map((e) => ({
    type: 'Feature',
    properties: { label: e.lines.sort((a, b) => Number(b.mine) - Number(a.mine)).map((l) => l.text).join('\n'), chosen: e.chosen },
    geometry: { type: 'Point', coordinates: e.end },
  }));
}

/** The routes ordered for drawing: the chosen service's last (on top), each marked `chosen`. */
export function routeFeatures(features, service) {
  return (features || [])
    .map((f) => ({ ...f, properties: { ...f.properties, chosen: f.properties?.service === service } }))
    .sort((a, b) => Number(a.properties.chosen) - Number(b.properties.chosen));
}

/** `/api/network`'s `unjoined` split into units (compounds, scattered buildings) and facilities. */
export function unjoinedSummary(list) {
  const units = (list || []).filter((u) => UNIT_LAYERS.includes(u.layer));
  const facilities = (list || []).filter((u) => !UNIT_LAYERS.includes(u.layer));
  return { total: units.length + facilities.length, units, facilities };
}

/** The unit a map hit stands for (`{ kind, id, layer }`), or null: a compound, or a scattered building (not a tile's building cell). */
export function unitOfHit(atlasLayer, properties, id) {
  if (id === undefined || id === null) return null;
  if (atlasLayer === 'compounds') return { kind: 'compound', id: Number(id), layer: 'compounds' };
  if (atlasLayer === 'buildings' && properties?.scattered === true && !('count' in (properties || {}))) {
    return { kind: 'scattered_building', id: Number(id), layer: 'buildings' };
  }
  return null;
}

/** The query of a unit's routes: `compound=ID` or `building=ID`. */
export function routesQuery(unit) {
  return unit.kind === 'compound' ? `compound=${encodeURIComponent(unit.id)}` : `building=${encodeURIComponent(unit.id)}`;
}
