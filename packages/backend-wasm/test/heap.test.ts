import t from 'tap';
import { WasmHeap } from '../src/heap.js';

t.test('alloc: zeroed, aligned views of the memory; reuse after release', (t) => {
  const heap = new WasmHeap();
  const a = heap.alloc('float32', 10) as Float32Array;
  t.ok(heap.owns(a) && a.length === 10 && a.byteOffset % 64 === 0);
  a.fill(7);
  heap.release(a);
  const b = heap.alloc('float32', 9);
  t.equal(b.byteOffset, a.byteOffset, 'a freed block of the same class is reused');
  t.same(Array.from(b), new Array(9).fill(0), 'a reused block is zeroed');
  const c = heap.alloc('int32', 3), d = heap.alloc('float64', 3);
  t.ok(c instanceof Int32Array && d instanceof Float64Array);
  t.notOk(heap.owns(new Float32Array(4)), 'a JS-heap array is not the memory\'s');
  heap.release(new Float32Array(4) as never); // foreign arrays are left to the GC
  t.throws(() => heap.free(12345), /unknown block 12345/);
  t.end();
});

t.test('growth keeps earlier views valid (shared memory does not detach)', (t) => {
  const heap = new WasmHeap(65536);
  const a = heap.alloc('float64', 100) as Float64Array;
  a.fill(3);
  const before = heap.stats().reserved;
  const big = heap.alloc('float32', 1 << 22); // 16 MiB: grows the memory
  t.ok(heap.stats().reserved > before, 'the memory grew');
  t.ok(heap.owns(big) && heap.owns(a));
  t.equal(a.length, 100);
  t.ok(a.every((v) => v === 3), 'the old view still reads its values');
  t.end();
});

t.test('size classes waste at most 25% beyond the 64-byte alignment', (t) => {
  const heap = new WasmHeap();
  for (const bytes of [1, 63, 64, 65, 1000, 4097, 100_000, 3_000_001]) {
    const before = heap.stats().inUse;
    const p = heap.malloc(bytes)!;
    const size = heap.stats().inUse - before;
    t.ok(size >= bytes && size <= Math.max(64, bytes * 1.25 + 64), `${bytes} → ${size}`);
    heap.free(p);
  }
  t.end();
});
