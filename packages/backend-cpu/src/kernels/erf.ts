/**
 * erf to a few ulp in float64. Below |x| = ½ it sums the everywhere-positive series
 * erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), which has no cancellation and needs
 * few terms there. From ½ to 6 it evaluates Chebyshev interpolants of that series, one per
 * interval of width ½, built once at load: the series needs up to ~100 terms near 6, the
 * interpolant 15. Past |x| = 6, erf(x) rounds to ±1 in float64.
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/** The series above for a ≥ 0. */
function erfSeries(a: number): number {
  const x2 = a * a;
  let term = a;
  let total = a;
  for (let n = 0; n < 300; n++) {
    term *= (2 * x2) / (2 * n + 3);
    total += term;
    if (term < total * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * total;
}

const FROM = 0.5;
const TO = 6;
const WIDTH = 0.5;
/** Degree 14 on a width-½ interval: the interpolation error bound is below 1e-17. */
const TERMS = 15;
const PIECES = Math.round((TO - FROM) / WIDTH);

/** erf at each piece's midpoint. */
const MIDS = Float64Array.from({ length: PIECES }, (_, p) => erfSeries(FROM + (p + 0.5) * WIDTH));

/**
 * Chebyshev coefficients of erf(a) − erf(mid) on each piece, from its values at the Chebyshev
 * nodes. Interpolating the difference keeps the rounding of the sums relative to the small
 * change across a piece, not to erf ≈ 1.
 */
const COEFFS = (() => {
  const c = new Float64Array(PIECES * TERMS);
  const f = new Float64Array(TERMS);
  const theta = (k: number) => (Math.PI * (k + 0.5)) / TERMS;
  for (let p = 0; p < PIECES; p++) {
    const mid = FROM + (p + 0.5) * WIDTH;
    for (let k = 0; k < TERMS; k++) {
      f[k] = erfSeries(mid + (WIDTH / 2) * Math.cos(theta(k))) - MIDS[p];
    }
    for (let j = 0; j < TERMS; j++) {
      let s = 0;
      for (let k = 0; k < TERMS; k++) s += f[k] * Math.cos(j * theta(k));
      c[p * TERMS + j] = ((j === 0 ? 1 : 2) / TERMS) * s;
    }
  }
  return c;
})();

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= TO) return Math.sign(x);
  let r: number;
  if (a < FROM) {
    r = erfSeries(a);
  } else {
    // Clenshaw's recurrence for Σⱼ cⱼ Tⱼ(t), t the position in the piece scaled to [−1, 1].
    const p = Math.min(PIECES - 1, Math.floor((a - FROM) / WIDTH));
    const t = (2 * (a - FROM - p * WIDTH)) / WIDTH - 1;
    const o = p * TERMS;
    let b1 = 0;
    let b2 = 0;
    for (let j = TERMS - 1; j >= 1; j--) {
      const b0 = 2 * t * b1 - b2 + COEFFS[o + j];
      b2 = b1;
      b1 = b0;
    }
    r = MIDS[p] + (t * b1 - b2 + COEFFS[o]);
  }
  return x < 0 ? -r : r;
}
