// The grid worker's outbox (src/gridwork/outbox.js) in node: records sent in the order they were
// made, one client id queued once, kept (marked refused) when the server refuses them, gone once
// the server has them, kept waiting while there is no connection — no browser, no server.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { createOutbox, isRetryable, outboxKey, REFUSED, WAITING } from '../../src/gridwork/outbox.js';

/** A localStorage stand-in. */
function memoryStorage(initial = {}) {
  const m = new Map(Object.entries(initial));
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => m.set(k, String(v)),
    removeItem: (k) => m.delete(k),
    raw: m,
  };
}

/** An error as the HTTP client throws it. */
const apiError = (status, problems = []) => Object.assign(new Error(`HTTP ${status}`), { status, code: status === 422 ? 'invalid_feature' : null, problems });

const visit = (id, extra = {}) => ({ client_id: id, kind: 'visit', body: { worker_id: 1, date: '2026-12-04', kind: 'visit', unit: { compound_id: 70 }, client_id: id, ...extra } });

/** A server stand-in that keeps a record sent twice under one client id once. */
function fakeServer({ fail = () => null } = {}) {
  const received = [];
  const stored = new Map();
  const send = async (entry) => {
    received.push(entry.client_id);
    const error = fail(entry, received.length);
    if (error) throw error;
    if (!stored.has(entry.client_id)) stored.set(entry.client_id, { id: stored.size + 1, ...entry.body });
    return stored.get(entry.client_id);
  };
  return { send, received, stored };
}

describe('outbox', () => {
  test('sends waiting records in the order they were made, and they leave the outbox', async () => {
    const storage = memoryStorage();
    const server = fakeServer();
    const box = createOutbox({ storage, key: outboxKey('gw'), send: server.send });
    for (const id of ['a', 'b', 'c']) box.add(visit(id));
    assert.deepEqual(box.waiting.map((e) => e.client_id), ['a', 'b', 'c']);
    const result = await box.flush();
    assert.deepEqual(server.received, ['a', 'b', 'c']);
    assert.deepEqual(result.sent.map((s) => s.entry.client_id), ['a', 'b', 'c']);
    assert.equal(result.stopped, null);
    assert.deepEqual(box.entries, []);
    assert.equal(storage.getItem(outboxKey('gw')), '[]', 'cleared in storage too');
  });

  test('keeps the entries in storage under the account key, for a page opened later', async () => {
    const storage = memoryStorage();
    const box = createOutbox({ storage, key: outboxKey('gw'), send: async () => { throw apiError(0); } });
    box.add(visit('a'));
    box.add({ client_id: 'n', kind: 'need', body: { title: '路灯坏了', client_id: 'n' }, label: '路灯坏了' });
    const again = createOutbox({ storage, key: outboxKey('gw'), send: async () => ({}) });
    assert.deepEqual(again.entries.map((e) => [e.client_id, e.kind, e.state]), [['a', 'visit', WAITING], ['n', 'need', WAITING]]);
    const other = createOutbox({ storage, key: outboxKey('someone_else'), send: async () => ({}) });
    assert.equal(other.entries.length, 0, 'each account its own outbox');
  });

  test('a client id is queued once, and a record resent after a lost answer is stored once', async () => {
    const storage = memoryStorage();
    const server = fakeServer();
    // The first send reaches the server but its answer is lost on the way back.
    let lost = false;
    const sendThenLose = async (entry) => {
      const reply = await server.send(entry);
      if (!lost) {
        lost = true;
        throw apiError(0);
      }
      return reply;
    };
    const box = createOutbox({ storage, key: 'k', send: sendThenLose });
    const first = box.add(visit('a'));
    const twice = box.add(visit('a', { notes: 'again' }));
    assert.equal(twice, first, 'the entry already queued');
    assert.equal(box.entries.length, 1);
    const r1 = await box.flush();
    assert.equal(r1.stopped.status, 0);
    assert.equal(box.waiting.length, 1, 'kept after the lost answer');
    const r2 = await box.flush();
    assert.equal(r2.sent.length, 1);
    assert.deepEqual(server.received, ['a', 'a'], 'sent again under the same client id');
    assert.equal(server.stored.size, 1, 'the server holds it once');
    assert.deepEqual(box.entries, []);
  });

  test('runs do not overlap: a flush during a flush is the same run, nothing is sent twice', async () => {
    let release;
    const gate = new Promise((r) => { release = r; });
    const received = [];
    const box = createOutbox({ storage: memoryStorage(), key: 'k', send: async (e) => { received.push(e.client_id); await gate; return {}; } });
    box.add(visit('a'));
    box.add(visit('b'));
    const one = box.flush();
    const two = box.flush();
    assert.equal(one, two);
    assert.equal(box.sending, true);
    release();
    await one;
    assert.deepEqual(received, ['a', 'b']);
    assert.equal(box.sending, false);
  });

  test('a record made during a run is sent after the ones before it', async () => {
    const received = [];
    let box;
    box = createOutbox({
      storage: memoryStorage(),
      key: 'k',
      send: async (e) => {
        received.push(e.client_id);
        if (e.client_id === 'a') box.add(visit('c'));
        return {};
      },
    });
    box.add(visit('a'));
    box.add(visit('b'));
    await box.flush();
    assert.deepEqual(received, ['a', 'b', 'c']);
  });

  test('without a connection the run stops and keeps every record, in order', async () => {
    const server = fakeServer({ fail: (e) => (e.client_id === 'b' ? apiError(0) : null) });
    const box = createOutbox({ storage: memoryStorage(), key: 'k', send: server.send });
    for (const id of ['a', 'b', 'c']) box.add(visit(id));
    const result = await box.flush();
    assert.deepEqual(server.received, ['a', 'b'], 'c is not tried after b failed');
    assert.equal(result.stopped.status, 0);
    assert.deepEqual(box.waiting.map((e) => e.client_id), ['b', 'c']);
  });

  test('server errors and a signed-out token are retried later, not refused', () => {
    for (const status of [0, 401, 408, 429, 500, 502, 503]) assert.equal(isRetryable({ status }), true, String(status));
    for (const status of [400, 403, 404, 409, 413, 422]) assert.equal(isRetryable({ status }), false, String(status));
  });

  test('a refused record stays, marked refused with the server reasons, and the next is sent', async () => {
    const problems = [{ field: 'unit.household', reason: 'a household number needs its building (building_id)', reason_zh: '户号须指明所在楼栋（building_id）' }];
    const server = fakeServer({ fail: (e) => (e.client_id === 'a' ? apiError(422, problems) : null) });
    const storage = memoryStorage();
    const changes = [];
    const box = createOutbox({ storage, key: 'k', send: server.send, onChange: (list) => changes.push(list.length) });
    box.add(visit('a'));
    box.add(visit('b'));
    const result = await box.flush();
    assert.deepEqual(result.refused.map((e) => e.client_id), ['a']);
    assert.deepEqual(result.sent.map((s) => s.entry.client_id), ['b']);
    assert.deepEqual(box.entries.map((e) => [e.client_id, e.state]), [['a', REFUSED]]);
    assert.equal(box.refused[0].refusal.status, 422);
    assert.deepEqual(box.refused[0].refusal.problems, problems);
    assert.equal(box.waiting.length, 0);
    // Kept across a reload, and not sent again by the next run.
    const again = createOutbox({ storage, key: 'k', send: server.send });
    assert.equal(again.refused.length, 1);
    await again.flush();
    assert.deepEqual(server.received, ['a', 'b'], 'a refused record is not resent');
    // Discarded: gone.
    again.discard('a');
    assert.deepEqual(again.entries, []);
    assert.equal(storage.getItem('k'), '[]');
    assert.ok(changes.length >= 3, 'told of every change');
  });

  test('a 403 (outside the grid) is refused too', async () => {
    const box = createOutbox({ storage: memoryStorage(), key: 'k', send: async () => { throw Object.assign(new Error('outside your scope'), { status: 403, code: 'forbidden', details: {} }); } });
    box.add(visit('a'));
    await box.flush();
    assert.equal(box.refused.length, 1);
    assert.equal(box.refused[0].refusal.message, 'outside your scope');
    assert.deepEqual(box.refused[0].refusal.problems, []);
  });

  test('a full storage keeps the entries in memory and says so', async () => {
    const storage = { getItem: () => null, setItem: () => { throw new Error('QuotaExceededError'); } };
    const box = createOutbox({ storage, key: 'k', send: async () => ({}) });
    box.add(visit('a'));
    assert.equal(box.stored, false);
    assert.equal(box.waiting.length, 1);
    await box.flush();
    assert.equal(box.entries.length, 0);
  });

  test('unreadable storage starts empty; malformed entries are dropped', () => {
    const storage = memoryStorage({ k: '{not json', j: JSON.stringify([{ client_id: 'x' }, visit('ok')]) });
    assert.deepEqual(createOutbox({ storage, key: 'k', send: async () => ({}) }).entries, []);
    assert.deepEqual(createOutbox({ storage, key: 'j', send: async () => ({}) }).entries.map((e) => e.client_id), ['ok']);
  });
});
