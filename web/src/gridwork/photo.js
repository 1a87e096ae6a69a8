// A photo taken on the phone, made small enough to send and to keep in the outbox: drawn on a
// canvas at most 1280 px on its longer side and encoded as a JPEG data URL of at most ~300 KB
// (lower quality first, then smaller, until it fits).

/** Longest side of a sent photo, in pixels. */
export const MAX_SIDE = 1280;
/** Largest sent photo, in bytes of JPEG. */
export const MAX_BYTES = 300_000;

/** `{ width, height }` scaled to fit `max` on the longer side (never enlarged). */
export function fitWithin(width, height, max = MAX_SIDE) {
  const scale = Math.min(1, max / Math.max(width, height, 1));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The bytes a base64 data URL decodes to. */
export function dataUrlBytes(url) {
  const b64 = String(url).slice(String(url).indexOf(',') + 1);
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((b64.length * 3) / 4) - pad;
}

async function decode(file) {
  if (typeof createImageBitmap === 'function') {
    try {
      return await createImageBitmap(file, { imageOrientation: 'from-image' });
    } catch {
      // fall back to an <img> (older browsers, or options not understood)
    }
  }
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return img;
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** A photo file (an image of any size) as a JPEG data URL within `maxSide` px and `maxBytes`. */
export async function downscalePhoto(file, { maxSide = MAX_SIDE, maxBytes = MAX_BYTES } = {}) {
  const image = await decode(file);
  const w0 = image.width || image.naturalWidth;
  const h0 = image.height || image.naturalHeight;
  if (!w0 || !h0) throw new Error('not an image');
  let side = maxSide;
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const { width, height } = fitWithin(w0, h0, side);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff'; // a transparent PNG gets a white ground, not black
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(image, 0, 0, width, height);
    for (const quality of [0.85, 0.72, 0.6, 0.5]) {
      const url = canvas.toDataURL('image/jpeg', quality);
      if (dataUrlBytes(url) <= maxBytes) {
        image.close?.();
        return url;
      }
    }
    side = Math.round(Math.max(width, height) * 0.75);
  }
  image.close?.();
  throw new Error('photo too large');
}
