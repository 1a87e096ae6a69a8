// The 覆盖分析 (coverage) workspace's panel: service, radius and level; the walking switch; a
// second radius to compare side by side; the heatmap's legend with its unit (households
// uncovered per hexagon, the radius and the service); the standard behind the threshold;
// isochrones; the units not joined to the ways; the chosen unit's reach; and the views — coverage
// and governance tables ranked worst first, sortable by every column, a row zooming to its area
// (with the chart of % households covered), and the units losing coverage on foot. State and
// requests are ./analysis.js's (`ctx`); rows and columns come from ../coverageRows.js.

import { csvCell } from '../csv.js';
import { coverageColumns, coverageRows, governanceColumns, governanceRows } from '../coverageRows.js';
import { el } from '../dom.js';
import { count } from '../format.js';
import { HEAT_STEPS } from '../heat.js';
import { getLang, t } from '../i18n.js';
import { sortRows } from '../sorting.js';
import {
  checklistRule, complexRule, floorAreaRule, serviceRule, serviceStandard, sourcesText, targetText,
} from '../standards.js';
import {
  ISO_MINUTES, householdsOf, isoLegend, minutesFor, reachParts, reachText, unjoinedSummary,
} from '../walking.js';
import { errorLine } from '../errors.js';
import { errorView } from './errorView.js';
import { sortNote, sortTable } from './sortTable.js';

const m = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);
const pct = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(1)}%`);
const num = (n) => count(n, getLang());

/** Draws the workspace into `body`; returns the function that fills its views and tabs again. */
export function renderCoveragePanel(body, ctx) {
  const { cState, wState, svc, areas, fills, walkLayers, layerTitle } = ctx;
  const communityName = (code) => areas.name(code);

  const sel = (key, opts) => el('select', { id: `cov-${key}`, onchange: (e) => {
    cState[key] = key === 'threshold' ? Number(e.target.value) : e.target.value;
    if (key === 'threshold' && cState.compare === cState.threshold) cState.compare = ctx.thresholds.find((v) => v !== cState.threshold);
    if (key !== 'level') {
      ctx.updateHeat();
      if (key === 'service') walkLayers.setIsoService(cState.service);
      if (wState.unit) {
        ctx.loadUnit();
        walkLayers.setRoutes(wState.routes || [], cState.service, ctx.routeLabel);
      }
      if (wState.view === 'lost') ctx.loadLost(); else wState.lost = null;
      fillIso();
      fillCompare();
      fillLegend();
      fillStandard();
    }
    cState.areasB = null;
    ctx.loadCoverage(fill);
  } }, opts.map(([v, label]) => el('option', { value: v, selected: v === cState[key] }, label)));
  const controls = el('div', { class: 'filters grid2' },
    el('label', { for: 'cov-service' }, t('cov.service')), sel('service', ctx.services.map((s) => [s, svc(s)])),
    el('label', { for: 'cov-threshold' }, t('cov.threshold')), sel('threshold', ctx.thresholds.map((v) => [v, `${v} ${t('unit.m')}`])),
    el('label', { for: 'cov-level' }, t('cov.level')), sel('level', ['street', 'community', 'grid'].map((l) => [l, t(`zoomto.${l}`)])));
  const metricBox = ctx.metricSwitch(ctx.pickMetric);
  fills.metric = metricBox.draw;
  const compareBox = el('div', { class: 'compare-box' });
  const legend = el('div', { class: 'heat-legend', id: 'heat-legend' });
  const standardBox = el('details', { class: 'rules', id: 'cov-standard' });
  const isoBox = el('div', { class: 'iso-box' });
  const unjoinedBox = el('div', { class: 'unjoined-box' });
  const unitBox = el('section', { class: 'unit-card', id: 'cov-unit' });
  const tabs = el('div', { class: 'cov-views', role: 'tablist' });
  const viewBody = el('div', { class: 'cov-view' });
  body.append(controls, metricBox.box, compareBox, legend, standardBox, isoBox, unjoinedBox, unitBox, tabs, viewBody);

  // Two radii side by side.
  function fillCompare() {
    const others = ctx.thresholds.filter((v) => v !== cState.threshold);
    const second = cState.compare ?? others[0];
    compareBox.replaceChildren(...[el('label', { class: 'chk', for: 'cov-compare' },
      el('input', { type: 'checkbox', id: 'cov-compare', checked: Boolean(cState.compare), onchange: (e) => {
        ctx.setCompare(e.target.checked ? Number(document.getElementById('cov-threshold-b')?.value || others[0]) : null);
        fillCompare();
        fillLegend();
      } }), t('cov.compare')),
    el('select', { id: 'cov-threshold-b', 'aria-label': t('cov.compare.with'), onchange: (e) => {
      if (cState.compare) ctx.setCompare(Number(e.target.value));
      fillLegend();
    } }, others.map((v) => el('option', { value: v, selected: v === second }, `${v} ${t('unit.m')}`))),
    cState.compare ? el('p', { class: 'pending-note' }, t('cov.compare.note', { left: cState.threshold, right: cState.compare })) : null].filter(Boolean));
  }
  fillCompare();

  // The heatmap's legend: what a colour counts, per hexagon.
  function fillLegend() {
    const words = { svc: svc(cState.service), m: cState.threshold, metric: t(`heat.metric.${ctx.metric()}`) };
    legend.replaceChildren(...[
      el('div', { class: 'heat-legend-title' }, t('heat.legend.title')),
      el('div', { class: 'heat-legend-what' }, cState.compare
        ? t('heat.legend.what.compare', { ...words, left: cState.threshold, right: cState.compare })
        : t('heat.legend.what', words)),
      el('div', { class: 'swatches' }, HEAT_STEPS.map(([v, c], i) => el('span', {}, el('i', { style: `background:${c}` }),
        i + 1 < HEAT_STEPS.length ? t('heat.legend.step', { from: v, to: HEAT_STEPS[i + 1][0] - 1 }) : t('heat.legend.step_last', { from: v })))),
      el('div', { class: 'heat-legend-fac' }, el('i', { class: 'fac-dot' }), t('heat.legend.facilities', words)),
      el('div', { class: 'muted' }, t('heat.legend.hint')),
      cState.heatError ? errorView(cState.heatError, { what: t('heat.compare.failed') }) : null].filter(Boolean));
  }
  fills.legend = fillLegend;
  fillLegend();

  // The standard behind the threshold.
  function fillStandard() {
    const std = ctx.standards();
    const st = serviceStandard(std, cState.service);
    const kids = [el('summary', {}, t('cov.standard.title', { svc: svc(cState.service) }))];
    if (st) {
      kids.push(el('p', {}, serviceRule(st, t, svc)));
      if (Math.round(st.threshold_m) !== cState.threshold) kids.push(el('p', { class: 'note-warn' }, t('cov.standard.override', { m: cState.threshold, std: Math.round(st.threshold_m) })));
      kids.push(el('p', { class: 'muted' }, sourcesText(st.source, t)));
    }
    kids.push(el('p', {}, t('std.circles')));
    if (std) kids.push(el('p', {}, floorAreaRule(std.floor_area, t)), el('p', {}, checklistRule(std, t)), el('p', {}, complexRule(std, t, svc)));
    kids.push(el('p', { class: 'muted' }, t('gov.note')));
    standardBox.replaceChildren(...kids);
  }
  fills.standard = fillStandard;
  fillStandard();

  // 步行等时圈: the switch and its legend.
  function fillIso() {
    const ok = ctx.usable();
    const input = el('input', { type: 'checkbox', id: 'cov-iso', checked: wState.iso && ok, disabled: !ok, onchange: (e) => {
      wState.iso = e.target.checked;
      walkLayers.setIsoService(cState.service);
      ctx.syncLayers();
      fillIso();
    } });
    const label = el('label', { class: 'chk', for: 'cov-iso', title: ok ? '' : t('walk.iso.unavailable') }, input, t('walk.iso.toggle', { list: ISO_MINUTES.join('/') }));
    const kids = [label];
    if (wState.iso && ok) {
      kids.push(el('div', { class: 'iso-legend', id: 'iso-legend' }, el('div', {}, t('walk.iso.legend', { svc: svc(cState.service) })),
        el('div', { class: 'swatches' }, isoLegend(ISO_MINUTES, ctx.speed()).map((b) => el('span', { dataset: { minutes: b.minutes } },
          el('i', { style: `background:${b.color}` }), t('walk.iso.band', { min: b.minutes, m: b.metres }))))));
    }
    isoBox.replaceChildren(...kids);
  }
  fills.iso = fillIso;

  // 未接入路网: a count, and the list under it.
  function fillUnjoined() {
    if (!ctx.usable()) { unjoinedBox.replaceChildren(); return; }
    if (wState.networkError) { unjoinedBox.replaceChildren(errorView(wState.networkError, { what: t('walk.unjoined.failed') })); return; }
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
    ctx.fitTo([u.at[0] - d, u.at[1] - d, u.at[0] + d, u.at[1] + d], 17);
    if (u.layer === 'compounds' || u.layer === 'buildings') {
      ctx.selectUnit({ kind: u.layer === 'compounds' ? 'compound' : 'scattered_building', id: u.id, layer: u.layer, community_code: u.community_code });
    } else {
      ctx.openFeature(u.layer, u.id);
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
      el('button', { type: 'button', class: 'icon-button', title: t('walk.unit.close'), 'aria-label': t('walk.unit.close'), onclick: ctx.clearUnit }, '×'));
    const kids = [head];
    if (wState.unitError) kids.push(errorView(wState.unitError, { what: t('walk.unit.failed') }));
    else if (u === null) kids.push(el('p', { class: 'muted' }, t('feature.loading')));
    else if (u === false) kids.push(el('p', { class: 'muted' }, t('walk.unit.not_found')));
    else {
      kids.push(el('div', { class: 'muted unit-meta' }, t('walk.unit.meta', { community: communityName(u.community_code), hh: u.households })));
      const opts = { metric: ctx.metric(), speed: ctx.speed(), joined: u.joined, walkingAvailable: ctx.usable() };
      const row = (s) => {
        const p = reachParts(s, opts);
        return el('li', { class: `reach-row${s.service === cState.service ? ' chosen' : ''}`, dataset: { service: s.service, covered: String(p.covered) } },
          el('div', { class: 'reach-head' }, el('span', { class: 'reach-svc' }, svc(s.service)),
            el('span', { class: `verdict ${p.covered ? 'ok' : 'gap'}`, title: t('walk.verdict.title', { metric: t(`walk.metric.${ctx.metric()}`), m: p.threshold }) },
              p.covered ? t('walk.covered') : t('walk.uncovered'))),
          el('div', { class: 'reach-text' }, reachText(s, opts, t)));
      };
      const services = u.services || [];
      const chosen = services.filter((s) => s.service === cState.service);
      const others = services.filter((s) => s.service !== cState.service);
      kids.push(el('ul', { class: 'reach-list' }, chosen.map(row)));
      if (others.length) kids.push(el('details', { class: 'reach-more' }, el('summary', {}, t('walk.unit.others', { n: others.length })), el('ul', { class: 'reach-list' }, others.map(row))));
      if (ctx.usable() && wState.routes) kids.push(el('p', { class: 'pending-note' }, wState.routes.length ? t('walk.unit.routes') : t('walk.unit.no_routes')));
      if (wState.routesError) kids.push(errorView(wState.routesError, { what: t('walk.routes.failed') }));
    }
    kids.push(el('div', { class: 'unit-actions' }, el('button', { type: 'button', class: 'export', id: 'cov-unit-details', onclick: () => ctx.openFeature(unit.layer, unit.id) }, t('walk.unit.details'))));
    unitBox.replaceChildren(...kids);
  }
  fills.unit = fillUnit;
  fills.scrollUnit = () => unitBox.scrollIntoView({ block: 'nearest' });

  // The views: 区域覆盖率 (chart and table), 治理指标 (table) and 步行后失去覆盖 (the list).
  function fillTabs() {
    const ok = ctx.usable();
    if (!ok && wState.view === 'lost') wState.view = 'areas';
    const lostLabel = wState.lost && wState.lostKey === `${cState.service}:${cState.threshold}` ? t('cov.view.lost.n', { n: wState.lost.length }) : t('cov.view.lost');
    const tab = (v, label, disabled) => el('button', { type: 'button', role: 'tab', id: `cov-view-${v}`, class: wState.view === v ? 'on' : '',
      'aria-selected': String(wState.view === v), disabled, title: disabled ? t('walk.lost.unavailable') : '', onclick: () => {
        wState.view = v;
        ctx.syncLayers();
        fillViews();
        if (v === 'lost') ctx.loadLost();
      } }, label);
    tabs.replaceChildren(tab('areas', t('cov.view.areas'), false), tab('governance', t('cov.view.governance'), false), tab('lost', lostLabel, !ok));
  }
  function fillViews() {
    fillTabs();
    viewBody.dataset.view = wState.view;
    if (wState.view === 'lost') fillLost(); else fill();
  }
  fills.views = fillViews;

  function fillLost() {
    const kids = [];
    if (wState.lostError) kids.push(errorView(wState.lostError, { what: t('walk.lost.failed') }));
    else if (!wState.lost) kids.push(el('div', { class: 'count' }, t('feature.loading')));
    else if (!wState.lost.length) kids.push(el('div', { class: 'count', id: 'lost-count' }, t('walk.lost.none', { svc: svc(cState.service) })));
    else {
      kids.push(el('div', { class: 'count', id: 'lost-count' }, t('walk.lost.count', { svc: svc(cState.service), m: cState.threshold, n: wState.lost.length, hh: householdsOf(wState.lost) })),
        el('div', { class: 'hl-key lost-key' }, el('i'), t('walk.lost.key')));
      const sp = ctx.speed();
      const list = el('ol', { class: 'lost-list', id: 'lost-list' }, wState.lost.map((r) => {
        const line = r.walk_m === null
          ? t('walk.lost.line_nowalk', { s: m(r.straight_m), why: t(r.joined === false ? 'walk.reach.unjoined' : 'walk.reach.unreachable') })
          : t('walk.lost.line', { s: m(r.straight_m), w: m(r.walk_m), min: minutesFor(r.walk_m, sp) });
        const pick = () => {
          ctx.selectUnit({ kind: r.kind, id: r.id, layer: r.kind === 'compound' ? 'compounds' : 'buildings', community_code: r.community_code }, { zoom: true });
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

  // ---- the tables -------------------------------------------------------------------------------
  const isGovernance = () => wState.view === 'governance';
  function shownRows() {
    if (isGovernance()) return sortRows(governanceRows(cState.areas), governanceColumns(), cState.sort.governance, getLang());
    return sortRows(coverageRows(cState.areas, cState.service, cState.areasB), coverageColumns(Boolean(cState.areasB)), cState.sort.coverage, getLang());
  }

  function coverageTable() {
    const compare = Boolean(cState.areasB);
    const target = targetText(coverageRows(cState.areas, cState.service)[0]?.target_group, t);
    const labels = {
      name: t('cov.col.name'), households: t('cov.col.hh'),
      hh_pct: compare ? t('cov.col.hh_pct_at', { m: cState.threshold }) : t('cov.col.hh_pct'),
      hh_pct_b: t('cov.col.hh_pct_at', { m: cState.compare }), target_pct: t('cov.col.target_pct'), fa: t('cov.col.fa'),
    };
    const cells = {
      name: (r) => r.name,
      households: (r) => num(r.households),
      hh_pct: (r) => pct(r.hh_pct),
      hh_pct_b: (r) => pct(r.hh_pct_b),
      target_pct: (r) => pct(r.target_pct),
      fa: (r) => {
        const fa = r.fa.per_100_households;
        return fa === null || fa === undefined ? '—' : `${fa.toFixed(1)} / ${r.fa.minimum ?? 30}`;
      },
    };
    const cls = { name: 'name', households: 'n', hh_pct: 'n hh', hh_pct_b: 'n hhb', target_pct: 'n tg', fa: 'n fa' };
    const titles = { target_pct: t('cov.col.target_pct.title', { group: target }), fa: t('cov.fa.std', { min: 30, max: 80 }) };
    const columns = coverageColumns(compare).map((c) => ({ ...c, label: labels[c.key], cell: cells[c.key], cls: cls[c.key], title: titles[c.key] }));
    const tbl = sortTable({
      id: 'cov-table', columns, rows: coverageRows(cState.areas, cState.service, cState.areasB), sort: cState.sort.coverage,
      onSort: (next) => { cState.sort.coverage = next; fill(); },
      onRow: (r) => ctx.zoomToArea(r.level || cState.level, r.code),
      rowProps: (r) => ({ dataset: { code: r.code, level: r.level || cState.level } }),
    });
    tbl.dataset.metric = ctx.metric();
    // Floor area coloured against the standard.
    for (const tr of tbl.tBodies[0].rows) {
      const r = cState.areas.find((a) => a.code === tr.dataset.code)?.floor_area || {};
      const td = tr.querySelector('td.fa');
      if (td && r.per_100_households !== null && r.per_100_households !== undefined) td.classList.add(r.meets_stretch ? 'ok' : r.meets_minimum ? 'mid' : 'gap');
    }
    return [tbl, el('p', { class: 'pending-note' }, t('cov.fa.note', { min: 30, max: 80 }))];
  }

  function governanceTable() {
    const labels = { name: t('cov.col.name'), three_no: t('gov.col.three_no'), pm_pct: t('gov.col.pm_pct'), oc_pct: t('gov.col.oc_pct'), per_worker: t('gov.col.per_worker') };
    const titles = { three_no: t('gov.col.three_no.title'), pm_pct: t('gov.col.pm_pct.title'), oc_pct: t('gov.col.oc_pct.title'), per_worker: t('gov.col.per_worker.title') };
    const cells = {
      name: (r) => r.name,
      three_no: (r) => el('span', { title: t('gov.three_no.title', { n: r.three_no, of: r.compounds, hh: num(r.three_no_households) }) },
        t('gov.three_no.cell', { n: r.three_no, of: r.compounds, hh: num(r.three_no_households) })),
      pm_pct: (r) => el('span', { title: t('gov.of_compounds', { n: r.managed, of: r.compounds }) }, pct(r.pm_pct)),
      oc_pct: (r) => el('span', { title: t('gov.of_compounds', { n: r.oc, of: r.compounds }) }, pct(r.oc_pct)),
      per_worker: (r) => el('span', { title: t('gov.workers.title', { grids: r.grids, workers: r.workers }) },
        r.per_worker === null ? t('gov.no_workers') : t('gov.per_worker.cell', { n: num(Math.round(r.per_worker)) })),
    };
    const cls = { name: 'name', three_no: 'n tn', pm_pct: 'n pm', oc_pct: 'n oc', per_worker: 'n pw' };
    const columns = governanceColumns().map((c) => ({ ...c, label: labels[c.key], title: titles[c.key], cell: cells[c.key], cls: cls[c.key] }));
    return [sortTable({
      id: 'gov-table', columns, rows: governanceRows(cState.areas), sort: cState.sort.governance,
      onSort: (next) => { cState.sort.governance = next; fill(); },
      onRow: (r) => ctx.zoomToArea(r.level || cState.level, r.code),
      rowProps: (r) => ({ dataset: { code: r.code, level: r.level || cState.level } }),
    }), el('p', { class: 'pending-note' }, t('gov.note'))];
  }

  /** Bar chart of % households covered, in the table's order. */
  function barChart(rows) {
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
    return el('div', { class: 'chart' }, el('div', { class: 'chart-title' }, t(`cov.chart.${ctx.metric()}`, { svc: svc(cState.service), m: cState.threshold })), svg);
  }

  function coverageCsv() {
    const text = (v) => csvCell(v, { text: true });
    if (isGovernance()) {
      const lines = ['code,name,households,compounds,three_no_compounds,three_no_households,property_management_pct,owners_committee_pct,grids,grid_workers,households_per_worker'];
      for (const r of shownRows()) {
        lines.push([text(r.code), text(r.name), ...[r.households, r.compounds, r.three_no, r.three_no_households, r.pm_pct?.toFixed(2),
          r.oc_pct?.toFixed(2), r.grids, r.workers, r.per_worker?.toFixed(1)].map((v) => csvCell(v))].join(','));
      }
      return `\ufeff${lines.join('\n')}\n`;
    }
    const head = ['code', 'name', 'service', 'threshold_m', 'metric', 'households', 'households_pct', 'target_pct', 'floor_area_per_100_households', 'minimum', 'stretch', 'meets_minimum', 'meets_stretch'];
    if (cState.areasB) head.push('threshold_b_m', 'households_pct_b');
    const lines = [head.join(',')];
    for (const r of shownRows()) {
      const numbers = [r.households, r.hh_pct?.toFixed(2), r.target_pct?.toFixed(2),
        r.fa.per_100_households?.toFixed(1), r.fa.minimum, r.fa.stretch, r.fa.meets_minimum, r.fa.meets_stretch].map((v) => csvCell(v));
      const b = cState.areasB ? [csvCell(cState.compare), csvCell(r.hh_pct_b?.toFixed(2))] : [];
      lines.push([text(r.code), text(r.name), text(cState.service), csvCell(r.threshold_m), text(ctx.metric()), ...numbers, ...b].join(','));
    }
    return `\ufeff${lines.join('\n')}\n`;
  }

  // The PNG is the printed report's first page: title, legend, threshold, scale bar, north
  // arrow, date and source, not the bare canvas.
  const png = el('button', { type: 'button', class: 'export', id: 'cov-png', onclick: async () => {
    status.textContent = t('print.working');
    try {
      const { blob, name } = await ctx.meeting.reportPng();
      const url = URL.createObjectURL(blob);
      ctx.download(url, name);
      setTimeout(() => URL.revokeObjectURL(url), 5000);
      status.textContent = '';
    } catch (e) {
      status.textContent = t('print.failed', { reason: errorLine(e, t) });
    }
  } }, t('export.png'));
  const csv = el('button', { type: 'button', class: 'export', id: 'cov-csv', onclick: () => {
    const url = URL.createObjectURL(new Blob([coverageCsv()], { type: 'text/csv;charset=utf-8' }));
    ctx.download(url, `${isGovernance() ? 'governance' : 'coverage'}-${cState.level}-${cState.service}-${ctx.metric()}-${cState.threshold}.csv`);
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  } }, t('export.csv'));
  const status = el('div', { class: 'count', role: 'status' });
  const chartBox = el('div');
  const tableBox = el('div', { class: 'cov-table' });
  const tablesView = [el('div', { class: 'bar' }, status, png, csv), chartBox, tableBox, ctx.meeting.element];

  function fill() {
    if (wState.view === 'lost') return;
    if (viewBody.firstChild !== tablesView[0]) viewBody.replaceChildren(...tablesView);
    chartBox.replaceChildren();
    tableBox.replaceChildren();
    status.textContent = '';
    if (cState.error) { tableBox.append(errorView(cState.error, { what: t('cov.load_failed') })); return; }
    if (!cState.areas) { status.textContent = t('feature.loading'); return; }
    const rows = shownRows();
    const [tbl, ...notes] = isGovernance() ? governanceTable() : coverageTable();
    status.textContent = `${t('cov.count', { n: rows.length })}${t('sort.sep')}${sortNote(tbl.columns, isGovernance() ? cState.sort.governance : cState.sort.coverage)}`;
    if (!isGovernance()) chartBox.append(barChart(rows));
    tableBox.append(tbl, ...notes);
    ctx.meeting.refresh();
  }
  // A load of the areas refreshes the metric switch too (the server says whether walking exists).
  const fillAll = () => { fillTabs(); fillLegend(); fill(); };
  fillIso();
  fillUnjoined();
  fillUnit();
  fillViews();
  return fillAll;
}
