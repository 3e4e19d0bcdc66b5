export const COMMAND = 'lm shakespeare';

/** Everything that defines a run (a `--resume` must ask for the same). */
export interface LmConfig {
  model: 'transformer' | 'lstm';
  /** Transformer width / LSTM embedding size. */
  dModel: number;
  nhead: number;
  numLayers: number;
  /** LSTM hidden size (transformer: feed-forward size is 4·dModel). */
  hiddenSize: number;
  positional: 'learned' | 'sinusoidal';
  /** Characters per training window (transformer context; LSTM BPTT length). */
  blockSize: number;
  batchSize: number;
  dropout: number;
  optimizer: 'adam' | 'adamw';
  lr: number;
  minLr: number;
  weightDecay: number;
  warmup: number;
  clip: number;
  /** Optimizer steps (0: planned from --time-budget, else epochs × chunks). */
  maxSteps: number;
  epochs: number;
  seed: number;
  /** Use only the first N characters of the text (0 = all; for quick runs and tests). */
  limitChars: number;
}
