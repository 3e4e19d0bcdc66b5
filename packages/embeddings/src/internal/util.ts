/** Small helpers shared by the trainers (not exported from the package). */

/** A seeded uniform [0, 1) stream (xorshift32; self-contained so results never depend on core). */
export function xorshiftStream(seed: number): () => number {
  let s = (Math.imul((seed | 0) ^ 0x2545f491, 0x9e3779b1) ^ 0x6a09e667) | 0;
  if (s === 0) s = 0x1234567;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/**
 * Fills `rows` rows of `dim` floats, `stride` apart from float index `start`, with
 * `((u − 0.5) · mul) / div`, u the values of `xorshiftStream(seed)` in order — the same numbers as
 * calling the stream, with the generator inlined: 200 M draws (2 M fastText buckets × 100-d) took
 * ≈ 0.9 s of CPU through the closure and ≈ 0.55 s inline (node 20, loaded machine); the rest of
 * that initialization is the first touch of the fresh memory.
 */
export function fillUniformRows(
  F: Float32Array,
  start: number,
  rows: number,
  dim: number,
  stride: number,
  seed: number,
  mul: number,
  div: number,
): void {
  let s = (Math.imul((seed | 0) ^ 0x2545f491, 0x9e3779b1) ^ 0x6a09e667) | 0;
  if (s === 0) s = 0x1234567;
  for (let i = 0; i < rows; i++) {
    const o = start + i * stride;
    for (let k = 0; k < dim; k++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      F[o + k] = (((s >>> 0) / 4294967296 - 0.5) * mul) / div;
    }
  }
}

/**
 * Cuts sentences [0, S) into consecutive chunks of at least `words` tokens (the last may be
 * shorter); returns the first sentence of each chunk and S at the end (length chunks + 1).
 * An empty corpus gives one empty chunk.
 */
export function chunkSentences(sentenceStarts: Int32Array, words: number): Int32Array {
  const S = sentenceStarts.length - 1;
  const out: number[] = [0];
  let begin = sentenceStarts[0] ?? 0;
  for (let s = 1; s < S; s++) {
    if (sentenceStarts[s]! - begin >= words) {
      out.push(s);
      begin = sentenceStarts[s]!;
    }
  }
  out.push(Math.max(S, 0));
  return Int32Array.from(out);
}

/**
 * Bytes of a base64 string, with `atob` (Node ≥ 16 and every browser) rather than Node's
 * `Buffer`, so the WebAssembly kernels load in the browser too.
 */
export function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const kernelCache = new Map<string, WebAssembly.Module>();

/**
 * A kernel compiled from its base64 bytes, once per process and variant: importing a shared
 * memory (for workers) or a plain one (one thread; see {@link unsharedMemoryImport}).
 */
export function kernelModule(base64: string, sharedMemory: boolean): WebAssembly.Module {
  const key = (sharedMemory ? 'shared:' : 'plain:') + base64;
  let m = kernelCache.get(key);
  if (m === undefined) {
    const bytes = base64Bytes(base64);
    m = new WebAssembly.Module(sharedMemory ? bytes : unsharedMemoryImport(bytes));
    kernelCache.set(key, m);
  }
  return m;
}

/**
 * The module bytes with their imported memory declared unshared (limits flag 0x02 cleared).
 * The kernels import a shared memory so that workers can share it; a one-thread run uses this
 * variant on a plain memory instead, because browsers create shared memory only on
 * cross-origin isolated pages. The kernels use no atomic instructions, so both validate.
 */
export function unsharedMemoryImport(wasm: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = wasm.slice();
  let p = 8; // magic + version
  const leb = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = out[p++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (p < out.length) {
    const id = out[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let n = leb(); n > 0; n--) {
        // (not `p += leb()`: that would read p before leb() moves it past the length)
        const moduleLen = leb();
        p += moduleLen;
        const fieldLen = leb();
        p += fieldLen;
        const kind = out[p++]!;
        if (kind === 2) {
          out[p] = out[p]! & ~0x02;
          return out;
        }
        if (kind !== 0) throw new Error(`unsharedMemoryImport: unexpected import kind ${kind}`);
        leb(); // function type index
      }
    }
    p = end;
  }
  throw new Error('unsharedMemoryImport: the module imports no memory');
}
