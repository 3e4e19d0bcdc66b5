import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout, Module, setupBackend, type RngState } from '@wordloom/core';
import { LSTM } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

/** Embedding-free tagger: input dropout, then a 2-layer LSTM with dropout between the layers. */
class Tagger extends Module {
  readonly drop: Dropout;
  readonly lstm: LSTM;
  constructor() {
    super();
    this.drop = this.addModule('drop', new Dropout({ p: 0.3, seed: 1 }));
    this.lstm = this.addModule('lstm', new LSTM({ inputSize: 4, hiddenSize: 5, numLayers: 2, dropout: 0.5, seed: 2 }));
  }
  forward(x: tf.Tensor3D): number[] {
    return tf.tidy(() => {
      const { outputs, state } = this.lstm.forward(this.drop.forward(x) as tf.Tensor3D, { lengths: [3, 2] });
      tf.dispose([state.h, state.c!]);
      return Array.from(outputs.dataSync());
    });
  }
}

describe('rngStates of a model with Dropout and an LSTM with inter-layer dropout', () => {
  const x = () => tf.tidy(() => tf.ones([2, 3, 4]) as tf.Tensor3D);

  it('names both generators', () => {
    const m = new Tagger();
    expect([...m.namedRngs().keys()]).toEqual(['drop.rng', 'lstm.dropout']);
    m.dispose();
  });

  it('k passes, save, more passes, restore → the same outputs (masks) again; also into a new model via JSON', () => {
    const m = new Tagger();
    const input = x();
    for (let k = 0; k < 3; k++) m.forward(input);
    const saved = m.rngStates();
    const json = JSON.parse(JSON.stringify(Object.fromEntries(saved))) as Record<string, RngState>;
    const after = [m.forward(input), m.forward(input)];
    expect(after[1]).not.toEqual(after[0]); // masks change from pass to pass
    m.loadRngStates(saved);
    expect([m.forward(input), m.forward(input)]).toEqual(after);

    const fresh = new Tagger();
    expect(fresh.forward(input)).not.toEqual(after[0]); // without restoring: other masks
    fresh.loadRngStates(json);
    expect([fresh.forward(input), fresh.forward(input)]).toEqual(after);
    tf.dispose(input);
    m.dispose();
    fresh.dispose();
  });

  it('the inter-layer dropout alone is restored (input dropout off)', () => {
    const m = new Tagger();
    m.drop.eval();
    const input = x();
    m.forward(input);
    const saved = m.rngStates();
    const a = m.forward(input);
    expect(m.forward(input)).not.toEqual(a);
    m.loadRngStates(new Map([...saved].filter(([n]) => n === 'lstm.dropout')), { strict: false });
    expect(m.forward(input)).toEqual(a);
    tf.dispose(input);
    m.dispose();
  });
});
