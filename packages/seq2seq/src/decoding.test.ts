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
    const res = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 10,
      batchSize: 2,
      beamWidth: 2,
      lengthPenalty: 0,
    });
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
    const [hyps] = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 10,
      batchSize: 1,
      beamWidth: 4,
      nBest: 4,
      lengthPenalty: 0,
    });
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
    const [hyps] = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 10,
      batchSize: 1,
      beamWidth: 3,
      nBest: 3,
      lengthPenalty: 1,
    });
    for (const h of hyps) expect(h.score).toBeCloseTo(h.logProb / (h.tokens.length + 1), 6);
    for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1].score).toBeGreaterThanOrEqual(hyps[i].score);
    const [gnmt] = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 10,
      batchSize: 1,
      beamWidth: 3,
      lengthPenalty: 0.6,
      lengthPenaltyForm: 'gnmt',
    });
    expect(gnmt[0].score).toBeCloseTo(gnmt[0].logProb / Math.pow((5 + gnmt[0].tokens.length + 1) / 6, 0.6), 6);
    tf.dispose(init);
  });

  it('beamWidth 1 equals greedy; bad options throw', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [[h]] = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 10,
      batchSize: 1,
      beamWidth: 1,
      lengthPenalty: 0,
    });
    expect(Array.from(h.tokens)).toEqual([A, A]);
    expect(() =>
      beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 10, batchSize: 1, beamWidth: 2, nBest: 3 }),
    ).toThrow(/beamSearch: nBest = 3/);
    expect(() => beamSearch(treeStep, init, { bosId: BOS, eosId: EOS, maxLength: 0, batchSize: 1 })).toThrow(
      /maxLength = 0/,
    );
    tf.dispose(init);
  });
});

/**
 * Every finished sequence of at most `maxLength` tokens (eos included) under a step function
 * that maps (prefix → next-token log-probabilities), ranked by `logProb / lp(n)`.
 */
function enumerateFinished(
  logpAfter: (prefix: number[]) => number[],
  letters: number[],
  maxLength: number,
  lp: (n: number) => number,
): Array<{ tokens: number[]; logProb: number; score: number }> {
  const out: Array<{ tokens: number[]; logProb: number; score: number }> = [];
  const walk = (prefix: number[], logProb: number): void => {
    const lps = logpAfter(prefix);
    const withEos = logProb + lps[EOS];
    out.push({ tokens: prefix, logProb: withEos, score: withEos / lp(prefix.length + 1) });
    if (prefix.length + 1 < maxLength) for (const v of letters) walk([...prefix, v], logProb + lps[v]);
  };
  walk([], 0);
  return out.sort((x, y) => y.score - x.score);
}

const treeLogp = (prefix: number[]): number[] => {
  let n = 0;
  for (const tok of prefix) n = tree[n].next.get(tok) ?? 5;
  return tree[n].probs.map((p) => Math.log(p));
};

/**
 * A second hand-built model over 0 bos, 1 eos, 2..4 letters: logits are a fixed hash of the
 * whole prefix (so no two prefixes share a distribution), with eos more likely as the prefix
 * grows. The state is the prefix's base-4 code in a float tensor [rows, 2] (code, length).
 */
const HASH_V = 5;
const hashLogits = (code: number, len: number): number[] =>
  Array.from({ length: HASH_V }, (_, v) => {
    if (v === BOS) return -1e9;
    const x = Math.sin(code * 12.9898 + len * 4.1414 + v * 78.233) * 43758.5453;
    const u = x - Math.floor(x); // [0, 1)
    return 2.5 * u + (v === EOS ? 0.8 * len - 1 : 0);
  });
const logSoftmax = (l: number[]): number[] => {
  const m = Math.max(...l);
  const lse = m + Math.log(l.reduce((a, x) => a + Math.exp(x - m), 0));
  return l.map((x) => x - lse);
};
const hashLogp = (prefix: number[]): number[] => {
  let code = 0;
  for (const tok of prefix) code = code * 4 + (tok - 1);
  return logSoftmax(hashLogits(code, prefix.length));
};
const hashStep: StepFn<{ prefix: tf.Tensor2D }> = (state, tokens) => {
  const cur = state.prefix.dataSync();
  const rows = tokens.length;
  const next = new Float32Array(rows * 2);
  const logits: number[] = [];
  for (let r = 0; r < rows; r++) {
    let code = cur[r * 2];
    let len = cur[r * 2 + 1];
    if (tokens[r] !== BOS) {
      code = code * 4 + (tokens[r] - 1);
      len += 1;
    }
    next[r * 2] = code;
    next[r * 2 + 1] = len;
    logits.push(...hashLogits(code, len));
  }
  return { logits: tf.tensor2d(logits, [rows, HASH_V]), state: { prefix: tf.tensor2d(next, [rows, 2]) } };
};

describe('beamSearch n-best', () => {
  const power =
    (a: number) =>
    (n: number): number =>
      Math.pow(n, a);
  const gnmt =
    (a: number) =>
    (n: number): number =>
      Math.pow((5 + n) / 6, a);

  it('the 3 best of a prefix tree equal the 3 best by enumeration (α = 0, 1, GNMT 0.6)', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    for (const [alpha, form, lp] of [
      [0, 'power', power(0)],
      [1, 'power', power(1)],
      [0.6, 'gnmt', gnmt(0.6)],
    ] as const) {
      const expected = enumerateFinished(treeLogp, [A, B], 6, lp).slice(0, 3);
      const before = tf.memory().numTensors;
      const [hyps] = beamSearch(treeStep, init, {
        bosId: BOS,
        eosId: EOS,
        maxLength: 6,
        batchSize: 1,
        beamWidth: 3,
        nBest: 3,
        lengthPenalty: alpha,
        lengthPenaltyForm: form,
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(
        hyps.map((h) => Array.from(h.tokens)),
        `alpha ${alpha} ${form}`,
      ).toEqual(expected.map((e) => e.tokens));
      hyps.forEach((h, i) => {
        expect(h.logProb).toBeCloseTo(expected[i].logProb, 5);
        expect(h.score).toBeCloseTo(expected[i].score, 5);
        expect(h.finished).toBe(true);
        expect(h.attention).toHaveLength(h.tokens.length + 1); // one row per output step, eos included
      });
    }
    // α = 1 reorders the α = 0 list: "a" (2 steps) falls behind "a b" (3 steps).
    expect(
      enumerateFinished(treeLogp, [A, B], 6, power(1))
        .slice(0, 3)
        .map((e) => e.tokens),
    ).toEqual([[B], [A, A], [A, B]]);
    tf.dispose(init);
  });

  it('the 3 best of a hashed prefix model equal the 3 best by enumeration, per row of a batch', () => {
    const init = { prefix: tf.tensor2d([0, 0, 0, 0], [2, 2]) }; // two identical rows: same answers
    // Beam search is approximate: live beams are pruned by raw log-probability. At α = 1 this
    // model's best sequences need width 10 (width 4 returns the 3rd–5th best); at α = 0, 4 suffices.
    for (const [alpha, beamWidth] of [
      [0, 4],
      [1, 10],
    ] as const) {
      const expected = enumerateFinished(hashLogp, [2, 3, 4], 5, power(alpha)).slice(0, 3);
      // Sanity of the hand-built model: the best three are distinct and not all of one length.
      expect(new Set(expected.map((e) => e.tokens.length)).size).toBeGreaterThan(1);
      const res = beamSearch(hashStep, init, {
        bosId: BOS,
        eosId: EOS,
        maxLength: 5,
        batchSize: 2,
        beamWidth,
        nBest: 3,
        lengthPenalty: alpha,
      });
      for (const hyps of res) {
        expect(
          hyps.map((h) => Array.from(h.tokens)),
          `alpha ${alpha}`,
        ).toEqual(expected.map((e) => e.tokens));
        hyps.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i].score, 5));
        expect(hyps.every((h) => h.attention === undefined)).toBe(true); // the step returns no attention
      }
    }
    tf.dispose(init);
  });

  it('returns unfinished hypotheses cut at maxLength, ranked with the finished ones', () => {
    const init = { node: tf.tensor2d([0], [1, 1]) };
    const [hyps] = beamSearch(treeStep, init, {
      bosId: BOS,
      eosId: EOS,
      maxLength: 1,
      batchSize: 1,
      beamWidth: 2,
      nBest: 2,
      lengthPenalty: 0,
    });
    // After one step nothing can have ended (the root gives eos probability 0): "a" and "b", unfinished.
    expect(hyps.map((h) => [Array.from(h.tokens), h.finished])).toEqual([
      [[A], false],
      [[B], false],
    ]);
    expect(hyps[0].logProb).toBeCloseTo(Math.log(0.55), 6);
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
    expect(g).toEqual([
      [A, A],
      [A, A],
      [A, A],
      [A, A],
    ]);
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
