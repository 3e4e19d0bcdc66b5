/**
 * A string being normalized, with an alignment back to the original text, after Hugging
 * Face `tokenizers`' `NormalizedString`. Offsets here are UTF-16 code units (JavaScript
 * string indices), so `original.slice(start, end)` gives a token's source text.
 *
 * `align` holds, for every UTF-16 unit of `normalized`, the original range [start, end)
 * it came from (two entries per unit); `null` means the identity shifted by `offset`
 * (the fast path: most text is never changed by normalization).
 */
export class NormalizedString {
  constructor(
    /** The current (normalized) text. */
    public normalized: string,
    /** 2 entries per unit of `normalized`: original [start, end); null = identity + offset. */
    public align: Int32Array | null,
    /** Original offset of unit 0 when `align` is null. */
    public offset: number,
  ) {}

  static fromOriginal(text: string, offset = 0): NormalizedString {
    return new NormalizedString(text, null, offset);
  }

  get length(): number {
    return this.normalized.length;
  }

  /** Original [start, end) of the normalized units [s, e). */
  originalRange(s: number, e: number): [number, number] {
    const a = this.align;
    if (a === null) return [this.offset + s, this.offset + e];
    const n = this.normalized.length;
    if (n === 0) return [this.offset, this.offset];
    if (s >= e) {
      const p = s < n ? a[2 * s]! : a[2 * n - 1]!;
      return [p, p];
    }
    let start = a[2 * s]!;
    let end = a[2 * (e - 1) + 1]!;
    if (end < start) end = start;
    // Alignments can be non-monotonic inside a changed cluster: widen to cover all units.
    for (let i = s; i < e; i++) {
      if (a[2 * i]! < start) start = a[2 * i]!;
      if (a[2 * i + 1]! > end) end = a[2 * i + 1]!;
    }
    return [start, end];
  }

  slice(s: number, e: number): NormalizedString {
    const text = this.normalized.slice(s, e);
    if (this.align === null) return new NormalizedString(text, null, this.offset + s);
    return new NormalizedString(text, this.align.subarray(2 * s, 2 * e), this.originalRange(s, s)[0]);
  }

  /**
   * Rebuild from consecutive chunks covering the whole normalized text: chunk k replaces
   * units [src[k], src[k+1]) with `outs[k]`. A chunk whose output has the input's length
   * keeps its unit-by-unit alignment; any other maps all its output units to the union of
   * its source range (what HF does for a changed character).
   */
  rebuild(outs: string[], bounds: number[]): void {
    let total = 0;
    for (const o of outs) total += o.length;
    const align = new Int32Array(2 * total);
    let j = 0;
    let text = '';
    for (let k = 0; k < outs.length; k++) {
      const out = outs[k]!;
      const s = bounds[k]!;
      const e = bounds[k + 1]!;
      text += out;
      if (out.length === e - s) {
        for (let i = s; i < e; i++) {
          const [a, b] = this.unitRange(i);
          align[2 * j] = a;
          align[2 * j + 1] = b;
          j++;
        }
      } else if (out.length > 0) {
        const [a, b] = this.originalRange(s, e);
        for (let i = 0; i < out.length; i++) {
          align[2 * j] = a;
          align[2 * j + 1] = b;
          j++;
        }
      }
    }
    const first = this.originalRange(0, 0)[0];
    this.normalized = text;
    this.align = align;
    this.offset = first;
  }

  private unitRange(i: number): [number, number] {
    const a = this.align;
    if (a === null) return [this.offset + i, this.offset + i + 1];
    return [a[2 * i]!, a[2 * i + 1]!];
  }

  /**
   * Replace each code point with `f(ch)` ('' removes it). Keeps the identity fast path
   * when nothing changes.
   */
  mapCodePoints(f: (ch: string) => string): void {
    const s = this.normalized;
    let outs: string[] | null = null;
    let bounds: number[] | null = null;
    let pending = 0; // start of the unchanged run not yet flushed into outs
    for (let i = 0; i < s.length;) {
      const c = s.charCodeAt(i);
      const len = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      const ch = len === 1 ? s[i]! : s.slice(i, i + 2);
      const out = f(ch);
      if (out !== ch) {
        if (outs === null) {
          outs = [];
          bounds = [];
        }
        // Unchanged run before this char is copied as single-unit chunks, which keeps alignment.
        if (pending < i) {
          outs.push(s.slice(pending, i));
          bounds!.push(pending);
        }
        outs.push(out);
        bounds!.push(i);
        pending = i + len;
      }
      i += len;
    }
    if (outs === null) return;
    if (pending < s.length) {
      outs.push(s.slice(pending));
      bounds!.push(pending);
    }
    bounds!.push(s.length);
    this.rebuild(outs, bounds!);
  }

  /** Prepend `str`; its units align to the first unit's original range (as HF does). */
  prepend(str: string): void {
    if (str.length === 0) return;
    const n = this.normalized.length;
    const [a, b] = n > 0 ? this.unitRange(0) : [this.offset, this.offset];
    const align = new Int32Array(2 * (n + str.length));
    for (let i = 0; i < str.length; i++) {
      align[2 * i] = a;
      align[2 * i + 1] = b;
    }
    for (let i = 0; i < n; i++) {
      const [x, y] = this.unitRange(i);
      align[2 * (str.length + i)] = x;
      align[2 * (str.length + i) + 1] = y;
    }
    this.offset = a;
    this.normalized = str + this.normalized;
    this.align = align;
  }
}
