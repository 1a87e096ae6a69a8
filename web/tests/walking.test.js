// Browser tests of walking distances on the demo district (its ways, with the 沱江 and the 长江
// and their bridges), in headless Chromium against a real `gridatlas serve`: the ways layer
// 道路/步行路径, the 步行距离 / 直线距离 switch of both analysis workspaces, the units that lose
// coverage on foot (步行后失去覆盖), a compound across the river from its elderly-care facility
// (covered in a straight line, not on foot), isochrones, a unit's routes and the units not joined
// to the ways — on a 1280 px desktop and a 390×844 phone, in Chinese; and a store without ways,
// where walking is offered disabled with the reason.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import {
  assertNoProblems, getJson, jumpTo, launchBrowser, openMap, pixelOf, screenshot, startServer, waitForIdle,
} from './harness.js';

const execFileP = promisify(execFile);
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 820 };

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

/** The units (compounds and scattered buildings) at the map's default: elderly care within 500 m, walking. */
async function units() {
  return (await getJson(`${server.url}/api/coverage/units?service=elderly_care&threshold=500&metric=walk`)).units;
}

/**
 * A compound across the river from its elderly-care facility: covered in a straight line, not on
 * foot (the largest detour, so the river is what is between them).
 */
async function acrossTheRiver() {
  const found = (await units())
    .map((u) => ({ u, s: u.services.find((s) => s.service === 'elderly_care') }))
    .filter(({ u, s }) => u.kind === 'compound' && s.covered_straight === true && s.covered_walk === false && s.walk_m !== null)
    .sort((a, b) => b.s.detour - a.s.detour);
  assert.ok(found.length > 0, 'the demo has a compound covered for elderly care in a straight line but not on foot');
  return found[0];
}

/** The coverage table as text (code: % households: % target group), to see it change. */
const tableText = (page) => page.$$eval('#cov-table tbody tr', (rows) => rows.map((r) => `${r.dataset.code}:${r.querySelector('.hh').textContent}:${r.querySelector('.tg').textContent}`).join('|'));

async function waitForTableChange(page, before) {
  await page.waitForFunction((b) => {
    const rows = [...document.querySelectorAll('#cov-table tbody tr')];
    return rows.length > 0 && rows.map((r) => `${r.dataset.code}:${r.querySelector('.hh').textContent}:${r.querySelector('.tg').textContent}`).join('|') !== b;
  }, before, { timeout: 15_000 });
}

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

/** The rendered features of map layers in view. */
const renderedOn = (page, layers) => page.evaluate((ids) => window.gridAtlas.map.queryRenderedFeatures({ layers: ids.filter((id) => window.gridAtlas.map.getLayer(id)) }).length, layers);

/** Waits for the chosen unit's card to show `service` with the verdict `text`. */
async function verdictIs(page, id, service, text) {
  const loc = page.locator(`#cov-unit[data-id="${id}"] .reach-row[data-service="${service}"] .verdict`);
  await loc.waitFor({ timeout: 15_000 });
  await page.waitForFunction(([i, s, x]) => document.querySelector(`#cov-unit[data-id="${i}"] .reach-row[data-service="${s}"] .verdict`)?.textContent === x, [id, service, text], { timeout: 15_000 });
}

async function chooseMetric(page, metric) {
  await page.click(`.metric-opt[data-metric="${metric}"]`);
  await page.locator(`.metric-opt[data-metric="${metric}"][aria-checked="true"]`).waitFor();
}

/** The coverage workspace, the headline, isochrones and routes, at one viewport. */
async function coverageOnFoot(page, tag) {
  const { u, s } = await acrossTheRiver();
  await page.click('[data-ws="coverage"]');
  await page.locator('#cov-table tbody tr').first().waitFor({ timeout: 20_000 });
  // Walking by default, the threshold is a service radius now.
  assert.equal(await page.getAttribute('.metric-opt[data-metric="walk"]', 'aria-checked'), 'true');
  assert.equal(await page.isDisabled('.metric-opt[data-metric="walk"]'), false);
  assert.match(await page.textContent('.metric-box'), /距离计算步行距离直线距离/);
  assert.match(await page.textContent('.metric-note'), /按步行距离计算/);
  assert.match(await page.textContent('.chart-title'), /养老服务：步行 500 米内/);

  // Switching to straight lines changes the numbers (and back again).
  const onFoot = await tableText(page);
  await chooseMetric(page, 'straight');
  await waitForTableChange(page, onFoot);
  const straight = await tableText(page);
  assert.match(await page.textContent('.chart-title'), /直线 500 米内/);
  assert.match(await page.evaluate(() => window.gridAtlas.map.getSource('heatmap').tiles[0]), /metric=straight/);
  // Straight lines ignore the rivers: at least as many households covered in every area.
  const pctOf = (text) => Object.fromEntries(text.split('|').map((r) => { const [code, hh] = r.split(':'); return [code, Number.parseFloat(hh) || 0]; }));
  const [w, st] = [pctOf(onFoot), pctOf(straight)];
  for (const code of Object.keys(w)) assert.ok(st[code] >= w[code] - 0.05, `${code}: straight ${st[code]} ≥ walking ${w[code]}`);
  assert.ok(Object.keys(w).some((code) => st[code] > w[code]), 'walking loses coverage somewhere');

  // 步行后失去覆盖: the compounds covered in a straight line and not on foot, the one across the river among them.
  await page.click('#cov-view-lost');
  await page.locator('.lost-row').first().waitFor({ timeout: 20_000 });
  const rows = await page.$$eval('.lost-row', (r) => r.map((x) => ({ id: Number(x.dataset.id), kind: x.dataset.kind })));
  assert.ok(rows.length >= 1, `listed: ${rows.length}`);
  assert.ok(rows.some((r) => r.id === u.id && r.kind === 'compound'), `compound ${u.id} (${u.name}) is listed`);
  assert.match(await page.textContent('#lost-count'), /养老服务：直线 500 米内、步行却超过 500 米的小区和楼栋共 \d+ 个/);
  assert.match(await page.textContent('#cov-view-lost'), /步行后失去覆盖（\d+）/);
  const row = page.locator(`.lost-row[data-id="${u.id}"][data-kind="compound"]`);
  const rowText = await row.textContent();
  assert.ok(rowText.includes(u.name), rowText);
  assert.match(rowText, /直线 \d+ 米 → 步行 \d+ 米（约 \d+ 分钟）/);
  assert.match(rowText, /绕行系数 \d/);
  // They are outlined on the map.
  const lit = await page.evaluate(() => window.gridAtlas.map.getFilter('walkloss-highlight')[2][1]);
  assert.ok(lit.includes(u.id), 'outlined on the map');

  // The headline: in a straight line the compound is covered for elderly care …
  const zoomBefore = await page.evaluate(() => window.gridAtlas.map.getZoom());
  await row.click();
  await verdictIs(page, u.id, 'elderly_care', '已覆盖');
  const card = () => page.textContent(`#cov-unit[data-id="${u.id}"]`);
  assert.ok((await card()).includes(u.name));
  const detail = await page.textContent(`#cov-unit .reach-row[data-service="elderly_care"] .reach-text`);
  assert.match(detail, new RegExp(`步行 ${Math.round(s.walk_m)} 米（约 \\d+ 分钟） · 直线 ${Math.round(s.straight_m)} 米 · 绕行系数 \\d`), detail);
  // … and the map went there.
  await page.waitForFunction((z) => window.gridAtlas.map.getZoom() > z + 1, zoomBefore, { timeout: 10_000 });
  // … on foot it is not.
  await chooseMetric(page, 'walk');
  await verdictIs(page, u.id, 'elderly_care', '未覆盖');
  assert.equal(await page.getAttribute(`#cov-unit .reach-row[data-service="elderly_care"]`, 'data-covered'), 'false');

  // Its routes to the nearest facility of each service are drawn, labelled with minutes.
  await page.waitForFunction(async () => (await window.gridAtlas.map.getSource('routes').getData()).features.length > 0, null, { timeout: 15_000 });
  await waitForIdle(page);
  assert.ok(await renderedOn(page, ['routes-line']) > 0, 'routes drawn');
  const labels = await page.evaluate(async () => (await window.gridAtlas.map.getSource('route-labels').getData()).features.map((f) => f.properties.label));
  assert.ok(labels.some((l) => /养老服务 \d+分钟/.test(l)), labels.join(' / '));
  await screenshot(page, `${tag}-across-the-river-zh`);

  // Isochrones of elderly care, 5/10/15 minutes, with their legend.
  await page.check('#cov-iso');
  await page.locator('#iso-legend').waitFor();
  assert.match(await page.textContent('#iso-legend'), /5 分钟（约 \d+ 米）.*10 分钟.*15 分钟/);
  const centre = await page.evaluate(() => window.gridAtlas.map.getCenter().toArray());
  await jumpTo(page, centre, 14);
  await page.waitForFunction(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['isochrones-fill'] }).length > 0, null, { timeout: 20_000 });
  const bands = await page.evaluate(() => [...new Set(window.gridAtlas.map.queryRenderedFeatures({ layers: ['isochrones-fill'] }).map((f) => f.properties.minutes))].sort((a, b) => a - b));
  assert.deepEqual(bands, [5, 10, 15]);
  assert.match(await page.evaluate(() => window.gridAtlas.map.getSource('isochrones').tiles[0]), /service=elderly_care&minutes=5%2C10%2C15/);
  await screenshot(page, `${tag}-isochrones-zh`);
  return u;
}

describe('walking distances in the web map', () => {
  test('the ways layer 道路/步行路径 is drawn, listed with its legend, and a way opens its panel', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      const block = page.locator('.layer-block[data-layer="ways"]');
      assert.equal((await block.locator('.layer-title').textContent()).trim(), '道路/步行路径');
      assert.equal(await block.locator('li[data-legend^="way:"]').count(), 5);
      assert.match(await block.textContent(), /人行道、小路、台阶（虚线）.*桥梁/);
      // Major roads and bridges from zoom 11, every way from zoom 14.
      const { u } = await acrossTheRiver();
      await jumpTo(page, u.centroid, 16);
      const ways = await page.evaluate(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['ways-road', 'ways-foot'] })
        .map((f) => ({ id: f.id, kind: f.properties.kind, layer: f.layer.id })));
      assert.ok(ways.length > 0, 'ways drawn');
      assert.ok(ways.every((w) => w.layer === (['footway', 'path', 'steps', 'corridor', 'cycleway', 'track'].includes(w.kind) ? 'ways-foot' : 'ways-road')), 'footways dashed, roads solid');
      await screenshot(page, '100-ways-z16-zh');
      // A click on a way opens it.
      let at = null;
      for (const id of [...new Set(ways.map((w) => w.id))]) {
        at = await pixelOf(page, 'ways', id);
        if (at) break;
      }
      assert.ok(at, 'a way to click');
      await page.mouse.click(at.x, at.y);
      await page.locator('#feature-panel[data-layer="ways"]').waitFor({ timeout: 10_000 });
      const panel = await page.textContent('#feature-panel');
      assert.match(panel, /道路\/步行路径/);
      assert.match(panel, /道路类型/);
      assert.match(panel, /可步行/);
      // The bridges over the rivers are drawn over a dark casing.
      const all = await getJson(`${server.url}/ogc/collections/ways/items?limit=10000`);
      const bridge = all.features.find((f) => f.properties.bridge === true && f.properties.walkable !== false);
      assert.ok(bridge, 'the demo has a walkable bridge');
      const [x0, y0, x1, y1] = bboxOf(bridge.geometry);
      await jumpTo(page, [(x0 + x1) / 2, (y0 + y1) / 2], 15);
      assert.ok(await renderedOn(page, ['ways-bridge']) > 0, 'bridge casing drawn');
      await screenshot(page, '100b-bridge-zh');
      // Switched off, the ways are hidden.
      await page.uncheck('input[data-layer="ways"]');
      assert.equal(await page.evaluate(() => window.gridAtlas.map.getLayoutProperty('ways-road', 'visibility')), 'none');
      await waitForIdle(page);
      assert.equal(await renderedOn(page, ['ways-road', 'ways-foot', 'ways-bridge']), 0);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('覆盖分析 at 1280 px: walking vs straight, loses coverage on foot, across the river, isochrones, routes, unjoined', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      const u = await coverageOnFoot(page, '101');

      // A click on another compound on the map chooses it and draws its routes.
      await page.uncheck('#cov-iso');
      const others = (await units()).filter((x) => x.kind === 'compound' && x.id !== u.id && x.joined !== false);
      let picked = null;
      for (const o of others.slice(0, 40)) {
        await jumpTo(page, o.centroid, 16.5);
        const at = await pixelOf(page, 'compounds', o.id);
        if (!at) continue;
        await page.mouse.click(at.x, at.y);
        picked = o;
        break;
      }
      assert.ok(picked, 'a compound to click');
      await page.locator(`#cov-unit[data-id="${picked.id}"] .reach-row`).first().waitFor({ timeout: 15_000 });
      assert.ok((await page.textContent('#cov-unit')).includes(picked.name));
      await page.waitForFunction(async (id) => {
        const d = await window.gridAtlas.map.getSource('routes').getData();
        return window.gridAtlas.walking.unit?.id === id && d.features.length > 0;
      }, picked.id, { timeout: 15_000 });
      await waitForIdle(page);
      await page.waitForFunction(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['routes-line'] }).length > 0, null, { timeout: 10_000 });
      // The feature panel stays closed: the unit is the workspace's; 查看属性 opens it.
      assert.equal(await page.isHidden('#feature-panel'), true);
      await page.click('#cov-unit-details');
      await page.locator('#feature-panel[data-layer="compounds"]').waitFor({ timeout: 10_000 });
      await screenshot(page, '102-routes-clicked-zh');

      // 未接入路网: as many as the server lists, with the list under the count.
      const network = await getJson(`${server.url}/api/network`);
      assert.equal(network.measured.walking_available, true);
      await page.locator('#cov-unjoined').waitFor();
      if (network.unjoined.length) {
        assert.match(await page.textContent('#cov-unjoined summary'), new RegExp(`未接入路网：${network.unjoined.length} 个`));
        await page.click('#cov-unjoined summary');
        assert.equal(await page.locator('#cov-unjoined .unjoined-row').count(), network.unjoined.length);
        assert.ok(await page.evaluate(async () => (await window.gridAtlas.map.getSource('unjoined').getData()).features.length) > 0);
      } else {
        assert.match(await page.textContent('#cov-unjoined'), /都已接入路网/);
      }

      // In English the workspace reads in English and keeps its state.
      await page.click('#lang-switch');
      await page.locator('.metric-opt[data-metric="walk"]', { hasText: 'Walking' }).waitFor();
      assert.equal(await page.getAttribute('.metric-opt[data-metric="walk"]', 'aria-checked'), 'true');
      assert.match(await page.textContent('#cov-view-lost'), /Lost on foot/);
      assert.match(await page.textContent('#cov-unit'), /walk \d+ m \(about \d+ min\)/);
      await screenshot(page, '102b-routes-clicked-en');
      await page.click('#lang-switch');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('薄弱小区: the switch changes the distances listed and says which are lost on foot', async () => {
    const page = await openMap(browser, server.url, { viewport: DESKTOP });
    try {
      await page.click('[data-ws="underserved"]');
      await page.locator('.us-row').first().waitFor({ timeout: 20_000 });
      const threeNo = await page.locator('.us-row').count();
      await page.uncheck('[data-filter="three_no_only"]');
      await page.waitForFunction((n) => document.querySelectorAll('.us-row').length > n, threeNo, { timeout: 15_000 });
      const chips = () => page.$$eval('.us-row .svc', (c) => c.map((x) => x.textContent).join('|'));
      const onFoot = await chips();
      assert.match(await page.getAttribute('.us-row .svc[data-service="elderly_care"]', 'title'), /步行 \d+ 米（约 \d+ 分钟）|步行无法到达|未接入路网/);
      await chooseMetric(page, 'straight');
      await page.waitForFunction((b) => {
        const c = [...document.querySelectorAll('.us-row .svc')].map((x) => x.textContent).join('|');
        return c.length > 0 && c !== b;
      }, onFoot, { timeout: 15_000 });
      // The CSV carries the metric too.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#us-csv')]);
      assert.match(download.url(), /metric=straight/);
      await chooseMetric(page, 'walk');
      await page.waitForFunction((b) => [...document.querySelectorAll('.us-row .svc')].map((x) => x.textContent).join('|') === b, onFoot, { timeout: 15_000 });
      // Some compounds of the list lose a service on foot, and say so.
      if (await page.locator('.us-lost').count()) assert.match(await page.locator('.us-lost').first().textContent(), /步行后失去覆盖：.*（步行 \d+ 米|步行后失去覆盖：.*（步行无法到达|未接入路网/);
      await screenshot(page, '103-underserved-walk-zh');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('on a 390×844 phone: the workspace is a sheet below the map; walking vs straight, across the river, isochrones, routes', async () => {
    const page = await openMap(browser, server.url, { viewport: PHONE });
    try {
      await coverageOnFoot(page, '104-phone');
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), PHONE.width, 'no sideways scrolling');
      // The sheet leaves the top of the map in view.
      const sheet = await page.locator('#workspace-panel').boundingBox();
      const canvas = await page.locator('#map canvas').boundingBox();
      assert.ok(sheet.y - canvas.y >= 150, `map above the sheet: ${sheet.y - canvas.y} px`);
      assert.ok(sheet.y + sheet.height <= PHONE.height + 1, 'the sheet ends at the foot of the screen');
      // In English on the phone too.
      await page.click('#lang-switch');
      await page.locator('.metric-opt[data-metric="walk"]', { hasText: 'Walking' }).waitFor();
      assert.match(await page.textContent('#cov-unit'), /walk \d+ m \(about \d+ min\)/);
      await screenshot(page, '104-phone-across-the-river-en');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});

describe('an atlas without ways', () => {
  let bare;
  before(async () => {
    bare = await startServer({
      // Every way removed from the store, as in an atlas whose ways were never imported.
      prepareStore: (store) => execFileP('python3', ['-c', 'import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute("DELETE FROM ways")\nc.commit()', store]),
    });
  });
  after(async () => { await bare?.stop(); });

  test('walking is offered disabled with the reason, straight lines are used, nothing is refused', async () => {
    const network = await getJson(`${bare.url}/api/network`);
    assert.equal(network.measured.walking_available, false);
    const page = await openMap(browser, bare.url, { viewport: DESKTOP });
    try {
      await page.click('[data-ws="coverage"]');
      await page.locator('#cov-table tbody tr').first().waitFor({ timeout: 20_000 });
      await page.locator('.metric-opt[data-metric="walk"][disabled]').waitFor({ timeout: 10_000 });
      assert.equal(await page.getAttribute('.metric-opt[data-metric="straight"]', 'aria-checked'), 'true');
      assert.match(await page.textContent('#walk-unavailable'), /还没有可步行的道路数据.*只能按直线距离计算/);
      assert.equal(await page.isDisabled('#cov-iso'), true);
      assert.equal(await page.isDisabled('#cov-view-lost'), true);
      assert.match(await page.textContent('.chart-title'), /直线 500 米内/);
      // A compound clicked shows its straight-line distances only, and no routes are asked for.
      const u = (await getJson(`${bare.url}/api/coverage/units?service=elderly_care&threshold=500`)).units.find((x) => x.kind === 'compound');
      await jumpTo(page, u.centroid, 16.5);
      const at = await pixelOf(page, 'compounds', u.id);
      if (at) {
        await page.mouse.click(at.x, at.y);
        await page.locator(`#cov-unit[data-id="${u.id}"] .reach-row[data-service="elderly_care"]`).waitFor({ timeout: 15_000 });
        const text = await page.textContent('#cov-unit .reach-row[data-service="elderly_care"] .reach-text');
        assert.match(text, /^直线 \d+ 米$/);
      }
      await page.click('[data-ws="underserved"]');
      await page.locator('.metric-opt[data-metric="walk"][disabled]').waitFor({ timeout: 10_000 });
      await page.click('[data-ws="coverage"]');
      await screenshot(page, '105-no-ways-zh');
      // No 409: nothing walking-only was asked for.
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});
