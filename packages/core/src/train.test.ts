/**
 * The acceptance check: an Embedding + Linear model trains on wasm (gather's
 * gradient needs the UnsortedSegmentSum kernel setupBackend registers) and on cpu, and the
 * two give the same losses step by step (float32 on both: 1e-5 relative).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Embedding, LayerNorm, Linear, Module, crossEntropy, setupBackend } from './index.js';
import { expectClose, expectNoLeaks } from './testing.js';

class TinyLM extends Module {
  readonly emb: Embedding;
  readonly norm: LayerNorm;
  readonly out: Linear;
  constructor() {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 12, embeddingDim: 8, paddingIdx: 0, seed: 1 }));
    this.norm = this.addModule('norm', new LayerNorm({ normalizedShape: 8 }));
    this.out = this.addModule('out', new Linear({ inFeatures: 8, outFeatures: 12, seed: 2 }));
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out.forward(tf.tanh(this.norm.forward(this.emb.forward(ids)))));
  }
}

async function train(backend: 'cpu' | 'wasm', steps: number): Promise<{ losses: number[]; padRow: number[] }> {
  const r = await setupBackend({ prefer: [backend] });
  expect(r.backend).toBe(backend);
  expect(tf.getBackend()).toBe(backend);
  const model = new TinyLM();
  const ids = tf.tensor2d(
    [
      [1, 2, 3, 0],
      [4, 5, 0, 0],
      [6, 7, 8, 9],
    ],
    [3, 4],
    'int32',
  );
  const targets = tf.tensor2d(
    [
      [2, 3, -100, -100],
      [5, -100, -100, -100],
      [7, 8, 9, 10],
    ],
    [3, 4],
    'int32',
  );
  const losses: number[] = [];
  const step = (): void => {
    const params = model.parameters();
    const { value, grads } = tf.variableGrads(() => crossEntropy(model.forward(ids), targets) as tf.Scalar, params);
    losses.push(value.dataSync()[0]);
    tf.tidy(() => {
      for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.5)));
    });
    value.dispose();
    tf.dispose(grads);
  };
  step(); // first step outside the leak check (kernels may cache constants)
  await expectNoLeaks(() => {
    for (let i = 1; i < steps; i++) step();
  });
  const padRow = Array.from(tf.tidy(() => tf.slice(model.emb.weight, [0, 0], [1, 8])).dataSync());
  tf.dispose([ids, targets]);
  model.dispose();
  return { losses, padRow };
}

describe('training Embedding + LayerNorm + Linear', () => {
  it('gives the same losses on wasm and cpu, learns, and keeps the padding row at zero', async () => {
    const wasm = await train('wasm', 30);
    const cpu = await train('cpu', 30);
    expectClose(wasm.losses, cpu.losses, { rtol: 1e-5, atol: 1e-6, name: 'losses wasm vs cpu' });
    expect(cpu.losses[29]).toBeLessThan(cpu.losses[0] * 0.5);
    expect(wasm.padRow.map(Math.abs)).toEqual(new Array(8).fill(0));
    expect(cpu.padRow.map(Math.abs)).toEqual(new Array(8).fill(0));
  });
});
