// The grid-work layers on the map: the worker's grid outlined, its compounds and buildings tinted
// by how long since their last visit, the chosen unit outlined, the open needs as dots, and the
// worker's position (a blue dot in its accuracy circle); and what a tap on the map hits.

const SRC_GRIDS = 'gw-grids';
const SRC_UNITS = 'gw-units';
const SRC_NEEDS = 'gw-needs';
const SRC_ME = 'gw-me';

/** The colour of each staleness (../gridwork/model.js `staleness`), shared with the panel's legend. */
export const STALENESS_COLORS = { never: '#7b1fa2', overdue: '#d32f2f', due: '#f9a825', recent: '#2e7d32' };
export const NEED_COLOR = '#e65100';

const LAYERS = [
  'gw-grid-casing', 'gw-grid-line', 'gw-units-compound-fill', 'gw-units-building-fill', 'gw-units-point',
  'gw-units-line', 'gw-unit-selected', 'gw-needs', 'gw-me-accuracy', 'gw-me',
];
/** Layers a tap answers, topmost first. */
const TAPPED = ['gw-needs', 'gw-units-point', 'gw-units-building-fill', 'gw-units-compound-fill'];

const EMPTY = { type: 'FeatureCollection', features: [] };
const staleColor = ['match', ['get', 'staleness'], ...Object.entries(STALENESS_COLORS).flat(), '#90a4ae'];

/** Metres per pixel at zoom 0 on the equator, for the accuracy circle's radius. */
const EQUATOR_M_PER_PX = 156543.03392;

/**
 * `map`: the MapLibre map; `ready()`: whether its style has loaded. Data given before then is
 * drawn once it has.
 */
export function createGridworkMap(map, { ready }) {
  let visible = false;
  let data = { grids: [], units: [], needs: [], position: null, selected: null };

  function install() {
    if (map.getSource(SRC_UNITS)) return;
    for (const id of [SRC_GRIDS, SRC_UNITS, SRC_NEEDS, SRC_ME]) map.addSource(id, { type: 'geojson', data: EMPTY });
    const layout = { visibility: 'none' };
    const isType = (t) => ['==', ['geometry-type'], t];
    const ofLayer = (l) => ['==', ['get', 'layer'], l];
    map.addLayer({ id: 'gw-grid-casing', type: 'line', source: SRC_GRIDS, layout: { ...layout, 'line-join': 'round' }, paint: { 'line-color': '#fff', 'line-width': 7, 'line-opacity': 0.85 } });
    map.addLayer({ id: 'gw-grid-line', type: 'line', source: SRC_GRIDS, layout: { ...layout, 'line-join': 'round' }, paint: { 'line-color': '#00838f', 'line-width': 3.5 } });
    map.addLayer({ id: 'gw-units-compound-fill', type: 'fill', source: SRC_UNITS, layout, filter: ['all', ofLayer('compounds'), ['!', isType('Point')]], paint: { 'fill-color': staleColor, 'fill-opacity': 0.22 } });
    map.addLayer({ id: 'gw-units-building-fill', type: 'fill', source: SRC_UNITS, layout, filter: ['all', ofLayer('buildings'), ['!', isType('Point')]], paint: { 'fill-color': staleColor, 'fill-opacity': 0.6 } });
    map.addLayer({ id: 'gw-units-point', type: 'circle', source: SRC_UNITS, layout, filter: isType('Point'), paint: { 'circle-color': staleColor, 'circle-radius': 6, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } });
    map.addLayer({ id: 'gw-units-line', type: 'line', source: SRC_UNITS, layout, filter: ['!', isType('Point')], paint: { 'line-color': staleColor, 'line-width': ['case', ofLayer('compounds'), 2, 1] } });
    map.addLayer({ id: 'gw-unit-selected', type: 'line', source: SRC_UNITS, layout: { ...layout, 'line-join': 'round' }, filter: ['==', ['get', 'key'], ''], paint: { 'line-color': '#0d47a1', 'line-width': 4 } });
    map.addLayer({ id: 'gw-needs', type: 'circle', source: SRC_NEEDS, layout, paint: { 'circle-color': NEED_COLOR, 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2.5 } });
    map.addLayer({ id: 'gw-me-accuracy', type: 'circle', source: SRC_ME, layout, paint: { 'circle-color': '#1e88e5', 'circle-opacity': 0.15, 'circle-stroke-color': '#1e88e5', 'circle-stroke-width': 1, 'circle-stroke-opacity': 0.5, 'circle-radius': ['get', 'r0'] } });
    map.addLayer({ id: 'gw-me', type: 'circle', source: SRC_ME, layout, paint: { 'circle-color': '#1e88e5', 'circle-radius': 8, 'circle-stroke-color': '#fff', 'circle-stroke-width': 3 } });
  }

  function draw() {
    if (!ready()) return;
    install();
    const { grids, units, needs, position, selected } = data;
    map.getSource(SRC_GRIDS).setData({ type: 'FeatureCollection', features: grids.filter((g) => g.geometry).map((g) => ({ type: 'Feature', geometry: g.geometry, properties: { code: g.code } })) });
    map.getSource(SRC_UNITS).setData({ type: 'FeatureCollection', features: units.filter((u) => u.geometry).map((u) => ({ type: 'Feature', geometry: u.geometry, properties: { key: u.key, layer: u.layer, staleness: u.staleness } })) });
    map.getSource(SRC_NEEDS).setData({ type: 'FeatureCollection', features: needs.map((n) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: n.at }, properties: { id: n.id } })) });
    map.getSource(SRC_ME).setData({ type: 'FeatureCollection', features: position ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: [position.lon, position.lat] }, properties: {} }] : [] });
    map.setFilter('gw-unit-selected', ['==', ['get', 'key'], selected || '']);
    // The accuracy circle: its radius in pixels doubles with each zoom level.
    const r0 = position?.accuracy ? position.accuracy / (EQUATOR_M_PER_PX * Math.cos((position.lat * Math.PI) / 180)) : 0;
    map.setPaintProperty('gw-me-accuracy', 'circle-radius', ['interpolate', ['exponential', 2], ['zoom'], 0, r0, 24, r0 * 2 ** 24]);
    for (const id of LAYERS) map.setLayoutProperty(id, 'visibility', visible ? 'visible' : 'none');
  }

  map.once('load', draw);

  return {
    /** Shows or hides every grid-work layer. */
    setVisible(on) {
      visible = on;
      draw();
    },
    /** Draws `{ grids, units, needs, position: { lon, lat, accuracy } | null, selected: unit key | null }` (each part optional). */
    update(next) {
      data = { ...data, ...next };
      draw();
    },
    /** What a tap at `point` (map pixels) hits: `{ need: id }`, `{ unit: key }` or null. */
    hit(point) {
      if (!visible || !ready() || !map.getLayer('gw-needs')) return null;
      const pad = 6;
      const box = [[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]];
      const hits = map.queryRenderedFeatures(box, { layers: TAPPED });
      const need = hits.find((h) => h.layer.id === 'gw-needs');
      if (need) return { need: need.properties.id };
      // The smallest unit under the finger: a building before its compound.
      const unit = hits.find((h) => h.properties.layer === 'buildings') || hits[0];
      return unit ? { unit: unit.properties.key } : null;
    },
  };
}
