/**
 * Embeddings for `classify nsmc --pretrain word2vec`: skip-gram word2vec (@wordloom/embeddings)
 * over the BPE tokens of NSMC's unlabeled raw reviews, as the first layer of the classifier.
 *
 * Only text is used — never a rating — and every review of the canonical test set is left out
 * (by review id), so the test reviews stay unseen. The vectors are trained inside the run (nothing
 * is downloaded or pretrained elsewhere) and written as a word2vec binary file that gensim reads.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { Rng } from '@wordloom/core';
import { trainWord2Vec, writeWord2VecFormat, type KeyedVectors } from '@wordloom/embeddings';
import type { Tokenizer } from '@wordloom/tokenizer';
import { CliError, PROGRAM } from '../args.js';
import { since } from '../train-util.js';

export interface PretrainOptions {
  /** `nsmc-raw/nsmc_raw_reviews.jsonl.gz`. */
  rawPath: string;
  /** Review ids to leave out (the test set's). */
  exclude: ReadonlySet<string>;
  tokenizer: Tokenizer;
  dim: number;
  epochs: number;
  window: number;
  negative: number;
  minCount: number;
  workers: number;
  seed: number;
  log(s: string): void;
  quiet?: boolean;
}

export interface PretrainResult {
  /** `[vocabSize, dim]` row-major: word2vec vectors for the tokens it saw, small random rows for the rest. */
  weights: Float32Array;
  wv: KeyedVectors;
  reviews: number;
  excluded: number;
  tokens: number;
  /** Tokenizer ids that got a word2vec vector. */
  covered: number;
  seconds: number;
}

/** Reads the raw reviews' text (not their ratings), skipping the excluded ids. */
export function readRawReviews(path: string, exclude: ReadonlySet<string>): { texts: string[]; excluded: number } {
  let text: string;
  try {
    text = gunzipSync(readFileSync(path)).toString('utf8');
  } catch (e) {
    throw new CliError(`${PROGRAM} classify nsmc: ${path} is not a gzip file: ${(e as Error).message}`, 3);
  }
  const texts: string[] = [];
  let excluded = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line.length === 0) continue;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      throw new CliError(`${PROGRAM} classify nsmc: ${path} line ${lineNo} is not JSON`, 3);
    }
    const r = rec as { review_id?: unknown; review?: unknown };
    if (typeof r.review_id !== 'string' || typeof r.review !== 'string') {
      throw new CliError(`${PROGRAM} classify nsmc: ${path} line ${lineNo} lacks a string review_id and review`, 3);
    }
    if (exclude.has(r.review_id)) {
      excluded++;
      continue;
    }
    // The NSMC rule: runs of whitespace collapsed to one space.
    const t = r.review
      .split(/\s+/u)
      .filter((w) => w.length > 0)
      .join(' ');
    if (t.length > 0) texts.push(t);
  }
  if (texts.length === 0) throw new CliError(`${PROGRAM} classify nsmc: ${path} has no reviews left to pretrain on`, 3);
  return { texts, excluded };
}

export async function pretrainEmbeddings(o: PretrainOptions): Promise<PretrainResult> {
  const t0 = performance.now();
  const { texts, excluded } = readRawReviews(o.rawPath, o.exclude);
  const V = o.tokenizer.vocabSize;
  const itos: string[] = [];
  for (let i = 0; i < V; i++) itos.push(o.tokenizer.idToToken(i) ?? `<id ${i}>`);
  let tokens = 0;
  const sentences = texts.map((t) => {
    const ids = o.tokenizer.encodeIds(t);
    tokens += ids.length;
    return Array.from(ids, (id) => itos[id]);
  });
  o.log(
    `pretrain: ${texts.length.toLocaleString('en-US')} unlabeled raw reviews (${excluded.toLocaleString('en-US')} test reviews left out), ${tokens.toLocaleString('en-US')} BPE tokens, read and tokenized in ${since(t0).toFixed(1)} s`,
  );
  let lastPct = -1;
  const r = await trainWord2Vec(sentences, {
    vectorSize: o.dim,
    window: o.window,
    negative: o.negative,
    minCount: o.minCount,
    sg: true,
    epochs: o.epochs,
    workers: o.workers,
    seed: o.seed,
    onProgress: (p) => {
      const pct = Math.floor(p.progress * 10);
      if (o.quiet || pct === lastPct) return;
      lastPct = pct;
      o.log(
        `pretrain: word2vec ${(100 * p.progress).toFixed(0)}% (epoch ${p.epoch + 1}/${o.epochs}), ${Math.round(p.wordsPerSec).toLocaleString('en-US')} words/s, ETA ${Math.round(p.etaSeconds)} s`,
      );
    },
  });
  const wv = r.wv;
  // Rows for tokens word2vec never saw (rare or special): small random values of the vectors' scale.
  let sq = 0;
  for (const x of wv.vectors) sq += x * x;
  const std = Math.sqrt(sq / Math.max(1, wv.vectors.length));
  const rng = new Rng(o.seed + 101);
  const weights = new Float32Array(V * o.dim);
  let covered = 0;
  for (let id = 0; id < V; id++) {
    const j = wv.index.get(itos[id]);
    if (j !== undefined) {
      weights.set(wv.vectors.subarray(j * o.dim, (j + 1) * o.dim), id * o.dim);
      covered++;
    } else {
      for (let k = 0; k < o.dim; k++) weights[id * o.dim + k] = std * rng.normal();
    }
  }
  return { weights, wv, reviews: texts.length, excluded, tokens, covered, seconds: since(t0) };
}

/** word2vec binary bytes of the pretrained vectors (gensim: `KeyedVectors.load_word2vec_format(path, binary=True)`). */
export function pretrainedBinary(wv: KeyedVectors): Uint8Array {
  return writeWord2VecFormat(wv, { binary: true });
}
