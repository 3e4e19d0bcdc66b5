/**
 * `--workers`: data-parallel replicas through @wordloom/train's `fit({ setup, replicas })` — one
 * worker thread per replica, each with its own wasm backend, each training on its slice of every
 * batch, gradients summed in rank order through a SharedArrayBuffer so that all stay bit-identical.
 * This file holds the option and where the setup module (replica-setup.ts) is.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CliError, PROGRAM, type OptionSpec } from './args.js';

/** The `--workers` option of the training commands. */
export const workersOption: OptionSpec = {
  type: 'string',
  value: 'N|auto',
  default: 'auto',
  description:
    'data-parallel replicas, one thread per core (auto: the cores available, at most 4); each takes a share of every batch and the gradients are averaged, so the run trains as one replica would on the whole batch',
};

/** The number of replicas to run for `--workers` (`auto` = the cores available, at most 4). */
export function parseWorkers(raw: unknown, command: string): number {
  if (raw === undefined || raw === 'auto') return Math.max(1, Math.min(4, availableParallelism()));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new CliError(`${PROGRAM} ${command}: --workers ${String(raw)} must be an integer from 1 to 64, or 'auto'`);
  return n;
}

const SETUP_FILE = 'replica-setup.js';

/**
 * The setup module the replicas import: next to this module in the build; from the sources (tests),
 * the built copy (worker threads cannot load TypeScript).
 */
export function setupUrl(): URL {
  const here = new URL(`./${SETUP_FILE}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(`../dist/${SETUP_FILE}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new CliError(`${PROGRAM}: --workers needs the built CLI (${SETUP_FILE} not found); run 'pnpm build' first`, 5);
}
