// The import page (导入数据) in a real Chromium against the real server: a community's staff
// member uploads an Excel ledger with a bad count and an unknown column, reads the problems in
// Chinese (row, column, reason), leaves the column out, downloads the problems as a
// spreadsheet, then imports a good ledger — previewed on the map, committed as one audited
// import, drawn in the tiles. On a phone, in English, an admin uploads a GBK Shapefile in a
// Gauss-Krüger zone whose name says no layer, chooses the layer, sees the encoding and the
// coordinate system the .prj gave, and commits it.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  api, getJson, launchBrowser, openMap, OUTPUT_DIR, REPO_DIR, screenshot, signIn, startServer, waitForIdle, signInUi, assertNoProblems,
} from './harness.js';

const OFFICE = join(REPO_DIR, 'server', 'tests', 'fixtures', 'office');
const STAFF = 'staff-wuxing';
const ADMIN = 'admin-import';
const WUXING = '510504001005';

let server;
let browser;

before(async () => {
  server = await startServer({
    accounts: [
      { name: STAFF, role: 'staff', scope: `community:${WUXING}` },
      { name: ADMIN, role: 'admin', scope: 'district' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});


/** Waits for the import page to finish a request (upload, check or commit). */
async function settled(page) {
  await page.waitForFunction(() => {
    const p = document.querySelector('#import-panel')?.dataset.phase;
    return p === 'checked' || p === 'done' || p === 'idle';
  }, null, { timeout: 60_000 });
}

async function upload(page, files) {
  await page.setInputFiles('#import-files', files.map((f) => join(OFFICE, f)));
  await page.click('#import-upload');
  await settled(page);
}

/** The problems listed on the page: [{ file, row, column, reason }]. */
function problemRows(page) {
  return page.$$eval('#import-problems tr.import-problem', (trs) => trs.map((tr) => ({
    file: tr.dataset.file,
    row: tr.querySelector('.p-row').textContent,
    column: tr.querySelector('.p-column').textContent,
    value: tr.querySelector('.p-value').textContent,
    reason: tr.querySelector('.p-reason').textContent,
  })));
}

const hasChinese = (s) => /[\u4e00-\u9fff]/.test(s);

describe('the import page', () => {
  test('staff read a ledger\'s problems in Chinese, download them, and import a good ledger (zh, 1280 px)', async () => {
    const page = await openMap(browser, server.url, { lang: 'zh', viewport: { width: 1280, height: 820 } });
    assert.equal(await page.locator('#import-open').isVisible(), false, 'signed out: no import');
    await signInUi(page, STAFF);
    await page.click('#import-open');
    await page.locator('#import-panel .import-drop').waitFor();

    await upload(page, ['ledger_buildings_bad.xlsx']);
    assert.match(await page.locator('#import-summary').textContent(), /发现 \d+ 个问题.*改正前不会写入任何数据/);
    const unknown = page.locator('#import-columns tr[data-header="备注"]');
    assert.match(await unknown.getAttribute('class'), /how-unknown/);
    assert.match(await unknown.textContent(), /最接近/);
    // Leave 备注 out: the page checks again and the bad count remains, at its row and column.
    await unknown.locator('select').selectOption('');
    await settled(page);
    assert.match(await page.locator('#import-columns tr[data-header="备注"]').getAttribute('class'), /how-mapped/);
    const rows = await problemRows(page);
    const count = rows.find((r) => r.column === '户数');
    assert.ok(count, `户数 is refused: ${JSON.stringify(rows)}`);
    assert.equal(count.row, '2');
    assert.equal(count.value, '约30户', 'the value as the ledger wrote it');
    assert.equal(count.file, 'ledger_buildings_bad.xlsx');
    assert.ok(count.reason.includes('约30户') && hasChinese(count.reason.replace('约30户', '')), count.reason);
    assert.ok(rows.every((r) => hasChinese(r.reason)), 'every reason in Chinese');
    assert.equal(await page.locator('#import-commit').isDisabled(), true, 'nothing to commit while problems remain');
    await screenshot(page, '70-import-problems-zh-1280');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#import-problems-csv')]);
    const saved = join(OUTPUT_DIR, 'import-problems.csv');
    await download.saveAs(saved);
    assert.equal(download.suggestedFilename(), '导入问题.csv');
    const csv = readFileSync(saved, 'utf8');
    assert.match(csv.split('\n')[0], /原因/);
    assert.match(csv, /约30户/);
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#import-problems-xlsx')]);
    const xlsxPath = join(OUTPUT_DIR, 'import-problems.xlsx');
    await xlsx.saveAs(xlsxPath);
    assert.equal(readFileSync(xlsxPath).subarray(0, 2).toString(), 'PK', 'an .xlsx (zip) file');

    await page.click('#import-discard');
    await page.locator('#import-panel .import-drop').waitFor();

    const token = await signIn(server.url, STAFF);
    const before = (await api(`${server.url}/audit?actor=${STAFF}`, { token })).body.entries.length;
    await upload(page, ['ledger_buildings.xlsx']);
    assert.match(await page.locator('#import-summary').textContent(), /将写入 (\d+) 个要素，新增 \1，更新 0/);
    const meta = await page.locator('#import-detected .import-file').textContent();
    assert.match(meta, /工作表“龙南社区”/);
    assert.match(meta, /表头在第 3–4 行/);
    assert.equal(await page.locator('#import-columns tr[data-header="楼栋号"] select').evaluate((s) => s.options[s.selectedIndex].text), '自动：名称（name）');
    await waitForIdle(page);
    const previewed = await page.evaluate(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['import-preview-point'] }).length);
    assert.ok(previewed > 0, 'the preview is drawn on the map');
    await screenshot(page, '71-import-preview-zh-1280');
    const n = Number((await page.locator('#import-summary').textContent()).match(/将写入 (\d+)/)[1]);
    await page.click('#import-commit');
    await settled(page);
    assert.match(await page.locator('#import-message').textContent(), new RegExp(`已导入 ${n} 个要素（新增 ${n}，更新 0）`));
    const entries = (await api(`${server.url}/audit?actor=${STAFF}`, { token })).body.entries;
    assert.equal(entries.length - before, n, 'one audit entry per imported feature');
    assert.ok(entries.slice(0, n).every((e) => e.operation === 'import' && e.data_version === entries[0].data_version), 'one import, one data version');
    // The tiles are fresh: the imported buildings are drawn where they lie.
    const ids = entries.slice(0, n).map((e) => e.feature_id);
    const item = await getJson(`${server.url}/ogc/collections/buildings/items/${ids[0]}`);
    await page.evaluate((c) => window.gridAtlas.map.jumpTo({ center: c, zoom: 18 }), item.geometry.type === 'Point' ? item.geometry.coordinates : item.geometry.coordinates[0][0]);
    await waitForIdle(page);
    const drawn = await page.evaluate((want) => {
      const { map, layerIds } = window.gridAtlas;
      const layers = layerIds.buildings.filter((l) => map.getLayer(l));
      return map.queryRenderedFeatures({ layers }).some((f) => want.includes(f.id));
    }, ids);
    assert.ok(drawn, 'an imported building is in the refreshed tiles');
    assert.equal(await page.evaluate(() => window.gridAtlas.map.queryRenderedFeatures({ layers: ['import-preview-point'] }).length), 0, 'the preview is gone');
    await screenshot(page, '72-import-done-zh-1280');
    assertNoProblems(page);
    await page.close();
  });

  test('an admin imports a GBK Shapefile in a Gauss-Krüger zone, choosing its layer (en, 390 px)', async () => {
    const page = await openMap(browser, server.url, { lang: 'en', viewport: { width: 390, height: 844 } });
    await signInUi(page, ADMIN);
    await page.click('#import-open');
    await upload(page, ['shp', 'shx', 'dbf', 'prj', 'cpg'].map((ext) => `compounds_gk35_gbk.${ext}`));
    const rows = await problemRows(page);
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0].reason, /choose the layer/);
    await page.locator('#import-layer').selectOption('compounds');
    await settled(page);
    assert.match(await page.locator('#import-summary').textContent(), /will write 3 features, 3 new, 0 updated/);
    const encoding = await page.locator('#import-encoding').evaluate((s) => s.options[s.selectedIndex].text);
    assert.match(encoding, /GBK/);
    const crs = await page.locator('#import-crs').evaluate((s) => s.options[s.selectedIndex].text);
    assert.match(crs, /Gauss-Kr|zone|EPSG:45/i);
    assert.match(crs, /from the file \(\.prj\)/);
    // The panel fits the phone: nothing sticks out sideways.
    const overflow = await page.evaluate(() => {
      const p = document.querySelector('#import-panel');
      return p.scrollWidth - p.clientWidth;
    });
    assert.ok(overflow <= 1, `the import panel scrolls sideways by ${overflow}px`);
    await screenshot(page, '73-import-shapefile-en-390');
    await page.click('#import-commit');
    await settled(page);
    assert.match(await page.locator('#import-message').textContent(), /Imported 3 features \(3 new, 0 updated\)/);
    const found = await getJson(`${server.url}/api/search?q=${encodeURIComponent('枫林苑')}`);
    assert.ok(found.results.some((r) => r.layer === 'compounds' && r.name === '枫林苑'), 'Chinese names intact');
    await screenshot(page, '74-import-done-en-390');
    assertNoProblems(page);
    await page.close();
  });
});
