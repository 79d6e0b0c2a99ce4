// safetensors files. Oracles: bytes written by hand from the format's definition (8-byte
// little-endian header length, JSON header, raw little-endian data), round trips compared byte
// for byte, and a model's outputs before and after a save and load.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { dispose, randn, Rng, tidy } from '@dlrt/core';
import '@dlrt/backend-cpu';
import {
  decodeSafetensors, Dense, encodeModel, encodeSafetensors, lenet5, loadModel, mlp, modelRanks,
  type SafeTensor, Sequential,
} from '../src/index.js';
import { loadModelFile, saveModelFile } from '../src/node/index.js';

/** A file as another writer might make it: `header` verbatim, then `data`. */
function file(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function bytesOf(...arrays: (Float32Array | Float64Array | Int32Array)[]): Uint8Array {
  const parts = arrays.map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

t.test('encode: the bytes the format defines, header padded to 8 with spaces', async (t) => {
  const a = new Float32Array([1.5, -2]);
  const got = encodeSafetensors([['a', { dtype: 'float32', shape: [2], data: a }]]);
  const json = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
  t.same(Array.from(got), Array.from(file(padded, bytesOf(a))));
  t.equal((got.length - 8) % 8, 0, 'data 8-byte aligned');
});

t.test('round trips are byte-exact, NaN payloads, −0, scalars and empty tensors included',
  async (t) => {
    const f32 = new Float32Array([0, -0, 1e-45, 3.4e38, NaN, -Infinity]);
    new Uint32Array(f32.buffer)[4] = 0x7fc00123; // a NaN with a payload
    const tensors: [string, SafeTensor][] = [
      ['w.f32', { dtype: 'float32', shape: [2, 3], data: f32 }],
      ['w.f64', { dtype: 'float64', shape: [], data: new Float64Array([Math.PI]) }],
      ['w.i32', { dtype: 'int32', shape: [3], data: new Int32Array([-1, 2 ** 31 - 1, 0]) }],
      ['w.empty', { dtype: 'float64', shape: [0, 4], data: new Float64Array(0) }],
    ];
    const meta = { model: '{"hidden":[500]}', note: 'ünïcode ✓' };
    const bytes = encodeSafetensors(tensors, meta);
    const back = decodeSafetensors(bytes);
    t.same(back.metadata, meta);
    t.same([...back.tensors.keys()], tensors.map(([n]) => n), 'data order kept');
    for (const [name, want] of tensors) {
      const got = back.tensors.get(name)!;
      t.same([got.dtype, got.shape], [want.dtype, want.shape], name);
      t.same(Array.from(bytesOf(got.data)), Array.from(bytesOf(want.data)), `${name} bits`);
    }
    t.same(Array.from(encodeSafetensors(back.tensors, back.metadata)), Array.from(bytes),
      'encode(decode(bytes)) = bytes');
    // The decoded values are copies: they outlive and ignore the input bytes.
    bytes.fill(0);
    t.equal(back.tensors.get('w.f64')!.data[0], Math.PI);
  });

t.test("another writer's file: other key order, extra padding, metadata last, offset base",
  async (t) => {
    const x = new Float64Array([1, 2, 3]), y = new Float32Array([4, 5]);
    // y's data comes first, but the header names x first; metadata at the end; 13 spaces.
    const header = '{"x":{"dtype":"F64","shape":[3,1],"data_offsets":[8,32]},' +
      '"y":{"shape":[2],"data_offsets":[0,8],"dtype":"F32"},' +
      '"__metadata__":{"format":"pt"}}' + ' '.repeat(13);
    const bytes = file(header, bytesOf(y, x));
    // Inside a larger buffer at an odd offset, as a Node Buffer from a pool can be.
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    const got = decodeSafetensors(big.subarray(3));
    t.same(got.metadata, { format: 'pt' });
    t.same([...got.tensors.keys()], ['y', 'x'], 'in data order');
    t.same(Array.from(got.tensors.get('x')!.data), [1, 2, 3]);
    t.same(got.tensors.get('x')!.shape, [3, 1]);
    t.same(Array.from(got.tensors.get('y')!.data), [4, 5]);
    const fromBuffer = decodeSafetensors(bytes.buffer as ArrayBuffer);
    t.same(Array.from(fromBuffer.tensors.get('y')!.data), [4, 5], 'an ArrayBuffer works too');
  });

t.test('corrupt files are errors that name the source and the tensor', async (t) => {
  const a = new Float32Array([1, 2]);
  const good = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const cases: [string, Uint8Array, RegExp][] = [
    ['short', new Uint8Array(5), /^safetensors: f\.st: 5 bytes: too short/],
    ['truncated header', file(good, bytesOf(a)).subarray(0, 30),
      /header length 54 runs past the file's 30 bytes \(truncated\?\)/],
    ['truncated data', file(good, bytesOf(a)).subarray(0, 8 + 54 + 4),
      /tensor 'a': data_offsets \[0,8\] are not within the 4 data bytes/],
    ['not JSON', file('{"a":', bytesOf(a)), /the header is not JSON/],
    ['not an object', file('[1,2]', bytesOf(a)), /the header is not a JSON object/],
    ['bf16', file(good.replace('F32', 'BF16'), bytesOf(a)),
      /tensor 'a': dtype "BF16" is not supported \(dlrt reads F32, F64, I32\)/],
    ['bad shape', file(good.replace('[2]', '[2.5]'), bytesOf(a)),
      /tensor 'a': shape \[2.5\] is not a list of integers ≥ 0/],
    ['size', file(good.replace('[2]', '[3]'), bytesOf(a)),
      /tensor 'a': 8 bytes for float32 shape \[3\], which needs 12/],
    ['hole', file(good, bytesOf(a, a)), /the tensors cover 8 of the 16 data bytes/],
    ['overlap', file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytesOf(a)),
    /tensor '(a|b)' starts at data byte [04], where [48] was expected \(overlapping\)/],
    ['metadata', file('{"__metadata__":{"n":1}}', new Uint8Array(0)),
      /__metadata__ is not an object of strings/],
  ];
  for (const [what, bytes, want] of cases) {
    t.throws(() => decodeSafetensors(bytes, 'f.st'), want, what);
  }
  t.throws(() => encodeSafetensors([['a', { dtype: 'float32', shape: [3], data: a }]]),
    /tensor 'a': 2 Float32Array values for a float32 tensor of shape \[3\]/);
  t.throws(() => encodeSafetensors([['a', { dtype: 'int8' as 'int32', shape: [2], data: a }]]),
    /tensor 'a': dtype 'int8' is not supported/);
});

t.test('models: saved at their ranks, loaded into another draw at other ranks', async (t) => {
  const a = lenet5({ rng: new Rng(1), lowRank: { rank: [4, 7, 30] } });
  const b = lenet5({ rng: new Rng(2), lowRank: { rank: [6, 12, 50] } });
  const x = randn([3, 1, 28, 28], { seed: 3 });
  const bytes = encodeModel(a, { model: 'lenet5' });
  const meta = loadModel(b, bytes, 'a.safetensors');
  t.equal(meta.model, 'lenet5');
  t.same(modelRanks(b), modelRanks(a), 'the saved ranks');
  t.same(JSON.parse(meta['dlrt.ranks']), modelRanks(a));
  const [ya, yb] = [a, b].map((m) => tidy(() => Array.from(m.forward(x).dataSync())));
  t.same(yb, ya, 'the same outputs, bit for bit');
  t.same(Array.from(encodeModel(b, { model: 'lenet5' })), Array.from(bytes),
    'saving the loaded model gives the same bytes');

  // Errors name the file and the tensor.
  const mlpA = mlp({ rng: new Rng(1), hidden: [16], lowRank: { rank: 4 } });
  t.throws(() => loadModel(mlpA, bytes, 'a.safetensors'),
    /^loadModel: a\.safetensors: tensor '.*' is not a parameter of the model/);
  const small = mlp({ rng: new Rng(1), hidden: [16] });
  const wide = mlp({ rng: new Rng(1), hidden: [17] });
  t.throws(() => loadModel(wide, encodeModel(small), 'm.st'),
    /^loadModel: m\.st: tensor '1\.weight' has shape \[16,784\], the model's \[17,784\]/);
  const f32 = new Sequential([new Dense(4, 3, { seed: 1 })]);
  const f64 = new Sequential([new Dense(4, 3, { seed: 1, dtype: 'float64' })]);
  t.throws(() => loadModel(f64, encodeModel(f32), 'm.st'),
    /tensor '0\.weight' is float32, the model's float64/);
  const noBias = encodeSafetensors([...decodeSafetensors(encodeModel(small)).tensors]
    .filter(([n]) => n !== '1.bias'));
  t.throws(() => loadModel(small, noBias, 'm.st'), /no tensor '1\.bias' \(shape \[16\]\)/);
  // A basis whose rank disagrees with its core.
  const parts = decodeSafetensors(encodeModel(mlpA)).tensors;
  const U = parts.get('1.U')!;
  parts.set('1.U', { ...U, shape: [16, 3], data: U.data.slice(0, 48) });
  t.throws(() => loadModel(mlpA, encodeSafetensors(parts), 'm.st'),
    /layer '1': basis '1\.U' of shape \[16,3\] does not fit its core \[4,4\]/);
  dispose(x);
  for (const m of [a, b, mlpA, small, wide, f32, f64]) m.dispose();
});

t.test('files: written atomically, read with errors naming the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dlrt-st-'));
  const path = join(dir, 'm.safetensors');
  const m = mlp({ rng: new Rng(1), hidden: [8], lowRank: { rank: 2 } });
  saveModelFile(path, m, { model: 'mlp' });
  const first = readFileSync(path);
  t.same(Array.from(first), Array.from(encodeModel(m, { model: 'mlp' })));
  // A save that fails while encoding leaves the old file whole.
  t.throws(() => saveModelFile(path, m, { 'dlrt.ranks': 'x' }), /metadata key 'dlrt\.ranks'/);
  t.same(Array.from(readFileSync(path)), Array.from(first), 'the old file, unchanged');
  const other = mlp({ rng: new Rng(9), hidden: [8], lowRank: { rank: 2 } });
  t.same(loadModelFile(path, other).model, 'mlp');
  t.throws(() => loadModelFile(join(dir, 'none.st'), other),
    /^loadModelFile: cannot read .*none\.st: ENOENT/);
  t.throws(() => saveModelFile(join(dir, 'no', 'm.st'), m), /directory '.*no' does not exist/);
  writeFileSync(path, first.subarray(0, first.length - 1));
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  t.throws(() => loadModelFile(path, other),
    new RegExp(`^safetensors: ${escaped}: tensor '3\\.bias': data_offsets .* are not ` +
      'within the \\d+ data bytes'));
  m.dispose();
  other.dispose();
});
