/**
 * `embed train|neighbors|analogy|eval`: word vectors with @wordloom/embeddings on English
 * Wikipedia (the committed excerpt by default, or the full slice from the data folder).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyedVectors,
  readWord2VecFormat,
  trainGlove,
  trainPpmiSvd,
  trainWord2Vec,
  writeWord2VecFormat,
} from '@wordloom/embeddings';
import { CliError, PROGRAM, commonOptions, intOption, type Command, type ParsedArgs } from '../args.js';
import { DATASETS, findData, readText } from '../data.js';
import { progress } from '../progress.js';
import { outDir, since, writeJson } from '../train-util.js';

/**
 * Wikipedia text → sentences of lower-cased word tokens (one paragraph a line): letters, digits
 * and inner apostrophes/hyphens are kept, everything else separates words; `<br>` tags dropped.
 */
export function* wikiSentences(text: string, opts: { maxWords?: number } = {}): Generator<string[]> {
  const re = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
  let words = 0;
  for (const line of text.split('\n')) {
    if (line.length < 2) continue;
    const toks = line
      .replace(/<[^>]*>/g, ' ')
      .toLowerCase()
      .match(re);
    if (!toks || toks.length < 2) continue;
    yield toks;
    words += toks.length;
    if (opts.maxWords !== undefined && words >= opts.maxWords) return;
  }
}

export interface EmbedTrainConfig {
  method: 'word2vec' | 'glove' | 'ppmi-svd';
  sg: boolean;
  vectorSize: number;
  window: number;
  minCount: number;
  epochs: number;
  negative: number;
  seed: number;
  maxWords: number;
}

export interface EmbedTrainResult {
  corpus: string;
  words: number;
  vocabulary: number;
  seconds: number;
  wordsPerSec: number;
  loss: number;
  wv: KeyedVectors;
}

/** Trains word2vec on the Wikipedia text at `path`; `quiet` hides the progress bar. */
export async function trainWikiVectors(
  path: string,
  cfg: EmbedTrainConfig,
  opts: { quiet?: boolean } = {},
): Promise<EmbedTrainResult> {
  const text = readText(path);
  const sentences = [...wikiSentences(text, cfg.maxWords > 0 ? { maxWords: cfg.maxWords } : {})];
  const words = sentences.reduce((a, s) => a + s.length, 0);
  const t0 = performance.now();
  if (cfg.method === 'glove' || cfg.method === 'ppmi-svd') {
    const bar = progress(cfg.method, cfg.method === 'glove' ? cfg.epochs : 1, {
      quiet: opts.quiet,
      unit: cfg.method === 'glove' ? 'epoch' : 'step',
    });
    const common = { vectorSize: cfg.vectorSize, window: cfg.window, minCount: cfg.minCount, seed: cfg.seed };
    const r =
      cfg.method === 'glove'
        ? await trainGlove(sentences, {
            ...common,
            epochs: cfg.epochs,
            workers: 1,
            onProgress: (p) => bar.update(p.epoch + 1, { cost: p.cost }),
          })
        : await trainPpmiSvd(sentences, common);
    bar.update(cfg.method === 'glove' ? cfg.epochs : 1);
    bar.stop();
    const seconds = since(t0);
    return {
      corpus: path,
      words,
      vocabulary: r.wv.size,
      seconds,
      wordsPerSec: words / seconds,
      loss: cfg.method === 'glove' ? (r as { stats: { cost: number } }).stats.cost : NaN,
      wv: r.wv,
    };
  }
  const bar = progress('word2vec', 1000, { quiet: opts.quiet, unit: '%' });
  const r = await trainWord2Vec(sentences, {
    vectorSize: cfg.vectorSize,
    window: cfg.window,
    minCount: cfg.minCount,
    epochs: cfg.epochs,
    negative: cfg.negative,
    sg: cfg.sg,
    seed: cfg.seed,
    workers: 1,
    onProgress: (p) =>
      bar.update(Math.round(p.progress * 1000), { 'words/s': Math.round(p.wordsPerSec), loss: p.loss }),
  });
  bar.update(1000);
  bar.stop();
  return {
    corpus: path,
    words,
    vocabulary: r.wv.size,
    seconds: since(t0),
    wordsPerSec: r.stats.wordsPerSec,
    loss: r.stats.loss,
    wv: r.wv,
  };
}

/** `a − b + c` (king − man + woman → queen): the top answers, question words excluded (as gensim). */
export function analogy(
  wv: KeyedVectors,
  a: string,
  b: string,
  c: string,
  topn = 5,
): Array<{ word: string; similarity: number }> {
  for (const w of [a, b, c])
    if (!wv.has(w)) throw new CliError(`${PROGRAM} embed analogy: '${w}' is not in the vocabulary (${wv.size} words)`);
  return wv
    .mostSimilar({ positive: [a, c], negative: [b], topn })
    .map((n) => ({ word: n.word, similarity: n.similarity }));
}

function vectorsPath(dir: string): string {
  return join(dir, 'vectors.txt');
}

function loadVectors(args: ParsedArgs, cmd: string): KeyedVectors {
  const dir = outDir(args, 'embed');
  const p = vectorsPath(dir);
  if (!existsSync(p))
    throw new CliError(`${PROGRAM} ${cmd}: no vectors at ${p}; run '${PROGRAM} embed train' first (same --out)`);
  return readWord2VecFormat(new Uint8Array(readFileSync(p)));
}

function trainConfigFrom(args: ParsedArgs): EmbedTrainConfig {
  const method = args.values.method as EmbedTrainConfig['method'];
  return {
    method,
    sg: args.values.sg === true,
    vectorSize: intOption(args, 'embed train', 'size', 1),
    window: intOption(args, 'embed train', 'window', 1),
    minCount: intOption(args, 'embed train', 'min-count', 1),
    epochs: intOption(args, 'embed train', 'epochs', 1),
    negative: intOption(args, 'embed train', 'negative', 0),
    seed: intOption(args, 'embed train', 'seed', 0),
    maxWords: intOption(args, 'embed train', 'max-words', 0),
  };
}

export const embedCommands: Command[] = [
  {
    name: 'embed train',
    summary: 'train word vectors on English Wikipedia: word2vec (CBOW/skip-gram), GloVe or PPMI+SVD',
    details:
      'Data: the committed excerpt apps/demo/data/enwiki-slice-AA.txt.gz (1.26 M words, CC BY-SA 3.0), or with --full the\nwhole enwiki-slice/wiki_AA.txt.gz from the data folder (7.6 M words). Writes vectors.txt (word2vec text format) and metrics.json.',
    options: {
      ...commonOptions,
      method: {
        type: 'string',
        choices: ['word2vec', 'glove', 'ppmi-svd'],
        default: 'word2vec',
        description: 'training method',
      },
      sg: { type: 'boolean', description: 'word2vec: skip-gram instead of CBOW' },
      size: { type: 'string', value: 'N', default: '100', description: 'vector size' },
      window: { type: 'string', value: 'N', default: '5', description: 'context window' },
      'min-count': { type: 'string', value: 'N', default: '5', description: 'ignore rarer words' },
      epochs: {
        type: 'string',
        value: 'N',
        default: '5',
        description: 'passes over the corpus (GloVe: over the co-occurrences; PPMI-SVD: unused)',
      },
      negative: { type: 'string', value: 'N', default: '5', description: 'negative samples' },
      'max-words': { type: 'string', value: 'N', default: '0', description: 'use only the first N words (0 = all)' },
      full: {
        type: 'boolean',
        description: 'train on the full wiki_AA slice from --data-dir instead of the committed excerpt',
      },
      quiet: { type: 'boolean', description: 'no progress bar' },
    },
    async run(args) {
      const cfg = trainConfigFrom(args);
      const found = findData(args, DATASETS.enwiki, { preferCommitted: args.values.full !== true });
      const out = outDir(args, 'embed');
      const r = await trainWikiVectors(found.path, cfg, { quiet: args.values.quiet === true });
      writeFileSync(vectorsPath(out), writeWord2VecFormat(r.wv));
      writeJson(join(out, 'metrics.json'), {
        ...cfg,
        corpus: r.corpus,
        words: r.words,
        vocabulary: r.vocabulary,
        seconds: r.seconds,
        wordsPerSec: r.wordsPerSec,
        loss: r.loss,
      });
      process.stdout.write(
        `trained ${cfg.vectorSize}-d ${cfg.method === 'word2vec' ? (cfg.sg ? 'skip-gram' : 'CBOW') : cfg.method} vectors for ${r.vocabulary.toLocaleString('en-US')} words on ${r.words.toLocaleString('en-US')} words in ${r.seconds.toFixed(0)} s; wrote ${vectorsPath(out)}\n`,
      );
    },
  },
  {
    name: 'embed neighbors',
    summary: 'nearest neighbours of a word (cosine) in trained vectors',
    options: { ...commonOptions, topn: { type: 'string', value: 'N', default: '10', description: 'how many' } },
    positionals: [{ name: 'WORD', description: 'the word' }],
    async run(args) {
      const wv = loadVectors(args, 'embed neighbors');
      const word = args.positionals[0].toLowerCase();
      if (!wv.has(word))
        throw new CliError(`${PROGRAM} embed neighbors: '${word}' is not in the vocabulary (${wv.size} words)`);
      for (const n of wv.mostSimilar({ positive: [word], topn: intOption(args, 'embed neighbors', 'topn', 1) })) {
        process.stdout.write(`${n.word.padEnd(20)} ${n.similarity.toFixed(3)}\n`);
      }
    },
  },
  {
    name: 'embed analogy',
    summary: 'A − B + C: king man woman → queen (king is to man as ? is to woman)',
    options: { ...commonOptions, topn: { type: 'string', value: 'N', default: '5', description: 'how many answers' } },
    positionals: [
      { name: 'A', description: 'e.g. king' },
      { name: 'B', description: 'e.g. man' },
      { name: 'C', description: 'e.g. woman' },
    ],
    async run(args) {
      const wv = loadVectors(args, 'embed analogy');
      const [a, b, c] = args.positionals.map((w) => w.toLowerCase());
      for (const n of analogy(wv, a, b, c, intOption(args, 'embed analogy', 'topn', 1)))
        process.stdout.write(`${n.word.padEnd(20)} ${n.similarity.toFixed(3)}\n`);
    },
  },
  {
    name: 'embed eval',
    summary: 'evaluate trained vectors: Google analogies, WordSim-353, SimLex-999',
    details: 'Data: en-word-eval/ in the data folder (questions-words.txt, wordsim353.tsv, simlex999.txt).',
    options: {
      ...commonOptions,
      'restrict-vocab': {
        type: 'string',
        value: 'N',
        default: '30000',
        description: 'analogies: search the N most frequent words (gensim)',
      },
    },
    async run(args) {
      const wv = loadVectors(args, 'embed eval');
      const t0 = performance.now();
      const qw = findData(args, DATASETS.questionsWords);
      const an = wv.evaluateAnalogies(
        { path: qw.path },
        { restrictVocab: intOption(args, 'embed eval', 'restrict-vocab', 1), caseInsensitive: true },
      );
      const ws = wv.evaluateWordPairs({ path: findData(args, DATASETS.wordsim).path }, { caseInsensitive: true });
      const sl = wv.evaluateWordPairs({ path: findData(args, DATASETS.simlex).path }, { caseInsensitive: true });
      const res = {
        analogyAccuracy: an.accuracy,
        analogyQuestions: an.questions,
        analogyOov: an.oov,
        wordsim353Spearman: ws.spearman,
        wordsim353Oov: ws.oovRatio,
        simlex999Spearman: sl.spearman,
        simlex999Oov: sl.oovRatio,
        seconds: since(t0),
      };
      writeJson(join(outDir(args, 'embed'), 'eval.json'), res);
      process.stdout.write(
        `analogies: ${(100 * an.accuracy).toFixed(1)}% of ${an.questions - an.oov} answered (${an.oov} of ${an.questions} skipped: out of vocabulary)\nWordSim-353 Spearman ${ws.spearman.toFixed(3)} (OOV ${ws.oovRatio.toFixed(0)}%)\nSimLex-999 Spearman ${sl.spearman.toFixed(3)} (OOV ${sl.oovRatio.toFixed(0)}%)\n`,
      );
    },
  },
];
