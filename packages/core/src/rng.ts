/**
 * A small seeded generator (xoshiro128**, seeded through splitmix32). All randomness in dlrt
 * comes from an explicit Rng or seed (an integer in [0, 2³²)), so runs are reproducible.
 */
/** A generator's state, as `Rng.getState` gives it (JSON-safe). */
export interface RngState {
  /** The four xoshiro128** state words, unsigned 32-bit integers, not all zero. */
  words: [number, number, number, number];
  /** The cached second normal of the last Box–Muller pair, or null. */
  spare: number | null;
}

/**
 * A seeded xoshiro128** generator of uniform, normal and integer draws. The same seed gives
 * the same sequence of draws; pass one as `{ rng }` to share it across calls.
 * @example const rng = new Rng(1); randn([2, 3], { rng }); rng.int(10)
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  /** Seeds the generator; throws unless `seed` is an integer in [0, 2³²). */
  constructor(seed: number) {
    // Anything else would alias another seed silently (1.5 → 1, −1 → 2³² − 1, 2³² → 0).
    if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
      const shown = typeof seed === 'string' ? `'${seed}'` : String(seed);
      throw new Error(`Rng: seed must be an integer in [0, 2^32), got ${shown}`);
    }
    let x = seed >>> 0;
    const next = (): number => {
      // splitmix32 spreads a small seed over the four state words.
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's state: restoring it (`setState`) replays the same draws from here on. */
  getState(): RngState {
    // The words are kept as int32 by the bit operations; the state shows them unsigned.
    return { words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.spare };
  }

  /** Restores a state from `getState` (four 32-bit words, not all zero, and the spare normal). */
  setState(state: RngState): void {
    const w = state?.words;
    if (!Array.isArray(w) || w.length !== 4 ||
      !w.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) || w.every((x) => x === 0) ||
      !(state.spare === null || Number.isFinite(state.spare))) {
      throw new Error(`Rng.setState: expected four 32-bit words, not all 0, and a finite or ` +
        `null spare, got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = w;
    this.spare = state.spare;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n), for an integer n in [1, 2^53 − 1] (a safe integer). */
  int(n: number): number {
    // Otherwise floor(u·n) gives fractions' floors or negative "indices" without a word.
    if (!(Number.isSafeInteger(n) && n >= 1)) {
      throw new Error(`Rng.int: n must be a positive safe integer, got ${n}`);
    }
    return Math.floor(this.uniform() * n);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
