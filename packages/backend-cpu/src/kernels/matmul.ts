/** Batched matrix product: one GEMM per (broadcast) batch entry. */
import type { MatmulOptions, Shape } from '@dlrt/core';
import { stridesOf } from '@dlrt/core';
import { broadcastStrides, forEachRow } from './broadcast.js';
import type { FloatArray, GemmArgs } from './gemm-types.js';

/** Runs one GEMM; the backend passes either the single-thread kernel or its thread pool. */
export type GemmRunner = (args: GemmArgs) => void;

export function batchMatmul(run: GemmRunner, a: FloatArray, aShape: Shape, b: FloatArray,
  bShape: Shape, o: MatmulOptions, outShape: Shape, out: FloatArray): void {
  const r = outShape.length;
  const [m, n] = [outShape[r - 2], outShape[r - 1]];
  const k = o.transposeA ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const batch = outShape.slice(0, -2);
  const transA = !!o.transposeA, transB = !!o.transposeB;
  if (batch.length === 0) {
    run({ m, n, k, a, b, c: out, transA, transB, aOffset: 0, bOffset: 0, cOffset: 0 });
    return;
  }
  const base = { m, n, k, a, b, c: out, transA, transB };
  // Batch strides in units of whole matrices, 0 along broadcast dims.
  const aStr = broadcastStrides(aShape.slice(0, -2), batch).map((s) => s * m * k);
  const bStr = broadcastStrides(bShape.slice(0, -2), batch).map((s) => s * k * n);
  const cStr = stridesOf(batch).map((s) => s * m * n);
  forEachRow(batch, [aStr, bStr, cStr], (_, [ia, ib, ic], len, [sa, sb, sc]) => {
    for (let j = 0; j < len; j++) {
      run({ ...base, aOffset: ia + j * sa, bOffset: ib + j * sb, cOffset: ic + j * sc });
    }
  });
}
