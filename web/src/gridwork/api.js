// The grid-work API as the worker's phone uses it, through the one HTTP client (../http.js): the
// grids, the grid's workers, its units with their last visits, its open needs, and recording a
// visit, errand or need. Every /api/work request carries the account's token.

import { request } from '../http.js';

const enc = encodeURIComponent;
const authed = (method, url, opts = {}) => request(method, url, { ...opts, auth: true });

/** Every grid polygon (GeoJSON features with `properties.code`, `name`, `community_code`). */
export async function fetchGrids() {
  const page = await request('GET', '/ogc/collections/grids/items?limit=1000');
  return page?.features || [];
}

/** The grid workers serving `grid`: `[{ id, version, community_code, body: { name, phone, grids, roles, start_date, account? } }]`. */
export async function fetchWorkers(grid) {
  const body = await authed('GET', `/api/work/grid_workers?grid=${enc(grid)}`);
  return body?.records || [];
}

/** The grid's compounds and buildings with their last visit (`last_visit`, `days_since`), as GeoJSON. */
export function fetchLastVisits(grid) {
  return authed('GET', `/api/work/visits/last?grid=${enc(grid)}`);
}

/** The grid's open needs as GeoJSON points. */
export function fetchOpenNeeds(grid) {
  return authed('GET', `/api/work/needs/map?status=open&grid=${enc(grid)}`);
}

/**
 * Records a visit or errand (`kind` `visit` / `errand`) or a need (`need`): 201 with the stored
 * record, or 200 with the record already stored under the body's `client_id`.
 */
export function postRecord(kind, body) {
  return authed('POST', kind === 'need' ? '/api/work/needs' : '/api/work/visits', { body });
}
