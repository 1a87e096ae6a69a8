// The district's areas — streets 街道, communities 社区, grids 网格 — with their names, parents and
// households, as the coverage analysis lists them (`/api/coverage?level=…`, one request per level,
// kept until the data changes), and an area's outline (the OGC item) to zoom to. No DOM.

import { fetchItems } from './api.js';
import { getJson } from './http.js';

export const LEVELS = ['street', 'community', 'grid'];
const LAYER_OF = { street: 'streets', community: 'communities', grid: 'grids' };

/** The atlas layer holding areas of `level`. */
export const layerOfLevel = (level) => LAYER_OF[level] || null;

export function createAreas() {
  let byCode = new Map(); // code → { code, name, level, parent, households }
  let loading = null;
  const outlines = new Map(); // code → Promise of the GeoJSON feature

  /** Loads every level once (again after `clear`); resolves when all are known. */
  function load() {
    loading ??= Promise.all(LEVELS.map((level) => getJson(`/api/coverage?level=${level}&metric=straight`).then((d) => {
      for (const a of d.areas || []) {
        byCode.set(a.code, { code: a.code, name: a.name, level, parent: a.parent_code ?? null, households: a.governance?.households ?? 0 });
      }
    }))).catch((e) => {
      loading = null;
      throw e;
    });
    return loading;
  }

  /** Forgets everything (the data changed). */
  function clear() {
    byCode = new Map();
    loading = null;
    outlines.clear();
  }

  /** The areas of `level` (of parent `parent` when given), by code. */
  function list(level, parent = null) {
    return [...byCode.values()]
      .filter((a) => a.level === level && (parent === null || a.parent === parent))
      .sort((a, b) => a.code.localeCompare(b.code));
  }

  /** The area's outline as a GeoJSON feature (fetched once), or null when the atlas has none. */
  function outline(level, code) {
    const layer = layerOfLevel(level);
    if (!layer) return Promise.resolve(null);
    if (!outlines.has(code)) {
      const p = fetchItems(layer, { code }).then((fs) => fs[0] || null);
      p.catch(() => outlines.delete(code));
      outlines.set(code, p);
    }
    return outlines.get(code);
  }

  return {
    load, clear, list, outline,
    /** The area of `code`, or null. */
    get: (code) => byCode.get(code) || null,
    /** The name of area `code`, or the code itself while unknown. */
    name: (code) => byCode.get(code)?.name || code,
  };
}
