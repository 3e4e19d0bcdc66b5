// sentencepiece `word` and `char` models: our encode of .model files trained by spm_train 0.1.97
// equals spm_encode id for id (fixtures by
// tooling/golden/tokenizer/sentencepiece/make_spm_word_char_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PieceType,
  SentencePieceChar,
  SentencePieceWord,
  fromTokenizerJson,
  parseSentencePieceModel,
  readSentencePieceModel,
  toTokenizerJson,
  writeSentencePieceModel,
} from './index.js';
import { fixturesDir } from '../test/fixtures.js';
import { spmMismatches } from './testdata/spm-golden.js';

const dir = join(fixturesDir, 'sentencepiece');
const model = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, `${name}.model`)));
const golden = (name: string): { lines: string[]; ids: number[][] } =>
  JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { lines: string[]; ids: number[][] };

describe.each(['ko-word', 'ko-char', 'en-word', 'en-char'])('%s.model', (name) => {
  const bytes = model(name);
  const tok = readSentencePieceModel(bytes);
  const g = golden(name);
  it(`encodes ${g.lines.length} held-out and edge-case lines as spm_encode, id for id`, () => {
    expect(spmMismatches(tok, g)).toEqual([]);
    g.lines.forEach((line, i) => expect(Array.from(tok.encodeIds(line))).toEqual(g.ids[i]));
  });
  it('is the right model type, and offsets point into the input', () => {
    const type = parseSentencePieceModel(bytes).trainerSpec.modelType;
    expect(tok.model).toBeInstanceOf(type === 'word' ? SentencePieceWord : SentencePieceChar);
    const line = g.lines[3]!;
    const enc = tok.encode(line);
    for (const [s, e] of enc.offsets) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(e).toBeLessThanOrEqual(line.length);
      expect(s).toBeLessThanOrEqual(e);
    }
  });
  it('saves as tokenizer.json and .model and reloads with the same ids', () => {
    const back = fromTokenizerJson(toTokenizerJson(tok));
    const again = readSentencePieceModel(writeSentencePieceModel(tok));
    expect(Buffer.compare(writeSentencePieceModel(tok), bytes)).toBe(0); // byte for byte
    for (let i = 0; i < g.lines.length; i += 5) {
      expect(Array.from(back.encode(g.lines[i]!).ids)).toEqual(g.ids[i]);
      expect(Array.from(again.encode(g.lines[i]!).ids)).toEqual(g.ids[i]);
    }
  });
});

describe('SentencePieceWord / SentencePieceChar', () => {
  const vocab: Array<[string, number]> = [
    ['<unk>', 0],
    ['<s>', 0],
    ['▁a', -1],
    ['▁b', -2],
    ['x', -3],
    ['[M]', 0],
  ];
  const types = [PieceType.UNKNOWN, PieceType.CONTROL, 1, 1, 1, PieceType.USER_DEFINED];
  it('word: a word per ▁, unknown words fused into one <unk>', () => {
    const m = new SentencePieceWord({ vocab, pieceTypes: types });
    expect(m.tokenize('▁a▁c▁d▁b').map((t) => [t.id, t.start, t.end])).toEqual([
      [2, 0, 2],
      [0, 2, 6],
      [3, 6, 8],
    ]);
    expect(m.tokenize('▁▁a').map((t) => t.id)).toEqual([0, 2]);
    expect(() => m.tokenize('<s>▁a')).toThrow(/spells the control symbol/);
  });
  it('char: a char per piece, user-defined symbols whole, surrogate pairs one char', () => {
    const m = new SentencePieceChar({ vocab, pieceTypes: types });
    expect(m.tokenize('x[M]x😀y').map((t) => [t.id, t.start, t.end])).toEqual([
      [4, 0, 1],
      [5, 1, 4],
      [4, 4, 5],
      [0, 5, 8],
    ]);
  });
  it('bad vocabularies are clear errors', () => {
    expect(() => new SentencePieceWord({ vocab, pieceTypes: [1, 1, 1, 1, 1, 1] })).toThrow(/no piece has type UNKNOWN/);
    expect(() => new SentencePieceChar({ vocab, pieceTypes: types.slice(1) })).toThrow(/pieceTypes has 5 entries/);
    expect(() => new SentencePieceChar({ vocab, pieceTypes: types, byteFallback: true })).toThrow(
      /no <0x00> byte piece/,
    );
  });
});
