/**
 * Writing sentencepiece `.model` files (a `ModelProto`, `sentencepiece_model.proto` of sentencepiece
 * 0.1.97): from a parsed or trained `SentencePieceModelProto`, or from a Tokenizer — one read with
 * `readSentencePieceModel` or trained by `trainUnigram` (its ModelProto is written), or any Tokenizer
 * with a `Unigram` model and sentencepiece's normalizer (`SentencePieceNormalizer`), e.g. such a
 * tokenizer loaded back from its tokenizer.json.
 *
 * A file read with `parseSentencePieceModel` is written back byte for byte: its fields are written
 * in the file's order (`layout`), the ones wordloom does not interpret copied as they were. Without
 * a layout, fields go in field-number order as protobuf's C++ serializer writes them, and pieces as
 * spm_train writes them (piece, score, and the type only when it is not NORMAL).
 */
import { PieceType, Unigram } from './unigram.js';
import { SentencePieceNormalizer, sentencePieceOrigin, type SentencePieceModelProto } from './sentencepiece.js';
import { Tokenizer, type SpecialTokenRole } from './tokenizer.js';

const FN = 'writeSentencePieceModel';
const utf8 = new TextEncoder();

/** A growable protobuf wire-format writer. */
class ProtoWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }
  /** A varint; a negative int32/int64 as the ten bytes of its 64-bit two's complement, as protobuf writes it. */
  varint(v: number): void {
    if (v < 0) {
      let x = BigInt.asUintN(64, BigInt(v));
      while (x >= 0x80n) {
        this.byte(Number(x & 0x7fn) | 0x80);
        x >>= 7n;
      }
      this.byte(Number(x));
      return;
    }
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }
  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }
  int(field: number, v: number, name: string): void {
    if (!Number.isSafeInteger(v)) throw new Error(`${FN}: ${name} must be an integer, got ${v}`);
    this.tag(field, 0);
    this.varint(v);
  }
  bool(field: number, v: boolean): void {
    this.tag(field, 0);
    this.varint(v ? 1 : 0);
  }
  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    this.view.setFloat32(this.len, v, true);
    this.len += 4;
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.raw(b);
  }
  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/** [field number, write it, is its value the default (then a file that did not have it gets none)]. */
type Known = Array<[number, (w: ProtoWriter) => void, boolean]>;

/** A message's fields: in the layout's order when there is one, else every known field by number. */
function writeFields(w: ProtoWriter, known: Known, layout: Array<number | Uint8Array> | undefined): void {
  if (layout === undefined) {
    for (const [, write] of [...known].sort((a, b) => a[0] - b[0])) write(w);
    return;
  }
  const byField = new Map(known.map((k) => [k[0], k]));
  const done = new Set<number>();
  for (const f of layout) {
    if (typeof f !== 'number') w.raw(f);
    else if (!done.has(f)) {
      byField.get(f)?.[1](w);
      done.add(f);
    }
  }
  // known fields the file did not have: only when they are no longer the default
  for (const [f, write, isDefault] of [...known].sort((a, b) => a[0] - b[0])) if (!done.has(f) && !isDefault) write(w);
}

const MODEL_TYPE_IDS = { unigram: 1, bpe: 2, word: 3, char: 4 } as const;

function submessage(w: ProtoWriter, field: number, fill: (inner: ProtoWriter) => void): void {
  const inner = new ProtoWriter();
  fill(inner);
  w.bytes(field, inner.finish());
}

function checkProto(p: SentencePieceModelProto): void {
  if (!p || !Array.isArray(p.pieces) || p.pieces.length === 0)
    throw new Error(`${FN}: the model has no pieces (expected a SentencePieceModelProto or a Tokenizer)`);
  const seen = new Map<string, number>();
  let unk = -1;
  p.pieces.forEach((x, i) => {
    if (typeof x.piece !== 'string' || x.piece.length === 0)
      throw new Error(`${FN}: pieces[${i}] is empty; sentencepiece refuses empty pieces`);
    if (!Number.isInteger(x.type) || x.type < 1 || x.type > 6)
      throw new Error(`${FN}: pieces[${i}] (${JSON.stringify(x.piece)}) has type ${x.type}; expected 1–6 (PieceType)`);
    if (typeof x.score !== 'number' || Number.isNaN(x.score))
      throw new Error(`${FN}: pieces[${i}] (${JSON.stringify(x.piece)}) has score ${x.score}; expected a number`);
    const before = seen.get(x.piece);
    if (before !== undefined)
      throw new Error(
        `${FN}: piece ${JSON.stringify(x.piece)} is given twice (ids ${before} and ${i}); sentencepiece refuses the file`,
      );
    seen.set(x.piece, i);
    if (x.type === PieceType.UNKNOWN) {
      if (unk >= 0) throw new Error(`${FN}: pieces ${unk} and ${i} are both UNKNOWN; sentencepiece needs exactly one`);
      unk = i;
    }
  });
  if (unk < 0) throw new Error(`${FN}: no piece has type UNKNOWN; sentencepiece needs exactly one`);
  if (!(p.trainerSpec.modelType in MODEL_TYPE_IDS))
    throw new Error(
      `${FN}: trainerSpec.modelType ${String(p.trainerSpec.modelType)} is not unigram, bpe, word or char`,
    );
}

/** The ModelProto of a Tokenizer: its origin while unchanged, else rebuilt from its Unigram model and normalizer. */
function protoOf(tok: Tokenizer): SentencePieceModelProto {
  const origin = sentencePieceOrigin.get(tok);
  if (origin && origin.model === tok.model && origin.normalizer === tok.normalizer) return origin.proto;
  const m = tok.model;
  if (!(m instanceof Unigram))
    throw new Error(
      `${FN}: this tokenizer has a ${m.type} model; a Tokenizer is written from a Unigram model with a SentencePieceNormalizer (other models only as read by readSentencePieceModel, unchanged)`,
    );
  const n = tok.normalizer;
  if (!(n instanceof SentencePieceNormalizer))
    throw new Error(
      `${FN}: the tokenizer's normalizer is ${n === null ? 'null' : n.type}; a .model needs sentencepiece's normalizer (SentencePieceNormalizer, what readSentencePieceModel and trainUnigram give)`,
    );
  if (m.unkId === null) throw new Error(`${FN}: the Unigram model has no unk_id; sentencepiece needs an unknown piece`);
  const unkId = m.unkId;
  const roleId = (role: SpecialTokenRole): number => {
    try {
      const id = tok.specialTokenId(role);
      return id < m.vocab.length ? id : -1;
    } catch {
      return -1;
    }
  };
  const bosId = roleId('bos');
  const eosId = roleId('eos');
  const padId = roleId('pad');
  const control = new Set([bosId, eosId, padId].filter((i) => i >= 0 && i !== unkId));
  const user = new Set(n.userDefinedSymbols);
  const types = m.pieceTypes;
  const pieces = m.vocab.map(([piece, score], i) => ({
    piece,
    score: Math.fround(score),
    type:
      types !== null
        ? types[i]!
        : i === unkId
          ? PieceType.UNKNOWN
          : control.has(i)
            ? PieceType.CONTROL
            : user.has(piece)
              ? PieceType.USER_DEFINED
              : m.byteFallback && /^<0x[0-9A-F]{2}>$/.test(piece)
                ? PieceType.BYTE
                : PieceType.NORMAL,
  }));
  return {
    pieces,
    trainerSpec: {
      modelType: 'unigram',
      vocabSize: pieces.length,
      byteFallback: m.byteFallback,
      unkId,
      bosId,
      eosId,
      padId,
      treatWhitespaceAsSuffix: n.treatWhitespaceAsSuffix,
      splitByWhitespace: true,
      maxSentencepieceLength: 16,
      characterCoverage: 0.9995,
    },
    normalizerSpec: {
      name: n.charsmap ? 'custom' : 'identity',
      precompiledCharsmap: n.charsmap ? n.charsmap.blob : new Uint8Array(0),
      addDummyPrefix: n.addDummyPrefix,
      removeExtraWhitespaces: n.removeExtraWhitespaces,
      escapeWhitespaces: n.escapeWhitespaces,
    },
  };
}

/**
 * Write a sentencepiece `.model` file (the `ModelProto` protobuf) that `spm_encode` and
 * `SentencePieceProcessor` load. `source` is a `SentencePieceModelProto` (from
 * `parseSentencePieceModel`, or `trainUnigram`'s `model`) or a `Tokenizer` (see the module comment).
 * Errors name the problem: no or two UNKNOWN pieces, a piece given twice, an empty piece, a model
 * that is not Unigram, a normalizer that is not sentencepiece's.
 */
export function writeSentencePieceModel(source: Tokenizer | SentencePieceModelProto): Uint8Array {
  const p = source instanceof Tokenizer ? protoOf(source) : source;
  checkProto(p);
  const ts = p.trainerSpec;
  const ns = p.normalizerSpec;
  const layout = p.layout;
  const w = new ProtoWriter();
  const pieces = (out: ProtoWriter): void => {
    for (const x of p.pieces) {
      const b = utf8.encode(x.piece);
      const typed = x.type !== PieceType.NORMAL;
      const size = 1 + varintSize(b.length) + b.length + 5 + (typed ? 1 + varintSize(x.type) : 0);
      out.tag(1, 2);
      out.varint(size);
      out.bytes(1, b);
      out.float(2, x.score);
      if (typed) out.int(3, x.type, 'piece type');
    }
  };
  const trainer = (out: ProtoWriter): void =>
    submessage(out, 2, (t) =>
      writeFields(
        t,
        [
          [3, (x) => x.int(3, MODEL_TYPE_IDS[ts.modelType], 'model_type'), ts.modelType === 'unigram'],
          [4, (x) => x.int(4, ts.vocabSize, 'vocab_size'), ts.vocabSize === 8000],
          [10, (x) => x.float(10, ts.characterCoverage), Math.fround(ts.characterCoverage) === Math.fround(0.9995)],
          [
            20,
            (x) => x.int(20, ts.maxSentencepieceLength, 'max_sentencepiece_length'),
            ts.maxSentencepieceLength === 16,
          ],
          [22, (x) => x.bool(22, ts.splitByWhitespace), ts.splitByWhitespace],
          [24, (x) => x.bool(24, ts.treatWhitespaceAsSuffix), !ts.treatWhitespaceAsSuffix],
          [35, (x) => x.bool(35, ts.byteFallback), !ts.byteFallback],
          [40, (x) => x.int(40, ts.unkId, 'unk_id'), ts.unkId === 0],
          [41, (x) => x.int(41, ts.bosId, 'bos_id'), ts.bosId === 1],
          [42, (x) => x.int(42, ts.eosId, 'eos_id'), ts.eosId === 2],
          [43, (x) => x.int(43, ts.padId, 'pad_id'), ts.padId === -1],
        ],
        layout?.trainerSpec,
      ),
    );
  const normalizer = (out: ProtoWriter): void =>
    submessage(out, 3, (n) =>
      writeFields(
        n,
        [
          [1, (x) => x.bytes(1, utf8.encode(ns.name)), ns.name === ''],
          [2, (x) => x.bytes(2, ns.precompiledCharsmap), ns.precompiledCharsmap.length === 0],
          [3, (x) => x.bool(3, ns.addDummyPrefix), ns.addDummyPrefix],
          [4, (x) => x.bool(4, ns.removeExtraWhitespaces), ns.removeExtraWhitespaces],
          [5, (x) => x.bool(5, ns.escapeWhitespaces), ns.escapeWhitespaces],
        ],
        layout?.normalizerSpec,
      ),
    );
  writeFields(
    w,
    [
      [1, pieces, false],
      [2, trainer, false],
      [3, normalizer, false],
    ],
    layout?.model,
  );
  return w.finish();
}
