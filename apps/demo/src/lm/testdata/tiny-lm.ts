/**
 * Test setup shared by commands/lm.test.ts and replicas.test.ts: the committed Shakespeare excerpt
 * (apps/demo/data/shakespeare/tinyshakespeare/input.txt, 11,916 characters) and the arguments of a tiny,
 * fast `lm shakespeare` model (a few thousand parameters).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder `--data-dir` points at for the committed excerpt. */
export const SHAKESPEARE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../data/shakespeare');

/** `lm shakespeare` arguments for a tiny transformer LM on the excerpt (add --eval-every, --workers, --out, …). */
export const TINY_LM_ARGS: readonly string[] = [
  '--data-dir',
  SHAKESPEARE_DIR,
  '--d-model',
  '16',
  '--heads',
  '2',
  '--layers',
  '1',
  '--block-size',
  '16',
  '--batch-size',
  '8',
  '--lr',
  '0.01',
  '--warmup',
  '5',
];
