// The two analysis workspaces: 薄弱小区 (underserved compounds, `/api/underserved`) and 覆盖分析
// (coverage, `/api/coverage` + the heatmap tiles `/tiles/heatmap/{z}/{x}/{y}.mvt`), both measured
// by walking distance along the ways or by straight line (one switch, `metric=walk|straight`).
// The coverage workspace also draws walking isochrones, a clicked unit's reach of every service
// with its walking routes (`/api/coverage/units`, `/api/routes`), the units that lose coverage on
// foot (步行后失去覆盖) and those not joined to the ways (`/api/network`). What is said about
// distances comes from ../walking.js, the walking map layers from ./walkingMap.js.

import { fetchItem, geometryBbox } from '../api.js';
import { csvCell } from '../csv.js';
import { getJson } from '../http.js';
import { enumLabel } from '../enums.js';
import { getLang, t } from '../i18n.js';
import {
  ISO_MINUTES, METRICS, effectiveMetric, errorText, householdsOf, isoLegend, lostOnFoot, measuredOf, minutesFor,
  reachParts, reachText, routesQuery, unitOfHit, unjoinedSummary, walkingUsable,
} from '../walking.js';
import { atlasLayerOf } from '../mapstyle.js';
import { createWalkingLayers } from './walkingMap.js';

export const SERVICES = ['elderly_care', 'childcare', 'after_school', 'meal_help', 'housekeeping', 'health', 'fitness', 'culture', 'study', 'children_play'];
export const THRESHOLDS = [300, 500, 1000];
const HEAT_SRC = 'heatmap';
const HEAT_LAYER = 'heatmap-fill';
const HL_LAYER = 'underserved-highlight';
// households_uncovered → colour (legend uses the same steps).
export const HEAT_STEPS = [[1, '#fee8c8'], [10, '#fdbb84'], [30, '#fc8d59'], [60, '#e34a33'], [120, '#b30000']];
// Map layers a click in the coverage workspace may pick a unit (or a facility) from, top first.
const UNIT_HIT_LAYERS = ['stations', 'service-spaces', 'service-spaces-area', 'buildings-point', 'buildings-fill', 'compounds-fill'];
const FACILITY_LAYERS = ['stations', 'service_spaces'];

const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'checked' || k === 'disabled') e[k] = Boolean(v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter((x) => x !== null && x !== undefined && x !== false));
  return e;
};
const svc = (s) => enumLabel('service_type', s, getLang());
const m = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);
const pct = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(1)}%`);

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
  const uState = { three_no_only: true, any_flag_missing: false, build_year_min: '', build_year_max: '', min_elderly: '', out_of_reach: [], out_of_reach_threshold: 500, rows: null, error: null, seq: 0 };
  const cState = { service: 'elderly_care', threshold: 500, level: 'community', areas: null, error: null, seq: 0 };
  // Walking: the metric chosen (shared by both workspaces), what the server last said of its
  // measuring, the isochrone switch, the coverage view (areas | lost), the chosen unit with its
  // reach and routes, the units losing coverage on foot, and the network's unjoined features.
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
  const walkLayers = createWalkingLayers(map, { ready: () => app.ready });
  const names = new Map(); // community code → name
  let namesLoading = null;

  const metric = () => effectiveMetric(wState.metric, wState.measured);
  const usable = () => walkingUsable(wState.measured);
  const speed = () => measuredOf(wState.measured).speed;
  const shown = () => document.body.dataset.workspace;
  const fail = (e) => {
    if (e?.name === 'AbortError') return;
    app.errors.push(String(e));
  };
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

  function loadNames() {
    namesLoading ??= getJson('/api/coverage?level=community&metric=straight')
      .then((d) => { for (const a of d.areas || []) names.set(a.code, a.name); })
      .catch((e) => { namesLoading = null; fail(e); });
    return namesLoading;
  }
  const communityName = (code) => names.get(code) || code;

  // ---- map layers -------------------------------------------------------------------------------
  function heatTiles() {
    const p = new URLSearchParams({ service: cState.service, threshold: String(cState.threshold), metric: metric() });
    return [new URL(`/tiles/heatmap/{z}/{x}/{y}.mvt?${p}`, window.location.href).href.replace('%7Bz%7D', '{z}').replace('%7Bx%7D', '{x}').replace('%7By%7D', '{y}')];
  }
  function ensureLayers() {
    if (!map.getSource(HEAT_SRC)) {
      map.addSource(HEAT_SRC, { type: 'vector', tiles: heatTiles(), minzoom: 0, maxzoom: 16 });
      const color = ['step', ['get', 'households_uncovered'], 'rgba(0,0,0,0)'];
      for (const [v, c] of HEAT_STEPS) color.push(v, c);
      const before = map.getLayer('compounds-fill') ? 'compounds-fill' : undefined;
      map.addLayer({ id: HEAT_LAYER, type: 'fill', source: HEAT_SRC, 'source-layer': 'heatmap', layout: { visibility: 'none' },
        paint: { 'fill-color': color, 'fill-opacity': 0.7, 'fill-outline-color': 'rgba(120,60,0,0.25)' } }, before);
    }
    if (!map.getLayer(HL_LAYER)) {
      const before = map.getLayer('selection-casing') ? 'selection-casing' : undefined;
      map.addLayer({ id: HL_LAYER, type: 'line', source: 'atlas', 'source-layer': 'compounds', layout: { visibility: 'none' },
        filter: ['in', ['id'], ['literal', []]], paint: { 'line-color': '#d500f9', 'line-width': 3 } }, before);
    }
  }
  function whenStyle(fn) {
    // `isStyleLoaded` is false while tiles load; after the `load` event the style is there.
    if (app.ready || map.isStyleLoaded()) fn(); else map.once('load', fn);
  }
  function syncLayers(ws = shown()) {
    const iso = wState.iso && usable();
    walkLayers.setVisible({ coverage: ws === 'coverage', iso, lost: wState.view === 'lost' && usable() });
    // The isochrones read through a fainter heatmap.
    whenStyle(() => { if (map.getLayer(HEAT_LAYER)) map.setPaintProperty(HEAT_LAYER, 'fill-opacity', iso ? 0.3 : 0.7); });
  }
  function setWorkspaceLayers(ws) {
    whenStyle(() => {
      ensureLayers();
      map.setLayoutProperty(HEAT_LAYER, 'visibility', ws === 'coverage' ? 'visible' : 'none');
      map.setLayoutProperty(HL_LAYER, 'visibility', ws === 'underserved' ? 'visible' : 'none');
    });
    syncLayers(ws);
    if (ws === 'coverage' && !wState.network) loadNetwork();
  }
  function updateHighlight() {
    whenStyle(() => {
      ensureLayers();
      const ids = (uState.rows || []).map((r) => r.compound_id);
      map.setFilter(HL_LAYER, ['in', ['id'], ['literal', ids]]);
    });
  }
  function updateHeat() {
    whenStyle(() => {
      ensureLayers();
      map.getSource(HEAT_SRC).setTiles(heatTiles());
    });
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
    wState.unitData = null;
    fills.metric?.();
    fills.usMetric?.();
    updateHeat();
    if (shown() === 'underserved') loadUnderserved(fills.underserved);
    if (shown() === 'coverage') {
      fills.coverage?.();
      loadCoverage(fills.coverage);
      if (wState.unit) loadUnit();
    }
  }

  // ---- 薄弱小区 ----------------------------------------------------------------------------------
  function uQuery(format) {
    const p = new URLSearchParams({ three_no_only: String(uState.three_no_only) });
    if (uState.any_flag_missing) p.set('any_flag_missing', 'true');
    if (uState.build_year_min) p.set('build_year_min', uState.build_year_min);
    if (uState.build_year_max) p.set('build_year_max', uState.build_year_max);
    if (uState.min_elderly) p.set('min_elderly', uState.min_elderly);
    if (uState.out_of_reach.length) {
      p.set('out_of_reach', uState.out_of_reach.join(','));
      p.set('out_of_reach_threshold', String(uState.out_of_reach_threshold));
    }
    p.set('metric', metric());
    if (format) p.set('format', format);
    return `/api/underserved?${p}`;
  }
  async function loadUnderserved(rerender) {
    const seq = ++uState.seq;
    uState.loading = true;
    try {
      const d = await getJson(uQuery());
      if (seq !== uState.seq) return;
      uState.rows = d.rows; uState.error = null;
      noteMeasured(d.measured);
    } catch (e) {
      if (seq !== uState.seq) return;
      uState.rows = []; uState.error = e;
      fail(e);
    }
    uState.loading = false;
    updateHighlight();
    rerender?.();
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

  /** An underserved row's services that lose coverage on foot, in words (or null). */
  function lostNote(r) {
    if (!usable()) return null;
    const lost = (r.services || []).filter((s) => s.priority && typeof s.straight_m === 'number' && s.straight_m <= s.threshold_m
      && (s.walk_m === null || s.walk_m === undefined || s.walk_m > s.threshold_m));
    if (!lost.length) return null;
    const opts = { metric: 'walk', speed: speed(), walkingAvailable: true };
    return el('div', { class: 'us-lost' }, el('b', {}, t('us.lost')),
      lost.map((s) => t('us.lost.item', { svc: svc(s.service), text: reachText(s, opts, t) })).join(getLang() === 'zh' ? '；' : '; '));
  }

  function renderUnderserved(body) {
    const check = (key, label) => el('label', { class: 'chk' },
      el('input', { type: 'checkbox', 'data-filter': key, checked: uState[key], onchange: (e) => { uState[key] = e.target.checked; refresh(); } }), label);
    const num = (key, label, ph) => el('label', { class: 'numf' }, label,
      el('input', { type: 'number', 'data-filter': key, value: uState[key], placeholder: ph, onchange: (e) => { uState[key] = e.target.value.trim(); refresh(); } }));
    const reach = el('div', { class: 'reach' },
      ...['elderly_care', 'meal_help', 'childcare', 'health'].map((s) => el('label', { class: 'chk' },
        el('input', { type: 'checkbox', 'data-reach': s, checked: uState.out_of_reach.includes(s), onchange: (e) => {
          uState.out_of_reach = e.target.checked ? [...uState.out_of_reach, s] : uState.out_of_reach.filter((x) => x !== s);
          refresh();
        } }), svc(s))));
    const thSel = el('select', { 'data-filter': 'out_of_reach_threshold', onchange: (e) => { uState.out_of_reach_threshold = Number(e.target.value); refresh(); } },
      ...THRESHOLDS.map((v) => el('option', { value: v, selected: v === uState.out_of_reach_threshold }, `${v} ${t('unit.m')}`)));
    const metricBox = metricSwitch(pickMetric);
    fills.usMetric = metricBox.draw;
    const filters = el('div', { class: 'filters' },
      check('three_no_only', t('us.three_no_only')),
      check('any_flag_missing', t('us.any_flag_missing')),
      el('div', { class: 'row2' }, num('build_year_min', t('us.year_from'), '1950'), num('build_year_max', t('us.year_to'), '2025')),
      num('min_elderly', t('us.min_elderly'), '0'),
      el('div', { class: 'sub' }, t('us.out_of_reach'), ' ', thSel), reach);
    const count = el('div', { class: 'count' });
    const list = el('ol', { class: 'us-list' });
    const csv = el('button', { type: 'button', class: 'export', id: 'us-csv', onclick: () => download(uQuery('csv'), 'underserved.csv') }, t('export.csv'));
    const key = el('div', { class: 'hl-key' }, el('i'), t('us.highlight'));
    body.append(metricBox.box, filters, key, el('div', { class: 'bar' }, count, csv), list);

    function fill() {
      list.replaceChildren();
      if (uState.error) { count.textContent = errorText(uState.error, t); count.classList.add('error'); return; }
      count.classList.remove('error');
      if (!uState.rows) { count.textContent = t('feature.loading'); return; }
      count.textContent = t('us.count', { n: uState.rows.length });
      const opts = { metric: metric(), speed: speed(), walkingAvailable: usable() };
      for (const r of uState.rows) {
        const f = r.flags || {};
        const flags = [];
        if (f.three_no) flags.push(t('feature.three_no.badge'));
        else if (f.missing_flags) flags.push(t('feature.missing.badge', { n: f.missing_flags }));
        if (f.class) flags.push(enumLabel('compound_class', f.class, getLang()));
        if (f.build_year) flags.push(String(f.build_year));
        const svcs = (r.services || []).filter((s) => s.priority).map((s) => el('span', { class: `svc ${s.within ? 'ok' : 'gap'}`, title: reachText(s, opts, t), dataset: { service: s.service } },
          `${svc(s.service)} ${m(s.distance_m)}/${m(s.threshold_m)}${t('unit.m')}`));
        list.append(el('li', { class: 'us-row', dataset: { compound: r.compound_id, community: r.community_code }, tabindex: 0,
          onclick: () => zoomToCompound(r.compound_id), onkeydown: (e) => { if (e.key === 'Enter') zoomToCompound(r.compound_id); } },
        el('div', { class: 'us-head' }, el('span', { class: `tier ${r.tier || 'none'}` }, r.tier ? t(`us.${r.tier}`) : '—'),
          el('b', {}, `${r.rank}. ${r.name}`)),
        el('div', { class: 'us-meta' }, flags.join(' · '), ' · ', t('us.hh_eld', { hh: r.households, eld: m(r.elderly) })),
        el('div', { class: 'us-svcs' }, svcs), lostNote(r)));
      }
    }
    let timer = null;
    function refresh() {
      clearTimeout(timer);
      timer = setTimeout(() => loadUnderserved(fill), 150);
    }
    fill();
    fills.underserved = fill;
    if (!uState.rows) loadUnderserved(fill);
    return fill;
  }

  // ---- 覆盖分析 ----------------------------------------------------------------------------------
  function cUrl() {
    const p = new URLSearchParams({ level: cState.level, service: cState.service, threshold: String(cState.threshold), metric: metric() });
    return `/api/coverage?${p}`;
  }
  async function loadCoverage(rerender) {
    const seq = ++cState.seq;
    try {
      const d = await getJson(cUrl());
      if (seq !== cState.seq) return;
      cState.areas = d.areas; cState.error = null;
      if (cState.level === 'community') for (const a of d.areas || []) names.set(a.code, a.name);
      noteMeasured(d.measured);
    } catch (e) {
      if (seq !== cState.seq) return;
      cState.areas = []; cState.error = e;
      fail(e);
    }
    rerender?.();
  }
  function tableRows() {
    return (cState.areas || []).map((a) => {
      const s = (a.services || []).find((x) => x.service === cState.service) || {};
      return { code: a.code, name: a.name, households: s.households ?? a.governance?.households ?? 0, hh_pct: s.households_pct ?? null,
        target_pct: s.target_pct ?? null, target_group: s.target_group, threshold_m: s.threshold_m, fa: a.floor_area || {} };
    }).filter((r) => r.households > 0);
  }
  function coverageCsv() {
    const head = ['code', 'name', 'service', 'threshold_m', 'metric', 'households', 'households_pct', 'target_pct', 'floor_area_per_100_households', 'minimum', 'stretch', 'meets_minimum', 'meets_stretch'];
    const text = (v) => csvCell(v, { text: true });
    const lines = [head.join(',')];
    for (const r of tableRows()) {
      const numbers = [r.households, r.hh_pct?.toFixed(2), r.target_pct?.toFixed(2),
        r.fa.per_100_households?.toFixed(1), r.fa.minimum, r.fa.stretch, r.fa.meets_minimum, r.fa.meets_stretch].map((v) => csvCell(v));
      lines.push([text(r.code), text(r.name), text(cState.service), csvCell(r.threshold_m), text(metric()), ...numbers].join(','));
    }
    return `\ufeff${lines.join('\n')}\n`;
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

  /** A click on the map in the coverage workspace: a compound or scattered building becomes the chosen unit. */
  function handleClick(e) {
    if (shown() !== 'coverage') return false;
    const pad = 3;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const hits = map.queryRenderedFeatures(box, { layers: UNIT_HIT_LAYERS.filter((id) => map.getLayer(id)) });
    if (!hits.length || FACILITY_LAYERS.includes(atlasLayerOf(hits[0].layer.id))) return false;
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
    const sel = (key, opts) => el('select', { id: `cov-${key}`, onchange: (e) => {
      cState[key] = key === 'threshold' ? Number(e.target.value) : e.target.value;
      if (key !== 'level') {
        updateHeat();
        if (key === 'service') walkLayers.setIsoService(cState.service);
        if (wState.unit) {
          loadUnit();
          walkLayers.setRoutes(wState.routes || [], cState.service, routeLabel);
        }
        if (wState.view === 'lost') loadLost(); else wState.lost = null;
        fillIso();
      }
      loadCoverage(fill);
    } }, ...opts.map(([v, label]) => el('option', { value: v, selected: v === cState[key] }, label)));
    const controls = el('div', { class: 'filters grid2' },
      el('label', { for: 'cov-service' }, t('cov.service')), sel('service', SERVICES.map((s) => [s, svc(s)])),
      el('label', { for: 'cov-threshold' }, t('cov.threshold')), sel('threshold', THRESHOLDS.map((v) => [v, `${v} ${t('unit.m')}`])),
      el('label', { for: 'cov-level' }, t('cov.level')), sel('level', ['street', 'community', 'grid'].map((l) => [l, t(`zoomto.${l}`)])));
    const metricBox = metricSwitch(pickMetric);
    fills.metric = metricBox.draw;
    const legend = el('div', { class: 'heat-legend' }, el('div', {}, t('cov.legend')),
      el('div', { class: 'swatches' }, ...HEAT_STEPS.map(([v, c]) => el('span', {}, el('i', { style: `background:${c}` }), `≥${v}`))));
    const isoBox = el('div', { class: 'iso-box' });
    const unjoinedBox = el('div', { class: 'unjoined-box' });
    const unitBox = el('section', { class: 'unit-card', id: 'cov-unit' });
    const tabs = el('div', { class: 'cov-views', role: 'tablist' });
    const viewBody = el('div', { class: 'cov-view' });
    body.append(controls, metricBox.box, isoBox, legend, unjoinedBox, unitBox, tabs, viewBody);

    // 步行等时圈: the switch and its legend.
    function fillIso() {
      const ok = usable();
      const input = el('input', { type: 'checkbox', id: 'cov-iso', checked: wState.iso && ok, disabled: !ok, onchange: (e) => {
        wState.iso = e.target.checked;
        walkLayers.setIsoService(cState.service);
        syncLayers();
        fillIso();
      } });
      const label = el('label', { class: 'chk', for: 'cov-iso', title: ok ? '' : t('walk.iso.unavailable') }, input, t('walk.iso.toggle', { list: ISO_MINUTES.join('/') }));
      const kids = [label];
      if (wState.iso && ok) {
        kids.push(el('div', { class: 'iso-legend', id: 'iso-legend' }, el('div', {}, t('walk.iso.legend', { svc: svc(cState.service) })),
          el('div', { class: 'swatches' }, isoLegend(ISO_MINUTES, speed()).map((b) => el('span', { dataset: { minutes: b.minutes } },
            el('i', { style: `background:${b.color}` }), t('walk.iso.band', { min: b.minutes, m: b.metres }))))));
      }
      isoBox.replaceChildren(...kids);
    }
    fills.iso = fillIso;

    // 未接入路网: a count, and the list under it.
    function fillUnjoined() {
      if (!usable()) { unjoinedBox.replaceChildren(); return; }
      if (wState.networkError) { unjoinedBox.replaceChildren(el('p', { class: 'error' }, errorText(wState.networkError, t))); return; }
      if (!wState.network) { unjoinedBox.replaceChildren(); return; }
      const sum = unjoinedSummary(wState.network.unjoined);
      if (!sum.total) { unjoinedBox.replaceChildren(el('p', { class: 'unjoined-none', id: 'cov-unjoined' }, t('walk.unjoined.none'))); return; }
      const item = (u) => el('li', { class: 'unjoined-row', dataset: { layer: u.layer, id: u.id }, tabindex: 0,
        onclick: () => goTo(u), onkeydown: (e) => { if (e.key === 'Enter') goTo(u); } },
      el('b', {}, u.name || t('walk.lost.unnamed')), ' ', el('span', { class: 'muted' }, `${layerTitle(u.layer)} · ${communityName(u.community_code)}`));
      const groups = [];
      if (sum.units.length) groups.push(el('div', { class: 'unjoined-head' }, t('walk.unjoined.units')), el('ul', {}, sum.units.map(item)));
      if (sum.facilities.length) groups.push(el('div', { class: 'unjoined-head' }, t('walk.unjoined.facilities')), el('ul', {}, sum.facilities.map(item)));
      unjoinedBox.replaceChildren(el('details', { id: 'cov-unjoined', class: 'unjoined' },
        el('summary', {}, el('span', { class: 'unjoined-dot' }), t('walk.unjoined.title', { n: sum.total }), ' ',
          el('span', { class: 'muted' }, t('walk.unjoined.parts', { units: sum.units.length, facilities: sum.facilities.length }))),
        el('p', { class: 'pending-note' }, t('walk.unjoined.note', { m: Math.round(wState.network.joinLimit ?? 0) })), groups));
    }
    fills.unjoined = fillUnjoined;
    function goTo(u) {
      const d = 0.0015;
      fitTo([u.at[0] - d, u.at[1] - d, u.at[0] + d, u.at[1] + d], 17);
      if (u.layer === 'compounds' || u.layer === 'buildings') {
        selectUnit({ kind: u.layer === 'compounds' ? 'compound' : 'scattered_building', id: u.id, layer: u.layer, community_code: u.community_code });
      } else {
        openFeature(u.layer, u.id);
      }
    }

    // The chosen unit's reach of every service.
    function fillUnit() {
      const unit = wState.unit;
      if (!unit) {
        unitBox.replaceChildren(el('p', { class: 'unit-hint' }, t('walk.unit.hint')));
        unitBox.classList.remove('on');
        delete unitBox.dataset.kind; delete unitBox.dataset.id;
        return;
      }
      unitBox.classList.add('on');
      unitBox.dataset.kind = unit.kind;
      unitBox.dataset.id = String(unit.id);
      const u = wState.unitData;
      const kindText = unit.kind === 'compound' ? layerTitle('compounds') : t('walk.lost.building');
      const head = el('header', { class: 'panel-head' },
        el('div', {}, el('div', { class: 'panel-kicker' }, `${t('walk.unit.kicker')} · ${kindText}`),
          el('h3', { class: 'unit-name' }, (u && u.name) || unit.name || `#${unit.id}`)),
        el('button', { type: 'button', class: 'icon-button', title: t('walk.unit.close'), 'aria-label': t('walk.unit.close'), onclick: clearUnit }, '×'));
      const kids = [head];
      if (wState.unitError) kids.push(el('p', { class: 'error' }, errorText(wState.unitError, t)));
      else if (u === null) kids.push(el('p', { class: 'muted' }, t('feature.loading')));
      else if (u === false) kids.push(el('p', { class: 'muted' }, t('walk.unit.not_found')));
      else {
        kids.push(el('div', { class: 'muted unit-meta' }, t('walk.unit.meta', { community: communityName(u.community_code), hh: u.households })));
        const opts = { metric: metric(), speed: speed(), joined: u.joined, walkingAvailable: usable() };
        const row = (s) => {
          const p = reachParts(s, opts);
          return el('li', { class: `reach-row${s.service === cState.service ? ' chosen' : ''}`, dataset: { service: s.service, covered: String(p.covered) } },
            el('div', { class: 'reach-head' }, el('span', { class: 'reach-svc' }, svc(s.service)),
              el('span', { class: `verdict ${p.covered ? 'ok' : 'gap'}`, title: t('walk.verdict.title', { metric: t(`walk.metric.${metric()}`), m: p.threshold }) },
                p.covered ? t('walk.covered') : t('walk.uncovered'))),
            el('div', { class: 'reach-text' }, reachText(s, opts, t)));
        };
        const services = u.services || [];
        const chosen = services.filter((s) => s.service === cState.service);
        const others = services.filter((s) => s.service !== cState.service);
        kids.push(el('ul', { class: 'reach-list' }, chosen.map(row)));
        if (others.length) kids.push(el('details', { class: 'reach-more' }, el('summary', {}, t('walk.unit.others', { n: others.length })), el('ul', { class: 'reach-list' }, others.map(row))));
        if (usable() && wState.routes) kids.push(el('p', { class: 'pending-note' }, wState.routes.length ? t('walk.unit.routes') : t('walk.unit.no_routes')));
        if (wState.routesError) kids.push(el('p', { class: 'error' }, errorText(wState.routesError, t)));
      }
      kids.push(el('div', { class: 'unit-actions' }, el('button', { type: 'button', class: 'export', id: 'cov-unit-details', onclick: () => openFeature(unit.layer, unit.id) }, t('walk.unit.details'))));
      unitBox.replaceChildren(...kids);
    }
    fills.unit = fillUnit;
    fills.scrollUnit = () => unitBox.scrollIntoView({ block: 'nearest' });

    // The views: 区域覆盖率 (chart and table) and 步行后失去覆盖 (the list).
    function fillTabs() {
      const ok = usable();
      if (!ok && wState.view === 'lost') wState.view = 'areas';
      const lostLabel = wState.lost && wState.lostKey === `${cState.service}:${cState.threshold}` ? t('cov.view.lost.n', { n: wState.lost.length }) : t('cov.view.lost');
      const tab = (v, label, disabled) => el('button', { type: 'button', role: 'tab', id: `cov-view-${v}`, class: wState.view === v ? 'on' : '',
        'aria-selected': String(wState.view === v), disabled, title: disabled ? t('walk.lost.unavailable') : '', onclick: () => {
          wState.view = v;
          syncLayers();
          fillViews();
          if (v === 'lost') loadLost();
        } }, label);
      tabs.replaceChildren(tab('areas', t('cov.view.areas'), false), tab('lost', lostLabel, !ok));
    }
    function fillViews() {
      fillTabs();
      viewBody.dataset.view = wState.view;
      if (wState.view === 'lost') fillLost(); else fill();
    }
    fills.views = fillViews;

    function fillLost() {
      const kids = [];
      if (wState.lostError) kids.push(el('div', { class: 'count error' }, errorText(wState.lostError, t)));
      else if (!wState.lost) kids.push(el('div', { class: 'count' }, t('feature.loading')));
      else if (!wState.lost.length) kids.push(el('div', { class: 'count', id: 'lost-count' }, t('walk.lost.none', { svc: svc(cState.service) })));
      else {
        kids.push(el('div', { class: 'count', id: 'lost-count' }, t('walk.lost.count', { svc: svc(cState.service), m: cState.threshold, n: wState.lost.length, hh: householdsOf(wState.lost) })),
          el('div', { class: 'hl-key lost-key' }, el('i'), t('walk.lost.key')));
        const sp = speed();
        const list = el('ol', { class: 'lost-list', id: 'lost-list' }, wState.lost.map((r) => {
          const line = r.walk_m === null
            ? t('walk.lost.line_nowalk', { s: m(r.straight_m), why: t(r.joined === false ? 'walk.reach.unjoined' : 'walk.reach.unreachable') })
            : t('walk.lost.line', { s: m(r.straight_m), w: m(r.walk_m), min: minutesFor(r.walk_m, sp) });
          const pick = () => {
            selectUnit({ kind: r.kind, id: r.id, layer: r.kind === 'compound' ? 'compounds' : 'buildings', community_code: r.community_code }, { zoom: true });
            fills.scrollUnit?.();
          };
          const on = wState.unit && wState.unit.kind === r.kind && wState.unit.id === r.id;
          return el('li', { class: `lost-row${on ? ' on' : ''}`, dataset: { id: r.id, kind: r.kind, community: r.community_code }, tabindex: 0,
            onclick: pick, onkeydown: (e) => { if (e.key === 'Enter') pick(); } },
          el('div', { class: 'us-head' }, el('b', {}, r.name || t('walk.lost.unnamed')),
            r.detour !== null && r.walk_m !== null ? el('span', { class: 'detour' }, t('walk.reach.detour', { d: r.detour >= 10 ? r.detour.toFixed(0) : r.detour.toFixed(1) })) : null),
          el('div', { class: 'us-meta' }, [communityName(r.community_code), r.kind === 'compound' ? null : t('walk.lost.building'), t('us.hh', { n: r.households })].filter(Boolean).join(' · ')),
          el('div', { class: 'lost-line' }, line));
        }));
        kids.push(list);
      }
      viewBody.replaceChildren(...kids);
    }

    const png = el('button', { type: 'button', class: 'export', id: 'cov-png', onclick: () => {
      map.once('render', () => download(map.getCanvas().toDataURL('image/png'), `coverage-${cState.service}-${metric()}-${cState.threshold}.png`));
      map.triggerRepaint();
    } }, t('export.png'));
    const csv = el('button', { type: 'button', class: 'export', id: 'cov-csv', onclick: () => {
      const url = URL.createObjectURL(new Blob([coverageCsv()], { type: 'text/csv;charset=utf-8' }));
      download(url, `coverage-${cState.level}-${cState.service}-${metric()}-${cState.threshold}.csv`);
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } }, t('export.csv'));
    const chart = el('div', { class: 'chart' });
    const table = el('div', { class: 'cov-table' });
    const status = el('div', { class: 'count' });
    const areasView = [el('div', { class: 'bar' }, status, png, csv), chart, table];

    function fill() {
      if (wState.view !== 'areas') return;
      if (viewBody.firstChild !== areasView[0]) viewBody.replaceChildren(...areasView);
      chart.replaceChildren(); table.replaceChildren();
      status.classList.toggle('error', Boolean(cState.error));
      if (cState.error) { status.textContent = errorText(cState.error, t); return; }
      if (!cState.areas) { status.textContent = t('feature.loading'); return; }
      const rows = tableRows();
      status.textContent = t('cov.count', { n: rows.length });
      // Bar chart of % households covered.
      const W = 320; const bh = 12; const gap = 3; const lw = 110;
      const svgNs = 'http://www.w3.org/2000/svg';
      const svg = document.createElementNS(svgNs, 'svg');
      svg.setAttribute('width', W); svg.setAttribute('height', rows.length * (bh + gap) + 4);
      svg.setAttribute('class', 'bars');
      svg.setAttribute('viewBox', `0 0 ${W} ${rows.length * (bh + gap) + 4}`);
      rows.forEach((r, i) => {
        const y = i * (bh + gap);
        const label = document.createElementNS(svgNs, 'text');
        label.setAttribute('x', lw - 4); label.setAttribute('y', y + bh - 2); label.setAttribute('text-anchor', 'end');
        label.textContent = r.name.length > 8 ? `${r.name.slice(0, 8)}…` : r.name;
        const rect = document.createElementNS(svgNs, 'rect');
        const v = r.hh_pct ?? 0;
        rect.setAttribute('x', lw); rect.setAttribute('y', y); rect.setAttribute('height', bh);
        rect.setAttribute('width', Math.max(0.5, (W - lw - 40) * v / 100));
        rect.setAttribute('fill', v >= 80 ? '#43a047' : v >= 50 ? '#fb8c00' : '#e53935');
        rect.dataset.value = String(v);
        const val = document.createElementNS(svgNs, 'text');
        val.setAttribute('x', lw + (W - lw - 40) * v / 100 + 3); val.setAttribute('y', y + bh - 2);
        val.textContent = pct(r.hh_pct);
        svg.append(label, rect, val);
      });
      chart.append(el('div', { class: 'chart-title' }, t(`cov.chart.${metric()}`, { svc: svc(cState.service), m: cState.threshold })), svg);
      const th = (k) => el('th', {}, t(k));
      const tbl = el('table', { id: 'cov-table', dataset: { metric: metric() } }, el('thead', {}, el('tr', {}, th('cov.col.name'), th('cov.col.hh'), th('cov.col.hh_pct'), th('cov.col.target_pct'), th('cov.col.fa'))),
        el('tbody', {}, ...rows.map((r) => {
          const fa = r.fa.per_100_households;
          const cls = fa === null || fa === undefined ? '' : r.fa.meets_stretch ? 'ok' : r.fa.meets_minimum ? 'mid' : 'gap';
          return el('tr', { dataset: { code: r.code } }, el('td', {}, r.name), el('td', { class: 'n' }, String(r.households)),
            el('td', { class: 'n hh' }, pct(r.hh_pct)), el('td', { class: 'n tg' }, pct(r.target_pct)),
            el('td', { class: `n ${cls}`, title: t('cov.fa.std', { min: r.fa.minimum ?? 30, max: r.fa.stretch ?? 80 }) },
              fa === null || fa === undefined ? '—' : `${fa.toFixed(1)} / ${r.fa.minimum ?? 30}`));
        })));
      table.append(tbl, el('p', { class: 'pending-note' }, t('cov.fa.note', { min: 30, max: 80 })));
    }
    // A load of the areas refreshes the metric switch too (the server says whether walking exists).
    const fillAll = () => { fillTabs(); fill(); };
    fillIso();
    fillUnjoined();
    fillUnit();
    fillViews();
    fills.coverage = fillAll;
    if (!cState.areas) loadCoverage(fillAll);
    if (wState.view === 'lost') loadLost();
    if (wState.unit && !wState.unitData) loadUnit();
    return fillAll;
  }

  // ---- after an edit ----------------------------------------------------------------------------
  /** The data changed (a feature was saved or deleted): the analyses, the heatmap and the walking layers are loaded again, the shown ones at once. */
  function reload() {
    uState.rows = null;
    cState.areas = null;
    wState.lost = null;
    wState.network = null;
    names.clear();
    namesLoading = null;
    if (map.getSource(HEAT_SRC)) updateHeat();
    walkLayers.setIsoService(cState.service, true);
    const ws = shown();
    if (ws === 'underserved') loadUnderserved(fills.underserved);
    if (ws === 'coverage') {
      loadCoverage(fills.coverage);
      loadNetwork();
      if (wState.view === 'lost') loadLost();
      if (wState.unit) { loadUnit(); loadRoutes(); }
    }
  }

  return { renderUnderserved, renderCoverage, setWorkspaceLayers, reload, handleClick, selectUnit, HEAT_LAYER, HL_LAYER };
}
