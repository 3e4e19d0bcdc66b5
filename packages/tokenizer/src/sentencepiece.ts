/**
 * sentencepiece `.model` files (a `ModelProto` protobuf, `sentencepiece_model.proto`):
 * reading them into a Tokenizer that encodes as sentencepiece 0.1.97 does, the
 * precompiled-charsmap normalizer (`Precompiled`, HF's tokenizer.json type), sentencepiece's
 * whole normalizer (`SentencePieceNormalizer`, a wordloom extension type), and a converter to
 * an HF-shaped tokenizer.json (what transformers' `convert_slow_tokenizer` does).
 *
 * The protobuf reader is our own and bounds-checked: every length is checked against the bytes
 * left, so a truncated or corrupted file is an Error naming the field, never a wrong model.
 */
import { NormalizedString } from './normalized-string.js';
import { NormalizerSequence, Prepend, Replace, Strip, type Normalizer } from './normalizers.js';
import { Metaspace } from './pre-tokenizers.js';
import {
  ByteFallbackDecoder,
  DecoderSequence,
  FuseDecoder,
  MetaspaceDecoder,
  ReplaceDecoder,
  StripDecoder,
} from './decoders.js';
import { BPE } from './bpe.js';
import { PieceType, Unigram } from './unigram.js';
import { SentencePieceChar, SentencePieceWord } from './spm-word-char.js';
import { Tokenizer, type SpecialTokenRole } from './tokenizer.js';

const FN = 'readSentencePieceModel';

// ---------------------------------------------------------------- protobuf (wire format)

class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
    readonly where: string,
  ) {
    this.pos = start;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  fail(msg: string): never {
    throw new Error(`${FN}: malformed model file: ${this.where}: ${msg} (at byte ${this.pos} of ${this.buf.length})`);
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      if (i < 8) result += (b & 0x7f) * mul;
      mul *= 128;
      if ((b & 0x80) === 0) return result;
    }
    this.fail('varint longer than 10 bytes');
  }
  /**
   * A varint as a signed 32/64-bit int (negative int32 are written as 10-byte varints of their
   * 64-bit two's complement, so -1 needs all 64 bits: read through a BigInt).
   */
  int(): number {
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, v));
    }
    this.fail('varint longer than 10 bytes');
  }
  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }
  bytes(): [number, number] {
    const len = this.varint();
    if (len > this.end - this.pos)
      this.fail(`length-delimited field of ${len} bytes but only ${this.end - this.pos} bytes are left`);
    const a = this.pos;
    this.pos += len;
    return [a, this.pos];
  }
  string(): string {
    const [a, b] = this.bytes();
    try {
      return utf8Fatal.decode(this.buf.subarray(a, b));
    } catch {
      this.fail('string field is not valid UTF-8');
    }
  }
  sub(where: string): ProtoReader {
    const [a, b] = this.bytes();
    return new ProtoReader(this.buf, a, b, where);
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) {
      if (this.pos + 8 > this.end) this.fail('truncated fixed64');
      this.pos += 8;
    } else if (wire === 2) this.bytes();
    else if (wire === 5) {
      if (this.pos + 4 > this.end) this.fail('truncated fixed32');
      this.pos += 4;
    } else this.fail(`unsupported wire type ${wire}`);
  }
  /** Next field header: [field number, wire type]. */
  tag(): [number, number] {
    const t = this.varint();
    const field = Math.floor(t / 8);
    if (field === 0) this.fail('field number 0');
    return [field, t & 7];
  }
  expect(wire: number, want: number, field: string): void {
    if (wire !== want) this.fail(`field ${field} has wire type ${wire}, expected ${want}`);
  }
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/** The parts of `ModelProto` wordloom uses. */
export interface SentencePieceModelProto {
  pieces: Array<{ piece: string; score: number; type: number }>;
  trainerSpec: {
    modelType: 'unigram' | 'bpe' | 'word' | 'char';
    vocabSize: number;
    byteFallback: boolean;
    unkId: number;
    bosId: number;
    eosId: number;
    padId: number;
    treatWhitespaceAsSuffix: boolean;
    splitByWhitespace: boolean;
    maxSentencepieceLength: number;
    characterCoverage: number;
  };
  normalizerSpec: {
    name: string;
    precompiledCharsmap: Uint8Array;
    addDummyPrefix: boolean;
    removeExtraWhitespaces: boolean;
    escapeWhitespaces: boolean;
  };
  /**
   * How the file laid out its fields (set by `parseSentencePieceModel`), so that
   * `writeSentencePieceModel` writes a file it read back byte for byte. Absent: fields are written
   * in field-number order, as protobuf's C++ serializer does.
   */
  layout?: SentencePieceLayout;
}

/**
 * Per message, its fields in file order: the field number of a field wordloom interprets (its
 * value comes from the parsed object), or the raw bytes (tag included) of one it does not
 * (`input`, `model_prefix`, `self_test_data`, `denormalizer_spec`, …), copied as they were.
 */
export interface SentencePieceLayout {
  model: Array<number | Uint8Array>;
  trainerSpec: Array<number | Uint8Array>;
  normalizerSpec: Array<number | Uint8Array>;
}

/** The fields of `TrainerSpec` and `NormalizerSpec` that `SentencePieceModelProto` holds. */
export const KNOWN_TRAINER_FIELDS = [3, 4, 10, 20, 22, 24, 35, 40, 41, 42, 43] as const;
export const KNOWN_NORMALIZER_FIELDS = [1, 2, 3, 4, 5] as const;

const MODEL_TYPES = { 1: 'unigram', 2: 'bpe', 3: 'word', 4: 'char' } as const;

/** Parse the protobuf of a sentencepiece `.model` file. */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModelProto {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${FN}: expected a Uint8Array of the .model file's bytes`);
  if (bytes.length === 0) throw new Error(`${FN}: the model file is empty`);
  const r = new ProtoReader(bytes, 0, bytes.length, 'ModelProto');
  const out: SentencePieceModelProto = {
    pieces: [],
    trainerSpec: {
      modelType: 'unigram',
      vocabSize: 8000,
      byteFallback: false,
      unkId: 0,
      bosId: 1,
      eosId: 2,
      padId: -1,
      treatWhitespaceAsSuffix: false,
      splitByWhitespace: true,
      maxSentencepieceLength: 16,
      characterCoverage: 0.9995,
    },
    normalizerSpec: {
      name: '',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: true,
      removeExtraWhitespaces: true,
      escapeWhitespaces: true,
    },
  };
  const layout: SentencePieceLayout = { model: [], trainerSpec: [], normalizerSpec: [] };
  out.layout = layout;
  while (!r.done) {
    const at = r.pos;
    const [field, wire] = r.tag();
    if (field === 1 || field === 2 || field === 3) layout.model.push(field);
    if (field === 1) {
      r.expect(wire, 2, 'pieces');
      const p = r.sub(`pieces[${out.pieces.length}]`);
      const piece = { piece: '', score: 0, type: PieceType.NORMAL as number };
      while (!p.done) {
        const [f, w] = p.tag();
        if (f === 1) {
          p.expect(w, 2, 'piece');
          piece.piece = p.string();
        } else if (f === 2) {
          p.expect(w, 5, 'score');
          piece.score = p.float();
        } else if (f === 3) {
          p.expect(w, 0, 'type');
          piece.type = p.int();
          if (piece.type < 1 || piece.type > 6) p.fail(`unknown piece type ${piece.type}`);
        } else p.skip(w);
      }
      if (piece.piece.length === 0) p.fail('empty piece');
      out.pieces.push(piece);
    } else if (field === 2) {
      r.expect(wire, 2, 'trainer_spec');
      const t = r.sub('trainer_spec');
      const ts = out.trainerSpec;
      while (!t.done) {
        const tAt = t.pos;
        const [f, w] = t.tag();
        if ((KNOWN_TRAINER_FIELDS as readonly number[]).includes(f)) layout.trainerSpec.push(f);
        const intField = (name: string): number => {
          t.expect(w, 0, name);
          return t.int();
        };
        switch (f) {
          case 3: {
            const m = intField('model_type');
            const name = MODEL_TYPES[m as 1 | 2 | 3 | 4];
            if (name === undefined) t.fail(`unknown model_type ${m}`);
            ts.modelType = name;
            break;
          }
          case 4:
            ts.vocabSize = intField('vocab_size');
            break;
          case 10:
            t.expect(w, 5, 'character_coverage');
            ts.characterCoverage = t.float();
            break;
          case 20:
            ts.maxSentencepieceLength = intField('max_sentencepiece_length');
            break;
          case 22:
            ts.splitByWhitespace = intField('split_by_whitespace') !== 0;
            break;
          case 24:
            ts.treatWhitespaceAsSuffix = intField('treat_whitespace_as_suffix') !== 0;
            break;
          case 35:
            ts.byteFallback = intField('byte_fallback') !== 0;
            break;
          case 40:
            ts.unkId = intField('unk_id');
            break;
          case 41:
            ts.bosId = intField('bos_id');
            break;
          case 42:
            ts.eosId = intField('eos_id');
            break;
          case 43:
            ts.padId = intField('pad_id');
            break;
          default:
            t.skip(w);
            layout.trainerSpec.push(bytes.slice(tAt, t.pos));
        }
      }
    } else if (field === 3) {
      r.expect(wire, 2, 'normalizer_spec');
      const n = r.sub('normalizer_spec');
      const ns = out.normalizerSpec;
      while (!n.done) {
        const nAt = n.pos;
        const [f, w] = n.tag();
        if (f >= 1 && f <= 5) layout.normalizerSpec.push(f);
        if (f === 1) {
          n.expect(w, 2, 'name');
          ns.name = n.string();
        } else if (f === 2) {
          n.expect(w, 2, 'precompiled_charsmap');
          const [a, b] = n.bytes();
          ns.precompiledCharsmap = bytes.slice(a, b);
        } else if (f === 3) {
          n.expect(w, 0, 'add_dummy_prefix');
          ns.addDummyPrefix = n.varint() !== 0;
        } else if (f === 4) {
          n.expect(w, 0, 'remove_extra_whitespaces');
          ns.removeExtraWhitespaces = n.varint() !== 0;
        } else if (f === 5) {
          n.expect(w, 0, 'escape_whitespaces');
          ns.escapeWhitespaces = n.varint() !== 0;
        } else {
          n.skip(w);
          layout.normalizerSpec.push(bytes.slice(nAt, n.pos));
        }
      }
    } else {
      r.skip(wire);
      layout.model.push(bytes.slice(at, r.pos));
    }
  }
  if (out.pieces.length === 0)
    throw new Error(`${FN}: malformed model file: it has no pieces (is this a sentencepiece .model?)`);
  return out;
}

// ---------------------------------------------------------------- precompiled charsmap

/**
 * A precompiled charsmap: darts-clone double-array trie over UTF-8 bytes + NUL-terminated
 * replacement strings (sentencepiece `normalizer.cc`). Blob: <trie size u32 LE><trie><strings>.
 */
export class CharsMap {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  private readonly cache = new Map<number, string>();
  constructor(readonly blob: Uint8Array) {
    if (blob.length <= 4) throw new Error(`precompiled charsmap: ${blob.length} bytes is too short`);
    const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieSize = dv.getUint32(0, true);
    if (trieSize >= blob.length || trieSize % 4 !== 0 || trieSize + 4 > blob.length)
      throw new Error(`precompiled charsmap: trie size ${trieSize} does not fit the ${blob.length}-byte blob`);
    this.units = new Uint32Array(trieSize / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = dv.getUint32(4 + 4 * i, true);
    this.strings = blob.subarray(4 + trieSize);
    if (this.units.length === 0) throw new Error('precompiled charsmap: empty trie');
  }

  /** darts-clone commonPrefixSearch: the longest match of `bytes[start..end)`: [length, value] or null. */
  longest(bytes: Uint8Array, start: number, end: number): [number, number] | null {
    const u = this.units;
    let nodePos = 0;
    let unit = u[0]!;
    nodePos ^= offsetOf(unit);
    let best: [number, number] | null = null;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      nodePos ^= c;
      if (nodePos >= u.length) return best;
      unit = u[nodePos]!;
      if ((unit & ((1 << 31) | 0xff)) >>> 0 !== c) return best;
      nodePos ^= offsetOf(unit);
      if ((unit >>> 8) & 1) {
        if (nodePos >= u.length) return best;
        best = [i + 1 - start, u[nodePos]! & 0x7fffffff];
      }
    }
    return best;
  }

  /** Per BMP code unit: 0 unknown, 1 no rule starts with this code point, 2 some rule may. */
  private readonly dead = new Uint8Array(0x10000);
  /** True when no rule starts with the BMP code unit `c` (known once `longestAt` met it). */
  isDead(c: number): boolean {
    return this.dead[c] === 1;
  }

  /**
   * Longest rule matching `text` at UTF-16 index `i`, walking the trie over the UTF-8 bytes of
   * the code points (no encoding of the whole text): [end index, value] or null. Only matches
   * that end on a code-point boundary are taken.
   */
  longestAt(text: string, i: number): [number, number] | null {
    const c0 = text.charCodeAt(i);
    if (this.dead[c0] === 1) return null;
    const u = this.units;
    let nodePos = offsetOf(u[0]!);
    let best: [number, number] | null = null;
    let j = i;
    let first = true;
    const buf = this.bytes;
    for (;;) {
      if (j >= text.length) return best;
      const c = text.charCodeAt(j);
      let cp = c;
      let len = 1;
      if (c >= 0xd800 && c <= 0xdbff && j + 1 < text.length && (text.charCodeAt(j + 1) & 0xfc00) === 0xdc00) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(j + 1) - 0xdc00);
        len = 2;
      } else if (c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
      let nb: number;
      if (cp < 0x80) {
        buf[0] = cp;
        nb = 1;
      } else if (cp < 0x800) {
        buf[0] = 0xc0 | (cp >> 6);
        buf[1] = 0x80 | (cp & 63);
        nb = 2;
      } else if (cp < 0x10000) {
        buf[0] = 0xe0 | (cp >> 12);
        buf[1] = 0x80 | ((cp >> 6) & 63);
        buf[2] = 0x80 | (cp & 63);
        nb = 3;
      } else {
        buf[0] = 0xf0 | (cp >> 18);
        buf[1] = 0x80 | ((cp >> 12) & 63);
        buf[2] = 0x80 | ((cp >> 6) & 63);
        buf[3] = 0x80 | (cp & 63);
        nb = 4;
      }
      let leaf = -1;
      for (let k = 0; k < nb; k++) {
        const b = buf[k]!;
        nodePos ^= b;
        const unit = nodePos < u.length ? u[nodePos]! : 0;
        if (nodePos >= u.length || (unit & ((1 << 31) | 0xff)) >>> 0 !== b) {
          if (first && len === 1) this.dead[c0] = 1;
          return best;
        }
        nodePos ^= offsetOf(unit);
        leaf = (unit >>> 8) & 1 ? nodePos : -1;
      }
      if (first && len === 1) this.dead[c0] = 2;
      first = false;
      j += len;
      if (leaf >= 0 && leaf < u.length) best = [j, u[leaf]! & 0x7fffffff];
    }
  }
  private readonly bytes = new Uint8Array(4);

  /** The replacement string at `value` (NUL-terminated). */
  replacement(value: number): string {
    let s = this.cache.get(value);
    if (s !== undefined) return s;
    if (value >= this.strings.length)
      throw new Error(
        `precompiled charsmap: replacement offset ${value} is outside the ${this.strings.length}-byte table`,
      );
    let e = value;
    while (e < this.strings.length && this.strings[e] !== 0) e++;
    s = new TextDecoder().decode(this.strings.subarray(value, e));
    this.cache.set(value, s);
    return s;
  }
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

/**
 * Apply the charsmap to `text`: longest-prefix rewriting as sentencepiece's
 * `NormalizePrefix`, calling `each(out, srcStart, srcEnd)` per normalized prefix (UTF-16
 * units). `userSymbols` (longest first) are kept as they are. Runs of code points no rule
 * starts with, other than ' ', are passed as one piece (same result: only ' ' pieces need the
 * whitespace handling one by one).
 */
function charsmapChunks(
  text: string,
  map: CharsMap | null,
  userSymbols: string[],
  each: (out: string, a: number, b: number) => void,
): void {
  let run = -1; // start of a pending run of unchanged code points
  const flush = (end: number): void => {
    if (run >= 0 && end > run) each(text.slice(run, end), run, end);
    run = -1;
  };
  for (let i = 0; i < text.length;) {
    if (userSymbols.length > 0) {
      let matched = false;
      for (const u of userSymbols) {
        if (text.startsWith(u, i)) {
          flush(i);
          each(u, i, i + u.length);
          i += u.length;
          matched = true;
          break;
        }
      }
      if (matched) continue;
    }
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const len = pair ? 2 : 1;
    if (map !== null) {
      const m = map.longestAt(text, i);
      if (m !== null) {
        flush(i);
        each(map.replacement(m[1]), i, m[0]);
        i = m[0];
        continue;
      }
    }
    if (c === 0x20 || (c >= 0xd800 && c <= 0xdfff && !pair)) {
      flush(i);
      each(c === 0x20 ? ' ' : '\ufffd', i, i + 1);
    } else if (run < 0) run = i;
    i += len;
  }
  flush(text.length);
}

/** Rebuild `s` from chunks, merging runs of unchanged chunks (keeps the alignment arrays small). */
function applyChunks(s: NormalizedString, chunks: Array<[string, number, number]>): void {
  const text = s.normalized;
  const outs: string[] = [];
  const bounds: number[] = [];
  let changed = false;
  let expect = 0;
  let runOpen = false;
  for (const [out, a, b] of chunks) {
    if (a !== expect) {
      outs.push('');
      bounds.push(expect);
      changed = true;
      runOpen = false;
    }
    const same = out.length > 0 && b - a === out.length && text.startsWith(out, a);
    if (!same) changed = true;
    if (same && runOpen) outs[outs.length - 1] += out;
    else {
      outs.push(out);
      bounds.push(a);
    }
    runOpen = same;
    expect = b;
  }
  if (expect !== text.length) {
    outs.push('');
    bounds.push(expect);
    changed = true;
  }
  if (!changed) return;
  bounds.push(text.length);
  s.rebuild(outs, bounds);
}

/**
 * HF's `Precompiled` normalizer: a sentencepiece precompiled charsmap (nmt_nfkc, nfkc, …)
 * applied by longest-prefix match. Serialized as `{"type":"Precompiled",
 * "precompiled_charsmap": base64}` like HF.
 */
export class Precompiled implements Normalizer {
  readonly type = 'Precompiled';
  readonly map: CharsMap;
  constructor(readonly charsmap: Uint8Array) {
    this.map = new CharsMap(charsmap);
  }
  normalize(s: NormalizedString): void {
    const chunks: Array<[string, number, number]> = [];
    charsmapChunks(s.normalized, this.map, [], (o, a, b) => chunks.push([o, a, b]));
    applyChunks(s, chunks);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, precompiled_charsmap: toBase64(this.charsmap) };
  }
}

export interface SentencePieceNormalizerOptions {
  /** @default null — no charsmap (sentencepiece's `identity` rule) */
  charsmap?: Uint8Array | null;
  /** @default true */
  addDummyPrefix?: boolean;
  /** @default true — drop leading/trailing spaces, collapse runs of spaces */
  removeExtraWhitespaces?: boolean;
  /** @default true — ' ' becomes '▁' */
  escapeWhitespaces?: boolean;
  /** @default false — the dummy space goes at the end */
  treatWhitespaceAsSuffix?: boolean;
  /** @default [] — user-defined symbols, passed through unnormalized */
  userDefinedSymbols?: string[];
}

/**
 * sentencepiece's whole normalizer (`normalizer.cc` `Normalize`): charsmap, whitespace
 * removal/collapse, `▁` escaping and the dummy prefix, with alignment to the original text.
 * A wordloom extension type (`"type": "SentencePiece"` in tokenizer.json): HF does not load it;
 * use `sentencePieceToTokenizerJson` for an HF-loadable file.
 */
export class SentencePieceNormalizer implements Normalizer {
  readonly type = 'SentencePiece';
  readonly charsmap: CharsMap | null;
  readonly addDummyPrefix: boolean;
  readonly removeExtraWhitespaces: boolean;
  readonly escapeWhitespaces: boolean;
  readonly treatWhitespaceAsSuffix: boolean;
  readonly userDefinedSymbols: string[];
  constructor(options: SentencePieceNormalizerOptions = {}) {
    this.charsmap = options.charsmap ? new CharsMap(options.charsmap) : null;
    this.addDummyPrefix = options.addDummyPrefix ?? true;
    this.removeExtraWhitespaces = options.removeExtraWhitespaces ?? true;
    this.escapeWhitespaces = options.escapeWhitespaces ?? true;
    this.treatWhitespaceAsSuffix = options.treatWhitespaceAsSuffix ?? false;
    this.userDefinedSymbols = [...(options.userDefinedSymbols ?? [])].sort((a, b) => b.length - a.length);
  }
  /**
   * sentencepiece's Normalize as a sequence of chunks `emit(out, srcStart, srcEnd)` covering
   * the text in order (removed text: out ''; the dummy prefix: an empty source range).
   */
  private run(text: string, emit: (out: string, a: number, b: number) => void): void {
    const space = this.escapeWhitespaces ? '\u2581' : ' ';
    const removeExtra = this.removeExtraWhitespaces;
    const escape = this.escapeWhitespaces;
    let leading = removeExtra;
    let started = false;
    let prevSpace = removeExtra;
    // trailing spaces are held back until something else follows
    const held: Array<[string, number, number]> = [];
    const out = (o: string, a: number, b: number): void => {
      if (removeExtra) {
        if (o.length > 0 && o.endsWith(space) && o.length === space.length) {
          held.push([o, a, b]);
          return;
        }
        if (o.length > 0) for (const h of held.splice(0)) emit(h[0], h[1], h[2]);
        else if (held.length > 0) {
          held.push([o, a, b]);
          return;
        }
      }
      emit(o, a, b);
    };
    charsmapChunks(text, this.charsmap, this.userDefinedSymbols, (sp, a, b) => {
      if (leading) {
        if (sp === ' ') {
          emit('', a, b);
          return;
        }
        leading = false;
      }
      if (!started) {
        started = true;
        if (!this.treatWhitespaceAsSuffix && this.addDummyPrefix) out(space, a, a);
      }
      if (prevSpace) {
        let x = 0;
        while (x < sp.length && sp.charCodeAt(x) === 0x20) x++;
        if (x > 0) sp = sp.slice(x);
      }
      if (sp.length > 0) {
        const e = escape && sp.includes(' ') ? sp.replaceAll(' ', '\u2581') : sp;
        if (removeExtra && e.endsWith(space) && e.length > space.length) {
          // a piece ending in spaces: its trailing spaces may be trailing whitespace
          let k = e.length;
          while (k >= space.length && e.startsWith(space, k - space.length)) k -= space.length;
          if (k > 0) {
            out(e.slice(0, k), a, b);
            for (let q = k; q < e.length; q += space.length) out(space, b, b);
          } else for (let q = 0; q < e.length; q += space.length) out(space, q === 0 ? a : b, b);
        } else out(e, a, b);
        prevSpace = sp.endsWith(' ');
      } else out('', a, b);
      if (!removeExtra) prevSpace = false;
    });
    // held trailing spaces are dropped (their sources map to nothing)
    for (const h of held) emit('', h[1], h[2]);
    if (started && this.treatWhitespaceAsSuffix && this.addDummyPrefix) emit(space, text.length, text.length);
  }

  normalize(s: NormalizedString): void {
    const text = s.normalized;
    if (text.length === 0) return;
    const outs: string[] = [];
    const bounds: number[] = [];
    let changed = false;
    let expect = 0;
    let runOpen = false;
    this.run(text, (o, a, b) => {
      if (a > expect) {
        outs.push('');
        bounds.push(expect);
        changed = true;
        runOpen = false;
      }
      const same = o.length > 0 && b - a === o.length;
      if (!same || !text.startsWith(o, a)) changed = true;
      if (same && runOpen) outs[outs.length - 1] += o;
      else {
        outs.push(o);
        bounds.push(a);
      }
      runOpen = same;
      if (b > expect) expect = b;
    });
    if (expect < text.length) {
      outs.push('');
      bounds.push(expect);
      changed = true;
    }
    if (!changed) return;
    bounds.push(text.length);
    s.rebuild(outs, bounds);
  }

  /** The normalized text only (no alignment). */
  normalizeString(text: string): string {
    const n = this.normalizeUnits(text);
    let r = '';
    for (let i = 0; i < n; i += 4096) r += String.fromCharCode(...this.units.subarray(i, Math.min(n, i + 4096)));
    return r;
  }

  /**
   * The normalized text as UTF-16 code units in `this.units[0, length)` (a buffer reused by
   * the next call; returns the length): sentencepiece's `Normalizer::Normalize` written as its
   * loop is (leading spaces, dummy prefix, prefix by prefix with `is_prev_space`, trailing
   * spaces), straight into a typed array — no alignment, no chunk strings, no callbacks. The
   * fast path of `Tokenizer.encodeIds` and of `trainUnigram`'s loading (the aligned `normalize`
   * gives the same text; a property test checks both).
   */
  normalizeUnits(text: string): number {
    const n = text.length;
    if (n === 0) return 0;
    const map = this.charsmap;
    const users = this.userDefinedSymbols;
    const removeExtra = this.removeExtraWhitespaces;
    const SPACE = this.escapeWhitespaces ? 0x2581 : 0x20;
    let buf = this.units;
    if (buf.length < 2 * n + 2) buf = this.units = new Uint16Array(2 * n + 16);
    let o = 0;
    let i = 0;
    // one NormalizePrefix at i: its end, and its output (a string, or null for text[i, end))
    let end = 0;
    const prefix = (): string | null => {
      for (let k = 0; k < users.length; k++) {
        if (text.startsWith(users[k]!, i)) {
          end = i + users[k]!.length;
          return null;
        }
      }
      if (map !== null) {
        const m = map.longestAt(text, i);
        if (m !== null) {
          end = m[0];
          return map.replacement(m[1]);
        }
      }
      const c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdfff) {
        if (c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
          end = i + 2;
          return null;
        }
        end = i + 1;
        return '\ufffd'; // a lone surrogate: sentencepiece's malformed UTF-8 → U+FFFD
      }
      end = i + 1;
      return null;
    };
    if (removeExtra) {
      // leading prefixes that normalize to exactly " "
      while (i < n) {
        const rep = prefix();
        if (rep === null ? end - i === 1 && text.charCodeAt(i) === 0x20 : rep === ' ') i = end;
        else break;
      }
      if (i === n) return 0;
    }
    const suffix = this.treatWhitespaceAsSuffix;
    if (!suffix && this.addDummyPrefix) buf[o++] = SPACE;
    let prevSpace = removeExtra;
    const plain = users.length === 0;
    while (i < n) {
      // fast path: a BMP char no rule starts with and no user symbol (one unit in, one out)
      const c = text.charCodeAt(i);
      if (plain && (c < 0xd800 || c > 0xdfff) && (map === null || map.isDead(c))) {
        if (o + 2 > buf.length) {
          const grown = new Uint16Array(2 * o + 16);
          grown.set(buf.subarray(0, o));
          buf = this.units = grown;
        }
        if (c !== 0x20) {
          buf[o++] = c;
          prevSpace = false;
        } else if (!prevSpace) {
          buf[o++] = SPACE;
          prevSpace = removeExtra;
        }
        i++;
        continue;
      }
      const r = prefix();
      let a = r === null ? i : 0;
      const b = r === null ? end : r.length;
      const src = r === null ? text : r;
      if (prevSpace) while (a < b && src.charCodeAt(a) === 0x20) a++;
      if (a < b) {
        if (o + (b - a) + 2 > buf.length) {
          const grown = new Uint16Array(2 * (o + (b - a)) + 16);
          grown.set(buf.subarray(0, o));
          buf = this.units = grown;
        }
        for (let k = a; k < b; k++) {
          const c = src.charCodeAt(k);
          buf[o++] = c === 0x20 ? SPACE : c;
        }
        prevSpace = src.charCodeAt(b - 1) === 0x20;
      }
      i = end;
      if (!removeExtra) prevSpace = false;
    }
    if (removeExtra) while (o > 0 && buf[o - 1] === SPACE) o--;
    if (suffix && this.addDummyPrefix) {
      if (o + 1 > buf.length) {
        const grown = new Uint16Array(o + 16);
        grown.set(buf.subarray(0, o));
        buf = this.units = grown;
      }
      buf[o++] = SPACE;
    }
    return o;
  }
  /** Output buffer of `normalizeUnits` (valid until its next call). */
  units = new Uint16Array(256);

  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      precompiled_charsmap: this.charsmap === null ? null : toBase64(this.charsmap.blob),
      add_dummy_prefix: this.addDummyPrefix,
      remove_extra_whitespaces: this.removeExtraWhitespaces,
      escape_whitespaces: this.escapeWhitespaces,
      treat_whitespace_as_suffix: this.treatWhitespaceAsSuffix,
      user_defined_symbols: this.userDefinedSymbols,
    };
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function toBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    out += B64[a >> 2]! + B64[((a & 3) << 4) | (b >> 4)]!;
    out += i + 1 < bytes.length ? B64[((b & 15) << 2) | (c >> 6)]! : '=';
    out += i + 2 < bytes.length ? B64[c & 63]! : '=';
  }
  return out;
}

export function fromBase64(s: string, where: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  if (/[^A-Za-z0-9+/]/.test(clean)) throw new Error(`${where}: not valid base64`);
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | B64.indexOf(clean[i]!);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, j);
}

// ---------------------------------------------------------------- the Tokenizer

/**
 * BPE merges of a sentencepiece BPE model (its pieces carry scores, not merges): every split
 * of a piece into two pieces, ordered by the merged piece's score (higher first), then by id,
 * as HF's `SentencePieceExtractor`.
 */
function spmBpeMerges(proto: SentencePieceModelProto): Array<[string, string]> {
  const ids = new Map<string, number>();
  proto.pieces.forEach((p, i) => {
    if (p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED)
      ids.set(p.piece, i);
  });
  const merges: Array<{ l: string; r: string; score: number; id: number; li: number; ri: number }> = [];
  proto.pieces.forEach((p, id) => {
    if (p.type !== PieceType.NORMAL) return;
    const s = p.piece;
    for (let i = 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if ((c & 0xfc00) === 0xdc00) continue; // inside a surrogate pair
      const l = s.slice(0, i);
      const r = s.slice(i);
      const li = ids.get(l);
      const ri = ids.get(r);
      if (li !== undefined && ri !== undefined) merges.push({ l, r, score: p.score, id, li, ri });
    }
  });
  merges.sort((a, b) => b.score - a.score || a.id - b.id || a.li - b.li || a.ri - b.ri);
  return merges.map((m) => [m.l, m.r]);
}

/**
 * Read a sentencepiece `.model` file into a Tokenizer that encodes as sentencepiece 0.1.97
 * (`spm_encode --output_format=id`, no BOS/EOS): Unigram and BPE models, byte fallback, the
 * precompiled charsmap, user-defined symbols. Special tokens (unk, bos, eos, pad) are
 * registered by role; text that spells them is encoded as plain text, as sentencepiece does.
 */
export function readSentencePieceModel(bytes: Uint8Array): Tokenizer {
  const proto = parseSentencePieceModel(bytes);
  return sentencePieceTokenizer(proto);
}

/**
 * The ModelProto each Tokenizer made by `sentencePieceTokenizer` came from, with its model and
 * normalizer: `writeSentencePieceModel` writes the proto while the tokenizer still has them.
 */
export const sentencePieceOrigin = new WeakMap<
  Tokenizer,
  { proto: SentencePieceModelProto; model: unknown; normalizer: unknown }
>();

/** A Tokenizer from a parsed (or trained) ModelProto. */
export function sentencePieceTokenizer(proto: SentencePieceModelProto): Tokenizer {
  const ts = proto.trainerSpec;
  const ns = proto.normalizerSpec;
  const unk = proto.pieces.findIndex((p) => p.type === PieceType.UNKNOWN);
  if (unk < 0) throw new Error(`${FN}: the model has no UNKNOWN piece`);
  const userSymbols = proto.pieces.filter((p) => p.type === PieceType.USER_DEFINED).map((p) => p.piece);
  const normalizer = new SentencePieceNormalizer({
    charsmap: ns.precompiledCharsmap.length > 0 ? ns.precompiledCharsmap : null,
    addDummyPrefix: ns.addDummyPrefix,
    removeExtraWhitespaces: ns.removeExtraWhitespaces,
    escapeWhitespaces: ns.escapeWhitespaces,
    treatWhitespaceAsSuffix: ts.treatWhitespaceAsSuffix,
    userDefinedSymbols: userSymbols,
  });
  let model;
  if (ts.modelType === 'unigram') {
    model = new Unigram({
      vocab: proto.pieces.map((p) => [p.piece, p.score]),
      unkId: unk,
      byteFallback: ts.byteFallback,
      pieceTypes: proto.pieces.map((p) => p.type),
    });
  } else if (ts.modelType === 'bpe') {
    const vocab = new Map<string, number>();
    proto.pieces.forEach((p, i) => vocab.set(p.piece, i));
    model = new BPE({
      vocab,
      merges: spmBpeMerges(proto),
      unkToken: proto.pieces[unk]!.piece,
      fuseUnk: true,
      byteFallback: ts.byteFallback,
    });
  } else if (ts.modelType === 'word' || ts.modelType === 'char') {
    const opts = {
      vocab: proto.pieces.map((p): [string, number] => [p.piece, p.score]),
      pieceTypes: proto.pieces.map((p) => p.type),
      byteFallback: ts.byteFallback,
    };
    model = ts.modelType === 'word' ? new SentencePieceWord(opts) : new SentencePieceChar(opts);
  } else throw new Error(`${FN}: model_type ${ts.modelType} is not supported (unigram, bpe, word and char are)`);
  const tok = new Tokenizer({
    model,
    normalizer,
    decoder: new DecoderSequence([
      ...(ns.escapeWhitespaces ? [new ReplaceDecoder('\u2581', ' ')] : []),
      new ByteFallbackDecoder(),
      new FuseDecoder(),
      ...(ns.addDummyPrefix && !ts.treatWhitespaceAsSuffix ? [new StripDecoder(' ', 1, 0)] : []),
    ]),
  });
  const roles: Array<[SpecialTokenRole, number]> = [
    ['unk', unk],
    ['bos', ts.bosId],
    ['eos', ts.eosId],
    ['pad', ts.padId],
  ];
  for (const [role, id] of roles) {
    const p = proto.pieces[id];
    if (id >= 0 && p !== undefined && (p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN))
      tok.setSpecialToken(role, p.piece);
  }
  // sentencepiece's BPE freezes user-defined symbols: matched (longest first) in the normalized
  // text, never merged with their neighbours — the same as splitting them out before the model,
  // which normalized added tokens do (merges never cross a frozen symbol, and each run between
  // two is merged on its own in the same order)
  if (ts.modelType === 'bpe' && userSymbols.length > 0) tok.addTokens(userSymbols, { normalized: true });
  sentencePieceOrigin.set(tok, { proto, model: tok.model, normalizer: tok.normalizer });
  return tok;
}

export interface SentencePieceJsonOptions {
  /** @default false */
  pretty?: boolean;
}

/**
 * Convert a sentencepiece `.model` into an HF-shaped tokenizer.json object, as transformers'
 * `convert_slow_tokenizer` does for T5/ALBERT (Unigram) and Llama (BPE): Precompiled + Strip +
 * Replace(' {2,}') normalizers, Metaspace pre-tokenizer and decoder for Unigram; for BPE a
 * `Prepend('▁')` + `Replace(' ', '▁')` normalizer and the Llama decoder. HF's pipeline is an
 * approximation of sentencepiece's (see the README for where they differ).
 */
export function sentencePieceToTokenizerJson(bytes: Uint8Array): Record<string, unknown> {
  const proto = parseSentencePieceModel(bytes);
  const ts = proto.trainerSpec;
  const ns = proto.normalizerSpec;
  const unk = proto.pieces.findIndex((p) => p.type === PieceType.UNKNOWN);
  const added = proto.pieces
    .map((p, id) => ({ p, id }))
    .filter(
      ({ p }) => p.type === PieceType.CONTROL || p.type === PieceType.UNKNOWN || p.type === PieceType.USER_DEFINED,
    )
    .map(({ p, id }) => ({
      id,
      content: p.piece,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: p.type === PieceType.USER_DEFINED,
      special: p.type !== PieceType.USER_DEFINED,
    }));
  const norms: Normalizer[] = [];
  if (ns.precompiledCharsmap.length > 0) norms.push(new Precompiled(ns.precompiledCharsmap));
  let model: Record<string, unknown>;
  let pre: Record<string, unknown> | null = null;
  let decoder: Record<string, unknown>;
  if (ts.modelType === 'unigram') {
    if (ns.removeExtraWhitespaces) {
      norms.push(new Strip({ left: true, right: true }));
      norms.push(new Replace({ pattern: { regex: ' {2,}' }, content: ' ' }));
    }
    model = {
      type: 'Unigram',
      unk_id: unk,
      vocab: proto.pieces.map((p) => [p.piece, p.score]),
      byte_fallback: ts.byteFallback,
    };
    const scheme = ns.addDummyPrefix ? 'always' : 'never';
    pre = new Metaspace({ replacement: '\u2581', prependScheme: scheme, split: true }).toJSON();
    decoder = new MetaspaceDecoder({ replacement: '\u2581', prependScheme: scheme, split: true }).toJSON();
  } else if (ts.modelType === 'bpe') {
    if (ns.removeExtraWhitespaces) {
      norms.push(new Strip({ left: true, right: true }));
      norms.push(new Replace({ pattern: { regex: ' {2,}' }, content: ' ' }));
    }
    if (ns.addDummyPrefix) norms.push(new Prepend('\u2581'));
    norms.push(new Replace({ pattern: ' ', content: '\u2581' }));
    const vocab: Record<string, number> = {};
    proto.pieces.forEach((p, i) => {
      Object.defineProperty(vocab, p.piece, { value: i, enumerable: true, writable: true, configurable: true });
    });
    model = {
      type: 'BPE',
      dropout: null,
      unk_token: proto.pieces[unk]!.piece,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: ts.byteFallback,
      ignore_merges: false,
      vocab,
      merges: spmBpeMerges(proto),
    };
    decoder = new DecoderSequence([
      new ReplaceDecoder('\u2581', ' '),
      new ByteFallbackDecoder(),
      new FuseDecoder(),
      ...(ns.addDummyPrefix ? [new StripDecoder(' ', 1, 0)] : []),
    ]).toJSON();
  } else throw new Error(`sentencePieceToTokenizerJson: model_type ${ts.modelType} is not supported yet`);
  const normJson = norms.length === 0 ? null : new NormalizerSequence(norms).toJSON();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: normJson,
    pre_tokenizer: pre,
    post_processor: null,
    decoder,
    model,
  };
}
