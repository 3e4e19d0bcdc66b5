/**
 * Vocabulary update for continued training, with gensim 4.2's `build_vocab(update=True)`
 * semantics: words of the new text that reach `minCount` IN THE NEW TEXT and are not yet known
 * are appended (most frequent first, ties by first appearance); known words keep their ids and
 * their counts grow by their new counts (so subsampling and negative sampling use the sum);
 * words of the new text under `minCount` and unknown are dropped.
 */
import { readSentences, Vocab, type CorpusSource, type EncodedCorpus } from '../corpus.js';

export interface UpdateOptions {
  minCount: number;
  maxSentenceLength: number;
  lowercase?: boolean;
  wordTransform?: (w: string) => string;
}

export async function encodeUpdate(
  fn: string,
  old: { words: string[]; counts: ArrayLike<number> },
  source: CorpusSource,
  o: UpdateOptions,
): Promise<EncodedCorpus & { newWords: number }> {
  if (!Number.isInteger(o.minCount) || o.minCount < 1) {
    throw new RangeError(`${fn}: minCount must be an integer >= 1, got ${o.minCount}`);
  }
  const raw = new Map<string, number>(); // word -> count in the new text
  const order: string[] = [];
  const sents: string[][] = [];
  let tokens = 0;
  for await (const s0 of readSentences(source, { lowercase: o.lowercase })) {
    const s = o.wordTransform === undefined ? s0 : s0.map(o.wordTransform);
    for (const t of s) {
      const c = raw.get(t);
      if (c === undefined) {
        raw.set(t, 1);
        order.push(t);
      } else raw.set(t, c + 1);
    }
    tokens += s.length;
    sents.push(s);
  }
  if (tokens === 0) throw new Error(`${fn}: the new corpus is empty (no tokens)`);
  const oldIndex = new Map<string, number>();
  for (let i = 0; i < old.words.length; i++) oldIndex.set(old.words[i]!, i);
  const words = old.words.slice();
  const counts = Array.from(old.counts);
  const fresh: string[] = [];
  for (const w of order) {
    const c = raw.get(w)!;
    const id = oldIndex.get(w);
    if (id !== undefined) counts[id] = counts[id]! + c;
    else if (c >= o.minCount) fresh.push(w);
  }
  const firstSeen = new Map(order.map((w, i) => [w, i]));
  fresh.sort((a, b) => raw.get(b)! - raw.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
  for (const w of fresh) {
    words.push(w);
    counts.push(raw.get(w)!);
  }
  const vocab = new Vocab(words, counts);
  const ids: number[] = [];
  const starts: number[] = [0];
  for (const s of sents) {
    let inSent = 0;
    for (const t of s) {
      const id = vocab.index.get(t);
      if (id === undefined) continue;
      ids.push(id);
      if (++inSent === o.maxSentenceLength) {
        starts.push(ids.length);
        inSent = 0;
      }
    }
    if (inSent > 0) starts.push(ids.length);
  }
  if (ids.length === 0) throw new Error(`${fn}: no word of the new corpus is in the vocabulary or reaches minCount`);
  return {
    vocab,
    ids: Int32Array.from(ids),
    sentenceStarts: Int32Array.from(starts),
    rawTokens: tokens,
    newWords: fresh.length,
  };
}
