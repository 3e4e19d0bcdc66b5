/**
 * Test helpers for the CLI: `runCli` runs `wordloom …` in-process (`main(argv)`) and returns its
 * exit code and what it printed (stdout and stderr captured, not shown); `cliTestDir` gives a
 * test file a temporary output folder, removed after its tests, and sets up the tfjs cpu
 * backend before them. (cli.test.ts and the command tests each carried a copy of this setup.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@wordloom/core';
import { afterAll, beforeAll, vi } from 'vitest';
import { main } from '../../main.js';

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Call at the top of a test file: a fresh folder under the OS temp dir (`prefix` + random). */
export function cliTestDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
