// Browser tests of the two analysis workspaces — 薄弱小区 (underserved compounds) and 覆盖分析
// (coverage) — on the demo district, against a real `gridatlas serve`.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, openMap, screenshot, startServer, waitForIdle } from './harness.js';

// The demo's deliberately underserved communities (红星街道).
const LONGQIAO = '510504003001'; // 龙桥子社区
const YUDAIQIAO = '510504003002'; // 玉带桥社区

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

function assertNoProblems(page) {
  assert.deepEqual(page.problems, [], 'console errors, page errors or failed requests');
}

/** The listed rows: compound id and community code, in order. */
function listed(page) {
  return page.$$eval('.us-row', (rows) => rows.map((r) => ({ id: Number(r.dataset.compound), community: r.dataset.community })));
}

/** Waits until the list shows `n` rows different from `before` (JSON). */
async function waitForListChange(page, before) {
  await page.waitForFunction((b) => {
    const rows = [...document.querySelectorAll('.us-row')].map((r) => ({ id: Number(r.dataset.compound), community: r.dataset.community }));
    return rows.length > 0 && JSON.stringify(rows) !== b;
  }, before, { timeout: 15_000 });
}

/** Sum of households_uncovered over the heatmap cells drawn in view (each cell once). */
function heatSum(page) {
  return page.evaluate(() => {
    const { map } = window.gridAtlas;
    const seen = new Map();
    for (const f of map.queryRenderedFeatures({ layers: ['heatmap-fill'] })) seen.set(f.properties.cell, f.properties.households_uncovered);
    let sum = 0;
    for (const v of seen.values()) sum += Number(v) || 0;
    return { cells: seen.size, sum };
  });
}

describe('the analysis workspaces', () => {
  test('薄弱小区: the demo\'s underserved compounds lead the list, filters change it, rows zoom', async () => {
    const page = await openMap(browser, server.url);
    try {
      await page.click('[data-ws="underserved"]');
      await page.locator('.us-row').first().waitFor({ timeout: 15_000 });
      // Three-no only is on by default.
      assert.equal(await page.isChecked('[data-filter="three_no_only"]'), true);
      const rows = await listed(page);
      assert.ok(rows.length >= 5, `rows: ${rows.length}`);
      const top = rows.slice(0, 10);
      for (const r of top) assert.ok([LONGQIAO, YUDAIQIAO].includes(r.community), `top rows from 龙桥子/玉带桥: ${JSON.stringify(top)}`);
      assert.ok(top.some((r) => r.community === LONGQIAO) && top.some((r) => r.community === YUDAIQIAO));
      // Each row shows its evidence: tier, flags, households / 60+, distance vs threshold in metres.
      const first = await page.locator('.us-row').first().textContent();
      assert.match(first, /一类|二类/);
      assert.match(first, /三无小区/);
      assert.match(await page.locator('.us-row .us-c-hh').first().textContent(), /^[\d,]+$/);
      assert.match(await page.locator('.us-row .us-c-eld').first().textContent(), /^\d+$/);
      assert.match(first, /养老服务 \d+\/\d+米/);
      // The listed compounds are highlighted on the map.
      const hl = await page.evaluate(() => window.gridAtlas.map.getFilter('underserved-highlight'));
      assert.deepEqual(hl[2][1].slice().sort(), rows.map((r) => r.id).sort());
      await waitForIdle(page);
      await screenshot(page, '09-underserved-zh');

      // Turning three-no only off lists more compounds.
      const before3 = JSON.stringify(rows);
      await page.uncheck('[data-filter="three_no_only"]');
      await waitForListChange(page, before3);
      const all = await listed(page);
      assert.ok(all.length > rows.length, `${all.length} > ${rows.length}`);
      // A build-year filter narrows it again.
      const beforeYear = JSON.stringify(all);
      await page.fill('[data-filter="build_year_max"]', '1990');
      await page.press('[data-filter="build_year_max"]', 'Enter');
      await page.locator('[data-filter="build_year_max"]').blur();
      await waitForListChange(page, beforeYear);
      const old = await listed(page);
      assert.ok(old.length < all.length, `${old.length} < ${all.length}`);

      // The CSV export carries the same filters.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#us-csv')]);
      assert.match(download.url(), /\/api\/underserved\?.*build_year_max=1990.*format=csv/);
      const res = await fetch(new URL(download.url(), server.url));
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /text\/csv/);

      // Clicking a row zooms to the compound and opens its feature panel.
      const zoomBefore = await page.evaluate(() => window.gridAtlas.map.getZoom());
      await page.locator('.us-row').first().click();
      await page.locator('#feature-panel:not([hidden])').waitFor({ timeout: 10_000 });
      await page.waitForFunction((z) => window.gridAtlas.map.getZoom() > z + 1, zoomBefore, { timeout: 10_000 });
      await waitForIdle(page);
      assert.match(await page.textContent('#feature-panel'), /小区/);
      // Zoomed out a little, the listed compounds are drawn highlighted.
      const centre = await page.evaluate(() => window.gridAtlas.map.getCenter().toArray());
      await page.evaluate((c) => window.gridAtlas.map.jumpTo({ center: c, zoom: 15 }), centre);
      await waitForIdle(page);
      const lit = await page.evaluate(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['underserved-highlight'] }).map((f) => f.id));
      assert.ok(lit.length > 0, 'highlighted compounds drawn');
      for (const id of lit) assert.ok(old.some((r) => r.id === id), `highlighted ${id} is listed`);
      await screenshot(page, '09b-underserved-zoomed-zh');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('覆盖分析: switching the threshold changes the heatmap and the table', async () => {
    const page = await openMap(browser, server.url);
    try {
      await page.click('[data-ws="coverage"]');
      await page.locator('#cov-table tbody tr').first().waitFor({ timeout: 15_000 });
      // Ten service types with Chinese labels; 500 m by default.
      const services = await page.$$eval('#cov-service option', (o) => o.map((x) => x.textContent));
      assert.equal(services.length, 10);
      assert.ok(services.includes('养老服务'));
      assert.equal(await page.inputValue('#cov-threshold'), '500');
      // The view is fitted to the data once, on opening: measure after it.
      await page.waitForFunction(() => ['done', 'skipped'].includes(window.gridAtlas.coverage.fit), null, { timeout: 15_000 });
      await waitForIdle(page);
      const heat500 = await heatSum(page);
      assert.ok(heat500.cells > 0, 'heatmap cells drawn');
      const table = () => page.$$eval('#cov-table tbody tr', (rows) => rows.map((r) => `${r.dataset.code}:${r.querySelector('.hh').textContent}:${r.querySelector('.tg').textContent}`).join('|'));
      const t500 = await table();
      await waitForIdle(page);
      await screenshot(page, '10-coverage-500-zh');

      await page.selectOption('#cov-threshold', '300');
      await page.waitForFunction((b) => {
        const rows = [...document.querySelectorAll('#cov-table tbody tr')];
        return rows.length > 0 && rows.map((r) => `${r.dataset.code}:${r.querySelector('.hh').textContent}:${r.querySelector('.tg').textContent}`).join('|') !== b;
      }, t500, { timeout: 15_000 });
      await waitForIdle(page);
      const heat300 = await heatSum(page);
      assert.ok(heat300.sum > heat500.sum, `uncovered households at 300 m (${heat300.sum}) > at 500 m (${heat500.sum})`);
      const tiles = await page.evaluate(() => window.gridAtlas.map.getSource('heatmap').tiles[0]);
      assert.match(tiles, /threshold=300/);

      // Level selector: streets.
      await page.selectOption('#cov-level', 'street');
      await page.waitForFunction(() => document.querySelectorAll('#cov-table tbody tr').length > 0
        && [...document.querySelectorAll('#cov-table tbody tr')].every((r) => r.dataset.code.length === 9), null, { timeout: 15_000 });
      assert.ok(await page.locator('.chart svg rect').count() > 0, 'bar chart drawn');

      // Exports.
      const [png] = await Promise.all([page.waitForEvent('download'), page.click('#cov-png')]);
      assert.match(png.suggestedFilename(), /\.png$/);
      const pngBytes = readFileSync(await png.path());
      assert.equal(pngBytes.subarray(1, 4).toString(), 'PNG');
      assert.ok(pngBytes.length > 20_000, `PNG of the drawn map: ${pngBytes.length} bytes`);
      const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#cov-csv')]);
      assert.match(csv.suggestedFilename(), /\.csv$/);
      const csvText = readFileSync(await csv.path(), 'utf8');
      assert.match(csvText, /^\ufeffcode,name,service,threshold_m/);
      assert.match(csvText, /红星街道/);
      await screenshot(page, '11-coverage-300-streets-zh');
      // In English the workspace keeps its state and reads in English.
      await page.click('#lang-switch');
      await page.locator('#cov-table th', { hasText: '% households' }).waitFor();
      assert.equal(await page.inputValue('#cov-threshold'), '300');
      assert.ok((await page.$$eval('#cov-service option', (o) => o.map((x) => x.textContent))).includes('Elderly care'));
      await screenshot(page, '12-coverage-en');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});
