// The grid-planning workspace's map and keyboard input: a click moves a unit into the target grid
// or opens its card; 圈选 adds a boundary point per click and ends with a double-click or Enter;
// shift-drag boxes units into the target grid; Ctrl+Z / Ctrl+Y (Ctrl+Shift+Z) undo and redo;
// Escape closes the innermost thing open.

import { getSession } from '../session.js';
import { installBrush } from './brush.js';
import * as S from './state.js';

const { M } = S;

/**
 * Listens on `map` and the document. `pmap`: the planning map layers (for the units under a
 * point or box); `commands`: ./commands.js; `refresh()` redraws panel and map, `syncMap()` the map.
 * Returns `handleClick` (the map's click handler asks it first), `toggleDrawing`.
 */
export function installInput(map, state, { pmap, commands, refresh, syncMap }) {
  const editable = () => S.isEditable(state, getSession());

  /** A map click while planning: a unit is moved into the target grid or selected. True when handled. */
  function handleClick(e) {
    if (!state.active || !state.community || !S.shownPlan(state)) return false;
    if (state.drawing) {
      state.drawing = [...state.drawing, [e.lngLat.lng, e.lngLat.lat]];
      syncMap();
      return true;
    }
    const pad = 3;
    const [key] = pmap.unitsIn([[e.point.x - pad, e.point.y - pad], [e.point.x + pad, e.point.y + pad]]);
    const what = key ? S.clickOnUnit(state, getSession(), key) : null;
    if (!what) return false;
    if (what === 'move') {
      state.unit = null;
      commands.moveUnits([key]);
      return true;
    }
    state.unit = key;
    if (editable() && !state.target) S.say(state, 'info', M('pl.need_target'));
    refresh();
    return true;
  }

  function finishDrawing() {
    const ring = state.drawing;
    state.drawing = null;
    if (!ring || ring.length < 3) {
      S.say(state, 'info', M('pl.draw.short'));
      refresh();
      return Promise.resolve();
    }
    const keys = S.unitsInside(state.view, ring);
    refresh();
    return commands.moveUnits(keys);
  }

  /** 圈选: starts a boundary (with a target grid), or finishes the one being drawn. */
  function toggleDrawing() {
    if (state.drawing) {
      finishDrawing();
      return;
    }
    if (!commands.needTarget()) return;
    state.drawing = [];
    S.say(state, null);
    refresh();
  }

  // Double-click finishes the boundary.
  map.on('dblclick', (e) => {
    if (!state.drawing) return;
    e.preventDefault();
    state.drawing = S.closeBoundary(state.drawing);
    finishDrawing();
  });

  // Shift-drag: a box; every unit in it goes to the target grid.
  installBrush(map, {
    accepts: () => state.active && editable() && !state.drawing,
    blocked: () => !commands.needTarget(),
    onBox: (box) => commands.moveUnits(pmap.unitsIn(box)),
  });

  document.addEventListener('keydown', (e) => {
    if (!state.active || !state.community) return;
    const tag = e.target?.tagName;
    if (tag === 'INPUT' || tag === 'SELECT' || tag === 'TEXTAREA') return;
    const command = S.shortcut(e, state.drawing);
    if (!command) return;
    if (command !== 'escape') e.preventDefault();
    if (command === 'undo') commands.undo();
    else if (command === 'redo') commands.redo();
    else if (command === 'finish') finishDrawing();
    else {
      S.escape(state);
      refresh();
    }
  });

  return { handleClick, toggleDrawing };
}
