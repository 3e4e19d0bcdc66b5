/**
 * Decoding strategies over a generic step function: greedy, beam search (width, length
 * normalization, eos handling, n-best) and sampling (temperature, top-k, top-p, seeded).
 *
 * A model exposes `step(state, tokens) → { logits [B, V], state, attention? [B, S] }`; the
 * RNN decoders of this package do, and so can a transformer LM with a KV cache. The search
 * itself runs on the CPU over the log-probabilities of each step (vocabularies here are small
 * and B·K·V floats per step are cheap to read back), which keeps beam bookkeeping simple.
 *
 * References: Sutskever et al. 2014 (beam search for seq2seq); Wu et al. 2016 (GNMT length
 * penalty); Holtzman et al. 2019 (nucleus / top-p sampling); Hugging Face `generate`
 * (`BeamHypotheses`, early stopping when no active beam can beat the worst finished one).
 */
import * as tf from '@tensorflow/tfjs-core';
import { collectTensors, mapTensors, Rng } from '@wordloom/core';

/** What one decoding step returns. The decoder disposes `logits` and `attention`. */
export interface StepOutput<S> {
  /** Unnormalized scores of the next token. // [B, V] */
  logits: tf.Tensor2D;
  /** The state to pass to the next step. */
  state: S;
  /** Optional attention weights of this step over the source. // [B, S] */
  attention?: tf.Tensor2D;
}

/**
 * One decoding step: the state so far and the token fed at this step for each row
 * (the previous output, or `bos` at the first step) → next-token logits and the new state.
 */
export type StepFn<S> = (state: S, tokens: Int32Array) => StepOutput<S>;

/** A state is any tree of tensors (objects, arrays, tensors, plain values). */
type Tree = unknown;

/**
 * Disposes the tensors of `old` that are neither in `next` nor in `keep` (the caller's
 * initial state, which the caller owns).
 */
function disposeReplaced(old: Tree, next: Tree, keep: Set<tf.Tensor>): void {
  const live = collectTensors(next);
  for (const t of collectTensors(old)) {
    if (!live.has(t) && !keep.has(t) && !t.isDisposed) t.dispose();
  }
}

/**
 * The default way to reorder (or expand) a state for beam search: every tensor of the tree
 * whose first dimension equals `rows` is gathered along axis 0 with `indices`; other values
 * are carried unchanged.
 */
export function gatherStateRows<S>(state: S, indices: Int32Array, rows: number): S {
  const idx = tf.tensor1d(indices, 'int32');
  try {
    return mapTensors(state, (t) => (t.shape[0] === rows ? tf.gather(t, idx, 0) : t)) as S;
  } finally {
    idx.dispose();
  }
}

function logSoftmaxRows(logits: Float32Array, rows: number, V: number, temperature = 1): Float32Array {
  const out = new Float32Array(rows * V);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[r * V + v] / temperature);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[r * V + v] / temperature - max);
    const lse = max + Math.log(sum);
    for (let v = 0; v < V; v++) out[r * V + v] = logits[r * V + v] / temperature - lse;
  }
  return out;
}

function readStep<S>(
  out: StepOutput<S>,
  name: string,
  B: number,
): { logits: Float32Array; V: number; attention?: Float32Array; S?: number } {
  const [rows, V] = out.logits.shape;
  if (rows !== B) throw new Error(`${name}: step returned logits with ${rows} rows, expected ${B}`);
  const logits = out.logits.dataSync() as Float32Array;
  out.logits.dispose();
  let attention: Float32Array | undefined;
  let S: number | undefined;
  if (out.attention) {
    S = out.attention.shape[1];
    attention = out.attention.dataSync() as Float32Array;
    out.attention.dispose();
  }
  return { logits: Float32Array.from(logits), V, attention: attention && Float32Array.from(attention), S };
}

/** Options shared by every strategy. */
export interface DecodeOptions {
  /** Token fed at the first step (`bos`). */
  bosId: number;
  /** Token that ends a sequence (`eos`); it is not included in the returned tokens. */
  eosId: number;
  /**
   * Maximum number of generated tokens (counting `eos`). Sequences cut here are returned
   * with `finished: false`.
   */
  maxLength: number;
  /**
   * Number of rows of the initial state (the batch size). Required: a state is any tree of
   * tensors, so it can't be inferred reliably.
   */
  batchSize: number;
}

/** One decoded sequence. */
export interface Hypothesis {
  /** Generated tokens, without `bos` and without the final `eos`. */
  tokens: Int32Array;
  /** Sum of log-probabilities of the generated tokens (including `eos` when finished). */
  logProb: number;
  /** The score used for ranking (log-probability after length normalization). */
  score: number;
  /** True when the sequence ended with `eos` (false: cut at `maxLength`). */
  finished: boolean;
  /** Attention weights of each output step (including the `eos` step) over the source, when the step returns them. */
  attention?: Float32Array[];
}

/** Greedy decoding: the most probable token at each step. Returns one hypothesis per row. */
export function greedyDecode<S>(step: StepFn<S>, initialState: S, opts: DecodeOptions): Hypothesis[] {
  return sampleOrGreedy('greedyDecode', step, initialState, opts, null);
}

/** Options of {@link sampleDecode}. */
export interface SampleOptions extends DecodeOptions {
  /** Seed of the sampler: the same seed gives the same sequences. */
  seed: number;
  /**
   * Divides the logits before the softmax: < 1 sharpens, > 1 flattens.
   * @default 1 — the model's own distribution.
   */
  temperature?: number;
  /**
   * Keep only the `topK` most probable tokens (0 = no limit).
   * @default 0 — no truncation unless asked.
   */
  topK?: number;
  /**
   * Keep the smallest set of most probable tokens whose probability reaches `topP` (nucleus).
   * @default 1 — no truncation unless asked.
   */
  topP?: number;
}

/** Ancestral sampling with temperature, top-k and top-p (nucleus) truncation, seeded. */
export function sampleDecode<S>(step: StepFn<S>, initialState: S, opts: SampleOptions): Hypothesis[] {
  const temperature = opts.temperature ?? 1;
  const topK = opts.topK ?? 0;
  const topP = opts.topP ?? 1;
  if (!(temperature > 0)) throw new Error(`sampleDecode: temperature = ${temperature} must be > 0`);
  if (!Number.isInteger(topK) || topK < 0) throw new Error(`sampleDecode: topK = ${topK} must be an integer ≥ 0`);
  if (!(topP > 0 && topP <= 1)) throw new Error(`sampleDecode: topP = ${topP} must be in (0, 1]`);
  return sampleOrGreedy('sampleDecode', step, initialState, opts, { rng: new Rng(opts.seed), temperature, topK, topP });
}

/**
 * Samples one token from a row of logits with temperature, top-k and top-p.
 * Exported for tests and for callers that run their own loop.
 */
export function sampleFromLogits(
  logits: ArrayLike<number>,
  opts: { rng: Rng; temperature?: number; topK?: number; topP?: number },
): number {
  const V = logits.length;
  const temperature = opts.temperature ?? 1;
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  let keep = opts.topK && opts.topK > 0 ? Math.min(opts.topK, V) : V;
  const max = logits[order[0]] / temperature;
  const p = new Float64Array(keep);
  let sum = 0;
  for (let i = 0; i < keep; i++) {
    p[i] = Math.exp(logits[order[i]] / temperature - max);
    sum += p[i];
  }
  for (let i = 0; i < keep; i++) p[i] /= sum;
  const topP = opts.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    for (let i = 0; i < keep; i++) {
      cum += p[i];
      if (cum >= topP - 1e-9) {
        // tolerance: 0.5 + 0.3 sums to 0.7999…
        keep = i + 1;
        break;
      }
    }
    let s = 0;
    for (let i = 0; i < keep; i++) s += p[i];
    for (let i = 0; i < keep; i++) p[i] /= s;
  }
  const u = opts.rng.uniform();
  let cum = 0;
  for (let i = 0; i < keep; i++) {
    cum += p[i];
    if (u < cum) return order[i];
  }
  return order[keep - 1];
}

function checkCommon(name: string, opts: DecodeOptions): void {
  if (!Number.isInteger(opts.maxLength) || opts.maxLength < 1) {
    throw new Error(`${name}: maxLength = ${opts.maxLength} must be an integer ≥ 1`);
  }
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new Error(`${name}: batchSize = ${opts.batchSize} must be an integer ≥ 1`);
  }
}

function sampleOrGreedy<S>(
  name: string,
  step: StepFn<S>,
  initialState: S,
  opts: DecodeOptions,
  sampler: { rng: Rng; temperature: number; topK: number; topP: number } | null,
): Hypothesis[] {
  checkCommon(name, opts);
  const B = opts.batchSize;
  const keep = collectTensors(initialState);
  const tokens: number[][] = Array.from({ length: B }, () => []);
  const logProb = new Float64Array(B);
  const done = new Uint8Array(B);
  const attn: Float32Array[][] = Array.from({ length: B }, () => []);
  let hasAttention = false;
  let state = initialState;
  let input = new Int32Array(B).fill(opts.bosId);
  try {
    for (let t = 0; t < opts.maxLength && done.some((d) => d === 0); t++) {
      const out = step(state, input);
      disposeReplaced(state, out.state, keep);
      state = out.state;
      const { logits, V, attention, S } = readStep(out, name, B);
      const logp = logSoftmaxRows(logits, B, V);
      const next = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          next[b] = opts.eosId;
          continue;
        }
        let tok: number;
        if (sampler) {
          tok = sampleFromLogits(logits.subarray(b * V, (b + 1) * V), sampler);
        } else {
          tok = 0;
          for (let v = 1; v < V; v++) if (logp[b * V + v] > logp[b * V + tok]) tok = v;
        }
        next[b] = tok;
        logProb[b] += logp[b * V + tok];
        if (attention && S !== undefined) {
          hasAttention = true;
          attn[b].push(attention.slice(b * S, (b + 1) * S));
        }
        if (tok === opts.eosId) done[b] = 1;
        else tokens[b].push(tok);
      }
      input = next;
    }
  } finally {
    disposeReplaced(state, undefined, keep);
  }
  return tokens.map((toks, b) => ({
    tokens: Int32Array.from(toks),
    logProb: logProb[b],
    score: logProb[b],
    finished: done[b] === 1,
    ...(hasAttention ? { attention: attn[b] } : {}),
  }));
}

/** Options of {@link beamSearch}. */
export interface BeamSearchOptions extends DecodeOptions {
  /**
   * Number of beams kept per input row.
   * @default 4 — a common choice in NMT; gains flatten beyond 5–10.
   */
  beamWidth?: number;
  /**
   * How many hypotheses to return per input row (≤ `beamWidth`).
   * @default 1 — the best one.
   */
  nBest?: number;
  /**
   * Length-normalization exponent α: a finished hypothesis of `n` tokens is ranked by
   * `logProb / lp(n)` with `lp(n) = n^α` ('power') or `((5 + n) / 6)^α` ('gnmt').
   * 0 ranks by raw log-probability (which favours short outputs).
   * @default 1 — average log-probability per token ('power'), Hugging Face's default.
   */
  lengthPenalty?: number;
  /**
   * The form of the length penalty.
   * @default 'power'
   */
  lengthPenaltyForm?: 'power' | 'gnmt';
  /**
   * Rearranges (and at the start expands) the rows of a state: row `i` of the result is row
   * `indices[i]` of `state`. The returned state must not share tensors with `state` that the
   * caller expects to be disposed.
   * @default gatherStateRows — gathers every tensor whose first dimension is the row count.
   */
  reorderState?: (state: never, indices: Int32Array, rows: number) => never;
}

interface Beam {
  tokens: number[];
  logProb: number;
  attention: Float32Array[];
}

/**
 * Beam search. Each input row keeps `beamWidth` live beams; a beam that emits `eos` moves to
 * that row's finished list (ranked by length-normalized score). A row is done when it has
 * `beamWidth` finished hypotheses and no live beam can still beat the worst of them
 * (the bound is exact for `lengthPenalty` 0 and Hugging Face's heuristic otherwise), or at
 * `maxLength`, when live beams are added unfinished. Returns the `nBest` best per row.
 */
export function beamSearch<S>(step: StepFn<S>, initialState: S, opts: BeamSearchOptions): Hypothesis[][] {
  checkCommon('beamSearch', opts);
  const K = opts.beamWidth ?? 4;
  const nBest = opts.nBest ?? 1;
  const alpha = opts.lengthPenalty ?? 1;
  const form = opts.lengthPenaltyForm ?? 'power';
  if (!Number.isInteger(K) || K < 1) throw new Error(`beamSearch: beamWidth = ${K} must be an integer ≥ 1`);
  if (!Number.isInteger(nBest) || nBest < 1 || nBest > K) {
    throw new Error(`beamSearch: nBest = ${nBest} must be an integer in [1, beamWidth = ${K}]`);
  }
  const reorder = (opts.reorderState ?? gatherStateRows) as unknown as (s: S, i: Int32Array, rows: number) => S;
  const lp = (n: number): number => (form === 'gnmt' ? Math.pow((5 + n) / 6, alpha) : Math.pow(Math.max(n, 1), alpha));
  const B = opts.batchSize;
  const keep = collectTensors(initialState);

  // Expand every input row to K beams: rows b*K .. b*K+K-1.
  const expand = new Int32Array(B * K);
  for (let i = 0; i < B * K; i++) expand[i] = Math.floor(i / K);
  let state = reorder(initialState, expand, B);

  // Only beam 0 of each row is live at the start, so the first step doesn't pick K copies.
  let beams: Beam[][] = Array.from({ length: B }, () =>
    Array.from({ length: K }, (_, k) => ({ tokens: [], logProb: k === 0 ? 0 : -Infinity, attention: [] })),
  );
  const finished: Array<Array<Beam & { score: number; finished: boolean }>> = Array.from({ length: B }, () => []);
  const rowDone = new Uint8Array(B);
  let input = new Int32Array(B * K).fill(opts.bosId);
  const worstFinished = (b: number): number =>
    finished[b].length < K ? -Infinity : Math.min(...finished[b].map((h) => h.score));

  try {
    for (let t = 0; t < opts.maxLength && rowDone.some((d) => d === 0); t++) {
      const out = step(state, input);
      disposeReplaced(state, out.state, keep);
      state = out.state;
      const { logits, V, attention, S } = readStep(out, 'beamSearch', B * K);
      const logp = logSoftmaxRows(logits, B * K, V);
      const parent = new Int32Array(B * K);
      const nextInput = new Int32Array(B * K).fill(opts.eosId);
      const nextBeams: Beam[][] = [];
      for (let b = 0; b < B; b++) {
        if (rowDone[b]) {
          nextBeams.push(beams[b]);
          for (let k = 0; k < K; k++) parent[b * K + k] = b * K + k;
          continue;
        }
        const length = t + 1;
        const stepAttention = (k: number, prev: Beam): Float32Array[] =>
          attention && S !== undefined
            ? [...prev.attention, attention.slice((b * K + k) * S, (b * K + k + 1) * S)]
            : prev.attention;
        // Every live beam's eos continuation is a finished candidate, whatever its rank among the
        // step's continuations. (Hugging Face keeps only eos candidates ranked in the top K; that
        // drops finished hypotheses that belong in the n-best — a short one whose score is final
        // can rank below continuations that will end worse.)
        for (let k = 0; k < K; k++) {
          const prev = beams[b][k];
          if (prev.logProb === -Infinity) continue;
          const lpEos = prev.logProb + logp[(b * K + k) * V + opts.eosId];
          const score = lpEos / lp(length);
          if (lpEos > -Infinity && (finished[b].length < K || score > worstFinished(b))) {
            finished[b].push({
              tokens: prev.tokens,
              logProb: lpEos,
              attention: stepAttention(k, prev),
              score,
              finished: true,
            });
            finished[b].sort((x, y) => y.score - x.score);
            if (finished[b].length > K) finished[b].pop();
          }
        }
        // The K best continuations by other tokens stay live.
        const cands: Array<{ k: number; v: number; lp: number }> = [];
        for (let k = 0; k < K; k++) {
          const base = beams[b][k].logProb;
          if (base === -Infinity) continue;
          for (let v = 0; v < V; v++) if (v !== opts.eosId) cands.push({ k, v, lp: base + logp[(b * K + k) * V + v] });
        }
        cands.sort((x, y) => y.lp - x.lp);
        const live: Beam[] = [];
        for (let i = 0; i < cands.length && live.length < K; i++) {
          const c = cands[i];
          const prev = beams[b][c.k];
          parent[b * K + live.length] = b * K + c.k;
          nextInput[b * K + live.length] = c.v;
          live.push({ tokens: [...prev.tokens, c.v], logProb: c.lp, attention: stepAttention(c.k, prev) });
        }
        while (live.length < K) {
          parent[b * K + live.length] = b * K;
          live.push({ tokens: [], logProb: -Infinity, attention: [] });
        }
        nextBeams.push(live);
        // Done when K finished and the best live beam can't beat the worst finished one.
        // With α > 0 and negative log-probs the bound uses the current length (HF's heuristic).
        const bestLive = live[0].logProb / lp(length);
        if (finished[b].length >= K && bestLive <= worstFinished(b)) rowDone[b] = 1;
        if (live[0].logProb === -Infinity) rowDone[b] = 1;
      }
      beams = nextBeams;
      const reordered = reorder(state, parent, B * K);
      disposeReplaced(state, reordered, keep);
      state = reordered;
      input = nextInput;
    }
  } finally {
    disposeReplaced(state, undefined, keep);
  }

  return finished.map((fin, b) => {
    const all: Hypothesis[] = fin.map((h) => ({
      tokens: Int32Array.from(h.tokens),
      logProb: h.logProb,
      score: h.score,
      finished: true,
      attention: h.attention,
    }));
    if (all.length < nBest || !rowDone[b]) {
      for (const beam of beams[b]) {
        if (beam.logProb === -Infinity) continue;
        all.push({
          tokens: Int32Array.from(beam.tokens),
          logProb: beam.logProb,
          score: beam.logProb / lp(beam.tokens.length),
          finished: false,
          attention: beam.attention,
        });
      }
    }
    all.sort((x, y) => y.score - x.score);
    const top = all.slice(0, nBest);
    const hasAttention = top.some((h) => h.attention && h.attention.length > 0);
    return top.map((h) =>
      hasAttention ? h : { tokens: h.tokens, logProb: h.logProb, score: h.score, finished: h.finished },
    );
  });
}
