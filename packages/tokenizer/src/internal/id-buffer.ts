/**
 * A growable Int32Array for ids: `encodeIds` writes into it directly instead of pushing onto a
 * number[] and copying with Int32Array.from at the end.
 */
export class IdBuffer {
  buf: Int32Array;
  n = 0;
  constructor(capacity = 1024) {
    this.buf = new Int32Array(Math.max(16, capacity));
  }
  /** Append `ids` (all of them). */
  append(ids: Int32Array): void {
    const need = this.n + ids.length;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const next = new Int32Array(cap);
      next.set(this.buf.subarray(0, this.n));
      this.buf = next;
    }
    if (ids.length === 1) this.buf[this.n] = ids[0]!;
    else this.buf.set(ids, this.n);
    this.n = need;
  }
  push(id: number): void {
    if (this.n === this.buf.length) {
      const next = new Int32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = id;
  }
  /** The ids written so far (a copy of exactly that length). */
  toArray(): Int32Array {
    const n = this.n;
    if (n > 64) return this.buf.slice(0, n);
    // short results: a plain copy loop (TypedArray.prototype.slice costs more than the copy
    // here: 10 % of the sentencepiece encodeIds profile on NSMC reviews, ~20 ids a line)
    const out = new Int32Array(n);
    const buf = this.buf;
    for (let i = 0; i < n; i++) out[i] = buf[i]!;
    return out;
  }
}
