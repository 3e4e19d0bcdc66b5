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
 * One data-parallel optimizer step: this replica's loss and gradients on its slice (`loss` null when
 * its slice is empty), averaged over the group (weights = examples per slice), then `step` applies
 * the averaged gradients. Returns the group's mean loss. A group of one is plain `tf.variableGrads`.
 */
export function parallelStep(
  dp: DataParallel,
  params: Map<string, tf.Variable>,
  loss: (() => tf.Scalar) | null,
  weight: number,
  step: (grads: Map<string, tf.Tensor>) => void,
): number {
  const names = [...params.keys()];
  let value = 0;
  let grads: Record<string, tf.Tensor> = {};
  if (loss) {
    const r = tf.variableGrads(
      loss,
      names.map((n) => params.get(n)!),
    );
    value = r.value.dataSync()[0];
    r.value.dispose();
    grads = r.grads;
  }
  try {
    if (dp.world === 1) {
      const map = new Map<string, tf.Tensor>();
      for (const n of names) {
        const g = grads[params.get(n)!.name];
        if (g) map.set(n, g);
      }
      step(map);
      return value;
    }
    return exchangeGradients(dp, params, grads, value, loss ? weight : 0, step);
  } finally {
    for (const g of Object.values(grads)) g.dispose();
  }
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
