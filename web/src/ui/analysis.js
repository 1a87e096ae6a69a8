// The two analysis workspaces: 薄弱小区 (underserved compounds, `/api/underserved`) and 覆盖分析
// (coverage, `/api/coverage` + the heatmap tiles `/tiles/heatmap/{z}/{x}/{y}.mvt`).

import { fetchItem, geometryBbox } from '../api.js';
import { csvCell } from '../csv.js';
import { getJson } from '../http.js';
import { enumLabel } from '../enums.js';
import { getLang, t } from '../i18n.js';

export const SERVICES = ['elderly_care', 'childcare', 'after_school', 'meal_help', 'housekeeping', 'health', 'fitness', 'culture', 'study', 'children_play'];
export const THRESHOLDS = [300, 500, 1000];
const HEAT_SRC = 'heatmap';
const HEAT_LAYER = 'heatmap-fill';
const HL_LAYER = 'underserved-highlight';
// households_uncovered → colour (legend uses the same steps).
export const HEAT_STEPS = [[1, '#fee8c8'], [10, '#fdbb84'], [30, '#fc8d59'], [60, '#e34a33'], [120, '#b30000']];

const el = (tag, props = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  e.append(...kids.flat().filter((x) => x !== null && x !== undefined));
  return e;
};
const svc = (s) => enumLabel('service_type', s, getLang());
const m = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);
const pct = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(1)}%`);

function download(url, name) {
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
}

export function createAnalysis({ map, fitTo, openFeature, app }) {
  const uState = { three_no_only: true, any_flag_missing: false, build_year_min: '', build_year_max: '', min_elderly: '', out_of_reach: [], out_of_reach_threshold: 500, rows: null, error: null, seq: 0 };
  const cState = { service: 'elderly_care', threshold: 500, level: 'community', areas: null, error: null, seq: 0 };
  app.underserved = uState;
  app.coverage = cState;
  const fills = {}; // the last drawn table of each workspace, to fill again after an edit

  // ---- map layers -------------------------------------------------------------------------------
  function heatTiles() {
    const p = new URLSearchParams({ service: cState.service, threshold: String(cState.threshold) });
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
    if (map.isStyleLoaded()) fn(); else map.once('load', fn);
  }
  function setWorkspaceLayers(ws) {
    whenStyle(() => {
      ensureLayers();
      map.setLayoutProperty(HEAT_LAYER, 'visibility', ws === 'coverage' ? 'visible' : 'none');
      map.setLayoutProperty(HL_LAYER, 'visibility', ws === 'underserved' ? 'visible' : 'none');
    });
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
    } catch (e) {
      if (seq !== uState.seq) return;
      uState.rows = []; uState.error = e.message;
      app.errors.push(String(e));
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
      app.errors.push(String(e));
    }
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
    body.append(filters, key, el('div', { class: 'bar' }, count, csv), list);

    function fill() {
      list.replaceChildren();
      if (uState.error) { count.textContent = t('ws.error', { msg: uState.error }); return; }
      if (!uState.rows) { count.textContent = t('feature.loading'); return; }
      count.textContent = t('us.count', { n: uState.rows.length });
      for (const r of uState.rows) {
        const f = r.flags || {};
        const flags = [];
        if (f.three_no) flags.push(t('feature.three_no.badge'));
        else if (f.missing_flags) flags.push(t('feature.missing.badge', { n: f.missing_flags }));
        if (f.class) flags.push(enumLabel('compound_class', f.class, getLang()));
        if (f.build_year) flags.push(String(f.build_year));
        const svcs = (r.services || []).filter((s) => s.priority).map((s) => el('span', { class: `svc ${s.within ? 'ok' : 'gap'}` },
          `${svc(s.service)} ${m(s.distance_m)}/${m(s.threshold_m)}${t('unit.m')}`));
        list.append(el('li', { class: 'us-row', dataset: { compound: r.compound_id, community: r.community_code }, tabindex: 0,
          onclick: () => zoomToCompound(r.compound_id), onkeydown: (e) => { if (e.key === 'Enter') zoomToCompound(r.compound_id); } },
        el('div', { class: 'us-head' }, el('span', { class: `tier ${r.tier || 'none'}` }, r.tier ? t(`us.${r.tier}`) : '—'),
          el('b', {}, `${r.rank}. ${r.name}`)),
        el('div', { class: 'us-meta' }, flags.join(' · '), ' · ', t('us.hh_eld', { hh: r.households, eld: m(r.elderly) })),
        el('div', { class: 'us-svcs' }, svcs)));
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
    const p = new URLSearchParams({ level: cState.level, service: cState.service, threshold: String(cState.threshold) });
    return `/api/coverage?${p}`;
  }
  async function loadCoverage(rerender) {
    const seq = ++cState.seq;
    try {
      const d = await getJson(cUrl());
      if (seq !== cState.seq) return;
      cState.areas = d.areas; cState.error = null;
    } catch (e) {
      if (seq !== cState.seq) return;
      cState.areas = []; cState.error = e.message;
      app.errors.push(String(e));
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
    const head = ['code', 'name', 'service', 'threshold_m', 'households', 'households_pct', 'target_pct', 'floor_area_per_100_households', 'minimum', 'stretch', 'meets_minimum', 'meets_stretch'];
    const text = (v) => csvCell(v, { text: true });
    const lines = [head.join(',')];
    for (const r of tableRows()) {
      const numbers = [r.threshold_m, r.households, r.hh_pct?.toFixed(2), r.target_pct?.toFixed(2),
        r.fa.per_100_households?.toFixed(1), r.fa.minimum, r.fa.stretch, r.fa.meets_minimum, r.fa.meets_stretch].map((v) => csvCell(v));
      lines.push([text(r.code), text(r.name), text(cState.service), ...numbers].join(','));
    }
    return `\ufeff${lines.join('\n')}\n`;
  }
  function renderCoverage(body) {
    const sel = (key, opts) => el('select', { id: `cov-${key}`, onchange: (e) => {
      cState[key] = key === 'threshold' ? Number(e.target.value) : e.target.value;
      if (key !== 'level') updateHeat();
      loadCoverage(fill);
    } }, ...opts.map(([v, label]) => el('option', { value: v, selected: v === cState[key] }, label)));
    const controls = el('div', { class: 'filters grid2' },
      el('label', {}, t('cov.service')), sel('service', SERVICES.map((s) => [s, svc(s)])),
      el('label', {}, t('cov.threshold')), sel('threshold', THRESHOLDS.map((v) => [v, `${v} ${t('unit.m')}`])),
      el('label', {}, t('cov.level')), sel('level', ['street', 'community', 'grid'].map((l) => [l, t(`zoomto.${l}`)])));
    const legend = el('div', { class: 'heat-legend' }, el('div', {}, t('cov.legend')),
      el('div', { class: 'swatches' }, ...HEAT_STEPS.map(([v, c]) => el('span', {}, el('i', { style: `background:${c}` }), `≥${v}`))));
    const png = el('button', { type: 'button', class: 'export', id: 'cov-png', onclick: () => {
      map.once('render', () => download(map.getCanvas().toDataURL('image/png'), `coverage-${cState.service}-${cState.threshold}.png`));
      map.triggerRepaint();
    } }, t('export.png'));
    const csv = el('button', { type: 'button', class: 'export', id: 'cov-csv', onclick: () => {
      const url = URL.createObjectURL(new Blob([coverageCsv()], { type: 'text/csv;charset=utf-8' }));
      download(url, `coverage-${cState.level}-${cState.service}-${cState.threshold}.csv`);
      setTimeout(() => URL.revokeObjectURL(url), 5000);
    } }, t('export.csv'));
    const chart = el('div', { class: 'chart' });
    const table = el('div', { class: 'cov-table' });
    const status = el('div', { class: 'count' });
    body.append(controls, legend, el('div', { class: 'bar' }, status, png, csv), chart, table);

    function fill() {
      chart.replaceChildren(); table.replaceChildren();
      if (cState.error) { status.textContent = t('ws.error', { msg: cState.error }); return; }
      if (!cState.areas) { status.textContent = t('feature.loading'); return; }
      const rows = tableRows();
      status.textContent = t('cov.count', { n: rows.length });
      // Bar chart of % households covered.
      const W = 320; const bh = 12; const gap = 3; const lw = 110;
      const svgNs = 'http://www.w3.org/2000/svg';
      const svg = document.createElementNS(svgNs, 'svg');
      svg.setAttribute('width', W); svg.setAttribute('height', rows.length * (bh + gap) + 4);
      svg.setAttribute('class', 'bars');
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
      chart.append(el('div', { class: 'chart-title' }, t('cov.chart', { svc: svc(cState.service), m: cState.threshold })), svg);
      const th = (k) => el('th', {}, t(k));
      const tbl = el('table', { id: 'cov-table' }, el('thead', {}, el('tr', {}, th('cov.col.name'), th('cov.col.hh'), th('cov.col.hh_pct'), th('cov.col.target_pct'), th('cov.col.fa'))),
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
    fill();
    fills.coverage = fill;
    if (!cState.areas) loadCoverage(fill);
    return fill;
  }

  // ---- after an edit ----------------------------------------------------------------------------
  /** The data changed (a feature was saved or deleted): both analyses and the heatmap are loaded again, the shown one at once. */
  function reload() {
    uState.rows = null;
    cState.areas = null;
    if (map.getSource(HEAT_SRC)) updateHeat();
    const shown = document.body.dataset.workspace;
    if (shown === 'underserved') loadUnderserved(fills.underserved);
    if (shown === 'coverage') loadCoverage(fills.coverage);
  }

  return { renderUnderserved, renderCoverage, setWorkspaceLayers, reload, HEAT_LAYER, HL_LAYER };
}
