/**
 * The toy seq2seq tasks of "Deep Learning from Scratch 2" (ch. 7–8): date-format conversion,
 * addition, and reversing a string (`aacd` → `dcaa`), with a character vocabulary.
 */
import { readFileSync } from 'node:fs';
import { Rng } from '@wordloom/core';
import { CliError, PROGRAM } from './args.js';

/** The first field of the demo's `vocab.json` files. */
export const CHAR_VOCAB_FORMAT = 'wordloom-demo-charvocab v1';

export interface Pair {
  q: string;
  a: string;
}

/** Parses `question_answer` lines (fixed width, split at the first `_`; padding spaces trimmed). */
export function parseUnderscorePairs(text: string, name: string, expectedWidth?: number): Pair[] {
  const pairs: Pair[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const k = line.indexOf('_');
    if (k < 0)
      throw new CliError(
        `${PROGRAM}: ${name} line ${i + 1} has no '_' separating question and answer: '${line.slice(0, 60)}'`,
        3,
      );
    if (expectedWidth !== undefined && line.length !== expectedWidth) {
      throw new CliError(
        `${PROGRAM}: ${name} line ${i + 1} has ${line.length} characters, expected ${expectedWidth}; is this the original file?`,
        3,
      );
    }
    const q = line.slice(0, k).trimEnd();
    const a = line.slice(k + 1).trim();
    if (q === '' || a === '')
      throw new CliError(`${PROGRAM}: ${name} line ${i + 1} has an empty question or answer`, 3);
    pairs.push({ q, a });
  }
  if (pairs.length === 0) throw new CliError(`${PROGRAM}: ${name} has no examples`, 3);
  return pairs;
}

/** `n` random strings over `alphabet` with lengths in [minLen, maxLen], each paired with its reverse. */
export function makeReversePairs(
  n: number,
  opts: { seed: number; alphabet?: string; minLen?: number; maxLen?: number },
): Pair[] {
  const rng = new Rng(opts.seed);
  const alphabet = opts.alphabet ?? 'abcdefghij';
  const minLen = opts.minLen ?? 3;
  const maxLen = opts.maxLen ?? 12;
  const pairs: Pair[] = [];
  for (let i = 0; i < n; i++) {
    const len = minLen + rng.int(maxLen - minLen + 1);
    let s = '';
    for (let j = 0; j < len; j++) s += alphabet[rng.int(alphabet.length)];
    pairs.push({ q: s, a: [...s].reverse().join('') });
  }
  return pairs;
}

export const SPECIALS = ['<pad>', '<s>', '</s>', '<unk>'] as const;

/** A character vocabulary with special tokens; a `Map`, so any character is a safe key. */
export class CharVocab {
  readonly itos: string[];
  readonly stoi: Map<string, number>;
  constructor(chars: Iterable<string>) {
    this.itos = [
      ...SPECIALS,
      ...[...new Set(chars)].filter((c) => !(SPECIALS as readonly string[]).includes(c)).sort(),
    ];
    this.stoi = new Map(this.itos.map((c, i) => [c, i]));
  }
  static fromPairs(pairs: Pair[]): CharVocab {
    const chars = new Set<string>();
    for (const p of pairs) for (const c of p.q + p.a) chars.add(c);
    return new CharVocab(chars);
  }
  get size(): number {
    return this.itos.length;
  }
  get padId(): number {
    return this.stoi.get('<pad>')!;
  }
  get bosId(): number {
    return this.stoi.get('<s>')!;
  }
  get eosId(): number {
    return this.stoi.get('</s>')!;
  }
  get unkId(): number {
    return this.stoi.get('<unk>')!;
  }
  encode(s: string): Int32Array {
    return Int32Array.from([...s], (c) => this.stoi.get(c) ?? this.unkId);
  }
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => (i >= SPECIALS.length ? this.itos[i] : '')).join('');
  }
}

/**
 * Reads a `vocab.json` written by the demo (`{"format":"wordloom-demo-charvocab v1","tokens":[…]}`);
 * a missing or malformed file is a one-line CliError (exit 3) naming it.
 */
export function readCharVocab(path: string, command: string): CharVocab {
  const bad = (why: string): CliError =>
    new CliError(`${PROGRAM} ${command}: ${path} ${why}; delete it and run without --resume, or use another --out`, 3);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw bad(`is not readable JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const tokens = (j as { tokens?: unknown } | null)?.tokens;
  if (
    (j as { format?: unknown } | null)?.format !== CHAR_VOCAB_FORMAT ||
    !Array.isArray(tokens) ||
    !tokens.every((t) => typeof t === 'string')
  )
    throw bad(`is not a ${CHAR_VOCAB_FORMAT} vocabulary (an object with a 'tokens' array of strings)`);
  return new CharVocab(tokens as string[]);
}
