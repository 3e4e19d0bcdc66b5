/** The context a benchmark receives: paths, logging, and runners for Python and child processes. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const childRunner = path.join(path.dirname(fileURLToPath(import.meta.url)), 'child-runner.mjs');

function lastJsonLine(stdout, what) {
  const lines = stdout.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error(`${what} printed nothing`);
  try {
    return JSON.parse(last);
  } catch {
    throw new Error(`${what}: last line is not JSON: ${last.slice(0, 200)}`);
  }
}

function run(cmd, args, opts, what) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${what} exited ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`));
      else resolve(lastJsonLine(out, what));
    });
  });
}

export function makeContext({ repoRoot, dataDir, quick }) {
  const resolvedData = path.resolve(repoRoot, dataDir ?? '../shared/data');
  const hasCache = new Map();
  return {
    repoRoot,
    dataDir: resolvedData,
    quick: Boolean(quick),
    /** Progress lines go to stderr so that --json output stays machine-readable. */
    log: (msg) => process.stderr.write(`${msg}\n`),
    /** Path inside the data directory; throws a one-line message naming the data set if missing. */
    data(rel) {
      const p = path.join(resolvedData, rel);
      if (!existsSync(p))
        throw new Error(
          `data file ${rel} not found under ${resolvedData} (see shared/data/README.md; pass --data-dir)`,
        );
      return p;
    },
    /** True when /usr/bin/python3 exists and imports every module named. */
    async pythonHas(modules) {
      const key = modules.join(',');
      if (!hasCache.has(key)) {
        const ok =
          existsSync(PYTHON) &&
          spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join(';')], { stdio: 'ignore' }).status === 0;
        hasCache.set(key, ok);
      }
      return hasCache.get(key);
    },
    /** Runs a Python reference script; returns its last stdout line parsed as JSON. */
    python(script, args = [], env = {}) {
      return run(
        PYTHON,
        [script, ...args.map(String)],
        { env: { ...process.env, ...env } },
        `python ${path.basename(script)}`,
      );
    },
    /**
     * Runs `export default async function (...args)` of a module in a fresh Node process and
     * returns { result, peakRssMB, wallMs } — peak RSS is the child's own maxRSS.
     */
    measureChild(modulePath, args = [], nodeArgs = []) {
      return run(
        process.execPath,
        [...nodeArgs, childRunner, modulePath, JSON.stringify(args)],
        {},
        `child ${path.basename(modulePath)}`,
      );
    },
  };
}
