// Browser tests of the analysis workspaces made ready for a meeting, on the demo district against a
// real `gridatlas serve`: the coverage heatmap legible at street zoom with the default layers (the
// atlas stepped back in greys, the view zoomed to the data, a hexagon's figures on hover and
// click, two radii side by side, the legend's unit) on a 1280 px desktop and a 390×844 phone; the
// tables ranked worst first, sorted by any column (mouse and keyboard), a row zooming to its
// area; 薄弱小区 narrowed to 龙南社区 with its community column and its plain empty state; the
// filters' ranges refused beside the inputs with nothing asked; and a 400 said in Chinese words.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertNoProblems, getJson, jumpTo, launchBrowser, openMap, screenshot, startServer, waitForIdle } from './harness.js';

const LONGNAN = '510504003004'; // 龙南社区
const HONGXING = '510504003'; // 红星街道
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// A street-zoom view of 红星街道 with compounds, buildings, facilities and heat.
const STREET_VIEW = [[105.437, 28.912], 15.5];
// The layers a click may pick a unit or facility from (src/ui/analysis.js).
const UNIT_LAYERS = ['stations', 'service-spaces', 'service-spaces-area', 'buildings-point', 'buildings-fill', 'compounds-fill'];

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Whether a CSS colour is a red or an orange (the heat palette's hues), not a grey, blue or green. */
function isWarm(colour) {
  let r; let g; let b;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour);
  const rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/i.exec(colour);
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].split('').map((c) => c + c).join('') : hex[1];
    [r, g, b] = [0, 2, 4].map((i) => Number.parseInt(h.slice(i, i + 2), 16) / 255);
  } else if (rgb) {
    [r, g, b] = rgb.slice(1, 4).map((x) => Number(x) / 255);
  } else {
    return false;
  }
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const s = max === min ? 0 : (max - min) / (1 - Math.abs(2 * l - 1));
  let h = 0;
  if (max !== min) {
    if (max === r) h = 60 * (((g - b) / (max - min)) % 6);
    else if (max === g) h = 60 * ((b - r) / (max - min) + 2);
    else h = 60 * ((r - g) / (max - min) + 4);
  }
  if (h < 0) h += 360;
  return s > 0.35 && l > 0.15 && l < 0.92 && (h <= 45 || h >= 330);
}

/** Every colour in a style value (a colour string or an expression holding some), lower-cased. */
function colours(value) {
  if (typeof value === 'string') return /^(#|rgba?\()/i.test(value) ? [value.toLowerCase()] : [];
  return Array.isArray(value) ? value.flatMap(colours) : [];
}

/** The colours each visible layer of the atlas is drawn in (layers drawn fully transparent left out). */
function atlasColours(page) {
  return page.evaluate(() => {
    const out = {};
    for (const l of window.gridAtlas.map.getStyle().layers) {
      if (!['atlas'].includes(l.source) || l.layout?.visibility === 'none') continue;
      const paint = l.paint || {};
      if (['fill-opacity', 'icon-opacity', 'line-opacity', 'circle-opacity'].some((k) => paint[k] === 0)) continue;
      out[l.id] = Object.entries(paint).filter(([k]) => k.endsWith('color')).map(([, v]) => v);
    }
    return out;
  });
}

/** The heat palette, read from the heatmap layer's fill colour. */
async function heatPalette(page) {
  return colours(await page.evaluate(() => window.gridAtlas.map.getPaintProperty('heatmap-fill', 'fill-color'))).filter((c) => c.startsWith('#'));
}

/**
 * A pixel of the map (page coordinates) inside a hexagon of `layer` with households not covered,
 * with no unit or facility under it and no panel over it, and the cell's properties; `side`
 * limits it to the left or right of `split` (a page x).
 */
async function hexagonPixel(page, { layer = 'heatmap-fill', side = null, split = 0 } = {}) {
  const box = await page.locator('#map canvas').boundingBox();
  const found = await page.evaluate(([id, units, where, at]) => {
    const { map } = window.gridAtlas;
    const canvas = map.getCanvas();
    const { width, height, left, top } = canvas.getBoundingClientRect();
    for (let y = 70; y < height - 70; y += 9) {
      for (let x = 30; x < width - 30; x += 9) {
        if (where === 'left' && left + x > at - 20) continue;
        if (where === 'right' && left + x < at + 20) continue;
        if (document.elementFromPoint(left + x, top + y) !== canvas) continue;
        const cell = map.queryRenderedFeatures([x, y], { layers: [id] }).find((f) => Number(f.properties.households_uncovered) > 0);
        if (!cell) continue;
        if (map.queryRenderedFeatures([[x - 5, y - 5], [x + 5, y + 5]], { layers: units.filter((u) => map.getLayer(u)) }).length) continue;
        return { x, y, props: cell.properties };
      }
    }
    return null;
  }, [layer, UNIT_LAYERS, side, split]);
  return found && { x: box.x + found.x, y: box.y + found.y, props: found.props };
}

/** Opens the coverage workspace and waits until its table is drawn and the view has been fitted to the data. */
async function openCoverage(page) {
  await page.click('[data-ws="coverage"]');
  await page.locator('#cov-table tbody tr').first().waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => ['done', 'skipped'].includes(window.gridAtlas.coverage.fit), null, { timeout: 20_000 });
  await waitForIdle(page);
}

/** The values of the cells of class `cls` in a table's rows, as numbers (— as null). */
function columnValues(page, table, cls) {
  return page.$$eval(`${table} tbody tr td.${cls}`, (tds) => tds.map((td) => {
    const n = Number.parseFloat(td.textContent.replace(/,/g, ''));
    return Number.isFinite(n) ? n : null;
  }));
}

const ordered = (xs, dir) => xs.filter((x) => x !== null).every((x, i, a) => i === 0 || (dir === 'asc' ? a[i - 1] <= x : a[i - 1] >= x));

/** Waits until the map has moved from zoom `from` (when given) and settled with `bbox` in view. */
async function waitForBboxInView(page, bbox, from = null) {
  await page.waitForFunction(([b, z]) => {
    const { map } = window.gridAtlas;
    if (map.isMoving() || (z !== null && Math.abs(map.getZoom() - z) < 0.01)) return false;
    const v = map.getBounds();
    const eps = 1e-6;
    return v.getWest() <= b[0] + eps && v.getSouth() <= b[1] + eps && v.getEast() >= b[2] - eps && v.getNorth() >= b[3] - eps;
  }, [bbox, from], { timeout: 15_000 });
}

const zoomOf = (page) => page.evaluate(() => window.gridAtlas.map.getZoom());

function bboxOf(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]); b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(visit);
  };
  visit(geometry.coordinates);
  return b;
}

async function areaBbox(layer, code) {
  const { features } = await getJson(`${server.url}/ogc/collections/${layer}/items?code=${code}`);
  return bboxOf(features[0].geometry);
}

describe('the heatmap reads at street zoom', () => {
  test('1280 px: the atlas steps back, the view fits the data, a hexagon tells its figures, two radii side by side', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      // The compounds are drawn in the heat palette's hues on the plain map …
      const original = await page.evaluate(() => window.gridAtlas.map.getPaintProperty('compounds-fill', 'fill-color'));
      assert.ok(colours(original).some(isWarm), `three-no compounds red, others orange: ${JSON.stringify(original)}`);
      const zoomBefore = await page.evaluate(() => window.gridAtlas.map.getZoom());

      // … and step back in the coverage workspace: greys and outlines, no reds or oranges anywhere in the atlas.
      await openCoverage(page);
      const palette = await heatPalette(page);
      assert.equal(palette.length, 5, `the heat palette: ${palette}`);
      const fill = colours(await page.evaluate(() => window.gridAtlas.map.getPaintProperty('compounds-fill', 'fill-color')));
      assert.ok(fill.length > 0);
      for (const c of fill) assert.ok(!palette.includes(c) && !isWarm(c), `compounds drawn in ${c}, not a heat colour`);
      for (const [layer, values] of Object.entries(await atlasColours(page))) {
        for (const c of values.flatMap(colours)) assert.ok(!isWarm(c), `${layer} drawn in ${c}, which competes with the heat`);
      }

      // The view was zoomed to the hexagons with households.
      assert.equal(await page.evaluate(() => window.gridAtlas.coverage.fit), 'done');
      const heat = await getJson(`${server.url}/api/heatmap?service=elderly_care&resolution=9&threshold=500&metric=walk`);
      const withHouseholds = heat.features.filter((f) => f.properties.households > 0);
      const dataBbox = withHouseholds.reduce((b, f) => {
        const c = bboxOf(f.geometry);
        return [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[2]), Math.max(b[3], c[3])];
      }, [Infinity, Infinity, -Infinity, -Infinity]);
      await waitForBboxInView(page, dataBbox);
      assert.ok(await page.evaluate(() => window.gridAtlas.map.getZoom()) > zoomBefore + 1, 'zoomed in from the district to the data');

      // The legend says what a colour counts: households not covered per hexagon, with the radius and the service.
      const legend = await page.textContent('#heat-legend');
      assert.match(legend, /未覆盖户数（户\/每个六边形）/);
      assert.match(legend, /养老服务：步行 500 米内没有计入设施的住户/);
      assert.match(legend, /1–9 户.*120 户以上/);
      // The standard behind the radius, and the others the coverage reports, explained.
      await page.click('#cov-standard summary');
      const standard = await page.textContent('#cov-standard');
      assert.match(standard, /养老服务：10分钟生活圈，500 米以内算覆盖；服务对象：60岁及以上老年人/);
      assert.match(standard, /依据：国办函〔2023〕121号《城市社区嵌入式服务设施建设工程实施方案》、GB 50180-2018《城市居住区规划设计标准》/);
      assert.match(standard, /5、10、15 分钟生活圈分别约为步行 300、500、1000 米/);
      assert.match(standard, /每百户不少于 30 ㎡/);
      assert.match(standard, /社区综合服务站、幼儿园、托儿所、老年服务站、社区卫生服务站/);
      assert.match(standard, /嵌入式服务综合体.*不少于 600 ㎡，至少 3 项功能/);
      await page.click('#cov-standard summary');
      await screenshot(page, '130-heatmap-fitted-zh');

      // At street zoom, with every layer on, the heat reads.
      await jumpTo(page, ...STREET_VIEW);
      await screenshot(page, '131-heatmap-street-zh');
      // A hexagon's figures: on hover …
      const at = await hexagonPixel(page);
      assert.ok(at, 'a hexagon with households not covered, clear of compounds');
      const uncovered = Math.round(Number(at.props.households_uncovered));
      const mean = Math.round(Number(at.props.mean_distance_m));
      await page.mouse.move(at.x, at.y);
      await page.locator('#heat-cell-hover').waitFor({ timeout: 5_000 });
      const hover = await page.textContent('#heat-cell-hover');
      assert.match(hover, new RegExp(`未覆盖 ${uncovered} 户（步行 500 米内没有设施）`));
      assert.match(hover, new RegExp(`到最近设施平均步行 ${mean} 米（约 \\d+ 分钟）`));
      // … and pinned on a click.
      await page.mouse.click(at.x, at.y);
      await page.locator('#heat-cell').waitFor({ timeout: 5_000 });
      const pinned = await page.textContent('#heat-cell');
      assert.match(pinned, /养老服务 · 步行 500 米/);
      assert.match(pinned, new RegExp(`住户 ${Math.round(Number(at.props.households))} 户`));
      assert.match(pinned, new RegExp(`未覆盖 ${uncovered} 户`));
      assert.match(pinned, new RegExp(`平均步行 ${mean} 米`));
      await screenshot(page, '132-heatmap-hexagon-zh');

      // 300 m beside 500 m: a swipe line, the tiles replaced by the two sides, the table with both coverages.
      await page.check('#cov-compare');
      assert.equal(await page.inputValue('#cov-threshold-b'), '300');
      await page.locator('#heat-split').waitFor();
      assert.equal((await page.textContent('#heat-split-left')).trim(), '500 米');
      assert.equal((await page.textContent('#heat-split-right')).trim(), '300 米');
      await page.waitForFunction(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['heat-compare-left'] }).length > 0
        && window.gridAtlas.map.queryRenderedFeatures({ layers: ['heat-compare-right'] }).length > 0, null, { timeout: 15_000 });
      assert.equal(await page.evaluate(() => window.gridAtlas.map.getLayoutProperty('heatmap-fill', 'visibility')), 'none');
      await page.locator('#cov-table th[data-key="hh_pct_b"]', { hasText: '户覆盖率（300 米）' }).waitFor({ timeout: 15_000 });
      const at500 = await columnValues(page, '#cov-table', 'hh');
      const at300 = await columnValues(page, '#cov-table', 'hhb');
      assert.equal(at300.length, at500.length);
      at300.forEach((v, i) => assert.ok(v <= at500[i] + 0.05, `row ${i}: ${v}% within 300 m ≤ ${at500[i]}% within 500 m`));
      // The line moves with the arrow keys; a hexagon right of it tells its 300 m figures.
      const handle = page.locator('.heat-split-handle');
      const share = Number(await handle.getAttribute('aria-valuenow'));
      await handle.focus();
      await page.keyboard.press('ArrowLeft');
      await page.waitForFunction((s) => Number(document.querySelector('.heat-split-handle').getAttribute('aria-valuenow')) === s - 5, share);
      await waitForIdle(page);
      const split = (await page.locator('#heat-split').boundingBox()).x;
      const right = await hexagonPixel(page, { layer: 'heat-compare-right', side: 'right', split });
      assert.ok(right, 'a hexagon right of the line');
      await page.mouse.click(right.x, right.y);
      await page.locator('#heat-cell').waitFor();
      assert.match(await page.textContent('#heat-cell'), /养老服务 · 步行 300 米/);
      assert.match(await page.textContent('#heat-cell'), /按 500 米计：未覆盖 \d+ 户/);
      await screenshot(page, '133-heatmap-compare-zh');

      // Leaving the workspace gives the atlas its colours back.
      await page.click('[data-ws="map"]');
      await page.waitForFunction(() => !document.querySelector('#heat-split'));
      assert.deepEqual(await page.evaluate(() => window.gridAtlas.map.getPaintProperty('compounds-fill', 'fill-color')), original);
      assert.equal(await page.evaluate(() => window.gridAtlas.map.getLayoutProperty('heatmap-fill', 'visibility')), 'none');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('390×844 phone: the stepped-back atlas and a hexagon tapped, no sideways scrolling', async () => {
    const page = await openMap(browser, server.url, { viewport: PHONE });
    try {
      await openCoverage(page);
      assert.equal(await page.evaluate(() => window.gridAtlas.coverage.fit), 'done');
      await screenshot(page, '134-heatmap-fitted-phone-zh');
      await jumpTo(page, ...STREET_VIEW);
      const palette = await heatPalette(page);
      for (const c of colours(await page.evaluate(() => window.gridAtlas.map.getPaintProperty('compounds-fill', 'fill-color')))) {
        assert.ok(!palette.includes(c) && !isWarm(c), `compounds drawn in ${c}`);
      }
      await screenshot(page, '135-heatmap-street-phone-zh');
      const at = await hexagonPixel(page);
      assert.ok(at, 'a hexagon to tap above the sheet');
      await page.mouse.click(at.x, at.y);
      await page.locator('#heat-cell').waitFor({ timeout: 5_000 });
      assert.match(await page.textContent('#heat-cell'), new RegExp(`未覆盖 ${Math.round(Number(at.props.households_uncovered))} 户`));
      assert.match(await page.textContent('#heat-cell'), /到最近设施平均步行 \d+ 米/);
      await screenshot(page, '136-heatmap-hexagon-phone-zh');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width, 'no sideways scrolling');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});

describe('tables that lead somewhere', () => {
  test('coverage and governance: worst first, sorted by any column with the mouse or the keyboard, a row zooms to its area', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      await openCoverage(page);
      // Worst covered first.
      assert.equal(await page.getAttribute('#cov-table th[data-key="hh_pct"]', 'aria-sort'), 'ascending');
      assert.ok(ordered(await columnValues(page, '#cov-table', 'hh'), 'asc'), 'lowest % households covered first');
      // A click on 户数: most households first; again: fewest.
      await page.click('#cov-table th[data-key="households"] button');
      assert.equal(await page.getAttribute('#cov-table th[data-key="households"]', 'aria-sort'), 'descending');
      assert.equal(await page.getAttribute('#cov-table th[data-key="hh_pct"]', 'aria-sort'), 'none');
      const households = await page.$$eval('#cov-table tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, ''))));
      assert.ok(households.length > 5 && ordered(households, 'desc'), `households, most first: ${households}`);
      await page.click('#cov-table th[data-key="households"] button');
      assert.equal(await page.getAttribute('#cov-table th[data-key="households"]', 'aria-sort'), 'ascending');
      assert.ok(ordered(await page.$$eval('#cov-table tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, '')))), 'asc'));
      // The keyboard: Enter on 名称 sorts by name, in pinyin order.
      await page.focus('#cov-table th[data-key="name"] button');
      await page.keyboard.press('Enter');
      assert.equal(await page.getAttribute('#cov-table th[data-key="name"]', 'aria-sort'), 'ascending');
      const names = await page.$$eval('#cov-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
      assert.deepEqual(names, [...names].sort(new Intl.Collator('zh-Hans-CN-u-co-pinyin').compare));
      assert.equal(names[0], '奥体社区');

      // A row zooms the map to its community and outlines it.
      const bbox = await areaBbox('communities', LONGNAN);
      await page.click(`#cov-table tbody tr[data-code="${LONGNAN}"]`);
      await waitForBboxInView(page, bbox, await zoomOf(page));
      const view = await page.evaluate(() => { const b = window.gridAtlas.map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; });
      assert.ok(view[2] - view[0] < (bbox[2] - bbox[0]) * 6, 'zoomed to the community, not the district');
      assert.equal(await page.evaluate(async () => (await window.gridAtlas.map.getSource('selection').getData()).features[0]?.properties?.code), LONGNAN);

      // 治理指标: lowest property-management coverage first; 三无小区 most first; Enter on a row zooms there.
      await page.click('#cov-view-governance');
      await page.locator('#gov-table tbody tr').first().waitFor();
      assert.equal(await page.getAttribute('#gov-table th[data-key="pm_pct"]', 'aria-sort'), 'ascending');
      assert.ok(ordered(await columnValues(page, '#gov-table', 'pm'), 'asc'));
      assert.match(await page.textContent('#gov-table thead'), /三无小区.*物业.*业委会.*户\/网格员/);
      await page.click('#gov-table th[data-key="three_no"] button');
      const threeNo = await page.$$eval('#gov-table tbody tr td.tn', (tds) => tds.map((td) => Number(td.textContent.split('/')[0])));
      assert.ok(ordered(threeNo, 'desc') && threeNo[0] > 0, `three-no compounds, most first: ${threeNo}`);
      await page.selectOption('#cov-level', 'street');
      await page.waitForFunction(() => [...document.querySelectorAll('#gov-table tbody tr')].every((r) => r.dataset.code.length === 9), null, { timeout: 15_000 });
      const streetBbox = await areaBbox('streets', HONGXING);
      await page.focus(`#gov-table tbody tr[data-code="${HONGXING}"]`);
      const zoomed = await zoomOf(page);
      await page.keyboard.press('Enter');
      await waitForBboxInView(page, streetBbox, zoomed);
      await screenshot(page, '137-governance-street-zh');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});

describe('薄弱小区 by area, explained and checked', () => {
  test('narrowed to 龙南社区: its compounds with the community column, then the plain empty state; ranges refused beside the inputs', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    const asked = [];
    page.on('request', (r) => { if (r.url().includes('/api/underserved?')) asked.push(r.url()); });
    try {
      await page.click('[data-ws="underserved"]');
      await page.locator('.us-row').first().waitFor({ timeout: 20_000 });
      // The whole district: a community column naming each compound's community.
      assert.match(await page.textContent('#us-table thead'), /等级.*小区.*社区.*户数.*60岁\+/);
      const communities = await page.$$eval('#us-table tbody tr .us-c-community', (tds) => tds.map((td) => td.textContent));
      assert.ok(communities.includes('龙桥子社区') && communities.includes('龙南社区'), communities.join(','));
      // Sorted by households, most first.
      await page.click('#us-table th[data-key="households"] button');
      const hh = await page.$$eval('#us-table tbody tr .us-c-hh', (tds) => tds.map((td) => Number(td.textContent.replace(/,/g, ''))));
      assert.ok(ordered(hh, 'desc'), `households, most first: ${hh}`);
      // Tiers and the standards behind each threshold explained.
      await page.click('#us-rules summary');
      const rules = await page.textContent('#us-rules');
      assert.match(rules, /一类：三无小区.*60岁以上居民不少于 50 人，且养老服务、社区助餐都不在可达范围内/);
      assert.match(rules, /二类：物业、业委会、主管单位至少缺一项.*至少 2 项不在可达范围内/);
      assert.match(rules, /养老服务：10分钟生活圈，500 米以内算覆盖；服务对象：60岁及以上老年人/);
      assert.match(rules, /GB 50180-2018《城市居住区规划设计标准》：5、10、15 分钟生活圈分别约为步行 300、500、1000 米/);
      assert.match(rules, /依据：国办函〔2023〕121号《城市社区嵌入式服务设施建设工程实施方案》/);

      // 红星街道 → 龙南社区: only its compounds, the map at the community.
      await page.selectOption('#us-street', HONGXING);
      await waitForBboxInView(page, await areaBbox('streets', HONGXING), await zoomOf(page));
      const atStreet = await zoomOf(page);
      await page.selectOption('#us-community', LONGNAN);
      await page.waitForFunction((c) => {
        const rows = [...document.querySelectorAll('.us-row')];
        return rows.length > 0 && rows.every((r) => r.dataset.community === c);
      }, LONGNAN, { timeout: 15_000 });
      assert.ok(asked.at(-1).includes(`community_code=${LONGNAN}`));
      for (const text of await page.$$eval('#us-table tbody tr .us-c-community', (tds) => tds.map((td) => td.textContent))) assert.equal(text, '龙南社区');
      assert.match(await page.textContent('#us-count'), /^龙南社区共 \d+ 个薄弱小区/);
      await waitForBboxInView(page, await areaBbox('communities', LONGNAN), atStreet);
      // In straight lines none of 龙南社区's compounds qualifies: said so, with the conditions and what to do.
      await page.click('.metric-opt[data-metric="straight"]');
      await page.locator('#us-empty').waitFor({ timeout: 15_000 });
      assert.equal((await page.textContent('.us-empty-head')).trim(), '龙南社区没有符合条件的薄弱小区');
      assert.match(await page.textContent('#us-empty'), /当前条件：仅三无小区 · 直线距离。.*可放宽条件/);
      assert.equal(await page.locator('.us-row').count(), 0);
      await screenshot(page, '138-underserved-longnan-empty-zh');

      // 2010 → 1990: refused beside the inputs, in Chinese; nothing asked, no silent empty table.
      const before = asked.length;
      await page.fill('#us-build_year_min', '2010');
      await page.fill('#us-build_year_max', '1990');
      await page.press('#us-build_year_max', 'Enter');
      await page.locator('#us-msg-years:not([hidden])').waitFor();
      assert.equal(await page.textContent('#us-msg-years'), '起始年份 2010 晚于截止年份 1990：请把早的年份填在“从”、晚的填在“至”');
      assert.equal(await page.getAttribute('#us-build_year_min', 'aria-invalid'), 'true');
      assert.equal(await page.getAttribute('#us-build_year_max', 'aria-invalid'), 'true');
      // −5 residents aged 60+: refused too.
      await page.fill('#us-min_elderly', '-5');
      await page.press('#us-min_elderly', 'Enter');
      assert.equal(await page.textContent('#us-msg-min_elderly'), '不能为负数（输入了 -5）');
      assert.equal(await page.getAttribute('#us-min_elderly', 'aria-invalid'), 'true');
      assert.equal(await page.textContent('#us-count'), '筛选条件有误，未查询：请按输入框旁的提示修改');
      assert.equal(await page.locator('#us-table, #us-empty').count(), 0, 'no table, no empty state');
      assert.equal(await page.isDisabled('#us-csv'), true);
      await page.waitForTimeout(400);
      assert.equal(asked.length, before, 'nothing asked of the server');
      await screenshot(page, '139-underserved-refused-zh');
      // The same reasons in English.
      await page.click('#lang-switch');
      await page.locator('#us-msg-years', { hasText: 'The first year 2010 is after the last year 1990' }).waitFor();
      assert.equal(await page.textContent('#us-msg-min_elderly'), 'Cannot be negative (you entered -5)');
      await page.click('#lang-switch');
      // Corrected: asked again, and answered.
      await page.fill('#us-build_year_min', '1990');
      await page.fill('#us-build_year_max', '2010');
      await page.fill('#us-min_elderly', '');
      await page.press('#us-min_elderly', 'Enter');
      await page.locator('#us-msg-years').waitFor({ state: 'hidden' });
      await page.waitForFunction((n) => window.gridAtlas.underserved.rows !== null, null, { timeout: 15_000 });
      assert.ok(asked.length > before);
      assert.match(asked.at(-1), /build_year_min=1990&build_year_max=2010/);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});

describe('refusals in Chinese words', () => {
  test('a 400 from the server is said in Chinese with what to do, the server\'s message only as detail', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      // The request reaches the server with a metric it does not know: a real 400 answers.
      await page.route('**/api/underserved?**', (route) => route.continue({ url: `${route.request().url()}&metric=sideways` }));
      await page.click('[data-ws="underserved"]');
      const box = page.locator('.us-table-box .error-box');
      await box.waitFor({ timeout: 15_000 });
      const reason = await box.locator('.err-reason').textContent();
      assert.equal(reason, '无法查询薄弱小区：请求的条件有误，服务器没有处理。请检查输入的条件后重试。');
      assert.doesNotMatch(reason, /400|Bad Request|加载失败/);
      assert.equal(await box.getAttribute('data-code'), 'bad_request');
      // The server's own words, folded away.
      assert.equal(await box.locator('details.err-detail').evaluate((d) => d.open), false);
      assert.match(await box.locator('.err-detail code').textContent(), /metric: walk \(along the ways\) or straight, got "sideways"/);
      await screenshot(page, '140-underserved-400-zh');
      // In English too.
      await page.click('#lang-switch');
      await page.locator('.us-table-box .error-box .err-reason', { hasText: 'Could not list the underserved compounds: The request was not understood' }).waitFor();
      assertNoProblems(page, [/HTTP 400: .*\/api\/underserved/, /status of 400/]);
    } finally {
      await page.context().close();
    }
  });
});
