/**
 * Sequence layers `RNN`, `LSTM`, `GRU` with PyTorch's semantics and `state_dict` names
 * (torch.nn.RNN / LSTM / GRU, batch_first=True; torch/nn/modules/rnn.py), including packed
 * (ragged) batches as pack_padded_sequence(enforce_sorted=False) gives them.
 *
 * Speed (see internal/kernels.ts): each layer and direction does one [N, D] x [D, G·H] matmul for
 * the input projections of all steps (N = real tokens only, not B·T), then one fused [n, H] x
 * [H, G·H] matmul per step inside a tf.customGrad op whose backward keeps all matmuls plain 2-D.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, Rng, init, rngFrom, linear } from '@wordloom/core';
import { sequenceInference } from './internal/fused-lstm.js';
import {
  fusedGatesSideBySide,
  gruInputSequence,
  gruSequence,
  lstmInputSequence,
  lstmSequence,
  rnnSequence,
  useSequenceInference,
} from './internal/kernels.js';
import {
  concatColumns,
  fromSorted,
  makeLayout,
  pack,
  reverseWithinLengths,
  sliceRows,
  toSorted,
  unpack,
  type PackedLayout,
} from './internal/packing.js';
import { checkPositiveInt, resolveLengths, shapeStr } from './internal/validate.js';

/** Which recurrence a layer runs (PyTorch's `mode` strings). */
export type RecurrentMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

export interface RecurrentOptions {
  /** D, features per input step. */
  inputSize: number;
  /** H, features of the hidden state. */
  hiddenSize: number;
  /** Stacked layers; layer l > 0 reads layer l - 1's outputs. @default 1 */
  numLayers?: number;
  /** Run a second direction from each sequence's own last real token backwards. @default false */
  bidirectional?: boolean;
  /**
   * How the two directions' outputs combine: 'concat' gives [B, T, 2H] (PyTorch), 'sum' gives
   * [B, T, H] (as classic encoders that feed an H-sized attention do). Layers after the first then
   * read H (sum) or 2H (concat) features.
   * @default 'concat' (PyTorch's layout, so its weights load)
   */
  merge?: 'concat' | 'sum';
  /** Dropout probability on each layer's outputs except the last (in training mode). @default 0 */
  dropout?: number;
  /** Use `bias_ih`/`bias_hh`. @default true (PyTorch) */
  bias?: boolean;
  /** Seed for initialization and dropout masks. @default a fork of core's global generator */
  seed?: number;
  /**
   * Recurrent weights: 'default' is PyTorch's U(-1/√H, 1/√H); 'orthogonal' makes each gate's
   * [H, H] block of `weight_hh` orthogonal, which keeps early gradients from vanishing or exploding.
   * @default 'default' (bit-for-bit PyTorch's recipe, with our RNG)
   */
  recurrentInit?: 'default' | 'orthogonal';
}

export interface RNNOptions extends RecurrentOptions {
  /** @default 'tanh' (PyTorch) */
  nonlinearity?: 'tanh' | 'relu';
}

export interface LSTMOptions extends RecurrentOptions {
  /**
   * If set, the forget gate's bias starts at this value (`bias_ih` forget slice = value,
   * `bias_hh` forget slice = 0), e.g. 1 (Jozefowicz et al. 2015) so that memory is kept early in
   * training. @default undefined (PyTorch's uniform init)
   */
  forgetBias?: number;
}

export type GRUOptions = RecurrentOptions;

/** `h` [L·dirs, B, H]; `c` [L·dirs, B, H] for LSTM. Index k = layer·dirs + direction. */
export interface RecurrentState {
  h: tf.Tensor3D;
  c?: tf.Tensor3D;
}

export interface RecurrentForwardOptions {
  /** Real length of each sequence (1..T), in batch order; padded steps follow. Any order. */
  lengths?: ArrayLike<number> | tf.Tensor1D;
  /** [B, T], 1 = real step, right-padded (a prefix of ones per row). Alternative to `lengths`. */
  mask?: tf.Tensor2D | ArrayLike<ArrayLike<number>>;
  /** Initial state; zeros when absent. The LSTM needs both `h` and `c`. */
  initialState?: RecurrentState;
}

export interface RecurrentOutput {
  /** [B, T, H·dirs] ([B, T, H] with merge 'sum'); zeros at padded steps. */
  outputs: tf.Tensor3D;
  /** Final state of each sequence at its own last real step. */
  state: RecurrentState;
}

function gatesOf(mode: RecurrentMode): number {
  return mode === 'LSTM' ? 4 : mode === 'GRU' ? 3 : 1;
}

/** Shared machinery of RNN, LSTM and GRU. */
export abstract class RecurrentBase extends Module {
  readonly mode: RecurrentMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly merge: 'concat' | 'sum';
  readonly dropout: number;
  readonly bias: boolean;
  private readonly fn: string;
  private readonly dropoutRng: Rng;
  private readonly cells: Array<{
    wih: tf.Variable<tf.Rank.R2>;
    whh: tf.Variable<tf.Rank.R2>;
    bih?: tf.Variable;
    bhh?: tf.Variable;
  }> = [];

  protected constructor(mode: RecurrentMode, fn: string, opts: RecurrentOptions & { forgetBias?: number }) {
    super();
    this.fn = fn;
    this.mode = mode;
    this.inputSize = checkPositiveInt(fn, 'inputSize', opts.inputSize);
    this.hiddenSize = checkPositiveInt(fn, 'hiddenSize', opts.hiddenSize);
    this.numLayers = checkPositiveInt(fn, 'numLayers', opts.numLayers ?? 1);
    this.bidirectional = opts.bidirectional ?? false;
    this.merge = opts.merge ?? 'concat';
    if (this.merge !== 'concat' && this.merge !== 'sum') {
      throw new Error(`${fn}: merge must be 'concat' or 'sum', got '${String(this.merge)}'`);
    }
    this.dropout = opts.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) throw new Error(`${fn}: dropout = ${this.dropout} must be in [0, 1)`);
    this.bias = opts.bias ?? true;
    const recurrentInit = opts.recurrentInit ?? 'default';
    if (recurrentInit !== 'default' && recurrentInit !== 'orthogonal') {
      throw new Error(`${fn}: recurrentInit must be 'default' or 'orthogonal', got '${String(recurrentInit)}'`);
    }
    const rng = rngFrom(opts.seed);
    // Registered as 'dropout', so Module.rngStates() saves the inter-layer mask stream.
    this.dropoutRng = this.registerRng('dropout', rng.fork());
    const H = this.hiddenSize;
    const G = gatesOf(mode);
    const dirs = this.bidirectional ? 2 : 1;
    const bound = 1 / Math.sqrt(H);
    const uniform = (shape: number[]): tf.Tensor =>
      init.uniform(shape, { low: -bound, high: bound, seed: rng.nextUint32() });
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? this.inputSize : this.merge === 'sum' ? H : H * dirs;
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const wih = this.addParameter(`weight_ih${sfx}`, uniform([G * H, inSize])) as tf.Variable<tf.Rank.R2>;
        let whhInit: tf.Tensor;
        if (recurrentInit === 'orthogonal') {
          const blocks = Array.from({ length: G }, () => init.orthogonal([H, H], { seed: rng.nextUint32() }));
          whhInit = tf.concat(blocks, 0);
          for (const b of blocks) b.dispose();
        } else {
          whhInit = uniform([G * H, H]);
        }
        const whh = this.addParameter(`weight_hh${sfx}`, whhInit) as tf.Variable<tf.Rank.R2>;
        const cell: (typeof this.cells)[number] = { wih, whh };
        if (this.bias) {
          let bihInit = uniform([G * H]);
          let bhhInit = uniform([G * H]);
          if (mode === 'LSTM' && opts.forgetBias !== undefined) {
            const fb = opts.forgetBias;
            const setForget = (b: tf.Tensor, v: number): tf.Tensor => {
              const data = b.dataSync().slice();
              data.fill(v, H, 2 * H);
              b.dispose();
              return tf.tensor1d(data);
            };
            bihInit = setForget(bihInit, fb);
            bhhInit = setForget(bhhInit, 0);
          }
          cell.bih = this.addParameter(`bias_ih${sfx}`, bihInit);
          cell.bhh = this.addParameter(`bias_hh${sfx}`, bhhInit);
        }
        this.cells.push(cell);
      }
    }
  }

  /** Features per output step: H·dirs, or H with merge 'sum'. */
  get outputSize(): number {
    return this.bidirectional && this.merge === 'concat' ? 2 * this.hiddenSize : this.hiddenSize;
  }

  /**
   * Runs the stack over a batch-first input x [B, T, D].
   * @throws if x is not rank 3 with D = inputSize, lengths/mask are out of range, or the
   *   initial state's shape is not [L·dirs, B, H]
   */
  forward(x: tf.Tensor, opts: RecurrentForwardOptions = {}): RecurrentOutput {
    const fn = this.fn;
    if (!(x instanceof tf.Tensor)) throw new Error(`${fn}: x must be a tf.Tensor [B, T, D]`);
    if (x.rank !== 3) throw new Error(`${fn}: x must be rank 3 [B, T, D], got shape ${shapeStr(x.shape)}`);
    const [B, T, D] = x.shape as [number, number, number];
    if (D !== this.inputSize) {
      throw new Error(`${fn}: x.shape[2] = ${D} but inputSize = ${this.inputSize} (x has shape ${shapeStr(x.shape)})`);
    }
    if (B === 0 || T === 0) throw new Error(`${fn}: x must have B >= 1 and T >= 1, got shape ${shapeStr(x.shape)}`);
    const H = this.hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const L = this.numLayers;
    const lengths = resolveLengths(fn, B, T, opts.lengths, opts.mask);
    const init0 = opts.initialState;
    if (init0 !== undefined) {
      const want = [L * dirs, B, H];
      if (!(init0.h instanceof tf.Tensor) || !tf.util.arraysEqual(init0.h.shape, want)) {
        throw new Error(
          `${fn}: initialState.h must have shape [L·dirs, B, H] = ${shapeStr(want)}, got ${init0.h instanceof tf.Tensor ? shapeStr(init0.h.shape) : String(init0.h)}`,
        );
      }
      if (this.mode === 'LSTM') {
        if (!(init0.c instanceof tf.Tensor))
          throw new Error(`${fn}: initialState.c is required with initialState.h (shape ${shapeStr(want)})`);
        if (!tf.util.arraysEqual(init0.c.shape, want)) {
          throw new Error(
            `${fn}: initialState.c must have shape [L·dirs, B, H] = ${shapeStr(want)}, got ${shapeStr(init0.c.shape)}`,
          );
        }
      }
    }
    const layout = makeLayout(lengths, B, T);
    const dropSeeds =
      this.training && this.dropout > 0 ? Array.from({ length: L - 1 }, () => this.dropoutRng.nextUint32()) : [];
    const [outputs, h, c] = tf.tidy(() => {
      let inp = pack(tf.reshape(x, [B * T, D]), layout); // [N, D]
      const hs: tf.Tensor2D[] = [];
      const cs: tf.Tensor2D[] = [];
      for (let l = 0; l < L; l++) {
        const outs: tf.Tensor2D[] = [];
        for (let d = 0; d < dirs; d++) {
          const k = l * dirs + d;
          const initial = (s: tf.Tensor3D | undefined): tf.Tensor2D =>
            s === undefined
              ? tf.zeros([B, H])
              : toSorted(tf.reshape(tf.slice(s, [k, 0, 0], [1, B, H]), [B, H]), layout);
          const { y, h, c } = this.runCell(
            k,
            layout,
            inp,
            d === 1,
            initial(init0?.h),
            this.mode === 'LSTM' ? initial(init0?.c) : undefined,
          );
          outs.push(y);
          hs.push(fromSorted(h, layout));
          if (c) cs.push(fromSorted(c, layout));
        }
        inp = dirs === 1 ? outs[0] : this.merge === 'sum' ? tf.add(outs[0], outs[1]) : concatColumns(outs);
        if (dropSeeds.length > 0 && l < L - 1) {
          const keepMask = tf.cast(
            tf.greaterEqual(tf.randomUniform(inp.shape, 0, 1, 'float32', dropSeeds[l]), this.dropout),
            'float32',
          );
          inp = tf.mul(inp, tf.mul(keepMask, 1 / (1 - this.dropout)));
        }
      }
      const F = inp.shape[1];
      const out = [tf.reshape(unpack(inp, layout), [B, T, F]), tf.stack(hs)];
      if (this.mode === 'LSTM') out.push(tf.stack(cs));
      return out;
    }) as tf.Tensor3D[];
    return { outputs, state: c === undefined ? { h } : { h, c } };
  }

  /**
   * One layer-direction over packed rows x [N, D] (forward order; `reverse`: the direction that runs
   * each sequence backwards); returns outputs y [N, H] in forward order and sorted final states.
   */
  private runCell(
    k: number,
    layout: PackedLayout,
    x: tf.Tensor2D,
    reverse: boolean,
    h0: tf.Tensor2D,
    c0: tf.Tensor2D | undefined,
  ): { y: tf.Tensor2D; h: tf.Tensor2D; c?: tf.Tensor2D } {
    const H = this.hiddenSize;
    const N = layout.total;
    const B = layout.batch;
    const G = gatesOf(this.mode);
    const { wih, whh, bih, bhh } = this.cells[k];
    // biases as the kernels take them: the LSTM's and RNN's two add up; the GRU's b_hr and b_hz add
    // outside any product, so they join b_ih, while b_hn stays inside r ⊙ (W_hn h + b_hn)
    const bias = !(bih && bhh)
      ? tf.zeros([G * H])
      : this.mode === 'GRU'
        ? tf.add(bih, tf.concat([tf.slice(bhh, [0], [2 * H]), tf.zeros([H])], 0))
        : tf.add(bih, bhh);
    const bhn = this.mode !== 'GRU' ? null : bih && bhh ? tf.slice(bhh, [2 * H], [H]) : tf.zeros([H]);
    if (G > 1 && useSequenceInference(H)) {
      // no gradient: the whole-sequence kernels, which read the reverse direction's projection rows
      // and write its outputs in forward order themselves (no row gathers of x and y), and return
      // y, h (and c) as separate tensors (no split); the gates' projections side by side
      const [y, h, c] = sequenceInference(
        this.mode === 'LSTM' ? 'lstm' : 'gru',
        layout,
        { x, w: wih }, // projected in the kernel memory: x · W_ihᵀ [N, G·H]
        [whh],
        bias,
        bhn,
        h0,
        c0 ?? null,
        reverse ? layout.reverseIndex : null,
      ) as tf.Tensor2D[];
      return c ? { y, h, c } : { y, h };
    }
    if (reverse) {
      const r = this.runCell(k, layout, reverseWithinLengths(x, layout), false, h0, c0);
      return { ...r, y: reverseWithinLengths(r.y, layout) };
    }
    // Per-gate row blocks of PyTorch's [G·H, ·] matrices (see internal/kernels.ts for why).
    const block = (w: tf.Tensor2D, g: number): tf.Tensor2D => (G === 1 ? w : tf.slice(w, [g * H, 0], [H, w.shape[1]]));
    // The fused kernels take the gates side by side: one input projection [N, G·H] per layer and
    // direction (one product forward, two backward) instead of G, and W_hh as stored.
    // Since session 10 they take the layer's input and W_ih and compute the projection (and its
    // gradients) in their own memory, no [N, G·H] tensor in between.
    const sideBySide = G > 1 && fusedGatesSideBySide(H);
    const xs = sideBySide ? [] : Array.from({ length: G }, (_, g) => linear(x, block(wih, g))); // [N, H] each
    const ws = sideBySide ? [whh] : Array.from({ length: G }, (_, g) => block(whh, g)); // [H, H] each
    // the op's rows [outputs; final h; (final c)] as separate tensors (sliceRows: no whole-input copy per part)
    const split = (out: tf.Tensor, parts: number[]): tf.Tensor2D[] => {
      let at = 0;
      return parts.map((n) => {
        at += n;
        return sliceRows(out as tf.Tensor2D, at - n, n);
      });
    };
    if (this.mode === 'LSTM') {
      const out = sideBySide
        ? lstmInputSequence(layout, { x, w: wih }, ws, bias, h0, c0 as tf.Tensor2D)
        : lstmSequence(layout, xs, ws, bias, h0, c0 as tf.Tensor2D);
      const [y, h, c] = split(out, [N, B, B]);
      return { y, h, c };
    }
    if (this.mode === 'GRU') {
      const out = sideBySide
        ? gruInputSequence(layout, { x, w: wih }, ws, bias, bhn!, h0)
        : gruSequence(layout, xs, ws, bias, bhn!, h0);
      const [y, h] = split(out, [N, B]);
      return { y, h };
    }
    const [y, h] = split(rnnSequence(layout, xs[0], ws[0], bias, h0, this.mode === 'RNN_TANH' ? 'tanh' : 'relu'), [
      N,
      B,
    ]);
    return { y, h };
  }
}

/** Elman RNN, h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu) — torch.nn.RNN. */
export class RNN extends RecurrentBase {
  constructor(opts: RNNOptions) {
    const nl = opts.nonlinearity ?? 'tanh';
    if (nl !== 'tanh' && nl !== 'relu')
      throw new Error(`rnn: nonlinearity must be 'tanh' or 'relu', got '${String(nl)}'`);
    super(nl === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', 'rnn', opts);
  }
}

/** LSTM with PyTorch's gate order i, f, g, o and two biases — torch.nn.LSTM. */
export class LSTM extends RecurrentBase {
  constructor(opts: LSTMOptions) {
    super('LSTM', 'lstm', opts);
  }
}

/** GRU with PyTorch's r, z, n and b_hn inside the reset product — torch.nn.GRU. */
export class GRU extends RecurrentBase {
  constructor(opts: GRUOptions) {
    super('GRU', 'gru', opts);
  }
}
