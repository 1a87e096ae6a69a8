// Shift-drag on the map: a rubber-band box drawn over the canvas; on release, the pixel box
// `[[x0, y0], [x1, y1]]` goes to `onBox` (a click without a drag is not a box).

import { el } from '../dom.js';

/**
 * `accepts()`: whether a shift-drag starts a box now. `blocked()`: called instead when `accepts`
 * holds but a box cannot start yet (true: swallow the drag; see the controller: no target grid).
 */
export function installBrush(map, { accepts, blocked, onBox }) {
  const container = map.getCanvasContainer();
  container.addEventListener('mousedown', (e) => {
    if (!e.shiftKey || e.button !== 0 || !accepts()) return;
    if (blocked()) return;
    e.preventDefault();
    e.stopPropagation();
    const rect = container.getBoundingClientRect();
    const start = [e.clientX - rect.left, e.clientY - rect.top];
    const box = el('div', { class: 'pl-brush' });
    container.append(box);
    const at = (ev) => [ev.clientX - rect.left, ev.clientY - rect.top];
    const move = (ev) => {
      const p = at(ev);
      Object.assign(box.style, {
        left: `${Math.min(start[0], p[0])}px`, top: `${Math.min(start[1], p[1])}px`,
        width: `${Math.abs(p[0] - start[0])}px`, height: `${Math.abs(p[1] - start[1])}px`,
      });
    };
    const up = (ev) => {
      window.removeEventListener('mousemove', move, true);
      window.removeEventListener('mouseup', up, true);
      box.remove();
      const p = at(ev);
      if (Math.abs(p[0] - start[0]) < 4 && Math.abs(p[1] - start[1]) < 4) return;
      onBox([[Math.min(start[0], p[0]), Math.min(start[1], p[1])], [Math.max(start[0], p[0]), Math.max(start[1], p[1])]]);
    };
    window.addEventListener('mousemove', move, true);
    window.addEventListener('mouseup', up, true);
  }, true);
}
