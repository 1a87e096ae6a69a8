// Drawing and reshaping on the map, with Terra Draw (terra-draw + its MapLibre adapter): a point
// is moved by dragging it; a polygon's vertices are dragged, a vertex is added by dragging the
// midpoint of an edge and removed with a right-click, the whole shape is dragged from inside; a
// new point is placed with one click, a new polygon clicked vertex by vertex and closed on its
// first vertex (or Enter). A self-intersecting ring is refused as it is drawn. A MultiPolygon
// (streets, communities) is edited part by part (click a part to select it).

import { TerraDraw, TerraDrawPointMode, TerraDrawPolygonMode, TerraDrawSelectMode, ValidateNotSelfIntersecting } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

const INK = '#00838f';
const DARK = '#004d54';
const WHITE = '#ffffff';
const ACCENT = '#ff6f00';

/** Checked when a ring is closed or changed, not while it is still being drawn. */
const notSelfIntersecting = (feature, { updateType }) => (updateType === 'provisional' ? { valid: true } : ValidateNotSelfIntersecting(feature));

function modes() {
  const polygonStyle = {
    fillColor: INK, fillOpacity: 0.18, outlineColor: INK, outlineWidth: 3,
    closingPointColor: WHITE, closingPointWidth: 6, closingPointOutlineColor: INK, closingPointOutlineWidth: 2,
    coordinatePointColor: WHITE, coordinatePointWidth: 5, coordinatePointOutlineColor: INK, coordinatePointOutlineWidth: 2,
  };
  const pointStyle = { pointColor: ACCENT, pointWidth: 8, pointOutlineColor: WHITE, pointOutlineWidth: 3 };
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
      },
      styles: {
        selectedPolygonColor: INK, selectedPolygonFillOpacity: 0.22, selectedPolygonOutlineColor: DARK, selectedPolygonOutlineWidth: 3,
        selectionPointColor: WHITE, selectionPointWidth: 6, selectionPointOutlineColor: DARK, selectionPointOutlineWidth: 2.5,
        midPointColor: INK, midPointWidth: 4, midPointOutlineColor: WHITE, midPointOutlineWidth: 1.5,
        selectedPointColor: ACCENT, selectedPointWidth: 9, selectedPointOutlineColor: DARK, selectedPointOutlineWidth: 3,
      },
    }),
    new TerraDrawPointMode({ styles: pointStyle }),
    new TerraDrawPolygonMode({ validation: notSelfIntersecting, styles: polygonStyle }),
  ];
}

/** The polygons (coordinate arrays) of a Polygon or MultiPolygon. */
const partsOf = (geometry) => (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : []);

/** Terra Draw keeps at most 9 decimals (about 0.1 mm); stored coordinates are rounded to them. */
const round = (c) => (typeof c[0] === 'number' ? c.map((x) => Math.round(x * 1e9) / 1e9) : c.map(round));

/**
 * `createDrawing(map, { onChange, onDrawn })`: `onChange(geometry)` after every finished drag,
 * vertex insertion or removal; `onDrawn(geometry)` when a new shape is complete.
 */
export function createDrawing(map, { onChange, onDrawn }) {
  let draw = null;
  let stored = null; // the geometry type the layer stores: Point, Polygon or MultiPolygon
  let ids = []; // the features of ours in Terra Draw's store

  function instance() {
    if (draw) return draw;
    draw = new TerraDraw({ adapter: new TerraDrawMapLibreGLAdapter({ map, coordinatePrecision: 9 }), modes: modes() });
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
    const features = geometry.type === 'Point'
      ? [{ type: 'Feature', id: d.getFeatureId(), geometry: { type: 'Point', coordinates: round(geometry.coordinates) }, properties: { mode: 'point' } }]
      : partsOf(geometry).map((coordinates) => ({ type: 'Feature', id: d.getFeatureId(), geometry: { type: 'Polygon', coordinates: round(coordinates) }, properties: { mode: 'polygon' } }));
    const results = d.addFeatures(features);
    ids = results.filter((r) => r.valid).map((r) => r.id);
    d.setMode('select');
    if (ids.length) d.selectFeature(ids[0]);
    return ids.length === features.length;
  }

  /** Starts drawing a new `type` (Point or Polygon) shape, stored as `kind`. */
  function drawNew(type, kind) {
    const d = instance();
    d.clear();
    ids = [];
    stored = kind;
    d.setMode(type === 'Point' ? 'point' : 'polygon');
  }

  /** The shape as the layer stores it (a MultiPolygon of every part), or null before one is drawn. */
  function geometry() {
    if (!draw) return null;
    const shapes = ids.map((id) => draw.getSnapshotFeature(id)?.geometry).filter(Boolean);
    if (!shapes.length) return null;
    if (shapes[0].type === 'Point') return { type: 'Point', coordinates: shapes[0].coordinates };
    if (stored === 'MultiPolygon') return { type: 'MultiPolygon', coordinates: shapes.map((s) => s.coordinates) };
    return { type: 'Polygon', coordinates: shapes[0].coordinates };
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
