/**
 * Adam/AdamW as one transformation: the same arithmetic as
 * `chain([addDecayedWeights], scaleByAdam, [addDecayedWeights], scaleByLearningRate)`, in one pass over memory.
 *
 * Why: each tfjs op is a full pass over memory and an allocation; the chained form costs 16 passes per parameter
 * per step, the op form below 13 (AdamW) — the same count as tfjs's own `tf.train.adam`. On the wasm and cpu
 * backends, for float32 tensors, `update` instead runs ONE loop per parameter that reads g, p, m, v (and AMSGrad's
 * max) once and writes the new m, v (max) and the update straight into new tensors (on wasm: views of the backend's
 * heap, no copies; see `@wordloom/core`'s heap-view). The loop rounds every intermediate to float32
 * (`Math.fround`) in the op form's order, so its results are bit for bit the op form's (tested on cpu and wasm),
 * and deterministic (data-parallel replicas stay identical). Other backends (WebGL, WebGPU: a loop would download
 * and upload every tensor) and other dtypes keep the op form. `WORDLOOM_ADAM_ONE_PASS=0` in the environment
 * (read when the transformation is made) turns the loop off, for before/after measurements.
 *
 * The rewrite `m / (sqrt(v)/√bc2 + eps) / bc1 = m / (sqrt(v) + eps·√bc2) · (√bc2 / bc1)` moves two scalar passes
 * onto one; the result differs from torch's order of operations by float32 rounding only (the golden tests hold it
 * to 1e-5 relative over 200 steps).
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import { emptyFloat32Tensor, wasmBackendMemory, wasmFloat32View } from '@wordloom/core';
import type { GradientTransformation, LearningRate, StateTree } from '../types.js';
import { carryOver, disposeAll, requireParam } from './named.js';
import { ADAM_SIMD_WASM_BASE64 } from './adam-simd-wasm.js';

/** The SIMD kernel (adam-simd.wat): one parameter's step on a memory it shares with tfjs-backend-wasm's heap. */
interface AdamKernel {
  adam(
    n: number,
    g: number,
    p: number,
    m0: number,
    v0: number,
    vm0: number,
    m: number,
    v: number,
    vm: number,
    u: number,
    sign: number,
    wdIn: number,
    b1: number,
    a1: number,
    b2: number,
    a2: number,
    epsBc: number,
    step: number,
    wdOut: number,
    flags: number,
  ): void;
}

const kernels = new WeakMap<WebAssembly.Memory, AdamKernel | null>();

/** How often the SIMD kernel ran (tests check that the wasm backend took it). */
export const adamKernelRuns = { count: 0 };

/** The SIMD kernel instantiated on the wasm backend's memory (once per memory), or null if that fails. */
function adamKernelOn(memory: WebAssembly.Memory): AdamKernel | null {
  let k = kernels.get(memory);
  if (k !== undefined) return k;
  k = null;
  try {
    const bytes = Uint8Array.from(atob(ADAM_SIMD_WASM_BASE64), (c) => c.charCodeAt(0));
    k = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } })
      .exports as unknown as AdamKernel;
  } catch {
    k = null; // no SIMD here: the JavaScript loop does the same arithmetic
  }
  kernels.set(memory, k);
  return k;
}

export interface FusedAdamOptions {
  lr: LearningRate;
  b1: number;
  b2: number;
  eps: number;
  amsgrad: boolean;
  weightDecay: number;
  /** true: AdamW (p·lr·wd subtracted); false: Adam (wd·p added to the gradient). */
  decoupled: boolean;
  maximize: boolean;
  /**
   * The one-pass loop on wasm/cpu for float32 tensors; false: always the op form.
   * @default true unless the environment has WORDLOOM_ADAM_ONE_PASS=0
   */
  onePass?: boolean;
}

export interface FusedAdamState {
  [key: string]: StateTree;
  count: Map<string, number>;
  mu: Map<string, tf.Tensor>;
  nu: Map<string, tf.Tensor>;
  nuMax: Map<string, tf.Tensor>;
  /** Updates made so far: the step of the learning-rate schedule. */
  scheduleCount: number;
}

/** The environment's switch (`WORDLOOM_ADAM_ONE_PASS=0`: the op form). */
function onePassFromEnv(): boolean {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.WORDLOOM_ADAM_ONE_PASS !== '0';
}

/** The float32 scalars of one parameter's step, as the op form's scalar tensors hold them. */
interface StepConstants {
  /** −1 to maximize (negation is exact), else 1. */
  sign: number;
  /** Coupled weight decay (Adam): g + wd·p; 0 when none. */
  wdIn: number;
  b1: number;
  oneMinusB1: number;
  b2: number;
  oneMinusB2: number;
  /** eps·√bc2 */
  epsBc: number;
  /** −lr·√bc2 / bc1 */
  stepSize: number;
  /** Decoupled weight decay (AdamW): u + (−lr·wd)·p; 0 when none. */
  wdOut: number;
}

/**
 * One parameter's Adam step in one pass: m, v (vm) and the update u from g, p, m0, v0 (vm0), every intermediate
 * rounded to float32 in the order of the op form below. `p` is read only with a weight decay, `vm0`/`vm` only with
 * AMSGrad (pass empty arrays otherwise: the arrays stay one type for the JIT).
 */
function adamLoop(
  n: number,
  g: Float32Array,
  p: Float32Array,
  m0: Float32Array,
  v0: Float32Array,
  vm0: Float32Array,
  m: Float32Array,
  v: Float32Array,
  vm: Float32Array,
  u: Float32Array,
  k: StepConstants,
  coupled: boolean,
  decoupled: boolean,
  amsgrad: boolean,
): void {
  const sign = k.sign;
  const wdIn = k.wdIn;
  const b1 = k.b1;
  const a1 = k.oneMinusB1;
  const b2 = k.b2;
  const a2 = k.oneMinusB2;
  const epsBc = k.epsBc;
  const stepSize = k.stepSize;
  const wdOut = k.wdOut;
  for (let i = 0; i < n; i++) {
    let gi = sign * g[i];
    if (coupled) gi = Math.fround(gi + Math.fround(p[i] * wdIn));
    const mi = Math.fround(Math.fround(m0[i] * b1) + Math.fround(gi * a1));
    const vi = Math.fround(Math.fround(v0[i] * b2) + Math.fround(Math.fround(gi * gi) * a2));
    m[i] = mi;
    v[i] = vi;
    let vu = vi;
    if (amsgrad) {
      vu = Math.max(vm0[i], vi);
      vm[i] = vu;
    }
    let ui = Math.fround(Math.fround(mi / Math.fround(Math.fround(Math.sqrt(vu)) + epsBc)) * stepSize);
    if (decoupled) ui = Math.fround(ui + Math.fround(p[i] * wdOut));
    u[i] = ui;
  }
}

const EMPTY = new Float32Array(0);

/**
 * The one-pass step of one parameter, or null when it does not apply here (then nothing was allocated):
 * a backend other than wasm/cpu, a tensor that is not float32, missing state, an empty tensor.
 */
function onePassStep(
  g: tf.Tensor,
  p: tf.Tensor | undefined,
  m0: tf.Tensor | undefined,
  v0: tf.Tensor | undefined,
  vm0: tf.Tensor | undefined,
  k: StepConstants,
  coupled: boolean,
  decoupled: boolean,
  amsgrad: boolean,
): [tf.Tensor, tf.Tensor, tf.Tensor | undefined, tf.Tensor] | null {
  const backend = tf.getBackend();
  if (backend !== 'wasm' && backend !== 'cpu') return null;
  if (m0 === undefined || v0 === undefined || (amsgrad && vm0 === undefined)) return null;
  const ins = [g, m0, v0, ...(p !== undefined ? [p] : []), ...(amsgrad ? [vm0!] : [])];
  const n = g.size;
  if (n === 0 || ins.some((t) => t.dtype !== 'float32' || t.size !== n)) return null;
  const shape = g.shape;
  if (backend === 'wasm') {
    // Allocate every output first (an allocation may grow the heap and detach earlier views), then view.
    const outs: tf.Tensor[] = [];
    for (let j = 0; j < (amsgrad ? 4 : 3); j++) {
      const t = emptyFloat32Tensor(shape);
      if (t === null) break;
      outs.push(t);
    }
    const views = outs.length === (amsgrad ? 4 : 3) ? [...ins, ...outs].map((t) => wasmFloat32View(t)) : [];
    if (views.length === 0 || views.some((x) => x === null)) {
      for (const t of outs) t.dispose();
      return null;
    }
    const [gv, m0v, v0v] = views as Float32Array[];
    let at = 3;
    const pv = p !== undefined ? views[at++]! : EMPTY;
    const vm0v = amsgrad ? views[at++]! : EMPTY;
    const [mv, vv] = [views[at]!, views[at + 1]!];
    const vmv = amsgrad ? views[at + 2]! : EMPTY;
    const uv = views[amsgrad ? at + 3 : at + 2]!;
    const memory = wasmBackendMemory();
    const kernel = memory !== null && memory.buffer === gv.buffer ? adamKernelOn(memory) : null;
    if (kernel !== null) {
      adamKernelRuns.count++;
      const flags = (coupled ? 1 : 0) | (decoupled ? 2 : 0) | (amsgrad ? 4 : 0);
      const at = (x: Float32Array): number => (x.length === 0 ? 0 : x.byteOffset);
      kernel.adam(
        n,
        at(gv),
        at(pv),
        at(m0v),
        at(v0v),
        at(vm0v),
        at(mv),
        at(vv),
        at(vmv),
        at(uv),
        k.sign,
        k.wdIn,
        k.b1,
        k.oneMinusB1,
        k.b2,
        k.oneMinusB2,
        k.epsBc,
        k.stepSize,
        k.wdOut,
        flags,
      );
    } else adamLoop(n, gv, pv, m0v, v0v, vm0v, mv, vv, vmv, uv, k, coupled, decoupled, amsgrad);
    const [m, v] = outs;
    return amsgrad ? [m, v, outs[2], outs[3]] : [m, v, undefined, outs[2]];
  }
  // cpu: dataSync gives the backend's own arrays (read only here); the outputs are new arrays the tensors keep.
  const read = (t: tf.Tensor): Float32Array => t.dataSync() as Float32Array;
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const vm = amsgrad ? new Float32Array(n) : EMPTY;
  const u = new Float32Array(n);
  adamLoop(
    n,
    read(g),
    p !== undefined ? read(p) : EMPTY,
    read(m0),
    read(v0),
    amsgrad ? read(vm0!) : EMPTY,
    m,
    v,
    vm,
    u,
    k,
    coupled,
    decoupled,
    amsgrad,
  );
  return [
    tf.tensor(m, shape, 'float32'),
    tf.tensor(v, shape, 'float32'),
    amsgrad ? tf.tensor(vm, shape, 'float32') : undefined,
    tf.tensor(u, shape, 'float32'),
  ];
}

export function fusedAdam(o: FusedAdamOptions): GradientTransformation<FusedAdamState> {
  const { b1, b2, eps, amsgrad, weightDecay: wd, decoupled, maximize } = o;
  const fn = decoupled ? 'adamw' : 'adam';
  const onePass = o.onePass ?? onePassFromEnv();
  return {
    init(params) {
      const s: FusedAdamState = { count: new Map(), mu: new Map(), nu: new Map(), nuMax: new Map(), scheduleCount: 0 };
      for (const [name, p] of params) {
        s.count.set(name, 0);
        s.mu.set(name, tf.zerosLike(p));
        s.nu.set(name, tf.zerosLike(p));
        if (amsgrad) s.nuMax.set(name, tf.zerosLike(p));
      }
      return s;
    },
    update(grads, state, params) {
      const lr = typeof o.lr === 'number' ? o.lr : o.lr(state.scheduleCount);
      if (!Number.isFinite(lr)) throw new Error(`${fn}: lr(${state.scheduleCount}) = ${lr} is not finite`);
      const count = carryOver(state.count, grads);
      const mu = carryOver(state.mu, grads);
      const nu = carryOver(state.nu, grads);
      const nuMax = carryOver(state.nuMax, grads);
      const updates = new Map<string, tf.Tensor>();
      try {
        for (const [name, g0] of grads) {
          const t = (state.count.get(name) ?? 0) + 1;
          count.set(name, t);
          const bc1 = 1 - b1 ** t;
          const bc2Sqrt = Math.sqrt(1 - b2 ** t);
          const p = wd !== 0 ? requireParam(params, name, fn) : undefined;
          const m0 = state.mu.get(name);
          const v0 = state.nu.get(name);
          const vm0 = state.nuMax.get(name);
          const fast = onePass
            ? onePassStep(
                g0,
                p,
                m0,
                v0,
                vm0,
                {
                  sign: maximize ? -1 : 1,
                  wdIn: p !== undefined && !decoupled ? Math.fround(wd) : 0,
                  b1: Math.fround(b1),
                  oneMinusB1: Math.fround(1 - b1),
                  b2: Math.fround(b2),
                  oneMinusB2: Math.fround(1 - b2),
                  epsBc: Math.fround(eps * bc2Sqrt),
                  stepSize: Math.fround((-lr * bc2Sqrt) / bc1),
                  wdOut: p !== undefined && decoupled ? Math.fround(-lr * wd) : 0,
                },
                p !== undefined && !decoupled,
                p !== undefined && decoupled,
                amsgrad,
              )
            : null;
          if (fast !== null) {
            const [m, v, vm, u] = fast;
            mu.set(name, m);
            nu.set(name, v);
            if (vm !== undefined) nuMax.set(name, vm);
            updates.set(name, u);
            continue;
          }
          // The op form: the arithmetic the loop reproduces, kept for other backends and dtypes.
          const [m, v, vm, u] = tf.tidy(() => {
            let g = maximize ? tf.neg(g0) : g0;
            if (p !== undefined && !decoupled) g = tf.add(g, tf.mul(p, wd));
            const gm = tf.mul(g, 1 - b1);
            const m = m0 === undefined ? gm : tf.add(tf.mul(m0, b1), gm);
            const gv = tf.mul(tf.square(g), 1 - b2);
            const v = v0 === undefined ? gv : tf.add(tf.mul(v0, b2), gv);
            let vUsed = v;
            let vm: tf.Tensor | undefined;
            if (amsgrad) vUsed = vm = vm0 === undefined ? tf.clone(v) : tf.maximum(vm0, v);
            const dir = tf.div(m, tf.add(tf.sqrt(vUsed), eps * bc2Sqrt));
            let u = tf.mul(dir, (-lr * bc2Sqrt) / bc1);
            if (p !== undefined && decoupled) u = tf.add(u, tf.mul(p, -lr * wd));
            return [m, v, vm ?? tf.zeros([0]), u];
          });
          mu.set(name, m);
          nu.set(name, v);
          if (amsgrad) nuMax.set(name, vm);
          else vm.dispose();
          updates.set(name, u);
        }
      } catch (e) {
        disposeAll(mu, nu, nuMax, updates);
        throw e;
      }
      return { updates, state: { count, mu, nu, nuMax, scheduleCount: state.scheduleCount + 1 } };
    },
  };
}
