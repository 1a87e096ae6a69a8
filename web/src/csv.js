// CSV cells for the map's own exports. Text cells are neutralized against formula injection exactly
// as the server's exports are (server/src/io/formula.rs): a cell made of zero or more ' and then
// = + - @ a tab or a carriage return gets one more ' in front, which Excel and WPS read as "this is
// text" and `gridatlas import` removes again. Numbers are written as numbers.

const FORMULA_SHAPED = /^'*[=+\-@\t\r]/;

/** A text cell a spreadsheet shows as text, never runs. */
export function neutralize(text) {
  return FORMULA_SHAPED.test(text) ? `'${text}` : text;
}

/** One RFC 4180 cell; `text` cells are neutralized. Null and undefined are empty. */
export function csvCell(value, { text = false } = {}) {
  const s = value === null || value === undefined ? '' : String(value);
  const cell = text ? neutralize(s) : s;
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
