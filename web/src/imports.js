// The import page's state and the words made from it — no DOM, no requests: the unit tests run
// it in node; src/ui/importPanel.js draws it and src/importApi.js talks to the server.
//
// A check (the server's answer, see server/src/api/imports.rs) says how each uploaded file was
// read: format, layer, encoding, coordinate system (and where it came from), sheet, header
// rows, and every column with the field it fills; then what the import would write, every
// problem and the features to preview. The user's corrections are `options`, sent back with
// the next check and with the commit.

import { fieldLabel, layerFields } from './enums.js';

/** Columns a table may fill besides the layer's stored fields. */
export const GEOMETRY_COLUMNS = ['lon', 'lat', 'wkt'];
export const META_COLUMNS = ['id', 'version'];

/** Text encodings offered (WHATWG labels; '' = detected). */
export const ENCODINGS = ['', 'utf-8', 'gbk', 'gb18030', 'big5'];

/** Coordinate systems offered by name ('' = the file's .prj, else WGS84); any EPSG code may be typed. */
export const CRS_CHOICES = ['', 'EPSG:4326', 'EPSG:4490', 'gcj02', 'bd09'];

/** What the user has said so far: nothing. */
export function emptyOptions() {
  return { layer: '', crs: '', encoding: '', sheet: '', columns: {}, skip_unmatched: false };
}

/** The options as the server takes them: empty choices left out. */
export function requestOptions(options) {
  const out = {};
  for (const k of ['layer', 'crs', 'encoding', 'sheet']) if (options[k]) out[k] = options[k].trim();
  if (Object.keys(options.columns || {}).length) out.columns = { ...options.columns };
  if (options.skip_unmatched) out.skip_unmatched = true;
  return out;
}

/** Options after a check: the layer and sheet it read are kept, so the next check reads the same. */
export function optionsAfter(options, check) {
  const first = check?.files?.[0];
  return {
    ...options,
    layer: options.layer || (first && !check.needs_layer ? first.layer : ''),
    sheet: options.sheet || (first?.sheets?.length > 1 ? first.sheet || '' : ''),
  };
}

/** A column mapped by the user (`field`, or '' to leave it out); `null` returns it to what was detected. */
export function mapColumn(options, header, field) {
  const columns = { ...options.columns };
  if (field === null) delete columns[header];
  else columns[header] = field;
  return { ...options, columns };
}

/** The fields a column of `layer` may be read as: stored fields (not computed ones), then coordinates and ids. */
export function columnTargets(layer) {
  return [...layerFields(layer).filter((f) => !f.derived).map((f) => f.name), ...GEOMETRY_COLUMNS, ...META_COLUMNS];
}

/** A field's label for the column list: `户数 households`. */
export function targetLabel(layer, field, lang, words = {}) {
  if (words[field]) return words[field];
  const label = fieldLabel(layer, field, lang);
  return label && label !== field ? `${label}（${field}）` : field;
}

/** The check's problems as rows: file, row, column, field, reason in the page's language. */
export function problemRows(check, lang) {
  return (check?.problems || []).map((p, i) => ({
    key: `${i}`,
    file: p.file || '',
    row: p.row ?? null,
    column: p.column || '',
    value: p.value ?? '',
    field: p.field || '',
    index: p.index ?? null,
    id: p.id ?? null,
    reason: lang === 'zh' ? p.reason_zh || p.reason : p.reason,
  }));
}

/** Columns nobody could place, over every file: they must be mapped or left out. */
export function unknownColumns(check, options) {
  const out = [];
  for (const f of check?.files || []) {
    for (const c of f.columns || []) {
      if (c.how === 'unknown' && !(c.header in (options?.columns || {}))) out.push({ file: f.file, ...c });
    }
  }
  return out;
}

/** Whether the commit button may be pressed: a check without problems that writes something. */
export function canCommit(check) {
  return Boolean(check?.ready) && (check.problems || []).length === 0 && check.features > 0;
}

/** The preview's features, grouped for the map: polygons, lines and points. */
export function previewData(check) {
  return check?.preview?.type === 'FeatureCollection' ? check.preview : { type: 'FeatureCollection', features: [] };
}
