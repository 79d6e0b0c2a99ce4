/** Batched matrix product with transpose flags, and its gradient. */
import type { MatmulOptions } from '../backend.js';
import { assertFloat } from '../dtype.js';
import { runOp } from '../run-op.js';
import { broadcastShapes, fmt } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { reduceTo } from './arithmetic.js';

/**
 * [...batch, m, n] of op(a)·op(b), or an error naming both shapes (rank < 2, dtypes that
 * differ or are not float, inner dims that differ, batch dims that do not broadcast).
 * @example matmulShape(a, b, { transposeB: true })   // a [8, 5, 3], b [4, 3] → [8, 5, 4]
 */
export function matmulShape(a: Tensor, b: Tensor, o: MatmulOptions): number[] {
  // Built only for an error: matmul is the hottest op, and most calls are small.
  const where = () =>
    `a ${fmt(a.shape)}${o.transposeA ? 'ᵀ' : ''} · b ${fmt(b.shape)}${o.transposeB ? 'ᵀ' : ''}`;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: ${where()}: both need rank ≥ 2`);
  if (a.dtype !== b.dtype) throw new Error(`matmul: ${where()}: dtypes ${a.dtype} vs ${b.dtype}`);
  assertFloat('matmul', 'a', a.dtype);
  const ra = a.rank, rb = b.rank;
  const [ar, ac] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [br, bc] = [b.shape[rb - 2], b.shape[rb - 1]];
  const [m, k] = o.transposeA ? [ac, ar] : [ar, ac];
  const [k2, n] = o.transposeB ? [bc, br] : [br, bc];
  if (k !== k2) throw new Error(`matmul: ${where()}: inner dims ${k} ≠ ${k2}`);
  if (ra === 2 && rb === 2) return [m, n];
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  return [...batch, m, n];
}

/**
 * op(a) · op(b) over the last two dims, where op transposes when asked; leading (batch) dims
 * broadcast. Gradients: for C = A·B, dA = dC·Bᵀ and dB = Aᵀ·dC (the flags permute these).
 * @example matmul(x, w, { transposeB: true })   // x·wᵀ
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  a.assertLive('matmul');
  b.assertLive('matmul');
  const tA = opts.transposeA ?? false;
  const tB = opts.transposeB ?? false;
  const o = { transposeA: tA, transposeB: tB };
  const shape = matmulShape(a, b, o);
  return runOp('matmul', [a, b], { shape, dtype: a.dtype }, (k) => k.matmul(a, b, o, shape),
    (dy, _, needs) => {
      const da = !needs[0] ? null : tA ? matmul(b, dy, { transposeA: tB, transposeB: true })
        : matmul(dy, b, { transposeB: !tB });
      const db = !needs[1] ? null : tB ? matmul(dy, a, { transposeA: true, transposeB: tA })
        : matmul(a, dy, { transposeA: !tA });
      return [da && reduceTo(da, a.shape), db && reduceTo(db, b.shape)];
    });
}
