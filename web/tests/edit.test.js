// Browser tests of editing on the map (地图编辑) against a real `gridatlas serve` on the demo
// district: a community worker (staff of 龙南社区) corrects a compound's households and property
// management — a bad value is refused beside its field in Chinese before anything is sent — and
// the tiles, the coverage analysis and the change history show the change at once; moves a gate
// by dragging it on the map; draws a new service space and fills its form, and the coverage of
// its service rises; meets a conflict (409) with a change made meanwhile through the API, sees
// both versions side by side and keeps editing on top of theirs; deletes a feature after a
// confirmation. A planner draws a footbridge over the river, its ends snapped onto the ways, and
// the compound across walks over it. A viewer, and staff of another community, see the read-only panel. Desktop
// 1280×820 in Chinese, phone 390×844 in English and Chinese.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  api, getJson, jumpTo, launchBrowser, openMap, pixelOf, screenshot, signIn, startServer, waitForIdle, signInUi, assertNoProblems,
} from './harness.js';

const LONGNAN = '510504003004'; // 龙南社区: 21 compounds with gates, services around
const STAFF = 'staff_chen'; // community worker of 龙南社区
const COLLEAGUE = 'staff_liu'; // another worker of 龙南社区, who edits through the API meanwhile
const OTHER = 'staff_he'; // a worker of another community
const VIEWER = 'viewer_sun';
const PLANNER = 'planner_wu'; // a planner of the whole district, who draws ways
const PHONE = { width: 390, height: 844 };

let server;
let browser;

before(async () => {
  server = await startServer({
    accounts: [
      { name: STAFF, role: 'staff', scope: `community:${LONGNAN}` },
      { name: COLLEAGUE, role: 'staff', scope: `community:${LONGNAN}` },
      { name: OTHER, role: 'staff', scope: 'community:510504003006' },
      { name: VIEWER, role: 'viewer', scope: 'district' },
      { name: PLANNER, role: 'planner', scope: 'district' },
    ],
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});



const item = (layer, id) => getJson(`${server.url}/ogc/collections/${layer}/items/${id}`);
const centre = (g) => {
  const ring = g.type === 'Point' ? [g.coordinates] : g.coordinates[0];
  const xs = ring.map((c) => c[0]);
  const ys = ring.map((c) => c[1]);
  return [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
};

/** The coverage of `service` within `threshold` m in 龙南社区: `{ households, covered }`. */
async function coverage(service, threshold) {
  const body = await getJson(`${server.url}/api/coverage?level=community&service=${service}&threshold=${threshold}`);
  const area = body.areas.find((a) => a.code === LONGNAN);
  const s = area.services.find((x) => x.service === service);
  return { households: s.households, covered: s.households_covered };
}

/** Jumps to a feature and clicks it; resolves once its panel is open. */
async function openOnMap(page, layer, id, zoom = 18) {
  const f = await item(layer, id);
  await jumpTo(page, centre(f.geometry), zoom);
  const at = await pixelOf(page, layer, id);
  assert.ok(at, `a clickable pixel of ${layer} ${id}`);
  await page.mouse.click(at.x, at.y);
  await page.locator(`#feature-panel[data-layer="${layer}"][data-id="${id}"]`).waitFor();
  return f;
}

/** The page pixel of a lon/lat on the map canvas, when no panel covers it. */
async function pixelAt(page, lonlat) {
  const p = await page.evaluate((ll) => {
    const { map } = window.gridAtlas;
    const pt = map.project(ll);
    const canvas = map.getCanvas();
    const r = canvas.getBoundingClientRect();
    return document.elementFromPoint(r.left + pt.x, r.top + pt.y) === canvas ? { x: r.left + pt.x, y: r.top + pt.y } : null;
  }, lonlat);
  return p;
}

/**
 * The properties of feature `id` in the loaded atlas tiles of `sourceLayer`, once the expression
 * `ok` holds of them (`p`: its properties, `g`: its GeoJSON geometry).
 */
async function tileFeature(page, sourceLayer, id, ok) {
  const handle = await page.waitForFunction(([layer, fid, test]) => {
    const { map } = window.gridAtlas;
    // eslint-disable-next-line no-new-func
    const pass = new Function('p', 'g', `return ${test}`);
    const hit = map.querySourceFeatures('atlas', { sourceLayer: layer }).find((f) => f.id === fid && pass(f.properties, f.geometry));
    return hit ? hit.properties : null;
  }, [sourceLayer, id, ok], { timeout: 20_000 });
  return handle.jsonValue();
}

/** Runs `fn(page)` on a new page of the map (`opts` as `openMap` takes them), signed in as `account` when given. */
async function withMap({ account, ...opts }, fn) {
  const page = await openMap(browser, server.url, opts);
  try {
    if (account) await signInUi(page, account);
    await fn(page);
  } finally {
    await page.context().close();
  }
}

const field = (page, name) => page.locator(`#feature-panel .edit-field[data-field="${name}"]`);
const fieldError = (page, name) => field(page, name).locator('.field-error');

describe('editing on the map', () => {
  test('staff correct a compound: a bad value is refused beside its field, the change shows in tiles, coverage and history', () => withMap({}, async (page) => {
    const writes = [];
    page.on('request', (r) => {
      if (['PUT', 'POST', 'DELETE'].includes(r.method()) && r.url().includes('/ogc/')) writes.push(`${r.method()} ${r.url()}`);
    });
    // The coverage workspace, shown once before the edit (its table is kept).
    const covBefore = await coverage('elderly_care', 500);
    await page.click('[data-ws="coverage"]');
    const covRow = page.locator(`#cov-table tr[data-code="${LONGNAN}"]`);
    await covRow.waitFor();
    assert.equal(await covRow.locator('td').nth(1).textContent(), covBefore.households.toLocaleString('zh-CN'));
    await page.click('[data-ws="map"]');

    // Signed out: the panel is read-only and there is no ＋ 新建.
    await openOnMap(page, 'compounds', 65);
    assert.equal(await page.locator('#feature-edit').count(), 0, 'no 编辑 when signed out');
    assert.equal(await page.locator('#edit-new').isVisible(), false, 'no 新建 when signed out');

    await signInUi(page, STAFF);
    assert.equal(await page.locator('#edit-new').isVisible(), true, '新建 for a staff member');
    const old = (await openOnMap(page, 'compounds', 65)).properties; // 巴士天福苑
    assert.equal(old.name, '巴士天福苑');
    await page.click('#feature-edit');
    await page.locator('#edit-form').waitFor();
    assert.equal(await page.getAttribute('#feature-panel', 'data-edit'), 'form');
    // Every stored attribute with its Chinese label; enums as choices; derived ones are not inputs.
    assert.equal((await field(page, 'households').locator('label').textContent()).trim(), '户数 *');
    assert.equal(await page.inputValue('#edit-households'), String(old.households));
    assert.equal(await page.locator('#edit-property_management option').count(), 5);
    assert.equal(await page.locator('#edit-property_management option:checked').textContent(), '连片物业');
    assert.equal(await field(page, 'three_no').count(), 0, 'three_no is derived, not typed');
    await page.locator('#edit-community_code[data-loaded]').waitFor();
    assert.equal(await page.locator('#edit-community_code option:checked').textContent(), `龙南社区（${LONGNAN}）`);
    // The compound is drawn for reshaping, its tile feature hidden meanwhile.
    assert.match(await page.textContent('#edit-geom-summary'), /^面：4 个顶点，约 [\d,]+ ㎡$/);

    // A negative count: the message in Chinese beside the field, nothing sent.
    await page.fill('#edit-households', '-5');
    await page.press('#edit-households', 'Tab');
    assert.equal(await fieldError(page, 'households').textContent(), '不能小于 0');
    await page.fill('#edit-population', '12.5');
    await page.click('#edit-save');
    assert.equal(await fieldError(page, 'population').textContent(), '须为整数，不能有小数');
    assert.equal(await fieldError(page, 'households').textContent(), '不能小于 0');
    assert.equal(await page.textContent('#edit-status'), '有 2 项需要修改，见各项旁的提示');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'edit-households', 'the first field to correct has the focus');
    await screenshot(page, '80-edit-invalid-zh');
    assert.deepEqual(writes, [], 'nothing is sent while a field is wrong');

    // Corrected: households 268 → 300, 连片物业 → 社区托管.
    await page.fill('#edit-population', String(old.population));
    await page.fill('#edit-households', '300');
    assert.equal(await fieldError(page, 'households').textContent(), '', 'the message goes once the value is right');
    await page.selectOption('#edit-property_management', 'community_hosted');
    assert.equal(await page.textContent('#edit-status'), '已修改 2 项');
    assert.equal(await field(page, 'households').getAttribute('data-changed'), '');
    await screenshot(page, '81-edit-form-zh');
    await page.click('#edit-save');

    // The panel shows the stored compound, with the notice and its history open at the edit.
    const panel = page.locator('#feature-panel[data-layer="compounds"][data-id="65"]');
    await panel.locator('.edit-notice', { hasText: '已保存（版本 2）。' }).waitFor();
    assert.equal(await panel.locator('dd[data-field="households"]').textContent(), '300');
    assert.equal(await panel.locator('dd[data-field="property_management"]').textContent(), '社区托管');
    const history = panel.locator('details.history');
    await history.locator('summary', { hasText: '变更记录（2 条）' }).waitFor();
    assert.equal(await history.evaluate((d) => d.open), true, 'the history is open at the new entry');
    const edit = history.locator('.history-entry').first();
    assert.equal((await edit.locator('.history-op').textContent()).trim(), '编辑');
    assert.equal((await edit.locator('.history-actor').textContent()).trim(), STAFF);
    assert.equal((await edit.locator('li[data-field="households"]').textContent()).trim(), '户数 268 → 300');
    assert.equal((await edit.locator('li[data-field="property_management"]').textContent()).trim(), '物业管理 连片物业 → 社区托管');
    assert.equal(await edit.locator('.history-changes li').count(), 2);
    assert.deepEqual(writes, [`PUT ${server.url}/ogc/collections/compounds/items/65`]);

    // The tiles carry the new values.
    const props = await tileFeature(page, 'compounds', 65, 'p.households === 300');
    assert.equal(props.property_management, 'community_hosted');
    // Coverage: 32 more households in 龙南社区, all within reach of elderly care (as before).
    const covAfter = await coverage('elderly_care', 500);
    assert.equal(covAfter.households, covBefore.households + 32);
    assert.equal(covAfter.covered, covBefore.covered + 32);
    // …and the coverage workspace shows it, not the table it had before.
    await page.click('[data-ws="coverage"]');
    await page.locator(`#cov-table tr[data-code="${LONGNAN}"] td:nth-child(2)`, { hasText: covAfter.households.toLocaleString('zh-CN') }).waitFor();
    await screenshot(page, '82-edit-saved-zh');
    await page.click('[data-ws="map"]');
    assertNoProblems(page);
  }));

  test('staff move a gate by dragging it on the map; too far from its compound, the server\'s reason stands beside the shape', () => withMap({ account: STAFF }, async (page) => {
    const gate = await openOnMap(page, 'gates', 70, 18); // 西门 of 龙南路1号院
    await page.click('#feature-edit');
    await page.locator('#edit-form').waitFor();
    assert.match(await page.textContent('#edit-geom-summary'), /^点：105\.\d{6}, 28\.\d{6}$/);
    assert.equal(await page.inputValue('#edit-compound_id'), '67');
    // The gate is drawn for dragging at its place; the tile's gate is hidden meanwhile.
    await waitForIdle(page);
    const from = await pixelAt(page, gate.geometry.coordinates);
    assert.ok(from, 'the gate is in view beside the form');
    const drag = async (to) => {
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      for (let i = 1; i <= 10; i++) await page.mouse.move(from.x + ((to.x - from.x) * i) / 10, from.y + ((to.y - from.y) * i) / 10);
      await page.mouse.up();
    };
    // West, away from its compound: some 70 m at zoom 18. The engine refuses it, in Chinese, beside the shape.
    await drag({ x: from.x - 260, y: from.y });
    await page.locator('.edit-geometry[data-changed]').waitFor();
    await page.click('#edit-save');
    await page.locator('.edit-geometry[data-invalid]').waitFor();
    assert.match(await page.textContent('#edit-geometry-msg'), /^出入口距小区\S+（67）的边界 \d+ 米；出入口应在所属小区边界 50 米以内，请把出入口移到小区边上/);
    assert.equal((await item('gates', 70)).properties.version, 1, 'nothing stored');
    await screenshot(page, '83a-edit-gate-refused-zh');
    // Back where it was, then a few metres along the compound's edge.
    await page.click('#edit-geom-reset');
    assert.equal(await page.locator('.edit-geometry[data-changed], .edit-geometry[data-invalid]').count(), 0);
    const to = { x: from.x - 30, y: from.y + 12 };
    await drag(to);
    const expected = await page.evaluate(([x, y]) => {
      const { map } = window.gridAtlas;
      const r = map.getCanvas().getBoundingClientRect();
      return map.unproject([x - r.left, y - r.top]).toArray();
    }, [to.x, to.y]);
    await page.locator('.edit-geometry[data-changed]').waitFor();
    await screenshot(page, '83-edit-gate-moved-zh');
    await page.click('#edit-save');
    await page.locator('#feature-panel[data-layer="gates"][data-id="70"] .edit-notice').waitFor();
    const stored = await item('gates', 70);
    const [lon, lat] = stored.geometry.coordinates;
    assert.notDeepEqual(stored.geometry.coordinates, gate.geometry.coordinates);
    // Where the pointer let go (within a pixel at zoom 18, about 0.3 m).
    assert.ok(Math.abs(lon - expected[0]) < 5e-6 && Math.abs(lat - expected[1]) < 5e-6, `${[lon, lat]} vs ${expected}`);
    assert.equal(stored.properties.version, 2);
    const entry = page.locator('#feature-panel details.history .history-entry').first();
    await entry.locator('li[data-field="geometry"]').waitFor();
    // The tiles show the gate at its new place (to their precision, some centimetres).
    await tileFeature(page, 'gates', 70, `Math.abs(g.coordinates[0] - ${lon}) < 2e-6 && Math.abs(g.coordinates[1] - ${lat}) < 2e-6`);
    assertNoProblems(page, [/HTTP 422: .*gates\/items\/70/, /status of 422/]);
  }));

  test('an edit shows in the tiles even when it lands while the map has a style change to draw', () => withMap({}, async (page) => {
    // A busy phone: frames come late, so the new tiles' answer arrives before the frame that
    // applies a pending filter (as when the edited feature is shown again after saving).
    const gate = await openOnMap(page, 'gates', 71, 18);
    const token = await signIn(server.url, COLLEAGUE);
    const url = `${server.url}/ogc/collections/gates/items/71`;
    const got = await api(url);
    const moved = structuredClone(got.body);
    const [lon, lat] = gate.geometry.coordinates;
    moved.geometry.coordinates = [lon + 1e-5, lat];
    const put = await api(url, { method: 'PUT', body: moved, token, ifMatch: got.etag });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await page.evaluate(() => {
      const { map } = window.gridAtlas;
      const frame = window.requestAnimationFrame.bind(window);
      window.requestAnimationFrame = (cb) => setTimeout(() => frame(cb), 400);
      map.setFilter('gates', ['!=', ['id'], -1]);
      window.gridAtlas.refreshTiles();
    });
    const [x, y] = moved.geometry.coordinates;
    await tileFeature(page, 'gates', 71, `Math.abs(g.coordinates[0] - ${x}) < 2e-6 && Math.abs(g.coordinates[1] - ${y}) < 2e-6`);
    assertNoProblems(page);
  }));

  test('staff draw a new service space, fill its form and save: it shows in tiles and coverage', () => withMap({ account: STAFF }, async (page) => {
    const before = await coverage('housekeeping', 300);
    // Between 电机厂宿舍, 龙南新村, 春光院落 and 育英院落, beyond 300 m of any housekeeping service.
    const place = [105.4418, 28.9110];
    await jumpTo(page, place, 17.5);
    await page.click('#edit-new');
    await page.locator('#feature-panel[data-edit="choose"]').waitFor();
    // Staff add compounds, buildings, gates, stations and service spaces.
    assert.deepEqual(await page.$$eval('#edit-new-layer option', (os) => os.map((o) => o.value)),
      ['compounds', 'buildings', 'gates', 'stations', 'service_spaces']);
    await page.selectOption('#edit-new-layer', 'service_spaces');
    await page.check('#edit-new-shape input[value="Point"]');
    await page.click('#edit-start-draw');
    await page.locator('#feature-panel[data-edit="draw"]').waitFor();
    assert.equal(await page.textContent('#edit-draw-hint'), '在地图上单击放置位置。按 Esc 取消。');
    const at = await pixelAt(page, place);
    assert.ok(at, 'the place is in view');
    await page.mouse.click(at.x, at.y);
    await page.locator('#edit-form').waitFor();
    // The community is filled in from where it was drawn.
    await page.waitForFunction((c) => document.querySelector('#edit-community_code')?.value === c, LONGNAN);
    // Saving the empty form: every required field says so, nothing is sent.
    await page.click('#edit-save');
    assert.equal(await fieldError(page, 'name').textContent(), '此项为必填');
    assert.equal(await fieldError(page, 'services').textContent(), '请至少选择一项');
    assert.equal(await fieldError(page, 'floor_area').textContent(), '此项为必填');
    await page.fill('#edit-name', '龙南社区家政便民点');
    await page.check('#edit-services input[value="housekeeping"]');
    await page.fill('#edit-floor_area', '１２０'); // full-width digits, as a Chinese input method types them
    await page.selectOption('#edit-operating_model', 'market');
    // A 5-minute service: only a compound-level (小区级) space meets it.
    await page.selectOption('#edit-level', 'compound');
    await page.fill('#edit-opening_hours', '08:00-20:00');
    await screenshot(page, '84-edit-new-space-zh');
    await page.click('#edit-save');
    await page.locator('#feature-panel[data-layer="service_spaces"] .edit-notice', { hasText: '已新建。' }).waitFor();
    const id = Number(await page.getAttribute('#feature-panel', 'data-id'));
    const created = await item('service_spaces', id);
    assert.equal(created.properties.name, '龙南社区家政便民点');
    assert.equal(created.properties.community_code, LONGNAN);
    assert.deepEqual(created.properties.services, ['housekeeping']);
    assert.equal(created.properties.floor_area, 120);
    assert.ok(Math.abs(created.geometry.coordinates[0] - place[0]) < 1e-5 && Math.abs(created.geometry.coordinates[1] - place[1]) < 1e-5);
    const history = page.locator('#feature-panel details.history .history-entry').first();
    assert.equal((await history.locator('.history-op').textContent()).trim(), '新建');
    // In the tiles, and the housekeeping coverage of 龙南社区 rises.
    await tileFeature(page, 'service_spaces', id, "p.name === '龙南社区家政便民点'");
    const after = await coverage('housekeeping', 300);
    assert.ok(after.covered > before.covered, `households within 300 m of housekeeping: ${before.covered} → ${after.covered}`);
    await screenshot(page, '85-edit-new-space-saved-zh');

    // Delete it again: a confirmation naming it, then it is gone from the store and the tiles.
    await page.click('#feature-delete');
    const dialog = page.locator('dialog#edit-dialog');
    await dialog.waitFor();
    assert.equal(await dialog.locator('.dialog-text').textContent(), '确定删除嵌入式服务阵地“龙南社区家政便民点”吗？删除将记入变更记录。');
    await screenshot(page, '86-edit-delete-confirm-zh');
    await page.click('#edit-dialog-cancel');
    assert.equal((await api(`${server.url}/ogc/collections/service_spaces/items/${id}`)).status, 200, 'cancelled: still there');
    await page.click('#feature-delete');
    await page.click('#edit-dialog-confirm');
    await page.locator('#feature-panel[data-edit="deleted"]').waitFor();
    assert.equal(await page.textContent('#feature-panel .edit-notice'), '已删除嵌入式服务阵地“龙南社区家政便民点”。');
    assert.equal((await api(`${server.url}/ogc/collections/service_spaces/items/${id}`)).status, 404);
    await page.waitForFunction((fid) => !window.gridAtlas.map.querySourceFeatures('atlas', { sourceLayer: 'service_spaces' }).some((f) => f.id === fid), id, { timeout: 20_000 });
    assert.equal((await coverage('housekeeping', 300)).covered, before.covered);
    assertNoProblems(page, [/HTTP 404: .*service_spaces\/items\//, /status of 404/]);
  }));

  test('a planner draws a footbridge across the river: its ends join the ways, and the compound across is covered on foot', () => withMap({ account: PLANNER }, async (page) => {
    // A gated compound covered for elderly care in a straight line but not on foot, and its route.
    const units = await getJson(`${server.url}/api/coverage/units`);
    const elderly = (u) => u.services.find((x) => x.service === 'elderly_care');
    const unit = units.units.find((u) => u.kind === 'compound' && u.gates > 0
      && elderly(u).covered_straight && elderly(u).covered_walk === false);
    assert.ok(unit, 'a compound across a river from its elderly care');
    const routes = await getJson(`${server.url}/api/routes?compound=${unit.id}`);
    const line = routes.features.find((f) => f.properties.service === 'elderly_care').geometry.coordinates;
    // From its gate (a vertex of its path) to the route's last vertex on the far bank.
    const [from, to] = [line[0], line[line.length - 3]];
    await page.evaluate(([a, b]) => window.gridAtlas.map.fitBounds([a, b], { padding: { top: 120, bottom: 120, left: 480, right: 120 }, maxZoom: 18, duration: 0 }), [from, to]);
    await waitForIdle(page);
    await page.click('#edit-new');
    await page.locator('#feature-panel[data-edit="choose"]').waitFor();
    await page.selectOption('#edit-new-layer', 'ways');
    assert.equal(await page.textContent('#feature-panel .edit-shape-only'), '线');
    await page.click('#edit-start-draw');
    await page.locator('#feature-panel[data-edit="draw"]').waitFor();
    assert.match(await page.textContent('#edit-draw-hint'), /依次单击各点/);
    const a = await pixelAt(page, from);
    const b = await pixelAt(page, to);
    assert.ok(a && b, 'both ends are in view');
    await page.mouse.click(a.x, a.y);
    await page.mouse.click(b.x, b.y);
    await page.mouse.click(b.x, b.y); // on the last point again: finished
    await page.locator('#edit-form').waitFor();
    await page.fill('#edit-name', '测试人行桥');
    await page.selectOption('#edit-kind', 'footway');
    await page.selectOption('#edit-bridge', 'true');
    await screenshot(page, '87-edit-new-footbridge-zh');
    await page.click('#edit-save');
    await page.locator('#feature-panel[data-layer="ways"] .edit-notice', { hasText: '已新建。' }).waitFor();
    const id = Number(await page.getAttribute('#feature-panel', 'data-id'));
    const created = await item('ways', id);
    const [p, q] = [created.geometry.coordinates[0][0], created.geometry.coordinates[0].at(-1)];
    const same = (u, v) => Math.abs(u[0] - v[0]) < 1e-8 && Math.abs(u[1] - v[1]) < 1e-8;
    assert.ok(same(p, from) && same(q, to), `the ends took the vertices' exact positions: ${JSON.stringify([p, q])} vs ${JSON.stringify([from, to])}`);
    await tileFeature(page, 'ways', id, "p.bridge === true && p.kind === 'footway'");
    // The next coverage walks over it.
    const after = await getJson(`${server.url}/api/coverage/units`);
    const now = elderly(after.units.find((u) => u.kind === 'compound' && u.id === unit.id));
    assert.ok(now.walk_m < elderly(unit).walk_m, `walk ${elderly(unit).walk_m} → ${now.walk_m}`);
    // Deleted again, the compound is back where it was.
    await page.click('#feature-delete');
    await page.click('#edit-dialog-confirm');
    await page.locator('#feature-panel[data-edit="deleted"]').waitFor();
    const back = await getJson(`${server.url}/api/coverage/units`);
    assert.equal(elderly(back.units.find((u) => u.kind === 'compound' && u.id === unit.id)).walk_m, elderly(unit).walk_m);
    assertNoProblems(page);
  }));

  test('a conflict (409) shows their version beside mine; editing goes on on top of theirs', () => withMap({ account: STAFF }, async (page) => {
    const old = (await openOnMap(page, 'compounds', 66)).properties; // 聚福苑
    await page.click('#feature-edit');
    await page.locator('#edit-form').waitFor();
    await page.fill('#edit-population', String(old.population + 10));
    // Meanwhile a colleague corrects the count of residents aged 60+ through the API.
    const token = await signIn(server.url, COLLEAGUE);
    const url = `${server.url}/ogc/collections/compounds/items/66`;
    const got = await api(url);
    const theirs = structuredClone(got.body);
    theirs.properties.elderly = old.elderly + 7;
    const put = await api(url, { method: 'PUT', body: theirs, token, ifMatch: got.etag });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    await page.click('#edit-save');
    const table = page.locator('#edit-conflict-table');
    await table.waitFor();
    assert.match(await page.textContent('.conflict-text'), new RegExp(`^在您编辑期间，${COLLEAGUE} 于 .+ 保存了版本 2。`));
    assert.equal(await table.locator('thead th').nth(1).textContent(), '对方的版本（2）');
    const row = (f) => table.locator(`tr[data-field="${f}"]`);
    assert.equal(await row('elderly').getAttribute('class'), 'differs');
    assert.equal(await row('elderly').locator('td.theirs').textContent(), String(old.elderly + 7));
    assert.equal(await row('elderly').locator('td.mine').textContent(), String(old.elderly));
    assert.equal(await row('population').getAttribute('class'), 'differs');
    assert.match(await row('population').locator('td.mine').textContent(), new RegExp(`^${(old.population + 10).toLocaleString('zh-CN')} ✎$`));
    assert.equal(await row('name').getAttribute('class'), '', 'the same name is not highlighted');
    assert.equal(await row('geometry').getAttribute('class'), '');
    await screenshot(page, '87-edit-conflict-zh');

    // Keep editing on top of theirs: their elderly count, my population, their version.
    await page.click('#edit-conflict-keep');
    await page.locator('#edit-form').waitFor();
    assert.equal(await page.inputValue('#edit-elderly'), String(old.elderly + 7));
    assert.equal(await page.inputValue('#edit-population'), String(old.population + 10));
    await page.click('#edit-save');
    await page.locator('#feature-panel .edit-notice', { hasText: '已保存（版本 3）。' }).waitFor();
    const stored = (await item('compounds', 66)).properties;
    assert.equal(stored.elderly, old.elderly + 7);
    assert.equal(stored.population, old.population + 10);
    assertNoProblems(page, [/HTTP 409: .*compounds\/items\/66/, /status of 409 \(Conflict\)/]);
  }));

  test('a viewer, and staff of another community, see the read-only panel', () => withMap({ account: VIEWER }, async (page) => {
    await openOnMap(page, 'compounds', 67);
    assert.equal(await page.locator('#feature-panel dd[data-field="households"]').count(), 1, 'the attributes as before');
    assert.equal(await page.locator('#feature-edit, #feature-delete, #edit-form').count(), 0, 'no form for a viewer');
    assert.equal(await page.locator('#edit-new').isVisible(), false, 'no 新建 for a viewer');
    await page.click('#account-signout');
    await signInUi(page, OTHER);
    await openOnMap(page, 'compounds', 67);
    assert.equal(await page.locator('#feature-edit').count(), 0, 'not in their community');
    assert.equal(await page.locator('#edit-new').isVisible(), true, 'they add features in their own community');
    assertNoProblems(page);
  }));

  test('on a phone (English): the form is a sheet below the map, the map adjusts between', () => withMap({ account: STAFF, lang: 'en', viewport: PHONE }, async (page) => {
    const old = (await openOnMap(page, 'compounds', 68, 18)).properties; // 龙南路17号院
    await page.click('#feature-edit');
    await page.locator('#edit-form').waitFor();
    const sheet = await page.locator('#feature-panel').boundingBox();
    assert.ok(sheet.x <= 0 && sheet.width >= PHONE.width - 1 && sheet.y + sheet.height <= PHONE.height + 1, JSON.stringify(sheet));
    const map = await page.locator('#map').boundingBox();
    assert.ok(sheet.y > map.y + 100, 'the top of the map stays in view above the form');
    await page.fill('#edit-households', '7.5');
    await page.press('#edit-households', 'Tab');
    assert.equal(await fieldError(page, 'households').textContent(), 'Must be a whole number, without decimals');
    await screenshot(page, '88-edit-phone-en');
    // The save button is in view at the foot of the sheet.
    const save = await page.locator('#edit-save').boundingBox();
    assert.ok(save.y + save.height <= PHONE.height && save.x + save.width <= PHONE.width, JSON.stringify(save));
    // Adjust on the map: the sheet folds to a bar at the foot of the map.
    await page.click('#edit-adjust');
    await page.locator('#feature-panel[data-edit="collapsed"]').waitFor();
    const bar = await page.locator('#feature-panel').boundingBox();
    assert.ok(bar.height < 90, `a bar, ${bar.height} px high`);
    await screenshot(page, '89-edit-phone-adjust-en');
    await page.click('#edit-back');
    await page.fill('#edit-households', String(old.households + 4));
    await page.click('#edit-save');
    await page.locator('#feature-panel .edit-notice', { hasText: 'Saved (version 2).' }).waitFor();
    assert.equal((await item('compounds', 68)).properties.households, old.households + 4);
    await screenshot(page, '90-edit-phone-saved-en');
    assertNoProblems(page);
  }));

  test('on a phone (Chinese): drawing a new gate, then the form with its compound filled in', () => withMap({ account: STAFF, viewport: PHONE }, async (page) => {
    const compound = await item('compounds', 69); // 丝绸厂宿舍
    const [w, s] = compound.geometry.coordinates[0].reduce((m, c) => [Math.min(m[0], c[0]), Math.min(m[1], c[1])], [180, 90]);
    const place = [w + 0.00005, s + 0.00005]; // just inside its south-west corner
    await jumpTo(page, place, 18);
    await page.click('#edit-new');
    await page.locator('#feature-panel[data-edit="choose"]').waitFor();
    await screenshot(page, '91-edit-phone-new-zh');
    await page.selectOption('#edit-new-layer', 'gates');
    await page.click('#edit-start-draw');
    await page.locator('#feature-panel[data-edit="draw"]').waitFor();
    const at = await pixelAt(page, place);
    assert.ok(at, 'the place is in view above the bar');
    await screenshot(page, '92-edit-phone-draw-zh');
    await page.mouse.click(at.x, at.y);
    await page.locator('#edit-form').waitFor();
    await page.waitForFunction(() => document.querySelector('#edit-compound_id')?.value === '69');
    assert.equal(await page.inputValue('#edit-community_code'), LONGNAN);
    await page.fill('#edit-name', '西南门');
    await page.selectOption('#edit-kind', 'pedestrian');
    await screenshot(page, '93-edit-phone-gate-form-zh');
    await page.click('#edit-save');
    await page.locator('#feature-panel[data-layer="gates"] .edit-notice').waitFor();
    const id = Number(await page.getAttribute('#feature-panel', 'data-id'));
    const gate = await item('gates', id);
    assert.equal(gate.properties.compound_id, 69);
    assert.equal(gate.properties.name, '西南门');
    assertNoProblems(page);
  }));
});
