/**
 * Korean jamo: split Hangul syllables (U+AC00–U+D7A3) into their initial, medial and final
 * letters and join them back (Unicode §3.12 arithmetic), and a `Jamo` normalizer.
 *
 * Every syllable becomes exactly three symbols: initial, medial, then final or the
 * empty-final marker (default `-`, as in the Korean embedding literature, e.g. 자연어 →
 * 자-연어-). Fixed width makes composition unambiguous: `composeJamo` only joins
 * initial + medial + (final | marker) triples, so `composeJamo(decomposeJamo(t)) === t` for any
 * text that does not itself contain such a triple of loose jamo. Other text (ASCII, Hanja,
 * emoji, loose jamo such as ㅋㅋ) passes through unchanged.
 */
import type { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers.js';

const S_BASE = 0xac00;
const L_BASE = 0x1100;
const V_BASE = 0x1161;
const T_BASE = 0x11a7;
const L_COUNT = 19;
const V_COUNT = 21;
const T_COUNT = 28;
const N_COUNT = V_COUNT * T_COUNT;
const S_COUNT = L_COUNT * N_COUNT;

// Hangul Compatibility Jamo (U+3131…) for the 19 initials, 21 medials and 27 finals.
const COMPAT_L = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
const COMPAT_V = 'ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ';
const COMPAT_T = 'ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ';

export interface JamoOptions {
  /** Symbol written for a syllable without a final consonant. @default '-' */
  emptyFinal?: string;
  /**
   * @default false — conjoining jamo (U+1100–U+11FF, what NFD gives); true writes Hangul
   * Compatibility Jamo (ㄱ, ㅏ, U+3131–U+318E) as many Korean embedding tutorials do
   */
  compatibility?: boolean;
}

function opts(options: JamoOptions, where: string): { marker: string; compat: boolean } {
  const marker = options.emptyFinal ?? '-';
  if (typeof marker !== 'string' || [...marker].length !== 1)
    throw new Error(`${where}: emptyFinal must be a single character, got ${JSON.stringify(marker)}`);
  const c = marker.codePointAt(0)!;
  if ((c >= 0x1100 && c <= 0x11ff) || (c >= 0x3131 && c <= 0x318e) || (c >= S_BASE && c < S_BASE + S_COUNT))
    throw new Error(`${where}: emptyFinal must not be a Hangul letter or syllable, got ${JSON.stringify(marker)}`);
  return { marker, compat: options.compatibility ?? false };
}

function decomposeSyllable(code: number, marker: string, compat: boolean): string {
  const s = code - S_BASE;
  const l = Math.floor(s / N_COUNT);
  const v = Math.floor((s % N_COUNT) / T_COUNT);
  const t = s % T_COUNT;
  if (compat) return COMPAT_L[l]! + COMPAT_V[v]! + (t === 0 ? marker : COMPAT_T[t - 1]!);
  return String.fromCharCode(L_BASE + l, V_BASE + v) + (t === 0 ? marker : String.fromCharCode(T_BASE + t));
}

/** Split every Hangul syllable into initial + medial + (final | emptyFinal). */
export function decomposeJamo(text: string, options: JamoOptions = {}): string {
  const { marker, compat } = opts(options, 'decomposeJamo');
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= S_BASE && c < S_BASE + S_COUNT) {
      out += text.slice(last, i) + decomposeSyllable(c, marker, compat);
      last = i + 1;
    }
  }
  return last === 0 ? text : out + text.slice(last);
}

/** Join initial + medial + (final | emptyFinal) triples back into syllables; the inverse of decomposeJamo. */
export function composeJamo(text: string, options: JamoOptions = {}): string {
  const { marker, compat } = opts(options, 'composeJamo');
  const lIndex = (c: number): number =>
    compat ? COMPAT_L.indexOf(String.fromCharCode(c)) : c >= L_BASE && c < L_BASE + L_COUNT ? c - L_BASE : -1;
  const vIndex = (c: number): number =>
    compat ? COMPAT_V.indexOf(String.fromCharCode(c)) : c >= V_BASE && c < V_BASE + V_COUNT ? c - V_BASE : -1;
  const tIndex = (c: number): number =>
    compat ? COMPAT_T.indexOf(String.fromCharCode(c)) + 1 || -1 : c > T_BASE && c < T_BASE + T_COUNT ? c - T_BASE : -1;
  let out = '';
  let last = 0;
  for (let i = 0; i + 2 < text.length; i++) {
    const l = lIndex(text.charCodeAt(i));
    if (l < 0) continue;
    const v = vIndex(text.charCodeAt(i + 1));
    if (v < 0) continue;
    let t: number;
    let len: number;
    if (text.startsWith(marker, i + 2)) {
      t = 0;
      len = 2 + marker.length;
    } else {
      t = tIndex(text.charCodeAt(i + 2));
      if (t < 0) continue;
      len = 3;
    }
    out += text.slice(last, i) + String.fromCharCode(S_BASE + (l * V_COUNT + v) * T_COUNT + t);
    i += len - 1;
    last = i + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * Normalizer splitting Hangul syllables into jamo (decomposeJamo), keeping the alignment: the
 * three symbols of a syllable map to that syllable in the original text. A wordloom extension
 * type (`{"type": "Jamo", "empty_final": "-", "compatibility": false}` in tokenizer.json) that
 * HF `tokenizers` does not load.
 */
export class Jamo implements Normalizer {
  readonly type = 'Jamo';
  readonly emptyFinal: string;
  readonly compatibility: boolean;
  constructor(options: JamoOptions = {}) {
    const o = opts(options, 'Jamo');
    this.emptyFinal = o.marker;
    this.compatibility = o.compat;
  }
  normalize(s: NormalizedString): void {
    const t = s.normalized;
    let any = false;
    for (let i = 0; i < t.length && !any; i++) {
      const c = t.charCodeAt(i);
      any = c >= S_BASE && c < S_BASE + S_COUNT;
    }
    if (!any) return;
    s.mapCodePoints((ch) => {
      const c = ch.charCodeAt(0);
      return c >= S_BASE && c < S_BASE + S_COUNT ? decomposeSyllable(c, this.emptyFinal, this.compatibility) : ch;
    });
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, empty_final: this.emptyFinal, compatibility: this.compatibility };
  }
}
