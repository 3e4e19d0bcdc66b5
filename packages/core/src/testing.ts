/**
 * `@wordloom/core/testing`: assertions for tensor code, independent of any test runner
 * (they throw plain Errors). Used by every wordloom model package's tests.
 *
 * Gradient check: central differences, f(x+ε) − f(x−ε) / 2ε, per element, in float32
 * (tfjs has no float64), so ε ≈ 1e-3 and tolerances of ~1e-2 relative are the honest
 * resolution; see the defaults.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface CloseOptions {
  /** Relative tolerance: |a − e| <= atol + rtol·|e|. @default 1e-5 (float32 forward passes of the same math) */
  rtol?: number;
  /** Absolute tolerance. @default 1e-6 */
  atol?: number;
  /** Name used in the error message. @default 'value' */
  name?: string;
}

function toArray(x: tf.Tensor | ArrayLike<number>): { values: ArrayLike<number>; shape: number[] | null } {
  if (x instanceof tf.Tensor) return { values: x.dataSync() as ArrayLike<number>, shape: x.shape };
  return { values: x, shape: null };
}

/**
 * Throws unless `actual` and `expected` have the same size (and shape, when both are
 * tensors) and every element satisfies |a − e| <= atol + rtol·|e|. NaN equals only NaN.
 */
export function expectClose(
  actual: tf.Tensor | ArrayLike<number>,
  expected: ArrayLike<number> | tf.Tensor,
  opts: CloseOptions = {},
): void {
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-6;
  const name = opts.name ?? 'value';
  const a = toArray(actual);
  const e = toArray(expected);
  if (a.shape && e.shape && !tf.util.arraysEqual(a.shape, e.shape)) {
    throw new Error(`expectClose: ${name} shape [${a.shape.join(', ')}] != expected [${e.shape.join(', ')}]`);
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`expectClose: ${name} has ${a.values.length} elements, expected ${e.values.length}`);
  }
  const bad: string[] = [];
  let worst = 0;
  let nBad = 0;
  for (let i = 0; i < a.values.length; i++) {
    const av = Number(a.values[i]);
    const ev = Number(e.values[i]);
    if (Number.isNaN(ev) && Number.isNaN(av)) continue;
    const diff = Math.abs(av - ev);
    const ok = av === ev || diff <= atol + rtol * Math.abs(ev);
    if (!ok) {
      nBad++;
      worst = Math.max(worst, Number.isFinite(diff) ? diff / (atol + rtol * Math.abs(ev)) : Infinity);
      if (bad.length < 5) bad.push(`[${i}] ${av} vs ${ev} (|diff| ${diff.toExponential(2)})`);
    }
  }
  if (nBad > 0) {
    throw new Error(
      `expectClose: ${name}: ${nBad} of ${a.values.length} elements differ beyond atol=${atol}, rtol=${rtol} ` +
        `(worst ${worst.toFixed(1)}x the tolerance): ${bad.join(', ')}`,
    );
  }
}

export interface CheckGradientsOptions {
  /** Finite-difference step. @default 1e-3 (float32: smaller steps drown in rounding) */
  eps?: number;
  /** @default 1e-2 */
  rtol?: number;
  /** @default 1e-3 */
  atol?: number;
}

/**
 * Compares the analytic gradients of scalar `f` at `xs` (via `tf.grads`) with central
 * differences, element by element. Keep shapes small: it runs f twice per element.
 * @throws listing the first mismatching elements (input, index, analytic, numeric)
 */
export function checkGradients(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  xs: tf.Tensor[],
  opts: CheckGradientsOptions = {},
): void {
  const eps = opts.eps ?? 1e-3;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const analytic = tf.tidy(() =>
    tf
      .grads(f)(xs)
      .map((g) => g.dataSync().slice()),
  );
  const base = xs.map((x) => x.dataSync().slice() as Float32Array);
  const evalAt = (k: number, i: number, delta: number): number =>
    tf.tidy(() => {
      const v = base[k].slice();
      v[i] += delta;
      const args = xs.map((x, j) => (j === k ? tf.tensor(v, x.shape, x.dtype) : x));
      return f(...args).dataSync()[0];
    });
  const bad: string[] = [];
  let nBad = 0;
  for (let k = 0; k < xs.length; k++) {
    for (let i = 0; i < base[k].length; i++) {
      const numeric = (evalAt(k, i, eps) - evalAt(k, i, -eps)) / (2 * eps);
      const a = analytic[k][i];
      if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
        nBad++;
        if (bad.length < 8) bad.push(`xs[${k}][${i}]: analytic ${a}, numeric ${numeric}`);
      }
    }
  }
  if (nBad > 0) {
    throw new Error(
      `checkGradients: ${nBad} gradient elements differ (eps=${eps}, rtol=${rtol}, atol=${atol}): ${bad.join('; ')}`,
    );
  }
}

/**
 * Runs `fn` and throws if `tf.memory().numTensors` grew. Return non-tensor values (or
 * dispose returned tensors inside `fn`), or they count as leaks.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const after = tf.memory().numTensors;
  if (after > before) {
    throw new Error(`expectNoLeaks: ${after - before} tensor(s) leaked (numTensors ${before} -> ${after})`);
  }
  return result;
}
