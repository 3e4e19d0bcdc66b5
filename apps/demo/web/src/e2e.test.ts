/**
 * End-to-end tests of the built web demo in Debian's Chromium, driven by playwright-core,
 * against the documented server: `vite preview` (started here on a free 127.0.0.1 port), which
 * sends the `.json.gz` tokenizers with `Content-Encoding: gzip`. Each page loads on a real tfjs
 * backend, shows what it should for known inputs, makes no request to anything but the local
 * server, and logs no console error. One test also serves dist/ with a plain static server (the
 * `.gz` bytes as they are), the other kind of host. Screenshots go to apps/demo/web/test-artifacts/.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './page-test-site.js';
import { serveStatic } from './serve.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const dist = path.resolve(web, 'dist');
const artifacts = path.resolve(here, '../test-artifacts');

let browser: Browser;
let server: { url: string; close(): Promise<void> };

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const addr = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (addr === null || typeof addr === 'string') throw new Error('freePort: no port');
  return addr.port;
}

/**
 * Starts `vite preview` — what `pnpm --filter @wordloom/demo-web preview` runs — on a free
 * port of 127.0.0.1, and waits until it answers.
 */
async function startVitePreview(): Promise<{ url: string; close(): Promise<void> }> {
  const port = await freePort();
  const bin = path.join(web, 'node_modules/vite/bin/vite.js');
  const child = spawn(
    process.execPath,
    [bin, 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    {
      cwd: web,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with code ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`vite preview did not answer on ${url} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    close: async () => {
      if (child.exitCode === null) child.kill();
      await exited;
    },
  };
}

interface Visit {
  page: Page;
  errors: string[];
  remote: string[];
}

async function visit(hash: string, base = server.url): Promise<Visit> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  const remote: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:')) remote.push(r.url());
  });
  await page.goto(`${base}#${hash}`);
  await page.waitForSelector(`body[data-page="${hash}"][data-ready="true"]`, { timeout: 60_000 });
  return { page, errors, remote };
}

async function shot(v: Visit, name: string): Promise<void> {
  await v.page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  if (!existsSync(path.join(dist, 'index.html'))) {
    throw new Error(
      `web demo: ${dist}/index.html is missing — run \`pnpm build\` (turbo builds the site with vite) first`,
    );
  }
  mkdirSync(artifacts, { recursive: true });
  server = await startVitePreview();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** GPT-2 and BERT (shipped as .json.gz) load and give Hugging Face's ids for known sentences. */
async function expectPretrainedTokenizers(v: Visit): Promise<void> {
  const ids = () => v.page.getAttribute('#page', 'data-ids');
  await v.page.selectOption('#tok-choice', 'gpt2');
  await v.page.fill('#tok-input', 'Hello world, this is wordloom.');
  await v.page.waitForFunction(() => document.querySelector('#page')?.getAttribute('data-ids')?.startsWith('15496,'));
  // The ids Hugging Face tokenizers (npm `tokenizers` 0.x, GPT-2 tokenizer.json) gives for this sentence.
  expect(await ids()).toBe('15496,995,11,428,318,1573,75,4207,13');
  expect(await v.page.locator('#tok-spans .tok').count()).toBe(9);
  expect(await v.page.locator('#tok-status .notice').count()).toBe(0);
  await v.page.selectOption('#tok-choice', 'bert');
  await v.page.fill('#tok-input', 'Hello world.');
  await v.page.waitForFunction(() => document.querySelector('#page')?.getAttribute('data-ids')?.startsWith('101,'));
  // bert-base-uncased: [CLS] hello world . [SEP]
  expect(await ids()).toBe('101,7592,2088,1012,102');
}

/** The text elements of the SVG at `selector` that stick out of its box (clipped labels). */
async function textOutsideSvg(page: Page, selector: string): Promise<string[]> {
  return page.$eval(selector, (svg) => {
    const box = svg.getBoundingClientRect();
    return Array.from(svg.querySelectorAll('text'))
      .filter((t) => {
        const r = t.getBoundingClientRect();
        return (
          r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5
        );
      })
      .map((t) => t.textContent ?? '');
  });
}

describe('web demo in Chromium', () => {
  it('tokenizer playground shows GPT-2 ids for a known sentence', async () => {
    const v = await visit('tokenizer');
    const backend = await v.page.getAttribute('body', 'data-backend');
    // wasm is the first choice and headless Chromium runs it: another backend here means the
    // page's wasm binaries were not found (setupBackend fell back).
    expect(backend).toBe('wasm');
    await expectPretrainedTokenizers(v);
    await shot(v, 'tokenizer');
    await v.page.click('#train-btn');
    await v.page.waitForSelector('#tok-choice option:has-text("BPE trained here")', {
      state: 'attached',
      timeout: 60_000,
    });
    expect(await v.page.textContent('#train-status')).toMatch(/^done: \d+ merges/);
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('the .json.gz tokenizers also load from a plain static host that sends the gzip bytes as they are', async () => {
    const plain = await serveStatic(dist);
    try {
      const v = await visit('tokenizer', plain.url);
      await expectPretrainedTokenizers(v);
      expect(v.errors).toEqual([]);
      expect(v.remote).toEqual([]);
      await v.page.close();
    } finally {
      await plain.close();
    }
  });

  it('embedding explorer draws points, answers an analogy, and trains in the page', async () => {
    const v = await visit('embeddings');
    await v.page.waitForSelector('#emb-plot svg .point');
    expect(await v.page.locator('#emb-plot svg .point').count()).toBeGreaterThan(5);
    const answer = await v.page.textContent('#emb-answer');
    expect(answer).toBeTruthy();
    // The highlighted point is the analogy's answer.
    expect(await v.page.locator('#emb-plot svg .point.answer text').textContent()).toBe(answer);
    await shot(v, 'embeddings');
    // Train a small skip-gram model in the page's Web Worker and query it.
    await v.page.click('#w2v-train');
    await v.page.waitForFunction(
      () => document.querySelector('#w2v-status')?.textContent?.startsWith('done:'),
      undefined,
      { timeout: 90_000 },
    );
    expect(await v.page.textContent('#emb-source')).toMatch(
      /^Vectors trained in this page: [\d,]+ words × 50 dimensions/,
    );
    expect(await v.page.locator('#emb-neighbours li').count()).toBe(8);
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('attention page translates a date and renders a heatmap with its colour legend', async () => {
    const v = await visit('attention');
    await v.page.waitForSelector('#att-heatmap svg rect.cell');
    expect(await v.page.textContent('#att-translation')).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const cells = await v.page.locator('#att-heatmap svg rect.cell').count();
    expect(cells).toBeGreaterThanOrEqual(10 * 'september 27, 1994'.length);
    // Big enough to read, and a legend saying what the colours mean.
    expect(
      Number(await v.page.locator('#att-heatmap svg rect.cell').first().getAttribute('width')),
    ).toBeGreaterThanOrEqual(28);
    const legend = v.page.locator('#att-heatmap svg g.legend');
    expect(await legend.count()).toBe(1);
    expect(await legend.locator('text').allTextContents()).toEqual(
      expect.arrayContaining(['attention weight', '0.00', '0.50', '1.00']),
    );
    expect(await textOutsideSvg(v.page, '#att-heatmap svg')).toEqual([]);
    await shot(v, 'attention');
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('language-model page streams sampled text past its context length', async () => {
    const v = await visit('lm');
    const prompt = (await v.page.inputValue('#lm-prompt')).length;
    // 300 characters are several times the bundled model's 64-character context.
    await v.page.fill('#lm-length', '300');
    await v.page.click('#lm-go');
    await v.page.waitForSelector('#lm-output[data-done="true"]', { timeout: 120_000 });
    const text = (await v.page.textContent('#lm-output')) ?? '';
    expect(text.length).toBe(prompt + 300);
    expect(await v.page.textContent('#lm-status')).toMatch(/^300 characters in .* context window slid \d+ times/);
    expect(Number(await v.page.getAttribute('#lm-output', 'data-slides'))).toBeGreaterThanOrEqual(4);
    await shot(v, 'lm');
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('training-curves page plots the CLI runs on a log or linear y axis, no label clipped', async () => {
    const v = await visit('curves');
    await v.page.waitForSelector('#curves-plot svg path.series');
    expect(await v.page.locator('#curves-plot svg path.series').count()).toBeGreaterThanOrEqual(4);
    const heightOf = (name: string) =>
      v.page.$eval(`#curves-plot svg path.series[data-name="${name}"]`, (p) => (p as SVGPathElement).getBBox().height);
    // Log scale by default: the date model's loss (0.88 → 0.0004) spreads over the plot.
    expect(await v.page.getAttribute('#curves-plot svg', 'data-scale')).toBe('log');
    expect(await v.page.isChecked('#curves-log')).toBe(true);
    expect(await textOutsideSvg(v.page, '#curves-plot svg')).toEqual([]);
    const logHeight = await heightOf('date, Bahdanau attention');
    await shot(v, 'curves-log');
    await v.page.uncheck('#curves-log');
    await v.page.waitForSelector('#curves-plot svg[data-scale="linear"]');
    expect(await textOutsideSvg(v.page, '#curves-plot svg')).toEqual([]);
    const linearHeight = await heightOf('date, Bahdanau attention');
    expect(logHeight).toBeGreaterThan(1.3 * linearHeight);
    await shot(v, 'curves');
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('sentiment page: P(positive) for clear reviews, with token attributions drawn', async () => {
    const v = await visit('sentiment');
    await v.page.waitForSelector('#sent-tokens .tok');
    expect(await v.page.textContent('#sent-about')).toMatch(
      /^BiLSTM .* parameters; BPE vocabulary [\d,]+; [\d.]+ % accuracy/,
    );
    const judge = async (text: string) => {
      await v.page.fill('#sent-input', text);
      const tokens = v.page.locator('#sent-tokens .tok');
      const attributions = await tokens.evaluateAll((ts) => ts.map((t) => Number(t.getAttribute('data-attribution'))));
      return {
        p: Number(await v.page.getAttribute('#page', 'data-prob')),
        attributions,
        text: await v.page.textContent('#sent-tokens'),
        bars: await v.page.locator('#sent-bars svg rect.attr').count(),
      };
    };
    const positive = '최고의 영화! 정말 감동적이고 재밌었어요. 꼭 보세요';
    const pos = await judge(positive);
    expect(pos.p).toBeGreaterThan(0.5);
    expect(pos.text).toBe(positive); // the chips (and the spaces between them) spell the review, by the tokenizer's offsets
    expect(pos.attributions.length).toBeGreaterThan(3);
    expect(pos.bars).toBe(pos.attributions.length);
    expect(pos.attributions.every(Number.isFinite)).toBe(true);
    expect(Math.max(...pos.attributions.map(Math.abs))).toBeGreaterThan(0);
    expect(await v.page.locator('#sent-legend svg g.legend').count()).toBe(1);
    expect(await textOutsideSvg(v.page, '#sent-bars svg')).toEqual([]);
    expect(await textOutsideSvg(v.page, '#sent-legend svg')).toEqual([]);
    await shot(v, 'sentiment-positive');
    const neg = await judge('돈 아깝다. 지루하고 재미없는 최악의 영화');
    expect(neg.p).toBeLessThan(0.5);
    expect(neg.bars).toBe(neg.attributions.length);
    expect(neg.attributions.length).toBeGreaterThan(3);
    // The other attribution: max pooling's exact shares.
    await v.page.selectOption('#sent-method', 'maxpool');
    expect(await v.page.textContent('#sent-note')).toMatch(/^The token shares add up to/);
    await shot(v, 'sentiment-negative');
    expect(v.errors).toEqual([]);
    expect(v.remote).toEqual([]);
    await v.page.close();
  });

  it('a missing model file gives a visible message, not a blank page', async () => {
    const sent = await browser.newPage();
    await sent.route('**/models/sentiment/model.safetensors', (route) =>
      route.fulfill({ status: 404, body: 'not found' }),
    );
    await sent.goto(`${server.url}#sentiment`);
    await sent.waitForSelector('body[data-page="sentiment"][data-ready="true"]', { timeout: 60_000 });
    expect((await sent.locator('#page .notice').allTextContents()).join(' ')).toMatch(
      /missing model file models\/sentiment\/model\.safetensors/,
    );
    await sent.close();

    const page = await browser.newPage();
    await page.route('**/models/date-*/**', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await page.goto(`${server.url}#attention`);
    await page.waitForSelector('body[data-page="attention"][data-ready="true"]', { timeout: 60_000 });
    const alert = await page.locator('#page .notice').allTextContents();
    expect(alert.join(' ')).toMatch(/missing model file models\/date-luong\/model\.safetensors/);
    await page.screenshot({ path: path.join(artifacts, 'missing-model.png') });
    await page.close();
  });
});
