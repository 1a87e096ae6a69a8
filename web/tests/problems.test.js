// Browser test of the data problems (数据问题) an admin sees: a compound row of the GeoPackage is
// broken by hand with sqlite (text typed into the households column, as QGIS allows), the server
// still starts, and a signed-in admin finds a badge in the top bar and the row listed with its
// layer, id and reason (in Chinese, or English after switching); a planner sees nothing; once the
// feature is re-entered the badge goes.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { api, getJson, launchBrowser, openMap, screenshot, signIn, startServer, TEST_PASSWORD } from './harness.js';

const execFileP = promisify(execFile);
const ADMIN = 'admin_li';
const PLANNER = 'planner_zhao';
const VICTIM = '龙南路1号院';

let server;
let browser;
let victimId;
let original; // the compound as GeoJSON, read with GDAL before it was broken

/** Runs a small python3 sqlite3 script on the store; its stdout is JSON. */
async function sqlite(store, script, ...args) {
  const { stdout } = await execFileP('python3', ['-c', `import json, sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\n${script}`, store, ...args]);
  return JSON.parse(stdout);
}

async function breakVictim(store) {
  victimId = await sqlite(store, 'print(json.dumps(c.execute("SELECT id FROM compounds WHERE name = ?", (sys.argv[2],)).fetchone()[0]))', VICTIM);
  // GDAL reads the row as GeoJSON: the body a repair sends back.
  const { stdout } = await execFileP('ogr2ogr', ['-f', 'GeoJSON', '/vsistdout/', store, '-sql', `SELECT * FROM compounds WHERE id = ${victimId}`]);
  original = JSON.parse(stdout).features[0];
  assert.equal(original.properties.name, VICTIM);
  await sqlite(store, 'c.execute("UPDATE compounds SET households = \'about 300\' WHERE id = ?", (int(sys.argv[2]),)); c.commit(); print(c.total_changes)', String(victimId));
}

before(async () => {
  server = await startServer({
    accounts: [{ name: ADMIN, role: 'admin', scope: 'district' }, { name: PLANNER, role: 'planner', scope: 'district' }],
    prepareStore: breakVictim,
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signInAs(page, name) {
  await page.click('#account-signin');
  await page.fill('#signin-name', name);
  await page.fill('#signin-password', TEST_PASSWORD);
  await page.press('#signin-password', 'Enter');
  await page.locator('#account-who', { hasText: name }).waitFor();
}

/** The served layer titles (the map's only source of them). */
async function compoundTitles() {
  const config = await getJson(`${server.url}/api/config`);
  const l = config.layers.find((x) => x.id === 'compounds');
  return { zh: l.title_zh, en: l.title_en };
}

/** Asserts a box lies inside the viewport. */
async function assertOnScreen(page, locator, what) {
  const box = await locator.boundingBox();
  const { width, height } = page.viewportSize();
  assert.ok(box, `${what} is shown`);
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5,
    `${what} inside the ${width}×${height} screen: ${JSON.stringify(box)}`);
}

describe('data problems (数据问题) in the top bar', () => {
  test('the server started on the broken store and reports the row', async () => {
    const health = await getJson(`${server.url}/health`);
    assert.equal(health.status, 'degraded');
    assert.equal(health.unreadable.length, 1);
    assert.equal(health.unreadable[0].id, victimId);
    assert.match(health.unreadable[0].reason, /households/);
    assert.equal(health.unreadable[0].reason_zh, '户数（households）：应为整数，存储的值却是文字“about 300”');
  });

  test('an admin sees the badge and the row with its layer, id and reason; JSON download; English', async () => {
    const token = await signIn(server.url, ADMIN);
    const listed = await api(`${server.url}/api/problems`, { token });
    assert.equal(listed.status, 200);
    const [problem] = listed.body.problems;
    const titles = await compoundTitles();

    const page = await openMap(browser, server.url);
    try {
      assert.equal(await page.locator('#problems-badge').count(), 0, 'no badge before signing in');
      await signInAs(page, ADMIN);
      const badge = page.locator('#problems-badge');
      await badge.waitFor();
      assert.equal((await badge.textContent()).trim(), '数据问题 1');
      await screenshot(page, '50-problems-badge-zh');

      await badge.click();
      const panel = page.locator('#problems-panel');
      await panel.waitFor();
      assert.match(await panel.locator('.problems-intro').textContent(), /这些记录无法读取，已暂时不在地图上显示；修复后会重新显示/);
      const rows = panel.locator('li.problem');
      assert.equal(await rows.count(), 1);
      const row = panel.locator(`li.problem[data-layer="compounds"][data-id="${victimId}"]`);
      assert.equal(await row.locator('.problem-layer').textContent(), titles.zh);
      assert.equal(await row.locator('.problem-id').textContent(), String(victimId));
      assert.equal(await row.locator('.problem-version').textContent(), String(problem.version));
      const reason = await row.locator('.problem-reason').textContent();
      assert.equal(reason, problem.reason_zh, 'the reason in Chinese');
      assert.match(reason, /^户数（households）：应为整数/);
      assert.match(reason, /about 300/, 'the reason shows the value typed into the column');
      assert.equal(await row.locator('.problem-field').textContent(), '户数（households）');
      assert.match(await row.locator('.problem-todo').textContent(), /区级管理员/);
      assert.equal(await row.locator('.problem-repair').textContent(),
        `PUT /ogc/collections/compounds/items/${victimId}，请求头 If-Match: "${problem.version}"`);
      await assertOnScreen(page, panel, 'the problems panel');
      await screenshot(page, '51-problems-panel-zh');

      // The list downloads as JSON: the server's list with the layer titles.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#problems-download')]);
      assert.equal(download.suggestedFilename(), `gridatlas-problems-v${listed.body.data_version}.json`);
      const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
      assert.deepEqual(doc, { data_version: listed.body.data_version, problems: [{ ...problem, layer_title: titles.zh }] });

      // 复制列表 puts one tab-separated line per row on the clipboard.
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await page.click('#problems-copy');
      await panel.locator('.problems-note', { hasText: '已复制到剪贴板' }).waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      assert.deepEqual(copied.split('\t'), [titles.zh, 'compounds', String(victimId), String(problem.version), problem.reason_zh, problem.repair_zh]);

      await page.click('#lang-switch');
      assert.equal((await badge.textContent()).trim(), 'Data problems 1');
      assert.match(await panel.locator('.problems-intro').textContent(), /cannot be read and are left off the map/);
      assert.equal(await row.locator('.problem-layer').textContent(), titles.en);
      assert.equal(await row.locator('.problem-field').textContent(), 'Households (households)');
      assert.equal(await row.locator('.problem-reason').textContent(), problem.reason, 'the reason in English');
      assert.match(problem.reason, /households: must be a whole number, the stored value is the text "about 300"/);
      assert.equal(await row.locator('.problem-repair').textContent(),
        `PUT /ogc/collections/compounds/items/${victimId} with If-Match: "${problem.version}"`);
      assert.equal(await panel.locator('.problems-note').textContent(), 'Copied to the clipboard', 'the note follows the language');
      // The signed-in admin's top bar wraps rather than running the tabs over the title.
      const title = await page.locator('.brand h1').boundingBox();
      const tabs = await page.locator('.workspaces').boundingBox();
      assert.ok(title.x + title.width <= tabs.x || title.y + title.height <= tabs.y, `title ${JSON.stringify(title)} clear of the tabs ${JSON.stringify(tabs)}`);
      await screenshot(page, '52-problems-panel-en');
      await page.click('#lang-switch');

      // Escape closes the panel; the badge stays.
      await page.keyboard.press('Escape');
      await panel.waitFor({ state: 'detached' });
      assert.equal(await badge.isVisible(), true);
      assert.deepEqual(page.problems, [], 'console errors, page errors or failed requests');
    } finally {
      await page.context().close();
    }
  });

  test('on a 390×844 phone the badge and the panel fit the screen', async () => {
    const page = await openMap(browser, server.url, { viewport: { width: 390, height: 844 } });
    try {
      await signInAs(page, ADMIN);
      const badge = page.locator('#problems-badge');
      await badge.waitFor();
      await assertOnScreen(page, badge, 'the badge');
      await badge.click();
      const panel = page.locator('#problems-panel');
      await panel.waitFor();
      await assertOnScreen(page, panel, 'the problems panel');
      assert.match(await panel.locator('.problem-reason').textContent(), /^户数（households）/);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'no sideways scrolling');
      await screenshot(page, '53-problems-phone-zh');
      await page.click('#lang-switch');
      await assertOnScreen(page, panel, 'the English panel');
      await screenshot(page, '54-problems-phone-en');
    } finally {
      await page.context().close();
    }
  });

  test('a planner sees no badge (and the map never asks for the list)', async () => {
    const page = await openMap(browser, server.url);
    const asked = [];
    page.on('request', (r) => {
      if (r.url().includes('/api/problems')) asked.push(r.url());
    });
    try {
      await signInAs(page, PLANNER);
      // Give a list request (if any) time to be answered and drawn.
      await page.waitForTimeout(1000);
      assert.equal(await page.locator('#problems-badge').count(), 0);
      assert.equal(await page.locator('#problems').isHidden(), true);
      assert.deepEqual(asked, []);
      assert.deepEqual(page.problems, []);
      await screenshot(page, '55-problems-planner-none');
    } finally {
      await page.context().close();
    }
  });

  test('after the feature is re-entered, 重新检查 finds no problem and the badge goes', async () => {
    const page = await openMap(browser, server.url);
    try {
      await signInAs(page, ADMIN);
      await page.locator('#problems-badge').click();
      const panel = page.locator('#problems-panel');
      await panel.locator('li.problem').waitFor();

      // The repair the panel describes, as a district admin: the whole feature, the stored version as If-Match.
      const token = await signIn(server.url, ADMIN);
      const { body } = await api(`${server.url}/api/problems`, { token });
      const { version } = body.problems[0];
      const repaired = { ...original, id: victimId, properties: { ...original.properties, version } };
      const put = await api(`${server.url}/ogc/collections/compounds/items/${victimId}`, { method: 'PUT', body: repaired, token, ifMatch: `"${version}"` });
      assert.equal(put.status, 200, JSON.stringify(put.body));

      await page.click('#problems-reload');
      await panel.locator('.problems-status', { hasText: '没有数据问题' }).waitFor();
      assert.equal(await panel.locator('li.problem').count(), 0);
      assert.equal(await panel.locator('.problems-intro').count(), 0, 'nothing to explain');
      await screenshot(page, '56-problems-repaired');
      await page.click('#problems-close');
      await page.locator('#problems-badge').waitFor({ state: 'detached' });
      assert.equal(await page.locator('#problems').isHidden(), true);
      assert.equal((await getJson(`${server.url}/health`)).status, 'ok');
      assert.equal((await api(`${server.url}/ogc/collections/compounds/items/${victimId}`)).status, 200, 'back on the map');
    } finally {
      await page.context().close();
    }
  });
});
