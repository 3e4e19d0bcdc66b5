/** NSMC data for `classify nsmc`: reading the review files, the BPE tokenizer, the pretrained embedding table. */
import { existsSync, readFileSync } from 'node:fs';
import { readSafetensors } from '@wordloom/core';
import { readNsmcFile } from '@wordloom/data/node';
import { Tokenizer } from '@wordloom/tokenizer';
import { CliError, PROGRAM } from '../args.js';
import { trainTokenizer } from '../commands/tokenize.js';
import { type DataSet } from '../data.js';
import { COMMAND } from './config.js';

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
