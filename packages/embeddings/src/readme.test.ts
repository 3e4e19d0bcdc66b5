import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lib from './index.js';
import { fixture } from '../test/fixture-path.js';

describe('README', () => {
  it('runs the "Use" example on the committed NSMC excerpt', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const use = readme.slice(readme.indexOf('## Use'), readme.indexOf('## API'));
    const block = /```ts\n([\s\S]*?)```/u.exec(use)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'wl-readme-'));
    const code = block
      .replace(/^import \{([^}]*)\} from '@wordloom\/embeddings';$/mu, 'const {$1} = lib;')
      .replace("'reviews.txt'", JSON.stringify(fixture('nsmc.excerpt.txt')))
      .replaceAll("'vectors.bin'", JSON.stringify(join(dir, 'vectors.bin')));
    const logs: unknown[][] = [];
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...a: string[]
    ) => (...x: unknown[]) => Promise<void>;
    await new AsyncFunction('lib', 'console', code)(lib, { log: (...a: unknown[]) => logs.push(a) });
    const neighbours = logs.find((l) => Array.isArray(l[0]))![0] as Array<{ word: string; similarity: number }>;
    expect(neighbours).toHaveLength(5);
    expect(neighbours.every((n) => n.word !== '희망' && n.similarity <= 1)).toBe(true);
    const last = logs[logs.length - 1]!;
    expect(last[1]).toBe(32);
    expect(last[0]).toBeGreaterThan(100);
    expect(logs.some((l) => typeof l[0] === 'string' && /% \d+ words\/s loss/u.test(l[0]))).toBe(true);
  });
});
