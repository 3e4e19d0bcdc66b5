/**
 * `Trainer` and `fit`: the training loop every wordloom model needs — epochs of batches from a
 * resumable `DataLoader`, gradient accumulation, clipping, a learning-rate schedule planned to the
 * run's length (or to a wall-clock budget), evaluation, early stopping, callbacks, an `AbortSignal`,
 * and checkpoints from which a resumed run continues bit for bit.
 *
 * Exact resume: a checkpoint holds everything the rest of the run depends on — weights, optimizer
 * state, every random generator (the model's registered ones, the global one and the `rngs` option),
 * the loader's position, carried tensors, the plan and the history — and the run is cut only at step
 * boundaries (or before an evaluation, which then runs again), so the resumed run performs the same
 * float operations in the same order as the uninterrupted one.
 *
 * References: Keras `Model.fit` (one-liner, callbacks, EarlyStopping); PyTorch Lightning (checkpoint
 * contents, gradient accumulation flushed at epoch end); HF Accelerate `save_state` (every RNG);
 * nanoGPT train.py (a loop small enough to read).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { globalRng, readFloat32View, type Module, type Rng, type RngState } from '@wordloom/core';
import {
  clipByGlobalNorm,
  NonFiniteGradientError,
  type ClipByGlobalNormState,
  type GradientTransformation,
  type Optimizer,
  type Schedule,
} from '@wordloom/optim';
import {
  canonicalJson,
  CHECKPOINT_FORMAT,
  checkpointName,
  checkpointNames,
  configDifference,
  fnv1a,
  readCheckpoint,
  writeCheckpoint,
  type CheckpointMeta,
  type Plan,
} from './checkpoint.js';
import { isPlannedSchedule } from './schedule.js';
import {
  deserializeTensor,
  GradExchange,
  serializeTensor,
  balancedRange,
  sliceBatch,
  sliceRange,
  tensorsIn,
  type ExchangeStats,
  type LoadMessage,
  type ReplicaLauncher,
  type ReplicaGroup,
  type ReplicaState,
  type StepMessage,
} from './replicas.js';
import type {
  Callbacks,
  Carry,
  EarlyStoppingState,
  EvalRecord,
  FitOptions,
  History,
  StepContext,
  StepRecord,
  StopReason,
  TrainInfo,
  ReplicaFitOptions,
} from './types.js';
import { defaultCountSamples, disposeTensors, macrotask } from './internal/util.js';

/** A step whose loss is NaN or ±Infinity (with `onNonFiniteLoss: 'error'`); the weights were not updated. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    /** The step that failed (1-based: the step that would have been completed). */
    readonly step: number,
    readonly epoch: number,
    readonly loss: number,
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/** A resume refused because the checkpoint was made with different options. */
export class ResumeMismatchError extends Error {
  constructor(
    message: string,
    /** The option that differs (`accumulate`, `config.lr`, …). */
    readonly option: string,
  ) {
    super(message);
    this.name = 'ResumeMismatchError';
  }
}

/** Internal: a trainer's place among data-parallel replicas. */
export interface ReplicaRole {
  rank: number;
  world: number;
  /** The control buffer (barrier, failure flag) every replica shares. */
  control: SharedArrayBuffer;
  /** Whether this thread may block in `Atomics.wait` (workers, Node's main thread; not a page's main thread). */
  blocking: boolean;
  /** Rank 0: the other replicas. */
  group?: ReplicaGroup;
  /** The gradient exchange (made by rank 0 at the start of `fit`, handed to the others with their state). */
  exchange?: GradExchange;
  /** Time the phases of every step (fit's `profile`). */
  profile?: boolean;
}

/** Steps left out of the time-budget measurement (kernel warm-up, first allocations). */
const PLAN_SKIP = 3;
/** Steps timed for the time-budget plan. */
const PLAN_MEASURE = 20;
/** Share of the remaining budget the plan fills (the rest absorbs noise and the final checkpoint). */
const PLAN_FILL = 0.97;

class CarryStore implements Carry {
  readonly map = new Map<string, tf.Tensor>();
  private pending: tf.Tensor[] = [];

  get(name: string): tf.Tensor | undefined {
    return this.map.get(name);
  }
  set(name: string, t: tf.Tensor): void {
    if (typeof name !== 'string' || name === '') throw new Error(`carry.set: name '${String(name)}' must be non-empty`);
    if (!(t instanceof tf.Tensor)) throw new Error(`carry.set: the value for '${name}' is not a tf.Tensor`);
    if (t.isDisposed) throw new Error(`carry.set: the tensor for '${name}' is disposed`);
    const old = this.map.get(name);
    if (old === t) return;
    // Kept: it was probably made inside the step's gradient scope, which frees everything else.
    tf.keep(t);
    // The old value may still be an input of this step's graph: free it after the gradients.
    if (old !== undefined) this.pending.push(old);
    this.map.set(name, t);
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  delete(name: string): boolean {
    const old = this.map.get(name);
    if (old === undefined) return false;
    this.pending.push(old);
    this.map.delete(name);
    return true;
  }
  names(): string[] {
    return [...this.map.keys()];
  }
  /** Frees values replaced or deleted during the step (unless set again). */
  flush(): void {
    const live = new Set(this.map.values());
    for (const t of this.pending) if (!live.has(t) && !t.isDisposed) t.dispose();
    this.pending = [];
  }
  /** Replaces everything with copies of `tensors`. */
  replace(tensors: Map<string, tf.Tensor>): void {
    this.clear();
    for (const [k, v] of tensors) this.map.set(k, tf.clone(v));
  }
  clear(): void {
    for (const k of [...this.map.keys()]) this.delete(k);
    this.flush();
  }
}

function checkInt(fn: string, name: string, x: unknown, min: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
    throw new Error(`${fn}: ${name} = ${String(x)} must be an integer >= ${min}`);
  return x;
}

function checkPositive(fn: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
    throw new Error(`${fn}: ${name} = ${String(x)} must be a finite number > 0`);
  return x;
}

function toMap<V>(x: Record<string, V> | Map<string, V> | undefined): Map<string, V> {
  if (x === undefined) return new Map();
  return x instanceof Map ? new Map(x) : new Map(Object.entries(x));
}

/** The default evaluation reduction: means weighted by example counts. */
function weightedMean(perBatch: Array<{ metrics: Record<string, number>; samples: number }>): Record<string, number> {
  const sums = new Map<string, number>();
  const weights = new Map<string, number>();
  for (const { metrics, samples } of perBatch) {
    for (const [k, v] of Object.entries(metrics)) {
      sums.set(k, (sums.get(k) ?? 0) + v * samples);
      weights.set(k, (weights.get(k) ?? 0) + samples);
    }
  }
  const out: Record<string, number> = {};
  for (const [k, s] of sums) out[k] = s / weights.get(k)!;
  return out;
}

/**
 * The training loop as an object: {@link Trainer.fit} runs it; {@link Trainer.trainStep},
 * {@link Trainer.evaluate}, {@link Trainer.save} and {@link Trainer.restore} are the pieces, for loops
 * of your own. See {@link FitOptions} for the options.
 */
export class Trainer<M extends Module = Module, B = unknown, EB = B> {
  readonly model: M;
  readonly optimizer: Optimizer;
  /** Optimizer steps done (all sessions). */
  step = 0;
  /** The current epoch (0-based). */
  epoch = 0;
  /** Batches of the current epoch consumed. */
  batchIndex = 0;
  /** Per-step records (all sessions). */
  readonly steps: StepRecord[] = [];
  /** Evaluations (all sessions). */
  readonly evaluations: EvalRecord[] = [];
  /** Carried tensors (see {@link Carry}). */
  readonly carry: Carry;
  /** The plan of the run's length. */
  plan: Plan;
  /** Training seconds so far (all sessions). */
  trainSeconds = 0;
  private readonly o: FitOptions<M, B, EB>;
  private readonly carryStore = new CarryStore();
  private readonly vars: tf.Variable[];
  private readonly accumulate: number;
  private readonly batchesPerEpoch: number;
  private readonly stepsPerEpoch: number;
  private readonly cap: number;
  private readonly callbacks: Callbacks[];
  private readonly rngs: Map<string, Rng>;
  private readonly config: Record<string, unknown>;
  private readonly configHash: string;
  private readonly countSamples: (batch: B | EB) => number;
  private readonly clip?: GradientTransformation<ClipByGlobalNormState>;
  private readonly evalEvery: number;
  private readonly evalAtEpochEnd: boolean;
  private early: EarlyStoppingState | null;
  private iterator: AsyncIterator<B> | null = null;
  private startStep = 0;
  private lastCheckpoint: string | undefined;
  private resumedFrom: number | undefined;
  private pendingEvaluation: 'every' | 'epochEnd' | undefined;
  private disposed = false;
  /** Data-parallel replicas (internal: set by `fit` with `setup`/`replicas`). */
  private readonly role: ReplicaRole | undefined;
  /** Rank 0 after a restore: the other replicas' states from the checkpoint. */
  private restoredReplicas: ReplicaState[] | undefined;

  /** @param role internal: this trainer's place in a group of data-parallel replicas (see `fit`'s `replicas`) */
  constructor(opts: FitOptions<M, B, EB>, role?: ReplicaRole) {
    const fn = 'Trainer';
    if (opts === null || typeof opts !== 'object') throw new Error(`${fn}: options are required`);
    const { model, optimizer, train, loss } = opts;
    if (model === null || typeof model !== 'object' || typeof model.namedParameters !== 'function')
      throw new Error(`${fn}: model must be a @wordloom/core Module`);
    if (optimizer === null || typeof optimizer !== 'object' || typeof optimizer.step !== 'function')
      throw new Error(`${fn}: optimizer must be a @wordloom/optim Optimizer`);
    if (train === null || typeof train !== 'object' || !(Symbol.asyncIterator in train))
      throw new Error(`${fn}: train must be a DataLoader (an async iterable with length, state() and loadState())`);
    if (typeof loss !== 'function') throw new Error(`${fn}: loss must be a function (model, batch, ctx) => tf.Scalar`);
    let length: number;
    try {
      length = train.length;
    } catch (e) {
      throw new Error(
        `${fn}: train.length failed (${(e as Error).message}); fit needs a loader over a map-style dataset`,
      );
    }
    this.batchesPerEpoch = checkInt(fn, 'train.length', length, 1);
    if (typeof train.state !== 'function' || typeof train.loadState !== 'function')
      throw new Error(`${fn}: train must have state() and loadState() (a @wordloom/data DataLoader)`);
    this.model = model;
    this.optimizer = optimizer;
    this.o = opts;
    this.role = role !== undefined && role.world > 1 ? role : undefined;
    if (opts.slice !== undefined && typeof opts.slice !== 'function')
      throw new Error(`${fn}: slice must be a function (batch, start, end) => batch`);
    if (opts.sliceCost !== undefined && typeof opts.sliceCost !== 'function')
      throw new Error(`${fn}: sliceCost must be a function batch => one cost per row`);
    this.carry = this.carryStore;
    this.vars = [...optimizer.params.values()];
    if (this.vars.length === 0) throw new Error(`${fn}: the optimizer has no parameters`);
    this.accumulate = checkInt(fn, 'accumulate', opts.accumulate ?? 1, 1);
    this.stepsPerEpoch = Math.ceil(this.batchesPerEpoch / this.accumulate);
    if (opts.epochs !== undefined) checkInt(fn, 'epochs', opts.epochs, 1);
    if (opts.maxSteps !== undefined) checkInt(fn, 'maxSteps', opts.maxSteps, 1);
    if (opts.timeBudgetSeconds !== undefined) checkPositive(fn, 'timeBudgetSeconds', opts.timeBudgetSeconds);
    if (opts.epochs === undefined && opts.maxSteps === undefined && opts.timeBudgetSeconds === undefined)
      throw new Error(`${fn}: give epochs, maxSteps or timeBudgetSeconds (or several: the first reached stops)`);
    this.cap = Math.min(
      opts.maxSteps ?? Infinity,
      opts.epochs !== undefined ? opts.epochs * this.stepsPerEpoch : Infinity,
    );
    this.plan =
      opts.timeBudgetSeconds !== undefined
        ? { totalSteps: Number.isFinite(this.cap) ? this.cap : null, source: 'budget' }
        : { totalSteps: this.cap, source: 'fixed' };
    if (opts.clipNorm !== undefined)
      this.clip = clipByGlobalNorm({ maxNorm: checkPositive(fn, 'clipNorm', opts.clipNorm) });
    if (opts.schedule !== undefined && typeof opts.schedule !== 'function')
      throw new Error(`${fn}: schedule must be a function step => learning rate`);
    const ev = opts.evaluate;
    if (ev !== undefined) {
      if (ev === null || typeof ev !== 'object' || ev.loader == null)
        throw new Error(`${fn}: evaluate.loader is required`);
      if (typeof ev.metrics !== 'function')
        throw new Error(`${fn}: evaluate.metrics must be a function (model, batch) => Record<string, number>`);
      this.evalEvery = checkInt(fn, 'evaluate.every', ev.every ?? 0, 0);
      this.evalAtEpochEnd = ev.atEpochEnd ?? this.evalEvery === 0;
      if (ev.reduce !== undefined && typeof ev.reduce !== 'function')
        throw new Error(`${fn}: evaluate.reduce must be a function`);
    } else {
      this.evalEvery = 0;
      this.evalAtEpochEnd = false;
    }
    const es = opts.earlyStopping;
    if (es !== undefined) {
      if (ev === undefined) throw new Error(`${fn}: earlyStopping needs evaluate (it watches an evaluation metric)`);
      if (typeof es.metric !== 'string' || es.metric === '')
        throw new Error(`${fn}: earlyStopping.metric must be a metric name`);
      if (es.mode !== 'min' && es.mode !== 'max')
        throw new Error(`${fn}: earlyStopping.mode = ${String(es.mode)} must be 'min' or 'max'`);
      checkInt(fn, 'earlyStopping.patience', es.patience ?? 3, 1);
      const d = es.minDelta ?? 0;
      if (typeof d !== 'number' || !(d >= 0) || !Number.isFinite(d))
        throw new Error(`${fn}: earlyStopping.minDelta = ${String(d)} must be a finite number >= 0`);
      this.early = { best: null, bestStep: null, wait: 0, stopped: false };
    } else this.early = null;
    const ck = opts.checkpoint;
    if (ck !== undefined) {
      const s = ck?.storage;
      if (
        s === null ||
        typeof s !== 'object' ||
        typeof s.read !== 'function' ||
        typeof s.write !== 'function' ||
        typeof s.list !== 'function' ||
        typeof s.remove !== 'function'
      )
        throw new Error(`${fn}: checkpoint.storage must have read, write, list and remove (e.g. memoryStorage())`);
      checkInt(fn, 'checkpoint.every', ck.every ?? 0, 0);
      checkInt(fn, 'checkpoint.keep', ck.keep ?? 2, 1);
    }
    if (opts.resume && ck === undefined) throw new Error(`${fn}: resume needs checkpoint.storage`);
    if (opts.onNonFiniteLoss !== undefined && opts.onNonFiniteLoss !== 'error' && opts.onNonFiniteLoss !== 'skip')
      throw new Error(`${fn}: onNonFiniteLoss = ${String(opts.onNonFiniteLoss)} must be 'error' or 'skip'`);
    const cbs = opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
    cbs.forEach((c, i) => {
      if (c === null || typeof c !== 'object') throw new Error(`${fn}: callbacks[${i}] is not an object of callbacks`);
    });
    this.callbacks = cbs;
    this.rngs = toMap(opts.rngs);
    for (const [k, r] of this.rngs) {
      if (r === null || typeof r !== 'object' || typeof r.getState !== 'function' || typeof r.setState !== 'function')
        throw new Error(`${fn}: rngs['${k}'] is not an Rng (needs getState/setState)`);
    }
    if (opts.countSamples !== undefined && typeof opts.countSamples !== 'function')
      throw new Error(`${fn}: countSamples must be a function batch => number`);
    this.countSamples = opts.countSamples ?? defaultCountSamples;
    if (opts.config !== undefined && (opts.config === null || typeof opts.config !== 'object'))
      throw new Error(`${fn}: config must be an object of JSON values`);
    this.config = this.makeConfig();
    this.configHash = fnv1a(canonicalJson(this.config));
  }

  /** The options whose change would change the trajectory: a resume must match them. */
  private makeConfig(): Record<string, unknown> {
    const o = this.o;
    const c: Record<string, unknown> = {
      epochs: o.epochs ?? null,
      maxSteps: o.maxSteps ?? null,
      timeBudgetSeconds: o.timeBudgetSeconds ?? null,
      accumulate: this.accumulate,
      clipNorm: o.clipNorm ?? null,
      'train.length': this.batchesPerEpoch,
      'evaluate.every': this.evalEvery,
      'evaluate.atEpochEnd': this.evalAtEpochEnd,
      earlyStopping: o.earlyStopping
        ? {
            metric: o.earlyStopping.metric,
            mode: o.earlyStopping.mode,
            patience: o.earlyStopping.patience ?? 3,
            minDelta: o.earlyStopping.minDelta ?? 0,
          }
        : null,
      onNonFiniteLoss: o.onNonFiniteLoss ?? 'error',
      rngs: [...this.rngs.keys()].sort(),
      parameters: [...this.optimizer.params].map(([n, v]) => `${n}:[${v.shape.join(',')}]`),
    };
    // Only with several replicas, so that the hash of a one-replica run is what it always was.
    if (this.role !== undefined) c.replicas = this.role.world;
    for (const [k, v] of Object.entries(o.config ?? {})) c[`config.${k}`] = v === undefined ? null : v;
    // A value JSON cannot hold (a function, a class instance with cycles) would make the check meaningless.
    canonicalJson(c);
    return c;
  }

  /** The planned total number of steps (`Infinity` while a time budget is not planned yet). */
  get totalSteps(): number {
    return this.plan.totalSteps ?? Infinity;
  }

  private info(): TrainInfo {
    return {
      step: this.step,
      epoch: this.epoch,
      batchIndex: this.batchIndex,
      batchesPerEpoch: this.batchesPerEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      totalSteps: this.totalSteps,
      ...(this.o.epochs !== undefined ? { epochs: this.o.epochs } : {}),
      startStep: this.startStep,
      trainSeconds: this.trainSeconds,
    };
  }

  private async emit<K extends keyof Callbacks>(
    name: K,
    ...args: Parameters<NonNullable<Callbacks[K]>>
  ): Promise<void> {
    for (const c of this.callbacks) {
      const f = c[name] as ((...a: unknown[]) => void | Promise<void>) | undefined;
      if (f !== undefined) await f.apply(c, args);
    }
  }

  private applyPlan(): void {
    const s = this.o.schedule;
    if (isPlannedSchedule(s) && this.plan.totalSteps !== null && Number.isFinite(this.plan.totalSteps))
      s.plan(this.plan.totalSteps);
  }

  private lrAt(count: number): number | undefined {
    const s: Schedule | undefined = this.o.schedule;
    return s === undefined ? undefined : s(count);
  }

  /**
   * One optimizer step over `batches` (micro-batches whose gradients are averaged): forward, backward,
   * clipping, the optimizer's update. Advances {@link step} and records the step; does not dispose the
   * batches, touch the loader, evaluate or save.
   * @throws NonFiniteLossError (the weights are left unchanged), or NonFiniteGradientError naming the step
   */
  async trainStep(batches: B[]): Promise<StepRecord> {
    this.checkAlive('trainStep');
    const fn = 'fit';
    const n = batches.length;
    if (n === 0) throw new Error('Trainer.trainStep: batches is empty');
    const firstBatch = this.batchIndex - n;
    const where = `step ${this.step + 1} (epoch ${this.epoch}, batch ${Math.max(firstBatch, 0)}${n > 1 ? `–${Math.max(firstBatch, 0) + n - 1}` : ''})`;
    this.announceStep(firstBatch, n);
    const lossValues: tf.Scalar[] = [];
    let grads = new Map<string, tf.Tensor>();
    let samples = 0;
    let gradNorm: number | undefined;
    try {
      let loss: number;
      if (this.role !== undefined) {
        const r = await this.replicaGrads(batches, firstBatch, where);
        grads = r.grads;
        loss = r.loss;
        samples = r.samples;
      } else {
        for (let i = 0; i < n; i++) {
          const batch = batches[i];
          const { value, grads: g } = tf.variableGrads(
            () => this.lossOf(batch, this.context(firstBatch, i, n), where),
            this.vars,
          );
          lossValues.push(value);
          for (const [k, t] of Object.entries(g)) {
            const prev = grads.get(k);
            if (prev === undefined) grads.set(k, t);
            else {
              grads.set(k, tf.add(prev, t));
              prev.dispose();
              t.dispose();
            }
          }
          samples += this.countSamples(batch);
        }
        if (n > 1) {
          const avg = new Map<string, tf.Tensor>();
          for (const [k, t] of grads) avg.set(k, tf.div(t, n));
          for (const t of grads.values()) t.dispose();
          grads = avg;
        }
        const lossT = n === 1 ? lossValues[0] : tf.tidy(() => tf.div(tf.addN(lossValues), n) as tf.Scalar);
        loss = (await lossT.data())[0];
        if (lossT !== lossValues[0]) lossT.dispose();
      }
      const lrCount = this.optimizer.stepCount;
      const record: StepRecord = { step: this.step + 1, epoch: this.epoch, loss, samples };
      const lr = this.lrAt(lrCount);
      if (lr !== undefined) record.lr = lr;
      if (!Number.isFinite(loss)) {
        if ((this.o.onNonFiniteLoss ?? 'error') === 'error')
          throw new NonFiniteLossError(
            `${fn}: the loss is ${loss} at ${where}; the weights were not updated (a smaller learning rate, clipNorm, or onNonFiniteLoss: 'skip')`,
            this.step + 1,
            this.epoch,
            loss,
          );
        record.skipped = true;
      } else {
        if (this.clip !== undefined) {
          const { updates, state } = this.clip.update(grads, { globalNorm: undefined as unknown as tf.Scalar });
          gradNorm = (await state.globalNorm.data())[0];
          state.globalNorm.dispose();
          for (const t of grads.values()) t.dispose();
          grads = updates;
          record.gradNorm = gradNorm;
        }
        let info;
        try {
          info = this.optimizer.step(grads);
        } catch (e) {
          if (e instanceof NonFiniteGradientError) throw new NonFiniteGradientError(`${fn}: ${where}`, e.names);
          throw e;
        }
        if (info.skipped) record.skipped = true;
      }
      const prof = this.role?.exchange?.profiler;
      if (prof !== undefined) {
        prof.lap('optimizer');
        prof.seconds.steps++;
      }
      this.step++;
      this.steps.push(record);
      return record;
    } finally {
      for (const t of grads.values()) t.dispose();
      for (const t of lossValues) if (!t.isDisposed) t.dispose();
      this.carryStore.flush();
    }
  }

  /** The step rank 0 last announced to the other replicas (-1: none yet). */
  private announcedStep = -1;

  /**
   * Rank 0 tells the other replicas which step to take (they read the same batches from their own loaders) —
   * once per step, as early as possible: `fit` announces before loading the batches, so that the replicas load
   * theirs at the same time instead of after rank 0.
   */
  private announceStep(firstBatch: number, n: number): void {
    const group = this.role?.group;
    if (group === undefined || this.announcedStep === this.step) return;
    group.post({
      kind: 'step',
      step: this.step,
      epoch: this.epoch,
      batchIndex: Math.max(firstBatch, 0),
      batches: n,
      plan: this.plan,
    });
    this.announcedStep = this.step;
  }

  /** The context of micro-batch `i` of `n` whose first batch has index `firstBatch` in the epoch. */
  private context(firstBatch: number, i: number, n: number): StepContext {
    return {
      step: this.step,
      epoch: this.epoch,
      batchIndex: Math.max(firstBatch, 0) + i,
      micro: i,
      microBatches: n,
      totalSteps: this.totalSteps,
      carry: this.carry,
    };
  }

  /** The user's loss, checked to be a scalar tensor. */
  private lossOf(batch: B, ctx: StepContext, where: string): tf.Scalar {
    const l = this.o.loss(this.model, batch, ctx);
    if (!(l instanceof tf.Tensor) || l.rank !== 0)
      throw new Error(
        `fit: loss returned ${l instanceof tf.Tensor ? `a tensor of shape [${l.shape}]` : typeof l} at ${where}; expected a scalar tf.Tensor`,
      );
    return l as tf.Scalar;
  }

  /** Gradient numbers of all trainable variables, in the optimizer's order. */
  private get floats(): number {
    let n = 0;
    for (const v of this.vars) n += v.size;
    return n;
  }

  /**
   * One step's gradients with replicas: this replica's slice of every micro-batch, each gradient weighted by
   * (its rows / the batch's rows) / micro-batches, then summed over the replicas in rank order through the shared
   * buffer — the mean gradient one replica would compute on the whole batches, and the same floats on every replica.
   */
  private async replicaGrads(
    batches: B[],
    firstBatch: number,
    where: string,
  ): Promise<{ grads: Map<string, tf.Tensor>; loss: number; samples: number }> {
    const role = this.role!;
    const ex = role.exchange;
    if (ex === undefined) throw new Error(`fit: replica ${role.rank} has no gradient buffer yet (internal error)`);
    const prof = ex.profiler;
    const n = batches.length;
    // The gradients go straight into this replica's slot of the shared buffer (no private copy). With one
    // micro-batch as they are (a memcpy per variable) and the exchange applies this replica's weight while summing;
    // with accumulation weighted and added up here (weight 1 in the exchange). The summed floats are the same.
    const slot = ex.slot();
    const present = new Uint8Array(this.vars.length);
    const raw = n === 1;
    let weight = 1;
    let lossLocal = 0;
    let samples = 0;
    for (let i = 0; i < n; i++) {
      const batch = batches[i];
      const rows = this.countSamples(batch);
      samples += rows;
      const [a, e] = this.o.sliceCost ? this.balanced(batch, rows, role) : sliceRange(rows, role.rank, role.world);
      if (a >= e) continue;
      const part = this.o.slice ? this.o.slice(batch, a, e) : sliceBatch(batch, a, e, rows);
      prof?.lap('slice');
      try {
        const { value, grads } = tf.variableGrads(
          () => this.lossOf(part, this.context(firstBatch, i, n), where),
          this.vars,
        );
        const w = (e - a) / rows / n;
        lossLocal += w * value.dataSync()[0];
        value.dispose();
        prof?.lap('compute');
        if (raw) weight = w;
        let off = 0;
        this.vars.forEach((v, j) => {
          const g = grads[v.name];
          if (g !== undefined) {
            const d = readFloat32View(g); // read at once: no tfjs call until the loop is done
            if (raw) slot.set(d, off);
            else if (present[j]) for (let k = 0; k < d.length; k++) slot[off + k] += w * d[k];
            else for (let k = 0; k < d.length; k++) slot[off + k] = w * d[k];
            present[j] = 1;
          }
          off += v.size;
        });
        for (const g of Object.values(grads)) g.dispose();
        prof?.lap('pack');
      } finally {
        // Tensors the slicing made (not the batch's own) go now.
        const own = tensorsIn(batch);
        for (const t of tensorsIn(part)) if (!own.has(t) && !t.isDisposed) t.dispose();
      }
    }
    // A variable without a gradient here adds nothing (its part of the slot still holds the previous step's numbers).
    let off = 0;
    this.vars.forEach((v, j) => {
      if (!present[j]) slot.fill(0, off, off + v.size);
      off += v.size;
    });
    prof?.lap('pack');
    const r = await ex.allReduce(present, lossLocal, role.blocking, weight);
    // The sum is a view of the shared buffer that the next step overwrites: the wasm backend copies it into its
    // heap when the tensor is made; cpu (and the GPU backends, before their upload) would keep the view itself.
    const copy = tf.getBackend() !== 'wasm';
    const grads = new Map<string, tf.Tensor>();
    off = 0;
    this.vars.forEach((v, j) => {
      if (r.present[j]) {
        const view = r.sum.subarray(off, off + v.size);
        grads.set(v.name, tf.tensor(copy ? view.slice() : view, v.shape, 'float32'));
      }
      off += v.size;
    });
    prof?.lap('unpack');
    return { grads, loss: r.loss, samples };
  }

  /** This replica's rows of `batch` by `sliceCost` (contiguous slices of about equal cost). */
  private balanced(batch: B, rows: number, role: ReplicaRole): [number, number] {
    const costs = this.o.sliceCost!(batch);
    if (costs === null || typeof costs !== 'object' || costs.length !== rows)
      throw new Error(
        `fit: sliceCost returned ${costs === null || typeof costs !== 'object' ? String(costs) : `${costs.length} costs`} for a batch of ${rows} rows; expected one cost per row`,
      );
    return balancedRange(costs, role.rank, role.world);
  }

  /** Rank 0 at the start of `fit`: hands its state (and, after a resume, each replica's own) to the replicas. */
  private async startReplicas(): Promise<void> {
    const role = this.role;
    if (role?.group === undefined) return;
    const floats = this.floats;
    const data = new SharedArrayBuffer(GradExchange.bytes(role.world, floats, this.vars.length));
    role.exchange = new GradExchange(
      role.group.control,
      data,
      0,
      role.world,
      floats,
      this.vars.length,
      role.profile === true,
    );
    const checkpoint = writeCheckpoint(this.model, this.optimizer, new Map(), this.meta('train'));
    const own = this.restoredReplicas;
    role.group.postEach((rank) => {
      const mine = own?.find((s) => s.rank === rank);
      return { kind: 'load', checkpoint, data, floats, vars: this.vars.length, ...(mine ? { own: mine } : {}) };
    });
    await role.group.all('loaded');
  }

  /** A replica other than rank 0: takes rank 0's state (and its own generators and carry, after a resume). */
  replicaLoad(m: LoadMessage): void {
    const role = this.role;
    if (role === undefined) throw new Error('Trainer.replicaLoad: not a replica');
    if (m.floats !== this.floats || m.vars !== this.vars.length)
      throw new Error(
        `fit: replica ${role.rank} has ${this.vars.length} variables with ${this.floats} numbers, rank 0 has ${m.vars} with ${m.floats}; setup must build the same model on every replica`,
      );
    const c = readCheckpoint(m.checkpoint);
    try {
      this.model.loadStateDict(c.model);
      this.optimizer.loadStateDict(c.optim);
      this.o.train.loadState(c.meta.loader);
      this.step = c.meta.step;
      this.epoch = c.meta.epoch;
      this.batchIndex = c.meta.batchIndex;
      this.plan = c.meta.plan;
      this.applyPlan();
      if (m.own !== undefined) {
        this.model.loadRngStates(m.own.rngs.model);
        globalRng().setState(m.own.rngs.global);
        for (const [k, r] of this.rngs) {
          const st = m.own.rngs.extra[k];
          if (st === undefined) throw new Error(`fit: replica ${role.rank} has no saved state for rngs['${k}']`);
          r.setState(st);
        }
        const carry = new Map(m.own.carry.map((s) => [s.name, deserializeTensor(s)]));
        this.carryStore.replace(carry);
        for (const t of carry.values()) t.dispose();
      }
    } finally {
      for (const t of c.model.values()) t.dispose();
      for (const t of c.optim.tensors.values()) t.dispose();
      for (const t of c.carry.values()) t.dispose();
    }
    role.exchange = new GradExchange(
      role.control,
      m.data,
      role.rank,
      role.world,
      m.floats,
      m.vars,
      role.profile === true,
    );
  }

  /** A replica other than rank 0: the step rank 0 announced, on this replica's slice of the same batches. */
  async replicaStep(m: StepMessage): Promise<void> {
    const role = this.role;
    if (role === undefined) throw new Error('Trainer.replicaStep: not a replica');
    if (m.epoch !== this.epoch) {
      await this.closeIterator();
      this.epoch = m.epoch;
      this.batchIndex = 0;
    }
    if (m.batchIndex !== this.batchIndex)
      throw new Error(
        `fit: replica ${role.rank} is at batch ${this.batchIndex} of epoch ${this.epoch}, rank 0 at batch ${m.batchIndex}`,
      );
    this.step = m.step;
    if (canonicalJson(m.plan) !== canonicalJson(this.plan)) {
      this.plan = m.plan;
      this.applyPlan();
    }
    const group: B[] = [];
    const prof = role.exchange?.profiler;
    try {
      prof?.lap('between');
      for (let i = 0; i < m.batches; i++) group.push(await this.nextBatch());
      prof?.lap('data');
      await this.trainStep(group);
    } finally {
      if (this.o.disposeBatches !== false) for (const b of group) disposeTensors(b);
    }
  }

  /** A replica's generators and carried tensors (rank 0 gathers them into checkpoints). */
  replicaState(): ReplicaState {
    return {
      rank: this.role?.rank ?? 0,
      rngs: this.snapshotRngs(),
      carry: [...this.carryStore.map].map(([k, t]) => serializeTensor(k, t)),
    };
  }

  /** A replica's exchange counters (undefined without replicas). */
  get replicaStats(): ExchangeStats | undefined {
    return this.role?.exchange?.stats;
  }

  /** Closes the training loader's iteration (a replica at the end of the run). */
  async finishReplica(): Promise<void> {
    await this.closeIterator();
  }

  private get signal(): AbortSignal | undefined {
    return this.o.signal;
  }

  /**
   * Runs the evaluation now (model in `eval()` mode, restored after) and returns the reduced metrics, or
   * `undefined` if the signal aborted it (checked between batches). Records nothing; `fit` records.
   */
  async evaluate(): Promise<Record<string, number> | undefined> {
    this.checkAlive('evaluate');
    const ev = this.o.evaluate;
    if (ev === undefined) throw new Error('Trainer.evaluate: no evaluate option was given');
    const wasTraining = this.model.training;
    this.model.eval();
    const perBatch: Array<{ metrics: Record<string, number>; samples: number }> = [];
    const src = typeof ev.loader.iterate === 'function' ? ev.loader.iterate(0) : ev.loader;
    const it =
      Symbol.asyncIterator in src
        ? (src as AsyncIterable<EB>)[Symbol.asyncIterator]()
        : (src as Iterable<EB>)[Symbol.iterator]();
    let aborted = false;
    try {
      for (let i = 0; ; i++) {
        if (this.signal?.aborted) {
          aborted = true;
          break;
        }
        const r = await it.next();
        if (r.done) break;
        const batch = r.value;
        try {
          tf.engine().startScope();
          let m: Record<string, number>;
          try {
            m = await ev.metrics(this.model, batch);
          } finally {
            tf.engine().endScope();
          }
          if (m === null || typeof m !== 'object')
            throw new Error(`fit: evaluate.metrics returned ${String(m)} for batch ${i}; expected { name: number }`);
          for (const [k, v] of Object.entries(m)) {
            if (typeof v !== 'number')
              throw new Error(`fit: evaluate.metrics returned ${k} = ${String(v)} for batch ${i}; expected a number`);
          }
          perBatch.push({ metrics: m, samples: this.countSamples(batch) });
        } finally {
          if (this.o.disposeBatches !== false) disposeTensors(batch);
        }
        // Let an abort (Ctrl-C handler, a button) in between batches.
        await macrotask();
      }
    } finally {
      if (aborted || this.signal?.aborted) await it.return?.();
      this.model.train(wasTraining);
    }
    if (aborted) return undefined;
    if (perBatch.length === 0) throw new Error('fit: the evaluation loader gave no batches');
    return (ev.reduce ?? weightedMean)(perBatch);
  }

  private checkAlive(fn: string): void {
    if (this.disposed) throw new Error(`Trainer.${fn}: the trainer was disposed`);
  }

  private snapshotRngs(): CheckpointMeta['rngs'] {
    const extra: Record<string, RngState> = {};
    for (const [k, r] of this.rngs) extra[k] = r.getState();
    return {
      model: Object.fromEntries(this.model.rngStates()),
      global: globalRng().getState(),
      extra,
    };
  }

  private meta(phase: 'train' | 'evaluate', rngs = this.snapshotRngs(), loader = this.o.train.state()): CheckpointMeta {
    return {
      format: CHECKPOINT_FORMAT,
      step: this.step,
      epoch: this.epoch,
      batchIndex: this.batchIndex,
      phase,
      ...(phase === 'evaluate' && this.pendingEvaluation ? { pendingEvaluation: this.pendingEvaluation } : {}),
      loader,
      rngs,
      plan: this.plan,
      steps: this.steps,
      evaluations: this.evaluations,
      earlyStopping: this.early,
      trainSeconds: this.trainSeconds,
      config: this.config,
      configHash: this.configHash,
    };
  }

  /**
   * Writes a checkpoint of the current state to `checkpoint.storage` (atomically, as the storage writes),
   * deletes all but the newest `keep`, and returns its name.
   */
  async save(meta: CheckpointMeta = this.meta('train')): Promise<string> {
    this.checkAlive('save');
    const ck = this.o.checkpoint;
    if (ck === undefined) throw new Error('Trainer.save: no checkpoint option was given');
    let bytes: Uint8Array;
    if (this.role?.group !== undefined) {
      // Every replica's generators and carried tensors (each holds its own rows' TBPTT state).
      const states = await this.role.group.states();
      const extra = new Map<string, tf.Tensor>();
      try {
        for (const st of states)
          for (const t of st.carry) extra.set(`replicas.${st.rank}.carry.${t.name}`, deserializeTensor(t));
        bytes = writeCheckpoint(
          this.model,
          this.optimizer,
          this.carryStore.map,
          { ...meta, replicas: states.map((st) => ({ rank: st.rank, rngs: st.rngs })) },
          extra,
        );
      } finally {
        for (const t of extra.values()) t.dispose();
      }
    } else bytes = writeCheckpoint(this.model, this.optimizer, this.carryStore.map, meta);
    const name = checkpointName(meta.step);
    await ck.storage.write(name, bytes);
    const names = checkpointNames(await ck.storage.list());
    const keep = ck.keep ?? 2;
    for (const old of names.slice(0, Math.max(0, names.length - keep))) if (old !== name) await ck.storage.remove(old);
    this.lastCheckpoint = name;
    this.savedKey = meta.phase === 'train' ? this.stateKey() : '';
    await this.emit('onCheckpoint', name, this.info());
    return name;
  }

  /**
   * Loads the newest checkpoint in `checkpoint.storage` into the model, optimizer, generators, loader and
   * carry, and this trainer's counters and history. Returns false if there is none.
   * @throws ResumeMismatchError naming the option when the checkpoint was made with different options
   */
  async restore(): Promise<boolean> {
    this.checkAlive('restore');
    const ck = this.o.checkpoint;
    if (ck === undefined) throw new Error('Trainer.restore: no checkpoint option was given');
    const names = checkpointNames(await ck.storage.list());
    if (names.length === 0) return false;
    const name = names[names.length - 1];
    const bytes = await ck.storage.read(name);
    if (bytes === undefined) throw new Error(`Trainer.restore: checkpoint '${name}' is listed but cannot be read`);
    const c = readCheckpoint(bytes);
    try {
      const m = c.meta;
      if (m.configHash !== this.configHash) {
        const diff = configDifference(m.config ?? {}, this.config) ?? 'the config hash differs';
        const option = /^'([^']+)'/.exec(diff)?.[1] ?? 'config';
        throw new ResumeMismatchError(
          `fit: cannot resume from '${name}': option ${diff}; resume with the same options, or start a new run in another storage`,
          option,
        );
      }
      // Each part checks its input before writing it (the model its names and shapes, the optimizer its state's
      // structure, the generators their states), in this order; a checkpoint that fails part-way leaves the
      // parts before it restored: start again from fresh objects then.
      this.model.loadStateDict(c.model);
      this.optimizer.loadStateDict(c.optim);
      this.model.loadRngStates(m.rngs.model);
      globalRng().setState(m.rngs.global);
      for (const [k, r] of this.rngs) {
        const st = m.rngs.extra[k];
        if (st === undefined) throw new Error(`fit: checkpoint '${name}' has no state for rngs['${k}']`);
        r.setState(st);
      }
      this.o.train.loadState(m.loader);
      this.carryStore.replace(c.carry);
      if (this.role !== undefined) {
        const saved = m.replicas ?? [];
        this.restoredReplicas = [];
        for (let rank = 1; rank < this.role.world; rank++) {
          const st = saved.find((x) => x.rank === rank);
          if (st === undefined) throw new Error(`fit: checkpoint '${name}' has no state for replica ${rank}`);
          const carry = c.replicaCarry.get(rank) ?? new Map<string, tf.Tensor>();
          this.restoredReplicas.push({
            rank,
            rngs: st.rngs,
            carry: [...carry].map(([k, t]) => serializeTensor(k, t)),
          });
        }
      }
      this.step = m.step;
      this.epoch = m.epoch;
      this.batchIndex = m.batchIndex;
      this.plan = m.plan;
      this.steps.splice(0, this.steps.length, ...m.steps);
      this.evaluations.splice(0, this.evaluations.length, ...m.evaluations);
      this.early = m.earlyStopping;
      this.trainSeconds = m.trainSeconds;
      this.pendingEvaluation = m.phase === 'evaluate' ? m.pendingEvaluation : undefined;
      this.lastCheckpoint = name;
      this.resumedFrom = m.step;
      this.applyPlan();
      return true;
    } finally {
      for (const t of c.model.values()) t.dispose();
      for (const t of c.optim.tensors.values()) t.dispose();
      for (const t of c.carry.values()) t.dispose();
      for (const m of c.replicaCarry.values()) for (const t of m.values()) t.dispose();
    }
  }

  /** Records an evaluation and updates early stopping; returns whether to stop. */
  private async record(metrics: Record<string, number>, trigger: 'every' | 'epochEnd'): Promise<boolean> {
    const rec: EvalRecord = { step: this.step, epoch: this.epoch, trigger, metrics };
    this.evaluations.push(rec);
    await this.emit('onEvaluate', rec, this.info());
    const es = this.o.earlyStopping;
    if (es === undefined || this.early === null) return false;
    const v = metrics[es.metric];
    if (typeof v !== 'number')
      throw new Error(
        `fit: earlyStopping.metric '${es.metric}' is not among the evaluation metrics (${Object.keys(metrics).join(', ')})`,
      );
    const d = es.minDelta ?? 0;
    const st = this.early;
    const better = st.best === null || (es.mode === 'min' ? v < st.best - d : v > st.best + d);
    if (better) {
      st.best = v;
      st.bestStep = this.step;
      st.wait = 0;
    } else st.wait++;
    if (st.wait >= (es.patience ?? 3)) st.stopped = true;
    return st.stopped;
  }

  /**
   * Runs an evaluation inside `fit`: snapshot first, so that an abort saves the state from before it
   * (the resumed run evaluates again). Returns 'aborted', 'stop' (early stopping) or 'go'.
   */
  private async runEvaluation(trigger: 'every' | 'epochEnd'): Promise<'aborted' | 'stop' | 'go'> {
    const rngs = this.snapshotRngs();
    const loader = this.o.train.state();
    this.pendingEvaluation = trigger;
    await this.emit('onEvaluateStart', this.info());
    const metrics = await this.evaluate();
    if (metrics === undefined) {
      if (this.o.checkpoint) await this.save(this.meta('evaluate', rngs, loader));
      return 'aborted';
    }
    this.pendingEvaluation = undefined;
    const stop = await this.record(metrics, trigger);
    // After an epoch-end evaluation the checkpoint is written once the epoch is closed (endEpoch), so that a
    // run resumed from it does not evaluate that epoch again.
    if (trigger === 'every' && this.o.checkpoint && (this.o.checkpoint.afterEvaluate ?? true)) await this.save();
    return stop ? 'stop' : 'go';
  }

  /**
   * The end of an epoch: its evaluation (if `atEpochEnd`), then `onEpochEnd`. An abort during the evaluation
   * leaves the epoch open (the resumed run evaluates again); early stopping still closes it, as Keras calls
   * `on_epoch_end` before stopping.
   */
  private async endEpoch(): Promise<'aborted' | 'stop' | 'go'> {
    let r: 'aborted' | 'stop' | 'go' = 'go';
    const evaluated = this.evalAtEpochEnd;
    if (evaluated && !this.pendingEvaluationDone) {
      r = await this.runEvaluation('epochEnd');
      if (r === 'aborted') return r;
    }
    this.pendingEvaluationDone = false;
    const done = this.epoch;
    this.epoch++;
    this.batchIndex = 0;
    await this.emit('onEpochEnd', done, this.info());
    if (evaluated && this.o.checkpoint && (this.o.checkpoint.afterEvaluate ?? true)) await this.save();
    return r;
  }
  private pendingEvaluationDone = false;

  private async closeIterator(): Promise<void> {
    const it = this.iterator;
    this.iterator = null;
    if (it !== null) await it.return?.();
  }

  private async nextBatch(): Promise<B> {
    if (this.iterator === null) this.iterator = this.o.train[Symbol.asyncIterator]();
    const r = await this.iterator.next();
    if (r.done)
      throw new Error(
        `fit: the train loader ended after ${this.batchIndex} batches of epoch ${this.epoch}, but its length is ${this.batchesPerEpoch}`,
      );
    this.batchIndex++;
    return r.value;
  }

  /** Runs the loop (see {@link fit}). Resolves with the history; an abort resolves too (`stopReason: 'aborted'`). */
  async fit(): Promise<History> {
    this.checkAlive('fit');
    const o = this.o;
    if (o.resume) await this.restore();
    this.startStep = this.step;
    this.applyPlan();
    await this.startReplicas();
    await this.emit('onTrainStart', this.info());
    let reason: StopReason | undefined;
    const budget = o.timeBudgetSeconds;
    let planT0 = NaN;
    this.model.train();
    const prof = this.role?.exchange?.profiler;
    prof?.mark();
    try {
      // An evaluation the previous session was interrupted in runs first.
      if (this.pendingEvaluation !== undefined) {
        const trigger = this.pendingEvaluation;
        const r = await this.runEvaluation(trigger);
        if (r === 'aborted') reason = 'aborted';
        else if (r === 'stop') reason = 'earlyStopping';
        else if (trigger === 'epochEnd') this.pendingEvaluationDone = true;
      }
      while (reason === undefined) {
        if (this.batchIndex >= this.batchesPerEpoch) {
          await this.closeIterator();
          const r = await this.endEpoch();
          if (r === 'aborted') reason = 'aborted';
          else if (r === 'stop') reason = 'earlyStopping';
          else if (o.epochs !== undefined && this.epoch >= o.epochs) reason = 'completed';
          if (reason !== undefined) break;
        }
        if (this.step >= this.totalSteps) {
          reason =
            this.plan.source === 'budget'
              ? 'timeBudget'
              : o.maxSteps !== undefined && this.step >= o.maxSteps
                ? 'maxSteps'
                : 'completed';
          break;
        }
        if (this.signal?.aborted) {
          reason = 'aborted';
          break;
        }
        if (budget !== undefined && this.trainSeconds >= budget) {
          reason = 'timeBudget';
          break;
        }
        prof?.lap('between');
        const t0 = performance.now();
        const k = Math.min(this.accumulate, this.batchesPerEpoch - this.batchIndex);
        const group: B[] = [];
        let rec: StepRecord;
        try {
          this.announceStep(this.batchIndex, k);
          for (let i = 0; i < k; i++) group.push(await this.nextBatch());
          prof?.lap('data');
          rec = await this.trainStep(group);
        } finally {
          if (o.disposeBatches !== false) for (const b of group) disposeTensors(b);
        }
        this.trainSeconds += (performance.now() - t0) / 1000;
        await this.emit('onStepEnd', rec, this.info());
        // The time-budget plan: time steps PLAN_SKIP..PLAN_SKIP+PLAN_MEASURE of this session.
        const done = this.step - this.startStep;
        if (budget !== undefined && this.plan.madeAt === undefined && this.plan.source === 'budget') {
          if (done === PLAN_SKIP) planT0 = this.trainSeconds;
          else if (done === PLAN_SKIP + PLAN_MEASURE && Number.isFinite(planT0)) {
            const perStep = (this.trainSeconds - planT0) / PLAN_MEASURE;
            const left = Math.max(0, budget - this.trainSeconds);
            const planned = Math.min(this.cap, this.step + Math.max(1, Math.floor((PLAN_FILL * left) / perStep)));
            this.plan = { totalSteps: planned, source: 'budget', secondsPerStep: perStep, madeAt: this.step };
            this.applyPlan();
          }
        }
        if (this.evalEvery > 0 && this.step % this.evalEvery === 0) {
          const r = await this.runEvaluation('every');
          if (r === 'aborted') reason = 'aborted';
          else if (r === 'stop') reason = 'earlyStopping';
          if (reason !== undefined) break;
        }
        const every = o.checkpoint?.every ?? 0;
        if (every > 0 && this.step % every === 0) await this.save();
        // Let the event loop run: a SIGINT handler or a button's abort() fires only between macrotasks.
        await macrotask();
      }
      await this.closeIterator();
      const evalAborted = reason === 'aborted' && this.pendingEvaluation !== undefined;
      if (o.checkpoint && !evalAborted && this.savedKey !== this.stateKey()) await this.save();
    } catch (e) {
      await this.closeIterator().catch(() => {});
      throw e;
    }
    const history: History = {
      steps: this.steps,
      evaluations: this.evaluations,
      step: this.step,
      epoch: this.epoch,
      stopReason: reason,
      totalSteps: Number.isFinite(this.totalSteps) ? this.totalSteps : this.step,
      ...(this.resumedFrom !== undefined ? { resumedFrom: this.resumedFrom } : {}),
      ...(this.lastCheckpoint !== undefined ? { checkpoint: this.lastCheckpoint } : {}),
      ...(this.role?.exchange !== undefined ? { replicas: { ...this.role.exchange.stats } } : {}),
    };
    await this.emit('onTrainEnd', history, this.info());
    return history;
  }

  /** What the last checkpoint saved (to skip a final save of the same state). */
  private savedKey = '';
  private stateKey(): string {
    return `${this.step}/${this.epoch}/${this.batchIndex}/${this.evaluations.length}`;
  }

  /** Frees the carried tensors (the model, optimizer and loaders belong to the caller). */
  dispose(): void {
    if (this.disposed) return;
    this.carryStore.clear();
    this.disposed = true;
  }
}

/**
 * Trains `model` — the Keras-like one-liner over {@link Trainer}: runs the loop, frees the trainer's
 * carried tensors, and resolves with the {@link History}. An `AbortSignal` stops it after the current step
 * (or evaluation batch); it then saves a checkpoint and resolves with `stopReason: 'aborted'`.
 *
 * @throws on invalid options (naming the option), `NonFiniteLossError` / `NonFiniteGradientError` naming the
 *   step, `ResumeMismatchError` naming the option that differs from the checkpoint's
 */
export async function fit<M extends Module, B, EB = B>(
  opts: FitOptions<M, B, EB> | (ReplicaFitOptions<M, B, EB> & { launcher?: ReplicaLauncher }),
): Promise<History> {
  if (opts !== null && typeof opts === 'object' && 'setup' in opts && opts.setup !== undefined) {
    const { fitWithSetup } = await import('./replica-fit.js');
    return fitWithSetup(opts as ReplicaFitOptions<M, B, EB>);
  }
  const replicas = (opts as { replicas?: unknown } | null)?.replicas;
  if (replicas !== undefined && replicas !== 1)
    throw new Error(
      `fit: replicas = ${String(replicas)} needs setup (the URL of a module exporting setup({ rank, world })): a replica cannot be sent the model`,
    );
  const trainer = new Trainer<M, B, EB>(opts as FitOptions<M, B, EB>);
  try {
    return await trainer.fit();
  } finally {
    trainer.dispose();
  }
}
