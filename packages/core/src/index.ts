/**
 * @wordloom/core — the small nn that tfjs-core lacks: Module and parameters, layers,
 * initializers, losses, masks, seeded RNG, safetensors, backend setup.
 * @packageDocumentation
 */
export { setupBackend, registerGradients } from './backend.js';
export type { SetupBackendOptions, SetupBackendResult, BackendName, WasmBinaryName } from './backend.js';
export { Module, ModuleList, StateDictError } from './module.js';
export type { AddParameterOptions, LoadStateDictOptions, LoadRngStatesOptions } from './module.js';
export { Linear, linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Embedding, embeddingLookup } from './embedding.js';
export type { EmbeddingOptions } from './embedding.js';
export { Rng, AliasTable, manualSeed, globalRng, rngFrom, RngStateError } from './rng.js';
export type { RngState } from './rng.js';
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
export {
  sequenceMask,
  fillSequenceMask,
  causalMask,
  paddingMask,
  markMask,
  maskConvention,
  checkMaskConvention,
} from './masks.js';
export type { MaskDtype, MaskConvention, SequenceMaskOptions, MaskArray } from './masks.js';
export { tidy } from './tidy.js';
export { forEachTensor, collectTensors, mapTensors, disposeTensors } from './tree.js';
export { paddingToAttentionMask } from './masks.js';
export type { AttentionMaskOptions } from './masks.js';
export { LayerNorm } from './layer-norm.js';
export type { LayerNormOptions } from './layer-norm.js';
export { Dropout } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { relu, tanh, sigmoid, gelu, softmax, logSoftmax } from './activations.js';
export type { GeluOptions } from './activations.js';
export {
  crossEntropy,
  sequenceCrossEntropy,
  binaryCrossEntropyWithLogits,
  mseLoss,
  perplexity,
  accuracy,
} from './losses.js';
export type {
  Reduction,
  CrossEntropyOptions,
  SequenceCrossEntropyOptions,
  BCEOptions,
  AccuracyOptions,
} from './losses.js';
export { readSafetensors, writeSafetensors, halfPrecision } from './safetensors.js';
export type { SafetensorsFile, WriteSafetensorsOptions } from './safetensors.js';
export { batchMatMul, setBatchMatMulKernel, batchMatMulUsesSimd } from './internal/batch-matmul.js';
export {
  setFusedKernels,
  fusedLayerNormForward,
  fusedLayerNormBackward,
  fusedSoftmaxBackward,
} from './internal/fused-ops.js';
export type { BatchMatMulOptions, BatchMatMulKernel } from './internal/batch-matmul.js';
export { readFloat32View, wasmFloat32View, emptyFloat32Tensor, wasmBackendMemory } from './internal/heap-view.js';
export { simdMatMulAvailable, matmulKernelOn } from './internal/matmul-kernel.js';
export type { MatmulExports } from './internal/matmul-kernel.js';
export {
  setThreads,
  getThreads,
  stopThreads,
  threadsUnavailable,
  poolStats,
  poolMemory,
  poolHeap,
  poolKernel,
  poolRun,
  poolActiveThreads,
  poolThreads,
  withPoolMemory,
  splitRange,
} from './internal/pool.js';
export type { PoolCall, PoolFunction } from './internal/pool.js';
export {
  poolMatmulFunctions,
  pooledBatchMatMul,
  pooledProductThreads,
  setPoolMatMulThreshold,
  setSimdMatMulThreshold,
  pooledProducts,
  simdRoutedProducts,
  startThreads,
} from './internal/pool-matmul.js';
export type { PoolMatmulFunctions } from './internal/pool-matmul.js';
