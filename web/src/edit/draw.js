// Drawing and reshaping on the map, with Terra Draw (terra-draw + its MapLibre adapter): a point
// is moved by dragging it; a polygon's vertices are dragged, a vertex is added by dragging the
// midpoint of an edge and removed with a right-click, the whole shape is dragged from inside; a
// new point is placed with one click, a new polygon clicked vertex by vertex and closed on its
// first vertex (or Enter). A self-intersecting ring is refused as it is drawn. A way's line is
// clicked vertex by vertex and finished on its last vertex (or Enter), its vertices dragged like
// a polygon's. A MultiPolygon (streets, communities) or MultiLineString (ways) is edited part by
// part (click a part to select it).

import { TerraDraw, TerraDrawLineStringMode, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawSelectMode, ValidateNotSelfIntersecting } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

const INK = '#00838f';
const DARK = '#004d54';
const WHITE = '#ffffff';
const ACCENT = '#ff6f00';

/** Checked when a ring is closed or changed, not while it is still being drawn. */
const notSelfIntersecting = (feature, { updateType }) => (updateType === 'provisional' ? { valid: true } : ValidateNotSelfIntersecting(feature));

/** Pixels within which a way's drawn vertex snaps to a gate or a vertex of a way on the map. */
const SNAP_PX = 8;

/**
 * Terra Draw's custom snapping for lines: the nearest compound gate or vertex of a way drawn on
 * the map within SNAP_PX of the cursor, gates first (a path starts at a gate; tiles may leave a
 * way's vertex on a straight run out). Ways meet only at shared vertices; the server then takes
 * the vertex's exact position (engine::network::topology).
 */
function snapToWays(map) {
  return (event) => {
    const { containerX: x, containerY: y } = event;
    let best;
    let bestD = SNAP_PX;
    const hits = map.queryRenderedFeatures([[x - SNAP_PX, y - SNAP_PX], [x + SNAP_PX, y + SNAP_PX]]);
    const gates = hits.filter((f) => f.sourceLayer === 'gates' && f.geometry.type === 'Point').map((f) => f.geometry.coordinates);
    const vertices = (f) => (f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.type === 'MultiLineString' ? f.geometry.coordinates.flat() : []);
    const ways = hits.filter((f) => f.sourceLayer === 'ways').flatMap(vertices);
    for (const c of gates.length ? gates : ways) {
      const p = map.project(c);
      const d = Math.hypot(p.x - x, p.y - y);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    return best;
  };
}

function modes(map) {
  const polygonStyle = {
    fillColor: INK, fillOpacity: 0.18, outlineColor: INK, outlineWidth: 3,
    closingPointColor: WHITE, closingPointWidth: 6, closingPointOutlineColor: INK, closingPointOutlineWidth: 2,
    coordinatePointColor: WHITE, coordinatePointWidth: 5, coordinatePointOutlineColor: INK, coordinatePointOutlineWidth: 2,
  };
  const pointStyle = { pointColor: ACCENT, pointWidth: 8, pointOutlineColor: WHITE, pointOutlineWidth: 3 };
  const lineStyle = {
    lineStringColor: INK, lineStringWidth: 4,
    closingPointColor: WHITE, closingPointWidth: 6, closingPointOutlineColor: INK, closingPointOutlineWidth: 2,
    coordinatePointColor: WHITE, coordinatePointWidth: 5, coordinatePointOutlineColor: INK, coordinatePointOutlineWidth: 2,
  };
  return [
    new TerraDrawSelectMode({
      allowManualDeselection: false,
      keyEvents: { deselect: null, delete: null, rotate: null, scale: null },
      flags: {
        point: { feature: { draggable: true } },
        polygon: {
          feature: {
            draggable: true,
            validation: notSelfIntersecting,
            coordinates: { draggable: true, deletable: true, midpoints: true },
          },
        },
        linestring: {
          feature: {
            draggable: true,
            coordinates: { draggable: true, deletable: true, midpoints: true },
          },
        },
      },
      styles: {
        selectedPolygonColor: INK, selectedPolygonFillOpacity: 0.22, selectedPolygonOutlineColor: DARK, selectedPolygonOutlineWidth: 3,
        selectionPointColor: WHITE, selectionPointWidth: 6, selectionPointOutlineColor: DARK, selectionPointOutlineWidth: 2.5,
        midPointColor: INK, midPointWidth: 4, midPointOutlineColor: WHITE, midPointOutlineWidth: 1.5,
        selectedPointColor: ACCENT, selectedPointWidth: 9, selectedPointOutlineColor: DARK, selectedPointOutlineWidth: 3,
        selectedLineStringColor: DARK, selectedLineStringWidth: 5,
      },
    }),
    new TerraDrawPointMode({ styles: pointStyle }),
    new TerraDrawPolygonMode({ validation: notSelfIntersecting, styles: polygonStyle }),
    new TerraDrawLineStringMode({ styles: lineStyle, snapping: { toCustom: snapToWays(map) } }),
  ];
}

/** The parts of a geometry as Terra Draw features take them: [type, mode, coordinates]. */
function partsOf(geometry) {
  switch (geometry.type) {
    case 'Point': return [['Point', 'point', geometry.coordinates]];
    case 'Polygon': return [['Polygon', 'polygon', geometry.coordinates]];
    case 'MultiPolygon': return geometry.coordinates.map((c) => ['Polygon', 'polygon', c]);
    case 'LineString': return [['LineString', 'linestring', geometry.coordinates]];
    case 'MultiLineString': return geometry.coordinates.map((c) => ['LineString', 'linestring', c]);
    default: return [];
  }
}

/** Terra Draw's mode for drawing a new shape of `type`. */
const modeOf = (type) => ({ Point: 'point', LineString: 'linestring' }[type] ?? 'polygon');

/** Terra Draw keeps at most 9 decimals (about 0.1 mm); stored coordinates are rounded to them. */
const round = (c) => (typeof c[0] === 'number' ? c.map((x) => Math.round(x * 1e9) / 1e9) : c.map(round));

/**
 * `createDrawing(map, { onChange, onDrawn })`: `onChange(geometry)` after every finished drag,
 * vertex insertion or removal; `onDrawn(geometry)` when a new shape is complete.
 */
export function createDrawing(map, { onChange, onDrawn }) {
  let draw = null;
  let stored = null; // the multi-part type the layer stores (MultiPolygon, MultiLineString), if any
  let ids = []; // the features of ours in Terra Draw's store

  function instance() {
    if (draw) return draw;
    draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: 9 }), modes: modes(map) });
    draw.start();
    draw.on('finish', (id, ctx) => {
      if (ctx.action === 'draw') {
        ids = [id];
        draw.setMode('select');
        draw.selectFeature(id);
        onDrawn?.(geometry());
      } else if (ids.includes(id)) {
        onChange?.(geometry());
      }
    });
    return draw;
  }

  /** Shows `geometry` (as the layer `kind` stores it) for reshaping, its first part selected. */
  function edit(geometry, kind) {
    const d = instance();
    d.clear();
    stored = kind;
    const features = partsOf(geometry).map(([type, mode, coordinates]) => (
      { type: 'Feature', id: d.getFeatureId(), geometry: { type, coordinates: round(coordinates) }, properties: { mode } }));
    const results = d.addFeatures(features);
    ids = results.filter((r) => r.valid).map((r) => r.id);
    d.setMode('select');
    if (ids.length) d.selectFeature(ids[0]);
    return ids.length === features.length;
  }

  /** Starts drawing a new `type` (Point, Polygon or LineString) shape, stored as `kind`. */
  function drawNew(type, kind) {
    const d = instance();
    d.clear();
    ids = [];
    stored = kind;
    d.setMode(modeOf(type));
  }

  /** The shape as the layer stores it (a MultiPolygon or MultiLineString of every part), or null before one is drawn. */
  function geometry() {
    if (!draw) return null;
    const shapes = ids.map((id) => draw.getSnapshotFeature(id)?.geometry).filter(Boolean);
    if (!shapes.length) return null;
    if (shapes[0].type === 'Point') return { type: 'Point', coordinates: shapes[0].coordinates };
    if (stored === 'MultiPolygon' || stored === 'MultiLineString') return { type: stored, coordinates: shapes.map((s) => s.coordinates) };
    return { type: shapes[0].type, coordinates: shapes[0].coordinates };
  }

  /** Removes everything drawn and Terra Draw's layers from the map. */
  function stop() {
    if (!draw) return;
    draw.stop();
    draw = null;
    ids = [];
  }

  return {
    edit,
    drawNew,
    geometry,
    stop,
    /** Whether a new shape is being drawn (clicks add to it). */
    get drawing() { return Boolean(draw) && draw.getMode() !== 'select'; },
    get active() { return Boolean(draw); },
  };
}
