/**
 * `embed train|neighbors|analogy|eval`: word vectors with @wordloom/embeddings on English
 * Wikipedia (the committed excerpt by default, or the full slice from the data folder).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FastTextKeyedVectors,
  KeyedVectors,
  loadFastTextBin,
  readWord2VecFormat,
  saveFastTextBin,
  trainFastText,
  trainGlove,
  trainPpmiSvd,
  trainWord2Vec,
  writeWord2VecFormat,
} from '@wordloom/embeddings';
import type { FastTextResult, TrainProgress } from '@wordloom/embeddings';
import { composeJamo, decomposeJamo } from '@wordloom/tokenizer';
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
  method: 'word2vec' | 'glove' | 'ppmi-svd' | 'fasttext';
  sg: boolean;
  /** fastText: Hangul → conjoining jamo (`decomposeJamo`) before counting and on every lookup. */
  jamo?: boolean;
  /** fastText: character n-gram lengths and hash buckets (default 3, 6, 2,000,000). */
  minn?: number;
  maxn?: number;
  bucket?: number;
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
  /** In-vocabulary vectors (with `jamo`, the words composed back into syllables). */
  wv: KeyedVectors;
  /** fastText only: the whole model (save it with `saveFastTextBin(fastText.wv, path, fastText)`). */
  fastText?: FastTextResult;
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
  // word2vec and fastText: the same options (fastText adds its n-grams) and the same progress bar
  const bar = progress(cfg.method === 'fasttext' ? 'fastText' : 'word2vec', 1000, { quiet: opts.quiet, unit: '%' });
  const common = {
    vectorSize: cfg.vectorSize,
    window: cfg.window,
    minCount: cfg.minCount,
    epochs: cfg.epochs,
    negative: cfg.negative,
    sg: cfg.sg,
    seed: cfg.seed,
    workers: 1,
    onProgress: (p: TrainProgress) =>
      bar.update(Math.round(p.progress * 1000), { 'words/s': Math.round(p.wordsPerSec), loss: p.loss }),
  };
  const ft =
    cfg.method === 'fasttext'
      ? await trainFastText(sentences, {
          ...common,
          minn: cfg.minn ?? 3,
          maxn: cfg.maxn ?? 6,
          bucket: cfg.bucket ?? 2_000_000,
          ...(cfg.jamo ? { wordTransform: (w: string) => decomposeJamo(w) } : {}),
        })
      : undefined;
  const w2v = ft === undefined ? await trainWord2Vec(sentences, common) : undefined;
  bar.update(1000);
  bar.stop();
  const wv = ft !== undefined ? (cfg.jamo ? composedVectors(ft.wv.kv) : ft.wv.kv) : w2v!.wv;
  const stats = (ft ?? w2v!).stats;
  return {
    corpus: path,
    words,
    vocabulary: wv.size,
    seconds: since(t0),
    wordsPerSec: stats.wordsPerSec,
    loss: stats.loss,
    wv,
    ...(ft !== undefined ? { fastText: ft } : {}),
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

/** The same vectors with every word's jamo composed back into Hangul syllables (for vectors.txt). */
function composedVectors(kv: KeyedVectors): KeyedVectors {
  return new KeyedVectors({
    words: kv.words.map((w) => composeJamo(w)),
    vectors: kv.vectors,
    dim: kv.dim,
    ...(kv.counts ? { counts: kv.counts } : {}),
  });
}

function vectorsPath(dir: string): string {
  return join(dir, 'vectors.txt');
}

/** `embed train --method fasttext` writes the model here (fastText .bin) … */
export function fastTextModelPath(dir: string): string {
  return join(dir, 'model.bin');
}

/** … and this JSON next to it: `{ jamo }` (whether words were decomposed into jamo). */
export function fastTextConfigPath(dir: string): string {
  return join(dir, 'fasttext.json');
}

/**
 * The fastText model in `dir` (re-applying jamo when `fasttext.json` says so), or undefined when
 * the directory holds no fastText model. A bad file is a one-line CliError (exit 3) naming it.
 */
export function loadFastTextModel(dir: string, cmd: string): { wv: FastTextKeyedVectors; jamo: boolean } | undefined {
  const bin = fastTextModelPath(dir);
  const cfgPath = fastTextConfigPath(dir);
  if (!existsSync(bin) || !existsSync(cfgPath)) return undefined;
  let jamo: unknown;
  try {
    jamo = (JSON.parse(readFileSync(cfgPath, 'utf8')) as { jamo?: unknown }).jamo;
  } catch (e) {
    throw new CliError(`${PROGRAM} ${cmd}: ${cfgPath} is not valid JSON (${(e as Error).message})`, 3);
  }
  if (typeof jamo !== 'boolean')
    throw new CliError(
      `${PROGRAM} ${cmd}: ${cfgPath} must hold {"jamo": true|false}; run '${PROGRAM} embed train --method fasttext' again`,
      3,
    );
  try {
    const m = loadFastTextBin(bin, jamo ? { wordTransform: (w: string) => decomposeJamo(w) } : {});
    return { wv: m.wv, jamo };
  } catch (e) {
    throw new CliError(
      `${PROGRAM} ${cmd}: ${bin} is not a usable fastText model (${(e as Error).message.split('\n')[0]})`,
      3,
    );
  }
}

/** `word  0.123` lines, as `embed neighbors` and `embed analogy` print them. */
function printNeighbours(ns: ReadonlyArray<{ word: string; similarity: number }>): void {
  for (const n of ns) process.stdout.write(`${n.word.padEnd(20)} ${n.similarity.toFixed(3)}\n`);
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
  const jamo = args.values.jamo === true;
  if (jamo && method !== 'fasttext')
    throw new CliError(`${PROGRAM} embed train: --jamo needs --method fasttext (got --method ${method})`);
  const int = (name: string, min: number): number => intOption(args, 'embed train', name, min);
  return {
    method,
    sg: args.values.sg === true,
    jamo,
    minn: int('minn', 1),
    maxn: int('maxn', 0),
    bucket: int('bucket', 0),
    vectorSize: int('size', 1),
    window: int('window', 1),
    minCount: int('min-count', 1),
    epochs: int('epochs', 1),
    negative: int('negative', 0),
    seed: int('seed', 0),
    maxWords: int('max-words', 0),
  };
}

export const embedCommands: Command[] = [
  {
    name: 'embed train',
    summary:
      'train word vectors on English Wikipedia: word2vec (CBOW/skip-gram), fastText (subword n-grams), GloVe or PPMI+SVD',
    details:
      'Data: the committed excerpt apps/demo/data/enwiki-slice-AA.txt.gz (1.26 M words, CC BY-SA 3.0), or with --full the\nwhole enwiki-slice/wiki_AA.txt.gz from the data folder (7.6 M words), or any --text FILE (one paragraph a line). Writes vectors.txt (word2vec text format) and metrics.json;\n--method fasttext also writes model.bin (fastText .bin: vectors for any word, misspelled or unseen) and fasttext.json ({"jamo": …}).',
    options: {
      ...commonOptions,
      method: {
        type: 'string',
        choices: ['word2vec', 'glove', 'ppmi-svd', 'fasttext'],
        default: 'word2vec',
        description: 'training method',
      },
      sg: { type: 'boolean', description: 'word2vec, fastText: skip-gram instead of CBOW' },
      jamo: {
        type: 'boolean',
        description: 'fastText: split Hangul syllables into jamo (decomposeJamo) so n-grams see consonants/vowels',
      },
      minn: { type: 'string', value: 'N', default: '3', description: 'fastText: shortest character n-gram' },
      maxn: {
        type: 'string',
        value: 'N',
        default: '6',
        description: 'fastText: longest character n-gram (< minn: no n-grams)',
      },
      bucket: {
        type: 'string',
        value: 'N',
        default: '2000000',
        description: 'fastText: n-gram hash buckets (weights are (words + N) × size floats)',
      },
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
      text: {
        type: 'string',
        value: 'FILE',
        description: 'train on this text file (UTF-8 or .gz, one paragraph a line) instead of Wikipedia',
      },
      full: {
        type: 'boolean',
        description: 'train on the full wiki_AA slice from --data-dir instead of the committed excerpt',
      },
      quiet: { type: 'boolean', description: 'no progress bar' },
    },
    async run(args) {
      const cfg = trainConfigFrom(args);
      let corpusPath: string;
      if (typeof args.values.text === 'string') {
        corpusPath = args.values.text;
        if (!existsSync(corpusPath))
          throw new CliError(`${PROGRAM} embed train: --text ${corpusPath} does not exist`, 3);
      } else corpusPath = findData(args, DATASETS.enwiki, { preferCommitted: args.values.full !== true }).path;
      const out = outDir(args, 'embed');
      const r = await trainWikiVectors(corpusPath, cfg, { quiet: args.values.quiet === true });
      writeFileSync(vectorsPath(out), writeWord2VecFormat(r.wv));
      if (r.fastText) {
        saveFastTextBin(r.fastText.wv, fastTextModelPath(out), r.fastText);
        writeJson(fastTextConfigPath(out), { jamo: cfg.jamo === true });
      } else {
        // another method's vectors.txt replaces an older fastText model: neighbors must not read a stale model.bin
        rmSync(fastTextModelPath(out), { force: true });
        rmSync(fastTextConfigPath(out), { force: true });
      }
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
        `trained ${cfg.vectorSize}-d ${cfg.method === 'word2vec' || cfg.method === 'fasttext' ? `${cfg.method === 'fasttext' ? `fastText${cfg.jamo ? ' (jamo)' : ''} ` : ''}${cfg.sg ? 'skip-gram' : 'CBOW'}` : cfg.method} vectors for ${r.vocabulary.toLocaleString('en-US')} words on ${r.words.toLocaleString('en-US')} words in ${r.seconds.toFixed(0)} s; wrote ${r.fastText ? `${fastTextModelPath(out)}, ` : ''}${vectorsPath(out)}\n`,
      );
    },
  },
  {
    name: 'embed neighbors',
    summary: 'nearest neighbours of a word (cosine) in trained vectors (fastText: any word, even unseen)',
    options: { ...commonOptions, topn: { type: 'string', value: 'N', default: '10', description: 'how many' } },
    positionals: [{ name: 'WORD', description: 'the word' }],
    async run(args) {
      const topn = intOption(args, 'embed neighbors', 'topn', 1);
      const word = args.positionals[0].toLowerCase();
      const ft = loadFastTextModel(outDir(args, 'embed'), 'embed neighbors');
      if (ft) {
        let ns;
        try {
          ns = ft.wv.mostSimilar({ positive: [word], topn });
        } catch (e) {
          // a word with no n-gram of minn..maxn characters outside the vocabulary
          throw new CliError(
            `${PROGRAM} embed neighbors: no vector for '${word}' (${(e as Error).message.split('\n')[0]})`,
          );
        }
        if (!ft.wv.has(word))
          process.stdout.write(`'${word}' is not in the vocabulary: its vector is built from its character n-grams\n`);
        printNeighbours(ft.jamo ? ns.map((n) => ({ ...n, word: composeJamo(n.word) })) : ns);
        return;
      }
      const wv = loadVectors(args, 'embed neighbors');
      if (!wv.has(word))
        throw new CliError(`${PROGRAM} embed neighbors: '${word}' is not in the vocabulary (${wv.size} words)`);
      printNeighbours(wv.mostSimilar({ positive: [word], topn }));
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
      printNeighbours(analogy(wv, a, b, c, intOption(args, 'embed analogy', 'topn', 1)));
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
