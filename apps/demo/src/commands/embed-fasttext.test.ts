/**
 * `embed train --method fasttext [--jamo]`, `embed neighbors` on the fastText model, and
 * `tokenize train --model unigram`, run in-process on tiny data (a few seconds each).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadFastTextBin, readWord2VecFormat } from '@wordloom/embeddings';
import { composeJamo, decomposeJamo, fromTokenizerJson } from '@wordloom/tokenizer';
import { describe, expect, it } from 'vitest';
import { cliTestDir, runCli as run } from './testdata/run-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The first 400 reviews of packages/embeddings/test/fixtures/nsmc.excerpt.txt (NSMC, CC0 1.0). */
const reviews = join(here, '..', 'testdata', 'nsmc-reviews.txt');

/** Neighbour words printed by `embed neighbors` (lines `word  0.123`). */
function neighbourWords(out: string): string[] {
  return out
    .split('\n')
    .filter((l) => /\s-?\d\.\d{3}$/.test(l))
    .map((l) => l.trim().split(/\s+/)[0]);
}

const conjoiningJamo = /[\u1100-\u11ff]/;
const tiny = ['--size', '16', '--epochs', '2', '--min-count', '2', '--bucket', '5000', '--sg', '--quiet'];

const tmp = cliTestDir('wordloom-demo-ft-');

describe('embed train --method fasttext', () => {
  it('writes model.bin that loads and gives a vector for an unseen word; neighbors answers a misspelling', async () => {
    const out = join(tmp, 'ft-en');
    const t = await run('embed', 'train', '--method', 'fasttext', '--max-words', '20000', ...tiny, '--out', out);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/trained 16-d fastText skip-gram vectors for [\d,]+ words/);
    for (const f of ['model.bin', 'fasttext.json', 'vectors.txt', 'metrics.json'])
      expect(existsSync(join(out, f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'fasttext.json'), 'utf8'))).toEqual({ jamo: false });
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ method: 'fasttext', minn: 3, maxn: 6, bucket: 5000, jamo: false });

    const m = loadFastTextBin(join(out, 'model.bin'));
    expect(m.wv.bucket).toBe(5000);
    const kv = readWord2VecFormat(new Uint8Array(readFileSync(join(out, 'vectors.txt'))));
    expect(kv.size).toBe(metrics.vocabulary);
    expect(m.wv.has('the')).toBe(true);
    expect(m.wv.has('televisionz')).toBe(false);
    const v = m.wv.get('televisionz');
    expect(v.length).toBe(16);
    expect(v.every((x) => Number.isFinite(x))).toBe(true);
    expect(Math.hypot(...v)).toBeGreaterThan(0);

    const n = await run('embed', 'neighbors', 'televisionz', '--topn', '4', '--out', out);
    expect(n.err).toBe('');
    expect(n.code).toBe(0);
    expect(n.out).toContain("'televisionz' is not in the vocabulary");
    expect(neighbourWords(n.out)).toHaveLength(4);

    // another method in the same --out removes the fastText model: neighbors reads vectors.txt again
    const w = await run(
      'embed',
      'train',
      '--method',
      'ppmi-svd',
      '--max-words',
      '5000',
      '--size',
      '8',
      '--out',
      out,
      '--quiet',
    );
    expect(w.code).toBe(0);
    expect(existsSync(join(out, 'model.bin'))).toBe(false);
    const n2 = await run('embed', 'neighbors', 'televisionz', '--out', out);
    expect(n2.code).not.toBe(0);
    expect(n2.err).toMatch(/'televisionz' is not in the vocabulary/);
  }, 60_000);

  it('--jamo: Korean words round-trip through jamo in neighbors; unseen words get neighbours', async () => {
    const out = join(tmp, 'ft-ko');
    const t = await run('embed', 'train', '--method', 'fasttext', '--jamo', '--text', reviews, ...tiny, '--out', out);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'fasttext.json'), 'utf8'))).toEqual({ jamo: true });
    // the .bin holds jamo words; vectors.txt the syllables
    const m = loadFastTextBin(join(out, 'model.bin'), { wordTransform: (w) => decomposeJamo(w) });
    expect(m.wv.vectorsVocab.length).toBeGreaterThan(0);
    expect(m.wv.has('영화')).toBe(true);
    expect(m.wv.kv.has(decomposeJamo('영화'))).toBe(true);
    const kv = readWord2VecFormat(new Uint8Array(readFileSync(join(out, 'vectors.txt'))));
    expect(kv.has('영화')).toBe(true);
    expect(kv.words.some((w) => conjoiningJamo.test(w))).toBe(false);

    const n = await run('embed', 'neighbors', '영화', '--topn', '5', '--out', out);
    expect(n.err).toBe('');
    expect(n.code).toBe(0);
    expect(n.out).not.toContain('not in the vocabulary'); // the query went through decomposeJamo too
    const words = neighbourWords(n.out);
    expect(words).toHaveLength(5);
    for (const w of words) {
      expect(w).not.toMatch(conjoiningJamo); // composed back for display
      expect(w).toMatch(/[\uac00-\ud7a3]/u);
      expect(kv.has(w)).toBe(true);
      expect(composeJamo(decomposeJamo(w))).toBe(w);
    }

    const unseen = '영화관람객님';
    expect(kv.has(unseen)).toBe(false);
    const u = await run('embed', 'neighbors', unseen, '--topn', '3', '--out', out);
    expect(u.code).toBe(0);
    expect(u.out).toContain(`'${unseen}' is not in the vocabulary`);
    const uw = neighbourWords(u.out);
    expect(uw).toHaveLength(3);
    for (const w of uw) expect(w).not.toMatch(conjoiningJamo);
  }, 60_000);

  it('bad fastText options: one line naming the option', async () => {
    const a = await run('embed', 'train', '--method', 'word2vec', '--jamo', '--out', join(tmp, 'bad'));
    expect(a.code).not.toBe(0);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toMatch(/--jamo needs --method fasttext/);
    const b = await run('embed', 'train', '--method', 'fasttext', '--bucket', '-1', '--out', join(tmp, 'bad'));
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/--bucket -1 must be an integer ≥ 0/);
    const c = await run('embed', 'train', '--method', 'fasttext', '--minn', '0', '--out', join(tmp, 'bad'));
    expect(c.err).toMatch(/--minn 0 must be an integer ≥ 1/);
    const d = await run(
      'embed',
      'train',
      '--method',
      'fasttext',
      '--text',
      join(tmp, 'nope.txt'),
      '--out',
      join(tmp, 'bad'),
    );
    expect(d.code).toBe(3);
    expect(d.err).toMatch(/--text .*nope\.txt does not exist/);
  });
});

describe('tokenize train --model unigram', () => {
  it('writes a Unigram tokenizer.json that loads and encodes', async () => {
    const out = join(tmp, 'uni');
    const t = await run(
      'tokenize',
      'train',
      '--model',
      'unigram',
      '--max-lines',
      '300',
      '--vocab-size',
      '400',
      '--out',
      out,
    );
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/trained Unigram with 400 tokens on 300 lines/);
    const json = readFileSync(join(out, 'tokenizer.json'), 'utf8');
    expect(JSON.parse(json).model.type).toBe('Unigram');
    const tok = fromTokenizerJson(json);
    expect(tok.getVocab().size).toBe(400);
    const text = 'The station went on the air.';
    const enc = tok.encode(text);
    expect(enc.tokens.length).toBeGreaterThan(2);
    expect(tok.decode(enc.ids)).toBe(text);
    const e = await run('tokenize', 'encode', text, '--out', out);
    expect(e.code).toBe(0);
    expect(e.out).toContain(`decoded: ${text}`);
    expect(e.out).toContain(`ids: ${Array.from(enc.ids).join(' ')}`);

    const bad = await run('tokenize', 'train', '--model', 'wordpiece', '--out', out);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--model wordpiece is not one of bpe\|unigram/);
    const small = await run(
      'tokenize',
      'train',
      '--model',
      'unigram',
      '--max-lines',
      '300',
      '--vocab-size',
      '20',
      '--out',
      out,
    );
    expect(small.code).not.toBe(0);
    expect(small.err.trim().split('\n')).toHaveLength(1);
    expect(small.err).toMatch(/--vocab-size 20 is too small/);
  }, 60_000);
});
