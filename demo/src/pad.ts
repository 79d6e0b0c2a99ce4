/**
 * A drawn digit turned into an MNIST input, as MNIST's own digits were made: the ink's
 * bounding box scaled to fit 20 × 20 pixels (aspect kept, area-averaged), then placed in the
 * 28 × 28 frame with its centre of mass at the centre.
 */

/** Pixels of the model's input frame per side. */
export const SIDE = 28;
const BOX = 20;

/**
 * The 784 pixels in [0, 1] of the ink in `ink` (`width × height` values in [0, 1], row-major),
 * or null when nothing is drawn.
 */
export function toMnist(ink: Float32Array, width: number, height: number): Float32Array | null {
  if (ink.length !== width * height) {
    throw new Error(`toMnist: ${ink.length} values for a ${width} × ${height} pad`);
  }
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > 0) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = BOX / Math.max(w, h);
  const [bw, bh] = [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
  // Area average: each box pixel takes the mean of the pad pixels that fall in it.
  const box = new Float32Array(bw * bh);
  const hits = new Float32Array(bw * bh);
  for (let y = y0; y <= y1; y++) {
    const by = Math.min(bh - 1, Math.floor(((y - y0) * bh) / h));
    for (let x = x0; x <= x1; x++) {
      const bx = Math.min(bw - 1, Math.floor(((x - x0) * bw) / w));
      box[by * bw + bx] += ink[y * width + x];
      hits[by * bw + bx]++;
    }
  }
  let [mass, mx, my] = [0, 0, 0];
  for (let i = 0; i < box.length; i++) {
    box[i] /= hits[i] || 1;
    mass += box[i];
    mx += box[i] * (i % bw);
    my += box[i] * Math.floor(i / bw);
  }
  const ox = Math.round(SIDE / 2 - 0.5 - mx / mass);
  const oy = Math.round(SIDE / 2 - 0.5 - my / mass);
  const out = new Float32Array(SIDE * SIDE);
  for (let y = 0; y < bh; y++) {
    for (let x = 0; x < bw; x++) {
      const [tx, ty] = [x + ox, y + oy];
      if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) out[ty * SIDE + tx] = box[y * bw + x];
    }
  }
  return out;
}
