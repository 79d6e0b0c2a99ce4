// lib dom: the WebAssembly namespace (the global of Node and browsers alike).
/// <reference lib="dom" />
/**
 * The wasm backend's storage: tensors live in one shared WebAssembly.Memory, as typed-array
 * views, so the kernels read and write them in place and the cpu backend's TS kernels see
 * ordinary typed arrays. A shared memory grows without detaching, so views made before a
 * growth stay valid (a non-shared one would detach every view).
 *
 * Blocks come from size classes, four per octave (at most 25% slack), each with a free list;
 * a training loop allocates the same sizes every step, so after the first step it reuses
 * blocks. Freed blocks are never merged.
 */
import type { DType, TypedArray } from '@dlrt/core';
import { allocArray } from '@dlrt/core';

const PAGE = 65536;
/** 4 GiB: wasm32's whole address space. */
const MAX_PAGES = 65536;
/** Block alignment: a cache line, and enough for every v128 access. */
const ALIGN = 64;
/** Bytes below this address are never handed out (address 0 stays invalid). */
const BASE = 1024;

/** Size class of a request: the next of 2^e·{1, 1.25, 1.5, 1.75} at or above it. */
function classOf(bytes: number): number {
  const b = Math.max(ALIGN, bytes);
  const e = Math.floor(Math.log2(b));
  const step = Math.max(ALIGN, 2 ** (e - 2));
  return Math.ceil(b / step) * step;
}

const ELEMENT_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4 };

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  private top = BASE;
  private readonly freeLists = new Map<number, number[]>();
  /** Class size of every block handed out, by address. */
  private readonly blocks = new Map<number, number>();
  /** Every buffer object this memory has had (a growth makes a new one). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private inUse = 0;

  /** Throws where shared WebAssembly memory is unavailable (a browser page that is not
   * cross-origin isolated). */
  constructor(initialBytes = 16 * PAGE) {
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(initialBytes / PAGE), maximum: MAX_PAGES, shared: true,
    });
    this.buffers.add(this.memory.buffer);
  }

  /** A 64-byte-aligned block of at least `bytes` bytes; null when the memory is full. */
  malloc(bytes: number): number | null {
    const size = classOf(bytes);
    const ptr = this.freeLists.get(size)?.pop() ?? this.bump(size);
    if (ptr === null) return null;
    this.blocks.set(ptr, size);
    this.inUse += size;
    return ptr;
  }

  /** Returns a block from `malloc` to its free list. */
  free(ptr: number): void {
    const size = this.blocks.get(ptr);
    if (size === undefined) throw new Error(`wasm heap: free of unknown block ${ptr}`);
    this.blocks.delete(ptr);
    this.inUse -= size;
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
  }

  private bump(size: number): number | null {
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      // Grow by at least a quarter, so a growing model grows the memory a few times only.
      const want = Math.max(pages, Math.ceil(have / PAGE / 4));
      const room = MAX_PAGES - have / PAGE;
      if (pages > room) return null;
      this.memory.grow(Math.min(want, room));
      this.buffers.add(this.memory.buffer);
    }
    this.top = end;
    return ptr;
  }

  /**
   * Storage for `n` elements in this memory, zeroed unless `zeroed` is false, or, when the
   * memory is full, on the JS heap (the kernels then copy it in when they need it there).
   */
  alloc(dtype: DType, n: number, zeroed = true): TypedArray {
    const e = ELEMENT_BYTES[dtype];
    const ptr = n > 0 ? this.malloc(n * e) : null;
    if (ptr === null) return allocArray(dtype, n);
    const v = this.view(dtype, ptr, n);
    if (zeroed) v.fill(0);
    return v;
  }

  /** Frees storage from `alloc`; arrays outside this memory are left to the GC. */
  release(values: TypedArray): void {
    if (this.owns(values)) this.free(values.byteOffset);
  }

  /** A view of n elements at byte address `ptr`. */
  view(dtype: DType, ptr: number, n: number): TypedArray {
    const buf = this.memory.buffer;
    switch (dtype) {
      case 'float32': return new Float32Array(buf, ptr, n);
      case 'float64': return new Float64Array(buf, ptr, n);
      default: return new Int32Array(buf, ptr, n);
    }
  }

  /** True when `x` is a view of this memory (its byteOffset is then its address). */
  owns(x: ArrayBufferView): boolean {
    return this.buffers.has(x.buffer);
  }

  /** Bytes in blocks handed out, and bytes the memory holds. */
  stats(): { inUse: number; reserved: number } {
    return { inUse: this.inUse, reserved: this.memory.buffer.byteLength };
  }
}
