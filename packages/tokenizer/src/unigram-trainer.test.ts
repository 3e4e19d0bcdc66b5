import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PieceType, parseSentencePieceModel, trainUnigram, type UnigramTrainProgress } from './index.js';
import { fixturesDir, readFixture } from '../test/fixtures.js';

const korean = readFixture('nsmc-50.txt')
  .split('\n')
  .filter((l) => l.length > 0);
const english = readFixture('english.txt')
  .split('\n')
  .filter((l) => l.length > 0);
const corpus = [...korean, ...english];

describe('trainUnigram', () => {
  it('trains a small vocabulary: meta pieces first, required chars kept, scores sorted, encodes losslessly', async () => {
    const stages = new Set<string>();
    const res = await trainUnigram(corpus, {
      vocabSize: 800,
      characterCoverage: 1,
      userDefinedSymbols: ['[MASK]'],
      onProgress: (p: UnigramTrainProgress) => stages.add(p.stage),
    });
    expect(res.pieces.length).toBe(800);
    expect(res.pieces.slice(0, 4).map((p) => p.piece)).toEqual(['<unk>', '<s>', '</s>', '[MASK]']);
    expect(res.pieces[3]!.type).toBe(PieceType.USER_DEFINED);
    expect([...stages]).toEqual(['load', 'seed', 'em', 'prune', 'done']);
    const normal = res.pieces.filter((p) => p.type === PieceType.NORMAL);
    for (let i = 1; i < normal.length; i++) expect(normal[i]!.score).toBeLessThanOrEqual(normal[i - 1]!.score);
    // every character of the corpus is a piece (coverage 1), pieces obey sentencepiece's rules
    const set = new Set(res.pieces.map((p) => p.piece));
    for (const line of corpus) for (const ch of line.replace(/ /g, '')) expect(set.has(ch)).toBe(true);
    for (const p of normal) {
      expect(p.piece.slice(1)).not.toContain('\u2581');
      expect([...p.piece].length).toBeLessThanOrEqual(16);
    }
    for (const line of corpus.slice(0, 20)) {
      const e = res.tokenizer.encode(line);
      expect(e.ids).not.toContain(0);
      expect(res.tokenizer.decode(e.ids)).toBe(line.trim().replace(/ +/g, ' '));
    }
    expect(res.tokenizer.encode('a [MASK] b').tokens).toContain('[MASK]');
  });
  it('character coverage drops rare characters to <unk>; byte fallback adds the 256 byte pieces', async () => {
    const res = await trainUnigram(corpus, { vocabSize: 600, characterCoverage: 0.98, byteFallback: true });
    expect(res.pieces.filter((p) => p.type === PieceType.BYTE).length).toBe(256);
    const rare = '\u{1F600}';
    const ids = Array.from(res.tokenizer.encode(`가 ${rare}`).ids);
    expect(ids.some((id) => res.pieces[id]!.piece === '<0xF0>')).toBe(true);
  });
  it('uses a precompiled charsmap (nmt_nfkc from a .model file)', async () => {
    const cm = parseSentencePieceModel(new Uint8Array(readFileSync(join(fixturesDir, 'sentencepiece', 'en-bpe.model'))))
      .normalizerSpec.precompiledCharsmap;
    expect(cm.length).toBe(0);
    const ko = parseSentencePieceModel(
      new Uint8Array(readFileSync(join(fixturesDir, 'sentencepiece', 'ko-unigram.model'))),
    ).normalizerSpec.precompiledCharsmap;
    const res = await trainUnigram(['ＡＢＣ abc abc'], { vocabSize: 20, characterCoverage: 1, charsmap: ko });
    expect(res.pieces.some((p) => p.piece === 'Ａ')).toBe(false);
  });
  it('is aborted by the signal, and bad options are clear errors', async () => {
    const ac = new AbortController();
    const p = trainUnigram(corpus, {
      vocabSize: 800,
      signal: ac.signal,
      onProgress: (q) => {
        if (q.stage === 'seed') ac.abort(new Error('stop here'));
      },
    });
    await expect(p).rejects.toThrow(/stop here/);
    await expect(trainUnigram(corpus, { vocabSize: 3 })).rejects.toThrow(/leaves no room/);
    await expect(trainUnigram(corpus, { vocabSize: 100, characterCoverage: 1 })).rejects.toThrow(/is too small/);
    await expect(trainUnigram(corpus, { shrinkingFactor: 1 })).rejects.toThrow(/shrinkingFactor/);
    await expect(trainUnigram(['', ''], {})).rejects.toThrow(/no non-empty line/);
  });
});
