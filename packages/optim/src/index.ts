/**
 * @wordloom/optim — Optimizers as composable gradient transformations, clipping and learning-rate schedules,
 * keyed by parameter name.
 * @packageDocumentation
 */
export type { GradientTransformation, LearningRate, NamedTensors, Schedule, StateTree, UpdateResult } from './types.js';
export { applyUpdates, chain, identity, multiTransform } from './transformation.js';
export { scale, scaleByLearningRate, scaleBySchedule, type ScheduleState } from './scale.js';
export {
  clipByGlobalNorm,
  clipByValue,
  globalNorm,
  readGlobalNorm,
  type ClipByGlobalNormOptions,
  type ClipByGlobalNormState,
  type ClipByValueOptions,
} from './clip.js';
export { addDecayedWeights, type AddDecayedWeightsOptions } from './weight-decay.js';
export { trace, type TraceOptions, type TraceState } from './momentum.js';
export { scaleByAdam, type ScaleByAdamOptions, type ScaleByAdamState } from './adam.js';
export {
  scaleByRms,
  scaleByRss,
  type ScaleByRmsOptions,
  type ScaleByRmsState,
  type ScaleByRssOptions,
  type ScaleByRssState,
} from './rms.js';
export {
  adagrad,
  adam,
  adamw,
  rmsprop,
  sgd,
  type AdagradOptions,
  type AdamOptions,
  type ParamGroup,
  type RmspropOptions,
  type SgdOptions,
} from './optimizers.js';
export {
  constantSchedule,
  exponentialSchedule,
  inverseSqrtSchedule,
  linearSchedule,
  multiStepSchedule,
  stepSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
  type ExponentialScheduleOptions,
  type InverseSqrtScheduleOptions,
  type LinearScheduleOptions,
  type MultiStepScheduleOptions,
  type StepScheduleOptions,
  type WarmupDecayOptions,
} from './schedules.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions, type ReduceLROnPlateauState } from './plateau.js';
export {
  applyIfFinite,
  findNonFinite,
  NonFiniteGradientError,
  type ApplyIfFiniteOptions,
  type ApplyIfFiniteState,
  type OnNonFinite,
} from './non-finite.js';
export {
  deserializeState,
  loadState,
  saveState,
  serializeState,
  STATE_FORMAT,
  STATE_METADATA_KEY,
  type SerializedState,
} from './state-io.js';
export {
  Optimizer,
  type Gradients,
  type HasNamedParameters,
  type OptimizerOptions,
  type StepInfo,
} from './optimizer.js';
