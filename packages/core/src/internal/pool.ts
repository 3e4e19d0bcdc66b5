/**
 * The intra-op thread pool: threads INSIDE one op (a large matmul, the recurrent kernels' batch),
 * so that one forward or backward pass uses every core — what PyTorch's intra-op threads (OpenMP)
 * do, and what tfjs-backend-wasm cannot do in Node (its threaded build fails there).
 *
 * N − 1 workers (Node `worker_threads`, browser Web Workers; the calling thread is the N-th) each
 * instantiate the same WebAssembly kernels (the `.wat` modules compiled with a shared memory
 * import, `scripts/compile-shared-wat.mjs`) on ONE `WebAssembly.Memory({ shared: true })`, so a
 * job needs no copies: it is a short list of calls `(function, i32 args…)` written into the
 * worker's slot of a small Int32 control block (a SharedArrayBuffer) and announced with
 * `Atomics.notify`. Workers spin briefly, then sleep in `Atomics.wait`; the calling thread runs its
 * own share and then waits for the others' `DONE` words (a spin, then `Atomics.wait`). That is the
 * fork–join of OpenMP's `parallel for`, one join per op (per time step for the recurrences).
 *
 * Workers are started lazily, on first use (or by `startThreads` in pool-matmul.ts), and `unref()`ed in Node so
 * a process can exit with them idle. Until they report ready an op runs on the calling thread
 * alone (their start is asynchronous, and a browser would not start them while this thread
 * blocks). Where the calling thread may not block — a browser's main thread, where `Atomics.wait`
 * throws — or memory cannot be shared (a page that is not cross-origin isolated), there is one
 * thread and no worker.
 *
 * Thread count: {@link setThreads} (1 = off), else the `WORDLOOM_THREADS` environment variable in
 * Node, else the number of cores (`os.availableParallelism()`, `navigator.hardwareConcurrency`).
 * Rule: replicas × pool threads ≤ cores — a process that runs data-parallel replicas (each its own
 * worker with its own pool) should give each replica `setThreads(cores / replicas)`, 1 when there
 * are as many replicas as cores; more threads than cores only make them wait for each other.
 *
 * Reference: OpenMP's fork–join `parallel for` with static scheduling (libgomp), which PyTorch's
 * `at::parallel_for` uses on CPU; emscripten's pthreads over a shared `WebAssembly.Memory`.
 */

/** Int32 words per worker slot (512 bytes, so two workers' words never share a cache line). */
const SLOT = 128;
/** Slot words: job sequence number, last finished job, state, error flag, jobs run, call count, calls. */
const SEQ = 0;
const DONE = 16; // another cache line than SEQ: the worker writes it, the caller writes SEQ
const STATE = 17;
const ERR = 18;
const JOBS = 19;
const NCALLS = 32;
const CALLS = 33;
/** STATE values. */
const STARTING = 0;
const READY = 1;
const FAILED = 2;
/** Exports per module in the function-id space (id = module · 64 + export index). */
const FNS_PER_MODULE = 64;
/** Spin iterations before `Atomics.wait` (≈ 10–50 µs): an op's join and the next op's fork are usually that close. */
const SPIN = 20_000;
/** A join that takes longer than this means a worker is gone: fail instead of hanging. */
const JOIN_TIMEOUT_MS = 120_000;
/** Largest memory: 65,536 pages = 4 GiB, the most a 32-bit WebAssembly address reaches. */
const MAX_PAGES = 65_536;

/** One call in a job: a kernel function (from {@link poolKernel}) and its i32 arguments. */
export interface PoolCall {
  fn: PoolFunction;
  args: number[];
}

/** A function of a pool kernel: its id in the workers and the calling thread's own instance. */
export interface PoolFunction {
  readonly id: number;
  readonly name: string;
  readonly local: (...args: number[]) => unknown;
}

interface ModuleEntry {
  name: string;
  module: WebAssembly.Module;
  exportNames: string[];
  fns: Map<string, PoolFunction>;
}

interface WorkerHandle {
  terminate(): unknown;
}

/** The part of a browser `Worker` the pool uses (no DOM types needed). */
interface WebWorkerLike extends WorkerHandle {
  postMessage(message: unknown): void;
  onerror: ((e: unknown) => void) | null;
}

interface Generation {
  control: Int32Array;
  workers: WorkerHandle[];
  /** Modules the workers were started with (a module registered later restarts them). */
  modules: number;
  url?: string;
}

let requested: number | undefined; // setThreads
let memory: WebAssembly.Memory | null | undefined;
const modules: ModuleEntry[] = [];
let gen: Generation | null = null;
let startError: string | undefined;
let seq = 0;
let busy = false;

type GetBuiltin = (id: string) => unknown;

function getBuiltin(): GetBuiltin | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  return typeof proc?.getBuiltinModule === 'function' ? proc.getBuiltinModule.bind(proc) : undefined;
}

/** Node's `worker_threads` and `os` (through `process.getBuiltinModule`, Node ≥ 20.16: no `node:` import). */
function nodeModules(): {
  wt: {
    Worker: new (
      src: string,
      o: object,
    ) => WorkerHandle & { unref(): void; on(e: string, f: (x: unknown) => void): void; postMessage(m: unknown): void };
  };
  os: { availableParallelism?: () => number; cpus(): unknown[] };
} | null {
  const get = getBuiltin();
  if (!get) return null;
  const wt = get('node:worker_threads');
  const os = get('node:os');
  return wt && os ? ({ wt, os } as never) : null;
}

/** Cores of this machine (1 if unknown). */
export function coreCount(): number {
  const node = nodeModules();
  if (node) return Math.max(1, node.os.availableParallelism?.() ?? node.os.cpus().length);
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? Math.floor(n) : 1;
}

/**
 * Parses a `WORDLOOM_THREADS` value: a positive integer, `0`/`off`/`false` (= 1 thread) or
 * `auto`/empty (undefined: the default). Throws on anything else, naming the value.
 */
export function parseThreadsEnv(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return undefined;
  if (v === '0' || v === 'off' || v === 'false') return 1;
  if (/^[1-9][0-9]*$/.test(v)) return Number(v);
  throw new Error(`WORDLOOM_THREADS = '${value}': expected a positive integer, 'auto', or 0/off to turn threads off`);
}

/** Why this environment cannot run pool threads (undefined when it can); checked once. */
export function threadsUnavailable(): string | undefined {
  if (unavailable === undefined) unavailable = { why: checkThreads() };
  return unavailable.why;
}

let unavailable: { why: string | undefined } | undefined;

function checkThreads(): string | undefined {
  if (typeof SharedArrayBuffer !== 'function') {
    return 'no SharedArrayBuffer (a browser page must be cross-origin isolated: COOP same-origin + COEP require-corp)';
  }
  if (typeof Atomics?.wait !== 'function') return 'no Atomics.wait';
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0); // throws where blocking is not allowed
  } catch {
    return "this thread may not block in Atomics.wait (a browser's main thread): one thread, run the model in a Web Worker to use more";
  }
  if (!nodeModules() && typeof (globalThis as { Worker?: unknown }).Worker !== 'function') {
    return 'neither worker_threads nor Web Workers';
  }
  return undefined;
}

/**
 * Sets the pool's thread count (the calling thread included): a positive integer, 1 = no
 * worker (the previous single-thread kernels run), `'auto'` = the default (`WORDLOOM_THREADS`,
 * else the number of cores). Lowering it leaves the extra workers asleep (in `Atomics.wait`: no CPU);
 * raising it above the running ones starts them again, more. Returns the previous setting. @default 'auto'
 */
export function setThreads(n: number | 'auto'): number | 'auto' {
  if (n !== 'auto' && !(Number.isInteger(n) && n >= 1 && n <= 256)) {
    throw new Error(`setThreads: n = ${String(n)} must be an integer in [1, 256] or 'auto'`);
  }
  const prev = requested ?? 'auto';
  requested = n === 'auto' ? undefined : n;
  return prev;
}

/** The configured thread count (the calling thread included); 1 where threads cannot run here. */
export function getThreads(): number {
  if (threadsUnavailable() !== undefined) return 1;
  if (requested !== undefined) return requested;
  defaultThreads ??= threadsDefault();
  return defaultThreads;
}

let defaultThreads: number | undefined;

/** `WORDLOOM_THREADS`, else 1 in a Node worker thread, else the cores (read once). */
function threadsDefault(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const fromEnv = parseThreadsEnv(env?.WORDLOOM_THREADS);
  if (fromEnv !== undefined) return fromEnv;
  // A Node worker thread is usually one of several data-parallel replicas (@wordloom/train):
  // replicas × threads ≤ cores, so it starts with one thread unless told otherwise.
  const wt = nodeModules()?.wt as { isMainThread?: boolean } | undefined;
  if (wt && wt.isMainThread === false) return 1;
  return coreCount();
}

/**
 * The pool's shared memory (created on first call: 16 MiB, growing to at most 4 GiB), or null
 * when threads cannot run here or are set to 1.
 */
export function poolMemory(): WebAssembly.Memory | null {
  if (getThreads() < 2) return null;
  if (memory === undefined) {
    try {
      memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared: true });
      if (!(memory.buffer instanceof SharedArrayBuffer)) memory = null;
    } catch {
      memory = null;
    }
  }
  return memory;
}

/** Grows the pool memory to at least `bytes` and returns a float view of all of it. */
export function poolHeap(bytes: number): Float32Array {
  const mem = poolMemory();
  if (!mem) throw new Error('pool: no shared memory (threads are off or unavailable here)');
  if (bytes > MAX_PAGES * 65536) {
    throw new RangeError(`pool: ${(bytes / 2 ** 30).toFixed(2)} GiB of work memory exceeds WebAssembly's 4 GiB`);
  }
  const have = mem.buffer.byteLength;
  if (bytes > have) mem.grow(Math.ceil((bytes - have) / 65536));
  return new Float32Array(mem.buffer);
}

/**
 * Registers a kernel module (base64 of a WebAssembly binary that imports `env.mem` as a shared
 * memory) under `name` and returns its exports as pool functions, instantiated on the calling
 * thread; workers instantiate it too (running workers restart to pick it up). Null when the pool
 * has no shared memory or the module does not validate. Cached by name.
 */
export function poolKernel(name: string, base64: string): Map<string, PoolFunction> | null {
  const have = modules.find((m) => m.name === name);
  if (have) return have.fns;
  const mem = poolMemory();
  if (!mem) return null;
  let entry: ModuleEntry;
  try {
    const bytes = decodeBase64(base64);
    if (!WebAssembly.validate(bytes)) return null;
    const module = new WebAssembly.Module(bytes);
    const exportNames = WebAssembly.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name);
    if (exportNames.length > FNS_PER_MODULE)
      throw new Error(`pool: module '${name}' has more than ${FNS_PER_MODULE} functions`);
    const inst = new WebAssembly.Instance(module, { env: { mem } });
    const fns = new Map<string, PoolFunction>();
    exportNames.forEach((fname, i) => {
      const local = inst.exports[fname] as (...args: number[]) => unknown;
      fns.set(fname, { id: modules.length * FNS_PER_MODULE + i, name: `${name}.${fname}`, local });
    });
    entry = { name, module, exportNames, fns };
  } catch {
    return null;
  }
  modules.push(entry);
  if (gen) stopThreads(); // restart with the new module at the next use
  return entry.fns;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The worker's program, as source: runs in a Node eval worker and in a classic Web Worker alike. */
const WORKER_SOURCE = `
'use strict';
const SLOT = ${SLOT}, SEQ = ${SEQ}, DONE = ${DONE}, STATE = ${STATE}, ERR = ${ERR}, JOBS = ${JOBS};
const NCALLS = ${NCALLS}, CALLS = ${CALLS}, READY = ${READY}, FAILED = ${FAILED}, FNS = ${FNS_PER_MODULE};
const SPIN = ${SPIN};
function start(msg) {
  const ctl = new Int32Array(msg.control);
  const base = msg.index * SLOT;
  const fns = [];
  try {
    msg.modules.forEach((m, k) => {
      const inst = new WebAssembly.Instance(m.module, { env: { mem: msg.memory } });
      m.exportNames.forEach((name, i) => { fns[k * FNS + i] = inst.exports[name]; });
    });
  } catch (e) {
    Atomics.store(ctl, base + STATE, FAILED);
    Atomics.notify(ctl, base + STATE);
    return;
  }
  // read SEQ before saying READY: the caller posts jobs only to READY workers, so every later
  // change of SEQ is a job
  let last = Atomics.load(ctl, base + SEQ);
  Atomics.store(ctl, base + STATE, READY);
  Atomics.notify(ctl, base + STATE);
  const args = [];
  for (;;) {
    let s = Atomics.load(ctl, base + SEQ);
    for (let i = 0; s === last && i < SPIN; i++) s = Atomics.load(ctl, base + SEQ);
    if (s === last) { Atomics.wait(ctl, base + SEQ, last); continue; }
    last = s;
    const n = ctl[base + NCALLS];
    if (n < 0) return; // stop
    let err = 0;
    try {
      let p = base + CALLS;
      for (let c = 0; c < n; c++) {
        const f = fns[ctl[p]];
        const k = ctl[p + 1];
        args.length = k;
        for (let j = 0; j < k; j++) args[j] = ctl[p + 2 + j];
        f.apply(null, args);
        p += 2 + k;
      }
    } catch (e) { err = 1; }
    ctl[base + ERR] = err;
    ctl[base + JOBS]++;
    Atomics.store(ctl, base + DONE, s);
    Atomics.notify(ctl, base + DONE);
  }
}
if (typeof self === 'undefined' && typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (m) => { start(m); parentPort.close(); });
} else {
  self.onmessage = (e) => { self.onmessage = null; start(e.data); self.close(); };
}
`;

/** Starts the workers if they are not running (asynchronous: they report ready later). */
function ensureStarted(): Generation | null {
  const threads = getThreads();
  if (gen && gen.workers.length >= threads - 1) return gen; // fewer threads wanted: some workers stay idle
  if (gen) stopThreads(); // more wanted: start again with more
  if (startError !== undefined) return null; // workers could not be created here: do not retry every op
  const mem = poolMemory();
  if (threads < 2 || !mem || modules.length === 0) return null;
  const workers = threads - 1;
  const control = new Int32Array(new SharedArrayBuffer(4 * SLOT * workers));
  const g: Generation = { control, workers: [], modules: modules.length };
  const payload = modules.map((m) => ({ module: m.module, exportNames: m.exportNames }));
  try {
    const node = nodeModules();
    if (node) {
      for (let w = 0; w < workers; w++) {
        const worker = new node.wt.Worker(WORKER_SOURCE, { eval: true, name: `wordloom-pool-${w}` });
        worker.on('error', () => markFailed(control, w));
        worker.on('exit', () => markFailed(control, w));
        worker.unref();
        worker.postMessage({ control: control.buffer, memory: mem, modules: payload, index: w });
        g.workers.push(worker);
      }
    } else {
      const W = (globalThis as unknown as { Worker: new (url: string, o?: object) => WebWorkerLike }).Worker;
      g.url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      for (let w = 0; w < workers; w++) {
        const worker = new W(g.url, { name: `wordloom-pool-${w}` });
        worker.onerror = () => markFailed(control, w);
        worker.postMessage({ control: control.buffer, memory: mem, modules: payload, index: w });
        g.workers.push(worker);
      }
    }
  } catch (e) {
    startError = e instanceof Error ? e.message : String(e);
    for (const w of g.workers) w.terminate();
    return null;
  }
  gen = g;
  return g;
}

function markFailed(control: Int32Array, w: number): void {
  Atomics.store(control, w * SLOT + STATE, FAILED);
  Atomics.store(control, w * SLOT + ERR, 1);
  Atomics.notify(control, w * SLOT + DONE); // wake a join waiting on it
}

/** Indices of the workers ready for a job now. */
function readyWorkers(g: Generation): number[] {
  const out: number[] = [];
  for (let w = 0; w < g.workers.length; w++) {
    if (Atomics.load(g.control, w * SLOT + STATE) === READY) out.push(w);
  }
  return out;
}

/**
 * Threads an op can use NOW (the calling thread included): 1 + the workers that are ready.
 * Starts the workers on first call (then returns 1 until they are up); 1 during a pool job.
 */
export function poolActiveThreads(): number {
  if (busy) return 1;
  const want = getThreads();
  if (want < 2) return 1;
  const g = ensureStarted();
  return g ? Math.min(want, 1 + readyWorkers(g).length) : 1;
}

/** Jobs each worker has run, and its state (for tests and benchmarks). */
export function poolStats(): { threads: number; ready: number; jobs: number[]; error?: string } {
  const g = gen;
  if (!g) return { threads: getThreads(), ready: 0, jobs: [], error: startError };
  return {
    threads: getThreads(),
    ready: readyWorkers(g).length,
    jobs: g.workers.map((_, w) => Atomics.load(g.control, w * SLOT + JOBS)),
    error: startError,
  };
}

/**
 * Starts the workers and resolves with the number of threads ready (1 when threads are off or
 * unavailable), after at most `timeoutMs` (default 10 s). Optional: ops start the pool themselves
 * and use the workers as soon as they are up; call this to have them from the first op.
 */
export async function startPoolWorkers(timeoutMs = 10_000): Promise<number> {
  if (getThreads() < 2) return 1;
  const g = ensureStarted();
  if (!g) return 1;
  const t0 = Date.now();
  for (;;) {
    const states = g.workers.map((_, w) => Atomics.load(g.control, w * SLOT + STATE));
    if (states.every((s) => s !== STARTING) || Date.now() - t0 > timeoutMs) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  return Math.min(getThreads(), 1 + readyWorkers(g).length);
}

/** Stops the workers (the next op that wants threads starts them again). */
export function stopThreads(): void {
  const g = gen;
  if (!g) return;
  gen = null;
  for (let w = 0; w < g.workers.length; w++) {
    const base = w * SLOT;
    g.control[base + NCALLS] = -1;
    Atomics.add(g.control, base + SEQ, 1);
    Atomics.notify(g.control, base + SEQ);
    g.workers[w].terminate();
  }
  if (g.url) URL.revokeObjectURL(g.url);
}

/**
 * Runs a job: `parts[0]` on the calling thread, `parts[i]` on the i-th ready worker, and returns
 * when all are done (fork–join). `parts.length` must not exceed {@link poolActiveThreads}; calls
 * use functions from {@link poolKernel} and byte offsets into {@link poolMemory}. Throws when a
 * worker's call failed (a trap), naming it.
 */
export function poolRun(parts: PoolCall[][]): void {
  if (busy) throw new Error('poolRun: called while another pool job runs (not re-entrant)');
  const g = parts.length > 1 ? gen : null;
  const ready = g ? readyWorkers(g) : [];
  if (parts.length > 1 + ready.length) {
    throw new Error(`poolRun: ${parts.length} parts but only ${1 + ready.length} threads are ready`);
  }
  busy = true;
  try {
    const id = ++seq;
    const used: number[] = [];
    for (let p = 1; p < parts.length; p++) {
      const w = ready[p - 1];
      const base = w * SLOT;
      const ctl = g!.control;
      let at = base + CALLS;
      for (const call of parts[p]) {
        if (at + 2 + call.args.length > base + SLOT)
          throw new Error('poolRun: a job has too many calls or arguments for a slot');
        ctl[at] = call.fn.id;
        ctl[at + 1] = call.args.length;
        for (let j = 0; j < call.args.length; j++) ctl[at + 2 + j] = call.args[j];
        at += 2 + call.args.length;
      }
      ctl[base + NCALLS] = parts[p].length;
      ctl[base + ERR] = 0;
      Atomics.store(ctl, base + SEQ, id);
      Atomics.notify(ctl, base + SEQ);
      used.push(w);
    }
    let mine: unknown;
    try {
      for (const call of parts[0] ?? []) call.fn.local(...call.args);
    } catch (e) {
      mine = e;
    }
    const failed: string[] = [];
    for (const w of used) {
      const ctl = g!.control;
      const base = w * SLOT;
      let d = Atomics.load(ctl, base + DONE);
      for (let i = 0; d !== id && i < SPIN; i++) d = Atomics.load(ctl, base + DONE);
      const t0 = Date.now();
      while (d !== id && Atomics.load(ctl, base + STATE) === READY) {
        Atomics.wait(ctl, base + DONE, d, 50);
        d = Atomics.load(ctl, base + DONE);
        if (Date.now() - t0 > JOIN_TIMEOUT_MS) break;
      }
      if (d !== id || ctl[base + ERR] !== 0) {
        failed.push(`worker ${w} (${parts[used.indexOf(w) + 1].map((c) => c.fn.name).join(', ')})`);
      }
    }
    if (mine !== undefined) throw mine;
    if (failed.length > 0) {
      stopThreads(); // a worker that failed may be in any state: start fresh next time
      throw new Error(`poolRun: ${failed.join('; ')} failed (a trap: an offset out of the memory?)`);
    }
  } finally {
    busy = false;
  }
}

/**
 * Runs `fn` with the pool memory reserved (at least `bytes`): no pooled matmul takes it for
 * scratch meanwhile ({@link poolActiveThreads} says 1 to them). For kernels that keep state in
 * the pool memory across several jobs (rnn's whole-sequence inference). `fn` gets a float view of
 * the memory (valid until it grows).
 */
export function withPoolMemory<R>(bytes: number, fn: (heap: Float32Array) => R): R {
  if (reserved) throw new Error('withPoolMemory: the pool memory is already reserved (not re-entrant)');
  const heap = poolHeap(bytes);
  reserved = true;
  memoryEpoch++;
  try {
    return fn(heap);
  } finally {
    reserved = false;
  }
}

let reserved = false;
let memoryEpoch = 0;

/** Counts {@link withPoolMemory} blocks: whatever another user left in the pool memory is stale once it changes. */
export function poolMemoryEpoch(): number {
  return memoryEpoch;
}

/** Whether {@link withPoolMemory} holds the memory (pooled matmuls then use their single-thread path). */
export function poolMemoryReserved(): boolean {
  return reserved;
}

/** Splits `units` into `parts` contiguous ranges `[start, end)` of near-equal size (static scheduling). */
export function splitRange(units: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p < parts; p++) out.push([Math.floor((units * p) / parts), Math.floor((units * (p + 1)) / parts)]);
  return out;
}
