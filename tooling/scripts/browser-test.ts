/**
 * The one way our packages' browser tests (packages/core/test/*browser*.test.ts,
 * packages/embeddings/test/browser.test.ts, packages/train/test/replicas-browser.test.ts) put a
 * page in front of Chromium: an app folder laid out as an install, a local HTTP server
 * (cross-origin isolated when asked: COOP/COEP), Debian's Chromium launched through
 * playwright-core, and a page's `window.result` read back.
 *
 * tooling/scripts depends on neither playwright-core nor vite (they are the packages'
 * devDependencies, and pnpm does not hoist them to the root), so nothing here imports them: a test
 * passes its own `chromium` in and runs its own `vite build` on the folder made here; the few
 * playwright types needed are written as the shapes used. The web demo's page tests launch
 * Chromium the same way (apps/demo/web/src/page-test-site.ts).
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Debian's Chromium unless `CHROMIUM_PATH` names another Chromium/Chrome binary. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The headers that make a page cross-origin isolated (SharedArrayBuffer, shared wasm memory). */
export const CROSS_ORIGIN_ISOLATION: Readonly<Record<string, string>> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/**
 * Launches headless Chromium with playwright-core's `chromium` (the caller's import): no sandbox
 * (containers), no GPU, no background traffic. Fails first, with the fix, when there is no binary.
 */
export async function launchChromium<B>(chromium: {
  launch(options: { executablePath: string; args: string[] }): Promise<B>;
}): Promise<B> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `the browser tests need Chromium at ${chromiumPath}: run \`node tooling/scripts/ensure-chromium.mjs\` (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

export interface TestServer {
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  base: string;
  close(): Promise<void>;
}

/** Serves `handler` on a free port of 127.0.0.1. */
export async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('serve: no port');
  return {
    base: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm' };

/**
 * Serves the files of `dir` (`/` is index.html; 404 outside `dir` or for a missing file).
 * `isolate`: send the cross-origin isolation headers — always, never (default), or for the URLs it
 * accepts (e.g. `(url) => url.searchParams.has('coi')`).
 */
export function serveDir(
  dir: string,
  options: { isolate?: boolean | ((url: URL) => boolean) } = {},
): Promise<TestServer> {
  const { isolate = false } = options;
  return serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const file = path.join(dir, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    const isolated = typeof isolate === 'function' ? isolate(url) : isolate;
    res
      .writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        ...(isolated ? CROSS_ORIGIN_ISOLATION : {}),
      })
      .end(readFileSync(file));
  });
}

/** The tfjs packages an app folder links to (core's peers). */
const TFJS = ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-wasm', 'tfjs-backend-webgl', 'tfjs-backend-webgpu'];

/**
 * Makes someone else's app in a new folder under the OS temp dir (`prefix` + random), laid out as an
 * install would be, for `vite build` to bundle: each workspace package of `packages` (name → its
 * directory) copied as `node_modules/<name>` (package.json and src without tests, resolved through
 * the `@wordloom/source` condition so no build is needed), `node_modules/@tensorflow/*` linked to
 * the tfjs packages installed for `tfjsFrom` (a package directory), a private package.json named
 * `name`, and `files` (path → text: pages and scripts). Returns the folder; the caller removes it.
 */
export function makeTestApp(options: {
  prefix: string;
  name: string;
  packages: Record<string, string>;
  tfjsFrom: string;
  files: Record<string, string>;
}): string {
  const app = mkdtempSync(path.join(tmpdir(), options.prefix));
  try {
    for (const [name, from] of Object.entries(options.packages)) {
      const dir = path.join(app, 'node_modules', name);
      mkdirSync(dir, { recursive: true });
      cpSync(path.join(from, 'package.json'), path.join(dir, 'package.json'));
      cpSync(path.join(from, 'src'), path.join(dir, 'src'), {
        recursive: true,
        filter: (f) => !f.endsWith('.test.ts'),
      });
    }
    mkdirSync(path.join(app, 'node_modules/@tensorflow'), { recursive: true });
    for (const name of TFJS) {
      symlinkSync(
        realpathSync(path.join(options.tfjsFrom, 'node_modules/@tensorflow', name)),
        path.join(app, 'node_modules/@tensorflow', name),
      );
    }
    writeFileSync(
      path.join(app, 'package.json'),
      `{ "name": ${JSON.stringify(options.name)}, "private": true, "type": "module" }`,
    );
    for (const [file, text] of Object.entries(options.files)) writeFileSync(path.join(app, file), text);
    return app;
  } catch (e) {
    rmSync(app, { recursive: true, force: true });
    throw e;
  }
}

/** What `pageResult` uses of a playwright-core `Browser` (see the file comment). */
export interface ResultBrowser {
  newPage(): Promise<{
    goto(url: string): Promise<unknown>;
    waitForFunction(fn: () => boolean, arg: null, options: { timeout: number }): Promise<unknown>;
    evaluate<R>(fn: () => R): Promise<R>;
    close(): Promise<void>;
  }>;
}

/** Opens `url` in a new page, waits (up to `timeout` ms) for the page to set `window.result`, returns it. */
export async function pageResult<R>(browser: ResultBrowser, url: string, timeout = 60_000): Promise<R> {
  const p = await browser.newPage();
  try {
    await p.goto(url);
    await p.waitForFunction(() => (window as { result?: unknown }).result !== undefined, null, { timeout });
    return await p.evaluate(() => (window as unknown as { result: R }).result);
  } finally {
    await p.close();
  }
}
