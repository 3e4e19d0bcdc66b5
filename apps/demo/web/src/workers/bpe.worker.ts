/**
 * Trains a small byte-level BPE off the page's main thread and posts progress, then the
 * trained tokenizer as tokenizer.json text.
 */
import type { WorkerMessage } from '../app.js';
import {
  BPE,
  ByteLevel,
  ByteLevelDecoder,
  Tokenizer,
  byteLevelAlphabet,
  toTokenizerJson,
  trainBpe,
} from '@wordloom/tokenizer';

export interface BpeJob {
  text: string;
  vocabSize: number;
}
export interface BpeProgress {
  merges: number;
  totalMerges: number;
  rate: number;
  etaMs: number;
}
export interface BpeDone {
  json: string;
  merges: number;
  vocabSize: number;
  ms: number;
}
export type BpeMessage = WorkerMessage<BpeProgress, BpeDone>;

self.onmessage = async (e: MessageEvent<BpeJob>) => {
  const post = (m: BpeMessage) => (self as unknown as Worker).postMessage(m);
  try {
    const t0 = performance.now();
    const preTokenizer = new ByteLevel({ addPrefixSpace: false });
    const lines = e.data.text.split('\n').filter((l) => l.trim() !== '');
    const r = await trainBpe(lines, {
      vocabSize: e.data.vocabSize,
      preTokenizer,
      initialAlphabet: byteLevelAlphabet(),
      specialTokens: ['<|endoftext|>'],
      progressEvery: 10,
      onProgress: (p) =>
        post({ kind: 'progress', merges: p.merges, totalMerges: p.totalMerges, rate: p.rate, etaMs: p.etaMs }),
    });
    const tok = new Tokenizer({
      model: new BPE({ vocab: r.vocab, merges: r.merges }),
      preTokenizer,
      decoder: new ByteLevelDecoder(),
    });
    post({
      kind: 'done',
      json: toTokenizerJson(tok),
      merges: r.merges.length,
      vocabSize: r.vocab.size,
      ms: performance.now() - t0,
    });
  } catch (err) {
    post({ kind: 'error', message: (err as Error).message });
  }
};
