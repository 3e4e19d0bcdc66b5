/**
 * A hand-written scanner equivalent to GPT-2's split pattern
 * `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
 * (with `\s` = Unicode White_Space). It returns piece boundaries without building a
 * RegExpExecArray per match: on 10 MB of English the regex loop was ~13 % of encode time plus
 * most of the garbage; this is ~3x faster than the regex alone. A property test checks it
 * against the regex on random Unicode.
 */
const OTHER = 1;
const LETTER = 2;
const NUMBER = 3;
const SPACE = 4;

/** Class per BMP code unit, filled lazily (0 = not computed yet). */
const table = new Uint8Array(65536);
const RE_L = /^\p{L}$/u;
const RE_N = /^\p{N}$/u;
const RE_S = /^[\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]$/u;

function classify(ch: string): number {
  if (RE_L.test(ch)) return LETTER;
  if (RE_N.test(ch)) return NUMBER;
  if (RE_S.test(ch)) return SPACE;
  return OTHER;
}

for (let c = 0; c < 128; c++) table[c] = classify(String.fromCharCode(c));

/** Class of the code point at i, and its length in code units (packed: class * 4 + len). */
function at(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) {
    let k = table[c]!;
    if (k === 0) k = table[c] = classify(text[i]!);
    return k * 4 + 1;
  }
  if (c <= 0xdbff && i + 1 < text.length) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return classify(text.slice(i, i + 2)) * 4 + 2;
  }
  return OTHER * 4 + 1; // lone surrogate: not a letter, number or space
}

/** Calls `piece(start, end)` for each GPT-2 piece of `text`, in order. */
export function scanGpt2(text: string, piece: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 39 && i + 1 < n) {
      // 's 't 're 've 'm 'll 'd
      const d = text.charCodeAt(i + 1);
      if (d === 115 || d === 116 || d === 109 || d === 100) {
        piece(i, i + 2);
        i += 2;
        continue;
      }
      if (i + 2 < n) {
        const e = text.charCodeAt(i + 2);
        if ((d === 114 && e === 101) || (d === 118 && e === 101) || (d === 108 && e === 108)) {
          piece(i, i + 3);
          i += 3;
          continue;
        }
      }
    }
    let j = i;
    let k = at(text, i);
    if (c === 32 && i + 1 < n) {
      const k2 = at(text, i + 1);
      if (k2 >> 2 !== SPACE) {
        j = i + 1;
        k = k2;
      }
    }
    const cls = k >> 2;
    if (cls === SPACE) {
      let r = i + (k & 3);
      while (r < n) {
        const x = at(text, r);
        if (x >> 2 !== SPACE) break;
        r += x & 3;
      }
      // \s+(?!\S): give back the last space when a non-space follows (it joins the next piece)
      if (r < n && r - i >= 2) {
        const lastLen = text.charCodeAt(r - 1) >= 0xdc00 && text.charCodeAt(r - 1) <= 0xdfff ? 2 : 1;
        if (r - lastLen > i) r -= lastLen;
      }
      piece(i, r);
      i = r;
      continue;
    }
    let r = j + (k & 3);
    while (r < n) {
      const x = at(text, r);
      if (x >> 2 !== cls) break;
      r += x & 3;
    }
    piece(i, r);
    i = r;
  }
}
