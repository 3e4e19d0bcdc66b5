/** The optimizer with `@wordloom/core` Modules: parameter names, frozen parameters, groups, no leaks. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, setupBackend } from '@wordloom/core';
import { expectNoLeaks } from '@wordloom/core/testing';
import { adamw, Optimizer, sgd } from './index.js';

class Tagger extends Module {
  readonly embed: Embedding;
  readonly out: Linear;
  constructor() {
    super();
    this.embed = this.addModule('embed', new Embedding({ numEmbeddings: 6, embeddingDim: 4, seed: 1, freeze: true }));
    this.out = this.addModule('out', new Linear({ inFeatures: 4, outFeatures: 3, seed: 2 }));
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return this.out.forward(this.embed.forward(ids) as tf.Tensor2D);
  }
}

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('Optimizer over a Module', () => {
  it('optimizes the trainable parameters by their dotted names; frozen ones stay put', async () => {
    const model = new Tagger();
    const opt = new Optimizer(model, adamw({ lr: 0.05, groups: [{ match: /\.bias$/, weightDecay: 0 }] }));
    expect([...opt.params.keys()]).toEqual(['out.weight', 'out.bias']);
    const frozen = Array.from(model.embed.weight.dataSync());
    const ids = tf.tensor1d([0, 1, 2, 3, 4, 5], 'int32');
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32'), 3);
    const loss = () => tf.losses.softmaxCrossEntropy(labels, model.forward(ids)) as tf.Scalar;
    const first = opt.minimize(loss);
    opt.minimize(loss); // state allocated on the first steps
    const last = await expectNoLeaks(() => {
      let l = first;
      for (let i = 0; i < 200; i++) l = opt.minimize(loss);
      return l;
    });
    expect(last).toBeLessThan(first * 0.5);
    expect(Array.from(model.embed.weight.dataSync())).toEqual(frozen);
    opt.dispose();
    model.dispose();
    tf.dispose([ids, labels]);
  });

  it('maps tf.variableGrads keys (tfjs variable names) back to parameter names', () => {
    const model = new Linear({ inFeatures: 2, outFeatures: 1, seed: 0 });
    const opt = new Optimizer(model, sgd({ lr: 0.1 }));
    const x = tf.tensor2d([[1, 2]]);
    const { value, grads } = tf.variableGrads(() => tf.sum(model.forward(x)) as tf.Scalar, model.parameters());
    const w0 = Array.from(model.weight.dataSync());
    opt.step(grads);
    // d/dW sum(Wx + b) = x
    expect(Array.from(model.weight.dataSync()).map((v, i) => +(w0[i] - v).toFixed(6))).toEqual([0.1, 0.2]);
    tf.dispose([value, x, ...Object.values(grads)]);
    opt.dispose();
    model.dispose();
  });
});
