/**
 * Linear algebra on the gpu backend: where each factorization runs, and why (docs/gpu.md).
 *
 * - QR of a tall-skinny matrix (2-D, m ≥ n, n ≤ 256) runs on the device by CholeskyQR2:
 *   G = AᵀA and Q = A·R⁻¹ are device matmuls; only the n×n Gram matrix and R cross to the
 *   host, where the Cholesky factor and R⁻¹ are computed in float64. When the Cholesky
 *   factorization fails or Q comes out non-orthogonal (κ(A) beyond about u^(-1/2)), shifted
 *   CholeskyQR3 (Fukaya et al. 2020) retries with G + sI; when that fails too (rank-deficient
 *   or zero input), Householder QR on the host is the fallback.
 * - SVD: up to 256 rows and columns on the host (float64). A tall matrix with more rows and at
 *   most 256 columns is first reduced on the device (Q·R above), then R's SVD runs on the host
 *   and U = Q·U_R on the device; wide ones go through the transpose. Larger in both
 *   dimensions: on the host, which is correct but slow.
 * - eigh, cholesky and solveTriangular: on the host (float64); in dynamical low-rank training
 *   they act on r×r factors, small next to the host–device copy.
 * Host work uses the cpu backend's kernels, in float64, and returns float32 to the device.
 */
import type { DataId, Shape, TensorInfo, TriangularOptions } from '@dlrt/core';
import { sizeOf } from '@dlrt/core';
import { linalgKernels } from '@dlrt/backend-cpu';
import type { GpuBackend } from './gpu-backend.js';

/**
 * Largest dimension handled on the host outright, and the widest device QR.
 * @example const onDevice = m >= n && n <= HOST_MAX   // a tall-skinny QR by CholeskyQR2
 */
export const HOST_MAX = 256;
/**
 * ‖QᵀQ − I‖_F accepted from CholeskyQR (float32: a few hundred ulps at n ≤ 256); above it the
 * next method takes over (shifted CholeskyQR3, then Householder on the host).
 * @example orthonormalityError(linalg.qr(a).q) <= ORTH_TOL   // a [4096, 32] on the gpu backend
 */
export const ORTH_TOL = 1e-5;
/** float32 unit roundoff. */
const U32 = 2 ** -24;

const f32 = (dataId: DataId, shape: Shape): TensorInfo => ({ dataId, shape, dtype: 'float32' });

/** A device tensor onto the host backend, as float64. */
function toHost(b: GpuBackend, x: TensorInfo): TensorInfo {
  const v = Float64Array.from(b.readSync(x));
  return { dataId: b.host.write(v, x.shape, 'float64'), shape: x.shape, dtype: 'float64' };
}

/** A host result back onto the device, as the dtype the caller's tensor has. */
function fromHost(b: GpuBackend, id: DataId, shape: Shape, like: TensorInfo): DataId {
  const v = b.host.readSync({ dataId: id, shape, dtype: 'float64' });
  return b.write(Float32Array.from(v), shape, like.dtype);
}

const dims = (a: TensorInfo): [number, number, Shape] => {
  const r = a.shape.length;
  return [a.shape[r - 2], a.shape[r - 1], a.shape.slice(0, r - 2)];
};

function hostQr(b: GpuBackend, a: TensorInfo): { q: DataId; r: DataId } {
  const [m, n, batch] = dims(a);
  const k = Math.min(m, n);
  const h = b.host.qr(toHost(b, a));
  return { q: fromHost(b, h.q, [...batch, m, k], a), r: fromHost(b, h.r, [...batch, k, n], a) };
}

/** Upper-triangular R (n×n, float64) with G = RᵀR, or null if G is not positive definite. */
function cholUpper(g: Float64Array, n: number): Float64Array | null {
  let l: Float64Array;
  try {
    l = linalgKernels.cholesky(g, n);
  } catch {
    return null;
  }
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) r[i * n + j] = l[j * n + i];
  return r;
}

/** R⁻¹ of an upper-triangular R, by a triangular solve against the identity (host, float64). */
function invUpper(r: Float64Array, n: number): Float64Array {
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  return linalgKernels.solveTriangular(r, n, eye, n, { lower: false });
}

function mulUpper(x: Float64Array, y: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let p = i; p <= j; p++) s += x[i * n + p] * y[p * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}

/** G = AᵀA on the device, read back in float64. */
function gram(b: GpuBackend, a: TensorInfo, n: number): Float64Array {
  const g = b.matmul(a, a, { transposeA: true }, [n, n]);
  const v = Float64Array.from(b.readSync(f32(g, [n, n])));
  b.disposeData(g);
  return v;
}

/**
 * One CholeskyQR pass with an optional shift: R = chol(AᵀA + sI), Q = A·R⁻¹ on the device.
 * Returns null when the Cholesky factorization breaks down.
 */
function cholQr(b: GpuBackend, a: TensorInfo, m: number, n: number, shift: boolean):
  { q: DataId; r: Float64Array } | null {
  const g = gram(b, a, n);
  if (shift) {
    // s = 11(mn + n(n+1))·u·‖A‖²_F, the shift of Fukaya et al., with ‖A‖²_F = trace(G).
    let tr = 0;
    for (let i = 0; i < n; i++) tr += g[i * n + i];
    const s = 11 * (m * n + n * (n + 1)) * U32 * tr;
    for (let i = 0; i < n; i++) g[i * n + i] += s;
  }
  const r = cholUpper(g, n);
  if (!r || !r.every(Number.isFinite)) return null;
  const rinv = b.write(Float32Array.from(invUpper(r, n)), [n, n], 'float32');
  const q = b.matmul(a, f32(rinv, [n, n]), {}, [m, n]);
  b.disposeData(rinv);
  return { q, r };
}

/** ‖QᵀQ − I‖_F from a device Gram matrix. */
function orthError(b: GpuBackend, q: DataId, m: number, n: number): number {
  const g = gram(b, f32(q, [m, n]), n);
  let e = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) e += (g[i * n + j] - (i === j ? 1 : 0)) ** 2;
  }
  return Math.sqrt(e);
}

/**
 * CholeskyQR2, or shifted CholeskyQR3 when `shifted`: passes of CholeskyQR, each on the
 * previous Q, with R the product of the passes' factors. Null if any pass breaks down or the
 * final Q is not orthonormal to ORTH_TOL.
 */
function cholQrN(b: GpuBackend, a: TensorInfo, m: number, n: number, shifted: boolean):
  { q: DataId; r: DataId } | null {
  const passes = shifted ? [true, false, false] : [false, false];
  let q: DataId | null = null;
  let r: Float64Array | null = null;
  for (const shift of passes) {
    const step = cholQr(b, q === null ? a : f32(q, [m, n]), m, n, shift);
    if (q !== null) b.disposeData(q);
    if (!step) return null;
    q = step.q;
    r = r === null ? step.r : mulUpper(step.r, r, n);
  }
  if (orthError(b, q!, m, n) > ORTH_TOL) {
    b.disposeData(q!);
    return null;
  }
  return { q: q!, r: b.write(Float32Array.from(r!), [n, n], a.dtype) };
}

/** Which algorithm produced a QR factorization (GpuBackend.lastQrMethod reports it). */
export type QrMethod = 'CholeskyQR2' | 'shifted CholeskyQR3' | 'Householder (host)';

export function qr(b: GpuBackend, a: TensorInfo): { q: DataId; r: DataId } {
  const [m, n, batch] = dims(a);
  const tallSkinny = batch.length === 0 && m >= n && n <= HOST_MAX && n > 0;
  if (tallSkinny) {
    let got = cholQrN(b, a, m, n, false);
    b.lastQrMethod = 'CholeskyQR2';
    if (!got) {
      got = cholQrN(b, a, m, n, true);
      b.lastQrMethod = 'shifted CholeskyQR3';
    }
    if (got) return got;
  }
  b.lastQrMethod = 'Householder (host)';
  return hostQr(b, a);
}

export function svd(b: GpuBackend, a: TensorInfo): { u: DataId; s: DataId; v: DataId } {
  const [m, n, batch] = dims(a);
  if (batch.length === 0 && Math.min(m, n) <= HOST_MAX && Math.max(m, n) > HOST_MAX) {
    if (m < n) {
      // A = U S Vᵀ  ⇔  Aᵀ = V S Uᵀ.
      const at = b.transpose(a, [1, 0]);
      const t = svd(b, { dataId: at, shape: [n, m], dtype: a.dtype });
      b.disposeData(at);
      return { u: t.v, s: t.s, v: t.u };
    }
    // Tall: A = Q·R on the device, R = U_R·S·Vᵀ on the host, U = Q·U_R on the device.
    const f = qr(b, a);
    const h = b.host.svd(toHost(b, { dataId: f.r, shape: [n, n], dtype: a.dtype }));
    const ur = fromHost(b, h.u, [n, n], a);
    const u = b.matmul({ dataId: f.q, shape: [m, n], dtype: a.dtype },
      { dataId: ur, shape: [n, n], dtype: a.dtype }, {}, [m, n]);
    [f.q, f.r, ur].forEach((d) => b.disposeData(d));
    return { u, s: fromHost(b, h.s, [n], a), v: fromHost(b, h.v, [n, n], a) };
  }
  const k = Math.min(m, n);
  const h = b.host.svd(toHost(b, a));
  return { u: fromHost(b, h.u, [...batch, m, k], a), s: fromHost(b, h.s, [...batch, k], a),
    v: fromHost(b, h.v, [...batch, n, k], a) };
}

export function eigh(b: GpuBackend, a: TensorInfo): { values: DataId; vectors: DataId } {
  const [, n, batch] = dims(a);
  const h = b.host.eigh(toHost(b, a));
  return { values: fromHost(b, h.values, [...batch, n], a),
    vectors: fromHost(b, h.vectors, a.shape, a) };
}

export function cholesky(b: GpuBackend, a: TensorInfo): DataId {
  return fromHost(b, b.host.cholesky(toHost(b, a)), a.shape, a);
}

export function solveTriangular(b: GpuBackend, a: TensorInfo, rhs: TensorInfo,
  o: TriangularOptions): DataId {
  const x = b.host.solveTriangular(toHost(b, a), toHost(b, rhs), o);
  const shape = [...a.shape.slice(0, -2), rhs.shape[rhs.shape.length - 2],
    rhs.shape[rhs.shape.length - 1]];
  return fromHost(b, x, sizeOf(shape) === sizeOf(rhs.shape) ? rhs.shape : shape, rhs);
}
