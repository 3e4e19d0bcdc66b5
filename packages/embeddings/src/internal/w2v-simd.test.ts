import { describe, expect, it } from 'vitest';
import { sigmoidTables } from '../word2vec.js';
import { base64Bytes } from './util.js';
import { W2V_SIMD_WASM_BASE64 } from './w2v-simd-wasm.js';

type Train = (
  inp: number,
  outBase: number,
  tgt: number,
  lab: number,
  cnt: number,
  work: number,
  dim: number,
  alpha: number,
  exp: number,
  logt: number,
  hs: number,
) => number;

/**
 * The SIMD `train` against a plain-JS float64 reference, for row widths that exercise the
 * 16-float loop and the 8-float tail of the dot product, with rows at address 0.
 */
describe('w2v-simd train', () => {
  for (const dim of [8, 16, 24, 104]) {
    it(`matches the reference update for dim ${dim}`, () => {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      const ex = new WebAssembly.Instance(new WebAssembly.Module(base64Bytes(W2V_SIMD_WASM_BASE64)), {
        env: { mem: memory },
      }).exports as unknown as { train: Train };
      const F = new Float32Array(memory.buffer);
      const I = new Int32Array(memory.buffer);
      const rows = 3; // row 0 = input at address 0; rows 1, 2 = targets
      const bytes = rows * dim * 4;
      const tgt = bytes;
      const lab = tgt + 16;
      const work = lab + 16;
      const exp = work + dim * 4;
      const { expTable, logTable } = sigmoidTables();
      F.set(expTable, exp / 4);
      const logt = exp + expTable.length * 4;
      F.set(logTable, logt / 4);
      let s = 7;
      for (let k = 0; k < rows * dim; k++) {
        s = (s * 1103515245 + 12345) >>> 0;
        F[k] = ((s >>> 8) / 2 ** 24 - 0.5) * 0.4;
      }
      I[tgt / 4] = 1;
      I[tgt / 4 + 1] = 2;
      F[lab / 4] = 1;
      F[lab / 4 + 1] = 0;
      const before = Array.from(F.subarray(0, rows * dim));
      const alpha = 0.025;
      // reference (word2vec.c order: targets one after the other, input updated afterwards by the caller)
      const row = (r: number): number[] => before.slice(r * dim, (r + 1) * dim);
      const inp = row(0);
      const wk = new Array<number>(dim).fill(0);
      const out = [row(1), row(2)];
      for (const [t, label] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const f = inp.reduce((acc, x, k) => acc + x * out[t]![k]!, 0);
        const g = (label - expTable[Math.trunc((f + 6) * (1000 / 12))]!) * alpha;
        for (let k = 0; k < dim; k++) {
          wk[k]! += g * out[t]![k]!;
          out[t]![k]! += g * inp[k]!;
        }
      }
      ex.train(0, 0, tgt, lab, 2, work, dim, alpha, exp, logt, 1);
      for (let k = 0; k < dim; k++) {
        expect(F[dim + k]).toBeCloseTo(out[0]![k]!, 6);
        expect(F[2 * dim + k]).toBeCloseTo(out[1]![k]!, 6);
        expect(F[work / 4 + k]).toBeCloseTo(wk[k]!, 6);
        expect(F[k]).toBe(before[k]); // the input row is the caller's to update
      }
      expect(wk.some((x) => x !== 0)).toBe(true);
    });
  }
});
