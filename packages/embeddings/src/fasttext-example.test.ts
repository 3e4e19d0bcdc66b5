/** The README's fastText example (the ```ts block after the `fasttext-example` marker): type-checked and run on the committed NSMC excerpt. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runExample, typecheckExample, type ReadmeExample } from '../../../tooling/scripts/readme-example.js';
import { fixture } from '../test/fixture-path.js';

function fastTextExample(): ReadmeExample {
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const lines = readFileSync(join(packageDir, 'README.md'), 'utf8').split('\n');
  const marker = lines.findIndex((l) => l.startsWith('<!-- fasttext-example'));
  if (marker < 0) throw new Error('README.md: no fasttext-example marker');
  const open = lines.findIndex((l, i) => i > marker && l === '```ts');
  const end = lines.indexOf('```', open + 1);
  if (open < 0 || end < 0) throw new Error('README.md: no ```ts block after the fasttext-example marker');
  return { packageDir, code: lines.slice(open + 1, end).join('\n') + '\n', line: open + 2 };
}

describe('README fastText example', () => {
  const example = fastTextExample();
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('runs and prints what its comments say', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-ft-readme-'));
    try {
      const logs = await runExample(example, {
        files: { 'reviews.txt': fixture('nsmc.excerpt.txt'), 'model.bin': join(dir, 'model.bin') },
      });
      expect(logs[0]![0]).toBe(false);
      const oov = logs[1]![0] as Array<{ word: string; similarity: number }>;
      expect(oov).toHaveLength(3);
      expect(Math.abs(logs[2]![0] as number)).toBeLessThanOrEqual(1);
      const small = logs[3]![0] as Array<{ word: string; similarity: number }>;
      expect(small).toHaveLength(3);
      expect(small.every((n) => n.word !== '영화')).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
