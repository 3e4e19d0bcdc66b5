/**
 * setupBackend on a fresh tfjs-core (this file runs in its own module graph: nothing else
 * here has called setupBackend): gradients exist from the import of @wordloom/core on, and a
 * wasm backend that will not start is reported with what to do.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Linear, setupBackend } from './index.js';

describe('before setupBackend()', () => {
  it('a layer can already be trained: importing @wordloom/core registered the gradients', async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const lin = new Linear({ inFeatures: 3, outFeatures: 2, seed: 0 });
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // Without the gradients: tfjs's "gradient function not found for Mean".
    const { value, grads } = tf.variableGrads(() => tf.mean(lin.forward(x)));
    expect(value.shape).toEqual([]);
    // d mean(xWᵀ + b) / d b = 1/2 for each of the 2 outputs (4 cells, 2 per bias entry / 4).
    expect(Array.from(grads[lin.bias!.name].dataSync())).toEqual([0.5, 0.5]);
    // d/dW[o, i] = mean over rows of x[:, i] / 2
    expect(Array.from(grads[lin.weight.name].dataSync())).toEqual([1.25, 1.75, 2.25, 1.25, 1.75, 2.25]);
    tf.dispose([x, value, ...Object.values(grads)]);
    lin.dispose();
  });
});

describe('setupBackend when wasm will not start', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
  afterAll(() => warn.mockRestore());

  it('falls back, says why and what to do in the result and in one console warning', async () => {
    // Registered before @tensorflow/tfjs-backend-wasm is imported, so tfjs keeps this factory.
    tf.registerBackend('wasm', () => {
      throw new Error('no wasm here');
    });
    const r = await setupBackend({ prefer: ['wasm', 'cpu'] });
    expect(r.backend).toBe('cpu');
    expect(r.rejected).toHaveLength(1);
    expect(r.rejected[0].backend).toBe('wasm');
    expect(r.rejected[0].reason).toMatch(/^tf\.setBackend\('wasm'\) returned false/u);
    expect(r.rejected[0].fix).toBe(
      "install @tensorflow/tfjs-backend-wasm (same version as @tensorflow/tfjs-core); in Node the wasm backend reads its binaries from that package's dist folder",
    );
    const ours = warn.mock.calls.filter((c) => String(c[0]).startsWith('setupBackend:'));
    expect(ours).toEqual([
      [
        `setupBackend: using cpu, not wasm (usually several times faster): ${r.rejected[0].reason}. To get wasm: ${r.rejected[0].fix}.`,
      ],
    ]);
  });

  it('rejects wasmPaths it cannot use, naming the option', async () => {
    await expect(setupBackend({ wasmPaths: '/wasm' })).rejects.toThrow(
      "setupBackend: wasmPaths '/wasm' must be a folder URL ending in '/'",
    );
    await expect(
      setupBackend({
        wasmPaths: { 'tfjs-backend-wasm.wasm': '/a.wasm' } as Record<'tfjs-backend-wasm.wasm', string> as never,
      }),
    ).rejects.toThrow(
      'setupBackend: wasmPaths has no URL for tfjs-backend-wasm-simd.wasm, tfjs-backend-wasm-threaded-simd.wasm',
    );
  });
});

describe('package.json sideEffects', () => {
  it('keeps the entry and backend.js, so a bundle that imports only a layer still registers the gradients', async () => {
    // A bundler skips a side-effect-free entry and imports linear.js directly: the
    // registration in backend.js then never runs (seen with Vite 8 on a page importing only
    // Linear: "gradient function not found for Mean"). Both files must be listed.
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      sideEffects: string[];
      exports: { '.': { default: string; '@wordloom/source': string } };
    };
    const entry = pkg.exports['.'];
    expect(pkg.sideEffects).toEqual(
      expect.arrayContaining([entry.default, entry['@wordloom/source'], './dist/backend.js', './src/backend.ts']),
    );
  });
});
