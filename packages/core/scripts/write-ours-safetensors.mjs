// Writes test/fixtures/ours-{f32,f16}.safetensors from test/fixtures/ours.spec.json with the
// BUILT writer; tooling/golden/core/check_ours.py then reads them in Python.
// Run: pnpm --filter @wordloom/core build && node packages/core/scripts/write-ours-safetensors.mjs
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { setupBackend, writeSafetensors } from '@wordloom/core';

await setupBackend({ prefer: ['cpu'] });
const dir = new URL('../test/fixtures/', import.meta.url);
const spec = JSON.parse(readFileSync(new URL('ours.spec.json', dir), 'utf8'));
const tensors = new Map(spec.tensors.map((t) => [t.name, tf.tensor(t.values, t.shape, t.dtype)]));
const metadata = new Map(Object.entries(spec.metadata));
for (const floatDtype of ['F32', 'F16']) {
  writeFileSync(
    new URL(`ours-${floatDtype.toLowerCase()}.safetensors`, dir),
    writeSafetensors(tensors, metadata, { floatDtype }),
  );
}
console.log('wrote ours-f32.safetensors, ours-f16.safetensors');
