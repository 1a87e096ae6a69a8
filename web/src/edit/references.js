// The choices of the fields naming another feature (`references` in `/api/enums`): the
// communities of the account's scope, and the grids, compounds and stations of the chosen
// community; and the values a feature drawn on the map suggests for them from where it lies.
// Lists are fetched once per session of the form's life and dropped after every write.

import { fetchItems } from '../api.js';
import { scopeCovers, scopeCoversStreet } from '../access.js';
import { anchorOf, featureAt, GATE_REACH_M } from './places.js';

const byKey = (f, key) => String(key === 'id' ? f.id : f.properties?.[key] ?? '');

export function createReferences() {
  const cache = new Map();
  function load(key, fetcher) {
    if (!cache.has(key)) {
      const p = fetcher();
      p.catch(() => cache.delete(key));
      cache.set(key, p);
    }
    return cache.get(key);
  }
  const all = (layer) => load(layer, () => fetchItems(layer));
  const ofCommunity = (layer, code) => (code ? load(`${layer}:${code}`, () => fetchItems(layer, { community_code: code })) : Promise.resolve([]));

  /** The features a reference field may name, for the form's other values `raw` and the account. */
  async function candidates(field, raw, account) {
    const { layer } = field.references;
    if (layer === 'communities') return (await all('communities')).filter((f) => scopeCovers(account?.scope, f.properties.code));
    if (layer === 'streets') return (await all('streets')).filter((f) => scopeCoversStreet(account?.scope, f.properties.code));
    // A way names no community: its compound is any compound.
    if (!('community_code' in raw)) return all(layer);
    return ofCommunity(layer, raw.community_code);
  }

  /** `[{ value, name }]` for a reference field, sorted by name (codes by code). */
  async function options(field, raw, account) {
    const { key } = field.references;
    const list = (await candidates(field, raw, account)).map((f) => ({ value: byKey(f, key), name: f.properties?.name || byKey(f, key) }));
    return list.sort((a, b) => (key === 'code' ? a.value.localeCompare(b.value) : a.name.localeCompare(b.name, 'zh-CN')));
  }

  /**
   * The reference values a feature of `layer` drawn at `geometry` suggests: the community (and
   * grid) holding it; a building's compound holding it, a gate's compound holding it or nearest
   * within 50 m. Only for the fields the layer has.
   */
  async function suggest(layer, geometry, fields) {
    const at = anchorOf(geometry);
    const has = (name) => fields.some((f) => f.name === name);
    const out = {};
    if (at && has('street_code') && !has('community_code')) {
      // A way: the street holding its middle, and the compound when it runs inside one.
      const street = featureAt(await all('streets'), at);
      if (street) out.street_code = street.properties.code;
      if (has('compound_id')) {
        const compound = featureAt(await all('compounds'), at);
        if (compound) out.compound_id = String(compound.id);
      }
      return out;
    }
    if (!at || !has('community_code')) return out;
    const community = featureAt(await all('communities'), at);
    if (!community) return out;
    out.community_code = community.properties.code;
    if (has('grid_code')) {
      const grid = featureAt(await ofCommunity('grids', out.community_code), at);
      if (grid) out.grid_code = grid.properties.code;
    }
    if (has('compound_id')) {
      const compound = featureAt(await ofCommunity('compounds', out.community_code), at, layer === 'gates' ? GATE_REACH_M : 0);
      if (compound) out.compound_id = String(compound.id);
    }
    return out;
  }

  return { options, suggest, clear: () => cache.clear() };
}
