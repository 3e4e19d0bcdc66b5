/** The README's first "Use" example, taken from README.md: type-checked (strict NodeNext) and run on the committed NSMC excerpt. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeExample, runExample, typecheckExample } from '../../../tooling/scripts/readme-example.js';
import { fixture } from '../test/fixture-path.js';

const example = readmeExample(import.meta.url);

describe('README "Use" example', () => {
  it('type-checks', () => {
    expect(typecheckExample(example)).toEqual([]);
  });

  it('trains, saves, loads and prints what its comments say', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-readme-'));
    try {
      const logs = await runExample(example, {
        files: { 'reviews.txt': fixture('nsmc.excerpt.txt'), 'vectors.bin': join(dir, 'vectors.bin') },
      });
      expect(logs.some((l) => typeof l[0] === 'string' && /^\d+% \d+ words\/s loss \d/u.test(l[0]))).toBe(true);
      const trained = logs.find((l) => l[1] === 'words trained')!;
      expect(trained[0]).toBeGreaterThan(10_000);
      const neighbours = logs.find((l) => Array.isArray(l[0]))![0] as Array<{ word: string; similarity: number }>;
      expect(neighbours).toHaveLength(5);
      expect(neighbours.every((n) => n.word !== '희망' && n.similarity <= 1)).toBe(true);
      const similarity = logs.at(-2)![0] as number;
      expect(Math.abs(similarity)).toBeLessThanOrEqual(1);
      const last = logs.at(-1)!;
      expect(last[1]).toBe(32);
      expect(last[0]).toBeGreaterThan(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
