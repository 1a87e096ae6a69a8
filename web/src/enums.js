// Enum values and attribute labels as the server serves them (`GET /api/enums`, from the engine's
// domain enums and layer schema): loaded once at start-up with `loadEnums`, read with the
// accessors below. No copy is kept here; a value the server did not list is shown as its wire
// name. No DOM: the unit tests read it in node.

import { fetchEnums } from './api.js';

let enums = new Map(); // enum name → Map(wire name → { zh, en })
let layers = new Map(); // layer → [{ name, zh, en, enum, list, derived, kind, required, min, max, … }] in schema order
let geometries = new Map(); // layer → the GeoJSON geometry types it accepts

/** Takes the body of `GET /api/enums`. */
export function useEnums(body) {
  enums = new Map((body?.enums || []).map((e) => [e.name, new Map(e.values.map((v) => [v.name, { zh: v.label_zh, en: v.label_en }]))]));
  layers = new Map((body?.layers || []).map((l) => [l.layer, l.fields.map((f) => ({
    name: f.name, zh: f.label_zh, en: f.label_en, enum: f.enum ?? null, list: Boolean(f.list), derived: Boolean(f.derived),
    // What a form needs: kind (integer, year, number, text, code, boolean, enum, enum_list),
    // required, min/max, max_chars, digits, and the feature a value names ({ layer, key }).
    kind: f.kind ?? null, required: Boolean(f.required), min: f.min ?? null, max: f.max ?? null,
    maxChars: f.max_chars ?? null, digits: f.digits ?? null, references: f.references ?? null,
  }))]));
  geometries = new Map((body?.layers || []).map((l) => [l.layer, l.geometry || []]));
}

/** Fetches the enums and labels from the server once; later calls share the first. */
let loading = null;
export function loadEnums() {
  loading ??= fetchEnums().then(useEnums);
  return loading;
}

/** The label of one enum value in `lang`, or the wire name when unknown. */
export function enumLabel(enumName, wire, lang) {
  const e = enums.get(enumName)?.get(wire);
  return e ? e[lang] ?? e.zh : String(wire);
}

/** The wire names of an enum, in the engine's order. */
export function enumValues(enumName) {
  return [...(enums.get(enumName)?.keys() || [])];
}

function fieldOf(layer, field) {
  return layers.get(layer)?.find((f) => f.name === field) || null;
}

/** The enum a layer's field takes its values from, or null. */
export function fieldEnum(layer, field) {
  return fieldOf(layer, field)?.enum ?? null;
}

/** The label of a layer's field in `lang`, or null when the schema has no such field. */
export function fieldLabel(layer, field, lang) {
  const f = fieldOf(layer, field);
  return f ? f[lang] ?? f.zh : null;
}

/** A layer's fields in schema order (stored ones, then derived ones). */
export function fieldOrder(layer) {
  return (layers.get(layer) || []).map((f) => f.name);
}

/** A layer's fields with everything the server said of them (see `useEnums`), in schema order. */
export function layerFields(layer) {
  return layers.get(layer) || [];
}

/** The GeoJSON geometry types a layer accepts (`['Point']`, `['Point', 'Polygon']`, …). */
export function geometryTypes(layer) {
  return geometries.get(layer) || [];
}
