import * as tf from '@tensorflow/tfjs-core';
import { Rng, setupBackend } from '@wordloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { beamSearch, greedyDecode, sampleDecode, sampleFromLogits, type StepFn } from './index.js';

// Vocabulary of the hand-built models: 0 = bos, 1 = eos, 2 = a, 3 = b.
const BOS = 0;
const EOS = 1;
const A = 2;
const B = 3;

interface Node {
  probs: [number, number, number, number];
  next: Map<number, number>;
}

/**
 * A hand-built "model": a prefix tree of next-token distributions. The state is a float
 * tensor [rows, 1] holding each row's node id; the step reads it back on the CPU.
 * Tree 0 (node 0) is built so that greedy picks `a` (0.55) first and ends with a sequence of
 * probability 0.55 · 0.34 · 0.98 ≈ 0.183, while `b eos` has 0.45 · 0.9 = 0.405.
 */
function makeTree(): Node[] {
  const nodes: Node[] = [];
  const add = (probs: Node['probs']): number => {
    nodes.push({ probs, next: new Map() });
    return nodes.length - 1;
  };
  const root = add([0, 0, 0.55, 0.45]);
  const na = add([0, 0.33, 0.34, 0.33]);
  const nb = add([0, 0.9, 0.05, 0.05]);
  const naa = add([0, 0.98, 0.01, 0.01]);
  const nab = add([0, 0.98, 0.01, 0.01]);
  const sink = add([0, 0.98, 0.01, 0.01]);
  nodes[root].next.set(A, na).set(B, nb);
  nodes[na].next.set(A, naa).set(B, nab);
  for (const n of [nb, naa, nab, sink]) nodes[n].next.set(A, sink).set(B, sink);
  // Tree 1 (node 6): greedy is optimal: `b` 0.9 then eos 0.9.
  const root1 = add([0, 0, 0.1, 0.9]);
  const n1b = add([0, 0.9, 0.05, 0.05]);
  const n1a = add([0, 0.5, 0.25, 0.25]);
  nodes[root1].next.set(A, n1a).set(B, n1b);
  nodes[n1b].next.set(A, sink).set(B, sink);
  nodes[n1a].next.set(A, sink).set(B, sink);
  return nodes;
}

const tree = makeTree();

/** The step: tokens fed at step t move each row's node; the first step (bos) stays at the root. */
const treeStep: StepFn<{ node: tf.Tensor2D }> = (state, tokens) => {
  const ids = state.node.dataSync();
  const rows = ids.length;
  const next = new Float32Array(rows);
  const logits = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++) {
    let n = ids[r];
    if (tokens[r] !== BOS) n = tree[n].next.get(tokens[r]) ?? 5;
    next[r] = n;
    for (let v = 0; v < 4; v++) logits[r * 4 + v] = Math.log(Math.max(tree[n].probs[v], 1e-12));
  }
  // Attention over a 3-position "source": one-hot at min(depth, 2) — lets us check collection.
  return {
    logits: tf.tensor2d(logits, [rows, 4]),
    state: { node: tf.tensor2d(next, [rows, 1]) },
    attention: tf.tensor2d(Array.from({ length: rows }, () => [1, 0, 0]).flat(), [rows, 3]),
  };
};

const seqProb = (seq: number[]): number => {
  let n = 0;
  let p = 1;
  for (const tok of seq) {
    p *= tree[n].probs[tok];
    n = tree[n].next.get(tok) ?? 5;
  }
  return p;
};

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('greedyDecode', () => {
  it('follows the most probable token and misses the best sequence', () => {
    const init = { node: tf.tensor2d([0, 6], [2, 1]) };
    const before = tf.memory().numTensors;
    const [h0, h1] = greedyDecode(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(h0.tokens)).toEqual([A, A]);
    expect(h0.finished).toBe(true);
    expect(h0.logProb).toBeCloseTo(Math.log(seqProb([A, A, EOS])), 5);
    expect(Array.from(h1.tokens)).toEqual([B]);
    expect(h0.attention).toHaveLength(3); // a, a, eos
    tf.dispose(init);
  });

  it('stops at maxLength with finished = false', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [h] = greedyDecode(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 1, batchSize: 1 });
    expect(Array.from(h.tokens)).toEqual([A]);
    expect(h.finished).toBe(false);
    tf.dispose(init);
  });
});

describe('beamSearch', () => {
  it('finds the best sequence greedy misses, without leaking tensors', () => {
    const init = { node: tf.tensor2d([0, 6], [2, 1]) };
    const before = tf.memory().numTensors;
    const res = beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 2, beamWidth: 2, lengthPenalty: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(res[0][0].tokens)).toEqual([B]);
    expect(res[0][0].logProb).toBeCloseTo(Math.log(0.45 * 0.9), 5);
    expect(res[0][0].finished).toBe(true);
    expect(Array.from(res[1][0].tokens)).toEqual([B]);
    expect(res[1][0].logProb).toBeCloseTo(Math.log(0.81), 5);
    expect(res[0][0].attention).toHaveLength(2); // b, eos
    tf.dispose(init);
  });

  it('returns the n best in order with their exact log-probabilities', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [hyps] = beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 4, nBest: 4, lengthPenalty: 0 });
    const expected = [[B], [A, A], [A], [A, B]];
    expect(hyps.map((h) => Array.from(h.tokens))).toEqual(expected);
    for (const [i, h] of hyps.entries()) {
      expect(h.logProb).toBeCloseTo(Math.log(seqProb([...expected[i], EOS])), 5);
      expect(h.score).toBe(h.logProb);
    }
    tf.dispose(init);
  });

  it('ranks by logProb / length^alpha (length counts eos)', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [hyps] = beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 3, nBest: 3, lengthPenalty: 1 });
    for (const h of hyps) expect(h.score).toBeCloseTo(h.logProb / (h.tokens.length + 1), 6);
    for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1].score).toBeGreaterThanOrEqual(hyps[i].score);
    const [gnmt] = beamSearch(treeStep, init, {
      bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 3, lengthPenalty: 0.6, lengthPenaltyForm: 'gnmt',
    });
    expect(gnmt[0].score).toBeCloseTo(gnmt[0].logProb / Math.pow((5 + gnmt[0].tokens.length + 1) / 6, 0.6), 6);
    tf.dispose(init);
  });

  it('beamWidth 1 equals greedy; bad options throw', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [[h]] = beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 1, lengthPenalty: 0 });
    expect(Array.from(h.tokens)).toEqual([A, A]);
    expect(() => beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 2, nBest: 3 })).toThrow(
      /beamSearch: nBest = 3/,
    );
    expect(() => beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 0, batchSize: 1 })).toThrow(/maxLength = 0/);
    tf.dispose(init);
  });
});

describe('sampling', () => {
  it('same seed, same sequences; topK 1 is greedy', () => {
    const init = { node: tf.tensor2d([0, 0, 0, 0], [4, 1]) };
    const opts = { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 4, seed: 7 };
    const a = sampleDecode(treeStep, init, opts).map((h) => Array.from(h.tokens));
    const b = sampleDecode(treeStep, init, opts).map((h) => Array.from(h.tokens));
    expect(a).toEqual(b);
    const g = sampleDecode(treeStep, init, { ...opts, topK: 1 }).map((h) => Array.from(h.tokens));
    expect(g).toEqual([[A, A], [A, A], [A, A], [A, A]]);
    tf.dispose(init);
  });

  it('sampleFromLogits matches the distribution, temperature, top-k and top-p', () => {
    const logits = [Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)];
    const count = (opts: { temperature?: number; topK?: number; topP?: number }): number[] => {
      const rng = new Rng(123);
      const c = [0, 0, 0, 0];
      for (let i = 0; i < 20000; i++) c[sampleFromLogits(logits, { rng, ...opts })]++;
      return c.map((x) => x / 20000);
    };
    const plain = count({});
    [0.5, 0.3, 0.15, 0.05].forEach((p, i) => expect(Math.abs(plain[i] - p)).toBeLessThan(0.015));
    const k2 = count({ topK: 2 });
    expect(k2[2] + k2[3]).toBe(0);
    expect(Math.abs(k2[0] - 0.625)).toBeLessThan(0.015);
    const p = count({ topP: 0.8 }); // 0.5 + 0.3 reaches 0.8: nucleus {0, 1}
    expect(p[2] + p[3]).toBe(0);
    const cold = count({ temperature: 0.5 }); // p ∝ p^2: 0.25, 0.09, 0.0225, 0.0025 → 0.6614, ...
    expect(Math.abs(cold[0] - 0.25 / 0.365)).toBeLessThan(0.015);
  });
});
