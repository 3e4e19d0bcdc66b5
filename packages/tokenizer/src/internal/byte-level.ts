/**
 * GPT-2's reversible byte <-> printable-character table (openai/gpt-2 `encoder.py`,
 * `bytes_to_unicode`): printable Latin-1 bytes map to themselves, the other 68 bytes to
 * U+0100.. in order, so every byte string is a string of visible characters.
 */

export const BYTE_TO_CHAR: string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const out = new Array<string>(256);
  for (const b of bs) out[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (out[b] === undefined) out[b] = String.fromCharCode(256 + n++);
  }
  return out;
})();

/** charCode -> byte, -1 when the char is not in the table (all table chars are < 0x144). */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const t = new Int16Array(0x144).fill(-1);
  for (let b = 0; b < 256; b++) t[BYTE_TO_CHAR[b]!.charCodeAt(0)] = b;
  return t;
})();

const encoder = new TextEncoder();

/**
 * UTF-8 bytes of a string. Lone surrogates become EF BF BD (U+FFFD), as TextEncoder and
 * Rust's lossy conversion do: this is the documented behaviour for lone surrogates.
 */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Byte-level string of `s` (each UTF-8 byte as its table char). */
export function toByteLevel(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 128) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    let out = '';
    for (let i = 0; i < s.length; i++) out += BYTE_TO_CHAR[s.charCodeAt(i)];
    return out;
  }
  const bytes = utf8Bytes(s);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += BYTE_TO_CHAR[bytes[i]!];
  return out;
}

/** All 256 byte-level characters, in byte order (HF `ByteLevel.alphabet()` as a set). */
export function byteLevelAlphabet(): string[] {
  return BYTE_TO_CHAR.slice();
}
