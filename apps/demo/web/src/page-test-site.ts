/**
 * For the page tests (`*-page.test.ts`): the app built with its own vite.config.ts into a private
 * temporary folder (never the shared dist/, which other tests and a running dev server use), served
 * by `vite preview` (the documented server; its config sends the COOP/COEP headers) or by the plain
 * static server of `serve.ts`, and Debian's Chromium launched as every browser test here launches it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { chromium, type Browser } from 'playwright-core';
import { launchChromium as launchChromiumWith } from '../../../../tooling/scripts/browser-test.js';
import { serveStatic } from './serve.js';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface TestSite {
  /** The site's root URL, ending in `/`. */
  url: string;
  /** Stops the server and deletes the build. */
  close(): Promise<void>;
}

/**
 * Builds the app into a new temporary folder named after `name` and serves it: `server: 'preview'`
 * (default) with `vite preview` on a free port of 127.0.0.1, `'static'` with `serveStatic`.
 */
export async function buildTestSite(name: string, options: { server?: 'preview' | 'static' } = {}): Promise<TestSite> {
  const out = mkdtempSync(path.join(tmpdir(), `wl-web-${name}-`));
  const remove = () => rmSync(out, { recursive: true, force: true });
  try {
    const configFile = path.join(web, 'vite.config.ts');
    await build({ configFile, root: web, logLevel: 'warn', build: { outDir: out, emptyOutDir: true } });
    if (options.server === 'static') {
      const server = await serveStatic(out);
      return {
        url: server.url,
        close: async () => {
          await server.close();
          remove();
        },
      };
    }
    const server = await preview({
      configFile,
      root: web,
      logLevel: 'warn',
      build: { outDir: out },
      preview: { host: '127.0.0.1', port: 0, strictPort: false },
    });
    return {
      url: server.resolvedUrls!.local[0]!,
      close: async () => {
        await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
        remove();
      },
    };
  } catch (e) {
    remove();
    throw e;
  }
}

/**
 * Headless Chromium (`CHROMIUM_PATH`, default Debian's `/usr/bin/chromium`), launched the way every browser test in
 * the repository launches it (tooling/scripts/browser-test.ts: the flags, and the fix when there is no binary).
 */
export function launchChromium(): Promise<Browser> {
  return launchChromiumWith(chromium);
}
