import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, setupBackend, type RngState } from '@wordloom/core';
import { Seq2Seq } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const make = () =>
  new Seq2Seq({
    srcVocabSize: 8,
    tgtVocabSize: 8,
    embeddingDim: 6,
    hiddenSize: 8,
    numLayers: 2,
    dropout: 0.3,
    cell: 'lstm',
    attention: 'luong',
    bosId: 1,
    eosId: 2,
    padId: 0,
    seed: 4,
  });

describe('Seq2Seq: the scheduled-sampling generator is the model’s own and is saved by rngStates()', () => {
  it('registers sampling and the encoder’s inter-layer dropout', () => {
    const m = make();
    // The decoder's LSTM registers its (unused: dropout 0) generator too: names do not depend on options.
    expect([...m.namedRngs().keys()]).toEqual(['sampling', 'encoder.rnn.dropout', 'decoder.rnn.dropout']);
    m.dispose();
  });

  it('k losses, save, more losses, restore → the same coin flips (and losses); a new model via JSON too', () => {
    const batch = {
      src: tf.tensor2d(
        [
          [3, 4, 5, 6],
          [6, 7, 0, 0],
        ],
        [2, 4],
        'int32',
      ),
      srcLengths: Int32Array.of(4, 2),
      tgt: tf.tensor2d(
        [
          [6, 5, 4, 3, 2],
          [7, 6, 2, 0, 0],
        ],
        [2, 5],
        'int32',
      ),
      tgtLengths: Int32Array.of(5, 3),
    };
    const loss = (m: Seq2Seq) => {
      const l = m.loss(batch, { teacherForcingRatio: 0.5 }); // no rng: the model's own
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    const m = make();
    for (let k = 0; k < 3; k++) loss(m);
    const saved = m.rngStates();
    const json = JSON.parse(JSON.stringify(Object.fromEntries(saved))) as Record<string, RngState>;
    const after = [loss(m), loss(m), loss(m)];
    expect(new Set(after).size).toBeGreaterThan(1); // the flips change the loss
    m.loadRngStates(saved);
    expect([loss(m), loss(m), loss(m)]).toEqual(after);
    const fresh = make();
    fresh.loadRngStates(json);
    expect([loss(fresh), loss(fresh), loss(fresh)]).toEqual(after);
    // Only the sampling generator restored (encoder dropout off): still the same flips.
    m.encoder.eval();
    fresh.encoder.eval();
    const s2 = m.rngStates().get('sampling')!;
    const a = [loss(m), loss(m)];
    fresh.loadRngStates({ sampling: s2 }, { strict: false });
    expect([loss(fresh), loss(fresh)]).toEqual(a);
    // A caller's generator still overrides the model's.
    const r = (seed: number) => {
      const l = m.loss(batch, { teacherForcingRatio: 0.5, rng: new Rng(seed) });
      const v = l.dataSync()[0];
      l.dispose();
      return v;
    };
    expect(r(9)).toBe(r(9));
    tf.dispose(batch);
    m.dispose();
    fresh.dispose();
  });
});
