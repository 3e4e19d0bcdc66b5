/**
 * A minimal Adam for the tests (keeps this package's tests free of a dependency on
 * @wordloom/optim; the benchmark uses @wordloom/optim's `adam`).
 */
import * as tf from '@tensorflow/tfjs-core';

export class TinyAdam {
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  private t = 0;
  constructor(
    private readonly params: Map<string, tf.Variable>,
    private readonly lr = 1e-3,
    private readonly b1 = 0.9,
    private readonly b2 = 0.98,
    private readonly eps = 1e-9,
  ) {}

  /** One step on `loss`; returns the loss value. */
  minimize(loss: () => tf.Scalar): number {
    const vars = [...this.params.values()];
    const { value, grads } = tf.variableGrads(loss, vars);
    this.t++;
    const c1 = 1 - Math.pow(this.b1, this.t);
    const c2 = 1 - Math.pow(this.b2, this.t);
    for (const p of vars) {
      const g = grads[p.name];
      const m0 = this.m.get(p.name);
      const v0 = this.v.get(p.name);
      const [m, v] = tf.tidy(() => [
        tf.add(tf.mul(m0 ?? tf.zerosLike(g), this.b1), tf.mul(g, 1 - this.b1)),
        tf.add(tf.mul(v0 ?? tf.zerosLike(g), this.b2), tf.mul(tf.square(g), 1 - this.b2)),
      ]);
      m0?.dispose();
      v0?.dispose();
      this.m.set(p.name, m);
      this.v.set(p.name, v);
      tf.tidy(() => p.assign(tf.sub(p, tf.div(tf.mul(m, this.lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps)))));
    }
    const out = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
