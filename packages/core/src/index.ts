/**
 * @wordloom/core — the small nn that tfjs-core lacks: Module and parameters, layers,
 * initializers, masks, seeded RNG, backend setup.
 * @packageDocumentation
 */
export { setupBackend, registerGradients } from './backend.js';
export type { SetupBackendOptions, SetupBackendResult, BackendName } from './backend.js';
export { Module, StateDictError } from './module.js';
export type { AddParameterOptions, LoadStateDictOptions } from './module.js';
export { Linear, linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Embedding, embeddingLookup } from './embedding.js';
export type { EmbeddingOptions } from './embedding.js';
export { Rng, AliasTable, manualSeed, globalRng, rngFrom } from './rng.js';
export { init, calculateGain, computeFans } from './init.js';
export type {
  Nonlinearity,
  SeedOption,
  NormalOptions,
  UniformOptions,
  XavierOptions,
  KaimingOptions,
  OrthogonalOptions,
  PytorchDefaultOptions,
} from './init.js';
export { sequenceMask, causalMask } from './masks.js';
export type { MaskDtype } from './masks.js';
