import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packAndInstall, publishablePackages } from './pack-install.mjs';

describe('every publishable package installs and imports on its own', () => {
  it('packs, installs with npm outside the workspace, and imports each package', () => {
    const pkgs = publishablePackages();
    expect(pkgs.map((p) => p.manifest.name).sort()).toEqual(
      ['attention', 'core', 'data', 'embeddings', 'optim', 'rnn', 'seq2seq', 'tokenizer', 'transformer'].map((n) => `@wordloom/${n}`),
    );
    const result = packAndInstall();
    expect(result.packages.map((p: { name: string }) => p.name).sort()).toEqual(pkgs.map((p) => p.manifest.name).sort());
    // What a consumer imports is what the package's own entry exports.
    for (const p of result.packages as { name: string; exports: string[] }[]) {
      const dir = pkgs.find((x) => x.manifest.name === p.name)!.dir;
      const index = readFileSync(path.join(dir, 'dist', 'index.d.ts'), 'utf8');
      for (const name of p.exports) expect(index, `${p.name} exports ${name}`).toContain(name);
    }
    if (result.gradient) expect(result.gradient.values).toEqual([2, 4, 6]);
  }, 300_000);
});
