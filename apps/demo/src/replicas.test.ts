import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './args.js';
import { lmShakespeareCommand } from './commands/lm.js';
import { cliTestDir, runCommand } from './commands/testdata/run-cli.js';
import { SHAKESPEARE_DIR, TINY_LM_ARGS } from './lm/testdata/tiny-lm.js';
import { parseWorkers } from './replicas.js';

const dataDir = SHAKESPEARE_DIR;
const tmp = cliTestDir('wordloom-dp-');

describe('--workers', () => {
  it('auto is at least 1; bad values are a one-line error', () => {
    expect(parseWorkers('auto', 'lm shakespeare')).toBeGreaterThanOrEqual(1);
    expect(parseWorkers('3', 'lm shakespeare')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'two']) {
      expect(() => parseWorkers(bad, 'lm shakespeare')).toThrow(CliError);
      expect(() => parseWorkers(bad, 'lm shakespeare')).toThrow(/--workers .* must be an integer from 1 to 64/);
    }
  });

  it('more replicas than windows per batch is refused before anything starts', async () => {
    const argv = ['--data-dir', dataDir, '--batch-size', '2', '--workers', '3', '--out', join(tmp, 'no'), '--quiet'];
    await expect(runCommand(lmShakespeareCommand, argv)).rejects.toThrow(/--workers 3 is more than --batch-size 2/);
  });
});

/** Runs `lm shakespeare` in-process with the given options; returns its metrics.json. */
async function runLm(
  argv: string[],
): Promise<{ valLoss: number; steps: number; history: Array<{ step: number; loss: number }> }> {
  await runCommand(lmShakespeareCommand, argv);
  const out = argv[argv.indexOf('--out') + 1];
  return JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    valLoss: number;
    steps: number;
    history: Array<{ step: number; loss: number }>;
  };
}

describe("data-parallel training (@wordloom/train's replicas: worker threads running the demo's built setup module)", () => {
  // The replicas import apps/demo/dist/replica-setup.js (`pnpm test` builds first); rank 0 runs here.
  const common = [...TINY_LM_ARGS, '--eval-every', '0', '--sample-length', '10', '--max-steps', '100', '--quiet'];

  it('two replicas train the same model as one replica on the whole batch (transformer LM)', async () => {
    const one = await runLm([...common, '--workers', '1', '--out', join(tmp, 'w1')]);
    const two = await runLm([...common, '--workers', '2', '--out', join(tmp, 'w2')]);
    expect(two.steps).toBe(100);
    expect(two.history.map((h) => h.step)).toEqual(one.history.map((h) => h.step));
    // Each replica averages half a batch, then the halves are averaged: the same gradient up to float rounding.
    two.history.forEach((h, i) =>
      expect(Math.abs(h.loss - one.history[i].loss)).toBeLessThan(1e-4 * one.history[i].loss),
    );
    expect(Math.abs(two.valLoss - one.valLoss)).toBeLessThan(1e-4 * one.valLoss);
    // …and it trained: the loss fell.
    expect(two.history[1].loss).toBeLessThan(two.history[0].loss);
  }, 120_000);

  it('the LSTM (truncated BPTT, each replica carrying the state of its own rows) matches one replica too', async () => {
    const lstm = ['--model', 'lstm', '--hidden', '16', '--layers', '1'];
    const one = await runLm([...common, ...lstm, '--workers', '1', '--out', join(tmp, 'l1')]);
    const two = await runLm([...common, ...lstm, '--workers', '2', '--out', join(tmp, 'l2')]);
    expect(Math.abs(two.valLoss - one.valLoss)).toBeLessThan(1e-4 * one.valLoss);
  }, 120_000);
});
