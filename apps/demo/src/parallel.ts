/**
 * Data-parallel training on the cores of one machine (what PyTorch's DistributedDataParallel
 * does across processes, here across `worker_threads`).
 *
 * tfjs's wasm backend runs on one thread in Node, so one training process uses one core. With
 * `--workers N` the command runs N replicas of itself: the main thread (rank 0) and N − 1 worker
 * threads that re-run the same command line. Every replica builds the same model from the same
 * seed, reads the same batches, and takes its own slice of each batch. After the backward pass the
 * replicas average their gradients through a `SharedArrayBuffer` (weighted by how many examples
 * each slice held), so every replica applies the same update and the copies stay identical —
 * bit for bit, because each one sums the slices in the same order. Rank 0 alone evaluates,
 * writes files and decides when to stop (Ctrl-C, time budget), and tells the others at the next
 * exchange.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  MessageChannel,
  Worker,
  isMainThread,
  receiveMessageOnPort,
  workerData,
  type MessagePort,
} from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '@wordloom/optim';
import type { Callbacks, Carry, StepContext } from '@wordloom/train';
import { CliError, PROGRAM, type OptionSpec } from './args.js';

/** Int32 slots of the control buffer. */
const GEN = 0; // barrier generation
const COUNT = 1; // replicas arrived at the barrier
const FAILED = 2; // rank + 1 of a replica that failed (0 = none)
const STOP = 3; // rank 0's decision: 1 = stop training after this exchange
const VALUE = 4; // rank 0's broadcast integer (e.g. the planned number of steps)
const CONTROL_INTS = 8;

/** What a worker thread receives. */
interface WorkerInit {
  kind: 'wordloom-data-parallel';
  argv: string[];
  rank: number;
  world: number;
  control: SharedArrayBuffer;
  port: MessagePort;
}

/** What rank 0 tells the others at each exchange. */
export interface Broadcast {
  stop: boolean;
  /** Any integer rank 0 wants everyone to agree on (the planned number of steps). */
  value: number;
}

/** One replica's view of the group: its rank, the barrier, gradient averaging. */
export class DataParallel {
  private readonly ctl: Int32Array;
  private data: Float32Array | undefined;
  private weights: Float64Array | undefined;
  private capacity = 0;
  private readonly workers: Worker[];
  private readonly ports: MessagePort[];
  private closed = false;

  constructor(
    readonly rank: number,
    readonly world: number,
    control: SharedArrayBuffer,
    /** Rank 0: its channels to the workers; a worker: its one channel to rank 0. */
    ports: MessagePort[],
    workers: Worker[] = [],
  ) {
    this.ctl = new Int32Array(control);
    this.ports = ports;
    this.workers = workers;
  }

  get primary(): boolean {
    return this.rank === 0;
  }

  /** Waits until every replica has arrived (sense-reversing barrier on `Atomics.wait`). */
  barrier(): void {
    const gen = Atomics.load(this.ctl, GEN);
    if (Atomics.add(this.ctl, COUNT, 1) === this.world - 1) {
      Atomics.store(this.ctl, COUNT, 0);
      Atomics.add(this.ctl, GEN, 1);
      Atomics.notify(this.ctl, GEN);
      return;
    }
    const started = Date.now();
    while (Atomics.load(this.ctl, GEN) === gen) {
      this.checkFailed();
      Atomics.wait(this.ctl, GEN, gen, 200);
      // A replica that died without reporting (killed, out of memory) would leave us waiting forever.
      if (Date.now() - started > 10 * 60_000)
        throw new CliError(
          `${PROGRAM}: data-parallel replica ${this.rank} waited 10 min at a barrier; another replica must have died`,
          5,
        );
    }
    this.checkFailed();
  }

  private checkFailed(): void {
    const f = Atomics.load(this.ctl, FAILED);
    if (f === 0) return;
    let reason = '';
    if (this.primary) {
      for (const p of this.ports) {
        const m = receiveMessageOnPort(p);
        if (m && typeof (m.message as { error?: string }).error === 'string')
          reason = (m.message as { error: string }).error;
      }
    }
    throw new CliError(`${PROGRAM}: data-parallel replica ${f - 1} failed${reason ? `: ${reason}` : ''}`, 5);
  }

  /** Marks this replica as failed so the others stop waiting for it. */
  fail(message: string): void {
    if (!this.primary) this.ports[0]?.postMessage({ error: message });
    Atomics.compareExchange(this.ctl, FAILED, 0, this.rank + 1);
    Atomics.notify(this.ctl, GEN);
  }

  /**
   * Collective: makes the shared gradient buffer for `floats` numbers per replica. Rank 0 creates it
   * and hands it to the workers; every replica must call this with the same size.
   */
  allocate(floats: number): void {
    if (this.world === 1) return;
    if (this.primary) {
      const sab = new SharedArrayBuffer(this.world * floats * 4 + this.world * 8);
      for (const p of this.ports) p.postMessage({ buffer: sab, floats });
      this.attach(sab, floats);
      this.barrier();
    } else {
      this.barrier();
      const m = receiveMessageOnPort(this.ports[0]);
      const msg = m?.message as { buffer?: SharedArrayBuffer; floats?: number } | undefined;
      if (!msg?.buffer || msg.floats !== floats)
        throw new CliError(
          `${PROGRAM}: data-parallel replica ${this.rank} expected a buffer of ${floats} floats, got ${String(msg?.floats)}`,
          5,
        );
      this.attach(msg.buffer, floats);
    }
  }

  /** `allocate(floats)` the first time; later calls must ask for the same size. */
  allocateOnce(floats: number): void {
    if (this.world === 1) return;
    if (this.capacity === 0) this.allocate(floats);
    else if (this.capacity !== floats)
      throw new Error(`DataParallel: the gradient size changed from ${this.capacity} to ${floats}`);
  }

  private attach(sab: SharedArrayBuffer, floats: number): void {
    this.capacity = floats;
    this.data = new Float32Array(sab, 0, this.world * floats);
    this.weights = new Float64Array(sab, this.world * floats * 4, this.world);
  }

  /**
   * Collective: rank 0's decision (stop or go on, and an integer such as the planned number of
   * steps), the same for every replica. A group of one returns `b`.
   */
  control(b: Broadcast): Broadcast {
    if (this.world === 1) return b;
    if (this.primary) {
      Atomics.store(this.ctl, STOP, b.stop ? 1 : 0);
      Atomics.store(this.ctl, VALUE, b.value);
    }
    this.barrier();
    const got = { stop: Atomics.load(this.ctl, STOP) === 1, value: Atomics.load(this.ctl, VALUE) };
    // Rank 0 may not write the next decision before everyone has read this one.
    this.barrier();
    return got;
  }

  /**
   * Collective: the weighted mean over replicas of `values` (weights: examples in each slice). Every
   * replica gets the same numbers (summed in rank order).
   */
  exchange(values: Float32Array, weight: number): Float32Array {
    if (this.world === 1) return values;
    if (!this.data || !this.weights) throw new Error('DataParallel.exchange: allocate() first');
    if (values.length !== this.capacity)
      throw new Error(`DataParallel.exchange: ${values.length} values, the buffer holds ${this.capacity}`);
    const n = this.capacity;
    this.data.set(values, this.rank * n);
    this.weights[this.rank] = weight;
    this.barrier();
    let total = 0;
    for (let r = 0; r < this.world; r++) total += this.weights[r];
    const mean = new Float32Array(n);
    if (total > 0) {
      for (let r = 0; r < this.world; r++) {
        const w = this.weights[r] / total;
        if (w === 0) continue;
        const slot = this.data.subarray(r * n, (r + 1) * n);
        for (let i = 0; i < n; i++) mean[i] += w * slot[i];
      }
    }
    // Nobody may overwrite its slot for the next exchange before everyone has read this one.
    this.barrier();
    return mean;
  }

  /**
   * Collective: rank 0 fills the first slot of the shared buffer (`write`), then every other replica
   * reads it (`read`). Needs {@link allocate} first.
   */
  broadcastFromPrimary(write: (slot: Float32Array) => void, read: (slot: Float32Array) => void): void {
    if (this.world === 1) return;
    if (!this.data) throw new Error('DataParallel.broadcastFromPrimary: allocate() first');
    const slot = this.data.subarray(0, this.capacity);
    if (this.primary) write(slot);
    this.barrier();
    if (!this.primary) read(slot);
    // Rank 0 may not write the slot again before everyone has read it.
    this.barrier();
  }

  /**
   * Rank 0: waits for the workers to finish and stops them. A worker: closes its channel to rank 0
   * (dp-worker.js does, after any failure has been reported on it). Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.primary) {
      this.ports[0]?.close();
      return;
    }
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => void w.terminate().then(() => resolve()), 10_000);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
  }

  /** Rank 0 after an error: stops the workers at once. */
  abort(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.compareExchange(this.ctl, FAILED, 0, this.rank + 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
  }
}

let thisReplica: DataParallel | undefined;

/** The replica this thread is, when it is a data-parallel worker (one object per thread). */
export function workerReplica(): DataParallel | undefined {
  if (isMainThread) return undefined;
  const init = workerData as WorkerInit | undefined;
  if (init?.kind !== 'wordloom-data-parallel') return undefined;
  thisReplica ??= new DataParallel(init.rank, init.world, init.control, [init.port]);
  return thisReplica;
}

const WORKER_FILE = 'dp-worker.js';

/** The worker entry: next to this module in the build; from the sources (tests), the built copy. */
function workerUrl(): URL {
  const here = new URL(`./${WORKER_FILE}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(`../dist/${WORKER_FILE}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new CliError(`${PROGRAM}: --workers needs the built CLI (${WORKER_FILE} not found); run 'pnpm build' first`, 5);
}

/** The `--workers` option of the training commands. */
export const workersOption: OptionSpec = {
  type: 'string',
  value: 'N|auto',
  default: 'auto',
  description:
    'data-parallel replicas, one thread per core (auto: the cores available, at most 4); each takes a share of every batch and the gradients are averaged, so the run trains as one replica would on the whole batch',
};

/** The number of replicas to run for `--workers` (`auto` = the cores available, at most 4). */
export function parseWorkers(raw: unknown, command: string): number {
  if (raw === undefined || raw === 'auto') return Math.max(1, Math.min(4, availableParallelism()));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CliError(`${PROGRAM} ${command}: --workers ${String(raw)} must be an integer from 1 to 64, or 'auto'`);
  return n;
}

/**
 * Rank 0: starts `world − 1` worker threads running `argv` (the same command line) and returns the
 * group. A worker thread: returns its own replica. `world` 1: a group of one (no threads).
 */
export function startDataParallel(world: number, argv?: readonly string[]): DataParallel {
  const mine = workerReplica();
  if (mine) return mine;
  const control = new SharedArrayBuffer(CONTROL_INTS * 4);
  if (world === 1) return new DataParallel(0, 1, control, []);
  if (!argv || argv.length === 0)
    throw new Error('startDataParallel: the command line to re-run is needed for more than one replica');
  const url = workerUrl();
  const ports: MessagePort[] = [];
  const workers: Worker[] = [];
  for (let rank = 1; rank < world; rank++) {
    const { port1, port2 } = new MessageChannel();
    const init: WorkerInit = { kind: 'wordloom-data-parallel', argv: [...argv], rank, world, control, port: port2 };
    // Node flags pass on, except module-resolution conditions (a test runner's `--conditions` would
    // point the workers' imports at TypeScript sources they cannot load).
    const execArgv = process.execArgv.filter(
      (a, i, all) => !/^(--conditions|-C)(=|$)/.test(a) && !/^(--conditions|-C)$/.test(all[i - 1] ?? ''),
    );
    const w = new Worker(url, { workerData: init, transferList: [port2], stdout: true, stderr: true, execArgv });
    // Workers are quiet: drop what they print (a failure reaches rank 0 through the port), unless
    // WORDLOOM_DP_DEBUG is set.
    if (process.env.WORDLOOM_DP_DEBUG) {
      w.stdout.on('data', (d: Buffer) => process.stderr.write(`[replica ${rank}] ${d.toString()}`));
      w.stderr.on('data', (d: Buffer) => process.stderr.write(`[replica ${rank}] ${d.toString()}`));
    } else {
      w.stdout.resume();
      w.stderr.resume();
    }
    w.unref();
    ports.push(port1);
    workers.push(w);
  }
  return new DataParallel(0, world, control, ports, workers);
}

/** Rows `[start, end)` of a batch of `n` rows that replica `rank` of `world` takes. */
export function shardRange(n: number, rank: number, world: number): [number, number] {
  return [Math.floor((rank * n) / world), Math.floor(((rank + 1) * n) / world)];
}

/**
 * Averages gradients `grads` (keyed by variable name, as `tf.variableGrads` returns them, or by
 * parameter name) over the group and applies them with `step`. Parameters without a gradient count
 * as zeros. Returns the group's mean of `loss`.
 */
export function exchangeGradients(
  dp: DataParallel,
  params: Map<string, tf.Variable>,
  grads: Record<string, tf.Tensor> | Map<string, tf.Tensor>,
  loss: number,
  weight: number,
  step: (grads: Map<string, tf.Tensor>) => void,
): number {
  const lookup = (name: string, v: tf.Variable): tf.Tensor | undefined =>
    grads instanceof Map ? (grads.get(name) ?? grads.get(v.name)) : (grads[v.name] ?? grads[name]);
  let total = 1;
  for (const v of params.values()) total += v.size;
  dp.allocateOnce(total);
  const flat = new Float32Array(total);
  let off = 0;
  for (const [name, v] of params) {
    const g = lookup(name, v);
    if (g) flat.set(g.dataSync() as Float32Array, off);
    off += v.size;
  }
  flat[off] = loss;
  const mean = dp.exchange(flat, weight);
  const avg = new Map<string, tf.Tensor>();
  off = 0;
  for (const [name, v] of params) {
    avg.set(name, tf.tensor(mean.subarray(off, off + v.size), v.shape, 'float32'));
    off += v.size;
  }
  try {
    step(avg);
  } finally {
    for (const t of avg.values()) t.dispose();
  }
  return mean[off];
}

/** Thrown on a data-parallel replica other than rank 0 once training is over: rank 0 evaluates and writes. */
export class ReplicaDone extends Error {
  constructor() {
    super('data-parallel replica: training finished');
    this.name = 'ReplicaDone';
  }
}

/**
 * Collective: rank 0's parameter values, copied into every other replica (at the start of a run,
 * so that a resumed rank 0 and fresh workers hold the same weights, and after every update).
 */
export function shareWeights(dp: DataParallel, params: Map<string, tf.Variable>): void {
  if (dp.world === 1) return;
  let total = 1;
  for (const v of params.values()) total += v.size;
  dp.allocateOnce(total);
  dp.broadcastFromPrimary(
    (slot) => {
      if (dp.primary) {
        let off = 0;
        for (const v of params.values()) {
          slot.set(v.dataSync() as Float32Array, off);
          off += v.size;
        }
      }
    },
    (slot) => {
      let off = 0;
      for (const v of params.values()) {
        v.assign(tf.tensor(slot.subarray(off, off + v.size), v.shape, 'float32'));
        off += v.size;
      }
    },
  );
}

/** What every replica trains: the model's parameters and the loss of a share of a batch. */
export interface ReplicaTraining<M, B> {
  model: M;
  /** The trainable parameters (the optimizer's). */
  params: Map<string, tf.Variable>;
  /** The loss of rows `[a, b)` of `batch` (this replica's share; the whole batch with one replica). */
  loss(model: M, batch: B, ctx: StepContext, rows: [number, number]): tf.Scalar;
  /** Rows in a batch. */
  rows(batch: B): number;
}

/** (epoch, batch index) in one integer for {@link DataParallel.control}. */
const BATCH_STRIDE = 1_000_000;

/**
 * Rank 0 of a data-parallel `fit`: the loss and the optimizer to give `fit`, and callbacks to put
 * first. Every step, the loss tells the other replicas which batch to take (they follow with
 * {@link followReplica}) and computes rank 0's share; the optimizer averages the replicas' gradients
 * (weighted by their rows, summed in rank order) before the real update, then sends the new weights
 * to the others; the step's recorded loss becomes the group's mean. With one replica: the plain
 * loss on the whole batch and the optimizer itself.
 */
export function leadReplicas<M, B>(
  dp: DataParallel,
  t: ReplicaTraining<M, B>,
  optimizer: Optimizer,
): {
  loss: (model: M, batch: B, ctx: StepContext) => tf.Scalar;
  optimizer: Optimizer;
  callbacks: Callbacks;
  finish(): void;
} {
  if (dp.world === 1)
    return {
      loss: (m, b, ctx) => t.loss(m, b, ctx, [0, t.rows(b)]),
      optimizer,
      callbacks: {},
      finish() {},
    };
  let weight = 0;
  let lossTensor: tf.Scalar | undefined;
  let groupLoss = NaN;
  const loss = (m: M, b: B, ctx: StepContext): tf.Scalar => {
    dp.control({ stop: false, value: ctx.epoch * BATCH_STRIDE + ctx.batchIndex });
    const n = t.rows(b);
    const [a, e] = shardRange(n, dp.rank, dp.world);
    weight = e - a;
    // An empty share (a batch smaller than the group) still needs a loss connected to the weights: zero.
    const l = weight > 0 ? t.loss(m, b, ctx, [a, e]) : (tf.mul(t.loss(m, b, ctx, [0, n]), 0) as tf.Scalar);
    lossTensor = l;
    return l;
  };
  const step = (grads: Map<string, tf.Tensor>): ReturnType<Optimizer['step']> => {
    const mine = lossTensor && !lossTensor.isDisposed ? lossTensor.dataSync()[0] : 0;
    let info: ReturnType<Optimizer['step']> | undefined;
    groupLoss = exchangeGradients(dp, t.params, grads, mine, weight, (avg) => {
      info = optimizer.step(avg);
    });
    shareWeights(dp, t.params);
    return info!;
  };
  const wrapped = new Proxy(optimizer, {
    get(target, p) {
      if (p === 'step') return step;
      const v = Reflect.get(target, p, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    loss,
    optimizer: wrapped,
    callbacks: {
      // Fresh workers take rank 0's weights (a resumed rank 0 has restored them from the checkpoint).
      onTrainStart() {
        shareWeights(dp, t.params);
      },
      onStepEnd(rec) {
        if (Number.isFinite(groupLoss)) rec.loss = groupLoss;
      },
    },
    finish() {
      dp.control({ stop: true, value: 0 });
    },
  };
}

/** A worker's carried tensors (its own rows of, e.g., the truncated-BPTT state). */
class WorkerCarry implements Carry {
  private readonly map = new Map<string, tf.Tensor>();
  private pending: tf.Tensor[] = [];
  get(name: string): tf.Tensor | undefined {
    return this.map.get(name);
  }
  set(name: string, t: tf.Tensor): void {
    const old = this.map.get(name);
    if (old === t) return;
    tf.keep(t);
    if (old) this.pending.push(old);
    this.map.set(name, t);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  delete(name: string): boolean {
    const old = this.map.get(name);
    if (!old) return false;
    this.pending.push(old);
    this.map.delete(name);
    return true;
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  flush(): void {
    const live = new Set(this.map.values());
    for (const t of this.pending) if (!live.has(t) && !t.isDisposed) t.dispose();
    this.pending = [];
  }
  dispose(): void {
    for (const k of this.names()) this.delete(k);
    this.flush();
  }
}

/**
 * A replica other than rank 0: takes rank 0's weights, then for every step rank 0 announces computes
 * the gradients of its share of that batch (`batchAt(epoch, index)`, the same batches rank 0's loader
 * gives), adds them to the exchange and takes the updated weights, until rank 0 stops. Then throws
 * {@link ReplicaDone} (rank 0 alone evaluates and writes).
 */
export function followReplica<M, B>(
  dp: DataParallel,
  t: ReplicaTraining<M, B>,
  batchAt: (epoch: number, index: number) => B,
  disposeBatch: (batch: B) => void = () => {},
): never {
  shareWeights(dp, t.params);
  const carry = new WorkerCarry();
  const vars = [...t.params.values()];
  try {
    for (;;) {
      const c = dp.control({ stop: false, value: 0 });
      if (c.stop) break;
      const epoch = Math.floor(c.value / BATCH_STRIDE);
      const index = c.value % BATCH_STRIDE;
      const batch = batchAt(epoch, index);
      try {
        const [a, e] = shardRange(t.rows(batch), dp.rank, dp.world);
        const ctx: StepContext = {
          step: NaN,
          epoch,
          batchIndex: index,
          micro: 0,
          microBatches: 1,
          totalSteps: Infinity,
          carry,
        };
        let grads: Record<string, tf.Tensor> = {};
        let value = 0;
        if (a < e) {
          const r = tf.variableGrads(() => t.loss(t.model, batch, ctx, [a, e]), vars);
          value = r.value.dataSync()[0];
          r.value.dispose();
          grads = r.grads;
        }
        try {
          exchangeGradients(dp, t.params, grads, value, e - a, () => {});
        } finally {
          for (const g of Object.values(grads)) g.dispose();
          carry.flush();
        }
      } finally {
        disposeBatch(batch);
      }
      shareWeights(dp, t.params);
    }
  } finally {
    carry.dispose();
  }
  throw new ReplicaDone();
}
