// Labels of the area layers (streets, communities, grids, compounds), one per feature, placed in
// the visible part of the feature. Tiles cut a large polygon into pieces, and labelling the tile
// pieces would repeat a name at every tile; instead the pieces in the loaded tiles are grouped by
// feature id and a point inside the feature and inside the viewport is chosen.

const LABELLED = [
  { layer: 'streets', minzoom: 0, maxzoom: 15 },
  { layer: 'communities', minzoom: 11.5, maxzoom: 23 },
  { layer: 'grids', minzoom: 14, maxzoom: 23 },
  { layer: 'compounds', minzoom: 15.5, maxzoom: 23 },
];

function rings(geometry) {
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

function insideRing(pt, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function insidePolygons(pt, polys) {
  return polys.some((poly) => insideRing(pt, poly[0]) && !poly.slice(1).some((hole) => insideRing(pt, hole)));
}

/** A point inside `polys` and inside the box `view` ([w, s, e, n]), near the middle of both; or null. */
export function labelPoint(polys, view) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polys) {
    for (const [x, y] of poly[0]) {
      b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
    }
  }
  const w = Math.max(b[0], view[0]);
  const s = Math.max(b[1], view[1]);
  const e = Math.min(b[2], view[2]);
  const n = Math.min(b[3], view[3]);
  if (!(w < e && s < n)) return null;
  const centre = [(w + e) / 2, (s + n) / 2];
  if (insidePolygons(centre, polys)) return centre;
  // Try a grid of candidates, nearest to the centre first.
  const N = 9;
  const candidates = [];
  for (let i = 1; i < N; i++) {
    for (let j = 1; j < N; j++) {
      const p = [w + ((e - w) * i) / N, s + ((n - s) * j) / N];
      candidates.push([Math.hypot((p[0] - centre[0]) / (e - w), (p[1] - centre[1]) / (n - s)), p]);
    }
  }
  candidates.sort((a, c) => a[0] - c[0]);
  for (const [, p] of candidates) if (insidePolygons(p, polys)) return p;
  return null;
}

/**
 * Keeps the `labels` GeoJSON source in step with the view. `isVisible(layer)` says whether an
 * atlas layer is switched on.
 */
export function installAreaLabels(map, { isVisible }) {
  let lastSignature = '';
  let timer = null;

  function update() {
    timer = null;
    if (!map.getSource('labels') || !map.getSource('atlas')) return;
    const z = map.getZoom();
    const bounds = map.getBounds();
    const padX = (bounds.getEast() - bounds.getWest()) * 0.04;
    const padY = (bounds.getNorth() - bounds.getSouth()) * 0.04;
    const view = [bounds.getWest() + padX, bounds.getSouth() + padY, bounds.getEast() - padX, bounds.getNorth() - padY];
    const features = [];
    for (const { layer, minzoom, maxzoom } of LABELLED) {
      if (z < minzoom || z >= maxzoom || !isVisible(layer)) continue;
      const byId = new Map();
      for (const f of map.querySourceFeatures('atlas', { sourceLayer: layer })) {
        const name = f.properties?.name;
        if (!name || f.id === undefined) continue;
        let entry = byId.get(f.id);
        if (!entry) {
          entry = { name, polys: [] };
          byId.set(f.id, entry);
        }
        entry.polys.push(...rings(f.geometry));
      }
      for (const [id, { name, polys }] of byId) {
        const p = labelPoint(polys, view);
        if (p) features.push({ type: 'Feature', properties: { layer, id, label: name }, geometry: { type: 'Point', coordinates: p } });
      }
    }
    const signature = features.map((f) => `${f.properties.layer}:${f.properties.id}:${f.geometry.coordinates.map((c) => c.toFixed(6))}`).join('|');
    if (signature === lastSignature) return;
    lastSignature = signature;
    map.getSource('labels').setData({ type: 'FeatureCollection', features });
  }

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(update, 120);
  }

  map.on('moveend', schedule);
  map.on('sourcedata', (e) => {
    if (e.sourceId === 'atlas' && e.isSourceLoaded) schedule();
  });
  return { refresh: schedule };
}
