/**
 * Trains a small skip-gram word2vec in a Web Worker (one thread: the browser build of
 * @wordloom/embeddings runs its kernel on the calling thread) and posts progress, then the
 * vectors in word2vec text format.
 */
import type { WorkerMessage } from '../app.js';
import { trainWord2Vec, writeWord2VecFormat } from '@wordloom/embeddings';

export interface W2vJob {
  text: string;
  vectorSize: number;
  epochs: number;
  minCount: number;
  seed: number;
}
export interface W2vProgress {
  progress: number;
  wordsPerSec: number;
  etaSeconds: number;
  loss: number;
}
export interface W2vDone {
  vectors: Uint8Array;
  words: number;
  ms: number;
}
export type W2vMessage = WorkerMessage<W2vProgress, W2vDone>;

self.onmessage = async (e: MessageEvent<W2vJob>) => {
  const post = (m: W2vMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
  try {
    const t0 = performance.now();
    const sentences = e.data.text
      .toLowerCase()
      .split('\n')
      .map((l) => l.match(/[\p{L}\p{N}']+/gu) ?? [])
      .filter((s) => s.length > 1);
    const r = await trainWord2Vec(sentences, {
      vectorSize: e.data.vectorSize,
      epochs: e.data.epochs,
      minCount: e.data.minCount,
      window: 5,
      negative: 5,
      sg: true,
      workers: 1,
      seed: e.data.seed,
      computeLoss: true,
      progressEveryMs: 200,
      onProgress: (p) =>
        post({
          kind: 'progress',
          progress: p.progress,
          wordsPerSec: p.wordsPerSec,
          etaSeconds: p.etaSeconds,
          loss: p.loss,
        }),
    });
    const bytes = writeWord2VecFormat(r.wv);
    post({ kind: 'done', vectors: bytes, words: r.wv.size, ms: performance.now() - t0 }, [bytes.buffer]);
  } catch (err) {
    post({ kind: 'error', message: (err as Error).message });
  }
};
