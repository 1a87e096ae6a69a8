// The layer panel: one switch per atlas layer (top of the drawing first), each with its legend.

import { enumLabel } from '../enums.js';
import { getLang, t, onLangChange } from '../i18n.js';
import {
  BUILDING_COLORS, COMMUNITY_COLOR, COMPOUND_COLORS, GATE_COLORS, GRID_PALETTE, SERVICE_COLORS, STATION_COLORS,
  STREET_COLOR, WAY_BRIDGE_CASING, WAY_CASING, WAY_CLOSED_COLOR, WAY_COLORS,
} from '../mapstyle.js';

export const PANEL_ORDER = ['stations', 'service_spaces', 'gates', 'buildings', 'ways', 'compounds', 'grids', 'communities', 'streets'];

function swatch(kind, style = {}) {
  const s = document.createElement('span');
  s.className = `swatch swatch-${kind}`;
  Object.assign(s.style, style);
  return s;
}

function legendItem(sw, text, key) {
  const li = document.createElement('li');
  if (key) li.dataset.legend = key;
  const span = document.createElement('span');
  span.textContent = text;
  li.append(sw, span);
  return li;
}

function legendFor(layer) {
  const lang = getLang();
  const ul = document.createElement('ul');
  ul.className = 'legend';
  switch (layer) {
    case 'stations':
      for (const [kind, color] of Object.entries(STATION_COLORS)) {
        ul.append(legendItem(swatch('circle', { background: color }), enumLabel('station_kind', kind, lang), `station:${kind}`));
      }
      break;
    case 'gates':
      for (const [kind, color] of Object.entries(GATE_COLORS)) {
        ul.append(legendItem(swatch('circle', { background: color, width: '9px', height: '9px' }),
          enumLabel('gate_kind', kind, lang), `gate:${kind}`));
      }
      break;
    case 'service_spaces':
      for (const [type, color] of Object.entries(SERVICE_COLORS)) {
        ul.append(legendItem(swatch('square', { background: color }), enumLabel('service_type', type, lang), `service:${type}`));
      }
      break;
    case 'buildings':
      ul.append(
        legendItem(swatch('fill', { background: BUILDING_COLORS.scattered.fill, outline: '2px solid #ffeb3b', outlineOffset: '-2px' }),
          t('legend.building.scattered'), 'building:scattered'),
        legendItem(swatch('fill', { background: BUILDING_COLORS.inCompound.fill, borderColor: BUILDING_COLORS.inCompound.line }),
          t('legend.building.in_compound'), 'building:in_compound'),
        legendItem(swatch('circle', { background: BUILDING_COLORS.cell, opacity: 0.6 }), t('legend.building.cells'), 'building:cells'),
      );
      break;
    case 'compounds':
      ul.append(
        legendItem(swatch('three-no'), t('legend.compound.three_no'), 'compound:three_no'),
        legendItem(swatch('fill', { background: COMPOUND_COLORS.missing.fill, borderColor: COMPOUND_COLORS.missing.line }),
          t('legend.compound.missing'), 'compound:missing'),
        legendItem(swatch('fill', { background: COMPOUND_COLORS.ok.fill, borderColor: COMPOUND_COLORS.ok.line }),
          t('legend.compound.ok'), 'compound:ok'),
      );
      break;
    case 'ways':
      ul.append(
        legendItem(swatch('way', { background: WAY_COLORS.primary, boxShadow: `0 0 0 1px ${WAY_CASING}` }), t('legend.way.major'), 'way:major'),
        legendItem(swatch('way', { background: WAY_COLORS.residential, boxShadow: `0 0 0 1px ${WAY_CASING}` }), t('legend.way.road'), 'way:road'),
        legendItem(swatch('line', { borderTop: `2px dashed ${WAY_COLORS.footway}` }), t('legend.way.foot'), 'way:foot'),
        legendItem(swatch('way', { background: WAY_COLORS.residential, boxShadow: `0 0 0 2px ${WAY_BRIDGE_CASING}` }), t('legend.way.bridge'), 'way:bridge'),
        legendItem(swatch('way', { background: WAY_CLOSED_COLOR }), t('legend.way.closed'), 'way:closed'),
      );
      break;
    case 'grids': {
      const strip = document.createElement('span');
      strip.className = 'swatch swatch-strip';
      for (const c of GRID_PALETTE.slice(0, 6)) strip.append(swatch('strip-cell', { background: c }));
      ul.append(legendItem(strip, t('legend.grid'), 'grid'));
      break;
    }
    case 'communities':
      ul.append(legendItem(swatch('line', { borderTop: `2px dashed ${COMMUNITY_COLOR}` }), t('legend.community'), 'community'));
      break;
    case 'streets':
      ul.append(legendItem(swatch('line', { borderTop: `3px solid ${STREET_COLOR}` }), t('legend.street'), 'street'));
      break;
    default:
  }
  return ul;
}

/**
 * `layers`: the config's `[{ id, title_zh, title_en }]`; `minzoom(layer)`: from the TileJSON;
 * `onToggle(layer, visible)`.
 */
export function createLayerPanel({ el, layerTitle, minzoom, onToggle }) {
  const visible = Object.fromEntries(PANEL_ORDER.map((l) => [l, true]));

  function render() {
    el.replaceChildren();
    for (const layer of PANEL_ORDER) {
      const block = document.createElement('div');
      block.className = 'layer-block';
      block.dataset.layer = layer;
      const label = document.createElement('label');
      label.className = 'layer-toggle';
      const cb = document.createElement('input');
      cb.type = 'checkbox';
      cb.checked = visible[layer];
      cb.dataset.layer = layer;
      cb.addEventListener('change', () => {
        visible[layer] = cb.checked;
        block.classList.toggle('off', !cb.checked);
        onToggle(layer, cb.checked);
      });
      const title = document.createElement('span');
      title.className = 'layer-title';
      title.textContent = layerTitle(layer);
      label.append(cb, title);
      const z = minzoom(layer);
      if (z > 0) {
        const hint = document.createElement('span');
        hint.className = 'zoom-hint';
        hint.textContent = t('layers.zoomhint', { z });
        label.append(hint);
      }
      block.append(label, legendFor(layer));
      block.classList.toggle('off', !visible[layer]);
      el.append(block);
    }
  }

  onLangChange(render);
  render();
  return { isVisible: (layer) => visible[layer] !== false };
}
