// The editing form's state and rules, with no DOM or map: which fields a layer's form shows (the
// schema's stored fields as `/api/enums` serves them; derived ones are computed, not typed), each
// value as typed, the schema's checks before anything is sent (required, whole numbers, ranges,
// lengths, digits, enum values), the feature to send, the server's refusals placed beside their
// field, and a conflict's two versions side by side and merged. Unit-tested in node
// (tests/unit/edit.test.js).

import { enumValues } from '../enums.js';

/** The fields a form shows for a layer: the stored ones, in schema order. */
export function formFields(fields) {
  return fields.filter((f) => !f.derived);
}

const isEmpty = (v) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** A stored value as the form holds it: text for inputs and choices, an array for lists. */
export function rawOf(field, value) {
  if (field.kind === 'enum_list') {
    if (Array.isArray(value)) return [...value];
    return isEmpty(value) ? [] : String(value).split(',').filter(Boolean);
  }
  if (isEmpty(value)) return '';
  if (field.kind === 'boolean') return value ? 'true' : 'false';
  return String(value);
}

// Full-width digits, signs and points (typed with a Chinese input method) read as ASCII.
const halfWidth = (s) => s.replace(/[\uFF10-\uFF19\uFF0B\uFF0D\uFF0E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0))
  .replace(/[\u2212\u3002]/g, (c) => (c === '\u2212' ? '-' : '.'));

function checkRange(field, n) {
  if (field.min !== null && field.min !== undefined && n < field.min) return { key: 'edit.err.min', vars: { min: field.min } };
  if (field.max !== null && field.max !== undefined && n > field.max) return { key: 'edit.err.max', vars: { max: field.max } };
  return null;
}

/**
 * A raw form value read by the schema: `{ value }` (null when empty), or `{ error: { key, vars } }`
 * with the i18n key of the message shown beside the field.
 */
export function parseField(field, raw) {
  const text = typeof raw === 'string' ? halfWidth(raw.trim()) : raw;
  if (isEmpty(text)) {
    if (field.required) return { error: { key: field.kind === 'enum_list' ? 'edit.err.list' : 'edit.err.required' } };
    return { value: null };
  }
  switch (field.kind) {
    case 'integer':
    case 'year': {
      if (!/^[+-]?\d+$/.test(text)) return { error: { key: /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? 'edit.err.whole' : 'edit.err.integer' } };
      const n = Number(text);
      if (!Number.isSafeInteger(n)) return { error: { key: 'edit.err.integer' } };
      const range = checkRange(field, n);
      return range ? { error: range } : { value: n };
    }
    case 'number': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return { error: { key: 'edit.err.number' } };
      const n = Number(text);
      const range = checkRange(field, n);
      return range ? { error: range } : { value: n };
    }
    case 'code':
      if (field.digits && !new RegExp(`^\\d{${field.digits}}$`).test(text)) return { error: { key: 'edit.err.digits', vars: { n: field.digits } } };
      return { value: text };
    case 'boolean':
      if (text !== 'true' && text !== 'false') return { error: { key: 'edit.err.choice' } };
      return { value: text === 'true' };
    case 'enum':
      if (field.enum && !enumValues(field.enum).includes(text)) return { error: { key: 'edit.err.choice' } };
      return { value: text };
    case 'enum_list': {
      const known = field.enum ? enumValues(field.enum) : null;
      if (known && text.some((v) => !known.includes(v))) return { error: { key: 'edit.err.choice' } };
      return { value: [...new Set(text)] };
    }
    default: {
      if (field.maxChars && [...text].length > field.maxChars) return { error: { key: 'edit.err.chars', vars: { n: field.maxChars } } };
      return { value: text };
    }
  }
}

const same = (a, b) => JSON.stringify(isEmpty(a) ? null : a) === JSON.stringify(isEmpty(b) ? null : b);

/**
 * A form session. `mode`: `edit` (an existing feature, `feature` as stored) or `create` (a new
 * one of `layer`, with `feature.properties` as the values filled in beforehand). `fields`: the
 * layer's fields from `/api/enums`.
 */
export function createSession({ mode, layer, feature, fields }) {
  const shown = formFields(fields);
  const props = feature?.properties || {};
  const raw = Object.fromEntries(shown.map((f) => [f.name, rawOf(f, props[f.name])]));
  return {
    mode,
    layer,
    id: mode === 'edit' ? feature.id : null,
    version: mode === 'edit' ? props.version ?? null : null,
    fields: shown,
    base: { properties: { ...props }, geometry: feature?.geometry ?? null },
    raw,
    geometry: feature?.geometry ?? null,
    touched: new Set(), // fields the user changed by hand (a new feature's place fills the others)
    errors: {}, // field → { key, vars } (a check here) or { reason, reason_zh } (the server's)
    general: [], // the server's problems naming no field of the form
    conflict: null, // { theirs, deleted, actor, at } after a 409
    saving: false,
  };
}

/** Sets a field's raw value as typed or chosen; `byHand` marks it as the user's. Checks it again. */
export function setRaw(s, name, raw, { byHand = true } = {}) {
  s.raw[name] = raw;
  if (byHand) s.touched.add(name);
  const field = s.fields.find((f) => f.name === name);
  const { error } = parseField(field, raw);
  if (error) s.errors[name] = error;
  else delete s.errors[name];
}

/** Sets the drawn geometry (GeoJSON); a geometry problem of the server's is gone with it. */
export function setGeometry(s, geometry) {
  s.geometry = geometry;
  delete s.errors.geometry;
}

/** Checks every field and the geometry; true when the feature may be sent. */
export function validateAll(s) {
  s.errors = {};
  for (const f of s.fields) {
    const { error } = parseField(f, s.raw[f.name]);
    if (error) s.errors[f.name] = error;
  }
  if (!s.geometry) s.errors.geometry = { key: 'edit.err.geometry' };
  return Object.keys(s.errors).length === 0;
}

/** The properties the form holds, read by the schema (only after `validateAll` passed). */
export function values(s) {
  const out = {};
  for (const f of s.fields) out[f.name] = parseField(f, s.raw[f.name]).value ?? null;
  return out;
}

/** The GeoJSON feature to send: every field of the form (an emptied one as null), and the version it changes. */
export function toFeature(s) {
  const properties = values(s);
  if (s.mode === 'edit') properties.version = s.version;
  const f = { type: 'Feature', geometry: s.geometry, properties };
  if (s.mode === 'edit') f.id = s.id;
  return f;
}

/** Whether field `f`'s value differs from the one the session began with (or rebased on). */
export function fieldChanged(s, f) {
  const now = parseField(f, s.raw[f.name]);
  const before = s.base.properties[f.name];
  if (now.error) return !same(s.raw[f.name], rawOf(f, before));
  return !same(now.value, isEmpty(before) ? null : before);
}

/** The fields (and `geometry`) the user changed, in form order. */
export function changedFields(s) {
  const out = s.fields.filter((f) => fieldChanged(s, f)).map((f) => f.name);
  if (s.mode === 'edit' && !same(s.geometry, s.base.geometry)) out.push('geometry');
  return out;
}

/** Whether anything would be lost on leaving the form: a new feature once drawn or typed into, an edit once changed. */
export function isDirty(s) {
  if (s.mode === 'create') return Boolean(s.geometry) || s.touched.size > 0;
  return changedFields(s).length > 0;
}

/**
 * Places the server's problems (422 `invalid_feature`: `[{ field, reason, reason_zh? }]`) beside
 * their fields; the ones naming no field of the form are listed above it.
 */
export function applyProblems(s, problems) {
  s.general = [];
  const known = new Set([...s.fields.map((f) => f.name), 'geometry']);
  for (const p of problems || []) {
    const text = { reason: p.reason || p.message || '', reason_zh: p.reason_zh || null };
    if (p.field && known.has(p.field)) {
      if (!s.errors[p.field]) s.errors[p.field] = text;
    } else {
      s.general.push({ field: p.field || null, ...text });
    }
  }
}

/**
 * A 409: `theirs` is the stored feature now (null when it was deleted). Rows for the side-by-side
 * view: every field with their value and mine, whether they differ, and whether I changed it.
 */
export function conflictRows(s, theirs) {
  const props = theirs?.properties || {};
  const rows = s.fields.map((f) => {
    const mine = parseField(f, s.raw[f.name]);
    const mineValue = mine.error ? s.raw[f.name] : mine.value;
    return { field: f.name, theirs: props[f.name] ?? null, mine: mineValue ?? null, differs: !same(props[f.name], mineValue), mineChanged: fieldChanged(s, f) };
  });
  rows.push({
    field: 'geometry', theirs: theirs?.geometry ?? null, mine: s.geometry,
    differs: !same(theirs?.geometry, s.geometry), mineChanged: !same(s.geometry, s.base.geometry),
  });
  return rows;
}

/**
 * Keep editing on top of their version: their version number and values, with the fields (and
 * the geometry) I changed kept as mine. The session then changes their version.
 */
export function rebaseOnTheirs(s, theirs) {
  const mine = new Set(changedFields(s));
  const props = theirs.properties || {};
  for (const f of s.fields) {
    if (!mine.has(f.name)) s.raw[f.name] = rawOf(f, props[f.name]);
  }
  if (!mine.has('geometry')) s.geometry = theirs.geometry;
  s.base = { properties: { ...props }, geometry: theirs.geometry };
  s.version = props.version ?? null;
  s.conflict = null;
  s.errors = {};
  s.general = [];
}
