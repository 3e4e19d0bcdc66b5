// Generates src/internal/tfjs-gradients.ts from @tensorflow/tfjs-core's own gradient
// definitions (dist/gradients/*.js, Apache-2.0).
//
// Why: tfjs-core registers no gradients by itself, and its `register_all_gradients`
// module uses extensionless relative imports that plain Node ESM refuses. Rewriting each
// gradient file so that it imports only tfjs-core's *public* API gives one module that
// works unchanged in Node ESM, in vitest and in bundlers, on the one tfjs-core instance
// the caller already has. Gradients whose code needs non-public tfjs-core internals
// (pooling and convolution backprops) are left out and listed in SKIPPED.
//
// Run: pnpm generate (all packages) or pnpm --filter @wordloom/core generate; re-run after
// upgrading tfjs-core. `--out <dir>` writes into <dir> as if it were the package root
// (<dir>/src/internal/tfjs-gradients.ts): the staleness test in
// tooling/scripts/generated.test.ts regenerates into a temporary directory and compares bytes.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = join(values.out ? resolve(values.out) : join(here, '..'), 'src', 'internal');
const require = createRequire(join(here, '..', 'package.json'));
const tfMain = require.resolve('@tensorflow/tfjs-core');
const tf = require('@tensorflow/tfjs-core');
const pkg = JSON.parse(readFileSync(join(dirname(tfMain), '..', 'package.json'), 'utf8'));
const gradDir = join(dirname(tfMain), 'gradients');

// Module-path -> how a name imported from it is reached through the public API.
function publicPath(from, name) {
  if (from === '../kernel_names' || (from.startsWith('../ops/') && !/_util$/.test(from))) {
    return name in tf ? `tf.${name}` : null;
  }
  if (
    from === '../ops/broadcast_util' ||
    from === '../ops/axis_util' ||
    from === '../ops/conv_util' ||
    from === '../ops/selu_util'
  ) {
    return name in tf.backend_util ? `tf.backend_util.${name}` : null;
  }
  if (from === '../ops/slice_util') return name in tf.slice_util ? `tf.slice_util.${name}` : null;
  if (from === '../util') return name in tf.util ? `tf.util.${name}` : null;
  if (from === '../base' && name === 'backend_util') return 'tf.backend_util';
  if (from === '../engine' && name === 'ENGINE') return 'tf.engine()';
  return null;
}
function namespacePath(from) {
  if (['../ops/broadcast_util', '../ops/axis_util', '../ops/conv_util', '../ops/selu_util'].includes(from))
    return 'tf.backend_util';
  if (from === '../util') return 'tf.util';
  return null;
}

const files = readdirSync(gradDir)
  .filter((f) => f.endsWith('.js') && !f.endsWith('_test.js'))
  .sort();
// Local helpers first (other gradient files import them).
const order = [
  'Abs_grad.js',
  'min_max_grad_util.js',
  ...files.filter((f) => f !== 'Abs_grad.js' && f !== 'min_max_grad_util.js'),
];
const modules = [];
const skipped = [];
const configs = [];
for (const file of order) {
  let src = readFileSync(join(gradDir, file), 'utf8');
  src = src.replace(/\/\/# sourceMappingURL=.*$/m, '').replace(/^\/\*\*[\s\S]*?\*\/\s*/, '');
  const lines = [];
  let ok = true;
  const body = src.replace(
    /^import\s+(\*\s+as\s+(\w+)|\{([^}]*)\})\s+from\s+'([^']+)';\s*$/gm,
    (_m, _a, ns, names, from) => {
      if (ns) {
        const p = namespacePath(from);
        if (!p) ok = false;
        lines.push(`  const ${ns} = ${p};`);
        return '';
      }
      for (const raw of names
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const [name, alias] = raw.split(/\s+as\s+/);
        if (from.startsWith('./')) {
          lines.push(`  const ${alias ?? name} = m_${from.slice(2)}.${name};`);
          continue;
        }
        const p = publicPath(from, name);
        if (!p) {
          ok = false;
          continue;
        }
        lines.push(`  const ${alias ?? name} = ${p};`);
      }
      return '';
    },
  );
  const exported = [...body.matchAll(/^export (?:const|function) (\w+)/gm)].map((m) => m[1]);
  if (!ok) {
    const kernel = file.replace(/_grad\.js$/, '');
    skipped.push(kernel);
    continue;
  }
  // A few tfjs gradients call chained tensor methods (x.reshape(...)), which tfjs-core's
  // CommonJS build never registers ("permutedX.reshape is not a function" in Prod's gradient):
  // rewrite them as functional ops.
  const fixed = body
    .replace(/\b(\w+)\.reshape\(/g, 'tf.reshape($1, ')
    .replace(/\b(\w+)\.clone\(\)/g, 'tf.clone($1)')
    .replace(/\bx\.split\(/g, 'tf.split(x, ')
    .replace(/\b(indices|dy)\.slice\(/g, 'tf.slice($1, ');
  const chained = fixed.match(
    /\b(?!tf\b|Math\b|util\b|backend_util\b|axis_util\b|broadcast_util\b|conv_util\b|slice_util\b|selu_util\b)\w+\.(mul|add|sub|div|sum|cast|transpose|neg|exp|log|square|sqrt|matMul|tile|expandDims|squeeze|gather|mean|max|min|pow|abs|greater|less|equal|relu|sigmoid|tanh|toFloat|asType)\(/g,
  );
  if (chained) console.warn(`${file}: chained tensor calls left: ${chained.join(' ')}`);
  const mod = file.replace(/\.js$/, '');
  modules.push(
    `const m_${mod} = (() => {\n${lines.join('\n')}\n${fixed.replace(/^export /gm, '').trim()}\n  return { ${exported.join(', ')} };\n})();`,
  );
  for (const e of exported) if (e.endsWith('GradConfig')) configs.push(`m_${mod}.${e}`);
}

const out = `/* eslint-disable */
// @ts-nocheck
/**
 * GENERATED by packages/core/scripts/gen-gradients.mjs from @tensorflow/tfjs-core ${pkg.version}
 * dist/gradients/*.js — do not edit by hand.
 *
 * The gradient definitions are tfjs-core's own (Copyright 2020 Google LLC, Apache License 2.0,
 * http://www.apache.org/licenses/LICENSE-2.0); only their imports were rewritten to go through
 * tfjs-core's public API, so this module loads in plain Node ESM, vitest and bundlers alike.
 */
import * as tf from '@tensorflow/tfjs-core';

${modules.join('\n\n')}

/** Every gradient config tfjs-core ships whose code needs only its public API. */
export const gradConfigs: tf.GradConfig[] = [
  ${configs.join(',\n  ')},
];

/** Kernels whose tfjs-core gradient was left out (it needs non-public tfjs-core internals). */
export const SKIPPED_GRADIENTS: readonly string[] = ${JSON.stringify(skipped)};
`;
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'tfjs-gradients.ts'), out);
console.log(`wrote ${configs.length} gradient configs; skipped: ${skipped.join(', ')}`);
