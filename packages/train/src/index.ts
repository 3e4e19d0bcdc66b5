/**
 * @wordloom/train — a fit loop for any `@wordloom/core` Module: gradient accumulation, clipping,
 * schedules planned to the run (or a time budget), evaluation, early stopping, callbacks, progress,
 * and checkpoints from which a run resumes bit for bit. Node-only pieces (a folder of checkpoints,
 * a JSONL metrics file) are in the `@wordloom/train/node` subpath.
 * @packageDocumentation
 */
export { fit, Trainer, NonFiniteLossError, ResumeMismatchError } from './trainer.js';
export type {
  Callbacks,
  Carry,
  CheckpointOptions,
  EarlyStoppingOptions,
  EarlyStoppingState,
  EvalLoader,
  EvalRecord,
  EvaluateOptions,
  FitOptions,
  History,
  LossFn,
  StepContext,
  StepRecord,
  StopReason,
  TrainInfo,
  TrainLoader,
  ReplicaFitOptions,
  ReplicaSetupContext,
  ReplicaSetupResult,
} from './types.js';
export {
  ReplicaError,
  balancedRange,
  sliceBatch,
  sliceRange,
  type ExchangeStats,
  type ReplicaEndpoint,
  type ReplicaInit,
  type ReplicaLauncher,
  type ReplicaProfile,
} from './replicas.js';
export { runReplica, messageQueue, type ReplicaChannel } from './replica-run.js';
export { launchWeb, serveReplica, type SetupFunction } from './replica-web.js';
export { indexedDbStorage, type IndexedDbStorageOptions } from './indexeddb.js';
export { memoryStorage, type CheckpointStorage } from './storage.js';
export {
  CHECKPOINT_FORMAT,
  TRAIN_METADATA_KEY,
  readCheckpoint,
  type CheckpointContents,
  type CheckpointMeta,
  type Plan,
} from './checkpoint.js';
export { plannedSchedule, isPlannedSchedule, UNPLANNED_TOTAL, type PlannedSchedule } from './schedule.js';
export { progressBar, type ProgressBarOptions, type ProgressStream } from './progress.js';
export { readMetricsJsonl, METRICS_FORMAT, type MetricsEvalLine, type MetricsStepLine } from './metrics-log.js';
