// Zoom to a street, a community of it, or a grid of that community: cascading selectors filled
// from the OGC items (communities by `street_code`, grids by `community_code`).

import { fetchItems, geometryBbox } from '../api.js';
import { t, onLangChange } from '../i18n.js';

export function createZoomTo({ streetSel, communitySel, gridSel, onZoom, onError }) {
  const state = { streets: [], communities: [], grids: [] };

  function fill(sel, features, placeholderKey) {
    const value = sel.value;
    sel.replaceChildren();
    const none = document.createElement('option');
    none.value = '';
    none.textContent = t(placeholderKey);
    sel.append(none);
    for (const f of features) {
      const o = document.createElement('option');
      o.value = f.properties.code;
      o.textContent = `${f.properties.name}`;
      o.title = f.properties.code;
      sel.append(o);
    }
    sel.value = features.some((f) => f.properties.code === value) ? value : '';
  }

  function renderAll() {
    fill(streetSel, state.streets, 'zoomto.choose');
    fill(communitySel, state.communities, 'zoomto.choose');
    fill(gridSel, state.grids, 'zoomto.choose');
    communitySel.disabled = !state.communities.length;
    gridSel.disabled = !state.grids.length;
  }

  const byCode = (list, code) => list.find((f) => f.properties.code === code);
  const sortByCode = (a, b) => String(a.properties.code).localeCompare(String(b.properties.code));

  async function load() {
    try {
      state.streets = (await fetchItems('streets')).sort(sortByCode);
    } catch (e) {
      onError?.(e);
    }
    renderAll();
  }

  streetSel.addEventListener('change', async () => {
    state.communities = [];
    state.grids = [];
    communitySel.value = '';
    gridSel.value = '';
    const street = byCode(state.streets, streetSel.value);
    if (street) {
      onZoom('streets', street, geometryBbox(street.geometry));
      try {
        state.communities = (await fetchItems('communities', { street_code: street.properties.code })).sort(sortByCode);
      } catch (e) {
        onError?.(e);
      }
    }
    renderAll();
  });

  communitySel.addEventListener('change', async () => {
    state.grids = [];
    gridSel.value = '';
    const community = byCode(state.communities, communitySel.value);
    if (community) {
      onZoom('communities', community, geometryBbox(community.geometry));
      try {
        state.grids = (await fetchItems('grids', { community_code: community.properties.code })).sort(sortByCode);
      } catch (e) {
        onError?.(e);
      }
    } else {
      const street = byCode(state.streets, streetSel.value);
      if (street) onZoom('streets', street, geometryBbox(street.geometry));
    }
    renderAll();
  });

  gridSel.addEventListener('change', () => {
    const grid = byCode(state.grids, gridSel.value);
    if (grid) onZoom('grids', grid, geometryBbox(grid.geometry));
    else {
      const community = byCode(state.communities, communitySel.value);
      if (community) onZoom('communities', community, geometryBbox(community.geometry));
    }
  });

  onLangChange(renderAll);
  renderAll();
  return { load };
}
