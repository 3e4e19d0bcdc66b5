/** Runs the README's "Use" example verbatim (the first ```js block). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
// Inside the package so that `@wordloom/core` resolves (to the sources, through the
// `@wordloom/source` condition vitest uses).
const tmp = mkdtempSync(join(pkgDir, 'test', '.readme-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README', () => {
  it('the Use example runs and trains', async () => {
    const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
    const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toBeDefined();
    const file = join(tmp, 'example.mjs');
    writeFileSync(file, code!);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
      const line = log.mock.calls.at(-1)!;
      expect(line[0]).toBe('wasm');
      expect(Number(line[3])).toBeLessThan(Number(line[1]) * 0.5); // loss went down
      expect(line[4]).toBe('emb.weight fc.weight fc.bias');
      expect(line[5]).toBe('1');
    } finally {
      log.mockRestore();
    }
  });
});
