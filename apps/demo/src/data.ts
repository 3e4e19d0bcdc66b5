/**
 * Where the data comes from: the shared data folder (`--data-dir`, default `../shared/data`
 * next to the repository) and the small copies committed in `apps/demo/data/`. A missing file
 * is a one-line error naming the data set and where to get it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CliError, PROGRAM, type ParsedArgs } from './args.js';

const here = dirname(fileURLToPath(import.meta.url)); // apps/demo/src or apps/demo/dist
export const appRoot = resolve(here, '..');
export const repoRoot = resolve(appRoot, '../..');
/** Data committed with the demo (see apps/demo/data/README.md). */
export const committedDataDir = join(appRoot, 'data');

/** The data folder given by `--data-dir`, else `../shared/data` next to the repo when it exists. */
export function dataDir(args: ParsedArgs): string | undefined {
  const given = args.values['data-dir'];
  if (typeof given === 'string') {
    const dir = resolve(given);
    if (!existsSync(dir))
      throw new CliError(
        `${PROGRAM}: --data-dir ${given} does not exist; give the folder that holds the shared data sets`,
      );
    return dir;
  }
  const def = resolve(repoRoot, '../shared/data');
  return existsSync(def) ? def : undefined;
}

/** A data set a command may need: its files relative to the data folder, and where it comes from. */
export interface DataSet {
  name: string;
  source: string;
  /** Committed copy in apps/demo/data/, used when the shared file is missing. */
  committed?: string;
}

export const DATASETS = {
  date: {
    name: 'dlfs2-seq2seq/date.txt',
    source:
      'Deep Learning from Scratch 2, github.com/oreilly-japan/deep-learning-from-scratch-2 dataset/date.txt (MIT)',
    committed: 'date.txt.gz',
  },
  addition: {
    name: 'dlfs2-seq2seq/addition.txt',
    source:
      'Deep Learning from Scratch 2, github.com/oreilly-japan/deep-learning-from-scratch-2 dataset/addition.txt (MIT)',
    committed: 'addition.txt.gz',
  },
  enwiki: {
    name: 'enwiki-slice/wiki_AA.txt.gz',
    source: 'English Wikipedia via WikiExtractor, github.com/ZhouYii/PatchedDistro data/AA (CC BY-SA 3.0)',
    committed: 'enwiki-slice-AA.txt.gz',
  },
  questionsWords: {
    name: 'en-word-eval/questions-words.txt',
    source: 'Google analogy set, github.com/tmikolov/word2vec questions-words.txt (Apache 2.0)',
  },
  wordsim: {
    name: 'en-word-eval/wordsim353.tsv',
    source:
      'WordSim-353 as shipped by gensim, github.com/piskvorky/gensim gensim/test/test_data/wordsim353.tsv (LGPL 2.1)',
  },
  simlex: {
    name: 'en-word-eval/simlex999.txt',
    source:
      'SimLex-999 as shipped by gensim, github.com/piskvorky/gensim gensim/test/test_data/simlex999.txt (LGPL 2.1)',
  },
  nsmcTrain: {
    name: 'nsmc/ratings_train.derived.txt.gz',
    source:
      'NSMC-raw derived train split (seed 20150101), built from github.com/e9t/nsmc raw/ (CC0) by nsmc/derive_train.py',
  },
  nsmcRaw: {
    name: 'nsmc-raw/nsmc_raw_reviews.jsonl.gz',
    source: 'NSMC raw crawl, github.com/e9t/nsmc raw/ (CC0), repackaged as JSON lines',
  },
  nsmcTest: { name: 'nsmc/ratings_test.txt.gz', source: 'NSMC test split, github.com/e9t/nsmc ratings_test.txt (CC0)' },
  shakespeare: {
    name: 'tinyshakespeare/input.txt',
    source: 'Tiny Shakespeare, github.com/karpathy/char-rnn data/tinyshakespeare/input.txt (MIT)',
  },
} satisfies Record<string, DataSet>;

export interface ResolvedData {
  path: string;
  /** 'shared' (from the data folder) or 'committed' (apps/demo/data). */
  origin: 'shared' | 'committed';
}

/** Finds a data set's file: in the data folder, else its committed copy; else a one-line error. */
export function findData(args: ParsedArgs, ds: DataSet, opts: { preferCommitted?: boolean } = {}): ResolvedData {
  const dir = dataDir(args);
  const committed = ds.committed ? join(committedDataDir, ds.committed) : undefined;
  const explicit = typeof args.values['data-dir'] === 'string';
  if (committed && existsSync(committed) && opts.preferCommitted && !explicit)
    return { path: committed, origin: 'committed' };
  if (dir) {
    const p = join(dir, ds.name);
    if (existsSync(p)) return { path: p, origin: 'shared' };
    const gz = `${p}.gz`;
    if (existsSync(gz)) return { path: gz, origin: 'shared' };
  }
  // An explicit --data-dir is what the user asked for: no silent fallback.
  if (!explicit && committed && existsSync(committed)) return { path: committed, origin: 'committed' };
  const where = dir ? `not found in ${dir}` : 'no data folder (../shared/data is absent and --data-dir was not given)';
  throw new CliError(
    `${PROGRAM}: data set ${ds.name} ${where}; it comes from ${ds.source} — put it under --data-dir DIR as ${ds.name}`,
    3,
  );
}

/** Reads a text file, gunzipping `.gz`; a bad gzip file is a one-line error naming it (exit 3). */
export function readText(path: string): string {
  const bytes = readFileSync(path);
  if (!path.endsWith('.gz')) return bytes.toString('utf8');
  try {
    return gunzipSync(bytes).toString('utf8');
  } catch (e) {
    const what =
      (e as { code?: string }).code === 'Z_BUF_ERROR' ? 'is cut short (truncated gzip)' : 'is not valid gzip';
    throw new CliError(`${PROGRAM}: ${path} ${what} (zlib: ${(e as Error).message}); get the file again`, 3);
  }
}
