/**
 * Optimizer state to and from tensors + JSON, and to and from one safetensors file.
 *
 * Format `wordloom-optim v1`: every tensor of the state tree is a safetensors entry named by its path in the tree
 * (`1/mu/encoder.weight`); the tree itself, with scalars (step counts, ±Infinity as strings) and references to
 * the entries, is JSON in the file's `__metadata__` under `wordloom.optim.state`. Float32 round-trips exactly,
 * so a resumed run follows the uninterrupted trajectory bit for bit.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, writeSafetensors } from '@wordloom/core';
import type { StateTree } from './types.js';
import { isTensor } from './internal/tree.js';

/** Format tag stored in the metadata. */
export const STATE_FORMAT = 'wordloom-optim v1';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A state split into tensors (by path) and a JSON skeleton referring to them. */
export interface SerializedState {
  /** The tensors of the state (the state's own handles, not copies). */
  tensors: Map<string, tf.Tensor>;
  /** JSON text of the state tree. */
  json: string;
}

function encodeNumber(x: number): Json {
  return Number.isFinite(x) ? x : { $n: String(x) };
}

/** Splits a state tree into its tensors and a JSON skeleton (no copies: the tensors are the state's). */
export function serializeState(state: StateTree): SerializedState {
  const tensors = new Map<string, tf.Tensor>();
  const enc = (s: StateTree, path: string[]): Json => {
    if (s === null || typeof s === 'boolean' || typeof s === 'string') return s;
    if (typeof s === 'number') return encodeNumber(s);
    if (isTensor(s)) {
      let key = path.join('/');
      for (let i = 1; tensors.has(key); i++) key = `${path.join('/')}#${i}`;
      tensors.set(key, s);
      return { $t: key };
    }
    if (Array.isArray(s)) return s.map((x, i) => enc(x, [...path, String(i)]));
    if (s instanceof Map) return { $map: [...s].map(([k, v]) => [k, enc(v, [...path, k])]) };
    const o: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(s)) o[k] = enc(v, [...path, k]);
    return { $o: o };
  };
  return { tensors, json: JSON.stringify({ format: STATE_FORMAT, state: enc(state, []) }) };
}

/**
 * Rebuilds a state tree from `serializeState`'s output. The tensors in the result are new handles
 * (`tf.clone`), so the caller may dispose `tensors` afterwards.
 * @throws if the JSON is not this format or refers to a missing tensor.
 */
export function deserializeState(tensors: Map<string, tf.Tensor>, json: string): StateTree {
  let doc: { format?: unknown; state?: Json };
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new Error(`deserializeState: state JSON does not parse: ${(e as Error).message}`);
  }
  if (doc?.format !== STATE_FORMAT) {
    throw new Error(`deserializeState: format = ${JSON.stringify(doc?.format)}, expected '${STATE_FORMAT}'`);
  }
  const made: tf.Tensor[] = [];
  const dec = (j: Json): StateTree => {
    if (j === null || typeof j !== 'object') return j;
    if (Array.isArray(j)) return j.map(dec);
    if ('$t' in j) {
      const t = tensors.get(String(j.$t));
      if (t === undefined) throw new Error(`deserializeState: tensor '${String(j.$t)}' is missing`);
      const c = tf.clone(t);
      made.push(c);
      return c;
    }
    if ('$n' in j) return Number(j.$n);
    if ('$map' in j) return new Map((j.$map as [string, Json][]).map(([k, v]) => [k, dec(v)]));
    if ('$o' in j) {
      const o: { [k: string]: StateTree } = {};
      for (const [k, v] of Object.entries(j.$o as { [k: string]: Json })) o[k] = dec(v);
      return o;
    }
    throw new Error(`deserializeState: unexpected node ${JSON.stringify(j).slice(0, 80)}`);
  };
  try {
    return dec(doc.state ?? null);
  } catch (e) {
    for (const t of made) t.dispose();
    throw e;
  }
}

/** Metadata key holding the state JSON in a safetensors file. */
export const STATE_METADATA_KEY = 'wordloom.optim.state';

/**
 * Writes a state (and optional extra JSON metadata) as one safetensors file.
 * @param extra - more metadata entries (strings), e.g. a `ReduceLROnPlateau` state as JSON
 */
export function saveState(state: StateTree, extra: Record<string, string> = {}): Uint8Array {
  const { tensors, json } = serializeState(state);
  return writeSafetensors(tensors, { ...extra, format: STATE_FORMAT, [STATE_METADATA_KEY]: json });
}

/**
 * Reads a file written by `saveState`. Returns the state (new tensors owned by the caller) and the metadata.
 * @throws if the file has no optimizer state or a different format.
 */
export function loadState(bytes: Uint8Array): { state: StateTree; metadata: Map<string, string> } {
  const { tensors, metadata } = readSafetensors(bytes);
  try {
    const json = metadata.get(STATE_METADATA_KEY);
    if (json === undefined)
      throw new Error(`loadState: the file has no '${STATE_METADATA_KEY}' metadata (not an optimizer state)`);
    return { state: deserializeState(tensors, json), metadata };
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}
