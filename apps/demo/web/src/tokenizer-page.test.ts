/**
 * The tokenizer playground's sentencepiece Unigram in Chromium (playwright-core): the app built with
 * its own vite.config.ts into a private outDir (not the shared dist/) and served by `vite preview`.
 * The page reads the spm_train `ko-unigram.model` (shipped by the copyTokenizers plugin) with
 * readSentencePieceModel; its Viterbi ids for a held-out NSMC review equal spm_encode's (the tokenizer
 * package's golden fixture), and its k seeded sampled segmentations differ from each other and each
 * spells the normalized input with vocabulary pieces. Screenshot: test-artifacts/tokenizer-unigram.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { NormalizedString, readSentencePieceModel } from '@wordloom/tokenizer';
import { buildTestSite, launchChromium, type TestSite } from './page-test-site.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const artifacts = path.resolve(web, 'test-artifacts');
const spmDir = path.resolve(web, '../../../packages/tokenizer/test/fixtures/sentencepiece');

const modelBytes = new Uint8Array(readFileSync(path.join(spmDir, 'ko-unigram.model')));
const golden = JSON.parse(readFileSync(path.join(spmDir, 'ko-unigram.json'), 'utf8')) as {
  lines: string[];
  ids: number[][];
};
const ref = readSentencePieceModel(modelBytes);
const unkId = ref.specialTokenId('unk');
// A long held-out review without unknown pieces: its pieces spell the normalized text.
const index = golden.lines.findIndex((l, i) => i < 150 && l.length >= 40 && !golden.ids[i]!.includes(unkId));
const line = golden.lines[index]!;
const normalized = (() => {
  const ns = NormalizedString.fromOriginal(line);
  ref.normalizer!.normalize(ns);
  return ns.normalized;
})();

let browser: Browser;
let site: TestSite;
let url = '';

describe('web demo: tokenizer playground with a sentencepiece Unigram .model', () => {
  beforeAll(async () => {
    site = await buildTestSite('tokenizer');
    url = site.url;
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  it('Viterbi ids equal spm_encode; k seeded samples differ and each is a segmentation of the normalized input', async () => {
    expect(index).toBeGreaterThanOrEqual(0);
    const page: Page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${url}#tokenizer`);
    await page.waitForSelector('body[data-page="tokenizer"][data-ready="true"]', { timeout: 60_000 });
    // GPT-2 (a BPE) first: no sampling view.
    expect(await page.isHidden('#tok-sampling')).toBe(true);
    await page.selectOption('#tok-choice', 'unigram');
    await page.fill('#tok-input', line);
    const want = golden.ids[index]!.join(',');
    await page.waitForFunction((w) => document.querySelector('#page')?.getAttribute('data-ids') === w, want, {
      timeout: 60_000,
    });
    expect(await page.isVisible('#tok-sampling')).toBe(true);
    await page.fill('#sample-k', '6');
    await page.fill('#sample-seed', '7');
    const read = async (): Promise<{ viterbi: string[]; samples: string[][] }> => {
      await page.waitForFunction(() => {
        const s = document.querySelector<HTMLElement>('#tok-samples')?.dataset.samples;
        return s !== undefined && (JSON.parse(s) as unknown[]).length === 6;
      });
      return page.$eval('#tok-samples', (e) => ({
        viterbi: JSON.parse((e as HTMLElement).dataset.viterbi!) as string[],
        samples: JSON.parse((e as HTMLElement).dataset.samples!) as string[][],
      }));
    };
    const { viterbi, samples } = await read();
    // The Viterbi row is spm_encode's segmentation.
    expect(viterbi.map((t) => ref.tokenToId(t))).toEqual(golden.ids[index]);
    expect(samples).toHaveLength(6);
    expect(new Set(samples.map((s) => JSON.stringify(s))).size).toBe(6);
    for (const s of samples) {
      expect(s.join('')).toBe(normalized);
      for (const t of s) expect(ref.tokenToId(t)).toBeDefined();
    }
    expect(samples.some((s) => JSON.stringify(s) !== JSON.stringify(viterbi))).toBe(true);
    // The same seed again gives the same samples; nbest 1 is plain Viterbi.
    await page.fill('#sample-seed', '8');
    await page.fill('#sample-seed', '7');
    expect((await read()).samples).toEqual(samples);
    await page.fill('#sample-nbest', '1');
    await page.waitForFunction((v) => {
      const s = document.querySelector<HTMLElement>('#tok-samples')?.dataset.samples;
      return s !== undefined && (JSON.parse(s) as string[][]).every((x) => JSON.stringify(x) === v);
    }, JSON.stringify(viterbi));
    await page.fill('#sample-nbest', '-1');
    // A bad value is a visible notice, not a blank section.
    await page.fill('#sample-alpha', '-1');
    await page.waitForSelector('#tok-samples .notice.error');
    expect(await page.textContent('#tok-samples')).toContain('alpha must be a number ≥ 0');
    await page.fill('#sample-alpha', '0.1');
    await read();
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'tokenizer-unigram.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
