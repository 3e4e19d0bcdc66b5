/**
 * The sentiment page's model (src/sentiment-model.ts) against the CLI's: the same
 * model.safetensors gives the same logits as `classify nsmc`'s BiLstmClassifier (every pooling);
 * gradient × input matches finite differences; max pooling's shares add up exactly to the
 * log-odds; bad metadata and ids give errors naming the problem; nothing leaks tensors.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, setupBackend, writeSafetensors } from '@wordloom/core';
import { fromTokenizerJson } from '@wordloom/tokenizer';
import { BiLstmClassifier } from '../../src/classify/model.js';
import { SentimentBiLstm, sentimentConfigFrom, type SentimentConfig } from './sentiment-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const assets = path.resolve(here, '../public/models/sentiment');

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

function small(pooling: SentimentConfig['pooling']): SentimentConfig {
  return { vocabSize: 30, embeddingDim: 6, hiddenSize: 5, numLayers: 2, pooling, numClasses: 2, padId: 0 };
}

/** The CLI's model with random weights, and the page's model loaded from its state dict (as a file would be). */
function pair(cfg: SentimentConfig, seed: number): { cli: BiLstmClassifier; page: SentimentBiLstm } {
  const cli = new BiLstmClassifier({ ...cfg, dropout: 0, seed });
  cli.eval();
  const file = readSafetensors(writeSafetensors(cli.stateDict(), { format: 'pt' }));
  const page = new SentimentBiLstm(cfg);
  page.loadStateDict(file.tensors, { strict: true });
  tf.dispose([...file.tensors.values()]);
  return { cli, page };
}

function cliLogits(cli: BiLstmClassifier, ids: Int32Array): Float32Array {
  return tf
    .tidy(() => {
      const x = tf.tensor2d(ids, [1, ids.length], 'int32');
      return cli.forward(x, tf.onesLike(x), Int32Array.of(ids.length));
    })
    .dataSync() as Float32Array;
}

describe('SentimentBiLstm', () => {
  it.each(['max', 'mean', 'last'] as const)('gives the CLI model’s logits (%s pooling)', (pooling) => {
    const { cli, page } = pair(small(pooling), 7);
    for (const ids of [Int32Array.of(3), Int32Array.of(5, 9, 1, 29, 4, 4, 17)]) {
      const want = cliLogits(cli, ids);
      const ex = page.explain(ids, 1);
      expect(ex.logOdds).toBeCloseTo(want[1] - want[0], 5);
      const p = 1 / (1 + Math.exp(-(want[1] - want[0])));
      expect(ex.probPositive).toBeCloseTo(p, 6);
      // The positive class's index is honoured.
      expect(page.explain(ids, 0).logOdds).toBeCloseTo(want[0] - want[1], 5);
    }
    cli.dispose();
    page.dispose();
  });

  it.each(['max', 'mean', 'last'] as const)('gradient × input matches finite differences (%s pooling)', (pooling) => {
    const { cli, page } = pair(small(pooling), 11);
    cli.dispose();
    const ids = Int32Array.of(5, 9, 1, 29, 4, 17);
    const ex = page.explain(ids, 1);
    // d/dε of the log-odds with token t's embedding scaled by (1 + ε), at ε = 0, is Σₑ xₜₑ ∂f/∂xₜₑ.
    const x = tf.tidy(() => page.embedding.forward(tf.tensor2d(ids, [1, ids.length], 'int32'))) as tf.Tensor3D;
    const f = (t: number, eps: number): number =>
      tf.tidy(() => {
        const scale = tf.buffer([1, ids.length, 1]);
        for (let i = 0; i < ids.length; i++) scale.set(i === t ? 1 + eps : 1, 0, i, 0);
        const z = page.fromEmbeddings(tf.mul(x, scale.toTensor()) as tf.Tensor3D).logits.dataSync();
        return z[1] - z[0];
      });
    const eps = 1e-2;
    for (let t = 0; t < ids.length; t++) {
      const fd = (f(t, eps) - f(t, -eps)) / (2 * eps);
      expect(Math.abs(ex.gradientXInput[t] - fd)).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
    }
    x.dispose();
    page.dispose();
  });

  it('max pooling: the token shares plus the bias are the log-odds exactly', () => {
    const { cli, page } = pair(small('max'), 3);
    cli.dispose();
    const ex = page.explain(Int32Array.of(2, 8, 8, 13, 21, 6, 1), 1);
    const sum = ex.maxPoolShare!.reduce((a, b) => a + b, 0);
    expect(sum + ex.bias).toBeCloseTo(ex.logOdds, 4);
    expect(page.explain(Int32Array.of(2, 8), 1).maxPoolShare).toHaveLength(2);
    const mean = pair(small('mean'), 3);
    expect(mean.page.explain(Int32Array.of(2, 8), 1).maxPoolShare).toBeUndefined();
    mean.cli.dispose();
    mean.page.dispose();
    page.dispose();
  });

  it('leaves no tensors behind', () => {
    const { cli, page } = pair(small('max'), 5);
    cli.dispose();
    page.explain(Int32Array.of(1, 2, 3), 1);
    const before = tf.memory().numTensors;
    page.explain(Int32Array.of(4, 5, 6, 7), 1);
    expect(tf.memory().numTensors).toBe(before);
    page.dispose();
  });

  it('rejects empty reviews and ids outside the vocabulary, naming them', () => {
    const page = new SentimentBiLstm(small('max'));
    expect(() => page.explain(new Int32Array(0), 1)).toThrow(/SentimentBiLstm\.explain: ids is empty/);
    expect(() => page.explain(Int32Array.of(1, 30), 1)).toThrow(/id 30 is outside the vocabulary \[0, 30\)/);
    page.dispose();
  });
});

describe('sentimentConfigFrom', () => {
  const good = {
    model: 'bilstm',
    config: JSON.stringify({
      vocabSize: 30,
      embeddingDim: 6,
      hiddenSize: 5,
      numLayers: 1,
      bidirectional: true,
      pooling: 'max',
      numClasses: 2,
      padId: 0,
    }),
    labels: JSON.stringify(['negative', 'positive']),
  };
  const meta = (o: Record<string, string | undefined>) =>
    new Map(Object.entries({ ...good, ...o }).filter((e): e is [string, string] => e[1] !== undefined));

  it('reads what the CLI writes', () => {
    const r = sentimentConfigFrom(meta({}));
    expect(r.config).toEqual({ ...small('max'), numLayers: 1 });
    expect(r.labels).toEqual(['negative', 'positive']);
  });

  it('says what is wrong with other metadata', () => {
    expect(() => sentimentConfigFrom(meta({ model: 'transformer' }), 'm.safetensors')).toThrow(
      /m\.safetensors: metadata "model" is "transformer"; this page runs the BiLSTM/,
    );
    expect(() => sentimentConfigFrom(meta({ config: undefined }))).toThrow(/has no "config" in its metadata/);
    expect(() =>
      sentimentConfigFrom(meta({ config: good.config.replace('"hiddenSize":5', '"hiddenSize":-1') })),
    ).toThrow(/config\.hiddenSize = -1 must be an integer ≥ 1/);
    expect(() => sentimentConfigFrom(meta({ config: good.config.replace('"max"', '"attention"') }))).toThrow(
      /config\.pooling = "attention"/,
    );
    expect(() => sentimentConfigFrom(meta({ labels: '["good","bad"]' }))).toThrow(
      /must name "negative" and "positive"/,
    );
  });
});

describe('the bundled NSMC model (public/models/sentiment)', () => {
  it('loads strictly beside its tokenizer and tells a clear positive from a clear negative review', () => {
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(path.join(assets, 'model.safetensors'))));
    const { config, labels } = sentimentConfigFrom(metadata);
    const tok = fromTokenizerJson(readFileSync(path.join(assets, 'tokenizer.json'), 'utf8'));
    expect(config.vocabSize).toBe(tok.vocabSize);
    const page = new SentimentBiLstm(config);
    page.loadStateDict(tensors, { strict: true });
    tf.dispose([...tensors.values()]);
    const p = (text: string) =>
      page.explain(Int32Array.from(tok.encodeIds(text)), labels.indexOf('positive')).probPositive;
    expect(p('정말 재밌어요. 최고의 영화, 강력 추천합니다')).toBeGreaterThan(0.8);
    expect(p('최악이다. 지루하고 돈 아까운 영화')).toBeLessThan(0.2);
    page.dispose();
  });
});
