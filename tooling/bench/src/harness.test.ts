import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, defaultHigherIsBetter, formatTable } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, 'cli.mjs');
const fixtures = path.join(here, '../test/fixtures/benches');

function runCli(args: string[]) {
  return spawnSync(process.execPath, [cli, '--benches', fixtures, ...args], { encoding: 'utf8' });
}

describe('bench harness', () => {
  it('median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('knows which metrics are better high', () => {
    expect(defaultHigherIsBetter('throughput')).toBe(true);
    expect(defaultHigherIsBetter('analogy_accuracy')).toBe(true);
    expect(defaultHigherIsBetter('step')).toBe(false);
    expect(defaultHigherIsBetter('wall')).toBe(false);
    expect(defaultHigherIsBetter('peak_rss')).toBe(false);
  });

  it('prints one JSON object per (benchmark, metric, peer) with ratio = ours / peer', () => {
    const r = runCli(['--json']);
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const keys = ['bench', 'metric', 'unit', 'ours', 'peer', 'peerValue', 'ratio', 'higherIsBetter', 'runs'];
    for (const row of rows) for (const k of keys) expect(row).toHaveProperty(k);
    const items = rows.find((x) => x.bench === 'fixture.sum' && x.metric === 'items' && x.peer === 'double');
    expect(items).toMatchObject({
      ours: 1000,
      peerValue: 2000,
      ratio: 0.5,
      unit: 'count',
      runs: 3,
      higherIsBetter: true,
    });
    const wall = rows.find((x) => x.metric === 'wall' && x.peer === 'double');
    expect(wall).toMatchObject({ ours: 1, peerValue: 4, ratio: 0.25, higherIsBetter: false });
    const absent = rows.find((x) => x.peer === 'absent' && x.metric === 'items');
    expect(absent).toMatchObject({ peerValue: null, ratio: null, note: 'not installed here' });
    const nopeer = rows.find((x) => x.bench === 'fixture.nopeer');
    expect(nopeer).toMatchObject({ peer: null, peerValue: null, ratio: null, ours: 5 });
  });

  it('filters by prefix and prints a table without --json', () => {
    const r = runCli(['--filter', 'fixture.nopeer']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('fixture.nopeer');
    expect(r.stdout).not.toContain('fixture.sum');
    expect(r.stdout).toMatch(/benchmark\s+metric\s+unit\s+ours/);
  });

  it('rejects unknown options and too few runs with a usage line', () => {
    const bad = runCli(['--nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: pnpm bench');
    const few = runCli(['--runs', '2']);
    expect(few.status).toBe(2);
    expect(few.stderr).toContain('--runs must be an integer >= 3');
  });

  it('formats an empty result', () => {
    expect(formatTable([])).toBe('(no results)');
  });
});
