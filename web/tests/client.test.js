// The map's HTTP client (src/http.js) and its enum/label accessor (src/enums.js), in node against
// a real `gridatlas serve`: every refusal arrives as one ApiError with the server's status, stable
// code, message and details; a refused token signs out; the served enum values and field labels
// are the ones the OGC queryables and the features carry.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { fetchItem, fetchItems } from '../src/api.js';
import { enumLabel, enumValues, fieldEnum, fieldLabel, fieldOrder, loadEnums } from '../src/enums.js';
import { ApiError, configureClient, request } from '../src/http.js';
import * as planning from '../src/planningApi.js';
import { startServer } from './harness.js';

const LONGNAN = '510504003004'; // 龙南社区: 4 grids far over their caps
const PLANNER = 'planner_client';
const ADMIN = 'admin_client';

const signIn = async (name) => (await request('POST', '/api/session', { body: { name, password: 'test-password-123' } })).token;

let server;
let token = null;
let expired = 0;

before(async () => {
  server = await startServer({ accounts: [{ name: PLANNER, role: 'planner', scope: 'district' }, { name: ADMIN, role: 'admin', scope: 'district' }] });
  configureClient({
    baseUrl: server.url,
    auth: { headers: () => (token ? { Authorization: `Bearer ${token}` } : {}), expired: () => { expired += 1; token = null; } },
  });
});

after(async () => {
  await server?.stop();
});

/** The ApiError a request is refused with. */
async function refusal(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ApiError, `an ApiError, not ${e}`);
    return e;
  }
  throw new Error('the request was not refused');
}

describe('the HTTP client', () => {
  test('a missing feature is a 404 with the server’s code and reason', async () => {
    const e = await refusal(fetchItem('compounds', 999999));
    assert.equal(e.status, 404);
    assert.equal(e.code, 'not_found');
    assert.match(e.message, /999999/);
  });

  test('a bad request names its parameter', async () => {
    const e = await refusal(request('GET', '/audit?limit=0'));
    assert.deepEqual([e.status, e.code], [400, 'bad_request']);
    assert.match(e.message, /limit/);
  });

  test('an invalid feature is refused with every problem in the details', async () => {
    token = await signIn(ADMIN);
    const [grid] = await fetchItems('grids', { community_code: LONGNAN });
    const bad = { type: 'Feature', geometry: grid.geometry, properties: { ...grid.properties, workers: -3, name: '' } };
    const e = await refusal(request('PUT', `/ogc/collections/grids/items/${grid.id}`, { body: bad, ifMatch: grid.properties.version, auth: true }));
    assert.deepEqual([e.status, e.code], [422, 'invalid_feature']);
    const fields = e.problems.map((p) => p.field);
    assert.ok(fields.includes('workers') && fields.includes('name'), JSON.stringify(e.problems));
  });

  test('planning: a stale version is a 409 conflict, a plan over its caps cannot be published (422 with the violations)', async () => {
    token = await signIn(PLANNER);
    const d = await planning.createDraft(LONGNAN, 'client test');
    assert.equal(d.status, 'draft');
    const stale = await refusal(planning.replaceDraft(d.id, d.version + 5, { plan: d.plan }));
    assert.deepEqual([stale.status, stale.code], [409, 'conflict']);
    const e = await refusal(planning.publish(d.id, d.version));
    assert.deepEqual([e.status, e.code], [422, 'invalid_plan']);
    assert.ok(e.violations.some((v) => v.rule === 'over_cap' && v.severity === 'error'), JSON.stringify(e.violations).slice(0, 300));
    assert.equal(expired, 0, 'a refusal of the request is no refusal of the token');
  });

  test('a token the server no longer knows signs out; a wrong password does not', async () => {
    const wrong = await refusal(request('POST', '/api/session', { body: { name: PLANNER, password: 'nope' } }));
    assert.equal(wrong.status, 401);
    assert.equal(expired, 0);
    token = 'not-a-token';
    const e = await refusal(planning.listDrafts(LONGNAN));
    assert.deepEqual([e.status, e.code], [401, 'unauthorized']);
    assert.equal(expired, 1);
    assert.equal(token, null);
  });

  test('no answer at all is an ApiError too (status 0, code network)', async () => {
    configureClient({ baseUrl: 'http://127.0.0.1:9' });
    try {
      const e = await refusal(request('GET', '/health'));
      assert.deepEqual([e.status, e.code], [0, 'network']);
    } finally {
      configureClient({ baseUrl: server.url });
    }
  });
});

describe('enum values and field labels from the server', () => {
  test('every field of every layer has the queryables’ labels and enum values', async () => {
    await loadEnums();
    for (const layer of ['streets', 'communities', 'grids', 'compounds', 'buildings', 'gates', 'stations', 'service_spaces']) {
      const q = await request('GET', `/ogc/collections/${layer}/queryables`);
      assert.deepEqual([...fieldOrder(layer)].sort(), Object.keys(q.properties).sort(), layer);
      for (const [field, p] of Object.entries(q.properties)) {
        assert.equal(fieldLabel(layer, field, 'zh'), p.title, `${layer}.${field}`);
        assert.equal(fieldLabel(layer, field, 'en'), p.description, `${layer}.${field}`);
        const values = p.enum || p.items?.enum;
        if (values) assert.deepEqual(enumValues(fieldEnum(layer, field)), values, `${layer}.${field}`);
        else assert.equal(fieldEnum(layer, field), null, `${layer}.${field}`);
      }
    }
    assert.equal(fieldLabel('compounds', 'no_such_field', 'zh'), null);
  });

  test('the features’ enum values read in words in both languages', async () => {
    await loadEnums();
    const compounds = await fetchItems('compounds', { community_code: LONGNAN });
    assert.ok(compounds.length > 3);
    for (const c of compounds) {
      const cls = c.properties.class;
      assert.notEqual(enumLabel('compound_class', cls, 'zh'), cls, `compound ${c.id}: ${cls}`);
      assert.match(enumLabel('compound_class', cls, 'en'), /^[A-Z][A-Za-z -]+$/);
    }
    assert.equal(enumLabel('compound_class', 'old', 'zh'), '老旧小区');
    assert.equal(enumLabel('compound_class', 'old', 'en'), 'Old compound');
    assert.equal(enumLabel('compound_class', 'palace', 'en'), 'palace', 'unknown: the wire name');
    const spaces = await fetchItems('service_spaces');
    const services = new Set(spaces.flatMap((s) => (Array.isArray(s.properties.services) ? s.properties.services : String(s.properties.services).split(','))));
    for (const w of services) assert.notEqual(enumLabel('service_type', w, 'zh'), w, w);
  });
});
