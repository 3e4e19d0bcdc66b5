import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packAndInstall, publishablePackages } from './pack-install.mjs';

describe('every publishable package installs and imports on its own', () => {
  it('packs, installs with npm outside the workspace, and imports each package', async () => {
    const pkgs = publishablePackages();
    expect(pkgs.map((p) => p.manifest.name).sort()).toEqual(
      ['attention', 'core', 'data', 'embeddings', 'optim', 'rnn', 'seq2seq', 'tokenizer', 'train', 'transformer'].map(
        (n) => `@wordloom/${n}`,
      ),
    );
    const result = packAndInstall();
    // No tests or fixtures in any tarball.
    expect(result.unwanted).toEqual({});
    expect(result.packages.map((p: { name: string }) => p.name).sort()).toEqual(
      pkgs.map((p) => p.manifest.name).sort(),
    );
    // What a consumer imports from the tarball is what the package's build exports here.
    for (const p of result.packages as { name: string; exports: string[] }[]) {
      const dir = pkgs.find((x) => x.manifest.name === p.name)!.dir;
      const built = await import(pathToFileURL(path.join(dir, 'dist', 'index.js')).href);
      expect(p.exports, p.name).toEqual(Object.keys(built).sort());
    }
    if (result.gradient) expect(result.gradient.values).toEqual([2, 4, 6]);
  }, 300_000);
});
