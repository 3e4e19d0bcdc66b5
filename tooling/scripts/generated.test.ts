import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkGenerated, compareTrees, generators, markedGenerated } from './check-generated.mjs';

describe('generated files', () => {
  it('match what `pnpm generate` writes now, byte for byte (else: run `pnpm generate` and commit)', () => {
    const { problems, produced } = checkGenerated();
    expect(problems).toEqual([]);
    // The known generators: tfjs-core's gradients and the embeddings wasm kernels.
    expect(produced).toContain('packages/core/src/internal/tfjs-gradients.ts');
    expect(produced).toContain('packages/embeddings/src/internal/w2v-simd-wasm.ts');
  });

  it('are all written by some package generate script', () => {
    const { produced } = checkGenerated();
    const marked = markedGenerated();
    expect(marked.length).toBeGreaterThanOrEqual(4);
    expect(marked.filter((f) => !produced.includes(f))).toEqual([]);
  });

  it('each generate script is `node <script>.mjs`', () => {
    expect(generators().map((g) => g.dir)).toEqual(expect.arrayContaining(['packages/core', 'packages/embeddings']));
  });

  it('compareTrees reports a changed byte and a missing file', () => {
    const root = mkdtempSync(join(tmpdir(), 'wordloom-cmp-'));
    try {
      for (const d of ['fresh/src', 'committed/src']) mkdirSync(join(root, d), { recursive: true });
      writeFileSync(join(root, 'fresh/src/a.ts'), 'export const A = 1;\n');
      writeFileSync(join(root, 'committed/src/a.ts'), 'export const A = 1;\n');
      expect(compareTrees(join(root, 'fresh'), join(root, 'committed'))).toEqual([]);
      writeFileSync(join(root, 'committed/src/a.ts'), 'export const A = 2;\n');
      writeFileSync(join(root, 'fresh/src/b.ts'), '');
      expect(compareTrees(join(root, 'fresh'), join(root, 'committed'))).toEqual([
        { file: 'src/a.ts', problem: 'stale' },
        { file: 'src/b.ts', problem: 'missing' },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
