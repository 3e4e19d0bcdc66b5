// The server half of browser-test.ts (the browser tests in packages/core and packages/embeddings
// exercise the rest with Chromium): files, 404s, and the cross-origin isolation headers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDir } from './browser-test.js';

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wordloom-serve-'));
  mkdirSync(join(dir, 'dist'));
  writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html>');
  writeFileSync(join(dir, 'dist', 'main.js'), 'export {};');
  writeFileSync(join(dir, 'secret.txt'), 'outside dist');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serveDir', () => {
  it('serves index.html at /, files with their content type, 404 for missing files and paths outside', async () => {
    const s = await serveDir(join(dir, 'dist'));
    try {
      const root = await fetch(`${s.base}/`);
      expect(root.status).toBe(200);
      expect(root.headers.get('content-type')).toBe('text/html');
      expect(await root.text()).toBe('<!doctype html>');
      const js = await fetch(`${s.base}/main.js`);
      expect(js.headers.get('content-type')).toBe('text/javascript');
      expect(js.headers.get('cross-origin-opener-policy')).toBeNull();
      expect((await fetch(`${s.base}/nope.js`)).status).toBe(404);
      expect((await fetch(`${s.base}/%2e%2e/secret.txt`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('sends the cross-origin isolation headers always, or for the URLs `isolate` accepts', async () => {
    const always = await serveDir(join(dir, 'dist'), { isolate: true });
    const some = await serveDir(join(dir, 'dist'), { isolate: (url) => url.searchParams.has('coi') });
    try {
      for (const [base, query, isolated] of [
        [always.base, '', true],
        [some.base, '?coi', true],
        [some.base, '', false],
      ] as const) {
        const r = await fetch(`${base}/${query}`);
        for (const [name, value] of Object.entries(ISOLATION))
          expect(r.headers.get(name), `${base}/${query} ${name}`).toBe(isolated ? value : null);
      }
    } finally {
      await always.close();
      await some.close();
    }
  });
});
