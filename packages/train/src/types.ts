/**
 * The public types of `fit` / `Trainer`: options, the context a loss function gets, callbacks and
 * the history.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Module, Rng } from '@wordloom/core';
import type { Optimizer, Schedule } from '@wordloom/optim';
import type { CheckpointStorage } from './storage.js';
import type { ExchangeStats, ReplicaLauncher } from './replicas.js';

/**
 * What `fit` needs from a training loader — `@wordloom/data`'s `DataLoader` over a map-style dataset
 * has all of it: batches per epoch, one epoch per `for await`, and a position that can be saved
 * and restored (`state()` / `loadState()`), so a run can resume in the middle of an epoch.
 */
export interface TrainLoader<B, S = unknown> extends AsyncIterable<B> {
  /** Batches per epoch. */
  readonly length: number;
  /** The position of the next batch (JSON-safe). */
  state(): S;
  /** Continues from a position `state()` returned. */
  loadState(state: S): void;
}

/** An evaluation loader: anything iterable; a `DataLoader` is run as its epoch 0 every time (`iterate(0)`). */
export type EvalLoader<B> = (AsyncIterable<B> | Iterable<B>) & { iterate?(epoch: number): AsyncIterable<B> };

/**
 * Tensors the loss function carries from one step to the next (e.g. the hidden state of truncated
 * BPTT), saved in checkpoints under `carry.<name>`. A carried tensor is a constant to the next step's
 * gradient (what `.detach()` does in PyTorch's TBPTT).
 */
export interface Carry {
  /** The tensor stored under `name` (owned by the carry: do not dispose it). */
  get(name: string): tf.Tensor | undefined;
  /**
   * Stores `t` under `name`; the carry takes ownership of `t` (it survives the step's tidy scope and is
   * disposed when replaced — after the step's gradients are computed — or when the trainer is disposed).
   */
  set(name: string, t: tf.Tensor): void;
  /** Whether a tensor is stored under `name`. */
  has(name: string): boolean;
  /** Drops `name` (e.g. at the start of an epoch). Returns whether it was there. */
  delete(name: string): boolean;
  /** The names stored, in insertion order. */
  names(): string[];
}

/** What the loss function is told about the micro-batch it computes. */
export interface StepContext {
  /** Optimizer steps completed before this one (0 on the first step). */
  step: number;
  /** The epoch (0-based). */
  epoch: number;
  /** Index of this batch in its epoch (0-based). */
  batchIndex: number;
  /** Index of this micro-batch in the accumulation group (0 .. accumulate − 1). */
  micro: number;
  /** Micro-batches in this step's group (the last group of an epoch may be smaller than `accumulate`). */
  microBatches: number;
  /** The planned total number of steps (`Infinity` while a time budget has not been planned yet). */
  totalSteps: number;
  /** Carried tensors (see {@link Carry}). */
  carry: Carry;
}

/** A loss: a scalar tensor for one micro-batch; `fit` differentiates it with respect to the optimizer's parameters. */
export type LossFn<M extends Module, B> = (model: M, batch: B, ctx: StepContext) => tf.Scalar;

/** Evaluation options. */
export interface EvaluateOptions<M extends Module, EB> {
  /** The held-out batches. */
  loader: EvalLoader<EB>;
  /** Metrics of one batch (numbers; tensors made inside are freed). The model is in `eval()` mode. */
  metrics: (model: M, batch: EB) => Record<string, number> | Promise<Record<string, number>>;
  /** Evaluate every N optimizer steps (0 = never). @default 0 */
  every?: number;
  /** Evaluate at the end of each epoch. @default true when `every` is 0, else false (as Keras' validation per epoch) */
  atEpochEnd?: boolean;
  /**
   * Combines the per-batch metrics. @default the mean over batches weighted by each batch's example count
   * (see `FitOptions.countSamples`), so per-batch means give the mean over examples
   */
  reduce?: (perBatch: Array<{ metrics: Record<string, number>; samples: number }>) => Record<string, number>;
}

/** Early stopping on an evaluation metric (Keras `EarlyStopping`). */
export interface EarlyStoppingOptions {
  /** A key of the evaluation metrics. Required. */
  metric: string;
  /** Whether lower (`'min'`, losses) or higher (`'max'`, accuracies) is better. Required. */
  mode: 'min' | 'max';
  /** Evaluations without improvement before stopping. @default 3 */
  patience?: number;
  /** Smallest change that counts as an improvement. @default 0 */
  minDelta?: number;
}

/** The state of early stopping (saved in checkpoints). */
export interface EarlyStoppingState {
  best: number | null;
  bestStep: number | null;
  /** Evaluations since the best one. */
  wait: number;
  stopped: boolean;
}

/** Checkpoint options. */
export interface CheckpointOptions {
  /** Where files go: `memoryStorage()`, `fileStorage(dir)` from `@wordloom/train/node`, or your own. Required. */
  storage: CheckpointStorage;
  /** Save every N optimizer steps (0 = only at the end, on abort and after evaluations). @default 0 */
  every?: number;
  /** Keep the newest K checkpoint files, delete older ones. @default 2 (the newest plus one in case it is bad) */
  keep?: number;
  /** Also save after each evaluation. @default true (an evaluation is where a run is worth keeping) */
  afterEvaluate?: boolean;
}

/** Options of {@link fit} / `Trainer`. */
export interface FitOptions<M extends Module = Module, B = unknown, EB = B> {
  /** The model (any `@wordloom/core` Module). Required. */
  model: M;
  /** The optimizer over the model's parameters (`new Optimizer(model, adamw(...))`). Required. */
  optimizer: Optimizer;
  /** The training batches (a `DataLoader` over a map-style dataset). Required. */
  train: TrainLoader<B>;
  /** The loss of one micro-batch. Required. */
  loss: LossFn<M, B>;
  /** Epochs to run. One of `epochs`, `maxSteps`, `timeBudgetSeconds` is required; several: the first reached stops. */
  epochs?: number;
  /** Optimizer steps to run (each step = `accumulate` batches). */
  maxSteps?: number;
  /**
   * Wall-clock budget for training (evaluation and checkpoint time not counted). After a few steps the
   * trainer times 20 steps and plans the total number of steps to fit 97 % of what is left (capped by
   * `epochs`/`maxSteps`); the plan goes into checkpoints and a resumed run follows it. The run also stops
   * when the budget is spent.
   */
  timeBudgetSeconds?: number;
  /** Micro-batches per optimizer step; their gradients are averaged. @default 1 */
  accumulate?: number;
  /** Clip the averaged gradients to this global L2 norm (`clipByGlobalNorm` of `@wordloom/optim`). @default none */
  clipNorm?: number;
  /**
   * The learning-rate schedule the optimizer uses, for the history and, if it is a `plannedSchedule`, to be
   * planned to the run's length. @default none (no `lr` in the history)
   */
  schedule?: Schedule;
  /** Evaluation on held-out data. @default none */
  evaluate?: EvaluateOptions<M, EB>;
  /** Stop when an evaluation metric stops improving (needs `evaluate`). @default none */
  earlyStopping?: EarlyStoppingOptions;
  /** Checkpoints. @default none (nothing is saved; `resume` needs this) */
  checkpoint?: CheckpointOptions;
  /** Load the newest checkpoint in `checkpoint.storage`, if there is one, and continue from it. @default false */
  resume?: boolean;
  /** Random generators outside the model that the loss draws from (e.g. scheduled sampling), saved by name. @default none */
  rngs?: Record<string, Rng> | Map<string, Rng>;
  /**
   * Anything else that defines the run (learning rate, model size, data files…): stored in checkpoints, and a
   * resume with a different value is refused naming the key. JSON values. @default {}
   */
  config?: Record<string, unknown>;
  /** Stop after the current step (or evaluation batch), save a checkpoint and return. @default none */
  signal?: AbortSignal;
  /** Callbacks, called in order. @default [] */
  callbacks?: Callbacks | Callbacks[];
  /**
   * Examples in a batch (for samples/s and weighted evaluation means). @default the length of an array batch, else
   * the first dimension of the first tensor found in the batch (`batch.ids`, …), else 1
   */
  countSamples?: (batch: B | EB) => number;
  /** Free the tensors of each batch after its step (and of each evaluation batch). @default true */
  disposeBatches?: boolean;
  /** A step whose loss is NaN/±Infinity: `'error'` throws `NonFiniteLossError`; `'skip'` skips it. @default 'error' */
  onNonFiniteLoss?: 'error' | 'skip';
  /**
   * With replicas: rows `[start, end)` of a batch (a replica's slice). @default every tensor, typed array and
   * array whose first dimension is the batch's example count (`countSamples`) cut to those rows, at any depth
   */
  slice?: (batch: B, start: number, end: number) => B;
  /**
   * With replicas: the cost of each row of a batch (e.g. its token count, for sequences of ragged lengths), to cut
   * the batch into contiguous slices of about equal cost (`balancedRange`) instead of equal rows. Each replica's
   * gradient is still weighted by its share of the rows, so a loss that is a mean over the rows still gives one
   * replica's gradient on the whole batch. Costs are finite and ≥ 0, one per row (`countSamples`).
   * @default none: equal rows (`sliceRange`)
   */
  sliceCost?: (batch: B) => ArrayLike<number>;
}

/** What a replica's setup module's `setup` function is given. */
export interface ReplicaSetupContext {
  /** This replica (0 = the caller's thread, which evaluates, saves and runs the callbacks). */
  rank: number;
  /** Replicas in all. */
  world: number;
  /** `fit`'s `setupOptions` (structured-cloned to the other replicas). */
  options: unknown;
}

/**
 * What `setup` returns: the model, optimizer, training loader and loss of this replica, and any other
 * option that holds functions or objects (`schedule`, `rngs`, `countSamples`, `slice`, `evaluate`, …).
 */
export type ReplicaSetupResult<M extends Module = Module, B = unknown, EB = B> = Pick<
  FitOptions<M, B, EB>,
  'model' | 'optimizer' | 'train' | 'loss'
> &
  Partial<Omit<FitOptions<M, B, EB>, 'model' | 'optimizer' | 'train' | 'loss'>>;

/**
 * `fit` with a setup module: `setup` builds the model, optimizer, loader and loss in every replica (a replica
 * cannot be sent a closure), `replicas` says how many. The options here are rank 0's; the JSON ones that shape a
 * step (`epochs`, `maxSteps`, `timeBudgetSeconds`, `accumulate`, `clipNorm`, `onNonFiniteLoss`) reach every
 * replica, functions that shape a step (`loss`, `schedule`, `rngs`, `countSamples`, `slice`) must come from setup.
 */
export interface ReplicaFitOptions<M extends Module = Module, B = unknown, EB = B> extends Omit<
  FitOptions<M, B, EB>,
  'model' | 'optimizer' | 'train' | 'loss'
> {
  /**
   * The setup module: an absolute URL (`new URL('./setup.js', import.meta.url)`) of an ES module exporting
   * `setup(ctx: ReplicaSetupContext): ReplicaSetupResult | Promise<…>`. Each replica imports it in its own thread;
   * rank 0 imports it in the caller's. Required. In a browser: the setup function itself, with a `launcher`
   * (`launchWeb`) whose worker script calls `serveReplica` with the same function.
   */
  setup:
    URL | string | ((ctx: ReplicaSetupContext) => ReplicaSetupResult<M, B, EB> | Promise<ReplicaSetupResult<M, B, EB>>);
  /** Replicas: N ≥ 1, or `'auto'` = the cores available (`os.availableParallelism()`, `navigator.hardwareConcurrency`). @default 1 */
  replicas?: number | 'auto';
  /** Passed to every replica's `setup` as `options` (structured-cloned: JSON, typed arrays…). @default undefined */
  setupOptions?: unknown;
  /**
   * Starts the replica threads. @default Node: worker threads running this package's `replica-worker.js`; a
   * browser has no default: `launchWeb((rank) => new Worker(new URL('./replica-worker.js', import.meta.url), { type: 'module' }))`
   */
  launcher?: ReplicaLauncher;
  /**
   * More `setupBackend` options for every replica (each replica starts rank 0's backend), e.g. the `wasmPaths` a
   * page passes to its own `setupBackend`. @default none
   */
  backendOptions?: { wasmPaths?: string | Record<string, string>; wasmThreads?: boolean };
  /**
   * With 2 or more replicas: time the phases of every replica's steps (data, slice, compute, pack, the two
   * barriers, reduce, unpack, optimizer, between steps) into `History.replicaStats[rank].profile`. A few clock
   * reads per step. @default false
   */
  profile?: boolean;
  /** Called with rank 0's setup result before training (to keep the model: `fit` does not dispose it). @default none */
  onSetup?: (made: ReplicaSetupResult<M, B, EB>) => void;
}

/** One optimizer step in the history. */
export interface StepRecord {
  /** Steps done after this one (1 for the first). */
  step: number;
  epoch: number;
  /** Mean loss over the step's micro-batches. */
  loss: number;
  /** The learning rate of this step, when `schedule` is given. */
  lr?: number;
  /** Pre-clip global gradient norm, when `clipNorm` is given. */
  gradNorm?: number;
  /** Examples in the step. */
  samples: number;
  /** True if the optimizer (or `onNonFiniteLoss: 'skip'`) skipped the update. */
  skipped?: boolean;
}

/** One evaluation in the history. */
export interface EvalRecord {
  /** Steps done when it ran. */
  step: number;
  epoch: number;
  /** What triggered it. */
  trigger: 'every' | 'epochEnd';
  metrics: Record<string, number>;
}

/** Why `fit` returned. */
export type StopReason = 'completed' | 'maxSteps' | 'earlyStopping' | 'aborted' | 'timeBudget';

/** What `fit` returns. */
export interface History {
  steps: StepRecord[];
  evaluations: EvalRecord[];
  /** Steps done in total (resumed runs count the earlier ones). */
  step: number;
  /** Epochs completed. */
  epoch: number;
  stopReason: StopReason;
  /** The planned total number of steps. */
  totalSteps: number;
  /** The step the run resumed from (undefined for a fresh run). */
  resumedFrom?: number;
  /** The name of the last checkpoint written (or loaded), if any. */
  checkpoint?: string;
  /** With replicas: rank 0's gradient-exchange counters for this session (bytes moved, time waiting for the others). */
  replicas?: ExchangeStats;
  /** With replicas: every replica's counters, by rank (rank 0's first; each names its backend, and with `profile` where its step time went). */
  replicaStats?: ExchangeStats[];
}

/** What callbacks are told about the run. */
export interface TrainInfo {
  step: number;
  epoch: number;
  /** Batch position in the epoch. */
  batchIndex: number;
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  /** The planned total number of steps (`Infinity` before a time-budget plan). */
  totalSteps: number;
  epochs?: number;
  /** The step this session started at (0, or the resumed step). */
  startStep: number;
  /** Training seconds so far (all sessions; evaluation and checkpoints not counted). */
  trainSeconds: number;
}

/** Callbacks (all optional; may return promises, which are awaited). */
export interface Callbacks {
  onTrainStart?(info: TrainInfo): void | Promise<void>;
  onStepEnd?(record: StepRecord, info: TrainInfo): void | Promise<void>;
  onEvaluateStart?(info: TrainInfo): void | Promise<void>;
  onEvaluate?(record: EvalRecord, info: TrainInfo): void | Promise<void>;
  /** After the epoch's last step (and its evaluation, if `atEpochEnd`). */
  onEpochEnd?(epoch: number, info: TrainInfo): void | Promise<void>;
  onCheckpoint?(name: string, info: TrainInfo): void | Promise<void>;
  onTrainEnd?(history: History, info: TrainInfo): void | Promise<void>;
}
