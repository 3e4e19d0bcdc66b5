#!/usr/bin/env node
/**
 * wordloom bench harness: runs registered benchmarks, each beside its peers in the
 * same process run, and reports medians.
 *
 *   pnpm bench [--filter PREFIX[,PREFIX]] [--json] [--quick] [--runs N] [--data-dir DIR] [--list]
 *
 * A benchmark file is `src/benches/<name>.mjs` exporting `default` an array of
 * benchmark objects (see README.md). Each side (ours, each peer) gets `warmup`
 * unmeasured runs; then the `runs` measured ones (at least 3) alternate between the
 * sides (ours, peer, ours, peer, …); every metric's median is reported, and
 * `ratio = ours / peerValue`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { makeContext } from './context.mjs';
import { median, defaultHigherIsBetter, formatTable } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');

const USAGE = `usage: pnpm bench [--filter PREFIX[,PREFIX...]] [--json] [--quick] [--runs N] [--data-dir DIR] [--list]

  --filter   run only benchmarks whose name starts with one of the prefixes
  --json     one JSON object per (benchmark, metric, peer) on stdout
  --quick    small sizes: a smoke run that finishes in seconds
  --runs     measured runs per side (default: the benchmark's own, at least 3)
  --data-dir data sets (default ../shared/data beside the repository)
  --list     list the registered benchmarks and exit`;

function fail(msg) {
  console.error(`bench: ${msg}\n${USAGE}`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      filter: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      'data-dir': { type: 'string' },
      list: { type: 'boolean', default: false },
      benches: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }).values;
} catch (e) {
  fail(e.message);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const runsOverride = args.runs === undefined ? undefined : Number(args.runs);
if (runsOverride !== undefined && !(Number.isInteger(runsOverride) && runsOverride >= 3)) {
  fail(`--runs must be an integer >= 3 (got ${args.runs})`);
}
const prefixes = (args.filter ?? []).flatMap((f) => f.split(',')).filter(Boolean);

/** Loads every bench file; a file that fails to import is reported, not fatal. */
async function loadBenches() {
  // --benches points the harness at another folder (the harness's own tests use it).
  const dir = args.benches ? path.resolve(args.benches) : path.join(here, 'benches');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .sort();
  const benches = [];
  for (const f of files) {
    try {
      const mod = await import(pathToFileURL(path.join(dir, f)).href);
      const list = mod.default;
      if (!Array.isArray(list)) throw new Error('default export is not an array of benchmarks');
      for (const b of list) {
        if (typeof b.name !== 'string' || typeof b.ours !== 'function') {
          throw new Error(`a benchmark lacks a name or an ours() function`);
        }
        benches.push({ ...b, file: f });
      }
    } catch (e) {
      console.error(`bench: could not load benches/${f}: ${e.message}`);
      process.exitCode = 1;
    }
  }
  return benches;
}

/**
 * Runs every side (ours, then each available peer) `warmup` times, then the measured runs
 * interleaved — ours, peer 1, …, ours, peer 1, … — so a burst of load from elsewhere on the
 * machine lands on both sides instead of on all of one side's runs. Returns per-side medians;
 * a peer that throws is reported as skipped and not run again.
 */
async function measureAll(bench, sides, ctx, state) {
  const runs = runsOverride ?? Math.max(3, bench.runs ?? 3);
  const live = sides.map((s) => ({ ...s, samples: new Map(), failed: undefined }));
  const once = async (side) => {
    try {
      return await side.fn(state, ctx);
    } catch (e) {
      if (side.isOurs) throw e;
      side.failed = `failed: ${e.message.split('\n')[0]}`;
      ctx.log(`  peer ${side.name} failed: ${e.message}`);
      return undefined;
    }
  };
  for (const side of live) for (let i = 0; i < side.warmup && !side.failed; i++) await once(side);
  for (let i = 0; i < runs; i++) {
    for (const side of live) {
      if (side.failed) continue;
      const values = await once(side);
      if (side.failed) continue;
      for (const [metric, v] of Object.entries(values ?? {})) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          throw new Error(
            `${bench.name}${side.isOurs ? '' : ` (peer ${side.name})`}: metric ${metric} is not a finite number (${v})`,
          );
        }
        if (!side.samples.has(metric)) side.samples.set(metric, []);
        side.samples.get(metric).push(v);
      }
    }
  }
  return live.map((s) =>
    s.failed
      ? { name: s.name, skipped: s.failed }
      : { name: s.name, medians: new Map([...s.samples].map(([m, xs]) => [m, median(xs)])), runs },
  );
}

const all = await loadBenches();
const selected = prefixes.length ? all.filter((b) => prefixes.some((p) => b.name.startsWith(p))) : all;
if (args.list) {
  for (const b of all) console.log(`${b.name.padEnd(32)} ${b.description ?? ''}`);
  process.exit(process.exitCode ?? 0);
}
if (prefixes.length && selected.length === 0) {
  fail(`no benchmark matches --filter ${prefixes.join(',')} (try --list)`);
}

const ctx = makeContext({ repoRoot, dataDir: args['data-dir'], quick: args.quick });
const rows = [];
const emit = (row) => {
  rows.push(row);
  if (args.json) console.log(JSON.stringify(row));
};

for (const bench of selected) {
  ctx.log(`▶ ${bench.name}${bench.description ? ` — ${bench.description}` : ''}`);
  let state;
  try {
    state = bench.setup ? await bench.setup(ctx) : undefined;
    const units = bench.units ?? {};
    const hib = (m) => bench.higherIsBetter?.[m] ?? defaultHigherIsBetter(m);
    const sides = [{ name: 'ours', isOurs: true, fn: bench.ours.bind(bench), warmup: bench.warmup ?? 1 }];
    const unavailable = new Map();
    for (const peer of bench.peers ?? []) {
      const ok = peer.available ? await peer.available(ctx) : true;
      if (ok !== true) {
        unavailable.set(peer, typeof ok === 'string' ? ok : 'not available');
        ctx.log(`  peer ${peer.name} skipped: ${unavailable.get(peer)}`);
        continue;
      }
      sides.push({ name: peer.name, isOurs: false, fn: peer.run.bind(peer), warmup: peer.warmup ?? bench.warmup ?? 1 });
    }
    const [ours, ...measured] = await measureAll(bench, sides, ctx, state);
    // in the order the benchmark lists its peers
    const peerResults = (bench.peers ?? []).map((peer) =>
      unavailable.has(peer) ? { name: peer.name, skipped: unavailable.get(peer) } : measured.shift(),
    );
    for (const [metric, value] of ours.medians) {
      const base = {
        bench: bench.name,
        metric,
        unit: units[metric] ?? '',
        ours: value,
        higherIsBetter: hib(metric),
        runs: ours.runs,
      };
      if (peerResults.length === 0) {
        emit({ ...base, peer: null, peerValue: null, ratio: null });
        continue;
      }
      for (const p of peerResults) {
        const pv = p.medians?.get(metric);
        if (p.skipped || pv === undefined) {
          emit({ ...base, peer: p.name, peerValue: null, ratio: null, note: p.skipped ?? `peer reports no ${metric}` });
        } else {
          emit({ ...base, peer: p.name, peerValue: pv, ratio: pv === 0 ? null : value / pv });
        }
      }
    }
  } catch (e) {
    console.error(`bench: ${bench.name} failed: ${e.stack ?? e}`);
    process.exitCode = 1;
  } finally {
    if (bench.teardown) await bench.teardown(state);
  }
}

if (!args.json) console.log('\n' + formatTable(rows));
