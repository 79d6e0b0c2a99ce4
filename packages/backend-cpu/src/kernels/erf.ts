/**
 * erf to about 1 ulp in float64, from the everywhere-positive series
 * erf(x) = 2/√π · e^(−x²) · Σₙ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), which has no cancellation.
 * Past |x| = 6, erf(x) rounds to ±1 in float64.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  const x2 = a * a;
  let term = a;
  let total = a;
  for (let n = 0; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 3);
    total += term;
    if (term < total * 1e-17) break;
  }
  const r = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * total;
  return x < 0 ? -r : r;
}
