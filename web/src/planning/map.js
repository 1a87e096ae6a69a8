// The grid-planning workspace's map layers: the shown plan's grid polygons (one colour per grid,
// fill + outline + a label with its households), its units (compounds and scattered buildings of
// the community, from the atlas tiles) tinted with their grid's colour, the current grids' outlines
// for comparison, the units a draft moves, the target grid, the selected unit and the boundary being
// drawn; and which units are drawn under a point or in a box (a shift-drag).

import { labelPoint } from '../labels.js';
import { GRID_PALETTE } from '../mapstyle.js';

const SRC_GRIDS = 'plan-grids';
const SRC_CURRENT = 'plan-current';
const SRC_LABELS = 'plan-labels';
const SRC_DRAW = 'plan-draw';

/** Layers answering clicks and boxes: the units, buildings first (they lie on top). */
export const UNIT_LAYERS = ['plan-units-building', 'plan-units-compound'];

export const PLAN_LAYERS = [
  'plan-grids-fill', 'plan-units-compound', 'plan-units-building', 'plan-current-line', 'plan-grids-casing',
  'plan-grids-line', 'plan-target-line', 'plan-moved-compound', 'plan-moved-building', 'plan-unit-compound',
  'plan-unit-building', 'plan-labels', 'plan-draw-fill', 'plan-draw-line', 'plan-draw-points',
];

const EMPTY = { type: 'FeatureCollection', features: [] };
const NONE = ['==', ['id'], -1];

/** A grid's colour, stable for its code: the number it ends with picks the palette entry. */
export function gridColor(code, index = 0) {
  const m = /(\d{1,3})$/.exec(String(code ?? ''));
  const n = m ? Number(m[1]) - 1 : index;
  return GRID_PALETTE[((n % GRID_PALETTE.length) + GRID_PALETTE.length) % GRID_PALETTE.length];
}

/** `compound:12` → { layer: 'compounds', id: 12 }; `building:34` → { layer: 'buildings', id: 34 }. */
export function unitFeature(key) {
  const [kind, id] = String(key).split(':');
  return { layer: kind === 'compound' ? 'compounds' : 'buildings', id: Number(id) };
}

export function unitKey(layer, id) {
  return `${layer === 'compounds' ? 'compound' : 'building'}:${id}`;
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

function bboxOfPolys(polys) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  for (const poly of polys) {
    for (const [x, y] of poly[0]) {
      b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
    }
  }
  return b;
}

/** Colour match on feature ids: `[['id'] → colour]`. */
function colourById(pairs, fallback) {
  if (!pairs.length) return fallback;
  const m = ['match', ['id']];
  const seen = new Set();
  for (const [id, colour] of pairs) {
    if (seen.has(id)) continue;
    seen.add(id);
    m.push(id, colour);
  }
  m.push(fallback);
  return m;
}

const inIds = (ids) => (ids.length ? ['in', ['id'], ['literal', ids]] : NONE);

export function createPlanningMap(map) {
  let visible = false;
  let hiddenCommunity = null;
  const savedFilters = {};

  function ensure() {
    if (map.getSource(SRC_GRIDS)) return;
    for (const id of [SRC_GRIDS, SRC_CURRENT, SRC_LABELS, SRC_DRAW]) map.addSource(id, { type: 'geojson', data: EMPTY });
    const before = (id) => (map.getLayer(id) ? id : undefined);
    const hidden = { visibility: 'none' };
    map.addLayer({ id: 'plan-grids-fill', type: 'fill', source: SRC_GRIDS, layout: hidden,
      paint: { 'fill-color': ['get', 'color'], 'fill-opacity': 0.2 } }, before('communities-fill'));
    map.addLayer({ id: 'plan-units-compound', type: 'fill', source: 'atlas', 'source-layer': 'compounds', layout: hidden,
      filter: NONE, paint: { 'fill-color': '#999', 'fill-opacity': 0.62 } }, before('compounds-hatch'));
    map.addLayer({ id: 'plan-units-building', type: 'fill', source: 'atlas', 'source-layer': 'buildings', layout: hidden,
      filter: NONE, paint: { 'fill-color': '#999', 'fill-opacity': 0.95, 'fill-outline-color': '#ffffff' } }, before('buildings-line'));
    const top = before('selection-casing');
    map.addLayer({ id: 'plan-current-line', type: 'line', source: SRC_CURRENT, layout: { ...hidden, 'line-join': 'round' },
      paint: { 'line-color': '#263238', 'line-width': 2.2, 'line-dasharray': [2, 1.5], 'line-opacity': 0.9 } }, top);
    map.addLayer({ id: 'plan-grids-casing', type: 'line', source: SRC_GRIDS, layout: { ...hidden, 'line-join': 'round' },
      paint: { 'line-color': '#ffffff', 'line-width': 5, 'line-opacity': 0.85 } }, top);
    map.addLayer({ id: 'plan-grids-line', type: 'line', source: SRC_GRIDS, layout: { ...hidden, 'line-join': 'round' },
      paint: { 'line-color': ['get', 'color'], 'line-width': 2.6 } }, top);
    map.addLayer({ id: 'plan-target-line', type: 'line', source: SRC_GRIDS, layout: { ...hidden, 'line-join': 'round' },
      filter: ['==', ['get', 'code'], ''], paint: { 'line-color': ['get', 'color'], 'line-width': 6 } }, top);
    for (const [id, layer] of [['plan-moved-compound', 'compounds'], ['plan-moved-building', 'buildings']]) {
      map.addLayer({ id, type: 'line', source: 'atlas', 'source-layer': layer, layout: hidden, filter: NONE,
        paint: { 'line-color': '#d500f9', 'line-width': 3, 'line-dasharray': [1.5, 1] } }, top);
    }
    for (const [id, layer] of [['plan-unit-compound', 'compounds'], ['plan-unit-building', 'buildings']]) {
      map.addLayer({ id, type: 'line', source: 'atlas', 'source-layer': layer, layout: hidden, filter: NONE,
        paint: { 'line-color': '#00a5b8', 'line-width': 4 } }, top);
    }
    map.addLayer({ id: 'plan-labels', type: 'symbol', source: SRC_LABELS,
      layout: { ...hidden, 'text-field': ['get', 'label'], 'text-font': ['sans-serif'], 'text-size': 12, 'text-allow-overlap': true,
        'text-ignore-placement': true, 'text-justify': 'center' },
      paint: { 'text-color': ['case', ['get', 'over'], '#b71c1c', '#1f2933'], 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 2 } });
    map.addLayer({ id: 'plan-draw-fill', type: 'fill', source: SRC_DRAW, filter: ['==', ['geometry-type'], 'Polygon'], layout: hidden,
      paint: { 'fill-color': '#00a5b8', 'fill-opacity': 0.15 } });
    map.addLayer({ id: 'plan-draw-line', type: 'line', source: SRC_DRAW, filter: ['!=', ['geometry-type'], 'Point'], layout: hidden,
      paint: { 'line-color': '#00838f', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'plan-draw-points', type: 'circle', source: SRC_DRAW, filter: ['==', ['geometry-type'], 'Point'], layout: hidden,
      paint: { 'circle-radius': 4, 'circle-color': '#ffffff', 'circle-stroke-color': '#00838f', 'circle-stroke-width': 2 } });
  }

  function whenStyle(fn) {
    if (map.isStyleLoaded() || map.getSource('atlas')) fn();
    else map.once('load', fn);
  }

  /** The atlas's own grids of `community` (and all grid labels) give way to the plan's while planning. */
  function hideAtlasGrids(community) {
    if (community === hiddenCommunity) return;
    for (const id of ['grids-fill', 'grids-line']) {
      if (!map.getLayer(id)) continue;
      if (!(id in savedFilters)) savedFilters[id] = map.getFilter(id) ?? null;
      map.setFilter(id, community ? ['!=', ['get', 'community_code'], community] : savedFilters[id]);
    }
    if (map.getLayer('labels-areas')) {
      if (!('labels-areas' in savedFilters)) savedFilters['labels-areas'] = map.getFilter('labels-areas') ?? null;
      map.setFilter('labels-areas', community ? ['!=', ['get', 'layer'], 'grids'] : savedFilters['labels-areas']);
    }
    hiddenCommunity = community;
  }

  /**
   * Draws `view` (a PlanView: the draft, the current grids or a proposal). `current` is the
   * current grids' PlanView (outlined when `compare`), `target` the target grid's code, `unit` the
   * selected unit's key, `drawing` the boundary being drawn ([lon, lat] list) or null.
   */
  function update({ view, current, compare, target, unit, drawing, community, gridLabel }) {
    whenStyle(() => {
      ensure();
      const on = visible && Boolean(view);
      for (const id of PLAN_LAYERS) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
      hideAtlasGrids(on ? community : null);
      if (!on) {
        map.getSource(SRC_DRAW).setData(EMPTY);
        return;
      }
      const report = new Map((view.report?.grids || []).map((g) => [g.code, g]));
      const colours = new Map((view.plan?.grids || []).map((g, i) => [g.code, gridColor(g.code, i)]));
      const grids = (view.grids?.features || []).map((f) => ({
        ...f,
        properties: { ...f.properties, color: colours.get(f.properties.code) || gridColor(f.properties.code) },
      }));
      map.getSource(SRC_GRIDS).setData({ type: 'FeatureCollection', features: grids });
      const labels = [];
      for (const f of grids) {
        const polys = polygonsOf(f.geometry);
        if (!polys.length) continue;
        const p = labelPoint(polys, bboxOfPolys(polys));
        if (!p) continue;
        const g = report.get(f.properties.code) || f.properties;
        const code = String(f.properties.code);
        labels.push({ type: 'Feature', geometry: { type: 'Point', coordinates: p },
          properties: { code, over: g.within_cap === false, label: gridLabel ? gridLabel(code, g) : code } });
      }
      map.getSource(SRC_LABELS).setData({ type: 'FeatureCollection', features: labels });
      map.getSource(SRC_CURRENT).setData(compare && current?.grids ? current.grids : EMPTY);

      // Units: tinted with their grid's colour.
      const compounds = [];
      const buildings = [];
      for (const u of view.units || []) {
        const { layer, id } = unitFeature(u.unit);
        const colour = colours.get(u.grids?.[0]) || '#9e9e9e';
        (layer === 'compounds' ? compounds : buildings).push([id, u.grids?.length ? colour : '#616161']);
      }
      map.setFilter('plan-units-compound', inIds(compounds.map(([id]) => id)));
      map.setPaintProperty('plan-units-compound', 'fill-color', colourById(compounds, '#9e9e9e'));
      map.setFilter('plan-units-building', ['all', ['==', ['geometry-type'], 'Polygon'], inIds(buildings.map(([id]) => id))]);
      map.setPaintProperty('plan-units-building', 'fill-color', colourById(buildings, '#9e9e9e'));

      // Moved units (against the current grids), when comparing.
      const moved = compare ? (view.diff?.moved || []).map((m) => unitFeature(m.unit)) : [];
      map.setFilter('plan-moved-compound', inIds(moved.filter((m) => m.layer === 'compounds').map((m) => m.id)));
      map.setFilter('plan-moved-building', inIds(moved.filter((m) => m.layer === 'buildings').map((m) => m.id)));
      map.setFilter('plan-target-line', ['==', ['get', 'code'], target || '']);
      const sel = unit ? unitFeature(unit) : null;
      map.setFilter('plan-unit-compound', sel?.layer === 'compounds' ? ['==', ['id'], sel.id] : NONE);
      map.setFilter('plan-unit-building', sel?.layer === 'buildings' ? ['==', ['id'], sel.id] : NONE);

      // The boundary being drawn.
      const draw = [];
      if (drawing?.length) {
        for (const c of drawing) draw.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: c } });
        if (drawing.length >= 3) {
          draw.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...drawing, drawing[0]]] } });
        } else if (drawing.length === 2) {
          draw.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: drawing } });
        }
      }
      map.getSource(SRC_DRAW).setData({ type: 'FeatureCollection', features: draw });
    });
  }

  function setVisible(on) {
    visible = on;
  }

  /** Unit keys drawn in the pixel box [[x0, y0], [x1, y1]] (or at a point with a small margin). */
  function unitsIn(box) {
    if (!map.getLayer(UNIT_LAYERS[0])) return [];
    const hits = map.queryRenderedFeatures(box, { layers: UNIT_LAYERS });
    const keys = [];
    for (const h of hits) {
      if (h.id === undefined || h.id === null) continue;
      const key = unitKey(h.layer.id === 'plan-units-compound' ? 'compounds' : 'buildings', h.id);
      if (!keys.includes(key)) keys.push(key);
    }
    return keys;
  }

  /** The bounding box of the shown plan's grids. */
  function bboxOf(view) {
    const polys = (view?.grids?.features || []).flatMap((f) => polygonsOf(f.geometry));
    return polys.length ? bboxOfPolys(polys) : null;
  }

  return { update, setVisible, unitsIn, bboxOf, get visible() { return visible; } };
}
