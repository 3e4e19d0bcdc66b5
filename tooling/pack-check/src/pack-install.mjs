#!/usr/bin/env node
/**
 * Packs every publishable workspace package with `pnpm pack` (which rewrites
 * `workspace:^` into real version ranges, as a publish would), installs the tarballs
 * with plain npm into a fresh project in the OS temp folder — outside the workspace,
 * so nothing resolves through it — and imports each package there in plain Node ESM.
 *
 * Usage: node tooling/pack-check/src/pack-install.mjs [--keep]
 * Prints one JSON line: { dir, packages: [{ name, exports: [...] }] }.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const keep = process.argv.includes('--keep');

export function publishablePackages(root = repoRoot) {
  const dir = path.join(root, 'packages');
  return readdirSync(dir)
    .map((d) => path.join(dir, d))
    .filter((d) => existsSync(path.join(d, 'package.json')))
    .map((d) => ({ dir: d, manifest: JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) }))
    .filter((p) => !p.manifest.private);
}

function sh(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function packAndInstall() {
  const pkgs = publishablePackages();
  const work = mkdtempSync(path.join(os.tmpdir(), 'wordloom-pack-'));
  const tarballs = path.join(work, 'tarballs');
  const project = path.join(work, 'project');
  for (const p of pkgs) {
    if (!existsSync(path.join(p.dir, 'dist', 'index.js'))) {
      throw new Error(`pack-install: ${p.manifest.name} has no dist/index.js — run \`pnpm build\` first`);
    }
    sh('pnpm', ['pack', '--pack-destination', tarballs], p.dir);
  }
  const files = readdirSync(tarballs);
  const tarOf = (name) => {
    const stem = name.replace('@', '').replace('/', '-');
    const f = files.find((x) => x.startsWith(`${stem}-`) && x.endsWith('.tgz'));
    if (!f) throw new Error(`pack-install: no tarball for ${name} in ${files.join(', ')}`);
    return `file:${path.join(tarballs, f)}`;
  };
  // What each tarball holds that a consumer should never get: tests and test fixtures. (pnpm pack
  // always adds files named readme* — a `src/readme.test.ts` slipped past `!src/**/*.test.ts`.)
  const unwanted = {};
  for (const p of pkgs) {
    const tgz = tarOf(p.manifest.name).slice('file:'.length);
    const bad = sh('tar', ['-tzf', tgz], work)
      .split('\n')
      .filter((f) => /\.test\.[cm]?[jt]s$|\/test\/|\/fixtures\//.test(f));
    if (bad.length) unwanted[p.manifest.name] = bad;
  }
  const deps = Object.fromEntries(pkgs.map((p) => [p.manifest.name, tarOf(p.manifest.name)]));
  // The peer every tensor package needs, and the backend a user would pick in Node.
  const tf =
    pkgs.find((p) => p.manifest.name === '@wordloom/core')?.manifest.devDependencies?.['@tensorflow/tfjs-core'] ??
    '4.22.0';
  Object.assign(deps, {
    '@tensorflow/tfjs-core': tf,
    '@tensorflow/tfjs-backend-cpu': tf,
    '@tensorflow/tfjs-backend-wasm': tf,
  });
  // overrides: sibling ranges (`^0.1.0`) resolve to the local tarballs, never to the registry.
  const overrides = Object.fromEntries(pkgs.map((p) => [p.manifest.name, tarOf(p.manifest.name)]));
  sh('mkdir', ['-p', project]);
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify(
      { name: 'wordloom-consumer', private: true, type: 'module', dependencies: deps, overrides },
      null,
      2,
    ),
  );
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  const script = `
    const names = ${JSON.stringify(pkgs.map((p) => p.manifest.name))};
    const out = [];
    for (const name of names) {
      const mod = await import(name);
      out.push({ name, exports: Object.keys(mod).sort() });
    }
    // Training must work from the published build in plain Node ESM: gradients registered.
    const core = await import('@wordloom/core');
    let gradient = null;
    if (typeof core.setupBackend === 'function') {
      const tf = await import('@tensorflow/tfjs-core');
      const chosen = await core.setupBackend({ prefer: ['cpu'] });
      const g = tf.grad((x) => tf.sum(tf.square(x)))(tf.tensor1d([1, 2, 3]));
      gradient = { backend: chosen.backend, values: Array.from(g.dataSync()) };
    }
    console.log(JSON.stringify({ packages: out, gradient }));
  `;
  writeFileSync(path.join(project, 'check.mjs'), script);
  const printed = sh(process.execPath, ['check.mjs'], project).trim().split('\n').pop();
  const result = { dir: project, unwanted, ...JSON.parse(printed) };
  if (!keep) rmSync(work, { recursive: true, force: true });
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(packAndInstall()));
}
