/**
 * Data-parallel replicas (PyTorch DDP's scheme on the cores of one machine): N copies of the
 * model, each built by the user's setup module in its own thread (a `worker_threads` Worker in
 * Node, a Web Worker in a page) with its own tfjs backend. Every replica reads the same batches
 * from its own loader and takes its slice of each; after the backward pass the replicas add their
 * weighted gradients through a `SharedArrayBuffer`, in rank order, so every replica gets the same
 * floats, applies the same update with its own optimizer and the copies stay bit-identical
 * without sending weights back and forth. Rank 0 (the caller's thread) runs callbacks, evaluation
 * and checkpoints, and tells the others what to do next over a message channel.
 *
 * This module is environment-neutral: the shared-memory exchange, the protocol, the rank-0 group
 * and the worker loop. Starting the threads is the launcher's job (`internal/launch-node.ts`,
 * `internal/launch-web.ts`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreads, type RngState } from '@wordloom/core';
import type { Plan } from './checkpoint.js';

/** Int32 slots of the control buffer. */
const GEN = 0; // barrier generation
const COUNT = 1; // replicas arrived at the barrier
const FAILED = 2; // rank + 1 of the first replica that failed (0 = none)
const CONTROL_INTS = 4;

/** Milliseconds a replica waits at a barrier before deciding another replica died silently. */
const BARRIER_TIMEOUT_MS = 10 * 60_000;

/** A replica failed; thrown by the others' barriers (rank 0 replaces it by that replica's own error). */
export class ReplicaFailedSignal extends Error {
  constructor(readonly failedRank: number) {
    super(`replica ${failedRank} failed`);
    this.name = 'ReplicaFailedSignal';
  }
}

/**
 * The error of a replica other than rank 0, as `fit` rethrows it on rank 0: the replica's own
 * `name` and message (prefixed with `replica r of N:`), its stack in `replicaStack`.
 */
export class ReplicaError extends Error {
  constructor(
    message: string,
    /** The replica that failed. */
    readonly rank: number,
    /** The name of the replica's error (`Error`, `NonFiniteLossError`, …). */
    readonly errorName: string,
    /** The replica's stack trace, if it had one. */
    readonly replicaStack?: string,
  ) {
    super(message);
    this.name = 'ReplicaError';
  }
}

/** The control buffer every replica shares from the start (barrier and failure flag). */
export function makeControl(): SharedArrayBuffer {
  if (typeof SharedArrayBuffer !== 'function')
    throw new Error(
      'fit: replicas need SharedArrayBuffer (in a browser: a cross-origin isolated page, served with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
    );
  return new SharedArrayBuffer(CONTROL_INTS * 4);
}

/** Marks `rank` as failed (the first failure wins) and wakes every replica waiting at a barrier. */
export function markFailed(control: SharedArrayBuffer, rank: number): void {
  const ctl = new Int32Array(control);
  Atomics.compareExchange(ctl, FAILED, 0, rank + 1);
  Atomics.notify(ctl, GEN);
}

/** The phases of a replica's step that fit's `profile` option times (seconds each, summed over the steps). */
export interface ReplicaProfile {
  /** Steps timed. */
  steps: number;
  /** Loading the step's batches from the replica's own loader (every replica collates the whole batch). */
  data: number;
  /** Cutting this replica's rows out of the batches (`slice`), and freeing the cut tensors. */
  slice: number;
  /** Forward and backward pass of the loss on the slice (`tf.variableGrads`, the loss value read). */
  compute: number;
  /**
   * Copying the gradients out of the backend into this replica's slot of the shared buffer (one micro-batch: a plain
   * copy, the weight is applied while summing; with accumulation: weighted and added up).
   */
  pack: number;
  /** Waiting at the first barrier (every replica's gradients written). */
  wait: number;
  /** Summing this replica's share of the buffer over the replicas, weighted, in rank order (and the losses, flags). */
  reduce: number;
  /** Waiting at the second barrier (every share summed). */
  waitReduce: number;
  /** Making the gradient tensors from the summed buffer. */
  unpack: number;
  /** Clipping and the optimizer's update. */
  optimizer: number;
  /**
   * Rank 0: from the end of a step to the start of the next (history, callbacks, evaluation, checkpoints, the
   * event-loop yield, announcing the step). Other ranks: waiting for rank 0's next step message.
   */
  between: number;
}

/** A {@link ReplicaProfile} phase. */
export type ProfilePhase = Exclude<keyof ReplicaProfile, 'steps'>;

/** Times consecutive phases: each `lap(phase)` adds the time since the previous lap to `phase`. */
export class StepProfiler {
  private t = performance.now();
  readonly seconds: ReplicaProfile = {
    steps: 0,
    data: 0,
    slice: 0,
    compute: 0,
    pack: 0,
    wait: 0,
    reduce: 0,
    waitReduce: 0,
    unpack: 0,
    optimizer: 0,
    between: 0,
  };
  /** Starts the clock without attributing the time since the last lap. */
  mark(): void {
    this.t = performance.now();
  }
  lap(phase: ProfilePhase): void {
    const now = performance.now();
    this.seconds[phase] += (now - this.t) / 1000;
    this.t = now;
  }
}

/** Per-step exchange counters (rank 0's are in the history as `replicas`, every replica's as `replicaStats`). */
export interface ExchangeStats {
  /** The replica these counters are of. */
  rank: number;
  /** Replicas. */
  world: number;
  /** The tfjs backend the replica ran on. */
  backend: string;
  /** Threads of @wordloom/core's intra-op pool in this replica (⌊cores / replicas⌋, at least 1). */
  threads: number;
  /** Gradient exchanges done (one per optimizer step). */
  exchanges: number;
  /** Numbers (float32) each replica exchanges per step: every trainable parameter plus nothing else. */
  floatsPerExchange: number;
  /** Bytes this replica wrote into the shared buffer (its gradients, its share of the sum, loss, weight and flags). */
  bytesWritten: number;
  /** Bytes this replica read from it (its share of every replica's slot, then the whole sum). */
  bytesRead: number;
  /** Seconds this replica waited at the barriers (two per step) for the others. */
  waitSeconds: number;
  /** With fit's `profile: true`: where this replica's step time went. */
  profile?: ReplicaProfile;
}

/**
 * The shared gradient buffer and its barriers — a reduce-scatter then an all-gather, as ring all-reduce
 * splits the work, on shared memory: each replica puts its gradients into its own slot, with the weight to
 * multiply them by (its share of the batch; 1 if it weighted them already, accumulating micro-batches); after
 * the first barrier each replica sums its share of the numbers (`sliceRange` of them) over all slots in rank
 * order, each number rounded to float32 after its weighting as before, into the result; after the second
 * barrier every replica reads the whole result. Each number is summed in the same order whichever replica sums
 * it, so every replica gets the same floats, and the summing work is split N ways instead of done N times.
 *
 * Why the weight is applied while summing: with one micro-batch a replica's slot is then a plain copy of the
 * backend's gradient memory (`TypedArray.set`, a memcpy) instead of a multiply per number in a JS loop, and the
 * multiply moves into the sum, which reads every number anyway: one pass over 4 bytes per parameter fewer. The
 * floats are the same: `fround(w · g)` is what the weighted copy stored.
 *
 * Why two barriers suffice with one slot and one result buffer: a replica writes its slot for step k + 1 only
 * after the second barrier of step k, when every replica has finished reading the slots (its share); it writes
 * the result for step k + 1 only after the first barrier of step k + 1, when every replica has finished reading
 * the result of step k.
 */
export class GradExchange {
  private readonly ctl: Int32Array;
  private readonly losses: Float64Array;
  private readonly weights: Float64Array;
  private readonly present: Uint8Array;
  private readonly grads: Float32Array;
  private readonly result: Float32Array;
  private readonly share: [number, number];
  readonly stats: ExchangeStats;
  /** With fit's `profile`: the step's phase clock (the trainer laps it too). */
  readonly profiler: StepProfiler | undefined;

  /** The bytes of the data buffer for `world` replicas, `floats` gradient numbers and `vars` variables. */
  static bytes(world: number, floats: number, vars: number): number {
    const presentBytes = Math.ceil((world * vars) / 8) * 8;
    return world * 16 + presentBytes + (world + 1) * floats * 4;
  }

  constructor(
    control: SharedArrayBuffer,
    data: SharedArrayBuffer,
    readonly rank: number,
    readonly world: number,
    readonly floats: number,
    readonly vars: number,
    profile = false,
  ) {
    this.ctl = new Int32Array(control);
    const need = GradExchange.bytes(world, floats, vars);
    if (data.byteLength !== need)
      throw new Error(`replica ${rank}: the shared gradient buffer has ${data.byteLength} bytes, expected ${need}`);
    let off = 0;
    this.losses = new Float64Array(data, off, world);
    off += world * 8;
    this.weights = new Float64Array(data, off, world);
    off += world * 8;
    this.present = new Uint8Array(data, off, world * vars);
    off += Math.ceil((world * vars) / 8) * 8;
    this.grads = new Float32Array(data, off, world * floats);
    off += world * floats * 4;
    this.result = new Float32Array(data, off, floats);
    this.share = sliceRange(floats, rank, world);
    this.profiler = profile ? new StepProfiler() : undefined;
    this.stats = {
      rank,
      world,
      backend: tf.getBackend(),
      threads: getThreads(),
      exchanges: 0,
      floatsPerExchange: floats,
      bytesWritten: 0,
      bytesRead: 0,
      waitSeconds: 0,
      ...(this.profiler !== undefined ? { profile: this.profiler.seconds } : {}),
    };
  }

  private failed(): void {
    const f = Atomics.load(this.ctl, FAILED);
    if (f !== 0) throw new ReplicaFailedSignal(f - 1);
  }

  /** Arrives at the barrier; returns the generation to wait on, or -1 if this replica was the last. */
  private arrive(): number {
    this.failed();
    const gen = Atomics.load(this.ctl, GEN);
    if (Atomics.add(this.ctl, COUNT, 1) === this.world - 1) {
      Atomics.store(this.ctl, COUNT, 0);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
      return -1;
    }
    return gen;
  }

  /** The barrier, blocking (`Atomics.wait`: a worker, or Node's main thread). */
  barrierSync(): void {
    const gen = this.arrive();
    if (gen < 0) return;
    const t0 = performance.now();
    while (Atomics.load(this.ctl, GEN) === gen) {
      this.failed();
      Atomics.wait(this.ctl, GEN, gen, 100);
      if (performance.now() - t0 > BARRIER_TIMEOUT_MS)
        throw new Error(
          `replica ${this.rank} waited ${BARRIER_TIMEOUT_MS / 60_000} min at a barrier; another replica must have died`,
        );
    }
    this.failed();
    this.stats.waitSeconds += (performance.now() - t0) / 1000;
  }

  /** The barrier without blocking the thread (`Atomics.waitAsync`: a page's main thread; messages keep flowing). */
  async barrierAsync(): Promise<void> {
    const gen = this.arrive();
    if (gen < 0) return;
    const t0 = performance.now();
    const waitAsync = (
      Atomics as unknown as {
        waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { async: boolean; value: unknown };
      }
    ).waitAsync;
    while (Atomics.load(this.ctl, GEN) === gen) {
      this.failed();
      if (typeof waitAsync === 'function') {
        const r = waitAsync(this.ctl, GEN, gen, 100);
        if (r.async) await (r.value as Promise<string>);
      } else await new Promise((r) => setTimeout(r, 0));
      if (performance.now() - t0 > BARRIER_TIMEOUT_MS)
        throw new Error(
          `replica ${this.rank} waited ${BARRIER_TIMEOUT_MS / 60_000} min at a barrier; another replica must have died`,
        );
    }
    this.failed();
    this.stats.waitSeconds += (performance.now() - t0) / 1000;
  }

  /**
   * This replica's slot of the shared buffer, for the step's gradients (copied or accumulated in place: no
   * private copy). Its contents are the previous step's: the caller overwrites or zeroes every number.
   */
  slot(): Float32Array {
    return this.grads.subarray(this.rank * this.floats, (this.rank + 1) * this.floats);
  }

  /**
   * Collective, after this replica filled its {@link slot}: the sum over replicas (in rank order) of every slot
   * times its replica's `weight` (each product rounded to float32, then added in float32), the sum of `loss`, and
   * which variables any replica had a gradient for. Every replica gets the same result; `sum` is a view of the
   * shared buffer, valid until this replica's next `allReduce` (copy what must outlive the step). `weight` 1: the
   * slot holds weighted numbers already (exactly as before weights moved here: `fround(1 · x) = x`).
   */
  async allReduce(
    localPresent: Uint8Array,
    loss: number,
    blocking: boolean,
    weight = 1,
  ): Promise<{ sum: Float32Array; present: Uint8Array; loss: number }> {
    const n = this.floats;
    const v = this.vars;
    const w = this.world;
    const prof = this.profiler;
    this.present.set(localPresent, this.rank * v);
    this.losses[this.rank] = loss;
    this.weights[this.rank] = weight;
    if (blocking) this.barrierSync();
    else await this.barrierAsync();
    prof?.lap('wait');
    // Reduce-scatter: this replica's share of the numbers, summed over the slots in rank order.
    const [a, b] = this.share;
    sumSlots(this.grads, this.weights, this.result, n, w, a, b);
    const present = new Uint8Array(v);
    let total = 0;
    for (let r = 0; r < w; r++) {
      total += this.losses[r];
      const p = this.present.subarray(r * v, (r + 1) * v);
      for (let i = 0; i < v; i++) present[i] |= p[i];
    }
    prof?.lap('reduce');
    // All-gather: everyone's shares are in the result once every replica has passed this barrier.
    if (blocking) this.barrierSync();
    else await this.barrierAsync();
    prof?.lap('waitReduce');
    const s = this.stats;
    s.exchanges++;
    const mine = b - a;
    // Written: the slot, the share of the result, loss, weight and flags. Read: the share of every slot, the whole result,
    // every loss, weight and flag.
    s.bytesWritten += (n + mine) * 4 + v + 16;
    s.bytesRead += (w * mine + n) * 4 + w * (v + 16);
    return { sum: this.result, present, loss: total };
  }
}

/**
 * `out[i]` for `i` in `[a, b)`: the sum over the `world` slots of `grads` (each `n` long) in rank order of
 * `fround(weights[r] · slot_r[i])`, added in float32 (`out` is a Float32Array: every `+=` rounds). A weight of 1
 * skips the multiply (`fround(1 · x) = x` for a float32 `x`). Exported for the tests.
 */
export function sumSlots(
  grads: Float32Array,
  weights: Float64Array | readonly number[],
  out: Float32Array,
  n: number,
  world: number,
  a: number,
  b: number,
): void {
  const w0 = weights[0];
  if (world === 2) {
    const w1 = weights[1];
    if (w0 === 1 && w1 === 1) for (let i = a; i < b; i++) out[i] = grads[i] + grads[n + i];
    else for (let i = a; i < b; i++) out[i] = Math.fround(w0 * grads[i]) + Math.fround(w1 * grads[n + i]);
    return;
  }
  if (w0 === 1) out.set(grads.subarray(a, b), a);
  else for (let i = a; i < b; i++) out[i] = w0 * grads[i];
  for (let r = 1; r < world; r++) {
    const o = r * n;
    const wr = weights[r];
    if (wr === 1) for (let i = a; i < b; i++) out[i] += grads[o + i];
    else for (let i = a; i < b; i++) out[i] += Math.fround(wr * grads[o + i]);
  }
}

/**
 * Rows `[start, end)` of a batch of `rows` rows that replica `rank` of `world` takes: contiguous,
 * sizes differing by at most one, the larger slices last (`floor(rank·rows/world)` …). A batch with
 * fewer rows than replicas leaves some slices empty; those replicas add nothing to the step.
 */
export function sliceRange(rows: number, rank: number, world: number): [number, number] {
  return [Math.floor((rank * rows) / world), Math.floor(((rank + 1) * rows) / world)];
}

/**
 * Rows `[start, end)` that replica `rank` of `world` takes when the rows have costs (`costs[i]` ≥ 0, finite): the
 * batch is cut into contiguous slices at the rows where the running cost comes nearest to `k / world` of the total
 * (the earlier row on a tie), so each slice costs about the same. Deterministic (float64 sums in row order), so
 * every replica cuts alike. All costs 0: equal rows ({@link sliceRange}).
 * @throws if a cost is negative or not finite
 */
export function balancedRange(costs: ArrayLike<number>, rank: number, world: number): [number, number] {
  const rows = costs.length;
  const prefix = new Float64Array(rows + 1);
  for (let i = 0; i < rows; i++) {
    const c = costs[i];
    if (typeof c !== 'number' || !Number.isFinite(c) || c < 0)
      throw new Error(`fit: sliceCost gave costs[${i}] = ${String(c)}; costs must be finite numbers >= 0`);
    prefix[i + 1] = prefix[i] + c;
  }
  const total = prefix[rows];
  if (total === 0) return sliceRange(rows, rank, world);
  const cut = (k: number): number => {
    if (k <= 0) return 0;
    if (k >= world) return rows;
    const target = (total * k) / world;
    let i = 0;
    while (i < rows && prefix[i + 1] < target) i++;
    // prefix[i] < target <= prefix[i + 1] (or i = rows): the nearer of the two.
    return i < rows && prefix[i + 1] - target < target - prefix[i] ? i + 1 : i;
  };
  return [cut(rank), Math.max(cut(rank), cut(rank + 1))];
}

function isPlain(x: unknown): x is object {
  return x !== null && typeof x === 'object' && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer);
}

/**
 * The default `slice` of a batch: every tensor, typed array and array whose first dimension is the
 * batch's `rows` is cut to rows `[start, end)` (tensors with `tf.slice`, typed arrays with
 * `subarray`), in arrays, Maps and plain objects at any depth; everything else is kept as it is.
 */
export function sliceBatch<B>(batch: B, start: number, end: number, rows: number): B {
  const cut = (x: unknown, depth: number): unknown => {
    if (x instanceof tf.Tensor) return x.rank > 0 && x.shape[0] === rows ? tf.slice(x, start, end - start) : x;
    if (ArrayBuffer.isView(x) && !(x instanceof DataView))
      return (x as Int32Array).length === rows ? (x as Int32Array).subarray(start, end) : x;
    if (!isPlain(x) || depth > 8) return x;
    if (Array.isArray(x)) {
      // An array batch (a list of examples) is cut itself; an array inside a batch is walked.
      if (depth === 0 && x.length === rows) return x.slice(start, end);
      return x.map((v) => cut(v, depth + 1));
    }
    if (x instanceof Map) return new Map([...x].map(([k, v]) => [k, cut(v, depth + 1)]));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) out[k] = cut(v, depth + 1);
    return out;
  };
  return cut(batch, 0) as B;
}

/** Every tensor in `x` (arrays, Maps, plain objects). */
export function tensorsIn(x: unknown, out = new Set<tf.Tensor>(), depth = 0): Set<tf.Tensor> {
  if (x instanceof tf.Tensor) out.add(x);
  else if (isPlain(x) && depth < 10) {
    const vs = Array.isArray(x) ? x : x instanceof Map ? [...x.values()] : Object.values(x);
    for (const v of vs) tensorsIn(v, out, depth + 1);
  }
  return out;
}

/** FNV-1a over the bytes of every parameter (in order): replicas that hold bit-identical weights agree. */
export function weightsChecksum(params: Iterable<tf.Tensor>): string {
  let h = 0x811c9dc5;
  for (const p of params) {
    const d = p.dataSync() as Float32Array;
    const b = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    for (let i = 0; i < b.length; i++) {
      h ^= b[i];
      h = Math.imul(h, 0x01000193);
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A replica's own state, which rank 0 gathers into checkpoints: its generators and carried tensors. */
export interface ReplicaState {
  rank: number;
  rngs: { model: Record<string, RngState>; global: RngState; extra: Record<string, RngState> };
  carry: SerializedTensor[];
}

/** A tensor as a message carries it. */
export interface SerializedTensor {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
  data: Float32Array | Int32Array | Uint8Array;
}

export function serializeTensor(name: string, t: tf.Tensor): SerializedTensor {
  const dtype = t.dtype as SerializedTensor['dtype'];
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool')
    throw new Error(`replica: carried tensor '${name}' has dtype ${t.dtype}; float32, int32 or bool only`);
  return { name, shape: [...t.shape], dtype, data: t.dataSync() as Float32Array | Int32Array | Uint8Array };
}

export function deserializeTensor(s: SerializedTensor): tf.Tensor {
  return tf.tensor(s.data, s.shape, s.dtype);
}

/** What rank 0 tells a replica before the first step: rank 0's model, optimizer and loader state. */
export interface LoadMessage {
  kind: 'load';
  /** A checkpoint file of rank 0's state (model, optimizer, loader position, plan). */
  checkpoint: Uint8Array;
  /** This replica's generators and carry from the checkpoint resumed from (none on a fresh run). */
  own?: ReplicaState;
  data: SharedArrayBuffer;
  floats: number;
  vars: number;
}

/** One optimizer step: where the batches are, so the replica's loader can be checked against it. */
export interface StepMessage {
  kind: 'step';
  step: number;
  epoch: number;
  /** Batch index of the step's first batch in the epoch. */
  batchIndex: number;
  /** Batches in the step (accumulation). */
  batches: number;
  plan: Plan;
}

export type ToReplica = LoadMessage | StepMessage | { kind: 'state' } | { kind: 'stop' };

export type FromReplica =
  | { kind: 'ready'; rank: number; backend: string; params: string[] }
  | { kind: 'loaded'; rank: number }
  | { kind: 'state'; state: ReplicaState }
  | { kind: 'error'; rank: number; name: string; message: string; stack?: string }
  | { kind: 'stopped'; rank: number; stats: ExchangeStats | null; checksum: string };

/** What the launcher gives a replica thread. */
export interface ReplicaInit {
  kind: 'wordloom-train-replica';
  rank: number;
  world: number;
  /** The setup module's URL (absolute). */
  setup: string;
  setupOptions: unknown;
  /** The tfjs backend rank 0 uses; replicas must use the same one to stay bit-identical. */
  backend: string;
  /** More `setupBackend` options for the replicas (e.g. a page's `wasmPaths`). */
  backendOptions?: { wasmPaths?: string | Record<string, string>; wasmThreads?: boolean };
  control: SharedArrayBuffer;
  /** The JSON options of `fit` that a replica's step depends on. */
  options: ReplicaStepOptions;
  /** fit's `profile`: time the phases of every step. */
  profile?: boolean;
  /**
   * Threads of @wordloom/core's intra-op pool in each replica (`setThreads`): replicas × threads ≤ cores, so
   * ⌊cores / replicas⌋, at least 1 (rank 0 runs with the same count while `fit` runs).
   */
  threads?: number;
}

/** The options that shape a step, sent to every replica. */
export interface ReplicaStepOptions {
  epochs?: number;
  maxSteps?: number;
  timeBudgetSeconds?: number;
  accumulate?: number;
  clipNorm?: number;
  onNonFiniteLoss?: 'error' | 'skip';
  disposeBatches?: boolean;
}

/** One replica thread as rank 0 sees it (a launcher makes these). */
export interface ReplicaEndpoint {
  post(msg: ToReplica, transfer?: Transferable[]): void;
  onMessage(cb: (msg: FromReplica) => void): void;
  /** Called once when the thread ends (an error it could not report, or a normal exit). */
  onExit(cb: (error: Error | undefined) => void): void;
  terminate(): Promise<void>;
}

/** Starts replica threads (Node `worker_threads`, Web Workers). */
export type ReplicaLauncher = (init: ReplicaInit) => ReplicaEndpoint;

/**
 * Rank 0's view of the other replicas: their messages, their first error, and the collective
 * requests (load, step, state, stop).
 */
export class ReplicaGroup {
  private readonly endpoints: ReplicaEndpoint[] = [];
  private readonly queues: FromReplica[][] = [];
  private readonly waiters: Array<(() => void) | undefined> = [];
  private error: Error | undefined;
  private readonly failWaiters = new Set<(e: Error) => void>();
  private exited: boolean[] = [];
  private closed = false;
  private stopping = false;
  readonly control: SharedArrayBuffer;

  constructor(
    readonly world: number,
    init: Omit<ReplicaInit, 'rank' | 'world' | 'control' | 'kind'>,
    launcher: ReplicaLauncher,
  ) {
    this.control = makeControl();
    for (let rank = 1; rank < world; rank++) {
      const i = rank - 1;
      this.queues.push([]);
      this.waiters.push(undefined);
      this.exited.push(false);
      let ep: ReplicaEndpoint;
      try {
        ep = launcher({ kind: 'wordloom-train-replica', rank, world, control: this.control, ...init });
      } catch (e) {
        // The replicas started so far would wait for messages forever.
        markFailed(this.control, 0);
        for (const started of this.endpoints) void started.terminate();
        throw e;
      }
      ep.onMessage((m) => {
        if (m.kind === 'error') {
          const err = new ReplicaError(`replica ${m.rank} of ${world}: ${m.message}`, m.rank, m.name, m.stack);
          this.fail(err);
          return;
        }
        this.queues[i].push(m);
        const w = this.waiters[i];
        this.waiters[i] = undefined;
        w?.();
      });
      ep.onExit((e) => {
        this.exited[i] = true;
        if (!(this.closed || this.stopping) || e)
          // A thread that ends before it was told to stop has died (its error message, if any, came first).
          this.fail(e ?? new ReplicaError(`replica ${rank} of ${world} exited before the run ended`, rank, 'Error'));
        const w = this.waiters[i];
        this.waiters[i] = undefined;
        w?.();
      });
      this.endpoints.push(ep);
    }
  }

  /** The first failure of a replica (or of rank 0, after {@link abort}). */
  get failure(): Error | undefined {
    return this.error;
  }

  private fail(e: Error): void {
    if (this.error !== undefined) return;
    this.error = e;
    markFailed(this.control, e instanceof ReplicaError ? e.rank : 0);
    for (const f of this.failWaiters) f(e);
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i];
      this.waiters[i] = undefined;
      w?.();
    }
  }

  /** Throws the replicas' failure, if there was one. */
  check(): void {
    if (this.error !== undefined) throw this.error;
  }

  /** Replaces a barrier's failure signal by the failed replica's own error (it may arrive a moment later). */
  async translate(e: unknown): Promise<unknown> {
    if (!(e instanceof ReplicaFailedSignal)) return e;
    if (this.error === undefined)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 5000);
        this.failWaiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    return this.error ?? new ReplicaError(`replica ${e.failedRank} of ${this.world} failed`, e.failedRank, 'Error');
  }

  /** The next message of replica `rank` of the given kind (earlier messages of other kinds are an error). */
  async next<K extends FromReplica['kind']>(rank: number, kind: K): Promise<Extract<FromReplica, { kind: K }>> {
    const i = rank - 1;
    for (;;) {
      this.check();
      const m = this.queues[i].shift();
      if (m !== undefined) {
        if (m.kind !== kind) throw new Error(`fit: replica ${rank} sent '${m.kind}', expected '${kind}'`);
        return m as Extract<FromReplica, { kind: K }>;
      }
      if (this.exited[i]) throw new ReplicaError(`replica ${rank} of ${this.world} exited`, rank, 'Error');
      await new Promise<void>((r) => (this.waiters[i] = r));
    }
  }

  /** Sends to every replica. */
  post(msg: ToReplica): void {
    this.check();
    for (const ep of this.endpoints) ep.post(msg);
  }

  /** Sends each replica its own message. */
  postEach(make: (rank: number) => ToReplica): void {
    this.check();
    this.endpoints.forEach((ep, i) => ep.post(make(i + 1)));
  }

  /** Waits for every replica's message of a kind. */
  async all<K extends FromReplica['kind']>(kind: K): Promise<Array<Extract<FromReplica, { kind: K }>>> {
    const out: Array<Extract<FromReplica, { kind: K }>> = [];
    for (let r = 1; r < this.world; r++) out.push(await this.next(r, kind));
    return out;
  }

  /** The replicas' generators and carried tensors (for a checkpoint). */
  async states(): Promise<ReplicaState[]> {
    this.post({ kind: 'state' });
    return (await this.all('state')).map((m) => m.state);
  }

  /**
   * Tells the replicas to stop, collects their final report (counters, weights checksum) and ends the threads.
   */
  async stop(): Promise<Array<Extract<FromReplica, { kind: 'stopped' }>>> {
    this.stopping = true;
    this.post({ kind: 'stop' });
    const out = await this.all('stopped');
    await this.close();
    return out;
  }

  /** Waits for the replicas to end (10 s, then terminates them). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.error === undefined) {
      const done = Promise.all(
        this.endpoints.map(
          (_ep, i) =>
            new Promise<void>((resolve) => {
              const poll = (): void => {
                if (this.exited[i]) resolve();
                else this.waiters[i] = poll;
              };
              poll();
            }),
        ),
      );
      // The timer is cleared once they have ended: a pending one would keep the process alive (up to 10 s
      // after a finished or interrupted run).
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
    }
    await Promise.all(this.endpoints.map((ep) => ep.terminate()));
  }

  /** Rank 0 failed (or was stopped by an error): stops every replica at once. */
  async abort(error: Error): Promise<void> {
    this.fail(error);
    this.closed = true;
    await Promise.all(this.endpoints.map((ep) => ep.terminate()));
  }
}
