/**
 * Test helpers for the CLI: `runCli` runs `wordloom …` in-process (`main(argv)`) and returns its
 * exit code and what it printed (stdout and stderr captured, not shown); `runCommand` runs one
 * command's `run` the same way but lets its errors (`CliError`s) through, for tests that assert on
 * them; `cliTestDir` gives a test file a temporary output folder, removed after its tests, and
 * sets up the tfjs cpu backend before them. (cli.test.ts and the command tests each carried a copy
 * of this setup.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupBackend } from '@wordloom/core';
import { afterAll, beforeAll, vi } from 'vitest';
import { parseCommandArgs, type Command } from '../../args.js';
import { main } from '../../main.js';

/** Runs `fn` with process.stdout/stderr writes captured (and not shown); restores them even if it throws. */
async function captured<T>(fn: () => Promise<T>): Promise<{ result: T; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const result = await fn();
    return { result, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { result: code, out, err } = await captured(() => main(argv));
  return { code, out, err };
}

/**
 * Parses `argv` for `cmd` (the words after `wordloom lm ptb`) and awaits `cmd.run`, output captured.
 * Errors — a `CliError` for bad options or data — reject unchanged; `--help` is not expected here.
 */
export async function runCommand(cmd: Command, argv: string[]): Promise<{ out: string; err: string }> {
  const { out, err } = await captured(async () => {
    const args = parseCommandArgs(cmd, argv);
    if (args === 'help') throw new Error('unexpected help');
    await cmd.run(args);
  });
  return { out, err };
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
