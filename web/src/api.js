// The server's API as the map uses it, through the one HTTP client (./http.js): the reads, and the
// feature writes of the editing form (with the account's token). Every call goes to the same
// origin that served the page.

import { getJson, request } from './http.js';

/** `GET /api/config`: basemap, bounds, layers, data version. */
export function fetchConfig() {
  return getJson('/api/config');
}

/** `GET /api/search`: features whose name contains `q` or whose code starts with it. */
export function search(q, { limit = 20, signal } = {}) {
  const p = new URLSearchParams({ q, limit: String(limit) });
  return getJson(`/api/search?${p}`, { signal });
}

const itemsUrl = (layer) => `/ogc/collections/${encodeURIComponent(layer)}/items`;
const itemUrl = (layer, id) => `${itemsUrl(layer)}/${encodeURIComponent(id)}`;

/** One feature as GeoJSON, with every attribute in `properties`. */
export function fetchItem(layer, id, { signal } = {}) {
  return getJson(itemUrl(layer, id), { signal });
}

/** `POST …/items` with the account's token: the created feature (its id and version 1). */
export function createItem(layer, feature) {
  return request('POST', itemsUrl(layer), { body: feature, auth: true });
}

/** `PUT …/items/{id}` with `If-Match: "<version>"`: the stored feature with its new version. */
export function replaceItem(layer, id, feature, version) {
  return request('PUT', itemUrl(layer, id), { body: feature, ifMatch: version, auth: true });
}

/** `DELETE …/items/{id}` with `If-Match: "<version>"`. */
export function deleteItem(layer, id, version) {
  return request('DELETE', itemUrl(layer, id), { ifMatch: version, auth: true });
}

/** Every feature of a layer matching the equality filters in `where` (e.g. `{ street_code }`). */
export async function fetchItems(layer, where = {}, { signal, pageSize = 1000 } = {}) {
  const features = [];
  for (let offset = 0; ; offset += pageSize) {
    const p = new URLSearchParams({ ...where, limit: String(pageSize), offset: String(offset) });
    const page = await getJson(`${itemsUrl(layer)}?${p}`, { signal });
    features.push(...page.features);
    const more = (page.links || []).some((l) => l.rel === 'next');
    if (!more || page.features.length === 0) break;
  }
  return features;
}

/** `GET /audit` URL with the given filters (`layer`, `feature_id`, `limit`, `format`, …). */
export function auditUrl(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  return `/audit?${p}`;
}

/** The audit log entries matching `params`, newest first: `{ entries: [{ id, at, actor, operation, layer, feature_id, before, after, data_version }] }`. */
export function fetchAudit(params, { signal } = {}) {
  return getJson(auditUrl(params), { signal });
}

/** The atlas's TileJSON (`vector_layers` with their zoom ranges). */
export function fetchTileJson() {
  return getJson('/tiles/atlas.json');
}

/** `GET /api/enums`: every enum with its values' labels, and every layer's fields with theirs. */
export function fetchEnums() {
  return getJson('/api/enums');
}

/** `[minLon, minLat, maxLon, maxLat]` of a GeoJSON geometry. */
export function geometryBbox(geometry) {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
    } else {
      for (const x of c) visit(x);
    }
  };
  if (geometry?.type === 'GeometryCollection') for (const g of geometry.geometries) visit(g.coordinates);
  else if (geometry?.coordinates) visit(geometry.coordinates);
  return Number.isFinite(b[0]) ? b : null;
}

/** `GET /api/problems` (admins, with the account's token): `{ data_version, problems: [{ layer, id, version, reason, repair }] }`. */
export function fetchProblems({ signal } = {}) {
  return getJson('/api/problems', { signal, auth: true });
}
