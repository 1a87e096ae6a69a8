// Browser test of the change history (变更记录) in the feature panel: an edit made through the API
// shows up, with who made it and the attribute's value before → after, when the feature is clicked.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { api, getJson, jumpTo, launchBrowser, openMap, pixelOf, screenshot, signIn, startServer } from './harness.js';

const EDITOR = 'editor_wang';

let server;
let browser;

before(async () => {
  server = await startServer({ accounts: [{ name: EDITOR, role: 'admin', scope: 'district' }] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const centre = (b) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];

describe('the change history in the feature panel', () => {
  test('an edit through the API is listed with its author and the value before → after', async () => {
    // 龙南路1号院, a three-no compound of 龙南社区.
    const { results } = await getJson(`${server.url}/api/search?q=${encodeURIComponent('龙南路1号院')}`);
    const hit = results.find((r) => r.layer === 'compounds' && r.name === '龙南路1号院');
    assert.ok(hit, '龙南路1号院 is in the demo');
    const itemUrl = `${server.url}/ogc/collections/compounds/items/${hit.id}`;

    // Edit it as an admin: households +6 and the elderly count +3, with the ETag as If-Match.
    const token = await signIn(server.url, EDITOR);
    const got = await api(itemUrl);
    assert.equal(got.status, 200);
    assert.ok(got.etag, 'the item has an ETag');
    const old = got.body.properties;
    const edited = structuredClone(got.body);
    edited.properties.households = old.households + 6;
    edited.properties.elderly = old.elderly + 3;
    const put = await api(itemUrl, { method: 'PUT', body: edited, token, ifMatch: got.etag });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.properties.households, old.households + 6);

    const page = await openMap(browser, server.url);
    try {
      await jumpTo(page, centre(hit.bbox), 17.5);
      const at = await pixelOf(page, 'compounds', hit.id);
      assert.ok(at, 'a clickable pixel of 龙南路1号院');
      await page.mouse.click(at.x, at.y);
      const panel = page.locator(`#feature-panel[data-layer="compounds"][data-id="${hit.id}"]`);
      await panel.waitFor();
      // The history section is there, folded, with its count once loaded: the import and the edit.
      const history = panel.locator('details.history');
      await history.locator('summary', { hasText: '变更记录（2 条）' }).waitFor({ timeout: 15_000 });
      assert.equal(await history.evaluate((d) => d.open), false, 'folded until asked for');
      await history.locator('summary').click();

      const entries = history.locator('.history-entry');
      assert.equal(await entries.count(), 2);
      // Newest first: the edit, by the editor, with the two changed attributes.
      const edit = entries.nth(0);
      assert.equal(await edit.getAttribute('data-operation'), 'edit');
      assert.equal((await edit.locator('.history-op').textContent()).trim(), '编辑');
      assert.equal((await edit.locator('.history-actor').textContent()).trim(), EDITOR);
      const fmt = (n) => n.toLocaleString('zh-CN');
      const hh = edit.locator('.history-changes li[data-field="households"]');
      assert.equal((await hh.textContent()).trim(), `户数 ${fmt(old.households)} → ${fmt(old.households + 6)}`);
      assert.equal((await hh.locator('del').textContent()), fmt(old.households));
      assert.equal((await hh.locator('ins').textContent()), fmt(old.households + 6));
      assert.match(await edit.locator('.history-changes li[data-field="elderly"]').textContent(), /^60岁以上人数 \d+ → \d+$/);
      assert.equal(await edit.locator('.history-changes li').count(), 2, 'only the changed attributes are listed');
      // The time is local and readable (yyyy/mm/dd hh:mm:ss), the machine time in the datetime attribute.
      const audit = await getJson(`${server.url}/audit?layer=compounds&feature_id=${hit.id}`);
      assert.equal(await edit.locator('time').getAttribute('datetime'), audit.entries[0].at);
      assert.match(await edit.locator('time').textContent(), /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
      // The oldest entry is the demo import.
      assert.equal((await entries.nth(1).locator('.history-op').textContent()).trim(), '导入');
      // The panel's attributes show the new value too.
      assert.equal(await panel.locator('dd[data-field="households"]').textContent(), fmt(old.households + 6));
      await screenshot(page, '20-feature-history-zh');

      // The CSV link downloads this feature's history, both entries.
      const href = await history.locator('a.history-csv').getAttribute('href');
      assert.equal(href, `/audit?layer=compounds&feature_id=${hit.id}&format=csv&limit=100000`);
      const [download] = await Promise.all([page.waitForEvent('download'), history.locator('a.history-csv').click()]);
      assert.match(download.suggestedFilename(), /\.csv$/);
      const csv = await (await fetch(`${server.url}${href}`)).text();
      const lines = csv.trim().split('\n');
      assert.match(lines[0], /^id,at,actor,operation,layer,feature_id/);
      assert.ok(lines.some((l) => l.includes(`,${EDITOR},edit,compounds,${hit.id},`)), csv.slice(0, 400));

      // In English.
      await page.click('#lang-switch');
      const en = page.locator('#feature-panel details.history');
      assert.match(await en.locator('summary').textContent(), /^Change history \(2\)$/);
      assert.equal(await en.evaluate((d) => d.open), true, 'stays open across the language switch');
      assert.equal((await en.locator('.history-entry').nth(0).locator('.history-op').textContent()).trim(), 'Edited');
      assert.match(await en.locator('.history-changes li[data-field="households"]').textContent(), /^Households \d+ → \d+$/);
      await screenshot(page, '21-feature-history-en');
      assert.deepEqual(page.problems, [], 'console errors, page errors or failed requests');
    } finally {
      await page.context().close();
    }
  });
});
