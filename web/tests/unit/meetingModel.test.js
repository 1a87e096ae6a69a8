// The trend chart's model (src/meeting/model.js) in node: the points in time order with the
// months that have no data and why, signed changes, the plot's y — and the print and trend
// strings in both languages.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { signed, trendSeries, yOf } from '../../src/meeting/model.js';
import { MEETING_STRINGS } from '../../src/meeting/strings.js';

const point = (month, coverage, extra = {}) => ({
  month,
  indicators: coverage === null ? null : { coverage_pct: { elderly_care: coverage }, property_management_pct: 40, owners_committee_pct: 10 },
  work: { visits: 3, needs_raised: 1, needs_done: 0, needs_open_at_end: 1 },
  ...extra,
});

describe('trend series', () => {
  test('months in order, then now; a month without data is a gap with its reason', () => {
    const trend = {
      months: [point('2026-09', null, { unavailable: 'not_yet' }), point('2026-10', 55.5), point('2026-11', null, { unavailable: 'irreversible' })],
      now: point('2026-12', 60),
    };
    const { series, missing } = trendSeries(trend, 'elderly_care');
    assert.deepEqual(series.map((p) => p.label), ['2026-09', '2026-10', '2026-11', null]);
    assert.deepEqual(series.map((p) => p.values?.coverage ?? null), [null, 55.5, null, 60]);
    assert.equal(series[1].values.property, 40);
    assert.deepEqual(missing, [{ month: '2026-09', why: 'not_yet' }, { month: '2026-11', why: 'irreversible' }]);
  });

  test('a service the indicators lack plots nothing rather than zero', () => {
    const { series } = trendSeries({ months: [point('2026-11', 50)], now: point('2026-12', 51) }, 'fitness');
    assert.deepEqual(series.map((p) => p.values.coverage), [null, null]);
  });
});

describe('numbers', () => {
  test('changes are signed with one decimal; missing stays missing', () => {
    assert.equal(signed(2.14), '+2.1');
    assert.equal(signed(-0.46), '−0.5');
    assert.equal(signed(0.02), '0');
    assert.equal(signed(null), null);
    assert.equal(signed(undefined), null);
  });

  test('0 % is the bottom of the plot and 100 % its top, out-of-range values clamped', () => {
    assert.equal(yOf(0, 120), 120);
    assert.equal(yOf(100, 120), 0);
    assert.equal(yOf(50, 120), 60);
    assert.equal(yOf(140, 120), 0);
    assert.equal(yOf(-3, 120), 120);
  });
});

test('every print and trend string exists in both languages', () => {
  const zh = Object.keys(MEETING_STRINGS.zh).sort();
  const en = Object.keys(MEETING_STRINGS.en).sort();
  assert.deepEqual(zh, en);
  for (const k of zh) {
    const words = MEETING_STRINGS.zh[k].replace(/\{\w+\}/g, '');
    assert.ok(/[\u4e00-\u9fff]/.test(words) || !/[A-Za-z]{2,}/.test(words), `${k} in Chinese`);
  }
});
