// The 薄弱小区 (underserved compounds) workspace's panel: the filters, each checked as it is typed
// with the reason beside it (nothing is asked of the server until all are right); the street /
// community / grid the list is narrowed to; the tiers and the standards behind each threshold;
// the list as a table ranked worst first, sortable by every column, a row zooming to its compound;
// and a plain sentence when no compound of the area qualifies. Rules and words: ../underserved.js,
// ../standards.js; state and requests: ./analysis.js (`ctx`).

import { el } from '../dom.js';
import { enumLabel } from '../enums.js';
import { count } from '../format.js';
import { getLang, t } from '../i18n.js';
import { serviceRule, serviceStandard, sourcesText, tierRules } from '../standards.js';
import { chosenArea, conditionsText, filterErrors, underservedColumns } from '../underserved.js';
import { reachText } from '../walking.js';
import { errorView } from './errorView.js';
import { sortNote, sortTable } from './sortTable.js';

const m = (x) => (x === null || x === undefined ? '—' : `${Math.round(x)}`);
const num = (n) => count(n, getLang());

/** The services the out-of-reach filter offers (the underserved rules' priority services). */
const REACH_SERVICES = ['elderly_care', 'meal_help', 'childcare', 'health'];

/**
 * Draws the workspace into `body`; returns its `fill()` (drawn again after each load). `ctx`:
 * `{ uState, metric(), usable(), speed(), svc(name), areas, standards(), thresholds, metricSwitch,
 * pickMetric, fills, load(), highlight(ids), csvUrl(), zoomToCompound(id), zoomToArea(level, code), download(url, name) }`.
 */
export function renderUnderservedPanel(body, ctx) {
  const { uState: s, svc, areas } = ctx;
  const messages = {}; // filter → the element saying what is wrong with it
  const inputs = {};
  let timer = null;

  /** Checks every filter; asks the server only when all are right. */
  function refresh({ now = false } = {}) {
    s.errors = filterErrors(s);
    showErrors();
    clearTimeout(timer);
    if (Object.keys(s.errors).length) {
      s.seq += 1; // an answer on its way is no longer wanted
      s.rows = null;
      s.error = null;
      ctx.highlight([]);
      fill();
      return;
    }
    timer = setTimeout(() => ctx.load(), now ? 0 : 150);
  }

  function showErrors() {
    const say = (key, err) => {
      const box = messages[key];
      if (!box) return;
      box.textContent = err ? t(err.key, err.vars) : '';
      box.hidden = !err;
    };
    const e = s.errors || {};
    for (const key of ['build_year_min', 'build_year_max', 'min_elderly']) {
      const wrong = Boolean(e[key]) || ((key === 'build_year_min' || key === 'build_year_max') && Boolean(e.years));
      inputs[key]?.setAttribute('aria-invalid', String(wrong));
      say(key, e[key]);
    }
    say('years', e.years);
  }

  // ---- filters ----------------------------------------------------------------------------------
  const check = (key, label) => el('label', { class: 'chk' },
    el('input', { type: 'checkbox', 'data-filter': key, checked: s[key], onchange: (e) => { s[key] = e.target.checked; refresh(); } }), label);
  const msg = (key) => {
    messages[key] = el('span', { class: 'field-msg', id: `us-msg-${key}`, role: 'alert', hidden: true });
    return messages[key];
  };
  const numberInput = (key, ph) => {
    inputs[key] = el('input', { type: 'text', inputmode: 'numeric', 'data-filter': key, id: `us-${key}`, value: s[key], placeholder: ph,
      'aria-describedby': key === 'min_elderly' ? `us-msg-${key}` : `us-msg-${key} us-msg-years`, autocomplete: 'off',
      oninput: (e) => { s[key] = e.target.value; s.errors = filterErrors(s); showErrors(); },
      onchange: (e) => { s[key] = e.target.value.trim(); refresh(); },
      onkeydown: (e) => { if (e.key === 'Enter') { s[key] = e.target.value.trim(); refresh({ now: true }); } } });
    return inputs[key];
  };
  const years = el('div', { class: 'numf-group' },
    el('div', { class: 'row2' },
      el('label', { class: 'numf', for: 'us-build_year_min' }, t('us.year_from'), numberInput('build_year_min', '1950')),
      el('label', { class: 'numf', for: 'us-build_year_max' }, t('us.year_to'), numberInput('build_year_max', String(new Date().getFullYear())))),
    msg('build_year_min'), msg('build_year_max'), msg('years'));
  const elderly = el('div', { class: 'numf-group' },
    el('label', { class: 'numf', for: 'us-min_elderly' }, t('us.min_elderly'), numberInput('min_elderly', '0')), msg('min_elderly'));
  const reach = el('div', { class: 'reach' }, REACH_SERVICES.map((x) => el('label', { class: 'chk' },
    el('input', { type: 'checkbox', 'data-reach': x, checked: s.out_of_reach.includes(x), onchange: (e) => {
      s.out_of_reach = e.target.checked ? [...s.out_of_reach, x] : s.out_of_reach.filter((y) => y !== x);
      refresh();
    } }), svc(x))));
  const thSel = el('select', { 'data-filter': 'out_of_reach_threshold', 'aria-label': t('us.out_of_reach'),
    onchange: (e) => { s.out_of_reach_threshold = Number(e.target.value); refresh(); } },
  ctx.thresholds.map((v) => el('option', { value: v, selected: v === s.out_of_reach_threshold }, `${v} ${t('unit.m')}`)));

  // The street, community and grid the list is narrowed to.
  const areaBox = el('div', { class: 'filters grid2 us-area' });
  function fillAreas() {
    const pick = (level, value, parent, disabled) => el('select', { id: `us-${level}`, 'data-filter': level, disabled,
      onchange: (e) => {
        s[level] = e.target.value;
        if (level === 'street') { s.community = ''; s.grid = ''; }
        if (level === 'community') s.grid = '';
        fillAreas();
        refresh({ now: true });
        // The map follows: the area chosen, or the one above it when cleared.
        const area = chosenArea(s);
        if (area) ctx.zoomToArea(area.level, area.code);
      } },
    el('option', { value: '' }, t(level === 'street' ? 'us.area.all' : 'us.area.any')),
    (disabled ? [] : areas.list(level, parent)).map((a) => el('option', { value: a.code, selected: a.code === value }, a.name)));
    areaBox.replaceChildren(
      el('label', { for: 'us-street' }, t('zoomto.street')), pick('street', s.street, null, false),
      el('label', { for: 'us-community' }, t('zoomto.community')), pick('community', s.community, s.street || null, !s.street),
      el('label', { for: 'us-grid' }, t('zoomto.grid')), pick('grid', s.grid, s.community || null, !s.community));
  }
  areas.load().then(fillAreas).catch(() => {});
  fillAreas();

  // What tier 1 and 2 mean and the standards behind each threshold.
  const rules = el('details', { class: 'rules', id: 'us-rules' });
  function fillRules() {
    const std = ctx.standards();
    if (!std) { rules.replaceChildren(el('summary', {}, t('us.rules.title'))); return; }
    const tiers = tierRules(std.underserved, t, svc);
    const priority = std.underserved?.priority_services || REACH_SERVICES;
    rules.replaceChildren(el('summary', {}, t('us.rules.title')),
      el('p', {}, el('span', { class: 'tier tier1' }, t('us.tier1')), ' ', tiers.tier1),
      el('p', {}, el('span', { class: 'tier tier2' }, t('us.tier2')), ' ', tiers.tier2),
      el('p', {}, tiers.rank),
      el('p', { class: 'rules-head' }, t('std.priority.head')),
      el('ul', {}, priority.map((x) => {
        const st = serviceStandard(std, x);
        return el('li', { dataset: { service: x } }, serviceRule(st, t, svc), el('br'), el('span', { class: 'muted' }, sourcesText(st?.source, t)));
      })),
      el('p', {}, t('std.circles')),
      el('p', { class: 'muted' }, t('us.rules.reach')));
  }
  ctx.fills.usRules = fillRules;
  fillRules();

  const metricBox = ctx.metricSwitch(ctx.pickMetric);
  ctx.fills.usMetric = metricBox.draw;
  const filters = el('div', { class: 'filters' },
    check('three_no_only', t('us.three_no_only')),
    check('any_flag_missing', t('us.any_flag_missing')),
    years, elderly,
    el('div', { class: 'sub' }, t('us.out_of_reach'), ' ', thSel), reach);
  const status = el('div', { class: 'count', id: 'us-count', role: 'status' });
  const list = el('div', { class: 'us-table-box' });
  const csv = el('button', { type: 'button', class: 'export', id: 'us-csv', onclick: () => ctx.download(ctx.csvUrl(), 'underserved.csv') }, t('export.csv'));
  const key = el('div', { class: 'hl-key' }, el('i'), t('us.highlight'));
  body.append(metricBox.box, areaBox, filters, rules, key, el('div', { class: 'bar' }, status, csv), list);

  // ---- the list ---------------------------------------------------------------------------------
  function lostNote(r) {
    if (!ctx.usable()) return null;
    const lost = (r.services || []).filter((x) => x.priority && typeof x.straight_m === 'number' && x.straight_m <= x.threshold_m
      && (x.walk_m === null || x.walk_m === undefined || x.walk_m > x.threshold_m));
    if (!lost.length) return null;
    const opts = { metric: 'walk', speed: ctx.speed(), walkingAvailable: true };
    return el('div', { class: 'us-lost' }, el('b', {}, t('us.lost')),
      lost.map((x) => t('us.lost.item', { svc: svc(x.service), text: reachText(x, opts, t) })).join(getLang() === 'zh' ? '；' : '; '));
  }

  function nameCell(r) {
    const f = r.flags || {};
    const flags = [];
    if (f.three_no) flags.push(t('feature.three_no.badge'));
    else if (f.missing_flags) flags.push(t('feature.missing.badge', { n: f.missing_flags }));
    if (f.class) flags.push(enumLabel('compound_class', f.class, getLang()));
    if (f.build_year) flags.push(String(f.build_year));
    const opts = { metric: ctx.metric(), speed: ctx.speed(), walkingAvailable: ctx.usable() };
    const chips = (r.services || []).filter((x) => x.priority).map((x) => el('span', {
      class: `svc ${x.within ? 'ok' : 'gap'}`, dataset: { service: x.service },
      title: `${reachText(x, opts, t)}\n${t('us.chip.standard', { circle: x.life_circle?.replace('min', '') ?? '', m: m(x.threshold_m) })}`,
    }, `${svc(x.service)} ${m(x.distance_m)}/${m(x.threshold_m)}${t('unit.m')}`));
    return [el('b', { class: 'us-name' }, r.name || t('walk.lost.unnamed')), el('div', { class: 'us-meta' }, flags.join(' · ')),
      el('div', { class: 'us-svcs' }, chips), lostNote(r)];
  }

  function columns() {
    const values = underservedColumns((code) => areas.name(code));
    const std = ctx.standards();
    const tiers = std ? tierRules(std.underserved, t, svc) : { rank: t('us.rule.rank') };
    const tierTitle = (r) => (r.tier === 'tier1' ? tiers.tier1 : r.tier === 'tier2' ? tiers.tier2 : '') || '';
    const cells = {
      rank: (r) => [el('span', { class: `tier ${r.tier || 'none'}`, title: tierTitle(r) }, r.tier ? t(`us.${r.tier}`) : '—'), el('span', { class: 'us-rank' }, String(r.rank))],
      name: nameCell,
      community: (r) => areas.name(r.community_code),
      households: (r) => num(r.households),
      elderly: (r) => m(r.elderly),
    };
    const cls = { rank: 'us-c-rank', name: 'us-c-name', community: 'us-c-community', households: 'n us-c-hh', elderly: 'n us-c-eld' };
    const titles = { rank: tiers.rank };
    return values.map((c) => ({ ...c, label: t(`us.col.${c.key}`), title: titles[c.key], cell: cells[c.key], cls: cls[c.key] }));
  }

  function areaName() {
    const a = chosenArea(s);
    return a ? areas.name(a.code) : t('us.area.district');
  }

  function fill() {
    csv.disabled = Object.keys(s.errors || {}).length > 0;
    status.classList.remove('error');
    if (Object.keys(s.errors || {}).length) {
      status.textContent = t('us.filters_wrong');
      status.classList.add('error');
      list.replaceChildren();
      return;
    }
    if (s.error) {
      status.textContent = '';
      list.replaceChildren(errorView(s.error, { what: t('us.load_failed') }));
      return;
    }
    if (!s.rows) { status.textContent = t('feature.loading'); list.replaceChildren(); return; }
    const conditions = conditionsText(s, ctx.metric(), t, svc);
    if (!s.rows.length) {
      status.textContent = '';
      list.replaceChildren(el('div', { class: 'us-empty', id: 'us-empty', role: 'status' },
        el('p', { class: 'us-empty-head' }, t('us.none', { area: areaName() })),
        el('p', {}, t('us.none.conditions', { list: conditions })),
        el('p', { class: 'muted' }, t('us.none.hint'))));
      return;
    }
    const cols = columns();
    status.textContent = `${t('us.count.in', { n: s.rows.length, area: areaName() })}${t('sort.sep')}${sortNote(cols, s.sort)}`;
    list.replaceChildren(sortTable({
      id: 'us-table', columns: cols, rows: s.rows, sort: s.sort,
      onSort: (next) => { s.sort = next; fill(); },
      onRow: (r) => ctx.zoomToCompound(r.compound_id),
      rowProps: (r) => ({ class: 'us-row', dataset: { compound: r.compound_id, community: r.community_code, tier: r.tier || '' } }),
      caption: t('us.caption', { list: conditions }),
    }));
  }

  s.errors = filterErrors(s);
  showErrors();
  fill();
  if (!s.rows && !Object.keys(s.errors).length) ctx.load();
  return fill;
}
