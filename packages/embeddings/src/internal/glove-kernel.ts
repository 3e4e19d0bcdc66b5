/**
 * GloVe AdaGrad epochs (glove.c `glove_thread`); the per-entry arithmetic runs in WebAssembly
 * SIMD (`glove-simd.wat`) on weights in one shared `WebAssembly.Memory`.
 * Self-contained (shipped to workers with `toString()`, see pool.ts).
 */
export interface GloveShared {
  memory: WebAssembly.Memory;
  wasm: WebAssembly.Module;
  /** per worker: [cost of its last epoch, updates of its last epoch, epochs done] */
  progress: Float64Array;
  /** stop[0] !== 0: stop at the next slice of entries (an aborted run) */
  stop: Int32Array;
}

export interface GloveParams {
  /** byte offsets in memory */
  rows: number;
  cols: number;
  lx: number;
  wgt: number;
  order: number;
  W: number;
  G: number;
  stride: number;
  dp: number;
  vocabSize: number;
  eta: number;
  epochs: number;
  begin: number;
  end: number;
  /** updates one epoch of this worker makes (2 per off-diagonal entry, 1 per diagonal one) */
  updates: number;
}

export function gloveKernel(S: GloveShared, P: GloveParams, w: number, tick: ((w: number) => void) | null): void {
  const ex = new WebAssembly.Instance(S.wasm, { env: { mem: S.memory } }).exports as unknown as {
    epoch: (
      rows: number,
      cols: number,
      lx: number,
      wgt: number,
      order: number,
      begin: number,
      end: number,
      W: number,
      G: number,
      stride: number,
      dp: number,
      V: number,
      eta: number,
    ) => number;
  };
  const prog = S.progress;
  // an epoch's entries go to the kernel in slices of 2^18 (≈ 0.2 s), so that a stop request is
  // seen within a slice; the updates are the same, in the same order, as in one call
  const SLICE = 1 << 18;
  for (let epoch = 0; epoch < P.epochs; epoch++) {
    let cost = 0;
    for (let a = P.begin; a < P.end; a += SLICE) {
      if (Atomics.load(S.stop, 0) !== 0) return;
      const b = Math.min(P.end, a + SLICE);
      cost += ex.epoch(P.rows, P.cols, P.lx, P.wgt, P.order, a, b, P.W, P.G, P.stride, P.dp, P.vocabSize, P.eta);
    }
    prog[w * 3] = cost;
    prog[w * 3 + 1] = P.updates;
    prog[w * 3 + 2] = epoch + 1;
    if (tick !== null) tick(w);
  }
}
