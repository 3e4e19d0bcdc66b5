/**
 * The intra-op thread pool: threads INSIDE one op (a large matmul, the recurrent kernels' batch),
 * so that one forward or backward pass uses every core — what PyTorch's intra-op threads (OpenMP)
 * do, and what tfjs-backend-wasm cannot do in Node (its threaded build fails there).
 *
 * N − 1 workers (Node `worker_threads`, browser Web Workers; the calling thread is the N-th) each
 * instantiate the same WebAssembly kernels (the `.wat` modules compiled with a shared memory
 * import, `shared` option of `tooling/scripts/compile-wat.mjs`) on ONE `WebAssembly.Memory({ shared: true })`, so a
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

/**
 * Control block (Int32 words of a SharedArrayBuffer). A header the calling thread writes — the job
 * number, the claim ticket, the count of finished parts, an error word — each on its own 64-byte
 * line; then 16 words per worker (its state and how many parts it ran); then the job: a table of
 * parts (offset, call count) and the calls (function id, argument count, arguments).
 */
const SEQ = 0;
const TICKET = 16;
const DONE = 32;
const ERR = 48;
const NPARTS = 49; // -1: stop
const HEADER = 64;
const WSLOT = 16;
const STATE = 0; // in a worker's slot
const JOBS = 1;
/** Words of the job area: the part table and the calls. */
const JOB_WORDS = 8192;
/** STATE values. */
const STARTING = 0;
const READY = 1;
const FAILED = 2;
/**
 * The ticket: job tag (11 bits) · part count (10 bits) · next unclaimed part (10 bits) in one word,
 * so a thread claims a part of the job it read with one compare-exchange, and a thread that woke
 * for an earlier job sees the tag differ and claims nothing.
 */
const MAX_PARTS = 1023;
// claimAndRun (shipped to the workers as source) uses these offsets as literals
if (TICKET !== 16 || DONE !== 32 || ERR !== 48) throw new Error('pool: control block offsets changed');
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
      const id = modules.length * FNS_PER_MODULE + i;
      fns.set(fname, { id, name: `${name}.${fname}`, local });
      localFns[id] = local;
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
const SEQ = ${SEQ}, TICKET = ${TICKET}, DONE = ${DONE}, ERR = ${ERR}, NPARTS = ${NPARTS}, HEADER = ${HEADER};
const WSLOT = ${WSLOT}, STATE = ${STATE}, JOBS = ${JOBS}, READY = ${READY}, FAILED = ${FAILED};
const FNS = ${FNS_PER_MODULE}, SPIN = ${SPIN};
const claimAndRun = (${claimAndRun.toString()});
function start(msg) {
  const ctl = new Int32Array(msg.control);
  const slot = HEADER + msg.index * WSLOT;
  const jobArea = HEADER + msg.workers * WSLOT;
  const fns = [];
  try {
    msg.modules.forEach((m, k) => {
      const inst = new WebAssembly.Instance(m.module, { env: { mem: msg.memory } });
      m.exportNames.forEach((name, i) => { fns[k * FNS + i] = inst.exports[name]; });
    });
  } catch (e) {
    Atomics.store(ctl, slot + STATE, FAILED);
    return;
  }
  const call = (id, args) => fns[id].apply(null, args);
  let last = Atomics.load(ctl, SEQ);
  Atomics.store(ctl, slot + STATE, READY);
  for (;;) {
    let s = Atomics.load(ctl, SEQ);
    for (let i = 0; s === last && i < SPIN; i++) s = Atomics.load(ctl, SEQ);
    if (s === last) { Atomics.wait(ctl, SEQ, last); continue; }
    last = s;
    if (Atomics.load(ctl, NPARTS) < 0) return; // stop
    const ran = claimAndRun(ctl, s, jobArea, call);
    if (ran > 0) Atomics.add(ctl, slot + JOBS, ran);
  }
}
if (typeof self === 'undefined' && typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (m) => { start(m); parentPort.close(); });
} else {
  self.onmessage = (e) => { self.onmessage = null; start(e.data); self.close(); };
}
`;

/**
 * Claims parts of job `s` until none is left and runs them (the calling thread and every worker
 * run this same function; its source is part of the worker's). Returns how many parts it ran. A
 * part that throws sets ERR to its index + 1. Written in plain JS: it is shipped to the workers as
 * source (`toString()`).
 */
function claimAndRun(
  ctl: Int32Array,
  s: number,
  jobArea: number,
  call: (id: number, args: number[]) => unknown,
): number {
  const tag = s & 0x7ff;
  let ran = 0;
  for (;;) {
    const t = Atomics.load(ctl, 16); // TICKET
    if (t >>> 20 !== tag) return ran; // another job now
    const n = (t >>> 10) & 0x3ff;
    const i = t & 0x3ff;
    if (i >= n) return ran;
    if (Atomics.compareExchange(ctl, 16, t, t + 1) !== t) continue;
    // part i is ours: the job area stays as it is until every claimed part is done
    const at = ctl[jobArea + 2 * i];
    const calls = ctl[jobArea + 2 * i + 1];
    try {
      let p = at;
      for (let c = 0; c < calls; c++) {
        const k = ctl[p + 1];
        const args = new Array(k);
        for (let j = 0; j < k; j++) args[j] = ctl[p + 2 + j];
        call(ctl[p], args);
        p += 2 + k;
      }
    } catch {
      Atomics.compareExchange(ctl, 48, 0, i + 1); // ERR: the first failing part
    }
    ran++;
    Atomics.add(ctl, 32, 1); // DONE
    Atomics.notify(ctl, 32);
  }
}

/** Starts the workers if they are not running (asynchronous: they report ready later). */
function ensureStarted(): Generation | null {
  const threads = getThreads();
  if (gen && gen.workers.length >= threads - 1) return gen; // fewer threads wanted: some workers stay idle
  if (gen) stopThreads(); // more wanted: start again with more
  if (startError !== undefined) return null; // workers could not be created here: do not retry every op
  const mem = poolMemory();
  if (threads < 2 || !mem || modules.length === 0) return null;
  const workers = threads - 1;
  const control = new Int32Array(new SharedArrayBuffer(4 * (HEADER + WSLOT * workers + JOB_WORDS)));
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
        worker.postMessage({ control: control.buffer, memory: mem, modules: payload, index: w, workers });
        g.workers.push(worker);
      }
    } else {
      const W = (globalThis as unknown as { Worker: new (url: string, o?: object) => WebWorkerLike }).Worker;
      g.url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
      for (let w = 0; w < workers; w++) {
        const worker = new W(g.url, { name: `wordloom-pool-${w}` });
        worker.onerror = () => markFailed(control, w);
        worker.postMessage({ control: control.buffer, memory: mem, modules: payload, index: w, workers });
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
  Atomics.store(control, HEADER + w * WSLOT + STATE, FAILED);
  Atomics.notify(control, DONE); // wake a join waiting on it
}

/** Indices of the workers ready for a job now. */
function readyWorkers(g: Generation): number[] {
  const out: number[] = [];
  for (let w = 0; w < g.workers.length; w++) {
    if (Atomics.load(g.control, HEADER + w * WSLOT + STATE) === READY) out.push(w);
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

/**
 * Parts an op should cut its work into: the configured thread count (`getThreads()`) when the
 * pool can run here, else 1 — NOT how many workers are up. Parts are claimed by whichever threads
 * are free (the calling thread runs them all while the workers start), and each part's result does
 * not depend on who runs it, so an op's result depends only on whether the pool is on — not on the
 * timing of the workers' start. Starts the workers on first call.
 */
export function poolThreads(): number {
  const want = getThreads();
  if (want < 2 || !poolMemory()) return 1;
  ensureStarted();
  return want;
}

/** Jobs each worker has run, and its state (for tests and benchmarks). */
export function poolStats(): { threads: number; ready: number; jobs: number[]; error?: string } {
  const g = gen;
  if (!g) return { threads: getThreads(), ready: 0, jobs: [], error: startError };
  return {
    threads: getThreads(),
    ready: readyWorkers(g).length,
    jobs: g.workers.map((_, w) => Atomics.load(g.control, HEADER + w * WSLOT + JOBS)),
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
    const states = g.workers.map((_, w) => Atomics.load(g.control, HEADER + w * WSLOT + STATE));
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
  Atomics.store(g.control, NPARTS, -1);
  Atomics.add(g.control, SEQ, 1);
  Atomics.notify(g.control, SEQ);
  for (const w of g.workers) w.terminate();
  if (g.url) URL.revokeObjectURL(g.url);
}

/** The calling thread's instance of each pool function, by id. */
const localFns: Array<(...args: number[]) => unknown> = [];

function callLocal(id: number, args: number[]): unknown {
  return localFns[id](...args);
}

/**
 * Runs a job of `parts` (each a list of calls) and returns when all are done (fork–join). The
 * parts are claimed one by one, by the calling thread and by whichever workers are awake (a
 * compare-exchange on a ticket word): a worker that the OS has not scheduled yet — a loaded
 * machine, a busy browser — leaves its share to the others instead of holding up the join. Which
 * thread runs a part does not change its result. Give at most {@link poolActiveThreads} parts
 * (more only add claims); calls use functions from {@link poolKernel} and byte offsets into
 * {@link poolMemory}. Throws when a call failed (a trap), naming the part's functions.
 */
export function poolRun(parts: PoolCall[][]): void {
  if (busy) throw new Error('poolRun: called while another pool job runs (not re-entrant)');
  const n = parts.length;
  const g = gen;
  if (n === 0) return;
  if (n > MAX_PARTS) throw new Error(`poolRun: ${n} parts exceed ${MAX_PARTS}`);
  if (n === 1 || !g || readyWorkers(g).length === 0) {
    // no worker: the parts in order, here
    parts.forEach((calls, i) => {
      try {
        for (const c of calls) c.fn.local(...c.args);
      } catch (e) {
        throw new Error(`poolRun: part ${i} (${calls.map((c) => c.fn.name).join(', ')}) failed: ${String(e)}`);
      }
    });
    return;
  }
  busy = true;
  try {
    const ctl = g.control;
    const jobArea = HEADER + g.workers.length * WSLOT;
    let at = jobArea + 2 * n;
    parts.forEach((calls, i) => {
      ctl[jobArea + 2 * i] = at;
      ctl[jobArea + 2 * i + 1] = calls.length;
      for (const c of calls) {
        if (at + 2 + c.args.length > jobArea + JOB_WORDS) {
          throw new Error(`poolRun: the job does not fit the control block (${JOB_WORDS} words)`);
        }
        ctl[at] = c.fn.id;
        ctl[at + 1] = c.args.length;
        for (let j = 0; j < c.args.length; j++) ctl[at + 2 + j] = c.args[j];
        at += 2 + c.args.length;
      }
    });
    seq = seq >= 0x3fffffff ? 1 : seq + 1;
    const s = seq;
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, ERR, 0);
    Atomics.store(ctl, NPARTS, n);
    Atomics.store(ctl, TICKET, ((s & 0x7ff) << 20) | (n << 10));
    Atomics.store(ctl, SEQ, s);
    Atomics.notify(ctl, SEQ);
    claimAndRun(ctl, s, jobArea, callLocal);
    let d = Atomics.load(ctl, DONE);
    for (let i = 0; d < n && i < SPIN; i++) d = Atomics.load(ctl, DONE);
    const t0 = Date.now();
    while (d < n && Date.now() - t0 < JOIN_TIMEOUT_MS) {
      Atomics.wait(ctl, DONE, d, 50);
      d = Atomics.load(ctl, DONE);
    }
    const err = Atomics.load(ctl, ERR);
    if (d < n || err !== 0) {
      stopThreads(); // a worker that failed may be in any state: start fresh next time
      if (err !== 0) {
        const names = parts[err - 1].map((c) => c.fn.name).join(', ');
        throw new Error(`poolRun: part ${err - 1} (${names}) failed (a trap: an offset out of the memory?)`);
      }
      throw new Error(`poolRun: ${n - d} of ${n} parts unfinished after ${JOIN_TIMEOUT_MS / 1000} s (a worker died?)`);
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
