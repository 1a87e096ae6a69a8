// Grid Atlas web map: the map, its layer panel and legend, search, zoom-to selectors, the feature
// panel, the coordinates under the cursor and the workspace switcher.

import * as maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import './style.css';

import { fetchConfig, fetchItems, fetchTileJson, geometryBbox } from './api.js';
import { loadEnums } from './enums.js';
import { errorLine } from './errors.js';
import { applyDocumentLang, getLang, onLangChange, setLang, t, translateDom } from './i18n.js';
import { installImages } from './icons.js';
import { installAreaLabels } from './labels.js';
import { atlasLayerOf, buildStyle, layerIndex } from './mapstyle.js';
import { createFeaturePanel } from './ui/featurePanel.js';
import { createLayerPanel } from './ui/layerPanel.js';
import { createSearch } from './ui/search.js';
import { createAnalysis } from './ui/analysis.js';
import { createAccount } from './ui/account.js';
import { createProblems } from './ui/problems.js';
import { createImportPanel } from './ui/importPanel.js';
import { createPlanning } from './planning/controller.js';
import { createEditing } from './edit/controller.js';
import { createGridwork } from './gridwork/controller.js';
import { verifySession } from './session.js';
import { createWorkspaces } from './ui/workspaces.js';
import { createZoomTo } from './ui/zoomTo.js';

maplibregl.setWorkerUrl(workerUrl);

const $ = (sel) => document.querySelector(sel);

// State shared with the browser tests (read-only for them).
const app = {
  map: null,
  ready: false,
  layerIds: layerIndex().byAtlasLayer,
  interactiveLayers: layerIndex().interactive,
  errors: [],
};
window.gridAtlas = app;

function showBanner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = !text;
}

async function main() {
  applyDocumentLang();
  translateDom();
  $('#lang-switch').addEventListener('click', () => setLang(getLang() === 'zh' ? 'en' : 'zh'));
  onLangChange(() => translateDom());
  const account = createAccount({ el: $('#account') });
  app.account = account;
  verifySession();

  let config;
  try {
    // The enum values and attribute labels every panel shows come with the configuration.
    [config] = await Promise.all([fetchConfig(), loadEnums()]);
  } catch (e) {
    showBanner(t('error.config', { reason: errorLine(e, t) }));
    app.errors.push(String(e));
    return;
  }
  const titles = Object.fromEntries((config.layers || []).map((l) => [l.id, l]));
  const layerTitle = (layer) => {
    const l = titles[layer];
    if (!l) return layer;
    return getLang() === 'zh' ? l.title_zh : l.title_en;
  };
  // Admins: the store's unreadable rows (数据问题), a badge in the top bar.
  app.problems = createProblems({ el: $('#problems'), layerTitle });

  let tilejson = null;
  try {
    tilejson = await fetchTileJson();
  } catch (e) {
    showBanner(t('error.tiles', { reason: errorLine(e, t) }));
    app.errors.push(String(e));
  }
  const minzooms = Object.fromEntries((tilejson?.vector_layers || []).map((l) => [l.id, l.minzoom ?? 0]));

  const bounds = config.bounds;
  const map = new maplibregl.Map({
    container: 'map',
    style: buildStyle({ tilejsonUrl: new URL('/tiles/atlas.json', window.location.href).href, basemap: config.basemap }),
    bounds: bounds ? [[bounds[0], bounds[1]], [bounds[2], bounds[3]]] : undefined,
    fitBoundsOptions: { padding: 20 },
    center: bounds ? undefined : [105.44, 28.91],
    zoom: bounds ? undefined : 12,
    maxZoom: 20,
    attributionControl: { compact: false },
    // Keeps the drawn frame readable, for screenshots and (with the coverage workspace) PNG export.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  app.map = map;
  installImages(map);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 120 }), 'bottom-left');
  map.on('error', (e) => {
    const msg = e.error?.message || String(e.error || e);
    app.errors.push(msg);
    console.warn('map error:', msg);
  });

  // Coordinates under the cursor.
  const coords = $('#coords');
  coords.textContent = t('coords.none');
  let lastLngLat = null;
  const showCoords = () => {
    coords.textContent = lastLngLat
      ? t('coords.label', { lon: lastLngLat.lng.toFixed(6), lat: lastLngLat.lat.toFixed(6) })
      : t('coords.none');
  };
  map.on('mousemove', (e) => {
    lastLngLat = e.lngLat;
    showCoords();
  });
  map.getCanvas().addEventListener('mouseleave', () => {
    lastLngLat = null;
    showCoords();
  });
  onLangChange(showCoords);

  // Selection outline (the exact geometry from the OGC item).
  const setSelection = (feature) => {
    const src = map.getSource('selection');
    if (src) src.setData({ type: 'FeatureCollection', features: feature ? [feature] : [] });
  };

  const fitTo = (bbox, maxZoom = 17) => {
    if (!bbox) return;
    // Keep clear of the panels floating over the right of the map when there is room.
    const { width, height, bottom: mapBottom } = map.getContainer().getBoundingClientRect();
    const right = width > 900 ? 400 : 40;
    // On a phone the analysis workspaces are a sheet over the foot of the map: fit above it.
    const sheet = $('#workspace-panel');
    const covered = !sheet.hidden && getComputedStyle(sheet).position === 'fixed'
      ? Math.max(0, mapBottom - sheet.getBoundingClientRect().top) : 0;
    const bottom = Math.min(50 + covered, Math.max(50, height - 120));
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]], { padding: { top: 50, bottom, left: 50, right }, maxZoom, duration: 600 });
  };

  // Editing on the map (created below, once the panel exists): the panel asks it who may edit.
  let editing = null;
  const panel = createFeaturePanel({
    el: $('#feature-panel'),
    layerTitle,
    onZoom: (f) => fitTo(geometryBbox(f.geometry)),
    onClose: () => setSelection(null),
    editing: {
      mayEdit: (layer, f) => Boolean(editing?.mayEdit(layer, f)),
      edit: (layer, f) => editing.edit(layer, f),
      remove: (layer, f) => editing.remove(layer, f),
    },
  });

  async function openFeature(layer, id, opts) {
    // A form with unsaved changes asks first.
    if (editing && !(await editing.leave())) return null;
    const f = await panel.show(layer, id, opts);
    setSelection(f);
    return f;
  }
  app.openFeature = openFeature;

  const layers = createLayerPanel({
    el: $('#layer-list'),
    layerTitle,
    minzoom: (layer) => minzooms[layer] ?? 0,
    onToggle: (layer, on) => {
      for (const id of app.layerIds[layer] || []) {
        if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
      }
      labels.refresh();
    },
  });

  const labels = installAreaLabels(map, { isVisible: layers.isVisible });

  createSearch({
    form: $('#search-form'),
    input: $('#search-input'),
    list: $('#search-results'),
    layerTitle,
    onSelect: (r) => {
      fitTo(r.bbox, r.layer === 'streets' || r.layer === 'communities' ? 16 : 17);
      openFeature(r.layer, r.id);
    },
  });

  const zoomTo = createZoomTo({
    streetSel: $('#zoomto-street'),
    communitySel: $('#zoomto-community'),
    gridSel: $('#zoomto-grid'),
    onZoom: (layer, feature, bbox) => {
      fitTo(bbox, 17);
      setSelection(feature);
      openFeature(layer, feature.id);
    },
    onError: (e) => app.errors.push(String(e)),
  });
  zoomTo.load();

  // After a write the atlas changed: fetch every tile in view again (the server answers with the
  // new data version's tiles), and the TileJSON when the data's extent changed.
  //
  // The tiles are fetched right after a frame: MapLibre holds back a source's reload asked while
  // a style change (a filter, as when an edited feature is shown again) waits for the next frame,
  // and the reload it then makes only re-parses the tiles it has, so the edit would not show.
  const refreshTiles = () => {
    const src = map.getSource('atlas');
    if (src) {
      map.once('render', () => map.refreshTiles('atlas'));
      map.triggerRepaint();
      fetchTileJson().then((doc) => {
        if (doc?.bounds && JSON.stringify(doc.bounds) !== JSON.stringify(src.bounds) && src.setUrl) {
          src.setUrl(new URL('/tiles/atlas.json', window.location.href).href);
        }
      }).catch((e) => app.errors.push(String(e)));
    }
    labels.refresh();
    zoomTo.load();
    app.problems.reload();
  };
  app.refreshTiles = refreshTiles;

  // 导入数据: signed-in editors upload office files, check, preview and commit them.
  app.imports = createImportPanel({
    el: $('#import-panel'),
    openButton: $('#import-open'),
    map,
    layerTitle,
    fitTo,
    onCommitted: () => refreshTiles(),
  });

  const analysis = createAnalysis({ map, fitTo, openFeature, setSelection, layerTitle, app });
  app.analysis = analysis;
  const planning = createPlanning({ map, app, fitTo, openFeature, askSignIn: () => account.ask(), refreshTiles });
  // 网格工作: the grid worker's phone view (adds its tab to the top bar before the switcher reads the tabs).
  const gridwork = createGridwork({ map, app, fitTo });

  // Editing: 编辑 / 删除 in the panel, ＋ 新建 on the map; after a write the tiles and the analyses
  // show the new data at once.
  editing = createEditing({
    map,
    panel,
    layerTitle,
    layerIds: app.layerIds,
    openFeature,
    setSelection,
    onWritten: () => {
      refreshTiles();
      analysis.reload();
    },
  });
  map.addControl(editing.control, 'top-left');
  app.editing = editing;
  app.workspaces = createWorkspaces({
    tabs: [...document.querySelectorAll('[data-ws]')],
    panel: $('#workspace-panel'),
    renderers: { planning: planning.render, underserved: analysis.renderUnderserved, coverage: analysis.renderCoverage, gridwork: gridwork.render },
    onChange: (ws) => {
      analysis.setWorkspaceLayers(ws);
      planning.setActive(ws === 'planning');
      gridwork.setActive(ws === 'gridwork');
    },
  });

  // Click: the topmost clickable feature under the pointer.
  const { interactive } = layerIndex();
  map.on('click', (e) => {
    // A feature drawn or edited takes every click.
    if (editing.handleClick(e)) return;
    // The planning workspace takes clicks on its units (and while a boundary is drawn).
    if (planning.handleClick(e)) return;
    // The coverage workspace takes clicks on compounds and scattered buildings (their reach and routes).
    if (analysis.handleClick(e)) return;
    // The grid-work workspace takes taps on its units and needs.
    if (gridwork.handleClick(e)) return;
    const pad = 3;
    const box = [[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]];
    const hits = map.queryRenderedFeatures(box, { layers: interactive.filter((id) => map.getLayer(id)) });
    const hit = hits[0];
    if (!hit) {
      panel.hide();
      return;
    }
    const layer = atlasLayerOf(hit.layer.id);
    if (layer === 'buildings' && hit.properties && 'count' in hit.properties) {
      setSelection(null);
      panel.showCell(hit.properties);
      return;
    }
    if (hit.id === undefined || hit.id === null) return;
    openFeature(layer, hit.id);
  });
  map.on('mousemove', (e) => {
    if (planning.state.drawing || editing.active) return;
    const ids = interactive.filter((id) => map.getLayer(id));
    const over = map.queryRenderedFeatures(e.point, { layers: ids }).length > 0;
    map.getCanvas().style.cursor = over ? 'pointer' : '';
  });

  map.on('load', () => {
    app.ready = true;
    document.body.dataset.ready = 'true';
    openLinkedGrid();
  });

  // `?grid=CODE` (the QR code of a printed notice board 网格公示牌): the map opens on that grid
  // with its panel; a code the atlas lacks says so in the banner.
  async function openLinkedGrid() {
    const code = new URLSearchParams(window.location.search).get('grid');
    if (!code) return;
    try {
      const [grid] = await fetchItems('grids', { code });
      if (!grid) {
        showBanner(t('link.grid.unknown', { code }));
        return;
      }
      fitTo(geometryBbox(grid.geometry), 17);
      openFeature('grids', grid.id);
    } catch (e) {
      showBanner(t('link.grid.failed', { reason: errorLine(e, t) }));
    }
  }
}

main().catch((e) => {
  console.error(e);
  showBanner(String(e));
});
