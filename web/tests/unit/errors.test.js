// Refusals and failures in words (src/errors.js) in node: the code read from the server's body or
// the status, one sentence per code in both languages, what failed in front, the server's own
// message kept apart as detail (never a bare status line) — with the real UI strings.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { ERROR_CODES, describeError, errorCode, errorDetail, errorLine } from '../../src/errors.js';
import { ERROR_STRINGS } from '../../src/errorStrings.js';

const fill = (table) => (key, vars = {}) => (table[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => String(vars[k]));
const zh = fill(ERROR_STRINGS.zh);
const en = fill(ERROR_STRINGS.en);
const refusal = (status, code, message) => ({ status, code, message });

describe('errors in words', () => {
  let strings;
  before(async () => {
    globalThis.window ??= { location: { search: '' }, localStorage: { getItem: () => null, setItem: () => {} } };
    strings = (await import('../../src/i18n.js')).STRINGS;
  });

  test('the code: the server\'s own, else from the status, else a failure of the page', () => {
    assert.equal(errorCode(refusal(422, 'invalid_plan', 'x')), 'invalid_plan');
    assert.equal(errorCode(refusal(409, 'no_walking_network', 'x')), 'no_walking_network');
    assert.equal(errorCode(refusal(400, null, 'HTTP 400 Bad Request')), 'bad_request');
    assert.equal(errorCode(refusal(404, 'something_new', 'x')), 'not_found', 'an unknown code falls back to the status');
    assert.equal(errorCode(refusal(502, null, 'Bad Gateway')), 'internal');
    assert.equal(errorCode(refusal(0, 'network', 'Failed to fetch')), 'network');
    assert.equal(errorCode(new TypeError('x is undefined')), 'unexpected');
  });

  test('every code has a sentence in Chinese and in English, in the map\'s strings too', () => {
    for (const code of ERROR_CODES) {
      assert.match(ERROR_STRINGS.zh[`err.${code}`], /[\u4e00-\u9fff]/, `err.${code} in Chinese`);
      assert.ok(ERROR_STRINGS.en[`err.${code}`], `err.${code} in English`);
      assert.equal(strings.zh[`err.${code}`], ERROR_STRINGS.zh[`err.${code}`]);
    }
  });

  test('a 400 reads in Chinese words with what to do, never "400 Bad Request"; the server\'s message is the detail', () => {
    const e = refusal(400, 'bad_request', 'metric: walk (along the ways) or straight, got "sideways"');
    const d = describeError(e, zh, { what: '无法查询薄弱小区' });
    assert.equal(d.code, 'bad_request');
    assert.equal(d.reason, '无法查询薄弱小区：请求的条件有误，服务器没有处理。请检查输入的条件后重试。');
    assert.equal(d.detail, e.message);
    assert.doesNotMatch(d.reason, /400|Bad Request/);
    // A body that was no JSON: only the status line, which is no detail.
    assert.equal(errorDetail(refusal(400, null, 'HTTP 400 Bad Request')), null);
    assert.equal(errorLine(refusal(400, null, 'HTTP 400 Bad Request'), zh), '请求的条件有误，服务器没有处理。请检查输入的条件后重试。');
    assert.equal(errorLine(e, en), `The request was not understood, so nothing was done. Check what you entered and try again. (the server said: ${e.message})`);
  });

  test('no answer says to check the connection, with no detail', () => {
    const e = refusal(0, 'network', 'Failed to fetch');
    assert.equal(describeError(e, zh).reason, '无法连接服务器。请检查网络连接后重试。');
    assert.equal(describeError(e, zh).detail, null);
  });
});
