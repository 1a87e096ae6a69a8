// Plane geometry on lon/lat arrays shared by the map's pure modules. No DOM.

/** Whether `[x, y]` lies inside the ring `[[x, y], …]` (even–odd rule; closed or not). */
export function pointInRing([x, y], ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
