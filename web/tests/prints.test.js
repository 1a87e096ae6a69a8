// Browser tests of the coverage workspace's prints and trend, on the demo district against a real
// `gridatlas serve` in headless Chromium: a community chosen in the table is the one printed —
// its coverage report arrives as a PDF and the PNG export is the report's first page, not the
// bare canvas; a grid's notice board needs a signed-in account and then arrives as a PDF; the
// monthly trend says plainly that no month's end has data yet (the demo was loaded today); and
// printing the page prints the panel, not the application around it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { assertNoProblems, launchBrowser, openMap, screenshot, signInUi, startServer, waitForIdle } from './harness.js';

const LONGNAN = '510504003004'; // 龙南社区

let server;
let browser;

before(async () => {
  server = await startServer({ accounts: [{ name: 'staff1', role: 'staff', scope: `community:${LONGNAN}` }] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The bytes behind the print menu's link (a blob URL), read in the page. */
async function printedBytes(page) {
  await page.locator('.print-link:not([hidden])').waitFor({ timeout: 30_000 });
  return page.evaluate(async () => {
    const href = document.querySelector('.print-link').href;
    const buf = new Uint8Array(await (await fetch(href)).arrayBuffer());
    return { head: String.fromCharCode(...buf.slice(0, 5)), size: buf.length, name: document.querySelector('.print-link').download };
  });
}

describe('prints and trends in the coverage workspace', () => {
  test('a chosen community is printed, its PNG is the report page, its trend says why it is empty', async () => {
    const page = await openMap(browser, server.url, { lang: 'zh', viewport: { width: 1280, height: 820 } });
    // window.open of the PDF would leave a second page open: the link is what is checked.
    await page.evaluate(() => { window.open = () => null; });
    try {
      await page.click('[data-ws="coverage"]');
      const row = page.locator(`#cov-table tbody tr[data-code="${LONGNAN}"]`);
      await row.waitFor({ timeout: 20_000 });
      await row.click();
      await page.locator('.meeting-title', { hasText: '龙南社区' }).waitFor();
      // The demo was loaded today: every past month's end is before its data.
      await page.locator('.trend-missing', { hasText: '各月末都还没有数据' }).waitFor({ timeout: 30_000 });
      assert.ok(await page.locator('.trend-svg circle.trend-coverage').count() >= 1, 'now is plotted');

      await page.click('.print-report');
      const pdf = await printedBytes(page);
      assert.equal(pdf.head, '%PDF-');
      assert.match(pdf.name, new RegExp(`覆盖报告-${LONGNAN}`));
      assert.ok(pdf.size > 20_000, `report PDF ${pdf.size} bytes`);

      const [png] = await Promise.all([page.waitForEvent('download'), page.click('#cov-png')]);
      assert.match(png.suggestedFilename(), new RegExp(`覆盖报告-${LONGNAN}-elderly_care\\.png$`));
      const bytes = readFileSync(await png.path());
      assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
      // 150 dpi A4: 1240 × 1754 pixels (the PNG header's width and height).
      assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [1240, 1754]);

      // Boards carry phones: signed out, the menu says to sign in and asks nothing.
      await page.click('.print-boards-community');
      await page.locator('.print-status', { hasText: '登录' }).waitFor();
      await screenshot(page, '150-prints-report-trend-zh');

      // Printing the page shows the panel and its table, not the map and the bars around it.
      await page.emulateMedia({ media: 'print' });
      assert.equal(await page.locator('#map').isVisible(), false);
      assert.equal(await page.locator('#sidebar').isVisible(), false);
      assert.ok(await page.locator('#cov-table').isVisible());
      await page.emulateMedia({ media: 'screen' });
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('signed in, a grid worker’s community prints its notice boards; in English too', async () => {
    const page = await openMap(browser, server.url, { lang: 'en', viewport: { width: 390, height: 844 } });
    await page.evaluate(() => { window.open = () => null; });
    try {
      await signInUi(page, 'staff1');
      await page.click('[data-ws="coverage"]');
      const row = page.locator(`#cov-table tbody tr[data-code="${LONGNAN}"]`);
      await row.waitFor({ timeout: 20_000 });
      await row.click();
      await page.locator('.meeting-title', { hasText: 'Chosen area' }).waitFor();
      await page.locator('.print-boards-community').scrollIntoViewIfNeeded();
      await page.click('.print-boards-community');
      const pdf = await printedBytes(page);
      assert.equal(pdf.head, '%PDF-');
      assert.match(pdf.name, new RegExp(`网格公示牌-${LONGNAN}`));
      const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
      assert.equal(wide, false, 'no sideways scrolling at 390 px');
      await waitForIdle(page);
      await screenshot(page, '151-prints-boards-phone-en');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('the QR code of a notice board opens its grid on the map, and an unknown grid says so', async () => {
    const grid = `${LONGNAN}001`;
    const page = await openMap(browser, `${server.url}/?grid=${grid}`, { lang: 'zh', viewport: { width: 390, height: 844 } });
    try {
      await page.locator('#feature-panel:not([hidden]) h2', { hasText: '龙南社区第1网格' }).waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => !window.gridAtlas.map.isMoving() && window.gridAtlas.map.getZoom() > 14, null, { timeout: 20_000 });
      await screenshot(page, '152-qr-grid-phone-zh');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
    const missing = await openMap(browser, `${server.url}/?grid=999999999999999`, { lang: 'zh' });
    try {
      await missing.locator('#banner:not([hidden])', { hasText: '没有编码为 999999999999999 的网格' }).waitFor({ timeout: 20_000 });
    } finally {
      await missing.context().close();
    }
  });
});
