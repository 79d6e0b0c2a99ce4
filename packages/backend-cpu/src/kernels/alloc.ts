import type { DType, TypedArray } from '@dlrt/core';

/**
 * Where a kernel puts its result: zeroed storage for n elements. The default is a plain typed
 * array; a backend built on this one passes its own storage (backend-wasm: its memory).
 */
export type OutAlloc = (dtype: DType, n: number) => TypedArray;
