// The walking layers of the coverage workspace on the map: isochrones 步行等时圈 (the server's
// tiles `/tiles/isochrones/{z}/{x}/{y}.mvt`), a unit's walking routes 步行路线 with their minutes,
// the units that lose coverage on foot 步行后失去覆盖 (outlined) and the units and facilities not
// joined to the ways 未接入路网 (circled). What to draw comes from ../walking.js.

import { SERVICE_COLORS } from '../mapstyle.js';
import { ISO_COLORS, ISO_MINUTES, routeFeatures, routeLabels } from '../walking.js';

export const ISO_SRC = 'isochrones';
export const ISO_FILL = 'isochrones-fill';
export const ISO_LINE = 'isochrones-line';
export const ROUTES_SRC = 'routes';
export const ROUTE_LABELS_SRC = 'route-labels';
export const ROUTES_CASING = 'routes-casing';
export const ROUTES_LINE = 'routes-line';
export const ROUTES_END = 'routes-end';
export const ROUTES_LABEL = 'routes-label';
export const LOST_LINE = 'walkloss-highlight';
export const LOST_POINT = 'walkloss-buildings';
export const LOST_BUILDING_LINE = 'walkloss-building-outlines';
export const UNJOINED_SRC = 'unjoined';
export const UNJOINED_LAYER = 'unjoined-points';

// Scattered buildings (not the tiles' building cells) among `ids`, of one geometry type.
const lostBuildings = (ids, type) => ['all', ['==', ['get', 'scattered'], true], ['==', ['geometry-type'], type], ['in', ['id'], ['literal', ids]]];

const EMPTY = { type: 'FeatureCollection', features: [] };
const LOST_COLOR = '#ff6d00';

function tileUrl(path, params) {
  const p = new URLSearchParams(params);
  return new URL(`${path}?${p}`, window.location.href).href
    .replace('%7Bz%7D', '{z}').replace('%7Bx%7D', '{x}').replace('%7By%7D', '{y}');
}

/**
 * `map`: the MapLibre map; `ready()`: whether its style has loaded (the `load` event fired;
 * `isStyleLoaded` alone is false while tiles load). Every method waits for the style when called
 * before then.
 */
export function createWalkingLayers(map, { ready = () => false } = {}) {
  let isoService = 'elderly_care';
  let isoVersion = 0;
  const isoTiles = () => [tileUrl('/tiles/isochrones/{z}/{x}/{y}.mvt', { service: isoService, minutes: ISO_MINUTES.join(','), ...(isoVersion ? { v: String(isoVersion) } : {}) })];

  function whenStyle(fn) {
    if (ready() || map.isStyleLoaded()) fn(); else map.once('load', fn);
  }
  const before = (...ids) => ids.find((id) => map.getLayer(id));

  function ensure() {
    if (!map.getSource(ROUTES_SRC)) {
      map.addSource(ROUTES_SRC, { type: 'geojson', data: EMPTY });
      map.addSource(ROUTE_LABELS_SRC, { type: 'geojson', data: EMPTY });
      map.addSource(UNJOINED_SRC, { type: 'geojson', data: EMPTY });
    }
    if (!map.getLayer(LOST_LINE)) {
      map.addLayer({ id: LOST_LINE, type: 'line', source: 'atlas', 'source-layer': 'compounds', layout: { visibility: 'none', 'line-join': 'round' },
        filter: ['in', ['id'], ['literal', []]], paint: { 'line-color': LOST_COLOR, 'line-width': 3.5, 'line-dasharray': [2, 1] } }, before('selection-casing'));
      map.addLayer({ id: LOST_BUILDING_LINE, type: 'line', source: 'atlas', 'source-layer': 'buildings', layout: { visibility: 'none', 'line-join': 'round' },
        filter: lostBuildings([], 'Polygon'), paint: { 'line-color': LOST_COLOR, 'line-width': 3, 'line-dasharray': [2, 1] } }, before('selection-casing'));
      map.addLayer({ id: LOST_POINT, type: 'circle', source: 'atlas', 'source-layer': 'buildings', layout: { visibility: 'none' },
        filter: lostBuildings([], 'Point'),
        paint: { 'circle-radius': 8, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': LOST_COLOR, 'circle-stroke-width': 3 } }, before('selection-casing'));
    }
    if (!map.getLayer(UNJOINED_LAYER)) {
      map.addLayer({ id: UNJOINED_LAYER, type: 'circle', source: UNJOINED_SRC, layout: { visibility: 'none' },
        paint: { 'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 6, 16, 11], 'circle-color': 'rgba(213,0,0,0.12)', 'circle-stroke-color': '#d50000', 'circle-stroke-width': 2.5 } },
      before('selection-casing'));
    }
    if (!map.getLayer(ROUTES_LINE)) {
      const width = (chosen, other) => ['case', ['==', ['get', 'chosen'], true], chosen, other];
      map.addLayer({ id: ROUTES_CASING, type: 'line', source: ROUTES_SRC, layout: { visibility: 'none', 'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['case', ['==', ['get', 'chosen'], true], 1, 0] },
        paint: { 'line-color': '#ffffff', 'line-width': width(9, 6), 'line-opacity': 0.95 } }, before('labels-areas'));
      const color = ['match', ['get', 'service']];
      for (const [s, c] of Object.entries(SERVICE_COLORS)) color.push(s, c);
      color.push('#455a64');
      map.addLayer({ id: ROUTES_LINE, type: 'line', source: ROUTES_SRC, layout: { visibility: 'none', 'line-join': 'round', 'line-cap': 'round', 'line-sort-key': ['case', ['==', ['get', 'chosen'], true], 1, 0] },
        paint: { 'line-color': color, 'line-width': width(5, 2.5) } }, before('labels-areas'));
      map.addLayer({ id: ROUTES_END, type: 'circle', source: ROUTE_LABELS_SRC, layout: { visibility: 'none' },
        // Below zoom 15 only the chosen service's facility is marked, as it alone is labelled there.
        paint: { 'circle-radius': ['step', ['zoom'], ['case', ['==', ['get', 'chosen'], true], 5, 0], 15, 5], 'circle-color': '#ffffff',
          'circle-stroke-color': '#263238', 'circle-stroke-width': ['step', ['zoom'], ['case', ['==', ['get', 'chosen'], true], 2, 0], 15, 2] } });
      map.addLayer({ id: ROUTES_LABEL, type: 'symbol', source: ROUTE_LABELS_SRC, layout: {
        visibility: 'none',
        // Below zoom 15 only the chosen service's facility is labelled (the others crowd the view).
        'text-field': ['step', ['zoom'], ['case', ['==', ['get', 'chosen'], true], ['get', 'label'], ''], 15, ['get', 'label']], 'text-font': ['sans-serif'], 'text-size': 12, 'text-max-width': 12,
        'text-variable-anchor': ['left', 'right', 'top', 'bottom'], 'text-radial-offset': 0.9, 'text-justify': 'auto',
        'symbol-sort-key': ['case', ['==', ['get', 'chosen'], true], 0, 1],
      }, paint: { 'text-color': '#102027', 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 2 } });
    }
  }

  function ensureIso() {
    if (map.getSource(ISO_SRC)) return;
    map.addSource(ISO_SRC, { type: 'vector', tiles: isoTiles(), minzoom: 0, maxzoom: 16 });
    const color = ['match', ['to-number', ['get', 'minutes'], 0]];
    for (const [m, c] of Object.entries(ISO_COLORS)) color.push(Number(m), c);
    color.push('#6baed6');
    map.addLayer({ id: ISO_FILL, type: 'fill', source: ISO_SRC, 'source-layer': 'isochrones', layout: { visibility: 'none' },
      paint: { 'fill-color': color, 'fill-opacity': 0.2 } }, before('compounds-fill'));
    map.addLayer({ id: ISO_LINE, type: 'line', source: ISO_SRC, 'source-layer': 'isochrones', layout: { visibility: 'none', 'line-join': 'round' },
      paint: { 'line-color': color, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 1.2, 16, 2.5], 'line-opacity': 0.9 } }, before('buildings-cells', 'labels-areas'));
  }

  const show = (id, on) => { if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none'); };

  return {
    /** What is drawn: `{ coverage, iso, lost, routes }` (booleans). */
    setVisible({ coverage = false, iso = false, lost = false } = {}) {
      whenStyle(() => {
        ensure();
        if (iso) ensureIso();
        show(ISO_FILL, coverage && iso);
        show(ISO_LINE, coverage && iso);
        for (const id of [ROUTES_CASING, ROUTES_LINE, ROUTES_END, ROUTES_LABEL, UNJOINED_LAYER]) show(id, coverage);
        show(LOST_LINE, coverage && lost);
        show(LOST_POINT, coverage && lost);
        show(LOST_BUILDING_LINE, coverage && lost);
      });
    },
    /** The isochrones of `service` (tiles reloaded; `fresh`: the data changed). */
    setIsoService(service, fresh = false) {
      isoService = service;
      if (fresh) isoVersion += 1;
      whenStyle(() => { if (map.getSource(ISO_SRC)) map.getSource(ISO_SRC).setTiles(isoTiles()); });
    },
    /** A unit's routes (`/api/routes` features), the chosen `service` on top; `label(service, minutes)`. */
    setRoutes(features, service, label) {
      whenStyle(() => {
        ensure();
        map.getSource(ROUTES_SRC).setData({ type: 'FeatureCollection', features: routeFeatures(features, service) });
        map.getSource(ROUTE_LABELS_SRC).setData({ type: 'FeatureCollection', features: routeLabels(features, label, service) });
      });
    },
    /** The units outlined as losing coverage on foot: `[{ kind, id }]`. */
    setLost(rows) {
      whenStyle(() => {
        ensure();
        const compounds = rows.filter((r) => r.kind === 'compound').map((r) => r.id);
        const buildings = rows.filter((r) => r.kind !== 'compound').map((r) => r.id);
        map.setFilter(LOST_LINE, ['in', ['id'], ['literal', compounds]]);
        map.setFilter(LOST_POINT, lostBuildings(buildings, 'Point'));
        map.setFilter(LOST_BUILDING_LINE, lostBuildings(buildings, 'Polygon'));
      });
    },
    /** The units and facilities not joined to the ways (`/api/network`'s `unjoined`). */
    setUnjoined(list) {
      whenStyle(() => {
        ensure();
        map.getSource(UNJOINED_SRC).setData({ type: 'FeatureCollection', features: (list || []).map((u) => ({
          type: 'Feature', properties: { layer: u.layer, id: u.id, name: u.name ?? '' }, geometry: { type: 'Point', coordinates: u.at },
        })) });
      });
    },
  };
}
