// The map style: one vector source (the server's composite `atlas` tiles), an optional raster
// basemap, and the layers drawn from them. No glyphs or sprites are fetched: label text is drawn by
// MapLibre from the browser's own fonts, and the few icons are drawn on a canvas (see icons.js).

export const STATION_COLORS = {
  party_mass_centre: '#d32f2f',
  social_work_station: '#8e24aa',
  grid_post: '#1976d2',
  party_post: '#f06292',
  health_station: '#2e7d32',
  parcel_station: '#795548',
  convenience_point: '#00acc1',
  community_service_station: '#f57c00',
  kindergarten: '#fbc02d',
};

// Compound gates 小区出入口 by kind.
export const GATE_COLORS = {
  pedestrian: '#00897b',
  vehicle: '#5d4037',
  mixed: '#3949ab',
};

export const SERVICE_COLORS = {
  elderly_care: '#c2185b',
  childcare: '#ff8a65',
  after_school: '#7e57c2',
  meal_help: '#ef6c00',
  housekeeping: '#6d4c41',
  health: '#43a047',
  fitness: '#0097a7',
  culture: '#3949ab',
  study: '#9e9d24',
  children_play: '#fdd835',
};

export const GRID_PALETTE = [
  '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#e6ab02',
  '#a6761d', '#1f78b4', '#b15928', '#6a3d9a', '#33a02c', '#fb6a4a',
];

export const COMPOUND_COLORS = {
  threeNo: { fill: '#d7191c', line: '#7f0000' },
  missing: { fill: '#fdae61', line: '#d9730d' },
  ok: { fill: '#a6d96a', line: '#4d9221' },
};

export const BUILDING_COLORS = {
  scattered: { fill: '#6a1b9a', line: '#ffffff' },
  inCompound: { fill: '#9e9e9e', line: '#616161' },
  cell: '#546e7a',
};

export const STREET_COLOR = '#4a148c';

// Ways 道路/步行路径 by kind: roads solid (wider and warmer the more major), footways and paths
// dashed, bridges with a dark casing, ways closed to pedestrians grey.
export const WAY_KINDS = {
  major: ['motorway', 'trunk', 'primary'],
  mid: ['secondary', 'tertiary'],
  minor: ['unclassified', 'residential', 'living_street', 'service', 'pedestrian'],
  foot: ['footway', 'path', 'steps', 'corridor', 'cycleway', 'track'],
};
export const WAY_COLORS = {
  motorway: '#e07a5f', trunk: '#ee8959', primary: '#f4a259', secondary: '#f6c453', tertiary: '#fbe08a',
  unclassified: '#ffffff', residential: '#ffffff', living_street: '#ffffff', service: '#ffffff', pedestrian: '#ece4f7',
  footway: '#c0392b', path: '#8d5a3b', steps: '#c0392b', corridor: '#7b5ea7', cycleway: '#1e78c8', track: '#8d6e63',
};
export const WAY_CLOSED_COLOR = '#a3a9ad';
export const WAY_CASING = '#a6b0b7';
export const WAY_BRIDGE_CASING = '#263238';
export const COMMUNITY_COLOR = '#37474f';

const SRC = 'atlas';

function matchColor(getter, colors, fallback) {
  const m = ['match', getter];
  for (const [k, v] of Object.entries(colors)) m.push(k, v);
  m.push(fallback);
  return m;
}

// A grid's colour: its feature id modulo the palette (neighbouring grids of one community have
// consecutive ids, so they never share a colour).
export const gridColor = (() => {
  const m = ['match', ['%', ['to-number', ['id'], 0], GRID_PALETTE.length]];
  GRID_PALETTE.forEach((c, i) => m.push(i, c));
  m.push(GRID_PALETTE[0]);
  return m;
})();

// The first service of a space's comma-joined `services` list.
export const firstService = [
  'let', 's', ['to-string', ['get', 'services']],
  ['case', ['in', ',', ['var', 's']], ['slice', ['var', 's'], 0, ['index-of', ',', ['var', 's']]], ['var', 's']],
];

const isPolygon = ['==', ['geometry-type'], 'Polygon'];
const isPoint = ['==', ['geometry-type'], 'Point'];
const isCell = ['has', 'count'];
const isThreeNo = ['==', ['get', 'three_no'], true];
const isMissing = ['all', ['!', isThreeNo], ['>', ['to-number', ['get', 'missing_flags'], 0], 0]];
const isScattered = ['==', ['get', 'scattered'], true];
const wayKind = ['to-string', ['get', 'kind']];
const isFootway = ['in', wayKind, ['literal', WAY_KINDS.foot]];
const isBridge = ['==', ['get', 'bridge'], true];
const isTunnel = ['==', ['get', 'tunnel'], true];
const isClosed = ['==', ['get', 'walkable'], false];
const wayColor = ['case', isClosed, WAY_CLOSED_COLOR, matchColor(wayKind, WAY_COLORS, '#ffffff')];
/** A way's width at zoom `z`-ish: `[major, mid, minor, foot]` in pixels. */
const wayWidth = ([major, mid, minor, foot]) => ['case',
  ['in', wayKind, ['literal', WAY_KINDS.major]], major,
  ['in', wayKind, ['literal', WAY_KINDS.mid]], mid,
  isFootway, foot,
  minor];
const wayWidths = (extra = 0) => ['interpolate', ['linear'], ['zoom'],
  11, wayWidth([1.6 + extra, 1 + extra, 0.6 + extra, 0.6 + extra]),
  14, wayWidth([3.5 + extra, 2.6 + extra, 1.6 + extra, 1.2 + extra]),
  17, wayWidth([10 + extra, 8 + extra, 6 + extra, 2.4 + extra]),
  20, wayWidth([22 + extra, 18 + extra, 14 + extra, 4 + extra])];

/**
 * Map layers grouped by the atlas layer they draw (for the layer panel's toggles), in drawing
 * order. `interactive` layers answer clicks.
 */
export function atlasLayers() {
  return {
    grids: [
      { id: 'grids-fill', type: 'fill', source: SRC, 'source-layer': 'grids', interactive: true,
        paint: { 'fill-color': gridColor, 'fill-opacity': 0.16 } },
    ],
    communities: [
      { id: 'communities-fill', type: 'fill', source: SRC, 'source-layer': 'communities', interactive: true,
        paint: { 'fill-color': COMMUNITY_COLOR, 'fill-opacity': 0.0 } },
      { id: 'communities-line', type: 'line', source: SRC, 'source-layer': 'communities',
        paint: { 'line-color': COMMUNITY_COLOR, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.8, 15, 2],
          'line-dasharray': [3, 2], 'line-opacity': 0.8 } },
    ],
    streets: [
      { id: 'streets-fill', type: 'fill', source: SRC, 'source-layer': 'streets', interactive: true,
        paint: { 'fill-color': STREET_COLOR, 'fill-opacity': 0.0 } },
      { id: 'streets-line', type: 'line', source: SRC, 'source-layer': 'streets',
        paint: { 'line-color': STREET_COLOR, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 1.5, 15, 4], 'line-opacity': 0.85 } },
    ],
    compounds: [
      { id: 'compounds-fill', type: 'fill', source: SRC, 'source-layer': 'compounds', interactive: true,
        paint: {
          'fill-color': ['case', isThreeNo, COMPOUND_COLORS.threeNo.fill, isMissing, COMPOUND_COLORS.missing.fill, COMPOUND_COLORS.ok.fill],
          'fill-opacity': ['case', isThreeNo, 0.55, 0.45],
        } },
      { id: 'compounds-hatch', type: 'fill', source: SRC, 'source-layer': 'compounds', filter: isThreeNo,
        paint: { 'fill-pattern': 'hatch-three-no' } },
      { id: 'compounds-line', type: 'line', source: SRC, 'source-layer': 'compounds',
        paint: {
          'line-color': ['case', isThreeNo, COMPOUND_COLORS.threeNo.line, isMissing, COMPOUND_COLORS.missing.line, COMPOUND_COLORS.ok.line],
          'line-width': ['interpolate', ['linear'], ['zoom'], 13, ['case', isThreeNo, 1.5, 0.7], 17, ['case', isThreeNo, 3.5, 1.2]],
        } },
    ],
    // Roads solid over a light casing, footways dashed, bridges over a dark casing; above the
    // compounds (the ways inside a compound stay visible), below the buildings.
    ways: [
      { id: 'ways-casing', type: 'line', source: SRC, 'source-layer': 'ways',
        filter: ['all', ['!', isFootway], ['!', isBridge]],
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: { 'line-color': WAY_CASING, 'line-width': wayWidths(1.4), 'line-opacity': ['case', isTunnel, 0.35, 1] } },
      { id: 'ways-bridge', type: 'line', source: SRC, 'source-layer': 'ways', filter: isBridge,
        layout: { 'line-join': 'round', 'line-cap': 'butt' },
        paint: { 'line-color': WAY_BRIDGE_CASING, 'line-width': wayWidths(4) } },
      { id: 'ways-road', type: 'line', source: SRC, 'source-layer': 'ways', interactive: true,
        filter: ['!', isFootway],
        layout: { 'line-join': 'round', 'line-cap': 'round' },
        paint: { 'line-color': wayColor, 'line-width': wayWidths(), 'line-opacity': ['case', isTunnel, 0.45, 1] } },
      { id: 'ways-foot', type: 'line', source: SRC, 'source-layer': 'ways', interactive: true,
        filter: isFootway,
        layout: { 'line-join': 'round' },
        paint: { 'line-color': wayColor, 'line-width': wayWidths(), 'line-dasharray': [2, 1.5], 'line-opacity': ['case', isTunnel, 0.45, 0.95] } },
      { id: 'ways-label', type: 'symbol', source: SRC, 'source-layer': 'ways', minzoom: 16,
        filter: ['has', 'name'],
        layout: {
          'symbol-placement': 'line', 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 11,
          'symbol-spacing': 300, 'text-max-angle': 35, 'text-padding': 4,
        },
        paint: { 'text-color': '#37474f', 'text-halo-color': 'rgba(255,255,255,0.95)', 'text-halo-width': 1.6 } },
    ],
    buildings: [
      { id: 'buildings-cells', type: 'circle', source: SRC, 'source-layer': 'buildings', filter: isCell, interactive: true,
        paint: {
          'circle-color': BUILDING_COLORS.cell,
          'circle-opacity': 0.45,
          'circle-radius': ['interpolate', ['linear'], ['sqrt', ['to-number', ['get', 'households'], 0]], 0, 2, 10, 5, 40, 14],
          'circle-stroke-color': '#ffffff', 'circle-stroke-width': 0.5,
        } },
      { id: 'buildings-fill', type: 'fill', source: SRC, 'source-layer': 'buildings', interactive: true,
        filter: ['all', ['!', isCell], isPolygon],
        paint: {
          'fill-color': ['case', isScattered, BUILDING_COLORS.scattered.fill, BUILDING_COLORS.inCompound.fill],
          'fill-opacity': ['case', isScattered, 0.95, 0.75],
        } },
      { id: 'buildings-line', type: 'line', source: SRC, 'source-layer': 'buildings',
        filter: ['all', ['!', isCell], isPolygon],
        paint: {
          'line-color': ['case', isScattered, '#ffeb3b', BUILDING_COLORS.inCompound.line],
          'line-width': ['case', isScattered, 1.6, 0.6],
        } },
      { id: 'buildings-point', type: 'circle', source: SRC, 'source-layer': 'buildings', interactive: true,
        filter: ['all', ['!', isCell], isPoint],
        paint: {
          'circle-color': ['case', isScattered, BUILDING_COLORS.scattered.fill, BUILDING_COLORS.inCompound.fill],
          'circle-radius': 4,
          'circle-stroke-color': ['case', isScattered, '#ffeb3b', '#ffffff'], 'circle-stroke-width': 1.2,
        } },
    ],
    // Small markers on the compounds' edges, from zoom 16 (the tiles carry them from there).
    gates: [
      { id: 'gates', type: 'circle', source: SRC, 'source-layer': 'gates', minzoom: 16, interactive: true,
        paint: {
          'circle-color': matchColor(['get', 'kind'], GATE_COLORS, '#757575'),
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 16, 3, 20, 6],
          'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.2,
        } },
    ],
    service_spaces: [
      { id: 'service-spaces-area', type: 'fill', source: SRC, 'source-layer': 'service_spaces', interactive: true, filter: isPolygon,
        paint: { 'fill-color': matchColor(firstService, SERVICE_COLORS, '#757575'), 'fill-opacity': 0.35,
          'fill-outline-color': matchColor(firstService, SERVICE_COLORS, '#757575') } },
      { id: 'service-spaces', type: 'symbol', source: SRC, 'source-layer': 'service_spaces', interactive: true,
        layout: {
          'icon-image': ['concat', 'svc-', firstService],
          'icon-size': ['interpolate', ['linear'], ['zoom'], 12, 0.55, 16, 1],
          'icon-allow-overlap': true, 'icon-ignore-placement': true,
        } },
    ],
    stations: [
      { id: 'stations', type: 'circle', source: SRC, 'source-layer': 'stations', interactive: true,
        paint: {
          'circle-color': matchColor(['get', 'kind'], STATION_COLORS, '#757575'),
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 3.5, 16, 7],
          'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5,
        } },
    ],
  };
}

/**
 * The atlas drawn stepped back while the coverage heatmap is shown (覆盖分析): greys and outlines
 * only, no orange or red to compete with the heat palette; service-space icons hidden (the
 * facilities that count are drawn apart). Map layer → paint property → value; the layers' own
 * paint comes back when the workspace is left.
 */
export const MUTED_PAINT = {
  'grids-fill': { 'fill-opacity': 0 },
  'grids-line': { 'line-color': '#90a4ae', 'line-width': 1 },
  'compounds-fill': { 'fill-color': '#b0bec5', 'fill-opacity': 0.12 },
  'compounds-hatch': { 'fill-opacity': 0 },
  'compounds-line': { 'line-color': '#607d8b', 'line-width': ['interpolate', ['linear'], ['zoom'], 13, 0.6, 17, 1.4] },
  'ways-casing': { 'line-color': '#cfd8dc', 'line-opacity': 0.3 },
  'ways-road': { 'line-color': '#ffffff', 'line-opacity': 0.45 },
  'ways-foot': { 'line-color': '#b0bec5', 'line-opacity': 0.5 },
  'buildings-cells': { 'circle-color': '#90a4ae', 'circle-opacity': 0.25, 'circle-stroke-width': 0 },
  'buildings-fill': { 'fill-color': '#cfd8dc', 'fill-opacity': 0.35 },
  'buildings-line': { 'line-color': '#90a4ae', 'line-width': 0.5 },
  'buildings-point': { 'circle-color': '#90a4ae', 'circle-stroke-color': '#ffffff' },
  gates: { 'circle-color': '#78909c' },
  'service-spaces-area': { 'fill-color': '#cfd8dc', 'fill-outline-color': '#90a4ae', 'fill-opacity': 0.2 },
  'service-spaces': { 'icon-opacity': 0 },
  stations: { 'circle-color': '#b0bec5', 'circle-radius': 3, 'circle-stroke-width': 1 },
};

/** The facilities that count for the chosen service, drawn over the stepped-back atlas. */
export const FACILITY_COLOR = '#1565c0';

/** The order the atlas layers are drawn in (bottom first); the layer panel lists them top first. */
export const DRAW_ORDER = ['grids', 'communities', 'streets', 'compounds', 'ways', 'buildings', 'gates', 'service_spaces', 'stations'];

// Grid outlines are drawn above compounds so grid boundaries stay visible.
function gridOutline() {
  return { id: 'grids-line', type: 'line', source: SRC, 'source-layer': 'grids',
    paint: { 'line-color': gridColor, 'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1, 16, 2.5] } };
}

export const FONT = ['sans-serif'];

function labelLayers() {
  const halo = { 'text-halo-color': 'rgba(255,255,255,0.92)', 'text-halo-width': 1.6 };
  return [
    { id: 'labels-areas', type: 'symbol', source: 'labels',
      layout: {
        'text-field': ['get', 'label'],
        'text-font': FONT,
        'text-size': ['match', ['get', 'layer'], 'streets', 16, 'communities', 13, 'grids', 11, 11],
        'text-max-width': 8,
        'symbol-sort-key': ['match', ['get', 'layer'], 'streets', 0, 'communities', 1, 'grids', 2, 3],
        'text-padding': 4,
        // Nested units (street ⊃ community ⊃ grid) often share the middle of the view: let a
        // label move aside instead of disappearing.
        'text-variable-anchor': ['center', 'top', 'bottom', 'left', 'right'],
        'text-radial-offset': 0.8,
      },
      paint: {
        'text-color': ['match', ['get', 'layer'], 'streets', STREET_COLOR, 'communities', '#263238', 'grids', '#37474f', '#4e342e'],
        ...halo,
      } },
    { id: 'labels-points', type: 'symbol', source: SRC, 'source-layer': 'stations', minzoom: 16,
      layout: {
        'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': 11,
        'text-offset': [0, 1.1], 'text-anchor': 'top', 'text-max-width': 8, 'text-optional': true,
      },
      paint: { 'text-color': '#212121', ...halo } },
  ];
}

/** The complete style. `basemap` is the config's `{ tiles, attribution }` or null. */
export function buildStyle({ tilejsonUrl, basemap }) {
  const sources = {
    [SRC]: { type: 'vector', url: tilejsonUrl },
    labels: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    selection: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': basemap ? '#ffffff' : '#f3f1ec' } }];
  if (basemap?.tiles?.length) {
    sources.basemap = { type: 'raster', tiles: basemap.tiles, tileSize: 256, attribution: basemap.attribution || '' };
    layers.push({ id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.85 } });
  }
  const groups = atlasLayers();
  for (const name of DRAW_ORDER) {
    for (const l of groups[name]) {
      const { interactive, ...layer } = l;
      layers.push(layer);
    }
    if (name === 'compounds') layers.push(gridOutline());
  }
  layers.push(
    // The selection is an outline only (white casing, cyan line), so the colours of what it
    // surrounds — three-no compounds above all — stay readable.
    { id: 'selection-casing', type: 'line', source: 'selection', filter: ['!=', ['geometry-type'], 'Point'],
      layout: { 'line-join': 'round' }, paint: { 'line-color': '#ffffff', 'line-width': 7, 'line-opacity': 0.9 } },
    { id: 'selection-line', type: 'line', source: 'selection', filter: ['!=', ['geometry-type'], 'Point'],
      layout: { 'line-join': 'round' }, paint: { 'line-color': '#00a5b8', 'line-width': 3.5 } },
    { id: 'selection-point', type: 'circle', source: 'selection', filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#00a5b8', 'circle-stroke-width': 3.5 } },
  );
  layers.push(...labelLayers());
  return { version: 8, name: 'Grid Atlas', sources, layers };
}

/** Map layer ids of each atlas layer (for toggling visibility), and the clickable ones. */
export function layerIndex() {
  const groups = atlasLayers();
  const byAtlasLayer = {};
  const interactive = [];
  for (const [name, ls] of Object.entries(groups)) {
    byAtlasLayer[name] = ls.map((l) => l.id);
    for (const l of ls) if (l.interactive) interactive.push(l.id);
  }
  byAtlasLayer.grids.push('grids-line');
  byAtlasLayer.stations.push('labels-points');
  return { byAtlasLayer, interactive };
}

/** Which atlas layer a map layer id draws. */
export function atlasLayerOf(mapLayerId) {
  const { byAtlasLayer } = layerIndex();
  for (const [name, ids] of Object.entries(byAtlasLayer)) if (ids.includes(mapLayerId)) return name;
  return null;
}
