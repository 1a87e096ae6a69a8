// The two analysis workspaces: 薄弱小区 (underserved compounds, `/api/underserved`) and 覆盖分析
// (coverage, `/api/coverage` + the heatmap tiles `/tiles/heatmap/{z}/{x}/{y}.mvt`), both measured
// by walking distance along the ways or by straight line (one switch, `metric=walk|straight`).
// Here: their state, their requests and the map around them — the listed compounds outlined, the
// heatmap with the atlas stepped back (./heatMap.js), the view zoomed to the data, two radii side
// by side, a row zooming to its area or compound, a clicked unit's reach of every service with
// its walking routes (`/api/coverage/units`, `/api/routes`), the units that lose coverage on foot
// and those not joined to the ways (`/api/network`). Their panels are drawn by
// ./underservedPanel.js and ./coveragePanel.js; distances in words come from ../walking.js.

import { fetchItem, geometryBbox } from '../api.js';
import { createAreas } from '../areas.js';
import { el } from '../dom.js';
import { enumLabel } from '../enums.js';
import { cellLines, cellsBbox, resolutionAt } from '../heat.js';
import { getJson } from '../http.js';
import { getLang, t } from '../i18n.js';
import { atlasLayerOf } from '../mapstyle.js';
import { WORST_FIRST } from '../coverageRows.js';
import { serviceStandard } from '../standards.js';
import { filterErrors, initialFilters, underservedUrl } from '../underserved.js';
import {
  METRICS, effectiveMetric, lostOnFoot, measuredOf, minutesFor, routesQuery, unitOfHit, walkingUsable,
} from '../walking.js';
import { createMeetingSection } from '../meeting/section.js';
import { renderCoveragePanel } from './coveragePanel.js';
import { createHeatMap, HEAT_LAYER, HEAT_SRC } from './heatMap.js';
import { renderUnderservedPanel } from './underservedPanel.js';
import { createWalkingLayers } from './walkingMap.js';

export const SERVICES = ['elderly_care', 'childcare', 'after_school', 'meal_help', 'housekeeping', 'health', 'fitness', 'culture', 'study', 'children_play'];
export const THRESHOLDS = [300, 500, 1000];
const HL_LAYER = 'underserved-highlight';
// Map layers a click in the coverage workspace may pick a unit (or a facility) from, top first.
const UNIT_HIT_LAYERS = ['stations', 'service-spaces', 'service-spaces-area', 'buildings-point', 'buildings-fill', 'compounds-fill'];
const FACILITY_LAYERS = ['stations', 'service_spaces'];

function unionBbox(a, b) {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

function download(url, name) {
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

export function createAnalysis({ map, fitTo, openFeature, setSelection = () => {}, layerTitle = (l) => l, app }) {
  const uState = { ...initialFilters(), rows: null, error: null, errors: {}, seq: 0, sort: WORST_FIRST.underserved };
  // `compare`: the second radius shown beside `threshold`, or null; `fit`: whether the view was
  // zoomed to the data on opening (pending, done, skipped).
  const cState = {
    service: 'elderly_care', threshold: 500, compare: null, level: 'community', areas: null, areasB: null, error: null, seq: 0,
    sort: { coverage: WORST_FIRST.coverage, governance: WORST_FIRST.governance }, heat: null, heatError: null, fit: 'none',
  };
  // Walking: the metric chosen (shared by both workspaces), what the server last said of its
  // measuring, the isochrone switch, the coverage view (areas | governance | lost), the chosen
  // unit with its reach and routes, the units losing coverage on foot, the network's unjoined features.
  const wState = {
    metric: 'walk', measured: null, iso: false, view: 'areas',
    unit: null, unitData: null, unitError: null, unitSeq: 0, routes: null, routesError: null,
    lost: null, lostKey: '', lostError: null, lostSeq: 0,
    network: null, networkError: null, networkSeq: 0,
  };
  app.underserved = uState;
  app.coverage = cState;
  app.walking = wState;
  const fills = {}; // the last drawn panel parts of each workspace, to fill again after a load
  const areas = createAreas();
  // The chosen area's prints and trend; the street of the table's first row until one is chosen.
  const meeting = createMeetingSection({
    areas,
    coverage: () => ({ service: cState.service, threshold: cState.threshold, metric: metric() }),
    fallback: () => {
      const code = cState.areas?.[0]?.code;
      return code ? { level: 'street', code: code.slice(0, 9) } : null;
    },
  });
  app.meeting = meeting;
  let standards = null;
  let standardsLoading = null;

  const metric = () => effectiveMetric(wState.metric, wState.measured);
  const usable = () => walkingUsable(wState.measured);
  const speed = () => measuredOf(wState.measured).speed;
  const shown = () => document.body.dataset.workspace;
  const svc = (s) => enumLabel('service_type', s, getLang());
  const fail = (e) => {
    if (e?.name === 'AbortError') return;
    app.errors.push(String(e));
  };
  function whenStyle(fn) {
    // `isStyleLoaded` is false while tiles load; after the `load` event the style is there.
    if (app.ready || map.isStyleLoaded()) fn(); else map.once('load', fn);
  }
  const walkLayers = createWalkingLayers(map, { ready: () => app.ready });
  const heat = createHeatMap(map, { whenStyle, describe: describeCell, tiles: heatTiles, visibleWidth });
  app.heat = heat;

  function noteMeasured(measured) {
    if (!measured) return;
    const before = walkingUsable(wState.measured);
    const first = !wState.measured;
    wState.measured = measured;
    if (first || before !== walkingUsable(measured)) {
      // The first answer, or walking came or went (an import of ways, or none): every panel part says so.
      fills.metric?.();
      fills.usMetric?.();
      fills.iso?.();
      fills.views?.();
      fills.unjoined?.();
      syncLayers();
    }
  }

  /** The standards in force (`/api/standards`), once: the tiers' and thresholds' explanations, the facilities that count. */
  function loadStandards() {
    standardsLoading ??= getJson('/api/standards').then((d) => {
      standards = d;
      heat.setFacilities(serviceStandard(standards, cState.service));
      fills.usRules?.();
      fills.standard?.();
      fills.underserved?.();
    }).catch((e) => {
      standardsLoading = null;
      fail(e);
    });
    return standardsLoading;
  }
  loadStandards();
  /** Names of the areas for the lists (drawn again once known). */
  const loadNames = () => areas.load().catch(fail);

  // ---- map layers -------------------------------------------------------------------------------
  /** The map's width left of the workspace panel floating over its right side (all of it on a phone). */
  function visibleWidth() {
    const c = map.getCanvas().getBoundingClientRect();
    const p = document.getElementById('workspace-panel')?.getBoundingClientRect();
    if (!p || !p.width || p.top > c.top + c.height / 2 || p.left <= c.left) return c.width;
    return Math.max(100, Math.min(c.width, p.left - c.left));
  }
  function tileUrl(path, params) {
    return new URL(`${path}?${new URLSearchParams(params)}`, window.location.href).href
      .replace('%7Bz%7D', '{z}').replace('%7Bx%7D', '{x}').replace('%7By%7D', '{y}');
  }
  function heatTiles() {
    return [tileUrl('/tiles/heatmap/{z}/{x}/{y}.mvt', { service: cState.service, threshold: String(cState.threshold), metric: metric() })];
  }
  function ensureHighlight() {
    if (map.getLayer(HL_LAYER)) return;
    const before = map.getLayer('selection-casing') ? 'selection-casing' : undefined;
    map.addLayer({ id: HL_LAYER, type: 'line', source: 'atlas', 'source-layer': 'compounds', layout: { visibility: 'none' },
      filter: ['in', ['id'], ['literal', []]], paint: { 'line-color': '#d500f9', 'line-width': 3 } }, before);
  }
  function syncLayers(ws = shown()) {
    const iso = wState.iso && usable();
    walkLayers.setVisible({ coverage: ws === 'coverage', iso, lost: wState.view === 'lost' && usable() });
    // The isochrones read through a fainter heatmap.
    heat.setOpacity(iso ? 0.3 : 0.75);
  }
  let lastWs = null;
  function setWorkspaceLayers(ws) {
    const entering = ws === 'coverage' && lastWs !== 'coverage';
    lastWs = ws;
    whenStyle(() => {
      ensureHighlight();
      map.setLayoutProperty(HL_LAYER, 'visibility', ws === 'underserved' ? 'visible' : 'none');
    });
    heat.setActive(ws === 'coverage');
    syncLayers(ws);
    if (ws === 'coverage') {
      loadStandards();
      if (entering) fitToData();
      loadCompare();
      if (!wState.network) loadNetwork();
    }
  }
  function updateHighlight(ids = (uState.rows || []).map((r) => r.compound_id)) {
    whenStyle(() => {
      ensureHighlight();
      map.setFilter(HL_LAYER, ['in', ['id'], ['literal', ids]]);
    });
  }
  function updateHeat() {
    heat.setTiles(heatTiles());
    heat.setFacilities(serviceStandard(standards, cState.service));
    loadCompare();
  }

  // ---- the heatmap as data: the view zoomed to it, two radii side by side ---------------------
  const heatData = new Map(); // URL → Promise of the GeoJSON
  function heatJson(threshold, resolution) {
    const p = new URLSearchParams({ service: cState.service, resolution: String(resolution), threshold: String(threshold), metric: metric() });
    const url = `/api/heatmap?${p}`;
    if (!heatData.has(url)) {
      const req = getJson(url);
      req.catch(() => heatData.delete(url));
      heatData.set(url, req);
    }
    return heatData.get(url);
  }
  const camera = () => ({ c: map.getCenter(), z: map.getZoom() });
  const sameCamera = (a, b) => Math.abs(a.z - b.z) < 1e-6 && Math.abs(a.c.lng - b.c.lng) < 1e-9 && Math.abs(a.c.lat - b.c.lat) < 1e-9;
  /** On opening the workspace: the view fitted to the hexagons with households, unless the map was moved meanwhile. */
  async function fitToData() {
    const at = camera();
    cState.fit = 'pending';
    let bbox = null;
    try {
      bbox = cellsBbox(await heatJson(cState.threshold, 9));
    } catch (e) {
      fail(e);
    }
    if (!bbox || shown() !== 'coverage' || !sameCamera(at, camera())) {
      cState.fit = 'skipped';
      return;
    }
    let done = false;
    const finish = () => { if (!done) { done = true; cState.fit = 'done'; } };
    map.once('moveend', finish);
    setTimeout(finish, 2000);
    fitTo(bbox, 16);
  }
  let compareKey = '';
  /** The cells of both radii at the zoom's resolution, for the swipe (or none when one radius is shown). */
  async function loadCompare() {
    if (!cState.compare || shown() !== 'coverage') {
      compareKey = '';
      cState.heat = null;
      heat.setCompare(null);
      return;
    }
    const res = resolutionAt(map.getZoom());
    const key = `${cState.service}:${cState.threshold}:${cState.compare}:${metric()}:${res}`;
    if (key === compareKey && cState.heat) {
      heat.setCompare(compareView());
      return;
    }
    compareKey = key;
    try {
      const [left, right] = await Promise.all([heatJson(cState.threshold, res), heatJson(cState.compare, res)]);
      if (key !== compareKey) return;
      cState.heat = { left, right, resolution: res };
      cState.heatError = null;
      heat.setCompare(compareView());
    } catch (e) {
      if (key !== compareKey) return;
      cState.heatError = e;
      fail(e);
    }
    fills.legend?.();
  }
  const compareView = () => ({
    data: { left: cState.heat.left, right: cState.heat.right },
    labels: { left: t('heat.side', { m: cState.threshold }), right: t('heat.side', { m: cState.compare }) },
  });
  map.on('zoomend', () => {
    if (cState.compare && cState.heat && shown() === 'coverage' && resolutionAt(map.getZoom()) !== cState.heat.resolution) loadCompare();
  });
  /** The second radius shown beside the first (null: one radius). */
  function setCompare(b) {
    cState.compare = b;
    cState.areasB = null;
    loadCompare();
    loadCoverage(fills.coverage);
  }

  /** A hexagon's figures (`props` of the cell; `side`: left/right while comparing). */
  function describeCell(props, side) {
    const threshold = side === 'right' ? cState.compare : cState.threshold;
    const words = { metric: t(`heat.metric.${metric()}`) };
    const lines = cellLines(props, { threshold, metric: metric(), minutes: (d) => minutesFor(d, speed()) }, t);
    const kids = [el('div', { class: 'heat-cell-title' }, t('heat.cell.title', { svc: svc(cState.service), m: threshold, ...words })),
      ...lines.map((l, i) => el('div', { class: i === 1 ? 'heat-cell-main' : '' }, l))];
    if (side && cState.heat) {
      const other = side === 'right' ? 'left' : 'right';
      const twin = cState.heat[other]?.features?.find((f) => f.properties?.cell === props.cell);
      if (twin) {
        kids.push(el('div', { class: 'muted' }, t('heat.cell.other', {
          m: other === 'right' ? cState.compare : cState.threshold, n: Math.round(Number(twin.properties.households_uncovered) || 0), ...words,
        })));
      }
    }
    return kids;
  }

  // ---- 距离计算: the walking / straight-line switch (both workspaces) ----------------------------
  function metricSwitch(onPick) {
    const box = el('div', { class: 'metric-box' });
    function draw() {
      const walkOk = usable();
      const on = metric();
      const buttons = METRICS.map((mt) => el('button', {
        type: 'button', role: 'radio', class: `metric-opt${mt === on ? ' on' : ''}`, dataset: { metric: mt },
        'aria-checked': String(mt === on), disabled: mt === 'walk' && !walkOk, title: t(`walk.metric.${mt}.title`),
        onclick: () => { if (mt !== metric()) onPick(mt); },
      }, t(`walk.metric.${mt}`)));
      const ms = measuredOf(wState.measured);
      let note = null;
      if (!walkOk) note = el('p', { class: 'metric-note unavailable', id: 'walk-unavailable' }, t('walk.unavailable'));
      else if (wState.measured) {
        note = el('p', { class: 'metric-note' }, on === 'walk'
          ? t('walk.measured.walk', { speed: ms.speed, perMin: Math.round(ms.speed * 60) })
          : t('walk.measured.straight'));
      }
      box.replaceChildren(el('div', { class: 'metric-row' }, el('span', { class: 'metric-label' }, t('walk.metric')),
        el('div', { class: 'metric-switch', role: 'radiogroup', 'aria-label': t('walk.metric') }, buttons)), ...(note ? [note] : []));
    }
    draw();
    return { box, draw };
  }
  /** The metric changed: the shown workspace loads again, the other when next shown. */
  function pickMetric(mt) {
    wState.metric = mt;
    uState.rows = null;
    cState.areas = null;
    cState.areasB = null;
    wState.unitData = null;
    fills.metric?.();
    fills.usMetric?.();
    updateHeat();
    if (shown() === 'underserved') loadUnderserved();
    if (shown() === 'coverage') {
      fills.coverage?.();
      loadCoverage(fills.coverage);
      if (wState.unit) loadUnit();
    }
  }

  // ---- 薄弱小区 ----------------------------------------------------------------------------------
  async function loadUnderserved() {
    // Filters that need correcting are not sent (the panel says why beside them).
    if (Object.keys(filterErrors(uState)).length) return;
    const seq = ++uState.seq;
    try {
      const d = await getJson(underservedUrl(uState, metric()));
      if (seq !== uState.seq) return;
      uState.rows = d.rows; uState.error = null;
      noteMeasured(d.measured);
    } catch (e) {
      if (seq !== uState.seq) return;
      uState.rows = null; uState.error = e;
      fail(e);
    }
    updateHighlight();
    await loadNames();
    if (seq === uState.seq) fills.underserved?.();
  }
  async function zoomToCompound(id) {
    try {
      const f = await fetchItem('compounds', id);
      fitTo(geometryBbox(f.geometry), 17);
      openFeature('compounds', id);
    } catch (e) {
      fail(e);
    }
  }
  function renderUnderserved(body) {
    const fill = renderUnderservedPanel(body, {
      uState, metric, usable, speed, svc, areas, standards: () => standards, thresholds: THRESHOLDS, metricSwitch, pickMetric, fills,
      load: loadUnderserved, highlight: updateHighlight, zoomToCompound, zoomToArea, download,
      csvUrl: () => underservedUrl(uState, metric(), 'csv'),
    });
    fills.underserved = fill;
    return fill;
  }

  // ---- 覆盖分析 ----------------------------------------------------------------------------------
  function cUrl(threshold) {
    const p = new URLSearchParams({ level: cState.level, service: cState.service, threshold: String(threshold), metric: metric() });
    return `/api/coverage?${p}`;
  }
  async function loadCoverage(rerender) {
    const seq = ++cState.seq;
    try {
      const [d, b] = await Promise.all([getJson(cUrl(cState.threshold)), cState.compare ? getJson(cUrl(cState.compare)) : null]);
      if (seq !== cState.seq) return;
      cState.areas = d.areas; cState.areasB = b?.areas ?? null; cState.error = null;
      noteMeasured(d.measured);
    } catch (e) {
      if (seq !== cState.seq) return;
      cState.areas = []; cState.areasB = null; cState.error = e;
      fail(e);
    }
    rerender?.();
  }
  /** A table row chosen: the map fits the street, community or grid and outlines it. */
  async function zoomToArea(level, code) {
    meeting.setFocus(level, code);
    try {
      const f = await areas.outline(level, code);
      if (!f) return;
      fitTo(geometryBbox(f.geometry), 16);
      setSelection(f);
    } catch (e) {
      fail(e);
    }
  }

  // The chosen unit: its reach of every service (from its community's units) and its routes.
  function unitsUrl(params) {
    const p = new URLSearchParams({ service: cState.service, threshold: String(cState.threshold), metric: metric(), ...params });
    return `/api/coverage/units?${p}`;
  }
  async function loadUnit() {
    const unit = wState.unit;
    if (!unit) return;
    const seq = ++wState.unitSeq;
    wState.unitData = null; wState.unitError = null;
    fills.unit?.();
    try {
      const d = await getJson(unitsUrl({ unit: `${unit.kind === 'compound' ? 'compound' : 'building'}:${unit.id}` }));
      if (seq !== wState.unitSeq) return;
      noteMeasured(d.measured);
      wState.unitData = (d.units || []).find((u) => u.kind === unit.kind && u.id === unit.id) || false;
      if (wState.unitData && !unit.community_code) unit.community_code = wState.unitData.community_code;
    } catch (e) {
      if (seq !== wState.unitSeq) return;
      wState.unitError = e;
      fail(e);
    }
    loadNames().then(() => fills.unit?.());
    fills.unit?.();
  }
  const routeLabel = (s, min) => t('walk.route.label', { svc: svc(s), min });
  async function loadRoutes() {
    const unit = wState.unit;
    wState.routes = null; wState.routesError = null;
    walkLayers.setRoutes([], cState.service, routeLabel);
    if (!unit || !usable()) return;
    const seq = wState.unitSeq;
    try {
      const d = await getJson(`/api/routes?${routesQuery(unit)}`);
      if (unit !== wState.unit) return;
      wState.routes = d.features || [];
    } catch (e) {
      if (unit !== wState.unit || seq !== wState.unitSeq) return;
      wState.routesError = e;
      wState.routes = [];
      fail(e);
    }
    walkLayers.setRoutes(wState.routes, cState.service, routeLabel);
    fills.unit?.();
  }
  /** Chooses a unit (`{ kind, id, layer, community_code? }`): its reach, routes and outline; `zoom`: fit the map to it. */
  async function selectUnit(unit, { zoom = false } = {}) {
    wState.unit = { ...unit };
    const mine = wState.unit;
    heat.closePopups();
    loadUnit();
    const routed = loadRoutes();
    try {
      const f = await fetchItem(unit.layer, unit.id);
      if (wState.unit !== mine) return;
      mine.name = f.properties?.name ?? null;
      setSelection(f);
      fills.unit?.();
      if (zoom) {
        // The unit and its route to the chosen service's nearest facility, both in view.
        await routed;
        if (wState.unit !== mine) return;
        const route = (wState.routes || []).find((r) => r.properties?.service === cState.service);
        fitTo(unionBbox(geometryBbox(f.geometry), route ? geometryBbox(route.geometry) : null), 17);
      }
    } catch (e) {
      fail(e);
    }
  }
  function clearUnit() {
    wState.unit = null; wState.unitData = null; wState.routes = null;
    wState.unitSeq += 1;
    walkLayers.setRoutes([], cState.service, routeLabel);
    setSelection(null);
    fills.unit?.();
  }
  app.selectUnit = selectUnit;

  // The units losing coverage of the chosen service on foot.
  async function loadLost() {
    if (!usable()) return;
    const key = `${cState.service}:${cState.threshold}`;
    if (wState.lost && wState.lostKey === key) return;
    const seq = ++wState.lostSeq;
    wState.lost = null; wState.lostError = null;
    fills.views?.();
    try {
      // Only those units come back (the server filters), not the whole district's.
      const d = await getJson(unitsUrl({ metric: 'walk', lost_on_foot: 'true' }));
      if (seq !== wState.lostSeq) return;
      noteMeasured(d.measured);
      wState.lost = lostOnFoot(d.units, cState.service);
      wState.lostKey = key;
    } catch (e) {
      if (seq !== wState.lostSeq) return;
      wState.lost = []; wState.lostError = e;
      fail(e);
    }
    walkLayers.setLost(wState.lost);
    await loadNames();
    fills.views?.();
  }

  async function loadNetwork() {
    const seq = ++wState.networkSeq;
    try {
      const d = await getJson('/api/network');
      if (seq !== wState.networkSeq) return;
      noteMeasured(d.measured);
      wState.network = { joinLimit: d.join_limit_m, unjoined: d.unjoined || [] };
      wState.networkError = null;
      walkLayers.setUnjoined(wState.network.unjoined);
    } catch (e) {
      if (seq !== wState.networkSeq) return;
      wState.networkError = e;
      fail(e);
    }
    await loadNames();
    fills.unjoined?.();
  }

  /**
   * A click on the map in the coverage workspace: a compound or scattered building becomes the
   * chosen unit; elsewhere the hexagon under it shows its figures. A facility (or another
   * feature) is left to the map (its panel).
   */
  function handleClick(e) {
    if (shown() !== 'coverage') return false;
    const pad = 3;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const hits = map.queryRenderedFeatures(box, { layers: UNIT_HIT_LAYERS.filter((id) => map.getLayer(id)) });
    if (!hits.length) return heat.pinAt(e);
    if (FACILITY_LAYERS.includes(atlasLayerOf(hits[0].layer.id))) return false;
    for (const hit of hits) {
      const unit = unitOfHit(atlasLayerOf(hit.layer.id), hit.properties, hit.id);
      if (!unit) continue;
      selectUnit({ ...unit, community_code: hit.properties?.community_code || null });
      fills.scrollUnit?.();
      return true;
    }
    return false;
  }

  function renderCoverage(body) {
    loadStandards();
    loadNames().then(() => fills.views?.());
    const fillAll = renderCoveragePanel(body, {
      map, cState, wState, metric, usable, speed, svc, areas, standards: () => standards, services: SERVICES, thresholds: THRESHOLDS,
      fills, metricSwitch, pickMetric, walkLayers, syncLayers, updateHeat, setCompare, loadCoverage, loadUnit, loadLost, loadRoutes,
      routeLabel, selectUnit, clearUnit, openFeature, fitTo, layerTitle, zoomToArea, download, meeting,
    });
    fills.coverage = fillAll;
    if (!cState.areas) loadCoverage(fillAll);
    if (wState.view === 'lost') loadLost();
    if (wState.unit && !wState.unitData) loadUnit();
    if (shown() === 'coverage') loadCompare();
    return fillAll;
  }

  // ---- after an edit ----------------------------------------------------------------------------
  /** The data changed (a feature was saved or deleted): the analyses, the heatmap and the walking layers are loaded again, the shown ones at once. */
  function reload() {
    uState.rows = null;
    cState.areas = null;
    cState.areasB = null;
    cState.heat = null;
    compareKey = '';
    heatData.clear();
    wState.lost = null;
    wState.network = null;
    areas.clear();
    if (map.getSource(HEAT_SRC)) updateHeat();
    walkLayers.setIsoService(cState.service, true);
    const ws = shown();
    if (ws === 'underserved') loadUnderserved();
    if (ws === 'coverage') {
      meeting.refresh({ reload: true });
      loadCoverage(fills.coverage);
      loadNetwork();
      if (wState.view === 'lost') loadLost();
      if (wState.unit) { loadUnit(); loadRoutes(); }
    }
  }

  return { renderUnderserved, renderCoverage, setWorkspaceLayers, reload, handleClick, selectUnit, heat, HEAT_LAYER, HL_LAYER };
}
