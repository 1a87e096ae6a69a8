// Images the style uses, drawn on a canvas at start-up (no sprite is fetched): the hatch pattern of
// three-no compounds and one rounded-square marker per service type.

import { SERVICE_COLORS, COMPOUND_COLORS } from './mapstyle.js';

const PIXEL_RATIO = 2;

function canvas(w, h) {
  const c = document.createElement('canvas');
  c.width = w * PIXEL_RATIO;
  c.height = h * PIXEL_RATIO;
  const ctx = c.getContext('2d');
  ctx.scale(PIXEL_RATIO, PIXEL_RATIO);
  return { c, ctx };
}

function imageData({ c, ctx }) {
  return ctx.getImageData(0, 0, c.width, c.height);
}

/** Diagonal hatch, 12 × 12 px, dark red on transparent. */
export function hatchImage(color = COMPOUND_COLORS.threeNo.line) {
  const k = canvas(12, 12);
  const { ctx } = k;
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.6;
  ctx.lineCap = 'square';
  for (const off of [-12, 0, 12]) {
    ctx.beginPath();
    ctx.moveTo(off, 12);
    ctx.lineTo(off + 12, 0);
    ctx.stroke();
  }
  return imageData(k);
}

/** A rounded square marker (diamond-free, so it reads apart from the round station markers). */
export function serviceMarker(color, size = 16) {
  const k = canvas(size, size);
  const { ctx } = k;
  const r = 3;
  const x = 1.5;
  const y = 1.5;
  const w = size - 3;
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + w, r);
  ctx.arcTo(x + w, y + w, x, y + w, r);
  ctx.arcTo(x, y + w, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
  ctx.fillStyle = color;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = '#ffffff';
  ctx.stroke();
  return imageData(k);
}

/**
 * Supplies the style's images when MapLibre first asks for them: the three-no hatch and a marker
 * per service type (grey for a type this map does not know).
 */
export function installImages(map) {
  // Added as soon as the style is parsed, before any tile is laid out: a pattern missing when a
  // tile is laid out would leave that tile without it.
  const addAll = () => {
    if (!map.hasImage('hatch-three-no')) map.addImage('hatch-three-no', hatchImage(), { pixelRatio: PIXEL_RATIO });
    for (const [type, color] of Object.entries(SERVICE_COLORS)) {
      if (!map.hasImage(`svc-${type}`)) map.addImage(`svc-${type}`, serviceMarker(color), { pixelRatio: PIXEL_RATIO });
    }
  };
  if (map.isStyleLoaded()) addAll();
  else map.once('style.load', addAll);
  map.on('styleimagemissing', (e) => {
    if (map.hasImage(e.id)) return;
    if (e.id === 'hatch-three-no') {
      map.addImage(e.id, hatchImage(), { pixelRatio: PIXEL_RATIO });
    } else if (e.id.startsWith('svc-')) {
      const color = SERVICE_COLORS[e.id.slice(4)] ?? '#757575';
      map.addImage(e.id, serviceMarker(color), { pixelRatio: PIXEL_RATIO });
    }
  });
}
