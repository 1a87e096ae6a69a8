// Browser tests of the grid worker's phone view (网格工作, issue 14) against a real `gridatlas
// serve` on the demo district, in Chromium's phone emulation (touch, 2× pixels) at 390×844 in
// Chinese and 360×740 in English: a grid worker of 龙南社区第1网格 signs in and sees their grid on
// the map and its units by last visit, oldest first; locates themself; goes offline and records a
// visit (on a building, with a household number, notes and a photo shrunk on the phone) and a need;
// the badge says 2 waiting; back online both reach the server once each, in order, and a record
// sent again under the same client id is still kept once. A record the server refuses (a due date
// before the day it was raised) stays in the outbox with the server's reason until discarded.
// At 360 px nothing scrolls sideways, every control of the workspace is at least 44 px tall, and
// the sheet leaves the map in view. Staff of a whole community choose among its grids; the
// signed-out and planners get no grid-work tab.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  api, assertNoProblems, launchBrowser, screenshot, signIn, signInUi, startServer, waitForIdle,
} from './harness.js';

const GRID = '510504003004001'; // 龙南社区第1网格
const COMMUNITY = '510504003004'; // 龙南社区
const WORKER = 'gw_wang'; // a grid worker of that grid
const COMMUNITY_STAFF = 'staff_longnan'; // staff of the whole community
const PLANNER = 'planner_gw';
const HERE = { longitude: 105.4386, latitude: 28.9112, accuracy: 12 }; // inside the grid
const OUTBOX_KEY = `gridatlas.gridwork.outbox.${WORKER}`;

// Offline, the map's tiles and the server are out of reach: those failures are expected.
const OFFLINE = [/ERR_INTERNET_DISCONNECTED/];

let server;
let browser;

before(async () => {
  server = await startServer({
    accounts: [
      { name: WORKER, role: 'staff', scope: `grid:${GRID}` },
      { name: COMMUNITY_STAFF, role: 'staff', scope: `community:${COMMUNITY}` },
      { name: PLANNER, role: 'planner', scope: 'district' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Opens the map on an emulated phone (touch, 2× pixels, the position allowed and set inside the
 * grid), collecting problems as the harness's `openMap` does.
 */
async function openPhone(viewport, { lang, desktop = false } = {}) {
  const context = await browser.newContext({
    viewport, isMobile: !desktop, hasTouch: true, deviceScaleFactor: desktop ? 1 : 2, locale: 'zh-CN',
    geolocation: HERE, permissions: ['geolocation'],
  });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') page.problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const failure = r.failure()?.errorText || '';
    if (failure.includes('ERR_ABORTED')) return;
    page.problems.push(`request failed: ${r.url()} ${failure}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) page.problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(`${server.url}/${lang ? `?lang=${lang}` : ''}`);
  await page.waitForFunction(() => window.gridAtlas?.ready === true, null, { timeout: 30_000 });
  await waitForIdle(page);
  return page;
}

/** Signs in and opens 网格工作 by touch; resolves once its units are listed. */
async function openGridwork(page, account) {
  await signInUi(page, account);
  await page.tap('[data-ws="gridwork"]');
  await page.locator('#gw-units .gw-unit').first().waitFor();
  await waitForIdle(page);
}

/** The controls of the workspace shorter than 44 px (`[id or class, height]`), among the visible ones. */
function smallControls(page) {
  return page.evaluate(() => [...document.querySelectorAll('#workspace-panel :is(button, input, select, textarea)')]
    .filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    })
    .map((e) => [e.id || e.className || e.tagName, Math.round(e.getBoundingClientRect().height * 10) / 10])
    .filter(([, h]) => h < 44));
}

/** Fits the phone: no sideways scrolling, 44 px touch targets, the map in view above the sheet. */
async function assertFits(page, width, what) {
  assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth) <= width, `${what}: no sideways scrolling`);
  assert.deepEqual(await smallControls(page), [], `${what}: every control at least 44 px tall`);
  const sheet = await page.locator('#workspace-panel').boundingBox();
  const map = await page.locator('#map').boundingBox();
  assert.ok(sheet.x <= 0 && sheet.width >= width - 1, `${what}: the sheet spans the screen`);
  assert.ok(sheet.y - map.y >= 120, `${what}: ${Math.round(sheet.y - map.y)} px of map above the sheet`);
}

/** The records of a grid-work list in the grid, as the worker reads them. */
async function records(token, kind) {
  const r = await api(`${server.url}/api/work/${kind}?grid=${GRID}`, { token });
  assert.equal(r.status, 200);
  return r.body.records;
}

/** A large photo as a PNG file (a gradient with shapes, 3000 × 2000 px), made by the page's canvas. */
async function photoFile(page) {
  const b64 = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 3000;
    c.height = 2000;
    const ctx = c.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, 3000, 2000);
    g.addColorStop(0, '#4e7ac7');
    g.addColorStop(1, '#e9c46a');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 3000, 2000);
    for (let i = 0; i < 400; i += 1) {
      ctx.fillStyle = `hsl(${(i * 37) % 360} 60% 50%)`;
      ctx.fillRect((i * 173) % 3000, (i * 97) % 2000, 60 + (i % 7) * 20, 40 + (i % 5) * 30);
    }
    return c.toDataURL('image/png').split(',')[1];
  });
  return { name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from(b64, 'base64') };
}

/** Width and height of an image data URL, read by the page. */
function imageSize(page, url) {
  return page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    return [img.naturalWidth, img.naturalHeight];
  }, url);
}

const bytesOf = (dataUrl) => Buffer.from(dataUrl.slice(dataUrl.indexOf(',') + 1), 'base64').length;

/**
 * The whole visit: the grid and its units, locate, offline a visit and a need, the badge, back
 * online both arrive once. `text` holds the words checked in the page's language.
 */
async function recordOffline(page, { viewport, lang, text, shot }) {
  const token = await signIn(server.url, WORKER);
  await openGridwork(page, WORKER);

  // Their grid on the map, fitted into the view above the sheet.
  const grid = await page.evaluate(async () => {
    const { map } = window.gridAtlas;
    const f = (await map.getSource('gw-grids').getData()).features?.[0] ?? null;
    return f && { code: f.properties.code, bounds: map.getBounds().toArray() };
  });
  assert.equal(grid?.code, GRID);
  const [[w, s], [e, n]] = grid.bounds;
  assert.ok(w < HERE.longitude && HERE.longitude < e && s < HERE.latitude && HERE.latitude < n, 'the grid in view');
  assert.equal(await page.textContent('#gw-grid-name'), '龙南社区第1网格');

  // Its units with their last visits, oldest first, as the server counts them.
  const last = (await api(`${server.url}/api/work/visits/last?grid=${GRID}`, { token })).body.features;
  const rows = page.locator('#gw-units .gw-unit');
  assert.equal(await rows.count(), last.length, 'every compound and building of the grid');
  const oldest = [...last].sort((a, b) => (b.properties.days_since ?? 1e9) - (a.properties.days_since ?? 1e9))[0].properties;
  const first = rows.first();
  assert.equal(Number((await first.getAttribute('data-key')).split(':')[1]), oldest.id);
  assert.ok((await first.locator('.gw-unit-meta').textContent()).includes(oldest.last_visit ?? text.never), 'its last visit shown');
  const days = await rows.evaluateAll((els) => els.map((el) => el.dataset.staleness));
  assert.ok(days.length > 3 && days[0] !== 'recent' && days.at(-1) === 'recent', days.join());
  await screenshot(page, `${shot}-units`);

  // Locate: the dot at the phone's position, the map centred on it.
  await page.tap('#gw-locate');
  await page.waitForFunction(() => window.gridAtlas.gridwork.state.position !== null);
  await waitForIdle(page);
  const me = await page.evaluate(async () => {
    const { map } = window.gridAtlas;
    const dot = (await map.getSource('gw-me').getData()).features[0].geometry.coordinates;
    return { dot, visible: map.getLayoutProperty('gw-me', 'visibility') };
  });
  assert.deepEqual(me.dot, [HERE.longitude, HERE.latitude]);
  assert.equal(me.visible, 'visible');

  // The open needs nearest first.
  await page.tap('#gw-tab-needs');
  const distances = await page.locator('#gw-needs .gw-need-distance').allTextContents();
  assert.ok(distances.length > 0, 'open needs listed');
  const metres = distances.map((d) => Number.parseFloat(d) * (/公里|km/.test(d) ? 1000 : 1));
  assert.deepEqual(metres, [...metres].sort((a, b) => a - b), 'nearest first');
  await screenshot(page, `${shot}-needs`);

  // Offline: a visit on a building of a compound, with household, notes and a photo.
  await page.context().setOffline(true);
  await page.locator('#gw-offline').waitFor();
  await page.tap('#gw-tab-units');
  const inCompound = last.find((f) => f.properties.layer === 'buildings' && f.properties.compound_id !== null).properties;
  const buildingKey = `buildings:${inCompound.id}`;
  const building = page.locator(`#gw-units .gw-unit[data-key="${buildingKey}"]`);
  await building.locator('.gw-unit-record').tap();
  await page.locator('#gw-form').waitFor();
  assert.equal(await page.inputValue('#gw-unit'), buildingKey);
  assert.equal(await page.getAttribute('#gw-kind-visit', 'aria-checked'), 'true');
  await page.fill('#gw-household', '2-1-302');
  await page.fill('#gw-notes', text.notes);
  await page.setInputFiles('#gw-photo', await photoFile(page));
  await page.locator('#gw-photo-size').waitFor();
  await page.evaluate(() => document.querySelector('#gw-photo-size').scrollIntoView({ block: 'center' }));
  await screenshot(page, `${shot}-visit-form`);
  await page.tap('#gw-submit');
  await page.locator('#gw-form-message.queued').waitFor();
  assert.equal(await page.textContent('#gw-outbox'), text.waiting(1));

  // … and a need on a compound.
  await page.tap('#gw-kind-need');
  await page.fill('#gw-title', '楼道灯不亮');
  await page.selectOption('#gw-category', 'safety');
  const compoundKey = await page.locator('#gw-unit option[value^="compounds:"]').first().getAttribute('value');
  await page.selectOption('#gw-unit', compoundKey);
  assert.equal(await page.inputValue('#gw-raised-by'), '王丽', "the worker's name by default");
  await page.tap('#gw-submit');
  await page.locator('#gw-form-message.queued').waitFor();
  assert.equal(await page.textContent('#gw-outbox'), text.waiting(2));
  const kept = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), OUTBOX_KEY);
  assert.deepEqual(kept.map((x) => [x.kind, x.state]), [['visit', 'waiting'], ['need', 'waiting']], 'kept on the phone, in order');
  const [visitEntry, needEntry] = kept;
  await page.tap('#gw-outbox');
  await page.locator('#gw-entries .gw-entry').nth(1).waitFor();
  await screenshot(page, `${shot}-offline-outbox`);
  if (viewport.width === 360) {
    await assertFits(page, 360, 'the outbox');
  }
  assert.equal((await records(token, 'visits')).filter((r) => r.client_id === visitEntry.client_id).length, 0, 'nothing sent offline');

  // Back online: both arrive, once each, in the order they were made.
  await page.context().setOffline(false);
  await page.locator('#gw-outbox').waitFor({ state: 'hidden', timeout: 45_000 });
  const visits = (await records(token, 'visits')).filter((r) => r.client_id === visitEntry.client_id);
  const needs = (await records(token, 'needs')).filter((r) => r.client_id === needEntry.client_id);
  assert.equal(visits.length, 1, 'the visit once');
  assert.equal(needs.length, 1, 'the need once');
  assert.ok(visits[0].id < needs[0].id, 'in the order they were made');
  const visit = visits[0].body;
  assert.deepEqual(visit.unit, { building_id: inCompound.id, compound_id: inCompound.compound_id, household: '2-1-302' }, 'the building with its compound');
  assert.equal(visit.kind, 'visit');
  assert.equal(visit.notes, text.notes);
  assert.deepEqual(visit.position, [HERE.longitude, HERE.latitude]);
  assert.match(visit.photo, /^data:image\/jpeg;base64,/);
  assert.ok(bytesOf(visit.photo) <= 300_000, `${bytesOf(visit.photo)} bytes`);
  const [pw, ph] = await imageSize(page, visit.photo);
  assert.deepEqual([pw, ph], [1280, 853], 'at most 1280 px on its longer side');
  const need = needs[0].body;
  assert.equal(need.title, '楼道灯不亮');
  assert.equal(need.category, 'safety');
  assert.deepEqual(need.unit, { compound_id: Number(compoundKey.split(':')[1]) });
  assert.equal(need.raised_by, '王丽');

  // Sent again under the same client id (an answer lost on the way back): still kept once.
  const again = await page.evaluate(async (entry) => {
    const box = window.gridAtlas.gridwork.outbox;
    box.add({ ...entry });
    return (await box.flush()).sent.map((s) => s.reply.id);
  }, visitEntry);
  assert.deepEqual(again, [visits[0].id], 'the stored record answered');
  assert.equal((await records(token, 'visits')).filter((r) => r.client_id === visitEntry.client_id).length, 1, 'still once');

  // The visited building is now visited today, at the end of the list.
  await page.tap('#gw-tab-units');
  const visited = page.locator(`#gw-units .gw-unit[data-key="${buildingKey}"]`);
  await page.waitForFunction((key) => document.querySelector(`.gw-unit[data-key="${key}"]`)?.dataset.staleness === 'recent', buildingKey);
  assert.ok((await visited.locator('.gw-unit-meta').textContent()).includes(text.today));
  await screenshot(page, `${shot}-sent`);
  return token;
}

describe('grid work on a phone', () => {
  test('390×844 (Chinese): the grid and its units, offline a visit and a need, both arrive once', async () => {
    const viewport = { width: 390, height: 844 };
    const page = await openPhone(viewport);
    try {
      await recordOffline(page, {
        viewport,
        lang: 'zh',
        shot: '110-gridwork-zh-390',
        text: { never: '尚无走访记录', waiting: (n) => `待发送 ${n} 条`, today: '今天', notes: '独居老人，身体尚好，已提醒冬季用电安全' },
      });
      assertNoProblems(page, OFFLINE);
    } finally {
      await page.context().close();
    }
  });

  test('360×740 (English): the same, and everything fits the narrow screen with 44 px touch targets', async () => {
    const viewport = { width: 360, height: 740 };
    const page = await openPhone(viewport, { lang: 'en' });
    try {
      await signInUi(page, WORKER);
      await page.tap('[data-ws="gridwork"]');
      await page.locator('#gw-units .gw-unit').first().waitFor();
      await assertFits(page, 360, 'the units');
      await page.tap('#gw-tab-record');
      await assertFits(page, 360, 'the visit form');
      await page.tap('#gw-kind-need');
      await assertFits(page, 360, 'the need form');
      await screenshot(page, '111-gridwork-en-360-need-form');
      await page.tap('#gw-tab-needs');
      await assertFits(page, 360, 'the needs');
      // Folded: only the bar over the map.
      await page.tap('#gw-sheet');
      const folded = await page.locator('#workspace-panel').boundingBox();
      assert.ok(folded.height < 150, `folded to ${folded.height} px`);
      await screenshot(page, '111-gridwork-en-360-folded');
      await page.tap('#gw-sheet');
      await page.tap('[data-ws="map"]');
      await page.click('#account-signout');
      await recordOffline(page, {
        viewport,
        lang: 'en',
        shot: '112-gridwork-en-360',
        text: { never: 'Never visited', waiting: (n) => `${n} waiting to send`, today: 'today', notes: 'Lives alone, well; reminded of winter electrical safety' },
      });
      await assertFits(page, 360, 'after sending');
      assertNoProblems(page, OFFLINE);
    } finally {
      await page.context().close();
    }
  });

  test('a record the server refuses stays in the outbox with its reason in Chinese until discarded', async () => {
    const page = await openPhone({ width: 390, height: 844 });
    try {
      const token = await signIn(server.url, WORKER);
      await openGridwork(page, WORKER);
      await page.tap('#gw-tab-record');
      await page.tap('#gw-kind-need');
      // Sent at once: refused, the form keeps what was typed, with the reason.
      await page.fill('#gw-title', '下水道堵塞');
      await page.fill('#gw-date', '2026-01-10');
      await page.fill('#gw-due', '2026-01-05');
      await page.tap('#gw-submit');
      await page.locator('#gw-form-message.refused', { hasText: '办结期限早于提出日期' }).waitFor();
      assert.equal(await page.inputValue('#gw-title'), '下水道堵塞', 'kept to correct');
      assert.equal(await page.locator('#gw-outbox').isVisible(), false, 'not left in the outbox');
      await screenshot(page, '113-gridwork-refused-form-zh');

      // Made offline: refused once sent, kept and marked, with the reason and 放弃此条.
      await page.context().setOffline(true);
      await page.locator('#gw-offline').waitFor();
      await page.tap('#gw-submit');
      await page.locator('#gw-form-message.queued').waitFor();
      const [entry] = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), OUTBOX_KEY);
      await page.context().setOffline(false);
      const refused = page.locator(`#gw-outbox.refused`);
      await refused.waitFor({ timeout: 45_000 });
      assert.equal(await refused.textContent(), '待处理 1 条');
      await page.tap('#gw-outbox');
      const row = page.locator(`.gw-entry[data-client-id="${entry.client_id}"][data-state="refused"]`);
      await row.waitFor();
      assert.equal(await row.locator('.gw-reasons').textContent(), '办结期限早于提出日期');
      const stored = await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), OUTBOX_KEY);
      assert.deepEqual(stored.map((x) => [x.client_id, x.state]), [[entry.client_id, 'refused']], 'kept on the phone');
      await screenshot(page, '114-gridwork-refused-outbox-zh');
      assert.equal((await records(token, 'needs')).filter((r) => r.client_id === entry.client_id).length, 0);
      await row.locator('.gw-discard').tap();
      await page.locator('#gw-outbox').waitFor({ state: 'hidden' });
      assert.deepEqual(await page.evaluate((key) => JSON.parse(localStorage.getItem(key)), OUTBOX_KEY), []);
      assertNoProblems(page, [...OFFLINE, /HTTP 422: .*\/api\/work\/needs$/, /status of 422/]);
    } finally {
      await page.context().close();
    }
  });

  test('staff of a community choose among its grids; the signed-out and planners get no grid-work tab', async () => {
    const page = await openPhone({ width: 390, height: 844 });
    try {
      assert.equal(await page.locator('[data-ws="gridwork"]').isVisible(), false, 'signed out');
      await signInUi(page, PLANNER);
      assert.equal(await page.locator('[data-ws="gridwork"]').isVisible(), false, 'a planner');
      await page.click('#account-signout');
      await openGridwork(page, COMMUNITY_STAFF);
      const options = await page.locator('#gw-grid option').evaluateAll((os) => os.map((o) => o.value));
      assert.deepEqual(options, [`${COMMUNITY}001`, `${COMMUNITY}002`, `${COMMUNITY}003`, `${COMMUNITY}004`]);
      const before = await page.locator('#gw-units .gw-unit').first().getAttribute('data-key');
      await page.selectOption('#gw-grid', `${COMMUNITY}002`);
      await page.waitForFunction((key) => {
        const first = document.querySelector('#gw-units .gw-unit');
        return first && first.dataset.key !== key && !window.gridAtlas.gridwork.state.loading;
      }, before);
      const shown = await page.evaluate(async () => (await window.gridAtlas.map.getSource('gw-grids').getData()).features[0].properties.code);
      assert.equal(shown, `${COMMUNITY}002`);
      await screenshot(page, '115-gridwork-community-staff-zh');
      // Signing out leaves the workspace.
      await page.click('#account-signout');
      await page.waitForFunction(() => document.body.dataset.workspace === 'map');
      assert.equal(await page.locator('[data-ws="gridwork"]').isVisible(), false);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
  test('at desktop size (1280×820, zh and en): the panel beside the map, the units and the record form', async () => {
    for (const lang of ['zh', 'en']) {
      const page = await openPhone({ width: 1280, height: 820 }, { lang, desktop: true });
      try {
        await openGridwork(page, WORKER);
        const panel = await page.locator('#workspace-panel').boundingBox();
        const map = await page.locator('#map').boundingBox();
        assert.ok(panel.width < map.width / 2, `${lang}: the panel leaves most of the map in view`);
        assert.ok(await page.evaluate(() => document.scrollingElement.scrollWidth) <= 1280, `${lang}: no sideways scrolling`);
        await screenshot(page, `116-gridwork-desktop-${lang}-units`);
        await page.locator('#gw-units .gw-unit .gw-unit-record').first().click();
        await page.locator('#gw-form').waitFor();
        await screenshot(page, `116-gridwork-desktop-${lang}-form`);
        assertNoProblems(page);
      } finally {
        await page.context().close();
      }
    }
  });
});
