// Browser tests of the web map on the demo district (龙马潭区), in headless Chromium against a
// real `gridatlas serve`. Screenshots land in test-output/ at the repository root.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  getJson, jumpTo, launchBrowser, openMap, pixelOf, screenshot, startBasemap, startServer, waitForIdle,
} from './harness.js';

const LONGNAN_CODE = '510504003004'; // 龙南社区
const HONGXING_CODE = '510504003'; // 红星街道
const LONGNAN_GRID_2 = '510504003004002';

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

async function appErrors(page) {
  return page.evaluate(() => window.gridAtlas.errors);
}

const centre = (b) => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];

function bboxOf(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]); b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]); b[3] = Math.max(b[3], c[1]);
    } else c.forEach(visit);
  };
  visit(geometry.coordinates);
  return b;
}

/** Rendered features of an atlas layer (all of its map layers) in the current view. */
function rendered(page, layer) {
  return page.evaluate((l) => {
    const { map, layerIds } = window.gridAtlas;
    const ids = layerIds[l].filter((id) => map.getLayer(id));
    return map.queryRenderedFeatures({ layers: ids }).map((f) => ({ id: f.id, layer: f.layer.id, properties: f.properties }));
  }, layer);
}

describe('the web map on the demo district', () => {
  test('the page loads in Chinese with no console errors', async () => {
    const page = await openMap(browser, server.url);
    try {
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assert.equal((await page.textContent('.brand h1')).trim(), '社区网格与服务设施一张图');
      assert.equal((await page.textContent('[data-ws="planning"]')).trim(), '网格规划');
      assert.equal((await page.textContent('.layer-block[data-layer="compounds"] .layer-title')).trim(), '小区/院落');
      assert.equal((await page.textContent('.layer-block[data-layer="gates"] .layer-title')).trim(), '小区出入口');
      assert.equal(await page.locator('.layer-block[data-layer="gates"] li[data-legend^="gate:"]').count(), 3);
      // The whole district is in view and its streets are drawn.
      const streets = await rendered(page, 'streets');
      assert.ok(new Set(streets.map((f) => f.id)).size >= 10, `streets drawn: ${streets.length}`);
      // Coordinates under the cursor, 6 decimals.
      const box = await page.locator('#map canvas').boundingBox();
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      assert.match(await page.textContent('#coords'), /^经度 1\d\d\.\d{6}，纬度 \d\d\.\d{6}$/);
      // Without a basemap in the config the map has a plain background and no raster layer.
      assert.equal(await page.evaluate(() => Boolean(window.gridAtlas.map.getLayer('basemap'))), false);
      // No style image was missing and nothing went wrong in MapLibre.
      assert.deepEqual(await appErrors(page), []);
      await screenshot(page, '01-overview-zh');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('every layer of the demo district renders at its zoom', async () => {
    const page = await openMap(browser, server.url);
    try {
      const items = async (layer, where) => (await getJson(
        `${server.url}/ogc/collections/${layer}/items?${new URLSearchParams({ ...where, limit: '10000' })}`,
      )).features;
      const ids = (features) => new Set(features.map((f) => f.id));
      const [street] = await items('streets', { code: HONGXING_CODE });
      const [community] = await items('communities', { code: LONGNAN_CODE });
      const longnan = {};
      for (const layer of ['grids', 'compounds', 'buildings', 'gates', 'stations', 'service_spaces']) {
        longnan[layer] = await items(layer, { community_code: LONGNAN_CODE });
        assert.ok(longnan[layer].length > 0, `龙南社区 has ${layer}`);
      }

      // 龙南社区 at zoom 16: every one of its grids, compounds, buildings, gates, stations and
      // service spaces is drawn, and its three-no compounds (19 of 21 in the demo) are hatched.
      await jumpTo(page, centre(bboxOf(community.geometry)), 16);
      for (const layer of ['communities', 'grids', 'compounds', 'buildings', 'gates', 'stations', 'service_spaces']) {
        const want = layer === 'communities' ? new Set([community.id]) : ids(longnan[layer]);
        const drawn = ids(await rendered(page, layer));
        const missing = [...want].filter((id) => !drawn.has(id));
        assert.deepEqual(missing, [], `${layer} of 龙南社区 not drawn at z16`);
      }
      const threeNo = longnan.compounds.filter((f) => f.properties.three_no);
      assert.equal(threeNo.length, 19, 'the demo has 19 three-no compounds in 龙南社区');
      const hatched = ids((await rendered(page, 'compounds')).filter((f) => f.layer === 'compounds-hatch'));
      assert.deepEqual([...ids(threeNo)].filter((id) => !hatched.has(id)), [], 'every three-no compound hatched');
      assert.ok(longnan.compounds.filter((f) => !f.properties.three_no).every((f) => !hatched.has(f.id)), 'only three-no compounds hatched');
      await screenshot(page, '02-longnan-z16-layers');

      // Switching a layer off hides it; on again shows it.
      await page.uncheck('.layer-toggle input[data-layer="compounds"]');
      await waitForIdle(page);
      assert.equal((await rendered(page, 'compounds')).length, 0, 'compounds hidden');
      await page.check('.layer-toggle input[data-layer="compounds"]');
      await waitForIdle(page);
      assert.ok((await rendered(page, 'compounds')).length > 0, 'compounds shown again');

      // 红星街道 at zoom 13.5: the street, its communities and grids, and buildings aggregated
      // into cells with their counts (individual buildings start at zoom 15).
      await jumpTo(page, centre(bboxOf(community.geometry)), 13.5);
      assert.ok(ids(await rendered(page, 'streets')).has(street.id), '红星街道 drawn');
      assert.ok((await rendered(page, 'communities')).length >= 4, 'communities drawn');
      assert.ok((await rendered(page, 'grids')).length >= 4, 'grids drawn');
      const cells = (await rendered(page, 'buildings')).filter((f) => f.layer === 'buildings-cells');
      assert.ok(cells.length > 0 && cells.every((f) => f.properties.count >= 1 && f.properties.households >= 0), 'building cells');
      await screenshot(page, '03-hongxing-z13-cells');

      // A scattered building is drawn with its flag.
      const scattered = (await items('buildings', {})).find((f) => f.properties.scattered === true);
      assert.ok(scattered, 'the demo has scattered buildings');
      await jumpTo(page, centre(bboxOf(scattered.geometry)), 16);
      const b = (await rendered(page, 'buildings')).find((f) => f.id === scattered.id);
      assert.equal(b?.properties.scattered, true, 'scattered building drawn as scattered');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('clicking a compound shows all its attributes in plain words', async () => {
    const page = await openMap(browser, server.url);
    try {
      const { results } = await getJson(`${server.url}/api/search?q=${encodeURIComponent('巴士天福苑')}`);
      const hit = results.find((r) => r.layer === 'compounds' && r.name === '巴士天福苑');
      assert.ok(hit, '巴士天福苑 is in the demo');
      const item = await getJson(`${server.url}/ogc/collections/compounds/items/${hit.id}`);
      await jumpTo(page, centre(hit.bbox), 17.5);
      const at = await pixelOf(page, 'compounds', hit.id);
      assert.ok(at, 'a clickable pixel of 巴士天福苑');
      await page.mouse.click(at.x, at.y);
      const panel = page.locator(`#feature-panel[data-layer="compounds"][data-id="${hit.id}"]`);
      await panel.waitFor();
      assert.equal((await panel.locator('.feature-name').textContent()).trim(), '巴士天福苑');
      const value = (field) => panel.locator(`dd[data-field="${field}"]`).textContent();
      assert.equal(await value('households'), item.properties.households.toLocaleString('zh-CN'));
      assert.equal(await value('property_management'), '连片物业');
      assert.equal(await value('class'), '老旧小区');
      assert.equal(await value('owners_committee'), item.properties.owners_committee ? '是' : '否');
      assert.equal(await value('competent_unit'), item.properties.competent_unit ? '是' : '否');
      assert.equal(await value('three_no'), '否');
      // Every attribute the server has is listed, with its Chinese label.
      for (const field of Object.keys(item.properties)) {
        assert.equal(await panel.locator(`dd[data-field="${field}"]`).count(), 1, `row for ${field}`);
      }
      const labels = await panel.locator('dt').allTextContents();
      for (const l of ['户数', '常住人口', '60岁以上人数', '物业管理', '业委会', '主管单位', '三无小区', '所属网格']) {
        assert.ok(labels.includes(l), `label ${l} in ${labels}`);
      }
      // Codes of related units are shown with their names.
      await page.waitForFunction(
        (sel) => document.querySelector(sel)?.textContent.includes('龙南社区'),
        `#feature-panel dd[data-field="community_code"]`,
      );
      await screenshot(page, '04-compound-panel-zh');

      // A station and a service space: kinds, levels, services and operating models in words.
      const station = (await getJson(`${server.url}/ogc/collections/stations/items?community_code=${LONGNAN_CODE}&kind=party_mass_centre`)).features[0];
      const space = (await getJson(`${server.url}/ogc/collections/service_spaces/items?community_code=${LONGNAN_CODE}&limit=100`))
        .features.find((f) => f.properties.services.length >= 2);
      assert.ok(station && space, 'a party-mass centre and a multi-service space in 龙南社区');
      await jumpTo(page, station.geometry.coordinates, 17.5);
      const sp = await pixelOf(page, 'stations', station.id);
      assert.ok(sp, 'a clickable pixel of the station');
      await page.mouse.click(sp.x, sp.y);
      const sPanel = page.locator(`#feature-panel[data-layer="stations"][data-id="${station.id}"]`);
      await sPanel.waitFor();
      assert.equal(await sPanel.locator('dd[data-field="kind"]').textContent(), '党群服务中心');
      assert.match(await sPanel.locator('dd[data-field="level"]').textContent(), /^(街道级|社区级|小区级)/);
      await page.evaluate((id) => window.gridAtlas.openFeature('service_spaces', id), space.id);
      const vPanel = page.locator(`#feature-panel[data-layer="service_spaces"][data-id="${space.id}"]`);
      await vPanel.waitFor();
      const zh = { elderly_care: '养老服务', childcare: '托育服务', after_school: '儿童托管', meal_help: '社区助餐', housekeeping: '家政便民',
        health: '健康服务', fitness: '体育健身', culture: '文化服务', study: '学习服务', children_play: '儿童游憩' };
      assert.equal(await vPanel.locator('dd[data-field="services"]').textContent(), space.properties.services.map((s) => zh[s]).join('、'));
      assert.match(await vPanel.locator('dd[data-field="operating_model"]').textContent(), /^(公益|低偿|市场)$/);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('the language switch shows English everywhere', async () => {
    const page = await openMap(browser, server.url);
    try {
      const { results } = await getJson(`${server.url}/api/search?q=${encodeURIComponent('巴士天福苑')}`);
      const hit = results.find((r) => r.layer === 'compounds');
      await page.evaluate(([id, bbox]) => {
        window.gridAtlas.map.jumpTo({ center: [(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2], zoom: 17 });
        return window.gridAtlas.openFeature('compounds', id);
      }, [hit.id, hit.bbox]);
      await page.locator('#feature-panel dd[data-field="property_management"]').waitFor();
      await page.click('#lang-switch');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.equal((await page.textContent('.brand h1')).trim(), 'Grid Atlas');
      assert.equal((await page.textContent('[data-ws="coverage"]')).trim(), 'Coverage');
      assert.equal((await page.textContent('#lang-switch')).trim(), '中文');
      assert.equal(await page.getAttribute('#search-input', 'placeholder'), 'Search by name or code…');
      assert.equal((await page.textContent('.layer-block[data-layer="compounds"] .layer-title')).trim(), 'Compounds');
      assert.match(await page.textContent('[data-legend="compound:three_no"]'), /^Three-no compound/);
      assert.equal((await page.textContent('[data-legend="station:grid_post"]')).trim(), 'Grid post');
      const panel = page.locator('#feature-panel');
      const labels = await panel.locator('dt').allTextContents();
      for (const l of ['Households', 'Residents', 'Property management', "Owners' committee", 'Three-no']) {
        assert.ok(labels.includes(l), `label ${l} in ${labels}`);
      }
      assert.equal(await panel.locator('dd[data-field="property_management"]').textContent(), 'Joint (shared across compounds)');
      assert.equal(await panel.locator('dd[data-field="three_no"]').textContent(), 'No');
      assert.equal(await panel.locator('dd[data-field="class"]').textContent(), 'Old compound');
      await waitForIdle(page);
      await screenshot(page, '05-english');
      // And back to Chinese.
      await page.click('#lang-switch');
      assert.equal(await panel.locator('dd[data-field="property_management"]').textContent(), '连片物业');
      assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('searching 龙南 finds 龙南社区 and zooms there', async () => {
    const page = await openMap(browser, server.url);
    try {
      await page.fill('#search-input', '龙南');
      await page.press('#search-input', 'Enter');
      const first = page.locator('.search-result').first();
      await first.waitFor();
      assert.equal((await first.locator('.result-name').textContent()).trim(), '龙南社区');
      assert.match(await first.locator('.result-meta').textContent(), /社区 · 510504003004/);
      const zoomBefore = await page.evaluate(() => window.gridAtlas.map.getZoom());
      await first.click();
      await page.locator('#feature-panel[data-layer="communities"] .feature-name', { hasText: '龙南社区' }).waitFor();
      await page.waitForFunction(() => !window.gridAtlas.map.isMoving());
      await waitForIdle(page);
      const { results } = await getJson(`${server.url}/api/search?q=${encodeURIComponent('龙南')}`);
      const bbox = results.find((r) => r.code === LONGNAN_CODE).bbox;
      const view = await page.evaluate(() => {
        const { map } = window.gridAtlas;
        const b = map.getBounds();
        const c = map.getCenter();
        return { zoom: map.getZoom(), center: [c.lng, c.lat], bounds: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()] };
      });
      assert.ok(view.zoom > zoomBefore + 3, `zoomed in: ${zoomBefore} → ${view.zoom}`);
      const [cx, cy] = centre(bbox);
      assert.ok(Math.abs(view.center[0] - cx) < (bbox[2] - bbox[0]) / 2 && Math.abs(view.center[1] - cy) < (bbox[3] - bbox[1]) / 2,
        `centred on 龙南社区: ${view.center}`);
      assert.ok(view.bounds[0] <= bbox[0] && view.bounds[1] <= bbox[1] && view.bounds[2] >= bbox[2] && view.bounds[3] >= bbox[3],
        'the whole community is in view');
      // Its grids and compounds are drawn.
      const grids = (await rendered(page, 'grids')).filter((f) => f.properties.community_code === LONGNAN_CODE);
      assert.equal(new Set(grids.map((f) => f.id)).size, 4, '龙南社区 has 4 grids');
      await screenshot(page, '06-search-longnan');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('zoom to a street, then a community, then a grid', async () => {
    const page = await openMap(browser, server.url);
    try {
      await page.locator(`#zoomto-street option[value="${HONGXING_CODE}"]`).waitFor({ state: 'attached' });
      await page.selectOption('#zoomto-street', HONGXING_CODE);
      await page.locator(`#zoomto-community option[value="${LONGNAN_CODE}"]`).waitFor({ state: 'attached' });
      await page.selectOption('#zoomto-community', LONGNAN_CODE);
      await page.locator(`#zoomto-grid option[value="${LONGNAN_GRID_2}"]`).waitFor({ state: 'attached' });
      assert.equal(await page.locator('#zoomto-grid option').count(), 5, 'placeholder + 4 grids');
      await page.selectOption('#zoomto-grid', LONGNAN_GRID_2);
      await page.waitForFunction(() => !window.gridAtlas.map.isMoving());
      await waitForIdle(page);
      const grid = (await getJson(`${server.url}/ogc/collections/grids/items?code=${LONGNAN_GRID_2}`)).features[0];
      const bbox = bboxOf(grid.geometry);
      const c = await page.evaluate(() => window.gridAtlas.map.getCenter().toArray());
      assert.ok(c[0] > bbox[0] && c[0] < bbox[2] && c[1] > bbox[1] && c[1] < bbox[3], `centre ${c} in grid ${bbox}`);
      await page.locator('#feature-panel[data-layer="grids"] .feature-name', { hasText: '龙南社区第2网格' }).waitFor();
      await screenshot(page, '07-zoomto-grid');
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('the workspace switcher offers the three workspaces, all of them live', async () => {
    const page = await openMap(browser, server.url);
    try {
      for (const [ws, name] of [['planning', '网格规划'], ['underserved', '薄弱小区'], ['coverage', '覆盖分析']]) {
        await page.click(`[data-ws="${ws}"]`);
        const panel = page.locator(`#workspace-panel[data-workspace="${ws}"]`);
        await panel.waitFor();
        assert.equal((await panel.locator('h2').textContent()).trim(), name);
        assert.doesNotMatch(await panel.textContent(), /尚未开放/);
        assert.equal(await page.getAttribute(`[data-ws="${ws}"]`, 'aria-selected'), 'true');
      }
      await screenshot(page, '08-workspaces');
      await page.click('[data-ws="map"]');
      assert.equal(await page.locator('#workspace-panel').isHidden(), true);
      assertNoProblems(page);
    } finally {
      await page.context().close();
    }
  });

  test('a raster basemap set in the server config is drawn under the atlas', async () => {
    const basemap = await startBasemap();
    const withBasemap = await startServer({ basemapUrl: basemap.url, basemapAttribution: '测试底图 Test basemap' });
    try {
      const config = await getJson(`${withBasemap.url}/api/config`);
      assert.deepEqual(config.basemap?.tiles, [basemap.url]);
      const page = await openMap(browser, withBasemap.url);
      try {
        assert.equal(await page.evaluate(() => window.gridAtlas.map.getLayer('basemap')?.type), 'raster');
        assert.ok(basemap.requests.some((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u)), 'basemap tiles requested');
        assert.match(await page.textContent('.maplibregl-ctrl-attrib'), /测试底图 Test basemap/);
        assertNoProblems(page);
      } finally {
        await page.context().close();
      }
    } finally {
      await withBasemap.stop();
      await basemap.stop();
    }
  });
});
