/**
 * The package in a real browser (Debian's Chromium, driven by playwright-core): bundled by
 * Vite for the browser with no shims or aliases for Node built-ins, minified, and loaded by a
 * page. Checks that
 * - the bundle has no `node:` import, and the in-memory APIs work there;
 * - one-thread training gives the very vectors it gives in Node (same seed, same bits);
 * - `workers > 1` runs in Web Workers on a cross-origin isolated page, and on a page that
 *   is not isolated fails with an error that says what to do;
 * - the file-path features fail with an error that names the in-memory alternative.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, type Rollup } from 'vite';
import {
  CROSS_ORIGIN_ISOLATION,
  launchChromium,
  serve,
  type TestServer,
} from '../../../tooling/scripts/browser-test.js';
import {
  readCompactVectors,
  trainFastText,
  trainGlove,
  trainPpmiSvd,
  trainWord2Vec,
  writeCompactVectors,
} from '../src/index.js';
import { xorshiftStream } from '../src/internal/util.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

let browser: Browser;
let server: TestServer | undefined;
let bundle = '';

/** Two topics: a-words co-occur with a-words, b-words with b-words. */
function topicCorpus(sentences: number, seed: number): string[][] {
  const rnd = xorshiftStream(seed);
  const out: string[][] = [];
  for (let s = 0; s < sentences; s++) {
    const topic = s % 2 === 0 ? 'a' : 'b';
    out.push(Array.from({ length: 12 }, () => `${topic}${Math.floor(rnd() * 20)}`));
  }
  return out;
}

beforeAll(async () => {
  browser = await launchChromium(chromium);
  const out = (await build({
    configFile: false,
    logLevel: 'silent',
    root: pkgDir,
    build: {
      write: false,
      target: 'es2022',
      minify: true,
      lib: { entry: path.join(pkgDir, 'src/index.ts'), formats: ['es'], fileName: 'embeddings' },
    },
  })) as Rollup.RollupOutput[] | Rollup.RollupOutput;
  const chunks = (Array.isArray(out) ? out : [out])
    .flatMap((o) => o.output)
    .filter((c): c is Rollup.OutputChunk => c.type === 'chunk');
  expect(chunks).toHaveLength(1);
  bundle = chunks[0]!.code;
  const html = `<!doctype html><meta charset="utf-8"><script type="module">
    import * as E from './embeddings.js'; window.wl = E; document.body.dataset.ready = 'true';</script><body></body>`;
  server = await serve((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    // /coi/… is served cross-origin isolated (SharedArrayBuffer available), /plain/… is not
    const headers = url.pathname.startsWith('/coi/') ? CROSS_ORIGIN_ISOLATION : {};
    if (url.pathname.endsWith('/embeddings.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript', ...headers }).end(bundle);
    } else if (url.pathname.endsWith('/')) {
      res.writeHead(200, { 'content-type': 'text/html', ...headers }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(kind: 'coi' | 'plain'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server!.base}/${kind}/`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 });
  return { page, errors };
}

describe('@wordloom/embeddings in Chromium', () => {
  it('bundles for the browser without any node: import', () => {
    expect(bundle.length).toBeGreaterThan(10_000);
    expect(bundle).not.toMatch(/(?:from|import)\s*\(?\s*["']node:/);
    expect(bundle).not.toMatch(/\brequire\(\s*["']node:(?!worker_threads)/); // the Node worker source only
  });

  it('trains on one thread with the same bits as Node, and keeps its in-memory APIs', async () => {
    const corpus = topicCorpus(400, 3);
    const opts = { vectorSize: 16, window: 3, minCount: 1, sample: 0, epochs: 3, seed: 11, workers: 1 };
    const { page, errors } = await open('plain');
    const got = await page.evaluate(
      async ({ corpus, opts }) => {
        const E = (window as unknown as { wl: typeof import('../src/index.js') }).wl;
        // record every WebAssembly memory made: one thread must not need a shared one
        const sharedFlags: boolean[] = [];
        const NativeMemory = WebAssembly.Memory;
        WebAssembly.Memory = class extends NativeMemory {
          constructor(d: WebAssembly.MemoryDescriptor) {
            super(d);
            sharedFlags.push(d.shared === true);
          }
        };
        const sg = await E.trainWord2Vec(corpus, { ...opts, sg: true, negative: 5 });
        const cbowHs = await E.trainWord2Vec(corpus, { ...opts, sg: false, hs: true, negative: 0 });
        const glove = await E.trainGlove(corpus, { vectorSize: 16, window: 4, minCount: 1, epochs: 3, seed: 5 });
        const ppmi = await E.trainPpmiSvd(corpus, { vectorSize: 8, window: 3, minCount: 1, seed: 2 });
        const bytes = E.writeWord2VecFormat(sg.wv, { binary: true });
        const back = E.readWord2VecFormat(bytes);
        return {
          crossOriginIsolated: globalThis.crossOriginIsolated,
          sharedFlags,
          sg: { words: [...sg.wv.words], vectors: Array.from(sg.wv.vectors) },
          cbowHs: Array.from(cbowHs.wv.vectors),
          glove: Array.from(glove.wv.vectors),
          ppmi: Array.from(ppmi.wv.vectors),
          roundTrip: Array.from(back.vectors).every((x, i) => x === sg.wv.vectors[i]),
          neighbours: sg.wv.mostSimilar({ positive: ['a1'], topn: 5 }).map((n) => n.word),
        };
      },
      { corpus, opts },
    );
    expect(got.crossOriginIsolated).toBe(false);
    expect(got.sharedFlags.length).toBeGreaterThanOrEqual(3); // word2vec twice, GloVe (+ PPMI's linear algebra)
    expect(got.sharedFlags.every((s) => !s)).toBe(true);
    const sg = await trainWord2Vec(corpus, { ...opts, sg: true, negative: 5 });
    expect(got.sg.words).toEqual([...sg.wv.words]);
    expect(got.sg.vectors).toEqual(Array.from(sg.wv.vectors));
    const cbowHs = await trainWord2Vec(corpus, { ...opts, sg: false, hs: true, negative: 0 });
    expect(got.cbowHs).toEqual(Array.from(cbowHs.wv.vectors));
    const glove = await trainGlove(corpus, { vectorSize: 16, window: 4, minCount: 1, epochs: 3, seed: 5 });
    expect(got.glove).toEqual(Array.from(glove.wv.vectors));
    const ppmi = await trainPpmiSvd(corpus, { vectorSize: 8, window: 3, minCount: 1, seed: 2 });
    expect(got.ppmi).toHaveLength(ppmi.wv.vectors.length);
    got.ppmi.forEach((x, i) => expect(Math.abs(x - ppmi.wv.vectors[i]!)).toBeLessThan(1e-5));
    expect(got.roundTrip).toBe(true);
    expect(got.neighbours.every((w) => w.startsWith('a'))).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('trains fastText on one thread with the same bits as Node; OOV vectors; compact vectors decode there', async () => {
    const corpus = topicCorpus(300, 5);
    const opts = {
      vectorSize: 16,
      window: 3,
      minCount: 1,
      epochs: 2,
      seed: 4,
      bucket: 500,
      minn: 2,
      maxn: 3,
      sg: true,
    };
    const { page, errors } = await open('plain');
    const got = await page.evaluate(
      async ({ corpus, opts }) => {
        const E = (window as unknown as { wl: typeof import('../src/index.js') }).wl;
        const ft = await E.trainFastText(corpus, opts);
        const bin = E.readFastTextBin(E.writeFastTextBin(ft.wv, ft));
        const small = E.readCompactVectors(E.writeCompactVectors(ft.wv.kv, { dtype: 'int8' }));
        return {
          ngrams: Array.from(ft.wv.vectorsNgrams),
          oov: Array.from(ft.wv.get('a999')),
          binOov: Array.from(bin.wv.get('a999')),
          compact: Array.from(small.get('a1')),
        };
      },
      { corpus, opts },
    );
    const ft = await trainFastText(corpus, opts);
    expect(got.ngrams).toEqual(Array.from(ft.wv.vectorsNgrams));
    expect(got.oov).toEqual(Array.from(ft.wv.get('a999')));
    expect(got.binOov).toEqual(got.oov);
    expect(got.compact).toEqual(
      Array.from(readCompactVectors(writeCompactVectors(ft.wv.kv, { dtype: 'int8' })).get('a1')),
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('runs workers > 1 in Web Workers on a cross-origin isolated page', async () => {
    const corpus = topicCorpus(3000, 4);
    const { page, errors } = await open('coi');
    const got = await page.evaluate(async (corpus) => {
      const E = (window as unknown as { wl: typeof import('../src/index.js') }).wl;
      let progressCalls = 0;
      let workersStarted = 0;
      const Native = window.Worker;
      window.Worker = class extends Native {
        constructor(url: string | URL, options?: WorkerOptions) {
          super(url, options);
          workersStarted++;
        }
      };
      const sg = await E.trainWord2Vec(corpus, {
        vectorSize: 16,
        window: 3,
        minCount: 1,
        sample: 0,
        epochs: 3,
        seed: 1,
        workers: 2,
        onProgress: () => progressCalls++,
        progressEveryMs: 20,
      });
      const glove = await E.trainGlove(corpus, { vectorSize: 16, window: 4, minCount: 1, epochs: 10, workers: 2 });
      const topicOf = (wv: typeof sg.wv) => wv.mostSimilar({ positive: ['b3'], topn: 10 }).map((n) => n.word[0]);
      return {
        crossOriginIsolated: globalThis.crossOriginIsolated,
        progressCalls,
        workersStarted,
        effectiveWords: sg.stats.effectiveWords,
        sgTopics: topicOf(sg.wv),
        gloveTopics: topicOf(glove.wv),
        finite: [...sg.wv.vectors, ...glove.wv.vectors].every(Number.isFinite),
      };
    }, corpus);
    expect(got.crossOriginIsolated).toBe(true);
    expect(got.progressCalls).toBeGreaterThan(0);
    expect(got.workersStarted).toBe(4); // two for word2vec, two for GloVe
    expect(got.effectiveWords).toBeGreaterThan(0.9 * 3 * 3000 * 12);
    expect(got.finite).toBe(true);
    expect(got.sgTopics).toEqual(Array(10).fill('b'));
    expect(got.gloveTopics).toEqual(Array(10).fill('b'));
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it('explains what is missing: workers > 1 without isolation, file paths', async () => {
    const { page } = await open('plain');
    const messages = await page.evaluate(async () => {
      const E = (window as unknown as { wl: typeof import('../src/index.js') }).wl;
      const m: string[] = [];
      const grab = async (f: () => unknown) => {
        try {
          await f();
          m.push('no error');
        } catch (e) {
          m.push((e as Error).message);
        }
      };
      await grab(() => E.trainWord2Vec([['a', 'b', 'a', 'b']], { minCount: 1, workers: 2 }));
      await grab(() => E.trainGlove([['a', 'b', 'a', 'b']], { minCount: 1, workers: 2 }));
      await grab(() => E.trainWord2Vec('corpus.txt', { minCount: 1 }));
      await grab(() => E.loadWord2VecFormat('vectors.bin'));
      const kv = new E.KeyedVectors({ words: ['a', 'b'], vectors: new Float32Array([1, 0, 0, 1]), dim: 2 });
      await grab(() => kv.evaluateWordPairs({ path: 'wordsim353.tsv' }));
      return m;
    });
    expect(messages[0]).toMatch(
      /^trainWord2Vec: workers = 2 cannot run here: Web Workers share memory only on a cross-origin isolated page.*Cross-Origin-Opener-Policy.*or use workers: 1$/,
    );
    expect(messages[1]).toMatch(/^trainGlove: workers = 2 cannot run here: .*cross-origin isolated/);
    expect(messages[2]).toMatch(
      /reading a corpus from a file path needs Node\.js \(node:fs\).*pass an iterable of sentences/,
    );
    expect(messages[3]).toMatch(/loadWord2VecFormat\(path\) needs Node\.js .*readWord2VecFormat\(bytes\)/);
    expect(messages[4]).toMatch(/evaluateWordPairs\(\{ path \}\) needs Node\.js .*pass \{ text \}/);
    await page.close();
  }, 60_000);
});
