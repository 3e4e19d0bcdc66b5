import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { expectClose } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { erf } from './internal/fused-decode.js';
import { disposeState } from './internal/util.js';
import { TransformerLM, type LMState, type TransformerLMOptions } from './lm.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const configs: Array<Partial<TransformerLMOptions> & { name: string }> = [
  { name: 'learned, pre-norm, GELU, tied', positional: 'learned' },
  {
    name: 'sinusoidal, post-norm, ReLU, untied',
    positional: 'sinusoidal',
    normFirst: false,
    activation: 'relu',
    tieWeights: false,
  },
  { name: 'rope, pre-norm, GELU', positional: 'rope' },
];

/**
 * A small LM in eval mode whose every parameter is perturbed (PyTorch's init leaves the attention
 * biases at 0 and the LayerNorms at 1/0: a bias or norm parameter the fused loop forgot would not show).
 */
function makeLM(c: Partial<TransformerLMOptions>, seed = 5): TransformerLM {
  const lm = new TransformerLM({ vocabSize: 23, dModel: 16, nhead: 4, numLayers: 2, maxLen: 40, seed, ...c });
  let k = 0;
  for (const p of lm.namedParameters().values()) {
    const v = tf.tidy(() => tf.add(p, tf.randomNormal(p.shape, 0, 0.1, 'float32', seed * 1000 + k++)));
    p.assign(v);
    v.dispose();
  }
  return lm.eval();
}

describe('fused decoding (TransformerLM.generate)', () => {
  for (const c of configs) {
    it(`gives the logits of step() at every position (${c.name})`, () => {
      const lm = makeLM(c);
      const prompt = [
        [1, 5, 7],
        [2, 9, 4],
      ];
      const feed = [
        [3, 8],
        [11, 0],
        [22, 6],
        [4, 4],
        [15, 1],
      ];
      const { decoder, logits: first } = lm.startFused(prompt, prompt[0].length + feed.length);
      let r: { logits: tf.Tensor2D; state: LMState } = lm.advance(lm.initState(), prompt);
      expectClose(first, r.logits, { atol: 1e-5, rtol: 1e-4, name: 'prompt logits' });
      for (const tokens of feed) {
        const fused = decoder.step(tokens);
        const next = lm.step(r.state, tokens);
        r.logits.dispose();
        disposeState(r.state);
        r = next;
        expectClose(fused, r.logits, { atol: 1e-5, rtol: 1e-4, name: `logits at position ${decoder.position - 1}` });
      }
      r.logits.dispose();
      disposeState(r.state);
      lm.dispose();
    });

    it(`gives the greedy tokens of the tfjs path, with and without the cache (${c.name})`, () => {
      const lm = makeLM(c, 11);
      const prompt = [
        [3, 1, 4, 1],
        [5, 9, 2, 6],
      ];
      const fused = lm.generate(prompt, { maxNewTokens: 12 });
      const ops = lm.generate(prompt, { maxNewTokens: 12, fused: false });
      const full = lm.generate(prompt, { maxNewTokens: 12, useCache: false });
      expect(fused.map((r) => Array.from(r))).toEqual(ops.map((r) => Array.from(r)));
      expect(fused.map((r) => Array.from(r))).toEqual(full.map((r) => Array.from(r)));
      lm.dispose();
    });
  }

  it('keeps its transposed weights between calls, rebuilds them when a weight changes, frees them on dispose', () => {
    const before = tf.memory().numTensors;
    const lm = makeLM({ positional: 'learned' });
    const params = tf.memory().numTensors;
    const a = lm.generate([[1, 2, 3]], { maxNewTokens: 6 });
    const kept = tf.memory().numTensors;
    expect(kept - params).toBe(4 * 2 + 1); // q/k/v, out, ff1, ff2 per layer + the head
    lm.generate([[1, 2, 3]], { maxNewTokens: 6 });
    expect(tf.memory().numTensors).toBe(kept); // nothing else stays behind
    // a training step assigns new values: the next call must see them
    const w = lm.transformer.layers[1].linear2.weight;
    const changed = tf.tidy(() => tf.mul(w, -5));
    w.assign(changed);
    changed.dispose();
    const b = lm.generate([[1, 2, 3]], { maxNewTokens: 6 });
    const ref = lm.generate([[1, 2, 3]], { maxNewTokens: 6, fused: false });
    expect(Array.from(b[0])).toEqual(Array.from(ref[0]));
    expect(Array.from(b[0])).not.toEqual(Array.from(a[0]));
    expect(tf.memory().numTensors).toBe(kept);
    lm.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs the tfjs ops in training mode (dropout) and checks its arguments', () => {
    const lm = makeLM({ positional: 'learned', maxLen: 8 });
    expect(() => lm.generate([[1, 2]], { maxNewTokens: -1 })).toThrow(
      /maxNewTokens = -1 must be a non-negative integer/,
    );
    expect(() => lm.generate([[1, 2]], { maxNewTokens: 1.5 })).toThrow(/maxNewTokens = 1.5/);
    expect(lm.generate([[1, 2]], { maxNewTokens: 0 })).toEqual([new Int32Array(0)]);
    expect(() => lm.generate([[1, 99]], { maxNewTokens: 2 })).toThrow(
      /prompt id 99 at \[0, 1\] is out of range \[0, 23\)/,
    );
    // prompt 2 + 7 new tokens feeds positions 0…7: fits maxLen 8; one more does not
    expect(lm.generate([[1, 2]], { maxNewTokens: 7 })[0].length).toBe(7);
    expect(() => lm.generate([[1, 2]], { maxNewTokens: 8 })).toThrow(/positions up to 9 exceed maxLen = 8/);
    lm.train();
    expect(() => lm.startFused([[1, 2]], 4)).toThrow(/eval mode only/);
    expect(lm.generate([[1, 2]], { maxNewTokens: 3 })[0].length).toBe(3);
    lm.dispose();
  });

  it('gives the logits and tokens of the tfjs path on the wasm backend (XNNPACK products)', async () => {
    const { backend } = await setupBackend({ prefer: ['wasm'] });
    try {
      expect(backend).toBe('wasm');
      const lm = new TransformerLM({ vocabSize: 50, dModel: 32, nhead: 4, numLayers: 2, maxLen: 64, seed: 2 }).eval();
      const prompt = [[7, 3, 19, 44, 2]];
      const { decoder } = lm.startFused(prompt, 12);
      let r: { logits: tf.Tensor2D; state: LMState } = lm.advance(lm.initState(), prompt);
      for (const t of [5, 31, 0, 49, 12, 8, 8]) {
        const fused = decoder.step([t]);
        const next = lm.step(r.state, [t]);
        r.logits.dispose();
        disposeState(r.state);
        r = next;
        expectClose(fused, r.logits, { atol: 1e-5, rtol: 1e-4, name: `wasm logits at ${decoder.position - 1}` });
      }
      r.logits.dispose();
      disposeState(r.state);
      const a = lm.generate([[1, 2, 3]], { maxNewTokens: 20 });
      const b = lm.generate([[1, 2, 3]], { maxNewTokens: 20, fused: false });
      expect(Array.from(a[0])).toEqual(Array.from(b[0]));
      lm.dispose();
    } finally {
      await setupBackend({ prefer: ['cpu'] });
    }
  });

  it("erf matches tfjs's Erf within 2e-7", () => {
    const xs = Array.from({ length: 81 }, (_, i) => (i - 40) / 10);
    const ref = tf.tidy(() => tf.erf(tf.tensor1d(xs)).dataSync());
    xs.forEach((x, i) => expect(Math.abs(erf(x) - ref[i])).toBeLessThan(2e-7));
  });
});
