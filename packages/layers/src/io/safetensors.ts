/**
 * The safetensors format (Hugging Face), over bytes only, so it runs in a browser as in Node:
 *
 *   [8 bytes: N, u64 little-endian] [N bytes: JSON header] [data]
 *
 * The header maps each tensor's name to { dtype, shape, data_offsets: [begin, end] } (byte
 * offsets into the data), plus an optional "__metadata__" of string values. The data is raw
 * little-endian values, every byte of it belonging to exactly one tensor. Writers may pad the
 * header with trailing spaces; ours pads it so the data starts 8-byte aligned, as the Rust
 * writer does.
 */

/** The dtypes dlrt reads and writes, by their safetensors names. */
const DTYPES = { F32: 'float32', F64: 'float64', I32: 'int32' } as const;
type SafeName = keyof typeof DTYPES;
/** A dtype dlrt reads and writes: 'float32' (F32), 'float64' (F64) or 'int32' (I32). */
export type SafeDType = (typeof DTYPES)[SafeName];

/** A tensor's values as stored: dtype, shape and a typed array of shape's size. */
export interface SafeTensor {
  /** The values' dtype. */
  dtype: SafeDType;
  /** The shape, integers ≥ 0 ([] for a scalar). */
  shape: number[];
  /** The values in row-major order, the typed array of `dtype`. */
  data: Float32Array | Float64Array | Int32Array;
}

/** A decoded file: its tensors in data order, and its metadata. */
export interface Safetensors {
  /** The tensors by name, in the order of their data. */
  tensors: Map<string, SafeTensor>;
  /** The "__metadata__" strings ({} when the file has none). */
  metadata: Record<string, string>;
}

const ARRAYS = { float32: Float32Array, float64: Float64Array, int32: Int32Array } as const;
/** The largest header we accept (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

function fail(source: string, what: string): never {
  throw new Error(`safetensors: ${source}: ${what}`);
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * The file's bytes: header (with `metadata`, if any, as "__metadata__") and data, tensors in
 * the order given. Deterministic: the same tensors and metadata give the same bytes.
 * @throws Error naming the tensor for a dtype other than float32, float64 or int32, a shape
 *   that is not a list of integers ≥ 0, or data of the wrong length.
 * @example const w: SafeTensor = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) };
 *          encodeSafetensors([['w', w]], { note: 'two values' })
 */
export function encodeSafetensors(tensors: Iterable<[string, SafeTensor]>,
  metadata?: Record<string, string>): Uint8Array {
  if (!littleEndian()) fail('encode', 'a big-endian host is not supported');
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') fail('encode', `metadata '${k}' is not a string`);
    }
    header.__metadata__ = metadata;
  }
  const list = [...tensors];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || name in header) {
      fail('encode', `tensor name '${name}' is reserved or repeated`);
    }
    const code = (Object.keys(DTYPES) as SafeName[]).find((k) => DTYPES[k] === t.dtype);
    if (!code) fail('encode', `tensor '${name}': dtype '${String(t.dtype)}' is not supported`);
    checkShape(t.shape, 'encode', name);
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (!(t.data instanceof ARRAYS[t.dtype]) || t.data.length !== n) {
      fail('encode', `tensor '${name}': ${t.data.length} ${t.data.constructor.name} values ` +
        `for a ${t.dtype} tensor of shape [${t.shape}]`);
    }
    const end = offset + t.data.byteLength;
    header[name] = { dtype: code, shape: t.shape, data_offsets: [offset, end] };
    offset += t.data.byteLength;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of list) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file; `source` (a path, or 'upload') names it in errors. The values
 * are copied out, so the result does not hold `bytes`.
 * @throws Error naming the source and, where one is at fault, the tensor: a file shorter than
 *   its header says, a header that is not JSON, an unsupported dtype, a bad shape, offsets
 *   outside the data, overlapping, leaving holes or not matching the shape.
 * @example decodeSafetensors(bytes, 'model.safetensors').tensors.get('w')   // a SafeTensor
 */
export function decodeSafetensors(bytes: ArrayBuffer | Uint8Array, source = 'bytes'):
  Safetensors {
  if (!littleEndian()) fail(source, 'a big-endian host is not supported');
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (u8.length < 8) fail(source, `${u8.length} bytes: too short for the 8-byte header length`);
  const n = new DataView(u8.buffer, u8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, u8.length - 8))) {
    fail(source, `the header length ${n} runs past the file's ${u8.length} bytes (truncated?)`);
  }
  const headerEnd = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8.subarray(8,
      headerEnd)));
  } catch (e) {
    fail(source, `the header is not JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    fail(source, 'the header is not a JSON object');
  }
  const dataLength = u8.length - headerEnd;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDType; shape: number[]; begin: number;
    end: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) ||
        Object.values(raw).some((v) => typeof v !== 'string')) {
        fail(source, '__metadata__ is not an object of strings');
      }
      Object.assign(metadata, raw);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== 'object') fail(source, `tensor '${name}': not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPES)) {
      fail(source, `tensor '${name}': dtype ${JSON.stringify(e.dtype)} is not supported ` +
        `(dlrt reads ${Object.keys(DTYPES).join(', ')})`);
    }
    const dtype = DTYPES[e.dtype as SafeName];
    checkShape(e.shape, source, name);
    const o = e.data_offsets;
    if (!Array.isArray(o) || o.length !== 2 || !o.every((x) => Number.isSafeInteger(x)) ||
      o[0] < 0 || o[1] < o[0] || o[1] > dataLength) {
      fail(source, `tensor '${name}': data_offsets ${JSON.stringify(o)} are not within the ` +
        `${dataLength} data bytes`);
    }
    const want = e.shape.reduce((a: number, b: number) => a * b, 1) *
      ARRAYS[dtype].BYTES_PER_ELEMENT;
    if (o[1] - o[0] !== want) {
      fail(source, `tensor '${name}': ${o[1] - o[0]} bytes for ${dtype} shape [${e.shape}], ` +
        `which needs ${want}`);
    }
    entries.push({ name, dtype, shape: e.shape, begin: o[0], end: o[1] });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const e of entries) {
    if (e.begin !== covered) {
      fail(source, `tensor '${e.name}' starts at data byte ${e.begin}, where ${covered} was ` +
        `expected (${e.begin < covered ? 'overlapping' : 'a hole before it'})`);
    }
    covered = e.end;
  }
  if (covered !== dataLength) {
    fail(source, `the tensors cover ${covered} of the ${dataLength} data bytes`);
  }
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const Ctor = ARRAYS[e.dtype];
    const data = new Ctor((e.end - e.begin) / Ctor.BYTES_PER_ELEMENT);
    new Uint8Array(data.buffer).set(u8.subarray(headerEnd + e.begin, headerEnd + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata };
}

function checkShape(shape: unknown, source: string, name: string): asserts shape is number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(source, `tensor '${name}': shape ${JSON.stringify(shape)} is not a list of integers ≥ 0`);
  }
}
