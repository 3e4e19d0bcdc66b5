/**
 * GloVe AdaGrad updates over co-occurrence entries (glove.c `glove_thread`).
 * Self-contained (shipped to workers with `toString()`, see pool.ts).
 */
export interface GloveShared {
  rows: Int32Array;
  cols: Int32Array;
  values: Float64Array;
  /** entry order (shuffled once) */
  order: Uint32Array;
  /** 2V rows of D+1 (vector + bias): words then contexts */
  W: Float64Array;
  gradsq: Float64Array;
  /** per worker: [cost, updates, epochsDone] */
  progress: Float64Array;
}

export interface GloveParams {
  dim: number;
  vocabSize: number;
  xMax: number;
  alpha: number;
  eta: number;
  epochs: number;
  begin: number;
  end: number;
}

export function gloveKernel(S: GloveShared, P: GloveParams, w: number, tick: ((w: number) => void) | null): void {
  const rows = S.rows;
  const cols = S.cols;
  const vals = S.values;
  const order = S.order;
  const W = S.W;
  const G = S.gradsq;
  const prog = S.progress;
  const D = P.dim | 0;
  const D1 = D + 1;
  const V = P.vocabSize | 0;
  const xMax = P.xMax;
  const alpha = P.alpha;
  const eta = P.eta;
  for (let epoch = 0; epoch < P.epochs; epoch++) {
    let cost = 0;
    let updates = 0;
    for (let t = P.begin; t < P.end; t++) {
      const e = order[t]!;
      const a = rows[e]!;
      const b = cols[e]!;
      const x = vals[e]!;
      const lx = Math.log(x);
      const wgt = x > xMax ? 1 : Math.pow(x / xMax, alpha);
      // a stored pair (a <= b) stands for X(a,b) and X(b,a): update both directions
      for (let dir = 0; dir < (a === b ? 1 : 2); dir++) {
        const i = dir === 0 ? a : b;
        const j = dir === 0 ? b : a;
        const l1 = i * D1;
        const l2 = (j + V) * D1;
        let diff = 0;
        for (let k = 0; k < D; k++) diff += W[l1 + k]! * W[l2 + k]!;
        diff += W[l1 + D]! + W[l2 + D]! - lx;
        let fdiff = wgt * diff;
        if (!Number.isFinite(fdiff)) continue;
        cost += 0.5 * fdiff * diff;
        updates++;
        fdiff *= eta;
        for (let k = 0; k < D; k++) {
          const t1 = fdiff * W[l2 + k]!;
          const t2 = fdiff * W[l1 + k]!;
          W[l1 + k] = W[l1 + k]! - t1 / Math.sqrt(G[l1 + k]!);
          W[l2 + k] = W[l2 + k]! - t2 / Math.sqrt(G[l2 + k]!);
          G[l1 + k] = G[l1 + k]! + t1 * t1;
          G[l2 + k] = G[l2 + k]! + t2 * t2;
        }
        W[l1 + D] = W[l1 + D]! - fdiff / Math.sqrt(G[l1 + D]!);
        W[l2 + D] = W[l2 + D]! - fdiff / Math.sqrt(G[l2 + D]!);
        const f2 = fdiff * fdiff;
        G[l1 + D] = G[l1 + D]! + f2;
        G[l2 + D] = G[l2 + D]! + f2;
      }
    }
    prog[w * 3] = cost;
    prog[w * 3 + 1] = updates;
    prog[w * 3 + 2] = epoch + 1;
    if (tick !== null) tick(w);
  }
}
