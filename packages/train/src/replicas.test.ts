/**
 * fit with replicas (worker threads, Node): N replicas train as one replica on the whole batches
 * (uneven slices, accumulation), stay bit-identical, stop together on one replica's error, resume
 * bitwise from a checkpoint with the same N, and refuse a resume with another N.
 * The replica threads run this package's build (dist/replica-worker.js): it is built first if stale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { getThreads, setupBackend, type Module } from '@wordloom/core';
import {
  balancedRange,
  fit,
  memoryStorage,
  ReplicaError,
  ResumeMismatchError,
  sliceRange,
  type History,
} from './index.js';
import { threadsPerReplica } from './replica-fit.js';
import { sumSlots } from './replicas.js';

const SETUP = new URL('./testdata/replica-setup.mjs', import.meta.url);
const pkg = fileURLToPath(new URL('..', import.meta.url));

/** Builds dist/ when a source file is newer than dist/replica-worker.js (the replica threads load the build). */
function ensureBuilt(): void {
  const entry = `${pkg}dist/replica-worker.js`;
  const built = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const src = `${pkg}src`;
  const newest = Math.max(
    ...readdirSync(src, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => statSync(`${src}/${f}`).mtimeMs),
  );
  if (newest > built) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: pkg, stdio: 'inherit' });
}

function weights(m: Module): Float32Array[] {
  return [...m.namedParameters().values()].map((v) => v.dataSync().slice() as Float32Array);
}

async function run(
  replicas: number,
  options: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ h: History; w: Float32Array[] }> {
  let model: Module | undefined;
  const h = await fit({
    setup: SETUP,
    replicas,
    setupOptions: options,
    onSetup: (made) => (model = made.model),
    ...extra,
  });
  const w = weights(model!);
  model!.dispose();
  return { h, w };
}

describe('sliceRange', () => {
  it('cuts rows into contiguous slices differing by at most one', () => {
    for (const world of [1, 2, 3, 4])
      for (const n of [1, 2, 5, 7, 16]) {
        let next = 0;
        for (let r = 0; r < world; r++) {
          const [a, b] = sliceRange(n, r, world);
          expect(a).toBe(next);
          expect(b - a).toBeGreaterThanOrEqual(Math.floor(n / world));
          expect(b - a).toBeLessThanOrEqual(Math.ceil(n / world));
          next = b;
        }
        expect(next).toBe(n);
      }
  });
});

describe('balancedRange', () => {
  it('cuts contiguous slices of about equal cost, covering every row once', () => {
    const cut = (costs: number[], world: number) =>
      Array.from({ length: world }, (_, r) => balancedRange(costs, r, world));
    expect(cut([100, 1, 1, 1, 1], 2)).toEqual([
      [0, 1],
      [1, 5],
    ]);
    expect(cut([1, 1, 1, 1], 2)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    // Ragged lengths: 50 + 10 + 10 = 70 against 10 + 10 + 50 = 70.
    expect(cut([50, 10, 10, 10, 10, 50], 2)).toEqual([
      [0, 3],
      [3, 6],
    ]);
    expect(cut([10, 10, 10, 10, 10, 10], 3)).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
    ]);
    // All zero: equal rows; fewer rows than replicas: some slices empty, none overlapping.
    expect(cut([0, 0, 0, 0, 0], 2)).toEqual([sliceRange(5, 0, 2), sliceRange(5, 1, 2)]);
    expect(cut([5], 3).flatMap(([a, b]) => (b > a ? [[a, b]] : []))).toEqual([[0, 1]]);
    for (const costs of [
      [3, 1, 4, 1, 5, 9, 2, 6],
      [0, 7, 0, 0, 1],
      [1e-300, 1e300, 1],
    ])
      for (const world of [1, 2, 3, 4]) {
        const s = cut(costs, world);
        expect(s[0][0]).toBe(0);
        expect(s[world - 1][1]).toBe(costs.length);
        for (let r = 1; r < world; r++) expect(s[r][0]).toBe(s[r - 1][1]);
        for (const [a, b] of s) expect(b).toBeGreaterThanOrEqual(a);
      }
  });
  it('names a bad cost', () => {
    expect(() => balancedRange([1, -1], 0, 2)).toThrow(/costs\[1\] = -1/);
    expect(() => balancedRange([1, NaN], 0, 2)).toThrow(/costs\[1\] = NaN/);
  });
});

describe('sumSlots', () => {
  // The sum before weights moved into it: every slot held fround(w · g) and the slots were added in rank order in
  // float32. Weighting while summing must give these floats bit for bit (exact resume and bit-identical replicas
  // rest on it).
  function before(raw: Float32Array[], w: number[]): Float32Array {
    const slots = raw.map((g, r) => Float32Array.from(g, (x) => w[r] * x));
    const out = slots[0].slice();
    for (let r = 1; r < slots.length; r++) for (let i = 0; i < out.length; i++) out[i] += slots[r][i];
    return out;
  }
  it('weights each slot while summing and gives the floats a weighted copy then a sum gave, bit for bit', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5) * 2;
    const n = 1001;
    for (const w of [
      [0.5, 0.5],
      [2 / 5, 3 / 5],
      [1, 1],
      [1, 0.25],
      [1 / 3, 1 / 3, 1 / 3],
      [0.25, 0.25, 0.5],
      [1, 1 / 7, 6 / 7, 1],
    ]) {
      const world = w.length;
      // Gradients of very different magnitudes (and subnormals, where a weight loses bits).
      const raw = w.map(() =>
        Float32Array.from({ length: n }, (_, i) => rand() * 10 ** ((i % 13) - 6) * (i % 97 === 0 ? 1e-38 : 1)),
      );
      const want = before(raw, w);
      const buf = new Float32Array(world * n);
      raw.forEach((g, r) => buf.set(g, r * n));
      const out = new Float32Array(n);
      // In the exchange each replica sums its own share: cut in three uneven parts here.
      for (const [a, b] of [
        [0, 100],
        [100, 777],
        [777, n],
      ])
        sumSlots(buf, Float64Array.from(w), out, n, world, a, b);
      expect(Buffer.from(out.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
  });
});

describe('fit with replicas (worker threads)', () => {
  beforeAll(async () => {
    ensureBuilt();
    await setupBackend({ prefer: ['cpu'] });
  }, 120_000);

  it('2 replicas on uneven slices train as 1 replica on the whole batches (1e-5), with accumulation', async () => {
    // Batches of 5 rows (2 + 3 per replica), the epoch's last of 4; 2 micro-batches per step.
    const opts = { kind: 'mlp', batchSize: 5 };
    const one = await run(1, opts, { maxSteps: 5, accumulate: 2 });
    const two = await run(2, opts, { maxSteps: 5, accumulate: 2 });
    expect(two.h.steps.map((s) => s.samples)).toEqual(one.h.steps.map((s) => s.samples));
    two.h.steps.forEach((s, i) => expect(s.loss).toBeCloseTo(one.h.steps[i].loss, 5));
    two.w.forEach((w, i) => {
      const d = Math.max(...w.map((x, j) => Math.abs(x - one.w[i][j])));
      expect(d).toBeLessThan(1e-5);
    });
    expect(two.h.replicas?.world).toBe(2);
    expect(two.h.replicas?.exchanges).toBe(5);
    expect(two.h.replicas?.floatsPerExchange).toBe(3 * 8 + 8 + 8 + 1);
    expect(one.h.replicas).toBeUndefined();
  });

  it('sliceCost: the replicas cut each batch by cost (the heavy row alone on rank 0) and still train as 1 replica', async () => {
    const opts = { kind: 'mlp', batchSize: 5, heavyFirstRow: true };
    const one = await run(1, opts, { maxSteps: 5 });
    const two = await run(2, opts, { maxSteps: 5 });
    expect(two.h.steps.map((s) => s.samples)).toEqual(one.h.steps.map((s) => s.samples));
    two.h.steps.forEach((s, i) => expect(s.loss).toBeCloseTo(one.h.steps[i].loss, 5));
    two.w.forEach((w, i) => {
      const d = Math.max(...w.map((x, j) => Math.abs(x - one.w[i][j])));
      expect(d).toBeLessThan(1e-5);
    });
  });

  it('profile: every replica reports its backend, bytes moved and where its step time went', async () => {
    const opts = { kind: 'mlp', batchSize: 5 };
    const two = await run(2, opts, { maxSteps: 4, profile: true });
    const stats = two.h.replicaStats!;
    expect(stats.map((s) => [s.rank, s.world, s.backend, s.exchanges])).toEqual([
      [0, 2, 'cpu', 4],
      [1, 2, 'cpu', 4],
    ]);
    expect(stats[0]).toEqual(two.h.replicas);
    // P = 41 numbers in 4 variables; shares of 20 and 21. Written: the slot, the share of the sum, flags, loss and
    // weight; read: the share of both slots, the whole sum, both replicas' flags, losses and weights.
    const P = 41;
    stats.forEach((s, rank) => {
      const share = rank === 0 ? 20 : 21;
      expect(s.bytesWritten).toBe(4 * ((P + share) * 4 + 4 + 16));
      expect(s.bytesRead).toBe(4 * ((2 * share + P) * 4 + 2 * (4 + 16)));
      const p = s.profile!;
      expect(p.steps).toBe(4);
      for (const [phase, seconds] of Object.entries(p)) expect(seconds, phase).toBeGreaterThanOrEqual(0);
      expect(p.compute).toBeGreaterThan(0);
    });
    // Off by default; a bad value is named.
    const before = getThreads();
    let during = 0;
    const plain = await run(2, opts, { maxSteps: 1, callbacks: { onTrainStart: () => void (during = getThreads()) } });
    // replicas × threads ≤ cores in every replica, rank 0 included while fit runs (its default is every core)
    const t = threadsPerReplica(availableParallelism(), 2);
    expect(plain.h.replicaStats!.map((s) => s.threads)).toEqual([t, t]);
    expect(during).toBe(t);
    expect(getThreads()).toBe(before);
    expect([
      threadsPerReplica(2, 2),
      threadsPerReplica(8, 2),
      threadsPerReplica(2, 4),
      threadsPerReplica(6, 4),
    ]).toEqual([1, 4, 1, 1]);
    expect(plain.h.replicaStats!.map((s) => s.profile)).toEqual([undefined, undefined]);
    await expect(
      fit({ setup: SETUP, replicas: 2, setupOptions: opts, maxSteps: 1, profile: 'yes' } as never),
    ).rejects.toThrow('fit: profile = yes must be true or false');
  });

  it('a batch smaller than the group leaves a replica idle and still matches one replica', async () => {
    const opts = { kind: 'mlp', batchSize: 2, n: 7 }; // the last batch has 1 row: replica 0 gets none
    const one = await run(1, opts, { epochs: 1 });
    const three = await run(3, opts, { epochs: 1 });
    three.w.forEach((w, i) => w.forEach((x, j) => expect(Math.abs(x - one.w[i][j])).toBeLessThan(1e-5)));
  });

  it("stops every replica with one replica's error", async () => {
    const before = tf.memory().numTensors;
    let made: { model: Module; optimizer: { dispose(): void } } | undefined;
    const err = await fit({
      setup: SETUP,
      replicas: 2,
      setupOptions: { kind: 'mlp', fail: { rank: 1, step: 3 } },
      maxSteps: 10,
      onSetup: (m) => (made = m),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaError);
    expect((err as ReplicaError).rank).toBe(1);
    expect((err as ReplicaError).errorName).toBe('Error');
    expect((err as Error).message).toBe('replica 1 of 2: boom at step 3');
    // Rank 0's model and optimizer are the caller's to free (onSetup); nothing else is left behind.
    made!.model.dispose();
    made!.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a replica's error in setup stops the run with that error", async () => {
    const err = await run(2, { kind: 'mlp', setupFails: 1 }, { maxSteps: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReplicaError);
    expect((err as ReplicaError).errorName).toBe('TypeError');
    expect((err as Error).message).toBe('replica 1 of 2: no data for replica 1');
  });

  it('replicas whose weights diverge are caught at the end (checksum)', async () => {
    const err = await run(2, { kind: 'mlp', diverge: 1 }, { maxSteps: 2 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^fit: replica 1's weights differ from rank 0's at the end/);
  });

  it("rank 0's own error stops the replicas too", async () => {
    const err = await run(2, { kind: 'mlp', fail: { rank: 0, step: 2 } }, { maxSteps: 10 }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('boom at step 2');
  });

  it('resumes bitwise from a checkpoint with the same number of replicas (LSTM, dropout, carried state)', async () => {
    const opts = { kind: 'lstm' };
    const full = await run(2, opts, { maxSteps: 7 });
    const storage = memoryStorage();
    const ac = new AbortController();
    const first = await run(2, opts, {
      maxSteps: 7,
      checkpoint: { storage },
      signal: ac.signal,
      callbacks: { onStepEnd: (r: { step: number }) => void (r.step === 3 && ac.abort()) },
    });
    expect(first.h.stopReason).toBe('aborted');
    expect(first.h.step).toBe(3);
    const second = await run(2, opts, { maxSteps: 7, checkpoint: { storage }, resume: true });
    expect(second.h.resumedFrom).toBe(3);
    expect(second.h.steps.map((s) => s.loss)).toEqual(full.h.steps.map((s) => s.loss));
    second.w.forEach((w, i) => expect(w).toEqual(full.w[i]));
    // Another number of replicas would continue another trajectory: refused, naming the option.
    const err = await run(3, opts, { maxSteps: 7, checkpoint: { storage }, resume: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResumeMismatchError);
    expect((err as ResumeMismatchError).option).toBe('replicas');
  });

  it('rejects bad options naming them', async () => {
    await expect(fit({ setup: SETUP, replicas: 0, setupOptions: {}, maxSteps: 1 })).rejects.toThrow(
      "fit: replicas = 0 must be an integer from 1 to 256, or 'auto'",
    );
    await expect(fit({ setup: './relative.js', replicas: 2, maxSteps: 1 })).rejects.toThrow(/must be an absolute URL/);
    await expect(
      fit({ setup: SETUP, replicas: 2, setupOptions: {}, maxSteps: 1, countSamples: () => 1 } as never),
    ).rejects.toThrow("'countSamples' must come from setup()'s result");
  });
});

describe('README replicas example', () => {
  it('runs as written (the setup module and the main script, built package, 2 cores or more)', () => {
    ensureBuilt();
    const readme = readFileSync(`${pkg}README.md`, 'utf8');
    const section = readme.slice(readme.indexOf('## Data-parallel replicas'));
    const blocks = [...section.matchAll(/```(?:js|ts)\n([\s\S]*?)```/g)].map((m) => m[1]);
    // Inside the package folder, so that '@wordloom/train' (self-reference) and its dependencies resolve.
    const dir = mkdtempSync(`${pkg}.readme-replicas-`);
    try {
      writeFileSync(`${dir}/setup.js`, blocks[0]);
      writeFileSync(`${dir}/train.mjs`, blocks[1]);
      const out = execFileSync(process.execPath, ['train.mjs'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      const world = availableParallelism(); // replicas: 'auto'
      expect(out).toMatch(/^\d+\n/); // onSetup: the parameter count
      if (world > 1) {
        expect(out).toMatch(/exchanges: 320/); // 5 epochs × 64 batches of 64
        expect(out).toMatch(/floatsPerExchange: 41/);
      }
      expect(readdirSync(`${dir}/runs/net`)).toContain('checkpoint-000000320.safetensors');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});
