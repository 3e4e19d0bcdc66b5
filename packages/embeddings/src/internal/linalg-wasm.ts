/** Instantiates the f64x2/f32x4 linear-algebra kernels of `linalg-simd.wat` on a memory. */
import { LINALG_SIMD_WASM_BASE64 } from './linalg-simd-wasm.js';
import { base64Bytes } from './util.js';

export interface LinalgExports {
  axpy: (y: number, x: number, a: number, n: number) => void;
  dot: (x: number, y: number, n: number) => number;
  spmm: (indptr: number, indices: number, data: number, rows: number, X: number, Y: number, l: number) => void;
  spmmT: (indptr: number, indices: number, data: number, rows: number, X: number, Y: number, l: number) => void;
  mscore: (rows: number, nrows: number, dp: number, queries: number, nq: number, out: number) => void;
}

let mod: WebAssembly.Module | undefined;

/** A fresh (non-shared) memory of at least `bytes` and the kernels bound to it. */
export function linalg(fn: string, bytes: number): { memory: WebAssembly.Memory; ex: LinalgExports } {
  const pages = Math.ceil(Math.max(bytes, 1) / 65536);
  if (pages > 65536) throw new RangeError(`${fn}: ${(bytes / 2 ** 30).toFixed(1)} GiB of work memory exceeds WebAssembly's 4 GiB`);
  mod ??= new WebAssembly.Module(base64Bytes(LINALG_SIMD_WASM_BASE64));
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
  return { memory, ex: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as LinalgExports };
}
