// Where a drawn feature lies, for the fields naming another feature: the community (and grid)
// whose polygon holds it, and a gate's compound (the one holding it, else the nearest within the
// engine's 50 m). Pure geometry on GeoJSON lon/lat; no DOM or map. Distances are for suggesting a
// value only (the engine measures on the ellipsoid and decides).

import { pointInRing } from '../geometry.js';

/** Earth radius for the short distances of a suggestion (metres). */
const R = 6_371_008.8;
/** A gate lies within this distance of its compound (engine::integrity). */
export const GATE_REACH_M = 50;

/** A point inside or on a geometry, for looking up where it lies: the point itself, a line's middle vertex, or the vertex mean of a polygon's outer ring when that lies inside (else its first vertex). */
export function anchorOf(geometry) {
  if (!geometry) return null;
  if (geometry.type === 'Point') return geometry.coordinates;
  const line = geometry.type === 'LineString' ? geometry.coordinates : geometry.type === 'MultiLineString' ? geometry.coordinates[0] : null;
  if (line) return line.length ? line[Math.floor((line.length - 1) / 2)] : null;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  const ring = polygons[0]?.[0];
  if (!ring?.length) return null;
  const pts = ring.slice(0, -1);
  const mean = [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
  return contains(geometry, mean) ? mean : ring[0];
}

/** Whether a Polygon or MultiPolygon holds a point (holes excluded). */
export function contains(geometry, point) {
  const polygons = geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some(([outer, ...holes]) => pointInRing(point, outer) && !holes.some((h) => pointInRing(point, h)));
}

/** Metres from a point to a segment, in the local frame at the point. */
function toSegment(p, a, b) {
  const k = Math.cos((p[1] * Math.PI) / 180);
  const xy = (q) => [((q[0] - p[0]) * Math.PI * R * k) / 180, ((q[1] - p[1]) * Math.PI * R) / 180];
  const [ax, ay] = xy(a);
  const [bx, by] = xy(b);
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len)) : 0;
  return Math.hypot(ax + t * dx, ay + t * dy);
}

/** Metres from a point to a Polygon or MultiPolygon (0 inside). */
export function distanceTo(geometry, point) {
  if (contains(geometry, point)) return 0;
  const polygons = geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  let best = Infinity;
  for (const rings of polygons) {
    for (const ring of rings) {
      for (let i = 1; i < ring.length; i++) best = Math.min(best, toSegment(point, ring[i - 1], ring[i]));
    }
  }
  return best;
}

/** The feature whose polygon holds `point`, else the nearest within `reach` metres, else null. */
export function featureAt(features, point, reach = 0) {
  if (!point) return null;
  let best = null;
  let bestD = Infinity;
  for (const f of features) {
    const d = distanceTo(f.geometry, point);
    if (d === 0) return f;
    if (d <= reach && d < bestD) {
      best = f;
      bestD = d;
    }
  }
  return best;
}

/** Square metres of a Polygon or MultiPolygon (holes subtracted), in the local frame at its first vertex. */
export function areaOf(geometry) {
  const polygons = geometry?.type === 'Polygon' ? [geometry.coordinates] : geometry?.type === 'MultiPolygon' ? geometry.coordinates : [];
  const ring0 = polygons[0]?.[0]?.[0];
  if (!ring0) return 0;
  const k = Math.cos((ring0[1] * Math.PI) / 180);
  const ringArea = (ring) => {
    let a = 0;
    for (let i = 1; i < ring.length; i++) {
      a += (ring[i - 1][0] * k) * ring[i][1] - (ring[i][0] * k) * ring[i - 1][1];
    }
    return Math.abs(a / 2) * ((Math.PI * R) / 180) ** 2;
  };
  return polygons.reduce((sum, [outer, ...holes]) => sum + ringArea(outer) - holes.reduce((h, r) => h + ringArea(r), 0), 0);
}

/** Metres along a line (lon/lat positions), each segment in the local frame at its start. */
export function lineLength(coordinates) {
  let m = 0;
  for (let i = 1; i < coordinates.length; i++) {
    const [a, b] = [coordinates[i - 1], coordinates[i]];
    const k = Math.cos((a[1] * Math.PI) / 180);
    m += Math.hypot((b[0] - a[0]) * k, b[1] - a[1]) * ((Math.PI * R) / 180);
  }
  return m;
}
