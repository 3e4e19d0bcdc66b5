/**
 * Seeded pseudo-random numbers shared by every wordloom package.
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Counter, PractRand-clean, 128-bit
 * state) seeded through splitmix32, so nearby seeds give unrelated streams. Not
 * cryptographic. References: PractRand; Lemire, "Fast Random Integer Generation in an
 * Interval" (2019); Vose, "A Linear Algorithm for Generating Random Numbers with a Given
 * Distribution" (1991) for the alias table.
 */

function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

/**
 * A generator's complete state, as {@link Rng.getState} returns it: plain JSON-safe data (four
 * unsigned 32-bit words of sfc32 and the Box–Muller value kept for the next `normal()`), so
 * `JSON.parse(JSON.stringify(state))` restores the same stream.
 */
export interface RngState {
  /** The algorithm, so a state from a future generator is refused instead of misread. */
  readonly kind: 'sfc32';
  /** sfc32's words a, b, c, d, each an integer in [0, 2^32). */
  readonly s: readonly [number, number, number, number];
  /** The second normal of the last Box–Muller pair, not yet returned (`null` if none). */
  readonly spareNormal: number | null;
}

/** A malformed {@link RngState}, or names that do not match in `Module.loadRngStates`. */
export class RngStateError extends Error {
  constructor(
    message: string,
    /** Generator names the module has but the states lack (`Module.loadRngStates` only). */
    readonly missing: string[] = [],
    /** Names in the states that the module has no generator for (`Module.loadRngStates` only). */
    readonly unexpected: string[] = [],
  ) {
    super(message);
    this.name = 'RngStateError';
  }
}

function describe(x: unknown): string {
  if (typeof x === 'string') return `'${x}'`;
  if (typeof x === 'number' || typeof x === 'boolean' || x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  return typeof x;
}

/**
 * Checks that `state` is a well-formed {@link RngState} (as `Rng.setState` does) and returns
 * its words as signed 32-bit integers.
 * @throws RngStateError naming `fn` and the bad field
 */
export function checkRngState(fn: string, state: unknown): [number, number, number, number] {
  if (state === null || typeof state !== 'object')
    throw new RngStateError(`${fn}: state = ${describe(state)} is not an RngState object`);
  const st = state as { kind?: unknown; s?: unknown; spareNormal?: unknown };
  if (st.kind !== 'sfc32') throw new RngStateError(`${fn}: state.kind = ${describe(st.kind)} (expected 'sfc32')`);
  const s = st.s;
  if (!Array.isArray(s) || s.length !== 4)
    throw new RngStateError(`${fn}: state.s = ${describe(s)} (expected an array of 4 integers in [0, 2^32))`);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const w: unknown = s[i];
    if (typeof w !== 'number' || !Number.isInteger(w) || w < 0 || w >= 4294967296)
      throw new RngStateError(`${fn}: state.s[${i}] = ${describe(w)} is not an integer in [0, 2^32)`);
    words.push(w | 0);
  }
  const spare = st.spareNormal;
  if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare)))
    throw new RngStateError(`${fn}: state.spareNormal = ${describe(spare)} (expected null or a finite number)`);
  return words as [number, number, number, number];
}

/** A seeded random number generator (same seed → same stream, on every platform). */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  /** @param seed any finite number; non-integers and values beyond 2^32 are folded in. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed = ${seed} is not a finite number`);
    // Fold the full double (not just the low 32 bits) into the initial state.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    const frac = Math.floor((seed - Math.floor(seed)) * 4294967296) >>> 0;
    let s = lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(frac, 0x165667b1);
    let v: number;
    [s, v] = splitmix32(s);
    this.a = v | 0;
    [s, v] = splitmix32(s);
    this.b = v | 0;
    [s, v] = splitmix32(s);
    this.c = v | 0;
    [, v] = splitmix32(s ^ hi);
    this.d = v | 0;
    for (let i = 0; i < 12; i++) this.nextUint32(); // warm up
  }

  /**
   * A copy of the complete state (JSON-safe). `setState` of it, here or on any other `Rng`,
   * continues with exactly the draws this generator would make next — `normal()`'s kept
   * second value included.
   */
  getState(): RngState {
    return {
      kind: 'sfc32',
      s: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0],
      spareNormal: this.spareNormal,
    };
  }

  /**
   * Restores a state from {@link getState} (the argument is copied, not kept). Everything is
   * checked before anything is written.
   * @throws RngStateError if `state` is not a well-formed RngState (wrong kind, not 4 words in
   *   [0, 2^32), a non-finite spareNormal)
   */
  setState(state: RngState): void {
    const [a, b, c, d] = checkRngState('Rng.setState', state);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.spareNormal = state.spareNormal;
  }

  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A standard normal sample (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n), without modulo bias. `n` must be an integer in [1, 2^32]. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new Error(`Rng.int: n = ${n} must be an integer in [1, 2^32]`);
    }
    if (n === 4294967296) return this.nextUint32();
    // Rejection sampling: accept x < floor(2^32 / n) * n.
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Shuffles `a` in place (Fisher–Yates) and returns it. */
  shuffle<T extends unknown[] | Int32Array | Uint32Array | Float32Array | Float64Array>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A new generator whose stream is independent of this one's continuation; advances this one. */
  fork(): Rng {
    const s1 = this.nextUint32();
    const s2 = this.nextUint32();
    return new Rng(s1 * 4294967296 + s2 + 0.5);
  }
}

let global = new Rng(0);

/**
 * Resets the generator used when a seed is omitted (initializers, layers), as PyTorch's
 * `torch.manual_seed` does. Programs are reproducible by default: the generator starts at seed 0.
 */
export function manualSeed(seed: number): void {
  global = new Rng(seed);
}

/** The generator used when a seed is omitted; each draw advances it. */
export function globalRng(): Rng {
  return global;
}

/** `new Rng(seed)` if a seed is given, otherwise a fork of the global generator. */
export function rngFrom(seed: number | undefined): Rng {
  return seed === undefined ? global.fork() : new Rng(seed);
}

/**
 * Weighted sampling in O(1) per draw (Walker/Vose alias method), e.g. word2vec's negative
 * sampling from unigram^0.75 counts.
 */
export class AliasTable {
  /** Number of outcomes. */
  readonly size: number;
  private readonly prob: Float64Array;
  private readonly alias: Int32Array;

  /** @param weights non-negative, finite, not all zero; need not sum to 1. */
  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('AliasTable: weights is empty');
    let total = 0;
    for (let i = 0; i < n; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w))
        throw new Error(`AliasTable: weights[${i}] = ${w} is not a finite non-negative number`);
      total += w;
    }
    if (total === 0) throw new Error('AliasTable: all weights are zero');
    this.size = n;
    this.prob = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = new Float64Array(n);
    const small = new Int32Array(n);
    const large = new Int32Array(n);
    let ns = 0;
    let nl = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (weights[i] * n) / total;
      if (scaled[i] < 1) small[ns++] = i;
      else large[nl++] = i;
    }
    while (ns > 0 && nl > 0) {
      const s = small[--ns];
      const l = large[--nl];
      this.prob[s] = scaled[s];
      this.alias[s] = l;
      scaled[l] = scaled[l] + scaled[s] - 1;
      if (scaled[l] < 1) small[ns++] = l;
      else large[nl++] = l;
    }
    while (nl > 0) {
      const l = large[--nl];
      this.prob[l] = 1;
      this.alias[l] = l;
    }
    while (ns > 0) {
      // Only reachable through rounding: these columns are (numerically) full.
      const s = small[--ns];
      this.prob[s] = 1;
      this.alias[s] = s;
    }
  }

  /** One outcome index in [0, size), drawn with probability weights[i] / sum(weights). */
  sample(rng: Rng): number {
    const i = rng.int(this.size);
    return rng.uniform() < this.prob[i] ? i : this.alias[i];
  }

  /** Fills `out` with independent draws and returns it. */
  sampleInto(rng: Rng, out: Int32Array): Int32Array {
    for (let k = 0; k < out.length; k++) out[k] = this.sample(rng);
    return out;
  }
}
