/**
 * The checkpoint file: one safetensors file with the model's state dict under `model.*`, the
 * optimizer's state tensors under `optim.*`, carried tensors under `carry.*`, and in
 * `__metadata__`: `format` = `wordloom-train v1`, `wordloom.optim.state` (the optimizer's JSON,
 * as `@wordloom/optim` writes it) and `wordloom.train` (JSON: step, epoch, loader position,
 * random generator states, plan, history, early-stopping state, config and its hash).
 *
 * References: Lightning's checkpoint contents; Accelerate's `save_state` (every RNG); the
 * safetensors format (https://github.com/huggingface/safetensors).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors, type Module, type RngState } from '@wordloom/core';
import { STATE_METADATA_KEY, type Optimizer, type SerializedState } from '@wordloom/optim';
import type { EarlyStoppingState, EvalRecord, StepRecord } from './types.js';

/** The format name and version written to `__metadata__.format`. */
export const CHECKPOINT_FORMAT = 'wordloom-train v1';
/** Metadata key of the trainer's JSON. */
export const TRAIN_METADATA_KEY = 'wordloom.train';

/** The plan of the run's length. */
export interface Plan {
  /** Planned optimizer steps (`null` while a time budget is not planned yet and nothing caps the run). */
  totalSteps: number | null;
  /** `'fixed'`: from epochs/maxSteps; `'budget'`: fitted to the time budget. */
  source: 'fixed' | 'budget';
  /** Seconds per step measured for a budget plan. */
  secondsPerStep?: number;
  /** The step at which the budget plan was made. */
  madeAt?: number;
}

/** The trainer's JSON in a checkpoint (`__metadata__['wordloom.train']`). */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  /** Optimizer steps done. */
  step: number;
  /** The current epoch. */
  epoch: number;
  /** Batches of `epoch` consumed. */
  batchIndex: number;
  /**
   * `'train'`: continue with the next batch (or the epoch's end, if `batchIndex` = batches per epoch);
   * `'evaluate'`: an evaluation was interrupted at this step; a resumed run runs it first.
   */
  phase: 'train' | 'evaluate';
  /** With phase `'evaluate'`: which evaluation. */
  pendingEvaluation?: 'every' | 'epochEnd';
  /** `train.state()` of the training loader. */
  loader: unknown;
  rngs: {
    /** `model.rngStates()`. */
    model: Record<string, RngState>;
    /** `globalRng().getState()`. */
    global: RngState;
    /** The `rngs` option's generators. */
    extra: Record<string, RngState>;
  };
  plan: Plan;
  steps: StepRecord[];
  evaluations: EvalRecord[];
  earlyStopping: EarlyStoppingState | null;
  /** Training seconds so far (the time budget continues from here). */
  trainSeconds: number;
  /** The options that must match on resume. */
  config: Record<string, unknown>;
  /**
   * With data-parallel replicas: the generators of replicas 1 … N − 1 (rank 0's are `rngs`); their carried
   * tensors are under `replicas.<rank>.carry.<name>`.
   */
  replicas?: Array<{ rank: number; rngs: CheckpointMeta['rngs'] }>;
  /** FNV-1a of the canonical JSON of `config`. */
  configHash: string;
}

/** What {@link readCheckpoint} returns; the tensors are the caller's to dispose. */
export interface CheckpointContents {
  /** The model's state dict. */
  model: Map<string, tf.Tensor>;
  /** The optimizer state (`optimizer.loadStateDict(optim)`). */
  optim: SerializedState;
  /** Carried tensors. */
  carry: Map<string, tf.Tensor>;
  /** With replicas: each other replica's carried tensors, by rank. */
  replicaCarry: Map<number, Map<string, tf.Tensor>>;
  meta: CheckpointMeta;
}

/** Builds the checkpoint file. The tensors are read, not kept. */
export function writeCheckpoint(
  model: Module,
  optimizer: Optimizer,
  carry: Map<string, tf.Tensor>,
  meta: CheckpointMeta,
  /** More tensors under their full names (`replicas.<rank>.carry.<name>`). */
  extra?: Map<string, tf.Tensor>,
): Uint8Array {
  const tensors = new Map<string, tf.Tensor>();
  for (const [k, v] of model.stateDict()) tensors.set(`model.${k}`, v);
  const opt = optimizer.stateDict();
  for (const [k, v] of opt.tensors) tensors.set(`optim.${k}`, v);
  for (const [k, v] of carry) tensors.set(`carry.${k}`, v);
  if (extra !== undefined) for (const [k, v] of extra) tensors.set(k, v);
  return writeSafetensors(tensors, {
    format: CHECKPOINT_FORMAT,
    [STATE_METADATA_KEY]: opt.json,
    [TRAIN_METADATA_KEY]: JSON.stringify(meta),
  });
}

/**
 * Reads a checkpoint file written by `fit` (e.g. to take the model's weights out of it:
 * `model.loadStateDict(readCheckpoint(bytes).model)`). Dispose the returned tensors when done.
 * @throws if the bytes are not safetensors, not a `wordloom-train v1` file, or lack a part
 */
export function readCheckpoint(bytes: Uint8Array): CheckpointContents {
  const { tensors, metadata } = readSafetensors(bytes);
  try {
    const format = metadata.get('format');
    if (format !== CHECKPOINT_FORMAT)
      throw new Error(
        `readCheckpoint: format = ${JSON.stringify(format ?? null)}, expected '${CHECKPOINT_FORMAT}' (not a fit checkpoint)`,
      );
    const optimJson = metadata.get(STATE_METADATA_KEY);
    if (optimJson === undefined) throw new Error(`readCheckpoint: the file has no '${STATE_METADATA_KEY}' metadata`);
    const text = metadata.get(TRAIN_METADATA_KEY);
    if (text === undefined) throw new Error(`readCheckpoint: the file has no '${TRAIN_METADATA_KEY}' metadata`);
    let meta: CheckpointMeta;
    try {
      meta = JSON.parse(text) as CheckpointMeta;
    } catch (e) {
      throw new Error(`readCheckpoint: '${TRAIN_METADATA_KEY}' does not parse as JSON: ${(e as Error).message}`);
    }
    if (meta === null || typeof meta !== 'object' || meta.format !== CHECKPOINT_FORMAT)
      throw new Error(`readCheckpoint: '${TRAIN_METADATA_KEY}' is not a ${CHECKPOINT_FORMAT} record`);
    for (const k of ['step', 'epoch', 'batchIndex', 'trainSeconds'] as const) {
      if (typeof meta[k] !== 'number' || !Number.isFinite(meta[k]) || meta[k] < 0)
        throw new Error(`readCheckpoint: ${k} = ${JSON.stringify(meta[k])} is not a number >= 0`);
    }
    const model = new Map<string, tf.Tensor>();
    const optim = new Map<string, tf.Tensor>();
    const carry = new Map<string, tf.Tensor>();
    const replicaCarry = new Map<number, Map<string, tf.Tensor>>();
    for (const [k, v] of tensors) {
      const rep = /^replicas\.([1-9]\d{0,5})\.carry\.(.+)$/.exec(k);
      if (k.startsWith('model.')) model.set(k.slice(6), v);
      else if (k.startsWith('optim.')) optim.set(k.slice(6), v);
      else if (k.startsWith('carry.')) carry.set(k.slice(6), v);
      else if (rep !== null) {
        const r = Number(rep[1]);
        if (!replicaCarry.has(r)) replicaCarry.set(r, new Map());
        replicaCarry.get(r)!.set(rep[2], v);
      } else
        throw new Error(`readCheckpoint: tensor '${k}' is not under model., optim., carry. or replicas.<rank>.carry.`);
    }
    return { model, optim: { tensors: optim, json: optimJson }, carry, replicaCarry, meta };
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw e;
  }
}

/** `checkpoint-000000120.safetensors`: zero-padded, so names sort by step. */
export function checkpointName(step: number): string {
  return `checkpoint-${String(step).padStart(9, '0')}.safetensors`;
}

const NAME_RE = /^checkpoint-(\d{9,})\.safetensors$/;

/** The checkpoint names among `names`, oldest first. */
export function checkpointNames(names: string[]): string[] {
  return names.filter((n) => NAME_RE.test(n)).sort((a, b) => Number(NAME_RE.exec(a)![1]) - Number(NAME_RE.exec(b)![1]));
}

/** JSON with object keys sorted (so equal configs give equal text). */
export function canonicalJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => {
    if (v instanceof Map) v = Object.fromEntries(v);
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(v as object).sort()) o[k] = (v as Record<string, unknown>)[k];
      return o;
    }
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

/** FNV-1a (32-bit) of a string, as 8 hex digits. */
export function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The first difference between a saved config and the current one, as `key: saved → now`, or
 * `undefined` when they are equal.
 */
export function configDifference(saved: Record<string, unknown>, now: Record<string, unknown>): string | undefined {
  const keys = [...new Set([...Object.keys(saved), ...Object.keys(now)])].sort();
  for (const k of keys) {
    const a = Object.prototype.hasOwnProperty.call(saved, k) ? canonicalJson(saved[k]) : undefined;
    const b = Object.prototype.hasOwnProperty.call(now, k) ? canonicalJson(now[k]) : undefined;
    if (a !== b) return `'${k}' was ${a ?? '(absent)'} in the checkpoint, is ${b ?? '(absent)'} now`;
  }
  return undefined;
}
