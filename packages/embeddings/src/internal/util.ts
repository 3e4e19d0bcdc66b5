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

/** Splits sentences [0, S) into `n` contiguous ranges of about equal token counts. */
export function splitRanges(sentenceStarts: Int32Array, n: number): Array<[number, number]> {
  const S = sentenceStarts.length - 1;
  const total = sentenceStarts[S]!;
  const out: Array<[number, number]> = [];
  let b = 0;
  for (let w = 0; w < n; w++) {
    const target = Math.round(((w + 1) * total) / n);
    let e = b;
    if (w === n - 1) e = S;
    else while (e < S && sentenceStarts[e]! < target) e++;
    out.push([b, e]);
    b = e;
  }
  return out;
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
