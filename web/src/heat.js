// The coverage heatmap, no DOM or map: its palette (households uncovered per H3 hexagon), the
// colour expression and legend, a hexagon's figures in words, the bbox of the cells with
// households (what the view zooms to), and the clipping that puts two radii side by side — one
// left of a vertical line on the screen, the other right of it. Pure: projections and words are
// passed in, so the unit tests run it in node.

import { lifeCircleMinutes } from './standards.js';

/** `households_uncovered` → colour, from the lowest step up (the legend shows the same). */
export const HEAT_STEPS = [[1, '#fee8c8'], [10, '#fdbb84'], [30, '#fc8d59'], [60, '#e34a33'], [120, '#b30000']];

/** The H3 resolution the heatmap tiles use at `zoom` (10 from z15, else 9; server/src/api/tiles.rs). */
export const resolutionAt = (zoom) => (zoom >= 15 ? 10 : 9);

/** The fill colour of a cell: transparent without households uncovered, then the steps. */
export function heatColor() {
  const color = ['step', ['to-number', ['get', 'households_uncovered'], 0], 'rgba(0,0,0,0)'];
  for (const [v, c] of HEAT_STEPS) color.push(v, c);
  return color;
}

/** Every colour string inside a style value (a colour, or an expression holding some). */
export function coloursIn(value) {
  if (typeof value === 'string') return /^(#|rgba?\(|hsla?\()/.test(value) ? [value.toLowerCase()] : [];
  if (Array.isArray(value)) return value.flatMap(coloursIn);
  return [];
}

/** `[minLon, minLat, maxLon, maxLat]` of the cells with households (a GeoJSON collection), or null. */
export function cellsBbox(collection) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of collection?.features || []) {
    if (!(Number(f.properties?.households) > 0)) continue;
    for (const ring of f.geometry?.coordinates || []) {
      for (const [x, y] of ring) {
        b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
      }
    }
  }
  return Number.isFinite(b[0]) ? b : null;
}

/**
 * A polygon ring (`[[lon, lat], …]`, closed or not) cut at the screen's vertical line `x = split`,
 * keeping the `side` (`left` or `right`) of it: the ring is projected to pixels (`project([lon,
 * lat]) → [x, y]`), clipped (Sutherland–Hodgman against one line), and the new corners unprojected
 * (`unproject([x, y]) → [lon, lat]`). Returns the clipped ring, closed, or null when nothing is left.
 */
export function clipRing(ring, split, side, project, unproject) {
  const pts = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]
    ? ring.slice(0, -1) : ring;
  const px = pts.map((p) => ({ geo: p, at: project(p) }));
  const inside = (q) => (side === 'left' ? q.at[0] <= split : q.at[0] >= split);
  const cross = (a, b) => {
    const k = (split - a.at[0]) / (b.at[0] - a.at[0]);
    const at = [split, a.at[1] + k * (b.at[1] - a.at[1])];
    return { geo: unproject(at), at };
  };
  const out = [];
  for (let i = 0; i < px.length; i += 1) {
    const cur = px[i];
    const prev = px[(i + px.length - 1) % px.length];
    if (inside(cur)) {
      if (!inside(prev)) out.push(cross(prev, cur));
      out.push(cur);
    } else if (inside(prev)) {
      out.push(cross(prev, cur));
    }
  }
  if (out.length < 3) return null;
  const ringOut = out.map((q) => q.geo);
  ringOut.push(ringOut[0]);
  return ringOut;
}

/**
 * The cells of a heatmap (GeoJSON) on one side of the split: each polygon clipped by `clipRing`
 * (its outer ring; H3 cells have no holes), those left empty dropped, the properties kept.
 */
export function clipCells(collection, split, side, project, unproject) {
  const features = [];
  for (const f of collection?.features || []) {
    const ring = f.geometry?.type === 'Polygon' ? f.geometry.coordinates[0] : null;
    if (!ring) continue;
    const cut = clipRing(ring, split, side, project, unproject);
    if (cut) features.push({ type: 'Feature', id: f.id, properties: f.properties, geometry: { type: 'Polygon', coordinates: [cut] } });
  }
  return { type: 'FeatureCollection', features };
}

/**
 * A hexagon's figures in words, one line each: its households, those without the service within
 * the radius, and their mean distance to the nearest facility (households-weighted), with minutes
 * on foot. `props`: the cell's properties; `opts`: `{ threshold, metric, speed }`; `minutes(m)`:
 * minutes for metres.
 */
export function cellLines(props, { threshold, metric, minutes }, t) {
  const hh = Math.round(Number(props.households) || 0);
  const un = Math.round(Number(props.households_uncovered) || 0);
  const mean = props.mean_distance_m === null || props.mean_distance_m === undefined || props.mean_distance_m === '' ? null : Math.round(Number(props.mean_distance_m));
  const lines = [
    t('heat.cell.households', { n: hh }),
    un > 0 ? t('heat.cell.uncovered', { n: un, m: threshold, metric: t(`heat.metric.${metric}`) }) : t('heat.cell.all_covered', { m: threshold, metric: t(`heat.metric.${metric}`) }),
  ];
  if (mean === null) lines.push(t('heat.cell.no_facility'));
  else if (metric === 'walk') lines.push(t('heat.cell.mean.walk', { m: mean, min: minutes(mean) }));
  else lines.push(t('heat.cell.mean.straight', { m: mean }));
  return lines;
}

/** Facility levels a life circle of `minutes` admits: a higher tier never stands in for a lower one. */
export function admittedLevels(minutes) {
  return ['compound', ...(minutes >= 10 ? ['community'] : []), ...(minutes >= 15 ? ['street'] : [])];
}

/**
 * Map filters of the facilities that count for a service standard (`/api/standards` `services[]`):
 * `spaces` (service spaces offering one of its services) and `stations` (of its station kinds),
 * both of a level its life circle admits. A filter that matches nothing when none count.
 */
export function facilityFilters(std) {
  const level = ['in', ['to-string', ['get', 'level']], ['literal', admittedLevels(lifeCircleMinutes(std?.life_circle) ?? 15)]];
  const services = std?.facilities?.services || [];
  const kinds = std?.facilities?.station_kinds || [];
  const none = ['boolean', false];
  const listed = ['concat', ',', ['to-string', ['get', 'services']], ','];
  return {
    spaces: services.length ? ['all', level, ['any', ...services.map((s) => ['in', `,${s},`, listed])]] : none,
    stations: kinds.length ? ['all', level, ['in', ['to-string', ['get', 'kind']], ['literal', kinds]]] : none,
  };
}
