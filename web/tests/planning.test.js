// Browser tests of the grid-planning workspace 网格规划 on the demo district, against a real
// `gridatlas serve` with planning accounts: sign in, open a draft, move a compound from one grid to
// another by clicking it with the other grid as the target (both grids' households change by the
// compound's), undo and redo, box a scattered building into a grid, compare with the current grids,
// publish (the map's grid tiles change), ask for an automatic proposal and accept it; read-only
// accounts and accounts outside the community are refused with the server's reason.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  api, getJson, jumpTo, launchBrowser, openMap, pixelOf, screenshot, signIn, startServer, waitForIdle, signInUi, assertNoProblems,
} from './harness.js';

const AOTI = '510504003006'; // 奥体社区: 10 grids within the 150/300 rule, one locked
const LONGNAN = '510504003004'; // 龙南社区: 4 grids far over their caps

const PLANNER = 'planner_li'; // planner of 奥体社区
const ADMIN = 'admin_zhao';
const STAFF = 'staff_wu';

let server;
let browser;

before(async () => {
  server = await startServer({
    accounts: [
      { name: PLANNER, role: 'planner', scope: `community:${AOTI}` },
      { name: ADMIN, role: 'admin', scope: 'district' },
      { name: STAFF, role: 'staff', scope: 'district' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});



/** Waits until the workspace has no request in flight. */
async function settled(page) {
  await page.waitForFunction(() => window.gridAtlas.planning?.state.busy === 0, null, { timeout: 30_000 });
}

/** Households shown in the panel for each grid: { code: n }. */
function panelHouseholds(page) {
  return page.$$eval('#pl-grids .pl-grid', (rows) => Object.fromEntries(rows.map((r) => [r.dataset.code, Number(r.querySelector('.pl-hh').dataset.households)])));
}

const byCode = (view) => Object.fromEntries(view.report.grids.map((g) => [g.code, g.households]));

async function openPlanning(page, community) {
  await page.click('[data-ws="planning"]');
  await page.locator('#workspace-panel[data-workspace="planning"] #pl-community').waitFor();
  await page.locator(`#pl-community option[value="${community}"]`).waitFor({ state: 'attached' });
  if (await page.inputValue('#pl-community') !== community) await page.selectOption('#pl-community', community);
  await page.waitForFunction((c) => {
    const s = window.gridAtlas.planning.state;
    return s.community === c && s.view?.community_code === c && s.busy === 0;
  }, community, { timeout: 30_000 });
  await page.waitForFunction(() => !window.gridAtlas.map.isMoving());
  await waitForIdle(page);
}

async function newDraft(page) {
  await page.click('#pl-new');
  await page.waitForFunction(() => window.gridAtlas.planning.state.view?.status === 'draft' && window.gridAtlas.planning.state.busy === 0, null, { timeout: 30_000 });
}

/** The page pixel of a lon/lat, if no panel covers it. */
async function pixelAt(page, lonlat) {
  const p = await page.evaluate((ll) => {
    const { map } = window.gridAtlas;
    const pt = map.project(ll);
    const canvas = map.getCanvas();
    const r = canvas.getBoundingClientRect();
    return document.elementFromPoint(r.left + pt.x, r.top + pt.y) === canvas ? { x: pt.x, y: pt.y } : null;
  }, lonlat);
  if (!p) return null;
  const box = await page.locator('#map canvas').boundingBox();
  return { x: box.x + p.x, y: box.y + p.y };
}

/** The code of the atlas grid (tiles) drawn at a lon/lat. */
function tileGridAt(page, lonlat) {
  return page.evaluate((ll) => {
    const { map } = window.gridAtlas;
    const hits = map.queryRenderedFeatures(map.project(ll), { layers: ['grids-fill'] });
    return hits[0]?.properties.code ?? null;
  }, lonlat);
}

describe('the grid-planning workspace', () => {
  test('a planner moves a compound between grids, undoes it, boxes a building into a grid and publishes', async () => {
    const current = await getJson(`${server.url}/api/planning/communities/${AOTI}`);
    // 锦华小区 moves from its grid (A) to the grid of 体育馆宿舍 (B).
    const compound = current.units.find((u) => u.name === '锦华小区');
    const other = current.units.find((u) => u.name === '体育馆宿舍');
    assert.ok(compound && other, 'the demo has 锦华小区 and 体育馆宿舍 in 奥体社区');
    const [A] = compound.grids;
    const [B] = other.grids;
    assert.notEqual(A, B);
    const before = byCode(current);
    // The scattered building 滨江路8号 goes to A too, which keeps every grid within its cap.
    const building = current.units.find((u) => u.name === '滨江路8号');
    assert.equal(building.kind, 'scattered_building');
    const [C] = building.grids;
    assert.notEqual(C, A);

    const page = await openMap(browser, server.url);
    try {
      // Before: the tiles draw 滨江路8号 inside grid C.
      await jumpTo(page, [building.lon, building.lat], 16);
      assert.equal(await tileGridAt(page, [building.lon, building.lat]), C);

      // Sign in; the top bar says who.
      await signInUi(page, PLANNER);
      assert.match(await page.textContent('#account-who'), new RegExp(`${PLANNER}\\s*规划员`));
      assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem('gridatlas.session')).name), PLANNER);

      // 网格规划 → 奥体社区: its 10 current grids with their households, read-only.
      await openPlanning(page, AOTI);
      assert.equal(await page.locator('#pl-grids .pl-grid').count(), 10);
      assert.deepEqual(await panelHouseholds(page), before);
      assert.equal(await page.locator('#pl-grids .pl-grid .pl-locked').count(), 1, 'one locked grid');
      assert.equal(await page.isDisabled('#pl-undo'), true);
      assert.match(await page.textContent('#pl-valid'), /符合规则/);
      // The draft's polygons replace the atlas grids of the community on the map, one colour each.
      const drawn = await page.evaluate(() => window.gridAtlas.map.querySourceFeatures('plan-grids').map((f) => f.properties.code));
      assert.equal(new Set(drawn).size, 10);
      await screenshot(page, '30-planning-current');

      // A new draft, copied from the current grids.
      await newDraft(page);
      assert.notEqual(await page.inputValue('#pl-draft'), '');
      assert.equal(await page.isEnabled('#pl-publish'), true);

      // B is the target; click 锦华小区 on the map.
      await page.click(`#pl-grids .pl-grid[data-code="${B}"]`);
      assert.equal(await page.getAttribute(`#pl-grids .pl-grid[data-code="${B}"]`, 'aria-pressed'), 'true');
      await page.locator('#pl-target-hint').waitFor();
      await jumpTo(page, [compound.lon, compound.lat], 17);
      const at = await pixelOf(page, 'compounds', compound.compound_id);
      assert.ok(at, 'a clickable pixel of 锦华小区');
      await page.mouse.click(at.x, at.y);
      await page.waitForFunction(() => window.gridAtlas.planning.state.undo.length === 1 && window.gridAtlas.planning.state.busy === 0);
      // Both grids changed by the compound's households, as the server computed them.
      const moved = await panelHouseholds(page);
      assert.equal(moved[A], before[A] - compound.households);
      assert.equal(moved[B], before[B] + compound.households);
      for (const code of Object.keys(before)) if (code !== A && code !== B) assert.equal(moved[code], before[code], `grid ${code} unchanged`);
      const draftId = await page.evaluate(() => window.gridAtlas.planning.state.draftId);
      const token = await signIn(server.url, PLANNER);
      const saved = await api(`${server.url}/api/planning/drafts/${draftId}`, { token });
      assert.deepEqual(byCode(saved.body), moved, 'the panel shows the saved draft');
      assert.ok(saved.body.plan.grids.find((g) => g.code === B).units.includes(compound.unit));
      // B is now over its cap: its row and load bar turn red, and the rule check says so.
      assert.match(await page.getAttribute(`#pl-grids .pl-grid[data-code="${B}"]`, 'class'), /\bover\b/);
      assert.equal(await page.locator(`#pl-violations li.error[data-rule="over_cap"][data-grid="${B}"]`).count(), 1);
      assert.match(await page.textContent('#pl-message'), /已将 锦华小区（60 户）划入/);
      await waitForIdle(page);
      await screenshot(page, '31-planning-moved');

      // Undo (Ctrl+Z) restores both grids; redo moves it again; undo once more.
      await page.keyboard.press('Control+z');
      await page.waitForFunction(() => window.gridAtlas.planning.state.undo.length === 0 && window.gridAtlas.planning.state.busy === 0);
      assert.deepEqual(await panelHouseholds(page), before);
      assert.equal(await page.isEnabled('#pl-redo'), true);
      await waitForIdle(page);
      await screenshot(page, '32-planning-undone');
      await page.click('#pl-redo');
      await page.waitForFunction(() => window.gridAtlas.planning.state.redo.length === 0 && window.gridAtlas.planning.state.busy === 0);
      assert.deepEqual(await panelHouseholds(page), moved);
      await page.click('#pl-undo');
      await page.waitForFunction(() => window.gridAtlas.planning.state.undo.length === 0 && window.gridAtlas.planning.state.busy === 0);
      assert.deepEqual(await panelHouseholds(page), before);

      // Shift-drag a small box over 滨江路8号 with A as the target.
      await page.click(`#pl-grids .pl-grid[data-code="${A}"]`);
      await jumpTo(page, [building.lon, building.lat], 17.5);
      const b = await pixelAt(page, [building.lon, building.lat]);
      assert.ok(b, '滨江路8号 in view');
      await page.keyboard.down('Shift');
      await page.mouse.move(b.x - 6, b.y - 5);
      await page.mouse.down();
      await page.mouse.move(b.x + 2, b.y, { steps: 3 });
      await page.mouse.move(b.x + 6, b.y + 5, { steps: 3 });
      await page.mouse.up();
      await page.keyboard.up('Shift');
      await page.waitForFunction(() => window.gridAtlas.planning.state.undo.length === 1 && window.gridAtlas.planning.state.busy === 0);
      const boxed = await panelHouseholds(page);
      assert.equal(boxed[A], before[A] + building.households);
      assert.equal(boxed[C], before[C] - building.households);
      assert.match(await page.textContent('#pl-valid'), /符合规则/, 'the draft keeps every rule');

      // 对比现状: the current grids outlined, the diff listed.
      await page.check('#pl-compare');
      await page.locator('#pl-diff').waitFor();
      assert.match(await page.textContent('#pl-diff'), new RegExp(`调整 1 个单元，${building.households} 户`));
      assert.equal(await page.locator(`#pl-diff li[data-unit="${building.unit}"]`).count(), 1);
      assert.equal(await page.evaluate(() => window.gridAtlas.map.getLayoutProperty('plan-current-line', 'visibility')), 'visible');
      await jumpTo(page, [building.lon, building.lat], 16.5);
      await screenshot(page, '33-planning-compare');

      // Publish, after the confirmation.
      await page.click('#pl-publish');
      await page.locator('#pl-confirm').waitFor();
      assert.match(await page.textContent('#pl-confirm'), /调整 1 个单元/);
      await screenshot(page, '34-planning-publish-confirm');
      await page.click('#pl-confirm-yes');
      await page.waitForFunction(() => window.gridAtlas.planning.state.view?.status === 'published' && window.gridAtlas.planning.state.busy === 0, null, { timeout: 30_000 });
      assert.match(await page.textContent('#pl-message'), /已发布为现行网格/);
      assert.equal(await page.isDisabled('#pl-undo'), true, 'a published draft is read-only');

      // The server's current grids and the building's grid changed...
      const after = await getJson(`${server.url}/api/planning/communities/${AOTI}`);
      assert.ok(after.plan.grids.find((g) => g.code === A).units.includes(building.unit));
      assert.deepEqual(byCode(after), boxed);
      const item = await getJson(`${server.url}/ogc/collections/buildings/items/${building.unit.split(':')[1]}`);
      assert.equal(item.properties.grid_code, A);
      // ...and so do the map's grid tiles: back on 一张图 the building lies in grid A.
      await page.click('[data-ws="map"]');
      await jumpTo(page, [building.lon, building.lat], 16);
      await page.waitForFunction((ll) => {
        const { map } = window.gridAtlas;
        return map.queryRenderedFeatures(map.project(ll), { layers: ['grids-fill'] })[0]?.properties.code;
      }, [building.lon, building.lat]);
      assert.equal(await tileGridAt(page, [building.lon, building.lat]), A);
      await screenshot(page, '35-published-tiles');
      // The publication is in the building's change history.
      const audit = await getJson(`${server.url}/audit?layer=buildings&feature_id=${building.unit.split(':')[1]}`);
      assert.equal(audit.entries[0].operation, 'publish');
      assert.equal(audit.entries[0].actor, PLANNER);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('an automatic proposal for 龙南社区 shows its lower bound and gap, and can be accepted and undone', async () => {
    const page = await openMap(browser, server.url);
    try {
      await signInUi(page, ADMIN);
      await openPlanning(page, LONGNAN);
      assert.equal(await page.locator('#pl-grids .pl-grid').count(), 4);
      assert.equal(await page.locator('#pl-grids .pl-grid.over').count(), 4, 'all four grids over their caps');
      await newDraft(page);
      const draftId = await page.evaluate(() => window.gridAtlas.planning.state.draftId);
      await page.click('#pl-propose');
      await page.locator('#pl-proposal').waitFor({ timeout: 60_000 });
      await settled(page);
      // The same proposal from the API (same seed).
      const token = await signIn(server.url, ADMIN);
      const want = (await api(`${server.url}/api/planning/drafts/${draftId}/proposal`, { method: 'POST', body: { seed: 1 }, token })).body;
      assert.equal(await page.textContent('#pl-prop-lb'), String(want.lower_bound));
      assert.equal(await page.textContent('#pl-prop-grids'), String(want.grids));
      assert.equal(await page.textContent('#pl-prop-gap'), String(want.gap));
      // The preview is drawn and listed, not saved.
      assert.equal(await page.locator('#pl-grids .pl-grid').count(), want.view.plan.grids.length);
      assert.equal((await api(`${server.url}/api/planning/drafts/${draftId}`, { token })).body.plan.grids.length, 4);
      await waitForIdle(page);
      await screenshot(page, '36-planning-proposal');

      await page.click('#pl-accept');
      await page.waitForFunction((n) => window.gridAtlas.planning.state.view.plan.grids.length === n && window.gridAtlas.planning.state.busy === 0, want.view.plan.grids.length);
      assert.equal(await page.locator('#pl-proposal').count(), 0);
      assert.equal(await page.locator('#pl-grids .pl-grid.over').count(), 0, 'every grid within its cap');
      assert.match(await page.textContent('#pl-valid'), /符合规则/);
      assert.equal((await api(`${server.url}/api/planning/drafts/${draftId}`, { token })).body.plan.grids.length, want.view.plan.grids.length);
      await waitForIdle(page);
      await screenshot(page, '37-planning-proposal-accepted');

      await page.click('#pl-undo');
      await page.waitForFunction(() => window.gridAtlas.planning.state.view.plan.grids.length === 4 && window.gridAtlas.planning.state.busy === 0);
      assert.equal(await page.locator('#pl-grids .pl-grid.over').count(), 4);

      // 圈选: draw a boundary around 龙南路1号院 with another grid as the target; Enter finishes.
      const view = await page.evaluate(() => window.gridAtlas.planning.state.view);
      const unit = view.units.find((u) => u.name === '龙南路1号院');
      const from = unit.grids[0];
      const to = view.plan.grids.find((g) => g.code !== from).code;
      const hh = byCode(view);
      await page.click(`#pl-grids .pl-grid[data-code="${to}"]`);
      await jumpTo(page, [unit.lon, unit.lat], 17.5);
      await page.click('#pl-draw');
      assert.match(await page.textContent('.pl-hint.on'), /双击或按回车完成/);
      const c = await pixelAt(page, [unit.lon, unit.lat]);
      assert.ok(c, '龙南路1号院 in view');
      for (const [dx, dy] of [[-12, -12], [12, -12], [12, 12], [-12, 12]]) await page.mouse.click(c.x + dx, c.y + dy);
      assert.equal(await page.evaluate(() => window.gridAtlas.planning.state.drawing.length), 4);
      await screenshot(page, '37b-planning-encircle');
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => window.gridAtlas.planning.state.undo.length === 1 && window.gridAtlas.planning.state.busy === 0);
      const circled = await panelHouseholds(page);
      assert.equal(circled[from], hh[from] - unit.households);
      assert.equal(circled[to], hh[to] + unit.households);
      assert.equal(await page.evaluate(() => window.gridAtlas.planning.state.drawing), null);

      // In English.
      await page.click('#lang-switch');
      assert.equal((await page.textContent('#workspace-panel h2')).trim(), 'Grid planning');
      assert.match(await page.textContent('#pl-valid'), /error/);
      assert.equal((await page.textContent('#pl-undo')).includes('Undo'), true);
      // The last message is translated too.
      assert.match(await page.textContent('#pl-message'), /^Moved 龙南路1号院 \(\d+ households\) into 第\d网格$/);
      await screenshot(page, '38-planning-en');

      // Publishing a plan that breaks the rules: the confirmation warns, the server refuses with its reason.
      await page.click('#pl-publish');
      assert.match(await page.textContent('#pl-confirm'), /rule error\(s\): the server will refuse to publish/);
      await page.click('#pl-confirm-yes');
      await settled(page);
      // The refusal is drawn from the server's violations: each broken rule with the grids' and units' names, never an id.
      assert.match(await page.textContent('#pl-message .pl-message-text'), /^Not published: the plan breaks \d+ grid rule\(s\)\. Correct these first:$/);
      const broken = await page.$$eval('#pl-message-violations li', (li) => li.map((x) => x.textContent));
      assert.ok(broken.length > 0, 'the broken rules listed');
      assert.ok(broken.some((x) => /第\d网格: \d+ households, load [\d.]+, over the cap \(.*(路|院|苑|舍|区|村)/.test(x)), broken.join(' | '));
      for (const x of broken) assert.doesNotMatch(x, /compound:\d+|building:\d+/, 'units by name');
      assert.match(await page.locator('#pl-message details.err-detail code').textContent(), /the plan breaks/, 'the server\'s message as detail');
      await screenshot(page, '38b-planning-refused-en');
      assert.equal(await page.evaluate(() => window.gridAtlas.planning.state.view.status), 'draft');

      // Someone else changes the draft meanwhile: the next change here is a 409, the panel reloads
      // theirs and says so; nothing is lost and the change can be made again.
      const mine = await page.evaluate(() => window.gridAtlas.planning.state.view);
      const g4 = mine.plan.grids[3].code;
      const theirs = await api(`${server.url}/api/planning/drafts/${draftId}/operations`, {
        method: 'POST', token, ifMatch: `"${mine.version}"`, body: { op: 'set_grid', code: g4, workers: 5 },
      });
      assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
      await page.click(`#pl-grids .pl-grid[data-code="${g4}"]`);
      await page.click(`#pl-grids .pl-grid[data-code="${g4}"] .pl-lock`);
      await settled(page);
      assert.match(await page.textContent('#pl-message'), /changed by someone else; reloaded/);
      assert.equal(await page.evaluate(() => window.gridAtlas.planning.state.view.version), theirs.body.version);
      assert.match(await page.textContent(`#pl-grids .pl-grid[data-code="${g4}"] .pl-workers`), /Workers 5\//);
      await page.click(`#pl-grids .pl-grid[data-code="${g4}"] .pl-lock`);
      await settled(page);
      assert.equal(await page.locator(`#pl-grids .pl-grid[data-code="${g4}"] .pl-locked`).count(), 1, 'locked on the second try');
      assertNoProblems(page, [/HTTP 422: .*\/publish$/, /HTTP 409: .*\/operations$/, /status of 4(09|22)/]);
    } finally {
      await page.context().close();
    }
  });

  test('without the right role or scope the workspace is read-only and says why', async () => {
    const page = await openMap(browser, server.url);
    try {
      // Signed out: the current grids, and a prompt to sign in.
      await openPlanning(page, LONGNAN);
      assert.match(await page.textContent('#pl-access'), /未登录/);
      assert.equal(await page.locator('#pl-grids .pl-grid').count(), 4);
      await page.click('#pl-new');
      await page.locator('#signin-form').waitFor();
      await screenshot(page, '39a-planning-signin');
      await page.keyboard.press('Escape');

      // Staff: may look, may not change.
      await signInUi(page, STAFF);
      await page.locator('#pl-access', { hasText: '只能查看' }).waitFor();
      assert.match(await page.textContent('#pl-access'), new RegExp(`${STAFF}（网格员）只能查看`));
      assert.equal(await page.isDisabled('#pl-new'), true);
      await page.click('#account-signout');
      await page.locator('#account-signin').waitFor();

      // A planner of 奥体社区 in 龙南社区: the server refuses, and the panel shows its reason.
      await signInUi(page, PLANNER);
      await settled(page);
      assert.equal(await page.locator('#pl-access').count(), 0);
      await page.click('#pl-new');
      await settled(page);
      assert.match(await page.textContent('#pl-message .pl-message-text'), /^无权执行此操作：当前账号的角色或管辖范围不包括龙南社区。/);
      assert.match(await page.locator('#pl-message .err-detail code').textContent(), /510504003004/, 'the server\'s message as detail');
      assert.equal(await page.evaluate(() => window.gridAtlas.planning.state.draftId), null);
      await screenshot(page, '39b-planning-forbidden');
      assertNoProblems(page, [/HTTP 403: .*\/api\/planning\/drafts/, /status of 403/]);
    } finally {
      await page.context().close();
    }
  });

  test('on a 390×844 phone the workspace fits the screen, in Chinese and in English', async () => {
    const page = await openMap(browser, server.url, { viewport: { width: 390, height: 844 } });
    /** Elements reaching past the right edge of the screen (the page would scroll sideways). */
    const overflow = () => page.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth + 1; })
      .slice(0, 5).map((e) => `${e.tagName}.${e.className}#${e.id}`));
    try {
      // A planner signed in before opening the workspace gets their community.
      await signInUi(page, PLANNER);
      await page.click('[data-ws="planning"]');
      await page.waitForFunction((c) => window.gridAtlas.planning.state.view?.community_code === c && window.gridAtlas.planning.state.busy === 0, AOTI, { timeout: 30_000 });
      await newDraft(page);
      await page.locator('#pl-grids .pl-grid').nth(2).click();
      await page.locator('#pl-grids .pl-grid.selected .pl-grid-actions').waitFor();
      await waitForIdle(page);
      await screenshot(page, '40-planning-phone-zh');
      assert.deepEqual(await overflow(), []);
      assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390);

      await page.click('#lang-switch');
      await page.locator('#pl-grids .pl-grid.selected .pl-merge button', { hasText: 'Merge into' }).waitFor();
      await waitForIdle(page);
      await screenshot(page, '41-planning-phone-en');
      assert.deepEqual(await overflow(), []);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });
});
