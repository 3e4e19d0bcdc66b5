/**
 * Truncated backpropagation through time (Williams & Peng 1990; PyTorch's
 * examples/word_language_model `repackage_hidden`): a long stream is trained chunk by chunk,
 * the recurrent state at the end of chunk k is the initial state of chunk k + 1, and gradients stop
 * at chunk boundaries (the carried state is a constant to the next chunk's tape).
 *
 * Chunks must come in the order @wordloom/data's `bpttBatches` produces: row b of chunk k + 1
 * continues row b of chunk k (the stream cut into B contiguous rows, chunk k = columns
 * [k·T, k·T + T) of every row). This file does not import @wordloom/data (rnn depends on core
 * only); any chunk type works — `forward` interprets it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RecurrentState } from './recurrent.js';

export interface TruncatedBpttOptions<C> {
  /** The parameters to differentiate, e.g. `model.trainableParameters()` (names key the gradients). */
  params: Map<string, tf.Variable> | tf.Variable[];
  /**
   * One chunk's forward pass from `state` (undefined on the first chunk or after `reset()`:
   * start from zeros). Returns the chunk's scalar loss and the recurrent state at the chunk's last
   * step (e.g. `lstm.forward(x, { initialState: state }).state`). Runs inside `tf.variableGrads`.
   */
  forward: (chunk: C, state: RecurrentState | undefined) => { loss: tf.Scalar; state: RecurrentState };
  /**
   * Applies the gradients (keyed like `params`: by name for a Map, by Variable name for an
   * array), e.g. clip then an optimizer step. The gradients are disposed after it returns.
   */
  update: (grads: Map<string, tf.Tensor>) => void;
}

/** Carries a detached recurrent state from chunk to chunk and runs one training step per chunk. */
export class TruncatedBptt<C> {
  private carried: RecurrentState | undefined;
  private readonly names: string[];
  private readonly vars: tf.Variable[];
  private readonly opts: TruncatedBpttOptions<C>;

  constructor(opts: TruncatedBpttOptions<C>) {
    if (typeof opts?.forward !== 'function' || typeof opts.update !== 'function') {
      throw new Error('TruncatedBptt: options need forward(chunk, state) and update(grads) functions');
    }
    this.opts = opts;
    if (opts.params instanceof Map) {
      this.names = [...opts.params.keys()];
      this.vars = [...opts.params.values()];
    } else {
      this.vars = [...opts.params];
      this.names = this.vars.map((v) => v.name);
    }
    if (this.vars.length === 0) throw new Error('TruncatedBptt: params is empty');
  }

  /** The state carried into the next chunk (owned by this object; undefined before the first step). */
  get state(): RecurrentState | undefined {
    return this.carried;
  }

  /** Trains on one chunk: forward from the carried state, backward within the chunk, update. Returns the loss. */
  step(chunk: C): number {
    let next: RecurrentState | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const r = this.opts.forward(chunk, this.carried);
      if (!(r?.state?.h instanceof tf.Tensor))
        throw new Error('TruncatedBptt.step: forward must return { loss, state: { h, c? } }');
      // Kept past variableGrads' scope: the next chunk's initial state (a constant to its tape).
      next = { h: tf.keep(r.state.h) };
      if (r.state.c) next.c = tf.keep(r.state.c);
      return r.loss;
    }, this.vars);
    const byName = new Map<string, tf.Tensor>();
    this.vars.forEach((v, i) => {
      const g = grads[v.name];
      if (g) byName.set(this.names[i], g);
    });
    try {
      this.opts.update(byName);
    } finally {
      tf.dispose(Object.values(grads));
    }
    this.reset();
    this.carried = next;
    const loss = value.dataSync()[0];
    value.dispose();
    return loss;
  }

  /** Forgets the carried state (next chunk starts from zeros), e.g. at a new stream or epoch. */
  reset(): void {
    if (this.carried) tf.dispose([this.carried.h, this.carried.c]);
    this.carried = undefined;
  }

  dispose(): void {
    this.reset();
  }
}
