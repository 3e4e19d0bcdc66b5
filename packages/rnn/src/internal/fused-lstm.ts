/**
 * The LSTM and GRU recurrences with fused kernels (`lstm-simd.wat`, WebAssembly SIMD) and
 * `@wordloom/core`'s SIMD matmul kernel, with no tfjs op per time step: the input projections,
 * weights and state are copied once into one WebAssembly memory, and per step the recurrent product
 * `h · [W_h·]ᵀ` (all gates at once: `packA` + `bgemmPart`) and one kernel call for the gates,
 * non-linearities and state update run there; backward likewise one kernel call and one product
 * `d(pre) · W_cat` per step, then one `d(pre)ᵀ · h_prev` product for the recurrent weight
 * gradients, there too (core's kernel on the same memory). Same inputs, outputs and gradients as the op paths in kernels.ts
 * (packed, sorted layout; value [N + 2B, H] for the LSTM, [N + B, H] for the GRU), within float32
 * rounding. Used on the wasm backend when H is a multiple of 4.
 *
 * Rows of a batch are independent in a recurrence (row r of step t needs only row r of step t − 1),
 * so the batch is cut into blocks of rows (units of 4, the matmul kernel's row panels) and each
 * block runs through the time steps on its own: one JOB of `@wordloom/core`'s intra-op pool per
 * layer-direction and pass (forward, backward, inference) — each part one block's calls for every
 * step — instead of a fork–join per step. With the pool off (one thread, or small shapes) the same
 * calls run here, on this kernel's own memory, as one block: one body serves both, and every row is
 * computed by the same instructions either way, so the pooled results are bitwise the one-thread
 * results.
 *
 * When no gradient is recorded, `sequenceInference` runs a whole layer-direction the same way with
 * the inference kernels (`lstmInfer` / `gruInfer`: nothing saved).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  emptyFloat32Tensor,
  matmulKernelOn,
  poolThreads,
  poolKernel,
  poolMatmulFunctions,
  poolRun,
  readFloat32View,
  wasmFloat32View,
  withPoolMemory,
  type PoolCall,
  type PoolFunction,
} from '@wordloom/core';
import { LSTM_SIMD_SHARED_WASM_BASE64 } from './lstm-simd-shared-wasm.js';
import { LSTM_SIMD_WASM_BASE64 } from './lstm-simd-wasm.js';
import type { PackedLayout } from './packing.js';

interface LstmExports {
  lstmForward: (...ptrsAndSizes: number[]) => void; // x, bias, g, cPrev, h, c, s, n, H, xs, xr
  lstmBackward: (...ptrsAndSizes: number[]) => void; // s, cPrev, dy, dh, dc, dpre, dx, dcPrev, n, H, xs, xr
  gruForward: (...ptrsAndSizes: number[]) => void; // x, bias, bhn, g, hPrev, h, s, n, H, xs, xr
  gruBackward: (...ptrsAndSizes: number[]) => void; // s, hPrev, dy, dhA, dhB, dpre, dx, dhn, dhz, n, H, xs, xr
  lstmInfer: (...ptrsAndSizes: number[]) => void; // x, xs, bias, g, ldg, c, h, n, H, xr
  gruInfer: (...ptrsAndSizes: number[]) => void; // x, xs, bias, bhn, g, ldg, hPrev, h, n, H, xr
  colSums: (...ptrsAndSizes: number[]) => void; // src, ld, rows, cols, acc, dst
}

let state: { memory: WebAssembly.Memory; ex: LstmExports } | null | undefined;

/**
 * How often each fused path ran (tests check that the kernel path, not a fallback, was taken —
 * also in Chromium; see packages/core/test/kernels-browser.test.ts): `step` training ops,
 * `sequence` inference passes, `pooled` of either on the intra-op pool, `jobs` pool jobs they ran.
 */
export const fusedCalls = { step: 0, sequence: 0, pooled: 0, jobs: 0 };

function kernel(): { memory: WebAssembly.Memory; ex: LstmExports } | null {
  if (state !== undefined) return state;
  try {
    const bin = atob(LSTM_SIMD_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (!WebAssembly.validate(bytes)) {
      state = null;
      return state;
    }
    const memory = new WebAssembly.Memory({ initial: 16 });
    const mod = new WebAssembly.Module(bytes); // 1.3 kB: fine for synchronous compilation
    state = { memory, ex: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as LstmExports };
  } catch {
    state = null;
  }
  return state;
}

/** Whether the fused kernels can run for hidden size H (WebAssembly SIMD present, H % 4 = 0). */
export function fusedLstmAvailable(H: number): boolean {
  return H > 0 && H % 4 === 0 && kernel() !== null && matmulKernelOn(kernel()!.memory) !== null;
}

type T2 = tf.Tensor;

const MATMUL_FNS = ['packA', 'packB', 'bgemmPart', 'unpackC'] as const;
const CELL_FNS = [
  'lstmForward',
  'lstmBackward',
  'gruForward',
  'gruBackward',
  'lstmInfer',
  'gruInfer',
  'colSums',
] as const;
type KernelFns = Record<(typeof MATMUL_FNS)[number] | (typeof CELL_FNS)[number], PoolFunction>;

/**
 * Where the kernels run: this thread on this module's own memory, or `@wordloom/core`'s intra-op
 * pool (its shared memory; a job's parts are claimed by whichever threads are free).
 */
interface Space {
  readonly pooled: boolean;
  /** Row blocks to cut a batch into: 1 here; on the pool twice its threads (a thread the OS holds back then costs a smaller share). */
  readonly blocks: number;
  /** Words of calls one job may hold (the pool's control block has 8,192; unbounded here). */
  readonly jobWords: number;
  readonly fns: KernelFns;
  /** Runs `body` on at least `floats` floats of the space's memory (a float view of all of it). */
  use<R>(floats: number, body: (f: Float32Array) => R): R;
  /** Runs a job: every part's calls in order (on the pool, parts in parallel). */
  run(parts: PoolCall[][]): void;
}

let localSpaceCache: Space | undefined;

/** This thread, on the kernel's own memory (core's matmul kernel instantiated on it). */
function localSpace(): Space {
  if (localSpaceCache) return localSpaceCache;
  const k = kernel();
  const mm = k ? matmulKernelOn(k.memory) : null;
  if (!k || !mm) throw new Error('LSTM/GRU: this engine has no WebAssembly SIMD for the fused kernels');
  const fns = {} as KernelFns;
  const exports = mm as unknown as Record<string, ((...a: number[]) => unknown) | undefined>;
  for (const name of MATMUL_FNS) {
    const local = exports[name];
    if (!local) throw new Error(`LSTM/GRU: core's matmul kernel has no export '${name}'`);
    fns[name] = { id: -1, name, local };
  }
  for (const name of CELL_FNS) fns[name] = { id: -1, name, local: k.ex[name] };
  localSpaceCache = {
    pooled: false,
    blocks: 1,
    jobWords: Infinity,
    fns,
    use: (floats, body) => {
      const bytes = 4 * floats;
      const have = k.memory.buffer.byteLength;
      if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
      return body(new Float32Array(k.memory.buffer));
    },
    run: (parts) => {
      for (const calls of parts) for (const c of calls) c.fn.local(...c.args);
    },
  };
  return localSpaceCache;
}

let poolFns: KernelFns | null | undefined;

/**
 * The matmul and LSTM/GRU kernels in `@wordloom/core`'s intra-op pool (the shared-memory copy of
 * lstm-simd.wat), or null when the pool has no shared memory here (threads off or unavailable).
 */
export function poolKernels(): KernelFns | null {
  if (poolFns) return poolFns;
  const mm = poolMatmulFunctions();
  const lstm = mm ? poolKernel('lstm', LSTM_SIMD_SHARED_WASM_BASE64) : null;
  if (!mm || !lstm) return null;
  const fns = {} as KernelFns;
  for (const name of MATMUL_FNS) fns[name] = mm[name];
  for (const name of CELL_FNS) {
    const f = lstm.get(name);
    if (!f) return null;
    fns[name] = f;
  }
  poolFns = fns;
  return poolFns;
}

/** Words of a pool job the row blocks may fill (core's pool.ts has 8,192 for the part table and calls). */
const POOL_JOB_WORDS = 8000;

let pooledStepMinMacs = 1 << 18;

/**
 * Sets the size (B·H·G·H multiply-adds of one step's recurrent product, G = 4 for the LSTM, 3 for
 * the GRU) from which the recurrences run on the intra-op pool; tests use 0. Returns the previous
 * value.
 */
export function setPooledStepThreshold(macs: number): number {
  const prev = pooledStepMinMacs;
  pooledStepMinMacs = macs;
  return prev;
}

/** Where a recurrence with batch B, hidden H and G gates runs: the pool when it is on and the step is large enough. */
function spaceFor(B: number, H: number, G: number): Space {
  if (Math.ceil(B / 4) >= 2 && B * H * G * H >= pooledStepMinMacs) {
    // the kernels first: registering them restarts running workers, poolThreads starts them
    const fns = poolKernels();
    const threads = fns ? poolThreads() : 1;
    if (fns && threads >= 2) {
      return {
        pooled: true,
        blocks: Math.min(2 * threads, 128),
        jobWords: POOL_JOB_WORDS,
        fns,
        use: (floats, body) => withPoolMemory(4 * floats, body),
        run: poolRun,
      };
    }
  }
  return localSpace();
}

/** A bump allocator of 64-byte aligned float blocks. */
function planner(): { take: (floats: number) => number; end: () => number } {
  let end = 0;
  return {
    take: (floats) => {
      const at = end;
      end += Math.ceil(floats / 16) * 16;
      return at;
    },
    end: () => end,
  };
}

/** The step at which each sorted row's sequence ends (its final state's step). */
function lastSteps(layout: PackedLayout): Int32Array {
  const last = new Int32Array(layout.batch);
  const T = layout.maxLen;
  for (let t = 0; t < T; t++) {
    const next = t + 1 < T ? layout.batchSizes[t + 1] : 0;
    for (let r = next; r < layout.batchSizes[t]; r++) last[r] = t;
  }
  return last;
}

/** Sorted rows 4·u0 … 4·u1 − 1 (units of 4: the matmul kernel's row panels). */
interface Block {
  u0: number;
  u1: number;
  r0: number;
}

/**
 * The batch's units of 4 rows cut into at most `count` contiguous blocks of near-equal work. A
 * unit's work is the number of steps its first (longest) row is alive: each costs one 4-row block
 * of the recurrent product whatever the rows alive in it.
 */
function rowBlocks(layout: PackedLayout, last: Int32Array, count: number): Block[] {
  const units = Math.ceil(layout.batch / 4);
  const P = Math.max(1, Math.min(count, units));
  const cum = new Float64Array(units + 1);
  for (let u = 0; u < units; u++) cum[u + 1] = cum[u] + last[4 * u] + 1;
  const out: Block[] = [];
  let u0 = 0;
  for (let p = 1; p <= P; p++) {
    let u1 = units;
    if (p < P) {
      const target = (cum[units] * p) / P;
      const most = units - (P - p); // leave a unit for every later block
      u1 = u0 + 1;
      while (u1 < most && Math.abs(cum[u1 + 1] - target) <= Math.abs(cum[u1] - target)) u1++;
    }
    out.push({ u0, u1, r0: 4 * u0 });
    u0 = u1;
  }
  return out;
}

/** One block's calls at one step: `rows` of its rows are alive (`units` = ⌈rows / 4⌉). */
type StepCalls = (t: number, b: Block, rows: number, units: number) => PoolCall[];

/**
 * Runs `steps` (time steps, in order) with every block's rows: each part of a job is one block's
 * calls for every step of the job, so a whole pass is one job (several when the calls exceed the
 * space's job area: ~100 steps each on 2 threads), not one fork–join per step.
 */
function runBlocks(space: Space, layout: PackedLayout, blocks: Block[], steps: number[], calls: StepCalls): void {
  let parts: PoolCall[][] = blocks.map(() => []);
  let words = 2 * blocks.length; // the part table
  const empty = words;
  const flush = (): void => {
    const job = parts.filter((p) => p.length > 0);
    if (job.length > 0) {
      space.run(job);
      if (space.pooled) fusedCalls.jobs++;
    }
    parts = blocks.map(() => []);
    words = empty;
  };
  for (const t of steps) {
    const n = layout.batchSizes[t];
    const add = blocks.map((b) => {
      const rows = Math.min(n, 4 * b.u1) - b.r0;
      return rows > 0 ? calls(t, b, rows, Math.ceil(rows / 4)) : [];
    });
    let w = 0;
    for (const cs of add) for (const c of cs) w += 2 + c.args.length;
    if (words + w > space.jobWords && words > empty) flush();
    add.forEach((cs, i) => parts[i].push(...cs));
    words += w;
  }
  flush();
}

/**
 * Calls for a block's rows of A [·, K] (row 0 at `a`, row-major) times B (packed panels at `bp`, N
 * columns): `packA` into the A panels at `ap`, `bgemmPart` of the block's units into `out`, whose
 * rows are then 8·⌈N/8⌉ apart — unless `scratch` is given and N is not a multiple of 8: then the
 * product goes to `scratch` and `unpackC` copies the alive rows into `out` with rows N apart.
 * Offsets in floats; `U` = units of the whole batch.
 */
function productCalls(
  F: KernelFns,
  o: { a: number; K: number; ap: number; bp: number; N: number; out: number; scratch: number | null; U: number },
  b: Block,
  rows: number,
  units: number,
): PoolCall[] {
  const N8 = Math.ceil(o.N / 8);
  const ldc = 8 * N8;
  const c = o.scratch === null || ldc === o.N ? o.out : o.scratch;
  const calls: PoolCall[] = [
    { fn: F.packA, args: [4 * (o.a + b.r0 * o.K), 4 * (o.ap + b.r0 * o.K), 1, rows, o.K, o.K, 1] },
    { fn: F.bgemmPart, args: [4 * o.ap, 4 * o.bp, 4 * c, o.U, N8, o.K, b.u0, b.u0 + units] },
  ];
  if (c !== o.out) {
    calls.push({ fn: F.unpackC, args: [4 * (c + b.r0 * ldc), 4 * (o.out + b.r0 * o.N), 1, rows, o.N, 4 * units, ldc] });
  }
  return calls;
}

/** Floats of B panels for a product with K rows and N columns. */
const panels = (K: number, N: number): number => 8 * Math.ceil(N / 8) * K;

/** Steps 0 … T − 1 (forward) or T − 1 … 0 (backward). */
function stepOrder(T: number, backward: boolean): number[] {
  return Array.from({ length: T }, (_, i) => (backward ? T - 1 - i : i));
}

/**
 * Arrays that hold a fused op's saved activations from its forward to its backward (outside the
 * kernel memory, which the next op reuses), taken from and given back to a small list of spares and
 * filled with `set`. Until session 10 they were `f.slice(…)` of the kernel memory: on the pool's
 * shared memory V8 copies a slice element by element (24 ms for 8 MB — the GRU's saved gates at the
 * bench's size — against 0.5 ms for `set` into an existing array, Node 20), the largest copy cost
 * of the GRU step in a profile (Dec 2026). At most {@link SPARE_ARRAYS} are kept; an op whose
 * backward never runs just leaves its arrays to the garbage collector.
 */
const spareArrays: Float32Array[] = [];
const SPARE_ARRAYS = 12;

/** An array of at least `n` floats (a spare one when one fits: at most twice as long). */
function takeArray(n: number): Float32Array {
  let best = -1;
  for (let i = 0; i < spareArrays.length; i++) {
    const len = spareArrays[i].length;
    if (len >= n && len <= 2 * n && (best < 0 || len < spareArrays[best].length)) best = i;
  }
  return best < 0 ? new Float32Array(n) : spareArrays.splice(best, 1)[0];
}

/** Gives arrays from {@link takeArray} back once nothing reads them any more. */
function giveBack(...arrays: Float32Array[]): void {
  spareArrays.push(...arrays);
  if (spareArrays.length > SPARE_ARRAYS) spareArrays.splice(0, spareArrays.length - SPARE_ARRAYS);
}

/** A copy of `n` floats of `f` from `at`, in an array from {@link takeArray}. */
function savedCopy(f: Float32Array, at: number, n: number): Float32Array {
  const a = takeArray(n);
  a.set(f.subarray(at, at + n));
  return a;
}

/**
 * h entering each packed row's step [N, H], from h0 [B, H] and the step outputs [N, H] (for dW),
 * in an array from {@link takeArray} (its first N·H floats).
 */
function enteringH(layout: PackedLayout, H: number, h0: Float32Array, Hall: Float32Array): Float32Array {
  const Hp = takeArray(layout.total * H);
  const { batchSizes: sizes, offsets } = layout;
  for (let t = 0; t < layout.maxLen; t++) {
    const n = sizes[t];
    Hp.set(
      t === 0 ? h0.subarray(0, n * H) : Hall.subarray(offsets[t - 1] * H, (offsets[t - 1] + n) * H),
      offsets[t] * H,
    );
  }
  return Hp;
}

/**
 * Where the gates' input projections lie in the kernel memory: gate k of packed row i at
 * at + i·xr + k·xs (floats) — the kernels' `xs` and `xr` (in bytes there).
 */
interface GateLayout {
  xs: number;
  xr: number;
}

/**
 * A layer-direction's input for {@link sequenceInference} to project itself: x [N, D] (packed rows
 * in forward order) and W_ih [G·H, D] as PyTorch stores it.
 */
export interface LayerInput {
  x: T2;
  w: T2;
}

/**
 * The gates' input projections into `f` at `at`: from G tensors [N, H] as G blocks [N, H] one
 * after the other, or from one [N, G·H] with the gates side by side (a layer's single input
 * projection) as it is — one copy; the kernels read it in place with a row stride of G·H. With
 * `rowMap`, row i is row rowMap[i] of the inputs (the reverse direction's rows taken from the
 * forward-order projection). Returns the layout for the kernels.
 */
function fillGates(
  f: Float32Array,
  at: number,
  xs: T2[],
  G: number,
  N: number,
  H: number,
  rowMap: Int32Array | null = null,
): GateLayout {
  if (xs.length === G) {
    // read each input at once (a view is valid until the next tfjs call, and none runs here)
    xs.forEach((x, k) => {
      const v = readFloat32View(x);
      if (rowMap === null) f.set(v.subarray(0, N * H), at + k * N * H);
      else for (let i = 0; i < N; i++) f.set(v.subarray(rowMap[i] * H, (rowMap[i] + 1) * H), at + k * N * H + i * H);
    });
    return { xs: N * H, xr: H };
  }
  const GH = G * H;
  const xc = readFloat32View(xs[0]);
  if (rowMap === null) f.set(xc.subarray(0, N * GH), at);
  else for (let i = 0; i < N; i++) f.set(xc.subarray(rowMap[i] * GH, (rowMap[i] + 1) * GH), at + i * GH);
  return { xs: H, xr: GH };
}

/** The recurrent weights [G·H, H] into `f` at `at`: G tensors [H, H] stacked, or one already stacked. */
function fillWeights(f: Float32Array, at: number, ws: T2[], H: number): void {
  ws.forEach((w, k) => f.set(readFloat32View(w), at + k * H * H));
}

/**
 * Calls of the `colSums` kernel (on the calling thread, in `space`'s memory `f`): column sums of
 * `count` matrices [N, cols] at at + k·step (rows `ld` floats apart) into dst[k·cols + j],
 * accumulated in float64 (a bias gradient; js-kernels.ts's `columnSums` is the same sum in JS),
 * with `acc` (2·cols floats) and `out` (count·cols floats) scratch in `f`: read while the
 * gradients are in the kernel memory, instead of `tf.sum(·, 0)`, which tfjs-backend-wasm runs as a
 * transpose and a reduction over the last axis (~3 % of the GRU step's main thread in a profile,
 * Dec 2026), or a JS loop (~1.4 %).
 */
function columnSumsInto(
  F: KernelFns,
  f: Float32Array,
  o: { at: number; step: number; count: number; N: number; cols: number; ld: number; acc: number; out: number },
  dst: Float32Array,
): void {
  for (let k = 0; k < o.count; k++) {
    F.colSums.local(4 * (o.at + k * o.step), 4 * o.ld, o.N, o.cols, 4 * o.acc, 4 * (o.out + k * o.cols));
  }
  dst.set(f.subarray(o.out, o.out + o.count * o.cols));
}

/**
 * A · B into C [4⌈M/4⌉, 8⌈N/8⌉] at `c` (rows 8⌈N/8⌉ apart) for A [M, K] and B [K, N] lying in the
 * space's memory — element (i, k) of A at a + i·aRow + k·aCol, (k, j) of B at b + k·bRow + j·bCol —
 * as two jobs: one packs A's row panels and B's column panels (at `ap`, `bp`: 4⌈M/4⌉·K and
 * 8⌈N/8⌉·K floats), one multiplies (core's `packA`, `packB`, `bgemmPart`), each cut into parts by
 * row panels. Every row is computed by the same instructions however the rows
 * are cut: the pooled result is bitwise the one-thread one.
 */
function productJobs(
  space: Space,
  o: {
    a: number;
    aRow: number;
    aCol: number;
    b: number;
    bRow: number;
    bCol: number;
    M: number;
    K: number;
    N: number;
    ap: number;
    bp: number;
    c: number;
  },
): void {
  const F = space.fns;
  const M4 = Math.ceil(o.M / 4);
  const N8 = Math.ceil(o.N / 8);
  // on the pool twice as many parts as the recurrences' blocks (as core's pooled products: a thread
  // the OS holds back then costs a smaller share); one part here
  const P = Math.max(1, Math.min(space.pooled ? 2 * space.blocks : 1, M4));
  const cut = (units: number): Array<[number, number]> =>
    Array.from({ length: P }, (_, p) => [Math.floor((units * p) / P), Math.floor((units * (p + 1)) / P)]);
  const rowsA = cut(M4);
  const colsB = cut(N8);
  const pack: PoolCall[][] = [];
  for (let p = 0; p < P; p++) {
    const [u0, u1] = rowsA[p];
    const [v0, v1] = colsB[p];
    const calls: PoolCall[] = [];
    if (u1 > u0) {
      const rows = Math.min(o.M, 4 * u1) - 4 * u0;
      calls.push({
        fn: F.packA,
        args: [4 * (o.a + 4 * u0 * o.aRow), 4 * (o.ap + 4 * u0 * o.K), 1, rows, o.K, o.aRow, o.aCol],
      });
    }
    if (v1 > v0) {
      const cols = Math.min(o.N, 8 * v1) - 8 * v0;
      calls.push({
        fn: F.packB,
        args: [4 * (o.b + 8 * v0 * o.bCol), 4 * (o.bp + 8 * v0 * o.K), 1, o.K, cols, o.bRow, o.bCol],
      });
    }
    if (calls.length > 0) pack.push(calls);
  }
  space.run(pack);
  space.run(
    rowsA
      .filter(([u0, u1]) => u1 > u0)
      .map(([u0, u1]) => [{ fn: F.bgemmPart, args: [4 * o.ap, 4 * o.bp, 4 * o.c, M4, N8, o.K, u0, u1] }]),
  );
  if (space.pooled) fusedCalls.jobs += 2;
}

/**
 * The recurrent weights' gradient d(pre)ᵀ · Hp [G·H, H] (d(pre) [N, G·H] at `pre`, the entering
 * h [N, H] at `hp`) computed where both already lie, in the backward's memory ({@link productJobs})
 * — instead of copying both out into tensors for core's `batchMatMul`, which copies them into the
 * pool memory again (≈ 3 % of the GRU step's main thread in a profile, Dec 2026). `ap`, `bp`, `c`:
 * scratch of {@link weightGradFloats}. Writes the product into `dst` [G·H, H].
 */
function weightGradInto(
  space: Space,
  f: Float32Array,
  o: { pre: number; hp: number; N: number; GH: number; H: number; ap: number; bp: number; c: number },
  dst: Float32Array,
): void {
  const ldc = 8 * Math.ceil(o.H / 8);
  // A = d(pre)ᵀ: element (i, k) is d(pre)[k, i]; B = Hp as stored
  productJobs(space, {
    a: o.pre,
    aRow: 1,
    aCol: o.GH,
    b: o.hp,
    bRow: o.H,
    bCol: 1,
    M: o.GH,
    K: o.N,
    N: o.H,
    ap: o.ap,
    bp: o.bp,
    c: o.c,
  });
  copyProduct(f, o.c, o.GH, o.H, ldc, dst);
}

/** Floats of {@link weightGradInto}'s scratch: A panels, B panels, the padded product. */
const weightGradFloats = (N: number, GH: number, H: number): [number, number, number] => [
  GH * N,
  panels(N, H),
  GH * 8 * Math.ceil(H / 8),
];

/** Copies C [rows, cols] (rows `ldc` floats apart, at `c` in `f`) into dst (rows `cols` apart). */
function copyProduct(f: Float32Array, c: number, rows: number, cols: number, ldc: number, dst: Float32Array): void {
  if (ldc === cols) dst.set(f.subarray(c, c + rows * cols));
  else for (let i = 0; i < rows; i++) dst.set(f.subarray(c + i * ldc, c + i * ldc + cols), i * cols);
}

/** Floats of {@link projectInput}'s regions: x, W_ih, their panels, the projections. */
const projectFloats = (N: number, D: number, GH: number): number[] => [
  N * D,
  GH * D,
  4 * Math.ceil(N / 4) * D,
  panels(D, GH),
  4 * Math.ceil(N / 4) * 8 * Math.ceil(GH / 8),
];

/**
 * A layer-direction's input projections x · W_ihᵀ [N, G·H] computed in the kernel memory (x and W_ih
 * copied in — x's rows through `reverse` when given — then {@link productJobs}) into `o.out`, rows
 * 8⌈G·H/8⌉ floats apart: no [N, G·H] tensor copied out of the pool memory and back in. Regions:
 * {@link projectFloats}. Returns the layout the kernels read it in.
 */
function projectInput(
  space: Space,
  f: Float32Array,
  input: LayerInput,
  N: number,
  G: number,
  H: number,
  reverse: Int32Array | null,
  [xin, w, ap, bp, out]: number[],
): GateLayout {
  const D = input.x.shape[1]!;
  const GH = G * H;
  const xv = readFloat32View(input.x);
  if (reverse === null) f.set(xv.subarray(0, N * D), xin);
  else for (let i = 0; i < N; i++) f.set(xv.subarray(reverse[i] * D, (reverse[i] + 1) * D), xin + i * D);
  f.set(readFloat32View(input.w), w);
  // B = W_ihᵀ: element (k, j) is W_ih[j, k]
  productJobs(space, { a: xin, aRow: D, aCol: 1, b: w, bRow: 1, bCol: D, M: N, K: D, N: GH, ap, bp, c: out });
  return { xs: H, xr: 8 * Math.ceil(GH / 8) };
}

/** Floats of {@link inputGradsInto}'s regions: x, W_ih, panels and product of each gradient. */
const inputGradFloats = (N: number, D: number, GH: number): number[] => [
  N * D,
  GH * D,
  4 * Math.ceil(N / 4) * GH,
  panels(GH, D),
  4 * Math.ceil(N / 4) * 8 * Math.ceil(D / 8),
  GH * N,
  panels(N, D),
  GH * 8 * Math.ceil(D / 8),
];

/**
 * The shapes of the input gradients a fused backward returns first: dx and dW_ih when the op took
 * the layer's input (`input`), else one [N, G·H] gradient of the side-by-side projection (nx = 1)
 * or G gradients [N, H] of the per-gate projections.
 */
function inputGradShapes(input: LayerInput | null, nx: number | 'input', N: number, H: number, G: number): number[][] {
  if (input) return [input.x.shape as number[], input.w.shape as number[]];
  return nx === 1 ? [[N, G * H]] : Array.from({ length: G }, () => [N, H]);
}

/**
 * Writes those gradients (shapes from {@link inputGradShapes}) into `views` from the kernel memory:
 * d(pre) [N, G·H] lies at `sideAt` (side by side), the per-gate blocks [N, H] one after another at
 * `gatesAt`.
 */
function writeInputGrads(
  space: Space,
  f: Float32Array,
  o: {
    input: LayerInput | null;
    gradIn: number[] | null;
    nx: number | 'input';
    N: number;
    H: number;
    G: number;
    sideAt: number;
    gatesAt: number;
  },
  views: Float32Array[],
): void {
  const { N, H, G } = o;
  if (o.input) inputGradsInto(space, f, o.input, N, G * H, o.sideAt, G * H, o.gradIn!, views[0], views[1]);
  else if (o.nx === 1) views[0].set(f.subarray(o.sideAt, o.sideAt + N * G * H));
  else for (let k = 0; k < G; k++) views[k].set(f.subarray(o.gatesAt + k * N * H, o.gatesAt + (k + 1) * N * H));
}

/**
 * The gradients of x and W_ih from d(x · W_ihᵀ) = dP [N, G·H] (side by side at `dp`, rows `ldp`
 * floats apart) where it lies: dx = dP · W_ih [N, D], dW_ih = dPᵀ · x [G·H, D] ({@link productJobs}
 * each; x and W_ih copied in), written into `dx` and `dw` — instead of dP copied out into a tensor
 * for two core products that copy it into the pool memory again. Regions: {@link inputGradFloats}.
 */
function inputGradsInto(
  space: Space,
  f: Float32Array,
  input: LayerInput,
  N: number,
  GH: number,
  dp: number,
  ldp: number,
  [xin, w, ap1, bp1, c1, ap2, bp2, c2]: number[],
  dx: Float32Array,
  dw: Float32Array,
): void {
  const D = input.x.shape[1]!;
  const ldc = 8 * Math.ceil(D / 8);
  f.set(readFloat32View(input.x).subarray(0, N * D), xin);
  f.set(readFloat32View(input.w).subarray(0, GH * D), w);
  productJobs(space, { a: dp, aRow: ldp, aCol: 1, b: w, bRow: D, bCol: 1, M: N, K: GH, N: D, ap: ap1, bp: bp1, c: c1 });
  copyProduct(f, c1, N, D, ldc, dx);
  productJobs(space, {
    a: dp,
    aRow: 1,
    aCol: ldp,
    b: xin,
    bRow: D,
    bCol: 1,
    M: GH,
    K: N,
    N: D,
    ap: ap2,
    bp: bp2,
    c: c2,
  });
  copyProduct(f, c2, GH, D, ldc, dw);
}

/**
 * The `colSums` kernel on this thread, for tests: column sums of x [rows, cols] (from `at`, rows
 * `ld` floats apart), as {@link columnSumsInto} runs it in the fused backward.
 */
export function kernelColumnSums(x: Float32Array, at: number, rows: number, cols: number, ld: number): Float32Array {
  const space = localSpace();
  const p = planner();
  const [aX, aAcc, aOut] = [x.length, 2 * cols, cols].map((n) => p.take(n));
  const out = new Float32Array(cols);
  space.use(p.end(), (f) => {
    f.set(x, aX);
    columnSumsInto(space.fns, f, { at: aX + at, step: 0, count: 1, N: rows, cols, ld, acc: aAcc, out: aOut }, out);
  });
  return out;
}

/**
 * Body of the LSTM custom op (inputs as in kernels.ts's lstmSequence: the input projections x_i,
 * x_f, x_g, x_o [N, H] or one [N, 4H] side by side (`nx` = 4 or 1 tensors), W_hi…W_ho [H, H] or
 * one [4H, H] (`nw`), bias [4H], h0, c0 [B, H] sorted; the gradients in the same layout).
 * Forward: per step and block `packA` + `bgemmPart` (h · [W_h·]ᵀ) and `lstmForward`, the saved
 * activations kept in the memory for the whole sequence; backward: `lstmBackward`, then the
 * block's rows of d(pre) · W_cat.
 */
export function fusedLstm(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
  nx: number | 'input' = 4,
  nw = 4,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  // 'input': inputs start with the layer's input x [N, D] and W_ih [4H, D] (projected here)
  const nIn = nx === 'input' ? 2 : nx;
  const xs = inputs.slice(0, nIn);
  const input: LayerInput | null = nx === 'input' ? { x: xs[0], w: xs[1] } : null;
  const ws = inputs.slice(nIn, nIn + nw);
  const [b, h0In, c0In] = inputs.slice(nIn + nw);
  const H = h0In.shape[1]!;
  const H4 = 4 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const offsets = layout.offsets;
  const U = Math.ceil(B / 4);
  const space = spaceFor(B, H, 4);
  const F = space.fns;
  const last = lastSteps(layout);
  const blocks = rowBlocks(layout, last, space.blocks);
  fusedCalls.step++;
  if (space.pooled) fusedCalls.pooled++;
  const p = planner();
  const proj = input ? projectFloats(N, input.x.shape[1]!, H4).map((n) => p.take(n)) : null;
  const [aXg, aW, aWp, aAp, aG, aBias, aH0, aC0, aHall, aCall, aS] = [
    input ? 0 : 4 * N * H,
    H4 * H,
    panels(H, H4),
    4 * U * H,
    4 * U * H4,
    H4,
    B * H,
    B * H,
    N * H,
    N * H,
    N * 5 * H,
  ].map((n) => p.take(n));
  const { value, S, Call, c0, Hp } = space.use(p.end(), (f) => {
    const gl = proj ? projectInput(space, f, input!, N, 4, H, null, proj) : fillGates(f, aXg, xs, 4, N, H);
    const aX = proj ? proj[4] : aXg;
    fillWeights(f, aW, ws, H);
    f.set(readFloat32View(b), aBias);
    f.set(readFloat32View(h0In), aH0);
    f.set(readFloat32View(c0In), aC0);
    // B = [W_h·]ᵀ [H, 4H]: element (k, j) is W[j, k]
    F.packB.local(4 * aW, 4 * aWp, 1, H, H4, 1, H);
    runBlocks(space, layout, blocks, stepOrder(T, false), (t, blk, rows, units) => {
      const off = offsets[t];
      const r0 = blk.r0;
      const hPrev = t === 0 ? aH0 : aHall + offsets[t - 1] * H;
      const cPrev = t === 0 ? aC0 : aCall + offsets[t - 1] * H;
      return [
        // 4H is a multiple of 16: the product's rows are dense
        ...productCalls(F, { a: hPrev, K: H, ap: aAp, bp: aWp, N: H4, out: aG, scratch: null, U }, blk, rows, units),
        {
          fn: F.lstmForward,
          args: [
            4 * (aX + (off + r0) * gl.xr),
            4 * aBias,
            4 * (aG + r0 * H4),
            4 * (cPrev + r0 * H),
            4 * (aHall + (off + r0) * H),
            4 * (aCall + (off + r0) * H),
            4 * (aS + (off + r0) * 5 * H),
            rows,
            H,
            4 * gl.xs,
            4 * gl.xr,
          ],
        },
      ];
    });
    // value, straight into a new tensor: every step's h, then each sorted sequence's final h and c
    // (at its last step)
    const made = newTensors([[N + 2 * B, H]]);
    const [v] = made.views;
    v.set(f.subarray(aHall, aHall + N * H));
    for (let r = 0; r < B; r++) {
      const at = (offsets[last[r]] + r) * H;
      v.set(f.subarray(aHall + at, aHall + at + H), (N + r) * H);
      v.set(f.subarray(aCall + at, aCall + at + H), (N + B + r) * H);
    }
    return {
      value: made.tensors()[0],
      S: savedCopy(f, aS, N * 5 * H),
      Call: savedCopy(f, aCall, N * H),
      c0: savedCopy(f, aC0, B * H),
      Hp: enteringH(layout, H, f.subarray(aH0, aH0 + B * H), f.subarray(aHall, aHall + N * H)),
    };
  });
  save(input ? [...ws, input.x, input.w] : ws);
  return {
    value,
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = readFloat32View(dy); // read before any tfjs call below
      const savedInput: LayerInput | null = input ? { x: saved[nw], w: saved[nw + 1] } : null;
      const q = planner();
      const gradIn = savedInput ? inputGradFloats(N, savedInput.x.shape[1]!, H4).map((n) => q.take(n)) : null;
      const inShapes = inputGradShapes(savedInput, nx, N, H, 4); // the first gradients: the inputs'
      const sideBySide = nx === 1 || nx === 'input';
      // side by side (nx = 1) the input projections' gradient is d(pre) itself: the kernel's dx
      // writes go to d(pre) (the same values), no blocks of their own
      const [aS2, aCall2, aC02, aDy, aDh, aDhP, aDc0, aDc1, aDpre, aDxBlocks, aWc, aWcp, aAp2, aAcc, aSum, aHp] = [
        N * 5 * H,
        N * H,
        B * H,
        N * H,
        4 * U * H,
        H % 8 === 0 ? 0 : 4 * U * panels(1, H),
        B * H,
        B * H,
        N * H4,
        sideBySide ? 0 : 4 * N * H,
        H4 * H,
        panels(H4, H),
        4 * U * H4,
        2 * H4,
        H4,
        N * H,
      ].map((n) => q.take(n));
      const [aGa, aGb, aGc] = weightGradFloats(N, H4, H).map((n) => q.take(n));
      const dxl: GateLayout = sideBySide ? { xs: H, xr: H4 } : { xs: N * H, xr: H };
      const aDx = sideBySide ? aDpre : aDxBlocks;
      const aDc = [aDc0, aDc1];
      const out = space.use(q.end(), (f) => {
        f.set(S.subarray(0, N * 5 * H), aS2);
        f.set(Call.subarray(0, N * H), aCall2);
        f.set(c0.subarray(0, B * H), aC02);
        f.set(Hp.subarray(0, N * H), aHp);
        giveBack(S, Call, c0, Hp);
        // the gradient reaching each step's h; a sequence's final-state gradients join it at its
        // last step: dh into dy's row (the carried dh of that row is 0 then: no later step wrote
        // it), dc into the carry buffer that step reads
        f.set(dyv.subarray(0, N * H), aDy);
        f.fill(0, aDh, aDh + 4 * U * H);
        for (let r = 0; r < B; r++) {
          const t = last[r];
          const row = aDy + (offsets[t] + r) * H;
          for (let j = 0; j < H; j++) f[row + j] += dyv[(N + r) * H + j];
          f.set(dyv.subarray((N + B + r) * H, (N + B + r + 1) * H), aDc[(T - 1 - t) & 1] + r * H);
        }
        fillWeights(f, aWc, saved.slice(0, nw), H);
        // B = W_cat [4H, H] as stored
        F.packB.local(4 * aWc, 4 * aWcp, 1, H4, H, H, 1);
        runBlocks(space, layout, blocks, stepOrder(T, true), (t, blk, rows, units) => {
          const off = offsets[t];
          const r0 = blk.r0;
          const cur = (T - 1 - t) & 1;
          const cPrev = t === 0 ? aC02 : aCall2 + offsets[t - 1] * H;
          return [
            {
              fn: F.lstmBackward,
              args: [
                4 * (aS2 + (off + r0) * 5 * H),
                4 * (cPrev + r0 * H),
                4 * (aDy + (off + r0) * H),
                4 * (aDh + r0 * H),
                4 * (aDc[cur] + r0 * H),
                4 * (aDpre + (off + r0) * H4),
                4 * (aDx + (off + r0) * dxl.xr),
                4 * (aDc[1 - cur] + r0 * H),
                rows,
                H,
                4 * dxl.xs,
                4 * dxl.xr,
              ],
            },
            // the block's rows of d(pre)·W_cat: the carried dh for step t − 1
            ...productCalls(
              F,
              { a: aDpre + off * H4, K: H4, ap: aAp2, bp: aWcp, N: H, out: aDh, scratch: aDhP, U },
              blk,
              rows,
              units,
            ),
          ];
        });
        // the gradients straight into new tensors (on wasm their heap bytes): the inputs' (side by
        // side: d(pre) itself), dW_hh [4H, H], dh0, dc0, the bias's
        const made = newTensors([...inShapes, [H4, H], [B, H], [B, H], [1, H4]]);
        const views = made.views;
        writeInputGrads(space, f, { input: savedInput, gradIn, nx, N, H, G: 4, sideAt: aDpre, gatesAt: aDx }, views);
        const [dWV, dh0V, dc0V, dbV] = views.slice(inShapes.length);
        // dW_hh = d(pre)ᵀ · Hp, one product for the gates stacked
        weightGradInto(space, f, { pre: aDpre, hp: aHp, N, GH: H4, H, ap: aGa, bp: aGb, c: aGc }, dWV);
        dh0V.set(f.subarray(aDh, aDh + B * H));
        dc0V.set(f.subarray(aDc[T & 1], aDc[T & 1] + B * H)); // written by step 0
        // bias = column sums of d(pre)
        columnSumsInto(F, f, { at: aDpre, step: 0, count: 1, N, cols: H4, ld: H4, acc: aAcc, out: aSum }, dbV);
        return made.tensors();
      });
      return tf.tidy(() => {
        const nOut = inShapes.length;
        const dX = out.slice(0, nOut);
        const [dWcat, dh0, dc0, db] = out.slice(nOut);
        const grads = [...dX, ...(nw === 1 ? [dWcat] : tf.split(dWcat, 4, 0)), tf.reshape(db, [H4]), dh0, dc0];
        db.dispose(); // made outside this tidy (its reshape shares the data)
        if (nw !== 1) dWcat.dispose(); // made outside this tidy, not returned
        return grads;
      });
    },
  };
}

/**
 * Body of the GRU custom op (inputs as in kernels.ts's gruSequence: x_r, x_z, x_n [N, H] or one
 * [N, 3H] side by side (`nx` = 3 or 1), W_hr, W_hz, W_hn [H, H] or one [3H, H] (`nw`), bias [3H]
 * = b_ih + (b_hr, b_hz, 0), b_hn [H], h0 [B, H] sorted), as {@link fusedLstm}: per step and block
 * h · [W_hr; W_hz; W_hn]ᵀ and `gruForward`; backward `gruBackward` and the block's rows of
 * d(pre) · W_cat. Value [N + B, H].
 */
export function fusedGru(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
  nx: number | 'input' = 3,
  nw = 3,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  // 'input': inputs start with the layer's input x [N, D] and W_ih [3H, D] (projected here)
  const nIn = nx === 'input' ? 2 : nx;
  const xs = inputs.slice(0, nIn);
  const input: LayerInput | null = nx === 'input' ? { x: xs[0], w: xs[1] } : null;
  const ws = inputs.slice(nIn, nIn + nw);
  const [b, bhnIn, h0In] = inputs.slice(nIn + nw);
  const H = h0In.shape[1]!;
  const H3 = 3 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const offsets = layout.offsets;
  const U = Math.ceil(B / 4);
  const space = spaceFor(B, H, 3);
  const F = space.fns;
  const last = lastSteps(layout);
  const blocks = rowBlocks(layout, last, space.blocks);
  fusedCalls.step++;
  if (space.pooled) fusedCalls.pooled++;
  const p = planner();
  const proj = input ? projectFloats(N, input.x.shape[1]!, H3).map((n) => p.take(n)) : null;
  const [aXg, aW, aWp, aAp, aG, aGp, aBias, aBhn, aH0, aHall, aS] = [
    input ? 0 : 3 * N * H,
    H3 * H,
    panels(H, H3),
    4 * U * H,
    4 * U * H3,
    H % 8 === 0 ? 0 : 4 * U * panels(1, H3), // 3H is not a multiple of 8: the padded product
    H3,
    H,
    B * H,
    N * H,
    N * 4 * H,
  ].map((n) => p.take(n));
  const { value, S, Hp } = space.use(p.end(), (f) => {
    const gl = proj ? projectInput(space, f, input!, N, 3, H, null, proj) : fillGates(f, aXg, xs, 3, N, H);
    const aX = proj ? proj[4] : aXg;
    fillWeights(f, aW, ws, H);
    f.set(readFloat32View(b), aBias);
    f.set(readFloat32View(bhnIn), aBhn);
    f.set(readFloat32View(h0In), aH0);
    F.packB.local(4 * aW, 4 * aWp, 1, H, H3, 1, H);
    runBlocks(space, layout, blocks, stepOrder(T, false), (t, blk, rows, units) => {
      const off = offsets[t];
      const r0 = blk.r0;
      const hPrev = t === 0 ? aH0 : aHall + offsets[t - 1] * H;
      return [
        ...productCalls(F, { a: hPrev, K: H, ap: aAp, bp: aWp, N: H3, out: aG, scratch: aGp, U }, blk, rows, units),
        {
          fn: F.gruForward,
          args: [
            4 * (aX + (off + r0) * gl.xr),
            4 * aBias,
            4 * aBhn,
            4 * (aG + r0 * H3),
            4 * (hPrev + r0 * H),
            4 * (aHall + (off + r0) * H),
            4 * (aS + (off + r0) * 4 * H),
            rows,
            H,
            4 * gl.xs,
            4 * gl.xr,
          ],
        },
      ];
    });
    // value, straight into a new tensor: every step's h, then each sorted sequence's final h
    const made = newTensors([[N + B, H]]);
    const [v] = made.views;
    v.set(f.subarray(aHall, aHall + N * H));
    for (let r = 0; r < B; r++) {
      const at = aHall + (offsets[last[r]] + r) * H;
      v.set(f.subarray(at, at + H), (N + r) * H);
    }
    return {
      value: made.tensors()[0],
      S: savedCopy(f, aS, N * 4 * H),
      Hp: enteringH(layout, H, f.subarray(aH0, aH0 + B * H), f.subarray(aHall, aHall + N * H)),
    };
  });
  save(input ? [...ws, input.x, input.w] : ws);
  return {
    value,
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = readFloat32View(dy); // read before any tfjs call below
      const savedInput: LayerInput | null = input ? { x: saved[nw], w: saved[nw + 1] } : null;
      const q = planner();
      const gradIn = savedInput ? inputGradFloats(N, savedInput.x.shape[1]!, H3).map((n) => q.take(n)) : null;
      const inShapes = inputGradShapes(savedInput, nx, N, H, 3); // the first gradients: the inputs'
      const [aS2, aHp, aDy, aDhA, aDhP, aDz0, aDz1, aDpre, aDx, aDhn, aWc, aWcp, aAp2, aAcc, aSum] = [
        N * 4 * H,
        N * H,
        N * H,
        4 * U * H,
        H % 8 === 0 ? 0 : 4 * U * panels(1, H),
        B * H,
        B * H,
        N * H3,
        3 * N * H,
        N * H,
        H3 * H,
        panels(H3, H),
        4 * U * H3,
        2 * H3,
        H3 + H,
      ].map((n) => q.take(n));
      const [aGa, aGb, aGc] = weightGradFloats(N, H3, H).map((n) => q.take(n));
      const aDz = [aDz0, aDz1];
      // the inputs' gradients (pr, pz, dN) in the inputs' layout: one [N, 3H] side by side, or 3 blocks
      const sideBySide = nx === 1 || nx === 'input';
      const dxl: GateLayout = sideBySide ? { xs: H, xr: H3 } : { xs: N * H, xr: H };
      const out = space.use(q.end(), (f) => {
        f.set(S.subarray(0, N * 4 * H), aS2);
        f.set(Hp.subarray(0, N * H), aHp);
        giveBack(S, Hp);
        // a sequence's final-state gradient joins dy at its last step, where the carried parts
        // (matmul and direct, both zero-initialised) are 0: no later step wrote that row
        f.set(dyv.subarray(0, N * H), aDy);
        for (let r = 0; r < B; r++) {
          const row = aDy + (offsets[last[r]] + r) * H;
          for (let j = 0; j < H; j++) f[row + j] += dyv[(N + r) * H + j];
        }
        f.fill(0, aDhA, aDhA + 4 * U * H);
        f.fill(0, aDz0, aDz0 + B * H);
        f.fill(0, aDz1, aDz1 + B * H);
        fillWeights(f, aWc, saved.slice(0, nw), H);
        F.packB.local(4 * aWc, 4 * aWcp, 1, H3, H, H, 1);
        runBlocks(space, layout, blocks, stepOrder(T, true), (t, blk, rows, units) => {
          const off = offsets[t];
          const r0 = blk.r0;
          const cur = (T - 1 - t) & 1;
          return [
            {
              fn: F.gruBackward,
              args: [
                4 * (aS2 + (off + r0) * 4 * H),
                4 * (aHp + (off + r0) * H),
                4 * (aDy + (off + r0) * H),
                4 * (aDhA + r0 * H),
                4 * (aDz[cur] + r0 * H),
                4 * (aDpre + (off + r0) * H3),
                4 * (aDx + (off + r0) * dxl.xr),
                4 * (aDhn + (off + r0) * H),
                4 * (aDz[1 - cur] + r0 * H),
                rows,
                H,
                4 * dxl.xs,
                4 * dxl.xr,
              ],
            },
            ...productCalls(
              F,
              { a: aDpre + off * H3, K: H3, ap: aAp2, bp: aWcp, N: H, out: aDhA, scratch: aDhP, U },
              blk,
              rows,
              units,
            ),
          ];
        });
        // the gradients straight into new tensors (on wasm their heap bytes): the inputs' (one copy
        // each: written in their layout), dW_hh [3H, H], dh0, the biases' — no array in between
        const made = newTensors([...inShapes, [H3, H], [B, H], [1, H3], [1, H]]);
        const views = made.views;
        writeInputGrads(space, f, { input: savedInput, gradIn, nx, N, H, G: 3, sideAt: aDx, gatesAt: aDx }, views);
        const [dWV, dh0V, dbV, dbhnV] = views.slice(inShapes.length);
        // dW_hh = d(pre)ᵀ · Hp, d(pre) = (pr, pz, dHn): one product for the gates stacked
        weightGradInto(space, f, { pre: aDpre, hp: aHp, N, GH: H3, H, ap: aGa, bp: aGb, c: aGc }, dWV);
        dh0V.set(f.subarray(aDhA, aDhA + B * H));
        const dz = f.subarray(aDz[T & 1], aDz[T & 1] + B * H); // written by step 0
        for (let i = 0; i < B * H; i++) dh0V[i] += dz[i];
        // bias: column sums of (pr, pz, dN); b_hn: of its rows' gradients
        const sums = { N, acc: aAcc, out: aSum };
        if (sideBySide) columnSumsInto(F, f, { ...sums, at: aDx, step: 0, count: 1, cols: H3, ld: H3 }, dbV);
        else columnSumsInto(F, f, { ...sums, at: aDx, step: N * H, count: 3, cols: H, ld: H }, dbV);
        columnSumsInto(F, f, { ...sums, at: aDhn, step: 0, count: 1, cols: H, ld: H }, dbhnV);
        return made.tensors();
      });
      return tf.tidy(() => {
        const nOut = inShapes.length;
        const dXt = out.slice(0, nOut);
        const [dWcat, dh0, db, dbhn] = out.slice(nOut);
        const grads = [
          ...dXt,
          ...(nw === 1 ? [dWcat] : tf.split(dWcat, 3, 0)),
          tf.reshape(db, [H3]),
          tf.reshape(dbhn, [H]),
          dh0,
        ];
        tf.dispose([db, dbhn, ...(nw === 1 ? [] : [dWcat])]); // made outside this tidy (the reshapes share the data)
        return grads;
      });
    },
  };
}

/**
 * A whole layer-direction of the LSTM (`cell` 'lstm': inputs as lstmSequence's) or GRU ('gru': as
 * gruSequence's, with `bhn`) when no gradient is needed. The input projections — given (`xs`,
 * computed before) and copied in, or, given the layer's input (`LayerInput`: what the layers pass),
 * computed here by the matmul kernel straight into the memory (two jobs: packing, product), with no
 * [N, G·H] tensor copied out of the pool memory and back in (≈ 2 copies of 6 MB per
 * layer-direction at the bench's size) — and the weights (`[W_h·]ᵀ` packed once); per step
 * and block of rows `packA` + `bgemmPart` and one `lstmInfer` / `gruInfer` call, which adds
 * projections and biases, applies the gates and writes h straight into the output rows (the next
 * step's h). On the intra-op pool the whole pass is one job whose parts are the blocks, each
 * running every step for its rows; bitwise the one-thread result.
 *
 * Returns the parts the layer uses — outputs [N, H], each sorted sequence's final h [B, H] (and the
 * LSTM's final c [B, H]) — written straight from the kernel memory into new tensors (on wasm into
 * their heap bytes): no [N + 2B, H] value that tfjs's `split` would copy again (its wasm `slice`
 * copies the whole input per part). With `reverse` (a layer's reverse direction: packing.ts's
 * `reverseIndex`), `xs` are the projections of the FORWARD-order input (or the input x is) and the
 * outputs come back in forward order: row i of the run reads projection (input) row reverse[i] and
 * writes output row reverse[i] — what reversing the input and the output with two row gathers would
 * give, without them.
 */
export function sequenceInference(
  cell: 'lstm' | 'gru',
  layout: PackedLayout,
  xs: T2[] | LayerInput,
  ws: T2[],
  bias: T2,
  bhn: T2 | null,
  h0: T2,
  c0: T2 | null,
  reverse: Int32Array | null = null,
): T2[] {
  const H = h0.shape[1]!;
  const B = layout.batch;
  const N = layout.total;
  const T = layout.maxLen;
  const offsets = layout.offsets;
  const G = cell === 'lstm' ? 4 : 3;
  const GH = G * H;
  const U = Math.ceil(B / 4);
  const ldg = 8 * Math.ceil(GH / 8); // floats per row of the padded product
  const space = spaceFor(B, H, G);
  const F = space.fns;
  const last = lastSteps(layout);
  const p = planner();
  // with the layer's input: x, W_ih, their panels and the projections computed here (projectInput)
  const input = Array.isArray(xs) ? null : xs;
  const proj = input ? projectFloats(N, input.x.shape[1]!, GH).map((n) => p.take(n)) : null;
  const [aX, aW, aWp, aAp, aG, aBias, aBhn, aH0, aC, aOut] = [
    input ? 0 : G * N * H, // the given input projections (see fillGates)
    GH * H, // [W_h·] as PyTorch stores it, [G·H, H]
    panels(H, GH), // its transpose in the matmul kernel's B panels
    4 * U * H, // A panels of h
    4 * U * ldg, // h · [W_h·]ᵀ
    GH,
    H,
    B * H,
    B * H, // the LSTM's c, updated in place
    N * H, // every step's h
  ].map((n) => p.take(n));
  const out = space.use(p.end(), (f) => {
    const gl = proj
      ? projectInput(space, f, input!, N, G, H, reverse, proj)
      : fillGates(f, aX, xs as T2[], G, N, H, reverse);
    const aXp = proj ? proj[4] : aX; // where the projections are
    fillWeights(f, aW, ws, H);
    f.set(readFloat32View(bias), aBias);
    if (bhn) f.set(readFloat32View(bhn), aBhn);
    f.set(readFloat32View(h0), aH0);
    if (c0) f.set(readFloat32View(c0), aC);
    // B = [W_h·]ᵀ [H, G·H]: element (k, j) is W[j, k], at j·H + k of the stored matrix
    F.packB.local(4 * aW, 4 * aWp, 1, H, GH, 1, H);
    runBlocks(space, layout, rowBlocks(layout, last, space.blocks), stepOrder(T, false), (t, blk, rows, units) => {
      const r0 = blk.r0;
      // h entering step t: its rows are the first rows of step t − 1's outputs (sorted, packed)
      const hPrev = t === 0 ? aH0 : aOut + offsets[t - 1] * H;
      const hOut = aOut + offsets[t] * H;
      const x = 4 * (aXp + (offsets[t] + r0) * gl.xr);
      const gates = 4 * (aG + r0 * ldg);
      return [
        ...productCalls(F, { a: hPrev, K: H, ap: aAp, bp: aWp, N: GH, out: aG, scratch: null, U }, blk, rows, units),
        cell === 'lstm'
          ? {
              fn: F.lstmInfer,
              args: [
                x,
                4 * gl.xs,
                4 * aBias,
                gates,
                4 * ldg,
                4 * (aC + r0 * H),
                4 * (hOut + r0 * H),
                rows,
                H,
                4 * gl.xr,
              ],
            }
          : {
              fn: F.gruInfer,
              args: [
                x,
                4 * gl.xs,
                4 * aBias,
                4 * aBhn,
                gates,
                4 * ldg,
                4 * (hPrev + r0 * H),
                4 * (hOut + r0 * H),
                rows,
                H,
                4 * gl.xr,
              ],
            },
      ];
    });
    const parts = newTensors([[N, H], [B, H], ...(cell === 'lstm' ? [[B, H]] : [])]);
    const [y, h, c] = parts.views;
    if (reverse === null) y.set(f.subarray(aOut, aOut + N * H));
    else for (let i = 0; i < N; i++) y.set(f.subarray(aOut + i * H, aOut + (i + 1) * H), reverse[i] * H);
    // each sorted sequence's final h (and c: its row of c is not updated after its last step)
    for (let r = 0; r < B; r++) {
      const at = aOut + (offsets[last[r]] + r) * H;
      h.set(f.subarray(at, at + H), r * H);
    }
    if (c) c.set(f.subarray(aC, aC + B * H));
    return parts.tensors();
  });
  fusedCalls.sequence++;
  if (space.pooled) fusedCalls.pooled++;
  return out;
}

/**
 * New float32 tensors of `shapes` to fill through `views` (valid until the next tfjs call), then
 * `tensors()`: on wasm tensors whose heap bytes the views are (allocated first, so no later
 * allocation moves the heap under them); elsewhere plain arrays that `tensors()` wraps.
 */
function newTensors(shapes: number[][]): { views: Float32Array[]; tensors: () => T2[] } {
  const made = shapes.map((s) => emptyFloat32Tensor(s));
  const views = made.map((t) => (t ? wasmFloat32View(t) : null));
  if (views.every((v) => v !== null)) return { views: views as Float32Array[], tensors: () => made as T2[] };
  tf.dispose(made.filter((t): t is T2 => t !== null));
  const arrays = shapes.map((s) => new Float32Array(s[0] * s[1]));
  return { views: arrays, tensors: () => arrays.map((a, k) => tf.tensor2d(a, shapes[k] as [number, number])) };
}
