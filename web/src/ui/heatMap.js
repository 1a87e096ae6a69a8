// The coverage heatmap on the map (覆盖分析): the heatmap tiles (`heatmap-fill`), the atlas
// stepped back while it is shown (../mapstyle.js MUTED_PAINT: greys and outlines, no competing
// oranges and reds; the layers' own paint back when the workspace is left), the facilities that
// count for the chosen service in blue, a hexagon's figures in a popup (on hover, and pinned on a
// click), and two radii side by side: a swipe line over the map, the cells of one radius clipped
// to its left and of the other to its right (../heat.js), the line dragged or moved with the
// arrow keys. What the figures say comes from the caller (`describe`).

import { Popup } from 'maplibre-gl';

import { el } from '../dom.js';
import { clipCells, facilityFilters, heatColor } from '../heat.js';
import { FACILITY_COLOR, MUTED_PAINT } from '../mapstyle.js';
import { t } from '../i18n.js';

export const HEAT_SRC = 'heatmap';
export const HEAT_LAYER = 'heatmap-fill';
export const COMPARE_LAYERS = { left: 'heat-compare-left', right: 'heat-compare-right' };
export const FACILITY_LAYERS = ['heat-facilities-area', 'heat-facilities-spaces', 'heat-facilities-stations'];
const EMPTY = { type: 'FeatureCollection', features: [] };
const SIDES = ['left', 'right'];

/**
 * `map`: the MapLibre map; `whenStyle(fn)`: runs `fn` once the style has loaded; `describe(props,
 * side)`: a hexagon's figures as DOM nodes (`side`: `left`/`right` while comparing, else null);
 * `tiles()`: the heatmap tiles' URLs to start with; `visibleWidth()`: the pixels of the map's width
 * not covered by a panel (the swipe line starts in their middle).
 */
export function createHeatMap(map, { whenStyle, describe, tiles, visibleWidth = () => map.getCanvas().clientWidth }) {
  let active = false; // the coverage workspace is shown
  let opacity = 0.75;
  let muted = null; // map layer → prop → the value before muting
  let compare = null; // { data: { left, right }, labels: { left, right } }
  let split = 0.5; // the swipe line, share of the map's width
  let frame = 0;
  let hover = null;
  let pinned = null;
  let divider = null;

  const before = (...ids) => ids.find((id) => map.getLayer(id));
  function ensure() {
    if (map.getSource(HEAT_SRC)) return;
    map.addSource(HEAT_SRC, { type: 'vector', tiles: tiles(), minzoom: 0, maxzoom: 16 });
    const paint = { 'fill-color': heatColor(), 'fill-opacity': opacity, 'fill-outline-color': 'rgba(120,60,0,0.25)' };
    map.addLayer({ id: HEAT_LAYER, type: 'fill', source: HEAT_SRC, 'source-layer': 'heatmap', layout: { visibility: 'none' }, paint }, before('compounds-fill'));
    for (const side of SIDES) {
      map.addSource(COMPARE_LAYERS[side], { type: 'geojson', data: EMPTY });
      map.addLayer({ id: COMPARE_LAYERS[side], type: 'fill', source: COMPARE_LAYERS[side], layout: { visibility: 'none' }, paint }, before('compounds-fill'));
    }
    const off = ['boolean', false];
    map.addLayer({ id: FACILITY_LAYERS[0], type: 'line', source: 'atlas', 'source-layer': 'service_spaces', filter: off, layout: { visibility: 'none' },
      paint: { 'line-color': FACILITY_COLOR, 'line-width': 2 } }, before('selection-casing'));
    for (const [id, layer] of [[FACILITY_LAYERS[1], 'service_spaces'], [FACILITY_LAYERS[2], 'stations']]) {
      map.addLayer({ id, type: 'circle', source: 'atlas', 'source-layer': layer, filter: off, layout: { visibility: 'none' },
        paint: { 'circle-color': FACILITY_COLOR, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 4, 16, 7],
          'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } }, before('selection-casing'));
    }
  }

  const show = (id, on) => { if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none'); };

  /** Steps the atlas back (on) or gives it its own paint again (off). */
  function mute(on) {
    if (on && !muted) {
      muted = {};
      for (const [id, props] of Object.entries(MUTED_PAINT)) {
        if (!map.getLayer(id)) continue;
        muted[id] = {};
        for (const [prop, value] of Object.entries(props)) {
          muted[id][prop] = map.getPaintProperty(id, prop);
          map.setPaintProperty(id, prop, value);
        }
      }
    } else if (!on && muted) {
      for (const [id, props] of Object.entries(muted)) {
        for (const [prop, value] of Object.entries(props)) if (map.getLayer(id)) map.setPaintProperty(id, prop, value ?? undefined);
      }
      muted = null;
    }
  }

  // ---- two radii side by side -------------------------------------------------------------------
  function splitX() {
    return map.getCanvas().clientWidth * split;
  }
  function drawCompare() {
    frame = 0;
    if (!compare || !active) return;
    const x = splitX();
    const project = (p) => { const q = map.project(p); return [q.x, q.y]; };
    const unproject = ([px, py]) => { const q = map.unproject([px, py]); return [q.lng, q.lat]; };
    for (const side of SIDES) map.getSource(COMPARE_LAYERS[side])?.setData(clipCells(compare.data[side], x, side, project, unproject));
    if (divider) {
      divider.style.left = `${x}px`;
      const handle = divider.querySelector('.heat-split-handle');
      handle.setAttribute('aria-valuenow', String(Math.round(split * 100)));
      handle.setAttribute('aria-valuetext', t('heat.split.valuetext', { left: compare.labels.left, right: compare.labels.right }));
    }
  }
  const schedule = () => { if (compare && active && !frame) frame = requestAnimationFrame(drawCompare); };
  map.on('move', schedule);
  map.on('resize', schedule);

  function moveSplit(to) {
    split = Math.min(0.95, Math.max(0.05, to));
    schedule();
  }
  function makeDivider() {
    const handle = el('div', {
      class: 'heat-split-handle', role: 'slider', tabindex: 0, 'aria-valuemin': 5, 'aria-valuemax': 95, 'aria-label': t('heat.split.label'),
      title: t('heat.split.label'),
      onkeydown: (e) => {
        const step = { ArrowLeft: -0.05, ArrowRight: 0.05, Home: -1, End: 1 }[e.key];
        if (step === undefined) return;
        e.preventDefault();
        moveSplit(split + step);
      },
      onpointerdown: (e) => {
        e.preventDefault();
        handle.setPointerCapture(e.pointerId);
        const box = map.getCanvas().getBoundingClientRect();
        const drag = (m) => moveSplit((m.clientX - box.left) / box.width);
        const stop = () => { handle.removeEventListener('pointermove', drag); handle.removeEventListener('pointerup', stop); handle.removeEventListener('pointercancel', stop); };
        handle.addEventListener('pointermove', drag);
        handle.addEventListener('pointerup', stop);
        handle.addEventListener('pointercancel', stop);
      },
    }, el('span', { 'aria-hidden': 'true' }, '⇔'));
    return el('div', { class: 'heat-split', id: 'heat-split' },
      el('span', { class: 'heat-split-label left', id: 'heat-split-left' }, compare.labels.left),
      el('span', { class: 'heat-split-label right', id: 'heat-split-right' }, compare.labels.right),
      handle);
  }

  /** Draws the state: the tiles or the two sides, the atlas stepped back, the facilities, the line. */
  function apply() {
    ensure();
    const comparing = active && Boolean(compare);
    show(HEAT_LAYER, active && !comparing);
    for (const side of SIDES) show(COMPARE_LAYERS[side], comparing);
    for (const id of FACILITY_LAYERS) show(id, active);
    for (const id of [HEAT_LAYER, ...SIDES.map((side) => COMPARE_LAYERS[side])]) map.setPaintProperty(id, 'fill-opacity', opacity);
    mute(active);
    if (!active) closePopups();
    divider?.remove();
    divider = null;
    if (comparing) {
      divider = makeDivider();
      map.getContainer().append(divider);
      drawCompare();
    } else {
      for (const side of SIDES) map.getSource(COMPARE_LAYERS[side])?.setData(EMPTY);
    }
  }

  /**
   * Two radii side by side (`{ data: { left, right }, labels: { left, right } }`: the heatmap
   * GeoJSON of each and their names), or one (null): the tiles again.
   */
  function setCompare(next) {
    if (next && !compare) split = Math.min(0.95, Math.max(0.05, visibleWidth() / 2 / Math.max(1, map.getCanvas().clientWidth)));
    compare = next;
    hover?.remove();
    hover = null;
    pinned?.remove();
    pinned = null;
    whenStyle(apply);
  }

  // ---- a hexagon's figures ---------------------------------------------------------------------
  /** The heatmap cell drawn at `point` (with households) and its side, or null. */
  function cellAt(point) {
    const ids = (compare ? SIDES.map((s) => COMPARE_LAYERS[s]) : [HEAT_LAYER]).filter((id) => map.getLayer(id) && map.getLayoutProperty(id, 'visibility') === 'visible');
    if (!ids.length) return null;
    const hit = map.queryRenderedFeatures(point, { layers: ids }).find((f) => Number(f.properties?.households) > 0);
    if (!hit) return null;
    const side = compare ? SIDES.find((s) => COMPARE_LAYERS[s] === hit.layer.id) : null;
    return { props: hit.properties, side };
  }
  function popupNode(cell, pinnedPopup) {
    return el('div', { class: 'heat-cell', id: pinnedPopup ? 'heat-cell' : 'heat-cell-hover', dataset: { cell: cell.props.cell ?? '' } }, describe(cell.props, cell.side));
  }
  /** Pins the figures of the hexagon at the click's point; false when there is none. */
  function pinAt(e) {
    const cell = cellAt(e.point);
    if (!cell) return false;
    hover?.remove();
    hover = null;
    pinned?.remove();
    pinned = new Popup({ className: 'heat-popup pinned', closeButton: true, closeOnClick: true, maxWidth: '280px', offset: 6 })
      .setLngLat(e.lngLat).setDOMContent(popupNode(cell, true)).addTo(map);
    return true;
  }
  map.on('mousemove', (e) => {
    if (!active || e.originalEvent?.buttons) { hover?.remove(); hover = null; return; }
    const cell = cellAt(e.point);
    if (!cell) { hover?.remove(); hover = null; return; }
    hover ??= new Popup({ className: 'heat-popup hover', closeButton: false, closeOnClick: false, maxWidth: '260px', offset: 14 });
    hover.setLngLat(e.lngLat).setDOMContent(popupNode(cell, false));
    if (!hover.isOpen()) hover.addTo(map);
  });
  map.getCanvas().addEventListener('mouseleave', () => { hover?.remove(); hover = null; });

  function closePopups() {
    hover?.remove();
    pinned?.remove();
    hover = null;
    pinned = null;
  }

  return {
    ensure,
    /** Shows the heatmap and steps the atlas back (coverage workspace), or the atlas as it was. */
    setActive(on) {
      active = on;
      whenStyle(apply);
    },
    /** The tiles of the heatmap shown (`urls`: the source's tile URLs). */
    setTiles(urls) {
      whenStyle(() => { ensure(); map.getSource(HEAT_SRC).setTiles(urls); });
    },
    /** The heatmap's opacity (fainter under isochrones). */
    setOpacity(value) {
      opacity = value;
      whenStyle(apply);
    },
    /** The facilities counting for a service standard (`/api/standards` `services[]`), drawn in blue. */
    setFacilities(std) {
      whenStyle(() => {
        ensure();
        const f = facilityFilters(std);
        map.setFilter(FACILITY_LAYERS[0], ['all', ['==', ['geometry-type'], 'Polygon'], f.spaces]);
        map.setFilter(FACILITY_LAYERS[1], ['all', ['==', ['geometry-type'], 'Point'], f.spaces]);
        map.setFilter(FACILITY_LAYERS[2], f.stations);
      });
    },
    setCompare,
    pinAt,
    closePopups,
    /** The swipe line's share of the map's width. */
    get split() { return split; },
    moveSplit,
  };
}
