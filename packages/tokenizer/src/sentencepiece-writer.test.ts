// writeSentencePieceModel: .model files sentencepiece reads as we do (fixtures by
// tooling/golden/tokenizer/sentencepiece/make_written_fixtures.mjs: trainUnigram output written by
// writeSentencePieceModel, then encoded by spm_encode 0.1.97), and byte-for-byte round trips of the
// spm_train models (make_spm_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BPE,
  PieceType,
  Tokenizer,
  fromTokenizerJson,
  parseSentencePieceModel,
  readSentencePieceModel,
  toTokenizerJson,
  trainUnigram,
  writeSentencePieceModel,
  type SentencePieceModelProto,
} from './index.js';
import { fixturesDir, readFixture } from '../test/fixtures.js';

const dir = join(fixturesDir, 'sentencepiece');
const bytesOf = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, `${name}.model`)));
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe.each(['ko-unigram', 'ko-bpe', 'en-unigram', 'en-bpe', 'ours-ko-unigram', 'ours-en-unigram'])(
  '%s.model: read → write',
  (name) => {
    const bytes = bytesOf(name);
    it('parseSentencePieceModel → writeSentencePieceModel gives the file byte for byte', () => {
      expect(same(writeSentencePieceModel(parseSentencePieceModel(bytes)), bytes)).toBe(true);
    });
    it('readSentencePieceModel → writeSentencePieceModel (the Tokenizer) gives the file byte for byte', () => {
      expect(same(writeSentencePieceModel(readSentencePieceModel(bytes)), bytes)).toBe(true);
    });
    it('without the layout (fields in number order) it reads back as the same model', () => {
      const { layout: _l, ...bare } = parseSentencePieceModel(bytes);
      const { layout: _m, ...again } = parseSentencePieceModel(writeSentencePieceModel(bare));
      // the charsmap compared as bytes (a deep equal of 240 KB is slow)
      const noMap = (p: typeof bare) => ({ ...p, normalizerSpec: { ...p.normalizerSpec, precompiledCharsmap: null } });
      expect(same(again.normalizerSpec.precompiledCharsmap, bare.normalizerSpec.precompiledCharsmap)).toBe(true);
      expect(JSON.stringify(noMap(again))).toBe(JSON.stringify(noMap(bare)));
    });
  },
);

describe.each(['ours-ko-unigram', 'ours-en-unigram'])('%s.model (trainUnigram, written by us)', (name) => {
  const g = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { lines: string[]; ids: number[][] };
  it(`encodes the ${g.lines.length} lines as spm_encode does on the file we wrote, id for id`, () => {
    const tok = readSentencePieceModel(bytesOf(name));
    const bad = g.lines.filter(
      (line, i) => JSON.stringify(Array.from(tok.encode(line).ids)) !== JSON.stringify(g.ids[i]),
    );
    expect(bad).toEqual([]);
  });
});

describe('writeSentencePieceModel', () => {
  it('a model trained here, written and read back, encodes as the trained tokenizer; also when rebuilt from its tokenizer.json', async () => {
    const lines = [...readFixture('english.txt').split('\n'), ...readFixture('nsmc-50.txt').split('\n')].filter(
      (l) => l.length > 0,
    );
    const res = await trainUnigram(lines, {
      vocabSize: 500,
      characterCoverage: 1,
      padPiece: '<pad>',
      userDefinedSymbols: ['[MASK]'],
    });
    const fromResult = writeSentencePieceModel(res.model);
    expect(same(writeSentencePieceModel(res.tokenizer), fromResult)).toBe(true);
    const back = readSentencePieceModel(fromResult);
    // a tokenizer.json round trip loses the origin: the proto is rebuilt from the Unigram and its normalizer
    const viaJson = fromTokenizerJson(toTokenizerJson(res.tokenizer));
    const rebuilt = parseSentencePieceModel(writeSentencePieceModel(viaJson));
    expect(rebuilt.pieces).toEqual(res.pieces);
    const again = readSentencePieceModel(writeSentencePieceModel(viaJson));
    for (const line of [...lines, 'unseen ☃ text [MASK] 재밌어요  ']) {
      const want = Array.from(res.tokenizer.encode(line).ids);
      expect(Array.from(back.encode(line).ids)).toEqual(want);
      expect(Array.from(again.encode(line).ids)).toEqual(want);
    }
  });

  it('negative ids (ten-byte varints) are read as -1 and written back as protobuf writes them', () => {
    const p = parseSentencePieceModel(bytesOf('ko-unigram'));
    expect(p.trainerSpec.padId).toBe(-1);
    const { layout: _l, ...bare } = p;
    const again = parseSentencePieceModel(
      writeSentencePieceModel({ ...bare, trainerSpec: { ...bare.trainerSpec, bosId: -1 } }),
    );
    expect(again.trainerSpec.bosId).toBe(-1);
    expect(again.trainerSpec.padId).toBe(-1);
  });

  it('errors name the problem', () => {
    const bpe = new Tokenizer({ model: new BPE({ vocab: new Map([['a', 0]]), merges: [] }) });
    expect(() => writeSentencePieceModel(bpe)).toThrow(/writeSentencePieceModel: this tokenizer has a BPE model/);
    const p: SentencePieceModelProto = parseSentencePieceModel(bytesOf('en-bpe'));
    const twice = { ...p, pieces: [...p.pieces, { ...p.pieces[10]! }] };
    expect(() => writeSentencePieceModel(twice)).toThrow(/piece ".*" is given twice \(ids 10 and \d+\)/);
    const noUnk = { ...p, pieces: p.pieces.map((x) => ({ ...x, type: x.type === PieceType.UNKNOWN ? 1 : x.type })) };
    expect(() => writeSentencePieceModel(noUnk)).toThrow(/no piece has type UNKNOWN/);
    const empty = { ...p, pieces: [{ piece: '', score: 0, type: PieceType.UNKNOWN }] };
    expect(() => writeSentencePieceModel(empty)).toThrow(/pieces\[0\] is empty/);
  });
});
