import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '@wordloom/core';
import { MultiHeadAttention } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('MultiHeadAttention: the attention-dropout generator is saved by rngStates()', () => {
  it("is named 'dropout.rng'; restoring it repeats the dropped weights; no parameter is added", () => {
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, dropout: 0.5, seed: 1 });
    expect([...mha.namedRngs().keys()]).toEqual(['dropout.rng']);
    expect([...mha.namedParameters().keys()]).toEqual([
      ...new MultiHeadAttention({ embedDim: 8, numHeads: 2 }).namedParameters().keys(),
    ]);
    const q = tf.randomNormal([2, 3, 8], 0, 1, 'float32', 3);
    const run = () =>
      tf.tidy(() => {
        const { output, weights } = mha.forward(q, q, q);
        return [...output.dataSync(), ...weights!.dataSync()];
      });
    run();
    const saved = mha.rngStates();
    const a = run();
    expect(run()).not.toEqual(a);
    mha.loadRngStates(saved);
    expect(run()).toEqual(a);
    mha.eval();
    expect(mha.namedChildren().get('dropout')!.training).toBe(false);
    tf.dispose(q);
    mha.dispose();
  });
});
