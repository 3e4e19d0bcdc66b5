/** NSMC data for `classify nsmc`: reading the review files, the tokenizer (BPE, Unigram or a file), the pretrained embedding table. */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readSafetensors } from '@wordloom/core';
import { readNsmcFile } from '@wordloom/data/node';
import { Tokenizer } from '@wordloom/tokenizer';
import { CliError, PROGRAM } from '../args.js';
import { loadTokenizerFile, trainTokenizer, trainUnigramTokenizer } from '../commands/tokenize.js';
import { type DataSet } from '../data.js';
import { since } from '../train-util.js';
import { COMMAND, type ClassifyConfig } from './config.js';

/** `--tokenizer` values that train a tokenizer on the training reviews; anything else is a tokenizer.json path. */
export const TRAINED_TOKENIZERS = ['bpe', 'unigram'] as const;
export type TrainedTokenizer = (typeof TRAINED_TOKENIZERS)[number];
export const isTrainedTokenizer = (t: string): t is TrainedTokenizer =>
  (TRAINED_TOKENIZERS as readonly string[]).includes(t);

/** A `--tokenizer` path must exist (checked before any data is read); `bpe` and `unigram` need nothing. */
export function checkTokenizerOption(tokenizer: string): void {
  if (isTrainedTokenizer(tokenizer) || existsSync(resolve(tokenizer))) return;
  throw new CliError(
    `${PROGRAM} ${COMMAND}: --tokenizer ${tokenizer} does not exist; give bpe or unigram (trained here on the training reviews) or a tokenizer.json (e.g. from '${PROGRAM} tokenize train --corpus nsmc'; a file named bpe or unigram is passed as ./bpe)`,
  );
}

/** Trains a sentencepiece-style Unigram (`trainUnigram`: ▁ word marks, `<unk> <s> </s> <pad>`, no charsmap). */
export async function trainNsmcUnigram(texts: string[], vocabSize: number): Promise<Tokenizer> {
  return trainUnigramTokenizer(texts, vocabSize, { command: COMMAND });
}

/**
 * The run's tokenizer: `--tokenizer FILE`; else the one a resumed run saved in `out`; else a BPE
 * (`bpe`, the default) or a Unigram (`unigram`) trained on the training reviews with `--vocab-size`.
 */
export async function nsmcTokenizer(
  cfg: Pick<ClassifyConfig, 'tokenizer' | 'vocabSize'>,
  texts: string[],
  o: { out: string; resume: boolean; log: (s: string) => void },
): Promise<{ tok: Tokenizer; source: string }> {
  if (!isTrainedTokenizer(cfg.tokenizer)) {
    const path = resolve(cfg.tokenizer);
    const hint = `--tokenizer: give a tokenizer.json made by '${PROGRAM} tokenize train --corpus nsmc', or bpe / unigram to train one`;
    return { tok: loadTokenizerFile(path, COMMAND, hint), source: path };
  }
  const saved = join(o.out, 'tokenizer.json');
  if (o.resume && existsSync(saved))
    return {
      tok: loadTokenizerFile(saved, COMMAND, 'delete it (a new one is trained) or use another --out'),
      source: `${saved} (from the resumed run)`,
    };
  const t0 = performance.now();
  const n = texts.length;
  const made =
    cfg.tokenizer === 'unigram'
      ? {
          tok: await trainNsmcUnigram(texts, cfg.vocabSize),
          source: `Unigram trained on the ${n} training reviews (trainUnigram, vocab ${cfg.vocabSize}, sentencepiece-style ▁ word marks, no charsmap)`,
        }
      : {
          tok: await trainNsmcTokenizer(texts, cfg.vocabSize),
          source: `BPE trained on the ${n} training reviews (vocab ${cfg.vocabSize}, NFKC, ▁ word marks)`,
        };
  o.log(`tokenizer: ${made.source} in ${since(t0).toFixed(1)} s`);
  return made;
}

/** Trains a BPE tokenizer with `▁` word marks (sentencepiece-style) and pad/unk/bos/eos special tokens. */
export async function trainNsmcTokenizer(texts: string[], vocabSize: number): Promise<Tokenizer> {
  // Korean needs more characters than English: up to 2,000 syllables stay in the alphabet.
  return trainTokenizer(texts, vocabSize, { command: COMMAND, limitAlphabet: 2000 });
}

/** Reads an NSMC file with @wordloom/data; a malformed file is a one-line CliError naming the data set. */
export async function readNsmcRows(
  path: string,
  ds: DataSet,
  limit = 0,
): Promise<{ ids: string[]; texts: string[]; labels: Int32Array }> {
  let data;
  try {
    data = await readNsmcFile(path, limit > 0 ? { limit } : {});
  } catch (e) {
    throw new CliError(
      `${PROGRAM} ${COMMAND}: ${ds.name} (${path}) is not a valid NSMC file: ${(e as Error).message}`,
      3,
    );
  }
  if (data.rows.length === 0) throw new CliError(`${PROGRAM} ${COMMAND}: ${ds.name} (${path}) has no reviews`, 3);
  return {
    ids: data.rows.map((r) => r.id),
    texts: data.rows.map((r) => r.document),
    labels: Int32Array.from(data.rows, (r) => r.label),
  };
}

/** Reads the embedding table rank 0 pretrained (pretrained-embedding.safetensors), checking its shape. */
export function readPretrained(path: string, vocabSize: number, dim: number): Float32Array {
  if (!existsSync(path))
    throw new CliError(`${PROGRAM} ${COMMAND}: ${path} is missing; run without --resume to pretrain again`);
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw new CliError(
      `${PROGRAM} ${COMMAND}: ${path} is not a readable safetensors file (${(e as Error).message.split('\n')[0]}); delete it (the embedding is pretrained again) or use another --out`,
      3,
    );
  }
  const { tensors } = file;
  try {
    const w = tensors.get('weight');
    if (!w || w.shape.length !== 2 || w.shape[0] !== vocabSize || w.shape[1] !== dim) {
      throw new CliError(
        `${PROGRAM} ${COMMAND}: ${path} holds no [${vocabSize}, ${dim}] 'weight'; delete it or use another --out`,
        3,
      );
    }
    return (w.dataSync() as Float32Array).slice();
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
