/**
 * Runs the built demo CLI (`node apps/demo/dist/cli.js …`) into a fresh output folder with a
 * fixed seed (0 unless given), and returns its `metrics.json` and the wall time — shared by the demo benchmarks
 * (benches/demo.mjs, benches/demo-long.mjs).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function runDemoCli(ctx, argv, { seed = 0 } = {}) {
  const out = mkdtempSync(path.join(tmpdir(), 'wordloom-bench-'));
  try {
    const cli = path.join(ctx.repoRoot, 'apps/demo/dist/cli.js');
    const t0 = performance.now();
    execFileSync(
      process.execPath,
      [cli, ...argv, '--out', out, '--quiet', '--data-dir', ctx.dataDir, '--seed', String(seed)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const wallS = (performance.now() - t0) / 1000;
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    ctx.log(`${argv.slice(0, 2).join(' ')}: ${metrics.steps ?? '?'} steps, ${wallS.toFixed(0)} s`);
    return { metrics, wallS };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
