// The map's CSV cells (web/src/csv.js): text a spreadsheet would run is neutralized exactly as the
// server's exports are, numbers stay numbers, and RFC 4180 quoting holds.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { csvCell, neutralize } from '../src/csv.js';

test('text starting a formula gets the quote mark, other text and numbers do not', () => {
  const link = '=HYPERLINK("http://x.example/","点击")';
  assert.equal(csvCell(link, { text: true }), `"'=HYPERLINK(""http://x.example/"",""点击"")"`);
  for (const [text, cell] of [['+1', "'+1"], ['-2-3号院', "'-2-3号院"], ['@SUM(1)', "'@SUM(1)"], ['\tx', "'\tx"], ["'=1", "''=1"]]) {
    assert.equal(neutralize(text), cell);
  }
  for (const plain of ['龙南社区', "'hello", '', '3-1号楼']) assert.equal(neutralize(plain), plain);
  assert.equal(csvCell(-12.5), '-12.5', 'a negative number stays a number');
  assert.equal(csvCell(undefined), '');
  assert.equal(csvCell('a,b\r'), '"a,b\r"');
});
