import { describe, expect, it } from 'vitest';
import { base64Bytes, fillUniformRows, unsharedMemoryImport, xorshiftStream } from './util.js';
import { W2V_SIMD_WASM_BASE64 } from './w2v-simd-wasm.js';
import { GLOVE_SIMD_WASM_BASE64 } from './glove-simd-wasm.js';

describe('unsharedMemoryImport', () => {
  for (const [name, b64] of [
    ['word2vec', W2V_SIMD_WASM_BASE64],
    ['GloVe', GLOVE_SIMD_WASM_BASE64],
  ] as const) {
    it(`lets the ${name} kernel link to a plain memory, which the original refuses`, () => {
      const bytes = base64Bytes(b64);
      const plain = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
      const shared = new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true });
      const original = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(original)).toEqual([{ module: 'env', name: 'mem', kind: 'memory' }]);
      expect(() => new WebAssembly.Instance(original, { env: { mem: plain } })).toThrow(WebAssembly.LinkError);
      const variant = unsharedMemoryImport(bytes);
      const unshared = new WebAssembly.Module(variant);
      expect(() => new WebAssembly.Instance(unshared, { env: { mem: plain } })).not.toThrow();
      expect(() => new WebAssembly.Instance(unshared, { env: { mem: shared } })).toThrow(WebAssembly.LinkError);
      // one byte differs: the memory import's limits flag, 0x03 (shared, has maximum) -> 0x01
      const diff = [...bytes.keys()].filter((i) => bytes[i] !== variant[i]);
      expect(diff).toHaveLength(1);
      expect([bytes[diff[0]!], variant[diff[0]!]]).toEqual([0x03, 0x01]);
      expect(bytes[0]).toBe(0); // the input is left alone
    });
  }

  it('rejects a module without a memory import', () => {
    const empty = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(() => unsharedMemoryImport(empty)).toThrow('unsharedMemoryImport: the module imports no memory');
  });
});

describe('fillUniformRows', () => {
  it('writes the numbers of xorshiftStream in order, row by row, leaving the padding alone', () => {
    const F = new Float32Array(5 * 8).fill(7);
    fillUniformRows(F, 8, 3, 5, 8, 42, 2, 5);
    const rng = xorshiftStream(42);
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k < 8; k++) {
        const inRow = i >= 1 && i < 4 && k < 5;
        expect(F[i * 8 + k], `${i},${k}`).toBe(inRow ? Math.fround(((rng() - 0.5) * 2) / 5) : 7);
      }
    }
  });
});
