/**
 * Householder reflectors H = I − τ·v·vᵀ (v₀ = 1) on row-major Float64Array storage, shared by
 * QR (qr-factor.ts), bidiagonalization (bidiag.ts) and tridiagonalization (eigh.ts).
 * Conventions follow LAPACK's dlarfg/dlarf (Golub & Van Loan, Matrix Computations, §5.1).
 */

/** Sums of squares outside [TINY, HUGE] may have under/overflowed: rescale and redo. */
const TINY = 1e-280;
const HUGE = 1e280;
/** Below this |alpha − beta|, divide instead of multiplying by a reciprocal that overflows. */
const SAFE_RECIP = 1e-290;

/**
 * Euclidean norm of x[off + i·stride], i < len, without overflow or underflow: a plain sum
 * of squares, redone with scaling by the largest magnitude only when it left the safe range.
 */
export function norm2(x: Float64Array, off: number, stride: number, len: number): number {
  let ss = 0;
  for (let i = 0, p = off; i < len; i++, p += stride) ss += x[p] * x[p];
  if (ss >= TINY && ss <= HUGE) return Math.sqrt(ss);
  let big = 0;
  for (let i = 0, p = off; i < len; i++, p += stride) big = Math.max(big, Math.abs(x[p]));
  if (big === 0 || !Number.isFinite(big)) return big;
  ss = 0;
  for (let i = 0, p = off; i < len; i++, p += stride) {
    const y = x[p] / big;
    ss += y * y;
  }
  return big * Math.sqrt(ss);
}

/** √(a² + b²) for a, b ≥ 0 without overflow. */
export function hypot2(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big === 0) return 0;
  const r = small / big;
  return big * Math.sqrt(1 + r * r);
}

/**
 * Generates the reflector that maps [alpha; x] = [x[off]; x[off + stride·i], 1 ≤ i < len] to
 * [beta; 0] (LAPACK dlarfg). Overwrites x[off] with beta and the tail with v(1:), and
 * returns τ. τ = 0 (H = I) when the tail is zero, so zero columns stay exact.
 */
export function makeReflector(x: Float64Array, off: number, stride: number, len: number): number {
  if (len <= 1) return 0;
  const xnorm = norm2(x, off + stride, stride, len - 1);
  if (xnorm === 0) return 0;
  const alpha = x[off];
  const beta = (alpha >= 0 ? -1 : 1) * hypot2(Math.abs(alpha), xnorm);
  const tau = (beta - alpha) / beta;
  const scale = alpha - beta; // |scale| ≥ |beta| ≥ xnorm > 0, so |v_i| ≤ 1
  const end = off + len * stride;
  if (Math.abs(scale) > SAFE_RECIP) {
    const inv = 1 / scale;
    for (let p = off + stride; p < end; p += stride) x[p] *= inv;
  } else {
    for (let p = off + stride; p < end; p += stride) x[p] /= scale;
  }
  x[off] = beta;
  return tau;
}

/** y[yo + i] += alpha·x[xo + i] for i < len, unrolled by four (V8 pays per iteration). */
export function axpy(
  alpha: number, x: Float64Array, xo: number, y: Float64Array, yo: number, len: number,
): void {
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    y[yo + i] += alpha * x[xo + i];
    y[yo + i + 1] += alpha * x[xo + i + 1];
    y[yo + i + 2] += alpha * x[xo + i + 2];
    y[yo + i + 3] += alpha * x[xo + i + 3];
  }
  for (; i < len; i++) y[yo + i] += alpha * x[xo + i];
}

/** Σ x[xo + i]·y[yo + i] for i < len, with four partial sums. */
export function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    s0 += x[xo + i] * y[yo + i];
    s1 += x[xo + i + 1] * y[yo + i + 1];
    s2 += x[xo + i + 2] * y[yo + i + 2];
    s3 += x[xo + i + 3] * y[yo + i + 3];
  }
  for (; i < len; i++) s0 += x[xo + i] * y[yo + i];
  return (s0 + s1) + (s2 + s3);
}

/**
 * Applies H = I − τ·v·vᵀ from the left to the rows × cols block of row-major `a` at `aOff`
 * (row stride lda): A ← A − τ·v·(vᵀA). v[vOff + i·vStride] for 1 ≤ i < rows; v₀ = 1.
 * Row-major friendly: wᵀ = vᵀA accumulates over rows, then each row gets −τ·vᵢ·wᵀ; both
 * passes take four rows at a time (one load and store of w per four rows).
 * `w` is scratch of length ≥ cols.
 */
export function applyLeft(
  tau: number, v: Float64Array, vOff: number, vStride: number,
  a: Float64Array, aOff: number, lda: number, rows: number, cols: number, w: Float64Array,
): void {
  if (tau === 0 || cols <= 0 || rows <= 0) return;
  for (let c = 0; c < cols; c++) w[c] = a[aOff + c];
  let i = 1;
  for (; i + 8 <= rows; i += 8) {
    const r0 = aOff + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    const r4 = r3 + lda, r5 = r4 + lda, r6 = r5 + lda, r7 = r6 + lda;
    const p = vOff + i * vStride;
    const v0 = v[p], v1 = v[p + vStride], v2 = v[p + 2 * vStride], v3 = v[p + 3 * vStride];
    const v4 = v[p + 4 * vStride], v5 = v[p + 5 * vStride], v6 = v[p + 6 * vStride];
    const v7 = v[p + 7 * vStride];
    for (let c = 0; c < cols; c++) {
      w[c] += (v0 * a[r0 + c] + v1 * a[r1 + c] + v2 * a[r2 + c] + v3 * a[r3 + c])
        + (v4 * a[r4 + c] + v5 * a[r5 + c] + v6 * a[r6 + c] + v7 * a[r7 + c]);
    }
  }
  for (; i + 4 <= rows; i += 4) {
    const r0 = aOff + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    const p = vOff + i * vStride;
    const v0 = v[p], v1 = v[p + vStride], v2 = v[p + 2 * vStride], v3 = v[p + 3 * vStride];
    for (let c = 0; c < cols; c++) {
      w[c] += v0 * a[r0 + c] + v1 * a[r1 + c] + v2 * a[r2 + c] + v3 * a[r3 + c];
    }
  }
  for (; i < rows; i++) axpy(v[vOff + i * vStride], a, aOff + i * lda, w, 0, cols);
  axpy(-tau, w, 0, a, aOff, cols);
  i = 1;
  for (; i + 4 <= rows; i += 4) {
    const r0 = aOff + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    const p = vOff + i * vStride;
    const t0 = tau * v[p], t1 = tau * v[p + vStride];
    const t2 = tau * v[p + 2 * vStride], t3 = tau * v[p + 3 * vStride];
    for (let c = 0; c < cols; c++) {
      const wc = w[c];
      a[r0 + c] -= t0 * wc; a[r1 + c] -= t1 * wc; a[r2 + c] -= t2 * wc; a[r3 + c] -= t3 * wc;
    }
  }
  for (; i < rows; i++) axpy(-tau * v[vOff + i * vStride], w, 0, a, aOff + i * lda, cols);
}

/**
 * Applies H = I − τ·v·vᵀ from the right to the rows × cols block of row-major `a`:
 * each row x ← x − τ·(x·v)·vᵀ, with v = [1, v[vOff + 1..cols−1]] contiguous. Four rows at
 * a time share each load of v.
 */
export function applyRight(
  tau: number, v: Float64Array, vOff: number,
  a: Float64Array, aOff: number, lda: number, rows: number, cols: number,
): void {
  if (tau === 0 || cols <= 0) return;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const r0 = aOff + i * lda, r1 = r0 + lda, r2 = r1 + lda, r3 = r2 + lda;
    let s0 = a[r0], s1 = a[r1], s2 = a[r2], s3 = a[r3];
    for (let c = 1; c < cols; c++) {
      const vc = v[vOff + c];
      s0 += a[r0 + c] * vc; s1 += a[r1 + c] * vc; s2 += a[r2 + c] * vc; s3 += a[r3 + c] * vc;
    }
    s0 *= tau; s1 *= tau; s2 *= tau; s3 *= tau;
    a[r0] -= s0; a[r1] -= s1; a[r2] -= s2; a[r3] -= s3;
    for (let c = 1; c < cols; c++) {
      const vc = v[vOff + c];
      a[r0 + c] -= s0 * vc; a[r1 + c] -= s1 * vc; a[r2 + c] -= s2 * vc; a[r3 + c] -= s3 * vc;
    }
  }
  for (; i < rows; i++) {
    const r = aOff + i * lda;
    const ts = tau * (a[r] + dot(a, r + 1, v, vOff + 1, cols - 1));
    a[r] -= ts;
    axpy(-ts, v, vOff + 1, a, r + 1, cols - 1);
  }
}

/**
 * A ← H·A·H for the symmetric len×len block A at aOff (row stride lda; only its lower
 * triangle is read and written), H = I − τ·v·vᵀ with v = v[vOff..vOff + len) stored whole
 * (v₀ = 1 explicitly): LAPACK dsytd2's step, p = τ·A·v, p ← p − (τ/2)(pᵀv)·v, then
 * A ← A − v·pᵀ − p·vᵀ. The matrix-vector product reads each row once, for both triangles.
 * `p` is scratch of length ≥ len.
 */
export function reflectSymmetric(
  tau: number, v: Float64Array, vOff: number,
  a: Float64Array, aOff: number, lda: number, len: number, p: Float64Array,
): void {
  if (tau === 0 || len <= 0) return;
  p.fill(0, 0, len);
  for (let r = 0; r < len; r++) {
    const vr = v[vOff + r];
    const row = aOff + r * lda;
    let acc = 0;
    for (let c = 0; c < r; c++) {
      const arc = a[row + c];
      acc += arc * v[vOff + c];
      p[c] += arc * vr;
    }
    p[r] += acc + a[row + r] * vr;
  }
  let pv = 0;
  for (let r = 0; r < len; r++) {
    p[r] *= tau;
    pv += p[r] * v[vOff + r];
  }
  const k = -0.5 * tau * pv;
  for (let r = 0; r < len; r++) p[r] += k * v[vOff + r];
  for (let r = 0; r < len; r++) {
    const vr = v[vOff + r], pr = p[r];
    const row = aOff + r * lda;
    for (let c = 0; c <= r; c++) a[row + c] -= vr * p[c] + pr * v[vOff + c];
  }
}
