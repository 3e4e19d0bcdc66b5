/**
 * Single-step cells `RNNCell`, `LSTMCell`, `GRUCell` with PyTorch's equations, parameter names
 * and layouts (torch.nn.RNNCell / LSTMCell / GRUCell): weight_ih [G·H, D], weight_hh [G·H, H],
 * bias_ih [G·H], bias_hh [G·H]; LSTM gates i, f, g, o; GRU r, z, n with b_hn inside r ⊙ (·).
 * For whole sequences use RNN/LSTM/GRU (fused kernels); a cell is for step-by-step loops such as
 * decoders. Matmuls go through `@wordloom/core`'s `linear` (a plain-2-D custom gradient).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, init, rngFrom, linear } from '@wordloom/core';
import { checkPositiveInt, shapeStr } from './internal/validate.js';

export interface CellOptions {
  /** D, input features. */
  inputSize: number;
  /** H, hidden features. */
  hiddenSize: number;
  /** Use bias_ih / bias_hh. @default true (PyTorch) */
  bias?: boolean;
  /** Initialization seed. @default a fork of core's global generator */
  seed?: number;
}

export interface RNNCellOptions extends CellOptions {
  /** @default 'tanh' (PyTorch) */
  nonlinearity?: 'tanh' | 'relu';
}

/** h [B, H], c [B, H]. */
export interface LSTMCellState {
  h: tf.Tensor2D;
  c: tf.Tensor2D;
}

abstract class CellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  protected readonly wih: tf.Variable;
  protected readonly whh: tf.Variable;
  protected readonly bih?: tf.Variable;
  protected readonly bhh?: tf.Variable;

  protected constructor(
    protected readonly fn: string,
    gates: number,
    opts: CellOptions,
  ) {
    super();
    this.inputSize = checkPositiveInt(fn, 'inputSize', opts.inputSize);
    this.hiddenSize = checkPositiveInt(fn, 'hiddenSize', opts.hiddenSize);
    this.bias = opts.bias ?? true;
    const rng = rngFrom(opts.seed);
    const H = this.hiddenSize;
    const b = 1 / Math.sqrt(H);
    const u = (shape: number[]): tf.Tensor => init.uniform(shape, { low: -b, high: b, seed: rng.nextUint32() });
    this.wih = this.addParameter('weight_ih', u([gates * H, this.inputSize]));
    this.whh = this.addParameter('weight_hh', u([gates * H, H]));
    if (this.bias) {
      this.bih = this.addParameter('bias_ih', u([gates * H]));
      this.bhh = this.addParameter('bias_hh', u([gates * H]));
    }
  }

  protected checkX(x: tf.Tensor): number {
    if (!(x instanceof tf.Tensor) || x.rank !== 2) {
      throw new Error(
        `${this.fn}: x must be rank 2 [B, D], got ${x instanceof tf.Tensor ? `shape ${shapeStr(x.shape)}` : String(x)}`,
      );
    }
    if (x.shape[1] !== this.inputSize) {
      throw new Error(`${this.fn}: x.shape[1] = ${x.shape[1]} but inputSize = ${this.inputSize}`);
    }
    return x.shape[0];
  }

  protected checkState(name: string, s: tf.Tensor | undefined, B: number): tf.Tensor2D {
    if (s === undefined) return tf.zeros([B, this.hiddenSize]);
    if (!(s instanceof tf.Tensor) || !tf.util.arraysEqual(s.shape, [B, this.hiddenSize])) {
      throw new Error(
        `${this.fn}: ${name} must have shape [B, H] = ${shapeStr([B, this.hiddenSize])}, got ${s instanceof tf.Tensor ? shapeStr(s.shape) : String(s)}`,
      );
    }
    return s as tf.Tensor2D;
  }

  /** x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh. */
  protected projections(x: tf.Tensor2D, h: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
    let xi: tf.Tensor2D = linear(x, this.wih as tf.Variable<tf.Rank.R2>);
    let hh: tf.Tensor2D = linear(h, this.whh as tf.Variable<tf.Rank.R2>);
    if (this.bih && this.bhh) {
      xi = tf.add(xi, this.bih);
      hh = tf.add(hh, this.bhh);
    }
    return [xi, hh];
  }
}

/** h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu). */
export class RNNCell extends CellBase {
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(opts: RNNCellOptions) {
    super('rnnCell', 1, opts);
    this.nonlinearity = opts.nonlinearity ?? 'tanh';
    if (this.nonlinearity !== 'tanh' && this.nonlinearity !== 'relu') {
      throw new Error(`rnnCell: nonlinearity must be 'tanh' or 'relu', got '${String(this.nonlinearity)}'`);
    }
  }

  /** x [B, D], h [B, H] (zeros if absent) -> h' [B, H]. */
  forward(x: tf.Tensor, h?: tf.Tensor): tf.Tensor2D {
    const B = this.checkX(x);
    return tf.tidy(() => {
      const [xi, hh] = this.projections(x as tf.Tensor2D, this.checkState('h', h, B));
      const pre = tf.add(xi, hh);
      return this.nonlinearity === 'tanh' ? tf.tanh(pre) : tf.relu(pre);
    }) as tf.Tensor2D;
  }
}

/** i, f, g, o = σ, σ, tanh, σ of W_ih x + b_ih + W_hh h + b_hh; c' = f c + i g; h' = o tanh(c'). */
export class LSTMCell extends CellBase {
  constructor(opts: CellOptions) {
    super('lstmCell', 4, opts);
  }

  /** x [B, D], state {h, c} [B, H] (zeros if absent) -> {h', c'}. */
  forward(x: tf.Tensor, state?: { h: tf.Tensor; c: tf.Tensor }): LSTMCellState {
    const B = this.checkX(x);
    const H = this.hiddenSize;
    const [h, c] = tf.tidy(() => {
      const h0 = this.checkState('state.h', state?.h, B);
      const c0 = this.checkState('state.c', state?.c, B);
      const [xi, hh] = this.projections(x as tf.Tensor2D, h0);
      const pre = tf.add(xi, hh);
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => tf.slice(pre, [0, k * H], [B, H]));
      const c1 = tf.add(tf.mul(tf.sigmoid(f), c0), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const h1 = tf.mul(tf.sigmoid(o), tf.tanh(c1));
      return [h1, c1];
    }) as tf.Tensor2D[];
    return { h, c };
  }
}

/** r, z = σ(...); n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 - z) n + z h. */
export class GRUCell extends CellBase {
  constructor(opts: CellOptions) {
    super('gruCell', 3, opts);
  }

  /** x [B, D], h [B, H] (zeros if absent) -> h' [B, H]. */
  forward(x: tf.Tensor, h?: tf.Tensor): tf.Tensor2D {
    const B = this.checkX(x);
    const H = this.hiddenSize;
    return tf.tidy(() => {
      const h0 = this.checkState('h', h, B);
      const [xi, hh] = this.projections(x as tf.Tensor2D, h0);
      const part = (t: tf.Tensor, k: number, w = 1): tf.Tensor => tf.slice(t, [0, k * H], [B, w * H]);
      const rz = tf.sigmoid(tf.add(part(xi, 0, 2), part(hh, 0, 2)));
      const r = part(rz, 0);
      const z = part(rz, 1);
      const n = tf.tanh(tf.add(part(xi, 2), tf.mul(r, part(hh, 2))));
      return tf.add(n, tf.mul(z, tf.sub(h0, n)));
    }) as tf.Tensor2D;
  }
}
