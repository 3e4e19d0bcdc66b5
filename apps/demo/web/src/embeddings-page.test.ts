/**
 * The embedding explorer with the compact Korean fastText model, in Chromium (playwright-core):
 * the app built with its own vite.config.ts into a temporary outDir (not the shared dist/) and
 * served by a plain static server. The page switches to the fastText model, answers neighbours
 * for a word in the vocabulary and for an unseen inflected form (a vector built from n-grams),
 * and both lists equal what Node computes from the same file with readCompactFastText and the
 * tokenizer's jamo functions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { readCompactFastText } from '@wordloom/embeddings';
import { composeJamo, decomposeJamo } from '@wordloom/tokenizer';
import { buildTestSite, launchChromium, type TestSite } from './page-test-site.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const model = path.join(web, 'public/models/fasttext-ko/vectors.wlft');

let browser: Browser;
let server: TestSite;
const errors: string[] = [];

/** Node's answer from the same file: the 8 nearest words, composed back into syllables. */
const ft = readCompactFastText(new Uint8Array(readFileSync(model)), { wordTransform: (w) => decomposeJamo(w) });
function expected(word: string): Array<{ word: string; similarity: number }> {
  return ft
    .mostSimilar({ positive: [word], topn: 8 })
    .map((n) => ({ word: composeJamo(n.word), similarity: n.similarity }));
}

async function ask(
  page: Page,
  word: string,
): Promise<{ oov: string; text: string; list: Array<{ word: string; similarity: number }> }> {
  await page.fill('#emb-query', word);
  await page.locator('#emb-query').dispatchEvent('change');
  await page.waitForFunction((w) => document.getElementById('emb-oov')!.textContent!.includes(`"${w}"`), word, {
    timeout: 30_000,
  });
  const oov = (await page.getAttribute('#emb-oov', 'data-oov')) ?? '';
  const text = (await page.textContent('#emb-oov')) ?? '';
  const list = await page.$$eval('#emb-neighbours li', (lis) =>
    lis.map((li) => ({ word: li.getAttribute('data-word')!, similarity: Number(li.getAttribute('data-similarity')) })),
  );
  return { oov, text, list };
}

describe('web demo: embedding explorer with the compact Korean fastText model', () => {
  beforeAll(async () => {
    server = await buildTestSite('emb', { server: 'static' });
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('answers neighbours for an in-vocabulary word and an unseen form, as Node computes them', async () => {
    const inVocab = '영화';
    const unseen = '영화였었는데요';
    expect(ft.has(inVocab)).toBe(true);
    expect(ft.has(unseen)).toBe(false);
    expect(ft.subwordRows(unseen).length).toBeGreaterThan(0);

    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}#embeddings`);
    await page.waitForSelector('body[data-page="embeddings"][data-ready="true"]', { timeout: 60_000 });
    // the word2vec vectors first, as before: points, an analogy answer
    expect(await page.locator('#emb-plot svg .point').count()).toBeGreaterThan(5);
    expect(await page.textContent('#emb-answer')).toBeTruthy();
    await page.selectOption('#emb-model', 'fasttext-ko');
    await page.waitForSelector('[data-model="fasttext-ko"][data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#emb-source')).toMatch(
      /^fastText trained by the CLI on NSMC reviews .*: [\d,]+ words × \d+ dimensions$/,
    );
    expect(await page.locator('#emb-plot svg .point').count()).toBeGreaterThan(5);
    expect(await page.textContent('#emb-answer')).toBeTruthy();

    const a = await ask(page, inVocab);
    expect(a.oov).toBe('0');
    expect(a.list).toHaveLength(8);
    const ea = expected(inVocab);
    expect(a.list.map((n) => n.word)).toEqual(ea.map((n) => n.word));
    for (let i = 0; i < 8; i++) expect(Math.abs(a.list[i]!.similarity - ea[i]!.similarity)).toBeLessThan(1e-12);

    const b = await ask(page, unseen);
    expect(b.oov).toBe('1');
    expect(b.text).toContain('built from n-grams');
    expect(b.list).toHaveLength(8);
    const eb = expected(unseen);
    expect(b.list.map((n) => n.word)).toEqual(eb.map((n) => n.word));
    for (let i = 0; i < 8; i++) expect(Math.abs(b.list[i]!.similarity - eb[i]!.similarity)).toBeLessThan(1e-12);
    // neighbours are shown in syllables, not jamo
    for (const n of [...a.list, ...b.list]) expect(n.word).not.toMatch(/[\u1100-\u11ff]/);

    // back to the word2vec vectors
    await page.selectOption('#emb-model', 'word2vec');
    await page.waitForSelector('[data-model="word2vec"][data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#emb-source')).toMatch(
      /^Vectors trained by the CLI on the English Wikipedia excerpt/,
    );
    await page.close();
    expect(errors).toEqual([]);
  }, 120_000);
});
