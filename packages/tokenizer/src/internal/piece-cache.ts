/**
 * Cache from a piece of a larger string (text, start, end) to its ids, looked up without
 * slicing the piece out: an FNV-1a hash over the UTF-16 units and a char-by-char compare.
 * On the GPT-2 encode benchmark most pieces are hits, and a `Map<string, …>` lookup first
 * needs `text.slice()` (an allocation) and V8's string hash; this skips both.
 * Bounded: when half full it is cleared (a 10 MB English text has ~110k distinct pieces,
 * below the default 2^17 entries, so it never clears there).
 */
export class PieceCache {
  private keys: Array<string | undefined>;
  private hashes: Int32Array;
  private vals: Array<Int32Array | undefined>;
  private mask: number;
  private size = 0;
  private readonly maxSize: number;

  constructor(maxEntries: number) {
    let cap = 16;
    while (cap < maxEntries * 2) cap <<= 1;
    this.keys = new Array<string | undefined>(cap);
    this.hashes = new Int32Array(cap);
    this.vals = new Array<Int32Array | undefined>(cap);
    this.mask = cap - 1;
    this.maxSize = Math.max(1, maxEntries);
  }

  static hash(text: string, a: number, b: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = a; i < b; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    return h;
  }

  get(text: string, a: number, b: number, h: number): Int32Array | undefined {
    const len = b - a;
    let slot = (h ^ (h >>> 16)) & this.mask;
    for (;;) {
      const k = this.keys[slot];
      if (k === undefined) return undefined;
      if (this.hashes[slot] === h && k.length === len) {
        let same = true;
        for (let i = 0; i < len; i++) {
          if (k.charCodeAt(i) !== text.charCodeAt(a + i)) {
            same = false;
            break;
          }
        }
        if (same) return this.vals[slot];
      }
      slot = (slot + 1) & this.mask;
    }
  }

  set(key: string, h: number, value: Int32Array): void {
    if (this.size >= this.maxSize) this.clear();
    let slot = (h ^ (h >>> 16)) & this.mask;
    while (this.keys[slot] !== undefined) {
      if (this.hashes[slot] === h && this.keys[slot] === key) {
        this.vals[slot] = value;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = key;
    this.hashes[slot] = h;
    this.vals[slot] = value;
    this.size++;
  }

  clear(): void {
    this.keys.fill(undefined);
    this.vals.fill(undefined);
    this.size = 0;
  }
}
