// A building a ledger named and the map lacked (imported before the server starts, as staff would
// with `gridatlas import`) is drawn on the map at its compound and flagged 位置待核实 in its panel,
// on a desktop and a phone, in Chinese and English.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';

import {
  getJson, jumpTo, launchBrowser, openMap, REPO_DIR, screenshot, SERVER_BIN, startServer,
} from './harness.js';

const LEDGER = join(REPO_DIR, 'server', 'tests', 'fixtures', 'office', 'ledger_update_buildings.xlsx');

let server;
let browser;
let building;

before(async () => {
  server = await startServer({
    prepareStore: (store) => promisify(execFile)(SERVER_BIN, ['import', '--store', store, '--layer', 'buildings', LEDGER], { timeout: 60_000 }),
  });
  browser = await launchBrowser();
  const items = await getJson(`${server.url}/ogc/collections/buildings/items?community_code=510504003004&limit=1000`);
  building = items.features.find((f) => f.properties.location_approximate === true);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

describe('a building placed from a ledger', () => {
  for (const [lang, viewport, badge, value] of [
    ['zh', { width: 1280, height: 820 }, '位置待核实', '是'],
    ['en', { width: 390, height: 844 }, 'Approximate location', 'Yes'],
  ]) {
    test(`is drawn at its compound and flagged in its panel (${lang}, ${viewport.width} px)`, async () => {
      assert.ok(building, 'the ledger created 12栋 of 巴士天福苑, approximate');
      assert.equal(building.properties.name, '12栋');
      assert.equal(building.geometry.type, 'Point');
      const page = await openMap(browser, server.url, { lang, viewport });
      await jumpTo(page, building.geometry.coordinates, 17.5);
      const drawn = await page.evaluate((id) => {
        const { map, layerIds } = window.gridAtlas;
        const layers = layerIds.buildings.filter((l) => map.getLayer(l));
        return map.queryRenderedFeatures({ layers }).some((f) => f.id === id);
      }, building.id);
      assert.ok(drawn, 'the new building is drawn on the map');
      // It sits at its compound's interior point, often under a footprint: open it as a search would.
      await page.evaluate((id) => window.gridAtlas.openFeature('buildings', id), building.id);
      const panel = page.locator(`#feature-panel[data-layer="buildings"][data-id="${building.id}"]`);
      await panel.waitFor();
      assert.equal(await panel.locator('.badge-approximate').textContent(), badge);
      assert.equal(await panel.locator('dd[data-field="location_approximate"]').textContent(), value);
      await screenshot(page, `60-approximate-building-${lang}-${viewport.width}`);
      assert.deepEqual(page.problems, [], 'console errors, page errors or failed requests');
      await page.close();
    });
  }
});
