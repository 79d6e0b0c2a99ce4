/**
 * The bundled digits (the 8,000/2,000 split of `mnist()`) as one compact file for the page:
 * the ten JSON files of the `mnist` package are 21 MB, this is 16 MB before gzip and about
 * 2 MB after. Pixels are stored as k/1000 (the package writes three decimals), so the page
 * gets exactly the float32 values that `mnist()` gives in Node.
 *
 * Layout (little-endian): magic `DLRTDIG1`, uint32 train count, uint32 test count, one uint8
 * label per image (train, then test), a pad byte when that count is odd, then 784 uint16
 * pixels per image in the same order.
 */


/**
 * The file name the page fetches, next to index.html: gzip bytes, but no .gz suffix, since
 * static servers send a .gz file with Content-Encoding: gzip and the browser would unzip it.
 */
export const DIGITS_FILE = 'digits.bin';

const MAGIC = 'DLRTDIG1';
const PIXELS = 784;
const HEADER = MAGIC.length + 8;

/** One split: `count` images of 784 pixels in [0, 1] and their labels. */
export interface Split {
  images: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** The bundled train and test splits. */
export interface Digits {
  train: Split;
  test: Split;
}

function labelBytes(count: number): number {
  return count + (count % 2);
}

/**
 * The file's bytes (before gzip). Throws naming the image and pixel when a pixel is not a
 * multiple of 1/1000 in [0, 1], since the format would change it.
 */
export function encodeDigits(d: Digits): Uint8Array {
  const total = d.train.count + d.test.count;
  const bytes = new Uint8Array(HEADER + labelBytes(total) + 2 * PIXELS * total);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(MAGIC.length, d.train.count, true);
  view.setUint32(MAGIC.length + 4, d.test.count, true);
  let at = HEADER + labelBytes(total);
  let image = 0;
  for (const [name, s] of [['train', d.train], ['test', d.test]] as const) {
    if (s.images.length !== s.count * PIXELS || s.labels.length !== s.count) {
      throw new Error(`encodeDigits: ${name} has ${s.images.length} pixels and ` +
        `${s.labels.length} labels for ${s.count} images`);
    }
    bytes.set(s.labels, HEADER + image);
    for (let i = 0; i < s.images.length; i++) {
      const v = s.images[i];
      const k = Math.round(v * 1000);
      if (!(k >= 0 && k <= 1000) || Math.fround(k / 1000) !== v) {
        throw new Error(`encodeDigits: ${name} image ${Math.floor(i / PIXELS)} pixel ` +
          `${i % PIXELS} is ${v}, not a multiple of 1/1000 in [0, 1]`);
      }
      view.setUint16(at, k, true);
      at += 2;
    }
    image += s.count;
  }
  return bytes;
}

/** Reads what `encodeDigits` wrote; a wrong magic or length is an error naming `source`. */
export function decodeDigits(bytes: Uint8Array, source = 'digits'): Digits {
  const fail = (why: string): never => {
    throw new Error(`decodeDigits: ${source}: ${why}`);
  };
  if (bytes.length < HEADER) fail(`${bytes.length} bytes is shorter than the header`);
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) fail(`starts with '${magic}', not '${MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = [view.getUint32(MAGIC.length, true), view.getUint32(MAGIC.length + 4, true)];
  const total = counts[0] + counts[1];
  const expected = HEADER + labelBytes(total) + 2 * PIXELS * total;
  if (bytes.length !== expected) {
    fail(`${bytes.length} bytes, expected ${expected} for ${counts[0]} + ${counts[1]} images`);
  }
  let at = HEADER + labelBytes(total);
  let image = 0;
  const [train, test] = counts.map((count) => {
    const s: Split = { images: new Float32Array(count * PIXELS),
      labels: bytes.slice(HEADER + image, HEADER + image + count), count };
    for (let i = 0; i < s.images.length; i++, at += 2) s.images[i] = view.getUint16(at, true) / 1000;
    if (s.labels.some((y) => y > 9)) fail('a label is not a digit 0…9');
    image += count;
    return s;
  });
  return { train, test };
}

/** Fetches and unzips the digits file (browser or Node 18+: fetch and DecompressionStream). */
export async function fetchDigits(url: string): Promise<Digits> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`fetchDigits: ${url}: HTTP ${res.status}`);
  const raw = res.body.pipeThrough(new DecompressionStream('gzip'));
  return decodeDigits(new Uint8Array(await new Response(raw).arrayBuffer()), url);
}
