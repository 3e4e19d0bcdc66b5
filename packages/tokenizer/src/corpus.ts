/**
 * Training input: strings, (async) iterables of strings, or files (streamed; `.gz` is
 * gunzipped on the fly). Files are read line by line WITH the line ending, as Hugging Face
 * `tokenizers` does (`lines_with_ending`), so a byte-level trainer sees `\n` (`Ċ`) as both do.
 */
import { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers.js';
import { ByteLevel, type PreTokenizer } from './pre-tokenizers.js';
import { toByteLevel } from './internal/byte-level.js';
import { scanGpt2 } from './internal/gpt2-scanner.js';

export type Corpus = string | Iterable<string> | AsyncIterable<string> | { files: string[] };

/** Yield the sequences of a corpus. */
export async function* corpusSequences(corpus: Corpus): AsyncGenerator<string> {
  if (typeof corpus === 'string') {
    yield corpus;
    return;
  }
  if (corpus !== null && typeof corpus === 'object' && 'files' in corpus && Array.isArray(corpus.files)) {
    for (const f of corpus.files) yield* fileLines(f);
    return;
  }
  if (corpus !== null && typeof corpus === 'object' && Symbol.asyncIterator in corpus) {
    for await (const s of corpus as AsyncIterable<string>) yield checkString(s);
    return;
  }
  if (corpus !== null && typeof corpus === 'object' && Symbol.iterator in corpus) {
    for (const s of corpus as Iterable<string>) yield checkString(s);
    return;
  }
  throw new Error(
    `corpus: expected a string, an iterable or async iterable of strings, or { files }, got ${typeof corpus}`,
  );
}

function checkString(s: unknown): string {
  if (typeof s !== 'string') throw new Error(`corpus: every item must be a string, got ${typeof s}`);
  return s;
}

/** Lines of a (possibly gzipped) text file, each with its `\n` (Node only). */
export async function* fileLines(path: string): AsyncGenerator<string> {
  const { createReadStream } = await import('node:fs');
  const { createGunzip } = await import('node:zlib');
  const file = createReadStream(path);
  const stream: AsyncIterable<Buffer> = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  const chunks = async function* (): AsyncGenerator<Buffer> {
    try {
      for await (const c of stream) yield c;
    } catch (e) {
      throw new Error(`corpus: cannot read ${path}: ${(e as Error).message}`);
    }
  };
  for await (const chunk of chunks()) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      yield text.slice(start, nl + 1);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest.length > 0) yield rest;
}

export interface CountWordsOptions {
  /** @default null */
  normalizer?: Normalizer | null;
  /** @default null — each sequence is one word */
  preTokenizer?: PreTokenizer | null;
}

/**
 * Count the pre-tokenized words of a corpus (what a trainer learns from). Words keep their
 * first-seen order, which makes training deterministic.
 */
export async function countWords(corpus: Corpus, options: CountWordsOptions = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const normalizer = options.normalizer ?? null;
  const pre = options.preTokenizer ?? null;
  if (normalizer === null && pre instanceof ByteLevel && pre.useRegex) {
    // Fast path: count raw regex matches, byte-map each distinct word once.
    const raw = new Map<string, number>();
    for await (let s of corpusSequences(corpus)) {
      if (s.length === 0) continue;
      if (pre.addPrefixSpace && !s.startsWith(' ')) s = ' ' + s;
      const seq = s;
      scanGpt2(seq, (a, b) => {
        const w = seq.slice(a, b);
        raw.set(w, (raw.get(w) ?? 0) + 1);
      });
    }
    for (const [w, c] of raw) {
      const b = toByteLevel(w);
      counts.set(b, (counts.get(b) ?? 0) + c);
    }
    return counts;
  }
  for await (const s of corpusSequences(corpus)) {
    if (s.length === 0) continue;
    const ns = NormalizedString.fromOriginal(s);
    normalizer?.normalize(ns);
    const words = pre === null ? [ns] : pre.preTokenize([ns]);
    for (const w of words) {
      if (w.length === 0) continue;
      counts.set(w.normalized, (counts.get(w.normalized) ?? 0) + 1);
    }
  }
  return counts;
}
