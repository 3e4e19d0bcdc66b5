/**
 * The collators reuse their staging arrays on backends that copy tensor values (wasm): every
 * batch must still hold exactly what fresh arrays give (the cpu backend's path), including after
 * a longer batch left stale values behind, and earlier batches must not change afterwards.
 */
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { padCollate, seq2seqCollate, type PadCollateOptions } from './collate.js';
import { backendCopiesValues } from './internal/staging.js';

afterAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const seq = (n: number, base: number) => Int32Array.from({ length: n }, (_, i) => base + i);
// Long, short, long, tiny: each batch follows one that left longer rows in the staging arrays.
const lengthsPerBatch = [[9, 2, 7], [1, 3], [4, 8, 2, 6], [1]];
const batches = lengthsPerBatch.map((ls, b) => ls.map((n, i) => ({ ids: seq(n, 10 * b + i + 1), label: (i + b) % 2 })));
const tagged = lengthsPerBatch.map((ls, b) =>
  ls.map((n, i) => ({ ids: seq(n, 10 * b + i + 1), label: Array.from({ length: n }, (_, j) => (j + i + b) % 3) })),
);

type Snapshot = Record<string, number[] | number[][]>;
async function run(
  backend: 'cpu' | 'wasm',
  make: () => (xs: never[]) => Record<string, unknown>,
  inputs: unknown[][] = batches,
): Promise<Snapshot[]> {
  const r = await setupBackend({ prefer: [backend] });
  expect(r.backend).toBe(backend);
  const collate = make();
  const made = inputs.map((b) => collate(b as never[]));
  // Read every batch only after all were made: a later batch must not have changed an earlier one.
  const out = made.map((m) => {
    const snap: Snapshot = {};
    for (const [k, v] of Object.entries(m)) if (v instanceof tf.Tensor) snap[k] = v.arraySync() as number[][];
    return snap;
  });
  tf.dispose(made as unknown as tf.TensorContainer);
  return out;
}

describe('collators on a value-copying backend (wasm) reuse arrays and give the same batches as fresh ones', () => {
  const cases: Array<[string, PadCollateOptions]> = [
    ['right padding, pad id 0', { padId: 0 }],
    ['left padding, pad id 5, int32 mask', { padId: 5, paddingSide: 'left', maskDtype: 'int32' }],
    ['bool mask, padToMultipleOf 4, truncation', { padId: 0, maskDtype: 'bool', padToMultipleOf: 4, maxLength: 6 }],
    ['per-token labels (int32) padded with -100', { padId: 1, labelPadValue: -100 }],
    ['per-token float labels, left', { padId: 0, labelPadValue: 0.5, labelDtype: 'float32', paddingSide: 'left' }],
  ];
  for (const [name, opts] of cases) {
    it(`padCollate: ${name}`, async () => {
      const make = () => padCollate(opts) as unknown as (xs: never[]) => Record<string, unknown>;
      const inputs = opts.labelPadValue === undefined ? batches : tagged;
      const fresh = await run('cpu', make, inputs);
      expect(backendCopiesValues()).toBe(false);
      const reused = await run('wasm', make, inputs);
      expect(backendCopiesValues()).toBe(true);
      expect(reused).toEqual(fresh);
    });
  }
  it('seq2seqCollate', async () => {
    const pairs = batches.map((b) => b.map((e, i) => ({ source: e.ids, target: seq((e.ids.length * 3) % 5, 50 + i) })));
    const make = () => {
      const c = seq2seqCollate({ padId: 0, bosId: 1, eosId: 2 });
      let k = 0;
      return (() => c(pairs[k++])) as unknown as (xs: never[]) => Record<string, unknown>;
    };
    const fresh = await run('cpu', make);
    const reused = await run('wasm', make);
    expect(reused).toEqual(fresh);
  });
});
